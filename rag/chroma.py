"""The Chroma client: embedded under RAG_HOME or a server, and what this process knows about embedded indexes
other processes change (Chroma's embedded client caches its files per path)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import StoreError


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
