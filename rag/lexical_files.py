"""The lexical index on disk: a tantivy index plus a small state file, changed per article.

The state file says which version of each article the index holds and at which store generation it was last
synced. It is written after tantivy's commit, so a kill between the two leaves the state behind the index, never
ahead of it: the next sync then applies those articles again, and applying is idempotent (delete the article's
documents, add its current chunks). One process writes at a time (a file lock beside the index); readers in
other processes see a commit when they reload.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import tantivy

from rag.lexical import LexicalDoc, LexicalIndex, document, schema
from rag.text import ANALYZER_VERSION

_STATE = "newsrag-state.json"
_GENERATION = "newsrag-generation.txt"  # tiny, so a staleness check does not parse the state
_FORMAT = 4  # 4: tantivy, changed per article (3 was a bm25s rebuild)
# The writer's memory: 50 MB indexed 20,560 whole 10kGNAD articles in one segment run (issue 12's 9.5 s).
_WRITER_HEAP = 50_000_000


class LexicalFiles:
    """The tantivy index under one directory, its sync state and its writer lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._index: tantivy.Index | None = None

    @property
    def _state_path(self) -> Path:
        return self.directory / _STATE

    def open(self) -> tantivy.Index:
        """The index, created empty when absent. A home that cannot be written gets an index in memory."""
        if self._index is not None:
            return self._index
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(schema(), path=str(self.directory), reuse=True)
        except (OSError, ValueError):
            self._index = tantivy.Index(schema())  # read-only home: answers, and syncs again in the next process
        return self._index

    def wipe(self) -> None:
        """Delete the index files (for a full rebuild)."""
        self._index = None
        shutil.rmtree(self.directory, ignore_errors=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time across processes sharing this directory (tantivy's own lock would fail the
        second writer instead of making it wait)."""
        try:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.directory.with_name(self.directory.name + ".lock"), "a+")  # noqa: SIM115
        except OSError:
            yield  # read-only home: the index is in memory, this process's own
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def versions(self) -> dict[str, str]:
        """Article id → version the committed index holds. Call inside `locked`: an index written by another
        format or analysis is wiped here, and then holds nothing."""
        if not self.loadable(self.directory):
            self.wipe()
            return {}
        try:
            state = json.loads(self._state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if state.get("format") != _FORMAT or state.get("analyzer") != ANALYZER_VERSION:
            return {}
        return dict(state.get("versions", {}))

    def apply(self, docs: Iterable[LexicalDoc], drop: Sequence[str], versions: dict[str, str],
              generation: str) -> None:
        """Delete the documents of the `drop` articles, add `docs`, commit; then record `versions` and
        `generation`. Call inside `locked`."""
        index = self.open()
        writer = index.writer(_WRITER_HEAP, 1)
        for article_id in drop:
            writer.delete_documents_by_term("article_id", article_id)
        for doc in docs:
            writer.add_document(document(doc))
        writer.commit()
        writer.wait_merging_threads()  # merges finish now rather than being cancelled with the writer
        index.reload()
        self.record(versions, generation)

    def record(self, versions: dict[str, str], generation: str) -> None:
        state = {"format": _FORMAT, "analyzer": ANALYZER_VERSION, "generation": generation, "versions": versions}
        with contextlib.suppress(OSError):  # a read-only home: the next process syncs again
            _write_atomic(self._state_path, json.dumps(state, ensure_ascii=False))
            _write_atomic(self.directory / _GENERATION, generation)

    def snapshot(self, generation: str, versions: dict[str, str]) -> LexicalIndex:
        index = self.open()
        index.reload()  # another process may have committed
        return LexicalIndex(index, generation, versions)

    @staticmethod
    def loadable(directory: Path) -> bool:
        """Whether the index in `directory` was written in this format by this version of the analysis (cheap:
        reads the small state file's head only)."""
        try:
            head = (directory / _STATE).read_text(encoding="utf-8")
        except OSError:
            return False
        try:
            state = json.loads(head)
        except ValueError:
            return False
        return state.get("format") == _FORMAT and state.get("analyzer") == ANALYZER_VERSION

    @staticmethod
    def stored_generation(directory: Path) -> str | None:
        try:
            return (directory / _GENERATION).read_text(encoding="utf-8")
        except OSError:
            return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
