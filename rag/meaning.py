"""The model of meaning where the answerers use it: a question's cosine with candidate sentences (extractive
sentence choice) and the support an LLM's sentence finds in its passage (the citation check). Both come from
the retrieval that found the passages (its question vector, its lexical snapshot) and the model's profile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.cite import MeaningSupport, judged_support
from rag.extractive import Similarity
from rag.language import detect_language
from rag.relevance import Evidence, FittedJudge, best_coverage
from rag.retrieve import Retrieval, Retriever
from rag.sentence_vectors import SentenceVectors
from rag.text import sentence_spans


class SentenceSimilarity:
    """Sentences → their weighted cosine with the question (`rag.extractive.Similarity`), and which sentences have
    their vectors stored (`stored`): those compare at no cost, so sentence choice compares them all."""

    def __init__(self, vectors: SentenceVectors, query: np.ndarray, weight: float) -> None:
        self.vectors, self.query, self.weight = vectors, query, weight
        self._seen: dict[str, np.ndarray] = {}  # read or embedded in this answer

    def stored(self, sentences: Sequence[str]) -> list[bool]:
        self._seen.update(self.vectors.known([s for s in sentences if s not in self._seen]))
        return [s in self._seen for s in sentences]

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(s for s in sentences if s not in self._seen))
        if missing:
            self._seen.update(zip(missing, self.vectors.encode(missing), strict=True))
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        return self.weight * (np.stack([self._seen[s] for s in sentences]) @ self.query)


def sentence_similarity(retriever: Retriever, retrieval: Retrieval | None) -> Similarity | None:
    """Sentences → their weighted cosine with the question, for models with a fitted sentence weight."""
    weight = retriever.profile.sentence_weight
    if retrieval is None or retrieval.query_vector is None or weight is None:
        return None
    return SentenceSimilarity(retriever.sentences, retrieval.query_vector, weight)


def meaning_support(retriever: Retriever, retrieval: Retrieval | None) -> MeaningSupport | None:
    """Support by meaning for an LLM's sentences: the fitted judge, asked whether the passage's closest
    sentence answers the claim as it would a question (term coverage, cosine, the language of each side).
    None for models without a fitted judge."""
    judge = retriever.judge
    if not isinstance(judge, FittedJudge) or retrieval is None or retrieval.lexical is None:
        return None
    lexical, embedder, floor = retrieval.lexical, retriever.store.embedder, retriever.floor
    stored = retriever.sentences

    def supported_by(claim: str, passage_text: str) -> tuple[float, tuple[int, int]]:
        spans = list(sentence_spans(passage_text))
        if not spans:
            return 0.0, (-1, -1)
        cosines = stored.encode([passage_text[a:b] for a, b in spans]) @ embedder.encode_queries([claim])[0]
        best = int(np.argmax(cosines))
        evidence = Evidence(best_coverage(claim, [passage_text], lexical), float(cosines[best]),
                            detect_language(claim) != detect_language(passage_text))
        return judged_support(judge.relevance(evidence), floor), spans[best]

    return supported_by


__all__ = ["SentenceSimilarity", "meaning_support", "sentence_similarity"]
