"""Citation markers: find them, drop the ones that name no given passage, and
do it while streaming without ever showing a half-written marker.

A marker is ``[1]``, ``[1, 2]``, ``[1;2]`` or a range ``[1-3]`` (adjacent
markers like ``[1][2]`` are simply two markers). Valid markers are rendered in
one canonical form (``[1, 2]``); a marker whose numbers are all invalid is
removed together with the spaces before it (and, at the start of a line, the
spaces after it), so ``"said [7]."`` becomes ``"said."``.

:func:`repair` is defined as running :class:`MarkerStreamFilter` over the whole
text, so streamed and non-streamed answers are identical by construction; the
tests check that any split of the input into deltas gives the same output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUM = r"\d{1,3}"
_SEP = r"[,;\-\u2013]"
#: a complete marker
MARKER = re.compile(rf"\[\s*{_NUM}(?:\s*{_SEP}\s*{_NUM})*\s*\]")
_FULL = MARKER
#: every proper prefix of a complete marker (and nothing that cannot become one)
_PREFIX = re.compile(rf"\[\s*(?:{_NUM}(?:\s*{_SEP}\s*{_NUM})*(?:\s*{_SEP})?\s*)?")
_ITEM_SPLIT = re.compile(r"[,;]")
_MAX_MARKER_CHARS = 40  # longer bracket text is not a citation
_MAX_RANGE = 20

_HSPACE = frozenset(" \t")
_CLOSERS = frozenset(".,;:!?)\n")


def _marker_numbers(marker: str) -> list[int]:
    """Numbers a complete marker names, ranges expanded, in order, de-duplicated."""
    out: list[int] = []
    for item in _ITEM_SPLIT.split(marker.strip("[] \t\n")):
        nums = [int(x) for x in re.findall(r"\d+", item)]
        if len(nums) == 2 and 0 <= nums[1] - nums[0] <= _MAX_RANGE:
            nums = list(range(nums[0], nums[1] + 1))
        for n in nums:
            if n not in out:
                out.append(n)
    return out


def each_marker(text: str) -> list[int]:
    """Every number cited in ``text``, marker by marker, repeats kept (what evaluation counts)."""
    return [n for m in _FULL.finditer(text) for n in _marker_numbers(m.group())]


def find_markers(text: str) -> list[int]:
    """Passage numbers cited in ``text``, in order of first appearance, without repeats."""
    out: list[int] = []
    for m in _FULL.finditer(text):
        for n in _marker_numbers(m.group()):
            if n not in out:
                out.append(n)
    return out


def strip_markers(text: str) -> str:
    """``text`` without any markers (and the spaces before them)."""
    return re.sub(rf"\s*{_FULL.pattern}", "", text)


def format_marker(numbers: Iterable[int]) -> str:
    """Canonical marker text, e.g. ``[1, 2]``; empty for no numbers."""
    nums = list(numbers)
    return f"[{', '.join(str(n) for n in nums)}]" if nums else ""


class MarkerStreamFilter:
    """Streaming twin of :func:`repair`: ``feed`` deltas, then ``flush`` once.

    Holds back trailing spaces and a possibly-incomplete ``[...`` until the
    next character decides them, so an invalid or dangling marker never
    reaches the screen. An unclosed marker at the end of the stream (answer
    cut by the token limit) is dropped.
    """

    def __init__(self, valid: Iterable[int]) -> None:
        self.valid = frozenset(valid)
        self._space = ""  # held horizontal whitespace
        self._marker = ""  # held "[..." that may still become a marker
        self._line_start = True  # output so far is empty or ends with a newline
        self._eat_space = False  # an invalid marker at line start was just dropped: skip spaces
        self._dropped = False  # the held space came before a dropped marker

    def feed(self, delta: str) -> str:
        out: list[str] = []
        for ch in delta:
            self._step(ch, out)
        return "".join(out)

    def flush(self) -> str:
        """Emit what is still held: trailing spaces stay, a dangling ``[..`` goes."""
        out = "" if self._marker or self._dropped else self._space
        self._space = self._marker = ""
        self._dropped = self._eat_space = False
        return out

    # -- internals ---------------------------------------------------------------

    def _emit(self, text: str, out: list[str]) -> None:
        if text:
            out.append(text)
            self._line_start = text.endswith("\n")
            self._eat_space = self._dropped = False

    def _step(self, ch: str, out: list[str]) -> None:
        if self._marker:
            candidate = self._marker + ch
            if ch == "]" and _FULL.fullmatch(candidate):
                self._close(candidate, out)
                return
            if len(candidate) <= _MAX_MARKER_CHARS and _PREFIX.fullmatch(candidate):
                self._marker = candidate
                return
            if ch == "[":
                # "[1[" is a garbled citation: drop it, or "[1" + dropped "[7]" + "2]" would
                # assemble a new marker "[12]" that nobody checked
                self._marker = ""
            else:  # not a citation after all: release it as plain text, then look at ch afresh
                self._emit(self._space + self._marker, out)
                self._space = self._marker = ""
        if ch in _HSPACE:
            if not (self._eat_space or (self._dropped and self._space)):
                self._space += ch
        elif ch == "[":
            self._marker = ch
        else:
            if self._dropped and ch in _CLOSERS:
                self._space = ""  # "said [7]." -> "said."
            self._emit(self._space + ch, out)
            self._space = ""

    def _close(self, marker: str, out: list[str]) -> None:
        kept = [n for n in _marker_numbers(marker) if n in self.valid]
        self._marker = ""
        if kept:
            self._emit(self._space + format_marker(kept), out)
            self._space = ""
        elif self._line_start:
            self._space = ""
            self._eat_space = True  # "[7] Foo" at a line start becomes "Foo"
        else:
            self._dropped = True  # keep the space before it for whatever comes next


def repair(text: str, valid: set[int] | frozenset[int]) -> str:
    """``text`` with markers naming passages outside ``valid`` removed and spacing tidied.

    ``[1,7]`` with only 1 valid becomes ``[1]``; ``"said [7]."`` becomes ``"said."``.
    """
    f = MarkerStreamFilter(valid)
    return f.feed(text) + f.flush()


__all__ = ["MarkerStreamFilter", "find_markers", "format_marker", "repair", "strip_markers"]
