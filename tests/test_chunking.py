"""Chunking: sentence-aware, sized in cl100k tokens, never too long for the embedding model."""

from __future__ import annotations

import itertools

import pytest

from rag.chunking import chunk_document, lead_sentence
from rag.text.tokens import count_tokens
from rag.types import Document

ENGLISH = (
    "Sergey Lavrov arrived in Minsk on Thursday. He met Belarusian Foreign Minister Sergei Aleinik. "
    "The ministers signed a memorandum on biological security. Mr. Lavrov said the West had failed. "
    "Talks covered the U.S. role in Europe, NATO and the OSCE! Did they agree? They agreed on a plan for 2023."
)
CYRILLIC = (
    "Министр иностранных дел России Сергей Лавров прибыл в Минск для участия в совместной коллегии. "
    "Стороны обсудили сотрудничество в международных организациях и вопросы безопасности Союзного государства. "
)


def doc(text: str, title: str | None = "A title") -> Document:
    return Document(source="x.txt", path="/tmp/x.txt", text=text, title=title)


def test_every_chunk_keeps_its_exact_span_and_the_document_metadata() -> None:
    d = doc(ENGLISH * 6)
    chunks = chunk_document(d, size=40, overlap=10)
    assert len(chunks) > 3
    for c in chunks:
        assert d.text[c.start : c.end] == c.text
        assert c.doc_path == d.path
        assert c.embed_text == f"A title\n{c.text}"
    assert chunks[0].start == 0 and chunks[-1].end == len(d.text.rstrip())


def test_chunks_respect_size_and_share_an_overlap() -> None:
    chunks = chunk_document(doc(ENGLISH * 6), size=40, overlap=20)
    assert all(c.tokens <= 40 for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end, "consecutive chunks share whole trailing sentences"
        assert b.start > a.start
        assert count_tokens(a.text[b.start - a.start :]) <= 20


def test_a_sentence_longer_than_the_chunk_size_is_cut_on_token_boundaries() -> None:
    text = "word " * 300 + "end."
    chunks = chunk_document(doc(text, title=None), size=50, overlap=0)
    assert all(c.tokens <= 50 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")


def test_chunks_never_exceed_the_models_own_token_limit(embedder) -> None:  # type: ignore[no-untyped-def]
    """cl100k counts Cyrillic far lower than WordPiece does: a 240-token chunk would be truncated."""
    d = doc(CYRILLIC * 20, title="Лавров в Минске")
    cl100k_sized = chunk_document(d, size=240, overlap=0)
    assert any(embedder.count_tokens(c.embed_text) > embedder.max_tokens for c in cl100k_sized)

    checked = chunk_document(d, size=240, overlap=0, model_tokens=embedder.count_tokens, model_max=embedder.max_tokens)
    assert all(embedder.count_tokens(c.embed_text) <= embedder.max_tokens for c in checked)
    assert "".join(c.text for c in checked).replace(" ", "") == d.text.replace(" ", "")


def test_model_token_count_includes_special_tokens(embedder) -> None:  # type: ignore[no-untyped-def]
    assert embedder.count_tokens("hello") == 3  # [CLS] hello [SEP]
    long = "word " * 500
    assert embedder.count_tokens(long) > 500, "the packaged tokenizer's truncation at 128 is switched off"


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError):
        chunk_document(doc(ENGLISH), size=20, overlap=20)


def test_chunk_ids_are_stable_and_content_addressed() -> None:
    a = chunk_document(doc(ENGLISH * 3), size=40, overlap=10)
    b = chunk_document(doc(ENGLISH * 3), size=40, overlap=10)
    assert [c.id for c in a] == [c.id for c in b]
    changed = chunk_document(doc(ENGLISH * 3 + " A new closing sentence."), size=40, overlap=10)
    assert {c.id for c in a[:-1]} <= {c.id for c in changed}


def test_the_lead_is_the_first_real_sentence_after_the_title() -> None:
    text = (
        "Meeting with the Russian minister\n\n9\n6:10\n\n"
        "Belarusian President Aleksandr Lukashenko met Russian Foreign Minister Sergey Lavrov on 19 January. "
        "“One more year is over,” he said."
    )
    d = doc(text, title="Meeting with the Russian minister")
    assert lead_sentence(d) == (
        "Belarusian President Aleksandr Lukashenko met Russian Foreign Minister Sergey Lavrov on 19 January."
    )
    assert lead_sentence(doc("Short.\nToo short too.")) is None
    assert lead_sentence(doc("word " * 200)) is None  # glued page text is no lede
