"""The lexical index changed per article at 100,000 chunks (issue 12): one JSON line with the targets.

  add_one_s          `Store.write` of one new article (vectors given: embedding excluded) plus the lexical sync
                     (target < 2 s)
  lexical_sync_s     the lexical part of that alone
  remove_one_s       `Store.remove` of that article plus the lexical sync
  second_process_s   a second process, already answering, until a question finds the new article, counted from
                     the end of the writer's Chroma commit (target < 2 s)
  lexical_ms_p50     the lexical stage of retrieval over the XQuAD questions (target < 10 ms)
  answer_ms_p50      `Assistant.answer` over the same questions (target < 100 ms)
  ask_max_rss_mib    a `newsrag ask` process's peak RSS (target < 1 GiB)
  full_rebuild_s     `Store.rebuild_lexical()` of the whole index (what `newsrag reindex --lexical` pays)

    HF_HUB_OFFLINE=1 .venv/bin/python bench/incremental.py --home /tmp/bench-query [--chunks 100000]

Reuses bench/query.py's indexes in DIR/1k and DIR/100k (built there when missing: ~10 min at 100k).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    emit,
    ensure_index,
    home_dir,
    indexed_assistant,
    log,
    news_corpus,
    parser,
    quiet,
    repeat_to,
    run_measured,
    settings_for,
    stored_vectors,
)
from bench.query import NOISE, SEED, _env, measure, synthesise, write_synthetic

# A second process: answers from the index, then waits for a question only the new article answers.
_READER = """
import sys, time
from rag.assistant import Assistant
from rag.config import Settings
from bench.common import quiet
quiet()
assistant = Assistant(Settings(), embedder=None)
assistant.retriever.dense_weight = 0.0  # the lexical side is the one that must see the article
assistant.retriever.retrieve("Hochwasser in Wien")  # synced and warm
print("ready", flush=True)
word = sys.stdin.readline().strip()
while True:
    found = assistant.retriever.retrieve(word, k=1).passages
    if found and found[0].article_id.startswith("incremental-"):
        print(time.time(), flush=True)
        break
    time.sleep(0.02)
"""


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--chunks", type=int, default=100_000, help="size of the synthetic index (default 100000)")
    p.add_argument("--questions", type=int, default=200, help="questions to ask (cycling the 239 XQuAD ones)")
    args = p.parse_args()
    qa, distractors, gold = news_corpus(args.data, None)
    quiet()
    from rag.assistant import Assistant

    questions = [q.question for q in repeat_to(gold, args.questions)]
    with home_dir(args.home, "query") as home:
        small, _ = indexed_assistant(home / "1k", qa + distractors)
        big = settings_for(home / "100k")
        assistant = Assistant(big, embedder=small.store.embedder)
        synthetic = synthesise(qa, distractors, args.chunks, big.chunk_size, big.chunk_overlap)
        ensure_index(assistant.store, synthetic,
                     lambda store, articles: write_synthetic(store, articles, stored_vectors(small.store)),
                     name="100k", extra=f"synthetic|{NOISE}|{SEED}|{args.chunks}")
        store = assistant.store
        clock = time.perf_counter()
        store.lexical()
        first_sync = time.perf_counter() - clock
        record = measure(assistant, questions)
        added = add_one(store, big.home)
        status, _out, _err, wall, ask_rss = run_measured(
            [str(Path(sys.executable).with_name("newsrag")), "ask", questions[0], "--json"], env=_env(big.home))
        clock = time.perf_counter()
        store.rebuild_lexical()
        rebuild = time.perf_counter() - clock
        emit("incremental", "lexical-100k", chunks=store.chunks.count(), articles=len(store.catalog()),
             **added, lexical_ms_p50=record.get("lexical_ms_p50"), lexical_ms_p95=record.get("lexical_ms_p95"),
             answer_ms_p50=record.get("answer_total_ms_p50"), answer_ms_p95=record.get("answer_total_ms_p95"),
             ask_exit=status, ask_wall_s=round(wall, 2), ask_max_rss_mib=ask_rss,
             first_sync_s=round(first_sync, 2), full_rebuild_s=round(rebuild, 2),
             targets={"add_one_s": 2, "second_process_s": 2, "lexical_ms_p50": 10, "answer_ms_p50": 100,
                      "ask_max_rss_mib": 1024})


def add_one(store: Any, home: Path) -> dict[str, Any]:
    """Write one new article while a second process waits for it; the times of each side."""
    from ingest.chunk import chunk_article
    from rag.schema import Article
    from rag.store import PreparedArticle

    word = "Zwergflusspferdgehege" + uuid.uuid4().hex[:6]  # a word no other article holds
    reader = subprocess.Popen([sys.executable, "-c", _READER], env=_env(home), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    assert reader.stdout is not None and reader.stdin is not None
    if reader.stdout.readline().strip() != "ready":
        raise SystemExit("the reader process did not start")
    reader.stdin.write(word + "\n")
    reader.stdin.flush()
    article = Article(id=f"incremental-{uuid.uuid4().hex[:8]}", title=f"Neues {word}",
                      text=f"Der Tiergarten eröffnet ein {word}. " * 30, source="Bench")
    chunks = chunk_article(article, size=store.settings.chunk_size, overlap=store.settings.chunk_overlap)
    dimension = len(store.chunks.get(limit=1, include=["embeddings"])["embeddings"][0])
    vectors = np.random.default_rng(1).normal(size=(len(chunks), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    start = time.perf_counter()
    store.write([PreparedArticle(article, chunks, vectors)])
    committed = time.time()
    written = time.perf_counter()
    store.lexical()
    done = time.perf_counter()
    seen = float(reader.stdout.readline())
    reader.wait(timeout=60)
    clock = time.perf_counter()
    store.remove([article.id])  # and out again, so that the index matches the bench manifest on the next run
    store.lexical()
    removed = time.perf_counter() - clock
    log(f"added {article.id}: write {written - start:.2f} s, lexical sync "
        f"{done - written:.2f} s, second process {seen - committed:.2f} s; removed in {removed:.2f} s")
    return {"add_one_s": round(done - start, 3), "chroma_write_s": round(written - start, 3),
            "lexical_sync_s": round(done - written, 3), "second_process_s": round(seen - committed, 3),
            "remove_one_s": round(removed, 3)}


if __name__ == "__main__":
    main()
