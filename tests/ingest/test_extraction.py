"""Saved web pages: the article as a person reads it (trafilatura), titles without site names, and the fallback.

Two real pages from the article-extraction benchmark (tests/fixtures/extraction, MIT licence) are scored
with the benchmark's own metric; the rest are small pages written for one rule each.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

import rag
from rag.ingest import reading
from rag.ingest.extraction import clean_title
from rag.ingest.fetching import load_document
from rag.ingest.reading import clean_text, parse_document, read_document
from rag.ingest.soup import soup_extract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "extraction"
TRUTH = json.loads((FIXTURES / "ground-truth.json").read_text(encoding="utf-8"))
PARAGRAPH = (
    "The city council passed its budget on Monday after a six-hour debate, with the transport plan "
    "the largest single item. Councillors from both parties said the compromise would hold until the spring."
)


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)))


def _f1(truth: str, text: str) -> float:
    a, b = _shingles(truth), _shingles(text)
    tp = sum((a & b).values())
    p, r = tp / max(1, sum(b.values())), tp / max(1, sum(a.values()))
    return 2 * p * r / (p + r) if p + r else 0.0


def _page_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name.removesuffix(".gz")
    path.write_bytes(gzip.decompress((FIXTURES / name).read_bytes()))
    return path


def test_load_document_is_public() -> None:
    assert rag.load_document is load_document


def test_a_news_page_gives_the_article_and_its_metadata(tmp_path: Path) -> None:
    doc = load_document(_page_file(tmp_path, "jpost-stabbing.html.gz"))
    assert _f1(TRUTH["jpost-stabbing.html.gz"]["articleBody"], doc.text) > 0.95
    assert doc.title == "Son of former German president stabbed to death in Berlin"
    assert doc.date == "2019-11-20"
    assert doc.url == TRUTH["jpost-stabbing.html.gz"]["url"]
    assert doc.publisher == "jpost.com"
    assert "\n\n" in doc.text  # paragraphs stay paragraphs for the chunker


def test_a_japanese_page_keeps_its_text(tmp_path: Path) -> None:
    doc = load_document(_page_file(tmp_path, "note100yen-kindle.html.gz"))
    assert _f1(TRUTH["note100yen-kindle.html.gz"]["articleBody"], doc.text) > 0.75
    assert "Kindle書籍を読む場合は" in doc.text
    assert (
        doc.title == "Kindle for PCをCtrl＋Alt＋Kのショートカットキーで立ち上がらなくする方法"
    )  # no "| ノート100YEN.com"


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def test_menus_related_stories_comments_and_hidden_text_stay_out() -> None:
    raw = _page(
        "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>Budget passes</h1><p>{PARAGRAPH}</p><p>{PARAGRAPH.replace('Monday', 'Tuesday')}</p>"
        "<div style='display: none'><p>Hidden tracking text that nobody sees on the page at all.</p></div>"
        "</article><aside class='related'><h2>Related stories</h2><ul><li><a href='/a'>Storm warning issued for "
        "the coast</a></li></ul></aside><section id='comments' class='comments'><h3>Comments</h3><p>Great news, "
        "finally some good sense from the council after all these years.</p></section>"
        "<footer>Contact us. All rights reserved.</footer>",
        "<title>Budget passes | City Post</title><meta property='og:site_name' content='City Post'>",
    )
    doc = parse_document(raw, source="b.html", path="/tmp/b.html", suffix=".html")
    assert PARAGRAPH in doc.text
    for junk in ("Sport", "Storm warning", "Great news", "Hidden tracking", "All rights reserved"):
        assert junk not in doc.text, junk
    assert (doc.title, doc.publisher) == ("Budget passes", "City Post")


def test_a_year_alone_is_not_made_into_a_date() -> None:
    raw = _page(f"<article><h1>Ferry fares frozen for 2025</h1><p>{PARAGRAPH}</p><p>{PARAGRAPH}!</p></article>")
    assert parse_document(raw, source="f.html", path="/tmp/f.html", suffix=".html").date is None


@pytest.mark.parametrize(
    ("title", "site", "url", "cleaned"),
    [
        ("Budget passes | City Post", "City Post", None, "Budget passes"),
        ("City Post - Budget passes", "City Post", None, "Budget passes"),
        (
            "Bike & Style book review | MoreBikes",
            None,
            "https://www.morebikes.co.uk/7908/x/",
            "Bike & Style book review",
        ),
        ("NASA adds five companies - SpaceNews.com", "SpaceNews.com", None, "NASA adds five companies"),
        ("Light festival | Inexhibit", "Inexhibit magazine", None, "Light festival"),
        (
            "LinkNaija | Nigeria's news platform: BREAKING NEWS: Chelsea sign Kepa",
            "LinkNaija | Nigeria's news platform",
            None,
            "BREAKING NEWS: Chelsea sign Kepa",
        ),
        (  # a headline that starts with the site's name is not the site's name
            "The Guardian view on Hong Kong: a city on the brink | Editorial",
            "The Guardian",
            "https://www.theguardian.com/x",
            "The Guardian view on Hong Kong: a city on the brink | Editorial",
        ),
        ("Brexit: what happens next", "BBC News", "https://www.bbc.co.uk/news/1", "Brexit: what happens next"),
        ("City Post", "City Post", None, "City Post"),  # nothing else to keep
    ],
)
def test_site_names_are_cut_from_titles(title: str, site: str | None, url: str | None, cleaned: str) -> None:
    assert clean_title(title, site, url) == cleaned


# --------------------------------------------------------------------------
# The BeautifulSoup fallback (fragments and tiny pages)
# --------------------------------------------------------------------------


def test_a_see_also_box_in_an_article_element_is_not_taken_for_the_article() -> None:
    raw = _page(
        "<article class='teaser'><p>See also: Storm warning issued for the north-east coast tonight.</p></article>"
        f"<div id='story'><h1>Budget passes</h1><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div>"
        "<article><meta itemprop='datePublished' content='2024-02-12'></article>"
    )
    text, _ = soup_extract(raw)
    assert PARAGRAPH in text


def test_the_main_element_with_the_text_is_taken_not_the_first() -> None:
    raw = _page(f"<main><p>Menu</p></main><main><h1>Budget passes</h1><p>{PARAGRAPH}</p></main>")
    text, _ = soup_extract(raw)
    assert PARAGRAPH in text and "Menu" not in text


def test_the_sites_logo_in_an_h1_is_not_the_title() -> None:
    raw = _page(
        f"<header><h1>City Post</h1></header><div><h1>Budget passes</h1><p>{PARAGRAPH}</p></div>",
        "<meta property='og:site_name' content='City Post'>",
    )
    _, meta = soup_extract(raw)
    assert meta.title == "Budget passes"


def test_chinese_and_japanese_paragraphs_are_not_dropped_as_labels() -> None:
    chinese = "北京市政府周一宣布扩建地铁网络计划"  # a paragraph without spaces and without a full stop
    japanese = "今回はそのKindleデスクトップアプリKindle for PCに関する話"
    cleaned = clean_text(f"{PARAGRAPH}\n\n{chinese}\n\n{japanese}\n\n{PARAGRAPH.replace('Monday', 'Friday')}")
    assert chinese in cleaned and japanese in cleaned


def test_a_page_saved_in_the_charset_it_declares_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cyrillic.html"
    body = f"<article><h1>Бюджет принят</h1><p>{'Городской совет принял бюджет в понедельник. ' * 8}</p></article>"
    path.write_bytes(f"<html><head><meta charset='windows-1251'></head><body>{body}</body></html>".encode("cp1251"))
    doc = read_document(path)
    assert "Городской совет принял бюджет" in doc.text and doc.title == "Бюджет принят"


def test_a_browsers_saved_from_note_gives_the_url() -> None:
    raw = "<!-- saved from url=(0040)https://www.citypost.example/budget-2024 -->\n" + _page(
        f"<article><h1>Budget passes</h1><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></article>"
    )
    doc = parse_document(raw, source="b.html", path="/tmp/b.html", suffix=".html")
    assert doc.url == "https://www.citypost.example/budget-2024" and doc.publisher == "citypost.example"


def test_a_page_with_no_text_at_all_is_one_line() -> None:
    with pytest.raises(reading.InputError, match="no article text"):
        parse_document(_page("<nav><a href='/'>Home</a></nav>"), source="e.html", path="/tmp/e.html", suffix=".html")
