"""Article → chunks that respect subheadings, paragraphs and sentences, with exact character spans.

A chunk never crosses a subheading; it ends at a sentence end (a sentence longer than the chunk size is cut at
a space); consecutive chunks of one paragraph overlap by whole sentences up to `overlap` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rag.schema import Article, Chunk, content_hash, published_date, published_day
from rag.text import paragraph_spans, sentence_spans
from rag.when import mentioned_dates

MENTION_DAYS = 7  # a week ("kommende Woche") is the longest mention whose days a chunk keeps


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    paragraph: int  # which paragraph of the section it belongs to


def chunk_id(article: Article, start: int, text: str) -> str:
    """Content-derived and version-specific, so re-ingesting is idempotent and updates never overwrite."""
    return content_hash(article.id, article.hash, str(start), text)[:32]


def chunk_article(article: Article, *, size: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    mentions = _mentions(article)
    for start, end, heading in _sections(article):
        for span_start, span_end in _pack(_units(article.text, start, end, size), size, overlap):
            text = article.text[span_start:span_end]
            days = sorted({day for at, day in mentions if span_start <= at < span_end})
            chunks.append(Chunk(chunk_id(article, span_start, text), article.id, text, span_start, span_end,
                                heading, len(chunks), tuple(days)))
    return chunks


def _mentions(article: Article) -> list[tuple[int, int]]:
    """(offset, day) of each day the article's text mentions: dates and relative references ("gestern", "am
    Freitag", "kommende Woche") resolved against its published date. A mention of a longer stretch ("im
    Februar") names no day a question could ask about and is left out."""
    published = published_date(article.published)
    found: list[tuple[int, int]] = []
    for mention in mentioned_dates(article.text, published):
        length = (mention.until - mention.since).days + 1
        if 0 < length <= MENTION_DAYS:
            found += [(mention.start, published_day((mention.since + timedelta(days=n)).isoformat()))
                      for n in range(length)]
    return found


def _sections(article: Article) -> list[tuple[int, int, str]]:
    """(start, end, subheading) of each stretch of text under one subheading."""
    marks = sorted((offset, heading) for offset, heading in article.subheadings if 0 < offset < len(article.text))
    starts = [(0, ""), *marks]
    ends = [offset for offset, _ in marks] + [len(article.text)]
    return [(s, e, h) for (s, h), e in zip(starts, ends, strict=True) if article.text[s:e].strip()]


def _units(text: str, start: int, end: int, size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for number, (p_start, p_end) in enumerate(paragraph_spans(text, start, end)):
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            units += [_Unit(a, b, number) for a, b in _cut_long(text, s_start, s_end, size)]
    return units


def _cut_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """A sentence longer than `size`, cut at spaces into pieces of at most `size` characters."""
    pieces = []
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut if cut > start else start + size
        pieces.append((start, cut))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    pieces.append((start, end))
    return pieces


def _pack(units: list[_Unit], size: int, overlap: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1].end - units[first].start <= size:
            if _better_break_before(units, first, last + 1, size):
                break
            last += 1
        spans.append((units[first].start, units[last].end))
        if last + 1 >= len(units):
            break
        first = _overlap_start(units, first, last, overlap)
    return spans


def _better_break_before(units: list[_Unit], first: int, candidate: int, size: int) -> bool:
    """Stop before a paragraph that would not fit whole here but fits whole in the next chunk: a paragraph
    is one topic, and splitting it between two chunks makes both worse to retrieve."""
    unit = units[candidate]
    if unit.paragraph == units[candidate - 1].paragraph:
        return False
    paragraph_end = max(u.end for u in units[candidate:] if u.paragraph == unit.paragraph)
    fits_here = paragraph_end - units[first].start <= size
    fits_alone = paragraph_end - unit.start <= size
    return not fits_here and fits_alone


def _overlap_start(units: list[_Unit], first: int, last: int, overlap: int) -> int:
    """Where the next chunk starts: repeat trailing sentences of the same paragraph, up to `overlap` chars."""
    following = units[last + 1]
    start = last + 1
    while (
        start - 1 > first
        and units[start - 1].paragraph == following.paragraph
        and units[last].end - units[start - 1].start <= overlap
    ):
        start -= 1
    return start
