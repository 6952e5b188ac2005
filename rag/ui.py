"""The web chat: streaming cited answers, a sources panel, filters, and an API.

``python app.py`` (or ``rag serve``) refreshes the index, then serves a Gradio 6
page on 127.0.0.1. The embedding model and the local LLM load in a background
thread so the page is up within seconds; the page says while they load.

Safety: every piece of document text (passages, titles, publishers, the
answer, which quotes documents) goes through :func:`html.escape` before it is
put into HTML, and only http(s) links are rendered.

API (``gradio_client``):

* ``/chat`` (question, history, [backend, k, sources, since, until]) streams
  dicts ``{answer, citations, abstained, query, error, done}``; the last one
  (``done: true``) is the cited answer.
* ``/retrieve`` (query, k, sources, since, until) returns a list of passage dicts.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import html
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag import answering
from rag.config import Settings, configure, get_settings
from rag.corpus import add_url
from rag.errors import RagError
from rag.fetching import check_public
from rag.indexing import ensure_index, list_documents
from rag.llm import available_backends
from rag.retrieval import check_k, get_retriever, retrieve
from rag.text.markers import MARKER, find_markers
from rag.text.sentences import sentence_spans as spans_of
from rag.text.terms import tokenize
from rag.types import Answer

if TYPE_CHECKING:
    import gradio as gr

    from rag.types import Answer, Citation, Passage

log = logging.getLogger(__name__)

#: at most ~10 updates a second reach the browser while an answer streams
UPDATE_INTERVAL = 0.1
#: simultaneous chat events; the local LLM serialises generation with its own lock,
#: retrieval and the extractive backend run in parallel
CHAT_CONCURRENCY = 16
RETRIEVE_CONCURRENCY = 8
#: passages retrieved for an answer by default (the prompt builder keeps what fits)
DEFAULT_CHAT_K = 8

EXAMPLES = [
    "What did Lavrov and Aleinik discuss in Minsk in January 2023?",
    "What has the West turned Ukraine into, according to Lavrov?",
    "What did Lavrov say about European security without Russia?",
    "What ultimatum did Lavrov accuse the West of issuing?",
]

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

CSS = """
.rag-answer { line-height: 1.5; }
.rag-cite { font-weight: 600; color: var(--color-accent); }
.rag-query { margin-top: .5em; font-size: .9em; color: var(--body-text-color-subdued); }
.rag-sources { margin-top: .75em; border-top: 1px solid var(--border-color-primary); padding-top: .5em; }
.rag-sources-head { font-weight: 600; font-size: .9em; margin-bottom: .25em; }
.rag-source { margin: .4em 0 .6em 0; font-size: .9em; }
.rag-source-meta { margin-bottom: .2em; }
.rag-lead { font-size: .9em; font-style: italic; margin-bottom: .2em; }
.rag-quote { margin: 0; padding: .3em .6em; border-left: 3px solid var(--border-color-accent);
             color: var(--body-text-color); white-space: normal; }
.rag-quote mark { background: #fff3a3; color: inherit; padding: 0 .1em; }
.rag-status { font-size: .9em; }
"""

# --- rendering (pure functions: no gradio, unit-tested) -----------------------


def esc(text: object) -> str:
    """HTML-escape any text that came from a document or a user, quotes included."""
    return html.escape("" if text is None else str(text), quote=True)


def _lines(escaped: str) -> str:
    """Newlines become <br>: the chat renders Markdown, and a blank line would end the HTML block."""
    return re.sub(r"\s*\n\s*", "<br>", escaped.strip())


def answer_html(text: str) -> str:
    """The answer, escaped, with its [n] markers set off."""
    escaped = esc(text)
    escaped = MARKER.sub(lambda m: f'<span class="rag-cite">{m.group(0)}</span>', escaped)
    return _lines(escaped)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage, also splitting scraped text glued as ``end.Next``."""
    return spans_of(text, glued=True)


def _terms(texts: list[str]) -> list[set[str]]:
    return [set(t) for t in tokenize(texts)] if texts else []


def supporting_spans(passage: str, claims: Sequence[str], max_spans: int = 2) -> list[tuple[int, int]]:
    """The passage sentences sharing most (stemmed, stop-word-free) words with ``claims``.

    The best sentence is kept if it shares at least two terms (or all the
    claim's terms when it has fewer); a second one if it shares at least 60 %
    as many.
    """
    spans = sentence_spans(passage)
    claim = " ".join(claims)
    if not spans or not claim.strip():
        return []
    sets = _terms([claim, *(passage[a:b] for a, b in spans)])
    want, sents = sets[0], sets[1:]
    if not want:
        return []
    scores = [len(s & want) for s in sents]
    order = sorted(range(len(spans)), key=lambda i: (-scores[i], i))
    best = scores[order[0]]
    if best < min(2, len(want)):
        return []
    keep = [i for i in order[:max_spans] if scores[i] >= max(1, 0.6 * best)]
    return sorted(spans[i] for i in keep)


def highlight_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with ``spans`` wrapped in <mark>."""
    out: list[str] = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return _lines("".join(out))


_TRAILINGMARKERS = re.compile(r"([.!?])((?:\s*" + MARKER.pattern + r")+)")


def claims_citing(answer_text: str, n: int) -> list[str]:
    """The answer sentences that cite passage ``n`` (markers removed)."""
    # "… in 2023. [4] Next" cites the sentence before: move such markers in front of the full stop
    text = _TRAILINGMARKERS.sub(lambda m: m.group(2) + m.group(1), answer_text)
    out: list[str] = []
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        claim = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(MARKER.sub(" ", sentence).split()))
        if n in find_markers(sentence) and re.search(r"\w", claim):
            out.append(claim)
    return out


def safe_url(url: str | None) -> str | None:
    if not url:
        return None
    u = url.strip()
    return u if re.match(r"https?://[^\s\"'<>]+$", u, re.I) else None


def source_html(n: int | None, item: Citation | Passage, spans: Sequence[tuple[int, int]]) -> str:
    """One entry of the sources panel: [n], title, publisher, date, link, quoted passage."""
    meta = [f'<span class="rag-title"><b>{esc(item.title or item.source)}</b></span>']
    if item.publisher:
        meta.append(f'<span class="rag-publisher">{esc(item.publisher)}</span>')
    meta.append(f'<span class="rag-date">{esc(item.date or "undated")}</span>')
    if item.pages:  # PDFs
        meta.append(f'<span class="rag-pages">p. {esc(item.pages)}</span>')
    url = safe_url(item.url)
    if url:
        meta.append(
            f'<a class="rag-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
            "original article</a>"
        )
    num = f'<span class="rag-n">[{n}]</span> ' if n is not None else ""
    lead = f'<div class="rag-lead">Article opens: {esc(item.lead)}</div>' if item.lead else ""
    return (
        f'<div class="rag-source">'
        f'<div class="rag-source-meta">{num}{" · ".join(meta)}</div>'
        f"{lead}"
        f'<blockquote class="rag-quote">{highlight_html(item.text, spans)}</blockquote>'
        f"</div>"
    )


def sources_panel(ans: Answer, question: str) -> str:
    """Every cited passage; when nothing is cited (abstained, failed), the retrieved ones."""
    if ans.citations:
        entries = [source_html(c.n, c, supporting_spans(c.text, claims_citing(ans.text, c.n))) for c in ans.citations]
        head = "Sources"
    elif ans.passages:
        entries = [source_html(i, p, supporting_spans(p.text, [ans.query])) for i, p in enumerate(ans.passages, 1)]
        if ans.error:
            head = "The language model failed; these passages were retrieved"
        elif ans.abstained:
            head = "No answer in the sources; these passages were retrieved"
        else:
            head = "Retrieved passages (none cited)"
    else:
        return '<div class="rag-sources"><div class="rag-sources-head">No passages matched.</div></div>'
    return f'<div class="rag-sources"><div class="rag-sources-head">{esc(head)}</div>{"".join(entries)}</div>'


def normalise(question: str) -> str:
    return " ".join(question.split())


def render_answer(question: str, ans: Answer) -> str:
    """The final chat message: answer, resolved query, sources panel (one line of HTML)."""
    parts = [f'<div class="rag-answer">{answer_html(ans.text)}</div>']
    if ans.query and ans.query != normalise(question):
        parts.append(f'<div class="rag-query">searched for: <i>{esc(ans.query)}</i></div>')
    parts.append(sources_panel(ans, question))
    return "".join(parts)


def render_partial(text: str, note: str | None = None) -> str:
    body = answer_html(text) if text else ""
    extra = f'<div class="rag-query">{esc(note)}</div>' if note else ""
    return f'<div class="rag-answer">{body or "…"}</div>{extra}'


def render_error(message: str) -> str:
    return f'<div class="rag-answer rag-error">⚠ {esc(message)}</div>'


_ANSWER_DIV = re.compile(r'<div class="rag-answer[^"]*">(.*?)</div>', re.S)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, list | tuple):
        return " ".join(_content_text(c) for c in content)
    return ""


def clean_history(history: Sequence[Any] | None) -> list[dict[str, str]]:
    """Chat history as plain ``{role, content}`` text (the answer without its sources panel)."""
    out: list[dict[str, str]] = []
    for m in history or []:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role not in ("user", "assistant"):
            continue
        text = _content_text(m.get("content"))
        if role == "assistant":
            found = _ANSWER_DIV.search(text)
            if found:
                text = html.unescape(re.sub(r"<[^>]+>", "", found.group(1).replace("<br>", "\n")))
        text = text.strip()
        if text:
            out.append({"role": role, "content": text})
    return out


# --- background loading -------------------------------------------------------


class Warmup:
    """Loads the embedding model (and the local LLM) off the start-up path."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.phase = "starting"
        self.error: str | None = None
        self.done = threading.Event()
        self.embedder_done = threading.Event()
        self.started = False

    def start(self) -> Warmup:
        self.started = True
        threading.Thread(target=self._run, name="rag-warmup", daemon=True).start()
        return self

    def _run(self) -> None:

        try:
            self.phase = "embedding"
            get_retriever().embedder.embed(["warm up"])
            self.embedder_done.set()
            if self.backend == "local":
                self.phase = "llm"
                answering.warm_up("local")
            self.phase = "ready"
        except RagError as exc:
            self.error, self.phase = str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - shown on the page, one line
            self.error, self.phase = f"{type(exc).__name__}: {exc}", "failed"
        finally:
            self.embedder_done.set()
            self.done.set()

    def wait_for_embedder(self, timeout: float = 300) -> None:
        """Requests that arrive while the model loads wait for it instead of loading a second copy."""
        self.embedder_done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self.done.is_set()

    def message(self) -> str:
        if self.phase == "failed":
            return f"Loading failed: {self.error}. Try another backend."
        if self.phase in ("starting", "embedding"):
            return "Loading the embedding model… the first answer will wait for it."
        if self.phase == "llm":
            return (
                f"Loading the local language model ({get_settings().local_model})… the first answer will wait for it."
            )
        return "Ready."


#: the running app's warm-up, if any (set by :func:`build_app`)
_warmup: Warmup | None = None


def _wait_for_models() -> None:
    if _warmup is not None and _warmup.started:
        _warmup.wait_for_embedder()


# --- the handlers -------------------------------------------------------------


def _filters(
    sources: Sequence[str] | str | None, since: str | None, until: str | None
) -> tuple[list[str] | None, str | None, str | None]:
    src = [sources] if isinstance(sources, str) else [s for s in (sources or []) if s]
    return (src or None), ((since or "").strip() or None), ((until or "").strip() or None)


def _k(k: Any) -> int | None:

    return None if k in (None, "") else check_k(k)


def _one_line(exc: Exception) -> str:
    """What the reader sees for a failure that is not a RagError (the traceback goes to the log)."""
    log.error("request failed", exc_info=exc)
    return f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def stream_answer(
    question: str,
    history: Sequence[Any] | None,
    backend: str | None = None,
    k: Any = None,
    sources: Sequence[str] | str | None = None,
    since: str | None = None,
    until: str | None = None,
    interval: float = UPDATE_INTERVAL,
) -> Iterator[tuple[str, Answer | None]]:
    """(text so far, None) at most every ``interval`` seconds, then (final text, Answer)."""

    src, lo, hi = _filters(sources, since, until)
    _wait_for_models()
    text = ""
    last = time.monotonic()
    for item in answering.answer_stream(
        question, clean_history(history), backend=backend or None, k=_k(k), sources=src, since=lo, until=hi
    ):
        if isinstance(item, Answer):
            yield item.text, item
            return
        text += item
        now = time.monotonic()
        if now - last >= interval:
            last = now
            yield text, None


def _chat_ui(warmup: Warmup | None) -> Any:
    def respond(
        message: str,
        history: list[dict[str, Any]],
        backend: str | None,
        k: float | None,
        sources: list[str] | None,
        since: str | None,
        until: str | None,
    ) -> Iterator[str]:
        note = "searching the sources…"
        if warmup is not None and not warmup.ready:
            note = "searching… " + warmup.message()
        yield render_partial("", note)
        try:
            for text, final in stream_answer(message, history, backend, k, sources, since, until):
                yield render_answer(message, final) if final is not None else render_partial(text)
        except RagError as exc:
            yield render_error(str(exc))
        except Exception as exc:  # noqa: BLE001 - one line in the chat, the traceback in the log
            yield render_error(_one_line(exc))

    return respond


def api_chat(  # type: ignore[misc]  # a generator: gradio reads the item type from the return hint
    question: str,
    history: list[dict] | None = None,
    backend: str | None = None,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict:
    """Answer ``question`` (``history``: earlier turns as [{role, content}]), streaming.

    Every message is a dict ``{answer, citations, abstained, query, error, done}``;
    partial ones carry the text so far and ``done: false``; the last one is the
    cited answer (``done: true``).
    """
    import gradio as gr

    try:
        for text, final in stream_answer(question, history, backend, k, sources, since, until):
            if final is None:
                yield {"answer": text, "citations": [], "abstained": False, "query": None, "error": None, "done": False}
            else:
                yield final.to_json() | {"done": True}
    except RagError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception as exc:  # noqa: BLE001 - a one-line message, never a bare {"error": null}
        raise gr.Error(_one_line(exc), print_exception=False) from None


def api_retrieve(
    query: str,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict]:
    """The ``k`` passages most relevant to ``query`` (sources: file names; since/until: ISO dates, inclusive)."""
    import gradio as gr

    src, lo, hi = _filters(sources, since, until)
    _wait_for_models()
    try:
        passages = retrieve(query, _k(k) or get_settings().k, sources=src, since=lo, until=hi)
    except RagError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception as exc:  # noqa: BLE001 - a one-line message, never a bare {"error": null}
        raise gr.Error(_one_line(exc), print_exception=False) from None
    return [p.to_dict() for p in passages]


# --- the page -----------------------------------------------------------------


def _corpus_rows() -> list[list[Any]]:

    return [
        [r["source"], r["title"] or "", r["publisher"] or "", r["date"] or "", r["chunks"]] for r in list_documents()
    ]


def _add_article(url: str) -> tuple[str, list[list[Any]]]:
    """The corpus tab's URL field: fetch the page, index it, and say in one line what happened."""

    s = get_settings()
    try:
        if not is_loopback(s.host):  # served to others: no fetching of the server's own network
            check_public(url)
        message = add_url(url, s)
    except RagError as exc:
        message = f"error: {exc}"
    except Exception as exc:  # one line on the page, the traceback in the log
        log.exception("adding %s failed", url)
        message = f"error: unexpected {type(exc).__name__}"
    return esc(message), _corpus_rows()


def _source_choices() -> list[tuple[str, str]]:

    seen: dict[str, str] = {}
    for r in list_documents():
        label = f"{r['title']} ({r['source']})" if r["title"] else r["source"]
        seen.setdefault(r["source"], label)
    return sorted(((label, src) for src, label in seen.items()), key=lambda x: x[0].lower())


def build_app(settings: Settings | None = None, warmup: Warmup | None = None) -> gr.Blocks:
    """The Gradio page and its API endpoints (needs an index; does not launch)."""
    import gradio as gr

    global _warmup
    _warmup = warmup
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
            corpus = gr.Dataframe(
                value=_corpus_rows(),
                headers=["source", "title", "publisher", "date", "passages"],
                datatype=["str", "str", "str", "str", "number"],
                interactive=False,
                wrap=True,
                elem_id="rag-corpus",
            )
            refresh = gr.Button("Refresh", size="sm")
            refresh.click(_corpus_rows, None, corpus, api_visibility="private", queue=False)
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
                trigger(_add_article, new_url, [added, corpus], api_visibility="private", concurrency_limit=1)

        gr.api(api_chat, api_name="chat", concurrency_limit=CHAT_CONCURRENCY)
        gr.api(api_retrieve, api_name="retrieve", concurrency_limit=RETRIEVE_CONCURRENCY)

        demo.load(lambda: gr.Dropdown(choices=_source_choices()), None, sources, api_visibility="private", queue=False)
        demo.load(_corpus_rows, None, corpus, api_visibility="private", queue=False)
        if warmup is not None:
            demo.load(warmup.message, None, status, api_visibility="private", queue=False)
            timer = gr.Timer(1.0, active=not warmup.ready)

            def tick() -> tuple[str, Any]:
                return warmup.message(), gr.Timer(active=not warmup.ready)

            timer.tick(tick, None, [status, timer], api_visibility="private", queue=False)
    return demo


# --- serving ------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    h = host.strip().strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def auth_for(s: Settings) -> list[tuple[str, str]] | None:
    """Credentials for gradio's login, or None; refuses to serve beyond loopback, or share, without them."""
    user = (s.auth_user or "").strip()
    password = s.auth_password.get_secret_value() if s.auth_password is not None else ""
    if bool(user) != bool(password):
        raise RagError("set both RAG_AUTH_USER and RAG_AUTH_PASSWORD (or neither)")
    if user:
        return [(user, password)]
    if s.share:
        raise RagError(
            "a public share link needs a login: set RAG_AUTH_USER and RAG_AUTH_PASSWORD (or unset RAG_SHARE)"
        )
    if not is_loopback(s.host) and not s.no_auth:
        raise RagError(
            f"refusing to serve on {s.host} without a login: set RAG_AUTH_USER and RAG_AUTH_PASSWORD, "
            "or pass --no-auth (RAG_NO_AUTH=1) to serve without one on purpose"
        )
    return None


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
    if report is not None:
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
    log.info("index ready in %.1fs", time.perf_counter() - t0)

    import gradio as gr

    warmup = Warmup(s.backend)
    demo = build_app(s, warmup)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    where = f"http://{s.host}:{s.port}"
    print(f"serving the chat on {where} ({'login required' if auth else 'no login'})", file=sys.stderr, flush=True)
    demo.launch(
        server_name=s.host,
        server_port=s.port,
        auth=auth,
        auth_message="Log in to the news Q&A chat." if auth else None,
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
