from __future__ import annotations

from rag.text import (
    COMPOUND_CREDIT,
    analyze,
    char_grams,
    compound_parts,
    inside_credit,
    one_edit_apart,
    split_sentences,
    terms,
)


def test_analyze_lowercases_drops_stopwords_and_stems_lemmas() -> None:
    assert analyze("Welche Forderungen stellte Moskau an die NATO?") == ["forder", "stell", "moskau", "nato"]
    assert terms("Forderung") == terms("FORDERUNGEN")
    assert terms("Erklärung") == terms("erklärte") == terms("erklärt")  # Snowball joins what lemmas keep apart


def test_present_and_past_forms_meet_their_infinitive() -> None:
    assert terms("trifft") == terms("trafen") == terms("getroffen") == terms("Treffen") == terms("treffen")
    assert terms("sprach") == terms("sprechen")
    assert terms("stirbt") == terms("starb")
    # separable verbs: the particle is a stopword, so "schlägt … vor" and "schlug … vor" meet
    assert terms("Was schlägt er vor?") == terms("Er schlug vor") == terms("schlagen")
    assert terms("vorgeschlagen") == terms("Vorschlag")


def test_irregular_forms_share_their_lemmas_character_grams() -> None:
    # the n-gram side meets "Treffen" in "trafen" too; regular inflection keeps its own spelling
    assert char_grams("trafen") == char_grams("getroffen") == char_grams("Treffen")
    assert char_grams("Forderungen") == ["_for", "ford", "orde", "rder", "deru", "erun", "rung", "unge", "ngen", "gen_"]


def test_analysis_is_deterministic() -> None:
    text = "Die Touristenstrecken trafen sich; Chinas Forderungen wurden vorgeschlagen."
    first = analyze(text)
    analyze("TREFFEN Treffen treffen trifft Chinas CHINAS")  # other spellings of the same words in between
    assert analyze(text) == first == ["touristenstreck", "treff", "china", "forder", "vorschlag"]
    assert char_grams(text) == char_grams(text)


def test_sentences_respect_german_abbreviations_dates_and_ordinals() -> None:
    text = ('Am 21. Januar 2022 traf er z. B. Dr. Meier in Genf. Das war gut! Er sagte: "Nein." '
            "Dann ging er (bbl, Reuters, 21.1.2022).")
    assert split_sentences(text) == [
        "Am 21. Januar 2022 traf er z. B. Dr. Meier in Genf.",
        "Das war gut!",
        'Er sagte: "Nein."',
        "Dann ging er (bbl, Reuters, 21.1.2022).",
    ]


def test_initials_do_not_end_sentences() -> None:
    text = "Die T. T. Tsui Galerie wurde 1991 eröffnet. Sie zeigt Werke, übersetzt von John C. Messenger. Gut."
    assert split_sentences(text) == [
        "Die T. T. Tsui Galerie wurde 1991 eröffnet.", "Sie zeigt Werke, übersetzt von John C. Messenger.", "Gut."
    ]


def test_paragraph_breaks_end_sentences() -> None:
    assert split_sentences("Zwischentitel\n\nDer Text beginnt hier. Und geht weiter.") == [
        "Zwischentitel", "Der Text beginnt hier.", "Und geht weiter."
    ]


def test_genitive_s_of_names_ending_in_a_vowel_is_dropped() -> None:
    # Snowball strips "Putins" but keeps "Chinas"; questions and reports mix both forms.
    assert analyze("Chinas Regierung") == analyze("China Regierung")
    assert analyze("Odingas Rolle")[0] == analyze("Odinga")[0] == "odinga"
    assert analyze("Putins Sprecher")[0] == "putin"
    assert analyze("Haus") == ["haus"]  # short words keep their s


def test_wo_question_words_are_not_topics() -> None:
    assert terms("Worum ging es beim Treffen?") == {"treff", "geh"}
    assert terms("Wofür ist das Land bekannt?") == {"land", "bekannt"}


def test_unknown_compounds_split_into_known_stems() -> None:
    vocabulary = {"tourist", "streck", "staat", "besitz", "spur", "weit", "reis", "begleit", "schmalspur", "bahn"}
    assert compound_parts("touristenstreck", vocabulary) == ("tourist", "streck")  # linking -en-
    assert compound_parts("staatsbesitz", vocabulary) == ("staat", "besitz")  # linking -s-
    assert compound_parts("reisebegleit", vocabulary) == ("reis", "begleit")
    assert compound_parts("schmalspurbahn", vocabulary) == ("schmalspur", "bahn")  # fewest parts
    assert compound_parts("tourist", vocabulary) == ()  # one known stem is no compound
    assert compound_parts("spurlos", vocabulary) == ()  # "los" is no known stem
    assert compound_parts("reisen", vocabulary) == ()  # a linking element cannot end the word
    # the terms analysis gives a question's compound split the same way
    assert compound_parts(*terms("Touristenstrecken"), vocabulary) == ("tourist", "streck")


def test_inside_credit_for_compounds_and_spelling_variants() -> None:
    assert inside_credit("forder", {"forder"}) == 1.0
    assert inside_credit("forder", {"sicherheitsforder"}) == COMPOUND_CREDIT
    assert inside_credit("doctor", {"doktor"}) == COMPOUND_CREDIT  # one letter apart, long enough
    assert inside_credit("haus", {"maus"}) == 0.0  # short words one letter apart are other words
    assert inside_credit("doctor", {"direktor"}) == 0.0
    assert inside_credit("bedigo", {"bendigo"}) == COMPOUND_CREDIT  # a letter dropped (a dev question's typo)


def test_one_edit_apart_is_a_typo_s_distance() -> None:
    assert one_edit_apart("doctor", "doktor")  # changed
    assert one_edit_apart("bedigo", "bendigo") and one_edit_apart("bendigo", "bedigo")  # dropped, added
    assert one_edit_apart("bendigo", "bnedigo")  # neighbours swapped
    assert one_edit_apart("bendigo", "bendig") and one_edit_apart("bendigo", "endigo")  # at either end
    assert not one_edit_apart("bendigo", "bendigo")  # the same word is no typo
    assert not one_edit_apart("bendigo", "bnediog")  # two swaps
    assert not one_edit_apart("bendigo", "bendi")  # two dropped
    assert not one_edit_apart("bendigo", "bandiga")  # two changed


def test_a_compounds_head_counts_where_asked_for() -> None:
    """"Wofür ist die Rheinschlucht bekannt?" — the answer says "Die Schlucht ist ... bekannt": its head."""
    stems = set(terms("Die Schlucht ist für ihre Burgen und Weinberge bekannt."))
    rheinschlucht = terms("Rheinschlucht").pop()
    assert inside_credit(rheinschlucht, stems) == 0.0
    assert inside_credit(rheinschlucht, stems, heads=True) == COMPOUND_CREDIT
    assert inside_credit(terms("Bergbau").pop(), set(terms("Der Bau")), heads=True) == 0.0  # too short to tell


def test_tun_names_no_topic() -> None:
    """"tun" stands for the action asked about, as "machen" (bm25s's German stop words) does."""
    assert terms("Was will Großbritannien tun?") == terms("Großbritannien")
