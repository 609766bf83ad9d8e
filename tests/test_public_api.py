"""The public API is pinned: changing it must be a deliberate act that updates this test and the README."""

from __future__ import annotations

import ingest
import rag


def test_rag_public_names() -> None:
    assert sorted(rag.__all__) == sorted([
        "Answer", "Article", "ArticleInfo", "Assistant", "Chunk", "Citation", "ConfigError", "FeedBook", "FeedState",
        "Filters", "IndexBusyError", "IndexStatus", "InputError", "LLMError", "ModelMismatchError", "NotFoundError",
        "Passage", "RagError", "Retrieval", "Retriever", "Settings", "Store", "StoreError", "SyncBusyError", "answer",
        "get_settings", "index_status",
    ])
    for name in rag.__all__:
        assert getattr(rag, name) is not None


def test_ingest_public_names() -> None:
    assert sorted(ingest.__all__) == sorted([
        "BackgroundSync", "Fetcher", "IngestReport", "Indexer", "SyncReport", "chunk_article", "ingest",
        "ingest_articles", "iter_articles", "load_text", "reindex", "remove", "sync_feeds",
    ])
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None


def test_one_exception_tree() -> None:
    for name in ("ConfigError", "InputError", "StoreError", "ModelMismatchError", "IndexBusyError", "NotFoundError",
                 "LLMError", "SyncBusyError"):
        assert issubclass(getattr(rag, name), rag.RagError)
    assert issubclass(rag.ModelMismatchError, rag.StoreError) and issubclass(rag.IndexBusyError, rag.StoreError)


def test_rag_does_not_import_ingest_or_ui() -> None:
    import pathlib
    import re

    for path in pathlib.Path(rag.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (ingest|ui)\b", source, re.M), path.name
