"""Check the labelled question sets of the generality protocol (docs/evaluation-sets.md).

For data/questions-dev.jsonl, data/questions-test.jsonl and eval/second-corpus/questions.jsonl:
every line parses and has the fields its kind needs, ids are unique, every source file exists,
and the answer keys occur in the text of the question's sources (second corpus: every key;
seed sets, whose keys include paraphrases the article does not use: at least one, or every
one with "all": true), as does, for claim/denial, at least one claimant name; all matched the
way the scorer matches answers (rag.evaluation: case-folded, dash and quote styles unified, whole
words). Second-corpus text is the article body of eval/second-corpus/ground-truth.json, and
also, as a cross-check, the visible text of the page itself. Also checks that dev + test is exactly
data/questions.jsonl and follows the split rule.

    python eval/generality/check_sets.py     # prints counts per kind; exit 1 on any error
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SC = ROOT / "eval" / "second-corpus"
SETS = {
    "dev": ROOT / "data" / "questions-dev.jsonl",
    "test": ROOT / "data" / "questions-test.jsonl",
    "second-corpus": SC / "questions.jsonl",
}
KINDS_NEEDING = {"claim": ("claimant",), "denial": ("claimant", "denial")}

# Same normalisation and whole-word rule as rag.evaluation.contains_phrase (copied so this
# script runs with the standard library only).
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'}


def normalize_text(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).casefold()
    return " ".join(t.replace("-", " ").split())


def contains_phrase(text: str, phrase: str) -> bool:
    p = normalize_text(phrase)
    head = r"(?<!\w)" if p[:1].isalnum() else ""
    tail = r"(?!\w)" if p[-1:].isalnum() else ""
    return bool(p) and re.search(head + re.escape(p) + tail, normalize_text(text)) is not None


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style", "noscript"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(gz: Path) -> str:
    parser = _Visible()
    parser.feed(gzip.decompress(gz.read_bytes()).decode("utf-8", "replace"))
    return " ".join(parser.parts)


def load(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{n}: invalid JSON ({exc.msg})")
    return rows


def texts_for(name: str) -> dict[str, str]:
    """{source file name: text(s) to check against}; a second-corpus page gives two texts."""
    if name == "second-corpus":
        truth = json.loads((SC / "ground-truth.json").read_text(encoding="utf-8"))
        out = {}
        for gz in sorted((SC / "pages").glob("*.html.gz")):
            pid = gz.name[: -len(".html.gz")]
            out[pid + ".html"] = truth[pid]["articleBody"]
            out[pid + ".html (page)"] = page_text(gz)
        return out
    return {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")}


def check(name: str, rows: list[dict], errors: list[str], warnings: list[str]) -> None:
    texts = texts_for(name)
    seen: set[str] = set()
    for q in rows:
        where = f"{name}:{q.get('id')}"
        if not isinstance(q.get("id"), str) or q["id"] in seen:
            errors.append(f"{where}: missing or duplicate id")
        seen.add(q.get("id"))
        if ("question" in q) == ("turns" in q):
            errors.append(f"{where}: give exactly one of question/turns")
        kind, answers, sources = q.get("kind"), q.get("answers", []), q.get("sources", [])
        if not isinstance(q.get("all", False), bool):
            errors.append(f"{where}: 'all' must be a bool")
        for field in KINDS_NEEDING.get(kind, ()):
            if field not in q:
                errors.append(f"{where}: kind {kind} needs '{field}'")
        if kind == "denial" and q.get("denial") is not True:
            errors.append(f'{where}: denial questions carry "denial": true')
        if kind == "unanswerable" and (answers or sources):
            errors.append(f"{where}: unanswerable questions have no answers and no sources")
        if kind == "followup" and len(q.get("turns", [])) < 2:
            errors.append(f"{where}: a follow-up has at least two turns")
        if kind == "twoarticle" and (len(set(sources)) < 2 or not q.get("all")):
            errors.append(f"{where}: twoarticle needs two sources and all: true")
        if bool(answers) != bool(sources):
            errors.append(f"{where}: answers and sources go together")
        missing = [s for s in sources if s not in texts]
        if missing:
            errors.append(f"{where}: unknown source(s) {missing}")
            continue
        for label, suffix in (("article text", ""), ("page text", " (page)")):
            bodies = [texts[s + suffix] for s in sources if s + suffix in texts]
            if not bodies:
                continue
            sink = errors if label == "article text" else warnings
            found = [a for a in answers if any(contains_phrase(b, a) for b in bodies)]
            if name == "second-corpus" or q.get("all"):
                # Every key is literally in the text (the seed sets also list paraphrases of
                # the answer that the article does not use, so there one key is enough).
                for a in answers:
                    if a not in found:
                        sink.append(f"{where}: answer {a!r} not in the sources' {label}")
            elif answers and not found:
                sink.append(f"{where}: no answer key in the sources' {label}")
            if q.get("all") and len(bodies) > 1:
                for s, b in zip(sources, bodies, strict=True):
                    if not any(contains_phrase(b, a) for a in answers):
                        sink.append(f"{where}: no answer key in {s}'s {label}")
            claimant = q.get("claimant", [])
            if claimant and not any(contains_phrase(b, c) for b in bodies for c in claimant):
                sink.append(f"{where}: no claimant name in the sources' {label}")


def main() -> int:
    errors: list[str] = []
    warnings: list[str] = []
    loaded = {name: load(path, errors) for name, path in SETS.items()}
    for name, rows in loaded.items():
        check(name, rows, errors, warnings)
        kinds = Counter(q.get("kind") for q in rows)
        print(f"{name}: {len(rows)} questions, " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    # dev + test = data/questions.jsonl, disjoint, and by the split rule.
    sys.path.insert(0, str(Path(__file__).parent))
    from split_questions import SOURCE, split

    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    dev, test = split(lines)
    got_dev = SETS["dev"].read_text(encoding="utf-8").splitlines()
    got_test = SETS["test"].read_text(encoding="utf-8").splitlines()
    if got_dev != dev or got_test != test:
        errors.append("dev/test files do not follow the split rule (run split_questions.py)")
    ids = [q["id"] for name in ("dev", "test") for q in loaded[name]]
    if sorted(ids) != sorted(json.loads(x)["id"] for x in lines if x.strip()):
        errors.append("dev + test is not exactly data/questions.jsonl")
    sc_ids = {q["id"] for q in loaded["second-corpus"]}
    if sc_ids & set(ids):
        errors.append(f"second-corpus ids clash with data ids: {sorted(sc_ids & set(ids))}")
    return report(errors, warnings)


def report(errors: list[str], warnings: list[str]) -> int:
    """Print the warnings and errors; the exit status (1 when there is an error)."""
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
