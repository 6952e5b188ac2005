"""Tests for rag.ingest.outlets: the outlet table is data (outlets.toml), shipped with the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from rag.ingest.outlets import _OUTLETS, publisher_of, registrable_domain

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_outlet_table_loads_from_its_data_file() -> None:
    names = [o.name for o in _OUTLETS]
    assert len(names) == len(set(names)) >= 13 and "Sputnik" in names and "BelTA" in names
    for outlet in _OUTLETS:
        assert outlet.domains, outlet.name
        for pattern in outlet.mastheads:
            re.compile(pattern)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "outlets.toml" in pyproject["tool"]["setuptools"]["package-data"]["rag.ingest"]


def test_publisher_by_domain_site_name_masthead_then_domain() -> None:
    assert publisher_of("https://www.sputnikglobe.com/20230119/x.html", "Ignored", "") == "Sputnik"
    assert publisher_of("https://news.example.co.uk/a", "Example News", "") == "Example News"
    assert publisher_of(None, None, "© BelTA, all rights reserved") == "BelTA"
    assert publisher_of(None, None, r"Contact: feedback@sputniknews.com") == "Sputnik"
    assert publisher_of("https://news.example.co.uk/a", None, "") == "example.co.uk"
    assert publisher_of(None, None, "no masthead") is None
    assert registrable_domain("www.example.com") == "example.com"
