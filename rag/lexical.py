"""The German lexical (BM25) index kept beside Chroma: a tantivy index, changed per article.

Two text fields hold newsrag's own analysis, pre-tokenized and joined by spaces (tantivy's "whitespace"
tokenizer splits them back unchanged): `words` the stems of `rag.text.analyze`, `grams` the character 4-grams of
`rag.text.char_grams`. Tantivy scores each field with BM25 (k1 1.2, b 0.75, Lucene's IDF: the numbers bm25s
used); the combination below matches the previous bm25s index's. The filter fields (publication day, outlet,
mentioned days) are indexed, so a filter is a query rather than a mask array over all documents.

This module is the reading side: `LexicalIndex` is one searcher, a snapshot that later commits do not change.
Writing (per-article adds and deletes, the sync state) is `rag.lexical_files`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from rag.text import COMPOUND_CREDIT, SPELLING_MIN, analyze, char_grams, one_edit_apart

# The n-gram side's weight against the word side (1.0), measured on the XQuAD-de dev set with the 10kGNAD
# distractors: recall@1 0.90 → 0.94 and recall@5 0.946 → 0.975 over words alone (README, "Retrieval quality").
GRAM_WEIGHT = 2.0
WORDS, GRAMS = "words", "grams"
# A question word the index does not know may be misspelt ("Bedigo" asked, "Bendigo" written): it stands for the
# known words one edit from it that begin with its letter (a typo rarely hits the first), each at
# COMPOUND_CREDIT, at most this many, the most frequent first.
NEAR_TERMS = 3


@dataclass(frozen=True)
class LexicalDoc:
    chunk_id: str
    text: str
    article_id: str
    published_day: int
    source: str
    event_days: tuple[int, ...] = ()  # days the chunk mentions (`Chunk.event_days`)


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("article_id", stored=True, tokenizer_name="raw")  # the unit of deletes
    builder.add_text_field(WORDS, tokenizer_name="whitespace", index_option="freq")  # BM25 needs no positions
    builder.add_text_field(GRAMS, tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("published_day", stored=True, indexed=True, fast=True)
    builder.add_text_field("source", tokenizer_name="raw")  # casefolded, for the outlet filter
    builder.add_integer_field("event_days", indexed=True)  # one value per mentioned day
    return builder.build()


def document(doc: LexicalDoc) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("chunk_id", doc.chunk_id)
    out.add_text("article_id", doc.article_id)
    out.add_text(WORDS, " ".join(analyze(doc.text)))
    out.add_text(GRAMS, " ".join(char_grams(doc.text)))
    out.add_integer("published_day", int(doc.published_day))
    out.add_text("source", doc.source.casefold())
    for day in doc.event_days:
        out.add_integer("event_days", int(day))
    return out


def bm25_idf(doc_freq: float, docs: float) -> float:
    """Lucene's BM25 IDF, the one tantivy scores with (and bm25s did)."""
    return math.log(1 + (docs - doc_freq + 0.5) / (doc_freq + 0.5))


class LexicalIndex:
    """One snapshot of the index: search, filters, periods and document frequencies."""

    def __init__(self, index: tantivy.Index | None, generation: str, versions: dict[str, str]) -> None:
        self.index = index
        self.generation = generation
        self.versions = versions  # article id → the version whose chunks this snapshot holds
        self.searcher = index.searcher() if index is not None else None
        self.schema = index.schema if index is not None else None
        self._near: dict[str, list[str]] = {}  # word → its near spellings in this snapshot

    def __len__(self) -> int:
        return self.searcher.num_docs if self.searcher is not None else 0

    @property
    def article_ids(self) -> list[str]:
        return sorted(self.versions)

    def documents(self) -> list[tuple[str, str]]:
        """(chunk id, article id) of every document the snapshot holds, read from the index itself (a check for
        tests and `newsrag status`, linear in the index size)."""
        if self.searcher is None or not len(self):
            return []
        hits = self.searcher.search(tantivy.Query.all_query(), len(self), count=False).hits
        docs = [self.searcher.doc(address) for _, address in hits]
        return [(str(d.get_first("chunk_id")), str(d.get_first("article_id"))) for d in docs]

    def doc_freq(self, field: str, term: str) -> int:
        return self.searcher.doc_freq(field, term) if self.searcher is not None else 0

    # --- filters: queries that score 0, so they change which documents count but not their scores
    def filter_mask(self, *, since: int = 0, until: int = 0, sources: Sequence[str] | None = None,
                    events: bool = False) -> tantivy.Query | None:
        """The documents the filters keep, as a query, or None when nothing is filtered. With `events`, a
        document is in the date range also when it mentions a day in it (undated documents stay: `Filters`)."""
        if not (since or until or sources) or self.schema is None:
            return None
        must: list[tantivy.Query] = []
        if since or until:
            published = self._day_range("published_day", since, until)
            if events:
                published = tantivy.Query.boolean_query([
                    (tantivy.Occur.Should, published),
                    (tantivy.Occur.Should, self._day_range("published_day", 0, 0, exact=0)),
                    (tantivy.Occur.Should, self._day_range("event_days", since, until)),
                ])
            must.append(published)
        if sources:
            must.append(self._sources(sources))
        joined = must[0] if len(must) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])
        return tantivy.Query.const_score_query(joined, 0.0)

    def _day_range(self, field: str, since: int, until: int, *, exact: int | None = None) -> tantivy.Query:
        """Days in since..until, as `_in_range` did: with an upper bound, undated (0) documents fall out."""
        if exact is not None:
            low, high = exact, exact
        else:
            low = since if since else (1 if until else None)
            high = until if until else None
        if low is None and high is None:
            return tantivy.Query.all_query()
        return tantivy.Query.range_query(self.schema, field, tantivy.FieldType.Integer, low, high)

    def _sources(self, sources: Sequence[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self.schema, "source", sorted({s.casefold() for s in sources}))

    # --- scoring
    def search(self, query: str, k: int, mask: tantivy.Query | None = None) -> list[tuple[str, float]]:
        """(chunk id, score in 0..1) of the best k documents with a positive score: the word and n-gram BM25
        scores, each divided by its best among the documents the mask keeps, weighted 1 : GRAM_WEIGHT."""
        if self.searcher is None or not len(self):
            return []
        sides: list[tantivy.Query] = []
        for field, tokens, weight in ((WORDS, analyze(query), 1.0), (GRAMS, char_grams(query), GRAM_WEIGHT)):
            side = self._terms(field, tokens)
            best = self._best(side, mask) if side is not None else 0.0
            if best > 0:
                sides.append(tantivy.Query.boost_query(side, weight / best / (1.0 + GRAM_WEIGHT)))
        if not sides:
            return []
        combined = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in sides])
        found = self.searcher.search(self._within(combined, mask), k, count=False).hits
        return [(self._chunk_id(address), float(score)) for score, address in found if score > 0]

    def _terms(self, field: str, tokens: list[str]) -> tantivy.Query | None:
        """A sum of BM25 term scores; a token repeated in the question counts as often as it is repeated. On the
        word side, a token the index lacks counts as its near spellings (`near_terms`)."""
        clauses: list[tantivy.Query] = []
        for token in tokens:
            if self.doc_freq(field, token):
                clauses.append(tantivy.Query.term_query(self.schema, field, token))
            elif field == WORDS:
                clauses += [tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, field, near),
                                                      COMPOUND_CREDIT) for near in self.near_terms(token)]
        if not clauses:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in clauses])

    def near_terms(self, token: str) -> list[str]:
        """The indexed words one edit from a word the index lacks, same first letter, most frequent first
        (`NEAR_TERMS`); none for words shorter than SPELLING_MIN, where one letter makes another word."""
        if self.searcher is None or len(token) < SPELLING_MIN:
            return []
        found = self._near.get(token)
        if found is None:
            listed = self.searcher.terms_with_prefix(WORDS, token[0])
            found = [term for term, _ in listed if one_edit_apart(token, term)][:NEAR_TERMS]
            self._near[token] = found
        return found

    def _within(self, query: tantivy.Query, mask: tantivy.Query | None) -> tantivy.Query:
        if mask is None:
            return query
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, mask)])

    def _best(self, side: tantivy.Query, mask: tantivy.Query | None) -> float:
        hits = self.searcher.search(self._within(side, mask), 1, count=False).hits  # type: ignore[union-attr]
        return float(hits[0][0]) if hits else 0.0

    def _chunk_id(self, address: tantivy.DocAddress) -> str:
        return str(self.searcher.doc(address).get_first("chunk_id"))  # type: ignore[union-attr]

    # --- periods
    def reported(self, since: int, until: int, sources: Sequence[str] | None, limit: int
                 ) -> tuple[list[str], set[str]]:
        """Chunks of a period, at most `limit`: those that mention a day of it first, then those published in
        it, each newest first; and which of them mention it."""
        if self.searcher is None or not len(self):
            return [], set()
        mentions = self._day_range("event_days", since, until)
        published = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, self._day_range("published_day", since, until)),
            (tantivy.Occur.Must, self._day_range("published_day", 1, 0)),
            (tantivy.Occur.MustNot, mentions),
        ])
        ordered: list[str] = []
        mentioning: set[str] = set()
        for kind, query in (("mentions", mentions), ("published", published)):
            if sources:
                query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query),
                                                     (tantivy.Occur.Must, self._sources(sources))])
            room = limit - len(ordered)
            if room <= 0:
                break
            hits = self.searcher.search(query, room, count=False, order_by_field="published_day",
                                        order=tantivy.Order.Desc).hits
            ids = [self._chunk_id(address) for _, address in hits]
            if kind == "mentions":
                mentioning.update(ids)
            ordered += [i for i in ids if i not in ordered]
        return ordered, mentioning
