"""The incremental catalog: a reader re-reads only the articles the change log names, and reads the whole
registry when the log cannot say (`rag.catalog`, `rag.changelog`)."""

from __future__ import annotations

import uuid

import pytest

from ingest import ingest_articles
from ingest.chunk import chunk_article
from rag import changelog
from rag.changelog import ChangeLog
from rag.chroma import scan
from rag.config import Settings
from rag.records import ArticleInfo, PreparedArticle
from rag.schema import Article
from rag.store import Store
from tests.articles import bahn, mars, wein
from tests.fakes import FakeEmbedder

BOTH_STORES = True


def article(n: int, text: str = "Die Gemeinde meldet einen neuen Rekord bei der Weinlese.") -> Article:
    return Article(id=f"meldung-{n}", title=f"Meldung {n}", text=f"{text} Nummer {n}.", source="Testblatt")


def full(store: Store) -> dict[str, ArticleInfo]:
    """What a full scan of the registry reads, without going through the catalog."""
    return {a: ArticleInfo.from_metadata(a, meta) for a, meta in scan(store.registry, ["metadatas"])}


def pair(settings: Settings) -> tuple[Store, Store]:
    """A writer and a reader: two Store instances on one index, the reader's catalog read once."""
    writer, reader = Store(settings, FakeEmbedder()), Store(settings, FakeEmbedder())
    ingest_articles([bahn(), wein()], store=writer)
    reader.catalog_file.remove()  # the reader reads the registry whole, as without a catalog file
    assert set(reader.catalog()) == {"bahn-preise", "wachau-wein"}
    return writer, reader


def test_adds_replaces_and_removes_are_read_incrementally_and_equal_a_full_scan(settings: Settings) -> None:
    writer, reader = pair(settings)
    assert reader._catalog is not None and reader._catalog.full
    ingest_articles([mars(), article(1), article(2)], store=writer)
    assert reader.catalog() == full(writer) and not reader._catalog.full
    ingest_articles([bahn(text="Die Bahn senkt die Preise im Nahverkehr deutlich.")], store=writer)  # a replace
    writer.remove(["wachau-wein", "meldung-1"])
    catalog = reader.catalog()
    assert catalog == full(writer) and not reader._catalog.full
    assert "wachau-wein" not in catalog and catalog["bahn-preise"].version == full(writer)["bahn-preise"].version
    assert reader._catalog.seq == int(writer.generation().split(".")[0])


def test_the_lexical_sync_of_another_process_uses_the_incremental_catalog(settings: Settings) -> None:
    writer, reader = pair(settings)
    reader.lexical()
    ingest_articles([mars()], store=writer)
    index = reader.lexical()
    assert not reader._catalog.full  # type: ignore[union-attr]
    assert {a for _, a in index.documents()} >= {"mars-proben", "bahn-preise"}


def test_a_commit_by_a_writer_without_the_log_is_read_whole(settings: Settings) -> None:
    writer, reader = pair(settings)
    prepared = _prepared(writer, [mars()])
    writer._add_chunks(prepared)  # what the code before the log did: chunks, registry, a plain token, no entry
    writer._commit(prepared)
    writer.chunks.modify(metadata={**(writer.chunks.metadata or {}), "generation": uuid.uuid4().hex})
    assert "mars-proben" in reader.catalog() and reader._catalog.full  # type: ignore[union-attr]


def test_a_log_created_anew_is_read_whole(settings: Settings) -> None:
    writer, reader = pair(settings)
    writer.client.delete_collection(f"{settings.collection}-changes")  # e.g. the store predates the log
    fresh = Store(settings, FakeEmbedder(), client=writer.client)
    ingest_articles([mars()], store=fresh)
    reader._chunks = None  # reopened, as after the embedded reopen on a foreign generation
    assert reader.catalog() == full(fresh) and reader._catalog.full  # type: ignore[union-attr]


def test_a_reader_behind_a_trimmed_log_is_read_whole(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changelog, "KEEP", 2)
    monkeypatch.setattr(changelog, "TRIM_EVERY", 1)
    writer, reader = pair(settings)
    for n in range(4):
        ingest_articles([article(n)], store=writer)
    assert len(writer.changes.collection.get()["ids"]) == 2
    assert reader.catalog() == full(writer) and reader._catalog.full  # type: ignore[union-attr]
    ingest_articles([article(9)], store=writer)  # and incremental again from there
    assert reader.catalog() == full(writer) and not reader._catalog.full  # type: ignore[union-attr]


@pytest.mark.parametrize("missing", ["middle", "last"])
def test_a_missing_entry_means_a_full_scan(settings: Settings, missing: str) -> None:
    writer, reader = pair(settings)
    ingest_articles([article(1)], store=writer)
    ingest_articles([article(2)], store=writer)
    seqs = sorted(int(m["seq"]) for m in writer.changes.collection.get()["metadatas"])
    writer.changes.collection.delete(ids=[f"{seqs[-2] if missing == 'middle' else seqs[-1]:012d}"])
    assert reader.catalog() == full(writer) and reader._catalog.full  # type: ignore[union-attr]


def test_a_writer_killed_after_its_registry_commit_is_seen_at_the_next_commit(settings: Settings) -> None:
    writer, reader = pair(settings)
    prepared = _prepared(writer, [mars()])
    writer._add_chunks(prepared)
    pending = writer._claim(["mars-proben"])
    writer._commit(prepared)  # ... and killed here: no `finish`, no generation bump
    ingest_articles([article(1)], store=Store(settings, FakeEmbedder()))
    catalog = reader.catalog()
    assert catalog == full(writer) and "mars-proben" in catalog and not reader._catalog.full  # type: ignore[union-attr]
    assert reader._catalog.seq == pending - 1  # type: ignore[union-attr]  # its articles are read again next time


def test_a_pending_entry_of_a_dead_writer_is_passed_after_a_while(settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    writer, reader = pair(settings)
    pending = writer._claim(["mars-proben"])
    ingest_articles([article(1)], store=writer)
    reader.catalog()
    assert reader._catalog.seq == pending - 1  # type: ignore[union-attr]
    monkeypatch.setattr(changelog, "ABANDONED", -1.0)
    ingest_articles([article(2)], store=writer)
    reader.catalog()
    assert reader._catalog.seq == pending + 2  # type: ignore[union-attr]


def test_two_writers_claiming_one_seq_get_consecutive_numbers(settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    log = Store(settings, FakeEmbedder()).changes
    assert log.begin(["a"], 0) == 1
    monkeypatch.setattr(ChangeLog, "_last", lambda self, after: 0)  # the second writer read the log before the add
    assert log.begin(["b"], 0) == 2
    assert [c.article_ids for c in log.since(0)] == [("a",), ("b",)]


def _prepared(store: Store, articles: list[Article]) -> list[PreparedArticle]:
    out = []
    for a in articles:
        chunks = chunk_article(a, size=store.settings.chunk_size, overlap=store.settings.chunk_overlap)
        out.append(PreparedArticle(a, chunks, store.embedder.encode([c.text for c in chunks])))
    return out
