"""newsrag's engine: answers about news articles, every statement backed by a cited passage.

    from rag import answer
    result = answer("Welche Forderungen stellte Moskau?")
    print(result.text)
    for c in result.citations:
        print(c.n, c.title, c.source, c.published, c.quote)
"""

from rag.assistant import Assistant, answer
from rag.config import Settings, get_settings
from rag.errors import (
    ConfigError,
    IndexBusyError,
    InputError,
    LLMError,
    ModelMismatchError,
    NotFoundError,
    RagError,
    StoreError,
    SyncBusyError,
)
from rag.feeds import FeedBook, FeedState
from rag.retrieve import Filters, Passage, Retrieval, Retriever
from rag.schema import Answer, Article, Chunk, Citation
from rag.status import IndexStatus, index_status
from rag.store import ArticleInfo, Store

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "Assistant",
    "Chunk",
    "Citation",
    "ConfigError",
    "FeedBook",
    "FeedState",
    "Filters",
    "IndexBusyError",
    "IndexStatus",
    "InputError",
    "LLMError",
    "ModelMismatchError",
    "NotFoundError",
    "Passage",
    "RagError",
    "Retrieval",
    "Retriever",
    "Settings",
    "Store",
    "StoreError",
    "SyncBusyError",
    "answer",
    "get_settings",
    "index_status",
]
