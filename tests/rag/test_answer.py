"""The extractive answerer and the Assistant on the user's sample article (fake embedder, real Chroma)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from ingest import ingest, ingest_articles
from rag import Answer, Article, Assistant, Settings
from rag.answer_types import answer_type_bonus, names_a_later_day
from rag.errors import ConfigError, InputError
from rag.extractive import Signals, candidate_sentences, refers_back, select_sentences, word_score
from rag.periods import AppliedPeriod, apply_period, read_in_the_archive
from rag.retrieve import Passage
from tests.articles import bahn
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbedder


@pytest.fixture
def assistant(settings: Settings) -> Assistant:
    assistant = Assistant(settings, embedder=FakeEmbedder())
    report = ingest([str(SAMPLE)], store=assistant.store)
    assert report.added == ["derstandard-2022-01-21-blinken-lawrow-genf"]
    return assistant


def cited_quotes(answer: Answer) -> str:
    return " ".join(c.quote for c in answer.citations)


def test_moscow_demands_come_back_cited(assistant: Assistant) -> None:
    answer = assistant.answer("Welche Forderungen stellte Moskau?")
    assert answer.answered and answer.mode == "extractive"
    assert "Nato" in answer.text and "Ukraine" in answer.text
    assert "Rumänien und Bulgarien abziehen" in answer.text
    assert "[1]" in answer.text
    # every sentence carries a marker, and every marker leads to a citation holding that sentence
    numbers = {c.n for c in answer.citations}
    assert numbers == set(range(1, len(answer.citations) + 1))
    for citation in answer.citations:
        assert citation.source == "derStandard" and citation.published == "2022-01-21"
        assert citation.title and citation.article_id == "derstandard-2022-01-21-blinken-lawrow-genf"
        for start, end in citation.highlights:
            assert citation.quote[start:end] in answer.text


def test_sentences_are_quoted_verbatim_and_short(assistant: Assistant) -> None:
    answer = assistant.answer("Welche Forderungen stellte Moskau?")
    sentences = [s.strip() for s in answer.text.replace("[1]", "|").replace("[2]", "|").replace("[3]", "|")
                 .split("|") if s.strip()]
    assert 2 <= len(sentences) <= 4
    for sentence in sentences:
        assert sentence in cited_quotes(answer)


def test_where_and_when_the_meeting_was(assistant: Assistant) -> None:
    where = assistant.answer("Wo fand das Treffen zwischen Blinken und Lawrow statt?")
    assert where.answered and "Genf" in where.text
    when = assistant.answer("Wann trafen sich Blinken und Lawrow?")
    assert when.answered and "Freitag" in when.text


def test_an_archive_reads_time_words_from_its_newest_article(assistant: Assistant) -> None:
    """Asked without a day of its own (no `today`, no RAG_TODAY), "am Freitag" counted from today names a day
    after everything the corpus holds: it is counted from the newest article's day instead, and the answer says so.
    Before, the answer began "Im Zeitraum 27.11.2026 („am Freitag“) finde ich dazu nichts." """
    answer = assistant.answer("Was sagte Peskow am Freitag?")
    assert answer.period == {"since": "2022-01-21", "until": "2022-01-21", "expression": "am Freitag"}
    assert answer.answered and "Peskow" in answer.text and "nichts" not in answer.text
    assert answer.notices == ("Der jüngste Artikel ist vom 21.01.2022: Zeitangaben der Frage gelten von diesem Tag "
                              "aus, also 21.01.2022 („am Freitag“).",)
    wednesday = assistant.answer("What did Biden say on Wednesday?")  # the article's "am Mittwoch": 19.01.2022
    assert wednesday.period is not None and wednesday.period["since"] == "2022-01-19"
    assert wednesday.notices and wednesday.notices[0].startswith("The newest article is from 21 Jan 2022")
    given = assistant.answer("Was sagte Peskow am Freitag?", today="2026-11-30")  # a day given is the present
    assert given.period is not None and given.period["since"] == "2026-11-27" and not given.notices
    assert given.text.startswith("Im Zeitraum 27.11.2026 („am Freitag“) finde ich dazu nichts.")


def test_an_article_telling_of_the_period_asked_answers_it(assistant: Assistant) -> None:
    """Nothing was published in 2014 or in February 2022, but the article tells what happened then or what is to
    come: that is the answer, without the excuse that the period holds nothing (which stays when the quoted
    sentence does not tell of the period)."""
    crimea = assistant.answer("Was geschah 2014?")
    assert crimea.answered and crimea.period is not None and crimea.period["since"] == "2014-01-01"
    assert crimea.text.startswith("21.01.2022: 2014 hatten russische Truppen die Krim besetzt")
    february = assistant.answer("Was soll im Februar passieren?")  # the article's "im Februar", read from its day
    assert february.answered and february.period is not None and february.period["since"] == "2022-02-01"
    assert february.text.startswith("21.01.2022: Laut einem Bericht der russischen Nachrichtenagentur RIA soll es "
                                    "im Februar erneut Gespräche")
    lawrow = assistant.answer("Was sagte Lawrow 2021?")
    assert lawrow.answered
    assert lawrow.text.startswith("Im Zeitraum 01.01.2021–31.12.2021 („2021“) finde ich dazu nichts.")


def test_time_words_the_corpus_reaches_keep_their_reading() -> None:
    """Only a period after the newest article is read again, and only one from the question's own words; a
    question without time words never asks for the newest day."""
    asked: list[int] = []

    def newest() -> date:
        asked.append(1)
        return date(2026, 3, 16)

    def scope(question: str, since: str | None = None) -> AppliedPeriod:
        return apply_period(question, since=since, until=None, sources=(), today=date(2026, 3, 16))

    for kept in (scope("Was geschah letzte Woche?"), scope("Was geschah am Montag?"),
                 scope("Wer ist Jen Psaki?"), scope("Was geschah?", since="2027-01-01")):
        assert read_in_the_archive(kept, "", sources=(), newest=newest) is kept
    assert len(asked) == 2  # the two with time words of their own
    later = scope("Was geschah im Dezember?")  # December 2025, before the newest day
    assert read_in_the_archive(later, "Was geschah im Dezember?", sources=(), newest=lambda: date(2025, 1, 31)
                               ).period == {"since": "2024-12-01", "until": "2024-12-31", "expression": "im Dezember"}


def test_a_name_only_the_title_holds_is_named(settings: Settings) -> None:
    """A question's name held by the article's title, not by its text, is named: answered; a name neither holds
    is not, and the answer says which (`rag.names`)."""
    assistant = Assistant(settings, embedder=FakeEmbedder())
    ingest_articles([Article(id="graz-bim", title="Graz verlängert die Straßenbahn nach Reininghaus",
                             text="Die neue Linie 4 fährt ab Herbst alle sieben Minuten. Der Ausbau der "
                                  "Straßenbahn kostete 64 Millionen Euro.", published="2023-09-12")],
                    store=assistant.store)
    graz = assistant.answer("Wie viel kostete der Ausbau der Straßenbahn in Graz?")
    assert graz.answered and "64 Millionen Euro" in graz.text
    linz = assistant.answer("Wie viel kostete der Ausbau der Straßenbahn in Linz?")
    assert not linz.answered and linz.text.endswith("Die Artikel zum Thema nennen „Linz“ nicht.")


def test_one_word_question_about_the_event_is_answered_from_the_lead(assistant: Assistant) -> None:
    # "Treffen" is all the question names; the article mentions other meetings (Kiew, Berlin, the deputies'),
    # but the one it reports is in its opening paragraph.
    answer = assistant.answer("Wo fand das Treffen statt?")
    assert answer.answered and "in Genf" in answer.text.split("[1]")[0]


def test_what_someone_said_prefers_reported_speech() -> None:
    text = ("Blinken reiste am Donnerstag mit einer Delegation nach Genf. "
            "Die Gespräche seien offen gewesen, sagte Blinken am Abend.")
    passage = Passage("c1", "a", "Titel", "Blatt", "2022-01-21", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"blink": 2.0, "reist": 1.0, "gesprach": 1.0}
    travel, speech = candidate_sentences("Was sagte Blinken?", [passage], idf)
    assert speech.score > travel.score
    travel, speech = candidate_sentences("Wohin reiste Blinken?", [passage], idf)
    assert speech.score <= travel.score


def test_answer_adds_what_is_missing_rather_than_repeating_the_topic() -> None:
    """Every sentence names Tesla; one names the partners. Once a Tesla sentence is in, the partner sentence
    adds what the question still misses, so it beats more Tesla sentences."""
    text = ("Tesla baut Autos in Texas. Tesla verkauft Autos in Europa. Tesla wächst in diesem Jahr schnell. "
            "Tesla spart in der Produktion Kosten. Tesla baut in Nevada Batterien. "
            "Als Partner gewann er Lane und Vail.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"tesla": 3.0, "partn": 1.0, "auto": 1.0, "batteri": 1.0}
    chosen = [text[s.start:s.end] for s in select_sentences("Wer waren die Partner von Tesla?", [passage], idf)]
    assert "Als Partner gewann er Lane und Vail." in chosen
    assert sum("Tesla" in sentence for sentence in chosen) < len(chosen)


def test_words_every_sentence_shares_weigh_less() -> None:
    """"Doctor Who" is in every sentence of its article; what is asked ("Herr") decides between them."""
    text = ("Doctor Who lief lange. Doctor Who war auf der Bühne. "
            "Als Herr der Zeit kann sich Doctor Who regenerieren. Doctor Who hat Fans.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"doctor": 3.0, "who": 3.0, "herr": 2.0}
    found = candidate_sentences("Was für ein Herr ist Doctor Who?", [passage], idf)
    best = max(found, key=lambda s: s.score)
    assert text[best.start:best.end].startswith("Als Herr der Zeit")
    topic_only = next(s for s in found if text[s.start:s.end] == "Doctor Who hat Fans.")
    assert sum(share for _, share in topic_only.covers) < (3 + 3) / (3 + 3 + 2)  # less than their IDF share


def test_question_in_other_words_is_answered_by_meaning() -> None:
    """An English question shares no word with the German sentences: words cannot rank them, so the first
    sentences of the best passages are compared by meaning (here a fake similarity), not only the three that
    happen to come first by position bonuses."""
    text = ("Am Freitag trafen sich die Minister in Genf. Das Gespräch dauerte eineinhalb Stunden. "
            "Lawrow sprach danach mit Journalisten. Moskau forderte den Abzug der Truppen aus Rumänien.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"minist": 1.0, "gesprach": 1.0, "moskau": 2.0, "forder": 2.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.0 if "forderte" in s else 6.0 for s in sentences])

    chosen = select_sentences("What did Moscow demand?", [passage], idf, similarity=similarity)
    assert [text[s.start:s.end] for s in chosen] == ["Moskau forderte den Abzug der Truppen aus Rumänien."]


def test_sentence_going_on_with_the_answer_follows_it() -> None:
    """The sentence after the best one carries the answer without a question word ("Das Unternehmen ..."): it
    joins when it lies close to the best by meaning and both together are no further from the question; a
    sentence that changes the subject does not, however the pair reads (fake similarity)."""
    text = ("Tesla gründete 1886 mit Lane und Vail die Firma Tesla Electric Light. "
            "Das Unternehmen installierte Lichtbogenlampen. Doch der Schaden war angerichtet.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"tesla": 2.0, "firma": 2.0, "herstell": 2.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.0 if "Lichtbogen" in s else 6.8 if "Tesla" in s else 5.0 for s in sentences])

    chosen = [text[s.start:s.end] for s in select_sentences("Was stellte Teslas Firma her?", [passage], idf,
                                                              similarity=similarity)]
    assert chosen == ["Tesla gründete 1886 mit Lane und Vail die Firma Tesla Electric Light.",
                      "Das Unternehmen installierte Lichtbogenlampen."]

    text = "Tesla gründete 1886 mit Lane und Vail die Firma Tesla Electric Light. Doch der Schaden war angerichtet."
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    chosen = [text[s.start:s.end] for s in select_sentences("Was stellte Teslas Firma her?", [passage], idf,
                                                              similarity=similarity)]
    assert chosen == ["Tesla gründete 1886 mit Lane und Vail die Firma Tesla Electric Light."]


def test_sentence_giving_what_was_asked_for_follows_the_best() -> None:
    """"Was sagte Liz Truss?": the sentence naming her says nothing; the next one holds her words. It reads far
    from the question alone (no name in it) but joins, since it holds what the best sentence lacks and the pair
    reads closer to the question (fake similarity, the real one's figures)."""
    text = ("Auch die britische Außenministerin Liz Truss schießt scharf gegen Moskau. "
            "Putin solle die Ukraine in Ruhe lassen, sagte die Ministerin am Freitag.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"liz": 2.0, "truss": 2.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([6.87 if "Truss" in s and "Putin" in s else 6.85 if "Truss" in s else 6.43
                         for s in sentences])

    chosen = [text[s.start:s.end] for s in select_sentences("Was sagte Liz Truss?", [passage], idf,
                                                              similarity=similarity)]
    assert chosen == ["Auch die britische Außenministerin Liz Truss schießt scharf gegen Moskau.",
                      "Putin solle die Ukraine in Ruhe lassen, sagte die Ministerin am Freitag."]
    chosen = select_sentences("Was macht Liz Truss?", [passage], idf, similarity=similarity)
    assert len(chosen) == 1  # asked for no statement, the far sentence stays out


def test_what_comes_next_is_a_sentence_naming_a_later_day() -> None:
    """"Wie geht es weiter?" asks for what comes next; its words name no topic, so neither they nor the meaning
    of the question (here a fake similarity preferring the other sentence) decide: a later day than the
    article's does."""
    text = ("Die beiden sollen nach Hause gehen dürfen. "
            "Die USA wollen sich kommende Woche schriftlich melden. "
            "Am Donnerstag sprach Blinken in Berlin.")
    passage = Passage("c1", "a", "Titel", "Blatt", "2022-01-21", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"geh": 2.0, "usa": 1.0, "blink": 1.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([9.0 if "gehen" in s else 6.0 for s in sentences])

    for question in ("Wie geht es weiter?", "What happens next?"):
        chosen = [text[s.start:s.end] for s in select_sentences(question, [passage], idf, similarity=similarity)]
        assert chosen == ["Die USA wollen sich kommende Woche schriftlich melden."]
    assert names_a_later_day("Im Februar soll es erneut Gespräche geben.", date(2022, 1, 21))
    assert not names_a_later_day("Am Donnerstag sprach Blinken in Berlin.", date(2022, 1, 21))
    assert not names_a_later_day("Im Februar soll es erneut Gespräche geben.", None)  # undated: no later day


def test_who_someone_is_comes_from_where_the_article_introduces_them() -> None:
    """News names a person's function at the first mention; later mentions use the name alone. Asked who
    Lawrow is, the introduction leads, though a later sentence is in the better-ranked passage."""
    later = "Schon davor hatten sich die Stellvertreter von Blinken und Sergej Lawrow getroffen."
    lead = "Am Freitag trafen sich Blinken und sein russisches Gegenüber Sergej Lawrow in Genf."
    passages = [Passage("c2", "a", "Titel", "Blatt", "", "", later, 700, 700 + len(later), "", 1.0, ("c2",)),
                Passage("c1", "a", "Titel", "Blatt", "", "", lead, 0, len(lead), "", 0.9, ("c1",))]
    idf = {"serg": 2.0, "lawrow": 2.0, "blink": 1.0, "stellvertret": 2.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.full(len(sentences), 7.0)

    chosen = select_sentences("Wer ist Sergej Lawrow?", passages, idf, similarity=similarity)
    assert passages[chosen[0].passage].text == lead
    chosen = select_sentences("Wer ist der Stellvertreter?", passages, idf, similarity=similarity)
    assert passages[chosen[0].passage].text == later  # a description, not a name: no introduction asked for


def test_sentence_referring_back_to_the_best_follows_it() -> None:
    """"Heute ist dies bekannt als die Miasma-Theorie." alone reads far from the question (fake similarity, the
    real one's figures); its "dies" ties it to the sentence before, and the pair reads closer than the best alone."""
    text = ("Dass die Pest durch schlechte Luft verursacht wurde, wurde zur verbreitetsten Theorie. "
            "Heute ist dies bekannt als die Miasma-Theorie.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"luft": 2.0, "schlecht": 2.0, "theori": 1.0, "bekannt": 1.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.11 if "Pest" in s and "Miasma" in s else 6.98 if "Pest" in s else 6.54
                         for s in sentences])

    chosen = select_sentences("Als was ist die Theorie der schlechten Luft bekannt?", [passage], idf,
                              similarity=similarity)
    assert [text[s.start:s.end] for s in chosen][-1] == "Heute ist dies bekannt als die Miasma-Theorie."
    assert refers_back("Heute ist dies bekannt.") and refers_back("Als solche leistete sie einen Beitrag.")
    assert refers_back("Anschließend komponierte er Musik.")
    assert not refers_back("Doch der Schaden war angerichtet.") and not refers_back("Das ist ein Gespräch.")


def test_every_further_sentence_is_checked_by_meaning() -> None:
    """Five sentences share the question's word; the three best by words are the shortlist. A fourth that
    means something else must not join only because it was never compared (fake similarity)."""
    text = ("Nach eineinhalb Stunden war das Gespräch beendet. Das Gespräch war offen und klar. "
            "Das Gespräch war lang und zäh. Das Gespräch war kühl und knapp. "
            "Im Februar soll es erneut Gespräche geben.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"gesprach": 2.0, "dau": 1.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.0 if "eineinhalb" in s else 5.0 for s in sentences])

    chosen = [text[s.start:s.end] for s in select_sentences("Wie lange dauerte das Gespräch?", [passage], idf,
                                                              similarity=similarity)]
    assert chosen == ["Nach eineinhalb Stunden war das Gespräch beendet."]


def test_the_best_sentence_leads_the_answer() -> None:
    """The answer starts with its best sentence even when a better-ranked passage adds another one."""
    first = "Die Stellvertreter von Blinken und Lawrow hatten sich schon getroffen."
    second = "Danach sagte Lawrow, die USA würden schriftlich antworten."
    passages = [Passage(f"c{n}", f"a{n}", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, (f"c{n}",))
                for n, text in enumerate((first, second))]
    idf = {"lawrow": 2.0, "treff": 2.0, "sag": 1.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.2 if "sagte" in s else 6.95 for s in sentences])

    chosen = select_sentences("Was sagte Lawrow nach dem Treffen?", passages, idf, similarity=similarity)
    assert [passages[s.passage].text for s in chosen] == [second, first]


def test_the_best_sentence_leads_its_own_passage_too() -> None:
    """A further sentence earlier in the same passage follows the best one instead of preceding it, unless it is
    the sentence right before it in the text (the two then read on in order)."""
    text = ("Die Angst vor Krieg wuchs, die USA drohten Russland. Am Freitag trafen sich die Minister in Genf. "
            "Lawrow sagte, die USA würden kommende Woche schriftlich antworten.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"usa": 2.0, "antwort": 1.0, "minist": 1.0}

    def similarity(sentences: list[str]) -> np.ndarray:
        return np.array([7.2 if "antworten" in s else 6.95 for s in sentences])

    chosen = [text[s.start:s.end] for s in select_sentences("Wann wollen die USA antworten?", [passage], idf,
                                                              similarity=similarity)]
    assert chosen[0].startswith("Lawrow sagte") and chosen[1].startswith("Die Angst")

    adjacent = "Die Partei stellte einen Antrag. Darauf reagierte der Kreml ablehnend."
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", adjacent, 0, len(adjacent), "", 1.0, ("c1",))
    chosen = [adjacent[s.start:s.end] for s in select_sentences(
        "Wie reagierte der Kreml auf den Antrag?", [passage], {"kreml": 2.0, "antrag": 2.0, "reagi": 1.0},
        similarity=lambda sentences: np.array([7.2 if "Darauf" in s else 6.95 for s in sentences]))]
    assert chosen == ["Die Partei stellte einen Antrag.", "Darauf reagierte der Kreml ablehnend."]


def test_a_quoted_subheading_is_no_answer() -> None:
    text = 'Das Gespräch sei nicht das Ende des Dialogs gewesen.\n\n"Nicht das Ende des Dialogs"\n\nLawrow sprach.'
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    found = [text[s.start:s.end] for s in candidate_sentences("Ist das das Ende des Dialogs?", [passage],
                                                              {"end": 1.0, "dialog": 2.0})]
    assert '"Nicht das Ende des Dialogs"' not in found
    assert "Das Gespräch sei nicht das Ende des Dialogs gewesen." in found


def test_how_long_asks_for_a_duration(assistant: Assistant) -> None:
    # "Wie lange dauerte" is the question's frame, not its topic: the topic is the talk.
    answer = assistant.answer("Wie lange dauerte das Gespräch?")
    assert answer.answered and "Nach eineinhalb Stunden war das Gespräch" in answer.text


def test_unanswerable_question_cites_nothing(assistant: Assistant) -> None:
    answer = assistant.answer("Wie viele Tore schoss Bayern München gestern?")
    assert not answer.answered and answer.citations == []
    assert "nichts" in answer.text


def test_empty_corpus_says_how_to_add_articles(settings: Settings) -> None:
    answer = Assistant(settings, embedder=FakeEmbedder()).answer("Welche Forderungen stellte Moskau?")
    assert not answer.answered and "newsrag ingest" in answer.text


def test_followup_uses_the_conversation(assistant: Assistant) -> None:
    first = assistant.answer("Welche Forderungen stellte Moskau?")
    follow = assistant.answer("Und was sagte Blinken dazu?", history=[("Welche Forderungen stellte Moskau?",
                                                                       first.text)])
    assert follow.answered and "Blinken" in follow.text
    # Every sentence is about the follow-up's own subject, not only the earlier topic ...
    assert all("Blinken" in s for s in re.split(r" ?\[\d+\] ?", follow.text) if s.strip())
    # ... and the earlier topic still steers which of Blinken's sentences answer.
    assert "Sicherheitsforderungen" in follow.text
    # "Was sagte ...?" asks for statements: each sentence reports speech, none merely names Blinken.
    speech = re.compile(r"sagte|nannte|betonte|versprochen|erklärte|[„\"].{8,}[“\"]")
    assert all(speech.search(s) for s in re.split(r" ?\[\d+\] ?", follow.text) if s.strip())
    assert "Stellvertreter" not in follow.text
    alone = assistant.answer("Und was sagte Blinken dazu?")
    assert follow.citations and follow.text != alone.text


def test_history_in_chat_message_shape(assistant: Assistant) -> None:
    history = [{"role": "user", "content": "Welche Forderungen stellte Moskau?"},
               {"role": "assistant", "content": "…"}]
    assert assistant.answer("Und was sagte Blinken dazu?", history=history).answered


def test_filters_reach_retrieval(assistant: Assistant) -> None:
    ingest_articles([bahn()], store=assistant.store)
    outside = assistant.answer("Welche Forderungen stellte Moskau?", since="2023-01-01")
    assert all(c.article_id == "bahn-preise" for c in outside.citations)
    other_outlet = assistant.answer("Welche Forderungen stellte Moskau?", sources=["Testblatt"])
    assert all(c.source == "Testblatt" for c in other_outlet.citations)


def test_bad_requests_are_clear(assistant: Assistant) -> None:
    with pytest.raises(InputError, match="empty"):
        assistant.answer("   ")
    with pytest.raises(ConfigError, match="RAG_LLM_URL"):
        assistant.answer("Was?", mode="llm")
    with pytest.raises(ConfigError, match="k must be"):
        assistant.answer("Was?", k=0)


def test_stream_yields_text_then_the_answer(assistant: Assistant) -> None:
    parts = list(assistant.stream("Welche Forderungen stellte Moskau?"))
    final = parts[-1]
    assert isinstance(final, Answer) and final.answered
    assert "".join(p for p in parts[:-1] if isinstance(p, str)) == final.text


def test_to_dict_is_the_json_contract(assistant: Assistant) -> None:
    data = assistant.answer("Welche Forderungen stellte Moskau?").to_dict()
    assert {"question", "answer", "answered", "citations"} <= set(data)
    assert set(data["citations"][0]) >= {"n", "article_id", "title", "source", "published", "url", "quote",
                                         "chunk_id", "start", "end", "score"}


@pytest.mark.parametrize(("sentence", "quotes"), [
    ('Selenskyj erinnerte, "die großen Mächte, dass es kein kleines Eindringen gibt.', True),  # runs on
    ('Genauso wenig wie es wenige Opfer gibt."', True),  # the end of a quotation begun before
    ("„Wir bitten Russland erneut, das Richtige zu tun.", True),
    ('Die Zeitung "Times" schrieb das.', False),  # a quoted name is no statement
    ("Die Stellvertreter haben sich getroffen.", False),
])
def test_a_quotation_split_over_sentences_still_reports_speech(sentence: str, quotes: bool) -> None:
    bonus, factor = answer_type_bonus("Was sagte Selenskyj?", sentence)
    assert (bonus > 0) is quotes and (factor == 1.0) is quotes


def test_word_score_combines_the_signals_as_documented() -> None:
    plain = Signals(0, 0, 40, (("blinken", 0.5),), type_bonus=0.12, lead=True)
    assert word_score(plain) == pytest.approx(0.5 + 0.12 + 0.3 + 0.08)  # share, answer type, rank 0, lead
    assert word_score(replace(plain, fragment=True)) == pytest.approx((0.5 + 0.12) / 2 + 0.3 + 0.08)
    lacking = Signals(1, 0, 40, (("blinken", 0.5),), type_factor=0.6, introduces=True)
    assert word_score(lacking) == pytest.approx((0.5 + 0.3 / 2) * 0.6 + 0.12)  # the introduction after the factor
