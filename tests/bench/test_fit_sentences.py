"""The sentence-choice fit (bench/fit_sentences.py) on made-up candidates: it learns which signal marks the answer,
and its held-out comparison counts first-sentence hits per language."""

from __future__ import annotations

import numpy as np

from bench.fit_sentences import FEATURES, Asked, compare, conditional_logit


def made_up(seed: int, questions: int = 40) -> list[Asked]:
    """Questions whose gold sentence is the one with the highest cosine; the word share is noise, and the
    product's own score follows the share (so it is right only by chance)."""
    rng = np.random.default_rng(seed)
    asked = []
    for n in range(questions):
        features = rng.uniform(0, 1, (6, len(FEATURES)))
        cosine = rng.uniform(-1.0, -0.5, 6)  # the candidates' cosines less the best one's
        cosine[rng.integers(6)] = 0.0
        features[:, FEATURES.index("cosine")] = cosine
        gold = cosine == 0
        product = features[:, FEATURES.index("share")]
        asked.append(Asked("de" if n % 2 else "en", f"article-{n % 10}", features, gold, product))
    return asked


def test_the_fit_learns_the_signal_that_marks_the_answer() -> None:
    weights = dict(zip(FEATURES, conditional_logit(made_up(1), l2=0.01), strict=True))
    assert weights["cosine"] > 5 and max(abs(w) for name, w in weights.items() if name != "cosine") < weights["cosine"]


def test_held_out_hits_are_counted_per_language() -> None:
    figures = compare(made_up(2), l2=0.01)
    assert figures["de"]["questions"] == figures["en"]["questions"] == 20
    assert figures["de"]["fitted_first_held_out"] == 20 and figures["en"]["fitted_first_held_out"] == 20
    assert figures["de"]["product_first"] < 20
    assert set(figures["coefficients"]) == set(FEATURES)
