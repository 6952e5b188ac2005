#!/usr/bin/env python
"""Who published a page saved as text (no URL, no site name): the publisher each page gets, before and after.

Not a test. Run from the repository root with the project's virtual environment:

    python benchmarks/bench_outlets.py [--out FILE]   # writes {page: publisher} as JSON; compare two runs with diff

Pages: the 91 development pages of ``../shared/eval/article-extraction-benchmark/`` saved as text the way
``bench_cleaning.py`` saves them, then read as ``rag index`` reads a ``.txt`` file, and the five seeds. The
outlet a page really belongs to is its benchmark URL's registrable domain, printed beside it: a publisher
read from a text page without a URL is either that outlet or wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from bench_cleaning import as_text  # noqa: E402
from bench_extraction import DEFAULT_BENCH, load_pages  # noqa: E402

from rag.errors import InputError  # noqa: E402
from rag.ingest.outlets import host_of, registrable_domain  # noqa: E402
from rag.ingest.reading import parse_document, read_document  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    found: dict[str, str | None] = {}
    named = 0
    for key, html, truth in load_pages(args.bench_dir):
        try:
            doc = parse_document(as_text(html), source=f"{key}.txt", path=f"/bench/{key}.txt", suffix=".txt")
        except InputError:
            continue
        host = host_of(truth.get("url") or "")
        found[key] = doc.publisher
        if doc.publisher:
            named += 1
            print(f"{key[:12]}  {doc.publisher!r:32} page of {registrable_domain(host) if host else '?'}")
    for path in sorted((ROOT / "seeds").iterdir()):
        found[path.name] = read_document(path).publisher
        print(f"seed {path.name}: {found[path.name]!r}")
    print(f"{named} of {len(found) - 5} benchmark pages saved as text name a publisher")
    if args.out:
        args.out.write_text(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
