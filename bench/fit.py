"""Fit the numbers where lexical and semantic signals meet, on the dev set, cross-validated by article.

Uses the quality bench's indexes (`--home` as for bench/quality.py; built when missing): the German questions
over the product index and their English originals over the title-less index. Folds hold out whole XQuAD
articles (5 folds of 2 articles), so no question is judged by numbers fitted on its own article.

One JSON line per fit on stdout:
  fusion  the dense side's weight in fusion (rag/profiles.py): a grid; each fold picks, on the other folds, the
          smallest weight whose mean reciprocal rank (German and English questions pooled; `--objective de` for
          German only) lies within one question of the best (the curve is flat there, and of tied weights the one
          leaning on exact terms is kept); reports the held-out recall@1/@5 and MRR per language, and the weight
          fitted on everything
  judge   the answerability judgement (rag/relevance.py): a logistic regression on (term coverage, best cosine),
          one for questions in the language of the passages and one for the others (the product's own flag);
          every question is asked as it is (answerable) and with the XQuAD articles filtered out (unanswerable).
          The floor is the lowest at which at most --made-up of the unanswerable German questions are answered
          anyway (answer all that can be answered within that budget of made-up answers); the cross-lingual
          intercept is shifted so that the same floor answers --answered-cross of the English questions it
          judges. Reports held-out figures and the coefficients fitted on everything.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/fit.py --home /tmp/bench-quality [--weights 0.2,0.3,0.4]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    CONTEXTS,
    DISTRACTORS,
    QUESTIONS,
    QUESTIONS_EN,
    data_files,
    embedder_for,
    emit,
    ensure_index,
    home_dir,
    indexer,
    log,
    parser,
    quiet,
    settings_for,
)
from bench.quality import english_questions, untitled_assistant

FOLDS = 5
GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--weights", help=f"dense weights to try (default {','.join(map(str, GRID))})")
    p.add_argument("--objective", choices=("de", "both"), default="both",
                   help="questions whose MRR the fusion weight maximises (default: both languages)")
    p.add_argument("--made-up", type=float, default=0.10,
                   help="share of unanswerable German questions the floor may answer anyway")
    p.add_argument("--answered-cross", type=float, default=0.95,
                   help="the same for questions in another language than the passages")
    args = p.parse_args()
    grid = [float(w) for w in args.weights.split(",")] if args.weights else list(GRID)
    questions_path, contexts_path, distractors_path, english_path = data_files(
        args.data, QUESTIONS, CONTEXTS, DISTRACTORS, QUESTIONS_EN)
    quiet()

    from rag.evaluate import distractor_articles, eval_assistant, gold_questions, qa_articles, read_jsonl

    qa, where = qa_articles(read_jsonl(contexts_path))
    distractors = distractor_articles(read_jsonl(distractors_path))
    german = gold_questions(read_jsonl(questions_path), where)
    english = english_questions(english_path)
    with home_dir(args.home, "quality") as home:
        settings = settings_for(home / "product", collection="eval")
        embedder = embedder_for(settings)
        product = eval_assistant(settings.home, settings, embedder)
        ensure_index(product.store, qa + distractors, indexer, name="product")
        untitled = untitled_assistant(home, settings, embedder, qa, distractors)
        asked = [(product, q, "de") for q in german] + [(untitled, q, "en") for q in english]
        weight = fit_fusion(asked, grid, args.objective)
        for assistant in (product, untitled):
            assistant.retriever.dense_weight = weight
        fit_judge(asked, args.made_up, args.answered_cross)


# --- folds ---------------------------------------------------------------------------------------------------
def folds(articles: Sequence[str]) -> list[set[str]]:
    names = sorted(set(articles))
    return [set(names[i::FOLDS]) for i in range(FOLDS)]


def held_out(articles: Sequence[str], fit: Callable[[np.ndarray], Any], apply: Callable[[Any, np.ndarray], Any]
             ) -> list[Any]:
    """apply(fit(training rows), held-out rows) per fold; results in row order."""
    articles = np.asarray(articles)
    out: list[Any] = [None] * len(articles)
    for fold in folds(list(articles)):
        test = np.isin(articles, list(fold))
        model = fit(~test)
        for index, value in zip(np.flatnonzero(test), apply(model, test), strict=True):
            out[index] = value
    return out


# --- fusion --------------------------------------------------------------------------------------------------
def fit_fusion(asked: list[tuple[Any, Any, str]], grid: list[float], objective: str = "both") -> float:
    from rag.evaluate import holds

    ranks = np.zeros((len(grid), len(asked)))  # reciprocal rank of the gold passage in the first 10, else 0
    for column, (assistant, q, _) in enumerate(asked):
        for row, weight in enumerate(grid):
            assistant.retriever.dense_weight = weight
            passages = assistant.retriever.retrieve(q.question, k=10).passages
            rank = next((i for i, p in enumerate(passages, 1) if holds(q, p.article_id, p.start, p.end)), None)
            ranks[row, column] = 1 / rank if rank else 0.0
        if column % 100 == 99:
            log(f"fusion: {column + 1}/{len(asked)} questions")
    articles = [q.article_id for _, q, _ in asked]
    languages = np.array([language for _, _, language in asked])
    counted = np.ones(len(asked), dtype=bool) if objective == "both" else languages == "de"
    chosen = held_out(articles, lambda train: _smallest_tied(ranks[:, train & counted]),
                      lambda best, test: [ranks[best, i] for i in np.flatnonzero(test)])
    chosen_rr = np.array(chosen)
    best = _smallest_tied(ranks[:, counted])
    emit("fit", "fusion", grid=grid, objective=objective, fitted_weight=grid[best],
         held_out={lang: _rank_figures(chosen_rr[languages == lang]) for lang in ("de", "en")},
         in_sample={f"{w}": {lang: _rank_figures(ranks[i, languages == lang]) for lang in ("de", "en")}
                    for i, w in enumerate(grid)})
    return grid[best]


def _smallest_tied(ranks: np.ndarray) -> int:
    """The first row (the grid ascends) whose mean lies within one question's reciprocal rank of the best."""
    means = ranks.mean(axis=1)
    return int(np.flatnonzero(means >= means.max() - 1.0 / ranks.shape[1])[0])


def _rank_figures(reciprocal: np.ndarray) -> dict[str, float]:
    return {"recall@1": round(float(np.mean(reciprocal >= 1.0)), 4),
            "recall@5": round(float(np.mean(reciprocal >= 0.2)), 4),
            "mrr@10": round(float(np.mean(reciprocal)), 4)}


# --- the answerability judgement -------------------------------------------------------------------------------
def fit_judge(asked: list[tuple[Any, Any, str]], made_up: float, answered_cross: float) -> None:
    """Two logistic models, chosen per row by the product's own cross-lingual flag; the floor is set on the
    German questions (the dev set's language), the cross model's intercept on the English ones."""
    from rag.retrieve import Filters

    only_distractors = Filters(sources=("distractor",))
    rows = []
    for number, (assistant, q, language) in enumerate(asked, start=1):
        for label, filters in ((1, None), (0, only_distractors)):
            evidence = assistant.retriever.retrieve(q.question, filters=filters).evidence
            rows.append((evidence.coverage, evidence.cosine, evidence.cross_lingual, label, q.article_id, language))
        if number % 100 == 0:
            log(f"judge: {number}/{len(asked)} questions")
    x = np.array([[r[0], r[1]] for r in rows], dtype=float)
    cross = np.array([r[2] for r in rows])
    y = np.array([r[3] for r in rows])
    articles = [r[4] for r in rows]
    german = np.array([r[5] == "de" for r in rows])
    models = {"same": logistic(x[~cross], y[~cross]), "cross": logistic(x[cross], y[cross])}
    scores = np.where(cross, probability(models["cross"], x), probability(models["same"], x))
    floor = _lowest_floor(scores[german], y[german], made_up)
    # The cross-lingual model's intercept moves so that the same floor answers its target share of the English
    # questions it judges.
    english_cross = ~german & cross
    cross_floor = _floor_for(scores[english_cross], y[english_cross], answered_cross)
    models["cross"] = (models["cross"][0] + _logit(floor) - _logit(cross_floor), models["cross"][1])
    scores = np.where(cross, probability(models["cross"], x), probability(models["same"], x))
    emit("fit", "judge", floor=round(floor, 4),
         same=_coefficients(models["same"]), cross=_coefficients(models["cross"]),
         rows={"same": int((~cross).sum()), "cross": int(cross.sum())},
         in_sample={"de": _shares(scores[german], y[german], floor),
                    "en": _shares(scores[~german], y[~german], floor)},
         held_out=_held_out_judge(x, y, cross, german, articles, made_up))


def _held_out_judge(x: np.ndarray, y: np.ndarray, cross: np.ndarray, german: np.ndarray, articles: list[str],
                    made_up: float) -> dict[str, Any]:
    """Both models fitted without the fold's articles; the German floor set on the held-out scores."""
    def fit(train: np.ndarray) -> dict[str, Any]:
        return {"same": logistic(x[train & ~cross], y[train & ~cross]),
                "cross": logistic(x[train & cross], y[train & cross])}

    def apply(models: dict[str, Any], test: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(test)
        return np.where(cross[rows], probability(models["cross"], x[rows]), probability(models["same"], x[rows]))

    scores = np.array(held_out(articles, fit, apply))
    floor = _lowest_floor(scores[german], y[german], made_up)
    return {"auc_de": round(auc(scores[german], y[german]), 4), "auc_en": round(auc(scores[~german], y[~german]), 4),
            "de_at_floor": _shares(scores[german], y[german], floor)}


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[float, np.ndarray]:
    """(intercept, weights) of an L2-regularised logistic regression, on the raw feature scale."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale

    def loss(w: np.ndarray) -> float:
        p = 1 / (1 + np.exp(-(z @ w[1:] + w[0])))
        return float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)) + l2 * np.sum(w[1:] ** 2))

    w = minimize(loss, np.zeros(x.shape[1] + 1), method="L-BFGS-B").x
    weights = w[1:] / scale
    return float(w[0] - np.sum(weights * mean)), weights


def probability(model: tuple[float, np.ndarray], x: np.ndarray) -> np.ndarray:
    intercept, weights = model
    return 1 / (1 + np.exp(-(x @ weights + intercept)))


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    positives, negatives = labels.sum(), len(labels) - labels.sum()
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _floor_for(scores: np.ndarray, labels: np.ndarray, answered: float) -> float:
    """The highest threshold that still answers `answered` of the answerable rows."""
    positives = np.sort(scores[labels == 1])
    return float(positives[int(np.floor((1 - answered) * len(positives)))])


def _lowest_floor(scores: np.ndarray, labels: np.ndarray, made_up: float) -> float:
    """The lowest threshold at which at most `made_up` of the unanswerable rows pass."""
    negatives = np.sort(scores[labels == 0])[::-1]
    allowed = int(np.floor(made_up * len(negatives)))  # this many may pass; the next one must not
    return float(np.nextafter(negatives[allowed], 1.0)) if allowed < len(negatives) else 0.0


def _shares(scores: np.ndarray, labels: np.ndarray, floor: float) -> dict[str, float]:
    return {"answered_answerable": round(float(np.mean(scores[labels == 1] >= floor)), 4),
            "answered_unanswerable": round(float(np.mean(scores[labels == 0] >= floor)), 4)}


def _coefficients(model: tuple[float, np.ndarray]) -> dict[str, float]:
    return {"intercept": round(model[0], 4), "coverage": round(float(model[1][0]), 4),
            "cosine": round(float(model[1][1]), 4)}


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


if __name__ == "__main__":
    main()
