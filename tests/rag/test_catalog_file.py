"""The catalog file (`rag.catalog_file`): a fresh process starts from it and reads only the change-log entries
after it; a file that is stale, damaged or another store's is ignored and the registry read whole, as before.
And the whole read itself, paged by id (`rag.catalog.full_scan`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest import ingest_articles
from rag import catalog, catalog_file, chroma
from rag.catalog import CatalogState
from rag.chroma import scan
from rag.config import Settings
from rag.records import ArticleInfo
from rag.store import Store
from tests.articles import bahn, mars, wein
from tests.fakes import FakeEmbedder
from tests.rag.test_catalog import _prepared, article

BOTH = pytest.mark.parametrize("settings", ["embedded", "server"], indirect=True)


def full(store: Store) -> dict[str, ArticleInfo]:
    """What a full scan of the registry reads, without going through the catalog."""
    return {a: ArticleInfo.from_metadata(a, meta) for a, meta in scan(store.registry, ["metadatas"])}


def written(settings: Settings) -> Store:
    """A writer whose catalog, read whole, is in the file: bahn and wein (with authors and agencies)."""
    writer = Store(settings, FakeEmbedder())
    ingest_articles([bahn(authors=("Anna Muster", "Jörg Öller")), wein(agencies=("APA",))], store=writer)
    writer.catalog_file.remove()
    writer._catalog = None
    writer.catalog()  # a full scan, which writes the file
    assert writer._catalog is not None and writer._catalog.full and writer.catalog_file.path.exists()
    return writer


def fresh(settings: Settings) -> Store:
    """What a new process opens (embedded: the same Chroma system, as it is one process)."""
    return Store(settings, FakeEmbedder())


def no_full_scan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail on a full scan; returns the ids the catalog reads from the registry."""
    def refuse(*args: object) -> CatalogState:
        raise AssertionError("the registry was read whole")

    reads: list[str] = []
    original = catalog.read

    def counted(registry: object, article_ids: list[str]) -> dict[str, ArticleInfo]:
        reads.extend(article_ids)
        return original(registry, article_ids)

    monkeypatch.setattr(catalog, "full_scan", refuse)
    monkeypatch.setattr(catalog, "read", counted)
    return reads


@BOTH
def test_a_fresh_process_starts_from_the_file_and_reads_only_the_log_after_it(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = written(settings)
    ingest_articles([mars()], store=writer)
    writer.remove(["wachau-wein"])
    reads = no_full_scan(monkeypatch)
    reader = fresh(settings)
    assert reader.catalog() == full(writer)  # every field, authors and agencies included
    assert reader.catalog()["bahn-preise"].authors == ("Anna Muster", "Jörg Öller")
    assert sorted(reads) == ["mars-proben", "wachau-wein"]
    assert reader._catalog is not None and not reader._catalog.full
    assert reader._catalog.seq == int(writer.generation().split(".")[0])


@BOTH
def test_the_file_as_it_is_when_nothing_changed_since(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = written(settings)
    reads = no_full_scan(monkeypatch)
    assert fresh(settings).catalog() == full(writer) and reads == []
    assert fresh(settings).lexical().documents()  # the lexical sync starts from it too


def test_a_commit_whose_writer_died_before_the_token_is_read_from_the_log(settings: Settings) -> None:
    writer = written(settings)
    prepared = _prepared(writer, [mars()])
    writer._add_chunks(prepared)
    writer._claim(["mars-proben"])
    writer._commit(prepared)  # ... and killed here: no `finish`, no generation bump
    assert "mars-proben" in fresh(settings).catalog()  # as a full scan would see it


def test_the_file_is_written_again_after_save_after_records(settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_file, "SAVE_AFTER", 2)
    writer = written(settings)
    reader = fresh(settings)
    reader.catalog()
    seq = _file_seq(writer)
    ingest_articles([article(1)], store=writer)
    reader.catalog()  # one record read: not yet
    assert _file_seq(writer) == seq
    ingest_articles([article(2)], store=writer)
    reader.catalog()  # two since the file: written
    assert _file_seq(writer) == reader._catalog.seq > seq  # type: ignore[union-attr]
    assert reader._catalog.unsaved == 0  # type: ignore[union-attr]
    assert not list(writer.catalog_file.path.parent.glob("*.tmp"))


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    if how == "cut mid-line":
        path.write_bytes(data[: len(data) - 40])
    elif how == "cut at a line":
        path.write_bytes(b"".join(lines[:-1]))  # no trailer
    elif how == "a changed character":
        path.write_bytes(data.replace(b"Kleine Ernte", b"Kleine Emte"))  # still parses: the checksum tells
    elif how == "garbage":
        path.write_bytes(b"\x00\xff not json at all")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "another format":
        path.write_bytes(lines[0].replace(b'"format":1', b'"format":99') + b"".join(lines[1:]))
    elif how == "other fields":
        path.write_bytes(lines[0].replace(b'"title",', b"") + b"".join(lines[1:]))
    elif how == "a row of the wrong length":
        path.write_bytes(lines[0] + lines[1].replace(b"[", b'["extra",', 1) + b"".join(lines[2:]))


@pytest.mark.parametrize("how", ["cut mid-line", "cut at a line", "a changed character", "garbage", "empty",
                                 "another format", "other fields", "a row of the wrong length"])
def test_a_damaged_file_is_ignored(settings: Settings, how: str) -> None:
    writer = written(settings)
    _damage(writer.catalog_file.path, how)
    reader = fresh(settings)
    assert reader.catalog() == full(writer) and reader._catalog.full  # type: ignore[union-attr]
    assert reader.catalog_file.load(reader.registry, reader.changes) is not None  # and written anew


@BOTH
def test_the_file_of_an_older_log_is_ignored(settings: Settings) -> None:
    writer = written(settings)
    writer.client.delete_collection(f"{settings.collection}-changes")  # a reindex makes a new log
    reader = Store(settings, FakeEmbedder(), client=writer.client)
    assert reader.catalog_file.load(reader.registry, reader.changes) is None
    assert reader.catalog() == full(writer) and reader._catalog.full  # type: ignore[union-attr]


def test_a_log_restored_from_an_older_backup_is_not_trusted(settings: Settings) -> None:
    writer = written(settings)
    seq = _file_seq(writer)
    log = writer.changes.collection
    entry = log.get(ids=[f"{seq:012d}"], include=["metadatas", "documents", "embeddings"])
    log.delete(ids=[f"{seq:012d}"])  # the entry numbered alike in the restored log is another commit's
    log.add(ids=entry["ids"], embeddings=entry["embeddings"], documents=entry["documents"],
            metadatas=[{**entry["metadatas"][0], "token": "another"}])
    reader = fresh(settings)
    assert reader.catalog() == full(writer) and reader._catalog.full  # type: ignore[union-attr]


def test_drop_removes_the_file(settings: Settings) -> None:
    writer = written(settings)
    writer.drop()
    assert not writer.catalog_file.path.exists()


def test_a_home_that_cannot_be_written_is_no_error(settings: Settings, tmp_path: Path) -> None:
    writer = written(settings)
    (tmp_path / "a-file").write_text("")
    unwritable = catalog_file.CatalogFile(tmp_path / "a-file" / "catalog.json")  # its folder is a file
    state = writer._catalog
    assert state is not None
    assert unwritable.save(state, writer.registry, writer.changes).unsaved == 0
    assert unwritable.load(writer.registry, writer.changes) is None


@BOTH
def test_the_scan_paged_by_id_equals_one_read_of_every_record(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_BY_IDS", 2)
    store = Store(settings, FakeEmbedder())
    ingest_articles([bahn(), wein(), mars(), article(1), article(2)], store=store)
    everything = store.registry.get(include=["metadatas"])
    whole = {a: ArticleInfo.from_metadata(a, m) for a, m in zip(everything["ids"], everything["metadatas"],
                                                                 strict=True)}
    scanned = catalog.full_scan(store.generation(), store.changes, store.registry).articles
    assert scanned == whole and list(scanned) == list(whole)
    one = scanned["bahn-preise"]
    assert one.group is one.id and scanned["meldung-1"].source is scanned["meldung-2"].source  # shared strings


@BOTH
def test_an_article_removed_during_a_whole_read_costs_no_other(settings: Settings,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_BY_IDS", 2)
    writer = Store(settings, FakeEmbedder())
    ingest_articles([bahn(), wein(), mars(), article(1), article(2)], store=writer)
    first = writer.registry.get(include=[])["ids"][0]
    pages: list[list[str]] = []

    class Removing:
        """The registry, with another process removing the first article after the first page of records."""

        id = writer.registry.id

        def get(self, **kwargs: Any) -> dict[str, Any]:
            found = writer.registry.get(**kwargs)
            if "metadatas" in kwargs.get("include", []):
                pages.append(found["ids"])
                if len(pages) == 1:
                    writer.remove([first])
            return found

    state = catalog.full_scan(writer.generation(), writer.changes, Removing())
    # Offset pages would now start one record late and skip the article after the first page, for good.
    assert first in pages[0] and len(pages) == 3
    assert set(state.articles) >= set(full(writer)) and first not in full(writer)
    assert catalog.refresh(state, writer.generation(), writer.registry, writer.changes).articles == full(writer)


def _file_seq(store: Store) -> int:
    state = fresh(store.settings).catalog_file.load(store.registry, store.changes)
    assert state is not None
    return state.seq


@BOTH
def test_a_scan_of_a_collection_loses_no_record_when_another_is_removed_meanwhile(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """rag.chroma.scan (signatures at ingest, lexical rebuilds) pages by id as the catalog does."""
    monkeypatch.setattr(chroma, "_PAGE", 2)
    writer = Store(settings, FakeEmbedder())
    ingest_articles([bahn(), wein(), mars(), article(1), article(2)], store=writer)
    ids = writer.registry.get(include=[])["ids"]
    seen: list[str] = []

    class Removing:
        """The registry, with another process removing an article already read after the first page."""

        def get(self, **kwargs: Any) -> dict[str, Any]:
            found = writer.registry.get(**kwargs)
            if kwargs.get("ids") and not seen:
                seen.extend(found["ids"])
                writer.remove([found["ids"][0]])
            return found

    scanned = [record_id for record_id, _ in scan(Removing(), ["metadatas"])]
    assert sorted(scanned) == sorted(ids)  # offset pages would have skipped the record after the first page
    assert seen[0] not in writer.registry.get(include=[])["ids"]
