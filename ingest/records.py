"""Article files that carry fields: .json (an object, a list, or {"articles": [...]}), .jsonl, .csv, and
Markdown with front matter.

.jsonl and .csv are streamed line by line (and decoded line by line, so one cp1252 line in a UTF-8 file keeps
its umlauts); a broken line or row becomes an `InputError` naming `file:line` and the rest continue.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from ingest.clean import decode_bytes
from rag.errors import InputError

# Accepted field names, compared case-insensitively ("Text", "Inhalt", "Titel", "pubDate" all match).
TEXT_FIELDS = ("text", "content", "body", "article", "inhalt")
TITLE_FIELDS = ("title", "headline", "titel")
ID_FIELDS = ("id", "guid")
SOURCE_FIELDS = ("source", "outlet", "publisher")
URL_FIELDS = ("url", "link")
DATE_FIELDS = ("published", "date", "pubdate", "published_at", "datum")
AUTHOR_FIELDS = ("authors", "author", "autoren", "autor")
RECORD_LIMIT = 1024 * 1024  # bytes of text in one record: more is a whole book or a broken export
MB = 1024 * 1024

# A 1 MB article must fit in one CSV field; the csv module's default limit is 128 KiB. Only ever raised.
csv.field_size_limit(max(csv.field_size_limit(), 2 * RECORD_LIMIT))


class Record:
    """One article's fields as a file states them; lookups ignore the case of the field names."""

    def __init__(self, origin: str, fields: dict[str, Any], *, number: int = 1, single: bool = False) -> None:
        self.origin = origin  # "file.jsonl:17", "file.csv:4", "file.json#2", or the file for single articles
        self.number = number  # line, row or item number: in the id when a record has neither id nor title
        self.single = single  # the whole file is this one article (its file name can name it)
        self._fields = {str(k).strip().lower(): v for k, v in fields.items()}

    def _first(self, names: tuple[str, ...]) -> Any:
        for name in names:
            value = self._fields.get(name)
            if value not in (None, "", [], {}):
                return value
        return None

    def _string(self, names: tuple[str, ...]) -> str:
        value = self._first(names)
        if isinstance(value, dict):  # e.g. NewsAPI: "source": {"id": "spiegel", "name": "Der Spiegel"}
            value = value.get("name") or value.get("title") or ""
        return " ".join(str(value).split()) if value is not None and not isinstance(value, list) else ""

    @property
    def text(self) -> str:
        value = self._first(TEXT_FIELDS)
        if isinstance(value, list):  # a list of paragraphs
            return "\n\n".join(str(v) for v in value)
        return value if isinstance(value, str) else ""

    @property
    def error(self) -> str:
        """Why this record cannot be an article, or ""."""
        if not any(name in self._fields for name in TEXT_FIELDS):
            return f"no text field (expected one of: {', '.join(TEXT_FIELDS)})"
        size = len(self.text.encode("utf-8"))
        if size > RECORD_LIMIT:
            return f"record text is {size / MB:.1f} MB, over the 1 MB limit for one article"
        return ""

    @property
    def id(self) -> str:
        return self._string(ID_FIELDS)

    @property
    def title(self) -> str:
        return self._string(TITLE_FIELDS)

    @property
    def source(self) -> str:
        return self._string(SOURCE_FIELDS)

    @property
    def url(self) -> str:
        url = self._string(URL_FIELDS)
        return url if url.lower().startswith(("http://", "https://")) else ""

    @property
    def published(self) -> str:
        return self._string(DATE_FIELDS)

    @property
    def authors(self) -> object:
        return self._first(AUTHOR_FIELDS) or ()


def read_json(text: str, name: str) -> Iterator[Record | InputError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield InputError(name, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        return
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        items = data["articles"]
    elif isinstance(data, dict):
        yield Record(name, data, single=True)
        return
    elif isinstance(data, list):
        items = data
    else:
        yield InputError(name, 'expected a JSON object, a list of objects or {"articles": [...]}')
        return
    if not items:
        yield InputError(name, "no articles in the file")
    for number, item in enumerate(items, start=1):
        origin = f"{name}#{number}"
        yield (
            Record(origin, item, number=number)
            if isinstance(item, dict)
            else InputError(origin, "expected a JSON object for each article")
        )


def read_jsonl(handle: IO[bytes], name: str) -> Iterator[Record | InputError]:
    found = False
    for number, raw in enumerate(handle, start=1):
        origin = f"{name}:{number}"
        if len(raw) > 6 * RECORD_LIMIT:  # too big to be one article even with JSON escapes: do not parse it
            yield InputError(origin, f"record is {len(raw) / MB:.1f} MB, over the 1 MB limit for one article")
            found = True
            continue
        line = decode_bytes(raw).strip()
        if not line:
            continue
        found = True
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(origin, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield (
            Record(origin, value, number=number)
            if isinstance(value, dict)
            else InputError(origin, "expected one JSON object per line")
        )
    if not found:
        yield InputError(name, "no records in the file")


def read_csv(handle: IO[bytes], name: str) -> Iterator[Record | InputError]:
    """Rows of a CSV whose header names the text column; separated by `,` `;` (German Excel), tab or `|`."""
    lines = (decode_bytes(raw) for raw in handle)
    first = next(lines, "")
    delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip() for cell in next(reader, [])]
    except csv.Error as exc:
        yield InputError(f"{name}:1", f"broken CSV header ({exc})")
        return
    if not any(cell.lower() in TEXT_FIELDS for cell in header):
        found = ", ".join(repr(cell) for cell in header[:8]) or "none"
        yield InputError(
            name,
            "no text column in the CSV header (accepted names: text, content, body, article, "
            f"Text, Inhalt; found: {found})",
        )
        return
    yield from _csv_rows(reader, header, name)


def _csv_rows(reader: Iterator[list[str]], header: list[str], name: str) -> Iterator[Record | InputError]:
    row_number = 1  # the header is row 1, as a spreadsheet shows it
    found = False
    while True:
        row_number += 1
        origin = f"{name}:{row_number}"
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            found = True
            yield InputError(origin, f"broken CSV row ({exc})")
            continue
        if not any(cell.strip() for cell in row):
            continue
        found = True
        if len(row) != len(header):
            yield InputError(origin, f"row has {len(row)} fields, the header has {len(header)}")
            continue
        yield Record(origin, dict(zip(header, row, strict=True)), number=row_number)
    if not found:
        yield InputError(name, "no rows after the CSV header")


# ---- Markdown: news exported as .md is prose with some emphasis and links, so it is stripped lightly ----

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.S)
_MD_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$", re.M), ""),  # reference link definitions
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # inline links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M), r"\n\1\n"),  # heading: own paragraph
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *italic*
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),  # _italic_, not snake_case
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style front matter (`---\\ntitle: …\\ndate: …\\n---`) → simple key/value pairs, and the rest."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match[1].split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def strip_markdown(text: str) -> tuple[str, str]:
    """(title from a leading `# Title` or Setext heading, plain text without emphasis and link syntax)."""
    title = ""
    lines = text.replace("\r\n", "\n").lstrip("\n").split("\n")
    if lines and re.match(r"^#\s+\S", lines[0]):
        title = lines.pop(0)[1:].strip().rstrip("#").strip()
    elif len(lines) > 1 and lines[0].strip() and re.fullmatch(r"=+\s*", lines[1]):
        title = lines[0].strip()
        lines = lines[2:]
    body = "\n".join(lines)
    for pattern, replacement in _MD_RULES:
        body = pattern.sub(replacement, body)
        title = pattern.sub(replacement, title).strip()
    return title, body


def read_markdown(text: str, name: str) -> Record:
    """A Markdown article: front matter fields, the `# Title`, and the body as plain text."""
    fields, body = split_front_matter(text)
    title, body = strip_markdown(body)
    return Record(name, {**fields, "title": fields.get("title") or title, "text": body}, single=True)
