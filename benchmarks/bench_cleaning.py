#!/usr/bin/env python
"""The plain-text line rules on pages they were not written for: body F1 before and after a change.

Not a test. Run from the repository root with the project's virtual environment:

    python benchmarks/bench_cleaning.py [--before COMMIT]

The rules of ``rag/ingest/cleaning.py`` are for text scraped or copied from a page, so each of the 91
development pages of ``../shared/eval/article-extraction-benchmark/`` is first "saved as text" the way a
browser or a scraper does it (every text node, one per line; scripts and styles left out), then cleaned by
the rules of ``--before`` (a commit, loaded from git) and by the rules in the working tree. Scored with the
benchmark's own body F1 (``bench_extraction.py``), plus per page the lines only one of the two versions kept.
The five seeds are scored on their hand-written ground truth (``tests/seed_truth.py``): furniture lines that
survive and article sentences lost.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_extraction import DEFAULT_BENCH, body_f1, load_pages, page_scores  # noqa: E402
from seed_truth import BODY_SENTENCES, FURNITURE, SEED_SOURCES, SEEDS_DIR, normalise_ws  # noqa: E402

import rag.ingest.cleaning as current  # noqa: E402


def cleaning_at(commit: str) -> ModuleType:
    """``rag/ingest/cleaning.py`` as it was at ``commit`` (its own imports resolve to today's package)."""
    source = subprocess.run(
        ["git", "show", f"{commit}:rag/ingest/cleaning.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="bench-cleaning-")) / "cleaning_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("cleaning_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_text(html: bytes) -> str:
    """A page saved as text: every text node on its own line, no scripts or styles."""
    soup = BeautifulSoup(html.decode("utf-8", errors="replace"), "html.parser")
    for tag in soup.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n")


def seed_scores(clean: ModuleType) -> tuple[int, int]:
    """(furniture lines that survive as a line of their own, article sentences lost) over the five seeds."""
    survived = lost = 0
    for name in SEED_SOURCES:
        text = clean.clean_text((SEEDS_DIR / name).read_text(encoding="utf-8"))
        lines = {normalise_ws(line) for line in text.split("\n")}
        survived += sum(normalise_ws(f) in lines for f in FURNITURE[name])
        flat = normalise_ws(text)
        lost += sum(normalise_ws(s) not in flat for s in BODY_SENTENCES[name])
    return survived, lost


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default="84ef40e", help="commit whose rules to compare with (default 84ef40e)")
    p.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    args = p.parse_args(argv)
    before = cleaning_at(args.before)
    pages = load_pages(args.bench_dir)
    rows: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    changed: list[tuple[str, list[str], list[str]]] = []
    for page_id, html, truth in pages:
        text = as_text(html)
        outputs = {}
        for label, clean in (("before", before), ("after", current)):
            out = clean.clean_text(text)
            precision, recall = page_scores(truth["articleBody"], out)
            rows[label].append({"precision": precision, "recall": recall, "text_chars": len(out)})
            outputs[label] = out
        if outputs["before"] != outputs["after"]:
            a, b = set(outputs["before"].split("\n\n")), set(outputs["after"].split("\n\n"))
            changed.append((page_id, sorted(a - b), sorted(b - a)))
    print(f"# Line rules, {args.before} against the working tree: {len(pages)} pages saved as text, 5 seeds\n")
    print("| rules | body P | body R | body F1 | seed furniture left | seed sentences lost |")
    print("|---|---|---|---|---|---|")
    for label, clean in (("before", before), ("after", current)):
        f1 = body_f1([dict(r) for r in rows[label]])
        survived, lost = seed_scores(clean)
        name = args.before if label == "before" else "working tree"
        print(f"| {name} | {f1['precision']:.4f} | {f1['recall']:.4f} | {f1['f1']:.4f} | {survived} | {lost} |")
    print(f"\n{len(changed)} page(s) cleaned differently:")
    for page_id, only_before, only_after in changed:
        for line in only_before:
            print(f"- {page_id}: only {args.before} kept: {line[:120]!r}")
        for line in only_after:
            print(f"- {page_id}: only the working tree kept: {line[:120]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
