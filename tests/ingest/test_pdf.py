"""PDF articles: text from real PDFs, page numbers kept for citations, bad files reported in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfs import HEADER, article_pdf, blank_pdf

from rag.chunking import chunk_document
from rag.errors import InputError
from rag.indexing import chunk_metadata
from rag.ingest.fetching import load_document
from rag.ingest.reading import read_document
from rag.types import Document

P1 = (
    "Councillors have approved a 350 million pound expansion of Aberdeen South Harbour, ending a planning dispute "
    "that began in early 2022. The decision was taken by nine votes to four on Tuesday evening."
)
P2 = (
    "The harbour board said the project would create around 600 construction jobs and a further 150 permanent "
    "posts once the new quay opens, and that work would start in the autumn"  # continues on the next page
)
P3 = "if the last licences are granted in time, according to the board's chief executive, Morag Lennox."
P4 = "Opponents argued that dredging would damage a protected sandbank."
P5 = "The project will be funded by a mix of private investment and a loan from the national infrastructure bank."
HYPHENATED = "A coastal campaign group said it would study the negoti-\nations before deciding on a legal challenge."


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = tmp_path_factory.mktemp("pdf") / "harbour.pdf"
    path.write_bytes(article_pdf([[P1, P2], [P3, P4, HYPHENATED], [P5]]))
    return load_document(path)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_text_and_title_come_from_the_pdf(doc: Document) -> None:
    assert doc.title == "Harbour expansion approved after two-year planning battle"
    assert doc.source == "harbour.pdf"
    for paragraph in (P1, P4, P5):
        assert paragraph in doc.text  # whole paragraphs, wrapped lines joined back
    assert doc.date is None  # no date in the article: none is invented from the file's creation time


def test_running_heads_and_page_numbers_are_dropped(doc: Document) -> None:
    assert HEADER not in doc.text
    assert "Page 1 of 3" not in doc.text and "Page 2" not in doc.text


def test_a_paragraph_broken_by_a_page_is_joined_and_hyphenation_undone(doc: Document) -> None:
    assert _flat(P2 + " " + P3) in _flat(doc.text)
    assert "negotiations before deciding" in doc.text


def test_pages_map_offsets_to_page_numbers(doc: Document) -> None:
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    assert doc.page_at(doc.text.index("Councillors")) == 1
    assert doc.page_at(doc.text.index("if the last licences")) == 2  # mid-paragraph: page 2 starts inside it
    assert doc.page_at(doc.text.index("Opponents")) == 2
    assert doc.page_at(doc.text.index("The project will be funded")) == 3
    start = doc.text.index("and that work would start")
    assert doc.page_label(start, doc.text.index("according to")) == "1-2"


def test_every_chunk_carries_its_pages(doc: Document) -> None:
    chunks = chunk_document(doc, size=40, overlap=0)
    labels = [chunk_metadata(doc, c).get("pages") for c in chunks]
    assert all(labels)
    assert labels[0] == "1" and labels[-1].endswith("3")
    for chunk, label in zip(chunks, labels, strict=True):
        assert label == doc.page_label(chunk.start, chunk.end)


def test_text_files_have_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Talks resume\n\nThe committee approved the plan after a long debate on Tuesday.\n")
    doc = read_document(path)
    assert doc.pages == () and doc.page_at(0) is None
    assert "pages" not in chunk_metadata(doc, chunk_document(doc, size=40, overlap=0)[0])


def test_title_from_the_file_metadata_unless_it_is_a_word_processor_name(tmp_path: Path) -> None:
    named = tmp_path / "named.pdf"
    named.write_bytes(article_pdf([[P1]], title=None, info_title="Harbour vote: the full story"))
    assert read_document(named).title == "Harbour vote: the full story"
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(article_pdf([[P1], [P4]], info_title="Microsoft Word - draft3.docx"))
    assert read_document(junk).title == "Harbour expansion approved after two-year planning battle"


def test_a_dateline_on_the_first_page_is_the_date(tmp_path: Path) -> None:
    path = tmp_path / "dated.pdf"
    path.write_bytes(article_pdf([["Aberdeen, 5 March 2024", P1], [P4]]))
    assert read_document(path).date == "2024-03-05"


def _assert_one_line_error(path: Path, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message and fragment in message, message


def test_a_broken_pdf_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(article_pdf([[P1]])[:300])
    _assert_one_line_error(path, "cannot be read as a PDF")


def test_a_pdf_that_is_not_one_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("this is plain text with a .pdf name")
    _assert_one_line_error(path, "cannot be read as a PDF")


def test_an_encrypted_pdf_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(article_pdf([[P1]], password="secret"))
    _assert_one_line_error(path, "encrypted")


def test_a_pdf_without_text_says_so(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf(2))
    _assert_one_line_error(path, "no text layer")
