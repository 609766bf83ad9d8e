"""Query latency per stage at 1k articles and at 100,000 chunks, and the memory of an `ask` process (issue 5).

  query-1k          the 1,028 10kGNAD articles + the XQuAD contexts indexed; ~200 XQuAD questions through one
                    `Assistant` in extractive mode: p50/p95 of `answer()` and of each stage
                    (targets: answer p50 < 100 ms, p95 < 250 ms)
  query-100k        the same questions against 100,000 chunks, synthesised from the 10kGNAD articles (new ids,
                    shuffled sentences, numbered titles) with the 1k index's vectors reused (perturbed slightly,
                    renormalised; no re-embedding), written with `Store.write` in large batches
                    (target: retrieval p50 < 200 ms)
  ask-process-100k  `newsrag ask "…" --json` as a separate process against that index: wall time and peak RSS
                    (target < 2 GiB), plus a probe process timing each cold-start step
  lexical-rebuild-100k  (with --rebuild-probe) `Store.rebuild_lexical()` in a fresh process against that index:
                    what `newsrag reindex --lexical` pays at this size; time and peak RSS (an ingest or removal
                    changes the index per article: bench/incremental.py)

    HF_HUB_OFFLINE=1 .venv/bin/python bench/query.py [--home /tmp/bench-query] [--chunks 100000]

With `--home`, the 1k index lives in DIR/1k and the synthetic one in DIR/100k and both are reused on reruns
(bench/server.py and bench/load.py reuse DIR/1k too when given the same DIR).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    emit,
    ensure_index,
    home_dir,
    indexed_assistant,
    latency,
    log,
    news_corpus,
    parser,
    quiet,
    repeat_to,
    rss_mib,
    run_measured,
    settings_for,
    stage_latencies,
    stored_vectors,
)

NOISE = 0.01  # per-dimension Gaussian noise on reused vectors (cosine to the original ≈ 0.98)
SEED = 20240521
WRITE_BATCH = 20_000  # chunks per Store.write call
GIB = 1024.0


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N 10kGNAD articles (debugging)")
    p.add_argument("--questions", type=int, default=200, help="questions to ask (cycling the 239 XQuAD ones)")
    p.add_argument("--chunks", type=int, default=100_000, help="size of the synthetic index (default 100000)")
    p.add_argument("--skip-100k", action="store_true", help="only query-1k")
    p.add_argument("--rebuild-probe", action="store_true",
                   help="also time a full lexical rebuild of the 100k index in a fresh process (~20 s)")
    args = p.parse_args()
    qa, distractors, gold = news_corpus(args.data, args.limit)
    quiet()

    from rag.assistant import Assistant

    questions = [q.question for q in repeat_to(gold, args.questions)]
    with home_dir(args.home, "query") as home:
        assistant, ingest_s = indexed_assistant(home / "1k", qa + distractors)
        record = measure(assistant, questions)
        emit("query", "query-1k", **record, index_build_s=_round(ingest_s),
             targets={"answer_ms_p50": 100, "answer_ms_p95": 250},
             meets_targets=record["answer_total_ms_p50"] < 100 and record["answer_total_ms_p95"] < 250)
        if args.skip_100k:
            return

        big = settings_for(home / "100k")
        big_assistant = Assistant(big, embedder=assistant.store.embedder)
        synthetic = synthesise(qa, distractors, args.chunks, big.chunk_size, big.chunk_overlap)
        vectors = None

        def build(store: Any, articles: list[Any]) -> None:
            nonlocal vectors
            vectors = vectors if vectors is not None else stored_vectors(assistant.store)
            write_synthetic(store, articles, vectors)

        build_s = ensure_index(big_assistant.store, synthetic, build, name="100k",
                               extra=f"synthetic|{NOISE}|{SEED}|{args.chunks}")
        record = measure(big_assistant, questions)
        emit("query", "query-100k", **record, index_build_s=_round(build_s),
             synthesis=f"10kGNAD articles repeated with shuffled sentence order and numbered titles; vectors of "
                       f"the 1k index reused with N(0, {NOISE}) noise per dimension, renormalised",
             targets={"retrieve_ms_p50": 200}, meets_targets=record["retrieve_ms_p50"] < 200)
        ask_process(big.home, questions[0], big_assistant.store.chunks.count())
        if args.rebuild_probe:
            rebuild_process(big.home, big_assistant.store.chunks.count())


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


# --- the measurement ---------------------------------------------------------------------------------------
def measure(assistant: Any, questions: list[str], *, warmup: int = 3) -> dict[str, Any]:
    """Ask every question once through `assistant.answer()`; wall time and per-stage timings."""
    clock = time.perf_counter()
    assistant.answer(questions[0])
    cold = time.perf_counter() - clock  # opening the store, loading the lexical index (and the model if needed)
    for q in questions[1 : 1 + warmup]:
        assistant.answer(q)
    totals: list[float] = []
    timings: list[dict[str, float]] = []
    answered = 0
    for number, question in enumerate(questions, start=1):
        clock = time.perf_counter()
        answer = assistant.answer(question)
        totals.append(time.perf_counter() - clock)
        timings.append(dict(answer.timings))
        answered += answer.answered
        if number % 50 == 0:
            log(f"{number}/{len(questions)} questions, p50 so far {np.median(totals) * 1000:.1f} ms")
    overhead = [total - t.get("retrieve", 0.0) - t.get("answer", 0.0) for total, t in zip(totals, timings,
                                                                                           strict=True)]
    store = assistant.store
    return {
        "questions": len(questions), "articles": len(store.catalog()), "chunks": store.chunks.count(),
        "mode": assistant.default_mode, "answered_rate": round(answered / len(questions), 4),
        "dense_weight": assistant.retriever.dense_weight,
        **latency("answer_total", totals), **stage_latencies(timings), **latency("chain_overhead", overhead),
        "cold_first_answer_ms": round(cold * 1000, 1), "bench_process_rss_mib": rss_mib(),
        "server": store.settings.chroma_url is not None, "load_avg_1m": round(os.getloadavg()[0], 2),
    }


# --- the synthetic 100k index ------------------------------------------------------------------------------
def synthesise(qa: list[Any], distractors: list[Any], target_chunks: int, size: int, overlap: int) -> list[Any]:
    """The 1k corpus plus variants of the 10kGNAD articles until the chunks reach `target_chunks`."""
    from dataclasses import replace

    from ingest.chunk import chunk_article
    from rag.text import split_sentences

    articles = list(qa) + list(distractors)
    total = sum(len(chunk_article(a, size=size, overlap=overlap)) for a in articles)
    rng = random.Random(SEED)
    start = date(2015, 1, 1)
    round_ = 0
    while total < target_chunks and distractors:
        round_ += 1
        for number, article in enumerate(distractors):
            sentences = split_sentences(article.text)
            rng.shuffle(sentences)
            if len(sentences) > 4:
                sentences.pop(rng.randrange(len(sentences)))  # lengths vary too
            variant = replace(article, id=f"{article.id}-v{round_}", title=f"{article.title} (Teil {round_})",
                              text=" ".join(sentences),
                              published=(start + timedelta(days=(number * 7 + round_ * 131) % 3650)).isoformat(),
                              origin=f"synthetic:{article.id}")
            articles.append(variant)
            total += len(chunk_article(variant, size=size, overlap=overlap))
            if total >= target_chunks:
                break
    log(f"synthetic corpus: {len(articles)} articles, {total} chunks")
    return articles


def write_synthetic(store: Any, articles: list[Any], vectors: dict[str, np.ndarray]) -> None:
    """Chunk every article and write it with reused vectors: originals keep their own vectors; a variant's
    j-th chunk takes its source article's j-th chunk vector (or the last), perturbed and renormalised."""
    from ingest.chunk import chunk_article
    from rag.store import PreparedArticle

    s = store.settings
    rng = np.random.default_rng(SEED)
    by_article: dict[str, list[np.ndarray]] = {}
    pending: list[Any] = []
    size = written = 0
    clock = time.perf_counter()
    for article in articles:
        chunks = chunk_article(article, size=s.chunk_size, overlap=s.chunk_overlap)
        source = article.origin.removeprefix("synthetic:") if article.origin.startswith("synthetic:") else None
        if source is None:
            rows = [vectors[c.id] for c in chunks]
            by_article[article.id] = rows
        else:
            base = by_article[source]
            rows = [base[min(j, len(base) - 1)] for j in range(len(chunks))]
            if rows:
                noisy = np.stack(rows) + rng.normal(0.0, NOISE, (len(rows), len(rows[0]))).astype(np.float32)
                rows = list(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
        matrix = np.stack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
        pending.append(PreparedArticle(article, chunks, matrix))
        size += len(chunks)
        if size >= WRITE_BATCH:
            store.write(pending)
            written += size
            pending, size = [], 0
            log(f"100k: {written} chunks written, {written / (time.perf_counter() - clock):.0f} chunks/s")
    store.write(pending)
    written += size
    log(f"100k: {written} chunks written in {time.perf_counter() - clock:.1f} s; building the lexical index ...")
    lexical_clock = time.perf_counter()
    store.rebuild_lexical(sweep=True)
    log(f"100k: lexical index built in {time.perf_counter() - lexical_clock:.1f} s")


# --- separate processes against the 100k index ----------------------------------------------------------------
# Where a cold `ask` process spends its time: the same steps as `newsrag ask`, with a clock around each.
_COLD_PROBE = """
import json, sys, time
clock = time.perf_counter()
out = {}
def lap(name):
    global clock
    now = time.perf_counter(); out[name] = round(now - clock, 3); clock = now
from rag.assistant import Assistant
from rag.config import Settings
lap("import_s")
assistant = Assistant(Settings.load())
assistant.store.generation(); lap("open_store_s")
assistant.store.catalog(); lap("catalog_s")
assistant.store.lexical(); lap("load_lexical_s")
assistant.store.embedder.encode_queries(["Aufwärmen"]); lap("load_model_s")
assistant.answer(sys.argv[1]); lap("first_answer_s")
print(json.dumps(out))
"""

# What every `newsrag ingest`/`remove` pays on this index: the lexical index rebuilt from Chroma's documents.
_REBUILD_PROBE = """
import json, time
from rag.config import Settings
from rag.store import Store
store = Store(Settings.load())
store.catalog()
clock = time.perf_counter()
index = store.rebuild_lexical()
print(json.dumps({"rebuild_s": round(time.perf_counter() - clock, 2), "documents": len(index)}))
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(home), RAG_ANSWER_MODE="extractive", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _json_tail(out: str) -> dict[str, Any] | None:
    try:
        return json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except ValueError:
        return None


def ask_process(home: Path, question: str, chunks: int, runs: int = 2) -> None:
    """`newsrag ask --json` against the 100k index, `runs` times: its own peak RSS and wall time; then the same
    steps in a probe process, timed one by one."""
    binary = Path(sys.executable).with_name("newsrag")
    results = []
    for run in range(1, runs + 1):
        status, out, err, wall, max_rss = run_measured([str(binary), "ask", question, "--json"], env=_env(home))
        payload = None
        try:
            payload = json.loads(out)
        except ValueError:
            log(f"ask run {run}: no JSON on stdout (exit {status}): {err.strip()[-300:]}")
        answered = payload.get("answered") if payload else None
        citations = len(payload.get("citations", [])) if payload else None
        log(f"ask run {run}: exit {status}, {wall:.1f} s, peak RSS {max_rss} MiB, answered {answered}")
        results.append({"exit": status, "wall_s": round(wall, 2), "max_rss_mib": max_rss, "answered": answered,
                        "citations": citations})
    status, out, err, wall, probe_rss = run_measured([sys.executable, "-c", _COLD_PROBE, question], env=_env(home))
    breakdown = _json_tail(out)
    if breakdown is None:
        log(f"cold-start probe failed (exit {status}): {err.strip()[-300:]}")
    else:
        log(f"cold-start probe: {breakdown}, peak RSS {probe_rss} MiB")
    peak = max((r["max_rss_mib"] for r in results if r["max_rss_mib"] is not None), default=None)
    emit("query", "ask-process-100k", command=f"newsrag ask {question!r} --json", chunks=chunks, runs=results,
         max_rss_mib=peak, wall_s_min=min(r["wall_s"] for r in results), cold_breakdown_s=breakdown,
         probe_max_rss_mib=probe_rss, target_rss_mib=2 * GIB,
         meets_targets=peak is not None and peak < 2 * GIB and all(r["exit"] == 0 for r in results))


def rebuild_process(home: Path, chunks: int) -> None:
    """`Store.rebuild_lexical()` in a fresh process against the 100k index: time and peak RSS."""
    log("lexical rebuild probe (what `newsrag reindex --lexical` pays at this size) ...")
    status, out, err, wall, max_rss = run_measured([sys.executable, "-c", _REBUILD_PROBE], env=_env(home))
    result = _json_tail(out)
    if result is None:
        log(f"rebuild probe failed (exit {status}): {err.strip()[-300:]}")
    log(f"rebuild probe: {result}, peak RSS {max_rss} MiB")
    emit("query", "lexical-rebuild-100k", chunks=chunks, exit=status, wall_s=round(wall, 2),
         rebuild_s=(result or {}).get("rebuild_s"), max_rss_mib=max_rss)


if __name__ == "__main__":
    main()
