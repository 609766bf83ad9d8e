"""Ingestion throughput against the model's own speed, measured side by side in one run (issue 5).

On the 10kGNAD test articles: (1) raw `SentenceTransformer.encode` on exactly the texts the pipeline embeds
(`dense_text` of every chunk `chunk_article` makes, and with RAG_SENTENCE_VECTORS on, the default, every distinct
sentence of the articles and their chunks), with the configured batch size; (2) the full pipeline
(`ingest.ingest_articles` into a fresh embedded store: chunk, embed, write to Chroma and the sentence vectors,
rebuild the lexical index). Targets (default model multilingual-e5-small): pipeline at least 15 chunks/s and at
least 0.9 of the raw encode's rate over the same texts. `--no-sentences` measures ingestion without sentence
vectors (RAG_SENTENCE_VECTORS=false).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/ingest.py [--limit N] [--batch-sizes 8,16,32,64] [--no-sentences]

One JSON line `ingest`, plus one `encode-batch-N` line per batch size of the optional sweep. The store is always
built fresh (in `--home DIR/ingest` when given, wiped first; else a temporary directory).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    DISTRACTORS,
    data_files,
    embedder_for,
    emit,
    home_dir,
    hwm_mib,
    log,
    parser,
    peak_rss_mib,
    quiet,
    rate,
    reset_peak_rss,
    rss_mib,
    settings_for,
)

TARGET_RATIO = 0.9
TARGET_CHUNKS_PER_S = 15.0


def main() -> None:
    p = parser(__doc__.split("\n\n")[0], home_help="build the store in DIR/ingest (wiped first) and keep it")
    p.add_argument("--limit", type=int, help="only the first N articles (default: all 1,028)")
    p.add_argument("--batch-size", type=int, help="embedding batch size (default: RAG_EMBED_BATCH_SIZE)")
    p.add_argument("--batch-sizes", help="also sweep raw encode over these batch sizes, e.g. 8,16,32,64")
    p.add_argument("--sweep-chunks", type=int, default=1000,
                   help="chunks per sweep point, spread evenly over the corpus (0: all; default 1000)")
    p.add_argument("--rounds", type=int, default=2, help="sweep rounds (median reported; default 2)")
    p.add_argument("--no-pipeline", action="store_true", help="only the batch-size sweep")
    p.add_argument("--no-sentences", action="store_true", help="ingest without sentence vectors")
    args = p.parse_args()
    sweep = [int(x) for x in args.batch_sizes.split(",") if x.strip()] if args.batch_sizes else []
    if args.no_pipeline and not sweep:
        p.error("--no-pipeline needs --batch-sizes")
    (distractors_path,) = data_files(args.data, DISTRACTORS)
    quiet()

    from ingest import ingest_articles
    from ingest.chunk import chunk_article
    from ingest.index import sentence_sources
    from rag.evaluate import distractor_articles, read_jsonl
    from rag.sentence_vectors import distinct_sentences
    from rag.store import Store, dense_text

    articles = distractor_articles(read_jsonl(distractors_path))[: args.limit]
    with home_dir(args.home, "ingest") as home:
        overrides: dict[str, Any] = {"embed_batch_size": args.batch_size} if args.batch_size else {}
        if args.no_sentences:
            overrides["sentence_vectors"] = False
        settings = settings_for(home / "ingest", **overrides)
        embedder = embedder_for(settings)
        chunked = [(a, chunk_article(a, size=settings.chunk_size, overlap=settings.chunk_overlap)) for a in articles]
        texts = [dense_text(c.text, a.title) for a, chunks in chunked for c in chunks]
        sentences = distinct_sentences(sentence_sources(chunked)) if settings.sentence_vectors else []
        model = embedder.model
        log(f"{len(articles)} articles, {len(texts)} chunks, mean {sum(map(len, texts)) / len(texts):.0f} chars; "
            f"model max_seq_length {model.max_seq_length}, batch size {settings.embed_batch_size}")
        prompt = embedder.prompts[1]  # what the pipeline puts before each stored text ("passage: " for e5)
        raw_encode(model, texts[:64], settings.embed_batch_size, prompt, embedder.arithmetic)  # warm-up

        if not args.no_pipeline:
            run_pipeline(args, settings, embedder, articles, texts, sentences, ingest_articles, Store)
        if sweep:
            run_sweep(model, texts, sweep, args.sweep_chunks, args.rounds, prompt, embedder.arithmetic)


def run_sweep(model: Any, texts: list[str], sweep: list[int], chunks: int, rounds: int, prompt: str,
              arithmetic: Any) -> None:
    """Raw encode chunks/s per batch size; the sizes take turns, `rounds` times (rotating the order), so a
    noisy neighbour does not land on one size only. Reports the median and every round."""
    subset = texts if chunks <= 0 else texts[:: max(1, len(texts) // chunks)][:chunks]
    runs: dict[int, list[float]] = {size: [] for size in sweep}
    for round_ in range(rounds):
        order = sweep[round_ % len(sweep):] + sweep[: round_ % len(sweep)]
        for batch_size in order:
            seconds = raw_encode(model, subset, batch_size, prompt, arithmetic)
            runs[batch_size].append(len(subset) / seconds)
            log(f"sweep round {round_ + 1}: batch {batch_size}: {len(subset) / seconds:.1f} chunks/s")
    for batch_size in sweep:
        emit("ingest", f"encode-batch-{batch_size}", batch_size=batch_size, chunks=len(subset), rounds=rounds,
             raw_encode_chunks_per_s=round(float(np.median(runs[batch_size])), 2),
             raw_encode_chunks_per_s_rounds=[round(x, 2) for x in runs[batch_size]],
             max_seq_length=model.max_seq_length, load_avg_1m=round(os.getloadavg()[0], 2))


def raw_encode(model: Any, texts: list[str], batch_size: int, prompt: str,
               arithmetic: Any = contextlib.nullcontext) -> float:
    """Seconds of one `SentenceTransformer.encode` call, in the arithmetic the pipeline's embedder uses
    (bfloat16 autocast where `RAG_EMBEDDING_PRECISION` resolves to it)."""
    clock = time.perf_counter()
    with arithmetic():
        model.encode(texts, prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                     convert_to_numpy=True, show_progress_bar=False)
    return time.perf_counter() - clock


def _clocked(call: Any, spent: dict[str, float], key: str, counted: str | None = None) -> Any:
    """`call`, adding its seconds to spent[key] (and the length of its first argument to spent[counted])."""
    def clocked(*a: Any, **k: Any) -> Any:
        clock = time.perf_counter()
        try:
            return call(*a, **k)
        finally:
            spent[key] += time.perf_counter() - clock
            if counted:
                spent[counted] += len(a[0])
    return clocked


def run_pipeline(args: Any, settings: Any, embedder: Any, articles: list[Any], texts: list[str],
                 sentences: list[str], ingest_articles: Any, store_class: Any) -> None:
    log(f"raw encode of {len(texts)} chunks and {len(sentences)} sentences ...")
    chunks_raw_s = raw_encode(embedder.model, texts, settings.embed_batch_size, embedder.prompts[1],
                              embedder.arithmetic)
    sentences_raw_s = raw_encode(embedder.model, sentences, settings.embed_batch_size, embedder.prompts[1],
                                 embedder.arithmetic) if sentences else 0.0
    raw_s = chunks_raw_s + sentences_raw_s
    log(f"raw encode: {raw_s:.1f} s ({chunks_raw_s:.1f} s chunks, {sentences_raw_s:.1f} s sentences), "
        f"{len(texts) / raw_s:.1f} chunks/s")

    shutil.rmtree(settings.home, ignore_errors=True)
    store = store_class(settings, embedder)
    spent = {"encode": 0.0, "lexical": 0.0, "write": 0.0, "encoded": 0}
    # Instrumentation only: the same calls, each with a clock around it.
    embedder.encode_passages = _clocked(embedder.encode_passages, spent, "encode", counted="encoded")
    store._sync_lexical = _clocked(store._sync_lexical, spent, "lexical")  # the end-of-run sync by difference
    store.write = _clocked(store.write, spent, "write")
    start = time.perf_counter()

    def progress(count: int, _item: Any) -> None:
        if count % 100 == 0 or count == len(articles):
            elapsed = time.perf_counter() - start
            eta = (len(articles) - count) * elapsed / count
            log(f"pipeline: {count}/{len(articles)} articles, {count / elapsed:.1f} articles/s, ETA {eta:.0f} s")

    rss_before = rss_mib()
    hwm_reset = reset_peak_rss()
    log("pipeline ingest into a fresh embedded store ...")
    clock = time.perf_counter()
    report = ingest_articles(articles, store=store, progress=progress)
    seconds = time.perf_counter() - clock
    peak = hwm_mib() if hwm_reset else None
    chunks = store.chunks.count()
    ratio = (chunks / seconds) / (len(texts) / raw_s)
    log(f"pipeline: {seconds:.1f} s, {chunks / seconds:.1f} chunks/s, ratio {ratio:.3f} "
        f"(encode {spent['encode']:.1f} s, lexical {spent['lexical']:.1f} s, chroma writes {spent['write']:.1f} s)")
    if report.failed:
        log(f"pipeline: {len(report.failed)} failed: {report.failed[:3]}")
    other = seconds - spent["encode"] - spent["lexical"] - spent["write"]
    emit("ingest", "ingest",
         articles=len(articles), chunks=chunks, texts_embedded=spent["encoded"], batch_size=settings.embed_batch_size,
         precision=embedder.precision,
         max_seq_length=embedder.model.max_seq_length, mean_chunk_chars=round(sum(map(len, texts)) / len(texts)),
         pipeline_s=round(seconds, 2), articles_per_s=rate(len(articles), seconds), chunks_per_s=rate(chunks, seconds),
         sentences=len(sentences), raw_encode_s=round(raw_s, 2), raw_encode_chunks_per_s=rate(len(texts), raw_s),
         raw_encode_chunk_texts_s=round(chunks_raw_s, 2), raw_encode_sentences_s=round(sentences_raw_s, 2),
         ratio_pipeline_to_raw=round(ratio, 3), target_ratio=TARGET_RATIO, target_chunks_per_s=TARGET_CHUNKS_PER_S,
         meets_target=ratio >= TARGET_RATIO and chunks / seconds >= TARGET_CHUNKS_PER_S,
         embedding_model=embedder.name,
         pipeline_encode_s=round(spent["encode"], 2), pipeline_chroma_write_s=round(spent["write"], 2),
         pipeline_lexical_rebuild_s=round(spent["lexical"], 2), pipeline_other_s=round(other, 2),
         added=len(report.added), failed=len(report.failed),
         rss_before_pipeline_mib=rss_before, peak_rss_pipeline_mib=peak, peak_rss_process_mib=peak_rss_mib(),
         load_avg_1m=round(os.getloadavg()[0], 2))


if __name__ == "__main__":
    main()
