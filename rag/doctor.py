"""`rag doctor`: check the install end to end and say, for each problem, the command that fixes it.

Each check is small and independent, so one failure does not hide the next:
the llama.cpp build (read in a child process), the index, the embedding
model (and that it made the index's vectors), the configured answer backend (one token generated; the local model
in its own process, so a crash is a finding, not the end of the check) and,
when configured, the Chroma server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings, get_settings
from rag.embedding import get_embedder
from rag.embedding.identity import VectorIdentity, check_same_model
from rag.errors import RagError
from rag.lexical import LexicalIndex
from rag.llm import LLMRequest, get_backend
from rag.llm.worker import beyond_portable, library_system_info
from rag.manifest import Manifest
from rag.store import Store

SETUP = "bash scripts/setup.sh"
REBUILD_LLAMA = "rm -f .venv/.setup-stamp && RAG_LLAMA_BUILD=portable bash scripts/setup.sh"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def line(self) -> str:
        head = f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"
        return head if self.ok or not self.fix else f"{head}\n      fix: {self.fix}"


def check_llama_build() -> Check:
    try:
        info = library_system_info()
    except RagError as exc:
        return Check("llama.cpp build", False, str(exc), REBUILD_LLAMA)
    extra = beyond_portable(info)
    if extra:
        return Check(
            "llama.cpp build",
            False,
            f"built for a particular CPU ({', '.join(extra)}): it may crash on other machines",
            REBUILD_LLAMA + "   (or RAG_LLAMA_BUILD=avx512 on purpose, on AVX-512 machines only)",
        )
    return Check("llama.cpp build", True, "portable kernels (" + info.split("|")[0].strip() + " …)")


def check_index(s: Settings) -> Check:
    index_dir = Path(s.index_dir)
    manifest = Manifest.load(index_dir)
    if not manifest.docs:
        return Check(
            "index", False, f"nothing indexed in {index_dir}", "rag index   (the seeds, plus any PATH you add)"
        )
    try:
        stored = Store(index_dir, s.chroma_url, s.collection).count()
    except RagError as exc:
        return Check("index", False, str(exc), "rag index")
    listed = sum(len(d.get("chunks", [])) for d in manifest.docs.values())
    if stored < listed:
        return Check(
            "index", False, f"{listed - stored} of {listed} passages missing from the vector store", "rag index"
        )
    if LexicalIndex.built_for(index_dir) != manifest.corpus_digest():
        return Check("index", False, "the keyword (BM25) index is out of date", "rag index")
    return Check("index", True, f"{len(manifest.docs)} documents, {listed} passages in {index_dir}")


def check_embedder(s: Settings) -> Check:
    """The embedding model loads (or its server answers) and is the model that made the index's vectors."""
    t0 = time.perf_counter()
    server = s.embedding_backend == "openai"
    try:
        embedder = get_embedder(s.embedding_model)
        vec = embedder.embed(["a test sentence"])
    except RagError as exc:
        fix = "start the embedding server, or check RAG_EMBEDDING_URL and RAG_EMBEDDING_API_KEY" if server else SETUP
        return Check("embedding model", False, str(exc), fix)
    took = time.perf_counter() - t0
    try:
        recorded = VectorIdentity.from_record(Manifest.load(Path(s.index_dir)).embedding)
        check_same_model(recorded, VectorIdentity.of(embedder), Path(s.index_dir))
    except RagError as exc:
        return Check("embedding model", False, str(exc), "rag index (in a new RAG_INDEX_DIR)")
    where = f"from {s.embedding_url or 'api.openai.com'}, answered" if server else "loaded"
    return Check("embedding model", True, f"{s.embedding_model}, {vec.shape[1]} dimensions, {where} in {took:.1f} s")


def check_backend(s: Settings, name: str) -> Check:
    """One token from the configured backend (the local model in its child process)."""
    label = f"answer backend {name!r}"
    if name == "anthropic":
        try:
            get_backend(name)
        except RagError as exc:
            return Check(label, False, str(exc), "export RAG_ANTHROPIC_API_KEY=...")
        return Check(label, True, "API key set (no call made: it would be billed)")
    t0 = time.perf_counter()
    request = LLMRequest(system="Reply with one word.", user="Say OK.", question="Say OK.", max_tokens=1)
    try:
        llm = get_backend(name)
        out = "".join(llm.stream(request))
    except RagError as exc:
        fix = {
            "local": f"python -m rag.llm.local --prepare   (if it crashed: {REBUILD_LLAMA})",
            "openai": "check RAG_OPENAI_BASE_URL / RAG_OPENAI_API_KEY and that the server is running",
        }.get(name, SETUP)
        return Check(label, False, str(exc), fix)
    return Check(label, True, f"generated {out.strip()[:20]!r} in {time.perf_counter() - t0:.1f} s")


def check_chroma_server(s: Settings) -> Check:
    try:
        Store(Path(s.index_dir), s.chroma_url, s.collection).count()
    except Exception as exc:  # noqa: BLE001 - any failure to talk to the server is the finding
        return Check(
            "Chroma server",
            False,
            f"{s.chroma_url}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}",
            "chroma run --path DIR --host 127.0.0.1 --port PORT   (or unset RAG_CHROMA_URL for the embedded store)",
        )
    return Check("Chroma server", True, f"{s.chroma_url} answers")


def run_checks(backend: str | None = None, progress: Callable[[str], None] | None = None) -> Iterator[Check]:
    s = get_settings()
    say = progress or (lambda _m: None)
    name = (backend or s.backend).strip().lower()
    if name == "local":
        say("reading the llama.cpp build")
        yield check_llama_build()
    if s.chroma_url:
        say("asking the Chroma server")
        yield check_chroma_server(s)
    say("reading the index")
    yield check_index(s)
    say("loading the embedding model")
    yield check_embedder(s)
    say(f"generating one token with the {name} backend")
    yield check_backend(s, name)
