"""Pluggable LLM backends behind one tiny protocol.

A backend turns an :class:`LLMRequest` (system prompt, user prompt, and the
numbered evidence it was built from) into a stream of text deltas. Adding a
backend means one new module plus one line in :data:`_BUILTIN`; third-party
packages can add their own through the ``rag.backends`` entry-point group
(the entry point names a zero-argument factory, usually the class).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from rag.config import get_settings
from rag.errors import RagError
from rag.types import Evidence, LLMRequest

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rag.backends"


@runtime_checkable
class LLM(Protocol):
    """What the answer pipeline needs from a model."""

    name: str
    context_window: int  # prompt + answer tokens the backend accepts

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Yield text deltas; raise BackendError/ModelError with a one-line message."""
        ...


@runtime_checkable
class OneAtATime(Protocol):
    """A backend that answers one question at a time (the local model): others wait in line for it."""

    one_at_a_time: bool


def answers_one_at_a_time(llm: LLM) -> bool:
    """Whether questions for ``llm`` queue (so the reader is told how many are ahead)."""
    return isinstance(llm, OneAtATime) and bool(llm.one_at_a_time)


#: built-in backends, imported only when asked for (they pull heavy SDKs)
_BUILTIN: dict[str, str] = {
    "local": "rag.llm.local:LocalLLM",
    "openai": "rag.llm.openai_compat:OpenAICompatLLM",
    "anthropic": "rag.llm.anthropic_api:AnthropicLLM",
    "extractive": "rag.llm.extractive:ExtractiveLLM",
}

_lock = threading.Lock()
_instances: dict[str, LLM] = {}
_instances_settings: object | None = None


def _plugin_factories() -> dict[str, Callable[[], LLM]]:
    """Backends that other installed packages register; built-ins win on a clash."""
    found: dict[str, Callable[[], LLM]] = {}
    try:
        eps = entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # noqa: BLE001 - broken metadata must not break the built-ins
        log.warning("cannot read %s entry points: %s", ENTRY_POINT_GROUP, exc)
        return found
    for ep in eps:
        if ep.name in _BUILTIN:
            log.warning("plugin backend %r ignored: the name is built in", ep.name)
            continue
        found[ep.name] = ep.load
    return found


def available_backends() -> list[str]:
    """Names accepted by :func:`get_backend`, built-ins and plugins."""
    return sorted(set(_BUILTIN) | set(_plugin_factories()))


def _factory(name: str) -> Callable[[], LLM]:
    if name in _BUILTIN:
        module_name, _, attr = _BUILTIN[name].partition(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
    plugins = _plugin_factories()
    if name in plugins:
        try:
            return plugins[name]()  # type: ignore[return-value]  # ep.load() gives the factory
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a user-facing problem
            raise RagError(f"backend plugin {name!r} cannot load: {type(exc).__name__}: {exc}") from None
    raise RagError(f"unknown backend {name!r}; known: {', '.join(available_backends())}")


def get_backend(name: str | None = None) -> LLM:
    """The shared backend instance for ``name`` (default: settings.backend).

    Instances are cached so the local model stays loaded; when the settings
    object is replaced (``rag.config.configure``) the cache is dropped so new
    values take effect and no second model stays in memory.
    """

    settings = get_settings()
    key = (name or settings.backend).strip().lower()
    global _instances_settings
    with _lock:
        if _instances_settings is not settings:
            _instances.clear()
            _instances_settings = settings
        if key not in _instances:
            backend = _factory(key)()
            _instances[key] = backend
        return _instances[key]


def clear_backends() -> None:
    """Forget cached instances (tests; freeing a loaded model)."""
    with _lock:
        _instances.clear()


__all__ = [
    "ENTRY_POINT_GROUP",
    "LLM",
    "Evidence",
    "LLMRequest",
    "available_backends",
    "clear_backends",
    "get_backend",
]
