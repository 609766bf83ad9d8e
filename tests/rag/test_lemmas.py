"""rag/lemmas.py: simplemma's German dictionary as an on-disk table gives exactly simplemma's in-memory lemmas.

The real table is built once per test session under the session's model cache (tests/conftest.py), which is also
where rag.text's lemmatiser finds it. Tests of the build's bookkeeping use a few fake records in a tmp folder.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import simplemma

from rag import lemmas, text
from rag.lemmas import LemmaDictionaries, LemmaTable, build_table, lemmatizer, table_path
from tests.conftest import shared_data

# Inflected verbs, nouns, compounds, names and unknown words, upper/lower/capitalised forms, umlauts and ß,
# apostrophes and hyphens (rag.text never passes those, simplemma's strategies handle them), decomposed umlauts.
WORDS = [
    "trafen", "getroffen", "trifft", "Treffen", "treffen", "TREFFEN", "sprach", "gesprochen", "ging", "gegangen",
    "schlägt", "schlug", "vorgeschlagen", "Vorschlag", "sind", "war", "hatte", "wurde", "stirbt", "starb",
    "erklärte", "Erklärung", "Häuser", "Häusern", "Forderungen", "Kindern", "Bäume", "Ba\u0308ume", "Mütter",
    "Außenminister", "Aussenminister", "Verhandlungen", "Touristenstrecken", "Schmalspurbahnen", "Staatsbesitz",
    "staatseigenen", "Funkwellen", "Funkübertragung", "Bundesregierung", "Reisebegleiterin",
    "Donaudampfschifffahrtsgesellschaftskapitän", "Essen", "essen", "Laufen", "laufen", "Mai", "mai", "Straße",
    "Strasse", "größer", "groß", "Blinken", "Lawrow", "Putins", "Chinas", "Odingas", "Genf", "GPA", "Xyzzyqwert",
    "Ukraine-Krise", "E-Mail", "geht's", "Tesla", "Wissenschaftlers", "2022", "a", "Ärztinnen", "ärztinnen",
]


@pytest.fixture(scope="session")
def dictionaries(model_cache: Path) -> LemmaDictionaries:
    """The real German table, built into the session's model cache (about 2 s, once)."""
    built = LemmaDictionaries(model_cache)
    assert built.on_disk("de"), "the table was not built: simplemma's internals changed? (see rag/lemmas.py)"
    return built


def reference(word: str) -> str:
    """simplemma's own lemma, from its in-memory dictionary."""
    return simplemma.lemmatize(word, lang="de")


def test_table_lemmas_equal_simplemmas_on_fixed_words(dictionaries: LemmaDictionaries) -> None:
    lemmatise = lemmatizer(dictionaries).lemmatize
    assert [lemmatise(word, "de") for word in WORDS] == [reference(word) for word in WORDS]
    assert lemmatise("trafen", "de") == "treffen"  # the table is really consulted, not only the rules


def test_table_lemmas_equal_simplemmas_on_every_word_of_the_dev_corpus(dictionaries: LemmaDictionaries) -> None:
    words: dict[str, None] = {}
    for name, field in (("xquad_de_dev_contexts.jsonl", "text"), ("xquad_de_dev_questions.jsonl", "question"),
                        ("10kgnad_test_articles.jsonl", "text")):
        for line in shared_data(name).read_text(encoding="utf-8").splitlines():
            for token in re.findall(r"\w+", json.loads(line)[field]):
                if token.isalpha():
                    words.setdefault(token)
                    words.setdefault(token.lower())
    assert len(words) > 50_000
    lemmatise = lemmatizer(dictionaries).lemmatize
    differing = [(word, lemmatise(word, "de"), reference(word)) for word in words
                 if lemmatise(word, "de") != reference(word)]
    assert differing == []


def test_the_table_holds_every_entry_of_simplemmas_dictionary(dictionaries: LemmaDictionaries) -> None:
    """Entry for entry, in the same order: whatever a strategy looks up, the answer is the same."""
    table = dictionaries.get_dictionary("de")
    assert isinstance(table, LemmaTable)
    memory = simplemma.strategies.DEFAULT_DICTIONARY_FACTORY.get_dictionary("de")
    assert len(table) == len(memory) > 1_000_000
    pairs = table.items_in_order()
    for key in memory:
        assert next(pairs) == (key, memory[key])
    assert next(pairs, None) is None


def test_the_table_is_a_read_only_mapping(dictionaries: LemmaDictionaries) -> None:
    table = dictionaries.get_dictionary("de")
    assert table["trafen"] == "treffen" and table.get("trafen") == "treffen"
    assert table["Haus"] == "Haus"  # stored as NULL: a form that is its own lemma
    assert table.get("Xyzzyqwert") is None and table.get("Xyzzyqwert", "-") == "-"
    assert "trafen" in table and "Xyzzyqwert" not in table
    with pytest.raises(KeyError):
        table["Xyzzyqwert"]


def test_rag_text_reads_the_table_in_the_model_cache(dictionaries: LemmaDictionaries, model_cache: Path) -> None:
    assert text.analyze("Wo trafen sich Blinken und Lawrow?") == ["treff", "blink", "lawrow"]
    default = lemmas.default_dictionaries()
    assert default.cache == model_cache and default.on_disk("de")
    assert lemmas.lemmatize("Forderungen") == reference("Forderungen")


def test_a_forked_child_opens_its_own_connection(dictionaries: LemmaDictionaries) -> None:
    table = dictionaries.get_dictionary("de")
    assert table.get("trafen") == "treffen"  # the parent's connection is open
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if table.get("getroffen") == "treffen" and table.get("trafen") == "treffen" else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert table.get("ging") == "gehen"


def test_threads_share_one_table(dictionaries: LemmaDictionaries) -> None:
    table = dictionaries.get_dictionary("de")
    expected = {word: table.get(word) for word in WORDS}
    found: list[dict[str, str | None]] = []

    def look_up() -> None:
        found.append({word: table.get(word) for word in WORDS * 20})

    threads = [threading.Thread(target=look_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [expected] * 4


# --- building: atomic, once, falling back ------------------------------------------------------------------
FAKE = [(b"Haus", b"Haus"), (b"trafen", b"treffen"), (b"\xc3\xa4rzte", b"arzt")]


@pytest.fixture
def fake_records(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Builds from three records instead of simplemma's 1.1 million; returns a list counting the builds."""
    builds: list[int] = []

    def records(lang: str) -> Iterator[tuple[bytes, bytes]]:
        builds.append(1)
        yield from FAKE

    monkeypatch.setattr(lemmas, "_records", records)
    return builds


def test_the_build_happens_once(tmp_path: Path, fake_records: list[int]) -> None:
    path = build_table(tmp_path / "cache", "de")
    assert path == table_path(tmp_path / "cache", "de") and path.name.startswith(f"simplemma-{simplemma.__version__}")
    stamp = path.stat().st_mtime_ns
    assert build_table(tmp_path / "cache", "de") == path  # a second build is a no-op
    assert path.stat().st_mtime_ns == stamp and fake_records == [1]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]  # no temporary file left
    assert dict(LemmaTable(path).items_in_order()) == {"Haus": "Haus", "trafen": "treffen", "ärzte": "arzt"}


def test_stale_temporary_tables_are_removed_and_recent_ones_left(tmp_path: Path, fake_records: list[int]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    name = table_path(cache, "de").name
    stale, recent = cache / f"{name}.tmp-crashed", cache / f"{name}.tmp-building"
    stale.write_bytes(b"half a table")
    recent.write_bytes(b"another process's build in progress")
    hours_ago = time.time() - 2 * lemmas.STALE_SECONDS
    os.utime(stale, (hours_ago, hours_ago))
    path = build_table(cache, "de")
    assert LemmaTable(path)["trafen"] == "treffen"
    assert not stale.exists() and recent.exists()


def test_a_failed_build_leaves_nothing_and_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(lang: str) -> Iterator[tuple[bytes, bytes]]:
        yield FAKE[0]
        raise ValueError("truncated")

    monkeypatch.setattr(lemmas, "_records", broken)
    with pytest.raises(ValueError, match="truncated"):
        build_table(tmp_path / "cache", "de")
    assert list((tmp_path / "cache").iterdir()) == []
    fallback = LemmaDictionaries(tmp_path / "cache")
    assert not fallback.on_disk("de")
    assert lemmatizer(fallback).lemmatize("trafen", "de") == "treffen"


def test_a_corrupt_or_foreign_table_is_rebuilt(tmp_path: Path, fake_records: list[int]) -> None:
    path = table_path(tmp_path, "de")
    path.write_bytes(b"not a database at all")
    assert LemmaTable(build_table(tmp_path, "de"))["trafen"] == "treffen"
    with sqlite3.connect(path) as connection:  # a table of another format is not taken for this one
        connection.execute("UPDATE meta SET value = '0' WHERE name = 'format'")
    connection.close()
    assert LemmaTable(build_table(tmp_path, "de"))["trafen"] == "treffen"
    assert fake_records == [1, 1]


def test_two_builds_at_once_both_end_with_a_complete_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    both_inside = threading.Barrier(2, timeout=10)

    def records(lang: str) -> Iterator[tuple[bytes, bytes]]:
        both_inside.wait()  # each build has its own temporary file by now
        yield from FAKE

    monkeypatch.setattr(lemmas, "_records", records)
    paths: list[Path] = []
    threads = [threading.Thread(target=lambda: paths.append(build_table(tmp_path, "de"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert paths == [table_path(tmp_path, "de")] * 2
    assert [p.name for p in tmp_path.iterdir()] == [paths[0].name]
    assert LemmaTable(paths[0]).get("trafen") == "treffen"


def test_an_unwritable_cache_falls_back_to_simplemmas_dictionary(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")  # unwritable even for root, unlike a chmod
    fallback = LemmaDictionaries(blocker / "cache")
    assert not fallback.on_disk("de")
    lemmatise = lemmatizer(fallback).lemmatize
    assert [lemmatise(word, "de") for word in WORDS] == [reference(word) for word in WORDS]


def test_a_table_in_a_read_only_folder_is_used(tmp_path: Path, fake_records: list[int]) -> None:
    path = build_table(tmp_path / "cache", "de")
    (tmp_path / "cache").chmod(0o555)
    path.chmod(0o444)
    try:
        assert LemmaDictionaries(tmp_path / "cache").get_dictionary("de")["trafen"] == "treffen"
    finally:
        (tmp_path / "cache").chmod(0o755)
    assert fake_records == [1]


def test_without_a_cache_the_dictionary_stays_in_memory() -> None:
    assert not LemmaDictionaries(None).on_disk("de")
    with pytest.raises(ValueError, match="xx"):
        LemmaDictionaries(None).get_dictionary("xx")


def test_question_weights_never_load_simplemmas_dictionary_into_memory(dictionaries: LemmaDictionaries) -> None:
    """The background weights (rag/background.py) lemmatise through the table too: simplemma's own in-memory
    dictionary (106 MiB) stays unloaded in a fresh process."""
    script = ("import simplemma.lemmatizer as s; from rag.background import term_frequencies; "
              "term_frequencies('Welche Rolle spielt der Iran?'); "
              "print(s.DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
