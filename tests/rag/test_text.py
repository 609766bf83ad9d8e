from __future__ import annotations

from rag.text import analyze, guess_language, split_sentences, terms


def test_analyze_lowercases_drops_stopwords_and_stems() -> None:
    assert analyze("Welche Forderungen stellte Moskau an die NATO?") == ["forder", "stellt", "moskau", "nato"]
    assert terms("Forderung") == terms("FORDERUNGEN")


def test_strong_verb_forms_meet_their_infinitive() -> None:
    assert terms("trafen") == terms("getroffen") == terms("Treffen")
    assert terms("sprach") == terms("sprechen")


def test_sentences_respect_german_abbreviations_dates_and_ordinals() -> None:
    text = ('Am 21. Januar 2022 traf er z. B. Dr. Meier in Genf. Das war gut! Er sagte: "Nein." '
            "Dann ging er (bbl, Reuters, 21.1.2022).")
    assert split_sentences(text) == [
        "Am 21. Januar 2022 traf er z. B. Dr. Meier in Genf.",
        "Das war gut!",
        'Er sagte: "Nein."',
        "Dann ging er (bbl, Reuters, 21.1.2022).",
    ]


def test_paragraph_breaks_end_sentences() -> None:
    assert split_sentences("Zwischentitel\n\nDer Text beginnt hier. Und geht weiter.") == [
        "Zwischentitel", "Der Text beginnt hier.", "Und geht weiter."
    ]


def test_guess_language() -> None:
    assert guess_language("Welche Forderungen stellte Moskau?") == "de"
    assert guess_language("What did Moscow demand from the West?") == "en"


def test_genitive_s_of_names_ending_in_a_vowel_is_dropped() -> None:
    # Snowball strips "Putins" but keeps "Chinas"; questions and reports mix both forms.
    assert analyze("Chinas Regierung") == analyze("China Regierung")
    assert analyze("Odingas Rolle")[0] == analyze("Odinga")[0] == "odinga"
    assert analyze("Putins Sprecher")[0] == "putin"
    assert analyze("Haus") == ["haus"]  # short words keep their s


def test_wo_question_words_are_not_topics() -> None:
    assert terms("Worum ging es beim Treffen?") == {"treff", "geh"}
    assert terms("Wofür ist das Land bekannt?") == {"land", "bekannt"}
