"""The question's language (py3langid): what the assistant's messages and the LLM's answers are written in."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import BaseMessage

from ingest import ingest
from rag import Assistant, Settings
from rag.language import LANGUAGES, detect_language, detector, language_name, question_words
from rag.llm import LLMClient
from rag.messages import MESSAGES
from rag.retrieve import Passage
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbedder, ScriptedChatModel

PASSAGE = Passage("c1", "a1", "Genf", "derStandard", "2022-01-21", "", "Moskau fordert den Abzug der Nato-Truppen "
                  "aus Rumänien und Bulgarien.", 0, 80, "", 1.0)


@pytest.fixture
def assistant(settings: Settings) -> Assistant:
    assistant = Assistant(settings, embedder=FakeEmbedder())
    ingest([str(SAMPLE)], store=assistant.store)
    return assistant


@pytest.mark.parametrize(("question", "language"), [
    ("Was kostet Benzin in Graz?", "de"),  # "was" and "in" are English words too: the old word list said 'en'
    ("Welche Forderungen stellte Moskau?", "de"),
    ("Wie hoch ist die Inflation in Japan?", "de"),
    ("What did Moscow demand from the West?", "en"),
    ("Which demands did Russia make about the Nato troops in Romania and Bulgaria?", "en"),
    ("Quelles sont les exigences de Moscou ?", "fr"),
    ("¿Qué exige Moscú a la OTAN?", "es"),
    ("Cosa chiede Mosca alla Nato?", "it"),
])
def test_questions_are_detected(question: str, language: str) -> None:
    assert detect_language(question) == language


@pytest.mark.parametrize("text", ["", "   ", "?!", "Graz", "Benzin?", "Putin", "1943?", "Tesla 1943"])
def test_one_word_or_empty_is_german(text: str) -> None:
    # py3langid calls "Graz" Italian (0.40), lingua did too (0.72): one word carries no language.
    assert detect_language(text) == "de"


def test_the_detector_is_built_once_across_threads() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(detector())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(d) for d in seen}) == 1 and seen[0] is detector()


def test_language_names_for_the_prompt() -> None:
    assert [language_name(code) for code in LANGUAGES] == ["German", "English", "French", "Spanish", "Italian",
                                                           "Dutch"]
    assert language_name("xx") == "German"


# --- the assistant's messages --------------------------------------------------------------------------------
def test_unanswered_german_question_gets_the_german_message(assistant: Assistant) -> None:
    answer = assistant.answer("Was kostet Benzin in Graz?")
    assert answer.answered is False and answer.text == MESSAGES["de"]["unnamed"].format(names="„Graz“")


def test_unanswered_english_and_french_questions_get_their_language(assistant: Assistant) -> None:
    english = assistant.answer("How much does petrol cost in Graz?")
    assert english.answered is False and english.text == MESSAGES["en"]["nothing"]
    french = assistant.answer("Combien coûte l'essence à Graz ?")
    assert french.answered is False and french.text == MESSAGES["fr"]["nothing"]


def test_languages_without_messages_fall_back_to_english(assistant: Assistant) -> None:
    answer = assistant.answer("Quanto costa la benzina a Graz?")
    assert answer.answered is False and answer.text == MESSAGES["en"]["nothing"]
    assert set(MESSAGES["fr"]) == set(MESSAGES["es"]) == set(MESSAGES["en"]) == set(MESSAGES["de"])


# --- the LLM prompt --------------------------------------------------------------------------------------------
def echo(messages: list[BaseMessage]) -> str:
    return "Moskau fordert den Abzug der Nato-Truppen aus Rumänien und Bulgarien [1]."


@pytest.mark.parametrize(("question", "name"), [
    ("Quelles sont les exigences de Moscou ?", "French"),
    ("What did Moscow demand from the West?", "English"),
    ("Welche Forderungen stellte Moskau?", "German"),
])
def test_the_prompt_names_the_question_language(question: str, name: str) -> None:
    model = ScriptedChatModel(reply=echo)
    LLMClient(model).generate(question, [PASSAGE])
    system, user = model.seen[-1]
    assert f"Answer in {name} " in str(system.content)
    assert str(user.content).rstrip().endswith(f"Answer in {name}.")
    assert "{language}" not in str(system.content) + str(user.content)


def test_a_given_language_wins_and_streaming_names_it_too() -> None:
    model = ScriptedChatModel(reply=echo)
    pieces = list(LLMClient(model).stream("Welche Forderungen stellte Moskau?", [PASSAGE], language="es"))
    assert pieces and "Answer in Spanish." in str(model.seen[-1][-1].content)


def test_condensing_a_short_follow_up_keeps_the_conversation_language() -> None:
    model = ScriptedChatModel(reply=lambda messages: "What did Blinken say about Moscow's demands?")
    client = LLMClient(model)
    client.condense("And Blinken?", [("What did Moscow demand from the West?", "…")])
    assert "in English" in str(model.seen[-1][-1].content)
    client.condense("Und er?", [("Welche Forderungen stellte Moskau?", "…")])
    assert "in German" in str(model.seen[-1][-1].content)


def test_the_assistant_in_llm_mode_tells_the_model_the_language(settings: Settings) -> None:
    model = ScriptedChatModel(reply=echo)
    assistant = Assistant(settings, embedder=FakeEmbedder(), chat_model=model)
    ingest([str(SAMPLE)], store=assistant.store)
    answer = assistant.answer("Why should Nato leave Rumänien and Bulgarien?", mode="llm")
    assert answer.mode == "llm" and model.seen
    assert "Answer in English." in str(model.seen[-1][-1].content)


def test_question_words_drop_the_stopwords_of_the_questions_own_language() -> None:
    """Word matching reads an English question without "what", "did", "the" (German analysis knows German
    stopwords only); a German question stays as it is, and the model of meaning always reads the whole text."""
    assert question_words("What did Moscow demand?") == "Moscow demand"
    assert question_words("Quelles sont les exigences de Moscou ?") == "Quelles exigences Moscou"
    assert question_words("Welche Forderungen stellte Moskau?") == "Welche Forderungen stellte Moskau?"
    assert question_words("Graz") == "Graz"  # one word: German by default
