"""Dates as news text, feeds and metadata write them → ISO 8601 (`2022-01-21`).

Only the calendar day is kept: a timestamp `2022-01-21T23:30:00-05:00` is the 21st where it was published,
and that is the day readers and the dateline mean, so no time zone conversion happens.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_tz

# German (incl. Austrian "Jänner", "Feber"), English, and their usual abbreviations; keys are lowercase.
_MONTH_NAMES = (
    ("januar", "jänner", "jaenner", "jan", "jän", "january"),
    ("februar", "feber", "feb", "february"),
    ("märz", "maerz", "mär", "mrz", "mar", "march"),
    ("april", "apr"),
    ("mai", "may"),
    ("juni", "jun", "june"),
    ("juli", "jul", "july"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "okt", "oct", "october"),
    ("november", "nov"),
    ("dezember", "dez", "dec", "december"),
)
MONTHS: dict[str, int] = {name: n for n, names in enumerate(_MONTH_NAMES, start=1) for name in names}

_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s_])")
_ISO_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_YMD_SLASH = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})\b")
# 21.1.2022, 21.01.22, "21. 1. 2022" — the German numeric order, possibly after a weekday.
_DMY_DOTS = re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)")
_MONTH_WORD = r"([A-Za-zÄÖÜäöü]{3,9})\.?"
# "21. Jänner 2022", "21 Jan 2022", "Freitag, 21. Januar 2022, 14:30"
_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})\.?\s+" + _MONTH_WORD + r",?\s+(\d{4})(?!\d)")
# "January 21, 2022", "Jan 21 2022"
_MONTH_D_Y = re.compile(_MONTH_WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


def parse_date(value: object) -> str:
    """Any common date spelling → `YYYY-MM-DD`, or "" when it cannot be read as a real calendar day.

    Handles ISO dates and timestamps, `21.1.2022`, `21. Jänner 2022` (German and Austrian month names),
    English month names, and RFC 2822 as used in RSS (`Fri, 21 Jan 2022 14:30:00 +0100`).
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip()
    for parse in (_parse_iso, _parse_rfc2822, _parse_numeric_german, _parse_month_names):
        result = parse(text)
        if result:
            return result
    return ""


def _iso(year: int, month: int, day: int) -> str:
    """The ISO day, or "" for impossible dates (31.2.) and years no news archive holds."""
    if not 1800 <= year <= 2200:
        return ""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _parse_iso(text: str) -> str:
    for pattern in (_ISO, _ISO_COMPACT, _YMD_SLASH):
        match = pattern.match(text)
        if match:
            return _iso(int(match[1]), int(match[2]), int(match[3]))
    return ""


def _parse_rfc2822(text: str) -> str:
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}", text):
        return ""  # parsedate_tz is lenient enough to misread other formats
    parsed = parsedate_tz(text)
    if parsed is None:
        return ""
    year = parsed[0] + 2000 if parsed[0] < 100 else parsed[0]
    return _iso(year, parsed[1], parsed[2])


def _parse_numeric_german(text: str) -> str:
    match = _DMY_DOTS.search(text)
    if not match:
        return ""
    year = int(match[3])
    if len(match[3]) == 2:  # "21.1.22": two-digit years are this century unless that is far in the future
        year += 2000 if year < 70 else 1900
    return _iso(year, int(match[2]), int(match[1]))


def _parse_month_names(text: str) -> str:
    match = _D_MONTH_Y.search(text)
    if match and match[2].lower() in MONTHS:
        return _iso(int(match[3]), MONTHS[match[2].lower()], int(match[1]))
    match = _MONTH_D_Y.search(text)
    if match and match[1].lower() in MONTHS:
        return _iso(int(match[3]), MONTHS[match[1].lower()], int(match[2]))
    return ""
