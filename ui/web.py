"""The Gradio web app: chat with streamed, cited answers beside an evidence panel, and a corpus tab.

    build_app(assistant, language="de") -> gr.Blocks    the app, for tests and embedding
    serve(app, settings, host=..., port=..., block=...)  launch it with auth, upload limit, theme and CSS
    launch(settings, host=..., port=..., share=...)       `newsrag chat`: build and serve, blocks until Ctrl-C

Public API endpoints (for `gradio_client`): `/ask`, `/articles`, `/status`, `/add_files`, `/add_urls`, `/add_text`,
`/remove`, and for feeds `/feeds`, `/add_feed`, `/remove_feed`, `/sync` (`ui.web_feeds`); the chat's own events are
private. The app holds no retrieval or answer logic: events call `ui.web_actions` and `ui.web_feeds`, which call
`rag` and `ingest`; `ui.web_render` escapes everything it displays.

An answer restricted to a period opens with a chip ("Zeitraum: 09.03.2026–15.03.2026 („letzte Woche“)"); when the
period came from the question's words, the last answer carries a "✕ Zeitraum entfernen" option (Gradio's chatbot
options) that asks the same question again with `infer_period=False` and replaces that answer.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.sync import BackgroundSync
from rag.assistant import Assistant
from rag.config import Settings, get_settings
from rag.errors import ConfigError
from ui.i18n import Texts
from ui.web_actions import Actions, new_session, staging_dir
from ui.web_feeds import FeedPanel, feeds_section
from ui.web_render import article_rows, esc, placeholder_html, report_html, status_html
from ui.web_style import CSS, RENDER_CSS, THEME

log = logging.getLogger("newsrag.web")

CHAT_HEIGHT = 560
REFRESH_SECONDS = 30  # how often an open page re-reads the feed list and the corpus


class View:
    """The parts of the page that follow the corpus: the articles table, the outlet filter, the status line and
    the overview of the index (the figures of `newsrag status`)."""

    def __init__(self, actions: Actions, texts: Texts) -> None:
        self.actions = actions
        self.texts = texts

    def refresh(self) -> tuple[list[list[Any]], Any, str, str]:
        articles, stories = self.actions.store.articles(), self.actions.store.stories()
        outlets = sorted({a.source for a in articles if a.source}, key=str.casefold)
        choices = [(self.texts["all_outlets"], ""), *((o, o) for o in outlets)]
        status = self.texts("corpus_status", n=len(articles)) if articles else self.texts["corpus_empty_status"]
        overview = status_html(self.actions.index_status(), self.texts)
        return article_rows(articles, stories), gr.Dropdown(choices=choices), esc(status), overview

    def after_change(self, report: dict | None) -> tuple[str, list[list[Any]], Any, str, str]:
        report = report or {}
        return report_html(report, report.get("titles", {}), self.texts), *self.refresh()

    def toggle_id(self, ids: str, event: gr.SelectData) -> str:
        """Clicking a table row adds its article id to the delete box (clicking again takes it out)."""
        row = event.row_value or []
        if not row:
            return ids
        article_id = str(row[0])
        current = [i for i in (ids or "").replace(",", " ").split() if i]
        current = [i for i in current if i != article_id] if article_id in current else [*current, article_id]
        return " ".join(current)


def build_app(assistant: Assistant, *, language: str = "de", syncer: BackgroundSync | None = None) -> gr.Blocks:
    """The whole app on one Assistant (its store is shared, so the chat sees corpus changes at once). `syncer`:
    the background feed sync of `newsrag chat`, shared with the Korpus tab's "sync now"."""
    texts = Texts(language)
    actions = Actions(assistant, texts)
    view = View(actions, texts)
    feeds = FeedPanel(assistant.store, texts, syncer)
    with gr.Blocks(title=texts["title"], analytics_enabled=False) as app:
        session = gr.State(new_session())
        gr.Markdown(f"## {texts['title']}\n{texts['subtitle']}", elem_id="nr-header")
        with gr.Tabs():
            with gr.Tab(texts["tab_chat"], id="chat"):
                chat = _chat_tab(texts, actions, session)
            with gr.Tab(texts["tab_corpus"], id="corpus"):
                corpus = _corpus_tab(texts, actions, view, assistant.settings)
                feed_parts = feeds_section(feeds, texts)
        corpus_outputs = [corpus["table"], chat["outlet"], chat["status"], corpus["overview"]]
        app.load(view.refresh, outputs=corpus_outputs, api_visibility="private")
        app.load(feeds.rows, outputs=[feed_parts["table"]], api_visibility="private")
        corpus["refresh"].click(view.refresh, outputs=corpus_outputs, api_visibility="private")
        for event in corpus["changes"]:
            event.then(view.after_change, [corpus["report"]], [corpus["result"], *corpus_outputs],
                       api_visibility="private")
        for event in feed_parts["changes"]:
            event.then(view.refresh, outputs=corpus_outputs, api_visibility="private")
        # The background sync adds articles without anyone clicking: the page looks again now and then.
        ticker = gr.Timer(REFRESH_SECONDS)
        ticker.tick(feeds.rows, outputs=[feed_parts["table"]], api_visibility="private")
        ticker.tick(view.refresh, outputs=corpus_outputs, api_visibility="private")
        gr.api(actions.ask, api_name="ask")
        gr.api(actions.articles, api_name="articles")
        gr.api(actions.status, api_name="status")
    return app


def _chat_tab(texts: Texts, actions: Actions, session: gr.State) -> dict[str, Any]:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            chatbot = gr.Chatbot(
                label=texts["chat_label"], elem_id="nr-chat", height=CHAT_HEIGHT,
                placeholder=texts["chat_placeholder"],
                # Messages are HTML built by ui.web_render from escaped text: no Markdown, no LaTeX, no tags
                # of the article's own; copy buttons would copy the escaped source, so there are none.
                render_markdown=False, sanitize_html=True, allow_tags=False, latex_delimiters=[],
                feedback_options=None, buttons=[], group_consecutive_messages=False,
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(show_label=False, placeholder=texts["question_placeholder"], lines=1,
                                      max_lines=4, scale=6, autofocus=True, elem_id="nr-question")
                send = gr.Button(texts["send"], variant="primary", scale=1, min_width=90, elem_id="nr-send")
            with gr.Row(equal_height=True):
                new_chat = gr.Button(texts["new_chat"], size="sm", scale=0, min_width=160, elem_id="nr-new")
                status = gr.Markdown(elem_id="nr-status")
            with gr.Accordion(texts["options"], open=False, elem_id="nr-options"):
                with gr.Row():
                    since = gr.Textbox(label=texts["since"], placeholder="2022-01-01", max_lines=1)
                    until = gr.Textbox(label=texts["until"], placeholder="2022-12-31", max_lines=1)
                    outlet = gr.Dropdown(label=texts["outlet"], choices=[(texts["all_outlets"], "")], value="",
                                         allow_custom_value=True, elem_id="nr-outlet")
                settings = actions.settings
                llm = actions.assistant.llm_available
                with gr.Row():
                    k = gr.Slider(1, 20, value=min(settings.top_k, 20), step=1, label=texts["k"])
                    mode = gr.Radio([(texts["mode_extractive"], "extractive"), (texts["mode_llm"], "llm")],
                                    value=actions.assistant.default_mode, label=texts["mode"], interactive=llm,
                                    elem_id="nr-mode")
                gr.Markdown(esc(texts("llm_on", endpoint=settings.llm_url or "–") if llm else texts["llm_off"]),
                            elem_id="nr-llm-status")
        with gr.Column(scale=2, min_width=340):
            gr.Markdown(f"### {texts['evidence_label']}")
            evidence = gr.HTML(placeholder_html(texts["evidence_empty"]), elem_id="nr-evidence",
                               max_height=CHAT_HEIGHT + 120, padding=False)
    gr.on([question.submit, send.click], actions.respond, [question, session, since, until, outlet, k, mode],
          [question, chatbot, session, evidence], api_visibility="private", concurrency_limit=8,
          concurrency_id="chat")
    for reset in (new_chat.click, chatbot.clear):  # the chat's own trash button starts over too
        reset(actions.new_chat, outputs=[chatbot, session, evidence, question], api_visibility="private")
    chatbot.select(actions.show_turn, [session], [evidence], api_visibility="private")
    # The period chip's ✕ is an option of the last answer (Gradio shows options under the last message only).
    chatbot.option_select(actions.remove_period, [session], [chatbot, session, evidence], api_visibility="private",
                          concurrency_limit=8, concurrency_id="chat")
    return {"outlet": outlet, "status": status}


def _corpus_tab(texts: Texts, actions: Actions, view: View, settings: Settings) -> dict[str, Any]:
    from ingest.load import ACCEPTED

    report = gr.JSON(visible=False)  # the public endpoints' result; the page renders it into `result`
    write = {"concurrency_limit": 1, "concurrency_id": "corpus-write"}  # one writer: the index has one lock
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=360):
            with gr.Tab(texts["add_files"]):
                files = gr.File(label=texts["files_label"], file_count="multiple", type="filepath",
                                file_types=list(ACCEPTED), elem_id="nr-files")
                gr.Markdown(esc(texts("files_help", types=", ".join(ACCEPTED), mb=settings.ui_max_upload_mb)))
                files_outlet = gr.Textbox(label=texts["files_outlet"], max_lines=1)
                upload = gr.Button(texts["upload_button"], variant="primary", elem_id="nr-upload")
            with gr.Tab(texts["add_url"]):
                urls = gr.Textbox(label=texts["url_label"], lines=3, placeholder="https://…")
                urls_outlet = gr.Textbox(label=texts["files_outlet"], max_lines=1)
                fetch = gr.Button(texts["url_button"], variant="primary")
            with gr.Tab(texts["add_text"]):
                title = gr.Textbox(label=texts["paste_title"], max_lines=1, elem_id="nr-paste-title")
                with gr.Row():
                    text_outlet = gr.Textbox(label=texts["paste_outlet"], max_lines=1)
                    published = gr.Textbox(label=texts["paste_date"], max_lines=1)
                url = gr.Textbox(label=texts["paste_url"], max_lines=1)
                text = gr.Textbox(label=texts["paste_text"], lines=8, elem_id="nr-paste-text")
                paste = gr.Button(texts["paste_button"], variant="primary", elem_id="nr-paste")
            gr.Markdown(f"### {texts['result_label']}")
            result = gr.HTML("", elem_id="nr-result")
        with gr.Column(scale=3, min_width=420):
            with gr.Accordion(texts["status_label"], open=True, elem_id="nr-overview"):
                overview = gr.HTML("", elem_id="nr-index-status", padding=False)
            table = gr.Dataframe(headers=[texts[c] for c in ("col_id", "col_title", "col_outlet", "col_date",
                                                             "col_chunks", "col_copy_of")],
                                 datatype=["str", "str", "str", "str", "number", "str"], interactive=False,
                                 wrap=True, label=texts["articles_label"], show_search="search", max_height=520,
                                 column_widths=["20%", "34%", "12%", "11%", "8%", "15%"],
                                 elem_id="nr-articles")
            delete_ids = gr.Textbox(label=texts["delete_ids"], max_lines=2, elem_id="nr-delete-ids")
            with gr.Row():
                delete = gr.Button(texts["delete_button"], variant="stop", elem_id="nr-delete")
                refresh = gr.Button(texts["refresh"])
    changes = [
        upload.click(actions.add_files, [files, files_outlet], [report], api_name="add_files", **write)
        .then(lambda: None, outputs=[files], api_visibility="private"),
        fetch.click(actions.add_urls, [urls, urls_outlet], [report], api_name="add_urls", **write),
        paste.click(actions.add_text, [text, title, text_outlet, published, url], [report], api_name="add_text",
                    **write),
        delete.click(actions.remove_articles, [delete_ids], [report], api_name="remove", **write)
        .then(lambda: "", outputs=[delete_ids], api_visibility="private"),
    ]
    table.select(view.toggle_id, [delete_ids], [delete_ids], api_visibility="private")
    return {"table": table, "report": report, "result": result, "refresh": refresh, "changes": changes,
            "overview": overview}


# --- serving ------------------------------------------------------------------------------------------------
def auth_pairs(value: str | None) -> list[tuple[str, str]] | None:
    """RAG_UI_AUTH: `user:password`, or the path of a file with one `user:password` per line (# comments)."""
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        lines, origin = path.read_text(encoding="utf-8").splitlines(), str(path)
    elif ":" in value:
        lines, origin = [value], "RAG_UI_AUTH"
    else:
        raise ConfigError("RAG_UI_AUTH must be user:password or the path of a file with one user:password per line")
    pairs = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not (sep and user.strip() and password):
            raise ConfigError(f"RAG_UI_AUTH: line {number} of {origin} is not user:password")  # no secrets echoed
        pairs.append((user.strip(), password))
    if not pairs:
        raise ConfigError(f"RAG_UI_AUTH: {origin} holds no user:password line")
    return pairs


def stage_uploads_under_home(settings: Settings) -> Path:
    """Point Gradio's upload staging (GRADIO_TEMP_DIR) under RAG_HOME, so no uploaded byte lands elsewhere.
    Call before `build_app`: Gradio components read it when they are created."""
    stage = staging_dir(settings.home)
    stage.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(stage)
    return stage


def serve(app: gr.Blocks, settings: Settings, *, host: str = "127.0.0.1", port: int | None = 7860,
          share: bool = False, block: bool = True, quiet: bool = False) -> str:
    """Launch `app` with the project's options (auth, upload limit, offline theme); returns the local URL.
    `block=True` waits until Ctrl-C; `block=False` returns at once (tests)."""
    auth = auth_pairs(settings.ui_auth)
    if share and not auth:
        log.warning("--share without RAG_UI_AUTH makes the app and its corpus public")
    app.queue(default_concurrency_limit=4)
    try:
        _, url, _ = app.launch(
            server_name=host, server_port=port, share=share, auth=auth, prevent_thread_lock=not block,
            quiet=quiet, max_file_size=f"{settings.ui_max_upload_mb}mb", theme=THEME, css=CSS + RENDER_CSS,
            footer_links=["api"], show_error=False, ssr_mode=False, enable_monitoring=False, mcp_server=False,
            run_history=False,
        )
    except OSError as exc:  # Gradio's "Cannot find empty port", or an address this machine does not have
        raise ConfigError(f"cannot serve on {host}:{port} ({exc.strerror or 'port in use'}): choose another "
                          "port with --port, or stop what is using it") from None
    return url


def launch(settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           language: str | None = None) -> None:
    """`newsrag chat`: the app on the configured index, served until Ctrl-C."""
    settings = settings or get_settings()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    stage_uploads_under_home(settings)
    assistant = Assistant(settings)
    syncer = BackgroundSync(assistant.store)
    app = build_app(assistant, language=language or settings.ui_language, syncer=syncer)
    if settings.feed_background:
        syncer.start()  # a daemon thread: answers never wait for it, and it ends with the process
    try:
        serve(app, settings, host=host, port=port, share=share, block=True)
    finally:
        syncer.stop()


__all__ = ["auth_pairs", "build_app", "launch", "serve", "stage_uploads_under_home"]
