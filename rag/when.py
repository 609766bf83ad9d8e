"""Time expressions → dates: the period a question asks about, and the days an article's text mentions.

The grammar is our own, a handful of regular expressions built from word tables (German, incl. Austrian
"Jänner", "Feber", "heuer", and English), each read into a small spec and resolved against a reference day:

- days: "heute", "gestern", "vorgestern", "morgen", "today", "yesterday", "last night"
- weekdays: "(am) Freitag", "vergangenen/letzten Freitag", "kommenden/nächsten Freitag", "diesen Freitag",
  "(on) Friday", "last/next/this Friday"
- calendar units: "letzte/vergangene/vorige/diese/nächste Woche", "letzten Monat", "letztes Jahr", "Vorjahr",
  "am Wochenende", "last week", "this month", "next year"; their thirds: "Anfang der Woche" (Mon–Tue, Wed–Thu,
  Fri–Sun), "Ende vergangenen Jahres", "late last year"
- windows ending today: "in den letzten (zwei) Tagen/Wochen/Monaten/Jahren", "in the last few days",
  "the past week"
- "ago": "vor drei Tagen", "vor zwei Wochen", "vor einem Monat", "two weeks ago": the calendar day/week/month/year
- dates: "21. Januar 2022", "am 21. Jänner", "21.01.2022", "21.1.", "2022-01-21", "21 January 2022",
  "January 21, 2022", "3. bis 10. Januar", "January 3-10"
- months: "im Januar (2022)", "Januar 2022", "Anfang/Mitte/Ende Februar" (days 1–10, 11–20, 21–end),
  "early/mid/late February"
- years: "2021", "im Jahr 2021", "Ende 2021" (thirds of the year: Jan–Apr, May–Aug, Sep–Dec); decades:
  "in den 1970ern", "1990er-Jahre", "the 1980s"
- combinations: "seit X" / "since X" (X … today), "ab X" (X …), "bis X" / "until X" (… X), "nach X" / "after X"
  (the day after X …), "vor X" / "before X" (… the day before X), and ranges
  "zwischen X und Y", "vom X bis Y", "X bis Y", "from X to Y", "between X and Y", "2014–2016"; a left side
  without a year takes the right side's ("vom 20. Dezember bis 10. Januar 2022")
- recency: "aktuell(e)", "neueste(n)", "Neues", "zuletzt", "gerade", "jüngst", "derzeit", "kürzlich",
  "latest", "recent(ly)", "currently", … — a preference for the newest, no range.

Words that are no time expressions never become one: a bare month needs an anchor ("im", "seit", "Anfang", a
year: "August Bebel" and "Who may…" are names and verbs), and a four-digit number is a year only when it is not a
count: "2000 Soldaten", "der 2000 Soldaten", "mehr als 2000", "2000 soldiers" are counts (a capitalised word after
the number is a German noun, except after English "the": "the 2018 World Cup"). "heute" after "als"/"than"
("tiefer als heute") is the present in general, "am Morgen" the morning, "Black Friday" a name, and a time after
"wie", "than" or a comparative with "als" ("so niedrig wie im Februar", "teurer als im Vorjahr") a yardstick.

Decisions (documented once here, tested in tests/rag/test_when.py):
- A weekday without a qualifier ("am Freitag", "Friday") is the most recent such day, the reference day
  included: news write "am Freitag" about the past, and an article of a Friday saying "am Freitag" means that day.
  "vergangenen Freitag" is strictly before, "kommenden/nächsten Freitag" strictly after, "diesen Freitag" the one
  of the current calendar week (Monday to Sunday).
- Context turns a bare weekday, month or day ahead or back, in this order: the preposition ("ab", "bis", "für",
  "until", "by": ahead, the reference day included; "seit": back); for a weekday, a week named earlier in its
  sentence ("für kommende Woche angesetzt: Am Mittwoch") or, for Saturday and Sunday, a weekend named earlier
  ("an diesem Wochenende … am Samstag"); the tense of its clause ("werden am Montag fortgesetzt", "soll",
  "will", "geplant": ahead; "hatte", "war", "wurde": back — German present tense says nothing); and a weekday
  right after one that pointed ahead in the same paragraph ("… am Montag fortgesetzt. … am Mittwoch"). The
  rules were checked against every relative reference listed in tests/data/news_questions.md.
- In a question, a month or day without a year ("im Januar", "am 21. Januar") is the most recent one not in the
  future; "diese Woche", "diesen Monat", "dieses Jahr" end today. In an article, it is the one nearest to the
  publication date (within six months; exactly six months away counts as the past) — "the publication year unless
  more than six months ahead" would get December articles wrong about "im Januar". Pointing ahead moves an
  article's month only within six months ("rückwirkend ab 1. November" in a report of 27 November is this one).
- "in den letzten Tagen" without a count is the last 7 days incl. today; weeks without a count 4 weeks, months 3,
  years 3; vague counts ("ein paar", "wenigen", "few", "several") count as no count.
- "vor zwei Wochen" is the calendar week two weeks back, "vor drei Tagen" one day; likewise months and years.
- A question with several expressions gets the first; a question asking for a date ("Wann …?") gets none.
- In article text a bare year is taken only after "im Jahr", "seit", "bis", "von", "zwischen", "ab", with
  "Anfang/Mitte/Ende", in a range or in a full date: "2000 Menschen" and page numbers are too common there.
  "seit 2014" in an article mentions 2014, not 2014 … publication.

dateparser (installed) is not used. Measured on the phrases this grammar covers (dateparser 1.5.0, German and
English): it reads "letzte Woche" as one day (a week ago), "im Februar" as 24 February 2021 and "Jänner 2022" as
24 January 2022 (today's day number), finds nothing in "am Freitag", "seit Montag" or "Mitte Februar", and its
search finds a "date" in 102 of the 239 German XQuAD dev questions ("die", "mit"), at 0.9 ms per question; its
first call takes about 100 ms, later ones 0.3–7 ms. Every single date it reads correctly the grammar above reads
too, in under 0.1 ms per question, so calling it on found spans would add only cost. Resolution uses only the
reference day passed in: there is no `date.today()` here.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

__all__ = ["DateMention", "Period", "mentioned_dates", "question_period", "without_expression"]


@dataclass(frozen=True)
class Period:
    """A date range a question states (both ends inclusive, None = open), or a preference for the newest."""

    since: date | None
    until: date | None
    expression: str  # the question's words it came from, as written ("letzte Woche")
    recency: bool = False  # "aktuell", "neueste", "latest": prefer the newest, no range
    start: int = -1  # character span of the expression in the question (-1 when none)
    end: int = -1

    def to_dict(self) -> dict[str, str | None]:
        """ISO dates (or None) and the expression, as answers report the period."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "expression": self.expression,
        }


@dataclass(frozen=True)
class DateMention:
    """A day (since == until) or range an article's text mentions, at text[start:end]."""

    start: int
    end: int
    since: date
    until: date
    text: str


# ---------------------------------------------------------------------------------------------------------------
# Word tables (keys lowercase). Month names as in ingest/dates.py; rag/ must not import ingest/.
# ---------------------------------------------------------------------------------------------------------------
_MONTH_NAMES = (
    ("januar", "jänner", "jaenner", "january"),
    ("februar", "feber", "february"),
    ("märz", "maerz", "march"),
    ("april",),
    ("mai", "may"),
    ("juni", "june"),
    ("juli", "july"),
    ("august",),
    ("september",),
    ("oktober", "october"),
    ("november",),
    ("dezember", "december"),
)
# Abbreviations count only with a dot or before a year: "Jan" is also a first name.
_MONTH_ABBREVIATIONS = (
    ("jan", "jän"), ("feb",), ("mär", "mrz", "mar"), ("apr",), (), ("jun",), ("jul",), ("aug",), ("sep", "sept"),
    ("okt", "oct"), ("nov",), ("dez", "dec"),
)
_ENGLISH_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                   "october", "november", "december"}
_MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, 1) for name in names}
_MONTHS |= {name: n for n, names in enumerate(_MONTH_ABBREVIATIONS, 1) for name in names}
_WEEKDAY_NAMES = (
    ("montag", "monday"), ("dienstag", "tuesday"), ("mittwoch", "wednesday"), ("donnerstag", "thursday"),
    ("freitag", "friday"), ("samstag", "sonnabend", "saturday"), ("sonntag", "sunday"),
)
_WEEKDAYS = {name: n for n, names in enumerate(_WEEKDAY_NAMES) for name in names}
_NUMBERS = {
    "ein": 1, "eine": 1, "einem": 1, "einer": 1, "einen": 1, "one": 1, "a": 1, "an": 1, "zwei": 2, "zwo": 2,
    "two": 2, "a couple of": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5, "sechs": 6,
    "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9, "zehn": 10, "ten": 10,
    "elf": 11, "eleven": 11, "zwölf": 12, "twelve": 12,
}
_VAGUE_NUMBERS = ("ein paar", "paar", "wenigen", "einigen", "mehreren", "a few", "few", "several")
_UNITS = {
    "tag": "day", "tage": "day", "tagen": "day", "day": "day", "days": "day",
    "woche": "week", "wochen": "week", "week": "week", "weeks": "week",
    "wochenende": "weekend", "weekend": "weekend",
    "monat": "month", "monats": "month", "monate": "month", "monaten": "month", "month": "month", "months": "month",
    "jahr": "year", "jahres": "year", "jahre": "year", "jahren": "year", "year": "year", "years": "year",
    "stunde": "hour", "stunden": "hour", "hour": "hour", "hours": "hour",
}
# Relative adjectives → offset in units; German stems take the endings -e, -en, -em, -er, -es.
_RELATIVE = {
    "letzt": -1, "vergangen": -1, "vorig": -1, "vorherig": -1, "vorletzt": -2, "dies": 0, "laufend": 0,
    "kommend": 1, "nächst": 1, "folgend": 1, "übernächst": 2,
    "last": -1, "previous": -1, "past": -1, "this": 0, "current": 0, "next": 1, "coming": 1, "this coming": 1,
    "following": 1,
}
_PRIOR_UNITS = {"vorwoche": ("week", -1), "vormonat": ("month", -1), "vorjahr": ("year", -1), "heuer": ("year", 0)}
_DAY_WORDS = {
    "vorgestern": -2, "gestern": -1, "heute": 0, "morgen": 1, "übermorgen": 2, "the day before yesterday": -2,
    "yesterday": -1, "last night": -1, "today": 0, "tonight": 0, "tomorrow": 1,
}
_PARTS = {"anfang": 0, "early": 0, "beginning": 0, "mitte": 1, "mid": 1, "middle": 1, "ende": 2, "late": 2, "end": 2}
_WINDOW_DEFAULTS = {"day": 7, "week": 4, "month": 3, "year": 3, "hour": 24}
_RECENCY_WORDS = (
    r"aktuell(?:st)?(?:e[nmrs]?)?", r"neueste[nmrs]?", r"(?-i:Neues)", r"neuigkeiten", r"zuletzt", r"gerade",
    r"jüngst(?:e[nmrs]?)?", r"derzeit(?:ig(?:e[nmrs]?)?)?", r"zurzeit", r"momentan", r"kürzlich", r"neulich",
    r"vor\s+kurzem", r"in\s+(?:letzter|jüngster)\s+zeit", r"dieser\s+tage", r"heutzutage",
    r"latest", r"most\s+recent", r"recent(?:ly)?", r"lately", r"currently", r"newest", r"right\s+now",
    r"at\s+the\s+moment", r"these\s+days", r"nowadays",
)
# Prepositions that change what a single expression means, in questions.
_SINCE = {"seit", "since"}
_FROM = {"ab"}
_UNTIL = {"bis", "bis zum", "bis zur", "until", "till"}
_AFTER = {"nach", "after"}
_BEFORE = {"vor", "before"}
_RANGE_OPENERS = {"zwischen", "between", "von", "vom", "from"}
# A bare month ("August Bebel") or an article's bare year ("2000 Menschen") needs one of these before it.
_MONTH_ANCHORS = _SINCE | _FROM | _UNTIL | _RANGE_OPENERS | {"im", "in", "during", "während", "für", "for", "by"}
_YEAR_ANCHORS = _SINCE | _FROM | _UNTIL | _RANGE_OPENERS | _AFTER | _BEFORE
# Words ending in -s after a year that are no English plural ("1943 was", "2014 bereits").
_NOT_PLURAL = {"was", "is", "has", "as", "its", "his", "this", "thus", "does", "als", "bis", "aus", "des", "das",
               "es", "uns", "ins", "etwas", "bereits", "erstmals", "damals", "stets", "jeweils", "dies", "plus"}
_COUNT_NOUNS = {"people", "men", "women", "children", "persons", "police", "staff", "personnel"}


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of the words, longest first (so "jänner" wins over "jän"), spaces as \\s+."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


_YEAR = r"(?:19\d\d|20\d\d|2100)"
_YEAR_END = r"(?!\d|[.,]\d|-?er|'?s\b|\s?%)"  # not "2000.5", "2.000", "1990er", "1980s", "2000 %"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORDINAL = r"(?:\.|st|nd|rd|th)?"
# "may" and "march" are English verbs too: as months they are capitalised.
_FULL_MONTHS = [name for names in _MONTH_NAMES for name in names if name not in ("may", "march")]
_MONTH = (rf"(?:(?:{_alternation(_FULL_MONTHS)}|(?-i:May|March))(?!\w)"
          rf"|(?:{_alternation(n for names in _MONTH_ABBREVIATIONS for n in names)})(?:\.|\b(?=\s+{_YEAR})))")
_MONTH_EN = rf"(?:(?:{_alternation(_ENGLISH_MONTHS - {'may', 'march'})}|(?-i:May|March))(?!\w))"
_WEEKDAY = _alternation(_WEEKDAYS)
_REL = rf"(?:(?:{_alternation(_RELATIVE)})(?:e[nmrs]?)?)"
_NUM = rf"(?:\d{{1,3}}|(?:{_alternation([*_NUMBERS, *_VAGUE_NUMBERS])})(?!\w))"
_PART = r"anfang|mitte|ende|early|mid|late|(?:the\s+)?(?:beginning|middle|end)\s+of"
_WEEKDAY_PREFIX = rf"(?:\b(?:{_WEEKDAY}),?\s+(?:(?:den|the)\s+)?)?"  # "Freitag, den 21. Januar"
_RANGE_DASH = r"\s*(?:-|–|bis|und|to|and|until)\s*"

_DAY_MONTH = re.compile(
    rf"{_WEEKDAY_PREFIX}(?<![\d.,])(?P<day>{_DAY}){_ORDINAL}(?:{_RANGE_DASH}(?P<last>{_DAY}){_ORDINAL})?"
    rf"\s*(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>{_YEAR})(?!\d))?", re.I)
_MONTH_DAY = re.compile(  # English order: "January 21, 2022", "Jan. 3-10"
    rf"{_WEEKDAY_PREFIX}(?P<month>{_MONTH_EN}|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)\s+"
    rf"(?P<day>{_DAY})(?:st|nd|rd|th)?(?!\d)(?:{_RANGE_DASH}(?P<last>{_DAY})(?:st|nd|rd|th)?(?!\d))?"
    rf"(?:,?\s+(?P<year>{_YEAR})(?!\d))?(?![\d:])", re.I)
_NUMERIC_DATE = re.compile(  # "21.01.2022", "21.1.22", "21.1."
    rf"{_WEEKDAY_PREFIX}(?<![\d.,])(?P<day>{_DAY})\.\s?(?P<mon>1[0-2]|0?[1-9])\."
    rf"(?:\s?(?P<year>{_YEAR})|(?P<yy>\d\d))?(?!\d|\.\d)", re.I)
_ISO_DATE = re.compile(rf"(?<![\d.-])(?P<year>{_YEAR})-(?P<mon>1[0-2]|0[1-9])-(?P<day>3[01]|[12]\d|0[1-9])(?!\d)")
_MONTH_ATOM = re.compile(
    rf"(?:\b(?P<part>{_PART})[\s-]+|\b(?P<named>Monat)\s+)?(?<!\w)(?P<month>{_MONTH})"
    rf"(?:\s+(?P<year>{_YEAR}){_YEAR_END})?", re.I)
_YEAR_ATOM = re.compile(
    rf"(?:\b(?P<part>{_PART})[\s-]+|\b(?P<named>Jahre?s?|year)\s+)?(?<![\d.,/$€£])(?P<year>{_YEAR}){_YEAR_END}",
    re.I)
_DECADE_ATOM = re.compile(  # "in den 1970ern", "1990er-Jahre", "the 1980s"
    r"(?<![\d.,])(?P<decade>(?:1[89]|20)\d0)(?:er(?:n|\s*jahren?|-jahren?)?|'?s)\b", re.I)
_WEEKDAY_ATOM = re.compile(
    rf"(?:\b(?P<rel>{_REL})\s+)?\b(?P<weekday>{_WEEKDAY})(?:abend|morgen|früh|vormittag|mittag|nachmittag|nacht)?\b",
    re.I)
_UNIT_ATOM = re.compile(
    rf"\b(?P<rel>{_REL})\s+(?P<unit>woche|wochenende|monats?|jahr(?:es)?|week|weekend|month|year)\b"
    rf"|\b(?P<prior>{_alternation(_PRIOR_UNITS)})(?:e?s)?\b|\b(?P<weekend>wochenende|weekend)\b", re.I)
_PART_UNIT_ATOM = re.compile(  # "Ende vergangenen Jahres", "Anfang der Woche", "late last year"
    rf"\b(?P<part>{_PART})[\s-]+(?:(?P<article>des|der|the|this)\s+)?(?:(?P<rel>{_REL})\s+)?"
    r"(?P<unit>woche|monats|jahres|week|month|year)\b", re.I)
_WINDOW_ATOM = re.compile(
    rf"\b(?P<rel>letzten|vergangenen|zurückliegenden|jüngsten|last|past|previous)\s+(?:(?P<n>{_NUM})\s+)?"
    r"(?P<unit>tagen?|wochen|monaten?|jahren?|stunden|days|weeks|months|years|hours)\b", re.I)
_AGO_DE = re.compile(rf"\bvor\s+(?P<n>{_NUM})\s+(?P<unit>tagen?|wochen?|monat(?:en)?|jahr(?:en)?|stunden?)\b",
                     re.I)
_AGO_EN = re.compile(rf"\b(?P<n>{_NUM})\s+(?P<unit>days?|weeks?|months?|years?|hours?)\s+ago\b", re.I)
_DAY_ATOM = re.compile(
    rf"\b(?P<word>{_alternation(_DAY_WORDS)})(?!-)"  # not "Heute-Show"
    r"(?:\s+(?:früh|morgen|vormittag|mittag|nachmittag|abend|nacht|morning|afternoon|evening|night))?\b", re.I)
_RECENCY_ATOM = re.compile(rf"\b(?:{'|'.join(_RECENCY_WORDS)})\b", re.I)

# The preposition (and article) right before an expression: part of its words, and "seit"/"bis" change its meaning.
_LEAD = re.compile(
    r"(?:\b(?P<prep>seit|since|bis\s+zu[mr]|bis|until|till|ab|von|vom|from|zwischen|between|nach|after|vor|aus|"
    r"before|by|am|an|im|in|on|at|during|während|um|zum|zur|for|für|over|within|innerhalb|binnen)\s+"
    r"(?:(?:dem|den|der|des|die|the)\s+)?)?$", re.I)  # an article only after a preposition: "die Mitte Juli" is "which"
_CONNECTOR = re.compile(r"\s*(?:(?P<word>bis|to|until|till|und|and)\s+(?:(?:zu[mr]|dem|den|the)\s+)?|[-–—]\s*)",
                        re.I)
_COUNT_BEFORE = re.compile(r"\b(?:als|über|rund|etwa|fast|knapp|mindestens|circa|ca\.|zu|than|over|nearly|"
                           r"almost|around|approximately|about|least|up\s+to)\s+$", re.I)
# "so niedrig wie im Februar", "teurer als im Vorjahr", "higher than last year": a yardstick, not the time asked or
# reported about ("als" only after a comparative: "aber als am Freitag …" is "when").
_COMPARED = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:wie|than|(?:mehr|weniger|(?!(?:aber|oder|immer|wieder|jeder|über|"
                       r"unter)\b)\w{2,}er)\s+als)\s+$", re.I)
_LISTED = re.compile(r"\b(?:und|and|oder|or|bis|to)\s+$", re.I)
_COMPARISON = re.compile(r"\b(?:als|than)\s+(?:\w+\s+){0,2}$", re.I)
_NAMED_DAY = re.compile(r"\b(?:black|good|cyber)\s+$", re.I)
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
_PREVIOUS_WORD = re.compile(r"(\w+)\s+$")


# ---------------------------------------------------------------------------------------------------------------
# Specs: what an expression says, before it is resolved against a reference day.
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Days:
    """Days `day`…`last` of a month; year None: inferred from the reference day."""

    month: int
    day: int
    last: int
    year: int | None


@dataclass(frozen=True)
class _Months:
    month: int
    year: int | None
    part: int | None  # 0 Anfang (1–10), 1 Mitte (11–20), 2 Ende (21–end); None the whole month


@dataclass(frozen=True)
class _Year:
    year: int
    part: int | None  # thirds of the year
    bare: bool  # no "Jahr"/"Anfang" with it: articles take it only after "seit", "bis", …


@dataclass(frozen=True)
class _Weekday:
    weekday: int  # 0 = Monday
    offset: int | None  # None most recent incl. the reference day, -1 strictly before, 1 strictly after, 0 this week


@dataclass(frozen=True)
class _Calendar:
    unit: str  # day, week, weekend, month, year
    offset: int | None  # units from the reference's; None only for "am Wochenende" (the most recent weekend)


@dataclass(frozen=True)
class _PartOf:
    """The first, middle or last third of a calendar week, month or year."""

    unit: str
    offset: int
    part: int


@dataclass(frozen=True)
class _Window:
    unit: str  # day, week, month, year, hour
    count: int | None  # None: the unit's default


@dataclass(frozen=True)
class _Range:
    first: _Spec
    last: _Spec


@dataclass(frozen=True)
class _Recency:
    pass


_Spec = _Days | _Months | _Year | _Weekday | _Calendar | _PartOf | _Window | _Range | _Recency


@dataclass(frozen=True)
class _Hit:
    start: int  # including the preposition before it
    core: int  # where the time words themselves start
    end: int
    spec: _Spec
    lead: str  # that preposition, lowercase with single spaces ("seit", "bis zum"); "" when none
    weak: bool = False  # a bare year without an anchor: a question's, not an article's


# ---------------------------------------------------------------------------------------------------------------
# Parsing: match → spec (None when the words are not a time expression after all)
# ---------------------------------------------------------------------------------------------------------------
def _key(word: str) -> str:
    return " ".join(word.lower().rstrip(".").split())


def _number(word: str | None) -> int | None:
    """The count a word or digits say; None for no word and for vague words ("ein paar", "few")."""
    if word is None:
        return None
    key = _key(word)
    return int(key) if key.isdigit() else _NUMBERS.get(key)


def _relative(word: str) -> int:
    key = _key(word)
    return _RELATIVE.get(key, _RELATIVE.get(re.sub(r"e[nmrs]?$", "", key), 0))


def _part(word: str | None) -> int | None:
    return None if word is None else _PARTS[_key(word).removeprefix("the ").split()[0]]


def _year(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("year"):
        return int(groups["year"])
    if groups.get("yy"):  # "21.1.22": this century unless that is far ahead
        short = int(groups["yy"])
        return short + (2000 if short < 70 else 1900)
    return None


def _parse_date(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    groups = match.groupdict()
    month = int(groups["mon"]) if groups.get("mon") else _MONTHS[_key(groups["month"])]
    day = int(groups["day"])
    last = int(groups["last"]) if groups.get("last") else day
    return _Days(month, day, last, _year(match)) if last >= day else None


def _parse_month(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    listed = _LISTED.search(text, max(0, match.start() - 8), match.start())  # "zwischen November und Jänner"
    if not (match["part"] or match["named"] or match["year"] or lead in _MONTH_ANCHORS or listed):
        return None  # "August Bebel", "Wer ist März?" — a month name alone is no time expression
    return _Months(_MONTHS[_key(match["month"])], _year(match), _part(match["part"]))


def _parse_year(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    bare = not (match["part"] or match["named"])
    if bare and _is_count(text, match.start("year"), match.end()):
        return None
    return _Year(int(match["year"]), _part(match["part"]), bare)


def _is_count(text: str, start: int, end: int) -> bool:
    """Whether the four digits at text[start:end] count things ("2000 Soldaten") rather than name a year."""
    if _COUNT_BEFORE.search(text, max(0, start - 20), start):
        return True  # "mehr als 2000", "über 2000", "about 2000"
    following = _NEXT_WORD.match(text, end)
    if not following:
        return False
    word = following[1]
    if word[0].isupper():  # a German noun: "2000 Soldaten"; but English "the 2018 World Cup" is a year
        previous = _PREVIOUS_WORD.search(text, max(0, start - 20), start)
        return not (previous and previous[1].lower() == "the") and _key(word) not in _MONTHS | _WEEKDAYS
    lower = word.lower()  # English plurals: "2000 soldiers"
    return lower in _COUNT_NOUNS or (len(lower) > 3 and lower.endswith("s") and not lower.endswith("ss")
                                     and lower not in _NOT_PLURAL)


def _parse_decade(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    first = int(match["decade"])
    return _Range(_Year(first, None, False), _Year(first + 9, None, False))


def _parse_weekday(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    if _NAMED_DAY.search(text, max(0, match.start() - 8), match.start()):
        return None  # "Black Friday" is a shopping day's name, not a date
    rel = match["rel"]
    return _Weekday(_WEEKDAYS[_key(match["weekday"])], None if rel is None else _relative(rel))


def _parse_unit(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    if match["prior"]:
        unit, offset = _PRIOR_UNITS[_key(match["prior"])]
        return _Calendar(unit, offset)
    if match["weekend"]:
        return _Calendar("weekend", None)
    unit, rel = _UNITS[_key(match["unit"])], _key(match["rel"])
    if rel == "past" and unit != "weekend":  # "the past week": the 7 days up to today
        return _Window(unit, 1)
    return _Calendar(unit, _relative(rel))


def _parse_part_of_unit(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    if not (match["article"] or match["rel"]):
        return None  # "Ende Woche" is no German; "Anfang Jahr" neither
    offset = _relative(match["rel"]) if match["rel"] else 0
    return _PartOf(_UNITS[_key(match["unit"])], offset, _part(match["part"]) or 0)


def _parse_window(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    return _Window(_UNITS[_key(match["unit"])], _number(match["n"]))


def _parse_ago(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    unit, count = _UNITS[_key(match["unit"])], _number(match["n"])
    if count is None:  # "vor wenigen Tagen": recently, as a window
        return _Window(unit, None)
    if unit == "hour":
        return _Calendar("day", -(count // 24))
    return _Calendar(unit, -count)


def _parse_day_word(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    word = match["word"]
    before = text[max(0, match.start() - 12) : match.start()].rstrip()[-1:]
    if word == "Morgen" and before not in ("", ".", "!", "?", ":", '"', "„"):
        return None  # "am Morgen", "Guten Morgen": the morning; "morgen" (tomorrow) is lowercase mid-sentence
    if _key(word) in ("heute", "today") and _COMPARISON.search(text, max(0, match.start() - 30), match.start()):
        return None  # "tiefer als heute", "than it is today": the present in general, not a day
    return _Calendar("day", _DAY_WORDS[_key(word)])


def _parse_recency(match: re.Match[str], text: str, lead: str) -> _Spec | None:
    return _Recency()


_Parser = Callable[[re.Match[str], str, str], "_Spec | None"]
_RULES: tuple[tuple[re.Pattern[str], _Parser], ...] = (
    (_DAY_MONTH, _parse_date), (_MONTH_DAY, _parse_date), (_NUMERIC_DATE, _parse_date), (_ISO_DATE, _parse_date),
    (_MONTH_ATOM, _parse_month), (_YEAR_ATOM, _parse_year), (_DECADE_ATOM, _parse_decade),
    (_WEEKDAY_ATOM, _parse_weekday), (_UNIT_ATOM, _parse_unit), (_PART_UNIT_ATOM, _parse_part_of_unit),
    (_WINDOW_ATOM, _parse_window), (_AGO_DE, _parse_ago), (_AGO_EN, _parse_ago), (_DAY_ATOM, _parse_day_word),
    (_RECENCY_ATOM, _parse_recency),
)


def _lead(text: str, start: int) -> tuple[int, str]:
    """Where the preposition/article before `start` begins, and the preposition ("" when none)."""
    match = _LEAD.search(text, max(0, start - 30), start)
    if not match or not match.group():
        return start, ""
    return match.start(), _key(match["prep"] or "")


def _expressions(text: str) -> list[_Hit]:
    """The time expressions in the text, leftmost-longest, without overlaps, ranges joined."""
    found: list[_Hit] = []
    for pattern, parse in _RULES:
        for match in pattern.finditer(text):
            # Recency words are adjectives and adverbs: "der aktuelle Stand" keeps its article.
            lead_start, lead = (match.start(), "") if parse is _parse_recency else _lead(text, match.start())
            spec = parse(match, text, lead)
            if spec is not None and not _COMPARED.search(text, max(0, lead_start - 30), lead_start):
                weak = isinstance(spec, _Year) and spec.bare and lead not in _YEAR_ANCHORS
                found.append(_Hit(lead_start, match.start(), match.end(), spec, lead, weak))
    hits: list[_Hit] = []
    for hit in sorted(found, key=lambda h: (h.core, -h.end)):
        if hits and hit.core < hits[-1].end:
            continue  # inside a longer (or earlier) expression
        if hits and hit.start < hits[-1].end:  # its preposition belongs to the expression before
            hit = _Hit(hit.core, hit.core, hit.end, hit.spec, "", hit.weak)
        hits.append(hit)
    return _join_ranges(text, hits)


def _join_ranges(text: str, hits: list[_Hit]) -> list[_Hit]:
    """ "vom 3. Januar bis 10. Februar", "zwischen 2014 und 2016", "2014–2016" → one range each."""
    joined: list[_Hit] = []
    for hit in hits:
        previous = joined[-1] if joined else None
        if previous is not None and _can_join(text, previous, hit):
            joined[-1] = _Hit(previous.start, previous.core, hit.end, _Range(previous.spec, hit.spec), previous.lead,
                              previous.weak and hit.weak)
        else:
            joined.append(hit)
    return joined


def _can_join(text: str, first: _Hit, last: _Hit) -> bool:
    if any(isinstance(h.spec, _Recency | _Range | _Window) for h in (first, last)):
        return False
    connector = _CONNECTOR.fullmatch(text, first.end, last.core)
    if not connector:
        return False
    word = _key(connector["word"] or "-")
    return word not in ("und", "and") or first.lead in ("zwischen", "between")


# ---------------------------------------------------------------------------------------------------------------
# Resolution against a reference day
# ---------------------------------------------------------------------------------------------------------------
def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class _Frame:
    """What a relative expression is read against: the reference day, and what its context says."""

    ref: date | None
    question: bool
    direction: int = 0  # 1: on or after the reference day ("ab", "bis", "für", "wird"), -1: on or before, 0: default
    monday: date | None = None  # the week a bare weekday lies in ("kommende Woche: Am Mittwoch")
    year: int | None = None  # the year the other end of a range names


def _infer_year(month: int, day: int | None, frame: _Frame) -> int | None:
    """The year of a month (day None) or day named without one. Backward ("seit", past tense) and a question's
    default: the most recent one not after the reference day. Forward ("ab", "bis", "für", future tense): the next
    one from it on — in an article only within six months ("rückwirkend ab 1. November" in a late-November report
    is this November). An article's default: the one nearest to its publication (ties: the past)."""
    ref = frame.ref
    if frame.year or ref is None:
        return frame.year
    named, current = (month, day or 0), (ref.month, ref.day if day else 0)
    past = ref.year if named <= current else ref.year - 1
    ahead = ref.year if named >= current else ref.year + 1
    if frame.direction < 0 or (frame.question and frame.direction == 0):
        return past
    if frame.direction > 0 and (frame.question or (ahead - ref.year) * 12 + month - ref.month <= 6):
        return ahead
    candidates = (ref.year - 1, ref.year, ref.year + 1)
    return min(candidates, key=lambda y: (abs((y - ref.year) * 12 + month - ref.month), y > ref.year))


def _resolve(spec: _Spec, frame: _Frame) -> tuple[date, date] | None:
    """The first and last day the spec means; None when it needs a reference day and there is none, or names no
    real day ("30. Februar")."""
    try:
        return _resolve_dates(spec, frame)
    except (ValueError, OverflowError):
        return None


def _resolve_dates(spec: _Spec, frame: _Frame) -> tuple[date, date] | None:
    match spec:
        case _Days(month, day, last, stated):
            chosen = stated or _infer_year(month, day, frame)
            return (date(chosen, month, day), date(chosen, month, last)) if chosen else None
        case _Months(month, stated, part):
            chosen = stated or _infer_year(month, None, frame)
            if not chosen:
                return None
            return _third(date(chosen, month, 1), _month_end(chosen, month), "month", part)
        case _Year(stated, part, _):
            return _third(date(stated, 1, 1), date(stated, 12, 31), "year", part)
        case _Range(first, last):
            return _resolve_range(first, last, frame)
        case _Recency():
            return None
    return _resolve_relative(spec, frame.ref, frame) if frame.ref else None


def _resolve_range(first: _Spec, last: _Spec, frame: _Frame) -> tuple[date, date] | None:
    end = _resolve(last, frame)
    if end is None:
        return None
    start = _resolve(first, replace(frame, year=end[0].year))
    if start and start[0] > end[0] and isinstance(first, _Days | _Months) and first.year is None:
        start = _resolve(first, replace(frame, year=end[0].year - 1))  # "vom 20. Dezember bis 10. Januar 2022"
    if start and start[0] > end[0] and isinstance(first, _Weekday):
        start = _resolve(first, replace(frame, ref=end[0], direction=-1))  # "von Montag bis Mittwoch" on a Monday
    return (start[0], end[1]) if start else None


def _resolve_relative(spec: _Spec, ref: date, frame: _Frame) -> tuple[date, date] | None:
    match spec:
        case _Weekday(weekday, offset):
            return (_weekday(weekday, offset, ref, frame),) * 2
        case _Calendar(unit, offset):
            first, last = _calendar(unit, offset, ref)
            if frame.question and offset == 0 and unit in ("week", "month", "year"):
                last = min(last, ref)  # "diese Woche": Monday … today
            return first, last
        case _PartOf(unit, offset, part):
            return _third(*_calendar(unit, offset, ref), unit, part)
        case _Window(unit, count):
            return _window(unit, count or _WINDOW_DEFAULTS[unit], ref), ref
    return None


def _third(first: date, last: date, unit: str, part: int | None) -> tuple[date, date]:
    """Anfang/Mitte/Ende of a calendar unit: a week's Mon–Tue, Wed–Thu, Fri–Sun; a month's days 1–10, 11–20,
    21–end; a year's Jan–Apr, May–Aug, Sep–Dec. Part None: all of it."""
    if part is None:
        return first, last
    if unit == "week":
        return first + timedelta(days=2 * part), first + timedelta(days=6 if part == 2 else 2 * part + 1)
    if unit == "month":
        return first.replace(day=1 + 10 * part), last if part == 2 else first.replace(day=10 + 10 * part)
    return first.replace(month=1 + 4 * part), _month_end(first.year, 4 + 4 * part)


def _weekday(weekday: int, offset: int | None, ref: date, frame: _Frame) -> date:
    back = (ref.weekday() - weekday) % 7  # days since the most recent such weekday (0: today)
    if offset is None:
        if frame.monday:
            return frame.monday + timedelta(days=weekday)
        if frame.direction > 0:
            return ref + timedelta(days=(weekday - ref.weekday()) % 7)
        return ref - timedelta(days=back)
    if offset < 0:
        return ref - timedelta(days=back or 7)
    if offset > 0:
        return ref + timedelta(days=(weekday - ref.weekday()) % 7 or 7)
    return _monday(ref) + timedelta(days=weekday)


def _calendar(unit: str, offset: int | None, ref: date) -> tuple[date, date]:
    step = offset or 0
    if unit == "day":
        return (ref + timedelta(days=step),) * 2
    if unit == "week":
        first = _monday(ref) + timedelta(weeks=step)
        return first, first + timedelta(days=6)
    if unit == "weekend":
        saturday = _weekend(offset, ref)
        return saturday, saturday + timedelta(days=1)
    if unit == "month":
        first = _add_months(ref.replace(day=1), step)
        return first, _month_end(first.year, first.month)
    return date(ref.year + step, 1, 1), date(ref.year + step, 12, 31)


def _weekend(offset: int | None, ref: date) -> date:
    """The Saturday of: the most recent weekend incl. the current one (None), the one before it ended (-1), this
    calendar week's (0), the next one not begun (1)."""
    recent = ref - timedelta(days=(ref.weekday() - 5) % 7)
    if offset is None:
        return recent
    if offset < 0:
        return recent - timedelta(days=7) if ref.weekday() >= 5 else recent
    this_week = _monday(ref) + timedelta(days=5)
    return this_week if offset == 0 or ref.weekday() < 5 else this_week + timedelta(days=7)


def _window(unit: str, count: int, ref: date) -> date:
    """The first day of the last `count` units up to and including `ref`."""
    if unit == "day":
        return ref - timedelta(days=count - 1)
    if unit == "week":
        return ref - timedelta(days=7 * count - 1)
    if unit == "hour":
        return ref - timedelta(days=math.ceil(count / 24))
    months = count if unit == "month" else 12 * count
    return _add_months(ref, -months) + timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------------
# Context: which way a relative expression points, read from its preposition, its clause and what came before
# ---------------------------------------------------------------------------------------------------------------
_FORWARD_LEADS = {"ab", "bis", "bis zum", "bis zur", "until", "till", "by", "für", "for"}
_BACKWARD_LEADS = _SINCE
# Future and past in the clause around an expression: "werden am Montag fortgesetzt" (a preview), "hatte am
# Freitag eingesetzt". The German present tense is also the future's, so only these words decide; "werde"
# (reported speech) does not.
_FUTURE_CUE = re.compile(r"\b(?:wird|werden|soll|sollen|will|wollen|geplant|angesetzt|voraussichtlich|is\s+due|"
                         r"are\s+due|scheduled|is\s+expected|are\s+expected|plans?\s+to|planned)\b", re.I)
_PAST_CUE = re.compile(r"\b(?:hatte|hatten|war|waren|wurde|wurden|had|were)\b", re.I)  # not "was": German "what"
_CLAUSE_END = re.compile(r"[.;:!?](?=\s|$)|,\s|\n")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: from the last , ; : . ! ? before it to the next one after it."""
    before = [m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 200), start)]
    after = _CLAUSE_END.search(text, end)
    return text[before[-1] if before else max(0, start - 200) : after.start() if after else end + 200]


def _tense(text: str, hit: _Hit) -> int:
    """1 when the clause speaks of the future, -1 of the past, 0 when it does not say (or says both)."""
    clause = _clause(text, hit.core, hit.end)
    future, past = bool(_FUTURE_CUE.search(clause)), bool(_PAST_CUE.search(clause))
    return int(future) - int(past)


@dataclass
class _Context:
    """What earlier expressions of the same text tell about later ones."""

    week: tuple[int, date] | None = None  # where the last named week ended, and its Monday
    weekend: date | None = None  # the Saturday of the last named weekend
    future: int | None = None  # where the last relative expression that pointed ahead ended

    def frame(self, text: str, hit: _Hit, ref: date | None, question: bool) -> _Frame:
        """The frame for `hit`: its preposition's direction first ("seit", "ab", "bis", "für"), then for a bare
        weekday the week named earlier in its sentence ("kommende Woche angesetzt: Am Mittwoch") or, for
        Saturday and Sunday, the weekend named earlier ("an diesem Wochenende"), then the tense of its clause,
        then a preview just before in the same paragraph ("werden am Montag fortgesetzt. … am Mittwoch")."""
        frame = _Frame(ref, question)
        if hit.lead in _FORWARD_LEADS or hit.lead in _BACKWARD_LEADS:
            return replace(frame, direction=1 if hit.lead in _FORWARD_LEADS else -1)
        weekday = hit.spec.weekday if isinstance(hit.spec, _Weekday) and hit.spec.offset is None else None
        if weekday is not None and self.week and not _SENTENCE_END.search(text, self.week[0], hit.core):
            return replace(frame, monday=self.week[1])
        if weekday is not None and weekday >= 5 and self.weekend:
            return replace(frame, monday=self.weekend - timedelta(days=5))
        tense = _tense(text, hit)
        if tense:
            return replace(frame, direction=tense)
        if weekday is not None and self.future is not None and "\n\n" not in text[self.future : hit.core]:
            return replace(frame, direction=1)
        return frame

    def remember(self, hit: _Hit, dates: tuple[date, date], ref: date | None) -> None:
        spec = hit.spec
        if isinstance(spec, _Calendar) and spec.unit == "week":
            self.week = (hit.end, dates[0])
        elif isinstance(spec, _Calendar) and spec.unit == "weekend":
            self.weekend = dates[0]
        if isinstance(spec, _Weekday | _Calendar) and ref is not None:
            self.future = hit.end if dates[0] > ref else None


def _resolved(text: str, ref: date | None, question: bool) -> list[tuple[_Hit, tuple[date, date] | None]]:
    """Every expression of the text with its first and last day (None for recency words and unreadable ones)."""
    context = _Context()
    results: list[tuple[_Hit, tuple[date, date] | None]] = []
    for hit in _expressions(text):
        dates = None if isinstance(hit.spec, _Recency) else _resolve(hit.spec, context.frame(text, hit, ref, question))
        if dates is not None:
            context.remember(hit, dates, ref)
        results.append((hit, dates))
    return results


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------
def question_period(question: str, today: date) -> Period | None:
    """The date range or recency preference a question states, relative to `today`; None when it states none.

    The first expression that names real days wins; "seit X" runs to today, "ab X" is open-ended, "bis X" has no
    start, "nach X" starts the day after X, "vor X" ends the day before. Recency words count only when the
    question names no range."""
    recency: Period | None = None
    for hit, dates in _resolved(question, today, question=True):
        words = question[hit.start : hit.end]
        if isinstance(hit.spec, _Recency):
            recency = recency or Period(None, None, words, recency=True, start=hit.start, end=hit.end)
            continue
        if dates is None:
            continue
        since, until = dates
        if hit.lead in _SINCE:
            since, until = since, today
        elif hit.lead in _FROM:
            until = None
        elif hit.lead in _UNTIL:
            since = None
        elif hit.lead in _AFTER:
            since, until = until + timedelta(days=1), None
        elif hit.lead in _BEFORE:
            since, until = None, since - timedelta(days=1)
        return Period(since, until, words, start=hit.start, end=hit.end)
    return recency


def without_expression(question: str, period: Period | None) -> str:
    """The question with the period's words removed (so "gestern" or "2022" is no search term); recency words go
    too — they name no topic. Unchanged for None or a period without a span."""
    if period is None or period.start < 0:
        return question
    rest = f"{question[: period.start]} {question[period.end :]}"
    rest = re.sub(r"\s+([?!.,;:])", r"\1", re.sub(r"\s+", " ", rest))
    return rest.strip(" ,;:")


def mentioned_dates(text: str, published: date | None) -> list[DateMention]:
    """The days and ranges the text mentions, in text order; relative ones ("gestern", "am Freitag", "kommende
    Woche", "im Februar") resolved against the publication date. Without one only absolute dates are returned."""
    mentions = []
    for hit, dates in _resolved(text, published, question=False):
        if dates is not None and not hit.weak:
            mentions.append(DateMention(hit.start, hit.end, dates[0], dates[1], text[hit.start : hit.end]))
    return mentions
