"""Answer types: what a question's words ask for (a date, a number, a duration, a place, a statement, what comes
next), and whether a sentence holds such an answer. Extractive sentence choice (`rag.extractive`) gives a
sentence holding it a bonus, and one lacking it a factor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from rag.when import mentioned_dates

# Answer types: what a question word asks for, and a pattern a sentence holding such an answer contains.
# What they are worth with the meaning-based choice (dev questions over bench/quality.py's indexes, answer
# containment): German 206 → 207 with them (the "wann" type), English 153 → 156 ("when" 2, "where" 1); "wie
# lange", "wie viele" and "was sagte" change no dev question and stay for the sample article's questions they
# are tested on ("Was sagte Blinken?" quotes him, tests/rag/test_answer.py).
_MONTHS = r"(?:Jänner|Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_WEEKDAYS = r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"
_AMOUNTS = (r"(?:ein|eine|einen|einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf|zwanzig|"
            r"dreißig|hundert|eineinhalb|anderthalb|zweieinhalb|mehrere|einige|wenige|viele|halbe?n?)")
_UNITS_OF_TIME = r"(?:Sekunden?|Minuten?|Stunden?|Tage?n?|Wochen?|Monate?n?|Jahre?n?|Jahrzehnte?n?)"


Holds = Callable[[str, date | None], bool]  # (sentence, its article's publication date) → holds the answer type


def _pattern(expression: str, flags: int = 0) -> Holds:
    compiled = re.compile(expression, flags)
    return lambda sentence, published: compiled.search(sentence) is not None


def names_a_later_day(sentence: str, published: date | None) -> bool:
    """Whether the sentence names a day after its article appeared ("kommende Woche", "im Februar", read by
    `rag.when`): how news tells what comes next."""
    return published is not None and any(m.since > published for m in mentioned_dates(sentence, published))


class AnswerType(NamedTuple):
    asks: re.Pattern[str]  # the question asks for it
    holds: Holds  # a sentence holds such an answer
    lacking: float = 1.0  # factor for a sentence without one (1: it may still answer)
    frame: bool = False  # the asking words name no topic ("Wie geht es weiter?"): they leave the question's terms


ANSWER_TYPES: list[AnswerType] = [
    AnswerType(re.compile(r"\b(wann|seit wann|bis wann|in welchem jahr|welchem jahrhundert|when|what year)\b", re.I),
     _pattern(rf"\b(1[0-9]{{3}}|20[0-9]{{2}}|{_MONTHS}|{_WEEKDAYS}|Jahrhundert|gestern|heute|morgen)\b")),
    AnswerType(re.compile(r"\b(wie lange|how long)\b", re.I),
     _pattern(rf"\b(\d+|{_AMOUNTS})\s+({_UNITS_OF_TIME})\b", re.I)),
    AnswerType(re.compile(r"\b(wie viele|wie viel|wie hoch|wie groß|wie alt|wie weit|how many|how much)\b", re.I),
     _pattern(r"\d|\b(eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|hundert|tausend|Million|Milliard)",
              re.I)),
    # "Was sagte X?" asks for a statement: sentences that report speech (a speech verb or a quotation). One that
    # reports none ("Die Stellvertreter von Blinken haben sich getroffen") answers it only in part. A quotation
    # may run on over a sentence's end (Selenskyj's two-sentence quote): opened and not closed, or closed and
    # not opened, it is one all the same.
    AnswerType(re.compile(r"\b(was|wie) (sagte|sagt|meinte|meint|erklärte|erklärt|betonte|betont|antwortete|reagierte|"
                r"äußerte|entgegnete)\b", re.I),
     _pattern(r"\b(sagte|sagt|betonte|erklärte|sprach|nannte|meinte|kündigte|warnte|bekräftigte|versprach|"
              r"räumte|entgegnete|antwortete)\b|[„\"«].{8,}[“\"»]"
              r"|(?:^|[\s(])[„\"«](?=\w)[^“\"»]{8,}$|^[^„\"«]{8,}[“\"»]\W*$"), lacking=0.6),
    AnswerType(re.compile(r"^\s*(wo|wohin|woher|where)\b", re.I),
     _pattern(r"\b(in|nach|aus|bei|im)\s+[A-ZÄÖÜ][a-zäöüß]+")),
    # "Wie geht es weiter?" asks what comes next: a sentence naming a later day than its article's. No dev question
    # asks it (the dev set is unchanged with it); the sample article's "Wie geht es weiter?" quoted "... nach Hause
    # gehen zu lassen" without it. A sentence lacking a later day counts half: one holding it in any of the best
    # three passages then beats one lacking it in the first (rank and lead bonuses: 0.3/(1+rank) + 0.08).
    AnswerType(re.compile(r"\b(wie geht es (nun |jetzt |dann )?weiter|wie soll es weitergehen|was (passiert|geschieht|"
                r"kommt) (als nächstes|nun|jetzt|dann)|what happens next|what comes next|what is next|what's next)",
                re.I), names_a_later_day, lacking=0.5, frame=True),
]
ANSWER_TYPE_BONUS = 0.12


def answer_type_bonus(question: str, sentence: str, published: date | None = None) -> tuple[float, float]:
    """(bonus, factor) for a sentence: the bonus when it holds what the question asks for, else the factor."""
    for answer_type in ANSWER_TYPES:
        if answer_type.asks.search(question):
            if answer_type.holds(sentence, published):
                return ANSWER_TYPE_BONUS, 1.0
            return 0.0, answer_type.lacking
    return 0.0, 1.0


def without_frame(question: str) -> str:
    """The question without the words of an answer type that name no topic ("Wie geht es weiter?": "geht" is no
    term a sentence should share). Other types' words may ("Wie reagierte der Kreml?" is answered by "reagiert")."""
    for answer_type in ANSWER_TYPES:
        if answer_type.asks.search(question):
            return answer_type.asks.sub(" ", question) if answer_type.frame else question
    return question


__all__ = ["ANSWER_TYPES", "ANSWER_TYPE_BONUS", "AnswerType", "answer_type_bonus", "names_a_later_day",
           "without_frame"]
