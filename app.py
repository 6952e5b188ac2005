"""Web chat entry point: ``python app.py [--host H] [--port P] [--backend B] [--no-auth]``.

Builds or refreshes the index when needed, then serves the Gradio chat on
127.0.0.1:7860 by default. Every flag also has a ``RAG_*`` environment
variable (RAG_HOST, RAG_PORT, RAG_BACKEND, RAG_NO_AUTH, RAG_INDEX_DIR, ...).
Serving beyond loopback needs RAG_AUTH_USER and RAG_AUTH_PASSWORD, or an
explicit --no-auth.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the cited news Q&A chat.")
    p.add_argument("--host", help="interface to bind (RAG_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (RAG_PORT; default 7860)")
    p.add_argument("--backend", help="local | openai | anthropic | extractive (RAG_BACKEND; default local)")
    p.add_argument("--index", dest="index_dir", type=Path, help="index folder (RAG_INDEX_DIR)")
    p.add_argument(
        "--no-auth",
        action="store_true",
        default=None,
        help="serve beyond loopback without a login, on purpose (RAG_NO_AUTH=1)",
    )
    p.add_argument("--debug", action="store_true", help="tracebacks and debug logs")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.debug:
        import warnings

        warnings.filterwarnings("ignore")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        for name in ("sentence_transformers", "transformers", "chromadb", "httpx", "bm25s"):
            logging.getLogger(name).setLevel(logging.ERROR)

    from rag.config import configure
    from rag.errors import RagError

    try:
        configure(host=args.host, port=args.port, backend=args.backend, index_dir=args.index_dir, no_auth=args.no_auth)
        from rag.ui import serve

        serve()
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
