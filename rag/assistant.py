"""The Assistant: resolve the question → retrieve → answer (extractive or LLM) → check citations.

Settings, models, the store and the lexical index are loaded once per Assistant; `answer()` and `stream()` are
safe to call from several threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from rag.cite import Claim, MeaningSupport, check_llm_answer, render
from rag.config import Settings, get_settings
from rag.embeddings import Embedder
from rag.errors import ConfigError, InputError, LLMError
from rag.extractive import Similarity, select_sentences
from rag.followup import normalize_history, resolve_followup
from rag.language import detect_language
from rag.llm import LLMClient, make_chat_model
from rag.relevance import Evidence, FittedJudge, best_coverage, lexical_idf
from rag.retrieve import Filters, Retrieval, Retriever
from rag.schema import Answer
from rag.store import Store
from rag.text import sentence_spans, terms

MESSAGES = {
    "de": {
        "empty": "Der Korpus ist noch leer: Artikel mit `newsrag ingest PFAD_ODER_URL` oder im Tab „Korpus“ "
                 "hinzufügen.",
        "nothing": "Dazu finde ich in den Artikeln des Korpus nichts.",
        "llm_down": "Das Sprachmodell ist nicht erreichbar ({error}); die Antwort wurde extraktiv aus den "
                    "Quellen erstellt.",
        "removed": "{n} Quellenverweis(e) ohne passende Quelle entfernt.",
        "unsupported": "{n} Satz/Sätze ohne Beleg in den Quellen sind mit [?] markiert.",
    },
    "en": {
        "empty": "The corpus is empty: add articles with `newsrag ingest PATH_OR_URL` or in the Corpus tab.",
        "nothing": "The articles in the corpus hold nothing on this question.",
        "llm_down": "The language model is unreachable ({error}); the answer was extracted from the sources.",
        "removed": "Removed {n} citation marker(s) that pointed to no source.",
        "unsupported": "{n} sentence(s) the sources do not support are marked [?].",
    },
    # Questions in French or Spanish get their answers in that language (the LLM is told so): the messages
    # around them follow. Other languages get the English table.
    "fr": {
        "empty": "Le corpus est vide : ajoutez des articles avec `newsrag ingest CHEMIN_OU_URL` ou dans l'onglet "
                 "« Korpus ».",
        "nothing": "Les articles du corpus ne disent rien à ce sujet.",
        "llm_down": "Le modèle de langage est injoignable ({error}) ; la réponse a été extraite des sources.",
        "removed": "{n} renvoi(s) sans source correspondante supprimé(s).",
        "unsupported": "{n} phrase(s) que les sources n'étayent pas sont marquées [?].",
    },
    "es": {
        "empty": "El corpus está vacío: añada artículos con `newsrag ingest RUTA_O_URL` o en la pestaña "
                 "«Korpus».",
        "nothing": "Los artículos del corpus no dicen nada sobre esta pregunta.",
        "llm_down": "El modelo de lenguaje no está disponible ({error}); la respuesta se extrajo de las fuentes.",
        "removed": "Se eliminaron {n} referencia(s) que no remitían a ninguna fuente.",
        "unsupported": "{n} frase(s) que las fuentes no respaldan están marcadas con [?].",
    },
}


@dataclass
class Request:
    question: str
    history: list[tuple[str, str]]
    k: int
    filters: Filters
    mode: str
    language: str
    query: str = ""
    retrieval: Retrieval | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Assistant:
    """Answers questions about the indexed articles, each statement cited."""

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings or get_settings()
        self.store = store or Store(self.settings, embedder)
        self.retriever = Retriever(self.store, self.settings)
        self._chat_model = chat_model
        self._llm: LLMClient | None = None
        self.chain: Runnable[Request, Answer] = (
            RunnableLambda(self._resolve) | RunnableLambda(self._retrieve) | RunnableLambda(self._respond)
        )

    # --- public API -----------------------------------------------------------------------------------------
    @property
    def llm_available(self) -> bool:
        return self._chat_model is not None or self.settings.llm_enabled

    @property
    def default_mode(self) -> str:
        if self.settings.answer_mode == "extractive":
            return "extractive"
        return "llm" if self.llm_available else "extractive"

    def answer(self, question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
               since: str | None = None, until: str | None = None, sources: Sequence[str] | str | None = None,
               mode: str | None = None) -> Answer:
        """Answer one question; `history` holds earlier (question, answer) turns for follow-ups."""
        request = self._request(question, history, k, since, until, sources, mode)
        return self.chain.invoke(request)

    def stream(self, question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
               since: str | None = None, until: str | None = None, sources: Sequence[str] | str | None = None,
               mode: str | None = None) -> Iterator[str | Answer]:
        """Yields pieces of answer text as they are produced, then the final, checked `Answer`.

        The final answer's text is authoritative: in LLM mode the citation check may renumber or flag what
        was streamed.
        """
        request = self._retrieve(self._resolve(self._request(question, history, k, since, until, sources, mode)))
        if request.mode != "llm" or not self._has_answer(request):
            final = self._respond(request)
            yield final.text
            yield final
            return
        pieces: list[str] = []
        clock = time.perf_counter()
        try:
            for piece in self._llm_client().stream(request.query, self._llm_passages(request), request.language):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            fallback = self._extractive(request, notice=self._text(request, "llm_down", error=exc))
            yield "\n\n" + fallback.text
            yield fallback
            return
        request.timings["answer"] = time.perf_counter() - clock
        yield self._llm_answer(request, "".join(pieces))

    def retrieve(self, question: str, *, k: int | None = None, since: str | None = None,
                 until: str | None = None, sources: Sequence[str] | str | None = None) -> Retrieval:
        return self.retriever.retrieve(question, k=k, filters=_filters(since, until, sources))

    # --- steps of the chain -------------------------------------------------------------------------------
    def _request(self, question: str, history: Sequence[Any] | None, k: int | None, since: str | None,
                 until: str | None, sources: Sequence[str] | str | None, mode: str | None) -> Request:
        question = (question or "").strip()
        if not question:
            raise InputError("question", "the question is empty: ask something about the articles")
        mode = mode or self.default_mode
        if mode not in ("extractive", "llm"):
            raise ConfigError(f"mode must be 'extractive' or 'llm', got {mode!r}")
        if mode == "llm" and not self.llm_available:
            raise ConfigError("LLM mode needs an endpoint: set RAG_LLM_URL (e.g. http://localhost:11434/v1)")
        if k is not None and not 1 <= k <= 50:
            raise ConfigError(f"k must be between 1 and 50, got {k}")
        return Request(question, normalize_history(history), k or self.settings.top_k,
                       _filters(since, until, sources), mode, detect_language(question))

    def _resolve(self, request: Request) -> Request:
        request.query = request.question
        if request.history:
            clock = time.perf_counter()
            if request.mode == "llm":
                try:
                    request.query = self._llm_client().condense(request.question, request.history, request.language)
                except LLMError:
                    request.query = resolve_followup(request.question, request.history)
            else:
                request.query = resolve_followup(request.question, request.history)
            request.timings["condense"] = time.perf_counter() - clock
        return request

    def _retrieve(self, request: Request) -> Request:
        clock = time.perf_counter()
        request.retrieval = self.retriever.retrieve(request.query, k=request.k, filters=request.filters)
        request.timings.update(request.retrieval.timings)
        request.timings["retrieve"] = time.perf_counter() - clock
        return request

    def _respond(self, request: Request) -> Answer:
        if not self._has_answer(request):
            return self._unanswered(request)
        if request.mode == "llm":
            clock = time.perf_counter()
            try:
                text = self._llm_client().generate(request.query, self._llm_passages(request), request.language)
            except LLMError as exc:
                return self._extractive(request, notice=self._text(request, "llm_down", error=exc))
            request.timings["answer"] = time.perf_counter() - clock
            return self._llm_answer(request, text)
        return self._extractive(request)

    # --- answers ------------------------------------------------------------------------------------------
    def _has_answer(self, request: Request) -> bool:
        retrieval = request.retrieval
        return bool(retrieval and retrieval.passages and retrieval.relevance >= self.retriever.floor)

    def _unanswered(self, request: Request) -> Answer:
        empty = not self.store.catalog()
        text = self._text(request, "empty" if empty else "nothing")
        return Answer(text, False, [], request.question, request.mode, timings=request.timings)

    def _extractive(self, request: Request, notice: str | None = None) -> Answer:
        clock = time.perf_counter()
        passages = self._passages(request)
        retrieval = request.retrieval
        idf = lexical_idf(retrieval.lexical if retrieval and retrieval.lexical else self.store.lexical())
        focus = terms(request.question) if request.query != request.question else ()
        sentences = select_sentences(request.query, passages, idf, focus, self._similarity(request))
        claims = [Claim(passages[s.passage].text[s.start : s.end], [s.passage], {s.passage: (s.start, s.end)})
                  for s in sentences]
        text, citations = render(claims, passages)
        request.timings["answer"] = time.perf_counter() - clock
        notices = (notice,) if notice else ()
        return Answer(text, bool(citations), citations, request.question, "extractive", notices, request.timings)

    def _llm_answer(self, request: Request, raw: str) -> Answer:
        passages = self._llm_passages(request)  # what the model saw: its [n] refer to these
        claims, removed, unsupported = check_llm_answer(raw, passages, self._meaning_support(request))
        text, citations = render(claims, passages)
        notices = []
        if removed:
            notices.append(self._text(request, "removed", n=removed))
        if unsupported:
            notices.append(self._text(request, "unsupported", n=unsupported))
        answered = bool(citations)
        return Answer(text, answered, citations, request.question, "llm", tuple(notices), request.timings)

    # --- helpers ------------------------------------------------------------------------------------------
    def _meaning_support(self, request: Request) -> MeaningSupport | None:
        """Support by meaning for an LLM's sentences: the fitted judge, asked whether the passage's closest
        sentence answers the claim as it would a question (term coverage, cosine, the language of each side).
        None for models without a fitted judge."""
        judge = self.retriever.judge
        if not isinstance(judge, FittedJudge) or request.retrieval is None or request.retrieval.lexical is None:
            return None
        lexical, embedder, floor = request.retrieval.lexical, self.store.embedder, self.retriever.floor

        def supported_by(claim: str, passage_text: str) -> tuple[int, int] | None:
            spans = list(sentence_spans(passage_text))
            if not spans:
                return None
            cosines = embedder.encode_passages([passage_text[a:b] for a, b in spans]) @ \
                embedder.encode_queries([claim])[0]
            best = int(np.argmax(cosines))
            evidence = Evidence(best_coverage(claim, [passage_text], lexical), float(cosines[best]),
                                detect_language(claim) != detect_language(passage_text))
            return spans[best] if judge.relevance(evidence) >= floor else None

        return supported_by

    def _similarity(self, request: Request) -> Similarity | None:
        """Sentences → their cosine with the question, for models with a fitted sentence weight."""
        retrieval = request.retrieval
        weight = self.retriever.profile.sentence_weight
        if retrieval is None or retrieval.query_vector is None or weight is None:
            return None
        vector = retrieval.query_vector

        def similarity(sentences: Sequence[str]) -> np.ndarray:
            return weight * (self.store.embedder.encode_passages(sentences) @ vector)

        return similarity
    def _passages(self, request: Request) -> list:
        return request.retrieval.passages if request.retrieval else []

    def _llm_passages(self, request: Request) -> list:
        """The best passages whose text fits RAG_LLM_CONTEXT_CHARS (the first one always)."""
        chosen, size = [], 0
        for passage in self._passages(request):
            size += len(passage.text)
            if chosen and size > self.settings.llm_context_chars:
                break
            chosen.append(passage)
        return chosen

    def _llm_client(self) -> LLMClient:
        if self._llm is None:
            model = self._chat_model or make_chat_model(self.settings)
            self._llm = LLMClient(model, endpoint=self.settings.llm_url or "the chat model")
        return self._llm

    @staticmethod
    def _text(request: Request, key: str, **values: Any) -> str:
        return MESSAGES.get(request.language, MESSAGES["en"])[key].format(**values)


def _filters(since: str | None, until: str | None, sources: Sequence[str] | str | None) -> Filters:
    if isinstance(sources, str):
        sources = [sources]
    return Filters(since or None, until or None, tuple(s for s in (sources or ()) if s))


_DEFAULT: Assistant | None = None


def answer(question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
           since: str | None = None, until: str | None = None,
           sources: Sequence[str] | str | None = None) -> Answer:
    """Answer a question about the indexed articles with the settings from the environment.

    The first call loads the models; later calls reuse them (one process-wide `Assistant`).
    """
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT.settings != get_settings():
        _DEFAULT = Assistant(get_settings())
    return _DEFAULT.answer(question, history=history, k=k, since=since, until=until, sources=sources)


__all__ = ["Assistant", "answer"]
