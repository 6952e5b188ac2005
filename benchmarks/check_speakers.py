#!/usr/bin/env python
"""Speaker annotations before and after a change: snapshot them, then count what differs.

Not a test. Run from the repository root with the project's virtual environment:

    python benchmarks/check_speakers.py snapshot before.json [--docs 300]
    python benchmarks/check_speakers.py compare before.json after.json

Documents: the seeds, the second corpus's 20 pages (read as ``rag index`` reads them) and the ``--docs`` benchmark
articles of ``bench_indexing.py``. A snapshot holds each document's attributions and each chunk's speaker
metadata (the JSON indexing stores); ``compare`` prints the number of documents and chunks whose speakers differ,
and each differing sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from bench_extraction import DEFAULT_BENCH  # noqa: E402
from bench_indexing import articles  # noqa: E402
from support import second_corpus  # noqa: E402

from rag import speakers  # noqa: E402
from rag.chunking import chunk_document  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedding import get_embedder  # noqa: E402
from rag.ingest.reading import read_document  # noqa: E402
from rag.types import Document  # noqa: E402


def documents(n: int) -> list[Document]:
    docs = [read_document(p) for p in sorted((ROOT / "seeds").iterdir()) if p.is_file()]
    with tempfile.TemporaryDirectory() as tmp:
        docs += [read_document(p) for p in sorted(second_corpus(Path(tmp)).iterdir())]
    return docs + articles(n, DEFAULT_BENCH)


def snapshot(docs: list[Document]) -> dict[str, Any]:
    s = Settings()
    embedder = get_embedder(s.embedding_model, s.embedding_batch_size)
    found = speakers.attribute_many([d.text for d in docs])
    out: dict[str, Any] = {}
    for d, atts in zip(docs, found, strict=True):
        chunks = chunk_document(
            d, size=s.chunk_size, overlap=s.chunk_overlap, model_tokens=embedder.count_tokens,
            model_max=embedder.max_tokens,
        )  # fmt: skip
        out[d.source] = {
            "attributions": [[a.start, a.end, a.speaker, a.denial, d.text[a.start : a.end]] for a in atts],
            "chunks": [speakers.to_metadata(atts, c.start, c.end) for c in chunks],
        }
    assert len(out) == len(docs), "document names repeat"
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> int:
    docs = chunks = total = 0
    for path, b in before.items():
        a = after[path]
        total += len(b["chunks"])
        chunks += sum(x != y for x, y in zip(b["chunks"], a["chunks"], strict=True))
        if b["attributions"] == a["attributions"]:
            continue
        docs += 1
        old = {tuple(r[:4]): r for r in b["attributions"]}
        new = {tuple(r[:4]): r for r in a["attributions"]}
        print(f"== {path}")
        for key in sorted(old.keys() - new.keys()):
            print(f"  - {old[key][2]!r} {old[key][3]} {old[key][4][:160]!r}")
        for key in sorted(new.keys() - old.keys()):
            print(f"  + {new[key][2]!r} {new[key][3]} {new[key][4][:160]!r}")
    print(f"{docs} of {len(before)} documents and {chunks} of {total} chunks have different speakers")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--docs", type=int, default=300)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "snapshot":
        args.out.write_text(json.dumps(snapshot(documents(args.docs)), ensure_ascii=False, indent=0))
        return 0
    return compare(json.loads(args.before.read_text()), json.loads(args.after.read_text()))


if __name__ == "__main__":
    sys.exit(main())
