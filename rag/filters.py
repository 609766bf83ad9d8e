"""What a question may draw on: a date range (publication days, and for a period read from the question also the
days chunks mention) and outlets, as a Chroma `where` clause and as the lexical index's mask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rag.errors import ConfigError
from rag.schema import published_day

# A period from the question also matches chunks that mention a day in it (reported later); Chroma matches such
# a day by value, so periods up to this many days list their days, longer ones match by publication date only.
EVENT_DAYS_LISTED = 62


@dataclass(frozen=True)
class Filters:
    """Date range (ISO dates, inclusive) and outlets; empty means no restriction. With `events` (a period read
    from the question), a chunk is in the range when its article was published in it or it mentions a day in it
    (`Chunk.event_days`), and undated articles are kept: they cannot be placed in time, and a question's "2007"
    may be what an undated text is about. Explicit --since / --until keep dated articles only."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    events: bool = False

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value:
                try:
                    date.fromisoformat(value[:10])
                except ValueError:
                    raise ConfigError(f"--{name} must be a date like 2022-01-21, got {value!r}") from None

    @property
    def since_day(self) -> int:
        return published_day(self.since or "")

    @property
    def until_day(self) -> int:
        return published_day(self.until or "")

    def event_days(self) -> list[int]:
        """The days of the range as `published_day` numbers, when events count and the range is short enough."""
        if not (self.events and self.since and self.until):
            return []
        first, last = date.fromisoformat(self.since[:10]), date.fromisoformat(self.until[:10])
        if not 0 <= (last - first).days < EVENT_DAYS_LISTED:
            return []
        return [published_day((first + timedelta(days=n)).isoformat()) for n in range((last - first).days + 1)]

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        published: list[dict[str, Any]] = []
        if self.since_day:
            published.append({"published_day": {"$gte": self.since_day}})
        if self.until_day:
            published.append({"published_day": {"$lte": self.until_day}})
            published.append({"published_day": {"$gt": 0}})
        if self.events and published:
            in_range = published[0] if len(published) == 1 else {"$and": published}
            mentioned = [{"event_days": {"$contains": day}} for day in self.event_days()]
            clauses.append({"$or": [in_range, {"published_day": {"$eq": 0}}, *mentioned]})
        else:
            clauses += published
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


__all__ = ["EVENT_DAYS_LISTED", "Filters"]
