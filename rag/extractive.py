"""The offline answer: choose the sentences of the retrieved passages that answer the question, cite each.

Sentences are quoted verbatim (never reworded), scored by how much of the question's IDF weight they contain
(German compounds count: "Sicherheitsforderungen" contains "Forderung"), with a small bonus for better
ranked passages. The answer keeps 2 to 4 sentences, in passage order and reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.retrieve import Passage
from rag.text import analyze, sentence_spans, terms

MAX_SENTENCES = 4
MIN_SENTENCES = 2
MAX_CHARS = 700
COMPOUND_MIN = 5  # a query stem this long also matches inside compounds
COMPOUND_CREDIT = 0.7


@dataclass(frozen=True)
class Sentence:
    passage: int  # index into the passages
    start: int  # offsets within the passage text
    end: int
    score: float


def term_weights(question: str, idf: dict[str, float]) -> dict[str, float]:
    query_terms = terms(question)
    top = max(idf.values(), default=1.0)
    return {t: idf.get(t, top) for t in query_terms}


def sentence_score(weights: dict[str, float], sentence: str) -> float:
    """Share of the question's term weight found in the sentence (compound matches count partly)."""
    total = sum(weights.values())
    if not total:
        return 0.0
    found = set(analyze(sentence))
    got = 0.0
    for term, weight in weights.items():
        if term in found:
            got += weight
        elif len(term) >= COMPOUND_MIN and any(len(w) > len(term) and term in w for w in found):
            got += COMPOUND_CREDIT * weight
    return got / total


def candidate_sentences(question: str, passages: Sequence[Passage], idf: dict[str, float]) -> list[Sentence]:
    weights = term_weights(question, idf)
    found = []
    for rank, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text):
            text = passage.text[start:end]
            score = sentence_score(weights, text)
            if len(text) < 25:  # subheadings and fragments: rarely an answer on their own
                score *= 0.5
            score += 0.05 / (1 + rank)  # ties go to the better passage
            found.append(Sentence(rank, start, end, score))
    return found


def select_sentences(question: str, passages: Sequence[Passage], idf: dict[str, float]) -> list[Sentence]:
    """The 2-4 sentences that answer best, in reading order."""
    candidates = candidate_sentences(question, passages, idf)
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda s: -s.score)
    best = ranked[0]
    chosen = [best]
    size = best.end - best.start
    for sentence in ranked[1:]:
        if len(chosen) >= MAX_SENTENCES:
            break
        long_enough = len(chosen) >= MIN_SENTENCES
        if long_enough and sentence.score < max(0.35, 0.7 * best.score):
            break
        if sentence.score <= 0.06 or size + sentence.end - sentence.start > MAX_CHARS:
            continue
        chosen.append(sentence)
        size += sentence.end - sentence.start
    if len(chosen) < MIN_SENTENCES:
        chosen += _neighbour(best, candidates, size)
    return sorted(chosen, key=lambda s: (s.passage, s.start))


def _neighbour(best: Sentence, candidates: list[Sentence], size: int) -> list[Sentence]:
    """The sentence after the best one (or before it), as context for a one-sentence answer."""
    same = [s for s in candidates if s.passage == best.passage]
    index = next(i for i, s in enumerate(same) if s.start == best.start)
    for other in (index + 1, index - 1):
        if 0 <= other < len(same) and size + same[other].end - same[other].start <= MAX_CHARS:
            return [same[other]]
    return []
