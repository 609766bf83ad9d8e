"""simplemma's lemma dictionary kept on disk (SQLite) instead of in every process's memory.

simplemma 2.0.0 decodes its German dictionary (1.1 million forms) into a `dict[bytes, bytes]` on first use: 0.7 s
and 106 MiB of peak memory in every process (bench/lemmas.py), for what a question needs a dozen lookups of.
Its strategies reach the dictionary only through `get_dictionary(lang).get(form)` (DictionaryLookupStrategy and
GreedyDictionaryLookupStrategy; every other strategy goes through DictionaryLookupStrategy: no `in`, no
iteration, no `len`), so a read-only mapping with the same `get` gives the same lemmas. Here that mapping is a
SQLite table `form → lemma` (raw UTF-8 bytes, as simplemma keys them), written once per simplemma version into the
model cache, next to the converted e5 model (rag/e5.py), and read through one read-only connection per process.

Why SQLite and not mmap: `mmap_size` maps every page a lookup touches into the process (whole large folios on
recent kernels), so resident memory grows with the forms looked up (+28 MB after 50k forms) for a small gain
(2.1–2.3 against 2.5–2.6 µs a lookup); without mmap SQLite reads pages with pread into its own 1 MiB page cache
and the resident memory stays flat. marisa-trie (mmap) measured 0.9 µs a lookup but is a compiled dependency: for 1.3
lookups per new form, 2 µs do not matter next to the 0.7 s load the in-memory dictionary costs each process.

The table is built by streaming simplemma's front-coded file record by record (its private `frontcode` reader),
so the building process never holds the decoded dictionary: 19 MiB above its baseline, 2.3 s of CPU, 29 MiB on
disk.

When the table cannot be built or opened (a cache directory that is not writable, simplemma internals that
changed), lemmatisation falls back to simplemma's own in-memory dictionary: the same lemmas, its memory cost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar, overload

import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries import DEFAULT_DICTIONARY_FACTORY

log = logging.getLogger("newsrag.lemmas")

FORMAT = 1  # bump when the table written here changes, so existing tables are rebuilt
STALE_SECONDS = 3600.0  # a temporary table this old is a crashed build (a real one takes seconds): removed
_CACHE_KIB = 1024  # SQLite's page cache (1 MiB): the B-tree's inner pages; leaves come from the OS page cache
_T = TypeVar("_T")


def table_path(cache: Path, lang: str) -> Path:
    """Where the table of `lang` for the installed simplemma lives: versioned, so an upgrade builds anew."""
    return cache / f"simplemma-{simplemma.__version__}-{lang}-v{FORMAT}.sqlite"


# --- building ------------------------------------------------------------------------------------------------
def _records(lang: str) -> Iterator[tuple[bytes, bytes]]:
    """simplemma's (form, lemma) pairs of `lang`, in its file's order, one at a time (never the whole dict).

    Private simplemma API (pinned to 2.0.0 in pyproject): the same reader its `_decode_stream` uses, so the pairs
    are exactly the entries of its in-memory dictionary. If an upgrade changes it, the build fails and
    `LemmaDictionaries` falls back to the in-memory dictionary (tests/rag/test_lemmas.py then fails loudly)."""
    from simplemma.strategies.dictionaries import frontcode
    from simplemma.strategies.dictionaries.dictionary_factory import _read_decompressed

    data = _read_decompressed(lang)  # the decompressed file (6.7 MB for German); raises ValueError if unsupported
    reverse, count, position = frontcode._read_header(data)
    seen = 0
    for _, form, lemma in frontcode._iter_records(data, position):
        seen += 1
        yield (form[::-1], lemma[::-1]) if reverse else (form, lemma)
    if seen != count:  # as _decode_stream: a truncated stream
        raise ValueError(f"simplemma's {lang} dictionary has {seen} records, its header says {count}")


def _write_table(path: Path, lang: str, records: Iterable[tuple[bytes, bytes]]) -> int:
    """Fill an empty SQLite file; returns the number of forms. A lemma equal to its form is stored as NULL (28 % of
    the German forms: 3.8 MB less). The last record of a form wins, as in simplemma's dict."""
    connection = sqlite3.connect(path)
    try:
        # A private file renamed into place when complete: no journal, no syncs until the end.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("CREATE TABLE lemmas (form BLOB PRIMARY KEY, lemma BLOB) WITHOUT ROWID")
        connection.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.executemany("INSERT OR REPLACE INTO lemmas VALUES (?, ?)",
                               ((form, None if lemma == form else lemma) for form, lemma in records))
        (count,) = connection.execute("SELECT count(*) FROM lemmas").fetchone()
        # Written last: a table with these rows is complete (see _is_complete).
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("simplemma", simplemma.__version__), ("lang", lang), ("format", str(FORMAT)), ("forms", str(count))])
        connection.commit()
        connection.execute("VACUUM")  # sorted inserts leave B-tree pages partly empty: 33 MB → 29 MB, 0.2 s
    finally:
        connection.close()
    with open(path, "rb+") as written:  # on disk before the rename makes it visible
        os.fsync(written.fileno())
    path.chmod(0o644)  # mkstemp made it private; the lemma list is public data, other users may share the cache
    return count


def _is_complete(path: Path, lang: str) -> bool:
    """True when `path` is a finished table of this simplemma version, language and format."""
    if not path.is_file():
        return False
    try:
        connection = _connect(path)
        try:
            meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return (meta.get("simplemma"), meta.get("lang"), meta.get("format")) == (
        simplemma.__version__, lang, str(FORMAT)) and meta.get("forms", "").isdigit()


def _remove_stale(cache: Path, name: str) -> None:
    """Delete temporary tables left by crashed builds. Recent ones may be another process's build in progress."""
    deadline = time.time() - STALE_SECONDS
    for leftover in cache.glob(f"{name}.tmp-*"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < deadline:
                leftover.unlink()


def build_table(cache: Path, lang: str) -> Path:
    """The table of `lang` under `cache`, built on first use. Written to a temporary file in the same folder and
    renamed into place, so a crash never leaves half a table under the real name and two processes that build at
    once each rename a complete table (the second rename replaces an identical file; readers of the first keep
    theirs). Raises OSError when the folder is not writable."""
    path = table_path(cache, lang)
    if _is_complete(path, lang):
        return path
    cache.mkdir(parents=True, exist_ok=True)
    _remove_stale(cache, path.name)
    handle, staging_name = tempfile.mkstemp(prefix=path.name + ".tmp-", dir=cache)
    os.close(handle)
    staging = Path(staging_name)
    try:
        _write_table(staging, lang, _records(lang))
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path


# --- reading -------------------------------------------------------------------------------------------------
def _connect(path: Path) -> sqlite3.Connection:
    # immutable=1: the file never changes once renamed into place (a rebuild replaces it, the open inode stays),
    # so SQLite takes no locks and needs no write access to the folder.
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                 check_same_thread=False)
    connection.execute("PRAGMA mmap_size=0")  # see the module docstring: mmap grows resident memory
    connection.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    return connection


_open_tables: weakref.WeakValueDictionary[int, LemmaTable] = weakref.WeakValueDictionary()


class LemmaTable(Mapping[str, str]):
    """A read-only `Mapping[str, str]` over one table: what simplemma's strategies get from a dictionary factory.

    Keys are encoded and values decoded exactly as simplemma's `MappingStrToByteString` does (strict UTF-8).
    One connection per process behind a lock (the lookup is microseconds; threads share it); a forked child opens
    its own, as SQLite connections must not cross a fork."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cursor: sqlite3.Cursor | None = self._open()
        (forms,) = self._cursor.execute("SELECT value FROM meta WHERE name = 'forms'").fetchone()
        self._len = int(forms)
        _open_tables[id(self)] = self

    def _open(self) -> sqlite3.Cursor:
        # One cursor, reused under the lock: a new one per lookup costs 5 % more.
        self._cursor = _connect(self.path).cursor()
        return self._cursor

    def _lookup(self, key: str) -> str | None:
        form = key.encode()
        with self._lock:
            cursor = self._cursor or self._open()
            row = cursor.execute("SELECT lemma FROM lemmas WHERE form = ?", (form,)).fetchone()
        if row is None:
            return None
        return key if row[0] is None else row[0].decode()

    def _after_fork(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        self._cursor = None  # the parent's connection: dropped unused, the child opens its own on the next lookup

    def __getitem__(self, key: str) -> str:
        value = self._lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    # Overridden: Mapping.get would go through __getitem__ and a KeyError on every miss (most probes miss).
    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: str | _T | None = None) -> str | _T | None:
        value = self._lookup(key)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not None

    def items_in_order(self) -> Iterator[tuple[str, str]]:
        """Every (form, lemma), ordered by the forms' bytes (simplemma's file order): one query, for checks."""
        connection = _connect(self.path)  # its own cursor: the shared connection stays free for lookups
        try:
            for form, lemma in connection.execute("SELECT form, lemma FROM lemmas ORDER BY form"):
                yield form.decode(), (form if lemma is None else lemma).decode()
        finally:
            connection.close()

    def __iter__(self) -> Iterator[str]:
        return (form for form, _ in self.items_in_order())

    def __len__(self) -> int:
        return self._len


def _reset_after_fork() -> None:
    for table in list(_open_tables.values()):
        table._after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)


class LemmaDictionaries:
    """A simplemma `DictionaryFactory`: the on-disk table of each language, or simplemma's in-memory dictionary
    when the table cannot be had (`cache` None or not writable, a failed build): the same lemmas either way."""

    def __init__(self, cache: Path | None) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._tables: dict[str, Mapping[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        table = self._tables.get(lang)
        if table is None:
            with self._lock:  # one build per process; concurrent processes are safe anyway (build_table)
                table = self._tables.get(lang)
                if table is None:
                    table = self._tables[lang] = self._open(lang)
        return table

    def _open(self, lang: str) -> Mapping[str, str]:
        if self.cache is not None:
            try:
                return LemmaTable(build_table(self.cache, lang))
            except Exception as exc:  # any failure costs memory, never a wrong lemma: fall back below
                # info, not warning: Python's last-resort handler would print a warning, and library code
                # never prints. `on_disk` tells callers (bench/lemmas.py) which dictionary they got.
                log.info("simplemma's %s dictionary stays in memory: no table under %s (%s)", lang, self.cache,
                         exc)
        # Also raises simplemma's own ValueError for an unsupported language.
        return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)

    def on_disk(self, lang: str) -> bool:
        """Whether `lang` is served from the on-disk table (False: simplemma's in-memory dictionary)."""
        return isinstance(self.get_dictionary(lang), LemmaTable)


def lemmatizer(dictionaries: LemmaDictionaries) -> simplemma.Lemmatizer:
    """simplemma's default lemmatiser (DefaultStrategy, non-greedy, lowercase fallback: what
    `simplemma.lemmatize(token, lang)` uses) over the given dictionaries. No result cache of its own: the caller
    caches per word form (rag.text)."""
    return simplemma.Lemmatizer(cache_max_size=0,
                                lemmatization_strategy=DefaultStrategy(dictionary_factory=dictionaries))


_default: tuple[LemmaDictionaries, simplemma.Lemmatizer] | None = None
_default_lock = threading.Lock()


def default_dictionaries() -> LemmaDictionaries:
    """The process's dictionaries, under the model cache of `Settings()` (RAG_MODEL_CACHE) as read on first use."""
    return _default_pair()[0]


def _default_pair() -> tuple[LemmaDictionaries, simplemma.Lemmatizer]:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                dictionaries = LemmaDictionaries(_model_cache())
                _default = dictionaries, lemmatizer(dictionaries)
    return _default


def _model_cache() -> Path | None:
    from rag.config import Settings

    try:
        return Settings().model_cache
    except ValueError as exc:  # invalid RAG_* settings: the app reports them; lemmas still work, in memory
        log.info("no model cache for the lemma table (%s)", exc)
        return None


def lemmatize(token: str, lang: str = "de") -> str:
    """`simplemma.lemmatize(token, lang=lang)`, with the dictionary on disk."""
    return _default_pair()[1].lemmatize(token, lang)
