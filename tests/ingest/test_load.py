"""Loading: every file format and its field mapping, directories, URLs and feeds from a loopback server, and
every bad input (each an InputError naming the input, the batch continuing)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.ids import article_id_for_url, slugify
from ingest.load import Fetcher, iter_articles, load_file, load_text
from rag.errors import InputError
from rag.schema import Article
from tests.ingest.httpserver import LocalServer, Route, closed_port_url, serve

CORPUS = Path(__file__).parents[2] / "corpus"
SAMPLE = CORPUS / "derstandard-2022-01-21-blinken-lawrow-genf.txt"

LEAD = (
    "Die Stadtregierung hat am Dienstag ein neues Verkehrskonzept vorgestellt. Ab März sollen in der "
    "Innenstadt deutlich weniger Autos fahren, die Parkgebühren steigen um ein Drittel."
)
BODY = (
    "Kritik kam umgehend von der Opposition. Das Konzept sei nicht durchdacht und belaste vor allem Pendler "
    "aus dem Umland, die keine Alternative zum Auto hätten, hieß es in einer Aussendung."
)
MORE = (
    "Die Wirtschaftskammer fordert Ausnahmen für Lieferverkehr und Handwerksbetriebe. Eine Entscheidung im "
    "Gemeinderat wird für Ende des Monats erwartet."
)
ARTICLE_TEXT = f"{LEAD}\n\n{BODY}\n\n{MORE}"


def load(*inputs: str | Path, **kw: object) -> list[Article | InputError]:
    return list(iter_articles([str(i) for i in inputs], **kw))  # type: ignore[arg-type]


def only_article(*inputs: str | Path, **kw: object) -> Article:
    results = load(*inputs, **kw)
    assert len(results) == 1 and isinstance(results[0], Article), results
    return results[0]


def only_error(*inputs: str | Path, **kw: object) -> InputError:
    results = load(*inputs, **kw)
    assert len(results) == 1 and isinstance(results[0], InputError), results
    return results[0]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---- the sample article ----


def test_sample_article() -> None:
    article = only_article(SAMPLE)
    assert article.id == "derstandard-2022-01-21-blinken-lawrow-genf"
    assert article.source == "derStandard"
    assert article.published == "2022-01-21"
    assert article.authors == ("bbl",)
    assert article.agencies == ("Reuters",)
    assert article.title.startswith(
        "Die Angst vor einem Krieg in der Ukraine wurde in den vergangenen Tagen "
        "spürbar größer, die Drohgebärden"
    )
    assert len(article.title) <= 120 and article.title.endswith("…")
    assert article.text.startswith("Die Angst vor einem Krieg")
    assert "Foto:" not in article.text
    assert "Auch Iran Thema" in [h for _, h in article.subheadings]
    assert article.origin == str(SAMPLE)


def test_sample_directory_gives_the_same_article() -> None:
    article = only_article(CORPUS)
    assert article.origin == str(SAMPLE)
    assert article == only_article(SAMPLE)


# ---- plain text and markdown ----


def test_txt_with_title_line_and_file_name_hints(tmp_path: Path) -> None:
    path = write(
        tmp_path / "spiegel-2023-04-01-Verkehr in Wien.txt",
        f"Wien plant weniger Autos\n\nDer Ring zur Stoßzeit.\n\nFoto: APA/Hans Punz\n\n{ARTICLE_TEXT}",
    )
    article = only_article(path)
    assert article.id == "spiegel-2023-04-01-verkehr-in-wien"
    assert (article.title, article.source, article.published) == (
        "Wien plant weniger Autos",
        "Der Spiegel",
        "2023-04-01",
    )
    assert article.text == ARTICLE_TEXT


def test_unknown_outlet_token_is_kept_as_written_and_dateline_beats_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "Kurier-2023-04-01-verkehr.txt", f"{ARTICLE_TEXT} (APA, 3.2.2021)")
    article = only_article(path)
    assert (article.source, article.published, article.agencies) == ("Kurier", "2021-02-03", ("APA",))


def test_plain_file_name_gives_no_source(tmp_path: Path) -> None:
    article = only_article(write(tmp_path / "notiz.txt", ARTICLE_TEXT))
    assert (article.id, article.source, article.published) == ("notiz", "", "")
    assert article.title == "Die Stadtregierung hat am Dienstag ein neues Verkehrskonzept vorgestellt"


def test_source_option_overrides_everything(tmp_path: Path) -> None:
    path = write(tmp_path / "derstandard-2022-01-21-x.txt", ARTICLE_TEXT)
    assert only_article(path, source="Mein Archiv").source == "Mein Archiv"


def test_markdown(tmp_path: Path) -> None:
    md = (
        "---\nauthor: Eva Graf und Max Huber\ndate: 2023-04-02\n---\n"
        f"# Wien plant *weniger* Autos\n\n{LEAD}\n\n"
        f"## Kritik\n\n{BODY} Mehr im [Bericht](https://example.org/bericht).\n\n**{MORE}**\n"
    )
    article = only_article(write(tmp_path / "wien.md", md))
    assert article.id == "wien"
    assert article.title == "Wien plant weniger Autos"
    assert article.published == "2023-04-02"
    assert article.authors == ("Eva Graf", "Max Huber")
    assert article.text == f"{LEAD}\n\nKritik\n\n{BODY} Mehr im Bericht.\n\n{MORE}"
    assert article.subheadings == ((len(LEAD) + 2, "Kritik"),)


# ---- HTML files ----


def html_page(
    title: str = "Wien plant weniger Autos",
    paragraphs: tuple[str, ...] = (LEAD, BODY, MORE),
    *,
    date: str | None = "2023-04-01T09:15:00+02:00",
    author: str | None = "Eva Graf",
    site: str | None = "derStandard",
    heading: str = "Kritik",
) -> str:
    meta = "".join(
        [
            f'<meta property="og:site_name" content="{site}">' if site else "",
            f'<meta name="author" content="{author}">' if author else "",
            f'<meta property="article:published_time" content="{date}">' if date else "",
        ]
    )
    body = (
        "".join(f"<p>{p}</p>" for p in paragraphs[:1])
        + f"<h2>{heading}</h2>"
        + "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    )
    head_title = f"<title>{title} - Zeitung</title>" if title else ""
    h1 = f"<h1>{title}</h1>" if title else ""
    return (
        f'<!doctype html><html lang="de"><head><meta charset="utf-8">{head_title}{meta}</head><body>'
        '<nav><a href="/">Start</a> <a href="/inland">Inland</a> <a href="/wien">Wien</a></nav>'
        f"<article>{h1}<figure><img src='a.jpg'><figcaption>Der Gemeinderat. Foto: APA</figcaption></figure>"
        f"{body}</article><footer>Impressum · Datenschutz · Kontakt</footer></body></html>"
    )


NAV_ONLY = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Startseite</title></head><body>'
    "<nav><ul>"
    + "".join(
        f'<li><a href="/{s}">{s}</a></li>'
        for s in (
            "Inland",
            "International",
            "Wirtschaft",
            "Web",
            "Sport",
            "Panorama",
            "Kultur",
            "Wissenschaft",
            "Gesundheit",
            "Lifestyle",
            "Diskurs",
            "Etat",
        )
    )
    + '</ul></nav><footer><a href="/impressum">Impressum</a> <a href="/ds">Datenschutz</a></footer>'
    "</body></html>"
)


def test_html_file_with_metadata(tmp_path: Path) -> None:
    article = only_article(write(tmp_path / "wien-verkehr.html", html_page()))
    assert article.id == "wien-verkehr"
    assert article.title == "Wien plant weniger Autos"
    assert (article.source, article.published, article.authors) == (
        "derStandard",
        "2023-04-01",
        ("Eva Graf",),
    )
    assert article.text == f"{LEAD}\n\nKritik\n\n{BODY}\n\n{MORE}"
    assert [h for _, h in article.subheadings] == ["Kritik"]


def test_html_in_cp1252_without_charset_keeps_umlauts(tmp_path: Path) -> None:
    page = html_page(site=None).replace('<meta charset="utf-8">', "")
    article = only_article(write(tmp_path / "alt.htm", page.encode("cp1252")))
    assert "Parkgebühren" in article.text and "März" in article.text


def test_html_with_only_navigation(tmp_path: Path) -> None:
    error = only_error(write(tmp_path / "start.html", NAV_ONLY))
    assert error.reason == "no article text found on the page (only navigation or markup)"
    assert error.source.endswith("start.html")


# ---- JSON, JSONL, CSV ----


def test_json_single_object_field_mapping(tmp_path: Path) -> None:
    record = {
        "headline": "Weniger Autos in Wien",
        "content": ARTICLE_TEXT,
        "outlet": "Kurier",
        "link": "https://example.org/wien/verkehr?utm_source=x",
        "pubDate": "Sat, 01 Apr 2023 09:15:00 +0200",
        "author": "Eva Graf und Max Huber, Anna Berger",
    }
    article = only_article(write(tmp_path / "kurier-artikel.json", json.dumps(record)))
    assert article.id == "kurier-artikel"
    assert (article.title, article.source, article.published) == (
        "Weniger Autos in Wien",
        "Kurier",
        "2023-04-01",
    )
    assert article.url == "https://example.org/wien/verkehr"
    assert article.authors == ("Eva Graf", "Max Huber", "Anna Berger")
    assert article.text == ARTICLE_TEXT


def test_json_list_and_articles_key(tmp_path: Path) -> None:
    records = [
        {"id": "Wien Verkehr 1", "Titel": "Verkehr", "Text": ARTICLE_TEXT, "datum": "1.4.2023"},
        {"guid": "https://example.org/story/123/bahn-preise", "text": ARTICLE_TEXT},
        "kein Objekt",
        {"title": "Ohne Id", "body": [LEAD, BODY]},
    ]
    for name, data in (("liste.json", records), ("wrapped.json", {"articles": records})):
        results = load(write(tmp_path / name, json.dumps(records if name == "liste.json" else data)))
        first, second, third, fourth = results
        stem = name.removesuffix(".json")
        assert isinstance(first, Article) and first.id == "wien-verkehr-1" and first.title == "Verkehr"
        assert first.published == "2023-04-01"
        assert isinstance(second, Article) and re.fullmatch(r"bahn-preise-[0-9a-f]{8}", second.id)
        assert isinstance(third, InputError) and third.source.endswith(f"{name}#3")
        assert (
            isinstance(fourth, Article)
            and fourth.id == f"{stem}-ohne-id"
            and fourth.text == f"{LEAD}\n\n{BODY}"
        )
        assert fourth.origin.endswith(f"{name}#4")


def test_numeric_record_ids_keep_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "export.jsonl", json.dumps({"id": 17, "text": ARTICLE_TEXT}) + "\n")
    assert only_article(path).id == "export-17"


def test_long_file_names_leave_room_for_what_tells_records_apart(tmp_path: Path) -> None:
    lines = [{"id": 1, "text": ARTICLE_TEXT}, {"title": "Erster Titel", "text": ARTICLE_TEXT},
             {"title": "Zweiter Titel", "text": ARTICLE_TEXT}, {"text": ARTICLE_TEXT}]
    path = write(tmp_path / ("sehr-langer-dateiname-" * 6 + ".jsonl"), "\n".join(map(json.dumps, lines)))
    ids = [a.id for a in load(path) if isinstance(a, Article)]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert all(len(i) <= 80 and re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    assert ids[0].endswith("-1") and ids[1].endswith("-erster-titel") and ids[3].endswith("-4")


def test_jsonl_broken_line_and_ids(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "Weniger Autos in der Wiener Innenstadt ab März", "text": ARTICLE_TEXT}),
        '{"title": "kaputt", "text": ',
        "",
        json.dumps({"text": ARTICLE_TEXT, "source": {"id": "orf", "name": "ORF"}}),
        json.dumps(["keine", "Zeile"]),
        json.dumps({"titel": "Ohne Text"}),
    ]
    path = write(tmp_path / "Archiv 2023.jsonl", "\n".join(lines) + "\n")
    first, broken, fourth, fifth, sixth = load(path)
    assert isinstance(first, Article)
    assert first.id == "archiv-2023-weniger-autos-in-der-wiener-innenstadt"
    assert first.origin == f"{path}:1"
    assert isinstance(broken, InputError)
    assert broken.source == f"{path}:2" and broken.reason.startswith("invalid JSON: ")
    assert isinstance(fourth, Article) and (fourth.id, fourth.source) == ("archiv-2023-4", "ORF")
    assert isinstance(fifth, InputError) and fifth.reason == "expected one JSON object per line"
    assert isinstance(sixth, InputError) and sixth.source == f"{path}:6"
    assert sixth.reason.startswith("no text field (expected one of: text, content")


def test_jsonl_record_over_one_megabyte(tmp_path: Path) -> None:
    big = "Wort " * 220_000
    path = write(
        tmp_path / "gross.jsonl", json.dumps({"text": big}) + "\n" + json.dumps({"text": ARTICLE_TEXT})
    )
    error, article = load(path)
    assert isinstance(error, InputError) and error.source == f"{path}:1"
    assert "over the 1 MB limit" in error.reason
    assert isinstance(article, Article)


def test_csv_with_semicolons_and_german_headers(tmp_path: Path) -> None:
    rows = (
        "Titel;Inhalt;Datum;Autor\n"
        f'Verkehr in Wien;"{LEAD}\n\n{BODY}";21. Jänner 2022;Eva Graf\n'
        f'Zweiter;"{MORE} {LEAD}";2022-01-22;\n'
    )
    first, second = load(write(tmp_path / "artikel.csv", rows))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.id, first.title, first.published, first.authors) == (
        "artikel-verkehr-in-wien",
        "Verkehr in Wien",
        "2022-01-21",
        ("Eva Graf",),
    )
    assert first.text == f"{LEAD}\n\n{BODY}"
    assert second.origin.endswith("artikel.csv:3")


def test_csv_broken_rows_are_reported_and_the_rest_continue(tmp_path: Path) -> None:
    rows = (
        "id,text,title\n"
        f'a1,"{LEAD}",Eins\n'
        f'a2,"{BODY}",Zwei,zu viel\n'
        f'a3,"{MORE}"kaputt,Drei\n'
        f'a4,"{LEAD} {MORE}",Vier\n'
    )
    path = write(tmp_path / "rows.csv", rows)
    results = load(path)
    assert [type(r).__name__ for r in results] == ["Article", "InputError", "InputError", "Article"]
    assert (results[1].source, results[1].reason) == (f"{path}:3", "row has 4 fields, the header has 3")
    assert results[2].source == f"{path}:4" and results[2].reason.startswith("broken CSV row")
    assert [results[0].id, results[3].id] == ["a1", "a4"]


def test_csv_without_text_column(tmp_path: Path) -> None:
    error = only_error(write(tmp_path / "falsch.csv", f"titel,beschreibung\nA,{LEAD}\nB,{BODY}\n"))
    assert error.source.endswith("falsch.csv")
    assert "accepted names: text, content, body, article, Text, Inhalt" in error.reason
    assert "'beschreibung'" in error.reason


# ---- directories ----


def test_directory_is_walked_sorted_skipping_hidden_and_unknown_files(tmp_path: Path) -> None:
    root = tmp_path / "artikel"
    write(root / "b.txt", ARTICLE_TEXT)
    write(root / "a" / "z.md", f"# Titel\n\n{ARTICLE_TEXT}")
    write(root / "a" / "c.txt", ARTICLE_TEXT)
    write(root / ".git" / "x.txt", ARTICLE_TEXT)
    write(root / ".versteckt.txt", ARTICLE_TEXT)
    write(root / "bild.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(root / "README", "keine Endung")
    results = load(root)
    assert all(isinstance(r, Article) for r in results)
    assert [r.origin for r in results] == [
        str(root / "b.txt"),
        str(root / "a" / "c.txt"),
        str(root / "a" / "z.md"),
    ]


def test_directory_without_accepted_files(tmp_path: Path) -> None:
    write(tmp_path / "leer" / "bild.png", b"\x89PNG")
    error = only_error(tmp_path / "leer")
    assert error.reason.startswith("no files to ingest in this directory (accepted: .txt, .md, .html")


# ---- bad inputs: each an error naming the input, the batch continuing ----


def test_bad_inputs_each_fail_alone(tmp_path: Path) -> None:
    good = write(tmp_path / "gut.txt", ARTICLE_TEXT)
    empty = write(tmp_path / "leer.txt", "")
    blank = write(tmp_path / "blank.txt", "  \n\n \t\n")
    binary = write(tmp_path / "bild.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    short = write(tmp_path / "kurz.txt", "Foto: APA\n\nNur ein Satz.")
    unsupported = write(tmp_path / "tabelle.xlsx", b"PK\x03\x04")
    missing = tmp_path / "fehlt.txt"
    results = load(empty, blank, binary, short, unsupported, missing, "ftp://example.org/a.txt", good)
    *errors, article = results
    assert isinstance(article, Article) and article.id == "gut"
    assert [(e.source, e.reason) for e in errors] == [
        (str(empty), "file is empty"),
        (str(blank), "file is empty"),
        (str(binary), "binary file, not text"),
        (str(short), "no article text (13 characters after cleaning)"),
        (
            str(unsupported),
            "unsupported file type '.xlsx' (accepted: .txt, .md, .html, .htm, .json, .jsonl, .csv)",
        ),
        (str(missing), "no such file or directory"),
        ("ftp://example.org/a.txt", "unsupported URL scheme 'ftp'; use http:// or https://"),
    ]
    assert all("\n" not in str(e) for e in errors)


def test_cp1252_text_is_decoded_not_rejected(tmp_path: Path) -> None:
    text = "Größere Öffnungszeiten für Bürger\n\n" + ARTICLE_TEXT + " „Zitat“ – 5 €"
    article = only_article(write(tmp_path / "windows.txt", text.encode("cp1252")))
    assert article.title == "Größere Öffnungszeiten für Bürger"
    assert article.text.endswith("„Zitat“ – 5 €")
    assert "Parkgebühren" in article.text


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_marked_text(tmp_path: Path, encoding: str) -> None:
    content = f"Größere Öffnungszeiten\n\n{ARTICLE_TEXT}".encode(encoding)
    article = only_article(write(tmp_path / "bom.txt", content))
    assert article.title == "Größere Öffnungszeiten"
    assert article.text == ARTICLE_TEXT


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("kaputt.json", '{"title": "A", "text": ', "invalid JSON: Expecting value (line 1, column 24)"),
    ("leer.json", "[]", "no articles in the file"),
    ("zahl.json", "42", 'expected a JSON object, a list of objects or {"articles": [...]}'),
    ("blank.jsonl", "\n\n  \n", "no records in the file"),
    ("kopf.csv", "title,text\n", "no rows after the CSV header"),
])
def test_structured_files_without_articles(tmp_path: Path, name: str, content: str, reason: str) -> None:
    path = write(tmp_path / name, content)
    assert (only_error(path).source, only_error(path).reason) == (str(path), reason)


def test_latin1_jsonl_line_is_decoded(tmp_path: Path) -> None:
    line = json.dumps({"title": "Straßenbahn", "text": ARTICLE_TEXT}, ensure_ascii=False).encode("latin-1")
    article = only_article(write(tmp_path / "alt.jsonl", line + b"\n"))
    assert article.title == "Straßenbahn" and "Parkgebühren" in article.text


def test_fifty_megabyte_file(tmp_path: Path) -> None:
    path = tmp_path / "riesig.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: instant, and never read
    error = only_error(path)
    assert error.reason == "file is 50.0 MB, over the 20 MB limit for one article; split it or use .jsonl"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "geheim.txt", ARTICLE_TEXT)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod does not stop root, who may run the tests
    error = only_error(path)
    assert (error.source, error.reason) == (str(path), "cannot read the file (permission denied)")


def test_load_file_directly(tmp_path: Path) -> None:
    [article] = list(load_file(write(tmp_path / "d.txt", ARTICLE_TEXT), source="Test"))
    assert isinstance(article, Article) and article.source == "Test"


# ---- pasted text ----


def test_load_text() -> None:
    article = load_text(f"{ARTICLE_TEXT}\n\n(red, 12.05.2019)", title="Weniger Autos", source="Eigene Notiz")
    assert (article.id, article.title, article.source, article.published) == (
        "weniger-autos",
        "Weniger Autos",
        "Eigene Notiz",
        "2019-05-12",
    )
    with_url = load_text(
        ARTICLE_TEXT, url="https://www.example.org/wien/weniger-autos.html", published="1.4.2023"
    )
    assert re.fullmatch(r"weniger-autos-[0-9a-f]{8}", with_url.id)
    assert with_url.published == "2023-04-01"
    assert load_text(ARTICLE_TEXT, id="Mein Artikel").id == "mein-artikel"
    assert (
        load_text(ARTICLE_TEXT).id == "die-stadtregierung-hat-am-dienstag-ein-neues"
    )  # cut at a hyphen, <= 60
    with pytest.raises(InputError, match=r"no article text \(12 characters after cleaning\)"):
        load_text("Zu kurz hier")


# ---- ids ----


def test_slugify() -> None:
    assert (
        slugify("Größere Öffnungszeiten für Bürger – Café") == "groessere-oeffnungszeiten-fuer-buerger-cafe"
    )
    long = slugify("Wort " * 40)
    assert len(long) <= 80 and re.fullmatch(r"[a-z0-9-]+", long) and not long.endswith("-")


def test_url_ids_are_stable_and_readable() -> None:
    a = article_id_for_url(
        "https://www.derstandard.at/story/2000132712345/blinken-und-lawrow-in-genf?utm_source=rss"
    )
    b = article_id_for_url("http://derstandard.at/story/2000132712345/blinken-und-lawrow-in-genf/#comments")
    assert a == b
    assert re.fullmatch(r"blinken-und-lawrow-in-genf-[0-9a-f]{8}", a)
    assert article_id_for_url("https://example.org/politik/artikel-1.html") != article_id_for_url(
        "https://example.org/wirtschaft/artikel-1.html"
    )
    assert re.fullmatch(r"example-org-[0-9a-f]{8}", article_id_for_url("https://example.org/"))
    assert re.fullmatch(
        r"neue-regeln-[0-9a-f]{8}", article_id_for_url("https://example.org/neue-regeln/index.html")
    )


# ---- URLs and feeds from a loopback server ----


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serve() as running:
        yield running


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5) as http:
        yield http


def test_url_article(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.add("/wien/weniger-autos.html", Route(html_page().encode("utf-8")))
    article = only_article(url, fetcher=fetcher)
    assert re.fullmatch(r"weniger-autos-[0-9a-f]{8}", article.id)
    assert (article.url, article.origin, article.source) == (url, url, "derStandard")
    assert (article.title, article.published, article.authors) == (
        "Wien plant weniger Autos",
        "2023-04-01",
        ("Eva Graf",),
    )
    assert article.text.startswith(LEAD)


def test_url_without_site_name_uses_the_host(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.add("/a.html", Route(html_page(site=None).encode("utf-8")))
    assert only_article(url, fetcher=fetcher).source == "127.0.0.1"


def test_redirect_is_followed(server: LocalServer, fetcher: Fetcher) -> None:
    target = server.add("/ziel/artikel.html", Route(html_page().encode("utf-8")))
    start = server.add("/kurz", Route(b"", status=301, headers={"Location": target}))
    article = only_article(start, fetcher=fetcher)
    assert (article.url, article.origin) == (target, start)


def test_plain_text_url(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.add("/artikel.txt", Route(f"{ARTICLE_TEXT} (APA, 3.2.2021)".encode("cp1252"), "text/plain"))
    article = only_article(url, fetcher=fetcher)
    assert (article.published, article.source) == ("2021-02-03", "127.0.0.1")
    assert "Parkgebühren" in article.text


def rss(server: LocalServer, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Eintrag {n}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Sat, 0{n} Apr 2023 08:00:00 +0200</pubDate>"
        "<author>redaktion@example.org (Eva Graf)</author>"
        "</item>"
        for n, link in enumerate(links, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Testfeed</title>'
        f"<link>{server.base}</link><description>Test</description>{items}</channel></rss>"
    ).encode()


def test_rss_feed(server: LocalServer, fetcher: Fetcher) -> None:
    full = server.add("/a1.html", Route(html_page().encode("utf-8")))
    bare = server.add("/a2.html", Route(html_page("", date=None, author=None).encode("utf-8")))
    missing = server.url("/weg.html")
    feed = server.add("/feed.xml", Route(rss(server, [full, bare, missing]), "application/rss+xml"))
    first, second, error = load(feed, fetcher=fetcher)
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.title, first.published, first.origin) == ("Wien plant weniger Autos", "2023-04-01", full)
    assert (second.title, second.published) == (
        "Eintrag 2",
        "2023-04-02",
    )  # the entry fills what the page lacks
    assert first.id != second.id
    assert isinstance(error, InputError) and error.source == missing and error.reason.startswith("HTTP 404")


def test_atom_feed_sniffed_from_the_body(server: LocalServer, fetcher: Fetcher) -> None:
    page = server.add("/atom-artikel.html", Route(html_page(date=None, author=None).encode("utf-8")))
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>'
        "<id>urn:test</id><updated>2023-04-03T10:00:00Z</updated><entry><title>Atom-Eintrag</title>"
        f'<link href="{page}"/><id>urn:1</id><updated>2023-04-03T10:00:00+02:00</updated>'
        "<author><name>Max Huber</name></author></entry></feed>"
    )
    feed = server.add("/atom", Route(atom.encode("utf-8"), "text/xml"))
    article = only_article(feed, fetcher=fetcher)
    assert (article.title, article.published, article.authors) == (
        "Wien plant weniger Autos",
        "2023-04-03",
        ("Max Huber",),
    )


def test_empty_feed(server: LocalServer, fetcher: Fetcher) -> None:
    feed = server.add("/leer.rss", Route(rss(server, []), "application/rss+xml"))
    assert only_error(feed, fetcher=fetcher).reason == "the feed has no entries"


def test_url_with_only_navigation(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.add("/start", Route(NAV_ONLY.encode("utf-8")))
    error = only_error(url, fetcher=fetcher)
    assert (error.source, error.reason) == (
        url,
        "no article text found on the page (only navigation or markup)",
    )


def test_http_404(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.url("/gibt-es-nicht.html")
    error = only_error(url, fetcher=fetcher)
    assert (error.source, error.reason) == (url, "HTTP 404 Not Found")


def test_unreachable_host(fetcher: Fetcher) -> None:
    url = closed_port_url()
    error = only_error(url, fetcher=fetcher)
    assert error.source == url
    assert error.reason.startswith(f"cannot reach host {url.split('/')[2]} (")
    assert "\n" not in error.reason


def test_timeout(server: LocalServer) -> None:
    url = server.add("/langsam.html", Route(html_page().encode("utf-8"), delay=1.0))
    with Fetcher(timeout=0.2) as http:
        error = only_error(url, fetcher=http)
    assert error.reason == "timed out after 0.2 s"


def test_response_size_limit(server: LocalServer) -> None:
    url = server.add("/gross.html", Route(html_page().encode("utf-8") * 20))
    with Fetcher(max_mb=0.01) as http:
        error = only_error(url, fetcher=http)
    assert error.reason == "response larger than 0.01 MB"


def test_not_a_page(server: LocalServer, fetcher: Fetcher) -> None:
    url = server.add("/doc.pdf", Route(b"%PDF-1.7 ...", "application/pdf"))
    assert only_error(url, fetcher=fetcher).reason == "not a web page or feed (content type application/pdf)"


def test_mixed_batch_keeps_input_order(server: LocalServer, fetcher: Fetcher, tmp_path: Path) -> None:
    url = server.add("/ok.html", Route(html_page().encode("utf-8")))
    corpus_copy = tmp_path / "korpus"
    shutil.copytree(CORPUS, corpus_copy)
    results = load(tmp_path / "fehlt", url, corpus_copy, closed_port_url(), fetcher=fetcher)
    assert [type(r).__name__ for r in results] == ["InputError", "Article", "Article", "InputError"]
    assert results[2].id == "derstandard-2022-01-21-blinken-lawrow-genf"
