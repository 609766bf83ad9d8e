"""Turning answers, citations and reports into what the web app displays, safely.

Article text, titles, outlets and file names are data written by strangers: they are always escaped here, and
the only tags in the output are the ones built by this module (`<mark>`, `<details>`, `<br>`, ...), so an
article's `<script>` or `<img onerror=...>` is displayed literally and runs nothing. Chat messages are HTML too
(the chatbot runs with Markdown off), so an article's `*` or `[x](javascript:...)` is not rendered either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from rag.schema import Answer, Citation
from rag.status import IndexStatus
from rag.store import ArticleInfo
from ui.i18n import Texts

FULL_ARTICLE_CHARS = 6000  # shorter articles are shown whole when a source is expanded
CONTEXT_CHARS = 1500  # otherwise this much text on each side of the passage


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# --- chat messages ---------------------------------------------------------------------------------------
_MARKER = re.compile(r"\[(\d{1,3})\]")
_UNSUPPORTED = "[?]"


def text_html(text: str) -> str:
    """Plain text → HTML that displays exactly that text, line breaks kept."""
    return esc(text).replace("\n", "<br>")


def cited_html(text: str) -> str:
    """Answer text → HTML whose [n] markers link to evidence card n (matched after escaping, so only digits);
    an unsupported sentence's [?] is flagged, not linked."""
    linked = _MARKER.sub(r'<a class="nr-ref" href="#nr-cite-\1">[\1]</a>', text_html(text))
    return linked.replace(_UNSUPPORTED, f'<span class="nr-ref nr-unsupported">{_UNSUPPORTED}</span>')


def answer_html(answer: Answer, texts: Texts) -> str:
    """The final answer for the chat: its text with [n] markers, then the engine's notices."""
    parts = [cited_html(answer.text)]
    parts += [f'<em class="nr-notice">{esc(texts["notice"])}: {text_html(notice)}</em>' for notice in answer.notices]
    return "<br><br>".join(parts)


def error_html(message: str, texts: Texts) -> str:
    return f'<span class="nr-error">⚠️ {text_html(texts("error", message=message))}</span>'


# --- the evidence panel (HTML) ---------------------------------------------------------------------------------
def safe_url(url: str) -> str | None:
    """Only http(s) links become clickable: a `javascript:` or `data:` URL in an article stays text."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escape `text` and wrap the (start, end) spans in <mark>; overlapping or out-of-range spans are merged or
    clipped rather than trusted."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, int(s)), min(len(text), int(e))) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(esc(text[cursor:start]))
        out.append(f'<mark class="nr-hl">{esc(text[start:end])}</mark>')
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def evidence_html(citations: Sequence[Citation], article_text: Callable[[str], str | None], texts: Texts) -> str:
    """One card per cited passage: number, title, outlet, date, link; the passage with the sentences the
    answer used highlighted; a <details> with the surrounding article text (no server round trip needed)."""
    if not citations:
        return placeholder_html(texts["evidence_none"])
    cards = [_citation_card(c, article_text(c.article_id), texts) for c in citations]
    return '<div class="nr-evidence">' + "".join(cards) + "</div>"


def placeholder_html(message: str) -> str:
    return f'<div class="nr-evidence nr-empty">{esc(message)}</div>'


def _citation_card(c: Citation, full_text: str | None, texts: Texts) -> str:
    meta = [esc(x) for x in (c.source, c.published) if x]
    url = safe_url(c.url) if c.url else None
    if url:
        meta.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
                    f"{esc(texts['open_link'])}</a>")
    elif c.url:
        meta.append(esc(c.url))
    context = _context_html(c, full_text, texts)
    return (
        f'<section class="nr-cite" id="nr-cite-{int(c.n)}" data-n="{int(c.n)}">'
        f'<div class="nr-cite-head"><span class="nr-n">[{int(c.n)}]</span> '
        f'<span class="nr-title">{esc(c.title)}</span></div>'
        f'<div class="nr-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="nr-quote">{highlight(c.quote, c.highlights)}</blockquote>'
        f"{context}</section>"
    )


def _context_html(c: Citation, full_text: str | None, texts: Texts) -> str:
    summary = f"<summary>{esc(texts['context_summary'])}</summary>"
    if full_text is None:
        body = f'<p class="nr-missing">{esc(texts["context_missing"])}</p>'
    else:
        body = f'<div class="nr-article">{surrounding_html(full_text, c)}</div>'
    return f'<details class="nr-context">{summary}{body}</details>'


def surrounding_html(full_text: str, c: Citation) -> str:
    """The article around the passage (the passage framed, its used sentences marked); the whole article when
    it is short. Trusts `start/end` only when they still point at the quote (the article may have changed)."""
    start, end = _locate(full_text, c)
    if start < 0:
        return esc(full_text[: 2 * CONTEXT_CHARS]) + ("…" if len(full_text) > 2 * CONTEXT_CHARS else "")
    lo, hi = 0, len(full_text)
    if len(full_text) > FULL_ARTICLE_CHARS:
        lo, hi = _snap(full_text, start - CONTEXT_CHARS, end + CONTEXT_CHARS)
    passage = highlight(full_text[start:end], c.highlights)
    return (
        ("… " if lo > 0 else "")
        + esc(full_text[lo:start])
        + f'<span class="nr-passage">{passage}</span>'
        + esc(full_text[end:hi])
        + (" …" if hi < len(full_text) else "")
    )


def _locate(full_text: str, c: Citation) -> tuple[int, int]:
    if 0 <= c.start < c.end <= len(full_text) and full_text[c.start : c.end] == c.quote:
        return c.start, c.end
    found = full_text.find(c.quote) if c.quote else -1
    return (found, found + len(c.quote)) if found >= 0 else (-1, -1)


def _snap(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Widen a window to whitespace so no word is cut in half."""
    lo, hi = max(0, lo), min(len(text), hi)
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    return lo, hi


# --- corpus tab ---------------------------------------------------------------------------------------------
def article_rows(articles: Sequence[ArticleInfo]) -> list[list[Any]]:
    """Rows of the articles table. The Dataframe shows "str" cells as text, never as HTML."""
    return [[a.id, a.title, a.source, a.published, a.chunks] for a in articles]


def report_html(report: dict[str, Any], titles: dict[str, str], texts: Texts) -> str:
    """An add/remove report: one line per article (status, title, id), one per failed input, then totals."""
    items = []
    for status in ("added", "updated", "unchanged", "removed"):
        icon = "➖" if status == "unchanged" else "✅"
        for article_id in report.get(status, []):
            title = titles.get(article_id, "")
            label = f"{esc(title)} <code>{esc(article_id)}</code>" if title else f"<code>{esc(article_id)}</code>"
            items.append(f'<li class="nr-{status}">{icon} <strong>{esc(texts[status])}</strong>: {label}</li>')
    for failure in report.get("failed", []):
        items.append(f'<li class="nr-failed">❌ <strong>{esc(texts["failed"])}</strong>: '
                     f'{esc(failure["input"])}: {esc(failure["error"])}</li>')
    if not items:
        return f'<div class="nr-report">{esc(texts["nothing_given"])}</div>'
    counts = {k: len(report.get(k, [])) for k in ("added", "updated", "unchanged", "failed")}
    summary = f"<p>{esc(texts('summary', **counts))}</p>" if not report.get("removed") else ""
    return f'<div class="nr-report"><ul>{"".join(items)}</ul>{summary}</div>'


OUTLETS_SHOWN = 8  # the overview names the biggest outlets; `/status` and `newsrag status --json` list them all


def status_html(status: IndexStatus, texts: Texts) -> str:
    """The index at a glance (the figures of `newsrag status`) as a two-column table of escaped text."""
    e, lexical = status.embedding, status.lexical
    outlets = [f"{name or texts['st_no_outlet']} ({count})" for name, count in status.outlets[:OUTLETS_SHOWN]]
    if len(status.outlets) > OUTLETS_SHOWN:
        outlets.append(texts("st_more", n=len(status.outlets) - OUTLETS_SHOWN))
    dates = f"{status.earliest} – {status.latest}" if status.earliest else "–"
    if status.undated:
        dates += f" ({texts('st_undated', n=status.undated)})"
    dimension = (texts("st_dimensions", n=e.dimension) + f", {texts['dim_from_' + e.dimension_from.replace(' ', '_')]}"
                 if e.dimension else texts["st_dimension_unknown"])
    embedding = [f"{e.model} ({dimension})", e.location]
    if e.mismatch:
        embedding.append(texts("st_mismatch", model=e.stamped_model))
    rows = [
        ("st_articles", [str(status.articles)]),
        ("st_chunks", [str(status.chunks)]),
        ("st_outlets", [f"{len(status.outlets)}: {', '.join(outlets)}" if outlets else "–"]),
        ("st_dates", [dates]),
        ("st_embedding", embedding),
        ("st_store", [f"{texts['st_' + status.store]}: {status.store_location}",
                      texts("st_collection", name=status.collection)]),
        ("st_lexical", [f"{texts['lexical_' + lexical.state]}, {file_size(lexical.size_bytes)}", lexical.path]),
    ]
    body = "".join(f'<tr class="nr-{key}"><th>{esc(texts[key])}</th><td>{"<br>".join(esc(v) for v in values)}</td></tr>'
                   for key, values in rows)
    return f'<table class="nr-index-status">{body}</table>'


def file_size(n: int) -> str:
    """Bytes as B, KiB, MiB or GiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
