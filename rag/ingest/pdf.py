"""PDF articles → text with the offset where each page starts, by pypdf.

pypdf was chosen over pdfplumber by measurement (``benchmarks/results/pdf.md``):
on ten article PDFs written from benchmark pages, half of them in two columns,
its text scored F1 0.964 against pdfplumber's 0.946 (two columns: 0.948 against
0.913) at about 14 ms a page against 89. A PDF holds lines, not paragraphs, so
wrapped lines are joined back into paragraphs (the chunker packs sentences),
words hyphenated at a line end are rejoined, and running heads, footers and
page numbers repeated on every page are dropped: left in, they would be
embedded and cited as if the article said them.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from rag.errors import InputError
from rag.ingest.cleaning import guess_title, normalise
from rag.ingest.dates import find_date
from rag.ingest.outlets import publisher_of
from rag.types import Document

_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_BULLET_RE = re.compile(r"^(?:[•▪●◦·*–-]\s|\d{1,2}[.)]\s)")
_TERMINAL_RE = re.compile(r"[.!?:…。！？][\"”’)\]]*$")
_URL_RE = re.compile(r"https?://[^\s<>\"]+")
_JUNK_TITLE_RE = re.compile(r"\.(?:docx?|pdf|indd|tex|odt|rtf)$|^(?:microsoft\s+\w+\s*-|untitled\b)", re.IGNORECASE)
EDGE_LINES = 2  # running heads and footers are looked for among each page's first and last lines


def pdf_document(data: bytes, *, source: str, path: str, url: str | None = None) -> Document:
    """Read a PDF's text layer into a :class:`Document` whose ``pages`` map offsets to page numbers."""
    pages, info_title = _read_pages(data, source)
    pages, furniture = _drop_running_lines(pages)
    text, starts = _assemble([_paragraphs(lines) for lines in pages])
    if not text:
        raise InputError(f"{source}: the PDF has no text layer (a scan?); run it through OCR first")
    url = url or next((m.group(0).rstrip(".,)") for line in furniture for m in _URL_RE.finditer(line)), None)
    first_page = text[: starts[1]] if len(starts) > 1 else text
    title = info_title if info_title and not _JUNK_TITLE_RE.search(info_title) else guess_title(text)
    return Document(
        source=source,
        path=path,
        text=text,
        title=title,
        publisher=publisher_of(url, None, text, text),
        date=find_date(first_page[:3000]),
        url=url,
        pages=tuple(starts),
    )


def _read_pages(data: bytes, source: str) -> tuple[list[list[str]], str | None]:
    """Each page's non-empty lines, and the title the file's own metadata gives, if any."""
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every odd object in real-world files
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{source}: the PDF is encrypted; save an unprotected copy and try again")
        texts = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        info_title = " ".join(str(meta.title).split()) if meta is not None and meta.title else None
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise InputError(f"{source}: cannot be read as a PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files; one line for the user
        raise InputError(f"{source}: cannot be read as a PDF ({type(exc).__name__})") from None
    pages = [[line for line in normalise(t).split("\n") if line] for t in texts]
    return pages, info_title or None


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _drop_running_lines(pages: list[list[str]]) -> tuple[list[list[str]], list[str]]:
    """Drop page numbers, and heads/footers repeated (digits aside) on at least half the pages."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_edge_key(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    repeated = {k for k, n in counts.items() if len(pages) >= 2 and n >= max(2, (len(pages) + 1) // 2)}
    dropped: list[str] = []
    kept_pages: list[list[str]] = []
    for lines in pages:
        edges = set(range(min(EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - EDGE_LINES), len(lines)))
        kept = []
        for i, line in enumerate(lines):
            if i in edges and (_edge_key(line) in repeated or _PAGE_NUMBER_RE.match(line)):
                dropped.append(line)
            else:
                kept.append(line)
        kept_pages.append(kept)
    return kept_pages, dropped


def _paragraphs(lines: list[str]) -> list[str]:
    """Join a page's wrapped lines into paragraphs.

    A paragraph ends at a line that finishes a sentence well short of the full
    line width, before a bullet, or after a short line without a full stop (a
    heading). Words hyphenated across a line end are rejoined.
    """
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(0.8 * (len(lengths) - 1))]  # the width of a full line of body text
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current = _join(current, line) if current else line
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        short = len(line) < 0.8 * full
        ends = (
            nxt is None
            or _BULLET_RE.match(nxt) is not None
            or (short and _TERMINAL_RE.search(line) is not None)
            or (len(line) < 0.6 * full and not _TERMINAL_RE.search(line) and not nxt[:1].islower())
        )
        if ends:
            paragraphs.append(current)
            current = ""
    return paragraphs


def _join(text: str, line: str) -> str:
    if re.search(r"\w-$", text) and line[:1].islower():
        return text[:-1] + line  # "negoti-" + "ations"
    return f"{text} {line}"


def _continues(previous: str, paragraph: str) -> bool:
    """A paragraph cut by a page break: the page ends mid-sentence and the next starts in lower case."""
    return not _TERMINAL_RE.search(previous) and paragraph[:1].islower()


def _assemble(pages: list[list[str]]) -> tuple[str, list[int]]:
    """Paragraphs separated by blank lines, and the offset where each page's text starts."""
    text = ""
    starts: list[int] = []
    for paragraphs in pages:
        if not paragraphs:
            starts.append(len(text))
            continue
        first, *rest = paragraphs
        if text and _continues(text, first):
            joined = _join(text, first)
            starts.append(len(joined) - len(first))
            text = joined
        else:
            if text:
                text += "\n\n"
            starts.append(len(text))
            text += first
        for paragraph in rest:
            text += "\n\n" + paragraph
    return text, starts
