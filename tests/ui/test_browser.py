"""The web app in a real browser: Debian's headless Chromium driven by Playwright (never `playwright install`).

`make test` installs the `chromium` package when it is missing; without it these tests skip with the reason.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from playwright.sync_api import expect

from ingest import ingest_articles
from rag.schema import Article
from tests.fakes import ScriptedChatModel, passages_in
from tests.ui.conftest import RunningApp, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]
TIMEOUT_MS = 20_000
XSS_TITLE = 'Kurioses <img src=x onerror="window.__xss = 1"> aus Graz'
XSS_TEXT = (
    "Die Stadt Graz testet einen Roboter für die Müllabfuhr. <script>window.__xss = 2</script> Der Roboter "
    "heißt <b onmouseover=\"window.__xss = 3\">Grazl</b> und fährt seit Mai durch die Innenstadt.\n\n"
    "Die Testphase dauert ein Jahr und kostet 80.000 Euro."
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("no system Chromium: install Debian's `chromium` package (`make test` does it as root)")
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="de-AT")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def ask_in_page(page: Any, url: str, question: str) -> None:
    page.goto(url)
    box = page.locator("#nr-question textarea")
    box.fill(question)
    box.press("Enter")


def last_answer(page: Any) -> Any:
    return page.locator("#nr-chat .message.bot, #nr-chat [data-testid='bot']").last


def test_sample_question_gets_a_cited_answer_with_highlighted_evidence(web: RunningApp, page: Any,
                                                                       tmp_path: Path) -> None:
    ask_in_page(page, web.url, "Welche Forderungen stellte Moskau?")
    answer = last_answer(page)
    answer.filter(has_text="Rumänien und Bulgarien").wait_for()
    assert re.search(r"\[1\]", answer.inner_text())

    evidence = page.locator("#nr-evidence")
    evidence.locator("section.nr-cite").first.wait_for()
    first = evidence.locator("section.nr-cite").first
    assert "derStandard" in first.inner_text() and "2022-01-21" in first.inner_text()
    marks = evidence.locator("mark.nr-hl")
    assert marks.count() >= 1 and marks.first.is_visible()
    assert any("Rumänien" in m for m in marks.all_inner_texts())

    # Expanding a source shows the surrounding article text.
    context = first.locator("details.nr-context")
    context.locator("summary").click()
    article = context.locator(".nr-article")
    article.wait_for(state="visible")
    assert len(article.inner_text()) > len(first.locator(".nr-quote").inner_text())

    # A marker in the answer leads to its evidence card.
    last = evidence.locator("section.nr-cite").last
    number = last.get_attribute("data-n")
    answer.locator(f"a.nr-ref[href='#nr-cite-{number}']").first.click()
    page.wait_for_function(
        """n => { const card = document.getElementById('nr-cite-' + n), box = card.getBoundingClientRect();
                  const panel = document.getElementById('nr-evidence').getBoundingClientRect();
                  return box.top >= panel.top - 1 && box.top < panel.bottom; }""", arg=number)

    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_new_conversation_clears_the_chat_and_the_evidence(web: RunningApp, page: Any) -> None:
    ask_in_page(page, web.url, "Welche Forderungen stellte Moskau?")
    last_answer(page).filter(has_text="Rumänien").wait_for()
    page.locator("#nr-new").click()
    page.locator("#nr-evidence section.nr-cite").first.wait_for(state="detached")
    assert "Rumänien" not in page.locator("#nr-chat").inner_text()


def test_corpus_tab_lists_the_indexed_article(web: RunningApp, page: Any) -> None:
    page.goto(web.url)
    page.get_by_role("tab", name="Korpus").click()
    table = page.locator("#nr-articles")
    expect(table).to_contain_text("Die Angst vor einem Krieg")
    expect(table).to_contain_text("derStandard")
    expect(table).to_contain_text("2022-01-21")
    overview = page.locator("#nr-index-status")  # the figures of `newsrag status`
    expect(overview).to_contain_text("derStandard (1)")
    expect(overview).to_contain_text("Volltextindex")


def test_uploaded_article_is_answered_at_once(tmp_path: Path, page: Any) -> None:
    article = tmp_path / "graz-bim.txt"
    article.write_text("Graz verlängert die Straßenbahn nach Reininghaus\n\nDie neue Linie 4 fährt ab Herbst "
                       "alle sieben Minuten. Der Ausbau kostete 64 Millionen Euro. (red, 12.9.2023)\n",
                       encoding="utf-8")
    with running_app(tmp_path / "home", corpus=False) as app:
        page.goto(app.url)
        page.get_by_role("tab", name="Korpus").click()
        page.locator("#nr-files input[type=file]").set_input_files(str(article))
        page.locator("#nr-upload").click()
        expect(page.locator("#nr-result")).to_contain_text("hinzugefügt")
        expect(page.locator("#nr-result")).to_contain_text("Graz verlängert die Straßenbahn")
        expect(page.locator("#nr-articles")).to_contain_text("2023-09-12")
        page.get_by_role("tab", name="Chat").click()
        box = page.locator("#nr-question textarea")
        box.fill("Wie viel kostete der Ausbau der Straßenbahn in Graz?")
        box.press("Enter")
        last_answer(page).filter(has_text="64 Millionen Euro").wait_for()
        expect(page.locator("#nr-evidence")).to_contain_text("Graz verlängert die Straßenbahn")
        assert (app.settings.home / "uploads" / "graz-bim.txt").exists()


def test_article_markup_is_shown_as_text_and_runs_nothing(tmp_path: Path, page: Any) -> None:
    with running_app(tmp_path / "home", corpus=False) as app:
        article = Article(id="graz-roboter", title=XSS_TITLE, text=XSS_TEXT, source="<i>Grazer</i> Blatt",
                          published="2023-05-02", url="javascript:window.__xss = 4")
        ingest_articles([article], store=app.assistant.store)
        ask_in_page(page, app.url, "Wie heißt der Roboter in Graz?")
        last_answer(page).filter(has_text="Grazl").wait_for()
        evidence = page.locator("#nr-evidence")
        evidence.locator("section.nr-cite").first.wait_for()
        evidence.locator("summary").first.click()
        time.sleep(0.5)  # give any injected handler a chance to run
        text = evidence.inner_text()
        assert "<script>window.__xss = 2</script>" in text or "<b onmouseover" in text
        assert 'onerror="window.__xss = 1"' in text and "<i>Grazer</i> Blatt" in text
        assert evidence.locator("script, img, b, i, a[href^='javascript']").count() == 0
        page.get_by_role("tab", name="Korpus").click()
        expect(page.locator("#nr-articles")).to_contain_text('onerror="window.__xss = 1"')
        assert page.locator("#nr-articles img").count() == 0
        assert page.evaluate("window.__xss") is None and page.dialogs == []


def test_period_chip_shows_and_its_x_asks_again_without_the_period(tmp_path: Path, page: Any) -> None:
    """Time words restrict the answer and show as a chip; its ✕ replaces the answer by one without the period.
    A copy of the sample under another outlet is named on the evidence card, not cited."""
    with running_app(tmp_path / "home", today="2022-01-25") as app:
        store = app.assistant.store
        [sample] = store.articles()
        ingest_articles([Article(id="presse-kopie", title="Angst vor Krieg", text=store.article_text(sample.id),
                                 source="Die Presse", published="2022-01-21", url="https://diepresse.example/genf")],
                        store=store)
        ask_in_page(page, app.url, "Welche Forderungen stellte Moskau letzte Woche?")
        answer = last_answer(page)
        chip = answer.locator(".nr-chip")
        expect(chip).to_have_text("Zeitraum: 17.01.2022–23.01.2022 („letzte Woche“)")
        expect(chip).to_be_visible()
        remove = page.locator("#nr-chat button.option")
        expect(remove).to_have_text("✕ Zeitraum entfernen")
        expect(answer).to_contain_text("21.01.2022: ")  # answers for a period date their sentences
        also = page.locator("#nr-evidence .nr-also").first
        expect(also).to_have_text("auch berichtet von: Die Presse (2022-01-21)")
        assert also.locator("a").get_attribute("href") == "https://diepresse.example/genf"
        outlets = page.locator("#nr-evidence .nr-meta").all_inner_texts()
        assert outlets and all("derStandard" in o and "Presse" not in o for o in outlets)  # never cited apart

        remove.click()
        expect(page.locator("#nr-chat .nr-chip")).to_have_count(0)
        expect(last_answer(page)).not_to_contain_text("▍")
        expect(last_answer(page).locator("a.nr-ref").first).to_be_visible()
        expect(remove).to_have_count(0)
        expect(last_answer(page)).not_to_contain_text("21.01.2022: ")
        expect(page.locator("#nr-chat .message.user")).to_have_count(1)  # replaced, not appended
        expect(page.locator("#nr-evidence section.nr-cite").first).to_be_visible()


def test_timeline_steps_show_as_a_list(tmp_path: Path, page: Any) -> None:
    with running_app(tmp_path / "home", corpus=False) as app:
        ingest_articles([
            Article(id="bau", title="Baustart", text="Der Bau der Donaubrücke in Linz begann am Montag. Die Kosten "
                    "liegen bei 120 Millionen Euro.", source="Linzer Blatt", published="2021-03-01"),
            Article(id="offen", title="Eröffnung", text="Die Donaubrücke in Linz ist eröffnet worden. Der Bau "
                    "dauerte vier Jahre.", source="Kurier", published="2025-03-01"),
        ], store=app.assistant.store)
        ask_in_page(page, app.url, "Wie hat sich die Donaubrücke in Linz entwickelt?")
        steps = last_answer(page).locator("ul.nr-lines li")
        expect(steps).to_have_count(2)
        expect(steps.first).to_contain_text("01.03.2021: Der Bau der Donaubrücke in Linz begann am Montag. [1]")
        expect(steps.last).to_contain_text("01.03.2025: Die Donaubrücke in Linz ist eröffnet worden. [2]")
        expect(last_answer(page)).to_contain_text("Verlauf nach Datum:")


def _quote_then_invent(messages: list[BaseMessage]) -> str:
    return _quote_first_passage(messages) + " Der Mond besteht aus grünem Käse und wird in Graz verkauft. [1]"


def test_weakly_supported_sentence_is_underlined_with_its_support(tmp_path: Path, page: Any) -> None:
    with running_app(tmp_path / "home", chat_model=ScriptedChatModel(reply=_quote_then_invent)) as app:
        ask_in_page(page, app.url, "Welche Forderungen stellte Moskau?")
        weak = last_answer(page).locator("span.nr-weak")
        expect(weak).to_have_text("Der Mond besteht aus grünem Käse und wird in Graz verkauft.")
        assert weak.get_attribute("title") == "schwach belegt (0.00)"
        assert "dotted" in weak.evaluate("el => getComputedStyle(el).textDecorationStyle")
        expect(last_answer(page)).to_contain_text("nur schwach belegt (1)")
        expect(last_answer(page).locator("a.nr-ref").first).to_be_visible()  # the first sentence stays linked


class SlowScriptedChatModel(ScriptedChatModel):
    """Streams word by word with a pause, so the browser can see the answer grow."""

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*", self.reply(messages)):
            time.sleep(0.12)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def _quote_first_passage(messages: list[BaseMessage]) -> str:
    passage = passages_in(messages)[0]
    sentence = re.split(r"(?<=[.!?])\s+", passage.strip())[0]
    return f"{sentence} [1]"


def test_llm_answers_stream_into_the_chat(tmp_path: Path, page: Any) -> None:
    model = SlowScriptedChatModel(reply=_quote_first_passage)
    with running_app(tmp_path / "home", chat_model=model) as app:
        ask_in_page(page, app.url, "Welche Forderungen stellte Moskau?")
        answer = last_answer(page)
        answer.filter(has_text="▍").wait_for()  # still streaming: the cursor is showing
        partial = answer.inner_text()
        answer.filter(has_text="[1]").wait_for()
        page.locator("#nr-evidence section.nr-cite").first.wait_for()
        final = answer.inner_text()
        assert "▍" not in final and len(final) > len(partial.replace("▍", "").strip())
        assert page.locator("#nr-evidence mark.nr-hl").count() >= 1


def test_feed_is_subscribed_and_synced_in_the_corpus_tab(tmp_path: Path, page: Any) -> None:
    from tests.ingest.httpserver import Route, serve
    from tests.ingest.test_sync import feed_route
    from tests.ingest.test_sync import page as article_page

    with serve() as server, running_app(tmp_path / "home", corpus=False, feed_host_delay=0.0) as app:
        good = server.add("/linz.html", Route(article_page("Linz baut eine neue Brücke")))
        missing = server.url("/weg.html")
        feed = server.add("/feed.xml", feed_route([(good, "Brücke"), (missing, "Weg")], "v1"))
        page.goto(app.url)
        page.get_by_role("tab", name="Korpus").click()
        page.locator("#nr-feed-url input").fill(feed)
        page.locator("#nr-feed-add").click()
        expect(page.locator("#nr-feed-result")).to_contain_text("abonniert")
        expect(page.locator("#nr-feed-table")).to_contain_text(feed)
        page.locator("#nr-feed-sync").click()
        expect(page.locator("#nr-feed-result")).to_contain_text("1 hinzugefügt")
        expect(page.locator("#nr-feed-result")).to_contain_text("HTTP 404")
        expect(page.locator("#nr-feed-table")).to_contain_text("HTTP 404")
        expect(page.locator("#nr-articles")).to_contain_text("Linz baut eine neue Brücke")
