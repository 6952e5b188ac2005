#!/usr/bin/env python
"""Article extraction benchmark: what `rag index` makes of real web pages, against a person's reading.

Not a test. Run from the repository root with the project's virtual environment:

    python benchmarks/bench_extraction.py                    # all systems, the 91 development pages
    python benchmarks/bench_extraction.py --bench-dir DIR    # another copy (e.g. the held-out half)
    python benchmarks/bench_extraction.py --systems project  # only some systems

Pages: ScrapingHub's article-extraction benchmark (MIT licence), the development half that ships in
``../shared/eval/article-extraction-benchmark/`` (``html/<id>.html.gz`` + ``ground-truth.json``).

Systems, each given the saved page as a file and nothing else (no URL):
  project       ``rag.load_document`` on a temp ``.html`` file: exactly what ``rag index`` indexes
  soup          the BeautifulSoup rules alone (today's fallback, ``rag.ingest.soup`` + the line rules)
  old           ``read_document`` as it was at commit c4146f1 (before trafilatura), loaded from git
  trafilatura   bare ``trafilatura.extract(include_comments=False)`` with default settings, for reference

Metrics:
  body F1       the benchmark's own: 4-token shingles of ``\\w+`` tokens, bag overlap per page normalised
                per page; precision is the mean over pages with a non-empty extraction, recall the mean over
                all pages, F1 the harmonic mean of the two means
  rejected      pages the system refused (an error) or returned no text for
  wrong story   pages with text of which less than half is the article and that hold under a fifth of it
                (precision < 0.5 and recall < 0.2): a teaser of another story indexed in its place
  titles        the title names the article: at least half of its words occur in the article or its URL,
                and no site name is left at either end (``Headline | Site``); listed per page for review
  dates         pages with a date; where the page's URL carries one, how many agree (±1 day)
  ms/page       median wall time per page, file read and metadata included

Writes benchmarks/results/extraction.json (per-page detail) and extraction.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import importlib.util
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import cores, cpu_model, loadavg, package_versions  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "eval" / "article-extraction-benchmark"
OLD_COMMIT = "c4146f1"
RESULTS = ROOT / "benchmarks" / "results"

# --------------------------------------------------------------------------
# The benchmark's metric
# --------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_scores(truth: str, extracted: str) -> tuple[float, float]:
    """Per-page precision and recall of shingle bags (the benchmark normalises tp/fp/fn per page)."""
    a, b = shingles(truth), shingles(extracted)
    tp = sum((a & b).values())
    fp = sum((b - a).values())
    fn = sum((a - b).values())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def body_f1(rows: list[dict[str, Any]]) -> dict[str, float]:
    precisions = [r["precision"] for r in rows if r["text_chars"]]
    recalls = [r["recall"] for r in rows]
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# --------------------------------------------------------------------------
# Titles and dates
# --------------------------------------------------------------------------

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SEPARATOR_RE = re.compile(r"\s+(?:[|–—·•»~]|-{1,2}|::)\s+")


def _words(text: str) -> list[str]:
    words = [w for w in _TOKEN_RE.findall(text.lower()) if len(w) >= 3 or _CJK_RE.search(w)]
    return [c for w in words for c in (_CJK_RE.findall(w) if _CJK_RE.search(w) else [w])]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def title_names_article(title: str | None, body: str, url: str) -> bool:
    if not title or not title.strip():
        return False
    words = _words(title)
    if not words:
        return False
    known = set(_words(body)) | set(_words(re.sub(r"[-_/.]", " ", url)))
    if sum(w in known for w in words) * 2 < len(words):
        return False
    host_match = re.match(r"https?://([^/]+)", url)
    host = host_match.group(1).lower().removeprefix("www.") if host_match else ""
    label = _squash(host.split(".")[0]) if host else ""
    parts = _SEPARATOR_RE.split(title)
    if len(parts) > 1 and label:
        for end in (parts[0], parts[-1]):
            squashed = _squash(end)
            names_site = squashed in _squash(host) or (label in squashed and len(squashed) <= len(label) + 8)
            if len(squashed) >= 3 and names_site:
                return False  # "Headline | Site" or "Site - Headline": the site name is left in
    return True


_URL_DATE_RES = (
    re.compile(r"(?<!\d)(20\d\d|19\d\d)[/-](\d\d)[/-](\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?=\d{6,}|[-/.]|$)"),
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_URL_MONTH_RE = re.compile(r"/(20\d\d)/([a-z]{3})/(\d\d)/")


def url_date(url: str) -> str | None:
    """A publication date spelled in the URL (``/2019/11/18/``, ``2019-11-19``, ``/2019/nov/18/``), if any."""
    for pattern in _URL_DATE_RES:
        m = pattern.search(url)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                continue
    m = _URL_MONTH_RE.search(url.lower())
    if m and m.group(2) in _MONTHS:
        return dt.date(int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))).isoformat()
    return None


def dates_agree(a: str, b: str) -> bool:
    try:
        return abs((dt.date.fromisoformat(a[:10]) - dt.date.fromisoformat(b[:10])).days) <= 1
    except ValueError:
        return False


# --------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------


@dataclass
class Result:
    text: str
    title: str | None = None
    date: str | None = None
    error: str | None = None


Extractor = Callable[[Path, str], Result]


def project_system() -> Extractor:
    from rag import load_document
    from rag.errors import InputError

    def run(path: Path, raw: str) -> Result:
        try:
            doc = load_document(path)
        except InputError as exc:
            return Result("", error=str(exc))
        return Result(doc.text, doc.title, doc.date)

    return run


def soup_system() -> Extractor:
    from rag.errors import InputError
    from rag.ingest import reading
    from rag.ingest.soup import soup_extract

    def run(path: Path, raw: str) -> Result:
        body, meta = soup_extract(reading.normalise(raw))
        try:
            doc = reading._cleaned_document(body, meta, source=path.name, path=str(path), url=None)
        except InputError as exc:
            return Result("", error=str(exc))
        return Result(doc.text, doc.title, doc.date)

    return run


def old_system(commit: str = OLD_COMMIT) -> Extractor | None:
    """``read_document`` as it was before this change, loaded from git (skipped where git is not there)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{commit}:rag/ingestion.py"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    from rag.errors import InputError

    folder = Path(tempfile.mkdtemp(prefix="bench-old-ingestion-"))
    module_path = folder / "old_ingestion.py"
    module_path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_ingestion", module_path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules["old_ingestion"] = module
    spec.loader.exec_module(module)

    def run(path: Path, raw: str) -> Result:
        try:
            doc = module.read_document(path)
        except InputError as exc:
            return Result("", error=str(exc))
        return Result(doc.text, doc.title, doc.date)

    return run


def trafilatura_system() -> Extractor:
    import trafilatura
    from trafilatura.settings import Document

    def run(path: Path, raw: str) -> Result:
        doc = trafilatura.bare_extraction(raw, include_comments=False, with_metadata=True)
        if not isinstance(doc, Document):  # None: nothing extracted (a dict comes only with as_dict=True)
            return Result("", error="no extraction")
        return Result(doc.text or "", doc.title, doc.date)

    return run


SYSTEMS: dict[str, Callable[[], Extractor | None]] = {
    "project": project_system,
    "soup": soup_system,
    "old": old_system,
    "trafilatura": trafilatura_system,
}
LABELS = {
    "project": "the project's `load_document` (trafilatura, BeautifulSoup fallback)",
    "soup": "BeautifulSoup rules alone (today's fallback)",
    "old": f"the project's `read_document` before this change ({OLD_COMMIT})",
    "trafilatura": "bare trafilatura, default settings, `include_comments=False`",
}


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


def load_pages(bench: Path) -> list[tuple[str, bytes, dict[str, str]]]:
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    return [(k, gzip.decompress((bench / "html" / f"{k}.html.gz").read_bytes()), truth[k]) for k in sorted(truth)]


def run_system(name: str, extract: Extractor, pages: list[tuple[str, bytes, dict[str, str]]]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        path = Path(tmp) / "page.html"
        path.write_bytes(pages[0][1])
        extract(path, pages[0][1].decode("utf-8", errors="replace"))  # warm-up: imports, caches
        for key, html, truth in pages:
            path.write_bytes(html)
            raw = html.decode("utf-8", errors="replace")
            start = time.perf_counter()
            result = extract(path, raw)
            ms = (time.perf_counter() - start) * 1000
            precision, recall = page_scores(truth["articleBody"], result.text)
            expected_date = url_date(truth["url"])
            rows.append(
                {
                    "id": key,
                    "url": truth["url"],
                    "ms": round(ms, 2),
                    "text_chars": len(result.text.strip()),
                    "precision": round(precision, 4),
                    "recall": round(recall, 4),
                    "error": result.error,
                    "title": result.title,
                    "title_ok": title_names_article(result.title, truth["articleBody"], truth["url"]),
                    "date": result.date,
                    "url_date": expected_date,
                    "date_agrees": None
                    if not (expected_date and result.date)
                    else dates_agree(result.date, expected_date),
                }
            )
    n = len(rows)
    with_url_date = [r for r in rows if r["url_date"]]
    summary = {
        **{k: round(v, 4) for k, v in body_f1(rows).items()},
        "pages": n,
        "rejected": sum(1 for r in rows if not r["text_chars"]),
        "wrong_story": sum(1 for r in rows if r["text_chars"] and r["precision"] < 0.5 and r["recall"] < 0.2),
        "titles_ok": sum(r["title_ok"] for r in rows),
        "dates_found": sum(1 for r in rows if r["date"]),
        "url_dated_pages": len(with_url_date),
        "dates_agree_with_url": sum(1 for r in with_url_date if r["date_agrees"]),
        "dates_disagree_with_url": sum(1 for r in with_url_date if r["date_agrees"] is False),
        "ms_median": round(statistics.median(r["ms"] for r in rows), 1),
        "ms_mean": round(statistics.fmean(r["ms"] for r in rows), 1),
    }
    print(
        f"{name:12} F1 {summary['f1']:.3f} (P {summary['precision']:.3f} R {summary['recall']:.3f})  "
        f"rejected {summary['rejected']}  wrong story {summary['wrong_story']}  titles {summary['titles_ok']}/{n}  "
        f"dates {summary['dates_found']}/{n}  median {summary['ms_median']} ms",
        flush=True,
    )
    return {"summary": summary, "pages": rows}


def machine() -> dict[str, Any]:
    """What the run measured on (benchmarks.machine), in this benchmark's result fields."""
    return {
        "cpu": cpu_model(),
        "cores": cores(),
        "python": platform.python_version(),
        "versions": package_versions(("trafilatura", "htmldate", "lxml", "beautifulsoup4")),
        "load_average": loadavg(),
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"## Article extraction ({report['pages']} pages of the ScrapingHub benchmark, {report['bench_name']})",
        "",
        f"Measured {report['date']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"load average {report['machine']['load_average'][0]:.1f} (timings are slower on a busy machine), "
        f"trafilatura {report['machine']['versions']['trafilatura']}. "
        "Body F1 is the benchmark's metric; titles name the article when at least half their words occur in "
        "the article or its URL and no site name is left at either end; dates are checked against the "
        "date in the page's URL where it has one.",
        "",
        "| system | body F1 | precision | recall | pages rejected | wrong story | titles naming the article "
        "| dates found | dates agreeing with URL | median ms/page |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in report["systems"].items():
        s = result["summary"]
        n = s["pages"]
        lines.append(
            f"| {LABELS.get(name, name)} | **{s['f1']:.3f}** | {s['precision']:.3f} | {s['recall']:.3f} "
            f"| {s['rejected']} | {s['wrong_story']} | {s['titles_ok']}/{n} ({100 * s['titles_ok'] / n:.0f}%) "
            f"| {s['dates_found']}/{n} | {s['dates_agree_with_url']}/{s['url_dated_pages']} "
            f"({s['dates_disagree_with_url']} disagree) | {s['ms_median']:.0f} |"
        )
    project = report["systems"].get("project")
    if project:
        bad_titles = [r for r in project["pages"] if not r["title_ok"]]
        low = sorted(project["pages"], key=lambda r: r["precision"] * r["recall"])[:5]
        lines += ["", "Titles of `load_document` that the check did not accept:", ""]
        lines += [f"- `{r['title']}` ({r['url']})" for r in bad_titles] or ["- none"]
        lines += ["", "Lowest-scoring pages for `load_document` (precision, recall):", ""]
        lines += [f"- {r['precision']:.2f}, {r['recall']:.2f}: {r['url']}" for r in low]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: " + ", ".join(SYSTEMS))
    parser.add_argument("--out", default="extraction", help="results/<out>.json and .md")
    args = parser.parse_args(argv)
    if not (args.bench_dir / "ground-truth.json").is_file():
        print(f"error: no ground-truth.json in {args.bench_dir}", file=sys.stderr)
        return 2
    pages = load_pages(args.bench_dir)
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "bench_dir": str(args.bench_dir),
        "bench_name": args.bench_dir.name,
        "pages": len(pages),
        "machine": machine(),
        "systems": {},
    }
    for name in args.systems.split(","):
        factory = SYSTEMS[name.strip()]
        extract = factory()
        if extract is None:
            print(f"{name}: not available, skipped", file=sys.stderr)
            continue
        report["systems"][name] = run_system(name, extract, pages)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    (RESULTS / f"{args.out}.md").write_text(render(report))
    print(f"wrote {RESULTS / (args.out + '.json')} and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
