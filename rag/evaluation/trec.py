"""TREC collections (documents, topics, qrels) and any retriever scored on one, the project's own included."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from rag.config import get_settings
from rag.errors import InputError
from rag.evaluation.metrics import average_precision, ndcg_at_k, precision_at_k, recall_at_k, reciprocal_rank
from rag.evaluation.report import QuestionResult, Report, RetrievedItem, _mean, _percentile
from rag.indexing import Indexer
from rag.retrieval import Retriever
from rag.types import Document

SearchFn = Callable[[str, int], Sequence[str]]


_DOC = re.compile(r"<DOC>(.*?)</DOC>", re.DOTALL | re.IGNORECASE)
_DOCNO = re.compile(r"<DOCNO>\s*(.*?)\s*</DOCNO>", re.DOTALL | re.IGNORECASE)
_TOP = re.compile(r"<top>(.*?)</top>", re.DOTALL | re.IGNORECASE)
_NUM = re.compile(r"<num>\s*(?:Number:\s*)?([^<\s]+)", re.IGNORECASE)
_TITLE = re.compile(r"<title>\s*(?:Topic:\s*)?(.*?)\s*(?=<|\Z)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _read(path: str | Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read TREC {what} ({exc.strerror or exc})") from None


def iter_trec_docs(path: str | Path) -> Iterator[tuple[str, str]]:
    """(docno, text) pairs from <DOC><DOCNO>..</DOCNO>text</DOC> blocks; other tags are dropped."""
    text = _read(path, "documents")
    for i, m in enumerate(_DOC.finditer(text), start=1):
        body = m.group(1)
        no = _DOCNO.search(body)
        if not no or not no.group(1):
            line = text.count("\n", 0, m.start()) + 1
            raise InputError(f"{path}:{line}: document #{i} has no <DOCNO>")
        content = _TAG.sub(" ", body[: no.start()] + body[no.end() :])
        yield no.group(1), " ".join(content.split())


def parse_trec_docs(path: str | Path) -> dict[str, str]:
    """All documents of a TREC file keyed by docno (duplicates are an error)."""
    docs: dict[str, str] = {}
    for docno, text in iter_trec_docs(path):
        if docno in docs:
            raise InputError(f"{path}: duplicate DOCNO {docno!r}")
        docs[docno] = text
    if not docs:
        raise InputError(f"{path}: no <DOC> blocks found")
    return docs


def parse_trec_topics(path: str | Path) -> dict[str, str]:
    """Topic number -> title query, from <top><num>..</num><title>..</title></top> blocks."""
    text = _read(path, "topics")
    topics: dict[str, str] = {}
    for m in _TOP.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        num, title = _NUM.search(m.group(1)), _TITLE.search(m.group(1))
        if not num:
            raise InputError(f"{path}:{line}: topic without <num>")
        if not title or not title.group(1).strip():
            raise InputError(f"{path}:{line}: topic {num.group(1)} has no <title>")
        topics[num.group(1)] = " ".join(title.group(1).split())
    if not topics:
        raise InputError(f"{path}: no <top> blocks found")
    return topics


def parse_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """qid -> {docno: relevance} from 'qid iteration docno rel' lines."""
    qrels: dict[str, dict[str, int]] = {}
    for lineno, line in enumerate(_read(path, "qrels").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise InputError(f"{path}:{lineno}: expected 'qid iter docno rel', got {line.strip()!r}")
        try:
            rel = int(parts[3])
        except ValueError:
            raise InputError(f"{path}:{lineno}: relevance {parts[3]!r} is not an integer") from None
        qrels.setdefault(parts[0], {})[parts[2]] = rel
    if not qrels:
        raise InputError(f"{path}: no judgements found")
    return qrels


def evaluate_run(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    depth: int = 100,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-topic nDCG@10, P@10, recall@10/@depth, MAP and MRR (trec_eval conventions).

    Only topics with at least one relevant judgement count; a judged topic missing
    from the run scores zero, as in trec_eval -c.
    """
    per: dict[str, dict[str, float]] = {}
    for qid, judged in qrels.items():
        relevant = {d for d, r in judged.items() if r > 0}
        if not relevant:
            continue
        ranked = list(dict.fromkeys(run.get(qid, [])))[:depth]
        gains = {d: float(r) for d, r in judged.items() if r > 0}
        per[qid] = {
            "ndcg@10": ndcg_at_k(ranked, gains, 10),
            "p@10": precision_at_k(ranked, relevant, 10),
            "recall@10": recall_at_k(ranked, relevant, 10),
            f"recall@{depth}": recall_at_k(ranked, relevant, depth),
            "map": average_precision(ranked, relevant),
            "mrr": reciprocal_rank(ranked, relevant),
        }
    names = list(next(iter(per.values()))) if per else []
    means = {n: sum(v[n] for v in per.values()) / len(per) for n in names}
    return means, per


def run_trec_eval(
    docs_path: str | Path,
    topics_path: str | Path,
    qrels_path: str | Path,
    *,
    search_fn: SearchFn,
    index_fn: Callable[[Mapping[str, str]], None] | None = None,
    depth: int = 100,
    progress: bool = True,
    limit: int | None = None,
) -> Report:
    """Score any retriever on a TREC collection; each document is its own source.

    `index_fn(docs)` (optional) is handed {docno: text} to build an index first;
    `search_fn(query, k)` must return ranked docnos. `limit` caps the topic count
    for quick runs.
    """
    docs = parse_trec_docs(docs_path)
    topics = parse_trec_topics(topics_path)
    qrels = parse_qrels(qrels_path)
    unknown = sum(1 for j in qrels.values() for d in j if d not in docs)
    if index_fn is not None:
        index_fn(docs)
    todo = [(qid, title) for qid, title in topics.items() if qid in qrels]
    if limit is not None:
        todo = todo[:limit]
    run: dict[str, list[str]] = {}
    times: dict[str, float] = {}

    def one(qid: str, title: str) -> None:
        t0 = time.perf_counter()
        run[qid] = [str(d) for d in search_fn(title, depth)]
        times[qid] = time.perf_counter() - t0

    if progress:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            for qid, title in bar.track(todo, description="trec topics"):
                one(qid, title)
    else:
        for qid, title in todo:
            one(qid, title)
    means, per = evaluate_run(run, {q: qrels[q] for q, _ in todo}, depth)
    results = [
        QuestionResult(
            id=qid,
            question=title,
            turns=[title],
            kind="trec",
            answerable=True,
            expected_sources=sorted(d for d, r in qrels[qid].items() if r > 0),
            answers=[],
            query=title,
            retrieved=[RetrievedItem(d, d, 0.0, 0.0, qrels[qid].get(d, 0) > 0, "") for d in run[qid][:10]],
            retrieval=per.get(qid, {}),
            total_s=times[qid],
        )
        for qid, title in todo
    ]
    metrics: dict[str, float | None] = {
        "topics": float(len(per)),
        "docs": float(len(docs)),
    }
    metrics.update(means)
    metrics["latency_mean_s"] = _mean(times.values())
    metrics["latency_p95_s"] = _percentile(times.values(), 95)
    return Report(
        metrics=metrics,
        results=results,
        k=10,
        retrieval_only=True,
        kind="trec",
        meta={
            "docs_path": str(docs_path),
            "depth": depth,
            "qrels_docs_not_in_collection": unknown,
        },
    )


def run_trec(
    docs_path: str | Path,
    topics_path: str | Path,
    qrels_path: str | Path,
    *,
    k: int = 10,
    depth: int = 100,
    progress: bool = True,
    index_dir: Path | None = None,
) -> Report:
    """A TREC collection through the project's own index and hybrid retriever.

    Each TREC document becomes one indexed document (no page cleaning: the
    collection is already text), in its own index folder, which is reused
    when the same collection is evaluated again.
    """

    base = get_settings()
    folder = index_dir or Path(base.model_cache_dir) / "trec" / Path(docs_path).resolve().parent.name
    s = base.model_copy(update={"index_dir": folder, "chroma_url": None, "collection": "trec"})

    def index_fn(docs: Mapping[str, str]) -> None:
        Indexer(s).add_documents(Document(source=d, path=f"trec:{d}", text=t) for d, t in docs.items() if t.strip())

    retriever: list[Retriever] = []

    def search_fn(query: str, n: int) -> list[str]:
        if not retriever:
            retriever.append(Retriever(s))
        ranked: list[str] = []
        for p in retriever[0].retrieve(query, k=max(n, k)):
            if p.source not in ranked:
                ranked.append(p.source)
        return ranked

    return run_trec_eval(
        docs_path, topics_path, qrels_path, search_fn=search_fn, index_fn=index_fn, depth=depth, progress=progress
    )
