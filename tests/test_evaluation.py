"""Tests for rag.evaluation: metrics on hand-computed cases, parsing, and a faked run."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from rag.errors import BackendError, InputError
from rag.evaluation import (
    Question,
    Report,
    answer_bearing_hit_at_k,
    average_precision,
    baseline_from_report,
    check_regression,
    citation_markers,
    compare_reports,
    contains_phrase,
    evaluate_run,
    hit_at_k,
    join_turns,
    load_questions,
    matches_answers,
    ndcg_at_k,
    normalize_text,
    parse_qrels,
    parse_trec_docs,
    parse_trec_topics,
    precision_at_k,
    print_comparison,
    print_report,
    recall_at_k,
    reciprocal_rank,
    retrieval_metrics,
    run_eval,
    run_trec_eval,
)

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).resolve().parent / "fixtures" / "eval"


# --------------------------------------------------------------------------- metrics


def test_hit_recall_mrr_on_hand_computed_ranking() -> None:
    ranked = ["a", "b", "a", "c"]
    rel = {"a", "c"}
    assert hit_at_k(ranked, rel, 1) == 1.0
    assert hit_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    assert hit_at_k(["x", "y", "a"], {"a"}, 3) == 1.0
    assert recall_at_k(ranked, rel, 1) == 0.5
    assert recall_at_k(ranked, rel, 3) == 0.5  # the repeat of "a" adds nothing
    assert recall_at_k(ranked, rel, 4) == 1.0
    assert recall_at_k(ranked, set(), 4) == 0.0
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "a"], {"a"}, k=2) == 0.0
    assert reciprocal_rank([], {"a"}) == 0.0
    assert precision_at_k(["a", "x"], {"a"}, 10) == pytest.approx(0.1)


def test_ndcg_counts_each_source_once_at_first_rank() -> None:
    # gains at ranks 1 and 4; the duplicate "a" at rank 3 earns nothing
    expected = (1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "a", "c"], {"a", "c"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["x", "y", "a"], {"a"}) == pytest.approx(0.5)  # 1/log2(4)
    assert ndcg_at_k(["a"], {"a"}) == 1.0
    assert ndcg_at_k(["a", "a", "a"], {"a", "b"}) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["x"], set()) == 0.0
    assert ndcg_at_k([], {"a"}) == 0.0
    # cut-off: relevant item at rank 3 is outside k=2
    assert ndcg_at_k(["x", "y", "a"], {"a"}, 2) == 0.0


def test_ndcg_graded_and_average_precision() -> None:
    graded = ndcg_at_k(["b", "a"], {"a": 2.0, "b": 1.0})
    assert graded == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert average_precision(["a", "x", "c"], {"a", "c"}) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["a", "x", "c"], {"a", "c", "d"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["a", "a", "c"], {"a", "c"}) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["x"], set()) == 0.0


def test_answer_bearing_hit_needs_expected_source_and_phrase() -> None:
    passages = [
        ("s1", "nothing relevant here"),
        ("s2", "they signed a biological security memo"),  # right phrase, wrong source
        ("s1", "a memorandum on Biological-Security was signed"),
    ]
    answers = ["biological security"]
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 1) == 0.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 2) == 0.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 3) == 1.0
    assert answer_bearing_hit_at_k(passages, {"s2"}, answers, 2) == 1.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, [], 3) == 0.0


def test_retrieval_metrics_names_and_values() -> None:
    m = retrieval_metrics([("x", "t"), ("a", "Aleinik")], {"a"}, ["aleinik"], k=4)
    assert m["hit@1"] == 0.0 and m["hit@3"] == 1.0 and m["hit@4"] == 1.0
    assert m["mrr"] == 0.5
    assert m["answer_hit@1"] == 0.0 and m["answer_hit@5"] == 1.0
    assert set(m) >= {"recall@1", "recall@3", "recall@5", "recall@4", "ndcg@10"}


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


def test_citation_markers() -> None:
    assert citation_markers("a [1] b [2, 3][4] c [x] [12]") == [1, 2, 3, 4, 12]
    assert citation_markers("no markers") == []


# --------------------------------------------------------------------------- questions


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


# --------------------------------------------------------------------------- TREC


def test_parse_trec_fixture() -> None:
    docs = parse_trec_docs(FIX / "docs.trec")
    assert list(docs) == ["D1", "D2", "D3", "D4"]
    assert docs["D1"] == "microwave measurement of the dielectric constant of liquids"
    assert docs["D2"] == "band pass filters designed with digital computers"
    topics = parse_trec_topics(FIX / "topics.trec")
    assert topics == {
        "1": "DIELECTRIC CONSTANT OF LIQUIDS",
        "2": "data coding",
        "3": "unjudged topic",
    }
    qrels = parse_qrels(FIX / "qrels")
    assert qrels == {"1": {"D1": 1, "D4": 1}, "2": {"D3": 2, "D2": 0}}


def test_trec_parse_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "qrels"
    bad.write_text("1 0 D1 1\n1 0 D2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"qrels:2:"):
        parse_qrels(bad)
    bad.write_text("1 0 D1 yes\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"qrels:1: relevance"):
        parse_qrels(bad)
    docs = tmp_path / "d.trec"
    docs.write_text("<DOC>\n<DOCNO>A</DOCNO>x\n</DOC>\n<DOC>\nno number\n</DOC>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d.trec:4: document #2 has no <DOCNO>"):
        parse_trec_docs(docs)
    with pytest.raises(InputError, match="cannot read"):
        parse_trec_topics(tmp_path / "missing")


def test_evaluate_run_and_run_trec_eval_hand_computed() -> None:
    runs = {"1": ["D4", "D2", "D1"], "2": ["D2", "D1"], "3": ["D1"]}
    indexed: list[int] = []

    def search(query: str, k: int) -> Sequence[str]:
        qid = {"DIELECTRIC CONSTANT OF LIQUIDS": "1", "data coding": "2"}[query]
        return runs[qid][:k]

    report = run_trec_eval(
        FIX / "docs.trec",
        FIX / "topics.trec",
        FIX / "qrels",
        search_fn=search,
        index_fn=lambda docs: indexed.append(len(docs)),
        depth=10,
        progress=False,
    )
    assert indexed == [4]
    m = report.metrics
    ndcg1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["topics"] == 2  # topic 3 has no judgements
    assert m["ndcg@10"] == pytest.approx(ndcg1 / 2)
    assert m["map"] == pytest.approx((1 + 2 / 3) / 2 / 2)
    assert m["mrr"] == pytest.approx(0.5)
    assert m["recall@10"] == pytest.approx(0.5)
    assert m["p@10"] == pytest.approx(0.1)
    assert [r.id for r in report.results] == ["1", "2"]
    assert report.kind == "trec" and report.retrieval_only

    means, per = evaluate_run({"1": ["D1"]}, parse_qrels(FIX / "qrels"), depth=5)
    assert per["2"]["map"] == 0.0  # judged but missing from the run: scores zero
    assert per["1"]["recall@5"] == 0.5
    assert means["mrr"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- run_eval with fakes


@dataclass(frozen=True)
class FakePassage:
    text: str
    source: str
    score: float = 1.0
    similarity: float = 0.5
    chunk_id: str = "c"


@dataclass(frozen=True)
class FakeCitation:
    n: int
    text: str
    source: str


@dataclass
class FakeAnswer:
    text: str
    raw_text: str
    abstained: bool
    query: str
    passages: list[FakePassage]
    citations: list[FakeCitation] = field(default_factory=list)


@dataclass
class FailedAnswer(FakeAnswer):
    error: str = "timeout"


CORPUS = {
    "memo": [
        FakePassage("Lavrov and Aleinik met.", "a.txt"),
        FakePassage("They signed a memorandum on biological security.", "b.txt", similarity=0.8),
    ],
    "surplus": [FakePassage("Belarus has a slight trade surplus.", "c.txt", similarity=0.7)],
    "other": [FakePassage("Unrelated text.", "z.txt", similarity=0.2)],
}


def fake_retrieve(query: str, k: int = 5, **_: Any) -> list[FakePassage]:
    for key, passages in CORPUS.items():
        if key in query.lower():
            return passages[:k]
    return CORPUS["other"][:k]


class FakeAnswerer:
    """Scripted answers keyed by question; records the history it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, str]] | None, str | None]] = []

    def __call__(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        *,
        backend: str | None = None,
        k: int | None = None,
    ) -> Iterator[Any]:
        self.calls.append((question, history, backend))
        if "fail" in question:
            raise BackendError("timed out")
        if question == "What did they sign?":
            query = "memo signed by Lavrov and Aleinik"
        elif "who met" in question.lower():
            query = "memo meeting"
        else:
            query = question
        passages = fake_retrieve(query)
        cites: list[FakeCitation]
        if "gas" in question:
            text, raw, abstained, cites = "I don't know.", "I don't know.", True, []
        elif "trade" in question:  # correct text but cites a passage that does not exist
            text, raw, abstained, cites = "A trade surplus.", "A trade surplus [9].", False, []
        elif "abstain" in question:  # false abstention on an answerable question
            text, raw, abstained, cites = "No answer.", "No answer.", True, []
        elif "who met" in question.lower():
            text, raw, abstained = "Lavrov and Aleinik [1].", "Lavrov and Aleinik [1].", False
            cites = [FakeCitation(1, passages[0].text, passages[0].source)]
        else:
            text = "A biological security memorandum [2]."
            raw, abstained = text, False
            cites = [FakeCitation(2, passages[1].text, passages[1].source)]
        for word in text.split(" "):
            yield word + " "
        yield FakeAnswer(text, raw, abstained, query, passages, cites)


def _questions() -> list[Question]:
    return [
        Question("mem", ("What memo was signed?",), ("biological security",), False, ("b.txt",), "fact"),
        Question("trade", ("What about trade surplus?",), ("surplus",), False, ("c.txt",), "fact"),
        Question("gas", ("How much gas?",), (), False, (), "unanswerable"),
        Question("two", ("Who met?", "What did they sign?"), ("biological security",), False, ("b.txt",), "followup"),
        Question("abst", ("memo abstain please",), ("biological security",), False, ("b.txt",), "fact"),
        Question("boom", ("memo fail",), ("biological security",), False, ("b.txt",), "fact"),
    ]


def test_run_eval_with_fakes() -> None:
    answerer = FakeAnswerer()
    report = run_eval(_questions(), backend="fake", k=3, progress=False, retrieve_fn=fake_retrieve, answer_fn=answerer)
    by_id = {r.id: r for r in report.results}
    m = report.metrics
    assert m["questions"] == 6 and m["answerable"] == 5 and m["unanswerable"] == 1
    # mem, trade, two correct; abst abstained; boom errored
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["abstention_rate"] == 1.0
    assert m["false_abstention_rate"] == pytest.approx(1 / 4)  # boom never answered
    assert m["error_rate"] == pytest.approx(1 / 6)
    # markers: mem [2] ok, trade [9] invalid, two [2] ok
    assert by_id["trade"].citation_valid is False
    assert by_id["mem"].citation_valid is True
    assert m["citation_validity"] == pytest.approx(2 / 3)
    # support: mem + two cite a phrase-bearing passage; trade cites nothing
    assert by_id["trade"].citation_supported is False
    assert m["citation_support"] == pytest.approx(2 / 3)
    # follow-up: history built from the first turn's answer with the same backend
    first, second = answerer.calls[3], answerer.calls[4]
    assert first == ("Who met?", None, "fake")
    assert second[1] == [
        {"role": "user", "content": "Who met?"},
        {"role": "assistant", "content": "Lavrov and Aleinik [1]."},
    ]
    assert by_id["two"].query == "memo signed by Lavrov and Aleinik"
    assert by_id["two"].retrieval["hit@1"] == 0.0 and by_id["two"].retrieval["hit@3"] == 1.0
    assert by_id["two"].retrieval["mrr"] == 0.5
    assert by_id["two"].correct is True and by_id["two"].context_hit is True
    assert by_id["boom"].error == "BackendError: timed out" and by_id["boom"].correct is False
    assert by_id["mem"].ttft_s is not None and by_id["mem"].total_s is not None
    assert by_id["mem"].ttft_s <= by_id["mem"].total_s
    assert by_id["gas"].retrieval == {} and by_id["gas"].top_similarity == 0.2
    assert m["top_similarity_unanswerable"] == pytest.approx(0.2)
    assert report.by_kind["followup"]["pass_rate"] == 1.0
    assert m["answer_hit@3"] == 1.0  # each expected source passage holds a key phrase


def test_run_eval_retrieval_only_never_calls_the_model() -> None:
    def no_model(*_: Any, **__: Any) -> Iterator[Any]:
        raise AssertionError("model called")

    report = run_eval(
        _questions(), backend=None, k=5, retrieval_only=True, progress=False,
        retrieve_fn=fake_retrieve, answer_fn=no_model, resolve_fn=join_turns,
    )  # fmt: skip
    assert "accuracy" not in report.metrics
    two = next(r for r in report.results if r.id == "two")
    assert two.query == "Who met? What did they sign?"  # naive joined query
    # the joined follow-up query finds nothing: mrr = (0.5 + 1 + 0 + 0.5 + 0.5) / 5
    assert report.metrics["hit@5"] == pytest.approx(4 / 5)
    assert report.metrics["mrr"] == pytest.approx(0.5)

    def resolve(question: str, history: list[dict[str, str]] | None) -> str:
        return "memo " + question if history else question

    report = run_eval(
        _questions(), backend=None, k=5, retrieval_only=True, progress=False,
        retrieve_fn=fake_retrieve, resolve_fn=resolve,
    )  # fmt: skip
    two = next(r for r in report.results if r.id == "two")
    assert two.query == "memo What did they sign?" and two.retrieval["hit@5"] == 1.0


def test_llm_error_reported_by_the_answer_counts_as_wrong() -> None:
    def failing(question: str, history: Any = None, **_: Any) -> Iterator[Any]:
        passages = fake_retrieve("memo")
        yield "The language model failed."
        yield FailedAnswer("biological security? The language model failed.", "", False, "memo", passages)

    q = [Question("m", ("memo?",), ("biological security",), False, ("b.txt",))]
    report = run_eval(q, backend=None, k=3, progress=False, retrieve_fn=fake_retrieve, answer_fn=failing)
    res = report.results[0]
    assert res.error == "LLM: timeout" and res.correct is False and res.passed is False
    assert report.metrics["error_rate"] == 1.0 and report.metrics["accuracy"] == 0.0
    assert join_turns("q", [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]) == "a q"


def test_run_eval_rejects_bad_k() -> None:
    with pytest.raises(InputError):
        run_eval(_questions(), backend=None, k=0, progress=False, retrieve_fn=fake_retrieve)


# --------------------------------------------------------------------------- reports


def _report() -> Report:
    return run_eval(
        _questions(), backend="fake", k=3, progress=False,
        retrieve_fn=fake_retrieve, answer_fn=FakeAnswerer(),
    )  # fmt: skip


def test_report_json_round_trip(tmp_path: Path) -> None:
    report = _report()
    again = Report.from_json(report.to_json())
    assert again == report
    path = tmp_path / "r" / "report.json"
    report.save(path)
    assert Report.load(path) == report
    assert json.loads(path.read_text())["version"] == 1
    with pytest.raises(InputError):
        Report.from_json("{nope")
    with pytest.raises(InputError):
        Report.from_json('{"results": []}')


def test_compare_reports_and_printing() -> None:
    before = _report()
    after = Report.from_json(before.to_json())
    # after: "abst" now answers correctly; "two" ranks its source first; accuracy up, latency up
    r = next(x for x in after.results if x.id == "abst")
    r.abstained, r.correct = False, True
    t = next(x for x in after.results if x.id == "two")
    t.retrieval = dict(t.retrieval, **{"mrr": 1.0, "hit@1": 1.0})
    m = next(x for x in after.results if x.id == "mem")
    m.retrieval = dict(m.retrieval, mrr=0.25)
    after.metrics["accuracy"] = 0.8
    after.metrics["latency_mean_s"] = (before.metrics["latency_mean_s"] or 0) + 1.0
    cmp = compare_reports(before, after)
    verdicts = {c.name: c.verdict for c in cmp.metrics}
    assert verdicts["accuracy"] == "better"
    assert verdicts["latency_mean_s"] == "worse"  # lower is better
    assert verdicts["hit@1"] == "same"
    assert {q.id for q in cmp.better} == {"abst", "two"}
    assert {q.id for q in cmp.worse} == {"mem"}
    text = cmp.to_text()
    assert "accuracy" in text and "mrr 0.50->1.00" in text and "mem" in text

    console = Console(record=True, width=160)
    print_comparison(cmp, console)
    print_report(after, console, show_questions=True)
    print_report(before, console)
    out = console.export_text()
    assert "questions better" in out and "accuracy" in out and "by question kind" in out


def test_check_regression_and_baseline() -> None:
    report = _report()
    base = baseline_from_report(report)
    assert check_regression(report, base) == []
    assert "latency_mean_s" not in base["metrics"]
    worse = dict(report.metrics)
    worse.update({"accuracy": 0.1, "false_abstention_rate": 0.9, "mrr": report.metrics["mrr"]})
    report.metrics = worse
    assert check_regression(report, base) == ["accuracy", "false_abstention_rate"]
    # flat form, tolerance form, metrics the run did not measure
    assert check_regression(report, {"accuracy": 0.5, "not_measured": 1.0}) == ["accuracy"]
    assert check_regression(report, {"metrics": {"accuracy": 0.15}, "tolerance": 0.1}) == []
    assert check_regression(report, {"metrics": {"ttft_p50_s": 0.0}}) == ["ttft_p50_s"]
    with pytest.raises(InputError):
        check_regression(report, {"metrics": [1, 2]})
