"""The language of a question: it decides the language of the assistant's messages and of LLM answers.

Identification is lingua's (lingua-language-detector), a detector built for short texts, over the languages a
reader of German news is likely to ask in. German wins whenever the evidence is thin: a single word (a name
such as "Graz" has no language, lingua calls it Italian) or a best guess below `MIN_CONFIDENCE`, because the
audience reads German news. Figures (accuracy on the XQuAD dev questions in German and English, load time,
memory, larger language sets): `bench/language.py` and the README.
"""

from __future__ import annotations

import re
import threading

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

DEFAULT_LANGUAGE = "de"
# ISO 639-1 codes the detector chooses from. Measured (bench/language.py): these six load in 1.1 s and take
# 175 MiB; German and English alone 0.5 s / 94 MiB; twelve European languages 2.4 s / 346 MiB; all 75 of
# lingua's 7 s / 860 MiB and 1.5 ms per question instead of 0.13 ms, and a question more often lands on a
# neighbour (English accuracy 0.98 → 0.97 with twelve).
LANGUAGES: tuple[str, ...] = ("de", "en", "fr", "es", "it", "nl")
# Below this confidence of the best language we answer in German. Measured on the 2 × 239 dev questions: the
# highest threshold that loses no full question in either language (the least confident correct English
# question scores 0.32); it turns uncertain short questions to German.
MIN_CONFIDENCE = 0.30
# Fewer words than this carry no language (measured: on a question's last word alone, usually a name or a noun,
# lingua is right for 78 % of the German and 56 % of the English questions; on whole questions 100 % / 98 %).
MIN_WORDS = 2

_WORD = re.compile(r"[^\W\d_]+")  # letters only: numbers and punctuation say nothing about the language
_detector: LanguageDetector | None = None
_lock = threading.Lock()


def detector() -> LanguageDetector:
    """The process-wide detector, built on first use. lingua loads its n-gram models lazily on the first
    detection (about 1 s and 175 MiB for the six languages); that first detection runs under the lock, so
    concurrent first questions load the models once."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                built = LanguageDetectorBuilder.from_iso_codes_639_1(
                    *(IsoCode639_1.from_str(code) for code in LANGUAGES)
                ).build()
                built.compute_language_confidence_values("Nachrichten aus aller Welt")  # load the models now
                _detector = built
    return _detector


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in, one of `LANGUAGES`; 'de' when unsure."""
    return identify(text, detector())


def identify(text: str, languages: LanguageDetector, min_confidence: float = MIN_CONFIDENCE) -> str:
    """`detect_language` with a given detector and threshold (the bench compares language sets with it)."""
    if len(_WORD.findall(text or "")) < MIN_WORDS:
        return DEFAULT_LANGUAGE
    values = languages.compute_language_confidence_values(text)
    if not values or values[0].value < min_confidence:
        return DEFAULT_LANGUAGE
    return _code(values[0].language)


def language_name(code: str) -> str:
    """The English name of a language code ('fr' → 'French'), as an LLM prompt can name it."""
    try:
        language = Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return language_name(DEFAULT_LANGUAGE)
    return language.name.title()


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "MIN_CONFIDENCE", "MIN_WORDS", "detect_language", "detector",
           "identify", "language_name"]
