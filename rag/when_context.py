"""Context for resolving (see rag/when.py): which way a relative expression points, and the loop over a text.

A bare "am Freitag" may be last Friday or the coming one; what decides is read from the text around it, in this
order: its preposition ("ab", "bis", "für": ahead; "seit": back), a week or weekend named earlier in the text
("kommende Woche angesetzt: Am Mittwoch"), the tense of its clause ("werden … fortgesetzt", "hatte"), a preview
just before in the same paragraph. `resolved` walks a text's expressions in order, each in the context of the
ones before it. Apart from rag/when_resolve.py because this part reads text, that one only computes dates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from rag.when_parse import expressions
from rag.when_resolve import Frame, resolve
from rag.when_specs import Calendar, Hit, Recency, Weekday
from rag.when_words import BACKWARD_LEADS, CLAUSE_END, FORWARD_LEADS, FUTURE_CUE, PAST_CUE, SENTENCE_END


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: from the last , ; : . ! ? before it to the next one after it."""
    before = [m.end() for m in CLAUSE_END.finditer(text, max(0, start - 200), start)]
    after = CLAUSE_END.search(text, end)
    return text[before[-1] if before else max(0, start - 200) : after.start() if after else end + 200]


def _tense(text: str, hit: Hit) -> int:
    """1 when the clause speaks of the future, -1 of the past, 0 when it does not say (or says both)."""
    clause = _clause(text, hit.core, hit.end)
    future, past = bool(FUTURE_CUE.search(clause)), bool(PAST_CUE.search(clause))
    return int(future) - int(past)


@dataclass
class _Context:
    """What earlier expressions of the same text tell about later ones."""

    week: tuple[int, date] | None = None  # where the last named week ended, and its Monday
    weekend: date | None = None  # the Saturday of the last named weekend
    future: int | None = None  # where the last relative expression that pointed ahead ended

    def frame(self, text: str, hit: Hit, ref: date | None, question: bool) -> Frame:
        """The frame for `hit`: its preposition's direction first ("seit", "ab", "bis", "für"), then for a bare
        weekday the week named earlier in its sentence ("kommende Woche angesetzt: Am Mittwoch") or, for
        Saturday and Sunday, the weekend named earlier ("an diesem Wochenende"), then the tense of its clause,
        then a preview just before in the same paragraph ("werden am Montag fortgesetzt. … am Mittwoch")."""
        frame = Frame(ref, question)
        if hit.lead in FORWARD_LEADS or hit.lead in BACKWARD_LEADS:
            return replace(frame, direction=1 if hit.lead in FORWARD_LEADS else -1)
        weekday = hit.spec.weekday if isinstance(hit.spec, Weekday) and hit.spec.offset is None else None
        if weekday is not None and self.week and not SENTENCE_END.search(text, self.week[0], hit.core):
            return replace(frame, monday=self.week[1])
        if weekday is not None and weekday >= 5 and self.weekend:
            return replace(frame, monday=self.weekend - timedelta(days=5))
        tense = _tense(text, hit)
        if tense:
            return replace(frame, direction=tense)
        if weekday is not None and self.future is not None and "\n\n" not in text[self.future : hit.core]:
            return replace(frame, direction=1)
        return frame

    def remember(self, hit: Hit, dates: tuple[date, date], ref: date | None) -> None:
        spec = hit.spec
        if isinstance(spec, Calendar) and spec.unit == "week":
            self.week = (hit.end, dates[0])
        elif isinstance(spec, Calendar) and spec.unit == "weekend":
            self.weekend = dates[0]
        if isinstance(spec, Weekday | Calendar) and ref is not None:
            self.future = hit.end if dates[0] > ref else None


def resolved(text: str, ref: date | None, question: bool) -> list[tuple[Hit, tuple[date, date] | None]]:
    """Every expression of the text with its first and last day (None for recency words and unreadable ones)."""
    context = _Context()
    results: list[tuple[Hit, tuple[date, date] | None]] = []
    for hit in expressions(text):
        dates = None if isinstance(hit.spec, Recency) else resolve(hit.spec, context.frame(text, hit, ref, question))
        if dates is not None:
            context.remember(hit, dates, ref)
        results.append((hit, dates))
    return results


__all__ = ["resolved"]
