"""Articles by URL, against a real HTTP server on 127.0.0.1: pages, PDFs, and every way a fetch fails."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pdfs import article_pdf
from support import SEEDS, free_port
from webserver import BODY, MORE, Handler, page, serve

from rag.config import Settings
from rag.corpus import add_url, index_targets, remove_target, show_document
from rag.errors import InputError
from rag.ingest.addresses import AddressPolicy
from rag.ingest.fetching import (
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
        "/menu.html": ("text/html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
        "/deep.html": ("text/html", b"<html><body>" + b"<div>" * 3000 + f"<p>{BODY}</p>".encode() + b"</body></html>"),
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
        ("/slow-headers", "no complete answer within 1 s (RAG_FETCH_TIMEOUT)"),  # the deadline covers the headers
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


def test_a_page_nested_thousands_deep_is_read_as_a_link_too(server: str, settings: Settings) -> None:
    paths, warnings = index_targets([f"{server}/deep.html"], settings=settings)
    assert warnings == [] and BODY in read_document(paths[0]).text


def test_a_link_that_is_no_article_leaves_no_snapshot_behind(server: str, settings: Settings) -> None:
    with pytest.raises(InputError, match=r"/menu\.html: no article text"):
        index_targets([f"{server}/menu.html"], settings=settings)
    assert not list((Path(settings.index_dir) / "web").glob("*"))


# --- served beyond loopback: the links of others must not reach inside the server's network ---------------------


@pytest.fixture(scope="module")
def outside(server: str) -> Iterator[str]:
    """The same routes on 127.0.0.2, an address the tests' policy treats as a public one."""
    with serve(None, host="127.0.0.2") as url:
        yield url


def marked_public(outside: str, calls: list[str] | None = None) -> tuple[AddressPolicy, str]:
    """A policy for which ``news.example`` is 127.0.0.2 and public, ``intranet.example`` is 127.0.0.1; and
    the base URL of the outside server by that name."""
    names = {"news.example": ["127.0.0.2"], "intranet.example": ["127.0.0.1"]}

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return names[host]

    policy = AddressPolicy(resolve=resolve, allowed=lambda ip: str(ip) == "127.0.0.2")
    return policy, f"http://news.example:{urlsplit(outside).port}"


def test_a_public_page_is_fetched_from_the_very_address_that_was_checked(outside: str, settings: Settings) -> None:
    calls: list[str] = []
    policy, base = marked_public(outside, calls)
    Handler.hits.clear()
    fetched = fetch(f"{base}/article.html", settings, policy)
    assert fetched.kind == "html" and fetched.final_url == f"{base}/article.html"
    assert calls == ["news.example"]  # resolved once: nothing else asked the resolver, so nothing could rebind it
    assert Handler.hits == [("127.0.0.2", "/article.html")]


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/article.html", "http://intranet.example:{port}/x"])
def test_a_redirect_into_the_server_network_is_refused_at_that_hop(
    server: str, outside: str, settings: Settings, target: str
) -> None:
    policy, base = marked_public(outside)
    Handler.redirect_to = target.format(port=urlsplit(server).port)
    Handler.hits.clear()
    url = f"{base}/elsewhere"
    try:
        with pytest.raises(InputError) as info:
            fetch(url, settings, policy)
        assert str(info.value).startswith(f"{url}: ") and "is a local address" in str(info.value)
        assert "127.0.0.1 " in str(info.value) or "(127.0.0.1)" in str(info.value)
        assert Handler.hits == [("127.0.0.2", "/elsewhere")]  # the server inside was never asked
    finally:
        Handler.redirect_to = "/article.html"


def test_the_command_line_follows_the_same_redirect(server: str, outside: str, settings: Settings) -> None:
    Handler.redirect_to = f"{server}/article.html"
    try:
        assert fetch(f"{outside}/elsewhere", settings).final_url == f"{server}/article.html"
    finally:
        Handler.redirect_to = "/article.html"


def test_the_page_served_beyond_loopback_refuses_a_local_link_and_keeps_nothing(server: str, tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "index", seeds_dir=SEEDS, host="0.0.0.0", fetch_timeout=1.0)
    with pytest.raises(InputError, match=r"127\.0\.0\.1 is a local address, not a public one"):
        add_url(f"{server}/article.html", s)
    assert not list((tmp_path / "index" / "web").glob("*"))
