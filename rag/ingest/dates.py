"""Full dates (day, month and year) in free text, as ISO ``YYYY-MM-DD``.

Shared by every reader: the scraper's header line, Markdown front matter, the
BeautifulSoup fallback for HTML and the text of PDFs. A year or a month alone is
never turned into a day: a wrong date misleads a reader more than a missing one.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_RE = re.compile(
    rf"""(?<![\w-])(?:
        (?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})(?![\d-])
      | (?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm>{MONTH_PATTERN})\.?,?\s+(?P<dy>\d{{4}})(?!\d)
      | (?P<mm>{MONTH_PATTERN})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})(?!\d)
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def iso_if_valid(text: str) -> str | None:
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day.isoformat() if 1900 <= day.year <= 2100 else None


def _match_to_iso(m: re.Match[str]) -> str | None:
    if m.group("iy"):
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    elif m.group("dd"):
        y, mo, d = int(m.group("dy")), MONTHS[m.group("dm").lower()], int(m.group("dd"))
    else:
        y, mo, d = int(m.group("my")), MONTHS[m.group("mm").lower()], int(m.group("md"))
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= y <= 2100 else None


def find_date(text: str) -> str | None:
    """The first full date (day, month and year) in ``text`` as ISO ``YYYY-MM-DD``."""
    for m in DATE_RE.finditer(text):
        iso = _match_to_iso(m)
        if iso:
            return iso
    return None
