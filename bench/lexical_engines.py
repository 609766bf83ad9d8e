"""tantivy against SQLite FTS5 for the lexical index (issue 12): the dev corpus's chunks of an existing bench
index, pre-analysed the same way; build, replace one article, query p50 (word side + 4-gram side).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/lexical_engines.py HOME ../shared/data/xquad_de_dev_questions.jsonl

HOME: a bench index with the collection "eval" (bench/quality.py --home DIR makes DIR/product).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.config import Settings
from rag.lexical import LexicalDoc
from rag.lexical_files import LexicalFiles
from rag.store import Store, lexical_text
from rag.text import analyze, char_grams
from tests.fakes import FakeEmbedder

work = Path(tempfile.mkdtemp(prefix="newsrag-engines-"))
src = Store(Settings(home=Path(sys.argv[1]), collection="eval"), FakeEmbedder(), check_model=False)
docs = [LexicalDoc(c, lexical_text(t, m), str(m["article_id"]), int(m.get("published_day", 0)),
                   str(m.get("source", ""))) for c, t, m in src.committed_chunks()]
questions = [json.loads(line)["question"] for line in Path(sys.argv[2]).read_text().splitlines()][:200]
# Analysed once up front (the analysis cache then serves tantivy's documents too): the engines are compared.
analysed = [(d, " ".join(analyze(d.text)), " ".join(char_grams(d.text))) for d in docs]

out: dict = {}
# tantivy
files = LexicalFiles(work / "tantivy")
t = time.perf_counter()
with files.locked():
    files.apply(docs[:-4], [], {}, "g")
out["tantivy_build_s"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
with files.locked():
    files.apply(docs[-4:], [docs[-1].article_id], {}, "g2")
out["tantivy_add_article_s"] = round(time.perf_counter() - t, 3)
index = files.snapshot("g2", {})
lat = []
for q in questions:
    t = time.perf_counter()
    index.search(q, 50)
    lat.append(time.perf_counter() - t)
out["tantivy_query_ms_p50"] = round(statistics.median(lat) * 1000, 2)

# FTS5: one table per side (its bm25() mixes columns into one document length)
db = sqlite3.connect(work / "fts5.db")
tok = "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\""
db.execute(f"create virtual table words using fts5(chunk_id unindexed, article_id unindexed, body, {tok})")
db.execute(f"create virtual table grams using fts5(chunk_id unindexed, article_id unindexed, body, {tok})")


def add(rows: list) -> None:
    db.executemany("insert into words values (?,?,?)", [(d.chunk_id, d.article_id, w) for d, w, _ in rows])
    db.executemany("insert into grams values (?,?,?)", [(d.chunk_id, d.article_id, g) for d, _, g in rows])
t = time.perf_counter()
add(analysed[:-4])
db.commit()
out["fts5_build_s"] = round(time.perf_counter() - t, 2)
t = time.perf_counter()
for table in ("words", "grams"):
    db.execute(f"delete from {table} where article_id = ?", (docs[-1].article_id,))  # no index on article_id: a scan
add(analysed[-4:])
db.commit()
out["fts5_add_article_s"] = round(time.perf_counter() - t, 3)


def fts(table: str, tokens: list[str]) -> list:
    if not tokens:
        return []
    match = " OR ".join('"' + x.replace('"', '""') + '"' for x in tokens)
    return db.execute(f"select chunk_id, bm25({table}) from {table} where {table} match ? "
                      f"order by bm25({table}) limit 50", (match,)).fetchall()


lat = []
for q in questions:
    t = time.perf_counter()
    fts("words", analyze(q))
    fts("grams", char_grams(q))
    lat.append(time.perf_counter() - t)
out["fts5_query_ms_p50"] = round(statistics.median(lat) * 1000, 2)
out["note"] = "FTS5: top 50 per side only (no combined score); tantivy: the full combined query; both pre-analysed"
shutil.rmtree(work, ignore_errors=True)
print(json.dumps(out))
