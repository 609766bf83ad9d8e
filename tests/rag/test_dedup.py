"""Copies of one story (rag/dedup.py): wire copies and updates match, independent reports do not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.dedup import (
    EMPTY,
    THRESHOLD,
    DuplicateFinder,
    Member,
    decode,
    minhash,
    representative,
    signature,
    similarity,
)

REPO = Path(__file__).resolve().parents[2]

TITLE = "Graz baut die Straßenbahn in den Süden aus"
LEAD = ("Der Grazer Gemeinderat hat am Donnerstag den Ausbau der Straßenbahnlinie 5 bis nach Puntigam beschlossen. "
        "Die neue Strecke soll rund vier Kilometer lang werden und 2028 in Betrieb gehen. Die Kosten werden auf 120 "
        "Millionen Euro geschätzt, das Land Steiermark übernimmt die Hälfte.")
QUOTE = ("Verkehrsstadträtin Judith Schwentner sprach von einem historischen Tag für den öffentlichen Verkehr in der "
         "Stadt. Mit der Verlängerung würden täglich bis zu 20.000 Fahrgäste zusätzlich erwartet, sagte sie nach der "
         "Sitzung.")
CRITICS = "Die Opposition kritisierte die Finanzierung und forderte eine Volksbefragung."
WORKS = ("Die Bauarbeiten sollen im Frühjahr 2026 beginnen. Während der Arbeiten wird die Triester Straße "
         "abschnittsweise gesperrt, Busse ersetzen die Straßenbahn. Anrainer können sich ab kommender Woche in einem "
         "Infobüro am Bahnhof Puntigam über die Pläne informieren.")
ORIGINAL = f"{TITLE}\n\n{LEAD}\n\n{QUOTE} {CRITICS}\n\n{WORKS}"
# Another outlet's copy: its own title, the opposition's sentence cut, its source line.
COPY = f"Straßenbahn-Ausbau nach Puntigam ist fix\n\n{LEAD}\n\n{QUOTE}\n\n{WORKS}\n\nQuelle: APA"
# The same article updated under a new URL: a paragraph added at the end.
UPDATE = (f"{ORIGINAL}\n\nAm Freitag kündigte die ÖVP an, den Beschluss rechtlich prüfen zu lassen. Eine Sprecherin "
          "der Stadt sagte, man sehe dem gelassen entgegen. Die Ausschreibung soll noch im Herbst starten.")
# An outlet's own report on the same meeting: the same facts and names, its own words.
OWN_REPORT = """Grünes Licht für die Linie 5: Graz verlängert die Bim bis Puntigam

Nach langer Debatte stimmte am Donnerstag eine Mehrheit im Gemeinderat für das Projekt. Vier Kilometer neue Gleise
sollen bis 2028 verlegt werden. Geschätzte Kosten: 120 Millionen Euro, die Hälfte davon zahlt das Land Steiermark.

Schwentner (Grüne) nannte den Beschluss historisch und rechnet mit bis zu 20.000 zusätzlichen Fahrgästen pro Tag.
Die Opposition hält die Finanzierung für unsicher und verlangt eine Volksbefragung.

Baubeginn ist im Frühjahr 2026. Auf der Triester Straße wird es Sperren und Ersatzbusse geben."""
# The next day's follow-up: a new story that repeats the quote.
FOLLOW_UP = f"""Streit um die Linie 5 geht weiter

Einen Tag nach dem Beschluss im Gemeinderat hat die ÖVP eine Prüfung durch die Aufsichtsbehörde beantragt. Die
Finanzierung durch das Land sei nicht ausreichend gesichert, heißt es in dem Antrag.

{QUOTE} Daran halte sie fest, auch wenn sich der Baubeginn verzögern sollte."""
OTHER = """Inflation sinkt im Mai auf 3,4 Prozent

Die Teuerung in Österreich hat sich im Mai weiter abgeschwächt. Laut Schnellschätzung der Statistik Austria lag die
Inflationsrate bei 3,4 Prozent, nach 3,6 Prozent im April. Vor allem Treibstoffe und Haushaltsenergie wurden billiger.

Lebensmittel verteuerten sich dagegen erneut überdurchschnittlich. Ökonomen erwarten, dass die Rate bis zum
Jahresende auf unter drei Prozent fällt."""


@pytest.fixture
def finder() -> DuplicateFinder:
    return DuplicateFinder({"original": signature(ORIGINAL), "other": signature(OTHER)})


@pytest.mark.parametrize("copy", [COPY, UPDATE], ids=["edited-copy", "update"])
def test_copies_of_the_story_match(finder: DuplicateFinder, copy: str) -> None:
    assert similarity(signature(copy), signature(ORIGINAL)) >= THRESHOLD + 0.1  # with margin, not by luck
    assert [article_id for article_id, _ in finder.matches(signature(copy))] == ["original"]


@pytest.mark.parametrize(("text", "at_most"), [(OWN_REPORT, 0.05), (FOLLOW_UP, 0.3), (OTHER, 0.05)],
                         ids=["own-report", "follow-up-repeating-a-quote", "other-story"])
def test_other_articles_on_the_event_do_not_match(text: str, at_most: float) -> None:
    assert similarity(signature(text), signature(ORIGINAL)) <= at_most
    assert DuplicateFinder({"original": signature(ORIGINAL)}).matches(signature(text)) == []


def test_matches_are_ordered_by_similarity_and_exclude_the_article_itself(finder: DuplicateFinder) -> None:
    finder.add("copy", signature(COPY))
    finder.add("update", signature(UPDATE))
    hits = finder.matches(signature(ORIGINAL), exclude="original")
    assert [article_id for article_id, _ in hits] == sorted(["copy", "update"], key=lambda i: -dict(hits)[i])
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)
    assert "original" in dict(finder.matches(signature(ORIGINAL)))
    assert finder.matches(signature(ORIGINAL))[0] == ("original", 1.0)


def test_remove_forgets_an_article(finder: DuplicateFinder) -> None:
    finder.remove("original")
    finder.remove("never-added")  # no error
    assert finder.matches(signature(COPY)) == []
    assert "original" not in finder and len(finder) == 1
    finder.add("original", signature(ORIGINAL))
    assert [a for a, _ in finder.matches(signature(COPY))] == ["original"]


def test_adding_an_id_again_replaces_its_signature(finder: DuplicateFinder) -> None:
    finder.add("original", signature(OTHER))
    assert finder.matches(signature(COPY)) == []
    assert {a for a, _ in finder.matches(signature(OTHER))} == {"original", "other"}


def test_the_threshold_decides() -> None:
    copy_score = similarity(signature(COPY), signature(ORIGINAL))
    assert DuplicateFinder({"original": signature(ORIGINAL)}, threshold=min(1.0, copy_score + 0.05)).matches(
        signature(COPY)) == []
    assert DuplicateFinder({"original": signature(ORIGINAL)}, threshold=copy_score).matches(signature(COPY))


def test_signature_is_compact_text_that_round_trips() -> None:
    sig = signature(ORIGINAL)
    assert sig.isascii() and len(sig) < 700 and json.loads(json.dumps(sig)) == sig
    assert (decode(sig) == minhash(ORIGINAL)).all()
    assert similarity(sig, signature(ORIGINAL)) == 1.0
    # layout, case and punctuation are not wording
    assert signature(ORIGINAL.upper().replace("\n\n", " ").replace(",", "")) == sig


def test_signature_is_fixed_across_processes_and_machines() -> None:
    # A fixed value: a change in datasketch's hashing or in the tokenisation must bump rag.dedup.VERSION.
    assert signature(LEAD).startswith("mh1w5p128:IKu4DgKk9wCFbUgBIaf+AodbewG96l")
    code = "import sys; from rag.dedup import signature; print(signature(sys.stdin.read()))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], input=ORIGINAL, capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120, check=True)
    assert done.stdout.strip() == signature(ORIGINAL)


def test_empty_and_short_texts() -> None:
    assert signature("") == signature(" –, ") == EMPTY
    assert similarity(EMPTY, EMPTY) == 0.0 and similarity(EMPTY, signature(ORIGINAL)) == 0.0
    finder = DuplicateFinder({"empty": EMPTY, "short": signature("Eilmeldung aus Graz")})
    assert finder.matches(EMPTY) == [] and len(finder) == 2
    assert [a for a, _ in finder.matches(signature("Eilmeldung  aus GRAZ!"))] == ["short"]  # same words
    assert finder.matches(signature("Eilmeldung aus Wien")) == []
    finder.remove("empty")
    assert len(finder) == 1


def test_signatures_of_another_format_are_refused() -> None:
    with pytest.raises(ValueError, match="recompute"):
        similarity("mh0w3p64:AAAA", signature(ORIGINAL))
    with pytest.raises(ValueError, match="damaged"):
        DuplicateFinder({"a": signature(ORIGINAL)[:-8]})


def test_representative_is_longest_then_earliest_then_smallest_id() -> None:
    assert representative([Member("b", 900, "2024-05-02"), Member("a", 1200, "2024-05-03")]) == "a"
    assert representative([Member("b", 900, "2024-05-02T08:00:00+02:00"),
                           Member("a", 900, "2024-05-02T07:00:00Z")]) == "b"  # 06:00 UTC before 07:00 UTC
    assert representative([Member("b", 900, "2024-05-02"), Member("a", 900, "")]) == "b"  # unknown date last
    assert representative([Member("b", 900, "2024-05-02"), Member("a", 900, "2024-05-02")]) == "a"
    assert representative([Member("only", 1, "")]) == "only"
    with pytest.raises(ValueError):
        representative([])
