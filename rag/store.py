"""The index: a Chroma collection of chunks, a registry collection of articles, and the lexical index.

Consistency rules (so a crash or Ctrl-C never leaves half an article visible):
- chunk ids include the article version, so a new version's chunks never overwrite the old ones;
- the registry record of an article (its current version) is the commit point: readers only accept chunks
  whose version matches it, and the lexical index holds committed chunks only;
- old versions are deleted after the commit; leftovers of an interrupted write are invisible and are swept
  by the next write or rebuild.
Every commit writes a new random generation token into the chunk collection's metadata; the lexical index
remembers the token it was synced at, which makes staleness a single metadata read (also across processes
sharing one Chroma server). Each commit also records which articles it touched in a change log with a sequence
number (`rag.changelog`), so that the catalog of committed articles is brought up to date by re-reading only
those (`rag.catalog`); a fresh process starts from the catalog file beside the lexical index
(`rag.catalog_file`). A stale lexical index is brought up to date by the difference between the registry's
article versions and the versions it holds (`rag.lexical_files`): only changed articles are read and indexed.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.catalog import CatalogState, refresh
from rag.catalog_file import CatalogFile
from rag.changelog import ChangeLog, generation_token, token_seq
from rag.chroma import _VIEW, _forget_embedded_system, chroma_client, embedded_write_lock, open_collections, scan
from rag.config import Settings
from rag.embeddings import Embedder, make_embedder
from rag.errors import ModelMismatchError, NotFoundError
from rag.lexical import LexicalIndex
from rag.lexical_files import LexicalFiles
from rag.lexical_sync import sync
from rag.records import (
    ArticleInfo,
    DenseHit,
    PreparedArticle,
    dense_text,
    lexical_text,
    registry_metadata,
    representative_first,
    stored_article,
    story_groups,
)
from rag.schema import Article

SCHEMA_VERSION = 1


class Store:
    """Chroma chunks + article registry + lexical index for one collection. Cheap to construct."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, *, client: Any = None, check_model: bool = True
    ) -> None:
        self.settings = settings
        self.check_model = check_model
        self.embedder = embedder or make_embedder(settings)
        self._client = client
        self._chunks: Any = None
        self._registry: Any = None
        self._changes: ChangeLog | None = None
        self._lexical: LexicalIndex | None = None
        self._lexical_files: LexicalFiles | None = None
        # One lexical sync at a time per store: threads that find the index stale while another thread syncs it
        # answer from the previous snapshot instead of piling up (a full rebuild at 100k chunks takes a while).
        self._rebuild_lock = threading.Lock()
        self._catalog: CatalogState | None = None
        self._stories: tuple[dict[str, ArticleInfo], dict[str, list[ArticleInfo]]] | None = None
        self._epoch = 0

    # --- opening ------------------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = chroma_client(self.settings)
        return self._client

    @property
    def lexical_files(self) -> LexicalFiles:
        if self._lexical_files is None:
            self._lexical_files = LexicalFiles(self.lexical_dir)
        return self._lexical_files

    @property
    def lexical_dir(self) -> Path:
        server = "server-" + uuid.uuid5(uuid.NAMESPACE_URL, self.settings.chroma_url).hex[:8] \
            if self.settings.chroma_url else "embedded"
        return self.settings.home / "lexical" / f"{self.settings.collection}-{server}"

    @property
    def catalog_file(self) -> CatalogFile:
        return CatalogFile(self.lexical_dir.with_name(self.lexical_dir.name + ".catalog.json"))

    def _open(self) -> None:
        if self._chunks is not None:
            return
        name = self.settings.collection
        chunks, registry, changes = open_collections(self.client, name, self.embedder.name, SCHEMA_VERSION)
        stamped = (chunks.metadata or {}).get("embedding_model")
        if self.check_model and stamped and stamped != self.embedder.name:
            raise ModelMismatchError(
                f"collection {name!r} was built with embedding model {stamped!r}, but RAG_EMBEDDING_MODEL is "
                f"{self.embedder.name!r}: run `newsrag reindex` to rebuild it with the new model, or set "
                f"RAG_EMBEDDING_MODEL={stamped}"
            )
        self._chunks, self._registry, self._changes = chunks, registry, ChangeLog(changes)

    @property
    def chunks(self) -> Any:
        self._open()
        return self._chunks

    @property
    def registry(self) -> Any:
        self._open()
        return self._registry

    @property
    def changes(self) -> ChangeLog:
        self._open()
        return self._changes  # type: ignore[return-value]  # set by _open

    @property
    def stamped_model(self) -> str:
        return str((self.chunks.metadata or {}).get("embedding_model", ""))

    # --- generation: the cheap "has anything changed?" token ----------------------------------------------
    @property
    def chroma_path(self) -> Path:
        return self.settings.home / "chroma"

    def generation(self) -> str:
        """Re-read on every call (not the cached collection object) so other processes' commits show."""
        self._open()
        collection = self.client.get_collection(self.settings.collection, embedding_function=None)
        generation = str((collection.metadata or {}).get("generation", ""))
        if not self.settings.chroma_url:
            path = str(self.chroma_path)
            if _VIEW.foreign(path, generation):
                _forget_embedded_system(self.chroma_path)
            if _VIEW.epoch.get(path, 0) != self._epoch:  # another process committed: reopen our collections
                self._epoch = _VIEW.epoch.get(path, 0)
                self._client = self._chunks = self._registry = self._changes = None
                self._open()
        return generation

    def _bump_generation(self, seq: int) -> None:
        metadata = dict(self.chunks.metadata or {})
        metadata["generation"] = generation_token(seq)
        metadata.pop("hnsw:space", None)
        self.chunks.modify(metadata=metadata)
        if not self.settings.chroma_url:
            _VIEW.wrote(str(self.chroma_path), metadata["generation"])

    # --- the registry --------------------------------------------------------------------------------------
    def catalog(self) -> dict[str, ArticleInfo]:
        """Every committed article by id; cached until the generation changes, then updated from the change log."""
        return self._sync_catalog(self.generation())

    def _sync_catalog(self, generation: str) -> dict[str, ArticleInfo]:
        """The catalog at `generation`; the first one starts from the catalog file when it is usable."""
        file = self.catalog_file
        state = self._catalog if self._catalog is not None else file.load(self.registry, self.changes)
        current = file.keep(refresh(state, generation, self.registry, self.changes), state, self.registry, self.changes)
        self._catalog = current  # another thread may replace it before we return: ours is as current
        return current.articles

    def _claim(self, article_ids: Sequence[str]) -> int:
        """A change-log seq for a commit of these articles, searched from the one the current generation carries."""
        current = self.client.get_collection(self.settings.collection, embedding_function=None)
        return self.changes.begin(article_ids, token_seq(str((current.metadata or {}).get("generation", ""))) or 0)

    def snapshot(self) -> tuple[LexicalIndex, dict[str, ArticleInfo]]:
        """The lexical index and the catalog at one generation, with a single staleness check: what a
        question needs, without re-reading anything that has not changed."""
        generation = self.generation()
        return self._lexical_at(generation), self._sync_catalog(generation)

    def stories(self) -> dict[str, list[ArticleInfo]]:
        """Committed articles by story group, each group's representative first (see `rag.dedup`); cached
        with the catalog."""
        catalog = self.catalog()
        if self._stories is None or self._stories[0] is not catalog:
            self._stories = (catalog, story_groups(catalog.values()))
        return self._stories[1]

    def signatures(self) -> dict[str, str]:
        """Every committed article's MinHash signature (articles stored before signatures have none)."""
        return {article_id: str(meta["signature"]) for article_id, meta in scan(self.registry, ["metadatas"])
                if meta.get("signature")}

    def articles(self) -> list[ArticleInfo]:
        """Committed articles, newest first."""
        return sorted(self.catalog().values(), key=lambda a: (a.published, a.title), reverse=True)

    def article_text(self, article_id: str) -> str:
        text = self.article_texts([article_id]).get(article_id)
        if text is None:
            raise NotFoundError(f"no article with id {article_id!r}: `newsrag list` shows the ids")
        return text

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The texts of the articles that exist, in one read (missing ids are left out)."""
        if not article_ids:
            return {}
        found = self.registry.get(ids=list(dict.fromkeys(article_ids)), include=["documents"])
        return {str(i): str(doc) for i, doc in zip(found["ids"], found["documents"], strict=True)}

    # --- writing --------------------------------------------------------------------------------------------
    def write_lock(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time on an embedded index (Chroma's server serialises writes itself)."""
        return contextlib.nullcontext() if self.settings.chroma_url else embedded_write_lock(self.settings.home)

    def write(self, prepared: Sequence[PreparedArticle]) -> None:
        """Add new versions of articles: chunks first, then the registry (the commit), then old chunks out."""
        if not prepared:
            return
        self._add_chunks(prepared)
        ids = [p.article.id for p in prepared]
        seq = self._claim(ids)  # before the commit: a crash in between leaves an entry, never a silent change
        self._commit(prepared)
        # Against the registry as it is now, not our own versions: with several writers on one server, a
        # newer version committed meanwhile by someone else must survive.
        current = self.registry.get(ids=ids, include=["metadatas"])
        versions = {i: str(m.get("version")) for i, m in zip(current["ids"], current["metadatas"], strict=True)}
        self._delete_stale_chunks({i: versions.get(i, "") for i in ids})
        self.changes.finish(seq)
        self._bump_generation(seq)

    def _add_chunks(self, prepared: Sequence[PreparedArticle]) -> None:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors = [p.vectors for p in prepared if len(p.chunks)]
        for p in prepared:
            for chunk in p.chunks:
                ids.append(chunk.id)
                docs.append(chunk.text)
                metas.append(chunk.metadata(p.article))
        if not ids:
            return
        matrix = np.concatenate(vectors)
        batch = self.client.get_max_batch_size()
        for i in range(0, len(ids), batch):
            self.chunks.upsert(
                ids=ids[i : i + batch], embeddings=matrix[i : i + batch],
                documents=docs[i : i + batch], metadatas=metas[i : i + batch],
            )

    def _commit(self, prepared: Sequence[PreparedArticle]) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.registry.upsert(
            ids=[p.article.id for p in prepared],
            embeddings=np.ones((len(prepared), 1), dtype=np.float32),  # the registry is looked up by id only
            documents=[p.article.text for p in prepared],
            metadatas=[registry_metadata(p, now) for p in prepared],
        )

    def _delete_stale_chunks(self, current: dict[str, str]) -> int:
        """Delete chunks of these articles whose version is not the current one (None: article removed)."""
        stale: list[str] = []
        ids = list(current)
        for i in range(0, len(ids), 500):
            found = self.chunks.get(where={"article_id": {"$in": ids[i : i + 500]}}, include=["metadatas"])
            stale += [
                chunk_id for chunk_id, meta in zip(found["ids"], found["metadatas"], strict=True)
                if meta.get("version") != current.get(str(meta.get("article_id")))
            ]
        for i in range(0, len(stale), self.client.get_max_batch_size()):
            self.chunks.delete(ids=stale[i : i + self.client.get_max_batch_size()])
        return len(stale)

    def remove(self, article_ids: Sequence[str]) -> list[str]:
        """Remove articles (registry first, so they vanish at once); returns the ids that existed."""
        known = set(self.registry.get(ids=list(article_ids), include=[])["ids"])
        missing = [a for a in article_ids if a not in known]
        if known:
            seq = self._claim(sorted(known))
            self.registry.delete(ids=list(known))
            self._delete_stale_chunks(dict.fromkeys(known, ""))
            self.changes.finish(seq)
            self._bump_generation(seq)
        if missing:
            raise NotFoundError(
                f"no article with id {', '.join(map(repr, missing))}: `newsrag list` shows the ids"
                + (f" (removed: {', '.join(sorted(known))})" if known else "")
            )
        return sorted(known)

    def existing_vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these articles' chunks, keyed by the text that was embedded (see `dense_text`),
        so passages an update did not change are not embedded again."""
        if not article_ids:
            return {}
        found = self.chunks.get(
            where={"article_id": {"$in": list(article_ids)}}, include=["documents", "metadatas", "embeddings"]
        )
        return {dense_text(doc, str(meta.get("title", ""))): np.asarray(vec, dtype=np.float32)
                for doc, meta, vec in zip(found["documents"], found["metadatas"], found["embeddings"], strict=True)}

    def stored_articles(self) -> Iterator[Article]:
        """Every committed article rebuilt from the registry (text and metadata), e.g. to re-embed it."""
        for article_id, meta in scan(self.registry, include=["documents", "metadatas"]):
            yield stored_article(article_id, str(meta["_document"]), meta)

    def drop(self) -> None:
        """Delete the collection, its registry and the lexical index (for `newsrag reindex`)."""
        for name in (self.settings.collection, f"{self.settings.collection}-articles",
                     f"{self.settings.collection}-changes"):
            with contextlib.suppress(Exception):  # absent already: nothing to drop
                self.client.delete_collection(name)
        self._chunks = self._registry = self._changes = None
        self._lexical = self._catalog = None
        self._lexical_files = None
        self.catalog_file.remove()

    # --- reading ------------------------------------------------------------------------------------------
    def committed_chunks(self, *, sweep: bool = False) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every committed chunk; `sweep` deletes leftovers of interrupted writes."""
        catalog = self.catalog()
        orphans: list[str] = []
        for chunk_id, meta in scan(self.chunks, include=["documents", "metadatas"]):
            info = catalog.get(str(meta.get("article_id")))
            if info is None or info.version != meta.get("version"):
                orphans.append(chunk_id)
                continue
            yield chunk_id, str(meta.pop("_document")), meta
        if sweep and orphans:
            self.chunks.delete(ids=orphans)

    def lexical(self) -> LexicalIndex:
        """The lexical index at the current generation, brought up to date by the difference against the
        registry."""
        return self._lexical_at(self.generation())

    def _lexical_at(self, generation: str) -> LexicalIndex:
        """The index at `generation`, synced by this thread, or, while another thread is syncing, the previous
        snapshot (its hits are checked against the catalog, so nothing removed is cited)."""
        previous = self._lexical
        if previous is not None and previous.generation == generation:
            return previous
        if not self._rebuild_lock.acquire(blocking=previous is None):
            return previous  # type: ignore[return-value]  # acquire only fails when there is a previous index
        try:
            current = self._lexical
            if current is not None and current.generation == generation:
                return current  # another thread finished it while we waited
            return self._sync_lexical(generation, rebuild=False, sweep=False)
        finally:
            self._rebuild_lock.release()

    def rebuild_lexical(self, generation: str | None = None, *, sweep: bool = False) -> LexicalIndex:
        """Rebuild the lexical index from Chroma's committed documents (`newsrag reindex --lexical`; by itself
        only when the analysis changes). Waits for a sync in progress."""
        with self._rebuild_lock:
            return self._sync_lexical(self.generation() if generation is None else generation, rebuild=True,
                                      sweep=sweep)

    def _sync_lexical(self, generation: str, *, rebuild: bool, sweep: bool) -> LexicalIndex:
        """Apply to the local lexical index what changed in the registry since its last sync (`rag.lexical_sync`)."""
        self._lexical = sync(self, generation, rebuild=rebuild, sweep=sweep)
        return self._lexical

    def dense_search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None,
                     catalog: dict[str, ArticleInfo] | None = None) -> list[DenseHit]:
        """Nearest committed chunks by cosine similarity (`catalog`: a snapshot the caller already holds)."""
        catalog = self.catalog() if catalog is None else catalog
        if not catalog:
            return []
        found = self.chunks.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["documents", "metadatas",
                                                                                   "distances"],
        )
        hits = []
        for chunk_id, doc, meta, dist in zip(found["ids"][0], found["documents"][0], found["metadatas"][0],
                                             found["distances"][0], strict=True):
            info = catalog.get(str(meta.get("article_id")))
            if info is not None and info.version == meta.get("version"):
                hits.append(DenseHit(chunk_id, doc, meta, 1.0 - float(dist)))
        return hits

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not chunk_ids:
            return {}
        found = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {cid: (doc, meta) for cid, doc, meta in
                zip(found["ids"], found["documents"], found["metadatas"], strict=True)}


# Moved to their own modules; their names stay importable from here.
__all__ = ["SCHEMA_VERSION", "ArticleInfo", "DenseHit", "PreparedArticle", "Store", "chroma_client", "dense_text",
           "lexical_text", "representative_first"]
