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
_FORMAT = 3  # 3: event days per document
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
    event_days: tuple[int, ...] = ()  # days the chunk mentions (`Chunk.event_days`)


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
        event_offsets: np.ndarray | None = None,
        event_days: np.ndarray | None = None,
    ) -> None:
        self.bm25 = bm25
        self.grams = grams
        self.chunk_ids = list(chunk_ids)
        self.article_ids = np.asarray(article_ids, dtype=object)
        self.published_days = np.asarray(published_days, dtype=np.int64)
        self.sources = np.asarray(sources, dtype=object)
        self.generation = generation
        # Days each document mentions, flat: document i's are event_days[event_offsets[i]:event_offsets[i + 1]].
        self.event_offsets = (np.zeros(len(self.chunk_ids) + 1, dtype=np.int64) if event_offsets is None
                              else np.asarray(event_offsets, dtype=np.int64))
        self.event_days = np.zeros(0, dtype=np.int64) if event_days is None else np.asarray(event_days, np.int64)
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
            np.cumsum([0] + [len(d.event_days) for d in docs], dtype=np.int64),
            np.array([day for d in docs for day in d.event_days], dtype=np.int64),
        )

    def filter_mask(
        self, *, since: int = 0, until: int = 0, sources: Sequence[str] | None = None, events: bool = False
    ) -> np.ndarray | None:
        """A 0/1 weight per document for the filters, or None when nothing is filtered. With `events`, a document
        is in the date range also when it mentions a day in it."""
        if not (since or until or sources):
            return None
        keep = np.ones(len(self), dtype=bool)
        if since or until:
            keep &= self._in_range(self.published_days, since, until)
            if events:  # see `Filters`: mentioned days count, undated documents stay
                keep |= (self.published_days == 0) | self.period_docs(since, until)[1]
        if sources:
            wanted = {s.casefold() for s in sources}
            keep &= np.array([s.casefold() in wanted for s in self.sources], dtype=bool)
        return keep.astype(np.float32)

    def period_docs(self, since: int, until: int) -> tuple[np.ndarray, np.ndarray]:
        """(published in the range, mentions a day in it): two boolean arrays over the documents."""
        published = self._in_range(self.published_days, since, until) & (self.published_days > 0)
        mentions = np.zeros(len(self), dtype=bool)
        hits = np.flatnonzero(self._in_range(self.event_days, since, until))
        mentions[np.searchsorted(self.event_offsets, hits, side="right") - 1] = True
        return published, mentions

    @staticmethod
    def _in_range(days: np.ndarray, since: int, until: int) -> np.ndarray:
        keep = days > 0 if until else np.ones(len(days), dtype=bool)
        if since:
            keep &= days >= since
        if until:
            keep &= days <= until
        return keep

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
            np.savez(tmp / _ARRAYS, published_days=self.published_days, event_offsets=self.event_offsets,
                     event_days=self.event_days)
            meta = {
                "generation": self.generation,
                "chunk_ids": self.chunk_ids,
                "article_ids": list(self.article_ids),
                "sources": list(self.sources),
                "empty": self.bm25 is None,
                "format": _FORMAT,
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
            if meta.get("format") != _FORMAT or meta.get("analyzer") != ANALYZER_VERSION:
                return None  # written by an older version or analysis: rebuild
            arrays = np.load(directory / _ARRAYS)
            bm25 = None if meta["empty"] else bm25s.BM25.load(str(directory), show_progress=False)
            grams = None if meta["empty"] else bm25s.BM25.load(str(directory / _GRAMS), show_progress=False)
        except (OSError, ValueError, KeyError):
            return None
        return cls(bm25, grams, meta["chunk_ids"], meta["article_ids"], arrays["published_days"], meta["sources"],
                   meta["generation"], arrays["event_offsets"], arrays["event_days"])

    @staticmethod
    def loadable(directory: Path) -> bool:
        """Whether `load` would read the index in `directory` as it is: written in this format by this version
        of the analysis (cheap: reads the small metadata file only)."""
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return meta.get("format") == _FORMAT and meta.get("analyzer") == ANALYZER_VERSION

    @staticmethod
    def stored_generation(directory: Path) -> str | None:
        try:
            return (directory / _GENERATION).read_text(encoding="utf-8")
        except OSError:
            return None
