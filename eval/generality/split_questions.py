"""Split data/questions.jsonl into a dev set (tuned on) and a frozen test set (never tuned on).

Rule (deterministic, no randomness): group the questions by `kind`, sort each group by `id`,
and number them 0, 1, 2, ... within the group; a question whose number n has n % 5 in {1, 3}
goes to the test set, every other one to dev. That is 2 of every 5 (about 40 %) per kind, and
every kind with at least 2 questions has at least one question in each set. Lines are copied
byte for byte, in the order of data/questions.jsonl, so the split can be checked with `diff`.

    python eval/generality/split_questions.py          # writes data/questions-{dev,test}.jsonl
    python eval/generality/split_questions.py --check  # exits 1 if the files differ from the rule
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "data" / "questions.jsonl"
DEV = ROOT / "data" / "questions-dev.jsonl"
TEST = ROOT / "data" / "questions-test.jsonl"
TEST_POSITIONS = {1, 3}  # n % 5 for the n-th question of a kind (sorted by id) that goes to test


def split(lines: list[str]) -> tuple[list[str], list[str]]:
    """(dev lines, test lines), each in input order."""
    rows = [(line, json.loads(line)) for line in lines if line.strip()]
    by_kind: dict[str, list[str]] = defaultdict(list)
    for _, obj in rows:
        by_kind[obj.get("kind") or ""].append(obj["id"])
    test_ids = {qid for ids in by_kind.values() for n, qid in enumerate(sorted(ids)) if n % 5 in TEST_POSITIONS}
    dev = [line for line, obj in rows if obj["id"] not in test_ids]
    test = [line for line, obj in rows if obj["id"] in test_ids]
    return dev, test


def main() -> int:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    dev, test = split(lines)
    want = {DEV: "\n".join(dev) + "\n", TEST: "\n".join(test) + "\n"}
    if "--check" in sys.argv[1:]:
        bad = [p for p, text in want.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in bad:
            print(f"{p.relative_to(ROOT)} does not match the split rule", file=sys.stderr)
        return 1 if bad else 0
    for p, text in want.items():
        p.write_text(text, encoding="utf-8")
    print(f"dev {len(dev)}, test {len(test)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
