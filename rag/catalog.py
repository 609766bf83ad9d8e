"""A process's copy of the article registry, brought up to date from the change log (`rag.changelog`).

A catalog at seq N re-reads only the articles of the log's entries after N. It reads the whole registry
instead when it has nothing yet, when the log was created anew (a reindex), when entries after N are missing
(trimmed, or the store predates the log), or when the generation token names a seq the log lacks or none at
all (written by a process that predates the log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rag.changelog import ChangeLog, contiguous, settled_through, token_seq
from rag.records import ArticleInfo

_BY_IDS = 1000  # article ids per registry `get`

Scan = Callable[[], Iterable[tuple[str, dict[str, Any]]]]


@dataclass(frozen=True)
class CatalogState:
    """Replaced whole, never changed in place: threads holding the previous one may still iterate it."""

    articles: dict[str, ArticleInfo]
    generation: str
    seq: int  # every log entry up to here is reflected in `articles`
    log: str  # the identity of the log `seq` counts in
    full: bool  # this state came from a full scan (for tests and the bench)


def refresh(state: CatalogState | None, generation: str, registry: Any, log: ChangeLog,
            scan: Scan) -> CatalogState:
    """The catalog at `generation`: `state` itself when nothing changed, else updated by the log's entries after
    its seq, or read whole (`scan`: every registry record's id and metadata) when the log cannot say."""
    if state is not None and state.generation == generation:
        return state
    if state is None or state.log != log.identity:
        return full_scan(generation, log, scan)
    changes = log.since(state.seq)
    last = changes[-1].seq if changes else state.seq
    claimed = token_seq(generation)
    if not contiguous(changes, state.seq) or (generation and claimed is None) or (claimed or 0) > last:
        return full_scan(generation, log, scan)
    articles = dict(state.articles)
    changed = list(dict.fromkeys(a for change in changes for a in change.article_ids))
    for article_id in changed:
        articles.pop(article_id, None)
    articles.update(_read(registry, changed))
    return CatalogState(articles, generation, settled_through(changes, state.seq), state.log, full=False)


def full_scan(generation: str, log: ChangeLog, scan: Scan) -> CatalogState:
    # The cursor is taken before the scan: entries settled by then are in what the scan reads; later ones are
    # read again at the next refresh (re-reading an article is harmless).
    seq = log.cursor()
    articles = {article_id: ArticleInfo.from_metadata(article_id, meta) for article_id, meta in scan()}
    return CatalogState(articles, generation, seq, log.identity, full=True)


def _read(registry: Any, article_ids: Sequence[str]) -> dict[str, ArticleInfo]:
    """The registry records of these articles that exist (removed ones are absent)."""
    found: dict[str, ArticleInfo] = {}
    for i in range(0, len(article_ids), _BY_IDS):
        page = registry.get(ids=list(article_ids[i : i + _BY_IDS]), include=["metadatas"])
        found.update({str(a): ArticleInfo.from_metadata(str(a), meta or {})
                      for a, meta in zip(page["ids"], page["metadatas"], strict=True)})
    return found
