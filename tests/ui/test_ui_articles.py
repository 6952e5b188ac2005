"""The web page's side of articles: the URL field of the corpus tab (real server, real index) and PDF pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SEEDS
from webserver import page, serve

import rag.config
from rag.config import Settings


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve({"/article.html": ("text/html; charset=utf-8", page())}) as url:
        yield url


@pytest.fixture
def use_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    def use(**overrides: object) -> Settings:
        s = Settings(**{"index_dir": tmp_path / "index", "seeds_dir": SEEDS, **overrides})  # type: ignore[arg-type]
        monkeypatch.setattr(rag.config, "_settings", s)
        return s

    return use


def test_the_source_card_names_the_page_of_a_pdf() -> None:
    from rag.types import Passage
    from rag.ui import source_html

    passage = Passage(
        text="The union wants a rise.",
        score=1.0,
        similarity=0.9,
        source="tram.pdf",
        title="Tram strike",
        publisher=None,
        url=None,
        date=None,
        chunk_id="c1",
        start=0,
        end=23,
    )
    assert "rag-pages" not in source_html(1, passage, [])
    passage.pages = "2-3"
    assert '<span class="rag-pages">p. 2-3</span>' in source_html(1, passage, [])


def test_the_corpus_tab_fetches_and_indexes_a_url(server: str, use_settings) -> None:  # type: ignore[no-untyped-def]
    from rag.ui.corpus_tab import add_link

    use_settings(host="127.0.0.1")
    message, rows = add_link(f"{server}/article.html")
    assert message == "indexed: Harbour expansion approved (Harbour Herald, 2024-03-05)"
    assert "Harbour expansion approved" in [row[1] for row in rows] and len(rows) == 6  # the seeds and the page
    message, _ = add_link(f"{server}/article.html")
    assert message.startswith("already indexed, unchanged")
    message, rows = add_link(f"{server}/missing")
    assert message == f"error: {server}/missing: the server answered 404 Not Found" and len(rows) == 6
    message, _ = add_link("not a url")
    assert message == "error: give an address starting with http:// or https://"


def test_served_to_others_the_tab_does_not_fetch_the_servers_own_network(server: str, use_settings) -> None:  # type: ignore[no-untyped-def]
    from rag.ui.corpus_tab import add_link

    use_settings(host="0.0.0.0", no_auth=True)
    message, _ = add_link(f"{server}/article.html")
    assert message.startswith("error: ") and "local address" in message
