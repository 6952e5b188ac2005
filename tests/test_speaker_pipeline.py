"""The part of an article spaCy reads for who says what, and the pipeline's faster attribute ruler (real model)."""

from __future__ import annotations

from rag.speaker_pipeline import _fast_match, in_scope, nlp
from rag.speakers import attribute

ARTICLE = (
    "Harbour Minister Ana Ruiz opened the new ferry terminal in Porto Alto on Monday.\n\n"
    "The terminal cost 40 million euros. Its roof holds 2,000 solar panels. "
    "Ferries will leave every twenty minutes.\n\n"
    "Ruiz said the port would double its traffic by 2030.\n\n"
    "The weather was mild. A brass band played.\n\n"
    "“We will not raise fares. Tickets stay at two euros. Nobody pays more,” she added.\n\n"
    "The old pier closes in May."
)


def test_blanking_keeps_every_offset_and_line_break() -> None:
    scoped = in_scope(ARTICLE)
    assert len(scoped) == len(ARTICLE)
    assert [i for i, c in enumerate(scoped) if c == "\n"] == [i for i, c in enumerate(ARTICLE) if c == "\n"]
    assert all(c == s or c == " " for s, c in zip(ARTICLE, scoped, strict=True))


def test_reporting_sentences_and_the_one_before_them_are_kept() -> None:
    scoped = in_scope(ARTICLE)
    for sentence in (
        "Ruiz said the port would double its traffic by 2030.",  # a reporting verb
        "Ferries will leave every twenty minutes.",  # the sentence before it: "he" and "the minister" look back
        "A brass band played.",
        "Tickets stay at two euros.",  # inside an open quotation: its speaker comes where it closes
    ):
        assert sentence in scoped, sentence


def test_a_sentence_naming_a_speaker_in_full_is_kept_the_rest_blanked() -> None:
    scoped = in_scope(ARTICLE)
    assert "Harbour Minister Ana Ruiz opened the new ferry terminal" in scoped  # "Ruiz said" needs her full name
    for sentence in ("The terminal cost 40 million euros.", "The weather was mild.", "The old pier closes in May."):
        assert sentence not in scoped, sentence


def test_a_text_that_is_all_reported_speech_is_read_whole() -> None:
    text = "The mayor said the bridge was safe. “It will stand,” she added."
    assert in_scope(text) is text


def test_a_piece_the_splitter_cut_off_stays_with_its_sentence() -> None:
    text = "Doors open at 9 a.m. on weekdays, the manager said.\n\nParking is free."
    assert "on weekdays, the manager said." in in_scope(text)


def test_speakers_and_sentence_bounds_are_those_of_the_whole_article() -> None:
    found = {ARTICLE[a.start : a.end].strip(): a.speaker for a in attribute(ARTICLE)}
    assert found == {
        "Ruiz said the port would double its traffic by 2030.": "Ana Ruiz",
        "“We will not raise fares.": "Ana Ruiz",
        "Tickets stay at two euros.": "Ana Ruiz",
        "Nobody pays more,” she added.": "Ana Ruiz",
    }
    whole = [(s.start_char, s.end_char) for s in nlp()(ARTICLE).sents]  # spaCy's sentences of the unblanked text
    assert all((a.start, a.end) in whole for a in attribute(ARTICLE))


def test_the_fast_attribute_ruler_finds_what_spacy_s_matcher_finds() -> None:
    pipeline = nlp()
    ruler = pipeline.get_pipe("attribute_ruler")
    text = ARTICLE + " There's nothin' y'all can do, I ain't gonna let 's go. It does. But do it!\n\n  \t "
    with pipeline.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        doc = pipeline(text)
    fast = _fast_match(ruler)
    expected = sorted((int(ruler.vocab.strings[m]), m, s, e) for m, s, e in ruler.matcher(doc, allow_missing=True))
    assert fast is not None and fast(doc) == expected
