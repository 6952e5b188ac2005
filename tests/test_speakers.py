"""Who says what: reported speech found with spaCy and the speaker resolved across the article (real model)."""

from __future__ import annotations

import pytest

from rag.speakers import attribute, from_metadata, to_metadata
from rag.types import Attribution

ARTICLE = (
    "Russian Foreign Minister Sergey Lavrov met his Belarusian counterpart Sergei Aleinik in Minsk on Thursday. "
    "Russia is not holding any secret talks with the West, the Russian foreign minister stressed. "
    "“We are not conducting any undercover negotiations with anyone,” he told reporters. "
    "According to the Taliban, its fighters shot down the helicopter. "
    "The two ministers signed a memorandum on biological security. "
    "But the company says she did not need its permission. "
    "“One more year is over. We have approximately the same results. We will stand our ground,” "
    "Belarusian President Aleksandr Lukashenko said."
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
    ],
)
def test_speakers_are_resolved_to_the_person_named_earlier(
    found: dict[str, Attribution], sentence: str, speaker: str, denial: bool
) -> None:
    a = found[sentence]
    assert (a.speaker, a.denial) == (speaker, denial)


def test_a_plain_statement_has_no_speaker(found: dict[str, Attribution]) -> None:
    assert "The two ministers signed a memorandum on biological security." not in found


def test_chunk_metadata_round_trips_with_offsets_relative_to_the_chunk() -> None:
    rows = [Attribution(10, 40, "Sergey Lavrov", True), Attribution(50, 90, "Taliban")]
    back = from_metadata(to_metadata(rows, 20, 60))
    assert back == [Attribution(0, 20, "Sergey Lavrov", True), Attribution(30, 40, "Taliban")]
    assert from_metadata("not json") == [] and from_metadata(None) == []
