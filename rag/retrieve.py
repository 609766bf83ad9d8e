"""Hybrid retrieval: German BM25 and dense Chroma search, fused; filters, a per-article cap, merged neighbours,
and a relevance measure that says when the corpus holds nothing on the question.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import islice
from typing import Any

import numpy as np

from rag.config import Settings
from rag.errors import ConfigError
from rag.language import detect_language
from rag.lexical import LexicalIndex
from rag.profiles import profile_for
from rag.relevance import CoverageJudge, Evidence, Judge, best_coverage
from rag.schema import published_day
from rag.store import Store
from rag.text import sentence_spans, terms

DenseEntry = tuple[float, str, dict[str, Any]]  # (cosine similarity, text, metadata)
CANDIDATES = 50  # per side, before fusion
# A question that names a single topic word ("Wo fand das Treffen statt?") asks about the article's main event,
# which news reports in the opening paragraph (inverted pyramid): the opening chunk gets this share of the best
# score on top. Questions naming more leave ranking to the terms.
LEAD_PRIOR = 0.5
# A chunk can end one sentence before the fact: the sentence that matches the question names the topic and the
# next one answers it ("... zwei bisher unbekannte Kladen des Y. pestis-Genoms ..." | "Diese wurden als Y. p.
# orientalis und Y. p. medievalis identifiziert"). Each passage runs on to the end of its paragraph, by at most
# this many sentences and characters, so a cited passage reads as a whole (measured on the dev set: citation
# support +2 questions, answer containment +2).
CONTEXT_SENTENCES = 2
CONTEXT_CHARS = 400
# The cap makes room for other articles only when they are real alternatives: a capped chunk scoring more
# than twice as high as the next other article's keeps its slot (measured on the dev set: recall@1 0.950 →
# 0.954).
CAP_YIELD = 0.5
# Copies of one story give their passages nearly the same score (the same words; only the length norm differs):
# the representative's passage stands for the story when it scores at least this share of the best copy's.
SAME_STORY = 0.9
# A digest of a period reads at most this many chunks per article it shows (articles have 3-4 chunks).
DIGEST_CHUNKS = 4
# The relevance floor judges the best five passages, whatever k is: the floor means the same for every --k,
# and more passages would only add chances of a match by accident.
JUDGED = 5


# A period from the question also matches chunks that mention a day in it (reported later); Chroma matches such
# a day by value, so periods up to this many days list their days, longer ones match by publication date only.
EVENT_DAYS_LISTED = 62


@dataclass(frozen=True)
class Filters:
    """Date range (ISO dates, inclusive) and outlets; empty means no restriction. With `events` (a period read
    from the question), a chunk is in the range when its article was published in it or it mentions a day in it
    (`Chunk.event_days`), and undated articles are kept: they cannot be placed in time, and a question's "2007"
    may be what an undated text is about. Explicit --since / --until keep dated articles only."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    events: bool = False

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value:
                try:
                    date.fromisoformat(value[:10])
                except ValueError:
                    raise ConfigError(f"--{name} must be a date like 2022-01-21, got {value!r}") from None

    @property
    def since_day(self) -> int:
        return published_day(self.since or "")

    @property
    def until_day(self) -> int:
        return published_day(self.until or "")

    def event_days(self) -> list[int]:
        """The days of the range as `published_day` numbers, when events count and the range is short enough."""
        if not (self.events and self.since and self.until):
            return []
        first, last = date.fromisoformat(self.since[:10]), date.fromisoformat(self.until[:10])
        if not 0 <= (last - first).days < EVENT_DAYS_LISTED:
            return []
        return [published_day((first + timedelta(days=n)).isoformat()) for n in range((last - first).days + 1)]

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        published: list[dict[str, Any]] = []
        if self.since_day:
            published.append({"published_day": {"$gte": self.since_day}})
        if self.until_day:
            published.append({"published_day": {"$lte": self.until_day}})
            published.append({"published_day": {"$gt": 0}})
        if self.events and published:
            in_range = published[0] if len(published) == 1 else {"$and": published}
            mentioned = [{"event_days": {"$contains": day}} for day in self.event_days()]
            clauses.append({"$or": [in_range, {"published_day": {"$eq": 0}}, *mentioned]})
        else:
            clauses += published
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class Passage:
    """A retrieved stretch of one article (one chunk, or neighbouring chunks merged)."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str
    url: str
    text: str
    start: int
    end: int
    subheading: str
    score: float
    chunk_ids: tuple[str, ...] = ()
    also_in: tuple[dict[str, str], ...] = ()  # other copies of this story (see `rag.dedup`), never cited apart

    @classmethod
    def from_chunk(cls, chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Passage:
        return cls(chunk_id, str(meta["article_id"]), str(meta.get("title", "")), str(meta.get("source", "")),
                   str(meta.get("published", "")), str(meta.get("url", "")), text, int(meta["start"]),
                   int(meta["end"]), str(meta.get("subheading", "")), score, (chunk_id,))


@dataclass
class Retrieval:
    """Passages best first, how likely they answer the question (0..1, see `rag.relevance`), the evidence that
    judgement rests on, and where the time went (seconds)."""

    passages: list[Passage]
    relevance: float
    timings: dict[str, float] = field(default_factory=dict)
    lexical: LexicalIndex | None = None  # the index the passages were found with (its IDF serves the answer)
    evidence: Evidence | None = None
    query_vector: np.ndarray | None = None  # the question as the embedding model saw it (None: no dense side)
    cosines: dict[str, float] = field(default_factory=dict)  # chunk id → cosine, for the dense candidates


class Retriever:
    """Hybrid retrieval over one store. Holds no state of its own beyond the store's caches."""

    def __init__(self, store: Store, settings: Settings | None = None, *, dense_weight: float | None = None,
                 lexical_weight: float = 1.0) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.profile = profile_for(store.embedder.name)  # the numbers fitted for the model of the index
        configured = self.settings.dense_weight if dense_weight is None else dense_weight
        self.dense_weight = self.profile.dense_weight if configured is None else configured
        self.lexical_weight = lexical_weight

    @property
    def judge(self) -> Judge:
        """The profile's judgement, or term coverage alone when the dense side is switched off."""
        return self.profile.judge if self.dense_weight > 0 else CoverageJudge()

    @property
    def floor(self) -> float:
        """Below this relevance the corpus holds no answer: RAG_MIN_RELEVANCE, else the judge's fitted floor."""
        configured = self.settings.min_relevance
        return self.judge.floor if configured is None else configured

    def retrieve(self, query: str, *, k: int | None = None, filters: Filters | None = None,
                 per_article: int | None = None, merge: bool = True, prefer_recent: bool = False) -> Retrieval:
        """The k best passages for the query. `prefer_recent` puts the newest of the real alternatives first
        (those scoring at least CAP_YIELD of the best: "Was gibt es Neues zur Ukraine?")."""
        k = k or self.settings.top_k
        filters = filters or Filters()
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        lexical, catalog = self.store.snapshot()
        lex_hits = self._lexical(lexical, query, filters)
        timings["lexical"] = time.perf_counter() - clock
        dense_hits: dict[str, DenseEntry] = {}
        vector = None
        if self.dense_weight > 0:
            clock = time.perf_counter()
            vector = self.store.embedder.encode_queries([query])[0]
            timings["embed"] = time.perf_counter() - clock
            clock = time.perf_counter()
            dense_hits = {h.chunk_id: (h.score, h.text, h.metadata)
                          for h in self.store.dense_search(vector, CANDIDATES, filters.chroma_where(), catalog)}
            timings["dense"] = time.perf_counter() - clock
        clock = time.perf_counter()
        known: dict[str, tuple[str, dict[str, Any]]] = {cid: (hit[1], hit[2]) for cid, hit in dense_hits.items()}
        trust = self._lexical_trust(query, lex_hits, known, lexical) if dense_hits else 1.0
        ranked = self._fuse(lex_hits, dense_hits, trust)
        lead_prior = LEAD_PRIOR if len(terms(query)) <= 1 else 0.0
        passages = self._materialise(ranked, known, k, per_article or self.article_cap(k), lead_prior, catalog,
                                     prefer_recent)
        if merge:
            passages = merge_neighbours(passages)
        # Judged on what retrieval found, before the context is added: more text would match more by chance.
        evidence = self._evidence(query, passages[:JUDGED], dense_hits, lexical)
        relevance = self.judge.relevance(evidence)
        if merge:
            passages = merge_neighbours(self._with_context(passages))
        timings["fusion"] = time.perf_counter() - clock
        return Retrieval(passages, relevance, timings, lexical, evidence, vector,
                         {cid: hit[0] for cid, hit in dense_hits.items()})

    def reported_in(self, filters: Filters, limit: int) -> list[Passage]:
        """What the corpus reports for a period when the question names no topic ("Was geschah gestern?"): per
        article the chunk that mentions a day of the period, else the opening chunk of an article published in
        it; mentions first, then the newest; one copy per story."""
        lexical, catalog = self.store.snapshot()
        published, mentions = lexical.period_docs(filters.since_day, filters.until_day)
        if filters.sources:
            wanted = {s.casefold() for s in filters.sources}
            allowed = np.array([s.casefold() in wanted for s in lexical.sources], dtype=bool)
            published, mentions = published & allowed, mentions & allowed
        # Newest first within each kind, and no more chunks read than a digest of `limit` articles can use.
        order = [i for kind in (mentions, published & ~mentions)
                 for i in sorted(np.flatnonzero(kind), key=lambda i: -lexical.published_days[i])]
        ids = list(dict.fromkeys(lexical.chunk_ids[i] for i in order))[: limit * DIGEST_CHUNKS]
        mentioning = {lexical.chunk_ids[i] for i in np.flatnonzero(mentions)}
        found = self.store.get_chunks(ids)
        best: dict[str, tuple[int, tuple[bool, int], Passage]] = {}  # article → (rank, preference, passage)
        for rank, cid in enumerate(ids):
            if cid not in found or not _committed(found[cid][1], catalog):
                continue
            passage = Passage.from_chunk(cid, found[cid][0], found[cid][1], 0.0)
            preference = (cid not in mentioning, passage.start)  # the mention, else the opening
            kept = best.get(passage.article_id)
            if kept is None or preference < kept[1]:
                best[passage.article_id] = (kept[0] if kept else rank, preference, passage)
        ordered = [item[2] for item in sorted(best.values(), key=lambda item: item[0])]
        chosen = [replace(p, score=float(len(ordered) - n)) for n, p in enumerate(ordered)]
        return one_copy_per_story(chosen, catalog, self.store.stories())[:limit]

    def passage_relevance(self, query: str, passage: Passage, retrieval: Retrieval) -> float:
        """How likely this one passage answers the query, by the same judge as the whole retrieval: for
        answers built from several articles (a timeline), where each must be on the topic by itself."""
        if retrieval.lexical is None:
            return 0.0
        coverage = best_coverage(query, [passage.text], retrieval.lexical)
        if not retrieval.cosines:
            return self.judge.relevance(Evidence(coverage))
        outside = min(retrieval.cosines.values())  # outside the dense candidates: no closer than the last
        cosine = max(retrieval.cosines.get(c, outside) for c in passage.chunk_ids)
        cross_lingual = detect_language(query) != detect_language(passage.text)
        return self.judge.relevance(Evidence(coverage, cosine, cross_lingual))

    def _lexical_trust(self, query: str, lex_hits: dict[str, float], known: dict[str, tuple[str, dict[str, Any]]],
                       lexical: LexicalIndex) -> float:
        """How far the lexical side can be trusted on this question: the share of the question's terms its best
        hit holds. A question in another language, or about a word the corpus lacks ("Sepsis" asked,
        "septische" written), gets BM25 hits on chance words; the dense side then decides."""
        if not lex_hits:
            return 0.0
        best = max(lex_hits, key=lex_hits.__getitem__)
        if best not in known:
            known.update(self.store.get_chunks([best]))
        found = known.get(best)
        return best_coverage(query, [found[0]], lexical) if found else 0.0

    def _evidence(self, query: str, judged: list[Passage], dense_hits: dict[str, DenseEntry],
                  lexical: LexicalIndex) -> Evidence:
        coverage = best_coverage(query, [p.text for p in judged], lexical)
        if not dense_hits or not judged:
            return Evidence(coverage)
        # A chunk outside the dense candidates is no closer than the last of them.
        floor = min(hit[0] for hit in dense_hits.values())
        cosine = max(dense_hits[c][0] if c in dense_hits else floor for p in judged for c in p.chunk_ids)
        cross_lingual = detect_language(query) != detect_language(judged[0].text)
        return Evidence(coverage, cosine, cross_lingual)

    def _with_context(self, passages: list[Passage]) -> list[Passage]:
        texts = self.store.article_texts([p.article_id for p in passages])
        return [with_context(p, texts[p.article_id]) if p.article_id in texts else p for p in passages]

    def article_cap(self, k: int) -> int:
        """RAG_PER_ARTICLE of RAG_TOP_K passages may come from one article; in proportion for other k."""
        return max(1, round(self.settings.per_article * k / self.settings.top_k))

    def _lexical(self, lexical: LexicalIndex, query: str, filters: Filters) -> dict[str, float]:
        mask = lexical.filter_mask(since=filters.since_day, until=filters.until_day, sources=filters.sources,
                                   events=filters.events)
        return {lexical.chunk_ids[i]: score for i, score in lexical.search(query, CANDIDATES, mask)}

    def _fuse(self, lex: dict[str, float], dense: dict[str, DenseEntry], trust: float = 1.0
              ) -> list[tuple[str, float]]:
        """Weighted sum: BM25 divided by its best, times the lexical side's trust; cosine spread over the dense
        candidates (best 1, last 0: e5's cosines crowd between 0.75 and 0.9, so the raw value says little). A
        side that did not find a chunk contributes 0."""
        lex_top = max(lex.values(), default=0.0) or 1.0
        fused: dict[str, float] = {cid: self.lexical_weight * trust * score / lex_top for cid, score in lex.items()}
        if dense:
            cosines = [hit[0] for hit in dense.values()]
            top, low = max(cosines), min(cosines)
            spread = (top - low) or 1.0
            for cid, hit in dense.items():
                fused[cid] = fused.get(cid, 0.0) + self.dense_weight * (hit[0] - low) / spread
        return sorted(fused.items(), key=lambda item: -item[1])

    def _materialise(self, ranked: list[tuple[str, float]], known: dict[str, tuple[str, dict[str, Any]]],
                     k: int, per_article: int, lead_prior: float = 0.0,
                     catalog: dict[str, Any] | None = None, prefer_recent: bool = False) -> list[Passage]:
        """The top k chunks as passages, at most `per_article` from one article while others are available
        and score at least CAP_YIELD of the capped chunk; otherwise the slots go to the best capped chunks.
        `lead_prior` (a share of the best score) is added to the opening chunk of each article."""
        window = ranked[: k * 4]
        missing = [cid for cid, _ in window if cid not in known]
        if missing:
            known.update(self.store.get_chunks(missing))
        candidates: list[Passage] = []
        for cid, score in window:
            found = known.get(cid)
            if found is None or not _committed(found[1], catalog):
                continue  # deleted, or an old version, since the lexical index was built
            candidates.append(Passage.from_chunk(cid, found[0], found[1], score))
        if lead_prior and candidates:
            bonus = lead_prior * candidates[0].score
            candidates = sorted((replace(p, score=p.score + bonus) if p.start == 0 else p for p in candidates),
                                key=lambda p: -p.score)
        if catalog is not None:
            candidates = one_copy_per_story(candidates, catalog, self.store.stories())
        if prefer_recent and candidates:
            candidates = newest_first(candidates)
        per: dict[str, int] = {}
        chosen: list[Passage] = []
        overflow: list[Passage] = []
        for passage in candidates:
            while overflow and overflow[0].score * CAP_YIELD > passage.score and len(chosen) < k:
                chosen.append(overflow.pop(0))  # other articles this far behind are no alternative
            if len(chosen) == k:
                return sorted(chosen, key=lambda p: -p.score)
            article = passage.article_id
            if per.get(article, 0) >= per_article:
                overflow.append(passage)
                continue
            per[article] = per.get(article, 0) + 1
            chosen.append(passage)
            if len(chosen) == k:
                return chosen
        return sorted(chosen + overflow[: k - len(chosen)], key=lambda p: -p.score)


def one_copy_per_story(candidates: list[Passage], catalog: dict[str, Any], stories: dict[str, list[Any]]
                       ) -> list[Passage]:
    """Copies of one story (`rag.dedup`) are one source: only one copy's passages stay, each listing the other
    copies in `also_in`. The copy that stands for the story is its representative (the most complete, then the
    earliest) when one of its passages scores at least SAME_STORY of the story's best, else the best-scoring."""
    def story_of(passage: Passage) -> str:
        info = catalog.get(passage.article_id)
        return info.story if info is not None else passage.article_id

    best: dict[str, Passage] = {}
    for passage in candidates:
        best.setdefault(story_of(passage), passage)
    standing: dict[str, str] = {}
    for story, top in best.items():
        members = stories.get(story, [])
        if len(members) < 2:
            continue
        first = members[0].id
        near = any(p.article_id == first and p.score >= SAME_STORY * top.score for p in candidates)
        standing[story] = first if near else top.article_id
    kept = []
    for passage in candidates:
        story = story_of(passage)
        if story not in standing:
            kept.append(passage)
        elif passage.article_id == standing[story]:
            copies = tuple({"article_id": m.id, "source": m.source, "published": m.published, "url": m.url}
                           for m in stories[story] if m.id != passage.article_id)
            kept.append(replace(passage, also_in=copies))
    return kept


def newest_first(candidates: list[Passage]) -> list[Passage]:
    """The real alternatives (at least CAP_YIELD of the best score) newest first, each given the best score so
    the order holds; the rest after them, by score."""
    best = candidates[0].score
    alternatives = [p for p in candidates if p.score >= CAP_YIELD * best]
    alternatives.sort(key=lambda p: p.published[:10], reverse=True)
    rest = [p for p in candidates if p.score < CAP_YIELD * best]
    return [replace(p, score=best - 1e-6 * rank) for rank, p in enumerate(alternatives)] + rest


def _committed(meta: dict[str, Any], catalog: dict[str, Any] | None) -> bool:
    """Whether a chunk belongs to the article version the registry holds (a lexical index being rebuilt may
    still name chunks of a replaced version until Chroma's old chunks are deleted)."""
    if catalog is None:
        return True
    info = catalog.get(str(meta.get("article_id")))
    return info is not None and info.version == meta.get("version")


def merge_neighbours(passages: Sequence[Passage]) -> list[Passage]:
    """Join passages of one article whose spans overlap or touch, so a cited passage reads as a whole.

    The merged passage takes the rank and score of its best part.
    """
    merged: list[Passage] = []
    for passage in passages:
        for i, kept in enumerate(merged):
            touching = passage.start <= kept.end + 2 and kept.start <= passage.end + 2
            if kept.article_id == passage.article_id and touching:
                merged[i] = _join(kept, passage)
                break
        else:
            merged.append(passage)
    return merged


def _join(a: Passage, b: Passage) -> Passage:
    first, second = (a, b) if a.start <= b.start else (b, a)
    if second.end <= first.end:
        text, end = first.text, first.end
    else:
        gap = second.start - first.end
        joiner = "" if gap < 0 else "\n\n" if gap == 2 else " "  # chunks part at paragraph breaks or spaces
        text = first.text + joiner + second.text[max(0, first.end - second.start):]
        end = second.end
    return replace(first, text=text, end=end, score=max(a.score, b.score), chunk_id=a.chunk_id,
                   chunk_ids=a.chunk_ids + b.chunk_ids, subheading=first.subheading)


_BLANK_LINE = re.compile(r"\n\s*\n")


def with_context(passage: Passage, article_text: str) -> Passage:
    """The passage run on to the end of its paragraph (CONTEXT_SENTENCES / CONTEXT_CHARS at most).

    Unchanged when the article text no longer holds the passage at its span (the article was replaced since
    the passage was found)."""
    if article_text[passage.start : passage.end] != passage.text:
        return passage
    blank_line = _BLANK_LINE.search(article_text, passage.end)
    paragraph_end = blank_line.start() if blank_line else len(article_text)
    end = passage.end
    for _, sentence_end in islice(sentence_spans(article_text, passage.end, paragraph_end), CONTEXT_SENTENCES):
        if sentence_end - passage.end > CONTEXT_CHARS:
            break
        end = sentence_end
    if end == passage.end:
        return passage
    return replace(passage, text=article_text[passage.start : end], end=end)
