"""Timelines: "Wie hat sich X entwickelt?", "Chronologie", "Verlauf" answer with one dated sentence per article,
in date order, each cited; and digests: a question that names only a period ("Was geschah gestern?") answers
with what the period's articles report, in the same form.

A sentence's date is the first day it mentions (relative references resolved against its article's date: "am
Dienstag" in a report of Friday), else the day its article was published. Only articles that are on the topic
by themselves take part: each passage must pass the relevance judge (`rag.relevance`) on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache

from rag.cite import Draft
from rag.extractive import Similarity, select_sentences
from rag.messages import format_day, format_period
from rag.retrieve import Passage
from rag.schema import published_date
from rag.text import sentence_spans, terms
from rag.when import mentioned_dates

# The words that ask for a development over time (the "Wie hat sich X entwickelt?", "Chronologie",
# "Verlauf", and their English counterparts); matched as analysed terms, so inflected forms count too.
_TIMELINE_WORDS = ("entwickelt entwickelte Entwicklung Chronologie chronologisch Verlauf verlief Zeitleiste Zeitstrahl "
                   "timeline chronology develop developed development evolve evolved")
TIMELINE_ARTICLES = 8  # at most this many dated steps: a timeline longer than a screen is a list to read
# A timeline shows how something went from one article to the next: with fewer dated steps than this it is an
# ordinary answer ("Wie verlief das Gespräch?" asked of one article wants how the talks went, not a list of one).
TIMELINE_MIN_STEPS = 2


@lru_cache(maxsize=1)
def _timeline_terms() -> frozenset[str]:
    return frozenset(terms(_TIMELINE_WORDS))


def asks_for_timeline(question: str) -> bool:
    return bool(terms(question) & _timeline_terms())


def timeline_query(question: str) -> str:
    """The question without the words that ask for a timeline: they name no topic to search for."""
    wanted = _timeline_terms()
    kept = [word for word in question.split() if not terms(word) & wanted]
    return " ".join(kept) or question


def timeline_drafts(query: str, passages: Sequence[Passage], idf: dict[str, float],
                    similarity: Similarity | None, language: str, on_topic: Callable[[Passage], bool]) -> list[Draft]:
    """One dated draft per article on the topic (its best sentence for the query), oldest first."""
    steps: list[tuple[date, int, Draft]] = []
    seen: set[str] = set()
    for index, passage in enumerate(passages):
        if passage.article_id in seen or not on_topic(passage):
            continue
        seen.add(passage.article_id)
        chosen = select_sentences(query, [passage], idf, (), similarity)
        if not chosen:
            continue
        # A step of a timeline is an event: of the sentences that answer, one that names its day if any.
        sentence = next((s for s in chosen if _names_a_day(passage.text[s.start : s.end], passage.published)),
                        chosen[0])
        text = passage.text[sentence.start : sentence.end]
        day = sentence_day(text, passage.published)
        if day is None:
            continue  # an undated article has no place in a timeline
        draft = Draft(text, [index], {index: (sentence.start, sentence.end)}, prefix=f"- {format_day(day, language)}: ")
        steps.append((day, index, draft))
        if len(steps) == TIMELINE_ARTICLES:
            break
    return [draft for _, _, draft in sorted(steps, key=lambda step: (step[0], step[1]))]


def digest_drafts(passages: Sequence[Passage], since: date, until: date, language: str) -> list[Draft]:
    """What a period's articles report, one dated sentence each, oldest first: the sentence that mentions a
    day of the period, else the article's first (news puts the event there)."""
    steps: list[tuple[date, int, Draft]] = []
    for index, passage in enumerate(passages):
        spans = list(sentence_spans(passage.text))
        published = published_date(passage.published)
        if not spans or (published is None and not since):
            continue
        span, day, label = spans[0], published, format_day(published, language) if published else ""
        for mention in mentioned_dates(passage.text, published):
            if mention.since <= until and since <= mention.until:  # "kommende Woche" overlapping the period
                span = next((s for s in spans if s[0] <= mention.start < s[1]), span)
                day, label = mention.since, format_period(mention.since.isoformat(), mention.until.isoformat(), "",
                                                          language)
                break
        if day is None:
            continue
        text = passage.text[span[0] : span[1]]
        steps.append((day, index, Draft(text, [index], {index: span}, prefix=f"- {label}: ")))
    return [draft for _, _, draft in sorted(steps, key=lambda step: (step[0], step[1]))]


def _names_a_day(sentence: str, published: str) -> bool:
    reference = published_date(published)
    return any(m.since == m.until for m in mentioned_dates(sentence, reference))


def sentence_day(sentence: str, published: str) -> date | None:
    """The first day the sentence mentions, else its article's date; None when neither is known."""
    reference = published_date(published)
    days = [m for m in mentioned_dates(sentence, reference) if m.since == m.until]
    return days[0].since if days else reference


__all__ = ["TIMELINE_ARTICLES", "TIMELINE_MIN_STEPS", "asks_for_timeline", "digest_drafts", "sentence_day",
           "timeline_drafts", "timeline_query"]
