"""Idempotency, updates, removal, atomicity and the model stamp, with the fake embedder and a real Chroma."""

from __future__ import annotations

import pytest

from ingest import Indexer, ingest_articles, reindex, remove
from ingest.chunk import chunk_article
from rag.config import Settings
from rag.errors import IndexBusyError, ModelMismatchError, NotFoundError
from rag.lexical_files import LexicalFiles
from rag.store import Store
from tests.articles import BAHN_TEXT, bahn, mars, wein
from tests.fakes import FakeEmbedder

BOTH_STORES = True  # one suite, two stores: embedded PersistentClient and a `chroma run` server


def chunk_ids_in_chroma(store: Store, article_id: str) -> set[str]:
    return set(store.chunks.get(where={"article_id": article_id}, include=[])["ids"])


def lexical_article_ids(store: Store) -> set[str]:
    """The articles the lexical index holds, read from its documents, and the same as its recorded versions."""
    lexical = store.lexical()
    indexed = {article_id for _, article_id in lexical.documents()}
    assert indexed == set(lexical.article_ids)
    return indexed


def test_ingest_adds_articles_to_chroma_registry_and_lexical_index(store: Store) -> None:
    report = ingest_articles([bahn(), wein()], store=store)
    assert report.to_dict() == {"added": 2, "updated": 0, "unchanged": 0, "failed": []}
    listed = {a.id: a for a in store.articles()}
    assert set(listed) == {"bahn-preise", "wachau-wein"}
    assert listed["bahn-preise"].published == "2023-10-02"
    assert listed["bahn-preise"].chunks == len(chunk_ids_in_chroma(store, "bahn-preise")) > 1
    assert lexical_article_ids(store) == {"bahn-preise", "wachau-wein"}
    hits = store.lexical().search("Weinlese Wachau Hagel", 3)
    assert store.get_chunks([hits[0][0]])[hits[0][0]][1]["article_id"] == "wachau-wein"


def test_chunk_metadata_carries_provenance(store: Store) -> None:
    ingest_articles([bahn()], store=store)
    got = store.chunks.get(where={"article_id": "bahn-preise"}, include=["metadatas", "documents"])
    text = bahn().text
    for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert text[meta["start"] : meta["end"]] == doc
        assert meta["title"] == "Bahn erhöht die Preise" and meta["source"] == "Testblatt"
        assert meta["published"] == "2023-10-02" and meta["published_day"] == 20231002
    assert {m["subheading"] for m in got["metadatas"]} >= {"Tarifstreit", "Pünktlichkeit"}


def test_second_run_changes_nothing_and_embeds_nothing(store: Store, embedder: FakeEmbedder) -> None:
    ingest_articles([bahn(), wein()], store=store)
    before = store.chunks.get(include=[])["ids"]
    generation = store.generation()
    embedded = embedder.texts_embedded
    report = ingest_articles([bahn(), wein()], store=store)
    assert report.to_dict() == {"added": 0, "updated": 0, "unchanged": 2, "failed": []}
    assert embedder.texts_embedded == embedded
    assert sorted(store.chunks.get(include=[])["ids"]) == sorted(before)
    assert store.generation() == generation  # nothing committed, so no reader rebuilds anything


def test_changed_article_replaces_its_chunks_without_leftovers(store: Store, embedder: FakeEmbedder) -> None:
    ingest_articles([bahn()], store=store)
    old_ids = chunk_ids_in_chroma(store, "bahn-preise")
    new_text = BAHN_TEXT.replace("4,9 Prozent", "6,5 Prozent")
    embedded = embedder.texts_embedded
    report = ingest_articles([bahn(new_text)], store=store)
    assert report.updated == ["bahn-preise"]
    new_ids = chunk_ids_in_chroma(store, "bahn-preise")
    assert new_ids == {c.id for c in chunk_article(bahn(new_text), size=400, overlap=80)}
    assert not old_ids & new_ids
    # only the changed passage was embedded again, and its changed sentence; the others reused their stored vectors
    assert embedder.texts_embedded - embedded == 2
    assert store.lexical().search("6,5 Prozent Fernverkehr", 1)
    assert not [h for h in store.lexical().search("4,9", 5)]


def test_remove_takes_article_out_of_everything(store: Store) -> None:
    ingest_articles([bahn(), wein()], store=store)
    assert remove(["wachau-wein"], store=store) == ["wachau-wein"]
    assert [a.id for a in store.articles()] == ["bahn-preise"]
    assert chunk_ids_in_chroma(store, "wachau-wein") == set()
    assert lexical_article_ids(store) == {"bahn-preise"}
    assert store.lexical().search("Weinlese Wachau", 5) == []
    vector = store.embedder.encode_queries(["Weinlese in der Wachau"])[0]
    assert all(h.metadata["article_id"] != "wachau-wein" for h in store.dense_search(vector, 10))


def test_remove_unknown_id_says_which_and_keeps_the_rest(store: Store) -> None:
    ingest_articles([bahn(), wein()], store=store)
    with pytest.raises(NotFoundError, match=r"'nope'.*newsrag list"):
        remove(["wachau-wein", "nope"], store=store)
    assert [a.id for a in store.articles()] == ["bahn-preise"]


def test_duplicate_ids_in_one_run_keep_the_first(store: Store) -> None:
    report = ingest_articles([bahn(), bahn(BAHN_TEXT + " Nachtrag.")], store=store)
    assert report.added == ["bahn-preise"] and len(report.failed) == 1
    assert "duplicate article id" in report.failed[0][1]


class InterruptedCommit(Store):
    """A store whose process 'dies' after the new chunks are written but before the registry commit."""

    def _commit(self, prepared):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt("simulated kill between chunk write and commit")


def test_interrupted_update_leaves_the_old_version_whole(settings: Settings, embedder: FakeEmbedder) -> None:
    ingest_articles([bahn()], store=Store(settings, embedder))
    old_ids = chunk_ids_in_chroma(Store(settings, embedder), "bahn-preise")
    changed = bahn(BAHN_TEXT.replace("GDL", "EVG"))
    with pytest.raises(KeyboardInterrupt):
        ingest_articles([changed], store=InterruptedCommit(settings, embedder))

    reader = Store(settings, embedder)  # a fresh process's view
    assert reader.articles()[0].version == bahn().hash
    committed = {cid for cid, _, _ in reader.committed_chunks()}
    assert committed == old_ids
    assert reader.lexical().search("EVG", 5) == []
    vector = embedder.encode_queries(["Gewerkschaft EVG Streiks"])[0]
    assert {h.chunk_id for h in reader.dense_search(vector, 20)} <= old_ids

    # the next successful run leaves exactly the new version: no half-written leftovers
    ingest_articles([changed], store=reader)
    assert chunk_ids_in_chroma(reader, "bahn-preise") == {c.id for c in chunk_article(changed, size=400, overlap=80)}


def test_interrupt_while_embedding_writes_nothing_of_that_batch(settings: Settings) -> None:
    ingest_articles([bahn()], store=Store(settings, FakeEmbedder()))
    with pytest.raises(KeyboardInterrupt):
        ingest_articles([wein(), mars()], store=Store(settings, FakeEmbedder(fail_after=0)))
    reader = Store(settings, FakeEmbedder())
    assert [a.id for a in reader.articles()] == ["bahn-preise"]
    assert lexical_article_ids(reader) == {"bahn-preise"}


def test_second_writer_gets_index_busy(store: Store) -> None:
    if store.settings.chroma_url:
        pytest.skip("a Chroma server serialises writes itself; the lock guards the embedded index only")
    with store.write_lock(), pytest.raises(IndexBusyError, match="busy"):
        ingest_articles([bahn()], store=Store(store.settings, store.embedder))


def test_other_embedding_model_is_refused_with_rebuild_hint(settings: Settings) -> None:
    ingest_articles([bahn()], store=Store(settings, FakeEmbedder("model-a")))
    with pytest.raises(ModelMismatchError, match="newsrag reindex"):
        Store(settings, FakeEmbedder("model-b")).articles()


def test_reindex_rebuilds_with_the_new_model_and_keeps_every_article(settings: Settings) -> None:
    ingest_articles([bahn(), wein()], store=Store(settings, FakeEmbedder("model-a")))
    report = reindex(settings, FakeEmbedder("model-b", dimension=32))
    assert sorted(report.added) == ["bahn-preise", "wachau-wein"]
    store = Store(settings, FakeEmbedder("model-b", dimension=32))
    assert store.stamped_model == "model-b"
    assert {a.id for a in store.articles()} == {"bahn-preise", "wachau-wein"}
    assert store.articles()[0].version in {bahn().hash, wein().hash}  # same article versions, new vectors
    assert store.lexical().search("Weinlese", 1)
    assert len(store.dense_search(store.embedder.encode_queries(["Wein"])[0], 3)) == 3


def test_lexical_index_is_rebuilt_from_chroma_when_missing(store: Store) -> None:
    import shutil

    ingest_articles([bahn(), wein()], store=store)
    shutil.rmtree(store.lexical_dir)
    fresh = Store(store.settings, store.embedder)
    assert lexical_article_ids(fresh) == {"bahn-preise", "wachau-wein"}
    assert (store.lexical_dir).exists()


def test_lexical_index_of_another_analyzer_version_is_rebuilt(store: Store) -> None:
    """An index persisted by an older analysis (other stopwords or stemming) would disagree with today's
    questions on tokens: it is rebuilt from Chroma instead of being loaded."""
    import json

    ingest_articles([bahn()], store=store)
    ingest_articles([wein()], store=store)
    meta_path = store.lexical_dir / "newsrag-state.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["analyzer"] = 1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    assert not LexicalFiles.loadable(store.lexical_dir)
    store.remove(["wachau-wein"])  # a change to sync: the rebuild must not keep anything of the old index
    fresh = Store(store.settings, store.embedder)
    assert lexical_article_ids(fresh) == {"bahn-preise"}
    assert LexicalFiles.loadable(store.lexical_dir)  # rewritten at today's version


def test_batches_commit_independently(store: Store) -> None:
    report = Indexer(store, batch_chunks=1).ingest([bahn(), wein(), mars()])
    assert len(report.added) == 3
    assert {a.id: a.chunks for a in store.articles()} == {
        a.id: len(chunk_article(a, size=400, overlap=80)) for a in (bahn(), wein(), mars())
    }


def test_a_second_process_sees_writes_through_the_generation_marker(settings: Settings) -> None:
    """Two app processes on one index (one server, or one embedded path): the reader's cached lexical index
    is detected stale by the generation marker and rebuilt, with no per-question re-reading otherwise."""
    reader = Store(settings, FakeEmbedder())
    writer = Store(settings, FakeEmbedder())
    ingest_articles([bahn()], store=writer)
    assert lexical_article_ids(reader) == {"bahn-preise"}
    cached = reader.lexical()
    assert reader.lexical() is cached  # unchanged generation: the same in-memory index
    ingest_articles([wein()], store=writer)
    assert lexical_article_ids(reader) == {"bahn-preise", "wachau-wein"}
    assert {a.id for a in reader.articles()} == {"bahn-preise", "wachau-wein"}


class ShortSightedEmbedder(FakeEmbedder):
    """A model that reads only the first 300 characters of a text."""

    @property
    def max_chars(self) -> int | None:
        return 300


def test_chunks_longer_than_the_model_reads_are_refused_before_anything_is_written(settings: Settings) -> None:
    from rag.errors import ConfigError

    store = Store(settings, ShortSightedEmbedder())
    with pytest.raises(ConfigError, match=r"RAG_CHUNK_SIZE=400 .* set RAG_CHUNK_SIZE to 300 or less"):
        ingest_articles([bahn()], store=store)
    assert store.catalog() == {}
