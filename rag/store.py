"""The index: a Chroma collection of chunks, a registry collection of articles, and the lexical index.

Consistency rules (so a crash or Ctrl-C never leaves half an article visible):
- chunk ids include the article version, so a new version's chunks never overwrite the old ones;
- the registry record of an article (its current version) is the commit point: readers only accept chunks
  whose version matches it, and the lexical index holds committed chunks only;
- old versions are deleted after the commit; leftovers of an interrupted write are invisible and are swept
  by the next write or rebuild.
Every commit writes a new random generation token into the chunk collection's metadata; the lexical index
remembers the token it was built at, which makes staleness a single metadata read (also across processes
sharing one Chroma server).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.config import Settings
from rag.dedup import Member, representative
from rag.embeddings import Embedder, make_embedder
from rag.errors import IndexBusyError, ModelMismatchError, NotFoundError, StoreError
from rag.lexical import LexicalDoc, LexicalIndex
from rag.schema import Article, Chunk

SCHEMA_VERSION = 1
_PAGE = 2000  # documents per Chroma `get` page when scanning


@dataclass(frozen=True)
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
    def from_metadata(cls, article_id: str, meta: dict[str, Any]) -> ArticleInfo:
        return cls(
            id=article_id,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            published=str(meta.get("published", "")),
            version=str(meta.get("version", "")),
            chunks=int(meta.get("chunks", 0)),
            authors=tuple(json.loads(str(meta.get("authors", "[]")))),
            agencies=tuple(json.loads(str(meta.get("agencies", "[]")))),
            ingested_at=str(meta.get("ingested_at", "")),
            origin=str(meta.get("origin", "")),
            group=str(meta.get("group", "")),
            length=int(meta.get("length", 0)),
        )


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


def chroma_client(settings: Settings) -> Any:
    """An embedded PersistentClient under RAG_HOME, or an HttpClient when RAG_CHROMA_URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); start it with "
                f"`chroma run --path DIR --port {url.port or 8000}` or unset RAG_CHROMA_URL"
            ) from None
    path = settings.home / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class _ProcessView:
    """What this process knows about each embedded index path.

    An embedded Chroma keeps its vector index in memory, so a commit by another process (a `newsrag ingest`
    while the web app runs) is invisible to our dense search until the path's Chroma system is reopened. We
    notice such commits by a generation token we did not write, and reopen once per token.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: set[str] = set()
        self.seen: dict[str, str] = {}
        self.epoch: dict[str, int] = {}

    def foreign(self, path: str, generation: str) -> bool:
        with self.lock:
            if generation in self.written or self.seen.get(path, generation) == generation:
                self.seen[path] = generation
                return False
            self.seen[path] = generation
            self.epoch[path] = self.epoch.get(path, 0) + 1
            return True

    def wrote(self, path: str, generation: str) -> None:
        with self.lock:
            self.written.add(generation)
            self.seen[path] = generation


_VIEW = _ProcessView()


def _forget_embedded_system(path: Path) -> None:
    """Drop the cached Chroma system of `path` so the next client reads the files afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    for identifier in list(SharedSystemClient._identifier_to_system):
        if identifier == str(path):
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)


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
        self._lexical: LexicalIndex | None = None
        # One rebuild at a time per store: at 100k chunks a rebuild takes a minute and 4 GB, so threads that find
        # the index stale while another thread rebuilds it answer from the previous index instead of piling up.
        self._rebuild_lock = threading.Lock()
        self._catalog: dict[str, ArticleInfo] | None = None
        self._catalog_generation: str | None = None
        self._stories: tuple[dict[str, ArticleInfo], dict[str, list[ArticleInfo]]] | None = None
        self._epoch = 0

    # --- opening ------------------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = chroma_client(self.settings)
        return self._client

    @property
    def lexical_dir(self) -> Path:
        server = "server-" + uuid.uuid5(uuid.NAMESPACE_URL, self.settings.chroma_url).hex[:8] \
            if self.settings.chroma_url else "embedded"
        return self.settings.home / "lexical" / f"{self.settings.collection}-{server}"

    def _open(self) -> None:
        if self._chunks is not None:
            return
        name = self.settings.collection
        try:
            chunks = self.client.get_or_create_collection(
                name,
                embedding_function=None,  # we always pass vectors; Chroma's default would download a model
                metadata={"embedding_model": self.embedder.name, "generation": "", "schema": SCHEMA_VERSION},
                configuration={"hnsw": {"space": "cosine"}},
            )
            registry = self.client.get_or_create_collection(
                f"{name}-articles", embedding_function=None, metadata={"schema": SCHEMA_VERSION}
            )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma collection {name!r}: {exc}") from None
        stamped = (chunks.metadata or {}).get("embedding_model")
        if self.check_model and stamped and stamped != self.embedder.name:
            raise ModelMismatchError(
                f"collection {name!r} was built with embedding model {stamped!r}, but RAG_EMBEDDING_MODEL is "
                f"{self.embedder.name!r}: run `newsrag reindex` to rebuild it with the new model, or set "
                f"RAG_EMBEDDING_MODEL={stamped}"
            )
        self._chunks, self._registry = chunks, registry

    @property
    def chunks(self) -> Any:
        self._open()
        return self._chunks

    @property
    def registry(self) -> Any:
        self._open()
        return self._registry

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
                self._client = self._chunks = self._registry = None
                self._open()
        return generation

    def _bump_generation(self) -> None:
        metadata = dict(self.chunks.metadata or {})
        metadata["generation"] = uuid.uuid4().hex
        metadata.pop("hnsw:space", None)
        self.chunks.modify(metadata=metadata)
        if not self.settings.chroma_url:
            _VIEW.wrote(str(self.chroma_path), metadata["generation"])

    # --- the registry --------------------------------------------------------------------------------------
    def catalog(self) -> dict[str, ArticleInfo]:
        """Every committed article by id; cached until the generation changes."""
        return self._sync_catalog(self.generation())

    def _sync_catalog(self, generation: str) -> dict[str, ArticleInfo]:
        if self._catalog is None or generation != self._catalog_generation:
            self._catalog = {
                article_id: ArticleInfo.from_metadata(article_id, meta)
                for article_id, meta in self._scan(self.registry, include=["metadatas"])
            }
            self._catalog_generation = generation
        return self._catalog

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
            groups: dict[str, list[ArticleInfo]] = {}
            for info in catalog.values():
                groups.setdefault(info.story, []).append(info)
            self._stories = (catalog, {story: representative_first(members) for story, members in groups.items()})
        return self._stories[1]

    def signatures(self) -> dict[str, str]:
        """Every committed article's MinHash signature (articles stored before signatures have none)."""
        return {article_id: str(meta["signature"]) for article_id, meta in self._scan(self.registry, ["metadatas"])
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

    def _scan(self, collection: Any, include: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        offset = 0
        while True:
            page = collection.get(include=include, limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            metadatas = page.get("metadatas") or [{}] * len(ids)
            documents = page.get("documents") or [None] * len(ids)
            for chunk_id, meta, doc in zip(ids, metadatas, documents, strict=True):
                yield chunk_id, {**(meta or {}), "_document": doc}
            offset += len(ids)

    # --- writing --------------------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time on an embedded index (Chroma's server serialises writes itself)."""
        if self.settings.chroma_url:
            yield
            return
        self.settings.home.mkdir(parents=True, exist_ok=True)
        path = self.settings.home / "write.lock"
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusyError(
                    f"the index at {self.settings.home} is busy: another newsrag process is writing to it; "
                    "try again when it has finished"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, prepared: Sequence[PreparedArticle]) -> None:
        """Add new versions of articles: chunks first, then the registry (the commit), then old chunks out."""
        if not prepared:
            return
        self._add_chunks(prepared)
        self._commit(prepared)
        # Against the registry as it is now, not our own versions: with several writers on one server, a
        # newer version committed meanwhile by someone else must survive.
        ids = [p.article.id for p in prepared]
        current = self.registry.get(ids=ids, include=["metadatas"])
        versions = {i: str(m.get("version")) for i, m in zip(current["ids"], current["metadatas"], strict=True)}
        self._delete_stale_chunks({i: versions.get(i, "") for i in ids})
        self._bump_generation()

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
            metadatas=[_registry_metadata(p, now) for p in prepared],
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
            self.registry.delete(ids=list(known))
            self._delete_stale_chunks(dict.fromkeys(known, ""))
            self._bump_generation()
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
        for article_id, meta in self._scan(self.registry, include=["documents", "metadatas"]):
            yield Article(
                id=article_id, title=str(meta.get("title", "")), text=str(meta["_document"]),
                source=str(meta.get("source", "")), url=str(meta.get("url", "")),
                published=str(meta.get("published", "")),
                authors=tuple(json.loads(str(meta.get("authors", "[]")))),
                agencies=tuple(json.loads(str(meta.get("agencies", "[]")))),
                subheadings=tuple((int(o), str(h)) for o, h in json.loads(str(meta.get("subheadings", "[]")))),
                origin=str(meta.get("origin", "")),
            )

    def drop(self) -> None:
        """Delete the collection, its registry and the lexical index (for `newsrag reindex`)."""
        for name in (self.settings.collection, f"{self.settings.collection}-articles"):
            with contextlib.suppress(Exception):  # absent already: nothing to drop
                self.client.delete_collection(name)
        self._chunks = self._registry = None
        self._lexical = self._catalog = None

    # --- reading ------------------------------------------------------------------------------------------
    def committed_chunks(self, *, sweep: bool = False) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every committed chunk; `sweep` deletes leftovers of interrupted writes."""
        catalog = self.catalog()
        orphans: list[str] = []
        for chunk_id, meta in self._scan(self.chunks, include=["documents", "metadatas"]):
            info = catalog.get(str(meta.get("article_id")))
            if info is None or info.version != meta.get("version"):
                orphans.append(chunk_id)
                continue
            yield chunk_id, str(meta.pop("_document")), meta
        if sweep and orphans:
            self.chunks.delete(ids=orphans)

    def lexical(self) -> LexicalIndex:
        """The lexical index at the current generation: in memory, from disk, or rebuilt from Chroma."""
        return self._lexical_at(self.generation())

    def _lexical_at(self, generation: str) -> LexicalIndex:
        """The index at `generation`, brought up to date by this thread, or, while another thread is doing
        that, the previous index (its hits are checked against the catalog, so nothing removed is cited)."""
        previous = self._lexical
        if previous is not None and previous.generation == generation:
            return previous
        if not self._rebuild_lock.acquire(blocking=previous is None):
            return previous  # type: ignore[return-value]  # acquire only fails when there is a previous index
        try:
            current = self._lexical
            if current is not None and current.generation == generation:
                return current  # another thread finished it while we waited
            if LexicalIndex.stored_generation(self.lexical_dir) == generation:
                loaded = LexicalIndex.load(self.lexical_dir)
                if loaded is not None and loaded.generation == generation:
                    self._lexical = loaded
                    return loaded
            return self._rebuild_lexical(generation, sweep=False)
        finally:
            self._rebuild_lock.release()

    def rebuild_lexical(self, generation: str | None = None, *, sweep: bool = False) -> LexicalIndex:
        """Rebuild the lexical index from Chroma's committed documents (waits for a rebuild in progress)."""
        with self._rebuild_lock:
            return self._rebuild_lexical(generation, sweep=sweep)

    def _rebuild_lexical(self, generation: str | None, *, sweep: bool) -> LexicalIndex:
        # Read the token before the documents: a commit racing with us then makes the index look stale.
        generation = self.generation() if generation is None else generation
        docs = [
            LexicalDoc(chunk_id, lexical_text(text, meta), str(meta["article_id"]),
                       int(meta.get("published_day", 0)), str(meta.get("source", "")),
                       tuple(int(day) for day in meta.get("event_days") or ()))
            for chunk_id, text, meta in self.committed_chunks(sweep=sweep)
        ]
        index = LexicalIndex.build(docs, generation)
        with contextlib.suppress(OSError):  # a read-only home still answers; it just rebuilds next time
            index.save(self.lexical_dir)
        self._lexical = index
        return index

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


def representative_first(members: Sequence[ArticleInfo]) -> list[ArticleInfo]:
    """A group's articles with the one that stands for it first (the most complete, then the earliest)."""
    chosen = representative([Member(m.id, m.length, m.published) for m in members])
    return sorted(members, key=lambda m: (m.id != chosen, m.published, m.id))


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    """What BM25 indexes for a chunk: the article title, the subheading and the text. The title tells which
    article a chunk belongs to (measured: recall@1 0.86 → 0.90 on the dev set)."""
    return "\n".join(part for part in (str(meta.get("title") or ""), str(meta.get("subheading") or ""), text)
                     if part)


def dense_text(text: str, title: str) -> str:
    """What the embedding model reads for a chunk: the title gives a short passage its topic."""
    return f"{title}\n{text}" if title else text


def _registry_metadata(p: PreparedArticle, now: str) -> dict[str, Any]:
    a = p.article
    return {
        "title": a.title, "source": a.source, "url": a.url, "published": a.published, "version": a.hash,
        "chunks": len(p.chunks), "authors": json.dumps(list(a.authors), ensure_ascii=False),
        "agencies": json.dumps(list(a.agencies), ensure_ascii=False), "ingested_at": now, "origin": a.origin,
        "subheadings": json.dumps([list(pair) for pair in a.subheadings], ensure_ascii=False),
        "group": p.group or a.id, "signature": p.signature, "length": len(a.text),
    }
