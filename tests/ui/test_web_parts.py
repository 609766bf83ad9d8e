"""The web app's parts without a server: escaping, highlights, upload checks, auth settings, texts, chat turns."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import ingest
from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import ConfigError
from rag.schema import Answer, Citation, Claim
from rag.store import ArticleInfo
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbedder
from ui.i18n import TEXTS, Texts, resolve_language
from ui.web import auth_pairs
from ui.web_actions import Actions, new_session, safe_filename, uploads_dir
from ui.web_render import (
    also_in_html,
    answer_html,
    article_rows,
    cited_html,
    evidence_html,
    file_size,
    highlight,
    period_chip_html,
    period_removable,
    period_text,
    report_html,
    safe_url,
    status_html,
    surrounding_html,
)

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def citation(**kw: object) -> Citation:
    fields = {"n": 1, "article_id": "a", "title": "Titel", "source": "Blatt", "published": "2022-01-21",
              "url": "https://example.org/a", "quote": "Erster Satz. Zweiter Satz.", "chunk_id": "a:0",
              "start": 0, "end": 26, "score": 0.9, "highlights": ((13, 26),)}
    fields.update(kw)
    return Citation(**fields)  # type: ignore[arg-type]


# --- rendering ---------------------------------------------------------------------------------------------
def test_article_markup_is_escaped_everywhere() -> None:
    c = citation(title=XSS, source=XSS, quote=f"Vorher {XSS} nachher.", highlights=((0, 6),), url="")
    html = evidence_html([c], lambda _id: f"Artikel {XSS} Ende", Texts("de"))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert 'onerror=&quot;window.__xss = 2&quot;' in html


def test_only_http_links_become_clickable() -> None:
    assert safe_url("https://derstandard.at/story/1") == "https://derstandard.at/story/1"
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    html = evidence_html([citation(url="javascript:alert(1)")], lambda _id: None, Texts("de"))
    assert "href" not in html and "javascript:alert(1)" in html


def test_markers_link_to_their_cards_and_unsupported_ones_are_flagged() -> None:
    html = cited_html("Erstens <b>. [1] Zweitens. [?] Drittens [12]")
    assert '<a class="nr-ref" href="#nr-cite-1">[1]</a>' in html and 'href="#nr-cite-12"' in html
    assert '<span class="nr-ref nr-unsupported">[?]</span>' in html and "&lt;b&gt;" in html


def test_highlight_marks_the_used_sentences_and_distrusts_bad_spans() -> None:
    text = "Erster Satz. Zweiter Satz."
    assert highlight(text, [(13, 26)]) == 'Erster Satz. <mark class="nr-hl">Zweiter Satz.</mark>'
    # Overlapping spans merge; spans outside the text are clipped or dropped.
    assert highlight(text, [(0, 8), (5, 12), (40, 50)]) == '<mark class="nr-hl">Erster Satz.</mark> Zweiter Satz.'
    assert highlight("<b>", [(0, 3)]) == '<mark class="nr-hl">&lt;b&gt;</mark>'


def test_surrounding_text_frames_the_passage_even_when_the_span_is_stale() -> None:
    article = "Einleitung. " + "Erster Satz. Zweiter Satz." + " Schluss."
    c = citation(start=0, end=26)  # stale: the quote now sits at 12
    html = surrounding_html(article, c)
    assert html.startswith("Einleitung. <span class=\"nr-passage\">Erster Satz. <mark")
    assert html.endswith("</span> Schluss.")


def test_evidence_card_has_number_title_outlet_date_link_and_context() -> None:
    html = evidence_html([citation(n=2)], lambda _id: "Erster Satz. Zweiter Satz.", Texts("de"))
    for part in ("[2]", "Titel", "Blatt", "2022-01-21", 'href="https://example.org/a"', "<details",
                 '<mark class="nr-hl">Zweiter Satz.</mark>'):
        assert part in html
    missing = evidence_html([citation()], lambda _id: None, Texts("de"))
    assert "nicht mehr im Korpus" in missing


def test_report_lists_each_article_and_failure() -> None:
    report = {"added": ["a"], "unchanged": ["b"], "failed": [{"input": "x<y>.txt", "error": "leer"}]}
    html = report_html(report, {"a": "Alpha", "b": "Beta"}, Texts("de"))
    assert "Alpha" in html and "Beta" in html and "x&lt;y&gt;.txt: leer" in html
    assert "1 hinzugefügt, 0 aktualisiert, 1 unverändert, 1 fehlgeschlagen." in html


# --- uploads -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "safe"), [
    ("bericht.TXT", "bericht.txt"),
    ("../../etc/cron.d/evil.txt", "evil.txt"),
    ("C:\\Users\\x\\..\\a b.csv", "a-b.csv"),
    (".bashrc", "upload.bashrc"),
    ("archiv.tar.json", "archiv-tar.json"),
    ("", "upload"),
])
def test_upload_names_cannot_leave_the_uploads_directory(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


@pytest.fixture
def actions(tmp_path: Path) -> Actions:
    settings = Settings(home=tmp_path / "home", chunk_size=400, chunk_overlap=80, ui_max_upload_mb=1)
    return Actions(Assistant(settings, embedder=FakeEmbedder()), Texts("de"))


def test_upload_type_and_size_are_checked_before_anything_is_written(actions: Actions, tmp_path: Path) -> None:
    exe = tmp_path / "programm.exe"
    exe.write_bytes(b"MZ")
    big = tmp_path / "gross.txt"
    big.write_text("Ein Satz über nichts. " * 60_000, encoding="utf-8")  # ~1.3 MB > 1 MB
    report = actions.add_files([str(exe), str(big)])
    assert report["added"] == []
    assert [f["input"] for f in report["failed"]] == ["programm.exe", "gross.txt"]
    assert ".exe" in report["failed"][0]["error"] and "1 MB" in report["failed"][1]["error"]
    assert not uploads_dir(actions.settings.home).exists() or not any(uploads_dir(actions.settings.home).iterdir())
    assert exe.exists() and big.exists()  # files outside the staging area are never deleted


def test_a_failed_upload_is_named_by_the_users_file_name(actions: Actions, tmp_path: Path) -> None:
    empty = tmp_path / "leer.txt"
    empty.write_text("", encoding="utf-8")
    [failure] = actions.add_files([str(empty)])["failed"]
    assert failure["input"] == "leer.txt" and str(tmp_path) not in failure["error"]


# --- chat turns ---------------------------------------------------------------------------------------------
def test_empty_corpus_chat_says_how_to_add_articles(actions: Actions) -> None:
    *_, (box, messages, session, _panel) = actions.respond("Welche Forderungen stellte Moskau?", new_session(),
                                                         "", "", "", 5, "extractive")
    assert box == "" and "Korpus ist noch leer" in messages[-1]["content"]
    assert session["history"] == []


def test_chat_turn_streams_then_shows_the_evidence_and_remembers_the_turn(actions: Actions) -> None:
    ingest([str(SAMPLE)], store=actions.store)
    turn = actions.respond("Welche Forderungen stellte Moskau?", new_session(), "", "", "", 5, "extractive")
    # Copy what each step showed: the handler updates its message list in place, as Gradio expects.
    steps = [(box, [dict(m) for m in messages], session, panel) for box, messages, session, panel in turn]
    assert len(steps) >= 3  # the question at once, the answer growing, then the evidence
    assert steps[0][1][-1]["content"].endswith("▍")
    _, messages, session, panel = steps[-1]
    final = messages[-1]["content"]
    assert "Rumänien und Bulgarien" in final and 'href="#nr-cite-1">[1]</a>' in final
    assert '<mark class="nr-hl">' in panel and "derStandard" in panel
    assert session["history"] == [["Welche Forderungen stellte Moskau?", session["history"][0][1]]]
    assert len(session["evidence"]) == 1

    *_, (_, messages, session, _) = actions.respond("Und was sagte Blinken dazu?", session, "", "", "", 5,
                                                    "extractive")
    assert len(messages) == 4 and len(session["history"]) == 2


def test_bad_filter_date_is_a_message_not_a_crash(actions: Actions) -> None:
    ingest([str(SAMPLE)], store=actions.store)
    *_, (_, messages, session, _) = actions.respond("Welche Forderungen?", new_session(), "gestern", "", "", 5,
                                                    "extractive")
    assert "JJJJ-MM-TT" in messages[-1]["content"] and session["history"] == []


def test_articles_table_shows_text_cells() -> None:
    class Info:
        id, title, source, published, chunks = "a", XSS, "Blatt", "2022-01-21", 3

    assert article_rows([Info()]) == [["a", XSS, "Blatt", "2022-01-21", 3, ""]]  # type: ignore[list-item]


def info(article_id: str, published: str, source: str = "Blatt", group: str = "") -> ArticleInfo:
    return ArticleInfo(id=article_id, title=f"Titel {article_id}", source=source, url="", published=published,
                       version="v", chunks=2, group=group)


def test_articles_table_lists_copies_under_the_article_that_stands_for_their_story() -> None:
    # Newest first, as Store.articles() gives them; the copies (b2 newer than its representative) move under it.
    a, b1, b2, b3 = (info("a", "2026-03-05"), info("b1", "2026-03-01", "Standard", "b1"),
                     info("b2", "2026-03-04", "Presse", "b1"), info("b3", "2026-03-02", "Kurier", "b1"))
    rows = article_rows([a, b2, b3, b1], {"a": [a], "b1": [b1, b2, b3]})
    assert [(r[0], r[1], r[5]) for r in rows] == [
        ("a", "Titel a", ""), ("b1", "Titel b1", ""), ("b2", "↳ Titel b2", "b1"), ("b3", "↳ Titel b3", "b1")]
    # A copy whose representative is not listed (deleted in between) keeps a row of its own.
    assert [r[0] for r in article_rows([b2], {"b1": [b1, b2]})] == ["b2"]


def test_overview_counts_the_stories_stored_more_than_once(actions: Actions) -> None:
    from dataclasses import replace

    status = actions.index_status()
    assert "<th>Geschichten mehrfach</th><td>keine</td>" in status_html(status, Texts("de"))
    assert "Geschichten mehrfach</th><td>2 (3 Kopien)</td>" in status_html(
        replace(status, story_groups=2, copies=3), Texts("de"))
    assert "<td>1 (1 Kopie)</td>" in status_html(replace(status, story_groups=1, copies=1), Texts("de"))
    assert "Stories stored more than once</th><td>2 (3 copies)</td>" in status_html(
        replace(status, story_groups=2, copies=3), Texts("en"))


def test_overview_tells_whether_the_feeds_are_healthy(actions: Actions) -> None:
    from dataclasses import replace

    from rag.status import FeedsStatus

    status = actions.index_status()
    assert "<th>Feeds</th><td>keine (im Abschnitt „Feeds“ abonnieren" in status_html(status, Texts("de"))
    troubled = replace(status, feeds=FeedsStatus(count=3, due=1, failing=1, last_success="2026-11-30T10:12:00+00:00",
                                                 next_due="2026-11-30T09:45:00+00:00"))
    assert ("<th>Feeds</th><td>3 (1 fällig, 1 mit Fehler: siehe Abschnitt „Feeds“), letzter Erfolg 2026-11-30 "
            "10:12 UTC<br>fällig seit 2026-11-30 09:45 UTC</td>") in status_html(troubled, Texts("de"))
    healthy = replace(status, feeds=FeedsStatus(count=2, due=0, failing=0, last_success="2026-11-30T10:12:00+00:00",
                                                next_due="2026-11-30T10:27:00+00:00"))
    assert ("<th>Feeds</th><td>2, last success 2026-11-30 10:12 UTC<br>next sync due 2026-11-30 10:27 UTC</td>"
            in status_html(healthy, Texts("en")))
    new = replace(status, feeds=FeedsStatus(1, 1, 0, None, "2026-11-30T10:00:00+00:00"))
    assert "1 (1 due), no successful sync yet<br>due since" in status_html(new, Texts("en"))


# --- the period, weak claims and copies of a story ------------------------------------------------------------
WEEK = {"since": "2026-03-09", "until": "2026-03-15", "expression": "letzte Woche"}


@pytest.mark.parametrize(("period", "language", "text"), [
    (WEEK, "de", "09.03.2026–15.03.2026 („letzte Woche“)"),
    ({"since": "2026-03-15", "until": "2026-03-15", "expression": "gestern"}, "de", "15.03.2026 („gestern“)"),
    ({"since": None, "until": None, "expression": "aktuell"}, "de", "neueste zuerst („aktuell“)"),
    ({"since": "2022-01-01", "until": None, "expression": ""}, "de", "ab 01.01.2022"),
    (WEEK, "en", "09 Mar 2026–15 Mar 2026 (“letzte Woche”)"),
    ({"since": None, "until": None, "expression": "latest"}, "en", "newest first (“latest”)"),
    (None, "de", ""),
    ({"since": None, "until": None, "expression": ""}, "de", ""),
])
def test_period_text(period: dict | None, language: str, text: str) -> None:
    assert period_text(period, Texts(language)) == text


def test_the_period_chip_opens_the_answer_and_says_where_it_came_from() -> None:
    answer = Answer("Ein Satz. [1]", True, [citation()], period=WEEK)
    html = answer_html(answer, Texts("de"))
    assert html.startswith('<div class="nr-period"><span class="nr-chip" title="aus der Frage gelesen')
    assert "Zeitraum: 09.03.2026–15.03.2026 („letzte Woche“)</span></div>" in html
    assert period_removable(WEEK) and period_removable({**WEEK, "since": None, "until": None})
    filters = {"since": "2022-01-01", "until": "2022-12-31", "expression": ""}
    assert not period_removable(filters) and not period_removable(None)
    assert 'title="aus den Filtern' in period_chip_html(filters, Texts("de"))
    assert period_chip_html(None, Texts("de")) == "" and "nr-period" not in answer_html(
        Answer("Ein Satz. [1]", True, [citation()]), Texts("de"))
    # The words come from the question: escaped like everything else.
    assert "&lt;b&gt;" in period_chip_html({**WEEK, "expression": "<b>"}, Texts("de"))


def test_weak_claims_are_underlined_with_their_support_and_counted() -> None:
    text = "Erster <Satz>. [1] Zweiter Satz. [2] Erster <Satz>. [1] Geraten. [?]"
    claims = (Claim("Erster <Satz>.", (1,), 1.0), Claim("Zweiter Satz.", (2,), 0.9),
              Claim("Erster <Satz>.", (1,), 0.31), Claim("Geraten.", (), 0.0))
    html = answer_html(Answer(text, True, [citation()], claims=claims), Texts("de"))
    # Only the third sentence (not the first, its twin) and the unsupported one are marked; markers still link.
    assert html.startswith('Erster &lt;Satz&gt;. <a class="nr-ref" href="#nr-cite-1">[1]</a> Zweiter Satz. ')
    assert ('<span class="nr-weak" title="schwach belegt (0.31)">Erster &lt;Satz&gt;.</span> '
            '<a class="nr-ref" href="#nr-cite-1">[1]</a>') in html
    assert ('<span class="nr-weak" title="schwach belegt (0.00)">Geraten.</span> '
            '<span class="nr-ref nr-unsupported">[?]</span>') in html
    assert html.count('class="nr-weak"') == 2 and "nur schwach belegt (2)" in html
    strong = answer_html(Answer(text, True, [citation()], claims=claims[:2]), Texts("en"))
    assert "nr-weak" not in strong and "weakly" not in strong
    # A claim the text does not hold verbatim is not guessed at.
    assert "nr-weak" not in cited_html("Anderer Text. [1]", (Claim("Fehlt.", (1,), 0.1),), Texts("de"))


def test_timeline_steps_are_a_list() -> None:
    text = "Verlauf nach Datum:\n- 03.10.2025: Der Bau begann. [1]\n- 04.11.2025: Die Brücke <steht>. [2]"
    html = cited_html(text, (Claim("Die Brücke <steht>.", (2,), 0.2),), Texts("de"))
    assert html == ('Verlauf nach Datum:<ul class="nr-lines"><li>03.10.2025: Der Bau begann. '
                    '<a class="nr-ref" href="#nr-cite-1">[1]</a></li><li>04.11.2025: <span class="nr-weak" '
                    'title="schwach belegt (0.20)">Die Brücke &lt;steht&gt;.</span> '
                    '<a class="nr-ref" href="#nr-cite-2">[2]</a></li></ul>')
    assert cited_html("Eins.\nZwei.") == "Eins.<br>Zwei."


def test_evidence_card_names_the_other_copies_of_the_story() -> None:
    copies = ({"article_id": "p", "source": "Die Presse", "published": "2026-02-03", "url": "https://diepresse.com/1"},
              {"article_id": "k", "source": "Kurier", "published": "2026-02-03T08:00:00", "url": "javascript:x()"},
              {"article_id": "only-id", "source": "", "published": "", "url": ""},
              {"article_id": "x", "source": XSS, "published": "", "url": ""})
    html = evidence_html([citation(also_in=copies)], lambda _id: None, Texts("de"))
    assert ('<div class="nr-also">auch berichtet von: <a href="https://diepresse.com/1" target="_blank" '
            'rel="noopener noreferrer nofollow">Die Presse (2026-02-03)</a>, Kurier (2026-02-03), only-id, '
            '&lt;script&gt;') in html
    assert "javascript" not in html and "<script" not in html
    assert "nr-also" not in evidence_html([citation()], lambda _id: None, Texts("de"))
    assert also_in_html(copies[:1], Texts("en")).startswith('<div class="nr-also">also reported by: <a')


def test_overview_escapes_outlets_and_speaks_both_languages(actions: Actions) -> None:
    from ingest import ingest_articles
    from rag.schema import Article

    ingest_articles([Article(id="x", title="Titel", text="Ein kurzer Artikel über Graz. Er hat zwei Sätze.",
                             source=XSS, published="2023-05-01"),
                     Article(id="y", title="Ohne", text="Noch ein Artikel über Linz, ohne Datum und Medium.")],
                    store=actions.store)
    status = actions.index_status()
    german = status_html(status, Texts("de"))
    assert "<script>" not in german and "&lt;script&gt;" in german
    assert "(ohne Medium) (1)" in german and "1 ohne Datum" in german and "aktuell" in german
    english = status_html(status, Texts("en"))
    assert "Lexical index" in english and "(no outlet) (1)" in english and "64 dimensions" in english
    assert actions.status()["articles"] == 2


def test_file_sizes_read_as_people_write_them() -> None:
    assert [file_size(n) for n in (0, 1023, 1536, 5 * 2**20, 3 * 2**30)] == ["0 B", "1023 B", "1.5 KiB", "5.0 MiB",
                                                                           "3.0 GiB"]


# --- settings and texts -----------------------------------------------------------------------------------
def test_auth_from_a_pair_or_a_file(tmp_path: Path) -> None:
    assert auth_pairs(None) is None
    assert auth_pairs("anna:geh:eim") == [("anna", "geh:eim")]
    users = tmp_path / "users"
    users.write_text("# Redaktion\nanna:eins\n\nbert:zwei\n", encoding="utf-8")
    assert auth_pairs(str(users)) == [("anna", "eins"), ("bert", "zwei")]


@pytest.mark.parametrize("value", ["nur-ein-wort", ":ohne-namen"])
def test_bad_auth_setting_is_a_config_error_that_echoes_no_secret(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        auth_pairs(value)
    assert "ohne-namen" not in str(caught.value)


def test_every_text_exists_in_both_languages() -> None:
    assert set(TEXTS["de"]) == set(TEXTS["en"])
    assert resolve_language("en-GB") == "en" and resolve_language("fr") == "de"
    assert Texts("en")["tab_corpus"] == "Corpus" and Texts()["tab_corpus"] == "Korpus"


def test_a_busy_port_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    import socket

    from ui.web import build_app, serve

    settings = Settings(home=tmp_path / "home")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = build_app(Assistant(settings, embedder=FakeEmbedder()))
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*--port"):
            serve(app, settings, port=port, block=False, quiet=True)
