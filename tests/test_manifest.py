"""Tests for rag.manifest: a missing or unreadable manifest is empty; a saved one loads back the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.manifest import MANIFEST, Manifest


def test_missing_and_unreadable_manifests_are_empty(tmp_path: Path) -> None:
    m = Manifest.load(tmp_path)
    assert (m.path, m.signature, m.roots, m.docs) == (tmp_path / MANIFEST, "", [], {})
    (tmp_path / MANIFEST).write_text("{not json")
    assert Manifest.load(tmp_path).docs == {}


def test_save_round_trip_and_corpus_digest(tmp_path: Path) -> None:
    m = Manifest.load(tmp_path)
    m.signature, m.roots = "sig", ["/seeds"]
    m.docs = {"a.txt": {"hash": "h", "chunks": ["c2", "c1"]}, "b.txt": {"hash": "g", "chunks": ["c3"]}}
    m.save()
    assert not (tmp_path / "manifest.tmp").exists()
    again = Manifest.load(tmp_path)
    assert (again.signature, again.roots, again.docs) == ("sig", ["/seeds"], m.docs)
    assert again.corpus_digest() == hashlib.sha256(b"c1c2c3").hexdigest()
