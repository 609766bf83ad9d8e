"""Names in German questions (HanTa's tagger) and how many of them passages lack: the judge's evidence."""

from __future__ import annotations

import pytest

from rag.names import missing_names, question_names
from rag.relevance import CoverageJudge, Evidence
from tests.conftest import SAMPLE

ARTICLE = SAMPLE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("question", "names"), [
    ("Was sagte Macron zur Ukraine?", (("Macron",), ("Ukraine",))),
    ("Was schlägt Graham Twigg über die Ausbreitung der Krankheiten vor?", (("Graham", "Twigg"),)),  # one name
    ("Welche Forderungen stellte Moskau?", (("Moskau",),)),
    ("Wie hoch ist die Inflation?", ()),
    ("Wann erreichte die y. pestis England?", (("pestis", "England"),)),  # a single letter is no name
])
def test_question_names_are_its_proper_nouns(question: str, names: tuple[tuple[str, ...], ...]) -> None:
    assert question_names(question) == names


@pytest.mark.parametrize(("question", "missing"), [
    ("Was sagte Macron zur Ukraine?", ("Macron",)),  # the article names the Ukraine, not Macron
    ("Wie viele Soldaten hat Deutschland in Litauen?", ("Deutschland", "Litauen")),
    ("Wie reagierte China?", ("China",)),
    ("Welche Forderungen stellte Moskau?", ()),
    ("Welche Rolle spielt der Iran?", ()),
    ("Was sagte Wladimir Putin?", ()),
    ("Was sagte Jewgeni Putin?", ()),  # a name is held when any part of it is
    ("Was sagte Lawrov?", ()),  # "Lawrow" one edit away (difflib: only 0.83 alike)
    ("Was sagte Peskov?", ()),
    ("Was sagte Lukov?", ("Lukov",)),  # too short to read as a typo of "Lawrow" or anything else
    ("Wie hoch ist die Inflation?", ()),  # no name: nothing missing
])
def test_missing_names_of_the_sample_article(question: str, missing: tuple[str, ...]) -> None:
    assert missing_names(question, [ARTICLE]) == missing


def test_a_misspelt_name_is_held_a_short_one_must_match() -> None:
    passage = "Labour ist in Bendigo und Geelong am stärksten; Reporter aus Kiel berichteten."
    assert missing_names("Welche Partei bevorzugen Bedigo und Geelong?", [passage]) == ()
    assert missing_names("Was geschah in Kiew?", [passage]) == ("Kiew",)
    assert missing_names("Was geschah in Kiew?", [passage, "Blinken war in Kiew."]) == ()  # any passage


def test_a_missing_name_means_no_answer_whatever_the_probability() -> None:
    judge = CoverageJudge()
    assert judge.relevance(Evidence(0.9)) == 0.9
    assert judge.relevance(Evidence(0.9, missing_names=("Macron",))) == 0.0
