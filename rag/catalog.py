"""A process's copy of the article registry, brought up to date from the change log (`rag.changelog`).

A catalog at seq N re-reads only the articles of the log's entries after N. It reads the whole registry
instead when it has nothing yet (and no catalog file to start from, `rag.catalog_file`), when the log was
created anew (a reindex), when entries after N are missing (trimmed, or the store predates the log), or when the
generation token names a seq the log lacks or none at all (written by a process that predates the log).

A whole read takes every id in one `get` (ids only: cheap), then the records in pages of `_BY_IDS` ids. Small
pages because Chroma's transient memory grows with the page, not with the registry: about 27 kB per record
(measured: 55 MB for a `get` of 2,000 records, at any offset), handed back to malloc but mostly kept by the
process. At 19,920 articles a scan in pages of 2,000 raised the RSS by 85-160 MB, in pages of 250 by 20-30 MB
(the catalog itself adds 10 MB); pages of 100 saved no more and took longer. Paging by id, not by offset, also
keeps a scan whole while another process removes articles: an offset page after a removal starts one record
late and would skip an article that no later log entry names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.changelog import ChangeLog, contiguous, settled_through, token_seq
from rag.chroma import get_by_ids
from rag.records import ArticleInfo

_BY_IDS = 250  # article ids per registry `get` (see above)


@dataclass(frozen=True)
class CatalogState:
    """Replaced whole, never changed in place: threads holding the previous one may still iterate it."""

    articles: dict[str, ArticleInfo]
    generation: str
    seq: int  # every log entry up to here is reflected in `articles`
    log: str  # the identity of the log `seq` counts in
    full: bool  # this state came from a full scan (for tests and the bench)
    unsaved: int = 0  # records read from the registry since the catalog file was read or written


def refresh(state: CatalogState | None, generation: str, registry: Any, log: ChangeLog) -> CatalogState:
    """The catalog at `generation`: `state` itself when nothing changed, else updated by the log's entries after
    its seq, or read whole when the log cannot say."""
    if state is not None and state.generation == generation:
        return state
    if state is None or state.log != log.identity:
        return full_scan(generation, log, registry)
    changes = log.since(state.seq)
    last = changes[-1].seq if changes else state.seq
    claimed = token_seq(generation)
    if not contiguous(changes, state.seq) or (generation and claimed is None) or (claimed or 0) > last:
        return full_scan(generation, log, registry)
    articles = dict(state.articles)
    changed = list(dict.fromkeys(a for change in changes for a in change.article_ids))
    for article_id in changed:
        articles.pop(article_id, None)
    articles.update(read(registry, changed))
    return CatalogState(articles, generation, settled_through(changes, state.seq), state.log, full=False,
                        unsaved=state.unsaved + len(changed))


def full_scan(generation: str, log: ChangeLog, registry: Any) -> CatalogState:
    # The cursor is taken before the scan: entries settled by then are in what the scan reads; later ones are
    # read again at the next refresh (re-reading an article is harmless).
    seq = log.cursor()
    ids = [str(a) for a in registry.get(include=[])["ids"]]
    return CatalogState(read(registry, ids), generation, seq, log.identity, full=True, unsaved=len(ids))


def read(registry: Any, article_ids: Sequence[str]) -> dict[str, ArticleInfo]:
    """The registry records of these articles that exist (removed ones are absent), in the order asked for."""
    shared: dict[str, str] = {}
    converted = {str(a): ArticleInfo.from_metadata(str(a), meta or {}, shared)  # page by page, not all metadata
                 for a, meta, _ in get_by_ids(registry, article_ids, ["metadatas"], _BY_IDS)}
    return {a: converted[a] for a in article_ids if a in converted}
