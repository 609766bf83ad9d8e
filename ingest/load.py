"""Inputs → `Article` records: files (.txt .md .html .json .jsonl .csv), directories, article URLs, feeds.

`iter_articles` never raises for a bad input: it yields an `InputError` naming the input (a path, `path:line`,
a URL) and goes on, so one broken file does not stop a batch. Only programming errors raise.

Where fields come from, strongest first: the `source` argument (for the outlet), explicit metadata (record
fields, HTML metadata, a feed entry), what the text says (title line, closing dateline), the file name
(`derstandard-2022-01-21-slug.txt`), and for the title the lead's first sentence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ingest.clean import CleanText, clean_news_text, decode_bytes, first_sentence_title, looks_binary
from ingest.dates import parse_date
from ingest.fetch import FeedEntry, Fetcher, FetchResult, Page, extract_page, parse_feed, split_authors
from ingest.ids import article_id_for_url, clean_url, clip, hash_id, slugify
from ingest.records import Record, read_csv, read_json, read_jsonl, read_markdown
from rag.errors import InputError
from rag.schema import Article

__all__ = ["FetchResult", "Fetcher", "iter_articles", "load_entry", "load_file", "load_text", "load_url"]

SINGLE_ARTICLE = (".txt", ".md", ".html", ".htm", ".json")
STREAMED = (".jsonl", ".csv")  # read record by record, so their size is not limited
ACCEPTED = SINGLE_ARTICLE + STREAMED
MIN_TEXT = 50  # characters; less than this after cleaning is a stub, a paywall teaser or an empty page
NO_PAGE_TEXT = "no article text found on the page (only navigation or markup)"
MB = 1024 * 1024

# Outlet tokens of file names like `derstandard-2022-01-21-slug.txt` (and site names) → display name.
OUTLETS = {"derstandard": "derStandard", "spiegel": "Der Spiegel", "zeit": "Die Zeit", "faz": "FAZ",
           "sz": "Süddeutsche Zeitung", "tagesschau": "tagesschau.de", "orf": "ORF", "presse": "Die Presse"}
_NAME_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9]*)-(\d{4}-\d{2}-\d{2})(?:-|$)")
_URL = re.compile(r"^https?://", re.I)
_OTHER_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.I)

Result = Article | InputError


@dataclass(frozen=True)
class Meta:
    """What is known about an article besides its text. Explicit values beat what the text says."""

    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""
    authors: tuple[str, ...] = ()


def iter_articles(inputs: Iterable[str], *, source: str | None = None, fetcher: Fetcher | None = None,
                  max_file_mb: float = 20.0) -> Iterator[Result]:
    """Yield, in input order, an Article for every article found and an InputError for every input or record
    that failed. `source` (the `--source` option) overrides the outlet name of every article."""
    own_fetcher = fetcher is None
    http = fetcher or Fetcher()
    try:
        for item in inputs:
            yield from _load_input(str(item), source or None, http, max_file_mb)
    finally:
        if own_fetcher:
            http.close()


def _load_input(item: str, source: str | None, fetcher: Fetcher, max_file_mb: float) -> Iterator[Result]:
    if _URL.match(item):
        yield from load_url(item, source=source, fetcher=fetcher)
        return
    scheme = _OTHER_SCHEME.match(item)
    if scheme:
        yield InputError(item, f"unsupported URL scheme {scheme[1]!r}; use http:// or https://")
        return
    path = Path(item).expanduser()
    if path.is_dir():
        yield from _load_directory(path, item, source, max_file_mb)
    elif path.is_file():
        yield from load_file(path, source=source, max_file_mb=max_file_mb, origin=item)
    elif path.exists():
        yield InputError(item, "not a regular file or directory")
    else:
        yield InputError(item, "no such file or directory")


def _load_directory(directory: Path, origin: str, source: str | None, max_file_mb: float) -> Iterator[Result]:
    files = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # in place: os.walk then skips hidden dirs
        files += [Path(root) / n for n in sorted(names) if n[:1] != "." and n.lower().endswith(ACCEPTED)]
    if not files:
        yield InputError(origin, f"no files to ingest in this directory (accepted: {', '.join(ACCEPTED)})")
    for file in files:
        shown = os.path.join(origin, os.path.relpath(file, directory))  # as the user wrote the directory
        yield from load_file(file, source=source, max_file_mb=max_file_mb, origin=shown)


# ---- files ----


def load_file(path: Path, *, source: str | None = None, max_file_mb: float = 20.0,
              origin: str | None = None) -> Iterator[Result]:
    """The articles of one file; `origin` is how messages name it (default: the path)."""
    name = origin or str(path)
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED:
        kind = suffix or "(none)"
        yield InputError(name, f"unsupported file type {kind!r} (accepted: {', '.join(ACCEPTED)})")
        return
    try:
        size = path.stat().st_size
        if size == 0:
            yield InputError(name, "file is empty")
        elif suffix in STREAMED:
            yield from _load_records(path, name, suffix, source)
        elif size > max_file_mb * MB:
            yield InputError(name, f"file is {size / MB:.1f} MB, over the {max_file_mb:g} MB limit for one "
                                   "article; split it or use .jsonl")
        else:
            yield from _load_single(path, name, suffix, source)
    except OSError as exc:
        yield InputError(name, f"cannot read the file ({(exc.strerror or str(exc)).lower()})")


def _load_single(path: Path, name: str, suffix: str, source: str | None) -> Iterator[Result]:
    data = path.read_bytes()
    if looks_binary(data[:8192]):
        yield InputError(name, "binary file, not text")
        return
    hint = _FileName(path.stem)
    if suffix in (".html", ".htm"):
        page = extract_page(FetchResult("", data, "").text())
        yield _page_article(page, hint.id, name, Meta(source=source or ""), hint.published, hint.source)
        return
    text = decode_bytes(data)
    if not text.strip():
        yield InputError(name, "file is empty")
    elif suffix == ".json":
        yield from (_record_article(r, hint, source) for r in read_json(text, name))
    elif suffix == ".md":
        yield _record_article(read_markdown(text, name), hint, source)
    else:
        meta = Meta(source=source or hint.source)
        yield _article(clean_news_text(text), hint.id, name, meta, hint.published)


def _load_records(path: Path, name: str, suffix: str, source: str | None) -> Iterator[Result]:
    with path.open("rb") as handle:
        if looks_binary(handle.read(8192)):
            yield InputError(name, "binary file, not text")
            return
        handle.seek(0)
        hint = _FileName(path.stem)
        records = read_jsonl(handle, name) if suffix == ".jsonl" else read_csv(handle, name)
        yield from (_record_article(r, hint, source) for r in records)


class _FileName:
    """What a file name like `derstandard-2022-01-21-blinken-lawrow-genf` says: id, outlet and date."""

    def __init__(self, stem: str) -> None:
        self.id = slugify(stem) or hash_id(stem)
        match = _NAME_PATTERN.match(stem)
        self.source = OUTLETS.get(match[1].lower(), match[1]) if match else ""
        self.published = parse_date(match[2]) if match else ""


def _record_article(record: Record | InputError, hint: _FileName, source: str | None) -> Result:
    """A JSON object, CSV row or Markdown file → Article; its fields win over what the text says."""
    if isinstance(record, InputError):
        return record
    if record.error:
        return InputError(record.origin, record.error)
    clean = clean_news_text(record.text, detect_title=not record.title)
    url = clean_url(record.url) if record.url else ""
    meta = Meta(record.title, source or record.source or hint.source, url, record.published,
                split_authors(record.authors))
    # The file name's date is the article's only when the file holds one article (not an export's date).
    return _article(clean, _record_id(record, hint, clean), record.origin, meta,
                    hint.published if record.single else "")


def _record_id(record: Record, hint: _FileName, clean: CleanText) -> str:
    if record.id:
        if record.id.isdigit():  # "17" is unique only inside its file, so the file's name stays in front
            return f"{clip(hint.id, 60)}-{record.id[:19]}"
        if _URL.match(record.id):  # RSS guids are often the article's URL
            return article_id_for_url(record.id)
        return slugify(record.id) or hash_id(record.id)
    if record.single:
        return hint.id
    if record.url:
        return article_id_for_url(record.url)
    title = record.title or clean.title
    # The file name is clipped first so that a long one cannot crowd out what tells the records apart.
    if slugify(title):
        return f"{clip(hint.id, 39)}-{slugify(title, 40)}"
    return f"{clip(hint.id, 70)}-{record.number}"


# ---- pasted text ----


def load_text(text: str, *, title: str = "", source: str = "", url: str = "", published: str = "",
              id: str = "") -> Article:
    """An Article from pasted text; raises InputError when too little text is left after cleaning."""
    clean = clean_news_text(text, detect_title=not title)
    if id:
        article_id = slugify(id) or hash_id(id)
    elif url:
        article_id = article_id_for_url(url)
    else:
        article_id = slugify(title or clean.title or first_sentence_title(clean.text), 60) or hash_id(text)
    result = _article(clean, article_id, url or "pasted text",
                      Meta(title, source, clean_url(url) if url else "", published))
    if isinstance(result, InputError):
        raise result
    return result


# ---- the web ----


def load_url(url: str, *, source: str | None = None, fetcher: Fetcher) -> Iterator[Result]:
    """An article page, or every entry of an RSS/Atom feed (each entry's link is fetched and extracted)."""
    try:
        response = fetcher.get(url)
    except InputError as error:
        yield error
        return
    if not response.is_feed:
        yield _response_article(response, url, Meta(source=source or ""))
        return
    entries = parse_feed(response.content)
    if not entries:
        yield InputError(url, "the feed has no entries")
    for number, entry in enumerate(entries, start=1):
        yield load_entry(entry, f"{url}#{number}", source=source, fetcher=fetcher)


def load_entry(entry: FeedEntry, label: str, *, source: str | None = None, fetcher: Fetcher) -> Result:
    """The article a feed entry links to (its page fetched and extracted); `label` names a link-less entry."""
    if not entry.link:
        return InputError(label, "feed entry has no link")
    try:
        page = fetcher.get(entry.link)
    except InputError as error:
        return error
    return _response_article(page, entry.link, Meta(entry.title, source or "", "", entry.published, entry.authors))


def _response_article(response: FetchResult, origin: str, known: Meta) -> Result:
    """`known` holds the --source and the feed entry's fields, which fill what the page itself lacks."""
    url = clean_url(response.url)
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    article_id = article_id_for_url(url)
    if response.is_plain_text:
        clean = clean_news_text(response.text(), detect_title=not known.title)
        meta = Meta(known.title, known.source or host, url, known.published, known.authors)
        return _article(clean, article_id, origin, meta)
    if not response.is_html:
        kind = response.content_type or "unknown"
        return InputError(origin, f"not a web page or feed (content type {kind})")
    page = extract_page(response.text(), url)
    known = Meta(known.title, known.source, url, known.published, known.authors)
    return _page_article(page, article_id, origin, known, fallback_source=host)


def _page_article(page: Page | None, article_id: str, origin: str, known: Meta, fallback_published: str = "",
                  fallback_source: str = "") -> Result:
    """An extracted page: `known.source` (--source), then the page's metadata, then the rest of `known`
    (a feed entry's fields), then the fallbacks (the host or the file name)."""
    if page is None:
        return InputError(origin, NO_PAGE_TEXT)
    title = page.title or known.title
    clean = clean_news_text(page.text, detect_title=not title)
    if len(clean.text) < MIN_TEXT or not _has_prose(clean.text):
        return InputError(origin, NO_PAGE_TEXT)
    site = page.sitename.strip()
    source = known.source or OUTLETS.get(site.lower(), site) or fallback_source
    meta = Meta(title, source, known.url or page.url, page.published or known.published,
                page.authors or known.authors)
    return _article(clean, article_id, origin, meta, fallback_published)


def _has_prose(text: str) -> bool:
    """Navigation and link lists have no sentences; an article has at least one of eight words or more."""
    return any(len(p.split()) >= 8 and re.search(r"[.!?](?:\s|$)", p) for p in text.split("\n\n"))


# ---- the record ----


def _article(clean: CleanText, article_id: str, origin: str, meta: Meta, file_date: str = "") -> Result:
    """Metadata > what the text says (title line, dateline) > the first sentence and the file name's date."""
    if len(clean.text) < MIN_TEXT:
        return InputError(origin, f"no article text ({len(clean.text)} characters after cleaning)")
    return Article(
        id=article_id,
        title=" ".join(meta.title.split()) or clean.title or first_sentence_title(clean.text),
        text=clean.text,
        source=meta.source,
        url=meta.url,
        published=parse_date(meta.published) or clean.published or file_date,
        authors=tuple(meta.authors) or clean.authors,
        agencies=clean.agencies,
        subheadings=clean.subheadings,
        origin=origin,
    )


def estimate_count(inputs: Iterable[str]) -> int | None:
    """Roughly how many articles local inputs hold (one per file, one per .jsonl/.csv line), for a progress
    bar's ETA; None when a URL or feed makes it unknowable. Reads no file contents except line counts."""
    total = 0
    for item in inputs:
        if _URL.match(item):
            return None
        path = Path(item)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            suffix = file.suffix.lower()
            if suffix in STREAMED:
                try:
                    with file.open("rb") as handle:
                        total += sum(1 for _ in handle) - (suffix == ".csv")
                except OSError:
                    total += 1
            elif suffix in SINGLE_ARTICLE or not path.is_dir():
                total += 1
    return total
