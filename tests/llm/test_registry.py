"""Backend registry: names, caching, unknown names, entry-point plugins."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

import rag.llm as llm_pkg
from rag.config import configure
from rag.errors import RagError
from rag.llm import LLM, LLMRequest, available_backends, get_backend


class EchoLLM:
    """A plugin backend as a third-party package would ship it."""

    name = "echo"
    context_window = 1024

    def stream(self, request: LLMRequest) -> Iterator[str]:
        yield request.question


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    configure()
    yield
    configure()


def test_builtins_are_listed() -> None:
    assert {"local", "openai", "anthropic", "extractive"} <= set(available_backends())


def test_instances_are_cached_and_satisfy_the_protocol() -> None:
    a = get_backend("extractive")
    assert a is get_backend("EXTRACTIVE")
    assert isinstance(a, LLM)


def test_default_comes_from_settings() -> None:
    configure(backend="extractive")
    assert get_backend().name == "extractive"


def test_new_settings_drop_the_cache() -> None:
    a = get_backend("extractive")
    configure()
    assert get_backend("extractive") is not a


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(RagError, match=r"unknown backend 'nope'; known: .*extractive.*local"):
        get_backend("nope")


def test_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint(name="echo", value=f"{__name__}:EchoLLM", group=llm_pkg.ENTRY_POINT_GROUP)
    clash = EntryPoint(name="local", value=f"{__name__}:EchoLLM", group=llm_pkg.ENTRY_POINT_GROUP)
    monkeypatch.setattr(llm_pkg, "entry_points", lambda group: [ep, clash] if group == "rag.backends" else [])
    assert "echo" in available_backends()
    backend = get_backend("echo")
    assert "".join(backend.stream(LLMRequest(system="", user="", question="hi"))) == "hi"
    assert llm_pkg._plugin_factories().keys() == {"echo"}  # a plugin cannot take a built-in name
