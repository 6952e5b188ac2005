"""Evaluation engine behind `rag eval`: labelled questions in, metrics out.

Retrieval is scored against the expected source files, answers against short key
phrases, so that a change to chunking, ranking, prompting or abstention shows up as
a number that can be compared with a stored baseline instead of by eyeballing.
The runner takes the retrieve/answer functions as arguments, so tests run it with fakes.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.answering import answer_stream, resolve_query
from rag.answering.checks.entities import invented_names
from rag.answering.checks.support import negated
from rag.config import get_settings
from rag.errors import InputError, RagError
from rag.indexing import Indexer
from rag.retrieval import Retriever, retrieve
from rag.text.markers import each_marker
from rag.types import Answer, Citation, Document, Passage

REPORT_VERSION = 1

# Metrics where a smaller value is better; everything else is higher-is-better.
LOWER_IS_BETTER = frozenset(
    {
        "false_abstention_rate",
        "error_rate",
        "ttft_mean_s",
        "ttft_p50_s",
        "ttft_p95_s",
        "latency_mean_s",
        "latency_p50_s",
        "latency_p95_s",
        "top_similarity_unanswerable",
        "invented_entities",
    }
)

# Changes smaller than this are noise from float arithmetic, not regressions.
_EPS = 1e-9


# --------------------------------------------------------------------------- API shapes


RetrieveFn = Callable[..., Sequence[Passage]]
AnswerFn = Callable[..., Iterable[Any]]
SearchFn = Callable[[str, int], Sequence[str]]
ResolveFn = Callable[[str, list[dict[str, str]] | None], str]


def _default_retrieve() -> RetrieveFn:
    """Import late: the public API may not be importable where fakes are used."""
    return retrieve


def _default_answer() -> AnswerFn:
    """Import late, like `_default_retrieve`."""
    return answer_stream


def join_turns(question: str, history: list[dict[str, str]] | None) -> str:
    """Fallback stand-alone query: the earlier user turns followed by the question."""
    earlier = [m["content"] for m in history or [] if m.get("role") == "user"]
    return " ".join([*earlier, question])


def _default_resolve() -> ResolveFn:
    """The answer layer's own query resolution, so retrieval-only runs search what it would."""
    return resolve_query


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    """One labelled question; the last of `turns` is scored, earlier ones are history."""

    id: str
    turns: tuple[str, ...]
    answers: tuple[str, ...] = ()
    all: bool = False
    sources: tuple[str, ...] = ()
    kind: str | None = None
    claimant: tuple[str, ...] = ()  # a contested claim or denial: the answer must name one of these
    denial: bool = False  # the sources report a denial: the answer must keep it one

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def answerable(self) -> bool:
        """Empty `answers` marks a question the corpus cannot answer."""
        return bool(self.answers)


def _str_list(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{name}' must be a list of strings")
    items = tuple(v.strip() for v in value)
    if any(not v for v in items):
        raise InputError(f"{where}: '{name}' contains an empty string")
    return items


def parse_question(obj: Any, where: str) -> Question:
    """Validate one decoded JSON line; `where` prefixes every error message."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    qid = obj.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise InputError(f"{where}: 'id' must be a non-empty string")
    has_q, has_t = "question" in obj, "turns" in obj
    if has_q == has_t:
        raise InputError(f"{where}: give exactly one of 'question' or 'turns'")
    if has_q:
        q = obj["question"]
        if not isinstance(q, str) or not q.strip():
            raise InputError(f"{where}: 'question' must be a non-empty string")
        turns: tuple[str, ...] = (q.strip(),)
    else:
        turns = _str_list(obj["turns"], "turns", where)
        if not turns:
            raise InputError(f"{where}: 'turns' must not be empty")
    answers = _str_list(obj.get("answers", []), "answers", where)
    sources = _str_list(obj.get("sources", []), "sources", where)
    require_all = obj.get("all", False)
    if not isinstance(require_all, bool):
        raise InputError(f"{where}: 'all' must be true or false")
    kind = obj.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise InputError(f"{where}: 'kind' must be a string")
    claimant = _str_list(obj.get("claimant", []), "claimant", where)
    denial = obj.get("denial", False)
    if not isinstance(denial, bool):
        raise InputError(f"{where}: 'denial' must be true or false")
    return Question(qid.strip(), turns, answers, require_all, sources, kind, claimant, denial)


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON-lines question file; errors name the offending line number."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{p}: question file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read question file ({exc})") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg})") from None
        q = parse_question(obj, where)
        if q.id in seen:
            raise InputError(f"{where}: duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    if not questions:
        raise InputError(f"{p}: no questions found")
    return questions


# --------------------------------------------------------------------------- key phrases

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'}


def normalize_text(text: str) -> str:
    """Case-fold and unify dashes, quotes, hyphens and spaces so spelling noise doesn't score."""
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).casefold()
    return " ".join(t.replace("-", " ").split())


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    p = normalize_text(phrase)
    if not p:
        return None
    # Whole-word edges, so "10" does not match "100" and "us" not "must".
    head = r"(?<!\w)" if p[0].isalnum() else ""
    tail = r"(?!\w)" if p[-1].isalnum() else ""
    return re.compile(head + re.escape(p) + tail)


def _has(normalized: str, phrase: str) -> bool:
    pat = _phrase_pattern(phrase)
    return pat is not None and pat.search(normalized) is not None


def contains_phrase(text: str, phrase: str) -> bool:
    """True if `phrase` occurs in `text` as whole words, ignoring case and dash style."""
    return _has(normalize_text(text), phrase)


def matches_answers(text: str, answers: Sequence[str], require_all: bool) -> bool:
    """Key-phrase check of an answer: all phrases if `require_all`, else any one."""
    if not answers:
        return False
    norm = normalize_text(text)
    hits = (_has(norm, a) for a in answers)
    return all(hits) if require_all else any(hits)


def contains_any_phrase(text: str, answers: Sequence[str]) -> bool:
    """Used for passages: one key phrase is enough to call a passage answer-bearing."""
    return matches_answers(text, answers, require_all=False)


# --------------------------------------------------------------------------- ranking metrics


def _first_ranks(ranked: Sequence[str], k: int | None) -> dict[str, int]:
    """1-based rank of each item's first occurrence within the top k."""
    firsts: dict[str, int] = {}
    for rank, item in enumerate(ranked[:k] if k is not None else ranked, start=1):
        firsts.setdefault(item, rank)
    return firsts


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1.0 if any relevant item is in the top k, else 0.0."""
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of distinct relevant items found in the top k (0.0 when none are relevant)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Relevant items in the top k divided by k (trec_eval's P@k: missing ranks count as misses)."""
    if k <= 0:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / k


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """1/rank of the first relevant item (within the top k if given), 0.0 if none."""
    for rank, item in enumerate(ranked[:k] if k is not None else ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with the log2(rank + 1) discount used by trec_eval."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float] | Collection[str], k: int = 10) -> float:
    """nDCG@k; each item earns its gain once, at its first rank (repeats earn nothing).

    `gains` is a mapping item -> graded relevance, or a collection of relevant items
    (binary relevance).
    """
    grade: Mapping[str, float] = gains if isinstance(gains, Mapping) else dict.fromkeys(gains, 1.0)
    ideal = sorted((g for g in grade.values() if g > 0), reverse=True)[:k]
    idcg = dcg(ideal)
    if idcg <= 0:
        return 0.0
    firsts = _first_ranks(ranked, k)
    got = [0.0] * min(k, len(ranked))
    for item, rank in firsts.items():
        got[rank - 1] = max(0.0, float(grade.get(item, 0.0)))
    return dcg(got) / idcg


def average_precision(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """AP over the ranking (cut at k if given), counting each relevant item once."""
    rel = set(relevant)
    if not rel:
        return 0.0
    found = 0
    total = 0.0
    for item, rank in sorted(_first_ranks(ranked, k).items(), key=lambda kv: kv[1]):
        if item in rel:
            found += 1
            total += found / rank
    return total / len(rel)


def answer_bearing_hit_at_k(
    passages: Sequence[tuple[str, str]],
    relevant: Collection[str],
    answers: Sequence[str],
    k: int,
) -> float:
    """1.0 if a top-k (source, text) passage is from an expected source and holds a key phrase."""
    return 1.0 if any(src in relevant and contains_any_phrase(text, answers) for src, text in passages[:k]) else 0.0


def citation_markers(text: str) -> list[int]:
    """All marker numbers in order of appearance, repeats kept (the product's marker grammar, ranges included)."""
    return each_marker(text)


def _cutoffs(k: int) -> list[int]:
    return sorted({1, 3, 5, k})


def retrieval_metrics(
    passages: Sequence[tuple[str, str]],
    relevant: Collection[str],
    answers: Sequence[str],
    k: int,
) -> dict[str, float]:
    """All per-question retrieval metrics for one ranked list of (source, text) passages."""
    sources = [src for src, _ in passages]
    out: dict[str, float] = {}
    for c in _cutoffs(k):
        out[f"hit@{c}"] = hit_at_k(sources, relevant, c)
    for c in _cutoffs(k):
        out[f"recall@{c}"] = recall_at_k(sources, relevant, c)
    out["mrr"] = reciprocal_rank(sources, relevant, max(k, 10))
    out["ndcg@10"] = ndcg_at_k(sources, relevant, 10)
    for c in _cutoffs(k):
        out[f"answer_hit@{c}"] = answer_bearing_hit_at_k(passages, relevant, answers, c)
    return out


# --------------------------------------------------------------------------- results & report


@dataclass
class RetrievedItem:
    """One retrieved passage as recorded in the report (text kept short)."""

    source: str
    chunk_id: str
    score: float
    similarity: float
    answer_bearing: bool
    snippet: str


@dataclass
class QuestionResult:
    """Everything measured for one question, so regressions can be traced to a cause."""

    id: str
    question: str
    turns: list[str]
    kind: str | None
    answerable: bool
    expected_sources: list[str]
    answers: list[str]
    query: str
    retrieved: list[RetrievedItem] = field(default_factory=list)
    retrieval: dict[str, float] = field(default_factory=dict)
    top_similarity: float | None = None
    context_sources: list[str] = field(default_factory=list)
    context_hit: bool | None = None
    answer_text: str | None = None
    raw_text: str | None = None
    abstained: bool | None = None
    correct: bool | None = None
    cited: list[int] = field(default_factory=list)
    citation_valid: bool | None = None
    citation_supported: bool | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    attempts: int | None = None  # model calls for the answer (2: it got a second look)
    attributed: bool | None = None  # a claim or denial question: the answer names who makes the claim
    denial_kept: bool | None = None  # a denial question: the answer still says it is denied
    invented: list[str] = field(default_factory=list)  # names in the answer that no given passage holds
    checks: list[str] = field(default_factory=list)  # what the answer checks changed
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        """Answered correctly, or abstained when unanswerable; None if not asked (retrieval-only)."""
        if self.error is not None:
            return False
        if self.abstained is None:
            return None
        return bool(self.correct) if self.answerable else bool(self.abstained)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QuestionResult:
        data = dict(d)
        data["retrieved"] = [RetrievedItem(**r) for r in data.get("retrieved", [])]
        known = cls.__dataclass_fields__
        return cls(**{key: v for key, v in data.items() if key in known})


@dataclass
class Report:
    """A full evaluation run: settings, averaged metrics and per-question results."""

    metrics: dict[str, float | None]
    results: list[QuestionResult]
    backend: str | None = None
    k: int = 5
    retrieval_only: bool = False
    kind: str = "questions"
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    meta: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["version"] = REPORT_VERSION
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        try:
            return cls(
                metrics=dict(d["metrics"]),
                results=[QuestionResult.from_dict(r) for r in d.get("results", [])],
                backend=d.get("backend"),
                k=int(d.get("k", 5)),
                retrieval_only=bool(d.get("retrieval_only", False)),
                kind=str(d.get("kind", "questions")),
                created_at=str(d.get("created_at", "")),
                meta=dict(d.get("meta", {})),
                by_kind={key: dict(v) for key, v in d.get("by_kind", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not an evaluation report ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, text: str) -> Report:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"report is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, dict):
            raise InputError("report is not a JSON object")
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Report:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot read report ({exc.strerror or exc})") from None
        try:
            return cls.from_json(text)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _percentile(values: Iterable[float | None], q: float) -> float | None:
    """Nearest-rank percentile; fine for the few dozen questions we have."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    idx = max(0, math.ceil(q / 100 * len(vals)) - 1)
    return vals[idx]


def aggregate(results: Sequence[QuestionResult], k: int, retrieval_only: bool) -> dict[str, float | None]:
    """Average per-question numbers into the report's metric table."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    scored = [r for r in answerable if r.retrieval]
    m: dict[str, float | None] = {
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
    }
    names = list(scored[0].retrieval) if scored else []
    if not names:
        names = [f"{p}@{c}" for p in ("hit", "recall") for c in _cutoffs(k)] + [
            "mrr",
            "ndcg@10",
        ]
        names += [f"answer_hit@{c}" for c in _cutoffs(k)]
    for name in names:
        m[name] = _mean(r.retrieval.get(name) for r in scored)
    m["top_similarity_answerable"] = _mean(r.top_similarity for r in answerable)
    m["top_similarity_unanswerable"] = _mean(r.top_similarity for r in unanswerable)
    if retrieval_only:
        return m
    answered = [r for r in answerable if r.abstained is not None]
    # An answerable question whose call failed counts as wrong, not as missing.
    m["accuracy"] = _mean(r.correct for r in answerable)
    m["context_hit"] = _mean(r.context_hit for r in answered)
    m["abstention_rate"] = _mean(r.abstained for r in unanswerable if r.abstained is not None)
    m["false_abstention_rate"] = _mean(r.abstained for r in answered)
    m["citation_validity"] = _mean(r.citation_valid for r in results)
    m["citation_support"] = _mean(r.citation_supported for r in answerable)
    m["correct_and_cited"] = _mean(bool(r.correct and r.citation_supported) for r in answerable)
    m["claims_attributed"] = _mean(r.attributed for r in results if r.attributed is not None)
    m["denials_kept"] = _mean(r.denial_kept for r in results if r.denial_kept is not None)
    m["invented_entities"] = float(sum(len(r.invented) for r in results))
    m["pass_rate"] = _mean(r.passed for r in results)
    m["error_rate"] = _mean(r.error is not None for r in results)
    m["ttft_mean_s"] = _mean(r.ttft_s for r in results)
    m["ttft_p50_s"] = _percentile((r.ttft_s for r in results), 50)
    m["ttft_p95_s"] = _percentile((r.ttft_s for r in results), 95)
    m["latency_mean_s"] = _mean(r.total_s for r in results)
    m["latency_p50_s"] = _percentile((r.total_s for r in results), 50)
    m["latency_p95_s"] = _percentile((r.total_s for r in results), 95)
    return m


def _by_kind(results: Sequence[QuestionResult], retrieval_only: bool) -> dict[str, dict[str, float | None]]:
    """Small per-kind breakdown so weak question types stand out."""
    out: dict[str, dict[str, float | None]] = {}
    for kind in sorted({r.kind or "-" for r in results}):
        group = [r for r in results if (r.kind or "-") == kind]
        row: dict[str, float | None] = {
            "n": float(len(group)),
            "mrr": _mean(r.retrieval.get("mrr") for r in group if r.retrieval),
        }
        if not retrieval_only:
            row["pass_rate"] = _mean(r.passed for r in group)
        out[kind] = row
    return out


# --------------------------------------------------------------------------- running


def consume_answer(stream: Iterable[Any], started: float | None = None) -> tuple[Answer, float | None, float]:
    """Drain an answer stream; return (Answer, seconds to first text, total seconds)."""
    t0 = time.perf_counter() if started is None else started
    ttft: float | None = None
    final: Any = None
    for item in stream:
        if isinstance(item, str):
            if item and ttft is None:
                ttft = time.perf_counter() - t0
        else:
            final = item
    total = time.perf_counter() - t0
    if final is None:
        raise RagError("answer stream ended without a final Answer object")
    return final, ttft, total


def shown_text(p: Passage | Citation) -> str:
    """A passage as a reader (and the model) sees it: its title and date line, then its text."""
    head = " · ".join(str(x) for x in (getattr(p, "title", None), getattr(p, "date", None)) if x)
    return f"{head}\n{p.text}" if head else p.text


def _retrieved_items(passages: Sequence[Passage], answers: Sequence[str]) -> list[RetrievedItem]:
    return [
        RetrievedItem(
            source=p.source,
            chunk_id=p.chunk_id,
            score=float(p.score),
            similarity=float(p.similarity),
            answer_bearing=contains_any_phrase(shown_text(p), answers) if answers else False,
            snippet=" ".join(p.text.split())[:160],
        )
        for p in passages
    ]


def _score_answer(res: QuestionResult, q: Question, ans: Answer) -> None:
    """Fill the answer half of a result from the final Answer object."""
    res.query = ans.query or res.query
    res.answer_text = ans.text
    res.raw_text = ans.raw_text
    res.attempts = getattr(ans, "attempts", None)
    res.checks = list(getattr(ans, "checks", []))
    res.abstained = bool(ans.abstained)
    llm_error = getattr(ans, "error", None)  # the answer layer reports LLM failures here
    if llm_error:
        res.error = f"LLM: {llm_error}"
    res.context_sources = [p.source for p in ans.passages]
    expected = set(q.sources)
    if q.answerable:
        res.context_hit = any(s in expected for s in res.context_sources) if expected else None
        res.correct = not res.abstained and not llm_error and matches_answers(ans.text, q.answers, q.all)
    raw = ans.raw_text if ans.raw_text else ans.text
    res.cited = citation_markers(raw)
    if res.cited:
        res.citation_valid = all(1 <= n <= len(ans.passages) for n in res.cited)
    if q.answerable and not res.abstained:
        # a cited passage is judged as the reader sees it: with its title and date line, and the
        # article's lede where the model was shown it
        cited: list[Passage | Citation] = list(ans.citations) or [
            ans.passages[n - 1] for n in citation_markers(ans.text) if 1 <= n <= len(ans.passages)
        ]
        cited_texts = [f"{getattr(c, 'lead', None) or ''}\n{shown_text(c)}" for c in cited]
        res.citation_supported = any(contains_any_phrase(t, q.answers) for t in cited_texts)
    if q.claimant:
        res.attributed = not res.abstained and contains_any_phrase(ans.text, q.claimant)
    if q.denial:
        res.denial_kept = not res.abstained and negated(ans.text)
    if not res.abstained:
        # a speaker resolved from earlier in the article ("the minister" -> Sergey Lavrov) is the article's word
        given = " ".join(
            f"{getattr(p, 'publisher', '') or ''} {' '.join(a.speaker for a in getattr(p, 'speakers', []))} "
            f"{shown_text(p)}"
            for p in ans.passages
        )
        res.invented = invented_names(ans.text, f"{given} {' '.join(q.turns)}")


def evaluate_question(
    q: Question,
    *,
    backend: str | None,
    k: int,
    retrieval_only: bool,
    retrieve_fn: RetrieveFn,
    answer_fn: AnswerFn,
    answer_k: int | None = None,
    resolve_fn: ResolveFn = join_turns,
) -> QuestionResult:
    """Answer (unless retrieval-only) and retrieve for one question, then score both."""
    res = QuestionResult(
        id=q.id,
        question=q.question,
        turns=list(q.turns),
        kind=q.kind,
        answerable=q.answerable,
        expected_sources=list(q.sources),
        answers=list(q.answers),
        # Replaced by the Answer's resolved query when the model is asked.
        query=resolve_fn(q.question, [{"role": "user", "content": t} for t in q.turns[:-1]] or None),
    )
    if not retrieval_only:
        history: list[dict[str, str]] = []
        try:
            for turn in q.turns[:-1]:
                prior, _, _ = consume_answer(answer_fn(turn, list(history) or None, backend=backend, k=answer_k))
                history += [
                    {"role": "user", "content": turn},
                    {"role": "assistant", "content": prior.text},
                ]
            t0 = time.perf_counter()
            ans, res.ttft_s, res.total_s = consume_answer(
                answer_fn(q.question, history or None, backend=backend, k=answer_k),
                started=t0,
            )
            _score_answer(res, q, ans)
        except RagError as exc:
            # One failing call (timeout, HTTP error) should not sink the whole run.
            res.error = f"{type(exc).__name__}: {exc}"
            if q.answerable:
                res.correct = False
    passages = list(retrieve_fn(res.query, k=max(k, 10)))
    res.retrieved = _retrieved_items(passages, q.answers)
    res.top_similarity = max((float(p.similarity) for p in passages), default=None)
    if q.answerable and q.sources:
        res.retrieval = retrieval_metrics([(p.source, shown_text(p)) for p in passages], set(q.sources), q.answers, k)
    return res


def run_eval(
    questions: Sequence[Question],
    *,
    backend: str | None,
    k: int,
    retrieval_only: bool = False,
    progress: bool = True,
    retrieve_fn: RetrieveFn | None = None,
    answer_fn: AnswerFn | None = None,
    answer_k: int | None = None,
    resolve_fn: ResolveFn | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Report:
    """Evaluate every question; `retrieve_fn`/`answer_fn` default to the real `rag` API.

    `k` is the retrieval cut-off for hit/recall (k=1,3,5 are always reported);
    `answer_k` is passed to `answer_stream` (None keeps its default).
    `resolve_fn(question, history)` makes the search query when the model is not
    asked (retrieval-only, or a failed call); it defaults to the answer layer's
    `resolve_query` in retrieval-only runs and to `join_turns` otherwise.
    """
    if k < 1:
        raise InputError("k must be at least 1")
    retrieve_fn = retrieve_fn or _default_retrieve()
    if not retrieval_only:
        answer_fn = answer_fn or _default_answer()
    resolve = resolve_fn or (_default_resolve() if retrieval_only else join_turns)

    def one(q: Question) -> QuestionResult:
        return evaluate_question(
            q,
            backend=backend,
            k=k,
            retrieval_only=retrieval_only,
            retrieve_fn=retrieve_fn,
            answer_fn=answer_fn or _no_answer,
            answer_k=answer_k,
            resolve_fn=resolve,
        )

    results: list[QuestionResult] = []
    started = time.perf_counter()
    if progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("[bold]eval[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("", total=len(questions))
            for q in questions:
                bar.update(task, description=q.id)
                results.append(one(q))
                bar.advance(task)
    else:
        results = [one(q) for q in questions]
    info = dict(meta or {})
    info.setdefault("wall_s", round(time.perf_counter() - started, 3))
    info.setdefault("answer_k", answer_k)
    return Report(
        metrics=aggregate(results, k, retrieval_only),
        results=results,
        backend=backend,
        k=k,
        retrieval_only=retrieval_only,
        meta=info,
        by_kind=_by_kind(results, retrieval_only),
    )


def _no_answer(*_: Any, **__: Any) -> Iterable[Any]:
    raise AssertionError("answer_fn called in retrieval-only mode")


# --------------------------------------------------------------------------- baseline


def _baseline_metrics(baseline: Mapping[str, Any]) -> tuple[dict[str, float], float]:
    metrics = baseline.get("metrics", baseline)
    tol = baseline.get("tolerance", 0.0) if "metrics" in baseline else 0.0
    if not isinstance(metrics, Mapping) or not isinstance(tol, (int, float)):
        raise InputError("baseline must be {metric: value} or {'metrics': {...}, 'tolerance': x}")
    out = {str(n): float(v) for n, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return out, float(tol)


def check_regression(report: Report, baseline: Mapping[str, Any]) -> list[str]:
    """Names of metrics that got worse than the baseline (beyond its optional tolerance).

    Metrics the run did not measure (e.g. answer metrics in a retrieval-only run) are skipped.
    """
    wanted, tol = _baseline_metrics(baseline)
    failed: list[str] = []
    for name, base in wanted.items():
        value = report.metrics.get(name)
        if value is None:
            continue
        if name in LOWER_IS_BETTER:
            if value > base + tol + _EPS:
                failed.append(name)
        elif value < base - tol - _EPS:
            failed.append(name)
    return failed


DEFAULT_BASELINE_METRICS = (
    "hit@5",
    "recall@5",
    "mrr",
    "ndcg@10",
    "answer_hit@5",
    "accuracy",
    "abstention_rate",
    "false_abstention_rate",
    "citation_validity",
    "citation_support",
    "correct_and_cited",
    "claims_attributed",
    "denials_kept",
    "invented_entities",
)


def baseline_from_report(
    report: Report,
    metrics: Sequence[str] = DEFAULT_BASELINE_METRICS,
    tolerance: float = 0.0,
) -> dict[str, Any]:
    """A baseline dict (for data/eval_baseline.json) from a run; latency is left out on purpose."""
    values = {n: report.metrics[n] for n in metrics if report.metrics.get(n) is not None}
    return {
        "metrics": values,
        "tolerance": tolerance,
        "k": report.k,
        "backend": report.backend,
    }


# --------------------------------------------------------------------------- comparison


@dataclass
class MetricChange:
    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'same', honouring metrics where lower is better."""
        d = self.delta
        if d is None or abs(d) <= _EPS:
            return "same"
        better = d < 0 if self.name in LOWER_IS_BETTER else d > 0
        return "better" if better else "worse"


@dataclass
class QuestionChange:
    id: str
    question: str
    verdict: str  # "better" | "worse"
    details: list[str]


@dataclass
class Comparison:
    """What changed between two runs: metric deltas and per-question wins and losses."""

    metrics: list[MetricChange]
    questions: list[QuestionChange]

    @property
    def better(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "better"]

    @property
    def worse(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "worse"]

    def to_text(self) -> str:
        lines = ["metric                          before     after     delta"]
        for m in self.metrics:
            d = m.delta
            lines.append(
                f"{m.name:<28}{_fmt(m.before):>10}{_fmt(m.after):>10}{'' if d is None else f'{d:+.3f}':>10}"
                f"  {'' if m.verdict == 'same' else m.verdict}"
            )
        for label, group in (("better", self.better), ("worse", self.worse)):
            lines.append(f"\nquestions {label} ({len(group)}):")
            lines += [f"  {q.id}: {'; '.join(q.details)}" for q in group]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


_QUESTION_KEYS = ("hit@1", "mrr", "ndcg@10", "answer_hit@5")


def _question_change(a: QuestionResult, b: QuestionResult) -> QuestionChange | None:
    ups: list[str] = []
    downs: list[str] = []
    if a.passed is not None and b.passed is not None and a.passed != b.passed:
        what = "answered correctly" if b.answerable else "abstained"
        (ups if b.passed else downs).append(what if b.passed else f"no longer {what}")
    for key in _QUESTION_KEYS:
        x, y = a.retrieval.get(key), b.retrieval.get(key)
        if x is not None and y is not None and abs(y - x) > _EPS:
            (ups if y > x else downs).append(f"{key} {x:.2f}->{y:.2f}")
    if not ups and not downs:
        return None
    # Answer outcome dominates; otherwise the majority of retrieval moves decides.
    if a.passed != b.passed and a.passed is not None and b.passed is not None:
        verdict = "better" if b.passed else "worse"
    else:
        verdict = "better" if len(ups) >= len(downs) else "worse"
    return QuestionChange(b.id, b.question, verdict, ups + downs)


def compare_reports(a: Report, b: Report) -> Comparison:
    """Diff two reports (a = before, b = after) on shared metrics and shared question ids."""
    names = [n for n in a.metrics if n in b.metrics] + [n for n in b.metrics if n not in a.metrics]
    metrics = [MetricChange(n, a.metrics.get(n), b.metrics.get(n)) for n in names]
    before = {r.id: r for r in a.results}
    questions = [c for r in b.results if r.id in before and (c := _question_change(before[r.id], r))]
    return Comparison(metrics, questions)


# --------------------------------------------------------------------------- printing


def _fmt(v: float | None, *, count: bool = False) -> str:
    if v is None:
        return "-"
    return str(round(v)) if count else f"{v:.3f}"


def _short(source: str) -> str:
    return source.split("_", 1)[0] if re.match(r"\d+_", source) else source


def _group(name: str) -> str:
    if "@" in name or name in ("mrr", "map") or name.startswith("top_similarity"):
        return "retrieval"
    if name.startswith(("ttft", "latency")):
        return "latency"
    if name in ("questions", "answerable", "unanswerable", "topics", "docs"):
        return "count"
    return "answer"


def print_report(report: Report, console: Any = None, *, show_questions: bool = False) -> None:
    """Rich summary: metrics grouped by kind, per-kind breakdown, failing questions."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    title = f"RAG eval ({report.kind}) backend={report.backend or 'default'} k={report.k}"
    if report.retrieval_only:
        title += " retrieval-only"
    table = Table(title=title)
    table.add_column("group", style="dim")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for group in ("count", "retrieval", "answer", "latency"):
        for name, value in report.metrics.items():
            if _group(name) == group:
                table.add_row(group, name, _fmt(value, count=group == "count"))
    con.print(table)
    scored = [r for r in report.results if r.answerable]
    if scored and not any(r.retrieved for r in scored):
        con.print("[bold red]No passages were retrieved for any question: is the index built?[/]")
    if report.by_kind:
        kinds = Table(title="by question kind")
        cols = list(next(iter(report.by_kind.values())))
        kinds.add_column("kind")
        for c in cols:
            kinds.add_column(c, justify="right")
        for kind, row in report.by_kind.items():
            kinds.add_row(kind, *(_fmt(row.get(c), count=c == "n") for c in cols))
        con.print(kinds)
    shown = report.results if show_questions else [r for r in report.results if _is_failure(r, report)]
    if shown:
        qt = Table(title="questions" if show_questions else "failures", show_lines=False)
        qt.add_column("id", no_wrap=True, min_width=8)
        for col, width in (("query", 48), ("expected", 9), ("top sources", 19), ("answer", 40)):
            qt.add_column(col, max_width=width, no_wrap=True, overflow="ellipsis")
        qt.add_column("ok", no_wrap=True)
        qt.add_column("s", justify="right", no_wrap=True)
        for r in shown:
            # Seed file names are long; their numeric prefix is enough to tell them apart.
            srcs = ",".join(_short(s) for s in dict.fromkeys(i.source for i in r.retrieved[:5]))
            expected = ",".join(_short(s) for s in r.expected_sources) or "(none)"
            ans = r.error or ("(abstained)" if r.abstained else " ".join((r.answer_text or "").split()))
            ok = "-" if r.passed is None else ("yes" if r.passed else "no")
            if report.retrieval_only:
                ok = _fmt(r.retrieval.get(f"hit@{report.k}")) if r.retrieval else "-"
            qt.add_row(r.id, r.query, expected, srcs, ans, ok, _fmt(r.total_s))
        con.print(qt)


def _is_failure(r: QuestionResult, report: Report) -> bool:
    if r.error:
        return True
    if report.retrieval_only:
        return bool(r.retrieval) and r.retrieval.get(f"hit@{report.k}", 1.0) < 1.0
    return r.passed is False


def print_comparison(cmp: Comparison, console: Any = None) -> None:
    """Rich rendering of `compare_reports`: red for worse, green for better."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    table = Table(title="before -> after")
    for col, just in (
        ("metric", "left"),
        ("before", "right"),
        ("after", "right"),
        ("delta", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for m in cmp.metrics:
        style = {"better": "green", "worse": "red"}.get(m.verdict, "")
        d = m.delta
        table.add_row(
            m.name,
            _fmt(m.before),
            _fmt(m.after),
            "" if d is None else f"{d:+.3f}",
            style=style,
        )
    con.print(table)
    for label, group, style in (
        ("better", cmp.better, "green"),
        ("worse", cmp.worse, "red"),
    ):
        if group:
            qt = Table(title=f"questions {label}", title_style=style)
            qt.add_column("id")
            qt.add_column("question", overflow="fold")
            qt.add_column("changes", overflow="fold")
            for q in group:
                qt.add_row(q.id, q.question, "; ".join(q.details))
            con.print(qt)


# --------------------------------------------------------------------------- TREC


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
