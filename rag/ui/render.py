"""The chat's HTML: pure functions (no gradio), unit-tested.

Every piece of document text (passages, titles, publishers, the answer, which
quotes documents) goes through :func:`html.escape` before it is put into HTML,
and only http(s) links are rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rag.answering.evidence import human_date
from rag.text.markers import MARKER, find_markers
from rag.text.sentences import sentence_spans as spans_of
from rag.text.terms import tokenize

if TYPE_CHECKING:
    from rag.types import Answer, Citation, KeyEvidence, KeyStatement, Passage

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
.rag-key { margin-bottom: .75em; padding: .4em .6em; border: 1px solid var(--border-color-primary);
           border-radius: 6px; font-size: .92em; }
.rag-key-head { font-weight: 600; margin-bottom: .3em; }
.rag-voices { display: flex; flex-wrap: wrap; gap: .6em; }
.rag-voice { flex: 1 1 16em; min-width: 0; }
.rag-who { font-weight: 600; }
.rag-voice-note { font-size: .85em; font-style: italic; color: var(--body-text-color-subdued); }
.rag-statement { margin: .25em 0; }
.rag-statement-meta { font-size: .85em; color: var(--body-text-color-subdued); }
.rag-denial { font-weight: 600; text-transform: uppercase; font-size: .75em; color: #b45309; margin-right: .3em; }
.rag-statement details summary { cursor: pointer; font-size: .85em; }
.rag-answer-head { font-weight: 600; font-size: .9em; margin-bottom: .2em; }
"""


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
    key = evidence_html(ans.evidence) if ans.evidence is not None else ""
    parts = [key, '<div class="rag-answer-head">Answer</div>' if key else ""]
    parts.append(f'<div class="rag-answer">{answer_html(ans.text)}</div>')
    if ans.query and ans.query != normalise(question):
        parts.append(f'<div class="rag-query">searched for: <i>{esc(ans.query)}</i></div>')
    parts.append(sources_panel(ans, question))
    return "".join(parts)


def _statement_html(st: KeyStatement, passage: str | None) -> str:
    """One key statement: verbatim, labelled when it is a denial, with its outlet, date, [n] and its passage."""
    meta = " · ".join(esc(x) for x in (st.outlet, human_date(st.date) if st.date else None) if x)
    url = safe_url(st.url)
    link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">article</a>' if url else ""
    label = f'<span class="rag-denial">denies what {esc(st.denies)} says</span>' if st.denies else ""
    found = passage.find(st.text) if passage else -1
    shown = (
        f"<details><summary>the passage [{st.n}]</summary>"
        f'<blockquote class="rag-quote">{highlight_html(passage, [(found, found + len(st.text))])}</blockquote>'
        "</details>"
        if passage and found >= 0
        else ""
    )
    return (
        f'<div class="rag-statement">{label}“{esc(st.text)}” <span class="rag-cite">[{st.n}]</span>'
        f'<div class="rag-statement-meta">{meta}{link}</div>{shown}</div>'
    )


def evidence_html(ev: KeyEvidence) -> str:
    """The key statements grouped by who says them, side by side: shown before the model's answer, and kept."""
    if not ev.statements:
        return ""
    passages = {c.n: c.text for c in ev.sources}
    voices = []
    for v in ev.voices:
        note = f'<div class="rag-voice-note">{esc(v.note)}</div>' if v.note else ""
        body = "".join(_statement_html(st, passages.get(st.n)) for st in v.statements)
        voices.append(f'<div class="rag-voice"><div class="rag-who">{esc(v.who)}</div>{note}{body}</div>')
    return (
        '<div class="rag-key"><div class="rag-key-head">What the sources say (verbatim, before any model)</div>'
        f'<div class="rag-voices">{"".join(voices)}</div></div>'
    )


def waiting_note(ev: KeyEvidence | None) -> str:
    """What the reader is told while the model reads the evidence (and how many questions are ahead)."""
    if ev is None:
        return "searching the sources…"
    if ev.ahead:
        return f"{ev.ahead} question{'s' if ev.ahead > 1 else ''} ahead of yours for the model; the evidence is above"
    return "the model is reading the evidence; its answer appears sentence by sentence, once checked"


def render_partial(text: str, note: str | None = None, evidence: KeyEvidence | None = None) -> str:
    """A message while the answer streams: the key statements, the checked sentences so far, what is happening."""
    body = answer_html(text) if text else ""
    extra = f'<div class="rag-query">{esc(note)}</div>' if note else ""
    key = evidence_html(evidence) if evidence is not None else ""
    head = '<div class="rag-answer-head">Answer</div>' if key else ""
    return f'{key}{head}<div class="rag-answer">{body or "…"}</div>{extra}'


def render_error(message: str) -> str:
    return f'<div class="rag-answer rag-error">⚠ {esc(message)}</div>'


_ANSWER_DIV = re.compile(r'<div class="rag-answer(?: [^"]*)?">(.*?)</div>', re.S)


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
