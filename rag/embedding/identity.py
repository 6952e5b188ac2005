"""Which model made an index's vectors, whatever computed them, and the refusal to mix two models.

An index records its model's name, vector size and the vector of one fixed
probe sentence. Another embedder counts as the same model when its vectors
have the same size and its probe vector is within :data:`SAME_MODEL` cosine of
the recorded one: the packaged MiniLM run here and the same weights served by
llama.cpp's server agree to 0.99999 (tests/embedding/test_server.py), so an
index built by either is searched and extended by the other; the name alone is
not enough (a server can serve anything under any name). Anything else is an
:class:`InputError` that says how to rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import InputError

#: never change: indexes compare their recorded vector of this sentence with the current model's
PROBE = "Embedding probe: the foreign minister said on Monday that the talks in Geneva would resume next week."
SAME_MODEL = 0.99  # probe cosine; one model on two runtimes (f32 GGUF vs torch) measured 0.99999


class _Embeds(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class VectorIdentity:
    model: str
    dim: int
    probe: tuple[float, ...]
    made_by: str  # "this machine" or the server's host:port, for the message only

    @classmethod
    def of(cls, embedder: _Embeds) -> VectorIdentity:
        """The embedder's identity: one short embed call."""
        vec = np.asarray(embedder.embed([PROBE])[0], dtype=np.float64)
        where = getattr(embedder, "where", None)
        return cls(embedder.name, int(vec.shape[0]), tuple(round(float(x), 6) for x in vec), where or "this machine")

    @classmethod
    def from_record(cls, data: dict[str, Any] | None) -> VectorIdentity | None:
        if not data:
            return None
        try:
            return cls(
                str(data["model"]), int(data["dim"]), tuple(float(x) for x in data["probe"]), data.get("made_by", "")
            )
        except (KeyError, TypeError, ValueError):
            return None  # unreadable: treated as unrecorded, like an index from before the record

    def record(self) -> dict[str, Any]:
        return {"model": self.model, "dim": self.dim, "probe": list(self.probe), "made_by": self.made_by}

    def agreement(self, other: VectorIdentity) -> float:
        """Probe cosine, or 0 when the vector sizes differ."""
        if self.dim != other.dim:
            return 0.0
        a, b = np.asarray(self.probe), np.asarray(other.probe)
        return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))

    def describe(self) -> str:
        return f"{self.model} ({self.dim}-d, {self.made_by})"


def check_same_model(recorded: VectorIdentity | None, current: VectorIdentity, index_dir: Path) -> None:
    """Refuse (one line) to search or extend an index made by another model; an unrecorded index passes."""
    if recorded is None:
        return
    cosine = recorded.agreement(current)
    if cosine >= SAME_MODEL:
        return
    how = "vector sizes differ" if recorded.dim != current.dim else f"probe vectors agree only to cosine {cosine:.2f}"
    raise InputError(
        f"the index in {index_dir} was built with {recorded.describe()}, not {current.describe()} ({how}): "
        "vectors of two models cannot be mixed; set RAG_EMBEDDING_MODEL / RAG_EMBEDDING_URL back, or rebuild: "
        f"remove {index_dir} (or choose a new RAG_INDEX_DIR) and run `rag index`"
    )
