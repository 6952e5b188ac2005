"""Question kinds: a kind is read past an opening "And"."""

from __future__ import annotations

import re

import pytest

from rag.answering.questions import (
    QUANTITY_QUESTION,
    WHO_QUESTION,
    YES_NO_QUESTION,
)


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
