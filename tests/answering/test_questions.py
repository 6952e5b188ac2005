"""Question analysis: a double question is split for one retrieval a part; a kind is read past an opening "And"."""

from __future__ import annotations

import re

import pytest

from rag.answering.questions import (
    QUANTITY_QUESTION,
    WHO_QUESTION,
    YES_NO_QUESTION,
    question_parts,
)


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


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who met Lavrov?", WHO_QUESTION),
        ("And who met him?", WHO_QUESTION),
        ("So, is the claim true?", YES_NO_QUESTION),
        ("But did they sign it?", YES_NO_QUESTION),
        ("Then how many were there?", QUANTITY_QUESTION),
    ],
)
def test_a_follow_ups_opening_connective_does_not_hide_its_kind(question: str, kind: re.Pattern[str]) -> None:
    assert kind.match(question)


@pytest.mark.parametrize("question", ["Android phones: who makes them?", "Andrew met whom?", "Sole trader?"])
def test_a_word_that_only_starts_like_a_connective_is_not_one(question: str) -> None:
    assert not any(k.match(question) for k in (WHO_QUESTION, YES_NO_QUESTION, QUANTITY_QUESTION))
