"""The words of reported speech, denial and negation, and whose claim a statement is: one home for all of them.

The speaker annotation (:mod:`rag.speakers`), the answer checks and the extractive backend all read these
lists; kept in four modules before, they had drifted apart (one knew "warned", another did not). Verbs are
lemmas, as spaCy gives them; :func:`forms` spells them out for the places that match plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.types import Statement

#: verbs whose content the speaker rejects
DENYING = frozenset("deny reject dismiss refute dispute rebut contest disavow".split())
#: verb + particle pairs that deny ("ruled out a deal")
DENYING_PHRASES = frozenset({("rule", "out")})
#: verbs that report speech, a claim or a denial
REPORTING = (
    frozenset(
        "say tell stress claim accuse allege add note state insist argue warn announce report believe suggest "
        "assert explain confirm admit reply write declare emphasize emphasise point describe call urge vow "
        "promise predict charge maintain contend acknowledge blame threaten recall quote reiterate testify "
        "tweet respond retort concede caution assure comment disclose rule".split()  # "ruled (out)"
    )
    | DENYING
)
#: the reporting verbs an answer frames a source's claim with ("X said …"): framing, not part of the claim
FRAMING = frozenset("say state note add claim report tell".split())
#: verbs whose subject owns what follows: reporting ones and those of wanting and thinking
STANCE = REPORTING | frozenset("want hope think expect consider fear feel wish see".split())
#: words that negate what follows them ("not" and "n't" are spaCy's ``neg`` dependency)
NEGATIVE_WORDS = frozenset("no never none nothing nobody neither nor".split())
PRONOUNS = frozenset("he she him her they we i".split())
#: subjects that point at a thing, not a speaker ("This suggests that…")
NOT_SPEAKERS = frozenset("this that it which who what these those there".split())

_IRREGULAR = {
    "say": ("said",),
    "tell": ("told",),
    "write": ("wrote", "written"),
    "see": ("saw", "seen"),
    "think": ("thought",),
    "feel": ("felt",),
    "rebut": ("rebutted", "rebutting"),
    "admit": ("admitted", "admitting"),
}
#: a phrase cut before what it owned ("Ana Ruiz's"): never a speaker
POSSESSIVE = re.compile(r"\s*['’]s$")


def forms(lemma: str) -> frozenset[str]:
    """The plain-text forms of a regular English verb ("deny" → denies, denied, denying), irregular ones listed."""
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        stem = lemma[:-1]
        regular = {lemma, stem + "ies", stem + "ied", lemma + "ing"}
    elif lemma.endswith("e"):
        regular = {lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    elif lemma.endswith(("s", "sh", "ch", "x")):
        regular = {lemma, lemma + "es", lemma + "ed", lemma + "ing"}
    else:
        regular = {lemma, lemma + "s", lemma + "ed", lemma + "ing"}
    if lemma in _IRREGULAR:  # "said", not "sayed"; "admitting", not "admiting"
        listed = set(_IRREGULAR[lemma])
        doubled = any(f.endswith("ing") for f in listed)
        regular = {f for f in regular if not f.endswith("d") and not (doubled and f.endswith("ing"))} | listed
    return frozenset(regular)


@lru_cache(maxsize=1)
def reported_speech() -> re.Pattern[str]:
    """A sentence that says who is speaking: any form of a reporting verb, or "according to"."""
    words = sorted({f for lemma in REPORTING for f in forms(lemma)}, key=len, reverse=True)
    return re.compile(r"\b(?:according to|" + "|".join(words) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def negation() -> re.Pattern[str]:
    """A negation or a denial anywhere in a text ("not", "n't", "never", "denied", "ruled out" …)."""
    words = sorted({f for lemma in DENYING for f in forms(lemma)} | NEGATIVE_WORDS | {"not", "without"})
    return re.compile(
        r"\b(?:" + "|".join(words) + r"|rul(?:e|es|ed|ing) out)\b|n[’']t\b",
        re.IGNORECASE,
    )


def as_claimant(speaker: str | None) -> str | None:
    """``speaker`` if it reads as a name to put after "According to": not a pronoun, nor a possessive fragment."""
    if not speaker:
        return None
    words = speaker.split()
    if (len(words) == 1 and words[0].lower() in PRONOUNS | NOT_SPEAKERS) or POSSESSIVE.search(speaker):
        return None
    return speaker


def claimant(st: Statement, outlet: str) -> str:
    """Whose claim a statement is: its speaker where the index named one, else the outlet that reports it."""
    return as_claimant(st.speaker) or outlet


__all__ = [
    "DENYING",
    "DENYING_PHRASES",
    "FRAMING",
    "NEGATIVE_WORDS",
    "NOT_SPEAKERS",
    "POSSESSIVE",
    "PRONOUNS",
    "REPORTING",
    "STANCE",
    "as_claimant",
    "claimant",
    "forms",
    "negation",
    "reported_speech",
]
