"""What every bench shares: data paths, machine info, percentiles, memory, a Chroma server, index reuse, output.

Conventions: one JSON line per configuration on stdout (`emit`), everything else on stderr (`log`).
`--home DIR` keeps the built indexes so reruns skip ingestion; without it everything lives in a temp dir.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
QUESTIONS = "xquad_de_dev_questions.jsonl"
QUESTIONS_EN = "xquad_en_dev_questions.jsonl"
CONTEXTS = "xquad_de_dev_contexts.jsonl"
DISTRACTORS = "10kgnad_test_articles.jsonl"
STAGES = ("lexical", "embed", "dense", "fusion", "retrieve", "answer")


# --- output ------------------------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 1."""
    sys.exit(f"bench: {message}")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def emit(bench: str, config: str, **fields: Any) -> dict[str, Any]:
    """Print one JSON line for one configuration (with date and machine) and return it."""
    record = {"bench": bench, "config": config, "date": now_iso(), "machine": machine(), **fields}
    print(json.dumps(record, ensure_ascii=False), flush=True)
    return record


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


_MACHINE: dict[str, Any] | None = None


def machine() -> dict[str, Any]:
    """Cores, CPU model (from /proc/cpuinfo), memory and the versions that matter for the figures."""
    global _MACHINE
    if _MACHINE is None:
        cpu = platform.processor() or "unknown"
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem_gib = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 2**20, 1)
                    break
        _MACHINE = {
            "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": cpu,
            "mem_gib": mem_gib,
            "python": platform.python_version(),
            "torch": _version("torch"),
            "sentence_transformers": _version("sentence-transformers"),
            "chromadb": _version("chromadb"),
        }
    info = dict(_MACHINE)
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


# --- numbers -----------------------------------------------------------------------------------------------
def pct_ms(values_s: Sequence[float], q: float) -> float | None:
    """The q-th percentile of durations in seconds, in milliseconds (None when there are none)."""
    if not values_s:
        return None
    return round(float(np.percentile(np.asarray(values_s, dtype=float), q)) * 1000, 2)


def latency(prefix: str, values_s: Sequence[float]) -> dict[str, float | None]:
    return {f"{prefix}_ms_p50": pct_ms(values_s, 50), f"{prefix}_ms_p95": pct_ms(values_s, 95)}


def stage_latencies(timings: Sequence[dict[str, float]], stages: Iterable[str] = STAGES) -> dict[str, Any]:
    """p50/p95 per stage over per-question timing dicts (seconds); a stage absent everywhere is left out."""
    out: dict[str, Any] = {}
    for stage in stages:
        values = [t[stage] for t in timings if stage in t]
        if values:
            out.update(latency(stage, values))
    return out


def rate(count: float, seconds: float) -> float | None:
    return round(count / seconds, 2) if seconds > 0 else None


# --- memory ------------------------------------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def rss_mib() -> float | None:
    """Current resident memory of this process."""
    kib = _status_kib("VmRSS")
    return round(kib / 1024, 1) if kib is not None else None


def peak_rss_mib() -> float:
    """Peak resident memory of this process (getrusage; kilobytes on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark (VmHWM) so `hwm_mib` measures from now on; False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def hwm_mib() -> float:
    """Peak resident memory since the last `reset_peak_rss` (VmHWM), or since start (ru_maxrss)."""
    kib = _status_kib("VmHWM")
    return round(kib / 1024, 1) if kib is not None else peak_rss_mib()


# Runs the command as its grandchild and reports that process's own peak RSS. Measuring the direct child with
# wait4 is wrong: subprocess starts it with vfork, and exec folds the parent's (the bench's) peak RSS into the
# child's ru_maxrss. A fresh fork of this small helper starts from a new accounting.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 600.0
                 ) -> tuple[int, str, str, float, float | None]:
    """Run a command; (exit status, stdout, stderr, wall seconds, its own peak RSS in MiB)."""
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-run-") as tmp:
        rss_file = Path(tmp) / "maxrss"
        clock = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _MEASURE, str(rss_file), *cmd], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)  # the helper and the command it runs: their own process group
            process.communicate()
            return -1, "", f"timed out after {timeout:.0f} s", time.perf_counter() - clock, None
        wall = time.perf_counter() - clock
        try:
            max_rss: float | None = round(int(rss_file.read_text()) / 1024, 1)
        except (OSError, ValueError):
            max_rss = None
        return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), wall, max_rss


# --- arguments, data, home ---------------------------------------------------------------------------------
def parser(description: str, *, home_help: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"directory with the shared data files (default {DEFAULT_DATA})")
    p.add_argument("--home", type=Path, help=home_help or "keep the built indexes here and reuse them on reruns "
                   "(default: a temporary directory, deleted at the end)")
    return p


def data_files(directory: Path, *names: str) -> list[Path]:
    """The named files in the data directory; exits with one line when any is missing."""
    if not directory.is_dir():
        fail(f"data directory {directory} not found: pass --data DIR (normally ../shared/data)")
    paths = [directory / name for name in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        fail(f"missing in {directory}: {', '.join(missing)} (pass --data DIR)")
    return paths


@contextmanager
def home_dir(home: Path | None, name: str) -> Iterator[Path]:
    """`home` (created, kept) or a temporary directory removed at the end."""
    if home is not None:
        home = home.expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
        yield home
        return
    with tempfile.TemporaryDirectory(prefix=f"newsrag-bench-{name}-") as tmp:
        yield Path(tmp)


def quiet() -> None:
    """Keep library chatter (progress bars, telemetry, warnings) off stderr's useful lines."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("chromadb", "sentence_transformers", "httpx", "urllib3", "bm25s", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


# --- corpora -----------------------------------------------------------------------------------------------
def news_corpus(data: Path, limit: int | None = None) -> tuple[list[Any], list[Any], list[Any]]:
    """(XQuAD articles, 10kGNAD articles[:limit], XQuAD questions): the corpus of the query benches."""
    from rag.evaluate import distractor_articles, gold_questions, qa_articles, read_jsonl

    questions_path, contexts_path, distractors_path = data_files(data, QUESTIONS, CONTEXTS, DISTRACTORS)
    qa, where = qa_articles(read_jsonl(contexts_path))
    distractors = distractor_articles(read_jsonl(distractors_path))
    if limit is not None:
        distractors = distractors[:limit]
    return qa, distractors, gold_questions(read_jsonl(questions_path), where)


def repeat_to(items: Sequence[Any], n: int) -> list[Any]:
    """`n` items, cycling through `items` in order."""
    return [items[i % len(items)] for i in range(n)] if items else []


# --- settings, embedder, index reuse -----------------------------------------------------------------------
def settings_for(home: Path, **overrides: Any) -> Any:
    """Settings for a bench index: extractive answers, no LLM, the rest from RAG_* defaults."""
    from rag.config import Settings

    values: dict[str, Any] = {"home": home, "answer_mode": "extractive", "llm_url": None}
    values.update(overrides)
    return Settings(**values)


def embedder_for(settings: Any) -> Any:
    from rag.embeddings import make_embedder

    return make_embedder(settings)


def indexed_assistant(home: Path, articles: list[Any], *, name: str = "1k", embedder: Any = None
                      ) -> tuple[Any, float | None]:
    """An extractive Assistant on the bench index in HOME, built with the product's indexer unless a matching
    one is there already; returns it and the build time (None when reused)."""
    from rag.assistant import Assistant

    settings = settings_for(home)
    assistant = Assistant(settings, embedder=embedder or embedder_for(settings))
    return assistant, ensure_index(assistant.store, articles, indexer, name=name)


def indexer(store: Any, articles: list[Any]) -> Any:
    """What `newsrag ingest` does with these articles (the index function of rag.evaluate)."""
    from ingest.index import Indexer

    clock = time.perf_counter()

    def progress(count: int, _item: Any) -> None:
        if count % 200 == 0:
            log(f"ingest: {count}/{len(articles)} articles queued, {time.perf_counter() - clock:.0f} s")

    return Indexer(store).ingest(articles, progress=progress)


def _fingerprint(store: Any, articles: Sequence[Any], extra: str = "") -> str:
    s = store.settings
    digest = hashlib.sha256(f"{s.embedding_model}|{s.chunk_size}|{s.chunk_overlap}|{extra}".encode())
    for article in sorted(articles, key=lambda a: a.id):
        digest.update(f"{article.id}\x00{article.hash}\x00".encode())
    return digest.hexdigest()[:24]


def _manifest_path(store: Any) -> Path:
    where = "server" if store.settings.chroma_url else "embedded"
    return store.settings.home / f"bench-manifest-{store.settings.collection}-{where}.json"


def index_matches(store: Any, articles: Sequence[Any], extra: str = "") -> bool:
    """True when the store holds exactly these article versions, built with the same chunking and model."""
    path = _manifest_path(store)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("fingerprint") != _fingerprint(store, articles, extra):
        return False
    try:
        catalog = store.catalog()
        return ({i: info.version for i, info in catalog.items()} == {a.id: a.hash for a in articles}
                and store.chunks.count() == manifest.get("chunks"))
    except Exception as exc:  # an unreadable leftover: rebuild
        log(f"existing index unusable ({exc}); rebuilding")
        return False


def mark_built(store: Any, articles: Sequence[Any], extra: str = "") -> None:
    _manifest_path(store).write_text(json.dumps({
        "fingerprint": _fingerprint(store, articles, extra), "chunks": store.chunks.count(), "built": now_iso(),
    }))


def ensure_index(store: Any, articles: list[Any], build: Callable[[Any, list[Any]], Any], *, name: str,
                 extra: str = "") -> float | None:
    """Build the index with `build(store, articles)` unless the store already holds exactly these articles.

    Returns the build time in seconds, or None when the existing index was reused.
    """
    if index_matches(store, articles, extra):
        log(f"{name}: reusing the index at {store.settings.home} ({store.chunks.count()} chunks)")
        return None
    _manifest_path(store).unlink(missing_ok=True)
    store.drop()
    shutil.rmtree(store.lexical_dir, ignore_errors=True)
    log(f"{name}: indexing {len(articles)} articles into {store.settings.home} ...")
    clock = time.perf_counter()
    build(store, articles)
    seconds = time.perf_counter() - clock
    mark_built(store, articles, extra)
    log(f"{name}: indexed {store.chunks.count()} chunks in {seconds:.1f} s")
    return seconds


def stored_vectors(store: Any, page: int = 5000) -> dict[str, np.ndarray]:
    """Every chunk vector of a store by chunk id (to copy an index without embedding again)."""
    vectors: dict[str, np.ndarray] = {}
    offset = 0
    while True:
        found = store.chunks.get(include=["embeddings"], limit=page, offset=offset)
        if not found["ids"]:
            return vectors
        for chunk_id, vector in zip(found["ids"], found["embeddings"], strict=True):
            vectors[chunk_id] = np.asarray(vector, dtype=np.float32)
        offset += len(found["ids"])


def copy_with_vectors(vectors: dict[str, np.ndarray], store: Any, articles: list[Any], *, batch_chunks: int = 5000
                      ) -> None:
    """Write `articles` into `store` with vectors from another index of the same articles (chunked with the
    same settings, so chunk ids match); then rebuild the lexical index once."""
    from ingest.chunk import chunk_article
    from rag.store import PreparedArticle

    s = store.settings
    pending: list[Any] = []
    size = 0
    for article in articles:
        chunks = chunk_article(article, size=s.chunk_size, overlap=s.chunk_overlap)
        try:
            matrix = np.stack([vectors[c.id] for c in chunks]) if chunks else np.zeros((0, 1), np.float32)
        except KeyError:
            fail(f"the source index has no vector for a chunk of {article.id}: rebuild it (different settings?)")
        pending.append(PreparedArticle(article, chunks, matrix))
        size += len(chunks)
        if size >= batch_chunks:
            store.write(pending)
            pending, size = [], 0
    store.write(pending)
    store.rebuild_lexical(sweep=True)


# --- a Chroma server ---------------------------------------------------------------------------------------
@contextmanager
def chroma_server(path: Path, *, timeout: float = 60.0) -> Iterator[str]:
    """`chroma run` on a free loopback port (the test suite's launcher); its data lives in PATH/data and is
    reused on reruns. A server that does not come up ends the bench with one line."""
    from tests.chroma_server import chroma_server as run_chroma

    path.mkdir(parents=True, exist_ok=True)
    try:
        with run_chroma(path, timeout=timeout) as url:
            log(f"chroma server at {url}, data in {path / 'data'}")
            yield url
    except RuntimeError as exc:
        fail(str(exc))
