"""Check the two-article set (eval/two-article/, issue #21) and write or check its dev/test split.

Checks, all with the scorer's phrase matching (rag.evaluation.contains_phrase: case-folded, dash
and quote styles unified, hyphens read as spaces, whole words), via eval/generality/check_sets.py:

- every line of questions.jsonl parses, ids are unique, start with "ta-" and do not clash with the
  seed sets or the second corpus; kinds are "twoarticle" or "fact";
- every source is `<id>.html` for a page in pages/ and in ground-truth.json (and pages/ and
  ground-truth.json hold the same ids);
- a fact question has one source and every key occurs in its article body;
- a twoarticle question has `"all": true`, two different sources and one key per source, in the
  same order: key i occurs in the article body of source i; and no single source's article body
  holds every key (so one article cannot answer it);
- as a cross-check (warnings only), every key also occurs in the visible text of its page;
- questions-dev.jsonl and questions-test.jsonl are questions.jsonl split by the rule of
  eval/generality/split_questions.py (per kind, sorted by id, n % 5 in {1, 3} -> test).

    python eval/two-article/check.py            # checks; exit 1 on any error
    python eval/two-article/check.py --write    # (re)writes questions-{dev,test}.jsonl, then checks
    python eval/two-article/check.py --benchmark DIR   # also: pages are byte-for-byte DIR/html/*
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "eval" / "generality"))
from check_sets import contains_phrase, page_text, report  # noqa: E402
from split_questions import split  # noqa: E402

QUESTIONS = HERE / "questions.jsonl"
DEV = HERE / "questions-dev.jsonl"
TEST = HERE / "questions-test.jsonl"
KINDS = ("twoarticle", "fact")
OTHER_SETS = (ROOT / "data" / "questions.jsonl", ROOT / "eval" / "second-corpus" / "questions.jsonl")


def check_questions(rows: list[dict], errors: list[str], warnings: list[str]) -> None:
    truth = json.loads((HERE / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {gz.name[: -len(".gz")]: gz for gz in sorted((HERE / "pages").glob("*.html.gz"))}
    if {name[: -len(".html")] for name in pages} != set(truth):
        errors.append("pages/ and ground-truth.json do not hold the same ids")
    body = {pid + ".html": rec["articleBody"] for pid, rec in truth.items()}
    visible: dict[str, str] = {}
    other_ids = {
        json.loads(x)["id"]
        for p in OTHER_SETS
        if p.exists()
        for x in p.read_text(encoding="utf-8").splitlines()
        if x.strip()
    }
    seen: set[str] = set()
    for q in rows:
        qid = q.get("id")
        where = f"{qid}"
        if not isinstance(qid, str) or not qid.startswith("ta-") or qid in seen or qid in other_ids:
            errors.append(f"{where}: id missing, duplicate, clashing with another set, or not 'ta-...'")
        seen.add(qid)
        kind, answers, sources = q.get("kind"), q.get("answers", []), q.get("sources", [])
        if kind not in KINDS:
            errors.append(f"{where}: kind must be one of {KINDS}")
            continue
        if not isinstance(q.get("question"), str) or not q["question"].strip() or "turns" in q:
            errors.append(f"{where}: needs a non-empty 'question' (and no 'turns')")
        if not answers or not all(isinstance(a, str) and a.strip() for a in answers):
            errors.append(f"{where}: needs non-empty answer keys")
            continue
        missing = [s for s in sources if s not in body or s not in pages]
        if missing or not sources:
            errors.append(f"{where}: unknown or no source(s) {missing}")
            continue
        if kind == "fact":
            if len(sources) != 1 or q.get("all", False) is not False:
                errors.append(f'{where}: a fact question has one source and "all": false')
                continue
            pairs = [(a, sources[0]) for a in answers]
        else:
            if q.get("all") is not True or len(sources) != 2 or len(set(sources)) != 2 or len(answers) != 2:
                errors.append(f'{where}: twoarticle needs "all": true, two different sources, one key per source')
                continue
            pairs = list(zip(answers, sources, strict=True))
            for s in sources:
                if all(contains_phrase(body[s], a) for a in answers):
                    errors.append(f"{where}: {s} alone holds every key; one article answers it")
        for a, s in pairs:
            if not contains_phrase(body[s], a):
                errors.append(f"{where}: key {a!r} not in the article body of {s}")
            if s not in visible:
                visible[s] = page_text(pages[s])
            if not contains_phrase(visible[s], a):
                warnings.append(f"{where}: key {a!r} not in the visible text of page {s}")


def check_pages(bench: Path, errors: list[str]) -> None:
    for gz in sorted((HERE / "pages").glob("*.html.gz")):
        src = bench / "html" / gz.name
        if not src.exists() or src.read_bytes() != gz.read_bytes():
            errors.append(f"pages/{gz.name} is not a byte-for-byte copy of {src}")
    if (bench / "LICENSE").read_bytes() != (HERE / "LICENSE").read_bytes():
        errors.append("LICENSE differs from the benchmark's")
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    mine = json.loads((HERE / "ground-truth.json").read_text(encoding="utf-8"))
    if any(truth.get(k) != v for k, v in mine.items()):
        errors.append("ground-truth.json differs from the benchmark's records")


def main(argv: list[str]) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    rows = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append(f"questions.jsonl:{n}: invalid JSON ({exc.msg})")
    dev, test = split(lines)
    if "--write" in argv:
        DEV.write_text("\n".join(dev) + "\n", encoding="utf-8")
        TEST.write_text("\n".join(test) + "\n", encoding="utf-8")
    for path, want in ((DEV, dev), (TEST, test)):
        if not path.exists() or path.read_text(encoding="utf-8").splitlines() != want:
            errors.append(f"{path.name} does not follow the split rule (run with --write)")
    check_questions(rows, errors, warnings)
    if "--benchmark" in argv:
        check_pages(Path(argv[argv.index("--benchmark") + 1]), errors)
    kinds = {
        name: Counter(json.loads(x)["kind"] for x in part if x.strip())
        for name, part in (("all", lines), ("dev", dev), ("test", test))
    }
    for name, c in kinds.items():
        print(f"{name}: {sum(c.values())} questions, " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
    return report(errors, warnings)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
