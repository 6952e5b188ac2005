"""The answering tests' seed index, built once per module with the real embedding model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support import SEEDS

from rag import config, retrieval
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
