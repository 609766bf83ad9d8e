"""`newsrag ask`, `eval` and `chat`, registered on the main parser by `ui.cli`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag.schema import Answer


def register(commands: Any) -> None:
    p = commands.add_parser("ask", help="answer a question from the indexed articles, with sources")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer and citations as JSON")
    p.add_argument("--k", type=int, help="number of passages to retrieve (default RAG_TOP_K)")
    p.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", help="only articles published on or before this date (YYYY-MM-DD)")
    p.add_argument("--source", action="append", help="only this outlet (repeatable)")
    p.add_argument("--today", help="the day time words in the question count from (YYYY-MM-DD; default RAG_TODAY "
                                   "or today)")
    p.add_argument("--no-period", dest="infer_period", action="store_false",
                   help="ignore time words in the question (\"letzte Woche\") instead of restricting to them")
    p.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: llm when configured)")
    p.set_defaults(run=cmd_ask)

    p = commands.add_parser("eval", help="measure retrieval and answers on a QA set in a throw-away index")
    p.add_argument("--questions", required=True, type=Path, help="questions JSONL (XQuAD format)")
    p.add_argument("--contexts", required=True, type=Path, help="contexts JSONL, grouped into articles by title")
    p.add_argument("--distractors", type=Path, help="distractor articles JSONL ({id, text} lines)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--dense-weight", type=float, help="override the fusion weight of the dense side (0..1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_eval)

    p = commands.add_parser("chat", help="open the chat web app (Gradio)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=7860, help="TCP port (default 7860)")
    p.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    p.add_argument("--language", choices=["de", "en"], help="language of the app's texts (default RAG_UI_LANGUAGE, de)")
    p.set_defaults(run=cmd_chat)


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def format_answer(answer: Answer) -> str:
    from rag.cite import SUPPORT_FLOOR  # here, not at the top: `newsrag --help` should not load the engine
    from ui.i18n import Texts
    from ui.web_render import period_text

    lines = []
    if answer.period is not None:
        lines.append(f"Zeitraum: {period_text(answer.period, Texts('de'))}\n")
    lines.append(answer.text)
    for notice in answer.notices:
        lines.append(f"\nHinweis: {notice}")
    weak = [c for c in answer.claims if c.support < SUPPORT_FLOOR]
    if weak:
        lines.append("\nSchwach belegt: " + " | ".join(f"„{c.text}“ ({c.support:.2f})" for c in weak))
    if answer.citations:
        lines.append("\nQuellen:")
    for c in answer.citations:
        meta = ", ".join(x for x in (c.source, c.published) if x)
        lines.append(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "") + (f"\n    {c.url}" if c.url else ""))
        quote = " ".join(c.quote.split())
        lines.append(f"    „{quote[:300]}{'…' if len(quote) > 300 else ''}“")
        if c.also_in:
            lines.append("    auch berichtet von: " + "; ".join(
                ", ".join(x for x in (copy.get("source", ""), copy.get("published", "")) if x) or copy["article_id"]
                for copy in c.also_in))
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant
    from ui.cli import _settings

    if not args.question.strip():
        print("newsrag: the question is empty: ask something about the articles, e.g. newsrag ask "
              "\"Welche Forderungen stellte Moskau?\"", file=sys.stderr)
        return 2
    answer = Assistant(_settings()).answer(
        args.question, k=args.k, since=args.since, until=args.until, sources=args.source, mode=args.mode,
        today=args.today, infer_period=args.infer_period,
    )
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ingest.index import Indexer
    from rag.evaluate import evaluate
    from ui.cli import _settings

    for option, path in (("--questions", args.questions), ("--contexts", args.contexts),
                         ("--distractors", args.distractors)):
        if path is not None and not path.is_file():
            print(f"newsrag: {option} {path}: no such file (the XQuAD-format JSONL files, e.g. "
                  f"../shared/data/xquad_de_dev_questions.jsonl)", file=sys.stderr)
            return 2

    def index(store: Any, articles: list[Any]) -> None:
        Indexer(store).ingest(articles)

    metrics = evaluate(args.questions, args.contexts, index, distractors_path=args.distractors,
                       settings=_settings(), limit=args.limit, dense_weight=args.dense_weight)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        width = max(len(k) for k in metrics)
        for key, value in metrics.items():
            print(f"{key:<{width}}  {value}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from ui.cli import _settings
    from ui.web import launch

    if args.host not in ("127.0.0.1", "localhost", "::1") and not _settings().ui_auth:
        print("newsrag: warning: binding to a non-loopback address without RAG_UI_AUTH lets anyone on the "
              "network use the app", file=sys.stderr)
    launch(_settings(), host=args.host, port=args.port, share=args.share, language=args.language)
    return 0
