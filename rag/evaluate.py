"""The evaluation behind `newsrag eval`: index QA contexts (plus distractors) in a throw-away index, ask every
question, and measure retrieval (recall@k, MRR@10 of the chunk holding the gold span) and answers.

`rag` does not import `ingest`, so the caller passes the function that indexes articles into a store.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.assistant import Assistant
from rag.cite import SUPPORT_FLOOR as SUPPORTED
from rag.config import Settings
from rag.embeddings import Embedder
from rag.errors import InputError
from rag.schema import Article
from rag.store import Store
from rag.text import split_sentences

IndexArticles = Callable[[Store, list[Article]], Any]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answer: str
    article_id: str
    start: int  # gold span in the article text
    end: int


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}:{number}", f"invalid JSON ({exc.msg})") from None
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot read the file") from None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "article"


def qa_articles(contexts: Iterable[dict[str, Any]]) -> tuple[list[Article], dict[str, tuple[str, int]]]:
    """Contexts grouped into articles by title, paragraphs in order; context id → (article id, offset)."""
    by_title: dict[str, list[dict[str, Any]]] = {}
    for context in contexts:
        by_title.setdefault(context["title"], []).append(context)
    articles, where = [], {}
    for title, paragraphs in by_title.items():
        paragraphs.sort(key=lambda c: c.get("paragraph_index", 0))
        article_id, parts, offset = "qa-" + slug(title), [], 0
        for paragraph in paragraphs:
            where[paragraph["context_id"]] = (article_id, offset)
            parts.append(paragraph["text"])
            offset += len(paragraph["text"]) + 2
        articles.append(Article(id=article_id, title=title, text="\n\n".join(parts), source="XQuAD",
                                origin="contexts"))
    return articles, where


def distractor_articles(lines: Iterable[dict[str, Any]]) -> list[Article]:
    articles = []
    for line in lines:
        text = str(line["text"]).strip()
        title = (split_sentences(text[:400]) or [text[:100]])[0][:120]
        articles.append(Article(id=slug(str(line["id"])), title=title, text=text, source="distractor",
                                origin="distractors"))
    return articles


def gold_questions(lines: Iterable[dict[str, Any]], where: dict[str, tuple[str, int]]) -> list[Question]:
    questions = []
    for line in lines:
        article_id, offset = where[line["context_id"]]
        start = offset + int(line["answer_starts"][0])
        answer = str(line["answers"][0])
        questions.append(Question(str(line["id"]), line["question"], answer, article_id, start, start + len(answer)))
    return questions


def holds(question: Question, article_id: str, start: int, end: int) -> bool:
    return article_id == question.article_id and start <= question.start and question.end <= end


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 2) if values else 0.0


@dataclass(frozen=True)
class EvalSet:
    articles: list[Article]
    questions: list[Question]


def load_eval_set(questions_path: Path, contexts_path: Path, distractors_path: Path | None = None,
                  limit: int | None = None) -> EvalSet:
    articles, where = qa_articles(read_jsonl(contexts_path))
    if distractors_path is not None:
        articles += distractor_articles(read_jsonl(distractors_path))
    return EvalSet(articles, gold_questions(read_jsonl(questions_path), where)[:limit])


def evaluate(
    questions_path: Path,
    contexts_path: Path,
    index_articles: IndexArticles,
    *,
    distractors_path: Path | None = None,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    dense_weight: float | None = None,
    lexical_weight: float = 1.0,
    limit: int | None = None,
    answers: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Metrics as a flat dict (see README, "Evaluation"). The index lives in a temporary directory."""
    data = load_eval_set(questions_path, contexts_path, distractors_path, limit)
    with tempfile.TemporaryDirectory(prefix="newsrag-eval-") as home:
        assistant = eval_assistant(Path(home), settings, embedder)
        ingest_seconds = index_eval_set(assistant, data, index_articles)
        metrics = run_questions(assistant, data.questions, dense_weight=dense_weight,
                                lexical_weight=lexical_weight, answers=answers, progress=progress)
        metrics["ingest_s"] = round(ingest_seconds, 2)
    return metrics


def eval_assistant(home: Path, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
    """An Assistant on a throw-away embedded index under `home` (never the user's index or server)."""
    base = settings or Settings()
    eval_settings = base.model_copy(update={"home": home, "collection": "eval", "chroma_url": None})
    return Assistant(eval_settings, embedder=embedder)


def index_eval_set(assistant: Assistant, data: EvalSet, index_articles: IndexArticles) -> float:
    clock = time.perf_counter()
    index_articles(assistant.store, data.articles)
    return time.perf_counter() - clock


def run_questions(assistant: Assistant, questions: list[Question], *, dense_weight: float | None = None,
                  lexical_weight: float = 1.0, answers: bool = True,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Ask every question with the given fusion weights; retrieval and (optionally) answer metrics."""
    retriever = assistant.retriever
    saved = retriever.dense_weight, retriever.lexical_weight
    if dense_weight is not None:
        retriever.dense_weight = dense_weight
    retriever.lexical_weight = lexical_weight
    try:
        metrics = _ask_all(assistant, questions, answers, progress)
    finally:
        retriever.dense_weight, retriever.lexical_weight = saved
    metrics.update(articles=len(assistant.store.catalog()), chunks=assistant.store.chunks.count(),
                   dense_weight=dense_weight if dense_weight is not None else saved[0],
                   lexical_weight=lexical_weight, embedding_model=assistant.settings.embedding_model)
    return metrics


def _rank(question: Question, passages: list[Any]) -> int | None:
    return next((i for i, p in enumerate(passages, start=1) if holds(question, p.article_id, p.start, p.end)),
                None)


def _recalls(prefix: str, ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"{prefix}recall@{k}": round(sum(r is not None and r <= k for r in ranks) / n, 4) for k in (1, 5, 10)}
    out[f"{prefix}mrr@10"] = round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4)
    return out


def _ask_all(assistant: Assistant, questions: list[Question], answers: bool,
             progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """Passage ranks as the product returns them (neighbouring chunks merged) and raw chunk ranks."""
    passage_ranks: list[int | None] = []
    chunk_ranks: list[int | None] = []
    top_lengths: list[int] = []
    retrieval_s: list[float] = []
    answer_s: list[float] = []
    contained = supported = unanswered = 0
    claims = supported_claims = 0
    assistant.store.lexical()  # load once, outside the timings
    for number, q in enumerate(questions, start=1):
        clock = time.perf_counter()
        found = assistant.retriever.retrieve(q.question, k=10)
        retrieval_s.append(time.perf_counter() - clock)
        passage_ranks.append(_rank(q, found.passages))
        top_lengths.append(len(found.passages[0].text) if found.passages else 0)
        chunk_ranks.append(_rank(q, assistant.retriever.retrieve(q.question, k=10, merge=False).passages))
        if answers:
            clock = time.perf_counter()
            answer = assistant.answer(q.question)
            answer_s.append(time.perf_counter() - clock)
            gold = q.answer.casefold()
            contained += gold in answer.text.casefold()
            supported += any(gold in c.quote.casefold() for c in answer.citations)
            unanswered += not answer.answered
            claims += len(answer.claims)
            supported_claims += sum(c.support >= SUPPORTED for c in answer.claims)
        if progress:
            progress(number, len(questions))
    n = len(questions) or 1
    metrics: dict[str, Any] = {"questions": len(questions), **_recalls("", passage_ranks),
                               **_recalls("chunk_", chunk_ranks),
                               "top_passage_chars_p50": int(np.median(top_lengths)) if top_lengths else 0,
                               "retrieval_ms_p50": percentile(retrieval_s, 50),
                               "retrieval_ms_p95": percentile(retrieval_s, 95)}
    if answers:
        metrics.update({
            "answer_containment": round(contained / n, 4),
            "citation_support": round(supported / n, 4),
            "unanswered_rate": round(unanswered / n, 4),
            # Share of answer sentences their citations support (extractive sentences are quotes: 1 by
            # construction; LLM sentences as `rag.cite` scores them).
            "supported_sentences": round(supported_claims / claims, 4) if claims else None,
            "answer_ms_p50": percentile(answer_s, 50),
            "answer_ms_p95": percentile(answer_s, 95),
        })
    return metrics
