"""Fake retrieval and answers for the evaluation tests: a scripted corpus, answerer and question set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.errors import BackendError
from rag.evaluation.questions import Question
from rag.evaluation.report import Report
from rag.evaluation.runner import run_eval


@dataclass(frozen=True)
class FakePassage:
    text: str
    source: str
    score: float = 1.0
    similarity: float = 0.5
    chunk_id: str = "c"


@dataclass(frozen=True)
class FakeCitation:
    n: int
    text: str
    source: str


@dataclass
class FakeAnswer:
    text: str
    raw_text: str
    abstained: bool
    query: str
    passages: list[FakePassage]
    citations: list[FakeCitation] = field(default_factory=list)


@dataclass
class FailedAnswer(FakeAnswer):
    error: str = "timeout"


CORPUS = {
    "memo": [
        FakePassage("Lavrov and Aleinik met.", "a.txt"),
        FakePassage("They signed a memorandum on biological security.", "b.txt", similarity=0.8),
    ],
    "surplus": [FakePassage("Belarus has a slight trade surplus.", "c.txt", similarity=0.7)],
    "other": [FakePassage("Unrelated text.", "z.txt", similarity=0.2)],
}


def fake_retrieve(query: str, k: int = 5, **_: Any) -> list[FakePassage]:
    for key, passages in CORPUS.items():
        if key in query.lower():
            return passages[:k]
    return CORPUS["other"][:k]


class FakeAnswerer:
    """Scripted answers keyed by question; records the history it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, str]] | None, str | None]] = []

    def __call__(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        backend: str | None = None,
        k: int | None = None,
    ) -> Iterator[Any]:
        self.calls.append((question, history, backend))
        if "fail" in question:
            raise BackendError("timed out")
        if question == "What did they sign?":
            query = "memo signed by Lavrov and Aleinik"
        elif "who met" in question.lower():
            query = "memo meeting"
        else:
            query = question
        passages = fake_retrieve(query)
        cites: list[FakeCitation]
        if "gas" in question:
            text, raw, abstained, cites = "I don't know.", "I don't know.", True, []
        elif "trade" in question:  # correct text but cites a passage that does not exist
            text, raw, abstained, cites = "A trade surplus.", "A trade surplus [9].", False, []
        elif "abstain" in question:  # false abstention on an answerable question
            text, raw, abstained, cites = "No answer.", "No answer.", True, []
        elif "who met" in question.lower():
            text, raw, abstained = "Lavrov and Aleinik [1].", "Lavrov and Aleinik [1].", False
            cites = [FakeCitation(1, passages[0].text, passages[0].source)]
        else:
            text = "A biological security memorandum [2]."
            raw, abstained = text, False
            cites = [FakeCitation(2, passages[1].text, passages[1].source)]
        for word in text.split(" "):
            yield word + " "
        yield FakeAnswer(text, raw, abstained, query, passages, cites)


def sample_questions() -> list[Question]:
    return [
        Question("mem", ("What memo was signed?",), ("biological security",), False, ("b.txt",), "fact"),
        Question("trade", ("What about trade surplus?",), ("surplus",), False, ("c.txt",), "fact"),
        Question("gas", ("How much gas?",), (), False, (), "unanswerable"),
        Question("two", ("Who met?", "What did they sign?"), ("biological security",), False, ("b.txt",), "followup"),
        Question("abst", ("memo abstain please",), ("biological security",), False, ("b.txt",), "fact"),
        Question("boom", ("memo fail",), ("biological security",), False, ("b.txt",), "fact"),
    ]


def sample_report() -> Report:
    return run_eval(
        sample_questions(), backend="fake", k=3, progress=False,
        retrieve_fn=fake_retrieve, answer_fn=FakeAnswerer(),
    )  # fmt: skip
