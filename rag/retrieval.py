"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s), fused, near-duplicates collapsed.

A long-lived :class:`Retriever` serves many queries; it notices when an
indexer (in this or another process) has published a new generation and
switches to it on the next query, so a running web chat keeps answering
during a re-index and sees the new content afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import MAX_K, RetrievalTuning, Settings, get_settings
from rag.embedding import Embedder, get_embedder
from rag.embedding.identity import VectorIdentity, check_same_model
from rag.errors import InputError
from rag.indexing import ensure_index
from rag.lexical import LexicalIndex
from rag.manifest import MANIFEST, Manifest
from rag.query import plan_query
from rag.speakers import from_metadata
from rag.store import Metadata, Store
from rag.types import Passage

log = logging.getLogger(__name__)

#: the most passages one call may ask for


def check_query(query: str, limit: int) -> str:
    """The query with its white space collapsed, or a one-line InputError."""
    if query is not None and not isinstance(query, str):
        raise InputError(f"the query must be text, not {type(query).__name__}")
    if not query or not query.strip():
        raise InputError("the query is empty: type a question")
    q = " ".join(query.split())
    if len(q) > limit:
        raise InputError(f"the query is too long ({len(q):,} characters; the limit is {limit:,})")
    try:
        q.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8, decoded with surrogateescape
        raise InputError("the query is not valid text (it holds bytes that are not UTF-8)") from None
    return q


def check_k(k: object) -> int:
    """``k`` as an int from 1 to :data:`MAX_K`, or a one-line InputError (never a silent default).

    Whole floats pass (web sliders send 5.0); digit strings pass (form fields).
    """
    value: int | None = None
    if isinstance(k, str) and k.strip().isdigit():
        value = int(k.strip())
    elif isinstance(k, int) and not isinstance(k, bool):
        value = k
    elif isinstance(k, float) and k.is_integer():
        value = int(k)
    if value is None or not 1 <= value <= MAX_K:
        shown = repr(k) if len(repr(k)) <= 40 else repr(k)[:40] + "…"
        raise InputError(f"k must be a whole number from 1 to {MAX_K}, not {shown}")
    return value


def _parse_day(value: str | dt.date | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return int(value.strftime("%Y%m%d"))
    try:
        return int(dt.date.fromisoformat(str(value).strip()).strftime("%Y%m%d"))
    except ValueError:
        raise InputError(f"{name} must be a date like 2023-01-19, not {value!r}") from None


def _where(sources: set[str] | None, since: int | None, until: int | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if sources:
        clauses.append({"source": {"$in": sorted(sources)}})
    if since is not None or until is not None:
        clauses.append({"date_int": {"$gt": 0}})  # undated documents never match a date filter
        if since is not None:
            clauses.append({"date_int": {"$gte": since}})
        if until is not None:
            clauses.append({"date_int": {"$lte": until}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _keeps(meta: Metadata, src: set[str] | None, lo: int | None, hi: int | None) -> bool:
    """The same filter as :func:`_where`, applied to one record's metadata."""
    if src and meta.get("source") not in src:
        return False
    if lo is None and hi is None:
        return True
    day = int(meta.get("date_int", 0) or 0)
    return day > 0 and (lo is None or day >= lo) and (hi is None or day <= hi)


_WORD = re.compile(r"\w+")


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _passage(cid: str, text: str, meta: Metadata, score: float, similarity: float) -> Passage:
    def opt(key: str) -> str | None:
        v = meta.get(key)
        return str(v) if v not in (None, "") else None

    return Passage(
        text=text,
        score=float(score),
        similarity=float(similarity),
        source=str(meta.get("source", "")),
        title=opt("title"),
        publisher=opt("publisher"),
        url=opt("url"),
        date=opt("date"),
        chunk_id=cid,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        lead=opt("lead"),
        pages=opt("pages"),
        speakers=from_metadata(meta.get("speakers")),
    )


class Retriever:
    """Hybrid retrieval over one index; fusion is tuned by ``settings.retrieval`` (:class:`RetrievalTuning`)."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.s = settings or get_settings()
        self.tuning: RetrievalTuning = self.s.retrieval
        self.index_dir = Path(self.s.index_dir)
        self._embedder = embedder
        self.store = Store(self.index_dir, self.s.chroma_url, self.s.collection)
        self.lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._identity: VectorIdentity | None = None
        self._checked: str | None = None  # the lexical generation whose manifest's model was last checked

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.s.embedding_model)
        return self._embedder

    def _refresh(self) -> LexicalIndex | None:
        """Switch to the newest published generation, if it changed since the last query."""
        gen = LexicalIndex.current_generation(self.index_dir)
        if self.lexical is not None and self.lexical.generation == gen:
            return self.lexical
        with self._lock:
            if self.lexical is None or self.lexical.generation != gen:
                loaded = LexicalIndex.load(self.index_dir)
                if self.lexical is not None and loaded is not None:
                    self.store.reopen()  # pick up another process's vectors
                self.lexical = loaded
        return self.lexical

    def _check_model(self, lexical: LexicalIndex | None) -> None:
        """Refuse to search vectors made by another model (checked again when the index is republished)."""
        generation = lexical.generation if lexical is not None else ""
        if self._checked == generation:
            return
        recorded = VectorIdentity.from_record(Manifest.load(self.index_dir).embedding)
        if recorded is not None:
            if self._identity is None:
                self._identity = VectorIdentity.of(self.embedder)
            check_same_model(recorded, self._identity, self.index_dir)
        self._checked = generation

    def _dense(
        self,
        qvecs: np.ndarray,
        n: int,
        mask: np.ndarray | None,
        src: set[str] | None,
        lo: int | None,
        hi: int | None,
    ) -> list[list[tuple[str, float, str, Metadata]]]:
        """Dense candidates under the filters, for each row of ``qvecs`` (one Chroma request for all).

        Chroma's metadata pre-filter is slow on a large collection (352 ms at
        100k chunks for a date range against 28 ms unfiltered), so when the
        filter keeps a good share of the rows we over-fetch unfiltered and
        filter here; a selective filter still goes to Chroma.
        """
        where = _where(src, lo, hi)
        if where is None or mask is None or mask.mean() < 0.05:
            return self.store.query_many(qvecs, n, where)
        fetch = min(int(n / float(mask.mean()) * 2) + 1, 5000)
        return [
            [hit for hit in hits if _keeps(hit[3], src, lo, hi)][:n]
            for hits in self.store.query_many(qvecs, fetch, None)
        ]

    def retrieve(
        self,
        query: str,
        k: int = 5,
        *,
        sources: Iterable[str] | str | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages; for a question with parts, each part's article among them (see :func:`_cover`)."""
        q = check_query(query, self.s.max_query_chars)
        k = check_k(k)
        src = {sources} if isinstance(sources, str) else (set(sources) if sources else None)
        lo, hi = _parse_day(since, "since"), _parse_day(until, "until")
        if lo is not None and hi is not None and lo > hi:
            raise InputError("since is after until")
        lexical = self._refresh()
        self._check_model(lexical)
        plan = plan_query(q, self.s.split_questions)
        searches = [q, *plan.parts]
        vectors = self.embedder.embed(searches)
        has_rows = lexical is not None and bool(lexical.ids)
        mask = lexical.mask(src, lo, hi) if lexical is not None and has_rows else None  # rows the filters keep
        dense = self._dense(vectors, self._depth(k), mask, src, lo, hi)
        whole, *parts = (
            self._rank(text, vec, hits, k if n == 0 else 1, plan.periods, lexical if has_rows else None, mask)
            for n, (text, vec, hits) in enumerate(zip(searches, vectors, dense, strict=True))
        )
        return _cover(whole, [best for part in parts for best in part], k)

    def _depth(self, k: int) -> int:
        """Candidates taken from each retriever for a search that keeps ``k``."""
        return max(self.tuning.candidates, 4 * k)

    def _rank(
        self,
        q: str,
        qvec: np.ndarray,
        dense: list[tuple[str, float, str, Metadata]],
        k: int,
        periods: tuple[tuple[int, int | None], ...],
        lexical: LexicalIndex | None,
        mask: np.ndarray | None,
    ) -> list[Passage]:
        """One search: its dense and BM25 candidates fused, near-duplicates dropped, one article's run broken up."""
        t = self.tuning
        n = self._depth(k)
        w = t.dense_weight
        cand: dict[str, dict[str, Any]] = {
            cid: {"sim": sim, "text": text, "meta": meta, "bm25": 0.0} for cid, sim, text, meta in dense[:n]
        }
        if lexical is not None:
            scores = lexical.scores(q)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            top = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
            top = top[scores[top] > 0]
            best = float(scores[top].max()) if len(top) else 0.0
            for i in top:
                cid = lexical.ids[int(i)]
                cand.setdefault(cid, {"sim": None, "bm25": 0.0})["bm25"] = float(scores[i]) / best
            missing = [cid for cid, c in cand.items() if c["sim"] is None]
            if missing:  # lexical-only hits: fetch text and stored vector for their cosine
                for cid, rec in self.store.get(missing, embeddings=True).items():
                    if rec.get("vector") is not None:
                        cand[cid].update(sim=float(rec["vector"] @ qvec), text=rec["text"], meta=rec["meta"])
        scored = []
        for cid, c in cand.items():
            # skipped: gone since the lexical build, or caught half-written by an indexer in another process
            if c["sim"] is None or not c.get("text") or not c.get("meta"):
                continue
            score = w * c["sim"] + (1 - w) * c["bm25"]
            if t.date_weight and periods:  # off by default: no work per candidate
                score += t.date_weight * _of_period(c["meta"], periods)
            scored.append(_passage(cid, c["text"], c["meta"], score, c["sim"]))
        scored.sort(key=lambda p: p.score, reverse=True)
        return _choose(scored, k, t.duplicate_overlap, t.article_penalty)


def _of_period(meta: Metadata, periods: tuple[tuple[int, int | None], ...]) -> float:
    """1.0 when the passage's article is dated in a year (and month, where given) that the question names."""
    day = int(meta.get("date_int", 0) or 0)
    year, month = day // 10000, day // 100 % 100
    return float(any(y == year and m in (None, month) for y, m in periods)) if day else 0.0


def _cover(whole: list[Passage], part_bests: list[Passage], k: int) -> list[Passage]:
    """The whole question's top ``k``, with each part's best passage put in from the bottom up when its article is
    missing. The whole question keeps its first places (measured: interleaving the parts' rankings pushed answers
    of the whole question out of the top 3), and every article a part points at still gets a place."""
    out = list(whole[:k])
    put_in: set[str] = set()
    for best in part_bests:
        if any(p.source == best.source for p in out):
            continue
        if len(out) < k:
            out.append(best)
        else:
            free = [i for i in range(1, len(out)) if out[i].chunk_id not in put_in]
            if not free:
                break
            out[free[-1]] = best
        put_in.add(best.chunk_id)
    return out


def _choose(ranked: list[Passage], k: int, min_overlap: float, article_penalty: float) -> list[Passage]:
    """The top ``k``, near-duplicates dropped; each earlier pick from an article costs its next passage
    ``article_penalty``, so one article's chunks do not fill the ranks while another article is close behind."""
    out: list[Passage] = []
    kept: list[tuple[set[tuple[str, ...]], Passage]] = []
    per_article: Counter[str] = Counter()
    pool = list(ranked)
    while pool and len(out) < k:
        i = max(range(len(pool)), key=lambda j: pool[j].score - article_penalty * per_article[pool[j].source])
        p = pool.pop(i)
        sh = _shingles(p.text)
        if any(_duplicate(sh, p, osh, o, min_overlap) for osh, o in kept):
            continue
        kept.append((sh, p))
        out.append(p)
        per_article[p.source] += 1
    return out


def _duplicate(sh: set[tuple[str, ...]], p: Passage, osh: set[tuple[str, ...]], o: Passage, min_overlap: float) -> bool:
    """Overlapping spans of one article, or ``min_overlap`` of the shorter passage's 3-grams in the other."""
    if p.source == o.source and p.title == o.title:
        overlap = min(p.end, o.end) - max(p.start, o.start)
        if overlap > 0.5 * min(p.end - p.start, o.end - o.start):
            return True
    inter = len(sh & osh)
    return inter > 0 and inter / min(len(sh), len(osh)) >= min_overlap


_retrievers: dict[tuple[str | None, ...], Retriever] = {}
_retrievers_lock = threading.Lock()


def get_retriever(settings: Settings | None = None) -> Retriever:
    """One retriever per index (model and tuning) per process; an index never built is built first, as the CLI does."""
    s = settings or get_settings()
    key: tuple[str | None, ...] = (str(s.index_dir), s.chroma_url, s.collection, s.embedding_model)
    key += (s.embedding_backend, s.embedding_url, s.retrieval.model_dump_json())
    with _retrievers_lock:
        if key not in _retrievers:
            if not (Path(s.index_dir) / MANIFEST).exists():
                ensure_index(s)
            _retrievers[key] = Retriever(s)
        return _retrievers[key]


def retrieve(
    query: str,
    k: int = 5,
    *,
    sources: Iterable[str] | str | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
) -> list[Passage]:
    """The ``k`` most relevant passages for ``query``, with source citations.

    ``sources`` limits to file names; ``since``/``until`` (ISO dates,
    inclusive) exclude undated documents.
    """
    return get_retriever().retrieve(query, k, sources=sources, since=since, until=until)
