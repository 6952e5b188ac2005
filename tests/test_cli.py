"""The `rag` command: real subprocesses, clear one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import SEEDS

FIELDS = {"text", "score", "similarity", "source", "title", "publisher", "url", "date", "chunk_id", "start", "end"}


def rag(
    *args: str, index: Path, timeout: int = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "index"
    done = rag("index", index=path)
    assert done.returncode == 0, done.stderr
    assert "indexed: 5 new or changed" in done.stdout
    return path


def test_search_prints_json_passages_with_every_citation_field(index: Path) -> None:
    out = rag("search", "Who met Lavrov in Minsk on 19 January?", "-k", "3", "--json", index=index)
    assert out.returncode == 0, out.stderr
    passages = json.loads(out.stdout)
    assert len(passages) == 3
    assert all(set(p) >= FIELDS for p in passages)


def test_search_for_people_reads_well(index: Path) -> None:
    out = rag("search", "biological security memorandum", "-k", "2", index=index)
    assert out.returncode == 0
    assert out.stdout.startswith("[1] 000_2e591541529075c5.txt — West is Pushing Kiev")
    assert "(Sputnik, 2023-01-19)" in out.stdout


def test_list_shows_source_title_date_and_passages(index: Path) -> None:
    out = rag("list", index=index)
    assert out.returncode == 0
    assert "003_cd37f288338e5723.txt" in out.stdout and "2022-12-01" in out.stdout
    assert "5 documents" in out.stdout


@pytest.mark.parametrize("query, message", [("", "the query is empty"), ("x" * 100_000, "the query is too long")])
def test_bad_queries_exit_with_one_line_and_no_traceback(index: Path, query: str, message: str) -> None:
    out = rag("search", query, index=index)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {out.stderr.strip()[7:]}"]
    assert message in out.stderr and "Traceback" not in out.stderr


def test_an_index_made_by_another_model_is_refused_in_one_line(tmp_path: Path, embedder: Any) -> None:
    from rag.config import Settings
    from rag.indexing import Indexer

    index = tmp_path / "index"
    Indexer(Settings(index_dir=index, seeds_dir=SEEDS), embedder).update()
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["embedding"]["probe"] = [-x for x in manifest["embedding"]["probe"]]  # as another model's vectors
    (index / "manifest.json").write_text(json.dumps(manifest))
    out = rag("search", "Lavrov", index=index)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [f"error: {out.stderr.strip()[7:]}"]
    assert f"the index in {index} was built with all-MiniLM-L6-v2 (384-d, this machine)" in out.stderr
    assert "vectors of two models cannot be mixed" in out.stderr


def test_broken_files_are_skipped_with_a_warning_and_the_rest_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "Minsk talks\n\nThe ministers met in Minsk and agreed on a plan of consultations for 2023.\n"
    )
    (folder / "latin1.txt").write_bytes("Caf\xe9 talks in Minsk were long and the ministers agreed.".encode("latin-1"))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.md").write_text("")
    index = tmp_path / "index"
    out = rag("index", str(folder), str(tmp_path / "missing"), index=index)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4, out.stderr
    assert any("missing" in w for w in warnings)
    listed = rag("list", "--json", index=index)
    assert {r["source"] for r in json.loads(listed.stdout)} >= {"good.txt"}
    assert not {"latin1.txt", "binary.txt", "empty.md"} & {r["source"] for r in json.loads(listed.stdout)}


def test_remove_forgets_a_path(tmp_path: Path) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "note.txt").write_text("Grodno summit\n\nThe two presidents met in Grodno to discuss grain exports.\n")
    index = tmp_path / "index"
    assert rag("index", str(folder), index=index).returncode == 0
    out = rag("remove", str(folder), index=index)
    assert out.returncode == 0 and "removed 1 documents" in out.stdout
    missing = rag("remove", str(tmp_path / "nothing"), index=index)
    assert missing.returncode == 2 and "not in the index" in missing.stderr


CITATION_FIELDS = {"n", "source", "title", "publisher", "date", "url", "text"}


def test_ask_json_gives_the_answer_its_citations_and_abstained(index: Path) -> None:
    out = rag("ask", "What memorandum did Russia and Belarus sign?", "--backend", "extractive", "--json", index=index)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"answer", "citations", "abstained"} <= set(data)
    assert "biological security" in data["answer"] and data["abstained"] is False
    assert data["citations"] and all(set(c) >= CITATION_FIELDS for c in data["citations"])
    assert all(f"[{c['n']}]" in data["answer"] for c in data["citations"])


def test_ask_prints_the_key_statements_first_then_the_answer_then_its_sources(index: Path) -> None:
    out = rag("ask", "What memorandum did Russia and Belarus sign?", "--backend", "extractive", index=index)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("Key statements")
    answer_at = next(i for i, line in enumerate(lines) if line.startswith("Answer"))
    assert any("biological security" in line and "“" in line for line in lines[1:answer_at])  # verbatim, quoted
    assert "biological security" in lines[answer_at + 1]
    assert any(line.startswith(("[1] ", "[2] ")) for line in lines[answer_at + 2 :])


def test_ask_evidence_only_needs_no_model(index: Path) -> None:
    out = rag("ask", "What memorandum did Russia and Belarus sign?", "--evidence-only", "--json", index=index)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["statements"] and data["sources"] and "answer" not in data
    assert any("biological security" in s["text"] for s in data["statements"])
    assert all(s["who"] and s["outlet"] and s["n"] >= 1 for s in data["statements"])


def test_ask_json_carries_the_evidence(index: Path) -> None:
    out = rag("ask", "What memorandum did Russia and Belarus sign?", "--backend", "extractive", "--json", index=index)
    data = json.loads(out.stdout)
    assert data["evidence"]["statements"] and data["evidence"]["sources"]


def test_ask_off_topic_abstains(index: Path) -> None:
    out = rag("ask", "What is the best recipe for banana bread?", "--backend", "extractive", "--json", index=index)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["abstained"] is True and data["citations"] == []


def test_ask_with_an_unknown_backend_is_one_line(index: Path) -> None:
    out = rag("ask", "Who met Lavrov?", "--backend", "nosuch", index=index)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "nosuch" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("k", ["0", "-3", "1000000000000"])
def test_a_bad_k_is_an_error_not_a_silent_default(index: Path, k: str) -> None:
    out = rag("search", "Lavrov", "-k", k, index=index)
    assert out.returncode == 2 and "k must be a whole number from 1 to 1000" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_question_that_is_not_utf8_is_one_line(index: Path) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable.encode(), b"-m", b"rag.cli", b"search", b"Lavrov \xff\xfe Minsk"],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert out.returncode == 2 and b"not valid text" in out.stderr and b"Traceback" not in out.stderr


def test_indexing_only_bad_paths_fails_and_remembers_none_of_them(tmp_path: Path) -> None:
    bad = tmp_path / "binary.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    index = tmp_path / "index"
    out = rag("index", str(bad), str(tmp_path / "missing.txt"), index=index)
    assert out.returncode == 1 and "nothing indexable" in out.stderr
    again = rag("index", index=index)
    assert again.returncode == 0 and "warning" not in again.stderr


def test_doctor_checks_the_install_and_names_the_fix(tmp_path: Path) -> None:
    index = tmp_path / "index"
    empty = rag("doctor", "--backend", "extractive", index=index)
    assert empty.returncode == 1
    assert "FAIL  index: nothing indexed" in empty.stdout and "fix: rag index" in empty.stdout
    assert "ok    embedding model" in empty.stdout and "Traceback" not in empty.stderr
    assert rag("index", index=index).returncode == 0
    healthy = rag("doctor", "--backend", "extractive", index=index)
    assert healthy.returncode == 0, healthy.stdout
    assert "ok    index: 5 documents" in healthy.stdout


def test_doctor_names_an_unreachable_chroma_server(tmp_path: Path) -> None:
    from support import free_port

    out = rag("doctor", "--backend", "extractive", "--chroma-url", f"http://127.0.0.1:{free_port()}", index=tmp_path)
    assert out.returncode == 1 and "FAIL  Chroma server" in out.stdout and "chroma run --path" in out.stdout


def test_doctor_names_an_unreachable_embedding_server(tmp_path: Path) -> None:
    from support import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    env = {"RAG_EMBEDDING_BACKEND": "openai", "RAG_EMBEDDING_URL": url, "RAG_LLM_MAX_RETRIES": "0"}
    out = rag("doctor", "--backend", "extractive", index=tmp_path, env=env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "FAIL  embedding model: openai embedding backend: cannot reach 127.0.0.1:" in out.stdout
    assert "fix: start the embedding server" in out.stdout


def test_a_page_nested_thousands_deep_is_indexed_beside_a_good_file_and_search_works(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "good.txt").write_text("Grodno summit\n\nThe two presidents met in Grodno to discuss grain exports.\n")
    body = "<p>Vitebsk bridge opened. The governor cut the ribbon on a new bridge over the Dvina river.</p>"
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 5000 + body + "</div>" * 5000 + "</body></html>")
    index = tmp_path / "index"
    out = rag("index", str(folder), index=index)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert {"good.txt", "deep.html"} <= {r["source"] for r in json.loads(rag("list", "--json", index=index).stdout)}
    found = rag("search", "bridge over the Dvina", "-k", "1", "--json", index=index)
    assert found.returncode == 0 and json.loads(found.stdout)[0]["source"] == "deep.html"


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("RAG_K", "0", "error: bad setting: RAG_K='0': input should be greater than or equal to 1"),
        ("RAG_K", "1001", "error: bad setting: RAG_K='1001': input should be less than or equal to 1000"),
        ("RAG_PORT", "http", "error: bad setting: RAG_PORT='http': input should be a valid integer"),
        ("RAG_RETRIEVAL__DENSE_WEIGHT", "2", "error: bad setting: RAG_RETRIEVAL__DENSE_WEIGHT='2': input should be"),
        ("RAG_ANNOTATE_SPEAKERS", "perhaps", "error: bad setting: RAG_ANNOTATE_SPEAKERS='perhaps': input should be"),
        ("RAG_RETRIEVAL", "{oops", "error: bad setting: RAG_RETRIEVAL is not valid JSON ("),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path, name: str, value: str, line: str) -> None:
    out = rag("search", "Lavrov", index=tmp_path / "index", env={name: value})
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith(line), out.stderr


def test_ask_exits_3_when_the_model_failed_and_still_prints_the_sources(index: Path) -> None:
    from support import free_port

    dead = {"RAG_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "RAG_LLM_MAX_RETRIES": "0"}
    question = "What memorandum did Russia and Belarus sign?"
    out = rag("ask", question, "--backend", "openai", index=index, env=dead)
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
    assert "warning: " in out.stderr and "[1] " in out.stdout
    as_json = rag("ask", question, "--backend", "openai", "--json", index=index, env=dead)
    assert as_json.returncode == 3 and json.loads(as_json.stdout)["error"]


def test_index_shows_a_progress_bar_on_a_terminal_and_stays_quiet_otherwise(tmp_path: Path) -> None:
    import pty

    folder = tmp_path / "two"
    folder.mkdir()
    for n in (1, 2):
        (folder / f"n{n}.txt").write_text(
            f"Grodno summit {n}\n\nThe presidents met in Grodno to discuss grain, day {n}.\n"
        )
    piped = rag("index", str(folder), index=tmp_path / "piped")
    assert piped.returncode == 0 and "files" not in piped.stderr and "\x1b" not in piped.stderr, piped.stderr
    main, secondary = pty.openpty()
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "tty"), "RAG_SEEDS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "index", str(folder)], env=env, stdout=subprocess.PIPE, stderr=secondary
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert proc.wait(timeout=300) == 0
    os.close(main)
    plain = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", shown)  # rich's colours and cursor moves
    assert b"7/7 files" in plain, plain[-500:]  # five seeds and the two new files, counted as they go
