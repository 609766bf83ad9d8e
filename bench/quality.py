"""Retrieval and answer quality on the XQuAD-de dev set with the 10kGNAD distractors (issue 3).

One JSON line per configuration:
  baseline  the textbook LangChain recipe: RecursiveCharacterTextSplitter(1000, 200, add_start_index=True),
            langchain_chroma.Chroma with the same packaged embedding model, similarity_search(q, k=4)
  lexical   the product's index, dense weight 0
  dense     the product's index, dense weight 1, lexical weight 0
  product   the product's index and default fusion weights
  floor     the relevance floor's trade-off: share answered at the default floor and around it, with and
            without the questions' own articles in the index
  crosslingual  the English originals of the same questions (xquad_en_dev_questions.jsonl, German gold spans)
            over the index with the XQuAD paragraphs' English Wikipedia titles left out (news has no such
            titles); distractor vectors are reused from the product index, so only ~100 chunks are embedded
  untitled  the German questions over that same title-less index (what the titles are worth)
  small     one-article corpora, as a new user's first index: each XQuAD article alone (vectors reused from the
            product index), asked its own questions (answerable) and the other articles' (unanswerable); the
            share answered of each at the judge's floor, German and English questions

    HF_HUB_OFFLINE=1 .venv/bin/python bench/quality.py [--home /tmp/bench-quality] [--limit N]

recall@k / mrr@10: the gold answer span lies inside the k-th returned passage (product: neighbouring chunks
merged, as cited; chunk_recall@k on raw chunks). citation_support: the gold answer string appears in a cited
passage (baseline: in one of the 4 documents the recipe would cite). answer_containment: the gold answer appears
in the answer text (null for the baseline, whose answer needs an LLM).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    CONTEXTS,
    DISTRACTORS,
    QUESTIONS,
    QUESTIONS_EN,
    data_files,
    embedder_for,
    emit,
    ensure_index,
    home_dir,
    indexer,
    latency,
    log,
    now_iso,
    parser,
    quiet,
    settings_for,
)

CONFIGS = ("baseline", "lexical", "dense", "product", "floor", "crosslingual", "untitled", "small")
UNTITLED = ("crosslingual", "untitled")
BASELINE_CHUNK, BASELINE_OVERLAP, BASELINE_K = 1000, 200, 4


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N questions (debugging)")
    p.add_argument("--distractors", type=int, metavar="N", help="only the first N distractor articles (debugging)")
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated subset of {','.join(CONFIGS)}")
    args = p.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        p.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    questions_path, contexts_path, distractors_path = data_files(args.data, QUESTIONS, CONTEXTS, DISTRACTORS)
    quiet()
    english = data_files(args.data, QUESTIONS_EN)[0] if {"crosslingual", "small"} & set(configs) else None

    from rag.evaluate import distractor_articles, gold_questions, qa_articles, read_jsonl

    qa, where = qa_articles(read_jsonl(contexts_path))
    distractors = distractor_articles(read_jsonl(distractors_path))[: args.distractors]
    articles = qa + distractors
    questions = gold_questions(read_jsonl(questions_path), where)[: args.limit]
    log(f"{len(questions)} questions, {len(qa)} XQuAD articles + {len(distractors)} distractors")

    with home_dir(args.home, "quality") as home:
        settings = settings_for(home / "product", collection="eval")
        embedder = embedder_for(settings)
        if "baseline" in configs:
            baseline(home / "baseline", embedder, articles, questions)
        product_configs = [c for c in configs if c not in ("baseline", "small", *UNTITLED)]
        if product_configs:
            product(settings, embedder, articles, questions, product_configs)
        if set(configs) & set(UNTITLED):
            untitled(home, settings, embedder, qa, distractors, questions, english, configs)
        if "small" in configs and english is not None:
            corpora = small_corpora(home, settings, QueryMemo(embedder), qa)
            asked = [(q, "de") for q in questions] + [(q, "en") for q in english_questions(english)]
            emit("quality", "small", articles=len(corpora), **small_tradeoff(corpora, asked))


# --- (a) the textbook recipe ---------------------------------------------------------------------------------
def baseline(home: Path, embedder: Any, articles: list[Any], questions: list[Any]) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.evaluate import holds

    splitter = RecursiveCharacterTextSplitter(chunk_size=BASELINE_CHUNK, chunk_overlap=BASELINE_OVERLAP,
                                              add_start_index=True)
    docs = splitter.split_documents([
        Document(page_content=a.text, metadata={"article_id": a.id, "title": a.title, "source": a.source})
        for a in articles
    ])
    home.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(home / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
    manifest = home / "bench-manifest.json"
    fingerprint = f"{embedder.name}|{BASELINE_CHUNK}|{BASELINE_OVERLAP}|{_digest(docs)}"
    try:
        reuse = json.loads(manifest.read_text()).get("fingerprint") == fingerprint
    except (OSError, ValueError):
        reuse = False
    ingest_s = None
    if reuse:
        store = Chroma(collection_name="baseline", embedding_function=embedder, client=client,
                       create_collection_if_not_exists=False)
        reuse = store._collection.count() == len(docs)
    if reuse:
        log(f"baseline: reusing the index at {home} ({len(docs)} chunks)")
    else:
        manifest.unlink(missing_ok=True)
        with contextlib.suppress(Exception):  # absent: nothing to delete
            client.delete_collection("baseline")
        store = Chroma(collection_name="baseline", embedding_function=embedder, client=client)
        log(f"baseline: embedding {len(docs)} chunks of up to {BASELINE_CHUNK} characters ...")
        clock = time.perf_counter()
        step = 512
        for i in range(0, len(docs), step):
            store.add_documents(docs[i : i + step], ids=[f"c{j}" for j in range(i, min(i + step, len(docs)))])
            log(f"baseline: {min(i + step, len(docs))}/{len(docs)} chunks, "
                f"{min(i + step, len(docs)) / (time.perf_counter() - clock):.1f} chunks/s")
        ingest_s = round(time.perf_counter() - clock, 2)
        manifest.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(docs), "built": now_iso()}))

    store.similarity_search("Aufwärmen", k=BASELINE_K)  # model loaded, outside the timings
    ranks: list[int | None] = []
    supported = 0
    seconds: list[float] = []
    for number, q in enumerate(questions, start=1):
        clock = time.perf_counter()
        cited = store.similarity_search(q.question, k=BASELINE_K)
        seconds.append(time.perf_counter() - clock)
        gold = q.answer.casefold()
        supported += any(gold in d.page_content.casefold() for d in cited)
        found = store.similarity_search(q.question, k=10)
        ranks.append(next((i for i, d in enumerate(found, start=1) if holds(
            q, d.metadata["article_id"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content)
        )), None))
        if number % 50 == 0:
            log(f"baseline: {number}/{len(questions)} questions")
    n = len(questions) or 1
    emit("quality", "baseline",
         description="RecursiveCharacterTextSplitter(1000, 200) + langchain_chroma similarity_search(k=4), "
                     "same embedding model",
         questions=len(questions), **_recalls(ranks),
         answer_containment=None, citation_support=round(supported / n, 4), unanswered_rate=None,
         **latency("retrieval", seconds), answer_ms_p50=None, answer_ms_p95=None,
         articles=len(articles), chunks=len(docs), embedding_model=embedder.name, ingest_s=ingest_s)


def _digest(docs: list[Any]) -> str:
    digest = hashlib.sha256()
    for d in docs:
        digest.update(f"{d.metadata['article_id']}\x00{d.metadata['start_index']}\x00{d.page_content}\x00".encode())
    return digest.hexdigest()[:24]


def _recalls(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    out = {f"recall@{k}": round(sum(r is not None and r <= k for r in ranks) / n, 4) for k in (1, 5, 10)}
    out["mrr@10"] = round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4)
    return out


# --- (b)-(d) the product's index with three fusion settings ----------------------------------------------------
def product(settings: Any, embedder: Any, articles: list[Any], questions: list[Any], configs: list[str]) -> None:
    from rag.evaluate import eval_assistant, run_questions

    assistant = eval_assistant(settings.home, settings, embedder)
    ingest_s = ensure_index(assistant.store, articles, indexer, name="product")
    assistant.store.lexical()
    assistant.answer("Aufwärmen: Wer ist Tesla?")  # model and indexes loaded, outside the timings
    weights = {"lexical": {"dense_weight": 0.0}, "dense": {"dense_weight": 1.0, "lexical_weight": 0.0},
               "product": {}}
    for config in configs:
        log(f"{config}: asking {len(questions)} questions ...")

        def progress(done: int, total: int, config: str = config) -> None:
            if done % 50 == 0:
                log(f"{config}: {done}/{total} questions")

        if config == "floor":
            emit("quality", "floor", **floor_tradeoff(assistant, questions))
            continue
        metrics = run_questions(assistant, questions, progress=progress, **weights[config])
        emit("quality", config, **metrics, ingest_s=round(ingest_s, 2) if ingest_s is not None else None)


# --- (f) cross-lingual: English questions, German text, no English titles --------------------------------------
def untitled(home: Path, settings: Any, embedder: Any, qa: list[Any], distractors: list[Any], questions: list[Any],
             english_path: Path | None, configs: list[str]) -> None:
    from rag.evaluate import run_questions

    assistant = untitled_assistant(home, settings, embedder, qa, distractors)
    assistant.answer("Aufwärmen: Who is Tesla?")
    if "crosslingual" in configs and english_path is not None:
        emit("quality", "crosslingual", questions_file=english_path.name, titles=False,
             **run_questions(assistant, english_questions(english_path)))
    if "untitled" in configs:
        emit("quality", "untitled", titles=False, **run_questions(assistant, questions))


def untitled_assistant(home: Path, settings: Any, embedder: Any, qa: list[Any], distractors: list[Any]) -> Any:
    """The index of the XQuAD articles without their titles, plus the distractors, under HOME/untitled; the
    distractors' vectors come from the product index, so only the XQuAD chunks are embedded."""
    from dataclasses import replace

    from rag.evaluate import eval_assistant

    articles = [replace(a, title="") for a in qa] + distractors
    product_store = eval_assistant(settings.home, settings, embedder).store
    reuse = ReusingEmbedder(embedder, product_store.existing_vectors([a.id for a in distractors]))
    assistant = eval_assistant(home / "untitled", settings.model_copy(update={"home": home / "untitled"}), reuse)
    ensure_index(assistant.store, articles, indexer, name="untitled")
    log(f"untitled: {reuse.fresh} texts embedded, {reuse.reused} reused from the product index")
    return assistant


def english_questions(path: Path) -> list[Any]:
    """The English originals of the dev questions, with the German gold spans."""
    from rag.evaluate import gold_questions, qa_articles, read_jsonl

    _, where = qa_articles(read_jsonl(path.with_name(CONTEXTS)))
    return gold_questions(read_jsonl(path), where)


class QueryMemo:
    """The bench's embedder, each question embedded once: the same questions are asked of many corpora."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.memo = inner, inner.name, {}

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            self.memo.update(zip(todo, self.inner.encode_queries(todo), strict=True))
        return np.stack([self.memo[t] for t in texts])


class ReusingEmbedder:
    """The bench's embedder, serving passages it has already embedded elsewhere (by exact text) from a table."""

    def __init__(self, inner: Any, known: dict[str, np.ndarray]) -> None:
        self.inner, self.known = inner, known
        self.name, self.fresh, self.reused = inner.name, 0, 0

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in texts if t not in self.known]
        fresh = dict(zip(todo, self.inner.encode_passages(todo), strict=True)) if todo else {}
        self.fresh += len(todo)
        self.reused += len(texts) - len(todo)
        return np.stack([self.known[t] if t in self.known else fresh[t] for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)


# --- (h) one-article corpora -----------------------------------------------------------------------------------
def small_corpora(home: Path, settings: Any, embedder: Any, qa: list[Any]) -> dict[str, Any]:
    """Article id → an assistant over that XQuAD article alone, under HOME/small/; the vectors come from the
    product index (chunked alike), so nothing is embedded again."""
    from rag.evaluate import eval_assistant

    product_store = eval_assistant(settings.home, settings, embedder).store
    corpora = {}
    for article in qa:
        reuse = ReusingEmbedder(embedder, product_store.existing_vectors([article.id]))
        where = home / "small" / article.id
        assistant = eval_assistant(where, settings.model_copy(update={"home": where}), reuse)
        ensure_index(assistant.store, [article], indexer, name=f"small {article.id}")
        corpora[article.id] = assistant
    return corpora


def small_evidence(corpora: dict[str, Any], asked: list[tuple[Any, str]]) -> list[tuple[Any, int, str, str, float]]:
    """(evidence, answerable, language, the question's article, relevance) of every question in every
    one-article corpus: answerable in its own article's corpus only."""
    rows = []
    for article_id, assistant in corpora.items():
        for q, language in asked:
            found = assistant.retriever.retrieve(q.question)
            rows.append((found.evidence, int(q.article_id == article_id), language, q.article_id, found.relevance))
    return rows


def small_tradeoff(corpora: dict[str, Any], asked: list[tuple[Any, str]]) -> dict[str, Any]:
    rows = small_evidence(corpora, asked)
    floor = next(iter(corpora.values())).retriever.floor
    out: dict[str, Any] = {"default_floor": floor}
    for language in ("de", "en"):
        mine = [(label, relevance) for _, label, lang, _, relevance in rows if lang == language]
        for label, name in ((1, "answerable"), (0, "unanswerable")):
            scores = np.array([r for lab, r in mine if lab == label])
            out[f"{language}_answered_{name}"] = round(float(np.mean(scores >= floor)), 3) if len(scores) else None
            out[f"{language}_{name}"] = len(scores)
    return out


def floor_tradeoff(assistant: Any, questions: list[Any]) -> dict[str, Any]:
    """The relevance floor's trade-off: at the default floor and around it, the share of questions answered
    (a) as they are and (b) with every XQuAD article filtered out, so only distractors remain and nothing
    answers the question (an answer then is made up from the wrong article)."""
    from rag.retrieve import Filters

    only_distractors = Filters(sources=("distractor",))
    answerable = np.array([assistant.retriever.retrieve(q.question).relevance for q in questions])
    unanswerable = np.array([assistant.retriever.retrieve(q.question, filters=only_distractors).relevance
                             for q in questions])
    floor = assistant.retriever.floor
    floors = sorted({round(floor + step, 2) for step in (-0.2, -0.1, 0.0, 0.1, 0.2) if 0 < floor + step < 1})
    return {
        "questions": len(questions), "default_floor": floor, "judge": type(assistant.retriever.judge).__name__,
        "answered_answerable_at_default": round(float(np.mean(answerable >= floor)), 3),
        "answered_unanswerable_at_default": round(float(np.mean(unanswerable >= floor)), 3),
        "answered_answerable": {f"{t:.2f}": round(float(np.mean(answerable >= t)), 3) for t in floors},
        "answered_unanswerable": {f"{t:.2f}": round(float(np.mean(unanswerable >= t)), 3) for t in floors},
    }


@dataclass
class DevAssistants:
    """The quality bench's two indexes and the dev questions asked of them."""
    home: Path
    settings: Any
    embedder: Any
    qa: list[Any]  # the XQuAD articles
    product: Any  # assistant over the product index (German questions)
    untitled: Any  # assistant over the title-less index (English questions)
    german: list[Any]
    english: list[Any]


@contextlib.contextmanager
def dev_assistants(data: Path, home: Path | None) -> Iterator[DevAssistants]:
    """The indexes of bench/quality.py under `home` (built when missing) and the dev questions."""
    questions_path, contexts_path, distractors_path, english_path = data_files(
        data, QUESTIONS, CONTEXTS, DISTRACTORS, QUESTIONS_EN)
    quiet()

    from rag.evaluate import distractor_articles, eval_assistant, gold_questions, qa_articles, read_jsonl

    qa, where = qa_articles(read_jsonl(contexts_path))
    distractors = distractor_articles(read_jsonl(distractors_path))
    with home_dir(home, "quality") as root:
        settings = settings_for(root / "product", collection="eval")
        embedder = QueryMemo(embedder_for(settings))
        product = eval_assistant(settings.home, settings, embedder)
        ensure_index(product.store, qa + distractors, indexer, name="product")
        untitled = untitled_assistant(root, settings, embedder, qa, distractors)
        yield DevAssistants(root, settings, embedder, qa, product, untitled,
                            gold_questions(read_jsonl(questions_path), where), english_questions(english_path))



if __name__ == "__main__":
    main()
