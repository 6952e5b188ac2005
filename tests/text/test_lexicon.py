"""The one lexicon of reported speech, denial and negation, and whose claim a statement is."""

from __future__ import annotations

import pytest

from rag.speakers import attribute
from rag.text.lexicon import as_claimant, claimant, forms, negation, reported_speech
from rag.types import Statement


@pytest.mark.parametrize(
    "lemma, expected",
    [
        ("deny", {"deny", "denies", "denied", "denying"}),
        ("say", {"say", "says", "said", "saying"}),
        ("dismiss", {"dismiss", "dismisses", "dismissed", "dismissing"}),
        ("state", {"state", "states", "stated", "stating"}),
        ("write", {"write", "writes", "wrote", "written", "writing"}),
        ("admit", {"admit", "admits", "admitted", "admitting"}),  # the final consonant doubles
    ],
)
def test_forms_spell_out_a_verb(lemma: str, expected: set[str]) -> None:
    assert forms(lemma) == expected


@pytest.mark.parametrize(
    "text, negated",
    [
        ("The union ruled out a strike.", True),
        ("The ministry disputed the figures.", True),
        ("She rebutted the claim.", True),
        ("He didn't sign.", True),
        ("They never met.", True),
        ("The port reopened in June.", False),
        ("Nothingness is a word.", False),  # a word boundary, not a prefix
    ],
)
def test_negation_covers_denials_and_negative_words(text: str, negated: bool) -> None:
    assert bool(negation().search(text)) is negated


@pytest.mark.parametrize(
    "text, reported",
    [
        ("The mayor tweeted that the bridge was safe.", True),
        ("She testified that she saw nothing.", True),
        ("He reiterated the offer.", True),
        ("According to the union, the port closes.", True),
        ("The bridge is safe.", False),
    ],
)
def test_reported_speech_knows_the_fuller_list(text: str, reported: bool) -> None:
    assert bool(reported_speech().search(text)) is reported


@pytest.mark.parametrize(
    "text, speaker, denial",
    [
        ("Ana Ruiz ruled out any talks with the union.", "Ana Ruiz", True),
        ("Ana Ruiz disputed the union's figures.", "Ana Ruiz", True),
        ("Ana Ruiz reiterated that the port would reopen.", "Ana Ruiz", False),
        ("Ana Ruiz testified that the port was safe.", "Ana Ruiz", False),
    ],
)
def test_the_speaker_annotation_reads_the_same_lexicon(text: str, speaker: str, denial: bool) -> None:
    [found] = attribute(text)
    assert (found.speaker, found.denial) == (speaker, denial)


@pytest.mark.parametrize(
    "speaker, expected",
    [
        ("Ana Ruiz", "Ana Ruiz"),
        ("Ana Ruiz's", None),
        ("he", None),
        ("It", None),
        (None, None),
        ("the union", "the union"),
    ],
)
def test_only_a_name_is_put_after_according_to(speaker: str | None, expected: str | None) -> None:
    assert as_claimant(speaker) == expected
    assert claimant(Statement("It reopens.", speaker), "Coast Herald") == (expected or "Coast Herald")
