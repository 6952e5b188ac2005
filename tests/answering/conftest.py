"""The answering tests' seed index (built once, real embedding model) and a backend that replays fixed outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import SEEDS, Scripted

from rag import config, retrieval
from rag.answering import pipeline
from rag.indexing import Indexer


@pytest.fixture(scope="package")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[config.Settings]:
    """Global settings pointing at a seed index, as the CLI and the web app set them."""
    s = config.configure(index_dir=tmp_path_factory.mktemp("answer") / "index", seeds_dir=SEEDS)
    Indexer(s, embedder).update()
    retrieval._retrievers.clear()
    yield s
    config.configure()
    retrieval._retrievers.clear()


@pytest.fixture
def scripted(seeded_settings: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Scripted]:
    """Installs a Scripted backend as whatever backend the pipeline asks for."""

    def install(*outputs: str, kind: type[Scripted] = Scripted) -> Scripted:
        llm = kind(*outputs)
        monkeypatch.setattr(pipeline, "get_backend", lambda _name=None: llm)
        return llm

    return install
