"""German lemmas (issue 12, memory): simplemma's in-memory dictionary against the on-disk table of rag/lemmas.py.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python bench/lemmas.py [--repeat 3]

Three JSON lines, each measured in fresh processes (the dictionaries are per process):
- `memory`: simplemma's own dictionary, what every process loaded before (reached the documented way: a model
  cache that cannot be written makes rag.lemmas fall back to it);
- `table`: the SQLite table, built beforehand into a temporary model cache;
- `build`: building that table into an empty cache: seconds, the builder's peak memory, the file's size.
For `memory` and `table`: the peak resident memory (VmHWM) after the imports and after `rag.text.analyze` of one
German question, the question's time (with the dictionary's load), then lemmas per second for the distinct
alphabetic words of the dev contexts, questions and 10kGNAD articles (50,609; each lemmatised once, cold), and
the memory after them. Times (wall and CPU) are the best of --repeat runs, the configurations interleaved (the
machine is shared); memory is the first run's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CONTEXTS, DISTRACTORS, QUESTIONS, data_files, emit, fail, hwm_mib, log, parser, rss_mib

QUESTION = "Wo trafen sich die Außenminister Blinken und Lawrow, und welche Forderungen stellte Moskau an die NATO?"


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration; times are the best (default 3)")
    p.add_argument("--child", choices=("memory", "table", "build"), help=argparse.SUPPRESS)
    p.add_argument("--words", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(build() if args.child == "build" else lemmatise(args.child, args.words)))
        return
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-lemmas-") as tmp:
        words = Path(tmp) / "words.txt"
        words.write_text("\n".join(corpus_words(data_files(args.data, CONTEXTS, QUESTIONS, DISTRACTORS))))
        blocker = Path(tmp) / "not-a-folder"
        blocker.write_text("")
        builds = [child("build", {"RAG_MODEL_CACHE": str(Path(tmp) / f"cache-{i}")}) for i in range(args.repeat)]
        table_cache = {"RAG_MODEL_CACHE": str(Path(tmp) / "cache-0")}  # built by the first build run
        runs: dict[str, list[dict[str, Any]]] = {"memory": [], "table": []}
        for _ in range(args.repeat):  # interleaved, so that a busy spell on the machine hits both alike
            runs["memory"].append(child("memory", {"RAG_MODEL_CACHE": str(blocker / "cache")}, words))
            runs["table"].append(child("table", table_cache, words))
    for config, records in runs.items():
        emit("lemmas", config, **best(records))
    emit("lemmas", "build", **best(builds))


def corpus_words(paths: list[Path]) -> list[str]:
    """Distinct alphabetic tokens as written, in order of first appearance (what rag.text lemmatises)."""
    seen: dict[str, None] = {}
    for path in paths:
        field = "question" if path.name == QUESTIONS else "text"
        for line in path.read_text(encoding="utf-8").splitlines():
            for token in re.findall(r"\w+", json.loads(line)[field].replace("_", " ")):
                if token.isalpha():
                    seen.setdefault(token)
    return list(seen)


def child(config: str, env: dict[str, str], words: Path | None = None) -> dict[str, Any]:
    log(f"{config} ...")
    command = [sys.executable, __file__, "--child", config] + (["--words", str(words)] if words else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **env})
    if done.returncode != 0:
        fail(f"{config} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'}")
    return json.loads(done.stdout)


def best(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's record, its times replaced by the best of all runs."""
    out = dict(records[0])
    for key in out:
        if key.endswith("_per_s"):
            out[key] = max(r[key] for r in records)
        elif key.endswith("_s"):
            out[key] = min(r[key] for r in records)
    out["runs"] = len(records)
    return out


def lemmatise(config: str, words_file: Path) -> dict[str, Any]:
    from rag import lemmas, text

    words = words_file.read_text(encoding="utf-8").split("\n")
    imported = hwm_mib()
    clock, cpu = time.perf_counter(), time.process_time()
    terms = text.analyze(QUESTION)
    question_s, question_cpu_s = time.perf_counter() - clock, time.process_time() - cpu
    after_question = hwm_mib()
    dictionaries = lemmas.default_dictionaries()
    if dictionaries.on_disk("de") != (config == "table"):
        fail(f"{config}: the dictionary is {'on disk' if dictionaries.on_disk('de') else 'in memory'}")
    clock, cpu = time.perf_counter(), time.process_time()
    for word in words:  # rag.lemmas keeps no cache of its own: each distinct word is a cold lemmatisation
        lemmas.lemmatize(word)
    words_s, words_cpu_s = time.perf_counter() - clock, time.process_time() - cpu
    return {
        "dictionary": "on disk (SQLite)" if config == "table" else "simplemma in memory",
        "question": QUESTION, "terms": terms,
        "hwm_imports_mib": imported, "hwm_question_mib": after_question,
        "question_adds_mib": round(after_question - imported, 1), "question_s": round(question_s, 3),
        "question_cpu_s": round(question_cpu_s, 3),
        "words": len(words), "words_s": round(words_s, 3), "words_cpu_s": round(words_cpu_s, 3),
        "lemmas_per_s": round(len(words) / words_s),
        "hwm_words_mib": hwm_mib(), "rss_words_mib": rss_mib(),
    }


def build() -> dict[str, Any]:
    from rag import lemmas
    from rag.config import Settings

    cache = Settings().model_cache
    before = hwm_mib()
    clock, cpu = time.perf_counter(), time.process_time()
    path = lemmas.build_table(cache, "de")
    build_s, build_cpu_s = time.perf_counter() - clock, time.process_time() - cpu
    after = hwm_mib()
    return {"build_s": round(build_s, 2), "build_cpu_s": round(build_cpu_s, 2), "hwm_before_mib": before,
            "hwm_after_mib": after, "builder_adds_mib": round(after - before, 1),
            "file_mib": round(path.stat().st_size / 2**20, 1), "forms": len(lemmas.LemmaTable(path))}


if __name__ == "__main__":
    main()
