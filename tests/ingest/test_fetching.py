"""Articles by URL, against a real HTTP server on 127.0.0.1: pages, PDFs, and every way a fetch fails."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdfs import article_pdf
from support import SEEDS, free_port
from webserver import BODY, MORE, Handler, page, serve

from rag.config import Settings
from rag.corpus import index_targets, remove_target, show_document
from rag.errors import InputError
from rag.ingest.fetching import (
    check_public,
    fetch,
    fetch_document,
    refetch_roots,
    save_snapshot,
    snapshot_for,
    snapshot_name,
)
from rag.ingest.reading import read_document, source_url


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    pdf = article_pdf([[BODY], [MORE]])
    pages = {
        "/article.html": ("text/html; charset=utf-8", page()),
        "/latin1.html": (
            "text/html; charset=iso-8859-1",
            page("Café reopens in Zürich").replace(b'charset="utf-8"', b"").decode().encode("latin-1"),
        ),
        "/paper.pdf": ("application/pdf", pdf),
        "/download": ("application/octet-stream", pdf),
    }
    with serve(pages) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=SEEDS, fetch_timeout=1.0, fetch_max_bytes=1_000_000)


def test_an_article_page_is_fetched_and_read(server: str, settings: Settings) -> None:
    doc = fetch_document(f"{server}/article.html", settings)
    assert doc.title == "Harbour expansion approved"  # the site name is cut from "<title> | Harbour Herald"
    assert doc.publisher == "Harbour Herald" and doc.date == "2024-03-05"
    assert doc.url == f"{server}/article.html"  # no canonical link: the address it was fetched from
    assert BODY in doc.text and MORE in doc.text
    for furniture in ("Sport", "Storm warning", "All rights reserved", "Most read"):
        assert furniture not in doc.text


def test_a_redirect_is_followed(server: str, settings: Settings) -> None:
    fetched = fetch(f"{server}/redirect", settings)
    assert fetched.kind == "html" and fetched.final_url == f"{server}/article.html"


def test_the_charset_the_server_declares_is_honoured(server: str, settings: Settings) -> None:
    fetched = fetch(f"{server}/latin1.html", settings)
    assert "Café reopens in Zürich" in fetched.data.decode("utf-8")  # stored as UTF-8


@pytest.mark.parametrize("route", ["/paper.pdf", "/download"])
def test_a_pdf_is_fetched_and_read_with_its_pages(server: str, settings: Settings, route: str) -> None:
    doc = fetch_document(server + route, settings)
    assert BODY in doc.text and len(doc.pages) == 2
    assert doc.url == server + route and doc.source.endswith(".pdf")


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/missing", "the server answered 404 Not Found"),
        ("/broken", "the server answered 500 Internal Server Error"),
        ("/slow", "no complete answer within 1 s (RAG_FETCH_TIMEOUT)"),
        ("/image.png", "the server sent image/png, not a web page or a PDF"),
        ("/huge", "larger than the 977 kB limit (RAG_FETCH_MAX_BYTES)"),
        ("/stream-huge", "larger than the 977 kB limit"),
        ("/empty", "the server sent an empty page"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_a_failed_fetch_is_one_line_naming_the_url(server: str, settings: Settings, route: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(InputError) as info:
        fetch(server + route, settings)
    text = str(info.value)
    assert text.startswith(server + route + ": ") and "\n" not in text
    assert message in text, text
    assert time.monotonic() - start < 2.5  # the timeout holds


def test_nothing_listening_and_bad_addresses(settings: Settings) -> None:
    with pytest.raises(InputError, match=r"cannot connect to 127\.0\.0\.1"):
        fetch(f"http://127.0.0.1:{free_port()}/a.html", settings)
    with pytest.raises(InputError, match="not an http"):
        fetch("ftp://example.com/a.html", settings)


def test_a_snapshot_keeps_the_page_and_its_url(server: str, settings: Settings) -> None:
    url = f"{server}/article.html"
    path, changed = save_snapshot(fetch(url, settings), settings)
    assert changed and path == snapshot_for(url, settings) and path.parent == Path(settings.index_dir) / "web"
    assert path.name == snapshot_name(url, "html") and path.name.startswith("127-0-0-1-")
    assert source_url(path) == url
    doc = read_document(path)  # what `rag index` will read, offline
    assert doc.url == url and doc.title == "Harbour expansion approved"
    assert save_snapshot(fetch(url, settings), settings) == (path, False)  # same bytes: unchanged


def test_refetch_updates_a_changed_page_and_keeps_the_old_copy_on_failure(server: str, settings: Settings) -> None:
    url = f"{server}/article.html"
    path, _ = save_snapshot(fetch(url, settings), settings)
    Handler.pages["/article.html"] = ("text/html", page(extra="The quay will now open in 2028, a year late."))
    try:
        assert refetch_roots([str(path), str(SEEDS)], settings) == []
        assert "open in 2028" in read_document(path).text
        Handler.pages.pop("/article.html")  # the site takes the page down
        warnings = refetch_roots([str(path)], settings)
        assert len(warnings) == 1 and "404" in warnings[0] and "fetched before stays" in warnings[0]
        assert "open in 2028" in read_document(path).text
    finally:
        Handler.pages["/article.html"] = ("text/html; charset=utf-8", page())


def test_index_targets_fetch_urls_and_pass_paths_through(server: str, settings: Settings) -> None:
    paths, warnings = index_targets([f"{server}/article.html", str(SEEDS), f"{server}/missing"], settings=settings)
    assert paths[0] == SEEDS and paths[1] == snapshot_for(f"{server}/article.html", settings)
    assert len(warnings) == 1 and "404" in warnings[0]
    with pytest.raises(InputError, match="404"):
        index_targets([f"{server}/missing"], settings=settings)  # nothing at all to index: an error


def test_show_reads_the_snapshot_of_an_indexed_url_or_fetches_it_now(server: str, settings: Settings) -> None:
    url = f"{server}/article.html"
    _, origin = show_document(url, settings)
    assert origin == "fetched now (not indexed)"
    save_snapshot(fetch(url, settings), settings)
    doc, origin = show_document(url, settings)
    assert origin.startswith("snapshot ") and doc.url == url
    assert remove_target(url, settings) == snapshot_for(url, settings)
    with pytest.raises(InputError, match="not in the index"):
        remove_target(f"{server}/other.html", settings)


def test_a_page_served_to_others_refuses_local_addresses() -> None:
    for url in ("http://127.0.0.1:8000/a", "http://localhost/a", "http://10.1.2.3/a", "http://[::1]/a"):
        with pytest.raises(InputError, match="local address"):
            check_public(url)
    check_public("http://93.184.216.34/article")  # a public address (no DNS needed for a literal)
