"""The Assistant: resolve the question → retrieve → answer (extractive or LLM) → check citations.

Settings, models, the store and the lexical index are loaded once per Assistant; `answer()` and `stream()` are
safe to call from several threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from rag.cite import Draft, check_llm_answer, corroborate, render
from rag.config import Settings, get_settings
from rag.embeddings import Embedder
from rag.errors import ConfigError, InputError, LLMError
from rag.extractive import in_reading_order, select_sentences
from rag.followup import normalize_history, resolve_followup
from rag.language import detect_language
from rag.llm import LLMClient, make_chat_model
from rag.meaning import meaning_support, sentence_similarity
from rag.messages import format_day, format_period, message, quoted
from rag.periods import archive_notice, newest_day, question_scope, tells_of_the_period
from rag.relevance import lexical_idf
from rag.request import Request, request_filters
from rag.retrieve import CAP_YIELD, JUDGED, Filters, Passage, Retrieval, Retriever
from rag.schema import Answer
from rag.store import Store
from rag.text import terms
from rag.timeline import (
    TIMELINE_ARTICLES,
    TIMELINE_MIN_STEPS,
    asks_for_timeline,
    digest_drafts,
    sentence_day,
    timeline_drafts,
    timeline_query,
)

# The judge's floor is set to answer as many questions as it can; an article listed beside others (a timeline's
# step, a date the topic appears on) must more likely be on the topic than not: the judge's probability ≥ 1/2.
ON_TOPIC = 0.5


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
               mode: str | None = None, today: date | str | None = None, infer_period: bool = True) -> Answer:
        """Answer one question; `history` holds earlier (question, answer) turns for follow-ups.

        Time words in the question ("letzte Woche") restrict the answer to that period, counted from `today`
        (else RAG_TODAY, else the real today); `since` / `until` win over them, `infer_period=False` ignores them.
        """
        request = self._request(question, history=history, k=k, since=since, until=until, sources=sources,
                                mode=mode, today=today, infer_period=infer_period)
        return self.chain.invoke(request)

    def stream(self, question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
               since: str | None = None, until: str | None = None, sources: Sequence[str] | str | None = None,
               mode: str | None = None, today: date | str | None = None,
               infer_period: bool = True) -> Iterator[str | Answer]:
        """Yields pieces of answer text as they are produced, then the final, checked `Answer`.

        The final answer's text is authoritative: in LLM mode the citation check may renumber or flag what
        was streamed.
        """
        request = self._retrieve(self._resolve(self._request(
            question, history=history, k=k, since=since, until=until, sources=sources, mode=mode, today=today,
            infer_period=infer_period)))
        if request.mode != "llm" or request.timeline or not self._has_answer(request):
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
            fallback = self._read_in_the_archive(
                request, self._extractive(request, notice=self._text(request, "llm_down", error=exc)))
            yield "\n\n" + fallback.text
            yield fallback
            return
        request.timings["answer"] = time.perf_counter() - clock
        yield self._read_in_the_archive(request, self._llm_answer(request, "".join(pieces)))

    def retrieve(self, question: str, *, k: int | None = None, since: str | None = None,
                 until: str | None = None, sources: Sequence[str] | str | None = None) -> Retrieval:
        """The passages for a question as written (no period from its words: see `answer`)."""
        return self.retriever.retrieve(question, k=k, filters=request_filters(since, until, sources))

    # --- steps of the chain -------------------------------------------------------------------------------
    def _request(self, question: str, *, history: Sequence[Any] | None, k: int | None, since: str | None,
                 until: str | None, sources: Sequence[str] | str | None, mode: str | None,
                 today: date | str | None, infer_period: bool) -> Request:
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
        checked = request_filters(since, until, sources)  # bad dates fail here, whatever the question says
        scope = question_scope(question, checked, today=today, configured=self.settings.today, infer=infer_period,
                               newest=lambda: newest_day(info.published for info in self.store.catalog().values()))
        return Request(question, normalize_history(history), k or self.settings.top_k, scope, mode,
                       detect_language(question), asks_for_timeline(question))

    def _resolve(self, request: Request) -> Request:
        base = request.base = request.scope.search_text
        if request.timeline:
            base = request.base = timeline_query(base)
        request.query = base
        if request.history:
            clock = time.perf_counter()
            if request.mode == "llm" and not request.timeline:
                try:
                    request.query = self._llm_client().condense(base, request.history, request.language)
                except LLMError:
                    request.query = resolve_followup(base, request.history)
            else:
                request.query = resolve_followup(base, request.history)
            request.timings["condense"] = time.perf_counter() - clock
        return request

    def _retrieve(self, request: Request) -> Request:
        clock = time.perf_counter()
        k, per_article = request.k, None
        if request.timeline:  # one step per article, from as many articles as a timeline shows
            k, per_article = max(k, TIMELINE_ARTICLES), 1
        request.retrieval = self.retriever.retrieve(request.query, k=k, filters=request.scope.filters,
                                                    per_article=per_article,
                                                    prefer_recent=request.scope.prefer_recent)
        request.timings.update(request.retrieval.timings)
        request.timings["retrieve"] = time.perf_counter() - clock
        return request

    def _respond(self, request: Request) -> Answer:
        return self._read_in_the_archive(request, self._reply(request))

    def _reply(self, request: Request) -> Answer:
        if not self._has_answer(request) and request.scope.names_only_a_period:
            digest = self._digest(request)
            if digest.answered:
                return digest
        if not self._has_answer(request):
            return self._unanswered(request)
        return self._answer_found(request)

    def _answer_found(self, request: Request) -> Answer:
        """The answer from the passages retrieved: a timeline, an LLM's or an extractive one."""
        if request.timeline:
            return self._timeline(request)
        if request.mode == "llm":
            clock = time.perf_counter()
            try:
                text = self._llm_client().generate(request.query, self._llm_passages(request), request.language)
            except LLMError as exc:
                return self._extractive(request, notice=self._text(request, "llm_down", error=exc))
            request.timings["answer"] = time.perf_counter() - clock
            return self._llm_answer(request, text)
        return self._extractive(request)

    @staticmethod
    def _read_in_the_archive(request: Request, answer: Answer) -> Answer:
        notice = archive_notice(request.scope, request.language)
        return replace(answer, notices=(notice, *answer.notices)) if notice else answer

    # --- answers ------------------------------------------------------------------------------------------
    def _has_answer(self, request: Request) -> bool:
        retrieval = request.retrieval
        return bool(retrieval and retrieval.passages and retrieval.relevance >= self.retriever.floor)

    def _unanswered(self, request: Request) -> Answer:
        catalog = self.store.catalog()
        if not catalog:
            text = self._text(request, "empty")
        elif request.scope.period and (request.scope.period["since"] or request.scope.period["until"]):
            return self._outside_period(request, catalog)
        elif request.retrieval and request.retrieval.evidence and request.retrieval.evidence.missing_names:
            names = ", ".join(quoted(name, request.language) for name in request.retrieval.evidence.missing_names)
            text = self._text(request, "unnamed", names=names)  # what is missing, so the user can rephrase
        else:
            text = self._text(request, "nothing")
        return Answer(text, False, [], request.question, request.mode, timings=request.timings,
                      period=request.scope.period)

    def _outside_period(self, request: Request, catalog: dict[str, Any]) -> Answer:
        """Nothing in the period: say so, name the period the corpus covers, and when the topic does appear;
        then the answer from those other days, so an archive asked "am Freitag" still shows what it holds (the
        chip's ✕ asks again without the period)."""
        period = request.scope.period or {}
        parts = [self._text(request, "outside", period=format_period(
            period.get("since"), period.get("until"), str(period.get("expression") or ""), request.language))]
        days = sorted(info.published[:10] for info in catalog.values() if info.published)
        if days:
            parts.append(self._text(request, "covers", first=format_day(days[0], request.language),
                                    last=format_day(days[-1], request.language)))
        unrestricted = replace(request.scope.filters, since=None, until=None, events=False)
        elsewhere = self.retriever.retrieve(request.query, k=request.k, filters=unrestricted)
        told = self._told_of_the_period(request, unrestricted, elsewhere) if request.scope.from_question else None
        if told is not None:
            return told
        if not (elsewhere.passages and elsewhere.relevance >= self.retriever.floor):
            return Answer(" ".join(parts), False, [], request.question, request.mode, timings=request.timings,
                          period=request.scope.period)
        found = sorted({p.published[:10] for p in elsewhere.passages[:JUDGED] if p.published and
                        self.retriever.passage_relevance(request.query, p, elsewhere) >= ON_TOPIC})
        if found:
            parts.append(self._text(request, "found_at", days=", ".join(
                format_day(day, request.language) for day in found)))
        if not request.scope.from_question:  # --since / --until are the user's explicit limit: no answer beyond
            return Answer(" ".join(parts), False, [], request.question, request.mode, timings=request.timings,
                          period=request.scope.period)
        request.retrieval = elsewhere
        answer = self._answer_found(request)
        return replace(answer, text=f"{' '.join(parts)}\n\n{answer.text}" if answer.answered else " ".join(parts))

    def _told_of_the_period(self, request: Request, filters: Filters, searched: Retrieval) -> Answer | None:
        """The answer from an article that tells of the period though it appeared outside it (searched with the
        time words, which name what such an article writes: "im Februar", "2014"), when its first sentence does
        (`tells_of_the_period`); None otherwise, and for a follow-up (its question alone names no topic).
        `searched`: the search without the period, reused when the time words stayed in it (a year)."""
        if request.history or request.scope.period is None:
            return None
        found = searched if request.query == request.question else \
            self.retriever.retrieve(request.question, k=request.k, filters=filters)
        if not (found.passages and found.relevance >= self.retriever.floor):
            return None
        answer = self._answer_found(replace(request, query=request.question, retrieval=found))
        if not answer.claims or not answer.citations:
            return None
        first = answer.claims[0]
        cited = next((c for c in answer.citations if c.n in first.citations), None)
        published = date.fromisoformat(cited.published[:10]) if cited and cited.published else None
        return answer if tells_of_the_period(first.text, request.scope.period, published) else None

    def _extractive(self, request: Request, notice: str | None = None) -> Answer:
        clock = time.perf_counter()
        passages = self._passages(request)
        focus = terms(request.base) if request.query != request.base else ()
        idf = self._idf(request)
        similarity = sentence_similarity(self.retriever, request.retrieval)
        sentences = select_sentences(request.query, passages, idf, focus, similarity)
        dated = self._dated(request, [passages[s.passage] for s in sentences])
        if dated:
            sentences = in_reading_order(sentences)  # dated lines read as the article tells them
        drafts = [Draft(passages[s.passage].text[s.start : s.end], [s.passage], {s.passage: (s.start, s.end)})
                  for s in sentences]
        corroborate(drafts, passages, idf, request.query)
        if dated:
            for draft in drafts:
                day = sentence_day(draft.text, passages[draft.passages[0]].published)
                draft.prefix = f"{format_day(day, request.language)}: " if day else ""
        text, citations, claims = render(drafts, passages)
        request.timings["answer"] = time.perf_counter() - clock
        notices = (notice,) if notice else ()
        return Answer(text, bool(citations), citations, request.question, "extractive", notices, request.timings,
                      period=request.scope.period, claims=claims)

    @staticmethod
    def _dated(request: Request, quoted: Sequence[Passage]) -> bool:
        """Whether an extractive answer names the date of what it quotes: when the question concerns time or
        its sources differ in date."""
        return request.scope.period is not None or len({p.published[:10] for p in quoted}) > 1

    def _timeline(self, request: Request) -> Answer:
        clock = time.perf_counter()
        passages = self._passages(request)
        retrieval, best = request.retrieval, max((p.score for p in passages), default=0.0)
        floor = max(self.retriever.floor, ON_TOPIC)

        def on_topic(passage: Passage) -> bool:
            """A real alternative in retrieval (CAP_YIELD of the best, as the article cap has it) that the
            relevance judge accepts on its own."""
            return retrieval is not None and passage.score >= CAP_YIELD * best and \
                self.retriever.passage_relevance(request.query, passage, retrieval) >= floor

        similarity = sentence_similarity(self.retriever, request.retrieval)
        drafts = timeline_drafts(request.query, passages, self._idf(request), similarity, request.language, on_topic)
        if len(drafts) < TIMELINE_MIN_STEPS:
            return self._plain(request)
        body, citations, claims = render(drafts, passages, separator="\n")
        request.timings["answer"] = time.perf_counter() - clock
        text = f"{self._text(request, 'timeline')}\n{body}" if citations else self._text(request, "nothing")
        return Answer(text, bool(citations), citations, request.question, "extractive", (), request.timings,
                      period=request.scope.period, claims=claims)

    def _plain(self, request: Request) -> Answer:
        """The ordinary answer to a question that asked for a timeline the corpus has no two dated steps for: the
        query as resolved (without the timeline words, which name no topic), passages no longer one per article."""
        return self._reply(self._retrieve(replace(request, timeline=False, retrieval=None)))

    def _digest(self, request: Request) -> Answer:
        """What the period's articles report (see `Retriever.reported_in`), one dated sentence each."""
        period = request.scope.period or {}
        since = date.fromisoformat(str(period.get("since") or "0001-01-01"))
        until = date.fromisoformat(str(period.get("until") or "9999-12-31"))
        clock = time.perf_counter()
        passages = self.retriever.reported_in(request.scope.filters, TIMELINE_ARTICLES)
        body, citations, claims = render(digest_drafts(passages, since, until, request.language), passages,
                                         separator="\n")
        request.timings["answer"] = time.perf_counter() - clock
        heading = self._text(request, "digest", period=format_period(
            period.get("since"), period.get("until"), str(period.get("expression") or ""), request.language))
        return Answer(f"{heading}\n{body}", bool(citations), citations, request.question, "extractive", (),
                      request.timings, period=request.scope.period, claims=claims)

    def _idf(self, request: Request) -> dict[str, float]:
        retrieval = request.retrieval
        return lexical_idf(retrieval.lexical if retrieval and retrieval.lexical else self.store.lexical())

    def _llm_answer(self, request: Request, raw: str) -> Answer:
        passages = self._llm_passages(request)  # what the model saw: its [n] refer to these
        support = meaning_support(self.retriever, request.retrieval)
        drafts, removed, unsupported = check_llm_answer(raw, passages, support)
        text, citations, claims = render(drafts, passages)
        notices = []
        if removed:
            notices.append(self._text(request, "removed", n=removed))
        if unsupported:
            notices.append(self._text(request, "unsupported", n=unsupported))
        answered = bool(citations)
        return Answer(text, answered, citations, request.question, "llm", tuple(notices), request.timings,
                      period=request.scope.period, claims=claims)

    # --- helpers ------------------------------------------------------------------------------------------
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
        return message(request.language, key, **values)


_DEFAULT: Assistant | None = None


def answer(question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
           since: str | None = None, until: str | None = None,
           sources: Sequence[str] | str | None = None, today: date | str | None = None,
           infer_period: bool = True) -> Answer:
    """Answer a question about the indexed articles with the settings from the environment.

    The first call loads the models; later calls reuse them (one process-wide `Assistant`).
    """
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT.settings != get_settings():
        _DEFAULT = Assistant(get_settings())
    return _DEFAULT.answer(question, history=history, k=k, since=since, until=until, sources=sources,
                           today=today, infer_period=infer_period)


__all__ = ["Assistant", "answer"]
