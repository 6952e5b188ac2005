"""Answer quality where it was not tuned: the dev and frozen test splits of the seed questions, and a second corpus.

    python benchmarks/bench_generality.py --backends extractive,local,openai [--sets dev,test,second] [--out DIR]

``openai`` without ``--set openai_base_url=…`` starts llama.cpp's OpenAI-compatible server with the same GGUF on a
free 127.0.0.1 port (as ``bench_answer.py`` does) and stops it at the end.

The seed sets run against an index of ``seeds/``; the second corpus (20 real news pages the answer code was never
tuned on, ``eval/second-corpus/``) is decompressed and indexed into a folder of its own. Every figure the issue asks
for is reported per set: correct and cited, contested claims attributed, denials kept, invented entities,
unanswerable abstained, false refusals, follow-ups, two-article questions, TTFT p50.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_answer import start_llama_server  # noqa: E402
from benchmarks.machine import cpu_model  # noqa: E402
from rag import config, evaluation, retrieval  # noqa: E402
from rag.indexing import Indexer  # noqa: E402
from rag.llm import clear_backends  # noqa: E402
from rag.llm.local import prepare  # noqa: E402

SETS = {
    "dev": ROOT / "data" / "questions-dev.jsonl",
    "test": ROOT / "data" / "questions-test.jsonl",
    "second": ROOT / "eval" / "second-corpus" / "questions.jsonl",
    "two-dev": ROOT / "eval" / "two-article" / "questions-dev.jsonl",
    "two-test": ROOT / "eval" / "two-article" / "questions-test.jsonl",
}


def pages_corpus(folder: Path, name: str = "second-corpus") -> Path:
    """The pages of ``eval/<name>/`` as <id>.html files (the names its questions cite)."""
    folder.mkdir(parents=True, exist_ok=True)
    for gz in sorted((ROOT / "eval" / name / "pages").glob("*.html.gz")):
        target = folder / gz.name.removesuffix(".gz")
        if not target.exists():
            target.write_bytes(gzip.decompress(gz.read_bytes()))
    return folder


def use_index(index_dir: Path, corpus: Path, overrides: dict[str, str]) -> None:
    s = config.configure(index_dir=index_dir, seeds_dir=corpus, **overrides)
    retrieval._retrievers.clear()
    clear_backends()
    Indexer(s).update()


def summary(report: evaluation.Report) -> dict[str, Any]:
    m = report.metrics
    rs = report.results
    kinds = report.by_kind

    def share(kind: str) -> float | None:
        return (kinds.get(kind) or {}).get("pass_rate")

    answerable = [r for r in rs if r.answerable]
    return {
        "questions": len(rs),
        "correct_and_cited": m.get("correct_and_cited"),
        "accuracy": m.get("accuracy"),
        "claims_attributed": m.get("claims_attributed"),
        "claims_n": sum(r.attributed is not None for r in rs),
        "denials_kept": m.get("denials_kept"),
        "invented_entities": m.get("invented_entities"),
        "unanswerable_abstained": m.get("abstention_rate"),
        "unanswerable_n": sum(not r.answerable for r in rs),
        "false_refusals": sum(bool(r.abstained) for r in answerable),
        "answerable_n": len(answerable),
        "followups": share("followup"),
        "two_article": share("twoarticle") if "twoarticle" in kinds else share("comparison"),
        "cites_every_source": m.get("cites_every_source"),  # questions that need two articles: both cited
        "ttft_p50_s": m.get("ttft_p50_s"),  # the first checked sentence shown
        "model_ttft_p50_s": m.get("model_ttft_p50_s"),  # the model's first token (never shown unchecked)
        "evidence_p50_s": m.get("evidence_p50_s"),
        "evidence_p95_s": m.get("evidence_p95_s"),
        "key_statements_hit@3": m.get("key_statements_hit@3"),
        "retractions": m.get("retractions"),
        "latency_p50_s": m.get("latency_p50_s"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="extractive,local")
    ap.add_argument("--sets", default="dev,test,second")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-generality"), help="indexes live here")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--tag", default="", help="suffix for the result files, e.g. -no-checks")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a settings field, e.g. "
        "answer_checks=grounding (repeatable): ablations run the same code with a mechanism off",
    )
    args = ap.parse_args()
    overrides = dict(kv.split("=", 1) for kv in args.set)
    server = None
    if "openai" in args.backends.split(",") and "openai_base_url" not in overrides:
        # the same GGUF behind llama.cpp's OpenAI-compatible server on 127.0.0.1, stopped at the end
        server, url = start_llama_server(prepare())
        overrides |= {"openai_base_url": url, "openai_model": "local"}
    cpu = cpu_model()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    out: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "commit": commit.strip(),
        "settings": overrides,
        "runs": {},
    }
    for name in args.sets.split(","):
        if name == "second":
            use_index(args.work / "second-index", pages_corpus(args.work / "second-corpus"), overrides)
        elif name.startswith("two-"):
            use_index(args.work / "two-index", pages_corpus(args.work / "two-article", "two-article"), overrides)
        else:
            use_index(args.work / "seed-index", ROOT / "seeds", overrides)
        questions = evaluation.load_questions(SETS[name])
        for backend in args.backends.split(","):
            t0 = time.perf_counter()
            report = evaluation.run_eval(questions, backend=backend, k=5, progress=False)
            row = summary(report) | {"wall_s": round(time.perf_counter() - t0, 1)}
            out["runs"][f"{name}/{backend}"] = row
            print(name, backend, json.dumps(row), flush=True)
            report.save(args.out / f"generality-{name}-{backend}{args.tag}-report.json")
    (args.out / f"generality{args.tag}.json").write_text(json.dumps(out, indent=2))
    if server is not None:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
