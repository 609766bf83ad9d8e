"""What the store keeps per article and chunk: the registry record, an article ready to write, a dense hit, and
the texts each index reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rag.dedup import Member, representative
from rag.schema import Article, Chunk


# Slots: a catalog holds one per article (19,920 at 100k chunks), and a __dict__ each is 0.9 MB of nothing.
@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """An article as the registry knows it (without its text)."""

    id: str
    title: str
    source: str
    url: str
    published: str
    version: str
    chunks: int
    authors: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    ingested_at: str = ""
    origin: str = ""
    group: str = ""  # copies of one story share a group (see `rag.dedup`); "" for articles stored before groups
    length: int = 0  # characters of text: the most complete copy represents its group

    @property
    def story(self) -> str:
        """The group this article belongs to (itself alone when it has none)."""
        return self.group or self.id

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"] = list(self.authors)
        data["agencies"] = list(self.agencies)
        return data

    @classmethod
    def from_metadata(cls, article_id: str, meta: dict[str, Any], shared: dict[str, str] | None = None
                      ) -> ArticleInfo:
        """`shared`: the strings made for the other articles of one read (see `share`)."""
        pool = {} if shared is None else shared
        group = str(meta.get("group", ""))
        return cls(
            id=article_id,
            title=str(meta.get("title", "")),
            source=share(pool, str(meta.get("source", ""))),
            url=str(meta.get("url", "")),
            published=share(pool, str(meta.get("published", ""))),
            version=str(meta.get("version", "")),
            chunks=int(meta.get("chunks", 0)),
            authors=_names(meta.get("authors", "[]")),
            agencies=_names(meta.get("agencies", "[]")),
            ingested_at=share(pool, str(meta.get("ingested_at", ""))),
            origin=share(pool, str(meta.get("origin", ""))),
            group=article_id if group == article_id else group,  # most articles are their own group
            length=int(meta.get("length", 0)),
        )


def share(pool: dict[str, str], value: str) -> str:
    """One string object per distinct value across a catalog read: outlet, origin, day and ingest time repeat
    across thousands of articles, and Chroma hands each record its own copy (with slots: a catalog of 19,920
    articles took 17 MiB, now 10 MiB)."""
    return pool.setdefault(value, value)


def _names(raw: Any) -> tuple[str, ...]:
    return () if raw == "[]" else tuple(json.loads(str(raw)))  # "[]" for nearly every article: no parse


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready to write: its chunks, the texts to embed and (once embedded) the vectors."""

    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray
    group: str = ""  # the story group it joins (its own id when it copies nothing)
    signature: str = ""  # its MinHash (`rag.dedup.signature`), kept so later copies can find it


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity


def representative_first(members: Sequence[ArticleInfo]) -> list[ArticleInfo]:
    """A group's articles with the one that stands for it first (the most complete, then the earliest)."""
    chosen = representative([Member(m.id, m.length, m.published) for m in members])
    return sorted(members, key=lambda m: (m.id != chosen, m.published, m.id))


def story_groups(articles: Iterable[ArticleInfo]) -> dict[str, list[ArticleInfo]]:
    """Articles by story group, each group's representative first."""
    groups: dict[str, list[ArticleInfo]] = {}
    for info in articles:
        groups.setdefault(info.story, []).append(info)
    return {story: representative_first(members) for story, members in groups.items()}


def stored_article(article_id: str, text: str, meta: dict[str, Any]) -> Article:
    """An article rebuilt from its registry record (text and metadata), e.g. to re-embed it."""
    return Article(
        id=article_id, title=str(meta.get("title", "")), text=text,
        source=str(meta.get("source", "")), url=str(meta.get("url", "")),
        published=str(meta.get("published", "")),
        authors=tuple(json.loads(str(meta.get("authors", "[]")))),
        agencies=tuple(json.loads(str(meta.get("agencies", "[]")))),
        subheadings=tuple((int(o), str(h)) for o, h in json.loads(str(meta.get("subheadings", "[]")))),
        origin=str(meta.get("origin", "")),
    )


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    """What BM25 indexes for a chunk: the article title, the subheading and the text. The title tells which
    article a chunk belongs to (measured: recall@1 0.86 → 0.90 on the dev set)."""
    return "\n".join(part for part in (str(meta.get("title") or ""), str(meta.get("subheading") or ""), text)
                     if part)


def dense_text(text: str, title: str) -> str:
    """What the embedding model reads for a chunk: the title gives a short passage its topic."""
    return f"{title}\n{text}" if title else text


def registry_metadata(p: PreparedArticle, now: str) -> dict[str, Any]:
    a = p.article
    return {
        "title": a.title, "source": a.source, "url": a.url, "published": a.published, "version": a.hash,
        "chunks": len(p.chunks), "authors": json.dumps(list(a.authors), ensure_ascii=False),
        "agencies": json.dumps(list(a.agencies), ensure_ascii=False), "ingested_at": now, "origin": a.origin,
        "subheadings": json.dumps([list(pair) for pair in a.subheadings], ensure_ascii=False),
        "group": p.group or a.id, "signature": p.signature, "length": len(a.text),
    }
