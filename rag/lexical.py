"""BM25 over the indexed chunks (bm25s), saved beside the vector store.

Rebuilt by the indexer when the corpus changes (bm25s has no incremental
update; a rebuild of 100k chunks takes seconds), never per query. Each build
goes into its own folder and a pointer file is switched atomically, so a
reader never sees a half-written index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from rag.text.terms import tokenize

log = logging.getLogger(__name__)
POINTER = "LEXICAL"


@dataclass
class LexicalIndex:
    """A bm25s model plus, per row, the chunk id and the fields filters need."""

    ids: list[str]
    sources: np.ndarray  # object array of file names
    dates: np.ndarray  # int32 YYYYMMDD, 0 = undated
    model: bm25s.BM25 | None
    generation: str
    corpus: str = ""  # what it was built from (the indexer's digest of the manifest's chunk ids)

    @classmethod
    def build(
        cls, ids: list[str], texts: list[str], sources: list[str], dates: list[int], corpus: str = ""
    ) -> LexicalIndex:
        model: bm25s.BM25 | None = None
        if ids:
            model = bm25s.BM25()
            model.index(tokenize(texts), show_progress=False)
        return cls(
            ids=list(ids),
            sources=np.asarray(sources, dtype=object),
            dates=np.asarray(dates, dtype=np.int32),
            model=model,
            generation=uuid.uuid4().hex,
            corpus=corpus,
        )

    def scores(self, query: str) -> np.ndarray:
        if self.model is None:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize([query])[0]
        known = [t for t in tokens if t in self.model.vocab_dict]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)

    def mask(self, sources: set[str] | None, since: int | None, until: int | None) -> np.ndarray | None:
        """Boolean row mask for the filters (None = no filter)."""
        if not sources and since is None and until is None:
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if sources:
            keep &= np.isin(self.sources, list(sources))
        if since is not None or until is not None:
            keep &= self.dates > 0
            if since is not None:
                keep &= self.dates >= since
            if until is not None:
                keep &= self.dates <= until
        return keep

    # --- persistence ------------------------------------------------------

    def save(self, index_dir: Path) -> None:
        """Write to a fresh folder, then switch the pointer atomically."""
        index_dir.mkdir(parents=True, exist_ok=True)
        folder = index_dir / f"lexical-{self.generation}"
        tmp = index_dir / f".tmp-lexical-{self.generation}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.model is not None:
            self.model.save(str(tmp / "bm25"))
        np.save(tmp / "dates.npy", self.dates)
        (tmp / "rows.json").write_text(json.dumps({"ids": self.ids, "sources": self.sources.tolist()}))
        (tmp / "corpus").write_text(self.corpus)
        os.replace(tmp, folder)
        pointer_tmp = index_dir / f".{POINTER}.tmp"
        pointer_tmp.write_text(self.generation)
        os.replace(pointer_tmp, index_dir / POINTER)
        # keep the previous generation too: a reader may be loading it right now
        builds = sorted(index_dir.glob("lexical-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in builds[2:]:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def current_generation(index_dir: Path) -> str | None:
        try:
            return (index_dir / POINTER).read_text().strip() or None
        except OSError:
            return None

    @classmethod
    def built_for(cls, index_dir: Path) -> str | None:
        """The corpus digest the published build was made from (None: no build, or one from before digests)."""
        gen = cls.current_generation(index_dir)
        if gen is None:
            return None
        try:
            return (index_dir / f"lexical-{gen}" / "corpus").read_text().strip() or None
        except OSError:
            return None

    @classmethod
    def load(cls, index_dir: Path) -> LexicalIndex | None:
        gen = cls.current_generation(index_dir)
        if gen is None:
            return None
        folder = index_dir / f"lexical-{gen}"
        try:
            rows = json.loads((folder / "rows.json").read_text())
            dates = np.load(folder / "dates.npy")
            model = bm25s.BM25.load(str(folder / "bm25")) if rows["ids"] else None
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index %s unreadable (%s); it will be rebuilt", folder, exc)
            return None
        return cls(
            ids=rows["ids"],
            sources=np.asarray(rows["sources"], dtype=object),
            dates=dates.astype(np.int32),
            model=model,
            generation=gen,
        )
