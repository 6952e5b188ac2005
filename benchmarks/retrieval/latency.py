"""Part (c): retrieval latency p50/p95 through Retriever.retrieve, warm, on the seeds and on >= 100,000 chunks.

The synthetic index holds noisy copies of the Vaswani chunk vectors with their real texts; a ``since`` filter
run measures the filtered path; the same index is timed under the other OpenMP wait policy in a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.retrieval.common import (
    QUESTIONS,
    ROOT,
    TARGET_P50_MS,
    StageTimer,
    log,
    median,
    omp_policy,
    pct,
    r,
    settings_for,
    vaswani_dir,
)
from benchmarks.retrieval.indexes import Bench
from rag.evaluation import load_questions, parse_trec_topics
from rag.retrieval import Retriever


def measure(bench: Bench, index_dir: Path, queries: list[str], label: str, **filters: Any) -> dict[str, Any]:
    ret = Retriever(settings_for(index_dir), bench.emb)
    for q in queries[:30]:  # warm-up: lexical index load, HNSW load, caches
        ret.retrieve(q, 5, **filters)
    p50s, p95s, means = [], [], []
    n_results: list[int] = []
    for _ in range(bench.runs):
        times = []
        for q in queries:
            t = time.perf_counter()
            out = ret.retrieve(q, 5, **filters)
            times.append((time.perf_counter() - t) * 1000)
            n_results.append(len(out))
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
        "runs": bench.runs,
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


def run(bench: Bench) -> dict[str, Any]:
    log("(c) retrieval latency (warm, k=5, model load excluded)")
    qs = load_questions(QUESTIONS)
    seed_queries = [q.question for q in qs]
    vq = list(parse_trec_topics(vaswani_dir() / "query-text.trec").values())
    out: dict[str, Any] = {}
    out["seeds"] = measure(bench, bench.seeds_index(), seed_queries, "seeds")
    path, marker = bench.synthetic_index()
    queries = vq + seed_queries
    out["synthetic"] = measure(bench, path, queries, "synthetic")
    out["synthetic"]["build"] = marker
    out["synthetic_since_filter"] = measure(bench, path, queries, "synthetic, since=2023-01-01", since="2023-01-01")
    out["omp_wait_policy"] = omp_policy()
    if not bench.args.no_variant:
        other = "default (unset)" if os.environ.get("OMP_WAIT_POLICY") else "PASSIVE"
        env = os.environ.copy()
        env.pop("OMP_WAIT_POLICY", None)
        if other == "PASSIVE":
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        log(f"  side by side: the synthetic index with OMP_WAIT_POLICY={other} (subprocess)")
        cmd = [sys.executable, "-m", "benchmarks.retrieval", "--latency-worker", str(path), "--runs", str(bench.runs)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600, cwd=ROOT)
        line = [x for x in proc.stdout.splitlines() if x.startswith("WORKER-JSON ")]
        if line:
            out["synthetic_other_omp_policy"] = json.loads(line[-1][len("WORKER-JSON ") :]) | {"omp_wait_policy": other}
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


def latency_queries() -> list[str]:
    vq = list(parse_trec_topics(vaswani_dir() / "query-text.trec").values())
    return vq + [q.question for q in load_questions(QUESTIONS)]


def worker(args: argparse.Namespace) -> int:
    """Subprocess for the side-by-side run under the other OpenMP wait policy: prints one JSON line."""
    args.quick, args.rebuild = True, False
    bench = Bench(args)
    try:
        res = measure(bench, args.latency_worker, latency_queries(), f"worker OMP_WAIT_POLICY={omp_policy()}")
    finally:
        bench.close()
    print("WORKER-JSON " + json.dumps(res))
    return 0
