"""The query bench of bench/query.py (query-1k) over `HttpClient` against a real `chroma run` on loopback (issue 5).

The embedded 1k index (DIR/1k, shared with bench/query.py and bench/load.py) is built once; its chunks and vectors
are copied into the server with `Store.write` (no re-embedding). The server's data lives in DIR/chroma-server and
is reused on reruns; the server is stopped at the end, also on errors.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/server.py [--home /tmp/bench-query]

One JSON line `query-1k-server`, with the embedded store's figures of the same run beside it for comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    chroma_server,
    copy_with_vectors,
    emit,
    ensure_index,
    home_dir,
    indexed_assistant,
    log,
    news_corpus,
    parser,
    quiet,
    repeat_to,
    settings_for,
    stored_vectors,
)
from bench.query import measure

COMPARE = ("answer_total_ms_p50", "answer_total_ms_p95", "retrieve_ms_p50", "retrieve_ms_p95", "embed_ms_p50",
           "dense_ms_p50", "dense_ms_p95", "lexical_ms_p50", "fusion_ms_p50", "fusion_ms_p95", "answer_ms_p50")


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N 10kGNAD articles (debugging)")
    p.add_argument("--questions", type=int, default=200, help="questions to ask (cycling the 239 XQuAD ones)")
    p.add_argument("--no-compare", action="store_true", help="skip the embedded-store run beside it")
    args = p.parse_args()
    qa, distractors, gold = news_corpus(args.data, args.limit)
    articles = qa + distractors
    quiet()

    from rag.assistant import Assistant

    questions = [q.question for q in repeat_to(gold, args.questions)]
    with home_dir(args.home, "server") as home:
        embedded, _ = indexed_assistant(home / "1k", articles, name="1k embedded")
        with chroma_server(home / "chroma-server") as url:
            served = Assistant(settings_for(home / "server", chroma_url=url), embedder=embedded.store.embedder)

            def copy(store: Any, items: list[Any]) -> None:
                copy_with_vectors(stored_vectors(embedded.store), store, items)

            copy_s = ensure_index(served.store, articles, copy, name="server")
            clock = time.perf_counter()
            served.store.lexical()
            lexical_s = time.perf_counter() - clock  # the lexical index keyed by URL: rebuilt per server port
            log(f"server: lexical index ready in {lexical_s:.1f} s; asking {len(questions)} questions ...")
            record = measure(served, questions)
            compare = None
            if not args.no_compare:
                log(f"embedded: asking the same {len(questions)} questions for comparison ...")
                same_run = measure(embedded, questions)
                compare = {key: same_run.get(key) for key in COMPARE}
            emit("server", "query-1k-server", chroma_url=url, **record,
                 copy_into_server_s=round(copy_s, 2) if copy_s is not None else None,
                 lexical_ready_s=round(lexical_s, 2), embedded_same_run=compare,
                 targets={"answer_ms_p50": 100, "answer_ms_p95": 250},
                 meets_targets=record["answer_total_ms_p50"] < 100 and record["answer_total_ms_p95"] < 250)


if __name__ == "__main__":
    main()
