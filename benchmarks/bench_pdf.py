#!/usr/bin/env python
"""PDF text extraction: pypdf against pdfplumber, and the project's reader, on PDFs with known text.

Not a test. The PDFs are made here: every tenth article of the extraction benchmark's development pages
(``../shared/eval/article-extraction-benchmark``) written with fpdf2 in DejaVu Sans (any script), one or
two columns, with a running head and a "Page N of M" footer, as a newspaper or a printed web page has.
The article's own text is the ground truth, scored with the extraction benchmark's shingle metric. Real
PDFs found on the machine (``/usr/share/doc/**/*.pdf``) are timed too; they have no ground truth.

pdfplumber is not a project dependency; install it aside to compare, e.g.
``pip install --target /tmp/plumber pdfplumber`` and run with ``PYTHONPATH=/tmp/plumber``.

    python benchmarks/bench_pdf.py    # writes benchmarks/results/pdf.json and pdf.md
"""

from __future__ import annotations

import datetime as dt
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_extraction import DEFAULT_BENCH, RESULTS, load_pages, machine, page_scores  # noqa: E402

from benchmarks.machine import package_version  # noqa: E402

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
REAL_PDFS = sorted(Path("/usr/share/doc").glob("**/*.pdf"))[:4]


def make_pdf(title: str, body: str, columns: int) -> bytes:
    from fpdf import FPDF

    class Paper(FPDF):
        def header(self) -> None:
            self.set_font("body", size=8)
            self.cell(0, 6, "The Example Gazette - Weekly edition", align="C")
            self.ln(8)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("body", size=8)
            self.cell(0, 6, f"Page {self.page_no()}", align="C")

    pdf = Paper()
    pdf.add_font("body", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("body", size=16)
    pdf.multi_cell(0, 8, title)
    pdf.ln(2)
    pdf.set_font("body", size=10)
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    if columns == 2:
        with pdf.text_columns(ncols=2, gutter=6, text_align="J") as cols:
            for paragraph in paragraphs:
                cols.write(paragraph)
                cols.ln()
                cols.ln()
    else:
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph, align="J")
            pdf.ln(2)
    return bytes(pdf.output())


def pypdf_plain(data: bytes) -> tuple[str, int]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages)


def pypdf_layout(data: bytes) -> tuple[str, int]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text(extraction_mode="layout") or "" for p in reader.pages), len(reader.pages)


def plumber(data: bytes) -> tuple[str, int]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages), len(pdf.pages)


def project(data: bytes) -> tuple[str, int]:
    from rag.ingest.pdf import pdf_document

    doc = pdf_document(data, source="bench.pdf", path="/bench.pdf")
    return doc.text, len(doc.pages)


SYSTEMS: dict[str, Callable[[bytes], tuple[str, int]]] = {
    "pypdf": pypdf_plain,
    "pypdf-layout": pypdf_layout,
    "pdfplumber": plumber,
    "project": project,
}
LABELS = {
    "pypdf": "pypdf `extract_text()`",
    "pypdf-layout": "pypdf `extract_text(extraction_mode='layout')`",
    "pdfplumber": "pdfplumber `extract_text()`",
    "project": "the project's `rag.ingest.pdf` (pypdf, lines joined, running heads dropped)",
}


def available(name: str) -> bool:
    try:
        {"pdfplumber": lambda: __import__("pdfplumber")}.get(name, lambda: None)()
    except ImportError:
        return False
    return True


def version(package: str) -> str | None:
    found = package_version(package)
    return found if found is not None else getattr(sys.modules.get(package), "__version__", None)


def main() -> int:
    if not FONT.is_file():
        print(f"error: {FONT} is needed to write PDFs in any script", file=sys.stderr)
        return 2
    pages = load_pages(DEFAULT_BENCH)[::10]
    made = [
        (truth["url"], truth["articleBody"], make_pdf(f"Article {i}", truth["articleBody"], 1 + i % 2))
        for i, (_, _, truth) in enumerate(pages)
    ]
    systems = {k: v for k, v in SYSTEMS.items() if available(k)}
    report: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine(), "systems": {}}
    report["machine"]["versions"] |= {
        "pypdf": version("pypdf"),
        "pdfplumber": version("pdfplumber"),
        "fpdf2": version("fpdf2"),
    }
    for name, extract in systems.items():
        extract(made[0][2])  # warm-up
        rows = []
        for i, (url, truth, data) in enumerate(made):
            start = time.perf_counter()
            text, n_pages = extract(data)
            ms = (time.perf_counter() - start) * 1000
            precision, recall = page_scores(truth, text)
            rows.append(
                {
                    "url": url,
                    "columns": 1 + i % 2,
                    "pages": n_pages,
                    "ms_per_page": ms / max(1, n_pages),
                    "precision": precision,
                    "recall": recall,
                }
            )
        real: list[dict[str, Any]] = []
        for path in REAL_PDFS:
            data = path.read_bytes()
            start = time.perf_counter()
            try:
                text, n_pages = extract(data)
            except Exception as exc:  # noqa: BLE001 - a benchmark records the failure and goes on
                real.append({"file": str(path), "error": f"{type(exc).__name__}: {exc}"})
                continue
            real.append(
                {
                    "file": str(path),
                    "pages": n_pages,
                    "chars": len(text),
                    "ms_per_page": (time.perf_counter() - start) * 1000 / max(1, n_pages),
                }
            )

        def f1(subset: list[dict[str, Any]]) -> dict[str, float]:
            p = statistics.fmean(r["precision"] for r in subset)
            r = statistics.fmean(r["recall"] for r in subset)
            return {
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            }

        summary = {
            "all": f1(rows),
            "one_column": f1([r for r in rows if r["columns"] == 1]),
            "two_columns": f1([r for r in rows if r["columns"] == 2]),
            "ms_per_page_median": round(statistics.median(r["ms_per_page"] for r in rows), 1),
            "real_ms_per_page_median": round(statistics.median(r["ms_per_page"] for r in real if "ms_per_page" in r), 1)
            if real
            else None,
        }
        report["systems"][name] = {"summary": summary, "pdfs": rows, "real": real}
        real_ms = summary["real_ms_per_page_median"]
        print(
            f"{name:13} F1 {summary['all']['f1']:.3f} (1 col {summary['one_column']['f1']:.3f}, "
            f"2 col {summary['two_columns']['f1']:.3f})  {summary['ms_per_page_median']} ms/page, real {real_ms}",
            flush=True,
        )
    (RESULTS / "pdf.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        f"## PDF text ({len(made)} article PDFs made from benchmark pages, {len(REAL_PDFS)} real PDFs timed)",
        "",
        f"Measured {report['date']} on {report['machine']['cpu']}; pypdf {report['machine']['versions']['pypdf']}, "
        f"pdfplumber {report['machine']['versions']['pdfplumber']}. F1 is the extraction benchmark's shingle metric "
        "against the article text the PDF was written from (its title, running head and page numbers count as noise).",
        "",
        "| extractor | F1 all | F1 one column | F1 two columns | ms/page (made) | ms/page (real PDFs) |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in report["systems"].items():
        s = result["summary"]
        lines.append(
            f"| {LABELS[name]} | **{s['all']['f1']:.3f}** | {s['one_column']['f1']:.3f} | {s['two_columns']['f1']:.3f} "
            f"| {s['ms_per_page_median']:.0f} | {s['real_ms_per_page_median'] or '-'} |"
        )
    (RESULTS / "pdf.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / 'pdf.json'} and pdf.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
