#!/usr/bin/env python
"""Indexing throughput with and without speaker annotation, side by side in one run, against raw ``encode``.

Not a test. Run from the repository root with the project's virtual environment (nothing else running):

    python benchmarks/bench_indexing.py [--docs 300] [--runs 3] [--no-profile] [--out benchmarks/results/indexing.json]

Articles: the article bodies of the 91 development pages of ``../shared/eval/article-extraction-benchmark/``
(real news and blog text, several languages), repeated with a numbered dateline until ``--docs`` is reached
(each copy is a distinct document: chunk ids are content hashes). Each configuration indexes them into a
fresh embedded index with ``Indexer.add_documents`` (chunking, speakers, embedding, Chroma, BM25), the
embedding model loaded beforehand; then the same chunks go through the model's ``encode`` alone, batched as
indexing batches them. Also timed: spaCy's components on the same articles (where annotation spends).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_extraction import DEFAULT_BENCH, load_pages  # noqa: E402
from machine import loadavg, machine_info  # noqa: E402

from rag import speakers  # noqa: E402
from rag.chunking import chunk_document  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedding import Embedder, get_embedder  # noqa: E402
from rag.indexing import Indexer  # noqa: E402
from rag.speaker_pipeline import in_scope  # noqa: E402
from rag.types import Document  # noqa: E402


def articles(n: int, bench: Path) -> list[Document]:
    bodies = [(k, t["articleBody"], t.get("url")) for k, _, t in load_pages(bench) if len(t["articleBody"]) > 200]
    docs = []
    for i in range(n):
        key, body, url = bodies[i % len(bodies)]
        copy = i // len(bodies)
        text = body if copy == 0 else f"Dispatch {copy}.\n\n{body}"
        docs.append(Document(source=f"{key[:12]}-{copy}.txt", path=f"/bench/{key}-{copy}.txt", text=text, url=url))
    return docs


def index_run(docs: list[Document], embedder: Embedder, annotate: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as tmp:
        s = Settings(index_dir=Path(tmp) / "index", seeds_dir=Path(tmp) / "none", annotate_speakers=annotate)
        start = time.perf_counter()
        report = Indexer(s, embedder).add_documents(docs)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "chunks": report.chunks_embedded, "chunks_per_s": report.chunks_embedded / seconds}


def raw_encode(docs: list[Document], embedder: Embedder, s: Settings) -> dict[str, Any]:
    texts = [
        c.embed_text
        for d in docs
        for c in chunk_document(
            d, size=s.chunk_size, overlap=s.chunk_overlap, model_tokens=embedder.count_tokens,
            model_max=embedder.max_tokens,
        )
    ]  # fmt: skip
    start = time.perf_counter()
    for i in range(0, len(texts), s.indexing.flush_chunks):  # grouped as indexing groups them
        embedder.embed(texts[i : i + s.indexing.flush_chunks])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "chunks": len(texts), "chunks_per_s": len(texts) / seconds}


def spacy_profile(docs: list[Document]) -> dict[str, float]:
    """Seconds per pipeline component over all articles, whole and as annotation sees them (``in_scope``)."""
    nlp = speakers.nlp()
    texts = [d.text for d in docs]
    scoped = [in_scope(t) for t in texts]
    out: dict[str, float] = {"share of characters kept by in_scope": sum(
        len(s) - s.count(" ") for s in scoped) / sum(len(t) - t.count(" ") for t in texts)}  # fmt: skip
    start = time.perf_counter()
    one_by_one = [speakers.attribute(text) for text in texts]
    out["attribute, one call per article"] = time.perf_counter() - start
    start = time.perf_counter()
    batched = speakers.attribute_many(texts)
    out["attribute_many (nlp.pipe)"] = time.perf_counter() - start
    out["articles whose speakers differ between the two"] = sum(
        a != b for a, b in zip(one_by_one, batched, strict=True)
    )
    for label, inputs in (("whole articles", texts), ("in scope", scoped)):
        start = time.perf_counter()
        parsed = [nlp.make_doc(t) for t in inputs]
        out[f"{label}: tokenizer"] = time.perf_counter() - start
        for name, proc in nlp.pipeline:  # stage by stage, each over all articles in batches as nlp.pipe makes them
            start = time.perf_counter()
            parsed = list(proc.pipe(parsed, batch_size=16)) if hasattr(proc, "pipe") else [proc(d) for d in parsed]
            out[f"{label}: {name}"] = time.perf_counter() - start
        start = time.perf_counter()
        for doc, text in zip(parsed, texts, strict=True):
            speakers._attributions(doc, text)
        out[f"{label}: who says what (rag.speakers)"] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=300)
    p.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    p.add_argument("--runs", type=int, default=3, help="rounds of the three runs; medians are reported")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the per-component timing")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "indexing.json")
    args = p.parse_args(argv)
    info = machine_info(["torch", "sentence-transformers", "spacy"])
    info["load_before"] = loadavg()[0]
    docs = articles(args.docs, args.bench_dir)
    s = Settings()
    embedder = get_embedder(s.embedding_model, s.embedding_batch_size)
    embedder.embed(["warm up"])
    speakers.nlp()("Warm up, he said.")
    result: dict[str, Any] = {"machine": info, "docs": len(docs), "runs": args.runs}
    runs: dict[str, list[dict[str, Any]]] = {"raw encode": [], "index without speakers": [], "index with speakers": []}
    for _ in range(args.runs):  # interleaved, so that a change in the machine's load hits all three alike
        runs["raw encode"].append(raw_encode(docs, embedder, s))
        runs["index without speakers"].append(index_run(docs, embedder, annotate=False))
        runs["index with speakers"].append(index_run(docs, embedder, annotate=True))
    for key, rows in runs.items():  # the median run of each
        result[key] = dict(
            sorted(rows, key=lambda r: r["seconds"])[len(rows) // 2], all_seconds=[r["seconds"] for r in rows]
        )
    if args.profile:
        result["spacy seconds"] = spacy_profile(docs)
    raw = result["raw encode"]["chunks_per_s"]
    print(f"{len(docs)} articles, {info['cpu']}, load {info['load_before']}, median of {args.runs} runs")
    print("| run | seconds | chunks | chunks/s | / raw encode |")
    print("|---|---|---|---|---|")
    for key in ("raw encode", "index without speakers", "index with speakers"):
        r = result[key]
        print(
            f"| {key} | {r['seconds']:.1f} | {r['chunks']} | {r['chunks_per_s']:.1f} | {r['chunks_per_s'] / raw:.2f} |"
        )
    cost = result["index with speakers"]["seconds"] / result["index without speakers"]["seconds"] - 1
    print(f"speaker annotation adds {cost:.0%} to indexing")
    for k, v in result.get("spacy seconds", {}).items():
        print(f"  spaCy: {k}: {v:.2f}")
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
