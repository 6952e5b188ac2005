"""The web chat: rendering and escaping (fast), then the real app over HTTP with gradio_client (slow).

The slow tests start ``python app.py --backend extractive`` as a subprocess on
a free loopback port, against a temp index built from the seeds plus a planted
document whose text carries ``<script>`` and ``<img onerror>`` (the browser
tests in test_ui_browser.py use the same server).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import free_port, stop

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT / "seeds"
APP = ROOT / "app.py"

MINSK_Q = "What did Lavrov and Aleinik discuss in Minsk in January 2023?"
BRIDGEHEAD_Q = "What has the West turned Ukraine into, according to Lavrov?"
QUOKKA_Q = "What did the quokka festival organisers announce about the parade route?"
SPUTNIK_2023 = "000_2e591541529075c5.txt"  # dated 2023-01-19, has a URL
KREMLIN_UNDATED = "002_841276cce93651df.txt"  # no date

PLANTED_TEXT = (
    'Quokka <img src=x onerror="window.__pwned=3"> Festival\n\n'
    "The Zanzibar quokka festival organisers announced a new parade route on Monday. "
    "<script>window.__pwned = 1</script> Visitors said the quokka parade route "
    '<img src=x onerror="window.__pwned=2"> was the best ever.\n'
)

BASE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(BASE_ENV)
    env.update(extra)
    return env


def launch_app(log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str, int]:
    """``python app.py --backend extractive`` on a free loopback port, its output in ``log``: (process, url, port)."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(APP), "--port", str(port), "--backend", "extractive"],
            cwd=ROOT,
            env=_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, f"http://127.0.0.1:{port}/", port


def wait_http(url: str, proc: subprocess.Popen[Any], timeout: float, log: Path | None = None) -> float:
    """Seconds until ``url`` answers 200; fails with the server's log if it exits or times out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"app exited early with code {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise TimeoutError(f"{url} not served after {timeout:.0f}s:\n{tail}")


# --- fast: rendering and escaping ---------------------------------------------


def _answer(text: str, cited: list[tuple[int, str]], **kw: Any):  # type: ignore[no-untyped-def]
    from rag.types import Answer, Citation, Passage

    passages = [
        Passage(
            text=t,
            score=1.0,
            similarity=0.9,
            source=f"doc{n}.txt",
            title=kw.get("title", f"Title {n}"),
            publisher=kw.get("publisher", "The Paper"),
            url=kw.get("url"),
            date=kw.get("date", "2023-01-19"),
            chunk_id=f"c{n}",
            start=0,
            end=len(t),
            lead=kw.get("lead"),
        )
        for n, t in cited
    ]
    citations = [Citation.of(n, p) for (n, _), p in zip(cited, passages, strict=True)]
    if kw.get("abstained") or kw.get("error"):
        citations = []
    return Answer(
        text=text,
        citations=citations,
        abstained=bool(kw.get("abstained")),
        query=kw.get("query", "q"),
        passages=passages,
        error=kw.get("error"),
        evidence=kw.get("evidence"),
    )


def test_answer_html_escapes_and_marks_citations() -> None:
    from rag.ui import answer_html

    out = answer_html('He said <script>alert(1)</script> "yes" [1].\n\nThen [2, 3].')
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<span class="rag-cite">[1]</span>' in out and '<span class="rag-cite">[2, 3]</span>' in out
    assert "\n" not in out  # a blank line would end the HTML block in the chat's Markdown


def test_supporting_span_is_the_sentence_the_claim_quotes() -> None:
    from rag.ui import highlight_html, supporting_spans

    passage = (
        "Moscow and Minsk met on Thursday. The ministers signed a memorandum on biological security. "
        "The weather was cold.Lavrov then flew home."
    )
    spans = supporting_spans(passage, ["Russia and Belarus signed a memorandum on biological security"])
    assert [passage[a:b] for a, b in spans] == ["The ministers signed a memorandum on biological security."]
    out = highlight_html(passage, spans)
    assert "<mark>The ministers signed a memorandum on biological security.</mark>" in out
    assert supporting_spans(passage, ["completely unrelated words here"]) == []
    # glued sentences from scraped pages are split too
    assert [passage[a:b] for a, b in supporting_spans(passage, ["Lavrov flew home"])] == ["Lavrov then flew home."]


def test_render_answer_escapes_every_document_field() -> None:
    from rag.ui import render_answer

    evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    ans = _answer(
        f"The parade {evil} was fine [1].",
        [(1, f"The parade {evil} was fine. Other text.")],
        title=f"T{evil}",
        publisher=f"P{evil}",
        url="javascript:window.__pwned=3",
        date="2023-01-19",
        query="the parade (earlier question)",
    )
    out = render_answer("the parade", ans)
    assert "<script" not in out and "<img" not in out and "javascript:" not in out
    assert out.count("&lt;script&gt;") == 4  # answer, title, publisher, passage
    assert 'class="rag-link"' not in out  # a javascript: URL is not a link
    assert "searched for: <i>the parade (earlier question)</i>" in out
    assert "<mark>" in out and "\n" not in out


def test_render_answer_links_http_urls_and_lists_each_citation() -> None:
    from rag.ui import render_answer

    ans = _answer("A [1]. B [2].", [(1, "A is true."), (2, "B is true.")], url="https://example.org/a?x=1&y=2")
    out = render_answer("q", ans)
    assert out.count('class="rag-source"') == 2
    assert 'href="https://example.org/a?x=1&amp;y=2"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert "searched for" not in out  # the query is the question


def test_a_citation_shows_the_articles_lede_when_the_model_was_given_it() -> None:
    from rag.ui import render_answer

    lede = "President <b>Lukashenko</b> met Lavrov."
    out = render_answer("q", _answer("Lukashenko said so [1].", [(1, "The leader said so.")], lead=lede))
    assert "Article opens: President &lt;b&gt;Lukashenko&lt;/b&gt; met Lavrov." in out
    assert "Article opens" not in render_answer("q", _answer("He said so [1].", [(1, "He said so.")]))
    js = _answer("Lukashenko said so [1].", [(1, "The leader said so.")], lead=lede).to_json()
    assert js["citations"][0]["lead"] == lede
    assert "lead" not in _answer("He said so [1].", [(1, "He said so.")]).to_json()["citations"][0]


def test_abstained_and_failed_answers_still_show_retrieved_passages() -> None:
    from rag.ui import render_answer

    abst = render_answer("q", _answer("I cannot find this in the sources.", [(1, "x y z.")], abstained=True))
    assert "No answer in the sources; these passages were retrieved" in abst and 'class="rag-source"' in abst
    failed = render_answer("q", _answer("The language model failed (timeout).", [(1, "x.")], error="timeout"))
    assert "The language model failed; these passages were retrieved" in failed and 'class="rag-source"' in failed


def test_clean_history_recovers_the_answer_text() -> None:
    from rag.ui import clean_history, render_answer

    ans = _answer('Tom & "Jerry" <b> [1].', [(1, "Tom and Jerry.")])
    history = [
        {"role": "user", "content": "Who?"},
        {"role": "assistant", "content": render_answer("Who?", ans)},
        {"role": "assistant", "content": [{"type": "text", "text": "parts"}]},
        {"role": "system", "content": "ignored"},
    ]
    assert clean_history(history) == [
        {"role": "user", "content": "Who?"},
        {"role": "assistant", "content": 'Tom & "Jerry" <b> [1].'},
        {"role": "assistant", "content": "parts"},
    ]


def _key_evidence(text: str = 'Ana <b>Ruiz</b> said the port "reopens" in June.') -> Any:
    from rag.types import Citation, KeyEvidence, KeyStatement, Voice

    st = KeyStatement(
        n=1,
        text=text,
        speaker="Ana Ruiz",
        denial=False,
        outlet="Coast <i>Herald</i>",
        date="2021-05-04",
        url="https://example.org/port",
        source="port.txt",
        chunk_id="c1",
        reported_by=("Coast <i>Herald</i>",),
    )
    source = Citation(
        n=1,
        source="port.txt",
        title="Port",
        publisher="Coast <i>Herald</i>",
        date="2021-05-04",
        url="https://example.org/port",
        text=f"Before. {text} After.",
        chunk_id="c1",
        start=0,
        end=10,
    )
    voice = Voice(who="Ana Ruiz", statements=(st,), note="only Coast <i>Herald</i> reports this")
    return KeyEvidence(query="q", statements=(st,), voices=(voice,), sources=(source,), ahead=2)


def test_stream_answer_passes_the_evidence_first_then_each_checked_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.ui
    from rag import answering

    ev = _key_evidence()
    final = _answer("One [1]. Two [1].", [(1, "One.")])

    def fake_stream(*_a: Any, **_kw: Any) -> Iterator[Any]:
        yield from (ev, "One [1].", " Two [1].", final)

    monkeypatch.setattr(answering, "answer_stream", fake_stream)
    out = list(rag.ui.stream_answer("q", []))
    assert out == [(ev, "", None), (ev, "One [1].", None), (ev, "One [1]. Two [1].", None), (ev, final.text, final)]


def test_the_key_statements_render_escaped_before_the_answer_and_stay() -> None:
    from rag.ui import clean_history, render_answer, render_partial

    ev = _key_evidence()
    waiting = render_partial("", "2 questions ahead", ev)
    assert "Ana Ruiz" in waiting and "&lt;b&gt;Ruiz&lt;/b&gt;" in waiting and "<b>Ruiz" not in waiting
    assert "only Coast &lt;i&gt;Herald&lt;/i&gt; reports this" in waiting and "<mark>" in waiting  # its passage
    assert waiting.index("rag-key") < waiting.index('class="rag-answer"')
    said = "Ana Ruiz said it reopens in June [1]."
    final = render_answer("q", _answer(said, [(1, "Ana Ruiz said so.")], evidence=ev))
    assert final.index("rag-key") < final.index('class="rag-answer"') < final.index("rag-sources")
    history = [{"role": "assistant", "content": final}]
    assert clean_history(history) == [{"role": "assistant", "content": said}]


def test_a_denial_is_labelled_with_whose_statement_it_denies() -> None:
    from dataclasses import replace

    from rag.ui.render import evidence_html

    ev = _key_evidence()
    denial = replace(ev.statements[0], denies="the <u>ministry</u>", denial=True)
    html_ = evidence_html(replace(ev, statements=(denial,), voices=(replace(ev.voices[0], statements=(denial,)),)))
    assert "denies what the &lt;u&gt;ministry&lt;/u&gt; says" in html_


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.1.2.3", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    from rag.ui import is_loopback

    assert is_loopback(host) is loopback


def test_auth_rules() -> None:
    from rag.config import Settings
    from rag.errors import RagError
    from rag.ui import auth_for

    assert auth_for(Settings(host="127.0.0.1")) is None
    with pytest.raises(RagError, match=r"refusing to serve on 0\.0\.0\.0 without a login"):
        auth_for(Settings(host="0.0.0.0"))
    assert auth_for(Settings(host="0.0.0.0", no_auth=True)) is None
    assert auth_for(Settings(host="0.0.0.0", auth_user="ann", auth_password="pw")) == [("ann", "pw")]
    with pytest.raises(RagError, match="both"):
        auth_for(Settings(host="0.0.0.0", auth_user="ann"))


def test_a_public_share_link_needs_a_login(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.config import Settings
    from rag.errors import RagError
    from rag.ui import auth_for

    monkeypatch.setenv("RAG_SHARE", "true")
    with pytest.raises(RagError, match="share link needs a login"):
        auth_for(Settings())
    assert auth_for(Settings(auth_user="ann", auth_password="pw")) == [("ann", "pw")]


# --- slow: the real app -------------------------------------------------------


@dataclass
class UIServer:
    url: str
    port: int
    index_dir: Path
    log: Path
    startup_s: float


_server_lock = threading.Lock()
_server: UIServer | None = None
_server_proc: subprocess.Popen[Any] | None = None
_server_users = 0


def acquire_server(tmp_root: Path) -> UIServer:
    """Start the app once per session (shared by test_ui and test_ui_browser), reference-counted."""
    global _server, _server_proc, _server_users
    with _server_lock:
        _server_users += 1
        if _server is not None:
            return _server
        from rag.config import Settings
        from rag.indexing import Indexer

        index_dir = tmp_root / "index"
        planted = tmp_root / "planted"
        planted.mkdir(parents=True, exist_ok=True)
        (planted / "planted_quokka.txt").write_text(PLANTED_TEXT, encoding="utf-8")
        Indexer(Settings(index_dir=index_dir, seeds_dir=SEEDS)).update([planted])

        log = tmp_root / "app.log"
        proc, url, port = launch_app(log, RAG_INDEX_DIR=str(index_dir), RAG_SEEDS_DIR=str(SEEDS))
        try:
            startup = wait_http(url, proc, timeout=120, log=log)
        except BaseException:
            stop(proc)
            raise
        _server, _server_proc = UIServer(url, port, index_dir, log, startup), proc
        return _server


def release_server() -> None:
    global _server, _server_proc, _server_users
    with _server_lock:
        _server_users -= 1
        if _server_users == 0 and _server_proc is not None:
            stop(_server_proc)
            _server, _server_proc = None, None


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    server = acquire_server(tmp_path_factory.mktemp("ui"))
    try:
        yield server
    finally:
        release_server()


@pytest.fixture(scope="session")
def client(ui_server: UIServer):  # type: ignore[no-untyped-def]
    from gradio_client import Client

    return Client(ui_server.url, verbose=False)


def _chat(client: Any, question: str, history: list[dict[str, str]] | None = None, **kw: Any) -> tuple[list[Any], dict]:
    job = client.submit(question=question, history=history or [], api_name="/chat", **kw)
    updates = list(job)
    final = job.result()
    return updates, final


def _check_citations(final: dict) -> None:
    markers = {int(n) for m in re.findall(r"\[([\d,\s\-]+)\]", final["answer"]) for n in re.findall(r"\d+", m)}
    assert final["citations"], final
    for c in final["citations"]:
        assert c["n"] in markers, (c["n"], final["answer"])
        assert c["source"] and c["text"]


@pytest.mark.slow
def test_app_starts_within_target(ui_server: UIServer) -> None:
    # the fixture's start includes a cold index check; the 15 s target is for 2 cores with an existing index
    assert ui_server.startup_s < 30, ui_server.startup_s
    assert "serving the chat on http://127.0.0.1" in ui_server.log.read_text()


@pytest.mark.slow
def test_api_lists_chat_and_retrieve(client: Any) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/chat", "/retrieve"} <= set(endpoints)
    params = [p["parameter_name"] for p in endpoints["/chat"]["parameters"]]
    assert params[:2] == ["question", "history"]


def _assert_evidence_first_and_nothing_taken_back(updates: list[dict[str, Any]], final: dict[str, Any]) -> None:
    first = updates[0]
    assert first["evidence"]["statements"] and first["evidence"]["sources"], first
    assert first["answer"] == "" and first["done"] is False  # the key statements come before any answer text
    for st in first["evidence"]["statements"]:
        assert {"n", "text", "speaker", "who", "outlet", "date", "url", "denies", "reported_by"} <= set(st)
    assert final["evidence"] == first["evidence"]
    for u in updates:
        assert final["answer"].startswith(u["answer"].strip()), (u["answer"], final["answer"])


@pytest.mark.slow
def test_chat_gives_a_cited_answer(client: Any) -> None:
    updates, final = _chat(client, BRIDGEHEAD_Q)
    assert updates and updates[-1]["done"] is True
    _assert_evidence_first_and_nothing_taken_back(updates, final)
    assert final["done"] is True and final["abstained"] is False and final["error"] is None
    assert "bridgehead" in final["answer"].lower()
    _check_citations(final)
    assert any(c["source"] == SPUTNIK_2023 and "bridgehead" in c["text"] for c in final["citations"])
    assert final["query"] == BRIDGEHEAD_Q


@pytest.mark.slow
def test_chat_follow_up_uses_history(client: Any) -> None:
    _, first = _chat(client, MINSK_Q)
    _check_citations(first)
    history = [{"role": "user", "content": MINSK_Q}, {"role": "assistant", "content": first["answer"]}]
    _, final = _chat(client, "What did they sign?", history)
    assert final["query"] != "What did they sign?"
    assert "Minsk" in final["query"] and "Lavrov" in final["query"]
    assert re.search(r"sign|memorandum", final["answer"], re.I), final["answer"]
    _check_citations(final)


@pytest.mark.slow
def test_chat_respects_source_filter(client: Any) -> None:
    _, final = _chat(client, MINSK_Q, sources=[KREMLIN_UNDATED])
    assert final["citations"] and not final["abstained"], final  # an empty answer would pass any filter
    assert {c["source"] for c in final["citations"]} == {KREMLIN_UNDATED}
    assert {s["source"] for s in final["evidence"]["sources"]} == {KREMLIN_UNDATED}


@pytest.mark.slow
def test_chat_reports_bad_input_in_one_line(client: Any) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="since must be a date like 2023-01-19"):
        _chat(client, MINSK_Q, since="last week")
    with pytest.raises(AppError, match="k must be a whole number from 1 to 1000"):
        _chat(client, MINSK_Q, k=0)


@pytest.mark.slow
@pytest.mark.parametrize("k", [0, 10**12])
def test_retrieve_refuses_a_bad_k_with_a_message(client: Any, k: int) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="k must be a whole number from 1 to 1000"):
        client.predict(query="Lavrov", k=k, api_name="/retrieve")


@pytest.mark.slow
def test_retrieve_filters(client: Any) -> None:
    q = "Lukashenko meeting with Lavrov, cooperation between the foreign ministries"
    plain = client.predict(query=q, k=10, api_name="/retrieve")
    assert plain and {"text", "score", "similarity", "source", "title", "url", "date", "chunk_id"} <= set(plain[0])
    assert KREMLIN_UNDATED in {p["source"] for p in plain}  # the undated transcript matches without filters

    only = client.predict(query=q, k=5, sources=[SPUTNIK_2023], api_name="/retrieve")
    assert only and {p["source"] for p in only} == {SPUTNIK_2023}

    dated = client.predict(query=q, k=10, since="2023-01-01", until="2023-12-31", api_name="/retrieve")
    assert dated
    assert all(p["date"] and "2023-01-01" <= p["date"] <= "2023-12-31" for p in dated), dated
    assert KREMLIN_UNDATED not in {p["source"] for p in dated}  # a date range excludes undated documents

    assert len(client.predict(query=q, k=2, api_name="/retrieve")) == 2


@pytest.mark.slow
def test_planted_markup_comes_back_as_plain_text_over_the_api(client: Any) -> None:
    hits = client.predict(query=QUOKKA_Q, k=3, api_name="/retrieve")
    assert hits[0]["source"] == "planted_quokka.txt"
    assert "<script>window.__pwned = 1</script>" in hits[0]["text"]  # data is data; escaping is the page's job
    assert html.escape("<script>") not in hits[0]["text"]


def _run_app(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(APP), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_refuses_to_serve_beyond_loopback_without_login(tmp_path: Path) -> None:
    t0 = time.monotonic()
    r = _run_app("--host", "0.0.0.0", "--port", str(free_port()), env=_env(RAG_INDEX_DIR=str(tmp_path / "i")))
    assert r.returncode == 2, r
    assert "refusing to serve on 0.0.0.0 without a login" in r.stderr
    assert "RAG_AUTH_USER" in r.stderr and "--no-auth" in r.stderr
    assert "Traceback" not in r.stderr
    assert time.monotonic() - t0 < 20  # refused before any index or model work
    # the environment variable form too, and half-given credentials
    r = _run_app(env=_env(RAG_HOST="0.0.0.0", RAG_INDEX_DIR=str(tmp_path / "i")))
    assert r.returncode == 2 and "refusing to serve on 0.0.0.0" in r.stderr
    r = _run_app("--host", "0.0.0.0", env=_env(RAG_AUTH_USER="ann", RAG_INDEX_DIR=str(tmp_path / "i")))
    assert r.returncode == 2 and "RAG_AUTH_PASSWORD" in r.stderr


@pytest.mark.slow
def test_login_is_required_when_credentials_are_set(ui_server: UIServer, tmp_path: Path) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    log = tmp_path / "auth.log"
    proc, url, _ = launch_app(
        log, RAG_INDEX_DIR=str(ui_server.index_dir), RAG_AUTH_USER="ann", RAG_AUTH_PASSWORD="s3cret pw"
    )
    try:
        wait_http(url, proc, timeout=120, log=log)  # the login page
        with pytest.raises(AuthenticationError, match="credentials were not provided"):  # refused: no login
            Client(url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):  # and a wrong password
            Client(url, auth=("ann", "wrong"), verbose=False)
        hits = Client(url, auth=("ann", "s3cret pw"), verbose=False).predict(query=MINSK_Q, k=1, api_name="/retrieve")
        assert len(hits) == 1
        assert "login required" in log.read_text()
    finally:
        stop(proc)


@pytest.mark.slow
def test_local_model_end_to_end(client: Any) -> None:
    """The default backend (in-process llama.cpp), picked per request through the API's backend field."""
    updates, final = _chat(client, BRIDGEHEAD_Q, backend="local")
    assert final["error"] is None, final["error"]
    assert final["abstained"] is False, final["answer"]
    assert "bridgehead" in final["answer"].lower(), final["answer"]
    _check_citations(final)
    _assert_evidence_first_and_nothing_taken_back(updates, final)
    assert len(updates) >= 3  # the evidence, a checked sentence, the final answer


def test_claims_citing_handles_markers_after_the_full_stop() -> None:
    from rag.ui import claims_citing

    text = "Lavrov met Lukashenko in January 2023. [4] They signed a memorandum [1, 2]. Nothing else."
    assert claims_citing(text, 4) == ["Lavrov met Lukashenko in January 2023."]
    assert claims_citing(text, 2) == ["They signed a memorandum."]
    assert claims_citing(text, 3) == []
