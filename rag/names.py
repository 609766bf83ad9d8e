"""Names in a German question, and which of them the found passages never name: evidence for the relevance judge.

A question about someone or somewhere the passages never name ("Was sagte Macron zur Ukraine?" of an article on
Blinken and Lawrow in Genf) is not answered by them, however close the topic: term coverage weighs "Macron" as
one word among others, and the cosine sees the near topic (judged 0.31 against the floor 0.24: it was answered
with a sentence on the Ukraine). Proper nouns come from HanTa's part-of-speech tagger (HanoverTagger 1.2.1,
LGPL-3.0, its German model: tag NE), about 1 ms per question; the model loads on the first German question
(0.13 s, 44 MB). Adjacent proper nouns are one name ("Graham Twigg"), held when a passage names any part of it
("Twigg"); a part is named when a passage has its stem or one spelled within NEAR of it ("Bedigo" asked,
"Bendigo" written). Only for German questions over German passages: another language spells names its own way
("Lavrov", "Lawrow").
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rag.text import misspelt_in, terms

# How alike (difflib's ratio) a passage's stem must be to count as the name misspelt or inflected otherwise; the
# dev questions' typos ("Bedigo", "Sheeshanks") lie at 0.92 and 0.95. Names of fewer than FUZZY_FROM characters
# must match exactly ("Kiew" is not "Kiel").
NEAR = 0.85
FUZZY_FROM = 5
PROPER_NOUN = "NE"
_TOKEN = re.compile(r"\w+(?:-\w+)*")
_LOCK = threading.Lock()  # HanTa's tagger keeps caches of its own: one question at a time
_tagger: Any = None


def _tag(tokens: list[str]) -> list[tuple[str, str, str]]:
    global _tagger
    with _LOCK:
        if _tagger is None:
            from HanTa import HanoverTagger  # imported on first use: ingestion and `newsrag --help` never need it

            _tagger = HanoverTagger.HanoverTagger("morphmodel_ger.pgz")
        return _tagger.tag_sent(tokens)


@lru_cache(maxsize=4096)
def question_names(question: str) -> tuple[tuple[str, ...], ...]:
    """The names of a German question: its proper nouns as written, adjacent ones together (("Graham", "Twigg"),
    ("Macron",)); single letters are none."""
    tokens = _TOKEN.findall(question)
    names: list[list[str]] = []
    previous = False
    for word, _, tag in _tag(tokens) if tokens else ():
        proper = tag == PROPER_NOUN and len(word) > 1
        if proper and previous:
            names[-1].append(word)
        elif proper:
            names.append([word])
        previous = proper
    return tuple(tuple(name) for name in names)


def missing_names(question: str, texts: Sequence[str]) -> tuple[str, ...]:
    """The question's names that none of `texts` names, as written ("Macron")."""
    names = question_names(question)
    if not names:
        return ()
    present: set[str] = set()
    for text in texts:
        present.update(terms(text))
    return tuple(" ".join(name) for name in names if not any(_held(part, present) for part in name))


def _held(name: str, present: set[str]) -> bool:
    stems = terms(name)
    if not stems or stems & present:
        return True  # a name the analysis drops (a stop word) cannot be looked for
    return len(name) >= FUZZY_FROM and all(_near(stem, present) for stem in stems)


def _near(stem: str, present: set[str]) -> bool:
    """Whether a passage spells the name nearly so: alike by NEAR, or one edit from it where both retrieval and
    term coverage read a typo (`rag.text.misspelt_in`: "Lawrov" asked, "Lawrow" written, alike by only 0.83)."""
    return bool(difflib.get_close_matches(stem, present, n=1, cutoff=NEAR)) or misspelt_in(stem, present)


__all__ = ["missing_names", "question_names"]
