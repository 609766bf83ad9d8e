"""Shared fixtures: an isolated RAG_HOME per test, the fake embedder, paths to the shipped and shared data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag.config import Settings
from rag.store import Store
from tests.chroma_server import chroma_server
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SAMPLE = CORPUS / "derstandard-2022-01-21-blinken-lawrow-genf.txt"
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test session for the converted e5 model (converted at most once, about 3 s)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache: Path) -> None:
    """No test reads the developer's RAG_* variables or writes into their home."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "rag-home"))
    monkeypatch.setenv("RAG_MODEL_CACHE", str(model_cache))


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `chroma run` server for the whole session; each test uses its own collection."""
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules that set BOTH_STORES = True run every `settings` test on the embedded store and on a server."""
    if "settings" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_STORES", False):
        metafunc.parametrize("settings", ["embedded", "server"], indirect=True)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    mode = getattr(request, "param", "embedded")
    # The fake embedder is a bag of hashed words, no model of meaning: it only breaks ties, whatever weight the
    # real default model was fitted to.
    base = Settings(home=tmp_path / "home", chunk_size=400, chunk_overlap=80, dense_weight=0.1)
    if mode == "embedded":
        return base
    url = request.getfixturevalue("chroma_url")
    collection = "t" + uuid.uuid4().hex[:12]  # tests share the server, never a collection
    return base.model_copy(update={"chroma_url": url, "collection": collection})


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def store(settings: Settings, embedder: FakeEmbedder) -> Store:
    return Store(settings, embedder)


def shared_data(name: str) -> Path:
    """A file of ../shared/data, or skip: the core suite must pass on a clone without ../shared."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared evaluation data beside the checkout")
    return path
