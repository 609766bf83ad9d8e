"""Fit how extractive sentence choice combines its signals, on the dev set, cross-validated by article.

The first sentence of an extractive answer is the candidate with the best score by words and position
(`rag.extractive.word_score`: the question's weight it holds, the answer-type bonus, the rank and lead bonuses)
plus its cosine with the question times the model's sentence weight (rag/profiles.py). Those numbers were set by
measuring answer containment one at a time. This bench asks whether a model fitted on the same signals chooses
better: a conditional logit (the softmax over a question's candidates, maximising the probability of the
sentences holding the gold answer) on the share of the question's weight, the answer-type bonus, a fragment,
the introduction of the person asked about, the passage's rank 1/(1 + rank), the lead, and the cosine less the
best candidate's. Held out by article (5 folds of 2 XQuAD articles, as bench/fit.py); German questions over the
product index, their English originals over the title-less index (both built by bench/quality.py's `--home`).

One JSON line: per language, the questions whose candidates hold the gold answer, how many of them the
product's choice and the held-out fit each put first, and the coefficients fitted on all.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/fit_sentences.py --home /tmp/bench-quality [--l2 0.01]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import emit, log, parser
from bench.fit import folds
from bench.quality import dev_assistants

FEATURES = ("share", "answer_type", "fragment", "introduces", "rank", "lead", "cosine")


@dataclass
class Asked:
    """One question's candidates: their features, which hold the gold answer, the product's score."""
    language: str
    article: str
    features: np.ndarray  # candidates × FEATURES
    gold: np.ndarray  # candidates, bool
    product: np.ndarray  # candidates: word score + weighted cosine, as `select_sentences` picks the first


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--l2", type=float, default=0.01, help="ridge penalty on the coefficients (default 0.01)")
    args = p.parse_args()
    with dev_assistants(args.data, args.home) as dev:
        asked = [a for q in dev.german if (a := candidates(dev.product, q, "de"))]
        asked += [a for q in dev.english if (a := candidates(dev.untitled, q, "en"))]
    log(f"{len(asked)} questions with the gold answer among their candidates")
    emit("fit", "sentences", **compare(asked, args.l2))


def candidates(assistant: Any, question: Any, language: str) -> Asked | None:
    """The candidates of the passages the assistant retrieves for the question (as an answer reads them)."""
    from rag.evaluate import holds
    from rag.extractive import sentence_signals, word_score
    from rag.meaning import sentence_similarity
    from rag.relevance import lexical_idf

    retrieval = assistant.retriever.retrieve(question.question, k=assistant.settings.top_k)
    similarity = sentence_similarity(assistant.retriever, retrieval)
    if not retrieval.passages or retrieval.lexical is None or similarity is None:
        return None
    passages = retrieval.passages
    signals = sentence_signals(question.question, passages, lexical_idf(retrieval.lexical))
    if not signals:
        return None
    texts = [passages[s.passage].text[s.start : s.end] for s in signals]
    weighted = np.asarray(similarity(texts), dtype=float)
    cosine = weighted / assistant.retriever.profile.sentence_weight
    gold = np.array([holds(question, passages[s.passage].article_id, passages[s.passage].start + s.start,
                           passages[s.passage].start + s.end) for s in signals])
    if not gold.any():
        return None
    features = np.array([[s.share, s.type_bonus > 0, s.fragment, s.introduces, 1 / (1 + s.passage), s.lead, c]
                         for s, c in zip(signals, cosine - cosine.max(), strict=True)], dtype=float)
    product = np.array([word_score(s) for s in signals]) + weighted
    return Asked(language, question.article_id, features, gold, product)


def conditional_logit(asked: list[Asked], l2: float) -> np.ndarray:
    """Coefficients maximising, over the questions, the log probability that the softmax of each question's
    candidate scores falls on a sentence holding its answer (ridge-penalised)."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = l2 * float(w @ w), 2 * l2 * w
        for a in asked:
            scores = a.features @ w
            p = np.exp(scores - scores.max())
            p /= p.sum()
            on_gold = p * a.gold
            total -= float(np.log(on_gold.sum()))
            gradient += a.features.T @ p - a.features.T @ (on_gold / on_gold.sum())
        return total, gradient

    return minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B").x


def compare(asked: list[Asked], l2: float) -> dict[str, Any]:
    """First-sentence hits of the product's choice and of the fit held out by article, per language."""
    fitted_first: dict[int, bool] = {}
    for fold in folds([a.article for a in asked]):
        w = conditional_logit([a for a in asked if a.article not in fold], l2)
        fitted_first |= {i: bool(a.gold[np.argmax(a.features @ w)]) for i, a in enumerate(asked) if a.article in fold}
    out: dict[str, Any] = {}
    for language in sorted({a.language for a in asked}):
        mine = [i for i, a in enumerate(asked) if a.language == language]
        out[language] = {"questions": len(mine),
                         "product_first": sum(bool(asked[i].gold[np.argmax(asked[i].product)]) for i in mine),
                         "fitted_first_held_out": sum(fitted_first[i] for i in mine)}
    out["coefficients"] = dict(zip(FEATURES, (round(float(c), 3) for c in conditional_logit(asked, l2)), strict=True))
    out["l2"] = l2
    return out


if __name__ == "__main__":
    main()
