"""Turning answers, citations and reports into what the web app displays, safely.

Article text, titles, outlets and file names are data written by strangers: they are always escaped here, and
the only tags in the output are the ones built by this module (`<mark>`, `<details>`, `<br>`, ...), so an
article's `<script>` or `<img onerror=...>` is displayed literally and runs nothing. Chat messages are HTML too
(the chatbot runs with Markdown off), so an article's `*` or `[x](javascript:...)` is not rendered either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

from rag.cite import SUPPORT_FLOOR
from rag.messages import format_period
from rag.schema import Answer, Citation, Claim
from rag.status import FeedsStatus, IndexStatus
from rag.store import ArticleInfo
from ui.i18n import Texts

FULL_ARTICLE_CHARS = 6000  # shorter articles are shown whole when a source is expanded
CONTEXT_CHARS = 1500  # otherwise this much text on each side of the passage

def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# --- chat messages ---------------------------------------------------------------------------------------
_MARKER = re.compile(r"\[(\d{1,3})\]")
_UNSUPPORTED = "[?]"
_LIST_ITEM = "- "  # how the engine writes the steps of a timeline, one per line
WEAK_SUPPORT = SUPPORT_FLOOR  # claims below the support scale's floor (`rag.cite`) are marked weak, as in `ask`


def text_html(text: str) -> str:
    """Plain text → HTML that displays exactly that text, line breaks kept."""
    return esc(text).replace("\n", "<br>")


def cited_html(text: str, claims: Sequence[Claim] = (), texts: Texts | None = None) -> str:
    """Answer text → HTML whose [n] markers link to evidence card n (matched after escaping, so only digits);
    an unsupported sentence's [?] is flagged, not linked; weakly supported claims are wrapped in a dotted
    `nr-weak` span with their support as its title (needs `texts`); "- " lines (a timeline) become a list."""
    pieces, cursor = [], 0
    for start, end, support in weak_spans(text, claims) if texts is not None else ():
        pieces.append(esc(text[cursor:start]))
        title = esc(texts("weak_title", support=support))
        pieces.append(f'<span class="nr-weak" title="{title}">{esc(text[start:end])}</span>')
        cursor = end
    pieces.append(esc(text[cursor:]))
    # The markers sit after their sentence, so linking after wrapping never cuts through a span.
    linked = _MARKER.sub(r'<a class="nr-ref" href="#nr-cite-\1">[\1]</a>', "".join(pieces))
    flagged = linked.replace(_UNSUPPORTED, f'<span class="nr-ref nr-unsupported">{_UNSUPPORTED}</span>')
    return lines_html(flagged.split("\n"))


def weak_spans(text: str, claims: Sequence[Claim]) -> list[tuple[int, int, float]]:
    """Where the weakly supported claims sit in the answer text: (start, end, support). Searched in claim order
    from the previous claim on, so a repeated sentence is found at its own place; a claim not found verbatim,
    or spanning lines, is left unmarked rather than guessed (the notice under the answer still counts it)."""
    spans, cursor = [], 0
    for claim in claims:
        body = claim.text.strip()
        at = text.find(body, cursor) if body and "\n" not in body else -1
        if at < 0:
            continue
        cursor = at + len(body)
        if claim.support < WEAK_SUPPORT:
            spans.append((at, cursor, claim.support))
    return spans


def lines_html(lines: Sequence[str]) -> str:
    """Lines of HTML joined with <br>; runs of "- " lines (a timeline's dated steps) become a <ul>."""
    blocks = []
    for is_item, run in groupby(lines, key=lambda line: line.startswith(_LIST_ITEM)):
        if is_item:
            items = "".join(f"<li>{line[len(_LIST_ITEM):]}</li>" for line in run)
            blocks.append(f'<ul class="nr-lines">{items}</ul>')
        else:
            blocks.append("<br>".join(run))
    return "".join(blocks)


def answer_html(answer: Answer, texts: Texts) -> str:
    """The final answer for the chat: the period chip, its text with [n] markers and weak claims marked, then
    the engine's notices and how many sentences are weakly supported (hover shows each one's support)."""
    parts = [cited_html(answer.text, answer.claims, texts)]
    parts += [f'<em class="nr-notice">{esc(texts["notice"])}: {text_html(notice)}</em>' for notice in answer.notices]
    weak = sum(claim.support < WEAK_SUPPORT for claim in answer.claims)
    if weak:
        parts.append(f'<em class="nr-notice nr-weak-notice">{esc(texts["notice"])}: '
                     f'{esc(texts("weak_notice", n=weak))}</em>')
    return period_chip_html(answer.period, texts) + "<br><br>".join(parts)


# --- the period of an answer ------------------------------------------------------------------------------------
def period_text(period: Mapping[str, str | None] | None, texts: Texts) -> str:
    """"09.03.2026–15.03.2026 („letzte Woche“)"; a period without dates only asks for the newest:
    "neueste zuerst („aktuell“)"; "" for no period."""
    if not period:
        return ""
    since, until = period.get("since") or None, period.get("until") or None
    expression = str(period.get("expression") or "")
    if not (since or until or expression):
        return ""
    words = format_period(since, until, expression, texts.language)
    return words if since or until else texts("period_newest", expression=words)


def period_removable(period: Mapping[str, str | None] | None) -> bool:
    """Whether the period came from the question's words (so asking with `infer_period=False` removes it);
    one from the date filters has no expression and goes by clearing the filters."""
    return bool(period and period.get("expression"))


def period_chip_html(period: Mapping[str, str | None] | None, texts: Texts) -> str:
    """The chip at the top of an answer: "Zeitraum: 09.03.2026–15.03.2026 („letzte Woche“)"."""
    text = period_text(period, texts)
    if not text:
        return ""
    origin = texts["period_from_question" if period_removable(period) else "period_from_filters"]
    return (f'<div class="nr-period"><span class="nr-chip" title="{esc(origin)}">'
            f"{esc(texts['period'])}: {esc(text)}</span></div>")


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
        f"{also_in_html(c.also_in, texts)}"
        f'<blockquote class="nr-quote">{highlight(c.quote, c.highlights)}</blockquote>'
        f"{context}</section>"
    )


def also_in_html(copies: Sequence[Mapping[str, str]], texts: Texts) -> str:
    """"auch berichtet von: Die Presse (2026-02-03), Kurier (2026-02-03)": the other copies of the cited story
    (agency text elsewhere, an older version under another URL), each a link when it has an http(s) URL."""
    if not copies:
        return ""
    names = []
    for copy in copies:
        label = str(copy.get("source") or copy.get("article_id") or "–")
        published = str(copy.get("published") or "")[:10]
        label = f"{label} ({published})" if published else label
        url = safe_url(str(copy.get("url") or ""))
        names.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'
                     if url else esc(label))
    return f'<div class="nr-also">{esc(texts["also_in"])}: {", ".join(names)}</div>'


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
def article_rows(articles: Sequence[ArticleInfo],
                 stories: Mapping[str, Sequence[ArticleInfo]] | None = None) -> list[list[Any]]:
    """Rows of the articles table: id, title, outlet, date, chunks, and the id of the article a copy repeats.
    Copies of a story (`Store.stories()`, representative first) are listed right under the article that stands
    for it, their title indented with "↳ ". The Dataframe shows "str" cells as text, never as HTML."""
    listed = {a.id: a for a in articles}
    copies: dict[str, list[ArticleInfo]] = {}
    for members in (stories or {}).values():
        if not members:
            continue
        first, *rest = members
        if first.id in listed:  # a copy of an article not listed (a change in between) stays a row of its own
            copies[first.id] = [c for c in rest if c.id in listed]
    under = {c.id for group in copies.values() for c in group}
    rows = []
    for a in articles:
        if a.id in under:
            continue
        rows.append([a.id, a.title, a.source, a.published, a.chunks, ""])
        rows += [[c.id, f"↳ {c.title}", c.source, c.published, c.chunks, a.id] for c in copies.get(a.id, [])]
    return rows


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


def sentences_text(status: IndexStatus, texts: Texts) -> str:
    sentences = status.sentences
    stored = texts("st_sentences_stored", size=file_size(sentences.size_bytes)) if sentences.size_bytes \
        else texts["st_sentences_none"]
    return f"{stored}, {texts['st_sentences_' + ('on' if sentences.at_ingest else 'off')]}"


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
    embedding = [f"{e.model} ({dimension}, {e.precision})", e.location]
    if e.mismatch:
        embedding.append(texts("st_mismatch", model=e.stamped_model))
    rows = [
        ("st_articles", [str(status.articles)]),
        ("st_chunks", [str(status.chunks)]),
        ("st_outlets", [f"{len(status.outlets)}: {', '.join(outlets)}" if outlets else "–"]),
        ("st_dates", [dates]),
        ("st_stories", [stories_text(status, texts)]),
        ("st_embedding", embedding),
        ("st_store", [f"{texts['st_' + status.store]}: {status.store_location}",
                      texts("st_collection", name=status.collection)]),
        ("st_lexical", [f"{texts['lexical_' + lexical.state]}, {file_size(lexical.size_bytes)}", lexical.path]),
        ("st_sentences", [sentences_text(status, texts), status.sentences.path]),
        ("st_feeds", feeds_text(status.feeds, texts)),
    ]
    body = "".join(f'<tr class="nr-{key}"><th>{esc(texts[key])}</th><td>{"<br>".join(esc(v) for v in values)}</td></tr>'
                   for key, values in rows)
    return f'<table class="nr-index-status">{body}</table>'


def feeds_text(feeds: FeedsStatus, texts: Texts) -> list[str]:
    """The feeds line of `newsrag status` in the page's language, the hint naming the Feeds section."""
    if not feeds.count:
        return [texts["st_feeds_none"]]
    notes = [texts("st_feeds_due", n=feeds.due)] if feeds.due else []
    if feeds.failing:
        notes.append(texts("st_feeds_failing", n=feeds.failing))
    line = str(feeds.count) + (f" ({', '.join(notes)})" if notes else "") + ", "
    line += texts("st_feeds_last", when=short_time(feeds.last_success)) if feeds.last_success \
        else texts["st_feeds_never"]
    key = "st_feeds_due_since" if feeds.due else "st_feeds_next"
    return [line, texts(key, when=short_time(feeds.next_due))] if feeds.next_due else [line]


def stories_text(status: IndexStatus, texts: Texts) -> str:
    """"2 (3 Kopien)": stories stored more than once, and the copies beyond the article that stands for each."""
    if not status.story_groups:
        return texts["st_stories_none"]
    key = "st_stories_value_one" if status.copies == 1 else "st_stories_value"
    return texts(key, groups=status.story_groups, copies=status.copies)


def short_time(iso: str) -> str:
    """An ISO 8601 time as "2026-11-30 10:12 UTC" (the feed times; stored in UTC, shown so)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def file_size(n: int) -> str:
    """Bytes as B, KiB, MiB or GiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
