"""Hybrid retrieval with the fake embedder: fusion, filters, the per-article cap, merging, the floor."""

from __future__ import annotations

import pytest

from ingest import ingest_articles
from rag.config import Settings
from rag.errors import ConfigError
from rag.relevance import (
    IdfTable,
    _weighted_share,
    _word_share,
    best_sentence_coverage,
    lexical_idf,
    query_coverage,
)
from rag.retrieve import (
    CONTEXT_CHARS,
    Filters,
    Passage,
    Retriever,
    merge_neighbours,
    with_context,
)
from rag.store import Store
from rag.text import terms
from tests.articles import bahn, mars, wein
from tests.fakes import FakeEmbedder

BOTH_STORES = True  # one suite, two stores: embedded PersistentClient and a `chroma run` server


@pytest.fixture
def indexed(store: Store) -> Store:
    ingest_articles([bahn(), wein(), mars()], store=store)
    return store


def test_lexical_and_dense_are_fused(indexed: Store) -> None:
    retriever = Retriever(indexed, dense_weight=0.5)
    result = retriever.retrieve("Warum streikt die Gewerkschaft GDL?", k=3)
    assert result.passages[0].article_id == "bahn-preise"
    assert "GDL" in result.passages[0].text
    assert {"lexical", "dense", "embed", "fusion"} <= set(result.timings)
    assert result.relevance > 0.5


def test_dense_only_and_lexical_only_both_work(indexed: Store) -> None:
    lexical = Retriever(indexed, dense_weight=0.0).retrieve("Proben vom Mars", k=2)
    dense = Retriever(indexed, dense_weight=1.0, lexical_weight=0.0).retrieve("Proben vom Mars", k=2)
    assert lexical.passages[0].article_id == dense.passages[0].article_id == "mars-proben"
    assert "dense" not in lexical.timings


def test_date_and_source_filters(indexed: Store) -> None:
    retriever = Retriever(indexed, dense_weight=0.3)
    only_2021 = retriever.retrieve("Preis", k=5, filters=Filters(since="2021-01-01", until="2021-12-31"))
    assert {p.article_id for p in only_2021.passages} == {"wachau-wein"}
    weinpost = retriever.retrieve("Preis", k=5, filters=Filters(sources=("Weinpost",)))
    assert {p.source for p in weinpost.passages} == {"Weinpost"}
    since_2024 = retriever.retrieve("Preis Kosten", k=5, filters=Filters(since="2024-01-01"))
    assert {p.article_id for p in since_2024.passages} <= {"mars-proben"}


def test_bad_date_filter_says_what_to_write() -> None:
    with pytest.raises(ConfigError, match="2022-01-21"):
        Filters(since="gestern")


def test_per_article_cap_makes_room_for_other_articles(settings: Settings) -> None:
    store = Store(settings.model_copy(update={"chunk_size": 150, "chunk_overlap": 0}), FakeEmbedder())
    ingest_articles([bahn(), wein(), mars()], store=store)
    capped = Retriever(store, dense_weight=0.0).retrieve("Prozent Euro Preis Bahn Jahr", k=4, per_article=1,
                                                         merge=False)
    ids = [p.article_id for p in capped.passages]
    assert len(set(ids)) >= 2
    assert ids.count("bahn-preise") <= max(1, 4 - len(set(ids) - {"bahn-preise"}))


def test_cap_fills_up_when_only_one_article_matches(indexed: Store) -> None:
    result = Retriever(indexed, dense_weight=0.0).retrieve("GDL Streiks Lohnausgleich Schienennetz Fernzüge",
                                                           k=3, per_article=1, merge=False)
    assert [p.article_id for p in result.passages].count("bahn-preise") >= 2


def test_cap_yields_only_to_real_alternatives(store: Store) -> None:
    """Two strong chunks of article a, a fair one of b and a weak one of c: with one slot per article, a's
    second chunk takes the slot that c's weak chunk (less than half its score) would have had."""
    scores = {"a1": 1.0, "a2": 0.95, "b1": 0.6, "c1": 0.3}
    known = {cid: (f"Text {cid}.", {"article_id": cid[0], "start": 0, "end": 9}) for cid in scores}
    chosen = Retriever(store)._materialise(list(scores.items()), known, k=3, per_article=1)
    assert [p.chunk_id for p in chosen] == ["a1", "a2", "b1"]
    scores["c1"] = 0.5  # now c is an alternative to a's second chunk
    chosen = Retriever(store)._materialise(list(scores.items()), known, k=3, per_article=1)
    assert [p.chunk_id for p in chosen] == ["a1", "b1", "c1"]


def test_a_chunk_holding_the_question_in_one_sentence_ranks_first(store: Store) -> None:
    """Proximity: two chunks hold the same question words; one in a sentence, the other here and there."""
    spread = "Der Hafen wird größer. Viele Schiffe kommen an. In Triest regnet es oft."
    together = "Der Hafen von Triest wird größer. Viele Schiffe kommen an. Es regnet oft."
    known = {cid: (text, {"article_id": cid[0], "start": 0, "end": len(text)})
             for cid, text in (("a1", spread), ("b1", together))}
    ranked = [("a1", 1.0), ("b1", 0.98)]
    retriever = Retriever(store)
    retriever.proximity_weight = 0.5
    lexical = store.snapshot()[0]
    question = "Wird der Hafen von Triest größer?"
    near = retriever._proximity(question, ranked, known, 1.0, lexical)
    assert near is not None
    assert [p.chunk_id for p in retriever._materialise(ranked, known, k=2, per_article=1, near=near)] == ["b1", "a1"]
    assert [p.chunk_id for p in retriever._materialise(ranked, known, k=2, per_article=1)] == ["a1", "b1"]
    # Words of another language meet by chance; an untrusted lexical side or no weight: no proximity.
    assert retriever._proximity("Is the port of Trieste growing bigger these days?", ranked, known, 1.0,
                                lexical) is None
    assert retriever._proximity(question, ranked, known, 0.0, lexical) is None
    retriever.proximity_weight = 0.0
    assert retriever._proximity(question, ranked, known, 1.0, lexical) is None


def test_best_sentence_coverage_is_the_share_one_sentence_holds(indexed: Store) -> None:
    lexical = indexed.lexical()
    shares = best_sentence_coverage("Hafen Triest", ["Der Hafen wächst. Triest jubelt.", "Triest baut den Hafen.",
                                                     "Wien feiert."], lexical)
    assert shares[1] == pytest.approx(1.0) and shares[2] == 0.0
    assert 0.0 < shares[0] < 1.0


def _passage(text: str, start: int, end: int) -> Passage:
    return Passage("c1", "a", "Titel", "Blatt", "", "", text[start:end], start, end, "", 1.0, ("c1",))


def test_passage_runs_on_to_the_end_of_its_paragraph() -> None:
    article = ("Die Studie nennt zwei Stämme. Diese wurden als Y. p. orientalis identifiziert. Dritter Satz. "
               "Vierter Satz.\n\nNeuer Absatz.")
    first = _passage(article, 0, article.index(" Diese"))
    extended = with_context(first, article)
    assert extended.text == article[: article.index(" Vierter")]  # two sentences more, at most
    assert (extended.start, extended.end) == (0, len(extended.text))
    last = _passage(article, article.index("Dritter"), article.index(" Vierter"))
    assert with_context(last, article).text.endswith("Vierter Satz.")  # never into the next paragraph


def test_context_is_bounded_and_needs_the_same_article_text() -> None:
    long_sentence = "Lang " + "und lang " * (CONTEXT_CHARS // 9) + "endet er."
    article = f"Kurzer Satz. {long_sentence}"
    first = _passage(article, 0, len("Kurzer Satz."))
    assert with_context(first, article) == first  # the next sentence alone is longer than CONTEXT_CHARS
    assert with_context(first, "Anderer Text. Ganz anders.") == first  # replaced meanwhile: left as found


def test_unknown_compound_counts_by_its_parts() -> None:
    idf = IdfTable({"tourist": 4.0, "streck": 2.0, "zwei": 1.0, "spur": 3.0})
    weights = {"touristenstreck": idf.top, "zwei": 1.0}
    parts = {"touristenstreck": idf.parts("touristenstreck")}
    assert parts["touristenstreck"] == ("tourist", "streck")
    both = _word_share(weights, parts, idf, {"tourist", "streck", "zwei"})
    one = _word_share(weights, parts, idf, {"tourist", "zwei"})
    none = _word_share(weights, parts, idf, {"zwei"})
    assert both == 1.0 and none == 1.0 / 5.0
    assert one == (1.0 + 4.0 * 4.0 / 6.0) / 5.0


def test_neighbouring_chunks_merge_into_one_passage() -> None:
    text = "Erster Satz hier. Zweiter Satz dort."
    meta = {"article_id": "a", "title": "t", "start": 0, "end": 17}
    first = Passage.from_chunk("c1", text[:17], meta, 0.9)
    second = Passage.from_chunk("c2", text[18:], {**meta, "start": 18, "end": len(text)}, 0.5)
    other = Passage.from_chunk("c3", "Anderes.", {**meta, "article_id": "b", "end": 8}, 0.7)
    merged = merge_neighbours([first, other, second])
    assert [p.article_id for p in merged] == ["a", "b"]
    assert merged[0].text == text and (merged[0].start, merged[0].end) == (0, len(text))
    assert merged[0].chunk_ids == ("c1", "c2") and merged[0].score == 0.9


def test_relevance_is_low_for_absent_topics(indexed: Store) -> None:
    retriever = Retriever(indexed, dense_weight=0.2)
    assert retriever.retrieve("Wie viele Tore schoss Bayern München?").relevance < 0.3
    assert retriever.retrieve("Wann kommen die Mars-Proben zur Erde?").relevance >= 0.6


def test_relevance_credits_compound_paraphrase(indexed: Store) -> None:
    """"Schienensanierung" is not a word of the article, but its parts are ("Schienennetz", "saniert"): the
    4-gram half of the measure sees that, the word half does not."""
    lexical = indexed.lexical()
    text = next(p.text for p in Retriever(indexed).retrieve("Pünktlichkeit der Bahn", k=5).passages
                if "saniert" in p.text)
    question = "Bis wann dauert die Schienensanierung?"
    words_only = _weighted_share(terms(question), terms(text), lexical_idf(lexical))
    assert words_only == 0.0
    assert query_coverage(question, text, lexical) > 0.15


def test_empty_index_retrieves_nothing(store: Store) -> None:
    result = Retriever(store).retrieve("Irgendwas?")
    assert result.passages == [] and result.relevance == 0.0
