"""Time expressions → dates (rag/when.py): exact ranges for each expression family, words that are no time
expressions, the question without its time words, and the dates an article's text mentions."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from rag.when import DateMention, Period, mentioned_dates, question_period, without_expression

MONDAY = date(2022, 1, 24)  # the reference day of most tests: a Monday
SUNDAY = date(2022, 5, 15)  # a Sunday in mid-month
DATA = Path("/work/shared/data")


def _range(question: str, today: date = MONDAY) -> tuple[str | None, str | None]:
    period = question_period(question, today)
    assert period is not None, question
    assert not period.recency, question
    return period.to_dict()["since"], period.to_dict()["until"]


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah gestern?", "2022-01-23", "2022-01-23"),
    ("Was geschah vorgestern?", "2022-01-22", "2022-01-22"),
    ("Was passiert heute in Wien?", "2022-01-24", "2022-01-24"),
    ("Was passiert morgen?", "2022-01-25", "2022-01-25"),
    ("What happened yesterday?", "2022-01-23", "2022-01-23"),
    ("What is on the agenda today?", "2022-01-24", "2022-01-24"),
    ("Was sagte Scholz heute Morgen?", "2022-01-24", "2022-01-24"),
])
def test_day_words(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was war letzte Woche in Genf?", "2022-01-17", "2022-01-23"),
    ("Was geschah vergangene Woche?", "2022-01-17", "2022-01-23"),
    ("Was geschah in der vorigen Woche?", "2022-01-17", "2022-01-23"),
    ("Was geschah vorletzte Woche?", "2022-01-10", "2022-01-16"),
    ("Was geschah diese Woche?", "2022-01-24", "2022-01-24"),  # Monday … today
    ("Was ist für nächste Woche geplant?", "2022-01-31", "2022-02-06"),
    ("What happened last week?", "2022-01-17", "2022-01-23"),
    ("What happened this week?", "2022-01-24", "2022-01-24"),
    ("Was geschah letzten Monat?", "2021-12-01", "2021-12-31"),
    ("Was geschah diesen Monat?", "2022-01-01", "2022-01-24"),
    ("What happened last month?", "2021-12-01", "2021-12-31"),
    ("Was geschah letztes Jahr?", "2021-01-01", "2021-12-31"),
    ("Was war im Vorjahr?", "2021-01-01", "2021-12-31"),
    ("Was plant Österreich heuer?", "2022-01-01", "2022-01-24"),
    ("Was war am Wochenende?", "2022-01-22", "2022-01-23"),
    ("Was geschah Ende vergangenen Jahres?", "2021-09-01", "2021-12-31"),
    ("What happened late last year?", "2021-09-01", "2021-12-31"),
    ("Was ist Anfang der Woche passiert?", "2022-01-24", "2022-01-25"),
])
def test_calendar_units(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah diese Woche?", "2022-05-09", "2022-05-15"),
    ("Was war letzte Woche?", "2022-05-02", "2022-05-08"),
    ("Was geschah am Sonntag?", "2022-05-15", "2022-05-15"),  # today is a Sunday: "am Sonntag" is today
    ("Was geschah letzten Sonntag?", "2022-05-08", "2022-05-08"),  # "letzten": strictly before
    ("Was geschah am Freitag?", "2022-05-13", "2022-05-13"),
    ("Was geschah im Mai?", "2022-05-01", "2022-05-31"),
    ("Was geschah im Juni?", "2021-06-01", "2021-06-30"),  # the most recent June not in the future
    ("Was geschah diesen Monat?", "2022-05-01", "2022-05-15"),
    ("Was war am Wochenende?", "2022-05-14", "2022-05-15"),
    ("Was geschah vor zwei Wochen?", "2022-04-25", "2022-05-01"),
    ("Was geschah vor einem Monat?", "2022-04-01", "2022-04-30"),
    ("Was geschah am 21. Januar?", "2022-01-21", "2022-01-21"),
])
def test_on_a_sunday_in_mid_month(question: str, since: str, until: str) -> None:
    assert _range(question, SUNDAY) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah am Freitag?", "2022-01-21", "2022-01-21"),
    ("Was sagte Lawrow Freitag?", "2022-01-21", "2022-01-21"),
    ("Was geschah am Montag?", "2022-01-24", "2022-01-24"),  # the most recent Monday, today included
    ("Was geschah am vergangenen Montag?", "2022-01-17", "2022-01-17"),
    ("Was ist für kommenden Freitag geplant?", "2022-01-28", "2022-01-28"),
    ("Was ist für nächsten Montag geplant?", "2022-01-31", "2022-01-31"),
    ("Was sagte Biden am Freitagabend?", "2022-01-21", "2022-01-21"),
    ("What did Blinken say on Friday?", "2022-01-21", "2022-01-21"),
    ("What is planned for next Friday?", "2022-01-28", "2022-01-28"),
    ("What happened last Sunday?", "2022-01-23", "2022-01-23"),
    ("Was geschah am Samstag, den 22. Januar?", "2022-01-22", "2022-01-22"),
])
def test_weekdays(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah im Januar 2022?", "2022-01-01", "2022-01-31"),
    ("Was geschah im Jänner 2022?", "2022-01-01", "2022-01-31"),
    ("Was geschah im Januar?", "2022-01-01", "2022-01-31"),
    ("Was geschah im Mai?", "2021-05-01", "2021-05-31"),  # the most recent May not in the future
    ("Was geschah Anfang Februar?", "2021-02-01", "2021-02-10"),
    ("Was geschah Mitte Februar?", "2021-02-11", "2021-02-20"),
    ("Was geschah Ende Februar?", "2021-02-21", "2021-02-28"),
    ("Was geschah Ende Feber 2020?", "2020-02-21", "2020-02-29"),
    ("Was geschah Mitte Jänner?", "2022-01-11", "2022-01-20"),
    ("What happened in January 2022?", "2022-01-01", "2022-01-31"),
    ("What happened in mid-February 2021?", "2021-02-11", "2021-02-20"),
    ("Was geschah im Dez. 2021?", "2021-12-01", "2021-12-31"),
])
def test_months(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah 2021?", "2021-01-01", "2021-12-31"),
    ("Was geschah im Jahr 2014 auf der Krim?", "2014-01-01", "2014-12-31"),
    ("What happened in 2021?", "2021-01-01", "2021-12-31"),
    ("What was the result of the 2007 election?", "2007-01-01", "2007-12-31"),
    ("Was geschah Ende 2021?", "2021-09-01", "2021-12-31"),
    ("Welches Stück lief in den 1970ern?", "1970-01-01", "1979-12-31"),
    ("Which play ran in the 1980s?", "1980-01-01", "1989-12-31"),
])
def test_years(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was hat sich seit Montag getan?", "2022-01-24", "2022-01-24"),
    ("Was hat sich seit Donnerstag getan?", "2022-01-20", "2022-01-24"),
    ("Was hat sich seit 2021 getan?", "2021-01-01", "2022-01-24"),
    ("Was ist seit gestern passiert?", "2022-01-23", "2022-01-24"),
    ("What has happened since Monday?", "2022-01-24", "2022-01-24"),
    ("Was gilt ab Montag?", "2022-01-24", None),
    ("Was geschah bis 2014?", None, "2014-12-31"),
    ("Wer durfte nach 1935 das Rheinland nicht betreten?", "1936-01-01", None),
    ("What happened before 2000?", None, "1999-12-31"),
])
def test_since_and_until(question: str, since: str | None, until: str | None) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah vor zwei Wochen?", "2022-01-10", "2022-01-16"),  # the calendar week two weeks back
    ("Was geschah vor drei Tagen?", "2022-01-21", "2022-01-21"),  # one day
    ("Was geschah vor einem Monat?", "2021-12-01", "2021-12-31"),
    ("Was geschah vor einer Woche?", "2022-01-17", "2022-01-23"),
    ("Was geschah vor 2 Jahren?", "2020-01-01", "2020-12-31"),
    ("What happened two weeks ago?", "2022-01-10", "2022-01-16"),
    ("What happened a month ago?", "2021-12-01", "2021-12-31"),
    ("Was geschah vor wenigen Tagen?", "2022-01-18", "2022-01-24"),  # vague: the last 7 days
])
def test_ago(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah in den letzten Tagen?", "2022-01-18", "2022-01-24"),  # 7 days incl. today
    ("Was geschah in den letzten zwei Wochen?", "2022-01-11", "2022-01-24"),
    ("Was geschah in den vergangenen 3 Tagen?", "2022-01-22", "2022-01-24"),
    ("Was geschah in den letzten Monaten?", "2021-10-25", "2022-01-24"),
    ("Was geschah in den letzten 24 Stunden?", "2022-01-23", "2022-01-24"),
    ("What happened in the last few days?", "2022-01-18", "2022-01-24"),
    ("What happened over the past week?", "2022-01-18", "2022-01-24"),
    ("What happened in the last twelve months?", "2021-01-25", "2022-01-24"),
])
def test_windows(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah am 21. Januar 2022?", "2022-01-21", "2022-01-21"),
    ("Was geschah am 21.01.2022?", "2022-01-21", "2022-01-21"),
    ("Was geschah am 21.1.22?", "2022-01-21", "2022-01-21"),
    ("Was geschah am 18.1.?", "2022-01-18", "2022-01-18"),
    ("Was geschah am 21. Jänner?", "2022-01-21", "2022-01-21"),
    ("Was geschah am 1. Mai?", "2021-05-01", "2021-05-01"),  # not in the future
    ("Was geschah am 2022-01-21?", "2022-01-21", "2022-01-21"),
    ("What happened on 21 January 2022?", "2022-01-21", "2022-01-21"),
    ("What happened on January 21, 2022?", "2022-01-21", "2022-01-21"),
    ("What happened on the 21st of January?", "2022-01-21", "2022-01-21"),
])
def test_dates(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "since", "until"), [
    ("Was geschah zwischen 3. und 10. Januar?", "2022-01-03", "2022-01-10"),
    ("Was geschah vom 3. bis 10. Januar 2022?", "2022-01-03", "2022-01-10"),
    ("Was geschah vom 3. Januar bis 10. Februar 2021?", "2021-01-03", "2021-02-10"),
    ("Was geschah vom 20. Dezember bis 10. Januar 2022?", "2021-12-20", "2022-01-10"),
    ("Was geschah zwischen 2014 und 2016?", "2014-01-01", "2016-12-31"),
    ("Was geschah 2014–2016?", "2014-01-01", "2016-12-31"),
    ("Was geschah zwischen Januar und März 2021?", "2021-01-01", "2021-03-31"),
    ("Was geschah von Montag bis Mittwoch?", "2022-01-17", "2022-01-19"),  # on a Monday: last week's
    ("What happened between January 3 and 10, 2022?", "2022-01-03", "2022-01-10"),
    ("What happened from 2014 to 2016?", "2014-01-01", "2016-12-31"),
])
def test_ranges(question: str, since: str, until: str) -> None:
    assert _range(question) == (since, until)


@pytest.mark.parametrize(("question", "expression"), [
    ("Was ist der aktuelle Stand in der Ukraine?", "aktuelle"),
    ("Was sind die neuesten Entwicklungen?", "neuesten"),
    ("Was gibt es Neues aus Kiew?", "Neues"),
    ("Was hat Putin zuletzt gesagt?", "zuletzt"),
    ("Was passiert gerade an der Grenze?", "gerade"),
    ("Was sind die jüngsten Forderungen Moskaus?", "jüngsten"),
    ("Was fordert die Regierung derzeit?", "derzeit"),
    ("What are the latest demands?", "latest"),
    ("What did Russia demand recently?", "recently"),
    ("Who is currently in charge?", "currently"),
])
def test_recency_words_set_no_range(question: str, expression: str) -> None:
    period = question_period(question, MONDAY)
    assert period == Period(None, None, expression, recency=True, start=question.index(expression),
                            end=question.index(expression) + len(expression))
    assert period.to_dict() == {"since": None, "until": None, "expression": expression}


@pytest.mark.parametrize(("question", "since"), [
    ("Was wird am Freitag beschlossen?", "2022-01-28"),  # the future tense points ahead
    ("Was hat Biden am Freitag gesagt?", "2022-01-21"),
    ("What will happen in May?", "2022-05-01"),
    ("Was will die Nato im Februar tun?", "2022-02-01"),
    ("Was gilt bis Freitag?", None),  # "bis": no start; the end is the coming Friday
])
def test_questions_about_the_future(question: str, since: str | None) -> None:
    assert _range(question)[0] == since


def test_until_the_coming_friday() -> None:
    assert _range("Was gilt bis Freitag?") == (None, "2022-01-28")


def test_a_range_wins_over_recency_words() -> None:
    assert _range("Was sind die neuesten Forderungen von letzter Woche?") == ("2022-01-17", "2022-01-23")


def test_a_compared_time_is_no_period() -> None:
    period = question_period("Wann war die Inflation zuletzt so niedrig wie im Februar?", MONDAY)
    assert period is not None and period.recency and period.expression == "zuletzt"


def test_the_first_of_several_expressions_counts() -> None:
    period = question_period("Was geschah gestern und am Freitag?", MONDAY)
    assert period is not None and period.expression == "gestern"


NEGATIVES = [
    "Was will die Regierung?",  # dateparser finds a date in "die"
    "Wer ist Jen Psaki?",
    "Was sagte Lawrow?",
    "Welche Rolle spielt der Iran?",
    "Welche Forderungen stellte Moskau?",
    "Was will Großbritannien tun?",
    "Wie geht es weiter?",
    "Was kostet Benzin in Graz?",
    "Die Heimat",
    "Wann fand das Treffen statt?",  # asks for a date, states none
    "Seit wann gibt es die Nato?",
    "Wie viele der 2000 Soldaten sind in Rumänien?",  # a count, not a year
    "Sind 2000 Soldaten in Rumänien?",
    "Schickt die Nato mehr als 2000 Soldaten?",
    "Warum fielen die Kurse um 2000 Punkte?",
    "Did Nato send 2000 soldiers?",
    "Wer ist August Bebel?",  # a month name that is a first name
    "Was sagte Theresa May?",
    "Who may attend the summit?",
    "What happened during the march on Washington?",  # "march" is a month only as "March"
    "Was sagte Jan Böhmermann?",  # "Jan" counts as January only as "Jan." or before a year
    "Was sagte Mai Thi Nguyen-Kim?",
    "Was fordert Fridays for Future?",
    "Was gibt es am Black Friday?",
    "Was sagte Biden am Morgen?",  # the morning, not tomorrow
    "Wie lang war der Tag?",
    "Was sind die nächsten Schritte?",
    "Wie tief lag die Nordsee in der letzten Kaltzeit als heute?",  # "heute" compared: the present, not a day
    "Was ist die Mitte-Partei?",
    "Wie lange dauert ein Jahr auf dem Mars?",
    "Was kostet ein neues Auto?",  # "neues" (an adjective) is no recency word; "Neues" (a noun) is
    "What is alternating current?",
    "Was war teurer als im Vorjahr?",  # a yardstick, not the time asked about
    "Is inflation higher than last year?",
]


@pytest.mark.parametrize("question", NEGATIVES)
def test_no_period_for_words_that_are_no_time_expressions(question: str) -> None:
    assert question_period(question, MONDAY) is None


@pytest.mark.parametrize(("question", "rest"), [
    ("Was geschah letzte Woche in Genf?", "Was geschah in Genf?"),
    ("Gestern, was sagte Lawrow?", "was sagte Lawrow?"),
    ("Was sagte Lawrow gestern?", "Was sagte Lawrow?"),
    ("Was geschah in den letzten zwei Wochen an der Grenze?", "Was geschah an der Grenze?"),
    ("Was geschah am 21. Januar 2022 in Genf?", "Was geschah in Genf?"),
    ("Was sind die neuesten Forderungen?", "Was sind die Forderungen?"),
    ("What happened in January 2022 in Geneva?", "What happened in Geneva?"),
])
def test_without_expression(question: str, rest: str) -> None:
    assert without_expression(question, question_period(question, MONDAY)) == rest


def test_without_expression_leaves_questions_without_a_period_alone() -> None:
    assert without_expression("Was will  die Regierung?", None) == "Was will  die Regierung?"
    assert without_expression("Was will die Regierung?", Period(None, None, "")) == "Was will die Regierung?"


def test_period_span_is_the_expression() -> None:
    question = "Was geschah seit Montag in Kiew?"
    period = question_period(question, MONDAY)
    assert period is not None
    assert question[period.start : period.end] == period.expression == "seit Montag"


FRIDAY = date(2022, 1, 21)
ARTICLE = (
    "Am Freitag trafen sich Blinken und Lawrow in Genf. Gestern hatte Biden vor einer Invasion gewarnt. "
    "Die nächste Runde soll kommende Woche stattfinden. Im Februar will die NATO antworten. "
    "Am 18. Januar hatte Blinken Kiew besucht. Rund 2000 Soldaten sind seit 2014 in der Region, "
    "die Vereinbarung vom 21.1.2022 gilt bis Ende Februar 2023."
)


def _mentions(text: str, published: date | None) -> list[tuple[str, str, str]]:
    return [(m.text, m.since.isoformat(), m.until.isoformat()) for m in mentioned_dates(text, published)]


def test_mentioned_dates_in_a_german_article() -> None:
    assert _mentions(ARTICLE, FRIDAY) == [
        ("Am Freitag", "2022-01-21", "2022-01-21"),  # published on a Friday: that day
        ("Gestern", "2022-01-20", "2022-01-20"),
        ("kommende Woche", "2022-01-24", "2022-01-30"),
        ("Im Februar", "2022-02-01", "2022-02-28"),
        ("Am 18. Januar", "2022-01-18", "2022-01-18"),
        ("seit 2014", "2014-01-01", "2014-12-31"),  # the year it names; "2000 Soldaten" is a count
        ("vom 21.1.2022", "2022-01-21", "2022-01-21"),
        ("bis Ende Februar 2023", "2023-02-21", "2023-02-28"),
    ]


def test_mentioned_dates_spans_point_into_the_text() -> None:
    for mention in mentioned_dates(ARTICLE, FRIDAY):
        assert isinstance(mention, DateMention)
        assert ARTICLE[mention.start : mention.end] == mention.text


def test_mentioned_dates_in_an_english_article() -> None:
    text = "On Tuesday, Blinken met Zelensky in Kyiv; talks with Lavrov resume next week, after the January 10 talks."
    assert _mentions(text, FRIDAY) == [
        ("On Tuesday", "2022-01-18", "2022-01-18"),
        ("next week", "2022-01-24", "2022-01-30"),
        ("after the January 10", "2022-01-10", "2022-01-10"),
    ]


def test_mentioned_dates_without_a_published_date_are_only_absolute() -> None:
    assert _mentions(ARTICLE, None) == [
        ("seit 2014", "2014-01-01", "2014-12-31"),
        ("vom 21.1.2022", "2022-01-21", "2022-01-21"),
        ("bis Ende Februar 2023", "2023-02-21", "2023-02-28"),
    ]


@pytest.mark.parametrize(("text", "published", "since"), [
    ("Im Januar soll verhandelt werden.", date(2021, 12, 20), "2022-01-01"),  # the nearest January
    ("Im Dezember war es ruhig.", date(2022, 1, 21), "2021-12-01"),
    ("Am 30. Dezember telefonierten Biden und Putin.", date(2022, 1, 3), "2021-12-30"),
    ("Vergangenen Freitag trafen sie sich.", date(2022, 1, 21), "2022-01-14"),  # strictly before
    ("Morgen beginnt der Gipfel.", date(2022, 1, 21), "2022-01-22"),  # sentence start: tomorrow
])
def test_mentioned_dates_relative_to_publication(text: str, published: date, since: str) -> None:
    assert [m.since.isoformat() for m in mentioned_dates(text, published)] == [since]


@pytest.mark.parametrize(("text", "published", "days"), [
    # a preview: the future tense points ahead, and the next weekday continues it
    ("Die Staatsmeisterschaften werden am Montag mit dem Riesentorlauf der Herren fortgesetzt. Zum Abschluss "
     "stehen am Mittwoch die Slalombewerbe auf dem Programm.", date(2026, 3, 15), ["2026-03-16", "2026-03-18"]),
    # a weekday after the week its sentence names
    ("Die fünfte Verhandlungsrunde ist für kommende Woche angesetzt: Am Mittwoch treffen sich beide Seiten.",
     date(2025, 11, 19), ["2025-11-24", "2025-11-26"]),
    # Saturday of the weekend named before
    ("Zahlreiche Skigebiete starten an diesem Wochenende in die Saison. Laut Seilbahnwirtschaft sind am Samstag "
     "60 Prozent der Pisten befahrbar.", date(2025, 12, 5), ["2025-12-06", "2025-12-06"]),
    # "bis", "für", "ab" point ahead; a weekday listed after one continues it
    ("Einzelne Höfe müssten bis Sonntag warten. Für Sonntag und Montag kündigt die Geosphere ruhigeres Wetter an, "
     "ab Montag wird es kälter.", date(2026, 1, 31), ["2026-02-01", "2026-02-01", "2026-02-02", "2026-02-02"]),
    ("Der Sturm hatte am Freitag am frühen Abend eingesetzt.", date(2026, 1, 31), ["2026-01-30"]),
    ("Der Gürtel bleibt voraussichtlich bis Donnerstagabend gesperrt, seit Montagabend fließt wieder Wasser.",
     date(2026, 3, 3), ["2026-03-05", "2026-03-02"]),
    ("In der Nacht auf Donnerstag einigten sich die Sozialpartner.", date(2025, 11, 27), ["2025-11-27"]),
    # "ab" with a month: ahead only within six months
    ("Der Abschluss gilt rückwirkend ab 1. November.", date(2025, 11, 27), ["2025-11-01"]),
    ("Leitungen werden verlegt, bevor ab September die Gleise gebaut werden.", date(2026, 3, 14), ["2026-09-01"]),
    ("Overnight stays rose between November and January, Statistics Austria said on Wednesday.",
     date(2026, 3, 11), ["2025-11-01", "2026-03-11"]),
])
def test_mentioned_dates_read_their_context(text: str, published: date, days: list[str]) -> None:
    assert [m.since.isoformat() for m in mentioned_dates(text, published)] == days


@pytest.mark.parametrize("text", [
    "Rund 2000 Menschen demonstrierten in Wien.",
    "Die Heute-Show spottete über den Minister.",
    "2021 Menschen wurden gezählt.",
    "Auf Seite 2014 steht nichts.",  # a bare number in an article is no year
    "Die Kurse stiegen am Morgen deutlich.",
    "Aktuell gibt es keine Gespräche.",  # recency words are no dates
])
def test_no_mentions_in_text_without_dates(text: str) -> None:
    assert mentioned_dates(text, FRIDAY) == []


def _dev_questions(language: str) -> list[str]:
    path = DATA / f"xquad_{language}_dev_questions.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not available")
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("language", ["de", "en"])
def test_dev_questions_get_periods_only_from_time_expressions(language: str) -> None:
    found = {q: p.expression for q in _dev_questions(language) if (p := question_period(q, MONDAY))}
    # Measured: 12 of 239 in each language, all years, decades, "seit/nach 2005/1935"; listed in the report.
    assert len(found) == 12
    assert all(any(ch.isdigit() for ch in expression) for expression in found.values()), found


def test_question_period_is_fast() -> None:
    questions = _dev_questions("de")
    start = time.perf_counter()
    for question in questions:
        question_period(question, MONDAY)
    assert (time.perf_counter() - start) / len(questions) < 0.002  # measured ~0.07 ms; generous for slow CI
