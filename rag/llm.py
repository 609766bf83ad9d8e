"""The one place that knows the chat backend: any OpenAI-compatible endpoint through LangChain.

Ollama, vLLM, llama.cpp's server and OpenAI all speak this protocol; `RAG_LLM_URL` is the endpoint's base URL
(e.g. http://localhost:11434/v1 for Ollama). Tests pass a fake chat model instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from rag.config import Settings
from rag.errors import LLMError
from rag.language import detect_language, language_name
from rag.retrieve import Passage

PROMPTS = Path(__file__).parent / "prompts"


@cache
def load_prompt(name: str) -> str:
    return (PROMPTS / f"{name}.txt").read_text(encoding="utf-8")


def make_chat_model(settings: Settings) -> BaseChatModel:
    """ChatOpenAI pointed at RAG_LLM_URL; no retries and a timeout, so a dead endpoint fails fast."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "not-needed",  # local servers ignore it; the client insists on one
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
    )


def _escape(value: str) -> str:
    # Passage text cannot close its own <passage> element or fake a new one.
    return value.replace("<", "‹").replace(">", "›")


def format_passages(passages: Sequence[Passage]) -> str:
    template = load_prompt("passage")
    return "\n".join(
        template.format(n=i, title=_escape(p.title).replace('"', "'"), source=_escape(p.source),
                        published=p.published or "unknown", text=_escape(p.text)).strip()
        for i, p in enumerate(passages, start=1)
    )


def answer_messages(question: str, passages: Sequence[Passage], language: str | None = None) -> list[BaseMessage]:
    """The answer prompt. The answer language is named (`language`, an ISO 639-1 code; detected from the question
    when not given) rather than left for the model to infer from a short question among German passages."""
    name = language_name(language or detect_language(question))
    return [
        SystemMessage(load_prompt("answer_system").format(language=name)),
        HumanMessage(load_prompt("answer_user").format(passages=format_passages(passages), question=question,
                                                       language=name)),
    ]


class LLMClient:
    """Generation, streaming and question condensing over one chat model; errors become LLMError."""

    def __init__(self, chat_model: BaseChatModel, *, endpoint: str = "the LLM endpoint") -> None:
        self.chat_model = chat_model
        self.endpoint = endpoint

    def _fail(self, exc: Exception) -> LLMError:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return LLMError(f"{self.endpoint} failed ({type(exc).__name__}: {reason}); check RAG_LLM_URL and "
                        "RAG_LLM_MODEL, or set RAG_ANSWER_MODE=extractive")

    def generate(self, question: str, passages: Sequence[Passage], language: str | None = None) -> str:
        try:
            return _text(self.chat_model.invoke(answer_messages(question, passages, language)).content)
        except Exception as exc:
            raise self._fail(exc) from exc

    def stream(self, question: str, passages: Sequence[Passage], language: str | None = None) -> Iterator[str]:
        try:
            for chunk in self.chat_model.stream(answer_messages(question, passages, language)):
                text = _text(chunk.content)
                if text:
                    yield text
        except Exception as exc:
            raise self._fail(exc) from exc

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str | None = None) -> str:
        lines = [f"User: {q}\nAssistant: {a}" for q, a in history[-3:]]
        # A follow-up is often too short to show its language ("Und er?"): judged together with the previous
        # question, a short follow-up takes the conversation's language and a longer one its own.
        context = f"{history[-1][0]} {question}" if history else question
        name = language_name(language or detect_language(context))
        prompt = load_prompt("condense").format(history="\n".join(lines), question=question, language=name)
        try:
            text = _text(self.chat_model.invoke([HumanMessage(prompt)]).content).strip()
        except Exception as exc:
            raise self._fail(exc) from exc
        return text.splitlines()[0].strip() if text else question


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)
