"""The `rag` command: index, list, remove, search, ask, eval, doctor, serve.

Every user-facing failure is a `RagError` printed as one line (exit 2);
tracebacks appear only with ``--debug``. Exit statuses: 0 done; 1 nothing indexable, a regression, or an
unexpected error; 2 a bad argument, file or setting; 3 the answering model failed (the sources are still
printed); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag import evaluation as ev
from rag.answering import answer_stream, evidence_only
from rag.answering.evidence import human_date
from rag.config import configure, get_settings
from rag.corpus import describe, document_json, forget_url, index_items, remove_target, show_document
from rag.doctor import run_checks
from rag.errors import RagError
from rag.indexing import Count, Indexer, ensure_index, list_documents
from rag.retrieval import check_k, retrieve
from rag.types import Answer, KeyEvidence
from rag.ui import serve

MODEL_FAILED = 3  # `rag ask`: the model failed (crash, timeout, HTTP error); the retrieved sources were printed


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration (also RAG_* environment variables)")
    g.add_argument("--index", dest="index_dir", type=Path, help="index folder (RAG_INDEX_DIR; default ./index)")
    g.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000 (RAG_CHROMA_URL)")
    g.add_argument("--embedding-model", help="sentence-transformers name or path (RAG_EMBEDDING_MODEL)")
    g.add_argument("--chunk-size", type=int, help="chunk size in cl100k tokens (RAG_CHUNK_SIZE)")
    g.add_argument("--chunk-overlap", type=int, help="chunk overlap in tokens (RAG_CHUNK_OVERLAP)")
    g.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited Q&A over news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index files, folders or article URLs (none: refresh everything indexed)")
    p.add_argument("paths", nargs="*", metavar="PATH_OR_URL", help=".txt .md .html .pdf files, folders, http(s) URLs")
    p.add_argument("--refetch", action="store_true", help="fetch the articles indexed by URL again first")
    _common(p)

    p = sub.add_parser("list", help="show what is indexed")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("remove", help="forget a file, folder or URL and drop its passages")
    p.add_argument("path", metavar="PATH_OR_URL")
    _common(p)

    p = sub.add_parser("show", help="show what indexing makes of a file or URL: metadata and text")
    p.add_argument("path", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("search", help="retrieve passages for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="passages to return (RAG_K; default 5)")
    p.add_argument("--source", action="append", dest="sources", help="only this file name (repeatable)")
    p.add_argument("--since", help="only documents dated on/after YYYY-MM-DD")
    p.add_argument("--until", help="only documents dated on/before YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--backend", help="local | openai | anthropic | extractive (RAG_BACKEND)")
    p.add_argument("-k", type=int, default=None, help="passages to use (default: as many as fit the prompt)")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--evidence-only", action="store_true", help="only the key statements and sources (no model is loaded)"
    )
    _common(p)

    p = sub.add_parser("eval", help="measure retrieval and answer quality on labelled questions")
    p.add_argument("questions", nargs="?", type=Path, help="questions .jsonl")
    p.add_argument("--backend")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--retrieval-only", action="store_true", help="skip answering")
    p.add_argument("--json", action="store_true", help="print the JSON report")
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"), help="compare two reports")
    p.add_argument("--baseline", type=Path, help="fail (exit 1) if a metric falls below these figures")
    p.add_argument("--trec", nargs=3, type=Path, metavar=("DOCS", "TOPICS", "QRELS"), help="TREC collection")
    _common(p)

    p = sub.add_parser("doctor", help="check the install end to end and say how to fix what is wrong")
    p.add_argument("--backend", help="check this backend instead of RAG_BACKEND")
    _common(p)

    p = sub.add_parser("serve", help="run the web chat")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--backend")
    p.add_argument("--no-auth", action="store_true", default=None, help="serve beyond loopback without a login")
    _common(p)
    return parser


def _settings_from(args: argparse.Namespace) -> None:
    keys = (
        "index_dir",
        "chroma_url",
        "embedding_model",
        "chunk_size",
        "chunk_overlap",
        "backend",
        "host",
        "port",
        "no_auth",
    )
    configure(**{k: getattr(args, k) for k in keys if hasattr(args, k)})


def _progress(msg: str) -> None:
    print(f"· {msg}", file=sys.stderr, flush=True)


@contextmanager
def _index_display() -> Iterator[tuple[Callable[[str], None], Count]]:
    """Stage lines and, on a terminal, a bar with files done, of how many, and the time left (rich)."""
    live = sys.stderr.isatty()
    columns = (
        TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), disable=not live, transient=True) as bar:
        task = bar.add_task("indexing", total=None)

        def note(msg: str) -> None:
            if live:
                bar.console.print(f"· {msg}", highlight=False, markup=False)
            else:
                _progress(msg)

        yield note, lambda done, total: bar.update(task, completed=done, total=total)


def cmd_index(args: argparse.Namespace) -> int:

    with _index_display() as (note, count):  # URLs are fetched first
        report, _ = index_items(args.paths, refetch=args.refetch, progress=note, count=count)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(
        f"indexed: {report.added} new or changed, {report.unchanged} unchanged, {report.removed} removed "
        f"({report.chunks_embedded} passages embedded, {report.chunks_deleted} dropped)"
    )
    if args.paths and len(report.rejected) == len(args.paths):
        print("error: nothing indexable in the paths given (see the warnings above)", file=sys.stderr)
        return 1
    return 0


def cmd_list(args: argparse.Namespace) -> int:

    rows = list_documents()
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("the index is empty: run `rag index [PATH...]`")
        return 0
    for r in rows:
        print(f"{r['source']:<32} {r['date'] or '-':<10} {r['chunks']:>4} passages  {r['title'] or '(no title)'}")
    print(f"{len(rows)} documents, {sum(r['chunks'] for r in rows)} passages")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:

    report = Indexer().remove(remove_target(args.path))
    forget_url(args.path)
    print(f"removed {report.removed} documents ({report.chunks_deleted} passages)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:

    doc, origin = show_document(args.path)
    if args.json:
        print(json.dumps(document_json(doc, origin), indent=2, ensure_ascii=False))
    else:
        print(describe(doc, origin))
    return 0


def _ensure_index() -> None:
    """Refresh the index; a file that breaks the refresh is a warning, and the last good index answers."""
    for w in ensure_index(progress=_progress).warnings:
        print(f"warning: {w}", file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> int:

    k = get_settings().k if args.k is None else check_k(args.k)
    _ensure_index()
    passages = retrieve(args.query, k, sources=args.sources, since=args.since, until=args.until)
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("no passages found")
    for n, p in enumerate(passages, 1):
        meta = ", ".join(x for x in (p.publisher, p.date, p.pages and f"p. {p.pages}") if x)
        print(f"[{n}] {p.source} — {p.title or '(no title)'}" + (f" ({meta})" if meta else ""))
        print(f"    score {p.score:.3f} · similarity {p.similarity:.3f} · chars {p.start}-{p.end}")
        if p.url:
            print(f"    {p.url}")
        print("    " + p.text[:400].replace("\n", " ") + ("…" if len(p.text) > 400 else ""))
    return 0


def _print_evidence(ev: KeyEvidence) -> None:
    """The key statements, grouped by who says them, then the source list: what the reader checks the answer by."""
    if ev.statements:
        print("Key statements (verbatim from the sources, before the model's answer):")
    for voice in ev.voices:
        print(f"  {voice.who}" + (f" — {voice.note}" if voice.note else ""))
        for st in voice.statements:
            meta = ", ".join(x for x in (st.outlet, human_date(st.date) if st.date else None) if x)
            label = f"(denies what {st.denies} says) " if st.denies else ""
            print(f"    [{st.n}] {meta}: {label}“{st.text}”")
    if ev.ahead:
        print(f"({ev.ahead} question{'s' if ev.ahead > 1 else ''} ahead of yours for the model)")
    for c in ev.sources:
        meta = ", ".join(x for x in (c.publisher, c.date, c.pages and f"p. {c.pages}") if x)
        print(f"[{c.n}] {c.title or c.source}" + (f" ({meta})" if meta else "") + (f" {c.url}" if c.url else ""))
    print()


def cmd_ask(args: argparse.Namespace) -> int:

    _ensure_index()
    if args.evidence_only:
        found = evidence_only(args.question, k=args.k)
        if args.json:
            print(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        else:
            _print_evidence(found)
        return 0
    final: Answer | None = None
    for item in answer_stream(args.question, backend=args.backend, k=args.k):
        if isinstance(item, KeyEvidence):
            if not args.json:
                _print_evidence(item)
                print("Answer (released sentence by sentence, once checked against the sources):")
        elif isinstance(item, str):
            if not args.json:
                print(item, end="", flush=True)
        else:
            final = item
    assert final is not None
    status = MODEL_FAILED if final.error else 0  # a script must tell a failed model from an answer
    if args.json:
        print(json.dumps(final.to_json(), indent=2, ensure_ascii=False))
        return status
    print()
    if final.query != " ".join(args.question.split()):
        print(f"(searched for: {final.query})")
    if final.error:
        print(f"warning: {final.error}", file=sys.stderr)
    for c in final.citations:
        meta = ", ".join(x for x in (c.publisher, c.date, c.pages and f"p. {c.pages}") if x)
        print(f"[{c.n}] {c.title or c.source}" + (f" ({meta})" if meta else "") + (f" {c.url}" if c.url else ""))
    return status


def cmd_eval(args: argparse.Namespace) -> int:

    if args.compare:
        a, b = (ev.Report.from_json(p.read_text()) for p in args.compare)
        print(ev.compare_reports(a, b))
        return 0
    if args.trec:
        report = ev.run_trec(*args.trec, k=args.k, progress=not args.json, index_dir=args.index_dir)
    else:
        if args.questions is None:
            raise RagError("give a questions file (.jsonl), --trec DOCS TOPICS QRELS, or --compare A B")
        _ensure_index()
        questions = ev.load_questions(args.questions)
        report = ev.run_eval(
            questions, backend=args.backend, k=args.k, retrieval_only=args.retrieval_only, progress=not args.json
        )
    if args.out:
        args.out.write_text(report.to_json())
    if args.json:
        print(report.to_json())
    else:
        ev.print_report(report)
    if args.baseline:
        failed = ev.check_regression(report, json.loads(args.baseline.read_text()))
        if failed:
            print("regression: " + ", ".join(failed), file=sys.stderr)
            return 1
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:

    failed = 0
    for check in run_checks(args.backend, progress=_progress):
        print(check.line())
        failed += not check.ok
    print("all checks passed" if not failed else f"{failed} check(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:

    serve()
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "index": cmd_index,
    "list": cmd_list,
    "remove": cmd_remove,
    "show": cmd_show,
    "search": cmd_search,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "doctor": cmd_doctor,
}


def main(argv: Sequence[str] | None = None) -> int:
    # an argument that is not UTF-8 arrives as lone surrogates: echoing it must not crash the output
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.debug:
        _quiet_libraries()
    try:
        _settings_from(args)
        return COMMANDS[args.command](args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


def _quiet_libraries() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("sentence_transformers", "transformers", "chromadb", "httpx", "bm25s"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def run() -> Any:
    sys.exit(main())


if __name__ == "__main__":
    run()
