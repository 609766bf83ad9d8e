"""Bounded concurrent load: 8 threads share 200 questions against one `Assistant`, then against the Gradio app's
`/ask` endpoint (issue 5, "Reliability under load").

Every question is first answered once serially (the reference). Under load each answer must carry the question
its thread asked and cite the passages of that question's answer: `mixed_up` counts answers with another
question or another question's citations; `differs_from_serial` counts answers whose text or citations differ from
the reference at all (non-determinism, not necessarily a mix-up); `errors` counts exceptions.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py [--home /tmp/bench-query] [--threads 8] [--questions 200]

One JSON line `load-assistant`, and `load-gradio` when ui/web.py offers `build_app(assistant)`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    emit,
    home_dir,
    indexed_assistant,
    latency,
    log,
    news_corpus,
    parser,
    quiet,
    rate,
    repeat_to,
)
from tests.chroma_server import free_port

Reference = dict[str, tuple[str, frozenset[tuple[str, str]]]]  # question → (answer text, cited chunks)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, help="only the first N 10kGNAD articles (debugging)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--questions", type=int, default=200, help="questions in total, shared by the threads")
    p.add_argument("--no-gradio", action="store_true", help="only the Assistant")
    args = p.parse_args()
    qa, distractors, gold = news_corpus(args.data, args.limit)
    quiet()

    questions = [q.question for q in repeat_to(gold, args.questions)]
    with home_dir(args.home, "load") as home:
        assistant, _ = indexed_assistant(home / "1k", qa + distractors)
        reference, serial = serial_reference(assistant, questions)

        def ask(question: str) -> tuple[str, frozenset[tuple[str, str]], str]:
            answer = assistant.answer(question)
            return answer.question, _cited(answer.citations), answer.text

        record = run_load(ask, questions, reference, args.threads)
        emit("load", "load-assistant", threads=args.threads, **record, **serial, chunks=assistant.store.chunks.count(),
             torch_threads=_torch_threads(), load_avg_1m=round(os.getloadavg()[0], 2))
        if args.no_gradio:
            return
        gradio_load(assistant, questions, reference, args.threads)


def _torch_threads() -> int | None:
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else None


def _cited(citations: Any) -> frozenset[tuple[str, str]]:
    return frozenset((str(c.article_id), str(c.chunk_id)) for c in citations)


def serial_reference(assistant: Any, questions: list[str]) -> tuple[Reference, dict[str, Any]]:
    """Each distinct question answered once, one at a time (after a warm-up)."""
    assistant.answer(questions[0])
    reference: Reference = {}
    seconds: list[float] = []
    for question in dict.fromkeys(questions):
        clock = time.perf_counter()
        answer = assistant.answer(question)
        seconds.append(time.perf_counter() - clock)
        reference[question] = (answer.text, _cited(answer.citations))
    total = sum(seconds)
    log(f"serial reference: {len(reference)} questions in {total:.1f} s")
    return reference, {"serial_throughput_qps": rate(len(seconds), total), **latency("serial_latency", seconds)}


def run_load(ask: Callable[[str], tuple[str, frozenset[tuple[str, str]], str]], questions: list[str],
             reference: Reference, threads: int) -> dict[str, Any]:
    """`threads` threads, thread t asking questions[t::threads]; checks every answer against the reference."""
    lock = threading.Lock()
    seconds: list[float] = []
    errors: list[str] = []
    mixed: list[str] = []
    differs = 0
    owners = {cited: q for q, (_, cited) in reference.items() if cited}
    start_gate = threading.Barrier(threads)

    def worker(mine: list[str]) -> None:
        nonlocal differs
        start_gate.wait()
        for question in mine:
            clock = time.perf_counter()
            try:
                got_question, cited, text = ask(question)
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            elapsed = time.perf_counter() - clock
            ref_text, ref_cited = reference[question]
            wrong_question = got_question != question
            foreign = cited != ref_cited and owners.get(cited, question) != question
            with lock:
                seconds.append(elapsed)
                if wrong_question or foreign:
                    mixed.append(question)
                if cited != ref_cited or text != ref_text:
                    differs += 1

    pool = [threading.Thread(target=worker, args=(questions[t::threads],), name=f"load-{t}") for t in range(threads)]
    clock = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - clock
    log(f"load: {len(questions)} questions on {threads} threads in {wall:.1f} s, {len(errors)} errors, "
        f"{len(mixed)} mixed up, {differs} differ from serial")
    for error in errors[:3]:
        log(f"load: error: {error}")
    return {"questions": len(questions), "answered": len(seconds), "errors": len(errors), "mixed_up": len(mixed),
            "differs_from_serial": differs, "wall_s": round(wall, 2), "throughput_qps": rate(len(seconds), wall),
            **latency("latency", seconds), "error_samples": errors[:3]}


# --- the Gradio app ------------------------------------------------------------------------------------------
def gradio_load(assistant: Any, questions: list[str], reference: Reference, threads: int) -> None:
    """The same load through the web app's public `/ask` endpoint, launched the way `newsrag chat` does."""
    from gradio_client import Client

    from ui.web import build_app, serve

    app = build_app(assistant)
    url = serve(app, assistant.settings, port=free_port(), block=False, quiet=True)
    try:
        local = threading.local()

        def client() -> Any:
            if getattr(local, "client", None) is None:
                local.client = Client(url, verbose=False)
            return local.client

        def ask(question: str) -> tuple[str, frozenset[tuple[str, str]], str]:
            data = client().predict(question, api_name="/ask")
            return data["question"], _cited_dicts(data["citations"]), data["answer"]

        record = run_load(ask, questions, reference, threads)
        emit("load", "load-gradio", threads=threads, endpoint=f"{url} api_name=/ask", **record,
             load_avg_1m=round(os.getloadavg()[0], 2))
    finally:
        with contextlib.redirect_stdout(sys.stderr):  # Gradio prints "Closing server": stdout is for JSON
            app.close()


def _cited_dicts(citations: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    return frozenset((str(c["article_id"]), str(c["chunk_id"])) for c in citations)


if __name__ == "__main__":
    main()
