"""`newsrag ask`, `eval` and `chat` (registered on the main parser)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Filled in as the answering and UI layers land."""
