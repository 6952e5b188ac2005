"""The Chroma vector store: embedded under the index folder, or a Chroma server.

We always pass our own embeddings: Chroma's default embedding function
downloads a model, which fails offline.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.errors import RagError

log = logging.getLogger(__name__)

Metadata = dict[str, str | int | float | bool]


def _client(index_dir: Path, chroma_url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # noqa: BLE001 - connection problems are the user's to fix
            raise RagError(f"cannot reach the Chroma server at {chroma_url} ({type(exc).__name__})") from None
    index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)


class Store:
    """One Chroma collection of chunks (cosine space) and the few operations we need."""

    def __init__(self, index_dir: Path, chroma_url: str | None, collection: str) -> None:
        self.index_dir = index_dir
        self.chroma_url = chroma_url
        self.name = collection
        self._open()

    def _open(self) -> None:
        self.client = _client(self.index_dir, self.chroma_url)
        try:
            self.collection = self.client.get_or_create_collection(
                self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
        except Exception as exc:  # noqa: BLE001
            raise RagError(f"cannot open the Chroma collection {self.name!r}: {exc}") from None
        self.max_batch = int(self.client.get_max_batch_size())

    def reopen(self) -> None:
        """See another process's writes: an embedded client caches its HNSW segment in memory."""
        if self.chroma_url is None:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        self._open()

    # --- writes -------------------------------------------------------------

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[Metadata]) -> None:
        for i in range(0, len(ids), self.max_batch):
            j = i + self.max_batch
            self.collection.upsert(
                ids=ids[i:j],
                embeddings=vectors[i:j],
                documents=texts[i:j],
                metadatas=metadatas[i:j],  # type: ignore[arg-type]
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=ids[i : i + self.max_batch])

    # --- reads --------------------------------------------------------------

    def count(self) -> int:
        return int(self.collection.count())

    def ids_for_path(self, path: str) -> set[str]:
        got = self.collection.get(where={"path": path}, include=[])
        return set(got["ids"])

    def existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), self.max_batch):
            found.update(self.collection.get(ids=ids[i : i + self.max_batch], include=[])["ids"])
        return found

    def get(self, ids: list[str], *, embeddings: bool = False) -> dict[str, dict[str, Any]]:
        """Records by id: text, metadata and (optionally) the stored vector."""
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        got = self.collection.get(ids=ids, include=include)  # type: ignore[arg-type]
        out: dict[str, dict[str, Any]] = {}
        for n, cid in enumerate(got["ids"]):
            rec: dict[str, Any] = {"text": got["documents"][n], "meta": got["metadatas"][n]}  # type: ignore[index]
            if embeddings:
                rec["vector"] = np.asarray(got["embeddings"][n], dtype=np.float32)  # type: ignore[index]
            out[cid] = rec
        return out

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[tuple[str, float, str, Metadata]]:
        """Nearest chunks: (id, cosine similarity, text, metadata)."""
        return self.query_many(vector[None, :], n, where)[0]

    def query_many(
        self, vectors: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> list[list[tuple[str, float, str, Metadata]]]:
        """The nearest chunks to each row of ``vectors``, in one request (a question and its parts).

        No count() first: Chroma caps n_results itself, and the extra round
        trip cost ~10 ms a query at 100k chunks.
        """
        res = self.collection.query(
            query_embeddings=vectors.tolist(),
            n_results=n,
            where=where,
            include=["documents", "metadatas", "distances"],  # type: ignore[list-item]
        )
        return [
            [
                (cid, 1.0 - float(dist), doc, meta)  # type: ignore[misc]
                for cid, dist, doc, meta in zip(ids, dists, docs, metas, strict=False)
            ]
            for ids, dists, docs, metas in zip(
                res["ids"],
                res["distances"],  # type: ignore[arg-type]
                res["documents"],  # type: ignore[arg-type]
                res["metadatas"],  # type: ignore[arg-type]
                strict=True,
            )
        ]

    def iter_all(self, page: int = 5000) -> Iterator[tuple[str, str, Metadata]]:
        """Every chunk (id, text, metadata), paged so a server isn't asked for 100k rows at once."""
        offset = 0
        while True:
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)  # type: ignore[list-item]
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=False)  # type: ignore[misc]
            offset += len(got["ids"])
