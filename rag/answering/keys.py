"""The key statements: the few evidence sentences a reader sees first, verbatim, with whose words they are.

They are chosen and grouped without the model, from what the index already
knows (the speaker of each sentence, worked out at index time by
:mod:`rag.speakers`) and the evidence ranking, so they can be on screen while
the model is still reading its prompt, and the reader can check the model's
answer against them. Statements are grouped by who says them; a denial is
labelled and shown beside what it denies; a statement that only one of several
outlets reports says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rag.answering.evidence import leaves_out_speaker
from rag.answering.selection import rank_sentences
from rag.config import EvidenceTuning
from rag.text.terms import lexical_terms
from rag.types import Citation, Evidence, KeyEvidence, KeyStatement, LLMRequest, Passage, Statement, Voice


def _shared(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient of two term sets (how much of the shorter one the other holds)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _reporter(e: Evidence) -> str:
    """Who reports a source's statements: its publisher; a page without one is named by its citation number."""
    return e.publisher or f"source [{e.n}]"


def _ranked_text(st: Statement) -> str:
    """The sentence as a reader of the key statements sees it: a speaker the text leaves out is named."""
    return f"{st.speaker}: {st.text}" if leaves_out_speaker(st) else st.text


def key_evidence(
    question: str,
    query: str,
    request: LLMRequest | None,
    given: Sequence[Passage],
    tuning: EvidenceTuning | None = None,
    *,
    ahead: int = 0,
    seconds: float = 0.0,
) -> KeyEvidence:
    """The key statements of the evidence in ``request`` (passages ``given``, numbered 1..m) for ``question``."""
    t = tuning or EvidenceTuning()
    sources = tuple(Citation.of(n, p) for n, p in enumerate(given, 1))
    evidence = list(request.evidence) if request is not None else []
    flat: list[tuple[Evidence, Statement]] = [(e, st) for e in evidence for st in e.statements if st.text.strip()]
    if not flat:
        return KeyEvidence(query=query, statements=(), voices=(), sources=sources, ahead=ahead, seconds=seconds)
    scores = rank_sentences(question, [_ranked_text(st) for _, st in flat], t.lexical_weight)
    scores = scores + [t.passage_prior / e.n for e, _ in flat]  # the passage's retrieval rank, as the evidence does
    terms = [frozenset(x) for x in lexical_terms([st.text for _, st in flat])]
    outlets = {_reporter(e) for e, _ in flat}

    def make(i: int) -> KeyStatement:
        e, st = flat[i]
        p = given[e.n - 1]
        same = sorted(  # a denial and what it denies share their words, not their claim
            {
                _reporter(e2)
                for j, (e2, st2) in enumerate(flat)
                if j == i or (st2.denial == st.denial and _shared(terms[i], terms[j]) >= t.same_statement)
            }
        )
        return KeyStatement(
            n=e.n,
            text=st.text,
            speaker=st.speaker,
            denial=st.denial,
            outlet=e.outlet,
            date=e.date,
            url=p.url,
            source=p.source,
            chunk_id=p.chunk_id,
            reported_by=tuple(same),
        )

    def who(i: int) -> str:
        return flat[i][1].speaker or flat[i][0].outlet

    order = [int(i) for i in (-scores).argsort(kind="stable")]
    picked = order[: t.key_statements]
    denies: dict[int, str] = {}
    for i in list(picked):  # a denial is shown beside what it denies, from another voice
        if not flat[i][1].denial:
            continue
        disputed = [
            j
            for j in order
            if not flat[j][1].denial and who(j) != who(i) and _shared(terms[i], terms[j]) >= t.dispute_overlap
        ]
        if disputed:
            denies[i] = who(disputed[0])
            if disputed[0] not in picked:
                picked.append(disputed[0])
    chosen = [replace(make(i), denies=denies.get(i)) for i in picked]
    return KeyEvidence(
        query=query,
        statements=tuple(chosen),
        voices=_voices(chosen, several_outlets=len(outlets) > 1),
        sources=sources,
        ahead=ahead,
        seconds=seconds,
    )


def _voices(statements: Sequence[KeyStatement], *, several_outlets: bool) -> tuple[Voice, ...]:
    """The statements grouped by who says them, in order of each one's best statement, with what to note."""
    groups: dict[str, list[KeyStatement]] = {}
    for st in statements:
        groups.setdefault(st.who, []).append(st)
    voices: list[Voice] = []
    for who, own in groups.items():
        notes: list[str] = []
        denied = sorted({st.denies for st in own if st.denies})
        if denied:
            notes.append(f"denies what {' and '.join(denied)} {'says' if len(denied) == 1 else 'say'}")
        reporters = {o for st in own for o in st.reported_by}
        if several_outlets and len(reporters) == 1:
            notes.append(f"only {next(iter(reporters))} reports this")
        voices.append(Voice(who=who, statements=tuple(own), note="; ".join(notes) or None))
    return tuple(voices)


__all__ = ["key_evidence"]
