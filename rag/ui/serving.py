"""Serving: refresh the index, build the page, launch it, then load the models."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from rag.config import configure, get_settings
from rag.indexing import ensure_index
from rag.ui.access import auth_for
from rag.ui.app import CHAT_CONCURRENCY, build_app
from rag.ui.render import CSS
from rag.ui.warmup import Warmup

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)


def serve(
    host: str | None = None,
    port: int | None = None,
    backend: str | None = None,
    no_auth: bool | None = None,
    *,
    block: bool = True,
) -> gr.Blocks:
    """Refresh the index, then serve the chat (blocks unless ``block=False``)."""
    import sys

    overrides = {
        k: v for k, v in {"host": host, "port": port, "backend": backend, "no_auth": no_auth}.items() if v is not None
    }
    s = configure(**(get_settings().model_dump() | overrides)) if overrides else get_settings()
    auth = auth_for(s)  # before anything slow: a refusal must be quick and clear

    t0 = time.perf_counter()
    report = ensure_index(progress=lambda m: print(f"· {m}", file=sys.stderr, flush=True))
    for w in report.warnings:  # a file that broke the refresh: the last good index is served
        print(f"warning: {w}", file=sys.stderr)
    log.info("index ready in %.1fs", time.perf_counter() - t0)

    import gradio as gr

    warmup = Warmup(s.backend)
    demo = build_app(s, warmup, report.warnings)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    where = f"http://{s.host}:{s.port}"
    print(f"serving the chat on {where} ({'login required' if auth else 'no login'})", file=sys.stderr, flush=True)
    demo.launch(
        server_name=s.host,
        server_port=s.port,
        auth=auth,
        auth_message="Log in to the news Q&A chat." if auth else None,
        max_file_size=s.upload_max_bytes,  # the Corpus tab's uploads; refused by the server itself beyond this
        share=bool(auth) and s.share,  # explicit: gradio would read GRADIO_SHARE and tunnel around the login rule
        prevent_thread_lock=True,
        show_error=False,
        ssr_mode=False,
        quiet=True,
        footer_links=["api"],
        theme=gr.themes.Default(
            font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
        ),
        css=CSS,
    )
    # the models load after the page is up: importing torch competes with gradio for the CPU
    warmup.start()
    if block:
        demo.block_thread()
    return demo
