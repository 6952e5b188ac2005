"""Property-based: whatever bytes a .txt, .md, .html or .pdf file holds, reading it gives a Document or one line.

Hypothesis builds the inputs: arbitrary bytes, text in odd encodings, pages nested thousands of elements deep,
attributes of hundreds of kilobytes, Markdown quoted hundreds of levels deep, real PDFs cut short or with bytes
overwritten. Every input that ever failed is kept under ``tests/fixtures/fuzz/`` and read again on every run.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfs import article_pdf
from webserver import BODY, MORE, page

from rag.errors import InputError
from rag.ingest.reading import read_document
from rag.types import Document

REGRESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "fuzz"
TIME_BOUND = 10.0  # seconds for one file: far above any real article (milliseconds), far below a hang
FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=TIME_BOUND),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same inputs on every run and machine; new seeds are for exploring by hand
)
SUFFIXES = [".txt", ".md", ".html", ".pdf"]


def read_or_one_line(tmp_path: Path, name: str, data: bytes) -> Document | None:
    """The property: a Document, or an InputError whose message is one line naming the file; in bounded time."""
    path = tmp_path / name
    path.write_bytes(data)
    start = time.monotonic()
    try:
        doc = read_document(path)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message and name in message, message
        return None
    finally:
        assert time.monotonic() - start < TIME_BOUND
    assert isinstance(doc, Document) and doc.text.strip()
    return doc


# --- strategies ---------------------------------------------------------------------------------------------

TAGS = ["div", "p", "span", "article", "section", "b", "a", "li", "ul", "table", "tr", "td", "font", "blockquote"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1251", "koi8-r", "shift_jis", "gb18030", "big5"]

odd_text = st.builds(
    lambda text, encoding: text.encode(encoding, errors="replace"),
    st.text(max_size=2000),
    st.sampled_from(ENCODINGS),
)


@st.composite
def deep_html(draw: st.DrawFn) -> bytes:
    """A page nested up to 20,000 elements deep, closed or not, with text at the bottom."""
    depth = draw(st.integers(min_value=1, max_value=20_000))
    tag = draw(st.sampled_from(TAGS))
    closed = draw(st.booleans())
    inner = f"<p>{BODY}</p>"
    body = f"<{tag}>" * depth + inner + (f"</{tag}>" * depth if closed else "")
    return f"<!DOCTYPE html><html><head><title>Deep</title></head><body>{body}</body></html>".encode()


@st.composite
def huge_attributes(draw: st.DrawFn) -> bytes:
    """Attributes of up to 400 kB, unterminated quotes, many attributes on one element."""
    size = draw(st.integers(min_value=1, max_value=400_000))
    quote = draw(st.sampled_from(['"', "'", ""]))
    name = draw(st.sampled_from(["class", "style", "data-x", "content", "href", "id"]))
    count = draw(st.integers(min_value=1, max_value=2000))
    attrs = " ".join(f"a{i}=1" for i in range(count))
    value = draw(st.sampled_from(["x", " ", "display:none;", "&amp;", "<"])) * (size // 5 + 1)
    return (
        f"<html><head><meta {name}={quote}{value}{quote}></head><body {attrs}>"
        f"<div {name}={quote}{value}{quote}><p>{BODY}</p><p>{MORE}</p></div></body></html>"
    ).encode()


@st.composite
def mangled_html(draw: st.DrawFn) -> bytes:
    """A real article page with random tags and junk spliced in, then cut short anywhere."""
    parts = [page().decode()]
    for _ in range(draw(st.integers(min_value=0, max_value=20))):
        junk = draw(
            st.one_of(
                st.sampled_from(["<", ">", "</", "<!--", "-->", "<![CDATA[", "<script>", "&#x110000;", "&#0;", "\x00"]),
                st.text(max_size=50),
                st.sampled_from(TAGS).map(lambda t: f"<{t} "),
            )
        )
        at = draw(st.integers(min_value=0, max_value=len(parts[0])))
        parts[0] = parts[0][:at] + junk + parts[0][at:]
    data = parts[0].encode("utf-8", errors="surrogatepass")
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return data[:cut]


@st.composite
def deep_markdown(draw: st.DrawFn) -> bytes:
    """Quotes and lists nested hundreds deep, unclosed front matter and fences, long link syntax."""
    depth = draw(st.integers(min_value=1, max_value=3000))
    marker = draw(st.sampled_from(["> ", "- ", "  ", "1. ", "#", "[", "*", "`"]))
    front = draw(st.sampled_from(["", "---\ntitle: x\n", "---\ntitle: [unclosed\ndate: 2024-13-45\n---\n", "---\n"]))
    fence = draw(st.sampled_from(["", "```\n", "~~~python\n"]))
    return f"{front}{fence}{marker * depth}{BODY}\n\n{'[' * depth}{MORE}{'](' * depth}\n".encode()


_PDF = article_pdf([[BODY], [MORE]])


@st.composite
def damaged_pdf(draw: st.DrawFn) -> bytes:
    """A real two-page PDF cut short, with bytes overwritten, or a PDF header before arbitrary bytes."""
    kind = draw(st.sampled_from(["truncated", "overwritten", "header"]))
    if kind == "header":
        return b"%PDF-1.7\n" + draw(st.binary(max_size=4000))
    data = bytearray(_PDF)
    if kind == "truncated":
        return bytes(data[: draw(st.integers(min_value=0, max_value=len(data)))])
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[at] = draw(st.integers(min_value=0, max_value=255))
    return bytes(data)


# --- properties ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
@FUZZ
@given(data=st.one_of(st.binary(max_size=5000), odd_text))
def test_arbitrary_bytes_and_odd_encodings(tmp_path: Path, suffix: str, data: bytes) -> None:
    read_or_one_line(tmp_path, f"fuzz{suffix}", data)


@FUZZ
@given(data=st.one_of(deep_html(), huge_attributes(), mangled_html()))
def test_html_nested_deep_with_huge_attributes_or_cut_short(tmp_path: Path, data: bytes) -> None:
    read_or_one_line(tmp_path, "fuzz.html", data)


@FUZZ
@given(data=deep_markdown())
def test_markdown_nested_deep(tmp_path: Path, data: bytes) -> None:
    read_or_one_line(tmp_path, "fuzz.md", data)


@FUZZ
@given(data=st.one_of(deep_markdown(), deep_html()))
def test_plain_text_holding_markup(tmp_path: Path, data: bytes) -> None:
    read_or_one_line(tmp_path, "fuzz.txt", data)


@FUZZ
@given(data=damaged_pdf())
def test_damaged_pdfs(tmp_path: Path, data: bytes) -> None:
    read_or_one_line(tmp_path, "fuzz.pdf", data)


def test_a_deep_page_keeps_its_text(tmp_path: Path) -> None:
    """Not only no crash: the article under 20,000 levels of nesting is what is read."""
    data = b"<html><body>" + b"<div>" * 20_000 + f"<p>{BODY}</p><p>{MORE}</p>".encode() + b"</div>" * 20_000
    doc = read_or_one_line(tmp_path, "deep.html", data + b"</body></html>")
    assert doc is not None and BODY in doc.text


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*")), ids=lambda p: p.name)
def test_inputs_that_once_failed(tmp_path: Path, path: Path) -> None:
    read_or_one_line(tmp_path, f"regression{path.suffix}", path.read_bytes())
