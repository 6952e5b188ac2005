"""Re-run the answer checks on a recorded run's model outputs, without the model: minutes instead of half an hour.

    python benchmarks/replay_checks.py benchmarks/results/generality-second-local-final-report.json \
        --set second [--out report.json] [--set-field FIELD=VALUE ...]

A local run of the three sets takes ~35 minutes on two cores; a change to the checks (which run after generation
and do not change the prompt) can be measured by feeding each question the raw text the model gave in a recorded
run. Everything else is real: the index, retrieval, evidence, the checks and the scoring. Earlier turns of a
follow-up were not recorded, so they are answered by the extractive backend (their text only feeds the follow-up's
note). A change to the prompt or to retrieval needs a real run (``bench_generality.py``): the recorded outputs
answer a prompt that no longer exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_generality import SETS, pages_corpus, summary, use_index  # noqa: E402
from rag import evaluation, llm  # noqa: E402
from rag.llm.extractive import ExtractiveLLM  # noqa: E402
from rag.types import LLMRequest  # noqa: E402

_RECORDED: dict[str, list[str]] = {}


class ReplayLLM:
    """Streams the recorded raw text for a question (each attempt in turn); the extractive answer for others."""

    name = "replay"
    context_window = 8192

    def __init__(self) -> None:
        self._served: dict[str, int] = {}
        self._fallback = ExtractiveLLM()

    def stream(self, request: LLMRequest) -> Iterator[str]:
        key = " ".join(request.question.split())
        attempts = _RECORDED.get(key)
        if not attempts:
            yield from self._fallback.stream(request)
            return
        i = self._served.get(key, 0)
        self._served[key] = i + 1
        yield attempts[min(i, len(attempts) - 1)]


def load_recorded(report_path: Path) -> None:
    data = json.loads(report_path.read_text(encoding="utf-8"))
    for r in data["results"]:
        raw = r.get("raw_text") or ""
        parts = raw.rsplit("\n\n", 1) if (r.get("attempts") or 0) >= 2 and "\n\n" in raw else [raw]
        _RECORDED[" ".join(r["question"].split())] = [p for p in parts if p] or [raw]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path, help="a recorded generality report (its raw_text per question)")
    ap.add_argument("--set", dest="set_name", required=True, choices=sorted(SETS))
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-generality"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--set-field", action="append", default=[], metavar="FIELD=VALUE")
    args = ap.parse_args()
    load_recorded(args.report)
    overrides = dict(kv.split("=", 1) for kv in args.set_field)
    if args.set_name == "second":
        use_index(args.work / "second-index", pages_corpus(args.work / "second-corpus"), overrides)
    else:
        use_index(args.work / "seed-index", ROOT / "seeds", overrides)
    llm._BUILTIN["replay"] = f"{__name__}:ReplayLLM"  # a benchmark-only backend, this module (even as __main__)
    report = evaluation.run_eval(evaluation.load_questions(SETS[args.set_name]), backend="replay", k=5, progress=False)
    print(json.dumps(summary(report)))
    if args.out:
        report.save(args.out)


if __name__ == "__main__":
    main()
