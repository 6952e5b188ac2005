"""Part (a): index build time for the seeds: cold (model loaded, including a model load, a fresh process) and warm."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from benchmarks.retrieval.common import ROOT, CountingEmbedder, log, median, r, settings_for
from benchmarks.retrieval.indexes import Bench
from rag.embedding import SentenceTransformerEmbedder
from rag.indexing import Indexer


def run(bench: Bench) -> dict[str, Any]:
    log("(a) seeds index build time")
    name = settings_for(bench.tmp).embedding_model
    batch = settings_for(bench.tmp).embedding_batch_size
    cold_loaded, cold_incl, model_load, warm, proc = [], [], [], [], []
    chunks = docs = 0
    for i in range(bench.runs):
        # including model load: a new embedder object (get_embedder caches one per process)
        d = bench.tmpdir("a-incl")
        t0 = time.perf_counter()
        emb = SentenceTransformerEmbedder(name, batch)
        t1 = time.perf_counter()
        Indexer(settings_for(d), emb).update()
        t2 = time.perf_counter()
        model_load.append(t1 - t0)
        cold_incl.append(t2 - t0)
        del emb
        # cold, model already loaded
        d = bench.tmpdir("a-cold")
        t = time.perf_counter()
        rep = Indexer(settings_for(d), bench.emb).update()
        cold_loaded.append(time.perf_counter() - t)
        chunks, docs = rep.chunks_embedded, rep.added
        # warm: same folder, nothing changed
        counting = CountingEmbedder(bench.emb)
        t = time.perf_counter()
        rep2 = Indexer(settings_for(d), counting).update()
        warm.append(time.perf_counter() - t)
        assert rep2.chunks_embedded == 0 and counting.embed_calls == 0, rep2
        if i == 0:
            bench._seeds_index = d
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
    for _ in range(bench.runs):
        d = bench.tmpdir("a-proc")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(d)], check=True, env=os.environ.copy())
        proc.append(time.perf_counter() - t)
    log(f"  fresh process: {median(proc):.2f} s")
    return {
        "seed_documents": docs,
        "seed_chunks": chunks,
        "runs": bench.runs,
        "cold_model_loaded_s": r(median(cold_loaded), 3),
        "cold_including_model_load_s": r(median(cold_incl), 3),
        "model_load_s": r(median(model_load), 3),
        "first_model_load_in_process_s": r(bench.model_load_s, 2),
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
