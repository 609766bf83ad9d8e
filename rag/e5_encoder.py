"""The lean input module newsrag loads its converted e5 folder with: the same BERT weights, SentencePiece pieces.

A converted folder (`rag/e5.py`) is an ordinary sentence-transformers model, and loading it the ordinary way
works; but the `tokenizers` Unigram model of XLM-R's 250,002 pieces costs about 300 MB of memory in every
process (its trie holds one hash map per node), more than the model's own weights once they are mapped from
disk. The same Viterbi segmentation over the same scored pieces runs in the `sentencepiece` library in about
40 MB, five times faster. So newsrag builds the sentence-transformers model from this module, mean pooling and
normalisation: `E5Encoder` reads the folder's `sentencepiece.model` (written at conversion from the same pieces
and scores) and applies the engine's per-character normalisation in Python, ids equal to `tokenizer.json`'s on
the 2,039 dev, distractor and question texts (`tests/rag/test_e5.py`).
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from sentence_transformers.base.modules.input_module import InputModule

from rag.e5 import NORMALISATION_FILE, SPM_FILE

_SPACES = re.compile(" {2,}")


class PieceTokenizer:
    """XLM-R's pieces through `sentencepiece`, after the engine's normalisation; `<s>` … `</s>` around."""

    def __init__(self, folder: Path) -> None:
        import sentencepiece

        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / SPM_FILE))
        rules = json.loads((folder / NORMALISATION_FILE).read_text(encoding="utf-8"))
        self._table = {code: None for code in rules["removed"]} | {code: " " for code in rules["spaced"]}
        self._replacements = sorted(rules["replace"].items())
        self.bos, self.eos, self.pad = (self.processor.bos_id(), self.processor.eos_id(), self.processor.pad_id())

    def normalise(self, text: str) -> str:
        """The steps of the converted `tokenizer.json`'s normaliser, in its order; a leading space is dropped
        because the dummy prefix already stands for it (as the Metaspace pre-tokenizer does)."""
        text = unicodedata.normalize("NFKC", text.translate(self._table))
        for source, target in self._replacements:
            text = text.replace(source, target)
        return _SPACES.sub(" ", text).lstrip(" ")

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """Piece ids with `<s>` and `</s>`, cut to `max_length` ids in all."""
        ids = self.processor.encode(self.normalise(text))
        if max_length is not None:
            ids = ids[: max_length - 2]
        return [self.bos, *ids, self.eos]

    def tokenize(self, text: str) -> list[str]:
        """The pieces of a text, without the sentence markers."""
        return list(self.processor.encode(self.normalise(text), out_type=str))

    def __len__(self) -> int:
        return int(self.processor.get_piece_size())


class E5Encoder(InputModule):
    """BERT token embeddings for sentence-transformers, fed by `PieceTokenizer` (see the module's docstring)."""

    def __init__(self, folder: str | Path, max_seq_length: int = 512) -> None:
        super().__init__()
        from transformers import BertModel

        self.folder = Path(folder)
        # transformers maps the safetensors file: only the rows of the word embeddings a text uses are read.
        self.model = BertModel.from_pretrained(str(self.folder), local_files_only=True)
        self.model.eval()
        self.tokenizer = PieceTokenizer(self.folder)
        self.max_seq_length = min(max_seq_length, int(self.model.config.max_position_embeddings))

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = [(prompt or "") + str(text) for text in inputs]
        rows = [self.tokenizer.encode(text, self.max_seq_length) for text in texts]
        width = max(len(row) for row in rows)
        input_ids = torch.full((len(rows), width), self.tokenizer.pad, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            attention_mask[i, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask,
                "token_type_ids": torch.zeros_like(input_ids)}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        output = self.model(input_ids=features["input_ids"], attention_mask=features["attention_mask"],
                            token_type_ids=features["token_type_ids"], return_dict=True)
        features["token_embeddings"] = output.last_hidden_state
        return features

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    get_word_embedding_dimension = get_embedding_dimension

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        """The converted folder's files, as they are (weights, configs, both tokenizers)."""
        target = Path(output_path)
        target.mkdir(parents=True, exist_ok=True)
        for path in self.folder.iterdir():
            if path.is_file():
                shutil.copy2(path, target / path.name)


def has_piece_model(folder: Path) -> bool:
    """Whether a converted folder carries what `E5Encoder` reads."""
    return (folder / SPM_FILE).is_file() and (folder / NORMALISATION_FILE).is_file()
