"""Resolving a spec against a reference day (see rag/when.py): its first and last day.

Calendar arithmetic only: which year a month or day without one means, weekdays, calendar weeks, weekends, months
and years with their thirds, windows ending on the reference day, ranges. Which way a relative expression points
comes in as a `Frame`, built from the text around it by rag/when_context.py, so this module never reads text.
Resolution uses only the reference day passed in: there is no `date.today()` here.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from rag.when_specs import Calendar, Days, Months, PartOf, Range, Recency, Spec, Weekday, Window, Year
from rag.when_words import WINDOW_DEFAULTS


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Frame:
    """What a relative expression is read against: the reference day, and what its context says."""

    ref: date | None
    question: bool
    direction: int = 0  # 1: on or after the reference day ("ab", "bis", "für", "wird"), -1: on or before, 0: default
    monday: date | None = None  # the week a bare weekday lies in ("kommende Woche: Am Mittwoch")
    year: int | None = None  # the year the other end of a range names


def _infer_year(month: int, day: int | None, frame: Frame) -> int | None:
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


def resolve(spec: Spec, frame: Frame) -> tuple[date, date] | None:
    """The first and last day the spec means; None when it needs a reference day and there is none, or names no
    real day ("30. Februar")."""
    try:
        return _resolve_dates(spec, frame)
    except (ValueError, OverflowError):
        return None


def _resolve_dates(spec: Spec, frame: Frame) -> tuple[date, date] | None:
    match spec:
        case Days(month, day, last, stated):
            chosen = stated or _infer_year(month, day, frame)
            return (date(chosen, month, day), date(chosen, month, last)) if chosen else None
        case Months(month, stated, part):
            chosen = stated or _infer_year(month, None, frame)
            if not chosen:
                return None
            return _third(date(chosen, month, 1), _month_end(chosen, month), "month", part)
        case Year(stated, part, _):
            return _third(date(stated, 1, 1), date(stated, 12, 31), "year", part)
        case Range(first, last):
            return _resolve_range(first, last, frame)
        case Recency():
            return None
    return _resolve_relative(spec, frame.ref, frame) if frame.ref else None


def _resolve_range(first: Spec, last: Spec, frame: Frame) -> tuple[date, date] | None:
    end = resolve(last, frame)
    if end is None:
        return None
    start = resolve(first, replace(frame, year=end[0].year))
    if start and start[0] > end[0] and isinstance(first, Days | Months) and first.year is None:
        start = resolve(first, replace(frame, year=end[0].year - 1))  # "vom 20. Dezember bis 10. Januar 2022"
    if start and start[0] > end[0] and isinstance(first, Weekday):
        start = resolve(first, replace(frame, ref=end[0], direction=-1))  # "von Montag bis Mittwoch" on a Monday
    return (start[0], end[1]) if start else None


def _resolve_relative(spec: Spec, ref: date, frame: Frame) -> tuple[date, date] | None:
    match spec:
        case Weekday(weekday, offset):
            return (_weekday(weekday, offset, ref, frame),) * 2
        case Calendar(unit, offset):
            first, last = _calendar(unit, offset, ref)
            if frame.question and offset == 0 and unit in ("week", "month", "year"):
                last = min(last, ref)  # "diese Woche": Monday … today
            return first, last
        case PartOf(unit, offset, part):
            return _third(*_calendar(unit, offset, ref), unit, part)
        case Window(unit, count):
            return _window(unit, count or WINDOW_DEFAULTS[unit], ref), ref
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


def _weekday(weekday: int, offset: int | None, ref: date, frame: Frame) -> date:
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


__all__ = ["Frame", "resolve"]
