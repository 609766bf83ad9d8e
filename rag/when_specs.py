"""What a time expression says (a spec) and where a text has it (a hit), before any reference day is known.

Specs are the interface between reading and resolving: rag/when_parse.py makes them from matched words,
rag/when_resolve.py turns them into a first and last day. They live here, apart from both, so that neither of the
two depends on the other and the shapes an expression can take are listed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Days:
    """Days `day`…`last` of a month; year None: inferred from the reference day."""

    month: int
    day: int
    last: int
    year: int | None


@dataclass(frozen=True)
class Months:
    month: int
    year: int | None
    part: int | None  # 0 Anfang (1–10), 1 Mitte (11–20), 2 Ende (21–end); None the whole month


@dataclass(frozen=True)
class Year:
    year: int
    part: int | None  # thirds of the year
    bare: bool  # no "Jahr"/"Anfang" with it: articles take it only after "seit", "bis", …


@dataclass(frozen=True)
class Weekday:
    weekday: int  # 0 = Monday
    offset: int | None  # None most recent incl. the reference day, -1 strictly before, 1 strictly after, 0 this week


@dataclass(frozen=True)
class Calendar:
    unit: str  # day, week, weekend, month, year
    offset: int | None  # units from the reference's; None only for "am Wochenende" (the most recent weekend)


@dataclass(frozen=True)
class PartOf:
    """The first, middle or last third of a calendar week, month or year."""

    unit: str
    offset: int
    part: int


@dataclass(frozen=True)
class Window:
    unit: str  # day, week, month, year, hour
    count: int | None  # None: the unit's default


@dataclass(frozen=True)
class Range:
    first: Spec
    last: Spec


@dataclass(frozen=True)
class Recency:
    """A recency word ("aktuell", "latest"): a preference for the newest, no range."""


Spec = Days | Months | Year | Weekday | Calendar | PartOf | Window | Range | Recency


@dataclass(frozen=True)
class Hit:
    """One expression found in a text, with the preposition before it."""

    start: int  # including the preposition before it
    core: int  # where the time words themselves start
    end: int
    spec: Spec
    lead: str  # that preposition, lowercase with single spaces ("seit", "bis zum"); "" when none
    weak: bool = False  # a bare year without an anchor: a question's, not an article's


__all__ = ["Calendar", "Days", "Hit", "Months", "PartOf", "Range", "Recency", "Spec", "Weekday", "Window", "Year"]
