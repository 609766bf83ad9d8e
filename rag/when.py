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
reference day passed in: there is no `date.today()` in this module or the ones below.

The grammar is split along its jobs; this module holds the public entry points and the types they return:
- rag/when_words.py: the vocabulary — word tables and the regular expressions built from them
- rag/when_specs.py: what an expression says (a spec) and where the text has it (a hit)
- rag/when_parse.py: text → hits with specs (rejecting words that are no time expression, joining ranges)
- rag/when_resolve.py: a spec → its first and last day, against a reference day
- rag/when_context.py: which way a relative expression points, read from the text around it; the loop over a text
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.when_context import resolved
from rag.when_specs import Recency
from rag.when_words import AFTER, BEFORE, FROM, SINCE, UNTIL

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
# Public API
# ---------------------------------------------------------------------------------------------------------------
def question_period(question: str, today: date) -> Period | None:
    """The date range or recency preference a question states, relative to `today`; None when it states none.

    The first expression that names real days wins; "seit X" runs to today, "ab X" is open-ended, "bis X" has no
    start, "nach X" starts the day after X, "vor X" ends the day before. Recency words count only when the
    question names no range."""
    recency: Period | None = None
    for hit, dates in resolved(question, today, question=True):
        words = question[hit.start : hit.end]
        if isinstance(hit.spec, Recency):
            recency = recency or Period(None, None, words, recency=True, start=hit.start, end=hit.end)
            continue
        if dates is None:
            continue
        since, until = dates
        if hit.lead in SINCE:
            since, until = since, today
        elif hit.lead in FROM:
            until = None
        elif hit.lead in UNTIL:
            since = None
        elif hit.lead in AFTER:
            since, until = until + timedelta(days=1), None
        elif hit.lead in BEFORE:
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
    for hit, dates in resolved(text, published, question=False):
        if dates is not None and not hit.weak:
            mentions.append(DateMention(hit.start, hit.end, dates[0], dates[1], text[hit.start : hit.end]))
    return mentions
