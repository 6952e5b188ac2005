"""Who says what: the sentences of an article that report speech or a claim, each with its speaker.

News is mostly reported speech ("Lavrov said…", "according to the Taliban…",
"the Belarusian leader stressed…"); a claim in an article is the speaker's
claim, not a fact. Small models drop the speaker and state the claim as fact,
so the speaker is worked out here, once per document at index time, where the
whole article is at hand to resolve "he", "the minister" or "the Belarusian
leader" to the person named earlier. The answer checks then hold the model to it.

spaCy's small English pipeline (a pinned PyPI re-upload of ``en_core_web_sm``
3.8.0, MIT) gives sentences, named entities and the subject of each verb; the
reporting verbs and the resolution rules are ours and are written for the kind
of sentence, not for any article.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rag.speaker_pipeline import in_scope, nlp
from rag.text.lexicon import DENYING, DENYING_PHRASES, NOT_SPEAKERS, POSSESSIVE, PRONOUNS, REPORTING
from rag.text.sentences import quote_depth
from rag.types import Attribution

MAX_SPEAKER_WORDS = 7
#: a sentence that is one whole quotation: “…” (straight quotes only when they plainly open and close it)
_WHOLE_QUOTE = re.compile(r"^\s*(?:“[^“”]+”|\"\S[^\"]*[.?!,]\"|«[^«»]+»)\s*$")


def _trim(phrase: str) -> str:
    """Spaces, edge punctuation and a dangling possessive off: a speaker is never "Ana Ruiz's"."""
    return POSSESSIVE.sub("", " ".join(phrase.split())).strip(" ,.;:\"'“”‘’")


def _clean(phrase: str) -> str:
    """A name without its article: "the Taliban" → "Taliban"."""
    return _trim(re.sub(r"^\s*(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE))


def _described(phrase: str) -> str:
    """A description keeps its article, lower-cased to follow "according to": "the company"."""
    return re.sub(r"^(?:The|A|An)\b", lambda m: m.group(0).lower(), _trim(phrase))


class _People:
    """Persons named so far in the article, with the role words seen next to each name."""

    def __init__(self) -> None:
        self.names: list[str] = []  # in order of latest mention, full forms
        self.roles: dict[str, set[str]] = {}
        self.count: dict[str, int] = {}
        self.speaker: str | None = None  # the latest resolved speaker: "he" usually goes on about them

    def mention(self, name: str, roles: set[str]) -> str:
        full = self.full(name)
        if full in self.names:
            self.names.remove(full)
        self.names.append(full)
        self.roles.setdefault(full, set()).update(roles)
        self.count[full] = self.count.get(full, 0) + 1
        return full

    def meet(self, persons: list[tuple[str, set[str]]]) -> None:
        for name, roles in persons:
            self.mention(name, roles)

    def full(self, name: str) -> str:
        """ "Lavrov" → "Sergey Lavrov" when the article named him in full before."""
        last = name.split()[-1].lower()
        for known in reversed(self.names):
            if known.split()[-1].lower() == last and len(known) >= len(name):
                return known
        return name

    def last(self) -> str | None:
        return self.speaker or (self.names[-1] if self.names else None)

    def with_role(self, words: set[str]) -> str | None:
        """The person whose role words best match ``words`` ("foreign minister").

        On a tie the one the article names most often wins (its protagonist:
        "X told a press conference with his counterpart Y …, the foreign
        minister said" is about X), then the latest.
        """
        best, key = None, (0, 0, 0)
        for order, known in enumerate(self.names):
            k = (len(words & self.roles.get(known, set())), self.count.get(known, 0), order)
            if k[0] > 0 and k > key:
                best, key = known, k
        return best


def _role_words(tokens: Any) -> set[str]:
    """Content words naming a role, normalised so that "Russian"/"Russia's" and "Ministers"/"minister" meet."""
    return {t.lemma_.lower()[:6] for t in tokens if t.pos_ in ("NOUN", "PROPN", "ADJ") and len(t.text) > 2}


def _roles_near(ent: Any) -> set[str]:
    """Role words of a name's own phrase ("Belarusian President …", "Russia's top diplomat, …") or apposition.

    Only words the parse joins to the name count: "The group said on Twitter" gives Twitter no role.
    """
    doc, root = ent.doc, ent.root
    roles = _role_words(doc[max(ent.start - 4, ent.sent.start, root.left_edge.i) : ent.start])
    if root.dep_ == "appos":  # "the foreign minister, Sergey Lavrov,"
        roles |= _role_words(t for t in root.head.subtree if t.i <= root.head.i)
    for t in root.children:
        if t.dep_ == "appos":
            roles |= _role_words(t.subtree)
    return roles - _role_words(ent)


def _speaker(phrase_tokens: list[Any], people: _People, article: _People) -> str | None:
    """A name for the speaker phrase: the person it names, the person a pronoun or role points back to, or itself."""
    span = phrase_tokens[0].doc[phrase_tokens[0].i : phrase_tokens[-1].i + 1]
    head = span.root
    # the person the phrase is ("President Aleksandr Lukashenko"), not one it mentions ("Rudolph's supporters")
    persons = [e for e in span.ents if e.label_ == "PERSON" and e.start <= head.i < e.end]
    if persons:
        return people.full(_clean(persons[0].text))
    words = [t for t in span if not t.is_punct]
    if len(words) == 1 and words[0].lower_ in PRONOUNS | NOT_SPEAKERS:
        return people.last() if words[0].lower_ in ("he", "she", "him", "her") else None
    # one person's role ("the Russian foreign minister", "the President"), not a group's ("the Democrats") nor a
    # place's ("China said …" is not China's ambassador)
    if head.tag_ in ("NN", "NNP") and not any(e.label_ == "ORG" or e.start <= head.i < e.end for e in span.ents):
        roles = _role_words(span)
        if head.lemma_.lower()[:6] not in roles:
            named = None
        else:
            named = people.with_role(roles)
            definite = span[0].lower_ == "the" and not any(t.dep_ == "poss" for t in span)
            if named is None and definite:
                named = article.with_role(roles)  # "the foreign minister said" before the article names him
        if named:
            return named
    if head.pos_ == "PRON" and len(words) >= 3:  # "those in favour of punishment have said …"
        return _described(span.text)
    if head.pos_ not in ("PROPN", "NOUN"):  # a parse that made a verb or adjective the subject ("Hosted …")
        return None
    # a name stands bare ("the Taliban" → "Taliban"); a description keeps its article: "according to the company"
    text = _clean(span.text) if head.pos_ == "PROPN" else _described(span.text)
    if not text or len(text.split()) > MAX_SPEAKER_WORDS:
        return None
    return text


def _negated(verb: Any) -> bool:
    """The verb denies, or the clause it reports is negated ("…are not conducting…")."""
    if verb.lemma_.lower() in DENYING or any(c.dep_ == "neg" for c in verb.children):
        return True
    if any((verb.lemma_.lower(), c.lower_) in DENYING_PHRASES for c in verb.children if c.dep_ == "prt"):
        return True  # "ruled out talks"
    return any(t.dep_ == "neg" for c in verb.children if c.dep_ in ("ccomp", "xcomp") for t in c.subtree)


__all__ = ["attribute", "attribute_many", "from_metadata", "nlp", "to_metadata"]  # nlp: for the answer checks


def attribute(text: str) -> list[Attribution]:
    """The reported-speech sentences of ``text`` (a cleaned article), in order."""
    return _attributions(nlp()(in_scope(text)), text)


def attribute_many(texts: Sequence[str], batch_size: int = 16) -> list[list[Attribution]]:
    """:func:`attribute` for many articles in one ``nlp.pipe`` pass: spaCy batches its neural components."""
    docs = nlp().pipe((in_scope(text) for text in texts), batch_size=batch_size)
    return [_attributions(doc, text) for doc, text in zip(docs, texts, strict=True)]


def _bounds(sent: Any, text: str, blanked: str | None) -> tuple[int, int]:
    """A sentence's characters as an unblanked parse gives them: blanked sentences around it (:func:`in_scope`
    gave ``blanked``) are left out, and it keeps the line breaks after it as spaCy's sentences do."""
    a, b = sent.start_char, sent.end_char
    if blanked is None:
        return a, b
    seen = blanked[a:b]
    a += len(seen) - len(seen.lstrip())
    end = a + len(seen.strip())
    gap = len(text) - end - len(text[end:].lstrip())
    return a, end if gap <= 1 and not text[end : end + gap].strip(" ") else end + gap


def _attributions(doc: Any, text: str | None = None) -> list[Attribution]:
    """Who says what in ``doc``, the parse of ``text`` or of its :func:`in_scope` blanking."""
    blanked = None if text is None or doc.text == text else doc.text
    text = doc.text if text is None else text
    people = _People()
    article = _People()  # everyone the article names, with their roles: for a role it uses before the name
    named: dict[int, list[tuple[str, set[str]]]] = {}  # sentence start -> (person, roles), worked out once
    for ent in doc.ents:
        if ent.label_ == "PERSON" and len(ent.text.split()) <= 4:
            named.setdefault(ent.sent.start, []).append((_clean(ent.text), _roles_near(ent)))
    for persons in named.values():
        article.meet(persons)
    out: list[Attribution] = []
    quoted: list[Any] = []  # sentences of a quotation still open: its speaker comes where it closes
    depth = 0
    last: str | None = None  # the speaker of the sentence just before, when it had one
    for sent in doc.sents:
        depth = min(max(quote_depth(sent.text, depth), 0), 1)  # open or not: stray closing marks don't count
        found: tuple[str, bool] | None = None
        for tok in sent:
            if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
                obj = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
                if obj:
                    who = _speaker(list(obj[0].subtree), people, article)
                    if who:
                        found = (who, False)
                        break
        if found is None:
            verbs = [t for t in sent if t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in REPORTING]
            verbs.sort(key=lambda t: t.dep_ != "ROOT")  # "X will tell you everything," the President said
            for tok in verbs:
                subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
                if not subj and tok.dep_ in ("advcl", "xcomp", "conj") and tok.head.pos_ in ("VERB", "AUX"):
                    # "X weighed in on Monday, saying that …": the participle's speaker is its clause's subject
                    subj = [c for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass")]
                if subj and subj[0].dep_ == "nsubj":
                    who = _speaker(list(subj[0].subtree), people, article)
                    if who:
                        found = (who, _negated(tok))
                        break
        people.meet(named.get(sent.start, []))  # after the speaker: "he" in this sentence means someone named before it
        if found:
            who = people.full(found[0])
            if who in people.names:  # "he" and "she" go on about the last person who spoke, not "the company"
                people.speaker = who
            out += [Attribution(*_bounds(q, text, blanked), who) for q in quoted]
            out.append(Attribution(*_bounds(sent, text, blanked), who, found[1]))
            quoted = []
            depth = 0  # the attribution closes the quotation, whatever quote marks it was typed with
            last = who
        elif depth > 0:
            quoted.append(sent)
        elif last and _WHOLE_QUOTE.match(sent.text):  # “…” straight after an attributed sentence: they go on
            out.append(Attribution(*_bounds(sent, text, blanked), last))
        else:
            quoted, last = [], None
    return out


def to_metadata(attributions: list[Attribution], start: int, end: int) -> str:
    """The attributions overlapping ``[start, end)`` as compact JSON, offsets relative to ``start``."""
    rows = [
        [max(a.start, start) - start, min(a.end, end) - start, a.speaker, int(a.denial)]
        for a in attributions
        if a.start < end and a.end > start
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def from_metadata(raw: object) -> list[Attribution]:
    """Inverse of :func:`to_metadata` (offsets stay relative to the chunk); bad input gives []."""
    if not isinstance(raw, str) or not raw:
        return []
    try:
        return [Attribution(int(a), int(b), str(s), bool(d)) for a, b, s, d in json.loads(raw)]
    except (ValueError, TypeError):
        return []
