"""The key statements: verbatim evidence sentences, grouped by who says them, with denials and one-sided reports.

Built from the index's speaker annotations and the evidence ranking (the real embedding model), never by a model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from rag.answering import evidence_only
from rag.answering.keys import key_evidence
from rag.text.lexicon import PRONOUNS
from rag.types import Evidence, LLMRequest, Passage, Statement

QUESTION = "Will the port reopen in June?"


def passage(n: int, publisher: str, text: str) -> Passage:
    return Passage(
        text=text,
        score=1.0 / n,
        similarity=0.5,
        source=f"{n}.txt",
        title=f"Story {n}",
        publisher=publisher,
        url=f"https://example.org/{n}",
        date="2021-05-04",
        chunk_id=f"c{n}",
        start=0,
        end=len(text),
    )


def request(*sources: tuple[str, list[Statement]]) -> tuple[LLMRequest, list[Passage]]:
    evidence = [
        Evidence(n=n, text=" ".join(s.text for s in sts), publisher=pub, date="2021-05-04", statements=tuple(sts))
        for n, (pub, sts) in enumerate(sources, 1)
    ]
    given = [passage(e.n, e.outlet, e.text) for e in evidence]
    return LLMRequest(system="", user="", question=QUESTION, evidence=evidence), given


REOPENS = Statement("The port will reopen in June, Ana Ruiz said.", "Ana Ruiz")
DENIED = Statement("The union denied that the port will reopen in June.", "the Coastal Workers' Union", denial=True)
COST = Statement("The works cost four million euros.")


def voices(ev: Any) -> dict[str, str | None]:
    return {v.who: v.note for v in ev.voices}


def test_a_denial_is_shown_beside_what_it_denies_and_labelled(embedder: Any) -> None:
    req, given = request(("Coast Herald", [REOPENS, COST]), ("Daily Courier", [DENIED]))
    ev = key_evidence(QUESTION, QUESTION, req, given)
    texts = [s.text for s in ev.statements]
    assert REOPENS.text in texts and DENIED.text in texts
    denial = next(s for s in ev.statements if s.text == DENIED.text)
    assert denial.denies == "Ana Ruiz" and denial.outlet == "Daily Courier" and denial.n == 2
    assert voices(ev)["the Coastal Workers' Union"] == "denies what Ana Ruiz says; only Daily Courier reports this"


def test_a_statement_only_one_of_several_outlets_reports_says_so(embedder: Any) -> None:
    req, given = request(("Coast Herald", [REOPENS]), ("Daily Courier", [COST]))
    ev = key_evidence(QUESTION, QUESTION, req, given)
    assert voices(ev)["Ana Ruiz"] == "only Coast Herald reports this"


def test_a_statement_both_outlets_report_is_not_one_sided(embedder: Any) -> None:
    same = Statement("Ana Ruiz said the port will reopen in June.", "Ana Ruiz")
    req, given = request(("Coast Herald", [REOPENS]), ("Daily Courier", [same]))
    ev = key_evidence(QUESTION, QUESTION, req, given)
    assert voices(ev)["Ana Ruiz"] is None
    assert set(ev.statements[0].reported_by) == {"Coast Herald", "Daily Courier"}


def test_an_outlets_own_reporting_is_its_voice(embedder: Any) -> None:
    req, given = request(("Coast Herald", [COST]))
    ev = key_evidence("How much did the works cost?", "How much did the works cost?", req, given)
    assert [(s.who, s.speaker, s.url) for s in ev.statements] == [("Coast Herald", None, "https://example.org/1")]
    assert voices(ev) == {"Coast Herald": None}  # one outlet: nothing is one-sided


def test_at_most_the_configured_number_are_picked_best_first(embedder: Any) -> None:
    filler = [Statement(f"The harbour master inspected crane number {i}.") for i in range(6)]
    req, given = request(("Coast Herald", [*filler, REOPENS]))
    ev = key_evidence(QUESTION, QUESTION, req, given)
    assert len(ev.statements) == 3 and ev.statements[0].text == REOPENS.text


def test_no_evidence_gives_the_sources_and_no_statements() -> None:
    ev = key_evidence(QUESTION, QUESTION, None, [passage(1, "Coast Herald", "Unrelated.")])
    assert ev.statements == () and [c.n for c in ev.sources] == [1]


@pytest.mark.parametrize(
    "question",
    [
        "What did Lavrov say about European security without Russia?",
        "Is the West trying to use Ukraine against Belarus?",
        "What did Russia and Belarus sign in Minsk?",
    ],
)
def test_seed_key_statements_are_verbatim_and_name_their_speakers(seeded_settings: Any, question: str) -> None:
    ev = evidence_only(question)
    assert ev.statements
    for st in ev.statements:
        source = ev.sources[st.n - 1]
        assert st.text.rstrip("…") in source.text or st.text in (source.lead or "")  # verbatim from its passage
        assert st.speaker is None or st.speaker.lower() not in PRONOUNS
        assert st.chunk_id == source.chunk_id


def test_a_page_without_a_publisher_is_named_by_its_number_not_its_title(embedder: Any) -> None:
    req, given = request(("Coast Herald", [COST]), ("Daily Courier", [REOPENS]))
    untitled = replace(req.evidence[1], publisher=None, title="Meeting with the harbour board")
    ev = key_evidence(QUESTION, QUESTION, replace(req, evidence=[req.evidence[0], untitled]), given)
    assert voices(ev)["Ana Ruiz"] == "only source [2] reports this"
