"""Several readers and writers: threads on one Assistant, a second process writing, two writers at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ingest import ingest_articles
from rag import Assistant, Settings
from rag.schema import Article
from rag.store import Store
from tests.articles import BAHN_TEXT, bahn, mars, wein
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from ui.cli import main

BOTH_STORES = True

QUESTIONS = {
    "Welche Arbeitszeit fordert die Gewerkschaft GDL?": "bahn-preise",
    "Warum fiel die Weinlese in der Wachau kleiner aus?": "wachau-wein",
    "Wo hat Perseverance organische Moleküle gefunden?": "mars-proben",
}


def test_eight_threads_two_hundred_questions_no_errors_no_mixups(settings: Settings) -> None:
    assistant = Assistant(settings, embedder=FakeEmbedder())
    ingest_articles([bahn(), wein(), mars()], store=assistant.store)
    asked = [list(QUESTIONS)[i % 3] for i in range(200)]

    def ask(question: str) -> tuple[str, object]:
        return question, assistant.answer(question)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, asked))
    assert len(results) == 200
    for question, answer in results:
        assert answer.question == question  # type: ignore[attr-defined]
        assert answer.answered  # type: ignore[attr-defined]
        assert {c.article_id for c in answer.citations} == {QUESTIONS[question]}  # type: ignore[attr-defined]


class SlowEmbedder(FakeEmbedder):
    def encode(self, texts):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return super().encode(texts)


def test_answers_keep_coming_while_an_ingest_runs(settings: Settings) -> None:
    assistant = Assistant(settings, embedder=FakeEmbedder())
    ingest_articles([bahn()], store=assistant.store)
    many = [Article(id=f"meldung-{i}", title=f"Meldung {i}", text=f"Die Gemeinde Nummer {i} meldet einen neuen "
                    f"Rekord beim Tourismus im Sommer {2000 + i}. Die Zahl der Gäste stieg deutlich.")
            for i in range(40)]
    from ingest.index import Indexer

    writer = threading.Thread(target=lambda: Indexer(Store(settings, SlowEmbedder()), batch_chunks=2).ingest(many))
    writer.start()
    answered = 0
    while writer.is_alive():
        assert assistant.answer("Welche Arbeitszeit fordert die Gewerkschaft GDL?").answered
        answered += 1
    writer.join()
    assert answered >= 3
    assert len(assistant.store.catalog()) == 41


def test_another_process_commit_becomes_visible_to_a_running_reader(settings: Settings, tmp_path: Path) -> None:
    reader = Store(settings, FakeEmbedder())
    ingest_articles([bahn()], store=reader)
    assert set(reader.lexical().article_ids) == {"bahn-preise"}
    code = (
        "import sys; from rag.config import Settings; from rag.store import Store; "
        "from tests.fakes import FakeEmbedder; from tests.articles import wein; from ingest import ingest_articles; "
        "s = Settings.model_validate_json(sys.argv[1]); ingest_articles([wein()], store=Store(s, FakeEmbedder()))"
    )
    done = subprocess.run([sys.executable, "-c", code, settings.model_dump_json()], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert set(reader.lexical().article_ids) == {"bahn-preise", "wachau-wein"}
    vector = reader.embedder.encode_queries(["Weinlese Wachau Hagel Rieden"])[0]
    assert reader.dense_search(np.asarray(vector), 1)[0].metadata["article_id"] == "wachau-wein"


def test_second_ingest_process_is_told_the_index_is_busy(settings: Settings, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if settings.chroma_url:
        return  # the server serialises writers; covered by the embedded case
    holder = (
        "import sys, time; from rag.config import Settings; from rag.store import Store; "
        "from tests.fakes import FakeEmbedder; s = Settings.model_validate_json(sys.argv[1]); "
        "lock = Store(s, FakeEmbedder()).write_lock(); lock.__enter__(); print('locked', flush=True); "
        "time.sleep(30)"
    )
    process = subprocess.Popen([sys.executable, "-c", holder, settings.model_dump_json()], cwd=REPO,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        monkeypatch.setenv("RAG_HOME", str(settings.home))
        code = main(["ingest", str(REPO / "corpus")])
        err = capsys.readouterr().err
        assert code == 1 and "busy" in err and "another newsrag process" in err
    finally:
        process.kill()
        process.wait()


class CountingStore(Store):
    """Counts lexical syncs and makes each take a while, like a large rebuild does."""

    builds = 0

    def _sync_lexical(self, generation, *, rebuild, sweep):  # type: ignore[no-untyped-def]
        type(self).builds += 1
        time.sleep(0.6)
        return super()._sync_lexical(generation, rebuild=rebuild, sweep=sweep)


def test_one_rebuild_at_a_time_and_other_readers_answer_from_the_previous_index(settings: Settings) -> None:
    reader = CountingStore(settings, FakeEmbedder())
    ingest_articles([bahn()], store=reader)
    previous = reader.lexical()
    ingest_articles([wein()], store=Store(settings, FakeEmbedder()))  # another writer moves the generation on
    shutil.rmtree(reader.lexical_dir)  # ...in another process, with its own RAG_HOME: the reader must rebuild
    CountingStore.builds = 0

    def snapshot(_: int) -> tuple[object, float]:
        clock = time.perf_counter()
        index, _catalog = reader.snapshot()
        return index, time.perf_counter() - clock

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(snapshot, range(4)))
    assert CountingStore.builds == 1  # not one rebuild per waiting reader
    fresh = [seconds for index, seconds in results if index is not previous]
    stale = [seconds for index, seconds in results if index is previous]
    assert len(fresh) == 1 and fresh[0] >= 0.6  # the thread that rebuilt waited for it
    assert len(stale) == 3 and max(stale) < 0.5  # the others answered at once from the previous index
    assert set(reader.lexical().article_ids) == {"bahn-preise", "wachau-wein"} and CountingStore.builds == 1


class NoCleanupStore(Store):
    """A writer stopped between committing a new version and deleting the old version's chunks."""

    def _delete_stale_chunks(self, current):  # type: ignore[no-untyped-def]
        return 0

    def committed_chunks(self, *, sweep=False):  # type: ignore[no-untyped-def]
        return super().committed_chunks(sweep=False)  # nor has the end-of-run sweep happened yet


def test_a_stale_lexical_index_never_cites_a_replaced_version(settings: Settings) -> None:
    assistant = Assistant(settings, embedder=FakeEmbedder())
    ingest_articles([bahn()], store=assistant.store)
    stale = assistant.store.lexical()  # names the chunks of the first version
    changed = bahn(text=BAHN_TEXT.replace("35 Stunden", "32 Stunden"))
    ingest_articles([changed], store=NoCleanupStore(settings, FakeEmbedder()))
    assistant.store._lexical = stale  # what a reader holds while another thread rebuilds
    assistant.store._rebuild_lock.acquire()  # ... and that rebuild is still running
    try:
        answer = assistant.answer("Welche Arbeitszeit fordert die Gewerkschaft GDL?")
    finally:
        assistant.store._rebuild_lock.release()
    assert answer.answered and "32 Stunden" in answer.text
    assert "35 Stunden" not in answer.text and all("35 Stunden" not in c.quote for c in answer.citations)
