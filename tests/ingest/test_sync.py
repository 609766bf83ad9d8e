"""Feed sync against a loopback server whose feed changes between syncs: new and changed entries, ETag/304,
broken entries and feeds, the cap, the schedule, politeness and the lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ingest.fetch import HostPacer
from ingest.ids import article_id_for_url
from ingest.sync import BackgroundSync, SyncReport, sync_feeds
from rag.config import Settings
from rag.errors import ConfigError, NotFoundError, SyncBusyError
from rag.feeds import FeedBook, parse_interval
from rag.store import Store
from tests.fakes import FakeEmbedder
from tests.ingest.httpserver import LocalServer, Route, closed_port_url, serve
from tests.ingest.test_load import BODY, LEAD, MORE, html_page


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve() as running:
        yield running


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(update={"feed_host_delay": 0.0, "feed_contact": "https://newsroom.example/bot"})


def rss(items: list[tuple[str, str]], *, extra: str = "") -> bytes:
    """An RSS 2.0 feed of (link, title) items."""
    body = "".join(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                   f"<pubDate>Sat, 01 Apr 2023 08:00:00 +0200</pubDate></item>" for link, title in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Testfeed</title>'
            f"<link>http://example.org</link><description>Test</description>{body}{extra}</channel></rss>").encode()


def page(title: str, extra: str = "") -> bytes:
    return html_page(title, (LEAD, BODY + extra, MORE)).encode("utf-8")


def feed_route(items: list[tuple[str, str]], etag: str) -> Route:
    return Route(rss(items), "application/rss+xml; charset=utf-8", etag=etag)


def paths(server: LocalServer, since: int) -> list[str]:
    return server.requests[since:]


@pytest.mark.parametrize("settings", ["embedded", "server"], indirect=True)
def test_a_feed_that_changes_between_syncs(server: LocalServer, settings: Settings, embedder: FakeEmbedder) -> None:
    store = Store(settings, embedder)
    book = FeedBook(settings)
    a1 = server.add("/a1.html", Route(page("Wien plant weniger Autos")))
    a2 = server.add("/a2.html", Route(page("Linz baut eine Brücke")))
    broken = server.url("/weg.html")
    feed = server.add("/feed.xml", feed_route([(a1, "Eins"), (a2, "Zwei"), (broken, "Kaputt")], "v1"))
    book.add(feed, source="Testblatt", every="15m")

    first = sync_feeds(store).to_dict()
    assert (first["feeds"], first["added"], first["updated"]) == (1, 2, 0)
    assert first["failed"] == [{"input": broken, "error": "HTTP 404 Not Found"}]
    state = book.get(feed)
    assert state is not None and state.last_success and "404" in state.last_error
    assert state.etag == ""  # the broken entry must be tried again: no 304 next time
    assert {store.catalog()[article_id_for_url(a1)].source} == {"Testblatt"}

    # The next version: the broken entry is gone, a1 changed, a3 is new; a2 is unchanged and not fetched again.
    server.add("/a1.html", Route(page("Wien plant weniger Autos", " Die Grünen stimmen nun doch zu.")))
    a3 = server.add("/a3.html", Route(page("Graz eröffnet ein Museum")))
    server.add("/feed.xml", feed_route([(a1, "Eins (aktualisiert)"), (a2, "Zwei"), (a3, "Drei")], "v2"))
    seen = len(server.requests)
    second = sync_feeds(store, everything=True).to_dict()
    assert (second["added"], second["updated"], second["unchanged"], second["failed"]) == (1, 1, 1, [])
    assert sorted(paths(server, seen)) == ["/a1.html", "/a3.html", "/feed.xml"]
    assert "Grünen" in store.article_text(article_id_for_url(a1))
    state = book.get(feed)
    assert state is not None and state.etag == "v2" and state.last_error == "" and state.summary()["articles"] == 3

    # Unchanged feed: one conditional GET, answered 304, nothing else fetched.
    seen = len(server.requests)
    third = sync_feeds(store, everything=True).to_dict()
    assert paths(server, seen) == ["/feed.xml"] and server.headers[-1]["If-None-Match"] == "v2"
    assert (third["added"], third["updated"], third["unchanged"]) == (0, 0, 3)

    # An entry that leaves the feed keeps its article.
    server.add("/feed.xml", feed_route([(a3, "Drei")], "v3"))
    sync_feeds(store, everything=True)
    assert article_id_for_url(a2) in store.catalog()


def test_bad_feeds_each_fail_alone_and_the_good_one_is_synced(server: LocalServer, settings: Settings,
                                                             embedder: FakeEmbedder) -> None:
    settings = settings.model_copy(update={"feed_max_entries": 3, "feed_max_page_mb": 5.0})
    store, book = Store(settings, embedder), FeedBook(settings)
    good_page = server.add("/gut.html", Route(page("Wien plant weniger Autos")))
    huge_page = server.add("/riesig.html", Route(b"<html><body>" + b"x" * (6 * 1024 * 1024) + b"</body></html>"))
    failing = server.add("/fehler.html", Route(b"oops", "text/plain", 500))
    many = [(server.url(f"/viele/{n}.html"), f"Nr. {n}") for n in range(10_000)]
    other_host = server.base.replace("127.0.0.1", "localhost") + "/good.xml"
    feeds = {
        "good": server.add("/good.xml", feed_route([(good_page, "Gut"), (huge_page, "Riesig"),
                                                    (failing, "Fehler")], "g")),
        "unreachable": closed_port_url(),
        "html": server.add("/seite.html", Route(page("Keine Feed-Seite"))),
        "500": server.add("/kaputt.xml", Route(b"", "text/plain", 500)),
        "redirect": server.add("/umzug.xml", Route(b"", status=302, headers={"Location": other_host})),
        "many": server.add("/viele.xml", feed_route(many, "m")),
    }
    for url in feeds.values():
        book.add(url)
    report = sync_feeds(store).to_dict()
    errors = {f["input"]: f["error"] for f in report["failed"]}
    assert report["feeds"] == 6 and report["added"] == 1
    assert "larger than 5 MB" in errors[huge_page] and errors[failing] == "HTTP 500 Internal Server Error"
    assert "cannot reach host" in errors[feeds["unreachable"]]
    assert "not an RSS or Atom feed" in errors[feeds["html"]]
    assert errors[feeds["500"]] == "HTTP 500 Internal Server Error"
    assert "redirected to another host" in errors[feeds["redirect"]]
    assert "10000 new or changed entries; fetched 3" in errors[feeds["many"]]
    assert sum(1 for r in server.requests if r.startswith("/viele/")) == 3  # the cap
    for url in feeds.values():  # every failure is in its feed's state
        state = book.get(url)
        assert state is not None and state.last_error and state.errors and state.last_attempt
    assert book.get(feeds["html"]).last_success == ""  # type: ignore[union-attr]


def test_only_due_feeds_are_synced(server: LocalServer, settings: Settings, embedder: FakeEmbedder) -> None:
    store, book = Store(settings, embedder), FeedBook(settings)
    book.add(server.add("/feed.xml", feed_route([], "e")), every="1h")
    assert sync_feeds(store).feeds == 1
    assert sync_feeds(store).feeds == 0  # synced a moment ago: due again in an hour
    assert sync_feeds(store, everything=True).feeds == 1


def test_requests_name_newsrag_and_its_contact(server: LocalServer, settings: Settings,
                                               embedder: FakeEmbedder) -> None:
    FeedBook(settings).add(server.add("/feed.xml", feed_route([], "e")))
    sync_feeds(Store(settings, embedder))
    agent = server.headers[-1]["User-Agent"]
    assert agent.startswith("newsrag/") and "https://newsroom.example/bot" in agent


def test_host_pacer_spaces_requests_to_one_host() -> None:
    clock, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = HostPacer(2.0, clock=lambda: clock[0], sleep=sleep)
    pacer.wait("a.example")
    pacer.wait("b.example")  # another host: no wait
    pacer.wait("a.example")
    assert slept == [2.0]


def test_one_sync_at_a_time(server: LocalServer, settings: Settings, embedder: FakeEmbedder) -> None:
    store, book = Store(settings, embedder), FeedBook(settings)
    book.add(server.add("/feed.xml", feed_route([], "e")))
    with book.sync_lock():  # another process's sync, as far as the file lock can tell
        with pytest.raises(SyncBusyError, match="another feed sync"):
            sync_feeds(store)
        assert BackgroundSync(store).run_now() is None
    done: list[SyncReport] = []
    assert BackgroundSync(store, on_sync=done.append).run_now() is not None and done[0].feeds == 1


def test_feed_book_add_change_remove(settings: Settings) -> None:
    book = FeedBook(settings)
    state = book.add("https://example.org/feed.xml", source="Beispiel")
    assert state.every == 900 and book.all()[0].source == "Beispiel"
    assert book.add("https://example.org/feed.xml", every="1h").every == 3600 and len(book.all()) == 1
    with pytest.raises(ConfigError, match="not a feed URL"):
        book.add("file:///etc/passwd")
    with pytest.raises(ConfigError, match="not a duration"):
        book.add("https://example.org/x.xml", every="often")
    book.remove("https://example.org/feed.xml")
    with pytest.raises(NotFoundError, match="newsrag feeds list"):
        book.remove("https://example.org/feed.xml")
    assert book.all() == [] and parse_interval("2d") == 172_800


@pytest.mark.parametrize("settings", ["server"], indirect=True)
def test_the_server_lease_keeps_a_second_sync_out_and_is_released(settings: Settings) -> None:
    first, second = FeedBook(settings), FeedBook(settings)  # two processes sharing one Chroma server
    with first.sync_lock(), pytest.raises(SyncBusyError), second.sync_lock():
        pass
    with second.sync_lock():  # released: the next sync gets it
        assert first.all() == []  # the lease record is not a feed


def test_the_background_thread_syncs_due_feeds_until_stopped(server: LocalServer, settings: Settings,
                                                             embedder: FakeEmbedder) -> None:
    store = Store(settings, embedder)
    a1 = server.add("/a1.html", Route(page("Wien plant weniger Autos")))
    FeedBook(settings).add(server.add("/feed.xml", feed_route([(a1, "Eins")], "v1")), every="30s")
    done: list[SyncReport] = []
    syncer = BackgroundSync(store, check_every=0.05, on_sync=done.append)
    syncer.start()
    try:
        for _ in range(200):
            if done:
                break
            threading.Event().wait(0.05)
    finally:
        syncer.stop()
    assert done and done[0].added == [article_id_for_url(a1)]
    assert all(report.feeds == 0 for report in done[1:])  # not due again for 30 s
    assert article_id_for_url(a1) in store.catalog()  # the store the chat answers from sees it
