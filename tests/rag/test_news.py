"""News questions on the dated test corpus (tests/data/news.jsonl, today = 2026-03-16): periods from the
question's time words, days mentioned in articles, copies of one story cited once, timelines, digests, claims.

The expected articles come from tests/data/news_questions.md. Questions go to the real default model (as a user
asks them; "Was geschah …" has no topic word the fake embedder could judge); the store mechanics of story groups
run on both stores with the fake embedder.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

import pytest

from ingest import ingest, remove
from ingest.chunk import chunk_article
from rag import Answer, Assistant, Settings
from rag.errors import ConfigError
from rag.schema import Article
from rag.status import index_status
from tests.fakes import FakeEmbedder

NEWS = Path(__file__).parents[1] / "data" / "news.jsonl"
TODAY = "2026-03-16"
APA = {"standard-2026-02-27-inflation-februar", "kurier-2026-02-27-teuerung-sinkt",
       "sn-2026-02-27-inflation-schnellschaetzung"}
WATER_MAIN = {"kurier-2026-03-02-wasserrohrbruch-guertel", "kurier-2026-03-03-wasserrohrbruch-guertel-update"}
LINE_12 = {"kleinezeitung-2025-10-08-linie12-plaene", "standard-2025-11-14-linie12-protest",
           "orf-2025-12-12-linie12-gemeinderat", "kurier-2026-01-23-linie12-verzoegerung",
           "presse-2026-02-06-linie12-kosten", "kleinezeitung-2026-03-14-linie12-spatenstich"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Assistant:
    """The news corpus under the real default model, shared by the module's questions (none writes)."""
    settings = Settings(home=tmp_path_factory.mktemp("news"), answer_mode="extractive", model_cache=model_cache,
                        today=date.fromisoformat(TODAY))
    assistant = Assistant(settings)
    report = ingest([str(NEWS)], store=assistant.store)
    assert len(report.added) == 24 and not report.failed
    return assistant


@pytest.fixture(params=["embedded", "server"])
def fake_news(request: pytest.FixtureRequest, settings: Settings) -> Assistant:
    """The news corpus with the fake embedder, on an embedded store and on a Chroma server."""
    if request.param == "server":
        settings = settings.model_copy(update={"chroma_url": request.getfixturevalue("chroma_url"),
                                               "collection": "t" + uuid.uuid4().hex[:12]})
    assistant = Assistant(settings.model_copy(update={"today": date.fromisoformat(TODAY)}), embedder=FakeEmbedder())
    assert len(ingest([str(NEWS)], store=assistant.store).added) == 24
    return assistant


def cited(answer: Answer) -> list[str]:
    return [c.article_id for c in answer.citations]


# --- time in questions -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_last_week_restricts_to_that_week_and_says_so(assistant: Assistant) -> None:
    answer = assistant.answer("Was geschah letzte Woche bei der Linie 12?")
    assert answer.period == {"since": "2026-03-09", "until": "2026-03-15", "expression": "letzte Woche"}
    assert answer.answered and cited(answer) == ["kleinezeitung-2026-03-14-linie12-spatenstich"]
    assert "Spatenstich" in answer.text
    assert answer.text.startswith("13.03.2026: ")  # the day of what it quotes ("am Freitag" before the 14th)


@pytest.mark.slow
def test_explicit_dates_win_and_the_period_can_be_switched_off(assistant: Assistant) -> None:
    explicit = assistant.answer("Was geschah letzte Woche bei der Linie 12?", since="2025-10-01", until="2025-10-31")
    assert explicit.period == {"since": "2025-10-01", "until": "2025-10-31", "expression": ""}
    assert cited(explicit) == ["kleinezeitung-2025-10-08-linie12-plaene"]
    ignored = assistant.answer("Was geschah letzte Woche bei der Linie 12?", infer_period=False)
    assert ignored.period is None and len(set(cited(ignored)) & LINE_12) >= 1


@pytest.mark.slow
def test_today_comes_from_the_call_then_the_settings(assistant: Assistant) -> None:
    question = "Was wurde letzte Woche über die Kosten der Straßenbahnlinie 12 berichtet?"
    from_call = assistant.answer(question, today="2026-02-09")
    assert from_call.period is not None and from_call.period["since"] == "2026-02-02"
    assert cited(from_call) == ["presse-2026-02-06-linie12-kosten"]
    from_settings = assistant.answer(question)
    assert from_settings.period is not None and from_settings.period["since"] == "2026-03-09"
    with pytest.raises(ConfigError, match="today must be a date like 2026-03-16"):
        assistant.answer("Was geschah gestern?", today="gestern")


@pytest.mark.slow
def test_an_event_day_finds_the_report_published_days_later(assistant: Assistant) -> None:
    answer = assistant.answer("Was geschah am 3. Februar 2026?")
    assert answer.period == {"since": "2026-02-03", "until": "2026-02-03", "expression": "am 3. Februar 2026"}
    assert answer.answered and cited(answer) == ["presse-2026-02-06-linie12-kosten"]
    assert "Am 3. Februar hatte der Grazer Stadtrechnungshof" in answer.text


@pytest.mark.slow
def test_nothing_in_the_period_names_the_corpus_span_and_when_the_topic_appears(assistant: Assistant) -> None:
    answer = assistant.answer("Wie hoch war die Inflation letzte Woche?")
    notice, _, rest = answer.text.partition("\n\n")
    assert notice.startswith("Im Zeitraum 09.03.2026–15.03.2026 („letzte Woche“) finde ich dazu nichts.")
    assert "vom 08.10.2025 bis 16.03.2026" in notice and "Zum Thema berichten Artikel vom 27.02.2026." in notice
    # then what those other days hold, cited
    assert answer.answered and rest and {c.published for c in answer.citations} == {"2026-02-27"}
    explicit = assistant.answer("Wie hoch war die Inflation?", since="2026-03-09", until="2026-03-15")
    assert not explicit.answered and not explicit.citations and "27.02.2026" in explicit.text


@pytest.mark.slow
def test_newest_first_for_what_is_new(assistant: Assistant) -> None:
    answer = assistant.answer("Was gibt es Neues zur Straßenbahnlinie 12?")
    assert answer.period == {"since": None, "until": None, "expression": "Neues"}
    assert cited(answer)[0] == "kleinezeitung-2026-03-14-linie12-spatenstich"


@pytest.mark.slow
def test_a_question_naming_only_a_period_gets_what_the_period_reports(assistant: Assistant) -> None:
    yesterday = assistant.answer("Was passierte gestern?")
    assert yesterday.answered and cited(yesterday) == ["orf-2026-03-15-staatsmeisterschaft-riesentorlauf"]
    week = assistant.answer("Was geschah letzte Woche?")
    assert set(cited(week)) == {"reuters-2026-03-11-austria-winter-tourism",
                                "kleinezeitung-2026-03-14-linie12-spatenstich",
                                "orf-2026-03-15-staatsmeisterschaft-riesentorlauf"}
    days = re.findall(r"^- (\d\d)\.(\d\d)\.(\d{4}): ", week.text, flags=re.MULTILINE)
    assert len(days) == 3 and days == sorted(days, key=lambda d: (d[2], d[1], d[0]))


@pytest.mark.slow
def test_a_topic_outside_the_period_is_not_replaced_by_a_digest(assistant: Assistant) -> None:
    answer = assistant.answer("Welche Stürme gab es im Oktober?")
    assert answer.text.startswith("Im Zeitraum 01.10.2025–31.10.2025 („im Oktober“) finde ich dazu nichts.")
    assert "Zum Thema berichten Artikel vom 31.01.2026." in answer.text
    assert {c.article_id for c in answer.citations} <= {"sn-2026-01-31-sturm-lisbeth", "orf-2026-01-31-sturm-lisbeth"}
    nowhere = assistant.answer("Wer gewann letzte Woche die Fußball-Meisterschaft?")
    assert not nowhere.answered and not nowhere.citations and "finde ich dazu nichts" in nowhere.text


# --- time in articles ------------------------------------------------------------------------------------------
def test_chunks_keep_the_days_they_mention() -> None:
    article = Article("a", "Linie 12", "Am vergangenen Dienstag hat die Holding Graz den Baustart verschoben. "
                      "Die Eröffnung ist kommende Woche geplant.", published="2026-01-23")
    (chunk,) = chunk_article(article, size=640, overlap=100)
    assert 20260120 in chunk.event_days  # Tuesday before Friday the 23rd
    assert {20260126, 20260201} <= set(chunk.event_days)  # the whole of next week
    assert chunk.metadata(article)["event_days"] == list(chunk.event_days)
    undated = Article("b", "x", "Am vergangenen Dienstag geschah etwas.")
    assert chunk_article(undated, size=640, overlap=100)[0].event_days == ()


# --- one story, many outlets ------------------------------------------------------------------------------------
def test_copies_are_grouped_in_the_store_and_counted(fake_news: Assistant) -> None:
    assistant = fake_news
    stories = assistant.store.stories()
    groups = [{m.id for m in members} for members in stories.values() if len(members) > 1]
    assert sorted(groups, key=len) == [WATER_MAIN, APA]
    storm = {"sn-2026-01-31-sturm-lisbeth", "orf-2026-01-31-sturm-lisbeth"}  # same event, own words
    assert all(not storm <= group for group in groups)
    status = index_status(assistant.store)
    assert (status.story_groups, status.copies) == (2, 3)


@pytest.mark.slow
def test_one_copy_is_cited_and_the_others_are_listed(assistant: Assistant) -> None:
    answer = assistant.answer("Wie hoch war die Inflation im Februar laut Schnellschätzung?", k=8)
    copies = [a for a in cited(answer) if a in APA]
    assert len(copies) == 1
    (citation,) = [c for c in answer.citations if c.article_id in APA]
    assert {copy["article_id"] for copy in citation.also_in} == APA - {citation.article_id}
    assert all(copy["source"] and copy["published"] == "2026-02-27" and copy["url"] for copy in citation.also_in)
    passages = assistant.retrieve("Inflation Februar Schnellschätzung Statistik Austria", k=8).passages
    assert len({p.article_id for p in passages} & APA) == 1


@pytest.mark.slow
def test_the_update_stands_for_its_story(assistant: Assistant) -> None:
    answer = assistant.answer("Bis wann bleibt der Gürtel gesperrt?", infer_period=False)
    assert cited(answer)[0] == "kurier-2026-03-03-wasserrohrbruch-guertel-update"
    assert [c["article_id"] for c in answer.citations[0].also_in] == ["kurier-2026-03-02-wasserrohrbruch-guertel"]


def test_removing_the_representative_promotes_another(fake_news: Assistant) -> None:
    assistant = fake_news
    (first,) = [members[0].id for members in assistant.store.stories().values() if len(members) == 3]
    remove([first], store=assistant.store)
    (members,) = [m for m in assistant.store.stories().values() if {x.id for x in m} & APA]
    assert {m.id for m in members} == APA - {first} and members[0].id != first
    passages = assistant.retrieve("Inflation Februar Schnellschätzung Statistik Austria", k=8).passages
    (passage,) = {p.article_id: p for p in passages if p.article_id in APA}.values()
    assert passage.article_id == members[0].id and len(passage.also_in) == 1


# --- timelines ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_how_a_story_developed_is_a_dated_timeline(assistant: Assistant) -> None:
    answer = assistant.answer("Wie hat sich die Straßenbahnlinie 12 entwickelt?")
    assert answer.answered and answer.text.startswith("Verlauf nach Datum:\n- ")
    lines = answer.text.splitlines()[1:]
    days = [re.match(r"- (\d\d)\.(\d\d)\.(\d{4}): ", line).groups() for line in lines]  # type: ignore[union-attr]
    assert days == sorted(days, key=lambda d: (d[2], d[1], d[0]))
    assert len(lines) >= 4 and set(cited(answer)) <= LINE_12
    assert all(re.search(r"\[\d+\]$", line) for line in lines)


# --- support per sentence ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_extractive_claims_are_quotes_with_their_citations(assistant: Assistant) -> None:
    answer = assistant.answer("Warum wird die Straßenbahnlinie 12 teurer?", infer_period=False)
    assert answer.claims and all(claim.support == 1.0 for claim in answer.claims)
    for claim in answer.claims:
        assert claim.text in answer.text and claim.citations
        for n in claim.citations:
            assert claim.text in answer.citations[n - 1].quote
    data = answer.to_dict()
    assert data["claims"][0] == {"text": answer.claims[0].text, "citations": list(answer.claims[0].citations),
                                 "support": 1.0}
    assert data["period"] is None and "also_in" in data["citations"][0]


@pytest.mark.slow
def test_a_point_two_outlets_report_cites_both(assistant: Assistant) -> None:
    answer = assistant.answer("Wie viele Haushalte waren beim Sturm ohne Strom?", infer_period=False)
    assert {c.source for c in answer.citations} == {"Salzburger Nachrichten", "ORF"}
    assert answer.claims[0].citations == (1, 2) and "8.500" in answer.claims[0].text
    figures = assistant.answer("Wie viele Einsätze hatte die Feuerwehr beim Sturm Lisbeth?", infer_period=False)
    for claim in figures.claims:  # "146 Einsätze" (SN) and "rund 150" (ORF) do not corroborate each other
        assert len(claim.citations) == 1


@pytest.mark.slow
def test_english_questions_get_periods_and_timelines(assistant: Assistant) -> None:
    inflation = assistant.answer("What was Austria's inflation rate in February?")
    assert inflation.period == {"since": "2026-02-01", "until": "2026-02-28", "expression": "in February"}
    assert "2.6%" in inflation.text and inflation.text.startswith("27 Feb 2026: ")
    timeline = assistant.answer("How did the Graz tram line 12 develop?")
    assert timeline.text.startswith("Timeline by date:\n- 07 Oct 2025: ")
    assert len(timeline.citations) >= 4 and set(cited(timeline)) <= LINE_12
