"""Passages: retrieved stretches of articles, and what is done to a ranked list of them before it is cited: one
copy per story, newest first on request, neighbours merged, each run on to the end of its paragraph."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from rag.text import sentence_spans

# A chunk can end one sentence before the fact: the sentence that matches the question names the topic and the
# next one answers it ("... zwei bisher unbekannte Kladen des Y. pestis-Genoms ..." | "Diese wurden als Y. p.
# orientalis und Y. p. medievalis identifiziert"). Each passage runs on to the end of its paragraph, by at most
# this many sentences and characters, so a cited passage reads as a whole (measured on the dev set: citation
# support +2 questions, answer containment +2).
CONTEXT_SENTENCES = 2
CONTEXT_CHARS = 400
# The cap makes room for other articles only when they are real alternatives: a capped chunk scoring more
# than twice as high as the next other article's keeps its slot (measured on the dev set: recall@1 0.950 →
# 0.954).
CAP_YIELD = 0.5
# Copies of one story give their passages nearly the same score (the same words; only the length norm differs):
# the representative's passage stands for the story when it scores at least this share of the best copy's.
SAME_STORY = 0.9


@dataclass(frozen=True)
class Passage:
    """A retrieved stretch of one article (one chunk, or neighbouring chunks merged)."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str
    url: str
    text: str
    start: int
    end: int
    subheading: str
    score: float
    chunk_ids: tuple[str, ...] = ()
    also_in: tuple[dict[str, str], ...] = ()  # other copies of this story (see `rag.dedup`), never cited apart

    @classmethod
    def from_chunk(cls, chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
        return cls(chunk_id, str(meta["article_id"]), str(meta.get("title", "")), str(meta.get("source", "")),
                   str(meta.get("published", "")), str(meta.get("url", "")), text, int(meta["start"]),
                   int(meta["end"]), str(meta.get("subheading", "")), score, (chunk_id,))


def one_copy_per_story(candidates: list[Passage], catalog: dict[str, Any], stories: dict[str, list[Any]]
                       ) -> list[Passage]:
    """Copies of one story (`rag.dedup`) are one source: only one copy's passages stay, each listing the other
    copies in `also_in`. The copy that stands for the story is its representative (the most complete, then the
    earliest) when one of its passages scores at least SAME_STORY of the story's best, else the best-scoring."""
    def story_of(passage: Passage) -> str:
        info = catalog.get(passage.article_id)
        return info.story if info is not None else passage.article_id

    best: dict[str, Passage] = {}
    for passage in candidates:
        best.setdefault(story_of(passage), passage)
    standing: dict[str, str] = {}
    for story, top in best.items():
        members = stories.get(story, [])
        if len(members) < 2:
            continue
        first = members[0].id
        near = any(p.article_id == first and p.score >= SAME_STORY * top.score for p in candidates)
        standing[story] = first if near else top.article_id
    kept = []
    for passage in candidates:
        story = story_of(passage)
        if story not in standing:
            kept.append(passage)
        elif passage.article_id == standing[story]:
            copies = tuple({"article_id": m.id, "source": m.source, "published": m.published, "url": m.url}
                           for m in stories[story] if m.id != passage.article_id)
            kept.append(replace(passage, also_in=copies))
    return kept


def newest_first(candidates: list[Passage]) -> list[Passage]:
    """The real alternatives (at least CAP_YIELD of the best score) newest first, each given the best score so
    the order holds; the rest after them, by score."""
    best = candidates[0].score
    alternatives = [p for p in candidates if p.score >= CAP_YIELD * best]
    alternatives.sort(key=lambda p: p.published[:10], reverse=True)
    rest = [p for p in candidates if p.score < CAP_YIELD * best]
    return [replace(p, score=best - 1e-6 * rank) for rank, p in enumerate(alternatives)] + rest


def merge_neighbours(passages: Sequence[Passage]) -> list[Passage]:
    """Join passages of one article whose spans overlap or touch, so a cited passage reads as a whole.

    The merged passage takes the rank and score of its best part.
    """
    merged: list[Passage] = []
    for passage in passages:
        for i, kept in enumerate(merged):
            touching = passage.start <= kept.end + 2 and kept.start <= passage.end + 2
            if kept.article_id == passage.article_id and touching:
                merged[i] = _join(kept, passage)
                break
        else:
            merged.append(passage)
    return merged


def _join(a: Passage, b: Passage) -> Passage:
    first, second = (a, b) if a.start <= b.start else (b, a)
    if second.end <= first.end:
        text, end = first.text, first.end
    else:
        gap = second.start - first.end
        joiner = "" if gap < 0 else "\n\n" if gap == 2 else " "  # chunks part at paragraph breaks or spaces
        text = first.text + joiner + second.text[max(0, first.end - second.start):]
        end = second.end
    return replace(first, text=text, end=end, score=max(a.score, b.score), chunk_id=a.chunk_id,
                   chunk_ids=a.chunk_ids + b.chunk_ids, subheading=first.subheading)


_BLANK_LINE = re.compile(r"\n\s*\n")


def with_context(passage: Passage, article_text: str) -> Passage:
    """The passage run on to the end of its paragraph (CONTEXT_SENTENCES / CONTEXT_CHARS at most).

    Unchanged when the article text no longer holds the passage at its span (the article was replaced since
    the passage was found)."""
    if article_text[passage.start : passage.end] != passage.text:
        return passage
    blank_line = _BLANK_LINE.search(article_text, passage.end)
    paragraph_end = blank_line.start() if blank_line else len(article_text)
    end = passage.end
    for _, sentence_end in islice(sentence_spans(article_text, passage.end, paragraph_end), CONTEXT_SENTENCES):
        if sentence_end - passage.end > CONTEXT_CHARS:
            break
        end = sentence_end
    if end == passage.end:
        return passage
    return replace(passage, text=article_text[passage.start : end], end=end)


__all__ = ["CAP_YIELD", "CONTEXT_CHARS", "CONTEXT_SENTENCES", "SAME_STORY", "Passage", "merge_neighbours",
           "newest_first", "one_copy_per_story", "with_context"]
