"""Checked release: the model's text reaches the reader one complete, checked sentence at a time.

A draft shown before the checks run can be taken back ("Yes, <a claim> [1]."
replaced a second later by whose claim it is, or by the refusal); a reader
who glanced, a screenshot or a program reading the stream has the unchecked
claim. Here every whole-answer check runs on the draft so far each time a
sentence completes, and text is released only when the checked draft extends
what is already shown. A sentence the checks refuse, or one whose checked
form would change a sentence already shown, is held back; held sentences
that never pass are dropped. So every state of the stream is a prefix of the
final answer, by construction.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.answering.evidence import is_refusal
from rag.text.sentences import complete_end
from rag.types import REFUSAL

#: checks a draft: (checked text, notes of what the checks changed); REFUSAL or "" when nothing may be shown
CheckFn = Callable[[str], tuple[str, list[str]]]


class CheckedRelease:
    """Feed the model's (marker-filtered) deltas; get back only text that has passed every check."""

    def __init__(self, check: CheckFn) -> None:
        self.check = check
        self.shown = ""  # everything released so far: the final answer starts with it
        self.notes: list[str] = []
        self._buffer = ""  # the model's text so far
        self._fed = 0  # how much of the buffer is in ``_accepted`` or ``_held``
        self._accepted = ""  # the model text whose checked form is ``shown``
        self._held = ""  # complete sentences waiting for a check to pass

    def feed(self, delta: str) -> str:
        """Text newly safe to show (often ""): released when a sentence completes and the draft passes."""
        self._buffer += delta
        end = complete_end(self._buffer)
        if end <= self._fed:
            return ""
        self._held += self._buffer[self._fed : end]
        self._fed = end
        return self._try()

    def finish(self, *, complete: bool = True) -> str:
        """The last release once the model is done (``complete=False``: it failed, its unfinished sentence goes).

        Nothing shown and nothing passing: the refusal, unless the model failed
        (the caller then says so instead).
        """
        if complete:
            self._held += self._buffer[self._fed :]
            self._fed = len(self._buffer)
        out = self._try()
        if self._held.strip():
            self.notes.append("release: held back sentences the checks refused or that would change shown text")
            self._held = ""
        if not self.shown and complete:
            out = self._release(REFUSAL)
        return out

    def _try(self) -> str:
        raw = self._accepted + self._held
        candidate = raw.strip()
        if not candidate or is_refusal(candidate):
            return ""  # a refusal is shown only if nothing else ever passes
        checked, notes = self.check(candidate)
        checked = checked.strip()
        if not checked or checked == REFUSAL or not checked.startswith(self.shown):
            return ""
        self._accepted, self._held, self.notes = raw, "", list(notes)
        return self._release(checked[len(self.shown) :]) if checked != self.shown else ""

    def _release(self, text: str) -> str:
        self.shown += text
        return text


__all__ = ["CheckFn", "CheckedRelease"]
