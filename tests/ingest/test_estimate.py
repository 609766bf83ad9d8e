from __future__ import annotations

from pathlib import Path

from ingest.load import estimate_count


def test_estimate_counts_files_and_records(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("x")
    (tmp_path / "sub" / "skip.png").write_bytes(b"x")
    (tmp_path / "many.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n')
    (tmp_path / "rows.csv").write_text("title,text\na,b\nc,d\n")
    assert estimate_count([str(tmp_path)]) == 1 + 1 + 3 + 2
    assert estimate_count([str(tmp_path / "a.txt"), "https://example.org/feed"]) is None
