"""The page: the chat and corpus tabs, the API endpoints, and the loading note."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rag.config import Settings, get_settings
from rag.llm import available_backends
from rag.ui.corpus_tab import UPLOAD_TYPES, add_link, corpus_rows, document_choices, remove, upload
from rag.ui.handlers import _chat_ui, _source_choices, api_chat, api_retrieve
from rag.ui.render import esc
from rag.ui.warmup import Warmup, set_current

if TYPE_CHECKING:
    import gradio as gr

#: simultaneous chat events; the local LLM serialises generation with its own lock,
#: retrieval and the extractive backend run in parallel
CHAT_CONCURRENCY = 16
RETRIEVE_CONCURRENCY = 8
#: passages retrieved for an answer by default (the prompt builder keeps what fits)
DEFAULT_CHAT_K = 8
#: warnings from the start-up refresh listed on the Corpus tab
MAX_WARNINGS_SHOWN = 20

EXAMPLES = [
    "What did Lavrov and Aleinik discuss in Minsk in January 2023?",
    "What has the West turned Ukraine into, according to Lavrov?",
    "What did Lavrov say about European security without Russia?",
    "What ultimatum did Lavrov accuse the West of issuing?",
]


def index_note(warnings: Sequence[str]) -> str:
    """The Corpus tab's note on the last refresh: what was skipped, and why (the rest is served)."""
    if not warnings:
        return ""
    lines = "\n".join(f"- {esc(w)}" for w in warnings[:MAX_WARNINGS_SHOWN])
    more = len(warnings) - MAX_WARNINGS_SHOWN
    tail = f"\n- … and {more} more (run `rag index` to see them all)" if more > 0 else ""
    return f"**The last index refresh skipped {len(warnings)} item(s)**; everything else is served:\n{lines}{tail}"


def build_app(
    settings: Settings | None = None, warmup: Warmup | None = None, index_warnings: Sequence[str] = ()
) -> gr.Blocks:
    """The Gradio page and its API endpoints (needs an index; does not launch)."""
    import gradio as gr

    set_current(warmup)
    s = settings or get_settings()
    backends = available_backends()
    if s.backend not in backends:
        backends = [s.backend, *backends]
    model_note = f"Embedding model: `{s.embedding_model}`" + (
        " — **English-only**: questions and documents in other languages are retrieved poorly."
        if "minilm" in s.embedding_model.lower()
        else "."
    )

    with gr.Blocks(title="News Q&A with citations", fill_height=True) as demo:
        gr.Markdown(
            "## News Q&A with citations\n"
            "Answers come only from the indexed articles; each claim carries an [n] that points to the quoted passage "
            "below the answer. Check the highlighted sentence before relying on it. " + model_note
        )
        status = gr.Markdown(
            warmup.message() if warmup is not None else "", elem_classes="rag-status", elem_id="rag-status"
        )
        with gr.Tab("Chat"):
            with gr.Accordion("Search settings", open=False):
                with gr.Row():
                    backend = gr.Dropdown(
                        choices=backends, value=s.backend, label="Answer backend", elem_id="rag-backend"
                    )
                    k = gr.Slider(1, 20, value=DEFAULT_CHAT_K, step=1, label="Passages retrieved (k)")
                with gr.Row():
                    sources = gr.Dropdown(
                        choices=_source_choices(),
                        value=[],
                        multiselect=True,
                        label="Only these sources (empty: all)",
                        elem_id="rag-sources-filter",
                    )
                    since = gr.Textbox(label="Since (YYYY-MM-DD)", placeholder="e.g. 2023-01-01", max_lines=1)
                    until = gr.Textbox(label="Until (YYYY-MM-DD)", placeholder="e.g. 2023-12-31", max_lines=1)
                gr.Markdown("A date range leaves out undated documents.")
            chatbot = gr.Chatbot(
                label="Chat",
                height="60vh",
                latex_delimiters=[],
                sanitize_html=True,
                feedback_options=None,
                placeholder="Ask about the indexed news articles, or pick an example.",
            )
            gr.ChatInterface(
                _chat_ui(warmup),
                chatbot=chatbot,
                textbox=gr.Textbox(
                    placeholder="Ask a question about the news articles…", submit_btn=True, stop_btn=True
                ),
                additional_inputs=[backend, k, sources, since, until],
                examples=[[q, None, None, None, None, None] for q in EXAMPLES],
                api_name="chat_ui",
                api_visibility="undocumented",
                concurrency_limit=CHAT_CONCURRENCY,
                fill_height=True,
                autofocus=True,
            )
        with gr.Tab("Corpus"):
            gr.Markdown("What is indexed (refresh the index with `rag index`, or restart the app).")
            gr.Markdown(index_note(index_warnings), elem_id="rag-index-warnings")
            corpus = gr.Dataframe(
                value=corpus_rows(),
                headers=["source", "title", "publisher", "date", "passages"],
                datatype=["str", "str", "str", "str", "number"],
                interactive=False,
                wrap=True,
                elem_id="rag-corpus",
            )
            refresh = gr.Button("Refresh", size="sm")
            refresh.click(corpus_rows, None, corpus, api_visibility="private", queue=False)
            with gr.Row():
                new_url = gr.Textbox(
                    label="Add an article by URL (a web page or a PDF)",
                    placeholder="https://…",
                    max_lines=1,
                    scale=4,
                    elem_id="rag-add-url",
                )
                add = gr.Button("Fetch and index", scale=1, elem_id="rag-add-url-button")
            added = gr.Markdown(elem_id="rag-add-url-status")
            for trigger in (add.click, new_url.submit):
                trigger(add_link, new_url, [added, corpus], api_visibility="private", concurrency_limit=1)
            files = gr.File(
                label=f"Add files: {' '.join(UPLOAD_TYPES)} (several at once, or drop them here; "
                f"up to {s.upload_max_bytes // 1048576} MiB each)",
                file_count="multiple",
                file_types=UPLOAD_TYPES,
                type="filepath",
                elem_id="rag-upload",
            )
            uploaded = gr.Markdown(elem_id="rag-upload-status")

            def upload_event(paths: list[str] | None, progress: Any = gr.Progress()) -> tuple[str, Any]:  # noqa: B008
                return upload(paths, progress)

            files.upload(upload_event, files, [uploaded, corpus], api_visibility="private", concurrency_limit=1)
            with gr.Row():
                doomed = gr.Dropdown(
                    choices=document_choices(), label="Remove a document", scale=4, elem_id="rag-remove"
                )
                drop = gr.Button("Remove", scale=1, variant="stop", elem_id="rag-remove-button")
            removed = gr.Markdown(elem_id="rag-remove-status")

            def remove_event(path: str | None) -> tuple[str, Any, Any]:
                message, rows = remove(path)
                return message, rows, gr.Dropdown(choices=document_choices(), value=None)

            drop.click(remove_event, doomed, [removed, corpus, doomed], api_visibility="private", concurrency_limit=1)
            corpus.change(lambda: gr.Dropdown(choices=document_choices()), None, doomed, api_visibility="private")

        gr.api(api_chat, api_name="chat", concurrency_limit=CHAT_CONCURRENCY)
        gr.api(api_retrieve, api_name="retrieve", concurrency_limit=RETRIEVE_CONCURRENCY)

        demo.load(lambda: gr.Dropdown(choices=_source_choices()), None, sources, api_visibility="private", queue=False)
        demo.load(corpus_rows, None, corpus, api_visibility="private", queue=False)
        if warmup is not None:
            demo.load(warmup.message, None, status, api_visibility="private", queue=False)
            timer = gr.Timer(1.0, active=not warmup.ready)

            def tick() -> tuple[str, Any]:
                return warmup.message(), gr.Timer(active=not warmup.ready)

            timer.tick(tick, None, [status, timer], api_visibility="private", queue=False)
    return demo
