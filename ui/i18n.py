"""The web app's texts in German (the default: the audience reads German news) and English.

Only the interface is translated here; answers and the engine's notices come from `rag` in the question's
language. Every key must exist in both tables (a test checks that).
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "newsrag – Fragen an Nachrichtenartikel",
        "subtitle": "Jede Aussage der Antwort ist mit einer Quelle belegt: die Nummern [n] verweisen auf die "
                    "Textstellen rechts.",
        "tab_chat": "Chat",
        "tab_corpus": "Korpus",
        "chat_label": "Gespräch",
        "chat_placeholder": "Fragen Sie etwas über die Artikel im Korpus, z. B. „Welche Forderungen stellte "
                            "Moskau?“",
        "question_label": "Frage",
        "question_placeholder": "Frage eingeben und Enter drücken …",
        "send": "Senden",
        "new_chat": "Neues Gespräch",
        "evidence_label": "Belege",
        "evidence_empty": "Hier erscheinen die zitierten Textstellen der Antwort, die verwendeten Sätze "
                          "hervorgehoben.",
        "evidence_none": "Für diese Antwort gibt es keine Belegstellen.",
        "evidence_searching": "Quellen werden gesucht …",
        "context_summary": "Umgebenden Artikeltext zeigen",
        "context_missing": "Der Artikeltext ist nicht mehr im Korpus.",
        "open_link": "Artikel öffnen",
        "options": "Filter und Einstellungen",
        "since": "Von (JJJJ-MM-TT)",
        "until": "Bis (JJJJ-MM-TT)",
        "outlet": "Medium",
        "all_outlets": "Alle Medien",
        "k": "Anzahl der Textstellen",
        "mode": "Antwortmodus",
        "mode_extractive": "Extraktiv (Sätze aus den Quellen)",
        "mode_llm": "Sprachmodell (LLM)",
        "llm_on": "Sprachmodell: konfiguriert ({endpoint}). Ist es nicht erreichbar, wird extraktiv geantwortet "
                  "(mit Hinweis).",
        "llm_off": "Sprachmodell: nicht konfiguriert (RAG_LLM_URL setzen); Antworten bestehen aus Sätzen der "
                   "Quellen.",
        "corpus_status": "{n} Artikel im Korpus.",
        "corpus_empty_status": "Der Korpus ist leer.",
        "empty_corpus": "Der Korpus ist noch leer, daher kann ich noch nichts beantworten. Fügen Sie im Tab "
                        "„Korpus“ Artikel hinzu: Dateien hochladen (.txt, .md, .html, .json, .jsonl, .csv), eine "
                        "Artikel- oder Feed-URL angeben oder Text einfügen. Auf der Kommandozeile geht das mit "
                        "`newsrag ingest PFAD_ODER_URL`.",
        "empty_question": "Bitte eine Frage eingeben.",
        "bad_date": "„{field}“ muss ein Datum der Form JJJJ-MM-TT sein (z. B. 2022-01-21), nicht „{value}“.",
        "error": "Fehler: {message}",
        "internal_error": "Unerwarteter Fehler ({kind}). Die App läuft weiter; Details stehen im Server-Log.",
        "notice": "Hinweis",
        "bad_history": "history_json muss eine JSON-Liste früherer Runden sein: {error}",
        # the period an answer was restricted to, and how well its sentences are supported
        "period": "Zeitraum",
        "period_newest": "neueste zuerst ({expression})",
        "period_remove": "✕ Zeitraum entfernen",
        "period_from_question": "aus der Frage gelesen; „✕ Zeitraum entfernen“ fragt ohne ihn neu",
        "period_from_filters": "aus den Filtern „Von“ und „Bis“",
        "weak_title": "schwach belegt ({support:.2f})",
        "weak_notice": "Gepunktet unterstrichene Sätze sind durch die Quellen nur schwach belegt ({n}).",
        "also_in": "auch berichtet von",
        # corpus tab
        "add_files": "Dateien hochladen",
        "files_label": "Artikeldateien",
        "files_help": "Erlaubt: {types}; höchstens {mb} MB pro Datei.",
        "files_outlet": "Medium (optional, überschreibt das erkannte)",
        "upload_button": "Hochladen und indexieren",
        "add_url": "Per URL hinzufügen",
        "url_label": "Artikel- oder Feed-URLs (eine pro Zeile)",
        "url_button": "Abrufen und indexieren",
        "add_text": "Text einfügen",
        "paste_title": "Titel",
        "paste_outlet": "Medium (optional)",
        "paste_date": "Datum (optional, JJJJ-MM-TT)",
        "paste_url": "URL (optional)",
        "paste_text": "Artikeltext",
        "paste_button": "Text indexieren",
        "result_label": "Ergebnis",
        "articles_label": "Indexierte Artikel",
        "col_id": "ID",
        "col_title": "Titel",
        "col_outlet": "Medium",
        "col_date": "Datum",
        "col_chunks": "Abschnitte",
        "col_copy_of": "Kopie von",
        "delete_ids": "Zu löschende Artikel-IDs (Zeile in der Tabelle anklicken oder IDs eintippen)",
        "delete_button": "Ausgewählte löschen",
        "refresh": "Liste aktualisieren",
        # the index at a glance (`newsrag status`)
        "status_label": "Überblick",
        "st_articles": "Artikel",
        "st_chunks": "Abschnitte",
        "st_outlets": "Medien",
        "st_dates": "Zeitraum",
        "st_stories": "Geschichten mehrfach",
        "st_stories_value": "{groups} ({copies} Kopien)",
        "st_stories_value_one": "{groups} (1 Kopie)",
        "st_stories_none": "keine",
        "st_embedding": "Embedding-Modell",
        "st_store": "Speicher",
        "st_lexical": "Volltextindex",
        "st_undated": "{n} ohne Datum",
        "st_no_outlet": "(ohne Medium)",
        "st_more": "und {n} weitere",
        "st_dimensions": "{n} Dimensionen",
        "st_dimension_unknown": "Dimension unbekannt",
        "dim_from_collection": "aus der Sammlung gelesen",
        "dim_from_model_config": "aus der Modellkonfiguration gelesen",
        "dim_from_model": "vom geladenen Modell",
        "st_mismatch": "Die Sammlung wurde mit {model} erstellt: `newsrag reindex` ausführen.",
        "st_embedded": "eingebettet",
        "st_server": "Server",
        "st_collection": "Sammlung {name}",
        "lexical_fresh": "aktuell",
        "lexical_stale": "veraltet (wird bei der nächsten Frage nachgeführt)",
        "lexical_missing": "fehlt (wird bei der nächsten Frage gebaut)",
        # results
        "added": "hinzugefügt",
        "updated": "aktualisiert",
        "unchanged": "unverändert (schon im Korpus)",
        "failed": "fehlgeschlagen",
        "removed": "gelöscht",
        "nothing_given": "Nichts zu tun: keine Eingabe.",
        "no_files": "Bitte zuerst Dateien auswählen.",
        "bad_type": "Dateityp „{suffix}“ wird nicht angenommen (erlaubt: {types}).",
        "too_large": "Die Datei ist {size:.1f} MB groß; erlaubt sind höchstens {mb} MB.",
        "not_url": "keine http(s)-URL; hier sind nur Web-Adressen erlaubt (Dateien bitte hochladen).",
        "no_title": "Bitte einen Titel angeben.",
        "no_text": "Bitte den Artikeltext einfügen.",
        "unknown_ids": "Nicht im Korpus: {ids}",
        "no_ids": "Bitte mindestens eine Artikel-ID angeben.",
        "summary": "{added} hinzugefügt, {updated} aktualisiert, {unchanged} unverändert, {failed} "
                   "fehlgeschlagen.",
    },
    "en": {
        "title": "newsrag – ask the news articles",
        "subtitle": "Every statement in an answer is backed by a source: the numbers [n] point to the passages on "
                    "the right.",
        "tab_chat": "Chat",
        "tab_corpus": "Corpus",
        "chat_label": "Conversation",
        "chat_placeholder": "Ask something about the articles in the corpus, e.g. “Welche Forderungen stellte "
                            "Moskau?”",
        "question_label": "Question",
        "question_placeholder": "Type a question and press Enter …",
        "send": "Send",
        "new_chat": "New conversation",
        "evidence_label": "Evidence",
        "evidence_empty": "The passages cited by the answer appear here, with the sentences used highlighted.",
        "evidence_none": "This answer has no cited passages.",
        "evidence_searching": "Searching the sources …",
        "context_summary": "Show the surrounding article text",
        "context_missing": "The article is no longer in the corpus.",
        "open_link": "Open article",
        "options": "Filters and settings",
        "since": "From (YYYY-MM-DD)",
        "until": "Until (YYYY-MM-DD)",
        "outlet": "Outlet",
        "all_outlets": "All outlets",
        "k": "Number of passages",
        "mode": "Answer mode",
        "mode_extractive": "Extractive (sentences from the sources)",
        "mode_llm": "Language model (LLM)",
        "llm_on": "Language model: configured ({endpoint}). When it is unreachable, answers are extracted from "
                  "the sources (with a notice).",
        "llm_off": "Language model: not configured (set RAG_LLM_URL); answers consist of sentences from the "
                   "sources.",
        "corpus_status": "{n} article(s) in the corpus.",
        "corpus_empty_status": "The corpus is empty.",
        "empty_corpus": "The corpus is still empty, so I cannot answer anything yet. Add articles in the "
                        "“Corpus” tab: upload files (.txt, .md, .html, .json, .jsonl, .csv), give an article or "
                        "feed URL, or paste text. On the command line: `newsrag ingest PATH_OR_URL`.",
        "empty_question": "Please type a question.",
        "bad_date": "“{field}” must be a date like 2022-01-21 (YYYY-MM-DD), not “{value}”.",
        "error": "Error: {message}",
        "internal_error": "Unexpected error ({kind}). The app keeps running; the server log has the details.",
        "notice": "Note",
        "bad_history": "history_json must be a JSON list of earlier turns: {error}",
        "period": "Period",
        "period_newest": "newest first ({expression})",
        "period_remove": "✕ Remove the period",
        "period_from_question": "read from the question; “✕ Remove the period” asks again without it",
        "period_from_filters": "from the “From” and “Until” filters",
        "weak_title": "weakly supported ({support:.2f})",
        "weak_notice": "Sentences with a dotted underline are only weakly supported by the sources ({n}).",
        "also_in": "also reported by",
        "add_files": "Upload files",
        "files_label": "Article files",
        "files_help": "Allowed: {types}; at most {mb} MB per file.",
        "files_outlet": "Outlet (optional, overrides the detected one)",
        "upload_button": "Upload and index",
        "add_url": "Add by URL",
        "url_label": "Article or feed URLs (one per line)",
        "url_button": "Fetch and index",
        "add_text": "Paste text",
        "paste_title": "Title",
        "paste_outlet": "Outlet (optional)",
        "paste_date": "Date (optional, YYYY-MM-DD)",
        "paste_url": "URL (optional)",
        "paste_text": "Article text",
        "paste_button": "Index text",
        "result_label": "Result",
        "articles_label": "Indexed articles",
        "col_id": "ID",
        "col_title": "Title",
        "col_outlet": "Outlet",
        "col_date": "Date",
        "col_chunks": "Chunks",
        "col_copy_of": "Copy of",
        "delete_ids": "Article IDs to delete (click a row in the table or type IDs)",
        "delete_button": "Delete selected",
        "refresh": "Refresh list",
        "status_label": "Overview",
        "st_articles": "Articles",
        "st_chunks": "Chunks",
        "st_outlets": "Outlets",
        "st_dates": "Dates",
        "st_stories": "Stories stored more than once",
        "st_stories_value": "{groups} ({copies} copies)",
        "st_stories_value_one": "{groups} (1 copy)",
        "st_stories_none": "none",
        "st_embedding": "Embedding model",
        "st_store": "Store",
        "st_lexical": "Lexical index",
        "st_undated": "{n} undated",
        "st_no_outlet": "(no outlet)",
        "st_more": "and {n} more",
        "st_dimensions": "{n} dimensions",
        "st_dimension_unknown": "dimension unknown",
        "dim_from_collection": "read from the collection",
        "dim_from_model_config": "read from the model config",
        "dim_from_model": "from the loaded model",
        "st_mismatch": "The collection was built with {model}: run `newsrag reindex`.",
        "st_embedded": "embedded",
        "st_server": "server",
        "st_collection": "collection {name}",
        "lexical_fresh": "fresh",
        "lexical_stale": "stale (brought up to date on the next question)",
        "lexical_missing": "missing (built on the next question)",
        "added": "added",
        "updated": "updated",
        "unchanged": "unchanged (already in the corpus)",
        "failed": "failed",
        "removed": "deleted",
        "nothing_given": "Nothing to do: no input.",
        "no_files": "Please choose files first.",
        "bad_type": "File type “{suffix}” is not accepted (allowed: {types}).",
        "too_large": "The file is {size:.1f} MB; at most {mb} MB are allowed.",
        "not_url": "not an http(s) URL; only web addresses are allowed here (upload files instead).",
        "no_title": "Please give a title.",
        "no_text": "Please paste the article text.",
        "unknown_ids": "Not in the corpus: {ids}",
        "no_ids": "Please give at least one article ID.",
        "summary": "{added} added, {updated} updated, {unchanged} unchanged, {failed} failed.",
    },
}


class Texts:
    """The texts of one language: `texts("key", n=3)` formats, `texts["key"]` does not."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = resolve_language(language)
        self.table = TEXTS[self.language]

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def __call__(self, key: str, **values: Any) -> str:
        return self.table[key].format(**values)


def resolve_language(language: str | None) -> str:
    """`de`, `en`, `de-AT`, `EN_us` → a supported language; anything else → German."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE

