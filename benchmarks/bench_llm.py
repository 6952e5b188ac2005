"""Time to first token and decode speed of the packaged local models on realistic prompts.

Prompts are built by ``rag.answering.evidence.build_request`` from seed passages
(windows of the seed articles ranked by lexical overlap with the question,
standing in for retrieval so the numbers do not depend on an index).
Each model is loaded once; the first pass over the prompts is reported apart
("TTFT 1st"); later passes cycle through the prompts so only the shared
system-prompt prefix is reused, as between turns of a real chat.

    python benchmarks/bench_llm.py [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--runs 3] [--grammar]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answering.evidence import build_request  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.llm.local import LocalLLM, prepare  # noqa: E402
from rag.text.terms import lexical_terms  # noqa: E402
from rag.text.tokens import estimate_prompt_tokens  # noqa: E402
from rag.types import Passage  # noqa: E402

QUESTIONS = [
    "What memorandum did Russia and Belarus sign when Lavrov met Aleinik in January 2023?",
    "What did Lukashenko say about the trade balance between Belarus and Russia?",
    "What did Lavrov accuse the West of giving Moscow over Ukraine in June 2024?",
    "Who said 'We don't need such security' about a European security architecture without Russia and Belarus?",
]


def seed_windows(size: int = 900, step: int = 700) -> list[Passage]:
    out = []
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        for i in range(0, len(text), step):
            body = text[i : i + size]
            out.append(
                Passage(
                    text=body,
                    score=0.0,
                    similarity=0.0,
                    source=f.name,
                    title=f.stem,
                    publisher=None,
                    url=None,
                    date=None,
                    chunk_id=f"{f.name}:{i}",
                    start=i,
                    end=i + len(body),
                )
            )
    return out


def top_passages(question: str, windows: list[Passage], k: int = 5) -> list[Passage]:
    q = set(lexical_terms([question])[0])
    terms = lexical_terms([w.text for w in windows])
    order = sorted(range(len(windows)), key=lambda i: -len(q & set(terms[i])))
    return [windows[i] for i in order[:k]]


def bench_model(
    name: str, runs: int, grammar: bool, budget: int, max_tokens: int, questions: list[str]
) -> dict[str, object]:
    path = prepare(name)
    threads = int(os.environ.get("RAG_N_THREADS", "2"))
    llm = LocalLLM(Settings(n_ctx=2048, n_threads=threads), model_path=path)
    t0 = time.perf_counter()
    llm.load()
    load_s = time.perf_counter() - t0
    windows = seed_windows()
    cold: list[float] = []
    ttfts: list[float] = []
    rates: list[float] = []
    prompt_tokens: list[int] = []
    new_tokens: list[int] = []  # beyond the system prompt, which llama.cpp keeps evaluated between questions
    reading: list[float] = []  # new prompt tokens per second of time to first token: the model's reading rate
    samples: list[str] = []
    requests = []
    for q in questions:
        req, _ = build_request(
            q, top_passages(q, windows), budget_tokens=budget, max_tokens=max_tokens, grammar=grammar
        )
        real = llm.count_tokens(f"{req.system}\n{req.user}")
        prompt_tokens.append(real)
        new_tokens.append(real - llm.count_tokens(req.system))
        assert real <= estimate_prompt_tokens(req.system, req.user), "budget estimate undercounts"
        requests.append(req)
    # pass 0 is cold; later passes cycle through the prompts so consecutive prompts differ and
    # only the shared system-prompt prefix is reused (as in a real conversation)
    for r in range(runs + 1):
        for req, fresh in zip(requests, new_tokens, strict=True):
            t = time.perf_counter()
            first: float | None = None
            pieces = []
            for d in llm.stream(req):
                if first is None:
                    first = time.perf_counter() - t
                pieces.append(d)
            total = time.perf_counter() - t
            out = "".join(pieces)
            n_out = llm.count_tokens(out) if out else 0
            ttft = first if first is not None else total
            if r == 0:
                cold.append(ttft)
                samples.append(out)
            else:
                ttfts.append(ttft)
                reading.append(fresh / ttft)
                if total > ttft and n_out > 1:
                    rates.append((n_out - 1) / (total - ttft))
    llm.close()
    return {
        "model": name,
        "grammar": grammar,
        "load_s": round(load_s, 2),
        "prompt_tokens_median": statistics.median(prompt_tokens),
        "ttft_first_s": round(statistics.median(cold), 2),
        "ttft_warm_s": round(statistics.median(ttfts), 2),
        "tok_per_s": round(statistics.median(rates), 1) if rates else None,
        "new_prompt_tokens_median": statistics.median(new_tokens),
        "prompt_read_tok_per_s": round(statistics.median(reading), 1) if reading else None,
        "samples": samples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per prompt after the first")
    ap.add_argument("--grammar", action="store_true", help="also measure GBNF-constrained decoding")
    ap.add_argument("--budget", type=int, default=Settings().prompt_budget, help="per-question prompt tokens")
    ap.add_argument("--max-tokens", type=int, default=80)
    ap.add_argument("--questions", type=int, default=len(QUESTIONS), help="how many of the built-in questions")
    ap.add_argument("--json", type=Path, help="write the results here too")
    args = ap.parse_args()
    results = []
    for name in args.models.split(","):
        for g in [False, True] if args.grammar else [False]:
            res = bench_model(name, args.runs, g, args.budget, args.max_tokens, QUESTIONS[: args.questions])
            results.append(res)
            for s in res["samples"]:  # type: ignore[attr-defined]
                print(f"  [{name}{' +grammar' if g else ''}] {s!r}", flush=True)
            print({k: v for k, v in res.items() if k != "samples"}, flush=True)  # partial results survive a kill
    print(f"\nload avg at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = f"{'model':<22}{'grammar':>8}{'load s':>8}{'prompt tok':>11}{'TTFT 1st':>10}{'TTFT warm':>10}{'tok/s':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['model']:<22}{'yes' if r['grammar'] else 'no':>8}{r['load_s']:>8}{r['prompt_tokens_median']:>11}"
            f"{r['ttft_first_s']:>10}{r['ttft_warm_s']:>10}{r['tok_per_s']!s:>7}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
