"""The Chroma client: embedded under RAG_HOME or a server, and what this process knows about embedded indexes
other processes change (Chroma's embedded client caches its files per path)."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import IndexBusyError, StoreError

_PAGE = 500  # records per `get` page when scanning a collection (by id; see `scan`)


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


def open_collections(client: Any, name: str, model: str, schema: int) -> tuple[Any, Any, Any]:
    """The chunk collection `name`, its article registry and its change log, created when absent."""
    try:
        chunks = client.get_or_create_collection(
            name,
            embedding_function=None,  # we always pass vectors; Chroma's default would download a model
            metadata={"embedding_model": model, "generation": "", "schema": schema},
            configuration={"hnsw": {"space": "cosine"}},
        )
        registry = client.get_or_create_collection(f"{name}-articles", embedding_function=None,
                                                   metadata={"schema": schema})
        changes = client.get_or_create_collection(f"{name}-changes", embedding_function=None,
                                                  metadata={"schema": schema})
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot open the Chroma collection {name!r}: {exc}") from None
    return chunks, registry, changes


def scan(collection: Any, include: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, metadata with the document under "_document") of every record: all ids in one cheap `get` (ids only),
    then the records in pages by id. Paging by offset lost a record for good whenever another process removed one
    between two pages (every later page started one record late); by id, a record removed meanwhile is simply
    not returned."""
    for record_id, meta, doc in get_by_ids(collection, collection.get(include=[])["ids"], include):
        yield record_id, {**(meta or {}), "_document": doc}


def get_by_ids(collection: Any, ids: Sequence[str], include: list[str], page: int = _PAGE
               ) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(id, metadata, document) of the records of `ids` that exist, `page` ids per `get` (Chroma's transient
    memory grows with the page: see rag/catalog.py)."""
    for start in range(0, len(ids), page):
        found = collection.get(ids=list(ids[start : start + page]), include=include)
        records = found["ids"]
        metadatas = found.get("metadatas") or [None] * len(records)
        documents = found.get("documents") or [None] * len(records)
        yield from zip(records, metadatas, documents, strict=True)


@contextmanager
def embedded_write_lock(home: Path) -> Iterator[None]:
    """One writer at a time on the embedded index under `home` (a file lock; `IndexBusyError` when taken)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "write.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"the index at {home} is busy: another newsrag process is writing to it; "
                "try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
