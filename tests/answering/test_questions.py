"""A question that asks two things is split so each part gets its own retrieval."""

from __future__ import annotations

import pytest

from rag.answering.questions import question_parts


@pytest.mark.parametrize(
    "question, parts",
    [
        (
            "Who did Lavrov meet in Minsk and what did they sign?",
            ["Who did Lavrov meet in Minsk?", "What did they sign? (Who did Lavrov meet in Minsk?)"],
        ),
        (
            "Where was the summit held, and when did it end?",
            ["Where was the summit held?", "When did it end? (Where was the summit held?)"],
        ),
        ("What did Russia and Belarus sign?", ["What did Russia and Belarus sign?"]),  # "and" inside one part
        ("Who met and why?", ["Who met and why?"]),  # too short to be two questions
    ],
)
def test_a_double_question_is_split_at_its_second_question_word(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts
