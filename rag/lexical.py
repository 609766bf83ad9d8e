"""The German lexical (BM25) index kept beside Chroma.

Built from the committed chunks only, persisted under RAG_HOME, and tagged with the store generation it was
built at, so any process can tell cheaply whether it is stale and rebuild it from Chroma's documents.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from rag.text import ANALYZER_VERSION, analyze, char_grams

_META = "newsrag-meta.json"
_ARRAYS = "newsrag-meta.npz"
_GENERATION = "newsrag-generation.txt"
_GRAMS = "grams"  # subdirectory of the character n-gram index
# The n-gram side's weight against the word side (1.0), measured on the XQuAD-de dev set with the 10kGNAD
# distractors: recall@1 0.90 → 0.94 and recall@5 0.946 → 0.975 over words alone (README, "Retrieval quality").
GRAM_WEIGHT = 2.0  # tiny, so a staleness check does not parse the whole index


@dataclass(frozen=True)
class LexicalDoc:
    chunk_id: str
    text: str
    article_id: str
    published_day: int
    source: str


class LexicalIndex:
    """BM25 over stemmed German words plus BM25 over character 4-grams (for compounds), with per-document
    metadata arrays for filtering."""

    def __init__(
        self,
        bm25: bm25s.BM25 | None,
        grams: bm25s.BM25 | None,
        chunk_ids: Sequence[str],
        article_ids: Sequence[str],
        published_days: np.ndarray,
        sources: Sequence[str],
        generation: str,
    ) -> None:
        self.bm25 = bm25
        self.grams = grams
        self.chunk_ids = list(chunk_ids)
        self.article_ids = np.asarray(article_ids, dtype=object)
        self.published_days = np.asarray(published_days, dtype=np.int64)
        self.sources = np.asarray(sources, dtype=object)
        self.generation = generation
        self._vocab: dict[str, int] = dict(bm25.vocab_dict) if bm25 is not None else {}
        self._gram_vocab: dict[str, int] = dict(grams.vocab_dict) if grams is not None else {}

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, docs: Iterable[LexicalDoc], generation: str, *, k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        docs = list(docs)
        if not docs:
            return cls(None, None, [], [], np.zeros(0, dtype=np.int64), [], generation)
        bm25 = bm25s.BM25(k1=k1, b=b)
        # An empty token list would break bm25s; a placeholder token matches no query.
        bm25.index([analyze(d.text) or ["\x00"] for d in docs], show_progress=False)
        grams = bm25s.BM25(k1=k1, b=b)
        grams.index([char_grams(d.text) or ["\x00"] for d in docs], show_progress=False)
        return cls(
            bm25,
            grams,
            [d.chunk_id for d in docs],
            [d.article_id for d in docs],
            np.array([d.published_day for d in docs], dtype=np.int64),
            [d.source for d in docs],
            generation,
        )

    def filter_mask(
        self, *, since: int = 0, until: int = 0, sources: Sequence[str] | None = None
    ) -> np.ndarray | None:
        """A 0/1 weight per document for the filters, or None when nothing is filtered."""
        if not (since or until or sources):
            return None
        keep = np.ones(len(self), dtype=bool)
        if since:
            keep &= self.published_days >= since
        if until:
            keep &= (self.published_days <= until) & (self.published_days > 0)
        if sources:
            wanted = {s.casefold() for s in sources}
            keep &= np.array([s.casefold() in wanted for s in self.sources], dtype=bool)
        return keep.astype(np.float32)

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """Score of every document in 0..1: the word and n-gram BM25 scores, each divided by its best,
        weighted 1 : GRAM_WEIGHT. 0 where the mask excludes a document."""
        if self.bm25 is None or self.grams is None:
            return np.zeros(0, dtype=np.float32)
        combined = np.zeros(len(self), dtype=np.float32)
        for index, vocab, tokens, weight in (
            (self.bm25, self._vocab, analyze(query), 1.0),
            (self.grams, self._gram_vocab, char_grams(query), GRAM_WEIGHT),
        ):
            known = [t for t in tokens if t in vocab]
            if known:
                side = index.get_scores(known)
                if mask is not None:
                    side = side * mask
                best = float(side.max())
                if best > 0:
                    combined += weight * side / best
        return combined / (1.0 + GRAM_WEIGHT)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(document index, score) of the best k documents with a positive score."""
        scores = self.scores(query, mask)
        if scores.size == 0:
            return []
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    # --- persistence: write to a temporary directory, then swap it in, so readers never see half a file.
    def save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".tmp-", dir=directory.parent))
        try:
            if self.bm25 is not None and self.grams is not None:
                self.bm25.save(str(tmp), show_progress=False)
                self.grams.save(str(tmp / _GRAMS), show_progress=False)
            np.savez(tmp / _ARRAYS, published_days=self.published_days)
            meta = {
                "generation": self.generation,
                "chunk_ids": self.chunk_ids,
                "article_ids": list(self.article_ids),
                "sources": list(self.sources),
                "empty": self.bm25 is None,
                "format": 2,
                "analyzer": ANALYZER_VERSION,
            }
            (tmp / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            (tmp / _GENERATION).write_text(self.generation, encoding="utf-8")
            old = directory.with_name(directory.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if directory.exists():
                os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The persisted index, or None when there is none or it cannot be read (then rebuild)."""
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
            if meta.get("format") != 2 or meta.get("analyzer") != ANALYZER_VERSION:
                return None  # written by an older version or analysis: rebuild
            arrays = np.load(directory / _ARRAYS)
            bm25 = None if meta["empty"] else bm25s.BM25.load(str(directory), show_progress=False)
            grams = None if meta["empty"] else bm25s.BM25.load(str(directory / _GRAMS), show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        return cls(bm25, grams, meta["chunk_ids"], meta["article_ids"], arrays["published_days"], meta["sources"],
                   meta["generation"])

    @staticmethod
    def loadable(directory: Path) -> bool:
        """Whether `load` would read the index in `directory` as it is: written in this format by this version
        of the analysis (cheap: reads the small metadata file only)."""
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return meta.get("format") == 2 and meta.get("analyzer") == ANALYZER_VERSION

    @staticmethod
    def stored_generation(directory: Path) -> str | None:
        try:
            return (directory / _GENERATION).read_text(encoding="utf-8")
        except OSError:
            return None
