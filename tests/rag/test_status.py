"""`index_status`: the index at a glance, read without building anything (embedded store and Chroma server)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest import ingest_articles
from rag import FeedBook, FeedState, IndexStatus, Settings, Store, index_status
from rag.embeddings import packaged_model_path
from rag.status import FeedsStatus, _folder_dimension, feeds_status
from tests.articles import bahn, mars, wein
from tests.fakes import FakeEmbedder

BOTH_STORES = True


class FolderEmbedder(FakeEmbedder):
    """The fake embedder, but with its weights "in" a sentence-transformers folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__(name="folder-model", dimension=64)
        self.folder = folder

    @property
    def location(self) -> str:
        return str(self.folder)


def test_empty_index(store: Store, settings: Settings) -> None:
    status = index_status(store)
    assert (status.articles, status.chunks, status.outlets, status.earliest, status.latest) == (0, 0, (), None, None)
    assert status.lexical.state == "missing" and status.lexical.size_bytes == 0
    assert status.embedding.model == "fake-embedder" and status.embedding.dimension == 64
    assert status.embedding.dimension_from == "model" and not status.embedding.mismatch
    if settings.chroma_url:
        assert (status.store, status.store_location) == ("server", settings.chroma_url)
    else:
        assert (status.store, status.store_location) == ("embedded", str(settings.home / "chroma"))
    assert status.collection == settings.collection
    assert not store.lexical_dir.exists()  # reported missing, not built
    json.dumps(status.to_dict())


def test_corpus_figures(store: Store) -> None:
    ingest_articles([bahn(), wein(), mars(), bahn(id="ohne-datum", published="", source="")], store=store)
    status = index_status(store)
    assert status.articles == 4
    assert status.chunks == sum(a.chunks for a in store.articles()) > 4
    assert status.outlets == (("Testblatt", 2), ("", 1), ("Weinpost", 1))
    assert (status.earliest, status.latest, status.undated) == ("2021-09-30", "2024-03-15", 1)
    assert status.embedding.dimension == 64 and status.embedding.dimension_from == "collection"
    assert status.embedding.stamped_model == "fake-embedder"
    assert status.lexical.state == "fresh" and status.lexical.size_bytes > 0
    assert status.lexical.path == str(store.lexical_dir)
    assert status.generation == store.generation()
    data = status.to_dict()
    assert data["outlets"] == {"Testblatt": 2, "": 1, "Weinpost": 1}
    assert data["embedding"]["mismatch"] is False and data["lexical"]["state"] == "fresh"
    assert set(data) == {"articles", "chunks", "outlets", "earliest", "latest", "undated", "embedding", "store",
                         "store_location", "collection", "generation", "lexical", "story_groups", "copies", "feeds",
                         "sentences"}
    # the fake embedder's sentences were kept at ingest (RAG_SENTENCE_VECTORS is on by default)
    assert data["sentences"]["at_ingest"] is True and data["sentences"]["size_bytes"] > 0
    assert data["sentences"]["path"].startswith(str(store.settings.home / "sentences"))


def test_stale_and_missing_lexical_index_are_reported_not_rebuilt(store: Store) -> None:
    ingest_articles([bahn(), wein()], store=store)
    store.remove(["wachau-wein"])  # a commit without the rebuild that `ingest.remove` would add
    built_at = (store.lexical_dir / "newsrag-generation.txt").read_text()
    assert index_status(store).lexical.state == "stale"
    assert index_status(store).lexical.state == "stale"  # asking twice changes nothing
    assert (store.lexical_dir / "newsrag-generation.txt").read_text() == built_at
    shutil.rmtree(store.lexical_dir)
    status = index_status(store)
    assert status.lexical.state == "missing" and not store.lexical_dir.exists()
    assert status.articles == 1


def test_a_collection_built_with_another_model_is_reported(settings: Settings, store: Store) -> None:
    ingest_articles([bahn()], store=store)
    other = Store(settings, FakeEmbedder(name="other-model", dimension=32), check_model=False)
    status = index_status(other)
    assert status.embedding.mismatch and status.embedding.stamped_model == "fake-embedder"
    assert status.embedding.model == "other-model" and status.embedding.dimension == 32  # not the stored 64
    assert isinstance(status, IndexStatus) and status.articles == 1


def test_dimension_from_the_model_folder_without_loading_it(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}))
    status = index_status(Store(settings, FolderEmbedder(folder)))
    assert status.embedding.dimension == 384 and status.embedding.dimension_from == "model config"
    assert status.embedding.location == str(folder)


def test_folder_dimension_of_real_layouts(tmp_path: Path) -> None:
    assert _folder_dimension(Path(packaged_model_path())) == 384  # all-MiniLM-L6-v2, as shipped
    (tmp_path / "2_Dense").mkdir()
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([{"path": ""}, {"path": "1_Pooling"}, {"path": "2_Dense"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 768, "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}))
    assert _folder_dimension(tmp_path) == 1536  # two pooling modes, concatenated
    (tmp_path / "2_Dense" / "config.json").write_text(json.dumps({"in_features": 1536, "out_features": 256}))
    assert _folder_dimension(tmp_path) == 256
    assert _folder_dimension(tmp_path / "nothing-here") is None


# --- feeds ---------------------------------------------------------------------------------------------------
NOW = datetime.now(UTC).replace(microsecond=0)  # one moment, so the expected times never straddle a second


def ago(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat()


def collections(store: Store) -> set[str]:
    return {c.name for c in store.client.list_collections()}


def test_no_feeds_reads_zero_and_creates_no_feed_collection(store: Store, settings: Settings) -> None:
    status = index_status(store)
    assert status.feeds == FeedsStatus(count=0, due=0, failing=0, last_success=None, next_due=None)
    assert status.to_dict()["feeds"] == {"count": 0, "due": 0, "failing": 0, "last_success": None,
                                         "next_due": None}
    assert f"{settings.collection}-feeds" not in collections(store)  # looking created nothing
    index_status(store)
    assert f"{settings.collection}-feeds" not in collections(store)


def test_feeds_due_failing_and_healthy(store: Store, settings: Settings) -> None:
    book = FeedBook(settings)
    book.put(FeedState(url="https://neu.example/feed.xml", added_at=ago(30)))  # never synced: due
    book.put(FeedState(url="https://kaputt.example/feed.xml", added_at=ago(600), every=3600,  # failing, not due
                       last_attempt=ago(10), last_success=ago(200), last_error="HTTP 503"))
    book.put(FeedState(url="https://gut.example/feed.xml", added_at=ago(600), every=900,  # healthy, due in 10 min
                       last_attempt=ago(5), last_success=ago(5)))
    book.put(FeedState(url="https://alt.example/feed.xml", added_at=ago(900), every=900,  # healthy but overdue
                       last_attempt=ago(60), last_success=ago(60)))
    feeds = index_status(store).feeds
    assert (feeds.count, feeds.due, feeds.failing) == (4, 2, 1)
    assert feeds.last_success == ago(5)  # the newest success over all feeds
    assert feeds.next_due == ago(45)  # the overdue feed: an hour since its attempt, every 15 minutes
    book.remove("https://alt.example/feed.xml")
    assert index_status(store).feeds.next_due == ago(30)  # the never-synced one: due since it was subscribed
    data = index_status(store).to_dict()["feeds"]
    assert set(data) == {"count", "due", "failing", "last_success", "next_due"}
    json.dumps(data)


def test_feeds_status_counts_and_times() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    healthy = FeedState(url="https://a.example/", added_at="2026-11-01T08:00:00+00:00", every=1800,
                        last_attempt="2026-11-30T11:50:00+00:00", last_success="2026-11-30T11:50:00+00:00")
    failing = FeedState(url="https://b.example/", added_at="2026-11-01T08:00:00+00:00", every=3600,
                        last_attempt="2026-11-30T11:40:00+00:00", last_success="2026-11-29T09:00:00+00:00",
                        last_error="HTTP 404")
    assert feeds_status([healthy, failing], now) == FeedsStatus(
        count=2, due=0, failing=1, last_success="2026-11-30T11:50:00+00:00", next_due="2026-11-30T12:20:00+00:00")
    never = FeedState(url="https://c.example/", added_at="2026-11-30T11:00:00+00:00")
    assert feeds_status([healthy, never], now).next_due == "2026-11-30T11:00:00+00:00"
    assert feeds_status([never], now) == FeedsStatus(1, 1, 0, None, "2026-11-30T11:00:00+00:00")
    assert feeds_status([], now) == FeedsStatus(0, 0, 0, None, None)


def test_the_sync_lease_is_not_a_feed(store: Store, settings: Settings) -> None:
    book = FeedBook(settings, client=store.client)
    with book.sync_lock():  # server mode: a lease record in the feed collection
        assert index_status(store).feeds.count == 0
    book.add("https://gut.example/feed.xml")
    assert index_status(store).feeds.count == 1
