"""What the web app's events do: chat turns, the `ask` API, and corpus changes (upload, URL, pasted text, delete).

Everything here delegates to `rag` and `ingest`; the only logic of its own is input validation, upload
handling (type, size, where files may be written) and turning results and errors into displayable data.
No annotations are postponed here: Gradio reads the type hints of the API functions at build time.
"""

import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from ingest import ingest, ingest_articles, load_text, remove
from ingest.dates import parse_date
from ingest.index import IngestReport
from ingest.load import ACCEPTED
from rag.assistant import Assistant
from rag.errors import RagError
from rag.schema import Answer
from rag.status import IndexStatus, index_status
from ui.i18n import Texts
from ui.web_render import answer_html, error_html, evidence_html, period_removable, placeholder_html, text_html

log = logging.getLogger("newsrag.web")

UPLOADS = "uploads"  # the only directory (under RAG_HOME) the app writes uploaded files to
_URL = re.compile(r"^https?://[^\s/]+\S*$", re.I)
_CURSOR = " ▍"  # shown at the end of an answer while it streams
REMOVE_PERIOD = "remove-period"  # the value of the period chip's ✕ option


def uploads_dir(home: Path) -> Path:
    return home / UPLOADS


def staging_dir(home: Path) -> Path:
    """Where Gradio itself stages uploads (GRADIO_TEMP_DIR is pointed here), so they stay under RAG_HOME too."""
    return home / UPLOADS / ".incoming"


def safe_filename(name: str) -> str:
    """A user's file name → a plain name that cannot leave the uploads directory or hide itself.

    Path parts, dots that would make a hidden or double-extension name, and characters other than letters,
    digits, `-` and `_` go; the (lower-cased) extension stays, because the loader dispatches on it."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w-]+", "-", stem).strip("-_")[:100] or "upload"
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:10]
    return f"{stem}.{suffix}" if suffix else stem


def new_session() -> dict[str, Any]:
    """One browser tab's conversation: the displayed messages, the (question, answer) history the engine sees,
    the evidence panel of every assistant message (so clicking an earlier answer shows its sources) and how the
    last answered question was asked (so the period chip's ✕ can ask it again)."""
    return {"messages": [], "history": [], "evidence": [], "last": None}


class Actions:
    """The event handlers of one app; they share the Assistant, so the chat sees corpus changes at once."""

    def __init__(self, assistant: Assistant, texts: Texts) -> None:
        self.assistant = assistant
        self.store = assistant.store
        self.settings = assistant.settings
        self.texts = texts

    # --- chat -----------------------------------------------------------------------------------------------
    def respond(self, question: str, session: dict[str, Any], since: str, until: str, source: str | None,
                k: float, mode: str) -> Iterator[tuple[str, list[dict[str, Any]], dict[str, Any], str]]:
        """Stream one chat turn: yields (question box, chat messages, session, evidence panel)."""
        question = (question or "").strip()
        if not question:
            gr.Warning(self.texts["empty_question"])
            yield "", session["messages"], session, self._last_evidence(session)
            return
        asked = {"question": question, "since": since, "until": until, "source": source, "k": k, "mode": mode}
        for messages, turn_session, panel in self._turn(asked, session, infer_period=True):
            yield "", messages, turn_session, panel

    def remove_period(self, session: dict[str, Any], event: gr.SelectData
                      ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any], str]]:
        """The period chip's ✕ (an option under the last answer): ask the last question again, with the filters
        it was asked with but without the period its words set, in place of that answer."""
        asked = session.get("last")
        if event.value != REMOVE_PERIOD or not asked:  # a stale click: the chip belonged to an older answer
            yield session["messages"], session, self._last_evidence(session)
            return
        # The last turn gave an Answer (else `last` is None): its two messages, history turn and panel go.
        earlier = {**session, "messages": session["messages"][:-2], "history": session["history"][:-1],
                   "evidence": session["evidence"][:-1]}
        yield from self._turn(asked, earlier, infer_period=False)

    def _turn(self, asked: dict[str, Any], session: dict[str, Any], *, infer_period: bool
              ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any], str]]:
        """Stream one question and its answer onto the conversation: yields (messages, session, panel)."""
        question = asked["question"]
        searching = placeholder_html(self.texts["evidence_searching"])
        messages = session["messages"] + [{"role": "user", "content": text_html(question)},
                                          {"role": "assistant", "content": _CURSOR}]
        session = {**session, "messages": messages, "last": None}
        yield messages, session, searching
        answer = None
        for content, final in self._contents(asked, session["history"], infer_period):
            messages[-1] = {"role": "assistant", "content": content}
            answer = final or answer
            yield messages, session, searching
        if answer is not None:
            session["history"] = session["history"] + [[question, answer.text]]
            session["last"] = asked
            panel = self.evidence(answer.citations)
            if period_removable(answer.period):  # Gradio shows a message's options only under the last answer
                messages[-1] = {**messages[-1], "options": [{"label": self.texts["period_remove"],
                                                             "value": REMOVE_PERIOD}]}
        else:
            panel = placeholder_html(self.texts["evidence_none"])
        session["evidence"] = session["evidence"] + [panel]
        yield messages, session, panel

    def _contents(self, asked: dict[str, Any], history: list, infer_period: bool
                  ) -> Iterator[tuple[str, Answer | None]]:
        """The assistant message as it grows: (html, None) while streaming, (html, Answer) at the end; an
        error or the empty-corpus hint is the message itself and ends the turn without an Answer."""
        since, until = asked["since"], asked["until"]
        problem = self._check_filters(since, until)
        if problem:
            yield error_html(problem, self.texts), None
            return
        if not self.store.catalog():
            yield text_html(self.texts["empty_corpus"]), None
            return
        streamed = ""
        try:
            for item in self.assistant.stream(asked["question"], history=history, k=int(asked["k"] or 0) or None,
                                              since=since or None, until=until or None,
                                              sources=asked["source"] or None, mode=asked["mode"] or None,
                                              infer_period=infer_period):
                if isinstance(item, str):
                    streamed += item
                    yield text_html(streamed) + _CURSOR, None
                else:
                    yield answer_html(item, self.texts), item
        except RagError as exc:
            yield error_html(str(exc), self.texts), None
        except Exception as exc:  # the app must keep running; the log gets the traceback
            log.exception("chat turn failed")
            yield error_html(self.texts("internal_error", kind=type(exc).__name__), self.texts), None

    def evidence(self, citations: list) -> str:
        texts: dict[str, str | None] = {}  # several citations usually come from one article: read it once

        def article_text(article_id: str) -> str | None:
            if article_id not in texts:
                texts[article_id] = self._article_text(article_id)
            return texts[article_id]

        return evidence_html(citations, article_text, self.texts)

    def _article_text(self, article_id: str) -> str | None:
        try:
            return self.store.article_text(article_id)
        except RagError:
            return None  # deleted since the answer was given

    def _check_filters(self, since: str, until: str) -> str | None:
        for field, value in (("since", since), ("until", until)):
            if value and not _is_iso_date(value):
                return self.texts("bad_date", field=self.texts[field], value=value)
        return None

    def show_turn(self, session: dict[str, Any], event: gr.SelectData) -> str:
        """Clicking an earlier answer shows its evidence again (assistant messages sit at odd indexes)."""
        index = event.index if isinstance(event.index, int) else event.index[0]
        turn = int(index) // 2
        panels = session.get("evidence", [])
        return panels[turn] if 0 <= turn < len(panels) else self._last_evidence(session)

    def new_chat(self) -> tuple[list, dict[str, Any], str, str]:
        return [], new_session(), placeholder_html(self.texts["evidence_empty"]), ""

    def _last_evidence(self, session: dict[str, Any]) -> str:
        panels = session.get("evidence") or [placeholder_html(self.texts["evidence_empty"])]
        return panels[-1]

    # --- the API ----------------------------------------------------------------------------------------
    def ask(self, question: str, history_json: str = "[]", since: str = "", until: str = "", source: str = "",
            k: int = 0, mode: str = "", today: str = "", infer_period: bool = True) -> dict:
        """Answer a question from the indexed articles. Returns the fields of `newsrag ask --json`: question,
        answer (text with [n] markers), answered, mode, notices, period ({since, until, expression} or null),
        claims ([{text, citations, support}]), citations (n, article_id, title, source, published, url, quote,
        chunk_id, start, end, score, highlights, also_in [{article_id, source, published, url}]).

        history_json: earlier turns as JSON, e.g. [["question", "answer"], ...] or [{"role", "content"}, ...].
        since/until: YYYY-MM-DD; source: one outlet; k: passages (0 = default); mode: "extractive" or "llm".
        today: the day time words in the question ("letzte Woche") count from (YYYY-MM-DD; default RAG_TODAY or
        today); infer_period: false ignores those words (`newsrag ask --no-period`, the chat's ✕ on the period)."""
        try:
            history = json.loads(history_json or "[]")
            if not isinstance(history, list):
                raise ValueError("not a list")
        except ValueError as exc:
            raise gr.Error(self.texts("bad_history", error=exc)) from None
        problem = self._check_filters(since, until)
        if problem:
            raise gr.Error(problem)
        try:
            answer = self.assistant.answer(question, history=history, k=int(k) or None, since=since or None,
                                           until=until or None, sources=source or None, mode=mode or None,
                                           today=today or None, infer_period=infer_period)
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return answer.to_dict()

    def articles(self) -> list[dict]:
        """Every indexed article (id, title, source, url, published, chunks, group, ...), newest first, with
        copy_of: the id of the article that stands for its story when it is a copy (as `newsrag list --json`)."""
        copy_of = {copy.id: members[0].id for members in self.store.stories().values() for copy in members[1:]}
        return [{**a.to_dict(), "copy_of": copy_of.get(a.id)} for a in self.store.articles()]

    def status(self) -> dict:
        """The index at a glance, the fields of `newsrag status --json`: articles, chunks, outlets {name: articles},
        earliest, latest, undated, story_groups, copies, embedding {model, dimension, dimension_from, location,
        stamped_model, mismatch}, store, store_location, collection, generation, lexical {state, path,
        size_bytes}, feeds {count, due, failing, last_success, next_due}, sentences {at_ingest, path, size_bytes}."""
        return self.index_status().to_dict()

    def index_status(self) -> IndexStatus:
        return index_status(self.store)

    # --- corpus changes: each returns a report {added, updated, unchanged, removed: [ids],
    #     failed: [{input, error}], titles: {id: title}} ------------------------------------------------------
    def add_files(self, files: list[str] | None, source: str = "") -> dict:
        """Index uploaded article files (.txt .md .html .htm .json .jsonl .csv)."""
        if not files:
            return self._report(IngestReport(failed=[("", self.texts["no_files"])]))
        total = IngestReport()
        for staged in map(Path, files):
            try:
                _merge(total, self._add_file(staged, source))
            finally:
                self._discard_staged(staged)
        return self._report(total)

    def _add_file(self, staged: Path, source: str) -> IngestReport:
        name = staged.name
        suffix = staged.suffix.lower()
        types = ", ".join(ACCEPTED)
        if suffix not in ACCEPTED:
            return IngestReport(failed=[(name, self.texts("bad_type", suffix=suffix or "-", types=types))])
        size_mb = staged.stat().st_size / (1024 * 1024)
        if size_mb > self.settings.ui_max_upload_mb:
            return IngestReport(failed=[(name, self.texts("too_large", size=size_mb,
                                                          mb=self.settings.ui_max_upload_mb))])
        target_dir = uploads_dir(self.settings.home)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / safe_filename(name)
        if target.resolve().parent != target_dir.resolve():  # belt and braces: never write elsewhere
            return IngestReport(failed=[(name, self.texts("bad_type", suffix=suffix, types=types))])
        shutil.copyfile(staged, target)
        report = self._ingest([str(target)], source)
        # Failures name the copy's path; the user knows the file by the name they uploaded.
        report.failed = [(src.replace(str(target), name), why) for src, why in report.failed]
        return report

    def _discard_staged(self, staged: Path) -> None:
        """Remove Gradio's staged copy, but only inside our staging directory (never anything else)."""
        stage = staging_dir(self.settings.home).resolve()
        try:
            staged = staged.resolve()
            if staged.is_relative_to(stage):
                staged.unlink(missing_ok=True)
                if staged.parent != stage and not any(staged.parent.iterdir()):
                    staged.parent.rmdir()  # Gradio's per-upload directory
        except OSError:
            log.warning("could not remove the staged upload %s", staged)

    def add_urls(self, urls: str, source: str = "") -> dict:
        """Fetch and index article pages or RSS/Atom feeds (http/https only: this box never reads local
        files, since a web user must not be able to ingest the server's files)."""
        total = IngestReport()
        for url in (u for u in re.split(r"\s+", urls or "") if u):
            if _URL.match(url):
                _merge(total, self._ingest([url], source))
            else:
                total.failed.append((url, self.texts["not_url"]))
        if not total.failed and not (total.added or total.updated or total.unchanged):
            total.failed.append(("", self.texts["nothing_given"]))
        return self._report(total)

    def add_text(self, text: str, title: str, source: str = "", published: str = "", url: str = "") -> dict:
        """Index pasted article text under a title (outlet, date YYYY-MM-DD and URL optional)."""
        label = (title or "").strip() or "–"
        problem = None
        if not (title or "").strip():
            problem = self.texts["no_title"]
        elif not (text or "").strip():
            problem = self.texts["no_text"]
        elif published and not parse_date(published):
            problem = self.texts("bad_date", field=self.texts["paste_date"], value=published)
        elif url and not _URL.match(url.strip()):
            problem = f"{url}: {self.texts['not_url']}"
        if problem:
            return self._report(IngestReport(failed=[(label, problem)]))
        try:
            article = load_text(text, title=title.strip(), source=(source or "").strip(),
                                published=parse_date(published) if published else "", url=(url or "").strip())
            report = ingest_articles([article], store=self.store)
        except RagError as exc:
            report = IngestReport(failed=[(label, getattr(exc, "reason", str(exc)))])
        return self._report(report)

    def remove_articles(self, ids: str) -> dict:
        """Delete articles by id (separated by spaces, commas or new lines)."""
        wanted = list(dict.fromkeys(i for i in re.split(r"[\s,;]+", ids or "") if i))
        if not wanted:
            return self._report(IngestReport(failed=[("", self.texts["no_ids"])]))
        catalog = self.store.catalog()
        known = [i for i in wanted if i in catalog]
        unknown = [i for i in wanted if i not in catalog]
        titles = {i: catalog[i].title for i in known}
        report = IngestReport()
        if unknown:
            report.failed.append((", ".join(unknown), self.texts("unknown_ids", ids=", ".join(unknown))))
        removed: list[str] = []
        if known:
            try:
                removed = remove(known, store=self.store)
            except RagError as exc:
                report.failed.append((", ".join(known), str(exc)))
        return {**self._report(report, titles), "removed": removed}

    def _ingest(self, inputs: list[str], source: str) -> IngestReport:
        try:
            return ingest(inputs, source=(source or "").strip() or None, store=self.store)
        except RagError as exc:  # the store itself failed (busy, unreachable): name the inputs
            return IngestReport(failed=[(", ".join(inputs), str(exc))])

    def _report(self, report: IngestReport, titles: dict[str, str] | None = None) -> dict:
        catalog = self.store.catalog()
        ids = report.added + report.updated + report.unchanged
        known = {i: catalog[i].title for i in ids if i in catalog}
        return {
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged, "removed": [],
            "failed": [{"input": source, "error": reason} for source, reason in report.failed],
            "titles": {**known, **(titles or {})},
        }


def _merge(total: IngestReport, part: IngestReport) -> None:
    total.added += part.added
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.failed += part.failed


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True
