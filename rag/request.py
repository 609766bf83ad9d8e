"""What one question carries through the Assistant's chain: the question, its scope and history, and what each
step adds (the search text, the retrieval, the timings). Apart from rag/assistant.py, which holds the steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.filters import Filters
from rag.periods import AppliedPeriod
from rag.retrieve import Retrieval


@dataclass
class Request:
    question: str
    history: list[tuple[str, str]]
    k: int
    scope: AppliedPeriod
    mode: str
    language: str
    timeline: bool = False
    base: str = ""  # the question without time or timeline words: what is searched for
    query: str = ""  # `base`, completed from the history for a follow-up
    retrieval: Retrieval | None = None
    timings: dict[str, float] = field(default_factory=dict)


def request_filters(since: str | None, until: str | None, sources: Sequence[str] | str | None) -> Filters:
    """The filters a call names: its dates as given (checked later), its sources without empty names."""
    if isinstance(sources, str):
        sources = [sources]
    return Filters(since or None, until or None, tuple(s for s in (sources or ()) if s))


__all__ = ["Request", "request_filters"]
