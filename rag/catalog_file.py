"""The catalog on disk: a compact copy of a process's catalog (`rag.catalog`) beside the lexical index, so that a
fresh process (a `newsrag ask`) starts from it and applies only the change-log entries after it, instead of
reading the whole registry from Chroma (see README "Incremental catalog" for the figures).

The file is a cache: whatever is wrong with it, the catalog is read whole as before. It is used only when it
names the log and registry collections of the store (a reindex makes new ones), the log still holds the entry
at its seq with the same random token (a log restored from an older backup and written on since numbers other
entries alike), it was written with this version's fields, and its checksum holds. It is written to a file of
its own and renamed into place, so a reader never sees half of it, and several processes may write it: each
writes a catalog that was valid at its seq, and the log brings any of them up to date. It is written after a
full scan and once `SAVE_AFTER` records were read since the last write, not on every change: a write costs
about 0.1 s at 19,920 articles, and the articles a fresh process re-reads from the log stay few.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import uuid
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag.catalog import CatalogState
from rag.changelog import ChangeLog
from rag.records import ArticleInfo

FORMAT = 1
SAVE_AFTER = 1000  # registry records read since the last write (re-reading 1,000 by id takes about 0.1 s)
_FIELDS = [f.name for f in dataclasses.fields(ArticleInfo)]
_TUPLES = [i for i, f in enumerate(dataclasses.fields(ArticleInfo)) if str(f.type).startswith("tuple")]
_SHARED = [_FIELDS.index(name) for name in ("source", "published", "ingested_at", "origin")]  # values that repeat
_ID, _GROUP = _FIELDS.index("id"), _FIELDS.index("group")
_DECODE = json.JSONDecoder().decode  # `json.loads` of bytes detects the encoding again on every line


class CatalogFile:
    """One store's catalog file, read at a process's first catalog and written now and then.

    Lines: a JSON header (format, fields, log, registry, seq and its token), one JSON array per article
    (its fields in `_FIELDS` order), and a trailer {"count", "crc32"} over the article lines. Line by line, so
    that neither side holds the whole text or its parse at once; the checksum catches what a crash or a damaged
    disk leaves that still parses.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, registry: Any, log: ChangeLog) -> CatalogState | None:
        """The catalog the file holds, if it belongs to this store and its log (see the module); else None."""
        try:
            with open(self.path, "rb") as handle:
                header = json.loads(handle.readline())
                if (header["format"], header["fields"], header["log"], header["registry"]) != (
                        FORMAT, _FIELDS, log.identity, str(registry.id)):
                    return None
                articles, crc, trailer = _read_articles(handle)
            seq = int(header["seq"])
            if (trailer["count"], trailer["crc32"]) != (len(articles), crc) or (
                    seq and log.token(seq) != header["token"]):
                return None
            # No generation: the first refresh reads the log after `seq` whatever the token says, as a full scan
            # would see a commit whose writer died before bumping the token (a process holding the catalog in
            # memory sees it at the next commit).
            return CatalogState(articles, "", seq, log.identity, full=False)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def keep(self, state: CatalogState, previous: CatalogState | None, registry: Any, log: ChangeLog) -> CatalogState:
        """`state` (the refresh of `previous`), written when it comes from a new full scan or `SAVE_AFTER`
        records were read since the last write."""
        if state.unsaved >= SAVE_AFTER or (state.full and state is not previous):
            return self.save(state, registry, log)
        return state

    def save(self, state: CatalogState, registry: Any, log: ChangeLog) -> CatalogState:
        """Write `state`; returns it with nothing unsaved, also when the home is read-only (then the next process
        reads the registry, as without the file, and this one tries again after `SAVE_AFTER` more records)."""
        written = dataclasses.replace(state, unsaved=0)
        token = log.token(state.seq) if state.seq else None
        if state.log != log.identity or (state.seq and token is None):
            return written  # the entry was trimmed meanwhile: no process could check such a file
        header = {"format": FORMAT, "fields": _FIELDS, "log": state.log, "registry": str(registry.id),
                  "seq": state.seq, "token": token}
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(_line(header))
                crc = 0
                for info in state.articles.values():
                    line = _line([getattr(info, name) for name in _FIELDS])
                    crc = zlib.crc32(line, crc)
                    handle.write(line)
                handle.write(_line({"count": len(state.articles), "crc32": crc}))
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
        return written

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _read_articles(lines: Iterable[bytes]) -> tuple[dict[str, ArticleInfo], int, dict[str, Any]]:
    """The article lines' ArticleInfo by id, their checksum and the trailer (ValueError when there is none)."""
    articles: dict[str, ArticleInfo] = {}
    shared: dict[str, str] = {}
    crc = 0
    for line in lines:
        if not line.startswith(b"["):
            return articles, crc, json.loads(line)
        crc = zlib.crc32(line, crc)
        values = _DECODE(line.decode("utf-8"))
        for i in _TUPLES:
            values[i] = tuple(values[i])
        for i in _SHARED:
            values[i] = shared.setdefault(values[i], values[i])  # as `rag.records.share`
        if values[_GROUP] == values[_ID]:
            values[_GROUP] = values[_ID]  # one string object, as `ArticleInfo.from_metadata` makes it
        articles[values[_ID]] = ArticleInfo(*values)
    raise ValueError("no trailer: the file was cut short")
