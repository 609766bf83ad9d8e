"""From claims to a cited answer: number the passages actually cited, and check an LLM's citations.

A claim is one sentence of the answer with the passages it cites. Both answer modes produce claims; `render`
turns them into the answer text with [n] markers and the matching `Citation` list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.retrieve import Passage
from rag.schema import Citation
from rag.text import COMPOUND_CREDIT, COMPOUND_MIN, analyze, sentence_spans

SUPPORT_FLOOR = 0.5  # share of a sentence's content words its passage must contain to count as support
# Whether a passage supports a claim by meaning (claim, passage text) → sentence span it rests on, or None. Asked
# only when the words fall short: an answer in English about German passages shares names and numbers at most.
MeaningSupport = Callable[[str, str], "tuple[int, int] | None"]
UNSUPPORTED_MARK = "[?]"
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass
class Claim:
    text: str
    passages: list[int] = field(default_factory=list)  # indexes into the passages, in citing order
    highlights: dict[int, tuple[int, int]] = field(default_factory=dict)  # passage index → span in its text
    supported: bool = True


def render(claims: Sequence[Claim], passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers numbered by first use, and one Citation per cited passage."""
    numbers: dict[int, int] = {}
    highlights: dict[int, list[tuple[int, int]]] = {}
    parts: list[str] = []
    for claim in claims:
        text = claim.text.strip()
        if not claim.supported:
            parts.append(f"{text} {UNSUPPORTED_MARK}")
            continue
        marks = []
        for index in claim.passages:
            numbers.setdefault(index, len(numbers) + 1)
            marks.append(f"[{numbers[index]}]")
            if index in claim.highlights:
                highlights.setdefault(index, []).append(claim.highlights[index])
        parts.append(f"{text} {''.join(marks)}".rstrip())
    citations = [
        _citation(n, passages[index], highlights.get(index, []))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    return " ".join(parts), citations


def _citation(n: int, p: Passage, spans: list[tuple[int, int]]) -> Citation:
    return Citation(n=n, article_id=p.article_id, title=p.title, source=p.source, published=p.published,
                    url=p.url, quote=p.text, chunk_id=p.chunk_id, start=p.start, end=p.end,
                    score=round(p.score, 4), highlights=tuple(sorted(set(spans))))


# --- checking an LLM's answer -------------------------------------------------------------------------------
def support(sentence: str, passage_text: str) -> float:
    """Share of the sentence's content stems found in the passage (compounds count partly)."""
    wanted = set(analyze(sentence))
    if not wanted:
        return 1.0
    have = set(analyze(passage_text))
    got = 0.0
    for term in wanted:
        if term in have:
            got += 1.0
        elif len(term) >= COMPOUND_MIN and any(term in h or (len(h) >= COMPOUND_MIN and h in term) for h in have):
            got += COMPOUND_CREDIT
    return got / len(wanted)


def best_sentence_span(claim_text: str, passage_text: str) -> tuple[int, int] | None:
    """The passage sentence that supports the claim best: what the evidence panel highlights."""
    best, best_score = None, 0.0
    for start, end in sentence_spans(passage_text):
        score = support(passage_text[start:end], claim_text) + support(claim_text, passage_text[start:end])
        if score > best_score:
            best, best_score = (start, end), score
    return best


def check_llm_answer(answer: str, passages: Sequence[Passage], meaning: MeaningSupport | None = None
                     ) -> tuple[list[Claim], int, int]:
    """Claims from an LLM answer: markers to no passage dropped, each cited sentence checked against its
    passages (by words, and by `meaning` where the words fall short). Returns (claims, removed markers,
    unsupported sentences)."""
    claims: list[Claim] = []
    removed = unsupported = 0
    answer = _markers_before_punctuation(answer)
    for start, end in sentence_spans(answer):
        raw = answer[start:end]
        cited = [int(n) for group in _MARKERS.findall(raw) for n in re.split(r"\s*[,;]\s*", group)]
        text = _MARKERS.sub("", raw).strip()
        if not text:
            continue
        valid = [n - 1 for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
        removed += len(cited) - len([n for n in cited if 1 <= n <= len(passages)])
        claim = Claim(text)
        for index in valid:
            span = _supporting_span(text, passages[index].text, meaning)
            if span is not None:
                claim.passages.append(index)
                if span != _NO_SPAN:
                    claim.highlights[index] = span
        if not cited:
            _attach_best_passage(claim, passages)
        if not claim.passages and (cited or len(set(analyze(text))) > 3):
            claim.supported = False  # a factual sentence no passage backs: flagged, never shown as cited
            unsupported += 1
        claims.append(claim)
    return claims, removed, unsupported


_NO_SPAN = (-1, -1)
_TRAILING_MARKERS = re.compile(r"([.!?…][\"'“”»«)\]]*)((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")


def _markers_before_punctuation(answer: str) -> str:
    """ "… Bulgarien. [1] Der …" → "… Bulgarien [1]. Der …": a marker after the full stop belongs to the sentence
    before it (models write it either way), and the sentence splitter would otherwise start a new sentence at
    the bracket."""
    return _TRAILING_MARKERS.sub(lambda m: f"{m.group(2)}{m.group(1)}", answer)


def _supporting_span(claim: str, passage_text: str, meaning: MeaningSupport | None) -> tuple[int, int] | None:
    """The span of the passage sentence that supports the claim (_NO_SPAN when none stands out), or None when
    the passage does not support it."""
    if support(claim, passage_text) >= SUPPORT_FLOOR:
        return best_sentence_span(claim, passage_text) or _NO_SPAN
    return meaning(claim, passage_text) if meaning is not None else None


def _attach_best_passage(claim: Claim, passages: Sequence[Passage]) -> None:
    """An uncited sentence that one passage clearly supports gets that passage's marker."""
    scored = [(support(claim.text, p.text), i) for i, p in enumerate(passages)]
    score, index = max(scored, default=(0.0, -1))
    if index >= 0 and score >= SUPPORT_FLOOR:
        claim.passages.append(index)
        span = best_sentence_span(claim.text, passages[index].text)
        if span:
            claim.highlights[index] = span
