"""The Korpus tab's feeds: the subscribed feeds with their state, adding and removing them, and "sync now".

The API (`/feeds`, `/add_feed`, `/remove_feed`, `/sync`) returns plain dicts; the page shows them through
`rows` and `message_html`. Syncs go through the app's `BackgroundSync`, so the button and the background thread
never run at the same time (and a sync of another process makes both skip, never wait).
No annotations are postponed here: Gradio reads the type hints of the API functions at build time.
"""

import logging
from typing import Any

import gradio as gr

from ingest.sync import BackgroundSync
from rag.errors import RagError
from rag.feeds import FeedBook
from rag.store import Store
from ui.i18n import Texts
from ui.web_render import esc

log = logging.getLogger("newsrag.web")


class FeedPanel:
    def __init__(self, store: Store, texts: Texts, syncer: BackgroundSync | None = None) -> None:
        self.store = store
        self.texts = texts
        self.syncer = syncer or BackgroundSync(store)  # not started: only the button uses it then

    @property
    def book(self) -> FeedBook:
        return FeedBook(self.store.settings, client=self.store.client)

    # --- the API ----------------------------------------------------------------------------------------
    def feeds(self) -> list[dict]:
        """The subscribed feeds as `newsrag feeds list --json`: url, source, every, added_at, etag, last_modified,
        last_attempt, last_success, last_error, errors [{input, error}], last_counts {added, updated, unchanged,
        failed}, articles."""
        return [f.summary() for f in self.book.all()]

    def add_feed(self, url: str, source: str = "", every: str = "") -> dict:
        """Subscribe to an RSS/Atom feed (http/https); every: 5m, 15m, 1h, … (empty: RAG_FEED_EVERY). The feed is
        fetched by the next sync (the background sync, or /sync). Returns {ok, message}."""
        try:
            state = self.book.add((url or "").strip(), source=source or "", every=(every or "").strip() or None)
        except RagError as exc:
            return {"ok": False, "message": str(exc)}
        return {"ok": True, "message": self.texts("feed_added", url=state.url)}

    def remove_feed(self, url: str) -> dict:
        """Unsubscribe from a feed; its articles stay in the corpus. Returns {ok, message}."""
        try:
            state = self.book.remove((url or "").strip())
        except RagError as exc:
            return {"ok": False, "message": str(exc)}
        return {"ok": True, "message": self.texts("feed_removed", url=state.url, n=len(state.entries))}

    def sync(self, everything: bool = True) -> dict:
        """Sync the feeds now (everything=false: only the due ones). Returns the fields of `newsrag sync --json`
        (feeds, added, updated, unchanged, failed [{input, error}]) plus busy: true when a sync was running."""
        try:
            report = self.syncer.run_now(everything=everything)
        except RagError as exc:
            return {"feeds": 0, "added": 0, "updated": 0, "unchanged": 0, "failed": [{"input": "", "error": str(exc)}],
                    "busy": False}
        if report is None:
            return {"feeds": 0, "added": 0, "updated": 0, "unchanged": 0, "failed": [], "busy": True}
        return {**report.to_dict(), "busy": False}

    # --- the page ---------------------------------------------------------------------------------------
    def rows(self) -> list[list[Any]]:
        try:
            feeds = self.feeds()
        except RagError as exc:
            log.warning("cannot read the feed list: %s", exc)
            return []
        return [[f["url"], f["source"], f["every"], _when(f["last_attempt"]), _when(f["last_success"]),
                 f["articles"], f["last_error"] or self.texts["feed_ok"] if f["last_attempt"] else ""]
                for f in feeds]

    def message_html(self, result: dict) -> str:
        """A result of add/remove ({ok, message}) or sync (the counts) as one line."""
        if "message" in result:
            kind = "nr-ok" if result["ok"] else "nr-error"
            return f'<p class="{kind}">{esc(result["message"])}</p>'
        if result.get("busy"):
            return f"<p>{esc(self.texts['feed_busy'])}</p>"
        line = self.texts("feed_synced", feeds=result["feeds"], added=result["added"], updated=result["updated"],
                          unchanged=result["unchanged"], failed=len(result["failed"]))
        failures = "".join(f"<li>{esc(f['input'])}: {esc(f['error'])}</li>" for f in result["failed"])
        return f"<p>{esc(line)}</p>" + (f"<ul>{failures}</ul>" if failures else "")


def _when(iso: str) -> str:
    return iso.replace("T", " ").removesuffix("+00:00") + (" UTC" if iso else "")


def feeds_section(panel: FeedPanel, texts: Texts) -> dict[str, Any]:
    """The feeds accordion of the Korpus tab; returns its table and the events that change the corpus."""
    write = {"concurrency_limit": 1, "concurrency_id": "corpus-write"}
    with gr.Accordion(texts["feeds_label"], open=True, elem_id="nr-feeds"):
        table = gr.Dataframe(headers=[texts[c] for c in ("feed_url", "feed_source", "feed_every", "feed_last",
                                                         "feed_success", "feed_articles", "feed_state")],
                             datatype=["str", "str", "str", "str", "str", "number", "str"], interactive=False,
                             wrap=True, max_height=300, elem_id="nr-feed-table")
        with gr.Row():
            url = gr.Textbox(label=texts["feed_url"], max_lines=1, placeholder="https://…/feed.xml", scale=4,
                             elem_id="nr-feed-url")
            source = gr.Textbox(label=texts["feed_source"], max_lines=1, scale=2)
            every = gr.Textbox(label=texts["feed_every"], max_lines=1, placeholder="15m", scale=1)
        with gr.Row():
            add = gr.Button(texts["feed_add"], variant="primary", elem_id="nr-feed-add")
            remove = gr.Button(texts["feed_remove"], variant="stop", elem_id="nr-feed-remove")
            sync = gr.Button(texts["feed_sync"], elem_id="nr-feed-sync")
        result = gr.HTML("", elem_id="nr-feed-result")
    outcome = gr.JSON(visible=False)
    changes = [
        add.click(panel.add_feed, [url, source, every], [outcome], api_name="add_feed", **write),
        remove.click(panel.remove_feed, [url], [outcome], api_name="remove_feed", **write),
        sync.click(panel.sync, None, [outcome], api_name="sync", **write),
    ]
    for event in changes:
        event.then(panel.message_html, [outcome], [result], api_visibility="private") \
            .then(panel.rows, outputs=[table], api_visibility="private")
    table.select(_pick_url, None, [url], api_visibility="private")
    gr.api(panel.feeds, api_name="feeds")
    return {"table": table, "changes": changes}


def _pick_url(event: gr.SelectData) -> str:
    """Clicking a feed's row puts its URL into the box, ready for Remove."""
    row = event.row_value or []
    return str(row[0]) if row else ""
