from __future__ import annotations

import itertools

from ingest.chunk import chunk_article
from rag.schema import Article
from rag.text import sentence_spans
from tests.articles import BAHN_TEXT, bahn
from tests.conftest import SAMPLE


def test_chunks_are_exact_spans_of_the_article() -> None:
    article = Article(id="s", title="t", text=SAMPLE.read_text(encoding="utf-8"))
    chunks = chunk_article(article, size=500, overlap=100)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert len(chunk.text) <= 500
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_chunks_end_at_sentence_ends_and_cover_all_text() -> None:
    article = Article(id="s", title="t", text=SAMPLE.read_text(encoding="utf-8"))
    chunks = chunk_article(article, size=500, overlap=100)
    sentence_ends = {end for _, end in sentence_spans(article.text)}
    for chunk in chunks:
        assert chunk.end in sentence_ends, chunk.text[-40:]
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    letters = {i for i, ch in enumerate(article.text) if ch.isalnum()}
    assert letters <= covered


def test_chunks_never_cross_a_subheading_and_know_it() -> None:
    article = bahn()
    chunks = chunk_article(article, size=200, overlap=50)
    by_heading = {c.subheading for c in chunks}
    assert by_heading == {"", "Tarifstreit", "Pünktlichkeit"}
    for chunk in chunks:
        assert ("Tarifstreit" in chunk.text) <= (chunk.subheading == "Tarifstreit")
        if chunk.subheading == "Tarifstreit":
            assert "Pünktlichkeit" not in chunk.text and "Fernverkehr" not in chunk.text


def test_overlap_repeats_whole_sentences_within_a_paragraph() -> None:
    text = " ".join(f"Satz Nummer {i} handelt von einem eigenen Thema mit Inhalt." for i in range(12))
    chunks = chunk_article(Article(id="o", title="t", text=text), size=200, overlap=80)
    assert len(chunks) > 2
    for left, right in itertools.pairwise(chunks):
        assert right.start < left.end  # overlapping
        assert text[right.start - 1] == " " and text[right.start] == "S"  # starts at a sentence start


def test_a_sentence_longer_than_the_chunk_is_cut_at_spaces() -> None:
    text = "Wort " * 300 + "Ende."
    chunks = chunk_article(Article(id="l", title="t", text=text.strip()), size=120, overlap=0)
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(not c.text.startswith(" ") for c in chunks)


def test_chunk_ids_follow_content_and_version() -> None:
    first = chunk_article(bahn(), size=300, overlap=50)
    again = chunk_article(bahn(), size=300, overlap=50)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    changed = chunk_article(bahn(BAHN_TEXT + "\n\nEin Nachtrag."), size=300, overlap=50)
    assert not {c.id for c in first} & {c.id for c in changed}  # a new version never overwrites the old one
