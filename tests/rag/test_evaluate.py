"""`newsrag eval`: a tiny QA set written here (always runs) and the shared XQuAD dev set (skips without it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.index import Indexer
from rag.evaluate import evaluate, qa_articles
from tests.conftest import shared_data
from tests.fakes import FakeEmbedder
from ui.cli import main

CONTEXTS = [
    {"context_id": "c1", "title": "Wachau", "paragraph_index": 0,
     "text": "Die Weinlese in der Wachau fiel kleiner aus. Hagel im Juli hatte die Rieden beschädigt."},
    {"context_id": "c2", "title": "Wachau", "paragraph_index": 1,
     "text": "Der Preis pro Flasche Grüner Veltliner steigt um einen Euro, sagte der Obmann der Vinea Wachau."},
    {"context_id": "c3", "title": "Mars", "paragraph_index": 0,
     "text": "Die Raumsonde Perseverance fand im Jezero-Krater organische Moleküle. Die Nasa will die Proben "
             "in den 2030er-Jahren zur Erde bringen."},
]
QUESTIONS = [
    {"id": "q1", "question": "Was hatte die Rieden in der Wachau beschädigt?", "answers": ["Hagel im Juli"],
     "answer_starts": [CONTEXTS[0]["text"].index("Hagel im Juli")], "context_id": "c1", "title": "Wachau"},
    {"id": "q2", "question": "Um wie viel steigt der Preis pro Flasche Veltliner?", "answers": ["einen Euro"],
     "answer_starts": [CONTEXTS[1]["text"].index("einen Euro")], "context_id": "c2", "title": "Wachau"},
    {"id": "q3", "question": "Wo fand Perseverance organische Moleküle?", "answers": ["Jezero-Krater"],
     "answer_starts": [CONTEXTS[2]["text"].index("Jezero-Krater")], "context_id": "c3", "title": "Mars"},
]
DISTRACTORS = [{"id": "d1", "text": "Der Nationalrat beschloss am Mittwoch ein neues Budget für Schulen."}]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_contexts_become_articles_with_offsets() -> None:
    articles, where = qa_articles(CONTEXTS)
    wachau = next(a for a in articles if a.title == "Wachau")
    article_id, offset = where["c2"]
    assert article_id == wachau.id and wachau.text[offset:].startswith("Der Preis pro Flasche")


def test_eval_metrics_on_a_tiny_set(tmp_path: Path) -> None:
    metrics = evaluate(write_jsonl(tmp_path / "q.jsonl", QUESTIONS), write_jsonl(tmp_path / "c.jsonl", CONTEXTS),
                       lambda store, articles: Indexer(store).ingest(articles),
                       distractors_path=write_jsonl(tmp_path / "d.jsonl", DISTRACTORS), embedder=FakeEmbedder())
    assert metrics["questions"] == 3 and metrics["articles"] == 3
    assert metrics["recall@1"] == 1.0 and metrics["mrr@10"] == 1.0
    assert metrics["citation_support"] == 1.0 and metrics["answer_containment"] == 1.0
    assert metrics["unanswered_rate"] == 0.0
    assert metrics["supported_sentences"] == 1.0  # extractive sentences are quotes
    for key in ("recall@5", "recall@10", "chunk_recall@1", "retrieval_ms_p50", "retrieval_ms_p95",
                "answer_ms_p50", "answer_ms_p95"):
        assert key in metrics


def test_eval_cli_json_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    contexts = write_jsonl(tmp_path / "c.jsonl", CONTEXTS)
    assert main(["eval", "--questions", str(questions), "--contexts", str(contexts), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["questions"] == 3 and metrics["recall@5"] == 1.0
    broken = tmp_path / "kaputt.jsonl"
    broken.write_text('{"id": 1\n')
    assert main(["eval", "--questions", str(broken), "--contexts", str(contexts)]) == 1
    assert "kaputt.jsonl:1" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_on_the_shared_xquad_dev_set(capsys: pytest.CaptureFixture[str]) -> None:
    questions = shared_data("xquad_de_dev_questions.jsonl")
    contexts = shared_data("xquad_de_dev_contexts.jsonl")
    assert main(["eval", "--questions", str(questions), "--contexts", str(contexts), "--limit", "40",
                 "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["questions"] == 40
    assert metrics["recall@5"] >= 0.85 and metrics["citation_support"] >= 0.7
