"""Pure text functions for news text: normalisation, boilerplate, title, subheadings, the closing dateline.

The rules come from how online newspapers export articles as plain text (the derStandard sample in `corpus/`):
photos leave a caption plus a credit line ("Foto: APA/…") or a "Bild nicht mehr verfügbar." placeholder,
embeds leave a lone agency name, subheadings are short lines without sentence punctuation, and the article
ends with a dateline such as "(bbl, Reuters, 21.1.2022)". Nothing here does I/O.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from ingest.dates import parse_date

# Lowercase → how the agency writes its own name.
_AGENCY_NAMES = ("Reuters", "APA", "dpa", "AFP", "AP", "Bloomberg", "SDA", "KNA", "epd", "Xinhua", "ANSA",
                 "TASS", "Interfax")
AGENCIES: dict[str, str] = {name.lower(): name for name in _AGENCY_NAMES}
_EMBED_CREDITS = {"reuters", "apa", "dpa", "afp", "ap"}  # alone on a line: left over from a photo/video embed
EDITORIAL_TEAM = "red"  # "(red, 12.05.2019)": written by the editorial team, kept as the author "red"

MAX_TITLE = 150
MAX_HEADING = 80
MAX_HEADING_WORDS = 10
MAX_CAPTION = 300  # a caption is a sentence or two; body paragraphs before a credit line are longer
MAX_CAPTION_AFTER_PLACEHOLDER = 200  # stricter: here no credit line confirms that it is a caption

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)  # soft hyphen, zero-width
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_TERMINAL = ".!?:;"
_CLOSERS = "\"'“”„»«‘’›‹)]"
_CREDIT = re.compile(r"^(?:Fotos?|Bild(?:er)?|Grafik|Infografik|Illustration|Karte|Video)\s*[:©]\s*\S", re.I)
# "Quelle: APA" is a credit only when short: "Quelle:" can also open a sentence of prose.
_SOURCE_CREDIT = re.compile(r"^Quelle\s*:\s*\S", re.I)
# "Der Gemeinderat tagt. Foto: APA/Hans Punz": a caption sentence, then a credit that is no sentence itself.
_INLINE_CREDIT = re.compile(r"(?<=[.!?\"“”])\s+(?:Fotos?|Bild|Grafik)\s*:\s*\S.{0,80}(?<![.!?\"“”])$", re.I)
_PLACEHOLDER = re.compile(r"^(?:Bild|Foto|Video|Grafik|Karte|Inhalt|Audio)\s+nicht\s+mehr\s+verfügbar\.?$",
                          re.I)
_TEASER = re.compile(r"^(?:(?:Mehr zum Thema|Weiterlesen|Lesen Sie (?:auch|mehr|hier))\b.*|Zum Thema:.*"
                     r"|Anzeige|Werbung)$", re.I)
_LIST_ITEM = re.compile(r"^(?:[-•*–]\s|\d{1,3}[.)]\s)")
_DATELINE = re.compile(r"\s*\(([^()]{1,150})\)\s*$")
_DATE_TOKEN = re.compile(r"[\d.\s]+|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s*[A-Za-zÄÖÜäöü]{3,9}\.?\s*\d{4}")
# "z. B.", "Dr.", "Mio.": a period after these does not end a sentence.
_ABBREVIATIONS = {"z", "b", "dr", "prof", "bzw", "ca", "etc", "nr", "st", "vgl", "usw", "mio", "mrd", "hr",
                  "fr", "abs", "art", "inkl", "mag", "ing", "jh", "sog", "evtl", "ggf", "u", "a", "o", "s",
                  "d", "h"}
_SENTENCE_END = re.compile(r"[.!?][\"'“”»«]?(?=\s+[\"„»«(]?[A-ZÄÖÜ0-9])")


@dataclass(frozen=True)
class CleanText:
    """A news text with boilerplate removed and its dateline read into fields."""

    title: str  # a recognised title line, "" if none
    text: str  # paragraphs joined by "\n\n"
    subheadings: tuple[tuple[int, str], ...]  # (offset in `text` where the heading paragraph starts, heading)
    published: str  # ISO date from the closing dateline, or ""
    authors: tuple[str, ...]  # initials or names from the dateline, e.g. ("bbl",)
    agencies: tuple[str, ...]  # e.g. ("Reuters",)


@dataclass(frozen=True)
class Dateline:
    published: str
    authors: tuple[str, ...]
    agencies: tuple[str, ...]


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Bytes → text without losing umlauts: a declared charset if it fits, UTF-8 (with or without BOM), then
    cp1252 (what Windows and most "Latin-1" files really are), then Latin-1, which never fails."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if is_utf16(data):
        return data.decode("utf-16", errors="replace")
    encodings = ["utf-8", "cp1252", "latin-1"]
    if declared:
        # Browsers read "iso-8859-1" as cp1252 too; pages that declare it often contain cp1252 quotes.
        declared = declared.strip().lower()
        latin = declared in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii")
        encodings.insert(0, "cp1252" if latin else declared)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def looks_binary(sample: bytes) -> bool:
    """NUL bytes, or more than 10% control characters once decoded: an image, PDF or archive, not text."""
    if is_utf16(sample):
        return False
    if b"\x00" in sample:
        return True
    text = decode_bytes(sample)
    if not text:
        return False
    controls = sum(1 for c in text
                   if c == "\ufffd" or (c not in "\n\r\t" and unicodedata.category(c) == "Cc"))
    return controls / len(text) > 0.1


def is_utf16(data: bytes) -> bool:
    """A UTF-16 byte order mark (Windows "Unicode" text): its NUL bytes do not make it binary."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def normalize_text(raw: str) -> str:
    """NFC, Unix newlines, no invisible characters, single spaces, stripped lines, at most one blank line."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2029", "\n\n").replace("\u2028", "\n")
    text = _CONTROL.sub("", text.replace("\f", "\n").replace("\v", "\n"))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_paragraphs(raw: str) -> list[str]:
    """Paragraphs are blocks between blank lines; inside a block each line is its own paragraph, unless the
    text is hard-wrapped (then wrapped lines are joined back into their paragraph)."""
    text = normalize_text(raw)
    if not text:
        return []
    wrapped = _looks_hard_wrapped(text.split("\n"))
    paragraphs: list[str] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        paragraphs += _unwrap(lines) if wrapped else lines
    return [p for p in paragraphs if p]


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """Wrapped text has many long lines of similar width that stop mid-sentence."""
    long_lines = [line for line in lines if len(line) >= 40]
    if len(long_lines) < 3 or max(len(line) for line in lines) > 100:
        return False
    open_ended = sum(1 for line in long_lines if not _ends_sentence(line))
    return open_ended / len(long_lines) >= 0.6


def _unwrap(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    previous = ""
    for line in lines:
        starts_new = line[:1] == "(" or any(p.match(line) for p in (_CREDIT, _PLACEHOLDER, _LIST_ITEM))
        if paragraphs and len(previous) >= 40 and not _ends_sentence(previous) and not starts_new:
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        previous = line
    return paragraphs


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in _TERMINAL


def clean_news_text(raw: str, *, detect_title: bool = True) -> CleanText:
    """Clean a plain news text: drop photo credits, captions and embed remnants, read the closing dateline,
    recognise a title line (unless `detect_title` is False because metadata already names the title) and the
    subheadings, which stay in the text as their own paragraphs."""
    paragraphs = drop_boilerplate(split_paragraphs(raw))
    paragraphs, dateline = _take_dateline(paragraphs)
    title = ""
    if detect_title and len(paragraphs) > 1 and _is_title(paragraphs[0]):
        title = paragraphs.pop(0)
    text, subheadings = _join_with_headings(paragraphs)
    return CleanText(title, text, subheadings, dateline.published, dateline.authors, dateline.agencies)


def drop_boilerplate(paragraphs: list[str]) -> list[str]:
    """Remove photo credits, the captions they belong to, "Bild nicht mehr verfügbar." placeholders with their
    captions, lone agency names left by embeds, and "Mehr zum Thema"-style teasers."""
    keep = [not _is_boilerplate(p) for p in paragraphs]
    for i, paragraph in enumerate(paragraphs):
        if i > 0 and _is_credit(paragraph) and _could_be_caption(paragraphs[i - 1], MAX_CAPTION):
            keep[i - 1] = False
        after_placeholder = _PLACEHOLDER.match(paragraph) and i + 1 < len(paragraphs)
        if after_placeholder and _could_be_caption(paragraphs[i + 1], MAX_CAPTION_AFTER_PLACEHOLDER):
            keep[i + 1] = False
    return [p for p, kept in zip(paragraphs, keep, strict=True) if kept]


def _is_boilerplate(paragraph: str) -> bool:
    return (
        _is_credit(paragraph)
        or bool(_PLACEHOLDER.match(paragraph))
        or _is_agency_remnant(paragraph)
        or (len(paragraph) <= 120 and bool(_TEASER.match(paragraph)))
        or (len(paragraph) <= MAX_CAPTION and bool(_INLINE_CREDIT.search(paragraph)))  # caption + its credit
    )


def _is_credit(paragraph: str) -> bool:
    if len(paragraph) <= 150 and _CREDIT.match(paragraph):
        return True
    return len(paragraph) <= 80 and bool(_SOURCE_CREDIT.match(paragraph))


def _is_agency_remnant(paragraph: str) -> bool:
    tokens = [t.strip(" .–-") for t in re.split(r"[/,]", paragraph)]
    return all(t.lower() in _EMBED_CREDITS for t in tokens)


def _could_be_caption(paragraph: str, limit: int) -> bool:
    return len(paragraph) <= limit and not _is_boilerplate(paragraph) and not _DATELINE.search(paragraph)


def parse_dateline(paragraph: str) -> tuple[str, Dateline] | None:
    """`"… wird. (bbl, Reuters, 21.1.2022)"` → (`"… wird."`, Dateline("2022-01-21", ("bbl",), ("Reuters",))).

    None when the paragraph does not end with a dateline: every item in the parentheses must be a date, a
    known agency or a short name, and there must be a date, an agency or "red" (so "(Kiew)" is no dateline).
    """
    match = _DATELINE.search(paragraph)
    if not match:
        return None
    published, authors, agencies = "", [], []
    for token in (t.strip() for t in re.split(r"[,;/–]|\s-\s", match[1])):
        if not token:
            continue
        if _DATE_TOKEN.fullmatch(token) and parse_date(token) and not published:
            published = parse_date(token)
        elif token.lower() in AGENCIES:
            agencies.append(AGENCIES[token.lower()])
        elif _is_name(token):
            authors.append(token)
        else:
            return None
    if not (published or agencies or EDITORIAL_TEAM in (a.lower() for a in authors)):
        return None
    return paragraph[: match.start()].rstrip(), Dateline(published, tuple(authors), tuple(agencies))


def _is_name(token: str) -> bool:
    """Initials ("bbl") or a name ("Sandra Čapljak"): letters, spaces, dots, hyphens; at most four words."""
    return (len(token) <= 40 and token[:1].isalpha() and len(token.split()) <= 4
            and all(c.isalpha() or c in " .'-" for c in token))


def _take_dateline(paragraphs: list[str]) -> tuple[list[str], Dateline]:
    if paragraphs:
        parsed = parse_dateline(paragraphs[-1])
        if parsed:
            rest, dateline = parsed
            return paragraphs[:-1] + ([rest] if rest else []), dateline
    return paragraphs, Dateline("", (), ())


def _is_title(paragraph: str) -> bool:
    # Titles may ask or exclaim ("Droht ein Krieg?"), but never end like a statement or a lead-in.
    ending = paragraph.rstrip(_CLOSERS)[-1:]
    return len(paragraph) <= MAX_TITLE and ending not in ".:;," and _has_letters(paragraph) \
        and not _LIST_ITEM.match(paragraph)


def is_subheading(paragraph: str) -> bool:
    """Short, no sentence punctuation at the end (quotes do not count: `"Nicht das Ende des Dialogs"` is a
    heading), not a list item, and not starting in lowercase like a sentence fragment."""
    first_letter = next((c for c in paragraph if c.isalnum()), "")
    return (
        len(paragraph) <= MAX_HEADING
        and len(paragraph.split()) <= MAX_HEADING_WORDS
        and not _ends_sentence(paragraph)
        and paragraph.rstrip(_CLOSERS)[-1:] != ","
        and _has_letters(paragraph)
        and not first_letter.islower()
        and not _LIST_ITEM.match(paragraph)
    )


def _is_body(paragraph: str) -> bool:
    return len(paragraph) > MAX_HEADING or _ends_sentence(paragraph)


def _join_with_headings(paragraphs: list[str]) -> tuple[str, tuple[tuple[int, str], ...]]:
    """Join paragraphs with blank lines; a heading counts only when body text follows it."""
    headings: list[tuple[int, str]] = []
    offset = 0
    for i, paragraph in enumerate(paragraphs):
        if i + 1 < len(paragraphs) and is_subheading(paragraph) and _is_body(paragraphs[i + 1]):
            headings.append((offset, paragraph))
        offset += len(paragraph) + 2
    return "\n\n".join(paragraphs), tuple(headings)


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph ("z. B." and "21. Jänner" do not end it)."""
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        return ""
    paragraph = paragraphs[0]
    for match in _SENTENCE_END.finditer(paragraph):
        word = re.findall(r"[\wÄÖÜäöüß]+$", paragraph[: match.start()])
        if match[0][0] == "." and word and (word[0].lower() in _ABBREVIATIONS or word[0].isdigit()):
            continue
        return paragraph[: match.end()]
    return paragraph


def first_sentence_title(text: str, limit: int = 120) -> str:
    """A title made from the lead's first sentence: without its final period, at most `limit` characters,
    cut at a word boundary and ended with "…" when longer."""
    sentence = first_sentence(text)
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:–-") + "…"
