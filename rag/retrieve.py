"""Hybrid retrieval: German BM25 and dense Chroma search, fused; filters, a per-article cap, merged neighbours,
and a relevance measure that says when the corpus holds nothing on the question.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rag.config import Settings
from rag.filters import EVENT_DAYS_LISTED, Filters
from rag.language import detect_language, question_words
from rag.lexical import LexicalIndex
from rag.names import missing_names
from rag.passages import (
    CAP_YIELD,
    CONTEXT_CHARS,
    CONTEXT_SENTENCES,
    SAME_STORY,
    Passage,
    merge_neighbours,
    newest_first,
    one_copy_per_story,
    with_context,
)
from rag.profiles import profile_for
from rag.relevance import CoverageJudge, Evidence, Judge, best_coverage, best_sentence_coverage
from rag.sentence_vectors import SentenceVectors, sentence_vectors
from rag.store import Store
from rag.text import sentence_spans, terms

DenseEntry = tuple[float, str, dict[str, Any]]  # (cosine similarity, text, metadata)
Rescore = Callable[[list[Passage]], list[Passage]]
CANDIDATES = 50  # per side, before fusion
# A question that names a single topic word ("Wo fand das Treffen statt?") asks about the article's main event,
# which news reports in the opening paragraph (inverted pyramid): the opening chunk gets this share of the best
# score on top. Questions naming more leave ranking to the terms.
LEAD_PRIOR = 0.5
# A digest of a period reads at most this many chunks per article it shows (articles have 3-4 chunks).
DIGEST_CHUNKS = 4
# The relevance floor judges the best five passages, whatever k is: the floor means the same for every --k,
# and more passages would only add chances of a match by accident.
JUDGED = 5


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
        self.best_sentence_weight = self.profile.best_sentence_weight
        self.proximity_weight = self.profile.proximity_weight

    @property
    def sentences(self) -> SentenceVectors:
        """The stored sentence vectors of the store's model (`rag.sentence_vectors`)."""
        return sentence_vectors(self.settings.home, self.store.embedder)

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
        lead_prior = LEAD_PRIOR if len(terms(question_words(query))) <= 1 else 0.0
        cap = per_article or self.article_cap(k)
        near = self._proximity(query, ranked, known, trust, lexical)
        fused = self._materialise(ranked, known, k, cap, lead_prior, catalog, prefer_recent, near=near)
        passages = fused
        # Where words cannot rank the chunks (a question in another language, or in other words than the text's),
        # the meaning of their single sentences joins: in proportion to the lexical side's want of trust.
        sentence_weight = self.best_sentence_weight * (1.0 - trust)
        if vector is not None and sentence_weight > 0:
            passages = self._materialise(ranked, known, k, cap, lead_prior, catalog, prefer_recent, vector,
                                         sentence_weight, near)
        if merge:
            fused, passages = merge_neighbours(fused), merge_neighbours(passages)
        # Judged on what fusion found, as the judge was fitted (the best sentences only reorder it), and before
        # the context is added: more text would match more by chance.
        evidence = self._evidence(query, fused[:JUDGED], dense_hits, lexical)
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
        ids, mentioning = lexical.reported(filters.since_day, filters.until_day, filters.sources,
                                           limit * DIGEST_CHUNKS)
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
        cross_lingual = detect_language(query) != detect_language(passage.text)
        names = self._missing_names(query, [passage], cross_lingual)
        if not retrieval.cosines:
            return self.judge.relevance(Evidence(coverage, missing_names=names))
        outside = min(retrieval.cosines.values())  # outside the dense candidates: no closer than the last
        cosine = max(retrieval.cosines.get(c, outside) for c in passage.chunk_ids)
        # One passage: no best of many (chunks 0).
        return self.judge.relevance(Evidence(coverage, cosine, cross_lingual, missing_names=names))

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
        if not judged:
            return Evidence(coverage)
        cross_lingual = detect_language(query) != detect_language(judged[0].text)
        names = self._missing_names(query, judged, cross_lingual)
        if not dense_hits:
            return Evidence(coverage, missing_names=names)
        # A chunk outside the dense candidates is no closer than the last of them.
        floor = min(hit[0] for hit in dense_hits.values())
        cosine = max(dense_hits[c][0] if c in dense_hits else floor for p in judged for c in p.chunk_ids)
        return Evidence(coverage, cosine, cross_lingual, len(lexical), names)

    @staticmethod
    def _missing_names(query: str, passages: list[Passage], cross_lingual: bool) -> tuple[str, ...]:
        """`rag.names.missing_names` for a German question over German passages (the tagger reads German); a
        passage names what its article's title and its subheading name too."""
        if cross_lingual or detect_language(query) != "de":
            return ()
        return missing_names(query, [f"{p.title}\n{p.subheading}\n{p.text}" for p in passages])

    def _with_context(self, passages: list[Passage]) -> list[Passage]:
        texts = self.store.article_texts([p.article_id for p in passages])
        return [with_context(p, texts[p.article_id]) if p.article_id in texts else p for p in passages]

    def article_cap(self, k: int) -> int:
        """RAG_PER_ARTICLE of RAG_TOP_K passages may come from one article; in proportion for other k."""
        return max(1, round(self.settings.per_article * k / self.settings.top_k))

    def _lexical(self, lexical: LexicalIndex, query: str, filters: Filters) -> dict[str, float]:
        mask = lexical.filter_mask(since=filters.since_day, until=filters.until_day, sources=filters.sources,
                                   events=filters.events)
        return dict(lexical.search(question_words(query), CANDIDATES, mask))

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

    def _by_best_sentence(self, candidates: list[Passage], vector: np.ndarray, weight: float) -> list[Passage]:
        """Candidates re-scored with their best sentence's cosine (times `weight`, spread from the lowest among
        them, 0, to the highest, 1, as the dense side is): a chunk whose one sentence answers the question reads
        less close as a whole than it is. Only when every candidate's sentences are stored: one without would be
        ranked down for want of vectors (articles another client of a Chroma server ingested)."""
        if not weight or len(candidates) < 2:
            return candidates
        found = _best_sentence_cosines(candidates, self.sentences, vector)
        cosines = [c for c in found if c is not None]
        if len(cosines) < len(found):
            return candidates
        low, spread = min(cosines), (max(cosines) - min(cosines)) or 1.0
        scored = [replace(p, score=p.score + weight * (c - low) / spread)
                  for p, c in zip(candidates, cosines, strict=True)]
        return sorted(scored, key=lambda p: -p.score)

    def _proximity(self, query: str, ranked: list[tuple[str, float]],
                   known: dict[str, tuple[str, dict[str, Any]]], trust: float, lexical: LexicalIndex
                   ) -> Rescore | None:
        """Candidates re-scored by the share of the question one of their sentences holds (times the weight and
        the lexical side's trust, spread from the lowest among them, 0, to the highest, 1): news chunks that
        match the question's words in one sentence answer it more often than those matching them here and
        there. None for a question in another language than the best candidate (its words meet by chance)."""
        weight = self.proximity_weight * trust
        if not weight or not ranked:
            return None
        if ranked[0][0] not in known:
            known.update(self.store.get_chunks([ranked[0][0]]))
        best = known.get(ranked[0][0])
        if best is None or detect_language(query) != detect_language(best[0]):
            return None

        known_shares: dict[str, float] = {}  # chunk id → share: fusion and its re-ranking ask for the same chunks

        def rescore(candidates: list[Passage]) -> list[Passage]:
            if len(candidates) < 2:
                return candidates
            fresh = [p for p in candidates if p.chunk_id not in known_shares]
            known_shares.update(zip([p.chunk_id for p in fresh],
                                    best_sentence_coverage(query, [p.text for p in fresh], lexical), strict=True))
            shares = [known_shares[p.chunk_id] for p in candidates]
            low, spread = min(shares), (max(shares) - min(shares)) or 1.0
            scored = [replace(p, score=p.score + weight * (share - low) / spread)
                      for p, share in zip(candidates, shares, strict=True)]
            return sorted(scored, key=lambda p: -p.score)

        return rescore

    def _materialise(self, ranked: list[tuple[str, float]], known: dict[str, tuple[str, dict[str, Any]]],
                     k: int, per_article: int, lead_prior: float = 0.0,
                     catalog: dict[str, Any] | None = None, prefer_recent: bool = False,
                     vector: np.ndarray | None = None, sentence_weight: float = 0.0,
                     near: Rescore | None = None) -> list[Passage]:
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
        if vector is not None:
            candidates = self._by_best_sentence(candidates, vector, sentence_weight)
        if near is not None:
            candidates = near(candidates)
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


def _best_sentence_cosines(passages: list[Passage], stored: SentenceVectors, vector: np.ndarray
                           ) -> list[float | None]:
    """Per passage, the highest cosine of one of its sentences with the question, from the stored vectors only
    (None where none is stored: nothing is embedded at question time)."""
    sentences = [[p.text[a:b] for a, b in sentence_spans(p.text)] for p in passages]
    known = stored.known({s for group in sentences for s in group})
    return [max((float(known[s] @ vector) for s in group if s in known), default=None) for group in sentences]


def _committed(meta: dict[str, Any], catalog: dict[str, Any] | None) -> bool:
    """Whether a chunk belongs to the article version the registry holds (a lexical index being rebuilt may
    still name chunks of a replaced version until Chroma's old chunks are deleted)."""
    if catalog is None:
        return True
    info = catalog.get(str(meta.get("article_id")))
    return info is not None and info.version == meta.get("version")


# Filters and passages live in their own modules; their names stay importable from here.
__all__ = ["CANDIDATES", "CAP_YIELD", "CONTEXT_CHARS", "CONTEXT_SENTENCES", "EVENT_DAYS_LISTED", "JUDGED",
           "LEAD_PRIOR", "SAME_STORY", "Filters", "Passage", "Retrieval", "Retriever", "merge_neighbours",
           "newest_first", "one_copy_per_story", "with_context"]
