"""The grammar's vocabulary (see rag/when.py): word tables and the regular expressions built from them.

German (incl. Austrian "Jänner", "Feber", "heuer") and English words, one pattern per expression family (dates,
months, years, decades, weekdays, calendar units and their thirds, windows, "ago", day words, recency words), and
the patterns for the words around an expression: its preposition, a connector that joins a range, what makes a
number a count or a time a yardstick, and the tense cues of its clause. Data only, compiled once at import, so the
words can be read and checked in one place, apart from the logic that reads (rag/when_parse.py) and places
(rag/when_context.py) them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, 1) for name in names}
MONTHS |= {name: n for n, names in enumerate(_MONTH_ABBREVIATIONS, 1) for name in names}
_WEEKDAY_NAMES = (
    ("montag", "monday"), ("dienstag", "tuesday"), ("mittwoch", "wednesday"), ("donnerstag", "thursday"),
    ("freitag", "friday"), ("samstag", "sonnabend", "saturday"), ("sonntag", "sunday"),
)
WEEKDAYS = {name: n for n, names in enumerate(_WEEKDAY_NAMES) for name in names}
NUMBERS = {
    "ein": 1, "eine": 1, "einem": 1, "einer": 1, "einen": 1, "one": 1, "a": 1, "an": 1, "zwei": 2, "zwo": 2,
    "two": 2, "a couple of": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5, "sechs": 6,
    "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9, "zehn": 10, "ten": 10,
    "elf": 11, "eleven": 11, "zwölf": 12, "twelve": 12,
}
_VAGUE_NUMBERS = ("ein paar", "paar", "wenigen", "einigen", "mehreren", "a few", "few", "several")
UNITS = {
    "tag": "day", "tage": "day", "tagen": "day", "day": "day", "days": "day",
    "woche": "week", "wochen": "week", "week": "week", "weeks": "week",
    "wochenende": "weekend", "weekend": "weekend",
    "monat": "month", "monats": "month", "monate": "month", "monaten": "month", "month": "month", "months": "month",
    "jahr": "year", "jahres": "year", "jahre": "year", "jahren": "year", "year": "year", "years": "year",
    "stunde": "hour", "stunden": "hour", "hour": "hour", "hours": "hour",
}
# Relative adjectives → offset in units; German stems take the endings -e, -en, -em, -er, -es.
RELATIVE = {
    "letzt": -1, "vergangen": -1, "vorig": -1, "vorherig": -1, "vorletzt": -2, "dies": 0, "laufend": 0,
    "kommend": 1, "nächst": 1, "folgend": 1, "übernächst": 2,
    "last": -1, "previous": -1, "past": -1, "this": 0, "current": 0, "next": 1, "coming": 1, "this coming": 1,
    "following": 1,
}
PRIOR_UNITS = {"vorwoche": ("week", -1), "vormonat": ("month", -1), "vorjahr": ("year", -1), "heuer": ("year", 0)}
DAY_WORDS = {
    "vorgestern": -2, "gestern": -1, "heute": 0, "morgen": 1, "übermorgen": 2, "the day before yesterday": -2,
    "yesterday": -1, "last night": -1, "today": 0, "tonight": 0, "tomorrow": 1,
}
PARTS = {"anfang": 0, "early": 0, "beginning": 0, "mitte": 1, "mid": 1, "middle": 1, "ende": 2, "late": 2, "end": 2}
WINDOW_DEFAULTS = {"day": 7, "week": 4, "month": 3, "year": 3, "hour": 24}
_RECENCY_WORDS = (
    r"aktuell(?:st)?(?:e[nmrs]?)?", r"neueste[nmrs]?", r"(?-i:Neues)", r"neuigkeiten", r"zuletzt", r"gerade",
    r"jüngst(?:e[nmrs]?)?", r"derzeit(?:ig(?:e[nmrs]?)?)?", r"zurzeit", r"momentan", r"kürzlich", r"neulich",
    r"vor\s+kurzem", r"in\s+(?:letzter|jüngster)\s+zeit", r"dieser\s+tage", r"heutzutage",
    r"latest", r"most\s+recent", r"recent(?:ly)?", r"lately", r"currently", r"newest", r"right\s+now",
    r"at\s+the\s+moment", r"these\s+days", r"nowadays",
)
# Prepositions that change what a single expression means, in questions.
SINCE = {"seit", "since"}
FROM = {"ab"}
UNTIL = {"bis", "bis zum", "bis zur", "until", "till"}
AFTER = {"nach", "after"}
BEFORE = {"vor", "before"}
_RANGE_OPENERS = {"zwischen", "between", "von", "vom", "from"}
# A bare month ("August Bebel") or an article's bare year ("2000 Menschen") needs one of these before it.
MONTH_ANCHORS = SINCE | FROM | UNTIL | _RANGE_OPENERS | {"im", "in", "during", "während", "für", "for", "by"}
YEAR_ANCHORS = SINCE | FROM | UNTIL | _RANGE_OPENERS | AFTER | BEFORE
# Words ending in -s after a year that are no English plural ("1943 was", "2014 bereits").
NOT_PLURAL = {"was", "is", "has", "as", "its", "his", "this", "thus", "does", "als", "bis", "aus", "des", "das",
              "es", "uns", "ins", "etwas", "bereits", "erstmals", "damals", "stets", "jeweils", "dies", "plus"}
COUNT_NOUNS = {"people", "men", "women", "children", "persons", "police", "staff", "personnel"}


# ---------------------------------------------------------------------------------------------------------------
# Patterns: one per expression family, built from the tables
# ---------------------------------------------------------------------------------------------------------------
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
_WEEKDAY = _alternation(WEEKDAYS)
_REL = rf"(?:(?:{_alternation(RELATIVE)})(?:e[nmrs]?)?)"
_NUM = rf"(?:\d{{1,3}}|(?:{_alternation([*NUMBERS, *_VAGUE_NUMBERS])})(?!\w))"
_PART = r"anfang|mitte|ende|early|mid|late|(?:the\s+)?(?:beginning|middle|end)\s+of"
_WEEKDAY_PREFIX = rf"(?:\b(?:{_WEEKDAY}),?\s+(?:(?:den|the)\s+)?)?"  # "Freitag, den 21. Januar"
_RANGE_DASH = r"\s*(?:-|–|bis|und|to|and|until)\s*"

DAY_MONTH = re.compile(
    rf"{_WEEKDAY_PREFIX}(?<![\d.,])(?P<day>{_DAY}){_ORDINAL}(?:{_RANGE_DASH}(?P<last>{_DAY}){_ORDINAL})?"
    rf"\s*(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>{_YEAR})(?!\d))?", re.I)
MONTH_DAY = re.compile(  # English order: "January 21, 2022", "Jan. 3-10"
    rf"{_WEEKDAY_PREFIX}(?P<month>{_MONTH_EN}|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)\s+"
    rf"(?P<day>{_DAY})(?:st|nd|rd|th)?(?!\d)(?:{_RANGE_DASH}(?P<last>{_DAY})(?:st|nd|rd|th)?(?!\d))?"
    rf"(?:,?\s+(?P<year>{_YEAR})(?!\d))?(?![\d:])", re.I)
NUMERIC_DATE = re.compile(  # "21.01.2022", "21.1.22", "21.1."
    rf"{_WEEKDAY_PREFIX}(?<![\d.,])(?P<day>{_DAY})\.\s?(?P<mon>1[0-2]|0?[1-9])\."
    rf"(?:\s?(?P<year>{_YEAR})|(?P<yy>\d\d))?(?!\d|\.\d)", re.I)
ISO_DATE = re.compile(rf"(?<![\d.-])(?P<year>{_YEAR})-(?P<mon>1[0-2]|0[1-9])-(?P<day>3[01]|[12]\d|0[1-9])(?!\d)")
MONTH_ATOM = re.compile(
    rf"(?:\b(?P<part>{_PART})[\s-]+|\b(?P<named>Monat)\s+)?(?<!\w)(?P<month>{_MONTH})"
    rf"(?:\s+(?P<year>{_YEAR}){_YEAR_END})?", re.I)
YEAR_ATOM = re.compile(
    rf"(?:\b(?P<part>{_PART})[\s-]+|\b(?P<named>Jahre?s?|year)\s+)?(?<![\d.,/$€£])(?P<year>{_YEAR}){_YEAR_END}",
    re.I)
DECADE_ATOM = re.compile(  # "in den 1970ern", "1990er-Jahre", "the 1980s"
    r"(?<![\d.,])(?P<decade>(?:1[89]|20)\d0)(?:er(?:n|\s*jahren?|-jahren?)?|'?s)\b", re.I)
WEEKDAY_ATOM = re.compile(
    rf"(?:\b(?P<rel>{_REL})\s+)?\b(?P<weekday>{_WEEKDAY})(?:abend|morgen|früh|vormittag|mittag|nachmittag|nacht)?\b",
    re.I)
UNIT_ATOM = re.compile(
    rf"\b(?P<rel>{_REL})\s+(?P<unit>woche|wochenende|monats?|jahr(?:es)?|week|weekend|month|year)\b"
    rf"|\b(?P<prior>{_alternation(PRIOR_UNITS)})(?:e?s)?\b|\b(?P<weekend>wochenende|weekend)\b", re.I)
PART_UNIT_ATOM = re.compile(  # "Ende vergangenen Jahres", "Anfang der Woche", "late last year"
    rf"\b(?P<part>{_PART})[\s-]+(?:(?P<article>des|der|the|this)\s+)?(?:(?P<rel>{_REL})\s+)?"
    r"(?P<unit>woche|monats|jahres|week|month|year)\b", re.I)
WINDOW_ATOM = re.compile(
    rf"\b(?P<rel>letzten|vergangenen|zurückliegenden|jüngsten|last|past|previous)\s+(?:(?P<n>{_NUM})\s+)?"
    r"(?P<unit>tagen?|wochen|monaten?|jahren?|stunden|days|weeks|months|years|hours)\b", re.I)
AGO_DE = re.compile(rf"\bvor\s+(?P<n>{_NUM})\s+(?P<unit>tagen?|wochen?|monat(?:en)?|jahr(?:en)?|stunden?)\b",
                    re.I)
AGO_EN = re.compile(rf"\b(?P<n>{_NUM})\s+(?P<unit>days?|weeks?|months?|years?|hours?)\s+ago\b", re.I)
DAY_ATOM = re.compile(
    rf"\b(?P<word>{_alternation(DAY_WORDS)})(?!-)"  # not "Heute-Show"
    r"(?:\s+(?:früh|morgen|vormittag|mittag|nachmittag|abend|nacht|morning|afternoon|evening|night))?\b", re.I)
RECENCY_ATOM = re.compile(rf"\b(?:{'|'.join(_RECENCY_WORDS)})\b", re.I)


# ---------------------------------------------------------------------------------------------------------------
# Around an expression: its preposition, a range's connector, counts, yardsticks, names
# ---------------------------------------------------------------------------------------------------------------
# The preposition (and article) right before an expression: part of its words, and "seit"/"bis" change its meaning.
LEAD = re.compile(
    r"(?:\b(?P<prep>seit|since|bis\s+zu[mr]|bis|until|till|ab|von|vom|from|zwischen|between|nach|after|vor|aus|"
    r"before|by|am|an|im|in|on|at|during|während|um|zum|zur|for|für|over|within|innerhalb|binnen)\s+"
    r"(?:(?:dem|den|der|des|die|the)\s+)?)?$", re.I)  # an article only after a preposition: "die Mitte Juli" is "which"
CONNECTOR = re.compile(r"\s*(?:(?P<word>bis|to|until|till|und|and)\s+(?:(?:zu[mr]|dem|den|the)\s+)?|[-–—]\s*)",
                       re.I)
COUNT_BEFORE = re.compile(r"\b(?:als|über|rund|etwa|fast|knapp|mindestens|circa|ca\.|zu|than|over|nearly|"
                          r"almost|around|approximately|about|least|up\s+to)\s+$", re.I)
# "so niedrig wie im Februar", "teurer als im Vorjahr", "higher than last year": a yardstick, not the time asked or
# reported about ("als" only after a comparative: "aber als am Freitag …" is "when").
COMPARED = re.compile(r"(?<![.!?]\s)(?<!^)\b(?:wie|than|(?:mehr|weniger|(?!(?:aber|oder|immer|wieder|jeder|über|"
                      r"unter)\b)\w{2,}er)\s+als)\s+$", re.I)
LISTED = re.compile(r"\b(?:und|and|oder|or|bis|to)\s+$", re.I)
COMPARISON = re.compile(r"\b(?:als|than)\s+(?:\w+\s+){0,2}$", re.I)
NAMED_DAY = re.compile(r"\b(?:black|good|cyber)\s+$", re.I)
NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
PREVIOUS_WORD = re.compile(r"(\w+)\s+$")


# ---------------------------------------------------------------------------------------------------------------
# Context cues: which way a relative expression points (rag/when_context.py)
# ---------------------------------------------------------------------------------------------------------------
FORWARD_LEADS = {"ab", "bis", "bis zum", "bis zur", "until", "till", "by", "für", "for"}
BACKWARD_LEADS = SINCE
# Future and past in the clause around an expression: "werden am Montag fortgesetzt" (a preview), "hatte am
# Freitag eingesetzt". The German present tense is also the future's, so only these words decide; "werde"
# (reported speech) does not.
FUTURE_CUE = re.compile(r"\b(?:wird|werden|soll|sollen|will|wollen|geplant|angesetzt|voraussichtlich|is\s+due|"
                        r"are\s+due|scheduled|is\s+expected|are\s+expected|plans?\s+to|planned)\b", re.I)
PAST_CUE = re.compile(r"\b(?:hatte|hatten|war|waren|wurde|wurden|had|were)\b", re.I)  # not "was": German "what"
CLAUSE_END = re.compile(r"[.;:!?](?=\s|$)|,\s|\n")
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")

__all__ = [
    "AFTER", "AGO_DE", "AGO_EN", "BACKWARD_LEADS", "BEFORE", "CLAUSE_END", "COMPARED", "COMPARISON", "CONNECTOR",
    "COUNT_BEFORE", "COUNT_NOUNS", "DAY_ATOM", "DAY_MONTH", "DAY_WORDS", "DECADE_ATOM", "FORWARD_LEADS", "FROM",
    "FUTURE_CUE", "ISO_DATE", "LEAD", "LISTED", "MONTHS", "MONTH_ANCHORS", "MONTH_ATOM", "MONTH_DAY", "NAMED_DAY",
    "NEXT_WORD", "NOT_PLURAL", "NUMBERS", "NUMERIC_DATE", "PARTS", "PART_UNIT_ATOM", "PAST_CUE", "PREVIOUS_WORD",
    "PRIOR_UNITS", "RECENCY_ATOM", "RELATIVE", "SENTENCE_END", "SINCE", "UNITS", "UNIT_ATOM", "UNTIL", "WEEKDAYS",
    "WEEKDAY_ATOM", "WINDOW_ATOM", "WINDOW_DEFAULTS", "YEAR_ANCHORS", "YEAR_ATOM",
]
