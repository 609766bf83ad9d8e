"""From claims to a cited answer: number the passages actually cited, and check an LLM's citations.

A draft is one sentence of the answer with the passages it cites. Both answer modes produce drafts; `render`
turns them into the answer text with [n] markers, the matching `Citation` list and the public `Claim`s.

Support is one scale for both checks, 0..1 with 0.5 where a sentence starts to count as supported: the share of
its content words its passage holds (supported from SUPPORT_FLOOR = 0.5), or, by meaning, the fitted judge's
probability mapped piecewise-linearly so that its floor lands on 0.5 (`judged_support`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.retrieve import Passage
from rag.schema import Citation, Claim
from rag.text import COMPOUND_CREDIT, COMPOUND_MIN, analyze, sentence_spans

SUPPORT_FLOOR = 0.5  # share of a sentence's content words its passage must contain to count as support
# How far a passage supports a claim by meaning: (claim, passage text) → (support 0..1, the span of the sentence it
# rests on). Asked only when the words fall short: an answer in English about German passages shares names and
# numbers at most.
MeaningSupport = Callable[[str, str], "tuple[float, tuple[int, int]]"]
UNSUPPORTED_MARK = "[?]"
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass
class Draft:
    text: str
    passages: list[int] = field(default_factory=list)  # indexes into the passages, in citing order
    highlights: dict[int, tuple[int, int]] = field(default_factory=dict)  # passage index → span in its text
    supported: bool = True
    support: float = 1.0  # see the module docstring; extractive sentences are quotes: 1 by construction
    prefix: str = ""  # shown before the sentence and not part of the claim (a timeline's date)


def render(drafts: Sequence[Draft], passages: Sequence[Passage], *, separator: str = " "
           ) -> tuple[str, list[Citation], tuple[Claim, ...]]:
    """Answer text with [n] markers numbered by first use, one Citation per cited passage, and the claims."""
    numbers: dict[int, int] = {}
    highlights: dict[int, list[tuple[int, int]]] = {}
    parts: list[str] = []
    claims: list[Claim] = []
    for draft in drafts:
        text = draft.text.strip()
        if not draft.supported:
            parts.append(f"{draft.prefix}{text} {UNSUPPORTED_MARK}")
            claims.append(Claim(text, (), draft.support))
            continue
        marks = []
        for index in draft.passages:
            numbers.setdefault(index, len(numbers) + 1)
            marks.append(f"[{numbers[index]}]")
            if index in draft.highlights:
                highlights.setdefault(index, []).append(draft.highlights[index])
        parts.append(f"{draft.prefix}{text} {''.join(marks)}".rstrip())
        claims.append(Claim(text, tuple(numbers[i] for i in draft.passages), draft.support))
    citations = [
        _citation(n, passages[index], highlights.get(index, []))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    return separator.join(parts), citations, tuple(claims)


def _citation(n: int, p: Passage, spans: list[tuple[int, int]]) -> Citation:
    return Citation(n=n, article_id=p.article_id, title=p.title, source=p.source, published=p.published,
                    url=p.url, quote=p.text, chunk_id=p.chunk_id, start=p.start, end=p.end,
                    score=round(p.score, 4), highlights=tuple(sorted(set(spans))), also_in=p.also_in)


def judged_support(probability: float, floor: float) -> float:
    """The judge's probability on the support scale: its floor → 0.5, 0 → 0, 1 → 1, linear in between."""
    if probability >= floor:
        return 0.5 + 0.5 * (probability - floor) / max(1.0 - floor, 1e-9)
    return 0.5 * probability / max(floor, 1e-9)


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def corroborate(drafts: Sequence[Draft], passages: Sequence[Passage], idf: Mapping[str, float],
                question: str) -> None:
    """A quoted sentence that a sentence of another outlet's passage states as well also cites that passage: a
    point several outlets report is shown as such, and the second citation goes to another outlet, never to a
    second article of the same one (copies of one story are one passage already, see
    `rag.retrieve.one_copy_per_story`).

    "States as well" is judged where words can judge it: on figures. The sentence must hold a figure the question
    does not name ("8.500 Haushalte"), the other sentence all of its figures ("146 Einsätze" is not "rund 150"),
    and each SUPPORT_FLOOR of the other's content words by IDF. Without figures, word overlap cannot tell "Die
    Linie 12 kostet mehr als geplant" from "Die Linie 12 wird später fertig als geplant" (measured: 0.55 and
    0.64 for a true pair; e5 cosine 0.96 for both), so no second citation is claimed."""
    asked = set(_FIGURE.findall(question))
    for draft in drafts:
        figures = set(_FIGURE.findall(draft.text))
        if not figures - asked:
            continue
        outlets = {passages[i].source for i in draft.passages}
        scored = [(_same_point(draft.text, figures, p.text, idf), j) for j, p in enumerate(passages)
                  if p.source and p.source not in outlets and j not in draft.passages]
        (score, span), index = max(scored, default=((0.0, None), -1))
        if score >= SUPPORT_FLOOR and span is not None:
            draft.passages.append(index)
            draft.highlights[index] = span


def _same_point(sentence: str, figures: set[str], passage_text: str, idf: Mapping[str, float]
                ) -> tuple[float, tuple[int, int] | None]:
    """The passage sentence holding all `figures` that says the most nearly the same as `sentence`, and how
    nearly: the smaller of the two IDF-weighted shares of each one's content words found in the other."""
    mine = set(analyze(sentence))
    best: tuple[float, tuple[int, int] | None] = (0.0, None)
    for start, end in sentence_spans(passage_text):
        other = passage_text[start:end]
        if not figures <= set(_FIGURE.findall(other)):
            continue
        theirs = set(analyze(other))
        score = min(_weighted_share(mine, theirs, idf), _weighted_share(theirs, mine, idf))
        if score > best[0]:
            best = (score, (start, end))
    return best


def _weighted_share(wanted: set[str], present: set[str], idf: Mapping[str, float]) -> float:
    top = getattr(idf, "top", None) or max(idf.values(), default=1.0)  # an index's table knows its largest
    total = sum(idf.get(t, top) for t in wanted)
    return sum(idf.get(t, top) for t in wanted & present) / total if total else 0.0


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
                     ) -> tuple[list[Draft], int, int]:
    """Drafts from an LLM answer: markers to no passage dropped, each cited sentence checked against its
    passages (by words, and by `meaning` where the words fall short). Returns (drafts, removed markers,
    unsupported sentences)."""
    claims: list[Draft] = []
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
        claim = Draft(text, support=0.0)
        for index in valid:
            score, span = _supporting_span(text, passages[index].text, meaning)
            claim.support = max(claim.support, score)
            if score >= SUPPORT_FLOOR:
                claim.passages.append(index)
                if span != _NO_SPAN:
                    claim.highlights[index] = span
        if not cited:
            _attach_best_passage(claim, passages)
        if not claim.passages and not cited and len(set(analyze(text))) <= 3:
            claim.support = 1.0  # "Dazu gibt es zwei Angaben.": nothing to support
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


def _supporting_span(claim: str, passage_text: str, meaning: MeaningSupport | None) -> tuple[float, tuple[int, int]]:
    """How far the passage supports the claim (0..1, supported from SUPPORT_FLOOR) and the span of the sentence
    it rests on (_NO_SPAN when none stands out): by words, and by meaning where the words fall short."""
    by_words = support(claim, passage_text)
    if by_words >= SUPPORT_FLOOR:
        return by_words, best_sentence_span(claim, passage_text) or _NO_SPAN
    if meaning is not None:
        by_meaning, span = meaning(claim, passage_text)
        if by_meaning > by_words:
            return by_meaning, span
    return by_words, _NO_SPAN


def _attach_best_passage(claim: Draft, passages: Sequence[Passage]) -> None:
    """An uncited sentence that one passage clearly supports gets that passage's marker."""
    scored = [(support(claim.text, p.text), i) for i, p in enumerate(passages)]
    score, index = max(scored, default=(0.0, -1))
    claim.support = max(claim.support, score)
    if index >= 0 and score >= SUPPORT_FLOOR:
        claim.passages.append(index)
        span = best_sentence_span(claim.text, passages[index].text)
        if span:
            claim.highlights[index] = span
