"""Part (b): ingestion throughput (chunks/s) of Indexer.add_documents against raw SentenceTransformer.encode.

Stage timers wrap the pipeline's functions for one run (instrumentation, restored afterwards); variants with
another embedding batch size or flush size are set through the embedder and ``Settings(indexing=...)``.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.retrieval.common import (
    COLLECTION,
    TARGET_INGEST_RATIO,
    CountingEmbedder,
    StageTimer,
    log,
    median,
    r,
    settings_for,
)
from benchmarks.retrieval.indexes import Bench
from rag import preparation
from rag.embedding import SentenceTransformerEmbedder
from rag.indexing import Indexer
from rag.manifest import Manifest
from rag.store import Store


def run(bench: Bench) -> dict[str, Any]:
    emb = bench.emb
    if not isinstance(emb, SentenceTransformerEmbedder):  # the raw baseline is the local model's own encode
        raise TypeError(
            f"part (b) needs the local sentence-transformers embedder (RAG_EMBEDDING_BACKEND=local), "
            f"not {type(emb).__name__}"
        )
    n_docs = 300 if bench.quick else bench.args.ingest_docs
    log(f"(b) ingestion throughput: {n_docs} Vaswani documents, pipeline vs raw encode (batch 32)")
    docs = bench.vaswani_documents(n_docs)
    pipe_rate, raw_rate, pipe_s, raw_s, profiles = [], [], [], [], []
    pipe32_rate: list[float] = []
    pipe_cpu: list[float] = []
    raw_cpu: list[float] = []
    pipe32_cpu: list[float] = []
    pipe32f_rate: list[float] = []
    pipe32f_cpu: list[float] = []
    chunks = 0
    texts: list[str] = []
    for i in range(bench.runs):
        d = bench.tmpdir("b")
        counting = CountingEmbedder(emb)
        with StageTimer() as st:
            st.wrap(preparation, "chunk_document", "chunking (cl100k + sentence split, incl. model token counts)")
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
        emb.model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True)
        raw = time.perf_counter() - t
        raw_cpu.append(len(texts) / (time.process_time() - c0))
        raw_s.append(raw)
        raw_rate.append(len(texts) / raw)
        # the same pipeline with the embedder's batch size at 32 (the proposed setting)
        if not bench.args.no_variant and emb.batch_size != 32:
            d = bench.tmpdir("b32")
            old_batch = emb.batch_size
            emb.batch_size = 32
            try:
                t, c0 = time.perf_counter(), time.process_time()
                rep32 = Indexer(settings_for(d), emb).add_documents(docs)
                took32 = time.perf_counter() - t
                pipe32_cpu.append(rep32.chunks_embedded / (time.process_time() - c0))
            finally:
                emb.batch_size = old_batch
            pipe32_rate.append(rep32.chunks_embedded / took32)
            # ... and with 2,048-chunk embedding groups (indexing.flush_chunks), so length sorting works over more texts
            d = bench.tmpdir("b32f")
            emb.batch_size = 32
            try:
                t, c0 = time.perf_counter(), time.process_time()
                flush_2048 = settings_for(d, indexing={"flush_chunks": 2048})
                rep32f = Indexer(flush_2048, emb).add_documents(docs)
                took32f = time.perf_counter() - t
                pipe32f_cpu.append(rep32f.chunks_embedded / (time.process_time() - c0))
            finally:
                emb.batch_size = old_batch
            pipe32f_rate.append(rep32f.chunks_embedded / took32f)
        log(
            f"  run {i + 1}: pipeline {pipe_rate[-1]:.1f} chunks/s ({took:.1f} s), raw {raw_rate[-1]:.1f} chunks/s "
            f"({raw:.1f} s)"
            + (
                f", pipeline at batch 32 {pipe32_rate[-1]:.1f}, with flush_chunks 2048 {pipe32f_rate[-1]:.1f} chunks/s"
                if pipe32_rate
                else ""
            )
        )
    ratio = median(pipe_rate) / median(raw_rate)
    # per-stage medians
    keys = list(profiles[0])
    stage_med = {k: r(median([p.get(k, 0.0) for p in profiles]), 3) for k in keys}
    # the embedder's own batch size vs 32, same call shape as the pipeline (512-chunk calls)
    flush = settings_for(bench.tmp).indexing.flush_chunks
    t = time.perf_counter()
    for i in range(0, len(texts), flush):
        emb.embed(texts[i : i + flush])
    pipeline_shape_s = time.perf_counter() - t
    return {
        "documents": len(docs),
        "chunks": chunks,
        "runs": bench.runs,
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
            "notes": "batch 32 and Settings.indexing.flush_chunks = 2048 instead of 512",
        }
        if pipe32f_rate
        else None,
        "pipeline_stage_seconds_median": stage_med,
        "all": {
            "pipeline_chunks_per_s": [r(x, 1) for x in pipe_rate],
            "raw_chunks_per_s": [r(x, 1) for x in raw_rate],
        },
        "notes": f"pipeline = Indexer.add_documents into a fresh folder (chunking, embedding in {flush}-chunk "
        f"calls with batch {emb.batch_size}, Chroma upsert, manifest, BM25 rebuild); raw = "
        "SentenceTransformer.encode(texts, batch_size=32) of the same chunk texts read back from the store",
    }
