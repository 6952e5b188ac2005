"""Who says what: reported speech found with spaCy and the speaker resolved across the article (real model)."""

from __future__ import annotations

import re

import pytest
import spacy

from rag.speaker_pipeline import _quotation_paragraphs
from rag.speakers import attribute, from_metadata, to_metadata
from rag.types import Attribution

ARTICLE = (
    "Russian Foreign Minister Sergey Lavrov met his Belarusian counterpart Sergei Aleinik in Minsk on Thursday. "
    "Russia is not holding any secret talks with the West, the Russian foreign minister stressed. "
    "“We are not conducting any undercover negotiations with anyone,” he told reporters. "
    "According to the Taliban, its fighters shot down the helicopter. "
    "The two ministers signed a memorandum on biological security. "
    "But the company says she did not need its permission. "
    "Rudolph's supporters have stated that he had no choice. "
    "Sheldon Richardson decided to weigh in on Monday, saying that Rudolph should be disciplined. "
    "The Democrats are alleging that the call was irregular. "
    "“It was an attempt to mislead voters,’’ Will Moy told the BBC. "
    "“It is inappropriate.” "
    "Taylor Swift accused the label of bullying. "
    "The label says it never blocked her. "
    "She said she was hurt. "
    "“One more year is over. We have approximately the same results. We will stand our ground,” "
    "Belarusian President Aleksandr Lukashenko said. "
    "The coalition wrote to Mayor Hill that the offer was too low. "
    "Later, the coalition added that talks had not resumed. "
    "China's ambassador to Britain, Liu Wen, accused London of meddling. "
    "China said it was committed to the agreement."
)


@pytest.fixture(scope="module")
def found() -> dict[str, Attribution]:
    return {ARTICLE[a.start : a.end]: a for a in attribute(ARTICLE)}


@pytest.mark.parametrize(
    "sentence, speaker, denial",
    [
        (
            "Russia is not holding any secret talks with the West, the Russian foreign minister stressed.",
            "Sergey Lavrov",
            True,
        ),
        ("“We are not conducting any undercover negotiations with anyone,” he told reporters.", "Sergey Lavrov", True),
        ("According to the Taliban, its fighters shot down the helicopter.", "Taliban", False),
        ("We have approximately the same results.", "Aleksandr Lukashenko", False),  # inside the quotation
        ("But the company says she did not need its permission.", "the company", True),  # described, not named
        ("Rudolph's supporters have stated that he had no choice.", "Rudolph's supporters", False),  # not Rudolph
        (
            "Sheldon Richardson decided to weigh in on Monday, saying that Rudolph should be disciplined.",
            "Sheldon Richardson",
            False,
        ),  # the participle's speaker is its clause's subject
        ("The Democrats are alleging that the call was irregular.", "Democrats", False),  # a group, not a person
        ("She said she was hurt.", "Taylor Swift", False),  # the last person who spoke, not "the label"
        # the one spoken to takes no role from the group that spoke: "the coalition" is not Hill
        ("Later, the coalition added that talks had not resumed.", "the coalition", True),
        ("China said it was committed to the agreement.", "China", False),  # a country, not its ambassador
    ],
)
def test_speakers_are_resolved_to_the_person_named_earlier(
    found: dict[str, Attribution], sentence: str, speaker: str, denial: bool
) -> None:
    a = found[sentence]
    assert (a.speaker, a.denial) == (speaker, denial)


def test_a_plain_statement_has_no_speaker(found: dict[str, Attribution]) -> None:
    assert "The two ministers signed a memorandum on biological security." not in found


def test_a_quotation_closed_with_odd_quote_marks_ends_at_its_attribution(found: dict[str, Attribution]) -> None:
    assert found["“It was an attempt to mislead voters,’’ Will Moy told the BBC."].speaker == "Will Moy"
    # a quotation straight after an attributed one is the same speaker going on, not whoever speaks next
    assert found["“It is inappropriate.”"].speaker == "Will Moy"


def test_a_whole_quotation_after_an_attributed_sentence_is_the_same_speaker_going_on() -> None:
    text = (
        "“It was a mistake,” the coach said. “We will learn from it.” The club's owner was not there. “Nobody told me.”"
    )
    found = {text[a.start : a.end].strip(): a.speaker for a in attribute(text)}
    assert found["“We will learn from it.”"] == "the coach"
    assert "“Nobody told me.”" not in found  # after a sentence with no speaker: nobody to go on


@pytest.mark.parametrize(
    "text, starts",
    [
        ("“We will learn from it.”\n\nThe owner defended it, saying it was fair.", ["The"]),
        ("“It was fair,’’ he said.\n\nThe owner agreed.", []),  # no quotation closes the paragraph: the parser's
        ('"It was fair."\n\nThe owner agreed.', []),  # a straight quote may open as well as close
    ],
)
def test_a_quotation_that_closes_a_paragraph_ends_its_sentence(text: str, starts: list[str]) -> None:
    doc = _quotation_paragraphs(spacy.blank("en")(text))
    assert [t.text for t in doc if t.is_sent_start and t.i > 0] == starts


def test_chunk_metadata_round_trips_with_offsets_relative_to_the_chunk() -> None:
    rows = [Attribution(10, 40, "Sergey Lavrov", True), Attribution(50, 90, "Taliban")]
    back = from_metadata(to_metadata(rows, 20, 60))
    assert back == [Attribution(0, 20, "Sergey Lavrov", True), Attribution(30, 40, "Taliban")]
    assert from_metadata("not json") == [] and from_metadata(None) == []


def test_a_role_used_before_the_article_names_its_holder_is_resolved_later_on() -> None:
    text = (
        "Europe has submitted to Washington, the Russian foreign minister said on Friday. "
        "Russian Foreign Minister Sergey Lavrov spoke in Minsk. "
        "His lawyer said the case was closed. "
        "Peter Hill, the lawyer of Anna Berg, was not there."
    )
    found = {text[a.start : a.end].strip(): a.speaker for a in attribute(text)}
    assert found["Europe has submitted to Washington, the Russian foreign minister said on Friday."] == "Sergey Lavrov"
    assert found["His lawyer said the case was closed."] == "His lawyer"  # someone's lawyer: not resolved ahead


@pytest.mark.parametrize(
    "text, speaker",
    [
        ("Ana Ruiz, a former ministry official, said the port would close.", "Ana Ruiz, a former ministry official"),
        ("The Coastal Workers' Union said the port would close.", "Coastal Workers' Union"),
        ("Maria Lopez's former chief engineer told the paper that the plant was rebuilt.", None),  # a description
        ("The plant was rebuilt, said Adnan Saeed, an engineer who left Maria Lopez's ministry.", "Adnan Saeed"),
    ],
)
def test_a_claimant_reads_as_a_name_never_a_possessive_fragment(text: str, speaker: str | None) -> None:
    found = [a.speaker for a in attribute(text)]
    assert len(found) == 1 and not re.search(r"['’]s$", found[0])
    if speaker is not None:
        assert found[0] == speaker
