"""Paths shared by the test modules (importable as `support`; `conftest` is ambiguous with tests/llm/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "data" / "questions.jsonl"
