"""One exception family for the whole project.

Library code raises these; only the CLI (`ui.cli`) and the web app (`ui.web`) turn them into messages.
Every message is one line that says what went wrong and what to do about it.

    RagError
    ├── ConfigError          bad settings (unknown model, malformed URL, bad auth value)
    ├── InputError           one input could not be read or turned into an article (names the input)
    ├── StoreError           the index cannot be opened or written
    │   ├── ModelMismatchError   the collection was built with another embedding model
    │   ├── IndexBusyError       another process is writing the embedded index
    │   └── SyncBusyError        another feed sync of the same index is running
    ├── NotFoundError        an article id that is not in the index
    └── LLMError             the chat endpoint is down, slow or answered nonsense
"""

from __future__ import annotations


class RagError(Exception):
    """Base of every error newsrag raises on purpose."""


class ConfigError(RagError):
    """A setting has a value newsrag cannot use."""


class InputError(RagError):
    """An input (file, URL, feed, record) could not become an article."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StoreError(RagError):
    """The Chroma collection or the lexical index cannot be used."""


class ModelMismatchError(StoreError):
    """The collection was embedded with a different model than the one configured."""


class IndexBusyError(StoreError):
    """Another process holds the write lock of the embedded index."""


class SyncBusyError(StoreError):
    """Another process (or thread) is syncing the feeds of this index."""


class NotFoundError(RagError):
    """An article id that the index does not hold."""


class LLMError(RagError):
    """The OpenAI-compatible chat endpoint failed."""
