"""The `newsrag` command: the only place besides the web app that prints or turns errors into messages.

Exit status: 0 success, 1 some inputs failed (or a runtime error), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import ConfigError, RagError
from ui.process import use_one_malloc_arena

if TYPE_CHECKING:  # imported where used at run time, so `newsrag --help` stays light
    from rag.status import FeedsStatus

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _settings() -> Settings:
    return Settings.load()


# --- ingest / list / remove / reindex -----------------------------------------------------------------------
def _progress_bar(enabled: bool, total: int | None = None) -> tuple[Callable[[int, Any], None] | None,
                                                                   Callable[[], None]]:
    """A tqdm bar (articles/s, and an ETA when the total is known) on a terminal; nothing when piped."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit=" articles", desc="ingest", file=sys.stderr, dynamic_ncols=True)

    def update(count: int, _item: Any) -> None:
        bar.update(count - bar.n)

    return update, bar.close


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest import ingest
    from ingest.load import estimate_count

    settings = _settings()
    on_terminal = sys.stderr.isatty() and not args.json
    update, close = _progress_bar(on_terminal, estimate_count(args.inputs) if on_terminal else None)
    try:
        report = ingest(args.inputs, source=args.source, settings=settings, progress=update)
    finally:
        close()
    if args.json:
        _print_json(report.to_dict())
    else:
        for source, reason in report.failed:
            print(f"failed: {source}: {reason}", file=sys.stderr)
        counts = report.to_dict()
        summary = f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, " \
                  f"{len(report.failed)} failed"
        if not report.changed and not report.failed:
            summary = f"nothing changed: {summary}"
        print(summary)
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from rag.store import Store

    store = Store(_settings())
    articles, stories = store.articles(), store.stories()
    stands_for = {members[0].id: members[1:] for members in stories.values()}
    copy_of = {copy.id: first for first, copies in stands_for.items() for copy in copies}
    if args.json:
        _print_json([{**a.to_dict(), "copy_of": copy_of.get(a.id)} for a in articles])
        return EXIT_OK
    if not articles:
        print("the index is empty: add articles with `newsrag ingest PATH_OR_URL`")
        return EXIT_OK
    width = max(len(a.id) for a in articles) + 2
    outlet_width = max(len(a.source or "-") for a in articles)  # "Salzburger Nachrichten" keeps the columns
    for a in articles:
        if a.id in copy_of:
            continue  # listed under the article that stands for its story
        print(_list_line(a.id, a, width, outlet_width))
        for copy in stands_for.get(a.id, []):
            print(_list_line("= " + copy.id, copy, width, outlet_width))
    return EXIT_OK


def _list_line(label: str, a: Any, width: int, outlet_width: int) -> str:
    return (f"{label:<{width}}  {a.published or '-':<10}  {a.source or '-':<{outlet_width}}  {a.chunks:>4} chunks  "
            f"{a.title}")


def cmd_remove(args: argparse.Namespace) -> int:
    from ingest import remove

    removed = remove(args.ids, settings=_settings())
    print(f"removed {len(removed)} article(s): {', '.join(removed)}")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace) -> int:
    from ingest import reindex
    from rag.store import Store

    settings = _settings()
    if args.lexical:  # the lexical index only, from Chroma's documents: no model, no re-embedding
        store = Store(settings, check_model=False)
        with store.write_lock():
            index = store.rebuild_lexical(sweep=True)
        print(f"rebuilt the lexical index: {len(index)} chunks of {len(index.versions)} article(s)")
        return EXIT_OK
    update, close = _progress_bar(sys.stderr.isatty(), len(Store(settings, check_model=False).catalog()))
    try:
        report = reindex(settings, progress=update)
    finally:
        close()
    print(f"re-embedded {len(report.added)} article(s) with {settings.embedding_model}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from rag.status import index_status
    from rag.store import Store

    # Without the model check: a collection built with another model is what status should report, not refuse.
    status = index_status(Store(_settings(), check_model=False))
    if args.json:
        _print_json(status.to_dict())
    else:
        print("\n".join(format_status(status)))
    return EXIT_OK


OUTLETS_SHOWN = 5  # the human form names the biggest outlets; --json lists them all


def format_status(status: Any) -> list[str]:
    """`newsrag status` as a short table of (label, value) lines."""
    from ui.web_render import file_size
    e, lexical = status.embedding, status.lexical
    outlets = ", ".join(f"{name or '(no outlet)'} {count}" for name, count in status.outlets[:OUTLETS_SHOWN])
    if len(status.outlets) > OUTLETS_SHOWN:
        outlets += f", … ({len(status.outlets) - OUTLETS_SHOWN} more)"
    dates = f"{status.earliest} – {status.latest}" if status.earliest else "-"
    if status.undated:
        dates += f" ({status.undated} undated)"
    dimension = f"{e.dimension} dimensions (from the {e.dimension_from})" if e.dimension else "dimension unknown"
    lexical_state = {"fresh": "fresh", "stale": "stale (brought up to date on the next question or `newsrag ingest`)",
                     "missing": "missing (built on the next question or `newsrag ingest`)"}[lexical.state]
    rows = [
        ("articles", str(status.articles) if status.articles else "0: add articles with `newsrag ingest PATH_OR_URL`"),
        ("chunks", str(status.chunks)),
        ("outlets", f"{len(status.outlets)}: {outlets}" if status.outlets else "-"),
        ("dates", dates),
        ("stories", f"{status.story_groups} told by several articles ({status.copies} copies)"
                    if status.story_groups else "no story stored twice"),
        ("embedding", f"{e.model}, {dimension}, {e.precision}"),
        ("", e.location),
        ("store", f"{status.store} {status.store_location}, collection {status.collection!r}"),
        ("lexical", f"{lexical_state}, {file_size(lexical.size_bytes)}"),
        ("", lexical.path),
        ("sentences", sentences_text(status.sentences)),
        ("", status.sentences.path),
    ]
    rows += feeds_rows(status.feeds)
    if e.mismatch:
        rows.insert(7, ("", f"the collection was built with {e.stamped_model!r}: run `newsrag reindex`"))
    width = max(len(label) for label, _ in rows)
    return [f"{label:<{width}}  {value}" for label, value in rows]


def sentences_text(sentences: Any) -> str:
    from ui.web_render import file_size
    stored = f"{file_size(sentences.size_bytes)} stored" if sentences.size_bytes else "none stored yet"
    at_ingest = "embedded at ingest" if sentences.at_ingest else "not embedded at ingest (RAG_SENTENCE_VECTORS)"
    return f"{stored}, {at_ingest}"


def feeds_rows(feeds: FeedsStatus) -> list[tuple[str, str]]:
    """The feeds of `newsrag status`: how many, which need a look, the last success; then when the next sync is
    due, or since when feeds wait (long ago: nothing runs `newsrag sync`)."""
    from ui.web_render import short_time
    if not feeds.count:
        return [("feeds", "none (subscribe with `newsrag feeds add URL`)")]
    notes = [f"{feeds.due} due"] if feeds.due else []
    if feeds.failing:
        notes.append(f"{feeds.failing} failing: run `newsrag feeds list`")
    line = str(feeds.count) + (f" ({', '.join(notes)})" if notes else "")
    line += f", last success {short_time(feeds.last_success)}" if feeds.last_success \
        else ", no successful sync yet"
    rows = [("feeds", line)]
    if feeds.next_due:
        when = short_time(feeds.next_due)
        rows.append(("", f"due since {when}: `newsrag sync` fetches them" if feeds.due else f"next sync due {when}"))
    return rows


# --- parser ------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsrag", description="Ask questions about news articles; every answer cites its passages."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("ingest", help="add files, directories, article URLs or feeds to the index")
    p.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--source", help="outlet name for these articles (overrides what the input says)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("list", help="show the indexed articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)

    p = commands.add_parser("remove", help="remove articles by id (see `newsrag list`)")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(run=cmd_remove)

    p = commands.add_parser("status", help="articles, outlets, dates, embedding model, store and lexical index")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_status)

    p = commands.add_parser("reindex", help="re-embed all articles with the configured embedding model")
    p.add_argument("--lexical", action="store_true",
                   help="only rebuild the lexical index from the stored chunks (it is otherwise changed per article)")
    p.set_defaults(run=cmd_reindex)

    _add_extra_commands(commands)
    return parser


def _add_extra_commands(commands: Any) -> None:
    """ask, eval, chat, feeds and sync live in their own modules to keep this one small."""
    from ui import cli_answer, cli_feeds

    cli_answer.register(commands)
    cli_feeds.register(commands)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    use_one_malloc_arena()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"newsrag: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RagError as exc:
        print(f"newsrag: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `newsrag list | head`: the reader left; nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("newsrag: interrupted; the index keeps every article that was completely written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
