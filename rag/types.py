"""The core types and texts every layer shares; imports nothing from the rest of the package."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

#: what an answer says when the sources do not hold one (a full sentence: a bare "NOT FOUND" made small models refuse
#: answerable questions)
REFUSAL = "I cannot find this in the sources."


@dataclass(frozen=True)
class Statement:
    """One sentence of evidence and, when it reports speech or a claim, who says it."""

    text: str
    speaker: str | None = None
    denial: bool = False  # the speaker denies or rejects what the sentence reports


@dataclass(frozen=True)
class Evidence:
    """One numbered source as the model sees it (n is the citation number)."""

    n: int
    text: str
    title: str | None = None
    publisher: str | None = None
    date: str | None = None
    statements: tuple[Statement, ...] = ()  # the sentences of ``text``, with their speakers

    @property
    def outlet(self) -> str:
        return self.publisher or self.title or f"source {self.n}"


@dataclass(frozen=True)
class LLMRequest:
    """Everything a backend needs; system/user are ready-made prompt strings.

    ``question`` and ``evidence`` are kept separately so that backends that do
    not read prompts (the extractive one) or that constrain output (a grammar
    needs the valid citation numbers) can use them.
    """

    system: str
    user: str
    question: str
    evidence: list[Evidence] = field(default_factory=list)
    max_tokens: int = 160
    grammar: bool = False  # ask for grammar-constrained output where supported

    @property
    def valid_citations(self) -> set[int]:
        return {e.n for e in self.evidence}


@dataclass(frozen=True)
class Attribution:
    """A sentence (character span of the document) that reports what ``speaker`` says."""

    start: int
    end: int
    speaker: str
    denial: bool = False  # the speaker denies or rejects what the sentence reports


@dataclass(frozen=True)
class Document:
    """A cleaned article. ``text`` is what gets chunked; spans index into it."""

    source: str  # the file name, e.g. "000_2e59.txt"
    path: str  # absolute path: the document's identity in the index
    text: str
    title: str | None = None
    publisher: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    url: str | None = None
    author: str | None = None
    pages: tuple[int, ...] = ()  # PDFs: the offset in ``text`` where each page starts (page 1 at index 0)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset``, for documents that have pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))  # pages starting at or before it

    def page_label(self, start: int, end: int) -> str | None:
        """``"3"`` or ``"3-4"``: the pages a span of ``text`` lies on, for citations."""
        first = self.page_at(start)
        if first is None:
            return None
        last = self.page_at(max(start, end - 1)) or first
        return str(first) if last == first else f"{first}-{last}"


@dataclass(frozen=True)
class Chunk:
    """A span of a cleaned document; ``embed_text`` adds the title for context."""

    doc_path: str
    ordinal: int
    text: str
    start: int
    end: int
    tokens: int  # cl100k tokens of ``text``
    embed_text: str

    @property
    def id(self) -> str:
        """Stable across runs: same document and same text → same id, so re-runs never duplicate."""
        digest = hashlib.sha256(f"{self.doc_path}\0{self.embed_text}".encode()).hexdigest()
        return f"{digest[:24]}-{self.ordinal}"


@dataclass(kw_only=True)
class Passage:
    """A retrieved chunk with everything needed to cite it."""

    text: str
    score: float  # fused rank score (higher is better)
    similarity: float  # dense cosine similarity to the query, for thresholds
    source: str  # file name
    title: str | None
    publisher: str | None
    url: str | None
    date: str | None  # ISO YYYY-MM-DD or None
    chunk_id: str
    start: int  # character span in the cleaned document
    end: int
    lead: str | None = None  # the document's first sentence (who, what, when), for context
    pages: str | None = None  # PDFs: the page or pages the passage is on, e.g. "3" or "3-4"
    speakers: list[Attribution] = field(default_factory=list)  # who says what, offsets into ``text``

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(kw_only=True)
class Citation:
    """A passage the answer cites, with the marker number it is cited by."""

    n: int
    source: str
    title: str | None
    publisher: str | None
    date: str | None
    url: str | None
    text: str
    chunk_id: str
    start: int
    end: int
    lead: str | None = None  # the document's lede, when the model was shown it beside ``text``
    pages: str | None = None  # PDFs: the page or pages the passage is on

    @classmethod
    def of(cls, n: int, p: Passage) -> Citation:
        return cls(
            n=n,
            source=p.source,
            title=p.title,
            publisher=p.publisher,
            date=p.date,
            url=p.url,
            text=p.text,
            chunk_id=p.chunk_id,
            start=p.start,
            end=p.end,
            lead=p.lead,
            pages=p.pages,
        )


@dataclass(frozen=True, kw_only=True)
class KeyStatement:
    """One evidence sentence shown to the reader before any model call: verbatim, with whose words they are."""

    n: int  # the citation number of its source (the same [n] the answer uses)
    text: str  # the sentence, verbatim
    speaker: str | None  # the resolved name ("Ana Ruiz"), never "he" or "the minister"; None: the outlet's own text
    denial: bool  # the speaker denies or rejects what the sentence reports
    outlet: str
    date: str | None
    url: str | None
    source: str  # file name of the article
    chunk_id: str  # the passage it is in (the page links to its highlighted passage)
    reported_by: tuple[str, ...] = ()  # outlets among the evidence that report this statement (or one like it)
    denies: str | None = None  # a denial shown beside what it denies: whose statement that is

    @property
    def who(self) -> str:
        """Whose statement this is: the speaker, or the outlet for its own reporting."""
        return self.speaker or self.outlet


@dataclass(frozen=True, kw_only=True)
class Voice:
    """The key statements of one speaker (or outlet), side by side with the others'."""

    who: str
    statements: tuple[KeyStatement, ...]
    note: str | None = None  # "only RT reports this", "denies what Ana Ruiz says"


@dataclass(frozen=True, kw_only=True)
class KeyEvidence:
    """What the reader gets first: the key statements grouped by who says them, and the numbered sources.

    Built from the index's speaker annotations and the evidence ranking, never by the model: it is shown as
    soon as the evidence is chosen, before the model reads a token.
    """

    query: str
    statements: tuple[KeyStatement, ...]  # best first
    voices: tuple[Voice, ...]  # the same statements grouped by who says them
    sources: tuple[Citation, ...]  # every passage the model is given, numbered as the answer cites them
    ahead: int = 0  # questions ahead of this one for the model (a busy local model); 0: none
    seconds: float = 0.0  # from the call to this evidence

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "statements": [
                {k: v for k, v in asdict(s).items() if k != "chunk_id"} | {"who": s.who} for s in self.statements
            ],
            "voices": [
                {"who": v.who, "note": v.note, "statements": [self.statements.index(s) for s in v.statements]}
                for v in self.voices
            ],
            "sources": [citation_json(c) for c in self.sources],
            "ahead": self.ahead,
        }


def citation_json(c: Citation) -> dict[str, Any]:
    """A citation as the API sends it (``lead`` and ``pages`` only when set)."""
    return {
        k: v
        for k, v in asdict(c).items()
        if k in ("n", "source", "title", "publisher", "date", "url", "text") or (k in ("lead", "pages") and v)
    }


@dataclass(kw_only=True)
class Answer:
    """A cited answer: what :func:`rag.answer` returns and :func:`rag.answer_stream` yields last."""

    text: str
    citations: list[Citation]
    abstained: bool
    query: str  # the standalone query that was searched
    passages: list[Passage] = field(default_factory=list)  # numbered 1..m as given to the model
    raw_text: str = ""  # the model's output before citation repair
    backend: str = ""
    error: str | None = None  # set when the LLM failed; passages are still there
    ttft: float | None = None  # seconds from the call to the first checked text shown
    model_ttft: float | None = None  # seconds from the call to the model's first token (unchecked, never shown)
    total: float | None = None
    attempts: int = 1  # model calls: 0 when the gate abstained without asking the model
    checks: list[str] = field(default_factory=list)  # what the answer checks changed ("attribution: …")
    evidence: KeyEvidence | None = None  # what the reader was shown first

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [citation_json(c) for c in self.citations],
            "abstained": self.abstained,
            "query": self.query,
            "error": self.error,
            "evidence": self.evidence.to_json() if self.evidence is not None else None,
        }
