"""The index at a glance, for `newsrag status` and the web app's corpus tab.

Everything here is read, never built: the figures come from the article registry (one cached scan), one stored
vector, the model folder's config files, the lexical index's files on disk and the feed records. In particular a
stale or missing lexical index is reported, not synced (the next question brings it up to date by the changed
articles), and an index without feeds keeps having no feed collection.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.config import get_settings
from rag.errors import RagError
from rag.feeds import FeedBook, FeedState
from rag.lexical_files import LexicalFiles
from rag.sentence_vectors import embedder_cache_path
from rag.store import Store


@dataclass(frozen=True)
class EmbeddingStatus:
    model: str  # RAG_EMBEDDING_MODEL
    dimension: int | None  # None: unknown (the model could not be read)
    dimension_from: str  # "collection" (a stored vector), "model config" (the folder's files), "model", "unknown"
    location: str  # the folder the weights load from, or the name the hub resolves
    stamped_model: str  # the model the collection was built with ("" before the first article)
    precision: str = "float32"  # the model's arithmetic: "bfloat16" or "float32" (RAG_EMBEDDING_PRECISION resolved)

    @property
    def mismatch(self) -> bool:
        return bool(self.stamped_model) and self.stamped_model != self.model


@dataclass(frozen=True)
class LexicalStatus:
    state: str  # "fresh", "stale" (built at another generation or analysis version) or "missing"
    path: str
    size_bytes: int


@dataclass(frozen=True)
class SentencesStatus:
    """The stored sentence vectors of the configured model (`rag.sentence_vectors`)."""

    at_ingest: bool  # RAG_SENTENCE_VECTORS: ingestion embeds every sentence
    path: str
    size_bytes: int  # 0: none stored yet (answers embed a short list at question time)


@dataclass(frozen=True)
class FeedsStatus:
    """The feed subscriptions at a glance; times are ISO 8601 UTC as in `newsrag feeds list --json`."""

    count: int
    due: int  # due for a sync now: never synced, or their interval has passed since the last attempt
    failing: int  # their last sync reported an error (`last_error`)
    last_success: str | None  # the most recent sync of any feed that reached it; None when none has yet
    next_due: str | None  # when the earliest feed falls due (past when one is due already); None without feeds


@dataclass(frozen=True)
class IndexStatus:
    """What `newsrag status` shows: corpus figures, the embedding model, the store, the lexical index and the
    feeds."""

    articles: int
    chunks: int
    outlets: tuple[tuple[str, int], ...]  # (outlet, articles), most articles first; "" for articles without one
    earliest: str | None  # the earliest and latest `published` date; None when no article has one
    latest: str | None
    undated: int  # articles without a published date
    story_groups: int  # stories stored more than once (agency copies, updates under a new URL; `rag.dedup`)
    copies: int  # articles in those groups beyond the one that stands for each
    embedding: EmbeddingStatus
    store: str  # "embedded" or "server"
    store_location: str  # RAG_HOME/chroma or RAG_CHROMA_URL
    collection: str
    generation: str  # the store's commit token ("" before the first write)
    lexical: LexicalStatus
    feeds: FeedsStatus
    sentences: SentencesStatus

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outlets"] = dict(self.outlets)
        data["embedding"]["mismatch"] = self.embedding.mismatch
        return data


def index_status(store: Store | None = None) -> IndexStatus:
    """The status of `store` (default: the index the RAG_* settings name, opened without the model check, so a
    collection built with another model is reported rather than refused)."""
    store = store or Store(get_settings(), check_model=False)
    generation = store.generation()
    articles = list(store.catalog().values())
    dates = sorted(a.published for a in articles if a.published)
    outlets = Counter(a.source for a in articles)
    settings = store.settings
    return IndexStatus(
        articles=len(articles),
        chunks=sum(a.chunks for a in articles),
        outlets=tuple(sorted(outlets.items(), key=lambda item: (-item[1], item[0].casefold()))),
        earliest=dates[0] if dates else None,
        latest=dates[-1] if dates else None,
        undated=len(articles) - len(dates),
        story_groups=sum(len(members) > 1 for members in store.stories().values()),
        copies=sum(len(members) - 1 for members in store.stories().values()),
        embedding=embedding_status(store),
        store="server" if settings.chroma_url else "embedded",
        store_location=settings.chroma_url or str(store.chroma_path),
        collection=settings.collection,
        generation=generation,
        lexical=lexical_status(store.lexical_dir, generation),
        # `saved`, not `all`: the feed states live beside the index (under RAG_HOME, or on the server), and a
        # status must not create their collection on an index that never had a feed.
        feeds=feeds_status(FeedBook(settings, client=store.client).saved()),
        sentences=sentences_status(store),
    )


def feeds_status(feeds: Sequence[FeedState], now: datetime | None = None) -> FeedsStatus:
    """Counts and times over `feeds`, as of `now` (default: this moment)."""
    now = now or datetime.now(UTC)
    successes = [datetime.fromisoformat(f.last_success) for f in feeds if f.last_success]
    # A feed never synced has been due since it was subscribed (now, for a record without that time).
    due_times = [f.due_at() or (datetime.fromisoformat(f.added_at) if f.added_at else now) for f in feeds]
    return FeedsStatus(
        count=len(feeds),
        due=sum(f.due(now) for f in feeds),
        failing=sum(bool(f.last_error) for f in feeds),
        last_success=_iso(max(successes)) if successes else None,
        next_due=_iso(min(due_times)) if due_times else None,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def embedding_status(store: Store) -> EmbeddingStatus:
    """The configured model, where it loads from and its vector length, read as cheaply as possible: from a
    stored vector when the collection was built with this model, else from the model folder's config files;
    only when neither says (an empty index on a model named by hub name, or a fake) is the model asked."""
    embedder = store.embedder
    stamped = store.stamped_model
    location = embedder.location
    dimension, source = None, "unknown"
    if stamped == embedder.name:
        dimension, source = _stored_dimension(store), "collection"
    if dimension is None and Path(location).is_dir():
        dimension, source = _folder_dimension(Path(location)), "model config"
    if dimension is None:
        try:
            dimension, source = int(embedder.dimension), "model"
        except RagError:  # the model cannot be loaded here (e.g. a hub name offline): report it unknown
            dimension, source = None, "unknown"
    return EmbeddingStatus(embedder.name, dimension, source, location, stamped,
                           str(getattr(embedder, "precision", "float32")))


def _stored_dimension(store: Store) -> int | None:
    found = store.chunks.get(limit=1, include=["embeddings"])["embeddings"]
    return len(found[0]) if found is not None and len(found) else None


def _folder_dimension(folder: Path) -> int | None:
    """The sentence vector's length from a sentence-transformers folder: the last Dense layer's `out_features`,
    else the Pooling layer's width times its pooling modes (how sentence-transformers computes it)."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    dimension = None
    for module in modules:
        try:
            config = json.loads((folder / str(module.get("path", "")) / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, AttributeError):
            continue
        if "out_features" in config:
            dimension = int(config["out_features"])
        elif "word_embedding_dimension" in config:
            modes = sum(bool(v) for k, v in config.items() if k.startswith("pooling_mode_") and k.endswith("tokens"))
            dimension = int(config["word_embedding_dimension"]) * max(modes, 1)
    return dimension


def sentences_status(store: Store) -> SentencesStatus:
    path = embedder_cache_path(store.settings.home, store.embedder)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())  # with the WAL file
    return SentencesStatus(store.settings.sentence_vectors, str(path), size)


def lexical_status(directory: Path, generation: str) -> LexicalStatus:
    """Fresh when the files on disk were synced at `generation` by this version of the analysis (what
    `Store.lexical()` would use as it is), stale when the next question would sync them, missing when there are
    none."""
    stored = LexicalFiles.stored_generation(directory)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else 0
    if stored is None:
        return LexicalStatus("missing", str(directory), size)
    fresh = stored == generation and LexicalFiles.loadable(directory)
    return LexicalStatus("fresh" if fresh else "stale", str(directory), size)


__all__ = ["EmbeddingStatus", "FeedsStatus", "IndexStatus", "LexicalStatus", "SentencesStatus", "feeds_status",
           "index_status"]
