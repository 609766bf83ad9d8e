"""Articles in: load (files, URLs, feeds) → clean → chunk → index (Chroma + German lexical index).

The functions here are the documented Python API for scripts:

    from ingest import ingest
    report = ingest(["corpus/", "https://example.org/feed.xml"], source="derStandard")
    print(report.to_dict())   # {"added": 1, "updated": 0, "unchanged": 0, "failed": []}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ingest.chunk import chunk_article
from ingest.index import Indexer, IngestReport, Progress, reindex
from ingest.load import Fetcher, iter_articles, load_text
from ingest.sync import BackgroundSync, SyncReport, sync_feeds
from rag.config import Settings, get_settings
from rag.schema import Article
from rag.store import Store

__all__ = [
    "BackgroundSync",
    "Fetcher",
    "Indexer",
    "IngestReport",
    "SyncReport",
    "chunk_article",
    "ingest",
    "ingest_articles",
    "iter_articles",
    "load_text",
    "reindex",
    "remove",
    "sync_feeds",
]


def _store(settings: Settings | None, store: Store | None) -> Store:
    return store if store is not None else Store(settings or get_settings())


def ingest(
    inputs: str | Sequence[str],
    *,
    source: str | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Index files, directories, article URLs and feeds. Bad inputs are reported in `failed`, never raised;
    the good ones are indexed. Re-running on unchanged inputs changes nothing."""
    paths = [inputs] if isinstance(inputs, str) else list(inputs)
    return ingest_articles(iter_articles(paths, source=source, fetcher=fetcher), settings=settings, store=store,
                           progress=progress)


def ingest_articles(
    articles: Iterable[Article],
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Index `Article` records built by your own code (e.g. `load_text(...)`)."""
    return Indexer(_store(settings, store)).ingest(articles, progress=progress)


def remove(article_ids: Sequence[str], *, settings: Settings | None = None, store: Store | None = None) -> list[str]:
    """Remove articles from Chroma and the lexical index; raises NotFoundError naming unknown ids."""
    store = _store(settings, store)
    with store.write_lock():
        try:
            return store.remove(article_ids)
        finally:
            store.lexical()  # rebuilt here when the removal changed anything
