"""What the assistant says around its answers, in the question's language, and how it writes dates.

Questions in French or Spanish get their answers in that language (the LLM is told so): the messages around them
follow. Other languages get the English table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

MESSAGES = {
    "de": {
        "empty": "Der Korpus ist noch leer: Artikel mit `newsrag ingest PFAD_ODER_URL` oder im Tab „Korpus“ "
                 "hinzufügen.",
        "nothing": "Dazu finde ich in den Artikeln des Korpus nichts.",
        "unnamed": "Dazu finde ich in den Artikeln des Korpus nichts: Die Artikel zum Thema nennen {names} nicht.",
        "llm_down": "Das Sprachmodell ist nicht erreichbar ({error}); die Antwort wurde extraktiv aus den "
                    "Quellen erstellt.",
        "removed": "{n} Quellenverweis(e) ohne passende Quelle entfernt.",
        "unsupported": "{n} Satz/Sätze ohne Beleg in den Quellen sind mit [?] markiert.",
        "outside": "Im Zeitraum {period} finde ich dazu nichts.",
        "covers": "Der Korpus reicht vom {first} bis {last}.",
        "found_at": "Zum Thema berichten Artikel vom {days}.",
        "digest": "Aus dem Zeitraum {period} berichten die Artikel:",
        "timeline": "Verlauf nach Datum:",
        "archive": "Der jüngste Artikel ist vom {day}: Zeitangaben der Frage gelten von diesem Tag aus, also "
                   "{period}.",
    },
    "en": {
        "empty": "The corpus is empty: add articles with `newsrag ingest PATH_OR_URL` or in the Corpus tab.",
        "nothing": "The articles in the corpus hold nothing on this question.",
        "unnamed": "The articles in the corpus hold nothing on this question: those on its topic never name {names}.",
        "llm_down": "The language model is unreachable ({error}); the answer was extracted from the sources.",
        "removed": "Removed {n} citation marker(s) that pointed to no source.",
        "unsupported": "{n} sentence(s) the sources do not support are marked [?].",
        "outside": "Nothing on this in {period}.",
        "covers": "The corpus covers {first} to {last}.",
        "found_at": "Articles on the topic are from {days}.",
        "digest": "What the articles report for {period}:",
        "timeline": "Timeline by date:",
        "archive": "The newest article is from {day}: the question's time words count from that day, so "
                   "{period}.",
    },
    "fr": {
        "empty": "Le corpus est vide : ajoutez des articles avec `newsrag ingest CHEMIN_OU_URL` ou dans l'onglet "
                 "« Korpus ».",
        "nothing": "Les articles du corpus ne disent rien à ce sujet.",
        "unnamed": "Les articles du corpus ne disent rien à ce sujet : ceux qui en traitent ne nomment pas {names}.",
        "llm_down": "Le modèle de langage est injoignable ({error}) ; la réponse a été extraite des sources.",
        "removed": "{n} renvoi(s) sans source correspondante supprimé(s).",
        "unsupported": "{n} phrase(s) que les sources n'étayent pas sont marquées [?].",
        "outside": "Rien à ce sujet pour la période {period}.",
        "covers": "Le corpus couvre la période du {first} au {last}.",
        "found_at": "Des articles sur le sujet datent du {days}.",
        "digest": "Ce que rapportent les articles pour {period} :",
        "timeline": "Chronologie :",
        "archive": "L'article le plus récent date du {day} : les indications de temps de la question comptent "
                   "à partir de ce jour, soit {period}.",
    },
    "es": {
        "empty": "El corpus está vacío: añada artículos con `newsrag ingest RUTA_O_URL` o en la pestaña "
                 "«Korpus».",
        "nothing": "Los artículos del corpus no dicen nada sobre esta pregunta.",
        "unnamed": "Los artículos del corpus no dicen nada sobre esta pregunta: los que tratan el tema no nombran "
                   "{names}.",
        "llm_down": "El modelo de lenguaje no está disponible ({error}); la respuesta se extrajo de las fuentes.",
        "removed": "Se eliminaron {n} referencia(s) que no remitían a ninguna fuente.",
        "unsupported": "{n} frase(s) que las fuentes no respaldan están marcadas con [?].",
        "outside": "Nada sobre esto en el periodo {period}.",
        "covers": "El corpus abarca del {first} al {last}.",
        "found_at": "Hay artículos sobre el tema del {days}.",
        "digest": "Lo que informan los artículos sobre {period}:",
        "timeline": "Cronología:",
        "archive": "El artículo más reciente es del {day}: las indicaciones de tiempo de la pregunta cuentan "
                   "desde ese día, es decir {period}.",
    },
}




def message(language: str, key: str, **values: Any) -> str:
    return MESSAGES.get(language, MESSAGES["en"])[key].format(**values)


def format_day(day: date | str, language: str) -> str:
    """21.01.2022 in German, French and Spanish; 21 Jan 2022 in English."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return day.strftime("%d %b %Y") if language == "en" else day.strftime("%d.%m.%Y")


def format_period(since: str | None, until: str | None, expression: str, language: str) -> str:
    """ "09.03.2026–15.03.2026 („letzte Woche“)": the range as applied, and the words it came from."""
    if since and until:
        span = format_day(since, language) if since == until else \
            f"{format_day(since, language)}–{format_day(until, language)}"
    elif since:
        span = {"de": "ab ", "fr": "depuis le ", "es": "desde el "}.get(language, "from ") + format_day(since, language)
    elif until:
        span = {"de": "bis ", "fr": "jusqu'au ", "es": "hasta el "}.get(language, "until ") + \
            format_day(until, language)
    else:
        span = ""
    return f"{span} ({quoted(expression, language)})" if expression and span else span or quoted(expression, language)


def quoted(text: str, language: str) -> str:
    """ „Macron“ in German, « Macron » in French, “Macron” otherwise."""
    return {"de": f"„{text}“", "fr": f"« {text} »"}.get(language, f"“{text}”")


__all__ = ["MESSAGES", "format_day", "format_period", "message", "quoted"]
