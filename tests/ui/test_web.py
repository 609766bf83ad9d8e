"""The web app through `gradio_client`, against the app launched on a free loopback port (fake embedder)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from rag.assistant import Assistant
from tests.fakes import DownChatModel, FakeEmbedder
from tests.ingest.httpserver import Route, serve
from tests.ingest.test_load import html_page
from tests.ui.conftest import RunningApp, running_app
from ui.i18n import Texts
from ui.web_actions import REMOVE_PERIOD, Actions, new_session

SAMPLE_ID = "derstandard-2022-01-21-blinken-lawrow-genf"
CITATION_FIELDS = {"n", "article_id", "title", "source", "published", "url", "quote", "chunk_id", "start", "end",
                   "score"}
BRIDGE = (
    "Neue Donaubrücke in Linz eröffnet\n\n"
    "Die neue Donaubrücke in Linz ist am Montag für den Verkehr freigegeben worden. Der Bau kostete "
    "120 Millionen Euro und dauerte vier Jahre.\n\n"
    "Bürgermeister Klaus Luger sprach von einem Meilenstein für die Stadt. (red, 3.4.2023)\n"
)


def ask(client: Client, question: str, **kwargs: object) -> dict:
    return client.predict(question, api_name="/ask", **kwargs)


def article_ids(client: Client) -> set[str]:
    return {a["id"] for a in client.predict(api_name="/articles")}


# --- the /ask contract -------------------------------------------------------------------------------------------
def test_ask_is_a_named_endpoint_with_documented_parameters(client: Client) -> None:
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/ask", "/articles", "/add_files", "/add_urls", "/add_text", "/remove"} <= set(api)
    names = [p["parameter_name"] for p in api["/ask"]["parameters"]]
    assert names == ["question", "history_json", "since", "until", "source", "k", "mode", "today", "infer_period"]


def test_ask_answers_the_sample_question_with_citations(client: Client) -> None:
    data = ask(client, "Welche Forderungen stellte Moskau?")
    assert {"question", "answer", "answered", "citations"} <= set(data)
    assert data["answered"] is True
    assert "Rumänien und Bulgarien" in data["answer"] and "[1]" in data["answer"]
    citation = data["citations"][0]
    assert set(citation) >= CITATION_FIELDS
    assert citation["article_id"] == SAMPLE_ID and citation["published"] == "2022-01-21"
    assert citation["source"] == "derStandard" and citation["quote"]


def test_ask_follow_up_uses_the_history(client: Client) -> None:
    first = ask(client, "Wo trafen sich Blinken und Lawrow?")
    history = json.dumps([["Wo trafen sich Blinken und Lawrow?", first["answer"]]])
    data = ask(client, "Und was sagte Blinken dazu?", history_json=history)
    assert data["answered"] and data["citations"]
    assert any("Blinken" in c["quote"] for c in data["citations"])


def test_ask_outside_the_date_filter_finds_nothing(client: Client) -> None:
    data = ask(client, "Welche Forderungen stellte Moskau?", since="2023-01-01")
    assert data["answered"] is False and data["citations"] == []


def test_ask_unanswerable_says_so_and_cites_nothing(client: Client) -> None:
    data = ask(client, "Wie hoch ist die Inflation in Japan?")
    assert data["answered"] is False and data["citations"] == []
    assert "nichts" in data["answer"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"since": "21.1.2022"}, "JJJJ-MM-TT"),
    ({"history_json": "{not json"}, "history"),
    ({"mode": "llm"}, "RAG_LLM_URL"),
])
def test_bad_ask_input_gets_a_readable_error(client: Client, kwargs: dict, message: str) -> None:
    with pytest.raises(AppError, match=message):
        ask(client, "Welche Forderungen stellte Moskau?", **kwargs)
    assert ask(client, "Welche Forderungen stellte Moskau?")["answered"]  # the app keeps running


def test_ask_reads_the_period_from_the_question_and_can_ignore_it(client: Client) -> None:
    """The fields of `newsrag ask --json`: period, claims and the citations' also_in; `infer_period=False` is
    `--no-period` (and the chat's ✕ on the period chip)."""
    question = "Welche Forderungen stellte Moskau letzte Woche?"
    data = ask(client, question, today="2022-01-25")
    assert data["period"] == {"since": "2022-01-17", "until": "2022-01-23", "expression": "letzte Woche"}
    assert data["answered"] and data["claims"] and all(0 <= c["support"] <= 1 for c in data["claims"])
    assert all(c["citations"] for c in data["claims"]) and all(c["also_in"] == [] for c in data["citations"])
    without = ask(client, question, today="2022-01-25", infer_period=False)
    assert without["period"] is None and without["answered"]
    later = ask(client, question, today="2023-06-01")  # nothing that week: said first, then what 2022 holds
    assert later["answer"].startswith("Im Zeitraum 22.05.2023–28.05.2023 („letzte Woche“) finde ich dazu nichts.")
    assert later["answered"] and {c["published"] for c in later["citations"]} == {"2022-01-21"}
    with pytest.raises(AppError, match="today"):
        ask(client, question, today="letzten Dienstag")


# --- the period chip in the chat ---------------------------------------------------------------------------
@pytest.fixture
def chat(web: RunningApp) -> Actions:
    """The chat's handlers on the app's index, with time words counted from 2022-01-25 (the sample article is
    from Friday 2022-01-21, so it is "letzte Woche" then)."""
    settings = web.settings.model_copy(update={"today": date(2022, 1, 25)})
    return Actions(Assistant(settings, embedder=FakeEmbedder(), store=web.assistant.store), Texts("de"))


def chip_click(value: str = REMOVE_PERIOD) -> gr.SelectData:
    return gr.SelectData(None, {"index": 0, "value": value})


def test_a_time_word_shows_the_period_chip_and_its_x_asks_again_without_it(chat: Actions) -> None:
    *_, (_, messages, session, _) = chat.respond("Wo trafen sich Blinken und Lawrow?", new_session(), "", "", "",
                                                 5, "extractive")
    first_turn = [dict(m) for m in messages]
    assert "options" not in messages[-1] and "nr-period" not in messages[-1]["content"]

    question = "Welche Forderungen stellte Moskau letzte Woche?"
    *_, (_, messages, session, panel) = chat.respond(question, session, "", "", "", 5, "extractive")
    answer = messages[-1]
    assert "Zeitraum: 17.01.2022–23.01.2022 („letzte Woche“)" in answer["content"]
    assert "21.01.2022: " in answer["content"]  # a period answer dates its sentences
    assert answer["options"] == [{"label": "✕ Zeitraum entfernen", "value": REMOVE_PERIOD}]
    assert len(messages) == 4 and len(session["history"]) == 2 and len(session["evidence"]) == 2

    steps = [([dict(m) for m in msgs], sess, pnl) for msgs, sess, pnl in chat.remove_period(session, chip_click())]
    assert steps[0][0][-1]["content"].endswith("▍")  # the answer is replaced in place, not appended
    messages, session, panel = steps[-1]
    assert len(messages) == 4 and messages[:2] == first_turn and messages[2] == {"role": "user", "content": question}
    again = messages[-1]
    assert "Zeitraum" not in again["content"] and "21.01.2022: " not in again["content"]
    assert "options" not in again and "Moskau" in again["content"] and 'href="#nr-cite-1"' in again["content"]
    assert [q for q, _ in session["history"]] == ["Wo trafen sich Blinken und Lawrow?", question]
    assert len(session["evidence"]) == 2 and panel == session["evidence"][-1] and "nr-cite" in panel


def test_the_chip_x_does_nothing_when_the_last_turn_has_no_answer(chat: Actions) -> None:
    *_, (_, messages, session, _) = chat.respond("Welche Forderungen?", new_session(), "gestern", "", "", 5,
                                                 "extractive")
    assert session["last"] is None
    [(same, unchanged, _)] = list(chat.remove_period(session, chip_click()))
    assert same == messages and unchanged is session
    *_, (_, _, session, _) = chat.respond("Welche Forderungen stellte Moskau letzte Woche?", new_session(), "", "",
                                          "", 5, "extractive")
    [(kept, _, _)] = list(chat.remove_period(session, chip_click("etwas anderes")))
    assert "Zeitraum" in kept[-1]["content"]


def test_explicit_date_filters_show_a_chip_without_the_x(chat: Actions) -> None:
    *_, (_, messages, _, _) = chat.respond("Welche Forderungen stellte Moskau?", new_session(), "2022-01-01",
                                           "2022-01-31", "", 5, "extractive")
    assert "Zeitraum: 01.01.2022–31.01.2022</span>" in messages[-1]["content"]
    assert "options" not in messages[-1]


# --- the index at a glance -------------------------------------------------------------------------------------
def test_status_endpoint_has_the_figures_of_newsrag_status(client: Client) -> None:
    data = client.predict(api_name="/status")
    assert data["articles"] == 1 and data["outlets"] == {"derStandard": 1}
    assert data["earliest"] == data["latest"] == "2022-01-21" and data["chunks"] > 5
    assert data["embedding"]["model"] == "fake-embedder" and data["embedding"]["dimension"] == 64
    assert data["store"] == "embedded" and data["lexical"]["state"] == "fresh"


def test_status_follows_corpus_changes(client: Client) -> None:
    text = BRIDGE.split("\n\n", 1)[1]
    report = client.predict(text, "Brücke eröffnet", "Linzer Blatt", "2023-04-03", "", api_name="/add_text")
    [article_id] = report["added"]
    data = client.predict(api_name="/status")
    assert data["articles"] == 2 and data["outlets"] == {"derStandard": 1, "Linzer Blatt": 1}
    assert (data["earliest"], data["latest"]) == ("2022-01-21", "2023-04-03")
    client.predict(article_id, api_name="/remove")
    assert client.predict(api_name="/status")["articles"] == 1


def test_corpus_tab_shows_the_overview(web: RunningApp) -> None:
    """The Korpus tab's overview is what the page loads (`View.refresh`, run on page load and after changes)."""
    from ui.i18n import Texts
    from ui.web import View
    from ui.web_actions import Actions

    rows, _, line, overview = View(Actions(web.assistant, Texts("de")), Texts("de")).refresh()
    assert len(rows) == 1 and "1 Artikel" in line
    for expected in ("Artikel", "derStandard (1)", "2022-01-21 – 2022-01-21", "fake-embedder",
                     "64 Dimensionen", "aktuell", str(web.settings.home / "chroma"), "<th>Feeds</th><td>keine"):
        assert expected in overview


def test_copies_of_a_story_are_grouped_in_the_corpus_tab_and_cited_once(client: Client, web: RunningApp) -> None:
    from ui.web import View

    text = BRIDGE.split("\n\n", 1)[1]
    [original] = client.predict(text, "Brücke eröffnet", "Linzer Blatt", "2023-04-03", "https://linz.example/b",
                                api_name="/add_text")["added"]
    [copy] = client.predict(text, "Linz hat eine neue Brücke", "Kurier", "2023-04-04", "https://kurier.example/b",
                            api_name="/add_text")["added"]
    try:
        listed = {a["id"]: a["copy_of"] for a in client.predict(api_name="/articles")}
        assert listed[copy] == original and listed[original] is None and listed[SAMPLE_ID] is None
        assert (client.predict(api_name="/status")["story_groups"], client.predict(api_name="/status")["copies"]) \
            == (1, 1)
        rows, _, _, overview = View(Actions(web.assistant, Texts("de")), Texts("de")).refresh()
        at = [r[0] for r in rows].index(original)
        assert rows[at + 1] == [copy, "↳ Linz hat eine neue Brücke", "Kurier", "2023-04-04", rows[at + 1][4],
                                original]
        assert "Geschichten mehrfach</th><td>1 (1 Kopie)</td>" in overview

        data = ask(client, "Wie viel kostete die Donaubrücke in Linz?")
        assert [c["article_id"] for c in data["citations"]] == [original]
        assert data["citations"][0]["also_in"] == [{"article_id": copy, "source": "Kurier",
                                                    "published": "2023-04-04", "url": "https://kurier.example/b"}]
        panel = Actions(web.assistant, Texts("de")).evidence(
            web.assistant.answer("Wie viel kostete die Donaubrücke in Linz?").citations)
        assert ('auch berichtet von: <a href="https://kurier.example/b" target="_blank" '
                'rel="noopener noreferrer nofollow">Kurier (2023-04-04)</a>') in panel
    finally:
        client.predict(f"{original} {copy}", api_name="/remove")


# --- corpus changes ----------------------------------------------------------------------------------------
def test_upload_then_ask_then_delete(client: Client, web: RunningApp, tmp_path: Path) -> None:
    path = tmp_path / "donaubrücke linz.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    report = client.predict([handle_file(str(path))], "Testblatt", api_name="/add_files")
    assert report["failed"] == [] and len(report["added"]) == 1
    [article_id] = report["added"]
    assert report["titles"][article_id] == "Neue Donaubrücke in Linz eröffnet"

    data = ask(client, "Wie viel kostete die Donaubrücke in Linz?")
    assert data["answered"] and "120 Millionen Euro" in data["answer"]
    assert data["citations"][0]["article_id"] == article_id and data["citations"][0]["source"] == "Testblatt"

    again = client.predict([handle_file(str(path))], "Testblatt", api_name="/add_files")
    assert again["unchanged"] == [article_id] and again["added"] == []

    removed = client.predict(article_id, api_name="/remove")
    assert removed["removed"] == [article_id] and removed["failed"] == []
    assert article_id not in article_ids(client)
    gone = ask(client, "Wie viel kostete die Donaubrücke in Linz?")
    assert gone["answered"] is False and all(c["article_id"] != article_id for c in gone["citations"])

    # The upload was copied under RAG_HOME only, with a safe name, and Gradio's staged copy is gone (its
    # multipart parser leaves empty temp files behind; no byte of the upload stays in the staging area).
    uploads = web.settings.home / "uploads"
    assert [p.name for p in uploads.iterdir() if p.is_file()] == ["donaubrücke-linz.txt"]
    assert not [p for p in (uploads / ".incoming").rglob("*") if p.is_file() and p.stat().st_size]


def test_upload_of_a_disallowed_type_is_refused(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "tool.exe"
    path.write_bytes(b"MZ\x90\x00binary")
    before = article_ids(client)
    # Gradio's own allowlist (file_types) refuses it before our handler, which checks again (tested below).
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict([handle_file(str(path))], "", api_name="/add_files")
    assert article_ids(client) == before


def test_bad_upload_content_fails_with_its_reason_and_keeps_the_corpus(client: Client, tmp_path: Path) -> None:
    empty = tmp_path / "leer.txt"
    empty.write_text("   \n", encoding="utf-8")
    binary = tmp_path / "kaputt.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    before = article_ids(client)
    report = client.predict([handle_file(str(empty)), handle_file(str(binary))], "", api_name="/add_files")
    assert [f["input"] for f in report["failed"]] == ["leer.txt", "kaputt.txt"]
    assert all(f["error"] for f in report["failed"])
    assert article_ids(client) == before
    assert ask(client, "Welche Forderungen stellte Moskau?")["answered"]


def test_pasted_text_is_indexed_and_validated(client: Client) -> None:
    text = BRIDGE.split("\n\n", 1)[1]
    report = client.predict(text, "Brücke eröffnet", "Linzer Blatt", "2023-04-03", "", api_name="/add_text")
    assert report["failed"] == [] and len(report["added"]) == 1
    [article_id] = report["added"]
    [info] = [a for a in client.predict(api_name="/articles") if a["id"] == article_id]
    assert (info["title"], info["source"], info["published"]) == ("Brücke eröffnet", "Linzer Blatt", "2023-04-03")
    assert ask(client, "Wer sprach von einem Meilenstein?", source="Linzer Blatt")["answered"]

    no_title = client.predict(text, "", "", "", "", api_name="/add_text")
    bad_date = client.predict(text, "Titel", "", "gestern", "", api_name="/add_text")
    assert no_title["failed"] and no_title["added"] == [] and "Titel" in no_title["failed"][0]["error"]
    assert bad_date["failed"] and "gestern" in bad_date["failed"][0]["error"]
    client.predict(article_id, api_name="/remove")


def test_urls_are_fetched_and_local_paths_refused(client: Client) -> None:
    with serve() as server:
        url = server.add("/linz/bruecke.html", Route(html_page().encode("utf-8")))
        report = client.predict(f"{url}\n/etc/passwd\nfile:///etc/passwd", "", api_name="/add_urls")
    assert len(report["added"]) == 1
    assert [f["input"] for f in report["failed"]] == ["/etc/passwd", "file:///etc/passwd"]
    assert all("http" in f["error"] for f in report["failed"])
    client.predict(report["added"][0], api_name="/remove")


def test_unreachable_url_and_unknown_ids_are_reported(client: Client) -> None:
    with serve() as server:
        missing = server.url("/gibt-es-nicht.html")
        report = client.predict(missing, "", api_name="/add_urls")
    assert report["added"] == [] and report["failed"][0]["input"] == missing
    removed = client.predict("kein-solcher-artikel", api_name="/remove")
    assert removed["removed"] == [] and "kein-solcher-artikel" in removed["failed"][0]["error"]
    assert SAMPLE_ID in article_ids(client)


# --- other app configurations --------------------------------------------------------------------------------
def test_empty_corpus_ask_explains_how_to_add_articles(tmp_path: Path) -> None:
    with running_app(tmp_path / "home", corpus=False) as app:
        data = ask(Client(app.url, verbose=False), "Welche Forderungen stellte Moskau?")
    assert data["answered"] is False and data["citations"] == []
    assert "newsrag ingest" in data["answer"]


def test_llm_endpoint_down_gives_the_extractive_answer_with_a_notice(tmp_path: Path) -> None:
    with running_app(tmp_path / "home", chat_model=DownChatModel()) as app:
        data = ask(Client(app.url, verbose=False), "Welche Forderungen stellte Moskau?", mode="llm")
    assert data["answered"] and data["mode"] == "extractive" and data["citations"]
    assert data["notices"] and "Sprachmodell" in data["notices"][0]


def test_auth_is_required_when_configured(tmp_path: Path) -> None:
    with running_app(tmp_path / "home", ui_auth="anna:geheim") as app:
        with pytest.raises(Exception):  # noqa: B017 (gradio_client raises different types per version)
            Client(app.url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(app.url, auth=("anna", "falsch"), verbose=False)
        data = ask(Client(app.url, auth=("anna", "geheim"), verbose=False), "Welche Forderungen stellte Moskau?")
    assert data["answered"]


def test_concurrent_api_calls_get_their_own_answers(web: RunningApp) -> None:
    """8 client threads, 48 questions through /ask: no errors, every answer belongs to its question."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    expected = {
        "Welche Forderungen stellte Moskau?": "Rumänien",
        "Wo trafen sich Blinken und Lawrow?": "Genf",
        "Wie hoch ist die Inflation in Japan?": None,
    }
    local = threading.local()

    def ask_one(question: str) -> tuple[str, dict]:
        if getattr(local, "client", None) is None:
            local.client = Client(web.url, verbose=False)
        return question, ask(local.client, question)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask_one, [list(expected)[i % 3] for i in range(48)]))
    assert len(results) == 48
    for question, data in results:
        assert data["question"] == question
        word = expected[question]
        assert data["answered"] is (word is not None)
        assert word is None or any(word in c["quote"] for c in data["citations"])


# --- feeds in the Korpus tab -----------------------------------------------------------------------------------
def test_feeds_are_added_synced_listed_and_removed(client: Client, web: RunningApp) -> None:
    from tests.ingest.test_sync import feed_route, page
    from ui.web_feeds import FeedPanel

    refused = client.predict("file:///etc/passwd", "", "", api_name="/add_feed")
    assert refused["ok"] is False and "not a feed URL" in refused["message"]
    with serve() as server:
        good = server.add("/linz.html", Route(page("Linz baut eine neue Brücke")))
        missing = server.url("/weg.html")
        feed = server.add("/feed.xml", feed_route([(good, "Brücke"), (missing, "Weg")], "v1"))
        assert client.predict(feed, "Linzer Blatt", "5m", api_name="/add_feed")["ok"] is True
        synced = client.predict(True, api_name="/sync")
    assert (synced["feeds"], synced["added"], synced["busy"]) == (1, 1, False)
    assert synced["failed"] == [{"input": missing, "error": "HTTP 404 Not Found"}]
    [listed] = client.predict(api_name="/feeds")
    assert listed["url"] == feed and listed["every"] == "5m" and listed["articles"] == 1
    assert "404" in listed["last_error"]
    feeds = client.predict(api_name="/status")["feeds"]  # the overview: one feed, synced just now, with an error
    assert (feeds["count"], feeds["due"], feeds["failing"]) == (1, 0, 1)
    assert feeds["last_success"] == listed["last_success"] and feeds["next_due"] > listed["last_attempt"]
    # The Korpus tab's table, as the page loads it, shows the state and the error.
    [row] = FeedPanel(web.assistant.store, Texts("de")).rows()
    assert row[0] == feed and row[1] == "Linzer Blatt" and row[5] == 1 and "404" in row[6]
    from ui.web import View

    overview = View(Actions(web.assistant, Texts("de")), Texts("de")).refresh()[3]
    assert "<th>Feeds</th><td>1 (1 mit Fehler: siehe Abschnitt „Feeds“), letzter Erfolg " in overview
    added = [a["id"] for a in client.predict(api_name="/articles") if a["source"] == "Linzer Blatt"]
    assert len(added) == 1
    answer = ask(client, "Welche Ausnahmen fordert die Wirtschaftskammer?")
    assert answer["citations"][0]["article_id"] == added[0]  # no restart needed
    removed = client.predict(feed, api_name="/remove_feed")
    assert removed["ok"] is True and client.predict(api_name="/feeds") == []
    assert added[0] in article_ids(client)  # the feed's articles stay
    client.predict(added[0], api_name="/remove")


def test_sync_now_says_so_when_a_sync_is_running(web: RunningApp) -> None:
    from rag.feeds import FeedBook
    from ui.web_feeds import FeedPanel

    panel = FeedPanel(web.assistant.store, Texts("en"))
    with FeedBook(web.settings).sync_lock():  # e.g. a `newsrag sync` from cron
        result = panel.sync()
    assert result["busy"] is True and "already running" in panel.message_html(result)
