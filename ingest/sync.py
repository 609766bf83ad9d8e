"""Keep subscribed feeds current: one pass over the due feeds (`newsrag sync`), or a background thread (the chat).

Per feed: a conditional GET (ETag / Last-Modified, so an unchanged feed costs one 304), then only the entries that
are new or whose feed data changed (by fingerprint) have their page fetched, at most RAG_FEED_MAX_ENTRIES per
sync; the Indexer decides added/updated/unchanged. Entries that left the feed keep their articles (archives keep
them). Every failure is recorded in the feed's state and the report; the pass goes on with the next entry/feed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ingest.fetch import USER_AGENT, FeedEntry, Fetcher, FetchResult, parse_feed
from ingest.index import Indexer, IngestReport
from ingest.load import load_entry
from rag.config import Settings
from rag.errors import InputError, RagError, SyncBusyError
from rag.feeds import FeedBook, FeedState, now_iso
from rag.schema import Article
from rag.store import Store

log = logging.getLogger("newsrag.sync")

# Called after each feed: (its state after the sync, that feed's counts).
FeedProgress = Callable[[FeedState, dict[str, Any]], None]


@dataclass
class SyncReport:
    """One sync pass: counts over all feeds synced; failures by input (a feed URL or an entry's link)."""

    feeds: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"feeds": self.feeds, "added": len(self.added), "updated": len(self.updated),
                "unchanged": self.unchanged, "failed": [{"input": i, "error": e} for i, e in self.failed]}


def user_agent(settings: Settings) -> str:
    """Names newsrag and, when RAG_FEED_CONTACT is set, where a site's operator can reach whoever runs it."""
    return f"{USER_AGENT.split(' ')[0]} (news feed reader; +{settings.feed_contact})" if settings.feed_contact \
        else f"{USER_AGENT.split(' ')[0]} (news feed reader)"


def feed_fetcher(settings: Settings) -> Fetcher:
    return Fetcher(timeout=settings.feed_timeout, max_mb=settings.feed_max_page_mb, user_agent=user_agent(settings),
                   host_delay=settings.feed_host_delay)


def sync_feeds(store: Store, *, everything: bool = False, fetcher: Fetcher | None = None,
               progress: FeedProgress | None = None) -> SyncReport:
    """Sync the due feeds (`everything`: all of them) under the sync lock; raises SyncBusyError when another
    sync of this index runs. Never raises for a bad feed or entry: those are in `failed`."""
    book = FeedBook(store.settings, client=store.client)
    own = fetcher is None
    http = fetcher or feed_fetcher(store.settings)
    report = SyncReport()
    try:
        with book.sync_lock():
            for state in book.all():
                if not (everything or state.due()):
                    continue
                counts = FeedSync(state, store, http).run()
                book.put(state)
                _merge(report, counts)
                if progress is not None:
                    progress(state, counts.to_dict())
    finally:
        if own:
            http.close()
    return report


def _merge(total: SyncReport, part: SyncReport) -> None:
    total.feeds += 1
    total.added += part.added
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.failed += part.failed


class FeedSync:
    """One feed's sync: updates `state` in place and returns what it did."""

    def __init__(self, state: FeedState, store: Store, fetcher: Fetcher) -> None:
        self.state, self.store, self.fetcher = state, store, fetcher
        self.limit = store.settings.feed_max_entries
        self.report = SyncReport()

    def run(self) -> SyncReport:
        state = self.state
        state.last_attempt = now_iso()
        try:
            response = self._fetch_feed()
            if response is not None:
                self._entries(response)
            state.last_success = state.last_attempt
        except InputError as error:
            self.report.failed.append((error.source, error.reason))
        except RagError as error:  # the index itself (busy, unreachable): the entries are tried again next time
            self.report.failed.append((state.url, str(error)))
        state.errors = [{"input": i, "error": e} for i, e in self.report.failed]
        state.last_error = f"{self.report.failed[0][0]}: {self.report.failed[0][1]}" if self.report.failed else ""
        state.last_counts = {"added": len(self.report.added), "updated": len(self.report.updated),
                             "unchanged": self.report.unchanged, "failed": len(self.report.failed)}
        return self.report

    def _fetch_feed(self) -> FetchResult | None:
        """The feed's body, or None when the server says it has not changed since the validators we sent."""
        state = self.state
        headers = {"If-None-Match": state.etag} if state.etag else {}
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        response = self.fetcher.get(state.url, headers)
        if response.not_modified:
            self.report.unchanged = len(state.entries)
            return None
        if _host(response.url) != _host(state.url):
            raise InputError(state.url, f"redirected to another host ({response.url}); subscribe to that address "
                                        "instead if it is the same feed")
        if not response.is_feed:
            kind = response.content_type.split(";")[0] or "unknown"
            raise InputError(state.url, f"not an RSS or Atom feed (content type {kind}); give the feed's address, "
                                        "not a web page's")
        return response

    def _entries(self, response: FetchResult) -> None:
        state = self.state
        entries = list({e.key: e for e in parse_feed(response.content) if e.key}.values())  # the first of a key
        todo = [e for e in entries if state.entries.get(e.key, {}).get("fingerprint") != e.fingerprint]
        self.report.unchanged += len(entries) - len(todo)
        if len(todo) > self.limit:
            self.report.failed.append((state.url, f"{len(todo)} new or changed entries; fetched {self.limit} "
                                                  "(RAG_FEED_MAX_ENTRIES), the rest follow in the next syncs"))
        self._ingest(todo[: self.limit])
        current = {e.key for e in entries}
        # Bookkeeping only for entries still in the feed (bounded by the feed's size); their articles stay.
        state.entries = {k: v for k, v in state.entries.items() if k in current}
        if not self.report.failed:  # else the next sync must see the whole feed again, not a 304
            state.etag = response.headers.get("etag", "")
            state.last_modified = response.headers.get("last-modified", "")
        else:
            state.etag = state.last_modified = ""

    def _ingest(self, entries: list[FeedEntry]) -> None:
        """Fetch the pages first, then write them in one locked batch: the index is not held during downloads."""
        source = self.state.source or None
        loaded = [(e, load_entry(e, f"{self.state.url}#{e.key}", source=source, fetcher=self.fetcher))
                  for e in entries]
        ingested: IngestReport = Indexer(self.store).ingest(result for _, result in loaded)
        self.report.added += ingested.added
        self.report.updated += ingested.updated
        self.report.unchanged += len(ingested.unchanged)
        self.report.failed += ingested.failed
        stored = set(ingested.added + ingested.updated + ingested.unchanged)
        for entry, result in loaded:
            if isinstance(result, Article) and result.id in stored:
                self.state.entries[entry.key] = {"fingerprint": entry.fingerprint, "article": result.id}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


class BackgroundSync:
    """`newsrag chat`'s feed sync: a daemon thread that syncs the due feeds every `check_every` seconds.

    One sync at a time: `run_now` (the web app's button) and the thread share a lock, and the feed lock keeps other
    processes out; a sync that finds either busy is skipped, never waited for, so nothing blocks on it.
    """

    def __init__(self, store: Store, *, check_every: float = 60.0,
                 on_sync: Callable[[SyncReport], None] | None = None) -> None:
        self.store = store
        self.check_every = check_every
        self.on_sync = on_sync
        self.last: SyncReport | None = None
        self._running = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="newsrag-feed-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def busy(self) -> bool:
        return self._running.locked()

    def run_now(self, *, everything: bool = False) -> SyncReport | None:
        """One pass now, or None when a sync is already running (here or in another process)."""
        if not self._running.acquire(blocking=False):
            return None
        try:
            self.last = sync_feeds(self.store, everything=everything)
        except SyncBusyError:
            return None
        finally:
            self._running.release()
        if self.on_sync is not None:
            self.on_sync(self.last)
        return self.last

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_now()
            except Exception:  # the app must keep answering; the log has the traceback, the next pass retries
                log.exception("background feed sync failed")
            self._stop.wait(self.check_every)
