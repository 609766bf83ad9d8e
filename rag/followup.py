"""Conversation history: normalising its shapes and resolving follow-up questions without an LLM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rag.text import terms, words

Turn = tuple[str, str]  # (question, answer)

# Words that make a question lean on the previous one ("Und was sagte Blinken dazu?").
_ANAPHORA = {
    "dazu", "darauf", "darüber", "davon", "dafür", "dagegen", "damit", "daran", "dabei", "deshalb", "dies",
    "diese", "dieser", "dieses", "diesem", "diesen", "er", "sie", "es", "ihm", "ihn", "ihr", "ihnen", "deren",
    "dessen", "dort", "damals", "und", "auch", "noch", "außerdem", "sonst", "that", "this", "it", "he", "she",
    "they", "them", "there", "also", "else",
}


def normalize_history(history: Sequence[Any] | None) -> list[Turn]:
    """Accepts [(q, a), ...], [{"question", "answer"}, ...] or chat messages [{"role", "content"}, ...]."""
    if not history:
        return []
    turns: list[Turn] = []
    pending_question: str | None = None
    for item in history:
        if isinstance(item, Mapping) and "role" in item:
            content = _content(item.get("content"))
            if item["role"] == "user":
                pending_question = content
            elif item["role"] == "assistant" and pending_question is not None:
                turns.append((pending_question, content))
                pending_question = None
        elif isinstance(item, Mapping):
            turns.append((str(item.get("question", "")), str(item.get("answer", ""))))
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            turns.append((_content(item[0]), _content(item[1])))
        else:
            raise TypeError(f"history items are (question, answer) pairs or dicts, got {type(item).__name__}")
    return [(q, a) for q, a in turns if q]


def _content(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("text", ""))
    if isinstance(value, Sequence):
        return " ".join(_content(v) for v in value)
    return str(value)


def is_followup(question: str) -> bool:
    tokens = words(question)
    return bool(tokens) and (len(terms(question)) <= 2 or any(t in _ANAPHORA for t in tokens))


def resolve_followup(question: str, history: Sequence[Turn]) -> str:
    """The question to retrieve on: a follow-up borrows the topic words of the previous question."""
    if not history or not is_followup(question):
        return question
    previous = history[-1][0]
    own = terms(question)
    borrowed = [w for w in dict.fromkeys(previous.replace("?", " ").split()) if terms(w) - own and terms(w)]
    return f"{question} ({' '.join(borrowed)})" if borrowed else question
