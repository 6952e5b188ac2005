"""Citation markers: parsing, repair, and the streaming filter's split-invariance."""

from __future__ import annotations

import itertools
import random

import pytest

from rag.text.markers import MarkerStreamFilter, each_marker, find_markers, format_marker, repair


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lavrov said so [1].", [1]),
        ("Both [1, 2] and [2][3].", [1, 2, 3]),
        ("Range [1-3] and [2;4]", [1, 2, 3, 4]),
        ("Not markers: [sic], [a], [] and [1 2].", []),
        ("Repeated [2] then [1] then [2].", [2, 1]),
        ("Spaced [ 3 , 1 ]", [3, 1]),
    ],
)
def test_find_markers(text: str, expected: list[int]) -> None:
    assert find_markers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lavrov said so [1].", "Lavrov said so [1]."),
        ("Lavrov said so [7].", "Lavrov said so."),
        ("Lavrov said so [1,7].", "Lavrov said so [1]."),
        ("Lavrov said so [7, 1, 1].", "Lavrov said so [1]."),
        ("A [1][7] b.", "A [1] b."),
        ("A [7][2] b.", "A [2] b."),
        ("A [7] b [8], c.", "A b, c."),
        ("[7] Starts here [1].", "Starts here [1]."),
        ("One [1].\n[9] Two [2].", "One [1].\nTwo [2]."),
        ("Keeps [sic] and [the West] [1].", "Keeps [sic] and [the West] [1]."),
        ("Range [1-3].", "Range [1, 2]."),
        ("Cut off at the end [1", "Cut off at the end"),
        ("Garbled [1[7]2] here", "Garbled 2] here"),
        ("Garbled [1[2] here", "Garbled [2] here"),
        ("Cut off [", "Cut off"),
        ("Trailing space  ", "Trailing space  "),
        ("Refusal with marker [9]", "Refusal with marker"),
    ],
)
def test_repair(text: str, expected: str) -> None:
    assert repair(text, {1, 2}) == expected


def test_repair_is_idempotent_and_keeps_valid_markers_canonical() -> None:
    text = "X said Y [1,2]. Z claimed W [3]. [2]"
    once = repair(text, {1, 2})
    assert once == "X said Y [1, 2]. Z claimed W. [2]"
    assert repair(once, {1, 2}) == once
    assert format_marker([]) == ""


def test_stream_filter_holds_back_partial_markers() -> None:
    f = MarkerStreamFilter({1, 2})
    shown = [f.feed("Lavrov said "), f.feed("so ["), f.feed("1"), f.feed(", 7"), f.feed("]."), f.flush()]
    assert shown[:3] == ["Lavrov said", " so", ""]  # the space and "[1" wait until the marker resolves
    assert "".join(shown) == "Lavrov said so [1]."
    for piece in shown:
        assert "[" not in piece or piece.endswith("]") or "]" in piece


_ALPHABET = [
    "[",
    "]",
    "1",
    "2",
    "7",
    "12",
    ",",
    ";",
    "-",
    " ",
    " ",
    "\n",
    "a",
    "b",
    ".",
    "said ",
    "[1]",
    "[7]",
    "[1, 7]",
]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40)))


def _random_split(rng: random.Random, text: str) -> list[str]:
    cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 8))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def test_any_split_into_deltas_gives_the_same_output_as_repair() -> None:
    """Property-style: 3,000 random marker-heavy strings, each cut at random points."""
    rng = random.Random(20240624)
    valid = {1, 2}
    for _ in range(3000):
        text = _random_text(rng)
        whole = repair(text, valid)
        f = MarkerStreamFilter(valid)
        streamed = "".join(f.feed(d) for d in _random_split(rng, text)) + f.flush()
        assert streamed == whole, (text, streamed, whole)
        # char-by-char is the most fragmented split of all
        g = MarkerStreamFilter(valid)
        assert "".join(g.feed(c) for c in text) + g.flush() == whole
        # nothing invalid survives, and repair is idempotent (except that literal text like
        # "[2" left at the very end, e.g. from "[2[7]", looks dangling the second time and goes)
        assert set(find_markers(whole)) <= valid
        again = repair(whole, valid)
        assert again == whole or (whole.startswith(again) and "[" in whole[len(again) :])


def test_no_invalid_marker_is_ever_emitted_mid_stream() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = _random_text(rng)
        f = MarkerStreamFilter({1})
        shown = ""
        for d in _random_split(rng, text):
            shown += f.feed(d)
            assert set(find_markers(shown)) <= {1}, (text, shown)


def test_each_marker_keeps_repeats_and_expands_ranges() -> None:
    assert each_marker("a [1] b [2, 3][4] c [x] [12] d [1] e [2-4]") == [1, 2, 3, 4, 12, 1, 2, 3, 4]
