"""Feed subscriptions and their sync state, stored beside the index they feed.

One record per feed in a small Chroma collection `<collection>-feeds` (the state as a JSON document). Chroma and
not a file because the same code then serves both modes: embedded, the state lives under RAG_HOME with the index;
in server mode it lives on the server, so every process that shares the index also shares which feeds exist and
what was already fetched. `rag.store` is not touched: this module only borrows its Chroma client.

`sync_lock` keeps two syncs of one index from running at the same moment (across processes too).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from rag.chroma import chroma_client
from rag.config import Settings
from rag.errors import ConfigError, NotFoundError, StoreError, SyncBusyError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LEASE_ID = "~sync-lease"  # the server-mode lock record (never a feed: feed ids are hex)
LEASE_SECONDS = 30 * 60  # a crashed sync's lease expires after this


def parse_interval(text: str) -> int:
    """ "15m" → 900 seconds; raises ConfigError for anything but a number and one of s m h d."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text or "")
    if not match or int(match[1]) == 0:
        raise ConfigError(f"interval {text!r} is not a duration: write e.g. 30s, 15m, 1h or 1d")
    return int(match[1]) * _UNITS[match[2]]


def format_interval(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class FeedState:
    """A subscription and what its syncs found. Times are ISO 8601 UTC, "" when never."""

    url: str
    source: str = ""
    every: int = 900  # seconds between syncs
    added_at: str = ""
    etag: str = ""  # validators of the last complete fetch, sent back for a conditional GET
    last_modified: str = ""
    last_attempt: str = ""
    last_success: str = ""  # the last sync that reached the feed (a 304 counts)
    last_error: str = ""  # the last sync's first failure, "" when it went cleanly
    errors: list[dict[str, str]] = field(default_factory=list)  # the last sync's failures [{input, error}]
    last_counts: dict[str, int] = field(default_factory=dict)  # the last sync's added/updated/unchanged/failed
    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # entry key → {fingerprint, article}

    @property
    def id(self) -> str:
        return feed_id(self.url)

    def due_at(self) -> datetime | None:
        """When the next sync is due; None before the first one (a new feed is due at once)."""
        if not self.last_attempt:
            return None
        return datetime.fromisoformat(self.last_attempt) + timedelta(seconds=self.every)

    def due(self, now: datetime | None = None) -> bool:
        due_at = self.due_at()
        return due_at is None or (now or datetime.now(UTC)) >= due_at

    def summary(self) -> dict[str, Any]:
        """What `feeds list --json` and the web app show: everything but the per-entry bookkeeping."""
        data = {k: v for k, v in asdict(self).items() if k != "entries"}
        return {**data, "every": format_interval(self.every), "articles": len(self.entries)}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> FeedState:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})  # fields of later versions are ignored


def feed_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


class FeedBook:
    """The feeds of one collection. Cheap to construct; pass the Store's client to share its connection."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._client = client
        self._collection: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = chroma_client(self.settings)
        return self._client

    @property
    def name(self) -> str:
        return f"{self.settings.collection}-feeds"

    @property
    def collection(self) -> Any:
        if self._collection is None:
            try:
                self._collection = self.client.get_or_create_collection(
                    self.name, embedding_function=None, metadata={"schema": 1})
            except Exception as exc:
                raise StoreError(f"cannot open the feed list of {self.settings.collection!r}: {exc}") from None
        return self._collection

    def all(self) -> list[FeedState]:
        return _states(self.collection)

    def saved(self) -> list[FeedState]:
        """The feeds as `all`, but for readers that must write nothing (`newsrag status`): an index nobody ever
        subscribed a feed for has no feed collection, and looking must not create one ([] then)."""
        if self._collection is None:
            from chromadb.errors import NotFoundError as NoCollection

            try:
                self._collection = self.client.get_collection(self.name, embedding_function=None)
            except NoCollection:
                return []
            except Exception as exc:
                raise StoreError(f"cannot read the feed list of {self.settings.collection!r}: {exc}") from None
        return _states(self._collection)

    def get(self, url: str) -> FeedState | None:
        found = self.collection.get(ids=[feed_id(url)], include=["documents"])
        return FeedState.from_json(found["documents"][0]) if found["ids"] else None

    def put(self, state: FeedState) -> None:
        self._upsert(state.id, state.to_json(), state.url)

    def add(self, url: str, *, source: str = "", every: str | None = None) -> FeedState:
        """Subscribe (or change the source and interval of a feed already subscribed; its state stays)."""
        check_feed_url(url)
        interval = parse_interval(every or self.settings.feed_every)
        state = self.get(url) or FeedState(url=url, added_at=now_iso())
        state.source, state.every = source.strip(), interval
        self.put(state)
        return state

    def remove(self, url: str) -> FeedState:
        """Unsubscribe; the feed's articles stay in the corpus."""
        state = self.get(url)
        if state is None:
            raise NotFoundError(f"no feed {url!r} is subscribed: `newsrag feeds list` shows the feeds")
        self.collection.delete(ids=[state.id])
        return state

    def _upsert(self, record_id: str, document: str, url: str) -> None:
        self.collection.upsert(ids=[record_id], documents=[document], metadatas=[{"url": url}],
                               embeddings=np.ones((1, 1), dtype=np.float32))  # looked up by id only

    # --- the lock -----------------------------------------------------------------------------------------
    @contextmanager
    def sync_lock(self) -> Iterator[None]:
        """One sync of this index at a time: a file lock embedded, a lease record on the server (raises
        SyncBusyError when another sync holds it)."""
        if self.settings.chroma_url:
            with self._lease():
                yield
            return
        self.settings.home.mkdir(parents=True, exist_ok=True)
        with open(self.settings.home / f"{self.settings.collection}-feeds.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SyncBusyError(_BUSY) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def _lease(self) -> Iterator[None]:
        """Chroma has no compare-and-set: write our token unless a live lease exists, then read it back after a
        pause; of two processes racing, the one whose write landed last wins and the other backs off."""
        token = uuid.uuid4().hex
        holder = self._lease_holder()
        if holder and holder["token"] != token and holder["until"] > time.time():
            raise SyncBusyError(_BUSY)
        self._write_lease(token, time.time() + LEASE_SECONDS)
        time.sleep(0.2)
        current = self._lease_holder()
        if not current or current["token"] != token:
            raise SyncBusyError(_BUSY)
        try:
            yield
        finally:
            if (self._lease_holder() or {}).get("token") == token:
                self.collection.delete(ids=[_LEASE_ID])

    def _lease_holder(self) -> dict[str, Any] | None:
        found = self.collection.get(ids=[_LEASE_ID], include=["documents"])
        return json.loads(found["documents"][0]) if found["ids"] else None

    def _write_lease(self, token: str, until: float) -> None:
        self._upsert(_LEASE_ID, json.dumps({"token": token, "until": until}), "")


def _states(collection: Any) -> list[FeedState]:
    found = collection.get(include=["documents"])
    feeds = [FeedState.from_json(doc) for i, doc in zip(found["ids"], found["documents"], strict=True)
             if i != _LEASE_ID]
    return sorted(feeds, key=lambda f: f.added_at)


_BUSY = "another feed sync of this index is running; this one was skipped (the next scheduled sync catches up)"


def check_feed_url(url: str) -> None:
    if not re.match(r"^https?://[^\s/]+\S*$", url or "", re.I):
        raise ConfigError(f"{url!r} is not a feed URL: give an http:// or https:// address of an RSS or Atom feed")
