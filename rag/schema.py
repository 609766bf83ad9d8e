"""Frozen records shared by `rag` and `ingest`: what an article, a chunk and an answer are."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


def content_hash(*parts: str) -> str:
    """A stable sha256 over text parts; the basis of article versions and chunk ids."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class Article:
    """One news article after loading and cleaning.

    `id` names the article across versions (derived from its URL, file name or record id), so a changed text
    replaces the old version; `hash` names this version (derived from the content).
    `subheadings` holds `(offset, heading)` pairs: the character offset in `text` where each subheading's
    section starts. `published` is an ISO 8601 date (`2022-01-21`) or "" when unknown.
    """

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: str = ""
    authors: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    subheadings: tuple[tuple[int, str], ...] = ()
    origin: str = ""  # the input it came from (path, URL, "path:line"), for messages only

    @property
    def hash(self) -> str:
        meta = json.dumps(
            [self.title, self.source, self.url, self.published, self.authors, self.agencies, self.subheadings],
            ensure_ascii=False,
        )
        return content_hash(self.text, meta)[:32]


@dataclass(frozen=True)
class Chunk:
    """A piece of an article as indexed: `text == article.text[start:end]`."""

    id: str
    article_id: str
    text: str
    start: int
    end: int
    subheading: str = ""
    position: int = 0  # index of the chunk within its article
    # Days the chunk mentions, relative references resolved against the article's date (`published_day`
    # numbers): a question about that day also finds a report published days later.
    event_days: tuple[int, ...] = ()

    def metadata(self, article: Article) -> dict[str, Any]:
        """Flat metadata for Chroma: article provenance plus this chunk's place in it."""
        meta: dict[str, Any] = {
            "article_id": article.id,
            "version": article.hash,
            "title": article.title,
            "source": article.source,
            "url": article.url,
            "published": article.published,
            "published_day": published_day(article.published),
            "start": self.start,
            "end": self.end,
            "subheading": self.subheading,
            "position": self.position,
        }
        if self.event_days:  # Chroma refuses empty lists
            meta["event_days"] = list(self.event_days)
        return meta


def published_date(published: str) -> date | None:
    """`2022-01-21` (or a timestamp starting with it) -> that date; None when unknown or unreadable."""
    try:
        return date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None


def published_day(published: str) -> int:
    """`2022-01-21` -> 20220121, so Chroma can range-filter dates (it compares numbers, not strings)."""
    digits = published[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: the passage and where it sits in which article."""

    n: int
    article_id: str
    title: str
    source: str
    published: str
    url: str
    quote: str
    chunk_id: str
    start: int
    end: int
    score: float
    highlights: tuple[tuple[int, int], ...] = ()  # spans of `quote` that the answer's sentences come from
    # Copies of the same story elsewhere (agency text in other outlets, earlier versions under another URL):
    # ({"article_id", "source", "published", "url"}, ...), never cited separately.
    also_in: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        data["also_in"] = [dict(copy) for copy in self.also_in]
        return data


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer, the citation numbers it rests on and how well they support it (0..1).
    Extractive sentences are quotes of their passage: support 1 by construction."""

    text: str
    citations: tuple[int, ...] = ()
    support: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations), "support": round(self.support, 3)}


@dataclass(frozen=True)
class Answer:
    """What `answer()` returns: the text with [n] markers, whether the corpus answered, and the sources."""

    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    question: str = ""
    mode: str = "extractive"
    notices: tuple[str, ...] = ()  # e.g. "LLM endpoint unreachable: answered extractively"
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds per stage
    # The period the answer was restricted to: {"since", "until", "expression"} (ISO dates or None, and the
    # words of the question it came from, or "" when set by since/until); None when no period applied.
    period: dict[str, str | None] | None = None
    claims: tuple[Claim, ...] = ()  # the answer's sentences with their support

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "mode": self.mode,
            "notices": list(self.notices),
            "period": dict(self.period) if self.period is not None else None,
            "claims": [c.to_dict() for c in self.claims],
            "citations": [c.to_dict() for c in self.citations],
        }
