"""`index_status`: the index at a glance, read without building anything (embedded store and Chroma server)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest import ingest_articles
from rag import IndexStatus, Settings, Store, index_status
from rag.embeddings import packaged_model_path
from rag.status import _folder_dimension
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
                         "store_location", "collection", "generation", "lexical", "story_groups", "copies"}


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
