"""Reading a text's time expressions (see rag/when.py): each pattern's match → a spec, or nothing.

Every pattern of rag/when_words.py has a parser here that turns its match into a spec (rag/when_specs.py) — or
rejects it when the words are no time expression after all: a bare month without an anchor ("August Bebel"), a
number that counts ("2000 Soldaten"), a name ("Black Friday"), the morning ("am Morgen"), a yardstick ("so niedrig
wie im Februar"). `expressions` then keeps the leftmost-longest hits without overlaps and joins ranges ("vom 3.
bis 10. Januar"). Nothing here needs a reference day: that is rag/when_resolve.py's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.when_specs import Calendar, Days, Hit, Months, PartOf, Range, Recency, Spec, Weekday, Window, Year
from rag.when_words import (
    AGO_DE,
    AGO_EN,
    COMPARED,
    COMPARISON,
    CONNECTOR,
    COUNT_BEFORE,
    COUNT_NOUNS,
    DAY_ATOM,
    DAY_MONTH,
    DAY_WORDS,
    DECADE_ATOM,
    ISO_DATE,
    LEAD,
    LISTED,
    MONTH_ANCHORS,
    MONTH_ATOM,
    MONTH_DAY,
    MONTHS,
    NAMED_DAY,
    NEXT_WORD,
    NOT_PLURAL,
    NUMBERS,
    NUMERIC_DATE,
    PART_UNIT_ATOM,
    PARTS,
    PREVIOUS_WORD,
    PRIOR_UNITS,
    RECENCY_ATOM,
    RELATIVE,
    UNIT_ATOM,
    UNITS,
    WEEKDAY_ATOM,
    WEEKDAYS,
    WINDOW_ATOM,
    YEAR_ANCHORS,
    YEAR_ATOM,
)


def _key(word: str) -> str:
    return " ".join(word.lower().rstrip(".").split())


def _number(word: str | None) -> int | None:
    """The count a word or digits say; None for no word and for vague words ("ein paar", "few")."""
    if word is None:
        return None
    key = _key(word)
    return int(key) if key.isdigit() else NUMBERS.get(key)


def _relative(word: str) -> int:
    key = _key(word)
    return RELATIVE.get(key, RELATIVE.get(re.sub(r"e[nmrs]?$", "", key), 0))


def _part(word: str | None) -> int | None:
    return None if word is None else PARTS[_key(word).removeprefix("the ").split()[0]]


def _year(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"])
    if groups.get("yy"):  # "21.1.22": this century unless that is far ahead
        short = int(groups["yy"])
        return short + (2000 if short < 70 else 1900)
    return None


def _parse_date(match: re.Match[str], text: str, lead: str) -> Spec | None:
    groups = match.groupdict()
    month = int(groups["mon"]) if groups.get("mon") else MONTHS[_key(groups["month"])]
    day = int(groups["day"])
    last = int(groups["last"]) if groups.get("last") else day
    return Days(month, day, last, _year(match)) if last >= day else None


def _parse_month(match: re.Match[str], text: str, lead: str) -> Spec | None:
    listed = LISTED.search(text, max(0, match.start() - 8), match.start())  # "zwischen November und Jänner"
    if not (match["part"] or match["named"] or match["year"] or lead in MONTH_ANCHORS or listed):
        return None  # "August Bebel", "Wer ist März?" — a month name alone is no time expression
    return Months(MONTHS[_key(match["month"])], _year(match), _part(match["part"]))


def _parse_year(match: re.Match[str], text: str, lead: str) -> Spec | None:
    bare = not (match["part"] or match["named"])
    if bare and _is_count(text, match.start("year"), match.end()):
        return None
    return Year(int(match["year"]), _part(match["part"]), bare)


def _is_count(text: str, start: int, end: int) -> bool:
    """Whether the four digits at text[start:end] count things ("2000 Soldaten") rather than name a year."""
    if COUNT_BEFORE.search(text, max(0, start - 20), start):
        return True  # "mehr als 2000", "über 2000", "about 2000"
    following = NEXT_WORD.match(text, end)
    if not following:
        return False
    word = following[1]
    if word[0].isupper():  # a German noun: "2000 Soldaten"; but English "the 2018 World Cup" is a year
        previous = PREVIOUS_WORD.search(text, max(0, start - 20), start)
        return not (previous and previous[1].lower() == "the") and _key(word) not in MONTHS | WEEKDAYS
    lower = word.lower()  # English plurals: "2000 soldiers"
    return lower in COUNT_NOUNS or (len(lower) > 3 and lower.endswith("s") and not lower.endswith("ss")
                                    and lower not in NOT_PLURAL)


def _parse_decade(match: re.Match[str], text: str, lead: str) -> Spec | None:
    first = int(match["decade"])
    return Range(Year(first, None, False), Year(first + 9, None, False))


def _parse_weekday(match: re.Match[str], text: str, lead: str) -> Spec | None:
    if NAMED_DAY.search(text, max(0, match.start() - 8), match.start()):
        return None  # "Black Friday" is a shopping day's name, not a date
    rel = match["rel"]
    return Weekday(WEEKDAYS[_key(match["weekday"])], None if rel is None else _relative(rel))


def _parse_unit(match: re.Match[str], text: str, lead: str) -> Spec | None:
    if match["prior"]:
        unit, offset = PRIOR_UNITS[_key(match["prior"])]
        return Calendar(unit, offset)
    if match["weekend"]:
        return Calendar("weekend", None)
    unit, rel = UNITS[_key(match["unit"])], _key(match["rel"])
    if rel == "past" and unit != "weekend":  # "the past week": the 7 days up to today
        return Window(unit, 1)
    return Calendar(unit, _relative(rel))


def _parse_part_of_unit(match: re.Match[str], text: str, lead: str) -> Spec | None:
    if not (match["article"] or match["rel"]):
        return None  # "Ende Woche" is no German; "Anfang Jahr" neither
    offset = _relative(match["rel"]) if match["rel"] else 0
    return PartOf(UNITS[_key(match["unit"])], offset, _part(match["part"]) or 0)


def _parse_window(match: re.Match[str], text: str, lead: str) -> Spec | None:
    return Window(UNITS[_key(match["unit"])], _number(match["n"]))


def _parse_ago(match: re.Match[str], text: str, lead: str) -> Spec | None:
    unit, count = UNITS[_key(match["unit"])], _number(match["n"])
    if count is None:  # "vor wenigen Tagen": recently, as a window
        return Window(unit, None)
    if unit == "hour":
        return Calendar("day", -(count // 24))
    return Calendar(unit, -count)


def _parse_day_word(match: re.Match[str], text: str, lead: str) -> Spec | None:
    word = match["word"]
    before = text[max(0, match.start() - 12) : match.start()].rstrip()[-1:]
    if word == "Morgen" and before not in ("", ".", "!", "?", ":", '"', "„"):
        return None  # "am Morgen", "Guten Morgen": the morning; "morgen" (tomorrow) is lowercase mid-sentence
    if _key(word) in ("heute", "today") and COMPARISON.search(text, max(0, match.start() - 30), match.start()):
        return None  # "tiefer als heute", "than it is today": the present in general, not a day
    return Calendar("day", DAY_WORDS[_key(word)])


def _parse_recency(match: re.Match[str], text: str, lead: str) -> Spec | None:
    return Recency()


_Parser = Callable[[re.Match[str], str, str], "Spec | None"]
_RULES: tuple[tuple[re.Pattern[str], _Parser], ...] = (
    (DAY_MONTH, _parse_date), (MONTH_DAY, _parse_date), (NUMERIC_DATE, _parse_date), (ISO_DATE, _parse_date),
    (MONTH_ATOM, _parse_month), (YEAR_ATOM, _parse_year), (DECADE_ATOM, _parse_decade),
    (WEEKDAY_ATOM, _parse_weekday), (UNIT_ATOM, _parse_unit), (PART_UNIT_ATOM, _parse_part_of_unit),
    (WINDOW_ATOM, _parse_window), (AGO_DE, _parse_ago), (AGO_EN, _parse_ago), (DAY_ATOM, _parse_day_word),
    (RECENCY_ATOM, _parse_recency),
)


def _lead(text: str, start: int) -> tuple[int, str]:
    """Where the preposition/article before `start` begins, and the preposition ("" when none)."""
    match = LEAD.search(text, max(0, start - 30), start)
    if not match or not match.group():
        return start, ""
    return match.start(), _key(match["prep"] or "")


def expressions(text: str) -> list[Hit]:
    """The time expressions in the text, leftmost-longest, without overlaps, ranges joined."""
    found: list[Hit] = []
    for pattern, parse in _RULES:
        for match in pattern.finditer(text):
            # Recency words are adjectives and adverbs: "der aktuelle Stand" keeps its article.
            lead_start, lead = (match.start(), "") if parse is _parse_recency else _lead(text, match.start())
            spec = parse(match, text, lead)
            if spec is not None and not COMPARED.search(text, max(0, lead_start - 30), lead_start):
                weak = isinstance(spec, Year) and spec.bare and lead not in YEAR_ANCHORS
                found.append(Hit(lead_start, match.start(), match.end(), spec, lead, weak))
    hits: list[Hit] = []
    for hit in sorted(found, key=lambda h: (h.core, -h.end)):
        if hits and hit.core < hits[-1].end:
            continue  # inside a longer (or earlier) expression
        if hits and hit.start < hits[-1].end:  # its preposition belongs to the expression before
            hit = Hit(hit.core, hit.core, hit.end, hit.spec, "", hit.weak)
        hits.append(hit)
    return _join_ranges(text, hits)


def _join_ranges(text: str, hits: list[Hit]) -> list[Hit]:
    """ "vom 3. Januar bis 10. Februar", "zwischen 2014 und 2016", "2014–2016" → one range each."""
    joined: list[Hit] = []
    for hit in hits:
        previous = joined[-1] if joined else None
        if previous is not None and _can_join(text, previous, hit):
            joined[-1] = Hit(previous.start, previous.core, hit.end, Range(previous.spec, hit.spec), previous.lead,
                             previous.weak and hit.weak)
        else:
            joined.append(hit)
    return joined


def _can_join(text: str, first: Hit, last: Hit) -> bool:
    if any(isinstance(h.spec, Recency | Range | Window) for h in (first, last)):
        return False
    connector = CONNECTOR.fullmatch(text, first.end, last.core)
    if not connector:
        return False
    word = _key(connector["word"] or "-")
    return word not in ("und", "and") or first.lead in ("zwischen", "between")


__all__ = ["expressions"]
