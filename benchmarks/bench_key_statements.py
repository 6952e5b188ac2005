"""Key statements without a model: do the top 1 and 3 hold the answer, and how soon are they ready?

    python benchmarks/bench_key_statements.py [--work /tmp/bench-keys] [--large] [--out FILE]

For every question of dev, test (seed index) and the second corpus (its own index), ``evidence_only`` picks the
key statements exactly as the chat does before its model call; a statement "holds the answer" when it, with its
speaker's name as the reader sees it, contains an expected answer phrase (the evaluation's own matcher). Times
are warm (models loaded, one question asked first) and cover retrieval, evidence selection and grouping.
``--large`` also times them on an index of 300+ articles (seeds, second corpus, the article-extraction
benchmark's development pages and Vaswani abstracts as articles). ``--budgets 520,400`` measures what a
smaller prompt costs instead: for each prompt budget and layout, the per-question prompt's cl100k tokens (p50)
and for how many answerable questions the sources the model is given hold an expected answer.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_generality import SETS, pages_corpus, use_index  # noqa: E402
from benchmarks.machine import machine_info  # noqa: E402
from rag import config, evaluation  # noqa: E402
from rag.answering import evidence_only  # noqa: E402
from rag.answering.pipeline import choose_evidence, find_passages  # noqa: E402
from rag.evaluation.questions import contains_any_phrase  # noqa: E402
from rag.evaluation.runner import key_hits  # noqa: E402
from rag.text.tokens import count_tokens  # noqa: E402

#: prompt layouts compared by --budgets: (name, EvidenceTuning overrides)
LAYOUTS = {
    "question twice, titles": {"question_first": True, "title_overlap": 1.0},
    "question once, titles": {"question_first": False, "title_overlap": 1.0},
    "question once, new-word titles": {"question_first": False, "title_overlap": 0.6},
}

EXTRACTION = ROOT.parent / "shared" / "eval" / "article-extraction-benchmark" / "html"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_set(name: str) -> dict[str, Any]:
    questions = evaluation.load_questions(SETS[name])
    evidence_only(questions[0].question)  # warm: the embedding model and the index are loaded
    hits: dict[str, list[bool]] = {"1": [], "3": []}
    seconds: list[float] = []
    misses: list[str] = []
    for q in questions:
        history = [
            m for t in q.turns[:-1] for m in ({"role": "user", "content": t}, {"role": "assistant", "content": ""})
        ]
        t0 = time.perf_counter()
        ev = evidence_only(q.question, history or None)
        seconds.append(time.perf_counter() - t0)
        if q.answerable and q.answers:
            got = key_hits(ev, q.answers)
            for n in hits:
                hits[n].append(got[n])
            if not got["3"]:
                misses.append(q.id)
    return {
        "questions": len(questions),
        "answerable": len(hits["3"]),
        "hit@1": statistics.mean(hits["1"]) if hits["1"] else None,
        "hit@3": statistics.mean(hits["3"]) if hits["3"] else None,
        "evidence_p50_s": percentile(seconds, 50),
        "evidence_p95_s": percentile(seconds, 95),
        "misses@3": misses,
    }


def _history(turns: list[str]) -> list[dict[str, str]] | None:
    """Earlier turns of a follow-up as the chat would pass them (the answers' text does not change retrieval)."""
    return [m for t in turns for m in ({"role": "user", "content": t}, {"role": "assistant", "content": ""})] or None


def prompt_costs(name: str, budget: int, layout: dict[str, Any]) -> dict[str, Any]:
    """Tokens p50 of the per-question prompt, and answerable questions whose given sources hold an answer."""
    base = config.get_settings()
    config.configure(
        index_dir=base.index_dir,
        seeds_dir=base.seeds_dir,
        prompt_budget=budget,
        evidence=base.evidence.model_copy(update=layout),
    )
    tokens: list[int] = []
    held = answerable = 0
    for q in evaluation.load_questions(SETS[name]):
        found = find_passages(q.question, _history(list(q.turns[:-1])), None, None, None, None)
        if found.gated:
            continue
        choose_evidence(found, None)
        assert found.request is not None
        tokens.append(count_tokens(found.request.user))
        if q.answerable and q.answers:
            answerable += 1
            sources = "".join(re.findall(r"<source.*?</source>", found.request.user, re.S))
            held += contains_any_phrase(sources, q.answers)
    config.configure(index_dir=base.index_dir, seeds_dir=base.seeds_dir)
    return {"tokens_p50": statistics.median(tokens) if tokens else None, "answer_in_evidence": held, "of": answerable}


def large_corpus(folder: Path, vaswani_docs: int = 220) -> Path:
    """300+ articles: the seeds, the second corpus, the extraction benchmark's pages (some are the second
    corpus's), Vaswani abstracts."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in sorted((ROOT / "seeds").glob("*.txt")):
        (folder / f.name).write_bytes(f.read_bytes())
    pages_corpus(folder)
    for gz in sorted(EXTRACTION.glob("*.html.gz")):
        target = folder / gz.name.removesuffix(".gz")
        if not target.exists():
            target.write_bytes(gzip.decompress(gz.read_bytes()))
    docs = evaluation.parse_trec_docs(ROOT / "eval" / "vaswani" / "doc-text.trec")
    for doc_id, text in list(docs.items())[:vaswani_docs]:
        (folder / f"vaswani-{doc_id}.txt").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-keys"))
    ap.add_argument("--large", action="store_true", help="also time them on a 300+ article index")
    ap.add_argument("--budgets", help="comma-separated prompt budgets: measure what a smaller prompt costs")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    results: dict[str, Any] = {"machine": machine_info(["sentence-transformers", "chromadb"])}
    budgets = [int(b) for b in args.budgets.split(",")] if args.budgets else []
    indexes = {
        "seeds": (args.work / "seed-index", ROOT / "seeds", ("dev", "test")),
        "second": (args.work / "second-index", pages_corpus(args.work / "second-corpus"), ("second",)),
    }
    for index_dir, corpus, names in indexes.values():
        use_index(index_dir, corpus, {})
        for name in names:
            if budgets:
                results[name] = {
                    f"{budget} / {layout}": prompt_costs(name, budget, over)
                    for budget in budgets
                    for layout, over in LAYOUTS.items()
                }
            else:
                results[name] = run_set(name)
    if args.large:
        corpus = large_corpus(args.work / "large-corpus")
        use_index(args.work / "large-index", corpus, {})
        results["large_articles"] = len(list(corpus.iterdir()))
        for name in ("dev", "test"):
            results[f"{name}@large"] = run_set(name)
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
