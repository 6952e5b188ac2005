"""Tests for rag.ingest.outlets: the outlet table is data (outlets.toml), shipped with the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rag.ingest.outlets import _OUTLETS, publisher_of, registrable_domain

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_outlet_table_loads_from_its_data_file() -> None:
    names = [o.name for o in _OUTLETS]
    assert len(names) == len(set(names)) >= 13 and "Sputnik" in names and "BelTA" in names
    for outlet in _OUTLETS:
        assert outlet.domains, outlet.name
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "outlets.toml" in pyproject["tool"]["setuptools"]["package-data"]["rag.ingest"]


def test_publisher_by_domain_site_name_masthead_then_domain() -> None:
    assert publisher_of("https://www.sputnikglobe.com/20230119/x.html", "Ignored", "") == "Sputnik"
    assert publisher_of("https://news.example.co.uk/a", "Example News", "") == "Example News"
    assert publisher_of(None, None, "© BelTA, all rights reserved") == "BelTA"
    assert publisher_of(None, None, r"Contact: feedback@sputniknews.com") == "Sputnik"
    assert publisher_of("https://news.example.co.uk/a", None, "") == "example.co.uk"
    assert publisher_of(None, None, "no masthead") is None


def test_a_page_without_url_or_site_name_is_named_by_the_known_outlet_its_furniture_names() -> None:
    article = "The harbour reopened on Monday.\nFerries run every hour."
    page = "Support the BBC\nThe harbour reopened on Monday.\nFerries run every hour.\nBBC app"
    assert publisher_of(None, None, page, article) == "BBC"
    assert publisher_of(None, None, "Contact us: desk@sputniknews.com\n" + article, article) == "Sputnik"
    # a copyright line counts even where cleaning kept it
    assert publisher_of(None, None, article + "\n© 2024 Reuters", article + "\n© 2024 Reuters") == "Reuters"


def test_an_outlet_the_article_cites_credits_or_signs_does_not_name_the_page() -> None:
    article = "Reuters reported that the harbour reopened.\nFerries run every hour."
    assert publisher_of(None, None, article, article) is None  # article text
    for furniture in ("Reuters reported", "By The Associated Press", "Reuters", "(Ana Ruiz / Reuters)", "[File: BBC]"):
        assert publisher_of(None, None, f"{furniture}\n{article}", article) is None, furniture


def test_two_outlets_named_equally_often_name_neither() -> None:
    assert publisher_of(None, None, "BBC app\nReuters app") is None
    assert registrable_domain("www.example.com") == "example.com"
