"""The answerability judgement and the fusion's trust in the lexical side (fake embedder, real Chroma)."""

from __future__ import annotations

import pytest

from ingest import ingest_articles
from rag.config import Settings
from rag.profiles import E5, NEUTRAL, profile_for
from rag.relevance import CoverageJudge, Evidence, FittedJudge, Logistic
from rag.retrieve import Retriever
from rag.schema import Article
from rag.store import Store
from rag.text import analyze
from tests.articles import bahn, mars, wein
from tests.fakes import FakeEmbedder


def test_logistic_rises_with_either_kind_of_evidence() -> None:
    model = Logistic(intercept=-10.0, coverage=5.0, cosine=10.0)
    assert model.probability(0.2, 0.5) < model.probability(0.8, 0.5) < model.probability(0.8, 0.9)
    assert 0.0 < model.probability(-100, -100) < 1e-20 and model.probability(100, 100) == pytest.approx(1.0)


def test_fitted_judge_uses_the_cross_lingual_model_for_questions_in_another_language() -> None:
    judge = FittedJudge(same=Logistic(-10, 10, 0), cross=Logistic(-10, 0, 12), floor=0.5)
    english = Evidence(coverage=0.05, cosine=0.9, cross_lingual=True)
    assert judge.relevance(english) > 0.5  # meaning carries it, though no German word matches
    assert judge.relevance(Evidence(coverage=0.05, cosine=0.9)) < 0.5  # the same evidence in German: too thin
    assert judge.relevance(Evidence(coverage=0.7)) == 0.7  # no dense side: coverage alone


def test_the_same_evidence_means_more_in_a_smaller_corpus() -> None:
    """Few passages compete to match by chance in a corpus of one article; beyond the sizes the judge was
    fitted on, a corpus reads as the nearest of them, and an unknown size as the largest."""
    judge = FittedJudge(same=Logistic(-60, 8, 68, size=-0.2), cross=Logistic(-69, 5, 88, size=-0.3), floor=0.24,
                        sizes=(6, 5510))
    evidence = Evidence(coverage=0.45, cosine=0.83)
    one_article = judge.relevance(Evidence(0.45, 0.83, chunks=19))
    assert one_article > judge.relevance(Evidence(0.45, 0.83, chunks=5510)) == judge.relevance(evidence)
    assert judge.relevance(Evidence(0.45, 0.83, chunks=300_000)) == judge.relevance(evidence)
    assert judge.relevance(Evidence(0.45, 0.83, chunks=2)) == judge.relevance(Evidence(0.45, 0.83, chunks=6))


def test_coverage_judge_keeps_the_measured_floor() -> None:
    assert CoverageJudge().relevance(Evidence(0.42, 0.8)) == 0.42 and CoverageJudge().floor == 0.40


def test_profiles_follow_the_model_of_the_index() -> None:
    assert profile_for("multilingual-e5-small") is E5 and profile_for("intfloat/multilingual-e5-small") is E5
    assert profile_for("some/other-model") is NEUTRAL
    assert E5.sentence_weight is not None and NEUTRAL.sentence_weight is None


def test_min_relevance_setting_overrides_the_judges_floor(settings: Settings) -> None:
    store = Store(settings, FakeEmbedder())
    assert Retriever(store).floor == 0.40  # the fake has no fitted judge: coverage floor
    assert Retriever(Store(settings.model_copy(update={"min_relevance": 0.6}), FakeEmbedder())).floor == 0.6


SEPSIS = Article(id="medizin", title="Medizin", text=(
    "Eine Blutvergiftung entsteht, wenn eine Infektion auf den ganzen Körper übergreift. Sie ist ein Notfall "
    "und muss sofort im Krankenhaus behandelt werden."))
DISTRACTORS = [Article(id=f"meldung-{i}", title=f"Meldung {i}", text=f"Was ist los in der Gemeinde {i}? Der "
                       f"Bürgermeister eröffnet am Montag die neue Schule. Die Eltern sehen sie mit Skepsis.")
               for i in range(6)]


def test_dense_side_decides_when_the_question_word_is_not_in_the_corpus(settings: Settings) -> None:
    """'Sepsis' occurs nowhere; a model that knows it means 'Blutvergiftung' finds the article. BM25 still
    ranks chance matches (the 4-grams of "Skepsis"), but its best hit covers little of the question, so it
    is not trusted over the dense side."""
    [sepsis] = analyze("Sepsis")
    [blood] = analyze("Blutvergiftung")
    store = Store(settings, FakeEmbedder(dimension=1024, synonyms={sepsis: blood}))  # wide: little chance overlap
    ingest_articles([SEPSIS, *DISTRACTORS, bahn(), wein(), mars()], store=store)
    retriever = Retriever(store, dense_weight=0.35)
    found = retriever.retrieve("Was ist Sepsis?", k=3)
    assert found.passages[0].article_id == "medizin"
    assert found.evidence is not None and found.evidence.coverage < 0.5
    trusting = Retriever(store, dense_weight=0.35)
    trusting._lexical_trust = lambda *args: 1.0  # type: ignore[method-assign]  # the old fusion: BM25 always trusted
    assert trusting.retrieve("Was ist Sepsis?", k=3).passages[0].article_id != "medizin"
