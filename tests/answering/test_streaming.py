"""A question that asks two things is answered part by part, and the joined answer is still never taken back.

The backend here is the real extractive one (it quotes the best evidence sentence of each request), wrapped
to record what it was asked; the local model's part-by-part answers are measured in benchmarks/RESULTS.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from rag import config
from rag.answering import answer_stream, pipeline
from rag.answering.streaming import not_found
from rag.errors import BackendError
from rag.llm.extractive import ExtractiveLLM
from rag.types import REFUSAL, Answer, Evidence, KeyEvidence, LLMRequest, Passage

TWO = "What memorandum did Russia and Belarus sign in January 2023, and what did Lukashenko say about the West?"
PARTS = ("What memorandum did Russia and Belarus sign in January 2023?", "What did Lukashenko say about the West?")


class Quoting(ExtractiveLLM):
    """The extractive backend, keeping each request; ``refuse`` and ``fail`` name calls (0-based) that go wrong."""

    def __init__(self, refuse: tuple[int, ...] = (), fail: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.requests: list[LLMRequest] = []
        self.refuse, self.fail = refuse, fail

    def stream(self, request: LLMRequest) -> Iterator[str]:
        call = len(self.requests)
        self.requests.append(request)
        if call in self.fail:
            raise BackendError("the local model crashed (SIGSEGV in llama.cpp); it restarts with the next question")
        yield from [REFUSAL] if call in self.refuse else super().stream(request)


def run(llm: Quoting, monkeypatch: pytest.MonkeyPatch, question: str = TWO) -> tuple[KeyEvidence, list[str], Answer]:
    """The evidence, every state of the answer as a reader sees it, and the final answer."""
    monkeypatch.setattr(pipeline, "get_backend", lambda _name=None: llm)
    items = list(answer_stream(question, backend="extractive"))
    shown, states = "", []
    for item in items[1:-1]:
        assert isinstance(item, str)
        shown += item
        states.append(shown)
    assert isinstance(items[0], KeyEvidence) and isinstance(items[-1], Answer)
    final = items[-1]
    assert all(final.text.startswith(state) for state in states), "nothing shown is taken back"
    return items[0], states, final


def test_each_part_is_its_own_model_call_over_the_same_numbered_sources(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = Quoting()
    evidence, _, final = run(llm, monkeypatch)
    assert tuple(r.question for r in llm.requests) == PARTS and final.attempts == 2
    numbers = {c.n for c in evidence.sources}  # the sources listed with the key statements, before any answer
    assert numbers == set(range(1, len(final.passages) + 1))
    for request in llm.requests:
        assert request.evidence and request.valid_citations <= numbers  # the whole question's numbers
        assert f"Question: {request.question}" in request.user and TWO not in request.user
    assert final.citations and not final.abstained
    for request in llm.requests:  # a number means the same passage in every part's request and in the answer
        for e in request.evidence:
            passage = final.passages[e.n - 1]
            assert all(st.text.rstrip("…") in f"{passage.lead} {passage.text}" for st in e.statements)


def test_a_question_that_asks_one_thing_is_one_call(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = Quoting()
    run(llm, monkeypatch, PARTS[0])
    assert [r.question for r in llm.requests] == [PARTS[0]]


def test_with_answer_parts_off_the_whole_question_is_one_call(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config.get_settings(), "answer_parts", False)
    llm = Quoting()
    _, _, final = run(llm, monkeypatch)
    assert [r.question for r in llm.requests] == [TWO] and final.attempts == 1


def test_a_part_the_sources_do_not_answer_is_said_once_after_the_answered_part(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, states, final = run(Quoting(refuse=(0,)), monkeypatch)
    assert REFUSAL not in final.text and not final.abstained and final.citations
    assert final.text.endswith(" " + not_found([0]))
    assert not any(state.startswith(not_found([0])) for state in states), "the answered part comes first"


def test_when_no_part_is_answered_the_answer_is_the_refusal(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, states, final = run(Quoting(refuse=(0, 1)), monkeypatch)
    assert final.text == REFUSAL and final.abstained and states == [REFUSAL]


def test_a_model_that_fails_on_the_second_part_keeps_the_first_and_every_source(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, states, final = run(Quoting(fail=(1,)), monkeypatch)
    assert final.error and states and final.text.startswith(states[-1])
    assert "failed" in final.text and not final.abstained
    assert {c.n for c in final.citations} == set(range(1, len(final.passages) + 1))


@pytest.mark.parametrize(
    "parts, sentence",
    [
        ([0], "I cannot find the answer to the first part of the question in the sources."),
        ([1], "I cannot find the answer to the second part of the question in the sources."),
        ([0, 2], "I cannot find the answer to the first and third parts of the question in the sources."),
    ],
)
def test_the_unanswered_parts_are_named_by_position(parts: list[int], sentence: str) -> None:
    assert not_found(parts) == sentence


def test_a_passage_only_a_part_uses_is_numbered_after_the_whole_questions_without_gaps() -> None:
    def passage(n: int) -> Passage:
        return Passage(
            text=f"Text {n}.", score=1.0, similarity=0.5, source=f"d{n}", title=None, publisher=None, url=None,
            date=None, chunk_id=f"c{n}", start=0, end=7,
        )  # fmt: skip

    a, b, c, d, e = (passage(n) for n in range(5))
    retrieved = [a, b, c, d, e]

    def request(numbers: Sequence[int], uses: list[Passage]) -> tuple[LLMRequest, list[Passage]]:
        ns = [numbers[retrieved.index(p)] for p in uses]
        fences = "".join(f"<source n={n}>{p.text}</source>" for n, p in zip(ns, uses, strict=True))
        evidence = [Evidence(n=n, text=p.text) for n, p in zip(ns, uses, strict=True)]
        return LLMRequest(system="", user=fences, question="", evidence=evidence), uses

    def build(numbers: Sequence[int]) -> list[tuple[LLMRequest, list[Passage]]]:
        return [request(numbers, [b, a]), request(numbers, [e])]  # the parts use b and e, which the whole left out

    requests, given = pipeline._numbered_by_part(build, retrieved, [a, c])
    assert given == [a, c, b, e]  # the whole's two keep 1 and 2; the parts' extra ones follow, in retrieval order
    assert [[x.n for x in r.evidence] for r in requests] == [[3, 1], [4]]  # d, unused, has no number in the answer
    assert requests[1].user == "<source n=4>Text 4.</source>"


def test_an_uncited_part_answer_beside_an_unanswered_part_is_not_a_refusal(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terse(Quoting):
        def stream(self, request: LLMRequest) -> Iterator[str]:
            self.requests.append(request)
            yield REFUSAL if len(self.requests) == 1 else "Lukashenko spoke about the West."

    monkeypatch.setattr(config.get_settings(), "answer_checks", "negation")  # nothing adds a citation to it
    _, _, final = run(Terse(), monkeypatch)
    assert final.text == "Lukashenko spoke about the West. " + not_found([0]) and not final.abstained


def test_a_part_left_unanswered_is_still_said_when_the_next_part_fails(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, final = run(Quoting(refuse=(0,), fail=(1,)), monkeypatch)
    assert final.text.startswith(not_found([0])) and final.error and not final.abstained


@pytest.mark.parametrize("repeats", [6, 10], ids=["no room for a source", "no room for the part itself"])
def test_parts_too_long_for_their_prompt_leave_one_call_for_the_whole_question(
    seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch, repeats: int
) -> None:
    monkeypatch.setattr(config.get_settings(), "part_prompt_budget", 100)
    detail = " of the two states and of the Union State" * repeats
    long_two = f"What memorandum did Russia and Belarus sign{detail}, and what did Lukashenko say{detail}?"
    llm = Quoting()
    _, _, final = run(llm, monkeypatch, long_two)
    assert [r.question for r in llm.requests] == [long_two] and final.error is None
