"""What the page and the API call: a streamed answer and passages (the Corpus tab's actions: corpus_tab)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from rag import answering
from rag.config import get_settings
from rag.errors import RagError
from rag.indexing import list_documents
from rag.retrieval import check_k, retrieve
from rag.types import Answer, KeyEvidence
from rag.ui.render import clean_history, render_answer, render_error, render_partial, waiting_note
from rag.ui.warmup import Warmup, _wait_for_models

log = logging.getLogger(__name__)


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
) -> Iterator[tuple[KeyEvidence | None, str, Answer | None]]:
    """(key evidence, checked text so far, None) at each step, then (key evidence, final text, Answer)."""

    src, lo, hi = _filters(sources, since, until)
    _wait_for_models()
    text = ""
    evidence: KeyEvidence | None = None
    for item in answering.answer_stream(
        question, clean_history(history), backend=backend or None, k=_k(k), sources=src, since=lo, until=hi
    ):
        if isinstance(item, Answer):
            yield evidence, item.text, item
            return
        if isinstance(item, KeyEvidence):
            evidence = item
        else:
            text += item
        yield evidence, text, None


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
        note = waiting_note(None)
        if warmup is not None and not warmup.ready:
            note = "searching… " + warmup.message()
        yield render_partial("", note)
        try:
            for evidence, text, final in stream_answer(message, history, backend, k, sources, since, until):
                if final is not None:
                    yield render_answer(message, final)
                else:
                    yield render_partial(text, None if text else waiting_note(evidence), evidence)
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

    Every message is a dict ``{answer, citations, abstained, query, error, evidence, done}``. The first one
    carries ``evidence`` (the key statements, grouped by who says them, and the numbered sources) before any
    model call, with ``answer: ""``; the next ones carry the checked text so far (each extends the one
    before) with ``done: false``; the last one is the cited answer (``done: true``).
    """
    import gradio as gr

    try:
        for evidence, text, final in stream_answer(question, history, backend, k, sources, since, until):
            if final is None:
                yield {
                    "answer": text,
                    "citations": [],
                    "abstained": False,
                    "query": evidence.query if evidence is not None else None,
                    "error": None,
                    "evidence": evidence.to_json() if evidence is not None else None,
                    "done": False,
                }
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


def _source_choices() -> list[tuple[str, str]]:

    seen: dict[str, str] = {}
    for r in list_documents():
        label = f"{r['title']} ({r['source']})" if r["title"] else r["source"]
        seen.setdefault(r["source"], label)
    return sorted(((label, src) for src, label in seen.items()), key=lambda x: x[0].lower())
