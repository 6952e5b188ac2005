"""Answer quality and latency per backend on the project's labelled questions.

Runs `rag eval` (answer mode) for the default local model, the extractive
baseline and the openai backend pointed at a real llama.cpp server on
127.0.0.1 serving the same GGUF. Not a test: results go to
benchmarks/results/answer.{json,md} and the README.

    python benchmarks/bench_answer.py [--backends local,extractive,openai] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import config, evaluation, retrieval  # noqa: E402
from rag.indexing import Indexer  # noqa: E402
from rag.llm import clear_backends  # noqa: E402
from rag.llm.local import prepare  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_llama_server(model: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            str(os.cpu_count() or 2),
            "--verbose",
            "False",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("llama.cpp server did not start")


def summarise(report: evaluation.Report) -> dict[str, Any]:
    m = report.metrics
    answerable = [r for r in report.results if r.answerable]
    short_right = [r for r in answerable if r.correct and len((r.answer_text or "").split()) <= 80]
    supported = [r for r in short_right if r.citation_supported]
    first = [r.ttft_s for r in report.results if r.ttft_s is not None and len(r.turns) == 1]
    follow = [r.ttft_s for r in report.results if r.ttft_s is not None and len(r.turns) > 1]
    unans = [r for r in report.results if not r.answerable]
    followups = [r for r in answerable if len(r.turns) > 1]
    return {
        "questions": len(report.results),
        "answerable": len(answerable),
        "accuracy": m.get("accuracy"),
        "correct_in_80_words": len(short_right) / max(1, len(answerable)),
        "correct_and_cited_support": len(supported) / max(1, len(answerable)),
        "unanswerable_abstained": f"{sum(1 for r in unans if r.abstained)}/{len(unans)}",
        "false_abstention_rate": m.get("false_abstention_rate"),
        "followups_right": f"{sum(1 for r in followups if r.correct)}/{len(followups)}",
        "citation_validity_raw": m.get("citation_validity"),
        "citation_support": m.get("citation_support"),
        "ttft_p50_first_s": statistics.median(first) if first else None,
        "ttft_p50_followup_s": statistics.median(follow) if follow else None,
        "latency_p50_s": m.get("latency_p50_s"),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="local,extractive,openai")
    ap.add_argument("--limit", type=int, default=None, help="first N questions only")
    ap.add_argument("--questions", type=Path, default=ROOT / "data" / "questions.jsonl")
    args = ap.parse_args()

    index_dir = Path(tempfile.mkdtemp(prefix="bench-answer-"))
    s = config.configure(index_dir=index_dir)
    Indexer(s).update()
    retrieval._retrievers.clear()
    questions = evaluation.load_questions(args.questions)[: args.limit]
    out: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_avg_before": os.getloadavg(),
        "local_model": s.local_model,
        "prompt_budget": s.prompt_budget,
        "backends": {},
    }
    for name in args.backends.split(","):
        server = None
        if name == "openai":
            server, url = start_llama_server(prepare())
            config.configure(index_dir=index_dir, openai_base_url=url, openai_model="local")
        clear_backends()
        t0 = time.perf_counter()
        try:
            report = evaluation.run_eval(questions, backend=name, k=5, progress=True)
        finally:
            if server:
                server.terminate()
                server.wait(timeout=30)
            config.configure(index_dir=index_dir)
        row = summarise(report)
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        out["backends"][name] = row
        (RESULTS / f"answer-{name}-report.json").write_text(report.to_json())
        print(name, json.dumps(row, indent=1), flush=True)
    out["load_avg_after"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "answer.json").write_text(json.dumps(out, indent=2))
    keys = list(next(iter(out["backends"].values())).keys())
    lines = ["| metric | " + " | ".join(out["backends"]) + " |", "|---|" + "---|" * len(out["backends"])]
    for k in keys:
        cells = []
        for row in out["backends"].values():
            v = row[k]
            cells.append(f"{v:.2f}" if isinstance(v, float) else str(v))
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    (RESULTS / "answer.md").write_text(
        f"Machine: {out['machine']}; load average before {out['load_avg_before']}, after {out['load_avg_after']}; "
        f"local model {out['local_model']}, prompt budget {out['prompt_budget']} tokens.\n\n" + "\n".join(lines) + "\n"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
