"""The period an answer is restricted to: explicit `since` / `until` win; otherwise the question's own time words
("letzte Woche", "gestern", "im Jänner 2022"), read by `rag.when` relative to the reference day.

A period from the question counts a chunk in when its article was published in the period or it mentions a day
in it, so "Was geschah am 21. Januar 2022?" also finds the report published three days later. Words like
"aktuell" or "neueste" set no range: they ask for the newest of what answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH, STOPWORDS_SPANISH

from rag.errors import ConfigError
from rag.messages import format_day, format_period, message
from rag.retrieve import Filters
from rag.text import STOPWORDS
from rag.when import mentioned_dates, question_period, without_expression

# The stop words of the languages questions come in (German, English, French, Spanish: `rag.language`).
_STOPWORDS = STOPWORDS | frozenset(STOPWORDS_EN_PLUS) | frozenset(STOPWORDS_FRENCH) | frozenset(STOPWORDS_SPANISH)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class AppliedPeriod:
    """What a question is answered for: the filters, the period as `Answer.period` reports it (no dates when the
    question only asks for the newest), the text to search with (the question without its time words) and
    whether the newest answers are preferred."""

    filters: Filters
    period: dict[str, str | None] | None
    search_text: str
    prefer_recent: bool = False
    topic: str = ""  # the question without its time words, whatever the search keeps
    anchor: date | None = None  # the day the time words were read from, when not the reference day (an archive)

    @property
    def names_only_a_period(self) -> bool:
        """ "Was geschah gestern?", "What happened last week?": a period with dates and at most one word
        beside it that is no stop word (the verb), so perhaps no topic to search for. When the search finds
        nothing that answers, the answer is what the period's articles report."""
        dated = bool(self.period and (self.period.get("since") or self.period.get("until")))
        words = [(n, w) for n, w in enumerate(_WORD.findall(self.topic))
                 if len(w) > 1 and w.casefold() not in _STOPWORDS]
        # German capitalises nouns: "Welche Stürme gab es im Oktober?" names a topic, "Was geschah?" does not.
        return dated and (not words or (len(words) == 1 and (words[0][0] == 0 or not words[0][1][0].isupper())))

    @property
    def from_question(self) -> bool:
        return bool(self.period and self.period.get("expression"))


def reference_day(today: date | str | None, configured: date | None) -> date:
    """The day time words count from: the call's `today`, else RAG_TODAY, else the real today."""
    if isinstance(today, str) and today.strip():
        try:
            return date.fromisoformat(today.strip()[:10])
        except ValueError:
            raise ConfigError(f"today must be a date like 2026-03-16, got {today!r}") from None
    if isinstance(today, date):
        return today
    return configured or date.today()


def apply_period(question: str, *, since: str | None, until: str | None, sources: Sequence[str],
                 today: date, infer: bool = True) -> AppliedPeriod:
    """The filters and period for a question (see the module docstring)."""
    found = question_period(question, today) if infer else None
    # Relative words ("gestern", "letzte Woche") are not what an article writes about the day; a date with
    # numbers ("2007", "21. Januar 2022") may well be, and stays in the search.
    absolute = found is None or any(ch.isdigit() for ch in found.expression)
    search_text = question if absolute else without_expression(question, found) or question
    topic = without_expression(question, found) if found is not None else question
    if since or until:  # explicit dates win over the question's
        filters = Filters(since or None, until or None, tuple(sources))
        return AppliedPeriod(filters, {"since": since or None, "until": until or None, "expression": ""},
                             search_text, topic=topic)
    if found is None:
        return AppliedPeriod(Filters(sources=tuple(sources)), None, question, topic=question)
    if found.recency:  # reported as a period without dates, so it shows (and can be removed) like one
        return AppliedPeriod(Filters(sources=tuple(sources)), {"since": None, "until": None,
                                                               "expression": found.expression},
                             search_text, prefer_recent=True, topic=topic)
    period = found.to_dict()
    filters = Filters(period["since"], period["until"], tuple(sources), events=True)
    return AppliedPeriod(filters, period, search_text, topic=topic)


def question_scope(question: str, filters: Filters, *, today: date | str | None, configured: date | None,
                   infer: bool, newest: Callable[[], date | None]) -> AppliedPeriod:
    """The scope of a question: `apply_period` from the reference day (`reference_day`); without a day given
    (`today`, RAG_TODAY: that day is the present, whatever the corpus) read as an archive would be
    (`read_in_the_archive`)."""
    scope = apply_period(question, since=filters.since, until=filters.until, sources=filters.sources,
                         today=reference_day(today, configured), infer=infer)
    given = today.strip() if isinstance(today, str) else today
    if not given and configured is None:
        scope = read_in_the_archive(scope, question, sources=filters.sources, newest=newest)
    return scope


def read_in_the_archive(scope: AppliedPeriod, question: str, *, sources: Sequence[str],
                        newest: Callable[[], date | None]) -> AppliedPeriod:
    """An archive's present is its newest article's day: time words that, counted from today, name a period
    after everything the corpus holds ("am Freitag" asked in 2026 of articles from January 2022) are counted
    from that day instead, so they name the days the articles speak of. Only for the question's own words, and
    only when the reading changes; the answer says so (`anchor`). The scope unchanged otherwise. `newest`: the
    newest article's day (asked only for a question with time words)."""
    since = (scope.period or {}).get("since")
    if not scope.from_question or not since:
        return scope
    last = newest()
    if last is None or date.fromisoformat(since) <= last:
        return scope
    again = apply_period(question, since=None, until=None, sources=sources, today=last)
    if again.period == scope.period or not again.period or not again.period.get("since"):
        return scope
    return replace(again, anchor=last)


def tells_of_the_period(sentence: str, period: dict[str, str | None], published: date | None) -> bool:
    """Whether a sentence tells of the period a question asks about, though its article appeared outside it: it
    mentions a day or stretch inside, read from its article's date ("soll es im Februar erneut Gespräche …
    geben" for "Was soll im Februar passieren?"), or names a year of the question's time words ("2014 hatten
    russische Truppen die Krim besetzt" for "Was geschah 2014?": a bare year in an article is no date of its own,
    `rag.when`)."""
    since = date.fromisoformat(period.get("since") or "0001-01-01")
    until = date.fromisoformat(period.get("until") or "9999-12-31")
    if any(m.since <= until and m.until >= since for m in mentioned_dates(sentence, published)):
        return True
    years = re.findall(r"\d{4}", str(period.get("expression") or ""))
    return any(re.search(rf"(?<!\d){year}(?!\d)", sentence) for year in years)


def newest_day(published: Iterable[str | None]) -> date | None:
    days = [day[:10] for day in published if day]
    return date.fromisoformat(max(days)) if days else None


def archive_notice(scope: AppliedPeriod, language: str) -> str | None:
    """What the answer says when the question's time words were counted from the newest article's day."""
    if scope.anchor is None or scope.period is None:
        return None
    period = format_period(scope.period.get("since"), scope.period.get("until"),
                           str(scope.period.get("expression") or ""), language)
    return message(language, "archive", day=format_day(scope.anchor, language), period=period)


__all__ = ["AppliedPeriod", "apply_period", "archive_notice", "newest_day", "question_scope", "read_in_the_archive",
           "reference_day", "tells_of_the_period"]
