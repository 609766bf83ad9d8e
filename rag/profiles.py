"""What each embedding model's numbers are: the fitted settings where its similarity meets term evidence.

A model's cosines mean something of their own (e5's crowd between 0.75 and 0.9; MiniLM's spread from 0 to
0.8), so every number that weighs a cosine is fitted per model and kept here, beside the figures it was fitted
to. A model without a profile gets a neutral one: an equal say in fusion, the term-coverage floor, and sentence
choice by terms only.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.config import DEFAULT_MODEL, PACKAGED_MODEL
from rag.e5 import HUB_NAME
from rag.relevance import CoverageJudge, FittedJudge, Judge, Logistic


@dataclass(frozen=True)
class ModelProfile:
    dense_weight: float  # share of the dense side in fusion (the lexical side weighs 1 times its trust)
    judge: Judge  # does the corpus answer? (rag/relevance.py)
    sentence_weight: float | None = None  # weight of a sentence's cosine in extractive sentence choice


# multilingual-e5-small, fitted by `bench/fit.py` on the 239 XQuAD-de dev questions (over the product index) and
# their 239 English originals (over the title-less index), cross-validated by article (5 folds of 2 articles):
# - Fusion: the smallest dense weight whose mean reciprocal rank (both languages) lies within one question of the
#   best on the grid 0.2-0.6, which is flat from 0.35 on. Held out: German recall@1 0.950, @5 0.979, MRR 0.963;
#   English 0.845, 0.921, 0.878.
# - Judge: each question asked with the 1,028 distractors (answerable) and with the XQuAD articles filtered out
#   (unanswerable). The floor is the lowest at which at most 10 % of the unanswerable German questions are
#   answered anyway. Refitted with the background word frequencies in term coverage (rag/background.py, 3,000
#   pseudo-documents), on the tantivy index, the question's language from py3langid: held out AUC 0.986
#   (German), 0.927 (English); the floor answers 97.1 % of the answerable German questions and 9.6 % of the
#   unanswerable ones (in sample 97.5 % / 9.6 %); fitted on all, the English questions are answered 95.0 % when
#   answerable and 46.4 % when not. With lingua's language flags: AUC 0.986 / 0.920, floor 0.2349, English
#   93.7 % / 46.4 %; without the background: AUC 0.986 / 0.917, in sample 97.1 % / 9.6 %, English 93.7 % / 52.3 %.
# - Sentence weight: answer containment 0.849 → 0.858 on the dev set (rag/extractive.py, SHORTLIST).
E5 = ModelProfile(
    dense_weight=0.35,
    judge=FittedJudge(
        same=Logistic(intercept=-77.40, coverage=9.564, cosine=85.42),
        cross=Logistic(intercept=-75.29, coverage=4.622, cosine=93.17),
        floor=0.2082,
    ),
    sentence_weight=8.0,
)
# all-MiniLM-L6-v2 is English-trained: on German it only breaks ties (dense weight measured in the previous
# round: recall@1 unchanged, answer containment 0.849 → 0.858).
MINILM = ModelProfile(dense_weight=0.1, judge=CoverageJudge())
NEUTRAL = ModelProfile(dense_weight=0.5, judge=CoverageJudge())

PROFILES: dict[str, ModelProfile] = {DEFAULT_MODEL: E5, HUB_NAME: E5, PACKAGED_MODEL: MINILM}


def profile_for(model_name: str) -> ModelProfile:
    return PROFILES.get(model_name, NEUTRAL)


__all__ = ["ModelProfile", "profile_for"]
