"""`newsrag feeds add|list|remove` and `newsrag sync`, registered on the main parser by `ui.cli`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_FAILED = 0, 1


def register(commands: Any) -> None:
    feeds = commands.add_parser("feeds", help="subscribe to RSS/Atom feeds that `newsrag sync` keeps current")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")

    p = actions.add_parser("add", help="subscribe to a feed (or change its --source / --every)")
    p.add_argument("url", metavar="URL")
    p.add_argument("--source", default="", help="outlet name for its articles (default: what the pages say)")
    p.add_argument("--every", help="sync interval, e.g. 5m, 15m, 1h, 1d (default RAG_FEED_EVERY, 15m)")
    p.set_defaults(run=cmd_feeds_add)

    p = actions.add_parser("list", help="the feeds with their last sync, counts and errors")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_feeds_list)

    p = actions.add_parser("remove", help="unsubscribe (the feed's articles stay in the index)")
    p.add_argument("url", metavar="URL")
    p.set_defaults(run=cmd_feeds_remove)

    p = commands.add_parser("sync", help="one pass over the due feeds (for cron or a systemd timer)")
    p.add_argument("--all", dest="everything", action="store_true", help="sync every feed, due or not")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(run=cmd_sync)


def _book() -> Any:
    from rag.feeds import FeedBook
    from ui.cli import _settings

    return FeedBook(_settings())


def cmd_feeds_add(args: argparse.Namespace) -> int:
    from rag.feeds import format_interval

    state = _book().add(args.url, source=args.source, every=args.every)
    print(f"feed {state.url}: synced every {format_interval(state.every)}; `newsrag sync` fetches it when due")
    return EXIT_OK


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    state = _book().remove(args.url)
    print(f"removed feed {state.url}; its {len(state.entries)} article(s) stay in the index")
    return EXIT_OK


def cmd_feeds_list(args: argparse.Namespace) -> int:
    feeds = [f.summary() for f in _book().all()]
    if args.json:
        print(json.dumps(feeds, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not feeds:
        print("no feeds: subscribe with `newsrag feeds add URL`")
    for feed in feeds:
        print("\n".join(format_feed(feed)))
    return EXIT_OK


def format_feed(feed: dict[str, Any]) -> list[str]:
    counts = feed["last_counts"]
    last = (f"last sync {feed['last_attempt']}: {counts.get('added', 0)} added, {counts.get('updated', 0)} updated, "
            f"{counts.get('unchanged', 0)} unchanged, {counts.get('failed', 0)} failed") if feed["last_attempt"] \
        else "never synced"
    lines = [feed["url"], f"  every {feed['every']}, {feed['articles']} article(s), source {feed['source'] or '-'}",
             f"  {last}; last success {feed['last_success'] or '-'}"]
    lines += [f"  error: {e['input']}: {e['error']}" for e in feed["errors"]]
    return lines


def cmd_sync(args: argparse.Namespace) -> int:
    from ingest.sync import sync_feeds
    from rag.store import Store
    from ui.cli import _settings

    def progress(state: Any, counts: dict[str, Any]) -> None:
        if not args.json:
            print(f"{state.url}: {counts['added']} added, {counts['updated']} updated, "
                  f"{counts['unchanged']} unchanged, {len(counts['failed'])} failed", file=sys.stderr)

    report = sync_feeds(Store(_settings()), everything=args.everything, progress=progress)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for source, reason in report.failed:
            print(f"failed: {source}: {reason}", file=sys.stderr)
        counts = report.to_dict()
        print(f"{counts['feeds']} feed(s) synced: {counts['added']} added, {counts['updated']} updated, "
              f"{counts['unchanged']} unchanged, {len(report.failed)} failed")
    return EXIT_FAILED if report.failed else EXIT_OK
