"""Write articles into the store: decide added/updated/unchanged, chunk, embed in batches, commit atomically.

The lexical index is synced once per run, after the last batch: only the changed articles are indexed.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.chunk import chunk_article
from rag.config import Settings
from rag.dedup import VERSION as SIGNATURE_VERSION
from rag.dedup import DuplicateFinder, signature
from rag.embeddings import Embedder
from rag.errors import ConfigError, InputError
from rag.schema import Article
from rag.sentence_vectors import sentence_vectors
from rag.store import PreparedArticle, Store, dense_text

# Called after each input: (articles seen so far, the article or error just handled).
Progress = Callable[[int, Article | InputError], None]

BATCH_CHUNKS = 512  # chunks per embedding + write batch: large enough to keep the model busy


@dataclass
class IngestReport:
    """What one ingest run did, by article id; failures by input."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": [{"input": source, "error": reason} for source, reason in self.failed],
        }


class Indexer:
    """Turns a stream of articles (and load errors) into committed index entries."""

    def __init__(self, store: Store, *, batch_chunks: int = BATCH_CHUNKS) -> None:
        self.store = store
        self.settings = store.settings
        self.batch_chunks = batch_chunks
        self._finder: DuplicateFinder | None = None  # signatures of the stored articles, loaded at the first write
        self._stories: dict[str, str] = {}  # story groups assigned in this run

    def ingest(
        self, items: Iterable[Article | InputError], *, progress: Progress | None = None, lock: bool = True
    ) -> IngestReport:
        report = IngestReport()
        with self.store.write_lock() if lock else contextlib.nullcontext():
            catalog = self.store.catalog()
            self._finder, self._stories = None, {}  # what other writers stored since the last run counts
            seen: dict[str, str] = {}
            pending: list[tuple[Article, list]] = []
            pending_chunks = 0
            for count, item in enumerate(items, start=1):
                if isinstance(item, InputError):
                    report.failed.append((item.source, item.reason))
                elif item.id in seen:
                    report.failed.append((item.origin or item.id, f"duplicate article id {item.id!r} (also from "
                                                                   f"{seen[item.id]}); the first one was kept"))
                else:
                    seen[item.id] = item.origin or item.id
                    known = catalog.get(item.id)
                    if known is not None and known.version == item.hash:
                        report.unchanged.append(item.id)
                    else:
                        (report.updated if known else report.added).append(item.id)
                        chunks = chunk_article(item, size=self.settings.chunk_size,
                                               overlap=self.settings.chunk_overlap)
                        pending.append((item, chunks))
                        pending_chunks += len(chunks)
                        if pending_chunks >= self.batch_chunks:
                            self._write(pending, catalog)
                            pending, pending_chunks = [], 0
                if progress is not None:
                    progress(count, item)
            self._write(pending, catalog)
            if report.changed:
                self.store.lexical()  # the changed articles only (`Store._sync_lexical`)
        return report

    def _write(self, pending: list[tuple[Article, list]], catalog: dict) -> None:
        if not pending:
            return
        self._check_chunk_size()
        reusable = self.store.existing_vectors([a.id for a, _ in pending if a.id in catalog])
        texts = [dense_text(c.text, a.title) for a, chunks in pending for c in chunks]
        todo = [t for t in texts if t not in reusable]
        fresh = dict(zip(todo, self.store.embedder.encode_passages(todo), strict=True)) if todo else {}
        prepared, cursor = [], 0
        for article, chunks in pending:
            rows = [reusable.get(t, fresh.get(t)) for t in texts[cursor : cursor + len(chunks)]]
            cursor += len(chunks)
            matrix = np.stack(rows) if rows else np.zeros((0, 1), dtype=np.float32)
            sig = signature(article.text)
            prepared.append(PreparedArticle(article, chunks, matrix, self._story(article.id, sig, catalog), sig))
        self._remember_sentences(pending)
        self.store.write(prepared)

    def _remember_sentences(self, pending: list[tuple[Article, list]]) -> None:
        """The sentences of the articles and of their chunks (an overlap may begin inside a sentence), embedded
        now so that answers compare each by meaning without embedding it (`rag.sentence_vectors`)."""
        if not self.settings.sentence_vectors:
            return
        sentence_vectors(self.settings.home, self.store.embedder).remember(sentence_sources(pending))

    def _story(self, article_id: str, sig: str, catalog: dict) -> str:
        """The story group an article joins: that of the closest copy already stored or ingested in this run,
        else its own (see `rag.dedup`)."""
        if self._finder is None:
            current = {a: sig for a, sig in self.store.signatures().items() if sig.startswith(SIGNATURE_VERSION + ":")}
            self._finder = DuplicateFinder(current)  # another format's signatures are recomputed by `reindex`
        matches = self._finder.matches(sig, exclude=article_id)
        self._finder.add(article_id, sig)
        story = article_id
        for match, _ in matches:
            known = self._stories.get(match) or (catalog[match].story if match in catalog else None)
            if known:
                story = known
                break
        self._stories[article_id] = story
        return story


    def _check_chunk_size(self) -> None:
        """A chunk the model cannot read to its end would be found only by its beginning: refuse it."""
        readable = self.store.embedder.max_chars
        if readable is not None and self.settings.chunk_size > readable:
            raise ConfigError(
                f"RAG_CHUNK_SIZE={self.settings.chunk_size} is longer than {self.store.embedder.name} reads "
                f"(about {readable} characters of German): set RAG_CHUNK_SIZE to {readable} or less"
            )


def sentence_sources(chunked: Iterable[tuple[Article, list]]) -> list[str]:
    """The texts whose sentences ingestion embeds: each article's and its chunks' (an overlap may begin inside a
    sentence)."""
    return [text for article, chunks in chunked for text in (article.text, *(c.text for c in chunks))]


def reindex(settings: Settings, embedder: Embedder | None = None, *, progress: Progress | None = None) -> IngestReport:
    """Re-embed every stored article with the configured model (e.g. after changing RAG_EMBEDDING_MODEL).

    Builds a new collection beside the old one and swaps it in only when complete, so an interrupted reindex
    leaves the old index untouched.
    """
    old = Store(settings, embedder, check_model=False)
    with old.write_lock():
        articles = list(old.stored_articles())
        staging_settings = settings.model_copy(update={"collection": settings.collection + "-reindex"})
        staging = Store(staging_settings, old.embedder, client=old.client)
        staging.drop()  # leftovers of an interrupted reindex
        report = Indexer(staging).ingest(articles, progress=progress, lock=False)
        old.drop()
        for suffix in ("", "-articles", "-changes"):
            collection = old.client.get_collection(staging_settings.collection + suffix, embedding_function=None)
            collection.modify(name=settings.collection + suffix)
        shutil.rmtree(staging.lexical_dir, ignore_errors=True)
        staging.catalog_file.remove()  # names the staging path: the renamed collections start a file of their own
        Store(settings, old.embedder, client=old.client).rebuild_lexical()
        if settings.sentence_vectors:  # the sentences of removed articles go with them
            chunked = [(a, chunk_article(a, size=settings.chunk_size, overlap=settings.chunk_overlap))
                       for a in articles]
            sentence_vectors(settings.home, old.embedder).keep_only(sentence_sources(chunked))
    return report
