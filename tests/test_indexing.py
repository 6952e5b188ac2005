"""Incremental, idempotent indexing — on the embedded store and on a real Chroma server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag import indexing
from rag.errors import IndexBusyError, InputError
from rag.indexing import Indexer, list_documents
from rag.manifest import Manifest
from rag.retrieval import Retriever
from rag.store import Store

NEW_ARTICLE = """Belarus and Russia open a joint space research centre

Minsk, 3 March 2024. The foreign ministers of Belarus and Russia opened a joint space research centre in Vitebsk.
The centre will train cosmonauts from both countries and build a small satellite called Zubr-1.
"""


class CountingEmbedder:
    """The real model, counting what it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


@pytest.fixture
def counting(embedder: Any) -> CountingEmbedder:
    return CountingEmbedder(embedder)


def stored_ids(settings: Any) -> list[str]:
    store = Store(Path(settings.index_dir), settings.chroma_url, settings.collection)
    return [cid for cid, _, _ in store.iter_all()]


def test_first_run_indexes_the_seeds_and_a_rerun_embeds_nothing(make_settings, counting) -> None:  # type: ignore[no-untyped-def]
    s = make_settings()
    first = Indexer(s, counting).update()
    assert first.added == 5 and first.chunks_embedded + 1 == counting.texts > 1  # and the model's probe sentence
    counting.texts = 0
    again = Indexer(s, counting).update()
    assert (again.added, again.unchanged, again.chunks_embedded, counting.texts) == (0, 5, 0, 0)
    ids = stored_ids(s)
    assert len(ids) == len(set(ids)) == first.chunks_embedded


def test_a_changed_document_replaces_only_its_own_chunks(make_settings, counting, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    s = make_settings(seeds_dir=corpus)
    Indexer(s, counting).update()
    before = Manifest.load(Path(s.index_dir)).docs
    target = corpus / "001_e0b109478491a41f.txt"
    target.write_text(target.read_text() + "\nLavrov later flew to Brest to open a bridge.\n")
    counting.texts = 0
    report = Indexer(s, counting).update()
    after = Manifest.load(Path(s.index_dir)).docs
    assert report.added == 1 and report.unchanged == 4
    assert 0 < counting.texts <= len(after[str(target)]["chunks"])
    for path, entry in before.items():
        if path != str(target):
            assert after[path]["chunks"] == entry["chunks"]
    ids = stored_ids(s)
    assert sorted(ids) == sorted(c for e in after.values() for c in e["chunks"])


def test_a_deleted_file_loses_its_chunks_and_list_shows_what_is_left(make_settings, counting, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    s = make_settings(seeds_dir=corpus)
    Indexer(s, counting).update()
    (corpus / "003_cd37f288338e5723.txt").unlink()
    report = Indexer(s, counting).update()
    assert report.removed == 1
    rows = list_documents(s)
    assert [r["source"] for r in rows] == [
        "000_2e591541529075c5.txt",
        "001_e0b109478491a41f.txt",
        "002_841276cce93651df.txt",
        "004_d9df1ced53a76c60.txt",
    ]
    assert all(r["chunks"] > 0 and r["title"] for r in rows)
    assert len(stored_ids(s)) == sum(r["chunks"] for r in rows)


def test_added_paths_are_remembered_refreshed_and_removable(make_settings, counting, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = make_settings()
    extra = tmp_path / "mine"
    extra.mkdir()
    (extra / "space.txt").write_text(NEW_ARTICLE)
    Indexer(s, counting).update([extra])
    assert "space.txt" in {r["source"] for r in list_documents(s)}
    (extra / "space.txt").write_text(NEW_ARTICLE.replace("Vitebsk", "Gomel"))
    assert Indexer(s, counting).update().added == 1, "`rag index` with no paths refreshes remembered folders"
    removed = Indexer(s, counting).remove(extra)
    assert removed.removed == 1
    assert "space.txt" not in {r["source"] for r in list_documents(s)}
    assert Indexer(s, counting).update().added == 0, "a removed folder is not indexed again"
    with pytest.raises(InputError):
        Indexer(s, counting).remove(tmp_path / "never-indexed")


def test_a_run_killed_midway_is_completed_by_the_next_without_duplicates(
    make_settings, counting, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    s = make_settings(indexing={"flush_chunks": 4})  # several groups, so the kill lands in the middle
    real_flush = Indexer._flush
    calls = {"n": 0}

    def dying_flush(self, store, manifest, pending, report, progress, direct=False):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            store.upsert(  # vectors written, manifest not: the worst moment to die
                [c.id for _, _, cs in pending for c in cs][:2],
                self.embedder.embed([c.embed_text for _, _, cs in pending for c in cs][:2]),
                [c.text for _, _, cs in pending for c in cs][:2],
                [indexing.chunk_metadata(d, c) for d, _, cs in pending for c in cs][:2],
            )
            raise KeyboardInterrupt
        return real_flush(self, store, manifest, pending, report, progress, direct)

    monkeypatch.setattr(Indexer, "_flush", dying_flush)
    with pytest.raises(KeyboardInterrupt):
        Indexer(s, counting).update()
    monkeypatch.setattr(Indexer, "_flush", real_flush)

    done = Indexer(s, counting).update()
    assert done.added >= 1
    manifest = Manifest.load(Path(s.index_dir))
    assert len(manifest.docs) == 5
    ids = stored_ids(s)
    assert len(ids) == len(set(ids)) == sum(len(e["chunks"]) for e in manifest.docs.values())
    assert Indexer(s, counting).update().chunks_embedded == 0


def test_a_second_writer_gets_a_clear_message_not_a_hang(make_settings, counting) -> None:  # type: ignore[no-untyped-def]
    s = make_settings()
    Path(s.index_dir).mkdir(parents=True)
    lock = Path(s.index_dir) / ".write.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from filelock import FileLock; import time; lock = FileLock({str(lock)!r}); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        t0 = time.monotonic()
        with pytest.raises(IndexBusyError, match="another process is updating the index"):
            Indexer(s, counting).update()
        assert time.monotonic() - t0 < 5
    finally:
        holder.kill()
        holder.wait()


def test_the_write_lock_is_released_when_a_run_ends_even_a_failed_one(make_settings, counting) -> None:  # type: ignore[no-untyped-def]
    s = make_settings()
    kept = Indexer(s, counting)  # still referenced: the lock must not wait for garbage collection
    kept.update()
    assert not kept.lock.is_locked
    with pytest.raises(InputError):
        kept.remove(Path("/not/indexed"))
    assert not kept.lock.is_locked
    assert Indexer(s, counting).update().unchanged == 5  # another writer in the same process gets in


def test_readers_keep_answering_during_a_reindex_and_then_see_new_content(
    make_settings, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The writer is another process (`rag index`), as when the web chat is running."""
    s = make_settings()
    Indexer(s, embedder).update()
    reader = Retriever(s, embedder)
    assert reader.retrieve("joint space research centre cosmonauts", k=3)[0].source != "space.txt"

    extra = tmp_path / "new"
    extra.mkdir()
    (extra / "space.txt").write_text(NEW_ARTICLE)
    cmd = [sys.executable, "-m", "rag.cli", "index", str(extra), "--index", str(s.index_dir)]
    if s.chroma_url:
        cmd += ["--chroma-url", s.chroma_url]
    env = {"RAG_COLLECTION": s.collection, "RAG_SEEDS_DIR": str(s.seeds_dir), "HF_HUB_OFFLINE": "1", "PATH": ""}
    writer = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    answered = 0
    errors: list[BaseException] = []

    def ask() -> None:
        nonlocal answered
        try:
            while writer.poll() is None:
                assert reader.retrieve("Lavrov memorandum biological security", k=3)
                answered += 1
                time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=ask)
    t.start()
    _out, err = writer.communicate(timeout=300)
    t.join()
    assert writer.returncode == 0, err.decode()
    assert not errors and answered > 0
    top = reader.retrieve("joint space research centre cosmonauts", k=3)
    assert top[0].source == "space.txt"


def test_a_lexical_rebuild_killed_midway_is_redone_by_the_next_run(  # type: ignore[no-untyped-def]
    make_settings, counting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 during "rebuilding the lexical index" left BM25 stale for good: the next run saw nothing changed."""
    s = make_settings()
    Indexer(s, counting).update()
    extra = tmp_path / "new"
    extra.mkdir()
    (extra / "space.txt").write_text(NEW_ARTICLE)

    def killed(self, store, digest):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # vectors and manifest written, the old BM25 build still published

    monkeypatch.setattr(Indexer, "_rebuild_lexical", killed)
    with pytest.raises(KeyboardInterrupt):
        Indexer(s, counting).update([extra])
    monkeypatch.undo()

    again = Indexer(s, counting).update()
    assert (again.added, again.chunks_embedded) == (0, 0)  # nothing to embed, and yet...
    manifest = Manifest.load(Path(s.index_dir))
    assert indexing.LexicalIndex.built_for(Path(s.index_dir)) == manifest.corpus_digest()
    lexical = indexing.LexicalIndex.load(Path(s.index_dir))
    assert lexical is not None and len(lexical.ids) == sum(len(e["chunks"]) for e in manifest.docs.values())


def test_a_bad_file_given_directly_is_not_remembered(make_settings, counting, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = make_settings()
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    first = Indexer(s, counting).update([bad])
    assert first.rejected == [str(bad.resolve())] and first.warnings
    assert str(bad.resolve()) not in Manifest.load(Path(s.index_dir)).roots
    assert Indexer(s, counting).update().warnings == []  # not warned about on every later run


def test_a_document_over_the_size_limit_is_skipped_with_a_message_naming_the_limit(  # type: ignore[no-untyped-def]
    make_settings, counting, tmp_path: Path
) -> None:
    s = make_settings(max_document_chars=20_000)  # the longest seed has about 6,000
    big = tmp_path / "book.txt"
    big.write_text("A long sentence about nothing in particular, repeated. " * 2_000)  # 110,000 characters
    html = tmp_path / "long.html"
    paragraphs = "".join(
        f"<p>Paragraph number {i} of this page goes on about the matter at hand.</p>" for i in range(800)
    )
    html.write_text(f"<html><body><article>{paragraphs}</article></body></html>")
    t0 = time.monotonic()
    report = Indexer(s, counting).update([big, html])
    assert time.monotonic() - t0 < 60
    said = " ".join(report.warnings)
    assert "book.txt" in said and "long.html" in said and "limit of 20,000" in said and "RAG_MAX_DOCUMENT_CHARS" in said
    assert {r["source"] for r in list_documents(s)} == {p.name for p in Path(s.seeds_dir).glob("*.txt")}


class BrittleEmbedder(CountingEmbedder):
    """The real model, except that counting the tokens of one marked text breaks (a stand-in for any library
    that chokes on one strange document)."""

    def count_tokens(self, text: str) -> int:
        if "UNCOUNTABLE" in text:
            raise RuntimeError("the tokenizer choked\non this text")
        return self.inner.count_tokens(text)


def test_one_document_that_breaks_a_step_is_one_warning_and_the_rest_is_committed(  # type: ignore[no-untyped-def]
    make_settings, embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(NEW_ARTICLE)
    (folder / "strange.txt").write_text(NEW_ARTICLE.replace("Zubr-1", "UNCOUNTABLE Zubr-1"))
    deep = "<div>" * 3000 + "<p>" + NEW_ARTICLE.replace("\n", " ") + "</p>" + "</div>" * 3000
    (folder / "deep.html").write_text(f"<html><body>{deep}</body></html>")  # was a RecursionError
    s = make_settings()
    report = Indexer(s, BrittleEmbedder(embedder)).update([folder])
    assert report.warnings == [
        f"skipped {folder / 'strange.txt'}: unexpected RuntimeError (the tokenizer choked on this text)"
    ]
    indexed = {r["source"] for r in list_documents(s)}
    assert {"good.txt", "deep.html"} <= indexed and "strange.txt" not in indexed
    assert str(folder.resolve()) in Manifest.load(Path(s.index_dir)).roots  # the folder is remembered
    again = Indexer(s, BrittleEmbedder(embedder)).update()  # tried again next time, still one line
    assert again.warnings == report.warnings and again.added == 0


def test_a_refresh_that_fails_serves_the_last_good_index_with_the_reason(  # type: ignore[no-untyped-def]
    make_settings, counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make_settings()
    Indexer(s, counting).update()

    def broken(self: Indexer, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk quota exceeded")

    monkeypatch.setattr(Indexer, "update", broken)
    report = indexing.ensure_index(s)
    assert report.warnings == [
        "the index could not be refreshed (unexpected OSError: disk quota exceeded); using the last good index"
    ]
    assert len(Retriever(s, counting.inner).retrieve("Lavrov Minsk", 3)) == 3  # the last good index answers
