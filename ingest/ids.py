"""Article ids: stable across versions of an article (from its URL, file name or record id, never its text),
readable, lowercase `[a-z0-9-]`, at most 80 characters."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_ID = 80
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|at_\w+|wt_\w+)$", re.I)
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.I)
_NOT_A_NAME = ("index", "amp", "default")


def slugify(text: str, max_len: int = MAX_ID) -> str:
    """Lowercase `[a-z0-9-]`, umlauts transliterated (ä → ae, ß → ss), cut at a hyphen when too long."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    return clip(re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-"), max_len)


def clip(slug: str, max_len: int = MAX_ID) -> str:
    """At most `max_len` characters, preferably ending at a word (hyphen) boundary."""
    if len(slug) <= max_len:
        return slug
    cut = slug[:max_len]
    hyphen = cut.rfind("-")
    return (cut[:hyphen] if hyphen > max_len // 2 else cut).strip("-")


def hash_id(value: str) -> str:
    """For names with no letters or digits to slug (e.g. a title in another script)."""
    return "article-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]


def clean_url(url: str) -> str:
    """Without fragment and tracking parameters (utm_*, fbclid, …), which do not change the article."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(key, value) for key, value in pairs if not _TRACKING.match(key)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def normalize_url(url: str) -> str:
    """The form links to one article share: no scheme, no `www.`, lowercase host, no trailing slash."""
    parts = urlsplit(clean_url(url))
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/") or "/"
    return f"//{host}{port}{path}" + (f"?{parts.query}" if parts.query else "")


def article_id_for_url(url: str) -> str:
    """Slug of the last meaningful path segment (≤ 50) plus 8 hex of the normalized URL's sha1."""
    parts = urlsplit(clean_url(url))
    segments = [_PAGE_SUFFIX.sub("", s) for s in parts.path.split("/")]
    # Numeric segments are story numbers (derstandard.at/story/2000132712345/slug): the slug names it better.
    named = [s for s in segments if s and not s.isdigit() and s.lower() not in _NOT_A_NAME]
    label = slugify(named[-1], 50) if named else ""
    label = label or slugify((parts.hostname or "").removeprefix("www."), 50) or "article"
    return f"{label}-{hashlib.sha1(normalize_url(url).encode('utf-8')).hexdigest()[:8]}"
