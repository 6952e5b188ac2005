"""Retrieval on every labelled set, single- and two-article questions apart, beside a naive pipeline.

    python benchmarks/bench_retrieval_sets.py [--sets dev,test,second,two-dev,two-test] [--set KEY=VALUE ...]
        [--work /tmp/bench-retrieval-sets] [--out FILE] [--no-naive]

For each set: its corpus is indexed (cached under ``--work``), then every answerable question is searched as the
answer path searches it (a follow-up resolved as the pipeline does, ``Retriever.retrieve`` with its parts). Reported:

* single-article questions: answer-bearing hit@1 / @3 / @5 (a top-k passage from the expected article holding a key
  phrase in what a reader sees of it: title, date line and text, as ``rag eval`` counts it);
* questions that need two or more articles: every needed article in the top 5 (``all_sources@5``), and every key
  phrase found in the top 5 (``all_answers@5``).

The naive pipeline, run beside it on the same documents (the project's readers), is whole-text 200-word chunks,
MiniLM, cosine top-k. ``--set`` overrides a retrieval setting (``retrieval.article_penalty=0.1``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.bench_generality import pages_corpus  # noqa: E402
from benchmarks.machine import cpu_model  # noqa: E402
from rag import config  # noqa: E402
from rag.answering.followup import resolve_query  # noqa: E402
from rag.embedding import get_embedder  # noqa: E402
from rag.evaluation import load_questions  # noqa: E402
from rag.evaluation.questions import Question, contains_any_phrase  # noqa: E402
from rag.evaluation.runner import shown_text  # noqa: E402
from rag.indexing import Indexer  # noqa: E402
from rag.ingest import iter_files, read_document  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402

SETS: dict[str, tuple[Path, str]] = {  # questions, corpus
    "dev": (ROOT / "data" / "questions-dev.jsonl", "seeds"),
    "test": (ROOT / "data" / "questions-test.jsonl", "seeds"),
    "second": (ROOT / "eval" / "second-corpus" / "questions.jsonl", "second"),
    "two-dev": (ROOT / "eval" / "two-article" / "questions-dev.jsonl", "two"),
    "two-test": (ROOT / "eval" / "two-article" / "questions-test.jsonl", "two"),
}
PAGES = {"second": "second-corpus", "two": "two-article"}  # folders under eval/
Hit = tuple[str, str]  # (source, text)


def corpus_folder(name: str, work: Path) -> Path:
    """The corpus as files the indexer reads: the seeds as they are, gzip pages decompressed to ``<id>.html``."""
    return ROOT / "seeds" if name == "seeds" else pages_corpus(work / f"{name}-pages", PAGES[name])


def project_search(corpus: Path, index_dir: Path, overrides: dict[str, str]) -> Callable[[str, int], list[Hit]]:
    s = config.configure(index_dir=index_dir, seeds_dir=corpus, **overrides)
    Indexer(s).update()
    retriever = Retriever(s, get_embedder(s.embedding_model))
    return lambda q, k: [(p.source, shown_text(p)) for p in retriever.retrieve(q, k)]


def naive_search(corpus: Path, words: int = 200) -> Callable[[str, int], list[Hit]]:
    """Whole-text ``words``-word chunks of each document, embedded with the same model, cosine top-k."""
    chunks: list[Hit] = []
    for path, warning in iter_files([corpus]):
        if warning:
            continue
        try:
            doc = read_document(path)
        except Exception:  # noqa: BLE001 - a page the project skips is skipped here too
            continue
        ws = doc.text.split()
        chunks += [(path.name, " ".join(ws[i : i + words])) for i in range(0, max(len(ws), 1), words)]
    emb = get_embedder(config.get_settings().embedding_model)
    vecs = emb.embed([t for _, t in chunks])

    def search(q: str, k: int) -> list[Hit]:
        sims = vecs @ emb.embed([q])[0]
        return [chunks[i] for i in np.argsort(-sims)[:k]]

    return search


def score(questions: Sequence[Question], search: Callable[[str, int], list[Hit]]) -> dict[str, Any]:
    single: dict[str, list[float]] = {"answer_hit@1": [], "answer_hit@3": [], "answer_hit@5": []}
    multi: dict[str, list[float]] = {"all_sources@5": [], "all_answers@5": []}
    misses: list[str] = []
    times: list[float] = []
    for q in questions:
        if not q.answerable or not q.sources:
            continue
        history = [{"role": "user", "content": t} for t in q.turns[:-1]] or None
        t0 = time.perf_counter()
        hits = search(resolve_query(q.question, history), 5)
        times.append(time.perf_counter() - t0)
        wanted = set(q.sources)
        if len(wanted) == 1:
            for c in (1, 3, 5):
                ok = any(s in wanted and contains_any_phrase(t, q.answers) for s, t in hits[:c])
                single[f"answer_hit@{c}"].append(float(ok))
            if not single["answer_hit@3"][-1]:
                misses.append(q.id)
        else:
            multi["all_sources@5"].append(float(wanted <= {s for s, _ in hits}))
            found = all(any(s in wanted and contains_any_phrase(t, [a]) for s, t in hits) for a in q.answers)
            multi["all_answers@5"].append(float(found))
            if not multi["all_sources@5"][-1]:
                misses.append(q.id)
    out: dict[str, Any] = {"single": len(single["answer_hit@1"]), "multi": len(multi["all_sources@5"])}
    out |= {k: round(statistics.mean(v), 3) if v else None for k, v in (single | multi).items()}
    out["p50_ms"] = round(1000 * statistics.median(times), 1) if times else None
    out["misses"] = misses
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a setting, e.g. split_questions=false"
    )
    p.add_argument("--work", type=Path, default=Path("/tmp/bench-retrieval-sets"))
    p.add_argument("--out", type=Path)
    p.add_argument("--no-naive", action="store_true")
    args = p.parse_args(argv)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    results: dict[str, Any] = {"cpu": cpu_model(), "settings": overrides, "sets": {}}
    searches: dict[str, tuple[Callable[[str, int], list[Hit]], Callable[[str, int], list[Hit]] | None]] = {}
    for name in args.sets.split(","):
        qfile, corpus_name = SETS[name]
        if not qfile.exists():
            print(f"{name}: {qfile} is missing, skipped", file=sys.stderr)
            continue
        if corpus_name not in searches:
            corpus = corpus_folder(corpus_name, args.work)
            tag = f"{corpus_name}-{config.get_settings().embedding_model}".replace("/", "_")
            searches[corpus_name] = (
                project_search(corpus, args.work / f"index-{tag}", _nested(overrides)),
                None if args.no_naive else naive_search(corpus),
            )
        project, naive = searches[corpus_name]
        qs = load_questions(qfile)
        row = {"project": score(qs, project)}
        if naive is not None:
            row["naive"] = score(qs, naive)
        if "dev" not in name:  # frozen sets: their failures are never read (docs/evaluation-sets.md)
            for r in row.values():
                r.pop("misses")
        results["sets"][name] = row
        print(name, json.dumps(row), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _nested(overrides: dict[str, str]) -> dict[str, Any]:
    """``retrieval.x=1`` → ``{"retrieval": {"x": "1"}}``; flat keys stay as they are (pydantic converts the text)."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = value
        else:
            out[key] = value
    return out


if __name__ == "__main__":
    raise SystemExit(main())
