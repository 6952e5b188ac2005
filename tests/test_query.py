"""Query analysis: a question that asks two things is searched once for each part."""

from __future__ import annotations

import pytest

from rag.query import clause_parts, plan_query


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Who did the envoy meet in Tallinn and what did they sign?",
            ["Who did the envoy meet in Tallinn?", "What did they sign?"],
        ),
        ("Where was the summit held, and when did it end?", ["Where was the summit held?", "When did it end?"]),
        # a question word after its preposition starts the second question too, when a clause asks it
        (
            "How long did the strike last, and in which port did it begin?",
            ["How long did the strike last?", "In which port did it begin?"],
        ),
        ("Who chairs the board, and for how long?", ["Who chairs the board, and for how long?"]),
        ("What did Norway and Chile sign?", ["What did Norway and Chile sign?"]),  # "and" inside one clause
        ("Who wrote about the ferry and about what it cost?", ["Who wrote about the ferry and about what it cost?"]),
        ("Who met and why?", ["Who met and why?"]),  # too short to be two questions
    ],
)
def test_a_double_question_is_split_at_its_second_question_word(question: str, parts: list[str]) -> None:
    assert clause_parts(question) == parts


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # a later part that points back borrows the earlier part's noun phrases, never its other words
        (
            "Who did the envoy meet in Tallinn and what did they sign?",
            ("Who did the envoy meet in Tallinn?", "What did they sign? (the envoy, Tallinn)"),
        ),
        # a part that names its own subject borrows nothing
        (
            "Which firm built the ferry terminal, and how many people did the storm displace?",
            ("Which firm built the ferry terminal?", "How many people did the storm displace?"),
        ),
        # names joined by "and" inside one clause are one search ("Norway and Chile" is often one party)
        ("What did Ana Ruiz and Tom Berg say about the vote?", ()),
        ("What did the mayor of Tallinn say about the vote?", ()),
    ],
)
def test_each_part_of_a_question_is_a_search_of_its_own(question: str, parts: tuple[str, ...]) -> None:
    assert plan_query(question).parts == parts


def test_a_question_is_not_split_when_splitting_is_off() -> None:
    assert plan_query("Who did the envoy meet in Tallinn and what did they sign?", split=False).parts == ()


@pytest.mark.parametrize(
    ("question", "periods"),
    [
        ("What did the mayor say in May 2021?", ((2021, 5),)),
        ("What was agreed on 3 Sept. 2019 and in 2020?", ((2019, 9), (2020, None))),
        ("How many ferries sail in winter?", ()),
        ("Who won the 1500 metres?", ()),  # a figure, not a year
    ],
)
def test_the_years_and_months_a_question_names_are_read(
    question: str, periods: tuple[tuple[int, int | None], ...]
) -> None:
    assert plan_query(question).periods == periods
