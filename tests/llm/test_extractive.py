"""The no-LLM backend quotes cited evidence or refuses."""

from __future__ import annotations

from rag.answering.evidence import REFUSAL, is_refusal
from rag.llm import Evidence, LLMRequest
from rag.llm.extractive import ExtractiveLLM, answer
from rag.text.markers import find_markers

EVIDENCE = [
    Evidence(
        n=1,
        text="Russia and Belarus signed a memorandum on biological security. … The ministers met in Minsk.",
        publisher="Sputnik",
    ),
    Evidence(
        n=2,
        text="Lavrov said the West has turned Ukraine into a bridgehead against the Union State.",
        publisher="Sputnik",
    ),
]


def test_best_sentence_is_quoted_cited_and_attributed_to_the_outlet() -> None:
    out = answer("What memorandum did Russia and Belarus sign?", EVIDENCE)
    assert out == "According to Sputnik, Russia and Belarus signed a memorandum on biological security [1]."


def test_a_sentence_that_names_its_speaker_keeps_its_own_attribution() -> None:
    out = answer("What has the West turned Ukraine into?", EVIDENCE)
    assert out.startswith("Lavrov said the West has turned Ukraine into a bridgehead")
    assert find_markers(out) == [2]


def test_nothing_overlapping_gives_the_refusal() -> None:
    assert answer("How much natural gas does Norway export?", EVIDENCE) == REFUSAL
    assert answer("Anything?", []) == REFUSAL


def test_backend_streams_the_answer() -> None:
    req = LLMRequest(system="", user="", question="Where did the ministers meet?", evidence=EVIDENCE)
    out = "".join(ExtractiveLLM().stream(req))
    assert "Minsk" in out and find_markers(out) == [1] and not is_refusal(out)
