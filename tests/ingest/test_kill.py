"""A real crash: kill -9 an ingest process in the middle of writing, then check the index is consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ingest import ingest_articles
from rag.config import Settings
from rag.schema import Article
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
    assert_lexical_matches(store)


def assert_lexical_matches(store: Store) -> None:
    """The lexical index, synced by difference, holds exactly the committed chunks, each once."""
    committed = sorted(chunk_id for chunk_id, _, _ in store.committed_chunks())
    documents = store.lexical().documents()
    assert sorted(chunk_id for chunk_id, _ in documents) == committed
    assert {article_id for _, article_id in documents} == {a.id for a in store.articles()}


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


SYNCER = """
import sys, time
from rag.config import Settings
from rag.lexical_files import LexicalFiles
from rag.schema import Article
from rag.store import Store
from ingest import ingest_articles
from tests.fakes import FakeEmbedder

settings = Settings.model_validate_json(sys.argv[1])
where = sys.argv[2]
if where == "adding":  # killed while tantivy takes the documents, before its commit
    original = LexicalFiles.apply
    def slow(self, docs, *args, **kwargs):
        def trickle():
            for n, doc in enumerate(docs):
                if n == 2:
                    print("adding", flush=True)
                    time.sleep(30)
                yield doc
        return original(self, trickle(), *args, **kwargs)
    LexicalFiles.apply = slow
else:  # killed after tantivy's commit, before the state file says so
    def stuck(self, versions, generation):
        print("committed", flush=True)
        time.sleep(30)
    LexicalFiles.record = stuck
articles = [Article(id=f"n{i}", title=f"Neu {i}", text=" ".join(
    f"Satz {j} der neuen Meldung {i} zum Thema Hochwasser." for j in range(20))) for i in range(4)]
ingest_articles(articles, store=Store(settings, FakeEmbedder()))
"""


@pytest.mark.parametrize("where", ["adding", "committed"])
def test_kill_nine_during_an_incremental_lexical_write(settings: Settings, where: str) -> None:
    """Killed inside the lexical index's own write (after Chroma's commit): the next process's sync by
    difference ends with exactly the committed chunks, whether tantivy had committed or not."""
    ingest_articles([Article(id="alt", title="Alt", text="Die alte Meldung über den Hafen von Triest. " * 20)],
                    store=Store(settings, FakeEmbedder()))
    process = subprocess.Popen([sys.executable, "-c", SYNCER, settings.model_dump_json(), where], cwd=REPO,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None and process.stdout.readline().strip() == where
    process.send_signal(signal.SIGKILL)
    process.wait()

    store = Store(settings, FakeEmbedder())
    assert {a.id for a in store.articles()} == {"alt", "n0", "n1", "n2", "n3"}  # Chroma had committed
    assert_lexical_matches(store)
    hits = store.lexical().search("Hochwasser", 10)
    assert {store.get_chunks([cid])[cid][1]["article_id"] for cid, _ in hits} == {"n0", "n1", "n2", "n3"}
    store.remove(["n1"])  # and the index goes on changing per article afterwards
    assert_lexical_matches(store)
