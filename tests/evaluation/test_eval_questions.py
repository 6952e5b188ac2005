"""Tests for rag.evaluation.questions: the question file and key-phrase matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation.questions import contains_phrase, load_questions, matches_answers, normalize_text

ROOT = Path(__file__).resolve().parent.parent.parent
FIX = Path(__file__).resolve().parent.parent / "fixtures" / "eval"


def test_phrase_matching_is_whole_word_and_spelling_tolerant() -> None:
    assert contains_phrase("They met 10 times", "10")
    assert not contains_phrase("They met 100 times", "10")
    assert not contains_phrase("we must act", "us")
    assert contains_phrase("the 2022\u20132023 programme", "2022-2023")
    assert contains_phrase("MILITARY-TECHNICAL cooperation", "military technical")
    assert contains_phrase("subjected to the U.S. fully", "U.S.")
    assert contains_phrase("\u201cWestern blitzkrieg\u201d failed", "blitzkrieg")
    assert normalize_text("  A\u2014B  c ") == "a b c"
    assert matches_answers("Finland and Sweden", ["Finland", "Sweden"], require_all=True)
    assert not matches_answers("Finland only", ["Finland", "Sweden"], require_all=True)
    assert matches_answers("Finland only", ["Finland", "Sweden"], require_all=False)
    assert not matches_answers("anything", [], require_all=False)


def test_load_questions_fixture() -> None:
    qs = load_questions(FIX / "questions_ok.jsonl")
    assert [q.id for q in qs] == ["a", "b", "c"]
    assert qs[0].turns == ("Who signed?",) and qs[0].answerable and not qs[0].all
    assert qs[1].question == "What did they sign?" and qs[1].all and qs[1].kind == "followup"
    assert qs[1].sources == ("x.txt", "y.txt")
    assert not qs[2].answerable


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "JSON object"),
        ('{"id": "x"}', "exactly one of 'question' or 'turns'"),
        ('{"id": "x", "question": "q", "turns": ["q"]}', "exactly one"),
        ('{"id": "x", "question": ""}', "'question' must be a non-empty string"),
        ('{"id": "x", "turns": []}', "'turns' must not be empty"),
        ('{"id": "x", "turns": "q"}', "'turns' must be a list of strings"),
        ('{"id": "x", "question": "q", "answers": "a"}', "'answers' must be a list"),
        ('{"id": "x", "question": "q", "answers": [1]}', "'answers' must be a list"),
        ('{"id": "x", "question": "q", "sources": [""]}', "'sources' contains an empty"),
        ('{"id": "x", "question": "q", "all": "yes"}', "'all' must be true or false"),
        ('{"question": "q"}', "'id' must be a non-empty string"),
        ('{"id": 3, "question": "q"}', "'id' must be a non-empty string"),
        ('{"id": "first", "question": "dup"}', "duplicate id"),
    ],
)
def test_load_questions_bad_line_names_line_number(tmp_path: Path, line: str, fragment: str) -> None:
    good = '{"id": "first", "question": "fine?", "answers": ["x"], "sources": ["s"]}'
    path = tmp_path / "q.jsonl"
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")  # blank line 2 still counts
    with pytest.raises(InputError) as err:
        load_questions(path)
    assert "q.jsonl:3:" in str(err.value)
    assert fragment in str(err.value)


def test_load_questions_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_questions(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no questions"):
        load_questions(empty)


def test_project_question_set_is_well_formed() -> None:
    """The labelled seed questions load and every key phrase is really in its sources."""
    qs = load_questions(ROOT / "data" / "questions.jsonl")
    single = [q for q in qs if q.answerable and len(q.turns) == 1]
    unanswerable = [q for q in qs if not q.answerable]
    followups = [q for q in qs if q.answerable and len(q.turns) == 2]
    assert len(single) >= 30 and len(unanswerable) >= 6 and len(followups) >= 4
    seeds = ROOT / "seeds"
    if not seeds.is_dir():
        pytest.skip("seed articles not present")
    texts = {p.name: normalize_text(p.read_text(encoding="utf-8")) for p in seeds.iterdir()}
    for q in qs:
        assert all(s in texts for s in q.sources), q.id
        if not q.answerable:
            assert not q.sources, q.id
            continue
        assert q.sources, q.id
        union = " ".join(texts[s] for s in q.sources)
        assert matches_answers(union, q.answers, q.all), q.id
        for s in q.sources:  # each listed source holds at least one key phrase
            assert matches_answers(texts[s], q.answers, require_all=False), (q.id, s)
