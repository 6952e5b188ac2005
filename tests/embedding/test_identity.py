"""The index records which model made its vectors and refuses to mix two models, whatever the name says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.config import Settings
from rag.embedding.identity import PROBE, SAME_MODEL, VectorIdentity
from rag.errors import InputError
from rag.indexing import Indexer
from rag.manifest import MANIFEST
from rag.retrieval import Retriever
from rag.types import Document

ARTICLE = Document(
    source="centre.txt",
    path="/articles/centre.txt",
    title="Belarus and Russia open a joint space research centre",
    text="The foreign ministers of Belarus and Russia opened a joint space research centre in Vitebsk. "
    "The centre will train cosmonauts from both countries and build a small satellite called Zubr-1.",
)
LATER = Document(source="later.txt", path="/articles/later.txt", text="The satellite Zubr-1 will launch in 2026.")


class OtherModel:
    """Another model under the same name and size (a server can serve anything as 'all-MiniLM-L6-v2')."""

    def __init__(self, inner: Any, dim: int | None = None) -> None:
        self.inner, self.name, self.max_tokens = inner, inner.name, inner.max_tokens
        self.dim = dim or inner.dim

    def embed(self, texts: list[str]) -> np.ndarray:
        vecs = np.roll(self.inner.embed(texts), 1, axis=1)
        return vecs[:, : self.dim] / np.linalg.norm(vecs[:, : self.dim], axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "no-seeds", annotate_speakers=False)


def test_an_index_records_the_model_that_made_its_vectors(settings: Settings, embedder: Any) -> None:
    Indexer(settings, embedder).add_documents([ARTICLE])
    record = json.loads((settings.index_dir / MANIFEST).read_text())["embedding"]
    assert (record["model"], record["dim"], record["made_by"]) == ("all-MiniLM-L6-v2", 384, "this machine")
    assert np.allclose(record["probe"], embedder.embed([PROBE])[0], atol=1e-5)


def test_another_model_may_neither_extend_nor_search_it(settings: Settings, embedder: Any) -> None:
    Indexer(settings, embedder).add_documents([ARTICLE])
    other = OtherModel(embedder)
    with pytest.raises(InputError) as info:
        Indexer(settings, other).add_documents([LATER])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        f"the index in {settings.index_dir} was built with all-MiniLM-L6-v2 (384-d, this machine)"
    )
    assert "probe vectors agree only to cosine" in message and "run `rag index`" in message
    with pytest.raises(InputError, match="vectors of two models cannot be mixed"):
        Retriever(settings, other).retrieve("Where is the space research centre?")
    with pytest.raises(InputError, match=r"\(vector sizes differ\)"):
        Retriever(settings, OtherModel(embedder, dim=256)).retrieve("Where is the space research centre?")
    # the index is as it was: its own model still extends and searches it
    assert Indexer(settings, embedder).add_documents([LATER]).added == 1
    assert Retriever(settings, embedder).retrieve("When will Zubr-1 launch?", k=1)[0].source == "later.txt"


def test_an_index_from_before_the_record_is_searched_and_then_recorded(settings: Settings, embedder: Any) -> None:
    Indexer(settings, embedder).add_documents([ARTICLE])
    path = settings.index_dir / MANIFEST
    old = json.loads(path.read_text())
    del old["embedding"]
    path.write_text(json.dumps(old))
    assert Retriever(settings, embedder).retrieve("space research centre", k=1)  # nothing to compare: searched
    Indexer(settings, embedder).add_documents([LATER])
    assert json.loads(path.read_text())["embedding"]["model"] == "all-MiniLM-L6-v2"


def test_a_rebuild_for_another_model_starts_a_new_record(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(ARTICLE.text)
    s = Settings(index_dir=tmp_path / "index", seeds_dir=docs, annotate_speakers=False)
    Indexer(s, embedder).update()
    renamed = s.model_copy(update={"embedding_model": "another-model"})  # a new name: every document is redone
    other = OtherModel(embedder)
    other.name = "another-model"
    assert Indexer(renamed, other).update().added == 1
    record = VectorIdentity.from_record(json.loads((s.index_dir / MANIFEST).read_text())["embedding"])
    assert record is not None and record.model == "another-model"
    assert record.agreement(VectorIdentity.of(other)) > SAME_MODEL
