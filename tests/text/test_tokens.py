"""Token counting: cl100k_base from a local, hash-checked file."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken

from rag.errors import ModelError
from rag.text import tokens
from rag.text.tokens import count_tokens, get_encoding


def test_encoding_is_cl100k_loaded_locally_with_its_hash_checked() -> None:
    enc = get_encoding()
    assert enc.name == "cl100k_base"
    assert enc.encode("hello world") == [15339, 1917]


def test_a_tampered_encoding_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cl100k_base.tiktoken").write_text("aGVsbG8= 0\n")
    monkeypatch.setattr(tokens.resources, "files", lambda _pkg: tmp_path)
    get_encoding.cache_clear()
    try:
        with pytest.raises(ModelError, match="corrupt"):
            get_encoding()
    finally:
        get_encoding.cache_clear()


def test_counts_are_cl100k() -> None:
    assert count_tokens("hello world") == 2
    assert isinstance(get_encoding(), tiktoken.Encoding)
