"""The chat in a real headless Chromium (Playwright, Debian's /usr/bin/chromium).

These tests never skip: a missing browser is a failure with instructions.
Screenshots go to artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ui import BRIDGEHEAD_Q, MINSK_Q, QUOKKA_Q, SPUTNIK_2023, UIServer, ui_server  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TEXTBOX = "textarea[data-testid=textbox]"
SUBMIT = "button[data-testid=submit-button]"
STOP = "button[data-testid=stop-button]"
BOT = "[data-testid=bot]"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) or set RAG_TEST_CHROMIUM; "
            "the browser tests must not be skipped"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, ui_server: UIServer) -> Iterator[Any]:  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 1100})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(ui_server.url)
    pg.wait_for_selector(TEXTBOX, timeout=30_000)
    pg.errors = errors
    try:
        yield pg
    finally:
        ctx.close()


def ask(pg: Any, question: str, timeout_ms: int = 90_000) -> Any:
    """Type, send, wait for the stream to end (stop button gone); the last bot message."""
    n_before = pg.locator(BOT).count()
    pg.fill(TEXTBOX, question)
    pg.click(SUBMIT)
    pg.wait_for_function(f"document.querySelectorAll('{BOT}').length > {n_before}", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    # the stop button shows while streaming; it can come and go before we look, so require it gone twice
    while time.monotonic() < deadline:
        if pg.locator(STOP).count() == 0:
            time.sleep(0.3)
            last = pg.locator(BOT).last
            if pg.locator(STOP).count() == 0 and last.locator(".rag-sources, .rag-error").count() > 0:
                break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the answer to {question!r} did not finish")
    return pg.locator(BOT).last


def test_first_screen_has_examples_controls_and_notes(page: Any) -> None:
    from playwright.sync_api import expect

    for example in ("What did Lavrov and Aleinik discuss in Minsk in January 2023?", "What ultimatum did Lavrov"):
        expect(page.get_by_text(example).first).to_be_visible()
    expect(page.get_by_text("English-only").first).to_be_visible()
    page.get_by_text("Search settings").click()
    for label in ("Answer backend", "Passages retrieved (k)", "Only these sources", "Since (YYYY-MM-DD)", "Until"):
        expect(page.get_by_text(label).first).to_be_visible()
    page.wait_for_function("document.querySelector('#rag-status').innerText.includes('Ready')", timeout=90_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_first_screen.png"), full_page=True)


def test_question_streams_a_cited_answer_with_sources(page: Any) -> None:
    bot = ask(page, BRIDGEHEAD_Q)
    text = bot.inner_text()
    answer = bot.locator(".rag-answer").inner_text()
    assert "bridgehead" in answer.lower()
    markers = set(re.findall(r"\[(\d+)\]", answer))
    assert markers, answer
    sources = bot.locator(".rag-source")
    assert sources.count() == len(markers)
    listed = {bot.locator(".rag-source .rag-n").nth(i).inner_text().strip("[]") for i in range(sources.count())}
    assert listed == markers
    sputnik = bot.locator(".rag-source", has_text="West is Pushing Kiev Into Threatening Vital Interests")
    assert sputnik.count() == 1
    meta = sputnik.locator(".rag-source-meta").inner_text()
    assert "Sputnik" in meta or "2023-01-19" in meta, meta
    link = sputnik.locator("a.rag-link")
    assert link.get_attribute("href").startswith("https://sputniknews.com/20230119/")
    assert link.get_attribute("target") == "_blank"
    assert "bridgehead" in sputnik.locator("mark").first.inner_text()
    assert "Traceback" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_answer.png"), full_page=True)
    assert not page.errors, page.errors


def test_follow_up_shows_the_resolved_query(page: Any) -> None:
    ask(page, MINSK_Q)
    bot = ask(page, "What did they sign?")
    assert "searched for:" in bot.locator(".rag-query").inner_text()
    assert "Minsk" in bot.locator(".rag-query").inner_text()
    assert re.search(r"sign|memorandum", bot.locator(".rag-answer").inner_text(), re.I)
    assert bot.locator(".rag-source").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ui_follow_up.png"), full_page=True)


def test_planted_script_does_not_run(page: Any) -> None:
    bot = ask(page, QUOKKA_Q)
    page.wait_for_timeout(1000)  # give an <img onerror> time to fire, were it live
    assert page.evaluate("typeof window.__pwned") == "undefined"
    text = bot.inner_text()
    assert "<script>window.__pwned = 1</script>" in text  # shown as text, not run or stripped
    assert '<img src=x onerror="window.__pwned=2">' in text
    assert bot.locator("script").count() == 0 and bot.locator("img").count() == 0
    # the title (with an <img onerror>) in the sources panel and the corpus tab
    assert 'Quokka <img src=x onerror="window.__pwned=3"> Festival' in text
    page.screenshot(path=str(ARTIFACTS / "ui_planted.png"), full_page=True)
    # the source filter lists the planted title as text too
    page.get_by_text("Search settings").click()
    page.locator("#rag-sources-filter input").click()
    page.get_by_text('Quokka <img src=x onerror="window.__pwned=3"> Festival (planted_quokka.txt)').first.wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("tab", name="Corpus").click()
    corpus = page.locator("#rag-corpus")
    corpus.get_by_text("planted_quokka.txt").first.wait_for(timeout=10_000)
    assert SPUTNIK_2023 in corpus.inner_text()
    assert 'onerror="window.__pwned=3"' in corpus.inner_text()
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(ARTIFACTS / "ui_corpus.png"), full_page=True)


def test_example_click_runs_it(page: Any) -> None:
    page.get_by_text("What ultimatum did Lavrov accuse the West of issuing?").first.click()
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length > 0", timeout=60_000)
    page.locator(BOT).last.locator(".rag-sources").wait_for(timeout=60_000)
    answer = page.locator(BOT).last.locator(".rag-answer").inner_text()
    assert "ultimatum" in answer.lower() and re.search(r"\[\d+\]", answer), answer


def test_source_filter_in_the_page(page: Any) -> None:
    page.get_by_text("Search settings").click()
    page.locator("#rag-sources-filter input").click()
    page.get_by_text("(004_d9df1ced53a76c60.txt)").first.click()
    page.keyboard.press("Escape")
    bot = ask(page, BRIDGEHEAD_Q)
    sources = bot.locator(".rag-source")
    assert sources.count() >= 1, bot.inner_text()  # an answer with no sources would pass any filter
    for i in range(sources.count()):
        assert "Lavrov Accuses West of Issuing Ultimatum" in sources.nth(i).inner_text()
    assert "West is Pushing Kiev" not in bot.inner_text()


def _choose_backend(page: Any, name: str) -> None:
    page.get_by_text("Search settings").click()
    page.locator("#rag-backend input").click()
    page.locator(f"[data-testid=dropdown-option][aria-label='{name}']").first.click()
    page.keyboard.press("Escape")


def test_the_local_model_streams_only_checked_sentences_after_the_key_statements(page: Any) -> None:
    """The real local model, watched every 0.1 s: key statements first, then only text that is never taken back."""
    _choose_backend(page, "local")
    n_before = page.locator(BOT).count()
    page.fill(TEXTBOX, BRIDGEHEAD_Q)
    page.click(SUBMIT)
    t0 = time.monotonic()
    seen: list[tuple[float, bool, str]] = []  # (seconds, key statements on screen, answer text on screen)
    shot = False
    while time.monotonic() - t0 < 300:
        if page.locator(BOT).count() > n_before:
            last = page.locator(BOT).last
            key = last.locator(".rag-key").count() > 0
            answer = last.locator(".rag-answer").inner_text().strip() if last.locator(".rag-answer").count() else ""
            seen.append((time.monotonic() - t0, key, "" if answer == "…" else answer))
            if key and not shot and seen[-1][0] >= 1.0:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "ui_key_statements_1s.png"), full_page=True)
                shot = True
            if last.locator(".rag-sources").count() > 0 and page.locator(STOP).count() == 0:
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the local model's answer did not finish in 300 s")
    final = seen[-1][2]
    assert "bridgehead" in final.lower(), final
    first_key = next(i for i, (_, key, _) in enumerate(seen) if key)
    first_text = next(i for i, (_, _, text) in enumerate(seen) if text)
    assert first_key < first_text, "the key statements are on screen before any answer text"
    assert all(final.startswith(text) for _, _, text in seen), [text for _, _, text in seen]  # nothing taken back
    assert seen[first_key][0] < 5.0, f"key statements after {seen[first_key][0]:.1f} s"
    assert not page.errors, page.errors
