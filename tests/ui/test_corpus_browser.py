"""The Corpus tab in a real headless Chromium: upload articles, see them indexed, remove one; its own app
server (so the shared one of test_ui keeps its corpus), started from a copy of the seeds with one file that
breaks nothing but is skipped: the page still starts and says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import SEEDS, stop
from test_ui import launch_app, wait_http
from test_ui_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTICLE = "Vitebsk bridge opens\n\nThe governor opened a new bridge over the Dvina river in Vitebsk on Monday.\n"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("corpus-ui")
    seeds = root / "seeds"
    seeds.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        (seeds / seed.name).write_bytes(seed.read_bytes())
    (seeds / "binary.txt").write_bytes(bytes(range(256)) * 4)  # skipped with a warning, the rest served
    log = root / "app.log"
    proc, url, _ = launch_app(
        log, RAG_INDEX_DIR=str(root / "index"), RAG_SEEDS_DIR=str(seeds), RAG_UPLOAD_MAX_BYTES="4096"
    )
    try:
        wait_http(url, proc, timeout=180, log=log)
        yield url
    finally:
        stop(proc)


@pytest.fixture
def corpus_tab(app_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(app_url)
            page.get_by_role("tab", name="Corpus").click()
            page.wait_for_selector("#rag-corpus", timeout=30_000)
            yield page
        finally:
            browser.close()


def test_files_dropped_on_the_page_are_indexed_and_one_can_be_removed(corpus_tab: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = corpus_tab
    expect(page.locator("#rag-index-warnings")).to_contain_text("binary.txt")  # the skipped file, named
    good = tmp_path / "vitebsk.txt"
    good.write_text(ARTICLE)
    big = tmp_path / "big.txt"
    big.write_text("word " * 2000)  # over the 4 kB limit of this server
    page.locator("#rag-upload input[type=file]").set_input_files([str(good)])
    expect(page.locator("#rag-upload-status")).to_contain_text(
        "vitebsk.txt: indexed — Vitebsk bridge opens", timeout=120_000
    )
    expect(page.locator("#rag-corpus")).to_contain_text("Vitebsk bridge opens")
    page.locator("#rag-upload input[type=file]").set_input_files([str(big)])
    page.wait_for_timeout(2000)
    expect(page.locator("#rag-corpus")).not_to_contain_text("big.txt")  # refused by the server's size limit
    page.locator("#rag-remove input").click()
    page.get_by_role("option", name="Vitebsk bridge opens (vitebsk.txt)").click()
    page.locator("#rag-remove-button").click()
    expect(page.locator("#rag-remove-status")).to_contain_text("removed Vitebsk bridge opens", timeout=60_000)
    expect(page.locator("#rag-corpus")).not_to_contain_text("Vitebsk bridge opens")
