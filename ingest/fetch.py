"""The web side of loading: fetching over HTTP, main-text extraction from HTML pages, RSS/Atom feeds.

`Fetcher` is the only place that talks to the network; every failure becomes an `InputError` naming the URL
with a one-line reason, so a batch can report it and continue.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

import feedparser
import httpx
import trafilatura

from ingest.clean import decode_bytes, normalize_text
from ingest.dates import parse_date
from rag.errors import InputError

USER_AGENT = "newsrag/0.1 (news article ingestion)"
_FEED_TYPES = ("rss", "atom", "rdf")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_SITE_NAME = re.compile(
    r"<meta\s+[^>]*(?:property|name)\s*=\s*[\"'](?:og:site_name|application-name)[\"'][^>]*>", re.I
)
_DECLARED_TITLE = re.compile(r"<title[^>]*>\s*[^<\s]|<h1[\s>]|[\"']og:title[\"']", re.I)
_CONTENT_ATTR = re.compile(r"content\s*=\s*[\"']([^\"']+)[\"']", re.I)


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    content: bytes
    content_type: str  # the Content-Type header, "" when absent
    status: int = 200  # 304 when a conditional GET found the resource unchanged (then `content` is empty)
    headers: Mapping[str, str] = field(default_factory=dict)  # the response headers (lower-case names)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", self.content_type, re.I)
        return match[1] if match else None

    @property
    def is_feed(self) -> bool:
        """RSS/Atom by content type, or by the root element when servers say only "xml" or "text/plain"."""
        kind = self.content_type.split(";")[0].strip().lower()
        if any(name in kind for name in _FEED_TYPES):
            return True
        head = self.content[:2048].lstrip().lower()
        return not head.startswith((b"<!doctype html", b"<html")) and any(
            tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")
        )

    @property
    def is_html(self) -> bool:
        kind = self.content_type.split(";")[0].strip().lower()
        head = self.content[:1024].lstrip().lower()
        return "html" in kind or head.startswith((b"<!doctype html", b"<html")) or (not kind and b"<" in head)

    @property
    def is_plain_text(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() == "text/plain"

    def text(self) -> str:
        """The body as text: the header's charset, else a `<meta charset>`, else UTF-8 → cp1252 → Latin-1."""
        declared = self.charset
        if declared is None:
            match = _META_CHARSET.search(self.content[:4096])
            declared = match[1].decode("ascii", "ignore") if match else None
        return decode_bytes(self.content, declared)


class Fetcher:
    """A thin httpx wrapper: redirects followed, a timeout, a size cap, and errors as one-line InputErrors.

    Cheap to construct: the connection pool is opened on the first request. Use it as a context manager or
    call `close()` when you built it yourself.
    """

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        max_mb: float = 20.0,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
        host_delay: float = 0.0,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.max_mb = max_mb
        self._user_agent = user_agent
        self._transport = transport
        self._client: httpx.Client | None = None
        self.pacer = HostPacer(host_delay)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                follow_redirects=True,
                timeout=self.timeout,
                transport=self._transport,
                headers={"User-Agent": self._user_agent},
            )
        return self._client

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET `url`; `headers` e.g. If-None-Match for a conditional GET (a 304 comes back, not raised)."""
        self.pacer.wait(_host(url))
        try:
            with self._http().stream("GET", url, headers=dict(headers or {})) as response:
                if response.status_code == 304:
                    return FetchResult(str(response.url), b"", "", 304, dict(response.headers))
                if response.status_code >= 400:
                    raise InputError(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    raise InputError(url, self._too_large())
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_bytes:
                        raise InputError(url, self._too_large())
                return FetchResult(str(response.url), bytes(body), response.headers.get("content-type", ""),
                                   response.status_code, dict(response.headers))
        except httpx.TimeoutException:
            raise InputError(url, f"timed out after {self.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise InputError(url, f"cannot reach host {_host(url)} ({_short(exc)})") from None
        except httpx.TooManyRedirects:
            raise InputError(url, "too many redirects") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise InputError(url, f"invalid URL ({_short(exc)})") from None
        except httpx.HTTPError as exc:
            raise InputError(url, f"download failed ({_short(exc)})") from None

    def _too_large(self) -> str:
        return f"response larger than {self.max_mb:g} MB"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class HostPacer:
    """Politeness: at least `delay` seconds between the starts of two requests to one host (thread-safe)."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay = delay
        self._clock, self._sleep = clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        if self.delay <= 0:
            return
        with self._lock:  # reserve our slot first, so two threads never get the same one
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.delay
        if start > now:
            self._sleep(start - now)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def _short(exc: Exception) -> str:
    """One line without errno noise: "[Errno 111] Connection refused" → "connection refused"."""
    text = re.sub(r"\[Errno -?\d+\]\s*", "", str(exc)).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    return message[:1].lower() + message[1:]


# ---- HTML pages ----


@dataclass(frozen=True)
class Page:
    """What trafilatura found on a page: the main text (paragraphs separated by blank lines) and metadata."""

    text: str
    title: str = ""
    published: str = ""
    authors: tuple[str, ...] = ()
    sitename: str = ""
    url: str = ""  # the canonical URL the page declares, if any


def extract_page(html: str, url: str | None = None) -> Page | None:
    """Main text and metadata of a news page; None when there is no main text at all."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, include_images=False
    )
    if doc is None or not getattr(doc, "text", ""):
        return None
    # Without <title>, og:title or <h1>, trafilatura promotes a subheading to title: a feed entry's is better.
    title = normalize_text(doc.title or "") if _DECLARED_TITLE.search(html) else ""
    lines = [line.strip() for line in doc.text.split("\n") if line.strip()]
    if lines and title and normalize_text(lines[0]).casefold() == title.casefold():
        lines = lines[1:]  # trafilatura repeats the <h1> that is also the title
    return Page(
        text="\n\n".join(lines),  # trafilatura puts one paragraph per line
        title=title,
        published=parse_date(doc.date or ""),
        authors=split_authors(doc.author or ""),
        sitename=_declared_site_name(html) or _unless_host(doc.sitename or ""),
        url=doc.url or "",
    )


def _declared_site_name(html: str) -> str:
    """og:site_name as written: trafilatura title-cases lowercase names ("derStandard" → "Derstandard")."""
    for tag in _SITE_NAME.findall(html[:200_000]):
        match = _CONTENT_ATTR.search(tag)
        if match and match[1].strip():
            return match[1].strip()
    return ""


def _unless_host(sitename: str) -> str:
    """trafilatura falls back to the host name ("example.org:8080"); the caller has a better fallback."""
    return "" if re.fullmatch(r"[\w.-]+\.[\w-]+(?::\d+)?", sitename) else sitename


def split_authors(value: object) -> tuple[str, ...]:
    """A list, or a string like "Anna Berger und Max Huber; Eva Graf" → a tuple of the three names."""
    if isinstance(value, list | tuple):
        parts = [str(v.get("name", "") if isinstance(v, dict) else v) for v in value]
    elif isinstance(value, str):
        parts = re.split(r",|;|\s+und\s+|\s+and\s+|\s+&\s+", value)
    else:
        return ()
    names = [re.sub(r"^(?:von|by)\s+", "", p.strip(), flags=re.I).strip() for p in parts]
    return tuple(dict.fromkeys(n for n in names if n))


# ---- feeds ----


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str = ""
    published: str = ""
    authors: tuple[str, ...] = ()
    key: str = ""  # what identifies the entry across fetches: its guid/id, else its link
    fingerprint: str = ""  # a hash of what the feed says about it: changes when the entry is updated


def parse_feed(content: bytes) -> list[FeedEntry]:
    """The entries of an RSS or Atom feed (feedparser resolves relative links and reads RFC 2822 dates)."""
    feed = feedparser.parse(content)
    entries = []
    for entry in feed.entries:
        published = parse_date(entry.get("published", "") or entry.get("updated", ""))
        if not published and entry.get("published_parsed"):
            year, month, day = entry.published_parsed[:3]
            published = f"{year:04d}-{month:02d}-{day:02d}"
        authors = split_authors(
            [a.get("name", "") for a in entry.get("authors", [])] or entry.get("author", "")
        )
        link = entry.get("link", "")
        entries.append(FeedEntry(link, normalize_text(entry.get("title", "")), published, authors,
                                 str(entry.get("id") or link), _fingerprint(entry)))
    return entries


def _fingerprint(entry: Mapping[str, object]) -> str:
    """Feeds mark an update by a new `updated` date, title or summary; the page itself is not fetched to tell."""
    # dict.get: feedparser's own get() maps a missing `updated` to `published` with a DeprecationWarning
    parts = [str(dict.get(entry, name, "")) for name in ("link", "title", "updated", "published", "summary")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
