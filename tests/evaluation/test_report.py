"""Tests for rag.evaluation.report: the report's JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_fakes import sample_report

from rag.errors import InputError
from rag.evaluation.report import Report


def test_report_json_round_trip(tmp_path: Path) -> None:
    report = sample_report()
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
