"""A real crash: kill -9 an ingest process in the middle of writing, then check the index is consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ingest import ingest_articles
from rag.config import Settings
from rag.store import Store
from tests.conftest import REPO
from tests.fakes import FakeEmbedder

WRITER = """
import sys, time
from rag.config import Settings
from rag.schema import Article
from rag.store import Store
from ingest.index import Indexer
from tests.fakes import FakeEmbedder

class Slow(FakeEmbedder):
    def encode(self, texts):
        time.sleep(0.02)
        return super().encode(texts)

settings = Settings.model_validate_json(sys.argv[1])
version = sys.argv[2]
articles = [Article(id=f"a{i}", title=f"Artikel {i}", text=" ".join(
    f"Satz {j} von Artikel {i} in Fassung {version} über das Thema {i % 7}." for j in range(30)))
    for i in range(60)]
print("start", flush=True)
Indexer(Store(settings, Slow()), batch_chunks=3).ingest(articles, progress=lambda n, _: print(n, flush=True))
print("done", flush=True)
"""


def run_writer(settings: Settings, version: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, settings.model_dump_json(), version], cwd=REPO,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def assert_consistent(store: Store) -> None:
    committed: dict[str, int] = {}
    for _, _, meta in store.committed_chunks():
        committed[meta["article_id"]] = committed.get(meta["article_id"], 0) + 1
    for info in store.articles():
        assert committed.get(info.id) == info.chunks, info.id  # every article whole, in one version
    lexical = store.rebuild_lexical()
    assert set(lexical.article_ids) == {a.id for a in store.articles()}


def test_kill_nine_mid_ingest_leaves_whole_articles(settings: Settings) -> None:
    done = run_writer(settings, "eins")
    assert done.wait(timeout=300) == 0
    process = run_writer(settings, "zwei")  # every article changes: each one is an update
    assert process.stdout is not None and process.stdout.readline().strip() == "start"
    while int(process.stdout.readline()) < 25:  # well into the run, with batches being written
        pass
    time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()

    store = Store(settings, FakeEmbedder())
    versions = {}
    for _, text, meta in store.committed_chunks():
        versions.setdefault(meta["article_id"], set()).add("zwei" if "Fassung zwei" in text else "eins")
    assert all(len(v) == 1 for v in versions.values())  # never a mix of old and new within an article
    assert len(versions) == 60
    assert {"eins"} in versions.values() and {"zwei"} in versions.values()  # killed in the middle
    assert_consistent(store)

    # the next run completes the update and sweeps what the killed one left behind
    ingest_articles([], store=store)
    again = run_writer(settings, "zwei")
    assert again.wait(timeout=300) == 0
    store = Store(settings, FakeEmbedder())
    assert_consistent(store)
    assert store.chunks.count() == sum(a.chunks for a in store.articles())
