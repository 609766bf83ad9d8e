"""Deterministic fakes passed into the code under test (never patched in)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from rag.embeddings import SymmetricEmbedder
from rag.text import analyze


class FakeEmbedder(SymmetricEmbedder):
    """Bag of stems under a hash-seeded random projection: texts sharing words get similar vectors.

    Deterministic across runs and processes; counts its calls so tests can see what was (re-)embedded.
    """

    def __init__(self, name: str = "fake-embedder", dimension: int = 64, fail_after: int | None = None,
                 synonyms: dict[str, str] | None = None) -> None:
        self.name = name
        self.dimension = dimension
        self.calls = 0
        self.texts_embedded = 0
        self.fail_after = fail_after  # raise KeyboardInterrupt on this call number (simulates Ctrl-C)
        # stem → stem it means the same as: a "model of meaning" the lexical side does not have
        self.synonyms = synonyms or {}

    def _token_vector(self, token: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("simulated Ctrl-C while embedding")
        self.texts_embedded += len(texts)
        rows = []
        for text in texts:
            vector = np.zeros(self.dimension, dtype=np.float32)
            for token in analyze(text) or ["<empty>"]:
                vector += self._token_vector(self.synonyms.get(token, token))
            rows.append(vector / (np.linalg.norm(vector) or 1.0))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)


# --- chat models -------------------------------------------------------------------------------------------


def passages_in(messages: list[Any]) -> list[str]:
    """The passage texts of an answer prompt, in order (what a real model would read). Takes LangChain
    messages or the OpenAI wire format ({"role", "content"} dicts)."""
    last = messages[-1]
    content = last["content"] if isinstance(last, dict) else last.content
    return re.findall(r"<passage [^>]*>\n(.*?)\n</passage>", str(content), flags=re.S)


class ScriptedChatModel(BaseChatModel):
    """A chat model whose reply is computed from the messages by `reply`; streams word by word."""

    reply: Callable[[list[BaseMessage]], str]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.seen.append(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply(messages)))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.seen.append(messages)
        for piece in re.findall(r"\S+\s*", self.reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


class DownChatModel(BaseChatModel):
    """An endpoint that cannot be reached."""

    @property
    def _llm_type(self) -> str:
        return "down"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        raise ConnectionError("connection refused")
