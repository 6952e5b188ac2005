"""Background loading: the embedding model (and the local LLM) load off the start-up path; requests wait for them."""

from __future__ import annotations

import threading

from rag import answering
from rag.config import get_settings
from rag.errors import RagError
from rag.retrieval import get_retriever


class Warmup:
    """Loads the embedding model (and the local LLM) off the start-up path."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.phase = "starting"
        self.error: str | None = None
        self.done = threading.Event()
        self.embedder_done = threading.Event()
        self.started = False

    def start(self) -> Warmup:
        self.started = True
        threading.Thread(target=self._run, name="rag-warmup", daemon=True).start()
        return self

    def _run(self) -> None:

        try:
            self.phase = "embedding"
            get_retriever().embedder.embed(["warm up"])
            self.embedder_done.set()
            if self.backend == "local":
                self.phase = "llm"
                answering.warm_up("local")
            self.phase = "ready"
        except RagError as exc:
            self.error, self.phase = str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - shown on the page, one line
            self.error, self.phase = f"{type(exc).__name__}: {exc}", "failed"
        finally:
            self.embedder_done.set()
            self.done.set()

    def wait_for_embedder(self, timeout: float = 300) -> None:
        """Requests that arrive while the model loads wait for it instead of loading a second copy."""
        self.embedder_done.wait(timeout)

    @property
    def ready(self) -> bool:
        return self.done.is_set()

    def message(self) -> str:
        if self.phase == "failed":
            return f"Loading failed: {self.error}. Try another backend."
        if self.phase in ("starting", "embedding"):
            return "Loading the embedding model… the first answer will wait for it."
        if self.phase == "llm":
            return (
                f"Loading the local language model ({get_settings().local_model})… the first answer will wait for it."
            )
        return "Ready."


#: the running app's warm-up, if any (set by :func:`rag.ui.app.build_app`)
_warmup: Warmup | None = None


def set_current(warmup: Warmup | None) -> None:
    """Make ``warmup`` the one requests wait for (:func:`rag.ui.app.build_app` calls it)."""
    global _warmup
    _warmup = warmup


def _wait_for_models() -> None:
    if _warmup is not None and _warmup.started:
        _warmup.wait_for_embedder()
