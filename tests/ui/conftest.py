"""The web app launched for real on a free loopback port, on a fake embedder and the user's sample article."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from ingest import ingest
from rag.assistant import Assistant
from rag.config import Settings
from tests.chroma_server import free_port
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbedder


@dataclass
class RunningApp:
    url: str
    settings: Settings
    assistant: Assistant


@dataclass
class _Launched(RunningApp):
    app: object


def start_app(home: Path, *, corpus: bool = True, language: str = "de", chat_model: BaseChatModel | None = None,
              **overrides: object) -> _Launched:
    """Build and serve the app the way `newsrag chat` does, but on a free port and without blocking."""
    from ui.web import build_app, serve, stage_uploads_under_home

    settings = Settings(home=home, chunk_size=400, chunk_overlap=80, **overrides)
    stage_uploads_under_home(settings)
    assistant = Assistant(settings, embedder=FakeEmbedder(), chat_model=chat_model)
    if corpus:
        ingest([str(SAMPLE)], store=assistant.store)
    app = build_app(assistant, language=language)
    url = serve(app, settings, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    return _Launched(url=url, settings=settings, assistant=assistant, app=app)


@contextmanager
def running_app(home: Path, **kwargs: object) -> Iterator[RunningApp]:
    """The app for the duration of a `with`; Gradio's upload dir (process-wide) is restored afterwards."""
    saved = os.environ.get("GRADIO_TEMP_DIR")
    launched = start_app(home, **kwargs)
    try:
        yield launched
    finally:
        launched.app.close()  # type: ignore[attr-defined]
        if saved is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """One app per test module, the sample article indexed. Tests that add articles remove them again."""
    with running_app(tmp_path_factory.mktemp("web") / "home") as launched:
        yield launched


@pytest.fixture(scope="module")
def client(web: RunningApp) -> object:
    from gradio_client import Client

    return Client(web.url, verbose=False, download_files=False)
