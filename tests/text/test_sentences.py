"""The sentence splitter: spans, glued text, quotations and answer lines."""

from __future__ import annotations

import pytest

from rag.text.sentences import complete_end, sentence_spans, split_answer, split_sentences
from rag.text.tokens import count_tokens

ENGLISH = (
    "Sergey Lavrov arrived in Minsk on Thursday. He met Belarusian Foreign Minister Sergei Aleinik. "
    "The ministers signed a memorandum on biological security. Mr. Lavrov said the West had failed. "
    "Talks covered the U.S. role in Europe, NATO and the OSCE! Did they agree? They agreed on a plan for 2023."
)


def test_sentences_split_on_punctuation_and_lines_but_not_abbreviations() -> None:
    spans = sentence_spans(ENGLISH)
    sentences = [ENGLISH[a:b] for a, b in spans]
    assert sentences[3] == "Mr. Lavrov said the West had failed."
    assert "Talks covered the U.S. role in Europe, NATO and the OSCE!" in sentences
    assert sentences[-2:] == ["Did they agree?", "They agreed on a plan for 2023."]
    lines = "One line\nAnother line"
    assert [lines[a:b] for a, b in sentence_spans(lines)] == ["One line", "Another line"]


def test_split_sentences_handles_glued_scraped_text() -> None:
    text = "Lavrov spoke on Thursday.Russia's top diplomat stressed the view.Mr. Smith agreed."
    assert split_sentences(text) == [
        "Lavrov spoke on Thursday.",
        "Russia's top diplomat stressed the view.",
        "Mr. Smith agreed.",
    ]


def test_a_short_quotation_stays_whole_with_its_speaker_and_setting() -> None:
    text = (
        "The West “is already building a security architecture without Russia. We don’t need such security,” "
        "Lavrov said during a video conference. Journalists waited outside."
    )
    assert split_sentences(text) == [
        "The West “is already building a security architecture without Russia. We don’t need such security,” "
        "Lavrov said during a video conference.",
        "Journalists waited outside.",
    ]
    straight = 'He said "we will win. It is clear," and left. Then he went home.'
    assert split_sentences(straight) == ['He said "we will win. It is clear," and left.', "Then he went home."]


def test_a_long_quotation_is_not_glued_into_one_sentence() -> None:
    long = "“" + " ".join(f"Sentence number {i} of the speech is about trade and security matters." for i in range(6))
    parts = split_sentences(long + "” the leader said.")
    assert len(parts) >= 6 and all(count_tokens(p) < 40 for p in parts)


def test_split_answer_keeps_markers_with_their_sentence() -> None:
    assert split_answer("A said x [1]. B said y. [2]\nC.") == [["A said x [1].", "B said y. [2]"], ["C."]]


def test_a_quotation_is_one_sentence() -> None:
    text = 'Lukashenko said: "One more year is over. We will stand our ground." [3]'
    assert split_answer(text) == [[text]]
    assert split_answer('He said "It is over." Then he left [1].') == [['He said "It is over."', "Then he left [1]."]]


def test_glued_spans_split_scraped_text_and_drop_empty_pieces() -> None:
    text = "Lavrov spoke on Thursday.Russia's top diplomat stressed the view. …"
    assert [text[a:b] for a, b in sentence_spans(text, glued=True)] == [
        "Lavrov spoke on Thursday.",
        "Russia's top diplomat stressed the view.",
    ]
    plain = [text[a:b] for a, b in sentence_spans(text)]
    assert plain[0] == "Lavrov spoke on Thursday.Russia's top diplomat stressed the view."


@pytest.mark.parametrize(
    "answer",
    [
        "The man said he backed Rep. Ilhan Omar [1].",
        "He pleaded guilty to threatening a U. S. official [1].",
        "Dr. Smith and Mr. Jones met in the U.S. capital [2].",
    ],
)
def test_split_answer_does_not_end_a_sentence_at_an_abbreviation_or_initial(answer: str) -> None:
    assert split_answer(answer) == [[answer]]


@pytest.mark.parametrize(
    "streamed, complete",
    [
        ("Yes, the port reopens in June [1]", ""),  # the sentence may go on
        ("Yes, the port reopens in June [1].", ""),  # a marker or a closing quote may still follow
        ("The port reopens in June [1]. The", "The port reopens in June [1]. "),
        ("It reopens in June. [1] The", "It reopens in June. [1] "),  # the marker stays with its sentence
        ("Dr. Ruiz said so [1]. It", "Dr. Ruiz said so [1]. "),  # "Dr." ends nothing
        ('"It is over. We', ""),  # inside a quotation
        ("First line [1]\nSecond", "First line [1]\n"),
    ],
)
def test_a_streamed_answer_is_complete_up_to_the_last_sentence_the_next_has_begun_after(
    streamed: str, complete: str
) -> None:
    assert streamed[: complete_end(streamed)] == complete
