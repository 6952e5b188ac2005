"""``python -m benchmarks.retrieval [--parts a,c] [--quick] [--prepare] ...``: run the parts, merge into the JSON."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.machine import loadavg
from benchmarks.retrieval import __doc__ as package_doc
from benchmarks.retrieval import build, ingestion, latency, questions, reindex, vaswani
from benchmarks.retrieval.common import ROOT, log, machine, omp_policy, settings_for
from benchmarks.retrieval.indexes import Bench
from benchmarks.retrieval.report import markdown, print_table
from rag.embedding import SentenceTransformerEmbedder, ServerEmbedder

#: part letter -> the module that measures it (``run(bench) -> dict``)
PARTS: dict[str, ModuleType] = {
    "a": build,
    "b": ingestion,
    "c": latency,
    "d": reindex,
    "e": vaswani,
    "f": questions,
}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.retrieval",
        description=package_doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
        return latency.worker(args)
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
    s = settings_for(bench.tmp)
    # both backends batch their input; the Embedder protocol does not say so
    emb_batch = bench.emb.batch_size if isinstance(bench.emb, (SentenceTransformerEmbedder, ServerEmbedder)) else None
    # parts measured now replace the old figures; the others are kept from the last run
    res: dict[str, Any] = {k: v for k, v in previous.items() if k not in parts and k != "errors"}
    if previous.get("errors"):
        res["errors"] = {k: v for k, v in previous["errors"].items() if k not in parts}
    res.update(
        {
            "machine": machine(),
            "quick": args.quick,
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "loadavg_start": la0,
            "embedding_model": bench.emb.name,
            "omp_wait_policy": omp_policy(),
            "settings": {
                "chunk_size": s.chunk_size,
                "chunk_overlap": s.chunk_overlap,
                "embedding_batch_size": emb_batch,
                "DENSE_WEIGHT": s.retrieval.dense_weight,
                "CANDIDATES": s.retrieval.candidates,
            },
        }
    )
    try:
        for part in parts:
            t = time.perf_counter()
            la = loadavg()
            try:
                out = PARTS[part].run(bench)
            except Exception as exc:  # noqa: BLE001 - keep the other parts' figures
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
