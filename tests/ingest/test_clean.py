"""Cleaning rules for plain news text: the derStandard sample and small German fixtures written for tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import (
    clean_news_text,
    decode_bytes,
    first_sentence,
    first_sentence_title,
    looks_binary,
    normalize_text,
    parse_dateline,
    split_paragraphs,
)
from ingest.dates import parse_date
from ingest.records import split_front_matter, strip_markdown

SAMPLE = Path(__file__).parents[2] / "corpus" / "derstandard-2022-01-21-blinken-lawrow-genf.txt"

BODY_1 = (
    "Die Stadtregierung hat am Dienstag ein neues Verkehrskonzept vorgestellt. Ab März sollen in der "
    "Innenstadt deutlich weniger Autos fahren, die Parkgebühren steigen um ein Drittel."
)
BODY_2 = (
    "Kritik kam umgehend von der Opposition. Das Konzept sei nicht durchdacht und belaste vor allem Pendler "
    "aus dem Umland, die keine Alternative zum Auto hätten, hieß es in einer Aussendung."
)
BODY_3 = (
    "Die Wirtschaftskammer fordert Ausnahmen für Lieferverkehr und Handwerksbetriebe. Eine Entscheidung im "
    "Gemeinderat wird für Ende des Monats erwartet."
)


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


# ---- the user's sample article ----


@pytest.fixture(scope="module")
def sample():
    return clean_news_text(SAMPLE.read_text(encoding="utf-8"))


def test_sample_has_no_photo_credits_or_captions(sample) -> None:
    assert "Foto:" not in sample.text
    assert "Bild nicht mehr verfügbar" not in sample.text
    for caption in (
        "beim obligatorischen Handshake",
        "kündigte nach den Gespräch weiter",
        'sprach von einem "offenen" Gespräch.',
        "Ein ukrainischer Soldat an der Grenzlinie",
    ):
        assert caption not in sample.text


def test_sample_starts_with_the_lead_and_has_no_title_line(sample) -> None:
    assert paragraphs(sample.text)[0].startswith("Die Angst vor einem Krieg in der Ukraine wurde")
    assert sample.title == ""


def test_sample_subheadings_are_kept_and_located(sample) -> None:
    headings = [heading for _, heading in sample.subheadings]
    for expected in (
        '"Nicht das Ende des Dialogs"',
        "Separatistengebiete",
        "Auch Iran Thema",
        '"Prompte und heftige" Reaktion',
        "Inhaftierte US-Bürger",
    ):
        assert expected in headings
    assert "Reuters" not in headings
    for offset, heading in sample.subheadings:
        assert sample.text[offset : offset + len(heading)] == heading
        assert offset == 0 or sample.text[offset - 2 : offset] == "\n\n"  # a heading is its own paragraph


def test_sample_dateline_becomes_metadata(sample) -> None:
    assert sample.published == "2022-01-21"
    assert sample.agencies == ("Reuters",)
    assert sample.authors == ("bbl",)
    assert "(bbl" not in sample.text
    assert sample.text.endswith("nicht in die Angelegenheiten der Justiz einmischen wird.")


def test_sample_lone_agency_remnant_is_dropped(sample) -> None:
    assert "Reuters" not in paragraphs(sample.text)
    assert "erreichen.\n\nSeparatistengebiete\n\nHoffnungen" in sample.text


# ---- normalisation and paragraphs ----


def test_normalize_text() -> None:
    raw = "Au\u00dfen\u00administer\u200b  Lawrow\r\nsagte:\u00a0\u00a0Nein.   \r\n\r\n\r\n\r\n"
    raw += "Mu\u0308nchen\t \n"  # decomposed ü
    assert normalize_text(raw) == "Außenminister Lawrow\nsagte: Nein.\n\nMünchen"


def test_single_newlines_between_paragraphs_work() -> None:
    text = f"Verkehrskonzept für die Innenstadt\n{BODY_1}\nParkgebühren\n{BODY_2}\n(red, 12.05.2019)"
    clean = clean_news_text(text)
    assert clean.title == "Verkehrskonzept für die Innenstadt"
    assert paragraphs(clean.text) == [BODY_1, "Parkgebühren", BODY_2]
    assert clean.subheadings == ((len(BODY_1) + 2, "Parkgebühren"),)
    assert clean.published == "2019-05-12"
    assert clean.authors == ("red",)


def test_hard_wrapped_lines_are_joined() -> None:
    wrapped = (
        "Die Stadtregierung hat am Dienstag ein neues Verkehrskonzept\n"
        "vorgestellt. Ab März sollen in der Innenstadt deutlich weniger\n"
        "Autos fahren, die Parkgebühren steigen um ein Drittel und die\n"
        "Opposition kritisiert das scharf.\n\n"
        "Die Wirtschaftskammer fordert Ausnahmen für den Lieferverkehr\n"
        "und für Handwerksbetriebe in der gesamten Innenstadt."
    )
    assert split_paragraphs(wrapped) == [
        "Die Stadtregierung hat am Dienstag ein neues Verkehrskonzept vorgestellt. Ab März sollen in der "
        "Innenstadt deutlich weniger Autos fahren, die Parkgebühren steigen um ein Drittel und die "
        "Opposition "
        "kritisiert das scharf.",
        "Die Wirtschaftskammer fordert Ausnahmen für den Lieferverkehr und für Handwerksbetriebe in der "
        "gesamten Innenstadt.",
    ]


# ---- photo credits, captions, remnants ----


@pytest.mark.parametrize(
    "credit",
    [
        "Foto: APA/Helmut Fohringer",
        "Fotos: Christian Fischer",
        "Bild: imago images/Future Image",
        "Grafik: STANDARD",
        "Foto: REUTERS/Leonhard Foeger",
        "Quelle: Statistik Austria",
        "FOTO: dpa/Sven Hoppe",
    ],
)
def test_credit_lines_and_their_captions_are_dropped(credit: str) -> None:
    caption = "Bürgermeister Ludwig bei der Präsentation des Konzepts im Rathaus."
    clean = clean_news_text("\n\n".join([BODY_1, caption, credit, BODY_2, BODY_3]))
    assert paragraphs(clean.text) == [BODY_1, BODY_2, BODY_3]


def test_caption_after_unavailable_placeholder_is_dropped() -> None:
    caption = "Pendler am Westbahnhof: Viele fürchten höhere Kosten."
    clean = clean_news_text("\n\n".join([BODY_1, "Bild nicht mehr verfügbar.", caption, BODY_2]))
    assert paragraphs(clean.text) == [BODY_1, BODY_2]


def test_long_paragraph_before_a_credit_is_body_not_caption() -> None:
    long_body = BODY_2 + " " + BODY_3 + " " + BODY_1
    assert len(long_body) > 300
    clean = clean_news_text("\n\n".join([BODY_1, long_body, "Foto: APA/Georg Hochmuth", BODY_3]))
    assert paragraphs(clean.text) == [BODY_1, long_body, BODY_3]


def test_long_source_paragraph_is_prose_not_a_credit() -> None:
    prose = (
        "Quelle: Laut dem Bericht der Statistik Austria ist die Zahl der Pendler in den vergangenen zehn "
        "Jahren um fast ein Fünftel gestiegen."
    )
    clean = clean_news_text("\n\n".join([BODY_1, prose, BODY_2]))
    assert prose in paragraphs(clean.text)


def test_caption_with_inline_credit_is_dropped() -> None:
    clean = clean_news_text(
        "\n\n".join([BODY_1, "Der Gemeinderat tagt im Rathaus. Foto: APA/Hans Punz", BODY_2])
    )
    assert paragraphs(clean.text) == [BODY_1, BODY_2]


def test_quoting_the_bild_newspaper_is_not_a_credit() -> None:
    quote = 'Er sagte der "Bild": "Wir kommen." Der Verkehr bleibt. Bild: Das ist ein Satz.'
    clean = clean_news_text("\n\n".join([BODY_1, quote, BODY_2]))
    assert paragraphs(clean.text) == [BODY_1, quote, BODY_2]


@pytest.mark.parametrize("remnant", ["Reuters", "APA", "dpa", "AFP", "AP", "APA/dpa"])
def test_lone_agency_names_are_dropped(remnant: str) -> None:
    clean = clean_news_text("\n\n".join([BODY_1, remnant, "Opposition", BODY_2]))
    assert paragraphs(clean.text) == [BODY_1, "Opposition", BODY_2]
    assert [h for _, h in clean.subheadings] == ["Opposition"]


# ---- title and subheadings ----


def test_short_first_line_is_the_title() -> None:
    clean = clean_news_text(f"Wien plant weniger Autos in der City\n\n{BODY_1}\n\n{BODY_2}")
    assert clean.title == "Wien plant weniger Autos in der City"
    assert clean.text.startswith(BODY_1)


@pytest.mark.parametrize("first", [BODY_1, "Die Stadt plant weniger Autos.", "Einleitend:"])
def test_sentence_like_first_paragraph_is_not_a_title(first: str) -> None:
    clean = clean_news_text(f"{first}\n\n{BODY_2}")
    assert clean.title == ""
    assert clean.text.startswith(first)


def test_no_title_when_nothing_follows() -> None:
    assert clean_news_text("Nur eine Zeile ohne Punkt").title == ""


def test_detect_title_can_be_switched_off() -> None:
    clean = clean_news_text(f"Verkehr\n\n{BODY_1}", detect_title=False)
    assert clean.title == ""
    assert clean.subheadings == ((0, "Verkehr"),)


def test_subheading_rules() -> None:
    parts = [
        BODY_1,
        '"Nicht durchdacht"',
        BODY_2,
        "Was die Kammer sagt:",
        BODY_3,
        "Erster Kandidat",
        "Zweiter Kandidat",
        BODY_1,
        "Schluss",
    ]
    clean = clean_news_text("\n\n".join(parts))
    headings = [h for _, h in clean.subheadings]
    assert headings == [
        '"Nicht durchdacht"',
        "Zweiter Kandidat",
    ]  # ":" ends a lead-in; heading needs body next
    assert paragraphs(clean.text) == parts  # headings stay in the text
    for offset, heading in clean.subheadings:
        assert clean.text[offset:].startswith(heading + "\n\n")


def test_list_items_are_not_subheadings() -> None:
    clean = clean_news_text("\n\n".join([BODY_1, "- Parkgebühren", BODY_2]))
    assert clean.subheadings == ()


# ---- the closing dateline ----


@pytest.mark.parametrize(
    ("line", "published", "authors", "agencies"),
    [
        ("(bbl, Reuters, 21.1.2022)", "2022-01-21", ("bbl",), ("Reuters",)),
        ("(APA, 3.2.2021)", "2021-02-03", (), ("APA",)),
        ("(red, 12.05.2019)", "2019-05-12", ("red",), ()),
        ("(Maria Sterkl, 21.1.2022)", "2022-01-21", ("Maria Sterkl",), ()),
        ("(APA/dpa, 1. März 2020)", "2020-03-01", (), ("APA", "dpa")),
        ("(red, APA)", "", ("red",), ("APA",)),
        ("(reuters, afp, 2.2.2022)", "2022-02-02", (), ("Reuters", "AFP")),
    ("(APA/red – 8.8. 2015)", "2015-08-08", ("red",), ("APA",)),
    ("(Sandra Čapljak; 5.6.2015)", "2015-06-05", ("Sandra Čapljak",), ()),
    ],
)
def test_dateline_forms(
    line: str, published: str, authors: tuple[str, ...], agencies: tuple[str, ...]
) -> None:
    for text in (
        f"{BODY_1}\n\n{BODY_2} {line}",
        f"{BODY_1}\n\n{BODY_2}\n\n{line}",
    ):  # appended or own paragraph
        clean = clean_news_text(text)
        assert (clean.published, clean.authors, clean.agencies) == (published, authors, agencies)
        assert paragraphs(clean.text) == [BODY_1, BODY_2]


@pytest.mark.parametrize("ending", ["(Kiew)", "(siehe Grafik oben)", "(2021: 4,5 Prozent)", "(bbl)"])
def test_ordinary_parentheses_are_not_a_dateline(ending: str) -> None:
    assert parse_dateline(f"{BODY_2} {ending}") is None
    clean = clean_news_text(f"{BODY_1}\n\n{BODY_2} {ending}")
    assert clean.text.endswith(ending)
    assert clean.published == ""


def test_only_the_last_paragraph_holds_the_dateline() -> None:
    clean = clean_news_text(f"{BODY_1} (APA, 3.2.2021)\n\n{BODY_2}")
    assert clean.published == ""
    assert "(APA, 3.2.2021)" in clean.text


# ---- dates ----


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-01-21", "2022-01-21"),
        ("2022-01-21T23:30:00-05:00", "2022-01-21"),
        ("2022-01-21T14:30:00Z", "2022-01-21"),
        ("2022-01-21 14:30", "2022-01-21"),
        ("21.1.2022", "2022-01-21"),
        ("21.01.2022", "2022-01-21"),
        ("21. 1. 2022", "2022-01-21"),
        ("21.1.22", "2022-01-21"),
        ("21. Jänner 2022", "2022-01-21"),
        ("21. Januar 2022", "2022-01-21"),
        ("3. Feber 2021", "2021-02-03"),
        ("Freitag, 4. März 2022, 14:30 Uhr", "2022-03-04"),
        ("21. Dez. 2021", "2021-12-21"),
        ("Fri, 21 Jan 2022 14:30:00 +0100", "2022-01-21"),
        ("Sat, 01 Jan 2000 00:00:00 GMT", "2000-01-01"),
        ("January 21, 2022", "2022-01-21"),
        ("20220121", "2022-01-21"),
        ("31.2.2022", ""),
        ("2022-13-01", ""),
        ("gestern", ""),
        ("2022", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_parse_date(value: object, expected: str) -> None:
    assert parse_date(value) == expected


# ---- titles from the lead ----


def test_first_sentence_skips_abbreviations_and_ordinals() -> None:
    text = "Am 21. Jänner kam es z. B. zu Protesten vor dem Parlament. Die Polizei war vor Ort."
    assert first_sentence(text) == "Am 21. Jänner kam es z. B. zu Protesten vor dem Parlament."


def test_first_sentence_title_cuts_at_a_word_boundary() -> None:
    lead = next(p for p in SAMPLE.read_text(encoding="utf-8").split("\n\n") if p.startswith("Die Angst"))
    title = first_sentence_title(lead)
    assert title.startswith(
        "Die Angst vor einem Krieg in der Ukraine wurde in den vergangenen Tagen spürbar größer, "
        "die Drohgebärden"
    )
    assert len(title) <= 120
    assert title.endswith("…")
    assert not title.endswith(" …")


def test_short_first_sentence_title_drops_the_period() -> None:
    assert (
        first_sentence_title("Die Bahn erhöht die Preise. Das teilte sie mit.")
        == "Die Bahn erhöht die Preise"
    )
    assert first_sentence_title("") == ""


# ---- markdown and bytes ----


def test_strip_markdown() -> None:
    md = (
        "# Wien plant *weniger* Autos\n\nDie **Stadtregierung** hat ein [Konzept](https://wien.gv.at/x) "
        "vorgestellt, `snake_case` bleibt.\n\n## Kritik\n\n> Nicht durchdacht, sagt die _Opposition_.\n\n"
        "![Bild](foto.jpg)"
    )
    title, body = strip_markdown(md)
    assert title == "Wien plant weniger Autos"
    assert paragraphs(normalize_text(body)) == [
        "Die Stadtregierung hat ein Konzept vorgestellt, snake_case bleibt.",
        "Kritik",
        "Nicht durchdacht, sagt die Opposition.",
    ]


def test_front_matter() -> None:
    fields, rest = split_front_matter('---\ntitle: "Weniger Autos"\ndate: 2023-04-01\n---\nText hier.\n')
    assert fields == {"title": "Weniger Autos", "date": "2023-04-01"}
    assert rest == "Text hier.\n"
    assert split_front_matter("Kein Vorspann.") == ({}, "Kein Vorspann.")


def test_decode_bytes_keeps_umlauts() -> None:
    text = "Größere Öffnungszeiten für Bürger – „Zitat“ €"
    assert decode_bytes(text.encode("utf-8")) == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_bytes(text.encode("cp1252")) == text
    assert decode_bytes("Straße".encode("latin-1")) == "Straße"
    assert decode_bytes(text.encode("utf-16")) == text


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert looks_binary(bytes(range(1, 32)) * 20)
    assert not looks_binary("Größere Öffnungszeiten für Bürger.\n".encode("cp1252"))
    assert not looks_binary("Größere Öffnungszeiten für Bürger.\n".encode("utf-16"))
