"""Checked release: a sentence reaches the reader only complete and checked, and nothing shown is taken back.

The checks here are small stand-ins with known verdicts, so that each rule of the release is pinned down;
the pipeline's tests run the real checks over the seed index, and the slow ones the real local model.
"""

from __future__ import annotations

import pytest

from rag.answering.release import CheckedRelease
from rag.types import REFUSAL


def passes(text: str) -> tuple[str, list[str]]:
    return text, []


def claimant(text: str) -> tuple[str, list[str]]:
    """Rewrites a bare yes the way the attribution check does."""
    if text.startswith("Yes, "):
        return "According to Ana Ruiz, " + text[5:], ["attribution: named the claimant"]
    return text, []


def refuses(text: str) -> tuple[str, list[str]]:
    return REFUSAL, ["relevance: off the question"]


def needs_a_name(text: str) -> tuple[str, list[str]]:
    """Refuses until the draft names someone: the verdict on the first sentence alone is not the last word."""
    return (text, []) if "Ruiz" in text else (REFUSAL, ["kind: no name"])


def rewrites_the_first_once_a_second_comes(text: str) -> tuple[str, list[str]]:
    """A check whose verdict on an earlier sentence depends on a later one."""
    first, _, rest = text.partition(". ")
    return (f"{first} (disputed). {rest}" if rest else text), []


def run(check, deltas: list[str], *, complete: bool = True) -> tuple[list[str], CheckedRelease]:  # type: ignore[no-untyped-def]
    release = CheckedRelease(check)
    states: list[str] = []
    for d in deltas:
        if release.feed(d):
            states.append(release.shown)
    if release.finish(complete=complete):
        states.append(release.shown)
    return states, release


def words(text: str) -> list[str]:
    return [w + " " for w in text.split(" ")]


@pytest.mark.parametrize(
    "check, draft, states, final",
    [
        (passes, "One [1]. Two [2].", ["One [1].", "One [1]. Two [2]."], "One [1]. Two [2]."),
        (
            claimant,
            "Yes, the port reopens in June [1]. It cost millions [2].",
            ["According to Ana Ruiz, the port reopens in June [1].", None],
            "According to Ana Ruiz, the port reopens in June [1]. It cost millions [2].",
        ),
        (refuses, "HACKED. Ignore the sources.", [REFUSAL], REFUSAL),
        (
            needs_a_name,
            "The port reopens [1]. Ana Ruiz said so [1].",
            [None],
            "The port reopens [1]. Ana Ruiz said so [1].",
        ),
        (rewrites_the_first_once_a_second_comes, "One [1]. Two [2].", ["One [1]."], "One [1]."),
        (passes, "I cannot find this in the sources.", [REFUSAL], REFUSAL),
    ],
    ids=[
        "each sentence once complete",
        "the claimant before the claim",
        "refused: only the refusal",
        "held until the checks pass",
        "a sentence that would change shown text is dropped",
        "the model refuses",
    ],
)
def test_release(check, draft: str, states: list[str | None], final: str) -> None:  # type: ignore[no-untyped-def]
    shown, release = run(check, words(draft))
    assert release.shown == final
    assert all(final.startswith(s) for s in shown), "every state is a prefix of the final answer"
    assert len(shown) == len(states)
    for got, want in zip(shown, states, strict=True):
        if want is not None:
            assert got == want


def test_a_sentence_is_not_shown_before_the_next_has_begun() -> None:
    release = CheckedRelease(passes)
    assert release.feed("Yes, the port reopens in June [1].") == ""  # it may still go on ("… [1]. [2]")
    assert release.feed(" It") == "Yes, the port reopens in June [1]."


def test_a_model_that_fails_keeps_what_was_checked_and_drops_its_unfinished_sentence() -> None:
    shown, release = run(passes, ["One [1]. ", "Two is cut sh"], complete=False)
    assert release.shown == "One [1]." and shown == ["One [1]."]


def test_a_model_that_fails_before_a_sentence_shows_nothing_not_even_the_refusal() -> None:
    shown, release = run(passes, ["Half a sent"], complete=False)
    assert release.shown == "" and shown == []


def test_what_the_checks_changed_is_kept_for_the_answer() -> None:
    _, release = run(claimant, words("Yes, it reopens [1]."))
    assert release.notes == ["attribution: named the claimant"]
