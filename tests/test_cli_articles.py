"""`rag index URL`, `rag show`, `--refetch`, `rag remove URL` and PDF pages in citations, through real subprocesses.

The pages come from a real HTTP server on 127.0.0.1; the index uses the real embedding model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdfs import article_pdf
from support import SEEDS
from webserver import Handler, page, serve

TRAM_1 = (
    "Tram drivers in Tallinn will strike for two days next week after talks on pay broke down, the drivers' union "
    "said on Monday. The union wants a rise of twelve percent."
)
TRAM_2 = (
    "The city transport company said replacement buses would run on the three busiest lines during the strike, "
    "and that season tickets would be extended by two days."
)


def rag(*args: str, index: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    pages = {
        "/article.html": ("text/html; charset=utf-8", page()),
        "/tram-strike.pdf": ("application/pdf", article_pdf([[TRAM_1], [TRAM_2]], title="Tram drivers to strike")),
    }
    with serve(pages) as url:
        yield url


def test_articles_by_url_end_to_end(server: str, tmp_path: Path) -> None:
    index = tmp_path / "index"
    url, pdf = f"{server}/article.html", f"{server}/tram-strike.pdf"

    out = rag("index", url, pdf, index=index)
    assert out.returncode == 0, out.stderr
    assert "indexed: 7 new or changed" in out.stdout  # the five seeds and the two URLs

    rows = {r["url"]: r for r in json.loads(rag("list", "--json", index=index).stdout) if r["url"]}
    assert rows[url]["title"] == "Harbour expansion approved" and rows[url]["source"].endswith(".html")
    assert rows[pdf]["title"] == "Tram drivers to strike"

    shown = rag("show", url, index=index)
    assert shown.returncode == 0, shown.stderr
    assert "title:     Harbour expansion approved" in shown.stdout and "(snapshot " in shown.stdout
    assert "Opponents argued that dredging" in shown.stdout

    asked = rag("ask", "How long will the tram drivers strike?", "--backend", "extractive", "--json", index=index)
    assert asked.returncode == 0, asked.stderr
    cited = json.loads(asked.stdout)["citations"]
    assert cited and cited[0]["url"] == pdf and cited[0]["pages"] in ("1", "2", "1-2")
    printed = rag("ask", "How long will the tram drivers strike?", "--backend", "extractive", index=index)
    assert f"p. {cited[0]['pages']}" in printed.stdout

    Handler.pages["/article.html"] = ("text/html", page(extra="The quay will now open in 2028, a year late."))
    assert "indexed: 0 new or changed, 7 unchanged" in rag("index", index=index).stdout  # no network unless asked
    again = rag("index", "--refetch", index=index)
    assert again.returncode == 0, again.stderr
    assert "indexed: 1 new or changed, 6 unchanged" in again.stdout
    assert "open in 2028" in rag("show", url, index=index).stdout

    removed = rag("remove", url, index=index)
    assert removed.returncode == 0 and "removed 1 documents" in removed.stdout
    assert "fetched now (not indexed)" in rag("show", url, index=index).stdout
    assert not list((index / "web").glob("*article*"))


@pytest.mark.parametrize("route", ["/missing", "/image.png"])
def test_a_url_that_cannot_be_indexed_is_one_line(server: str, tmp_path: Path, route: str) -> None:
    out = rag("index", server + route, index=tmp_path / "index")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if not line.startswith("· ")]  # progress lines aside
    assert len(errors) == 1 and errors[0].startswith(f"error: {server}{route}: "), out.stderr


def test_show_a_file_and_bad_paths(tmp_path: Path) -> None:
    seed = next(SEEDS.iterdir())
    out = rag("show", str(seed), "--json", index=tmp_path / "index")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["source"] == seed.name and data["title"] and data["text"] and data["origin"] == "file"
    missing = rag("show", str(tmp_path / "nowhere.html"), index=tmp_path / "index")
    assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr
