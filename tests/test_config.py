"""Settings: flat fields and the nested tuning sections, from the environment and from code."""

from __future__ import annotations

import pytest

from rag.config import MAX_K, CheckTuning, EvidenceTuning, RetrievalTuning, Settings, configure
from rag.errors import InputError


def test_tuning_sections_come_from_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RETRIEVAL__DENSE_WEIGHT", "0.7")
    monkeypatch.setenv("RAG_EVIDENCE__MAX_SENTENCES", "5")
    monkeypatch.setenv("RAG_K", "7")  # flat fields keep their names
    s = Settings()
    assert s.retrieval.dense_weight == 0.7
    assert s.retrieval.candidates == RetrievalTuning().candidates  # the rest of the section keeps its defaults
    assert s.evidence.max_sentences == 5
    assert s.k == 7


def test_tuning_sections_from_code_and_their_bounds() -> None:
    s = Settings(retrieval={"candidates": 4}, checks={"min_overlap": 0.5})
    assert (s.retrieval.candidates, s.checks.min_overlap) == (4, 0.5)
    assert s.evidence == EvidenceTuning() and Settings().checks == CheckTuning()
    with pytest.raises(ValueError):
        Settings(retrieval={"dense_weight": 1.5})


def test_every_tuning_field_says_why() -> None:
    for section in (RetrievalTuning, EvidenceTuning, CheckTuning):
        for name, field in section.model_fields.items():
            assert field.description, f"{section.__name__}.{name} needs a description"


def test_a_bad_value_from_a_flag_or_the_environment_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as info:
        configure(k=0, chunk_size=4)
    assert str(info.value) == (
        "bad setting: RAG_CHUNK_SIZE='4': input should be greater than or equal to 16; "
        "RAG_K='0': input should be greater than or equal to 1"
    )
    monkeypatch.setenv("RAG_EVIDENCE__MAX_SENTENCES", "0")
    with pytest.raises(InputError, match=r"^bad setting: RAG_EVIDENCE__MAX_SENTENCES='0': input should be"):
        configure()


def test_k_allows_what_the_search_allows() -> None:
    assert Settings(k=MAX_K).k == MAX_K
    with pytest.raises(ValueError):
        Settings(k=MAX_K + 1)
