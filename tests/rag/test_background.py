"""The background of German word frequencies blended into the corpus's IDF (rag/background.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from rag import background
from rag.lexical import WORDS, LexicalIndex, bm25_idf
from rag.relevance import IdfTable, IndexIdf, question_weights
from rag.text import analyze, terms


class Counts:
    """A lexical index reduced to what IDF reads: its size and document frequencies."""

    def __init__(self, docs: int, df: dict[str, int]) -> None:
        self.docs, self.df = docs, df

    def __len__(self) -> int:
        return self.docs

    def doc_freq(self, field: str, term: str) -> int:
        return self.df.get(term, 0) if field == WORDS else 0


def table(docs: int, df: dict[str, int]) -> IndexIdf:
    return IndexIdf(cast(LexicalIndex, Counts(docs, df)), WORDS)


def term(word: str) -> str:
    [found] = analyze(word)
    return found


QUESTION = "Welche Rolle spielt Psaki?"


def test_the_fitted_background_is_in_force() -> None:
    assert background.BACKGROUND_DOCS > 0


def test_common_words_weigh_less_than_a_rare_name_on_a_one_chunk_corpus() -> None:
    """Before the background every word a one-chunk corpus lacks weighed as its rarest: "Rolle" as "Psaki"."""
    idf = table(1, {term("Psaki"): 1})
    weights = question_weights(QUESTION, idf)
    assert set(weights) == terms(QUESTION)
    assert weights[term("Rolle")] < weights[term("Psaki")] / 1.5
    assert weights[term("spielt")] < weights[term("Psaki")] / 1.5
    assert weights[term("Psaki")] == pytest.approx(idf.blended(term("Psaki"), 0.0))


def test_a_large_corpus_keeps_its_own_statistics() -> None:
    """A corpus a hundred times the background: its counts decide, even against the general language (here
    "Psaki" is in every tenth chunk, more often than "Rolle")."""
    docs = 100 * int(max(background.BACKGROUND_DOCS, 1.0))
    counts = {"Rolle": docs // 200, "spielt": docs // 100, "Psaki": docs // 10}
    idf = table(docs, {term(word): df for word, df in counts.items()})
    weights = question_weights(QUESTION, idf)
    for word, df in counts.items():
        assert weights[term(word)] == pytest.approx(bm25_idf(df, docs), rel=0.05)
    assert weights[term("Rolle")] > weights[term("Psaki")]


def test_without_a_background_the_weights_are_the_corpus_idf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "BACKGROUND_DOCS", 0.0)
    idf = table(10, {term("Psaki"): 2, term("Rolle"): 5})
    assert question_weights(QUESTION, idf) == {t: idf.get(t, idf.top) for t in terms(QUESTION)}


def test_a_plain_table_has_no_counts_to_blend() -> None:
    idf = IdfTable({term("Psaki"): 3.0})
    assert question_weights(QUESTION, idf) == {term("Psaki"): 3.0, term("Rolle"): 3.0, term("spielt"): 3.0}


def test_a_term_takes_the_frequency_of_its_lemma_and_numbers_none() -> None:
    found = background.term_frequencies("Welche Rolle spielt Iran 2022 und Psaki?")
    assert found[term("spielt")] >= background.frequency("spielen") > 0
    assert found[term("Rolle")] > found[term("Iran")] > 0
    assert found[term("2022")] == 0.0 and found[term("Psaki")] == 0.0


def test_background_documents_saturate() -> None:
    """A word in every other pseudo-document cannot occur in more than all of them."""
    assert background.background_df(0.0, 1000.0) == 0.0
    assert background.background_df(1.0, 1000.0) == pytest.approx(1000.0)
    small: Any = background.background_df(1e-6, 1000.0)
    assert small == pytest.approx(1000.0 * 1e-6 * background.CHUNK_WORDS, rel=1e-3)


def test_a_question_in_another_language_is_weighed_by_its_list() -> None:
    english = background.term_frequencies("Who is Jen Psaki?", "en")
    assert english[term("Who")] > 100 * background.term_frequencies("Who is Jen Psaki?")[term("Who")]
    assert english[term("Psaki")] == 0.0
