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
  proximity  (with --fits ...,proximity) the weight of the share of the question one sentence of a chunk holds
          (rag/profiles.py, proximity_weight), on its own grid, chosen and held out as the dense weight is
  judge   the answerability judgement (rag/relevance.py): a logistic regression on (term coverage, best cosine,
          ln chunks in the corpus), one for questions in the language of the passages and one for the others
          (the product's own flag); every question is asked as it is (answerable) and with the XQuAD articles
          filtered out (unanswerable), and in each one-article corpus (answerable in its own article's only).
          The floor is the lowest at which at most --made-up of the unanswerable German questions of the dev
          index are answered anyway (answer all that can be answered within that budget of made-up answers); the
          cross-lingual intercept is shifted so that the same floor answers --answered-cross of the English
          questions it judges there. Reports held-out figures (dev index and one-article corpora), the sizes
          seen and the coefficients fitted on everything.
  prior   (with --fits ...,prior) the background's size (rag/background.py, BACKGROUND_DOCS): the judge's rows
          are taken at each size of --docs, and over one-article corpora (each XQuAD article alone, asked
          every question: its own answerable, the others' not; bench/quality.py's `small`); each fold picks, on
          the other folds, the size whose judge (fitted and floored there as above) best separates the German
          questions of the one-article corpora at its floor (mean of the shares answered when answerable and
          refused when not); reports the held-out figures at the picked sizes, and the size picked on all.
          The judge is then fitted at that size.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/fit.py --home /tmp/bench-quality [--weights 0.2,0.3,0.4]
        [--fits judge,prior --docs 0,1000,10000]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    emit,
    log,
    parser,
)
from bench.quality import dev_assistants, small_corpora, small_evidence

FOLDS = 5
GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
PROXIMITY_GRID = (0.0, 0.2, 0.35, 0.5, 0.7, 1.0, 1.5)
DOCS = (0.0, 1e2, 1e3, 1e4, 1e5, 1e6)
FITS = ("fusion", "proximity", "judge", "prior")


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--weights", help=f"dense weights to try (default {','.join(map(str, GRID))})")
    p.add_argument("--objective", choices=("de", "both"), default="both",
                   help="questions whose MRR the fusion weight maximises (default: both languages)")
    p.add_argument("--made-up", type=float, default=0.10,
                   help="share of unanswerable German questions the floor may answer anyway")
    p.add_argument("--answered-cross", type=float, default=0.95,
                   help="the same for questions in another language than the passages")
    p.add_argument("--fits", default="fusion,judge", help=f"comma-separated subset of {','.join(FITS)} "
                   "(without fusion, the profile's dense weight)")
    p.add_argument("--docs", help=f"background sizes to try (default {','.join(map(str, DOCS))})")
    args = p.parse_args()
    grid = [float(w) for w in args.weights.split(",")] if args.weights else list(GRID)
    sizes = [float(d) for d in args.docs.split(",")] if args.docs else list(DOCS)
    fits = {f.strip() for f in args.fits.split(",") if f.strip()}
    if fits - set(FITS):
        p.error(f"unknown fit(s): {', '.join(sorted(fits - set(FITS)))}")
    with dev_assistants(args.data, args.home) as dev:
        product, untitled, settings, embedder, qa = dev.product, dev.untitled, dev.settings, dev.embedder, dev.qa
        home = dev.home
        asked = [(product, q, "de") for q in dev.german] + [(untitled, q, "en") for q in dev.english]
        if "fusion" in fits:
            weight = fit_fusion(asked, grid, args.objective)
            for assistant in (product, untitled):
                assistant.retriever.dense_weight = weight
        if "proximity" in fits:
            weight = fit_fusion(asked, list(PROXIMITY_GRID), args.objective, "proximity_weight", "proximity")
            for assistant in (product, untitled):
                assistant.retriever.proximity_weight = weight
        corpora = small_corpora(home, settings, embedder, qa) if fits & {"prior", "judge"} else {}
        if "prior" in fits:
            fit_prior(asked, corpora, sizes, args.made_up, args.answered_cross)
        if "judge" in fits:
            fit_judge(asked, corpora, args.made_up, args.answered_cross)


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
def fit_fusion(asked: list[tuple[Any, Any, str]], grid: list[float], objective: str = "both",
               attribute: str = "dense_weight", name: str = "fusion") -> float:
    """The retriever's `attribute` (the dense weight, or the proximity weight) fitted on the grid; emitted as
    the fit `name`."""
    from rag.evaluate import holds

    ranks = np.zeros((len(grid), len(asked)))  # reciprocal rank of the gold passage in the first 10, else 0
    for column, (assistant, q, _) in enumerate(asked):
        for row, weight in enumerate(grid):
            setattr(assistant.retriever, attribute, weight)
            passages = assistant.retriever.retrieve(q.question, k=10).passages
            rank = next((i for i, p in enumerate(passages, 1) if holds(q, p.article_id, p.start, p.end)), None)
            ranks[row, column] = 1 / rank if rank else 0.0
        if column % 100 == 99:
            log(f"{name}: {column + 1}/{len(asked)} questions")
    articles = [q.article_id for _, q, _ in asked]
    languages = np.array([language for _, _, language in asked])
    counted = np.ones(len(asked), dtype=bool) if objective == "both" else languages == "de"
    chosen = held_out(articles, lambda train: _smallest_tied(ranks[:, train & counted]),
                      lambda best, test: [ranks[best, i] for i in np.flatnonzero(test)])
    chosen_rr = np.array(chosen)
    best = _smallest_tied(ranks[:, counted])
    emit("fit", name, grid=grid, objective=objective, fitted_weight=grid[best],
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
Row = tuple[float, float, bool, int, str, str, int]  # coverage, cosine, cross, answerable, article, language, chunks


def judge_rows(asked: list[tuple[Any, Any, str]]) -> list[Row]:
    """(coverage, cosine, cross-lingual, answerable, article, language, chunks in the corpus) of every question
    asked as it is and with the XQuAD articles filtered out."""
    from rag.retrieve import Filters

    only_distractors = Filters(sources=("distractor",))
    rows = []
    for number, (assistant, q, language) in enumerate(asked, start=1):
        for label, filters in ((1, None), (0, only_distractors)):
            e = assistant.retriever.retrieve(q.question, filters=filters).evidence
            rows.append((e.coverage, e.cosine, e.cross_lingual, label, q.article_id, language, e.chunks))
        if number % 100 == 0:
            log(f"judge: {number}/{len(asked)} questions")
    return rows


def small_rows(corpora: dict[str, Any], asked: list[tuple[Any, Any, str]]) -> list[Row]:
    """Judge rows of every question in every one-article corpus (answerable in its own article's only)."""
    return [(e.coverage, e.cosine, e.cross_lingual, label, article, language, e.chunks)
            for e, label, language, article, _ in small_evidence(corpora, [(q, lang) for _, q, lang in asked])]


def _arrays(rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """x (coverage, cosine, ln chunks), cross-lingual, label, German, article of judge rows."""
    x = np.array([[r[0], r[1], np.log(max(r[6], 1))] for r in rows], dtype=float)
    return (x, np.array([r[2] for r in rows], dtype=bool), np.array([r[3] for r in rows]),
            np.array([r[5] == "de" for r in rows]), [r[4] for r in rows])


def judge_models(x: np.ndarray, y: np.ndarray, cross: np.ndarray, german: np.ndarray, made_up: float,
                 answered_cross: float, sets_floor: np.ndarray | None = None) -> tuple[dict[str, Any], float]:
    """The two models and the floor, as `fit_judge` fits them on these rows; the floor (and the cross-lingual
    intercept) are set on the `sets_floor` rows (default: all)."""
    models = {"same": logistic(x[~cross], y[~cross]), "cross": logistic(x[cross], y[cross])}
    scores = np.where(cross, probability(models["cross"], x), probability(models["same"], x))
    mine = np.ones(len(y), dtype=bool) if sets_floor is None else sets_floor
    floor = _lowest_floor(scores[german & mine], y[german & mine], made_up)
    # The cross-lingual model's intercept moves so that the same floor answers its target share of the English
    # questions it judges.
    english_cross = ~german & cross & mine
    if english_cross.any() and (y[english_cross] == 1).any():
        cross_floor = _floor_for(scores[english_cross], y[english_cross], answered_cross)
        models["cross"] = (models["cross"][0] + _logit(floor) - _logit(cross_floor), models["cross"][1])
    return models, floor


def _scores(models: dict[str, Any], x: np.ndarray, cross: np.ndarray) -> np.ndarray:
    return np.where(cross, probability(models["cross"], x), probability(models["same"], x))


def fit_judge(asked: list[tuple[Any, Any, str]], corpora: dict[str, Any], made_up: float,
              answered_cross: float) -> None:
    """Two logistic models on (coverage, cosine, ln chunks), chosen per row by the product's own cross-lingual
    flag, fitted on the dev index's rows and the one-article corpora's (`corpora`: the corpus's size is what
    tells them apart). The floor is set on the dev index's German questions (the dev set's language), the cross
    model's intercept on its English ones."""
    big, small = judge_rows(asked), small_rows(corpora, asked)
    x, cross, y, german, articles = _arrays(big + small)
    is_big = np.arange(len(y)) < len(big)
    models, floor = judge_models(x, y, cross, german, made_up, answered_cross, is_big)
    scores = _scores(models, x, cross)
    chunks = [r[6] for r in big + small]
    emit("fit", "judge", floor=round(floor, 4), sizes=[min(chunks), max(chunks)],
         same=_coefficients(models["same"]), cross=_coefficients(models["cross"]),
         rows={"same": int((~cross).sum()), "cross": int(cross.sum()), "big": len(big), "small": len(small)},
         in_sample={"big": _passed_shares(list(zip(scores[is_big] >= floor, y[is_big], german[is_big],
                                                    strict=True))),
                    "small": _passed_shares(list(zip(scores[~is_big] >= floor, y[~is_big], german[~is_big],
                                                      strict=True)))},
         held_out=_held_out_judge(x, y, cross, german, articles, is_big, made_up, answered_cross))


def _held_out_judge(x: np.ndarray, y: np.ndarray, cross: np.ndarray, german: np.ndarray, articles: list[str],
                    is_big: np.ndarray, made_up: float, answered_cross: float) -> dict[str, Any]:
    """Both models and the floor fitted without the fold's articles, as `fit_judge` fits them."""
    def fit(train: np.ndarray) -> tuple[dict[str, Any], float]:
        models, floor = judge_models(x[train], y[train], cross[train], german[train], made_up, answered_cross,
                                     is_big[train])
        return models, floor

    def apply(fitted: tuple[dict[str, Any], float], test: np.ndarray) -> list[tuple[float, bool]]:
        models, floor = fitted
        scores = _scores(models, x[test], cross[test])
        return [(float(score), bool(score >= floor)) for score in scores]

    held = held_out(articles, fit, apply)
    scores, passed = np.array([h[0] for h in held]), np.array([h[1] for h in held])
    return {"auc_de": round(auc(scores[german & is_big], y[german & is_big]), 4),
            "auc_en": round(auc(scores[~german & is_big], y[~german & is_big]), 4),
            "big": _passed_shares(list(zip(passed[is_big], y[is_big], german[is_big], strict=True))),
            "small": _passed_shares(list(zip(passed[~is_big], y[~is_big], german[~is_big], strict=True)))}


# --- the background's size ----------------------------------------------------------------------------------
def fit_prior(asked: list[tuple[Any, Any, str]], corpora: dict[str, Any], sizes: list[float], made_up: float,
              answered_cross: float) -> float:
    """The background size (rag.background.BACKGROUND_DOCS) by held-out articles; leaves the picked size set."""
    from rag import background

    big: dict[float, tuple[Any, ...]] = {}
    small: dict[float, tuple[Any, ...]] = {}
    for size in sizes:
        background.BACKGROUND_DOCS = size
        big[size] = _arrays(judge_rows(asked))
        small[size] = _arrays(small_rows(corpora, asked))
        log(f"prior: {size:g} pseudo-documents measured")

    def separation(size: float, train_big: np.ndarray, train_small: np.ndarray) -> float:
        x, cross, y, german, _ = big[size]
        models, floor = judge_models(x[train_big], y[train_big], cross[train_big], german[train_big], made_up,
                                     answered_cross)
        sx, scross, sy, sgerman, _ = small[size]
        mine = train_small & sgerman
        passed = _scores(models, sx[mine], scross[mine]) >= floor
        return float((passed[sy[mine] == 1].mean() + (~passed[sy[mine] == 0]).mean()) / 2)

    big_articles = np.asarray(big[sizes[0]][4])
    small_articles = np.asarray(small[sizes[0]][4])

    def cross_validated(pick: Callable[[np.ndarray, np.ndarray], float]) -> dict[str, Any]:
        """Held-out figures when each fold's size is `pick(training rows)` and its judge is fitted there."""
        held: dict[str, list[Any]] = {"picked": [], "big": [], "small": []}
        for fold in folds(list(big_articles)):
            train_big, train_small = ~np.isin(big_articles, list(fold)), ~np.isin(small_articles, list(fold))
            picked = pick(train_big, train_small)
            _held_out_rows(held, big[picked], small[picked], train_big, train_small, made_up, answered_cross)
            held["picked"].append(picked)
        return {"picked_per_fold": held["picked"], "big": _passed_shares(held["big"]),
                "small": _passed_shares(held["small"])}

    everything = np.ones(len(big_articles), dtype=bool), np.ones(len(small_articles), dtype=bool)
    chosen = max(sizes, key=lambda size: (separation(size, *everything), -size))
    background.BACKGROUND_DOCS = chosen
    emit("fit", "prior", sizes=sizes, fitted_docs=chosen,
         held_out=cross_validated(lambda tb, ts: max(sizes, key=lambda size: (separation(size, tb, ts), -size))),
         held_out_fixed={f"{size:g}": cross_validated(lambda tb, ts, size=size: size) for size in sizes},
         in_sample={f"{size:g}": {"separation_de_small": round(separation(size, *everything), 4),
                                  **_in_sample(big[size], small[size], made_up, answered_cross)}
                    for size in sizes})
    return chosen


def _held_out_rows(held: dict[str, list[Any]], big: tuple[Any, ...], small: tuple[Any, ...], train_big: np.ndarray,
                   train_small: np.ndarray, made_up: float, answered_cross: float) -> None:
    """(answered, answerable, German) of a fold's held-out rows, judged by the judge fitted on its training rows."""
    x, cross, y, german, _ = big
    models, floor = judge_models(x[train_big], y[train_big], cross[train_big], german[train_big], made_up,
                                 answered_cross)
    sx, scross, sy, sgerman, _ = small
    held["big"] += list(zip(_scores(models, x[~train_big], cross[~train_big]) >= floor, y[~train_big],
                            german[~train_big], strict=True))
    held["small"] += list(zip(_scores(models, sx[~train_small], scross[~train_small]) >= floor, sy[~train_small],
                              sgerman[~train_small], strict=True))


def _passed_shares(rows: list[tuple[bool, int, bool]]) -> dict[str, float]:
    out = {}
    for language, german in (("de", True), ("en", False)):
        for label, name in ((1, "answerable"), (0, "unanswerable")):
            passed = [p for p, lab, de in rows if lab == label and de == german]
            out[f"{language}_answered_{name}"] = round(float(np.mean(passed)), 4) if passed else None
    return out


def _in_sample(big: tuple[Any, ...], small: tuple[Any, ...], made_up: float, answered_cross: float
               ) -> dict[str, Any]:
    x, cross, y, german, _ = big
    models, floor = judge_models(x, y, cross, german, made_up, answered_cross)
    sx, scross, sy, sgerman, _ = small
    return {"floor": round(floor, 4), "big": _passed_shares(list(zip(_scores(models, x, cross) >= floor, y, german,
                                                                      strict=True))),
            "small": _passed_shares(list(zip(_scores(models, sx, scross) >= floor, sy, sgerman, strict=True)))}


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
            "cosine": round(float(model[1][1]), 4), "size": round(float(model[1][2]), 4)}


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


if __name__ == "__main__":
    main()
