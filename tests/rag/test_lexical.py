"""The lexical index changes per article: contract tests on both stores, and its scores against plain BM25."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ingest import ingest_articles, remove
from rag.config import Settings
from rag.lexical import GRAM_WEIGHT, LexicalDoc, LexicalIndex
from rag.lexical_files import LexicalFiles
from rag.schema import Article
from rag.store import Store
from rag.text import analyze, char_grams
from tests.fakes import FakeEmbedder

BOTH_STORES = True


def article(article_id: str, topic: str, version: str = "eins") -> Article:
    text = " ".join(f"Satz {j} über {topic} in der Fassung {version}, mit Angaben zum Ablauf." for j in range(12))
    return Article(id=article_id, title=f"Meldung {article_id}", text=text, source="Testblatt")


class RecordingFiles(LexicalFiles):
    """Records what each sync hands to the index: the articles of the added documents and the dropped ids."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.calls: list[tuple[set[str], set[str]]] = []

    def apply(self, docs: Any, drop: Any, versions: dict[str, str], generation: str) -> None:
        docs = list(docs)
        self.calls.append(({d.article_id for d in docs}, set(drop)))
        super().apply(docs, drop, versions, generation)


def recording(store: Store) -> RecordingFiles:
    files = RecordingFiles(store.lexical_dir)
    store._lexical_files = files
    return files


def article_of(store: Store, chunk_id: str) -> str:
    return str(store.get_chunks([chunk_id])[chunk_id][1]["article_id"])


def test_adds_replacements_and_removals_touch_only_the_changed_articles(store: Store) -> None:
    ingest_articles([article("hafen", "den Hafen von Triest"), article("wein", "die Weinlese")], store=store)
    files = recording(store)
    ingest_articles([article("zug", "den Nachtzug nach Wien")], store=store)
    assert files.calls == [({"zug"}, {"zug"})]  # a new article is deleted first too: idempotent
    ingest_articles([article("hafen", "den Hafen von Triest", "zwei")], store=store)
    assert files.calls[-1] == ({"hafen"}, {"hafen"})  # the old version's documents out, the new one's in
    remove(["wein"], store=store)
    assert files.calls[-1] == (set(), {"wein"})
    lexical = store.lexical()
    assert {a for _, a in lexical.documents()} == {"hafen", "zug"}
    assert lexical.versions["hafen"] == article("hafen", "den Hafen von Triest", "zwei").hash
    assert article_of(store, lexical.search("Nachtzug Wien", 3)[0][0]) == "zug"


def test_another_process_syncs_by_difference(settings: Settings, tmp_path: Path) -> None:
    """A reader with its own lexical index (its own RAG_HOME on a server; the same files when embedded) picks
    up another writer's article by indexing that article alone."""
    writer = Store(settings, FakeEmbedder())
    ingest_articles([article("hafen", "den Hafen von Triest")], store=writer)
    home = tmp_path / "reader-home" if settings.chroma_url else settings.home
    reader = Store(settings.model_copy(update={"home": home}), FakeEmbedder())
    assert {a for _, a in reader.lexical().documents()} == {"hafen"}
    files = recording(reader)
    ingest_articles([article("zug", "den Nachtzug nach Wien")], store=Store(settings, FakeEmbedder()))
    hits = reader.lexical().search("Nachtzug", 3)
    assert hits and article_of(reader, hits[0][0]) == "zug"
    # embedded, the writer synced the shared files already: the reader only reloads them
    assert files.calls == ([] if not settings.chroma_url else [({"zug"}, {"zug"})])


def test_a_rebuild_starts_from_nothing(store: Store) -> None:
    ingest_articles([article("hafen", "den Hafen von Triest"), article("zug", "den Nachtzug")], store=store)
    before = sorted(store.lexical().documents())
    rebuilt = store.rebuild_lexical()
    assert sorted(rebuilt.documents()) == before  # each chunk once, not twice


def reference_bm25(docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 as bm25s's "lucene" method computed it, written out."""
    n = len(docs)
    avg = sum(map(len, docs)) / n
    df = Counter(t for d in docs for t in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        norm = k1 * (1 - b + b * len(d) / avg)
        out.append(sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] / (tf[t] + norm)
                       for t in query if t in df))
    return out


def test_scores_are_bm25_per_side_divided_by_the_best(tmp_path: Path) -> None:
    texts = ["Der Hafen von Triest wird ausgebaut.", "Triest und Wien verbindet ein Nachtzug.",
             "Die Weinlese in der Wachau beginnt.", "Im Hafen von Hamburg liegen Containerschiffe.",
             "Hafenarbeiter streiken in Triest für höhere Löhne."]  # short: tantivy stores such lengths exactly
    files = LexicalFiles(tmp_path / "lex")
    docs = [LexicalDoc(f"c{i}", t, f"a{i}", 0, "x") for i, t in enumerate(texts)]
    with files.locked():
        files.apply(docs, [], {d.article_id: "v" for d in docs}, "g")
    index: LexicalIndex = files.snapshot("g", {})
    query = "Hafen in Triest"
    words = reference_bm25([analyze(t) for t in texts], analyze(query))
    grams = reference_bm25([char_grams(t) for t in texts], char_grams(query))
    expected = [(w / max(words) + GRAM_WEIGHT * g / max(grams)) / (1 + GRAM_WEIGHT) for w, g in zip(words, grams,
                                                                                                     strict=True)]
    got = dict(index.search(query, 5))
    assert got == pytest.approx({f"c{i}": e for i, e in enumerate(expected) if e > 0}, rel=1e-4)


def test_a_misspelt_question_word_counts_as_the_indexed_words_one_edit_from_it(tmp_path: Path) -> None:
    """"Welche Partei bevorzugen Bedigo und Geelong?" — the article writes "Bendigo"."""
    texts = ["Labour ist in Ballarat, Bendigo und Geelong am stärksten.", "Die Liberals gewinnen in Melbourne.",
             "Bendigo liegt im Norden.", "Im Hafen von Hamburg liegen Containerschiffe."]
    files = LexicalFiles(tmp_path / "lex")
    docs = [LexicalDoc(f"c{i}", t, f"a{i}", 0, "x") for i, t in enumerate(texts)]
    with files.locked():
        files.apply(docs, [], {d.article_id: "v" for d in docs}, "g")
    index: LexicalIndex = files.snapshot("g", {})
    assert index.near_terms("bedigo") == ["bendigo"]
    assert index.near_terms("hafn") == []  # too short: one letter makes another word
    assert index.near_terms("xendigo") == []  # a typo in the first letter is not looked for
    misspelt, right = index.search("Bedigo", 4), index.search("Bendigo", 4)
    assert [cid for cid, _ in misspelt] == [cid for cid, _ in right] == ["c2", "c0"]
    # Without the near spelling, only the character 4-grams "digo", "igo_" would find them; with it the word side
    # scores them as well (each side is divided by its best, so the credit shows against other words only).
    assert dict(index.search("Bedigo Melbourne", 4))["c2"] > dict(index.search("Xyzdigo Melbourne", 4))["c2"]
