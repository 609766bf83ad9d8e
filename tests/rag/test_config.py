from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import DEFAULT_MODEL, Settings
from rag.errors import ConfigError


def test_env_prefix_and_constructor_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("RAG_CHUNK_SIZE", "700")
    monkeypatch.setenv("RAG_COLLECTION", "archiv")
    from_env = Settings()
    assert from_env.home == tmp_path / "env-home"
    assert from_env.chunk_size == 700 and from_env.collection == "archiv"
    assert Settings(chunk_size=300).chunk_size == 300  # arguments win over the environment


def test_defaults_work_offline() -> None:
    settings = Settings()
    assert settings.embedding_model == DEFAULT_MODEL
    assert settings.chroma_url is None and not settings.llm_enabled


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("RAG_CHUNK_SIZE", "zehn", "RAG_CHUNK_SIZE"),
        ("RAG_CHUNK_OVERLAP", "5000", "smaller than RAG_CHUNK_SIZE"),
        ("RAG_LLM_URL", "localhost:11434", "http://"),
        ("RAG_CHROMA_URL", "ftp://x", "http://"),
        ("RAG_COLLECTION", "a b", "RAG_COLLECTION"),
    ],
)
def test_bad_values_become_one_line_config_errors(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.load()
    assert "\n" not in str(caught.value)


def test_llm_enabled_follows_url_and_mode() -> None:
    assert Settings(llm_url="http://127.0.0.1:9/v1").llm_enabled
    assert not Settings(llm_url="http://127.0.0.1:9/v1", answer_mode="extractive").llm_enabled
