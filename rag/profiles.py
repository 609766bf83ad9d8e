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
    # Weight of a chunk's best sentence cosine in ranking (stored vectors), times the lexical side's want of trust.
    best_sentence_weight: float = 0.0
    # Weight of the share of the question one sentence of a chunk holds (`best_sentence_coverage`), times the
    # lexical side's trust; not for a question in another language than the passages.
    proximity_weight: float = 0.0


# multilingual-e5-small, fitted by `bench/fit.py` on the 239 XQuAD-de dev questions (over the product index) and
# their 239 English originals (over the title-less index), cross-validated by article (5 folds of 2 articles):
# - Fusion: the smallest dense weight whose mean reciprocal rank (both languages) lies within one question of the
#   best on the grid 0.2-0.6, which is flat from 0.35 on. Held out: German recall@1 0.950, @5 0.979, MRR 0.963;
#   English 0.845, 0.921, 0.878.
# - Judge: each question asked with the 1,028 distractors (answerable) and with the XQuAD articles filtered out
#   (unanswerable), and in each of the ten one-article corpora (bench/quality.py's `small`: answerable in its own
#   article's only), on (term coverage, best cosine, ln chunks in the corpus): the same match means more where
#   few passages compete to match by chance. The floor is the lowest at which at most 10 % of the unanswerable
#   German questions of the dev index are answered anyway; the English intercept is shifted so that the same
#   floor answers 95 % of the English ones. Background word frequencies in term coverage (rag/background.py,
#   3,000 pseudo-documents), the tantivy index, the question's language from py3langid. Held out by article (the
#   floor fitted on the other folds too): dev index AUC 0.989 (German), 0.925 (English); German answered 97.9 %
#   when answerable, 10.5 % when not; English 95.0 % / 49.0 %; one-article corpora German 98.3 % / 0.46 %,
#   English 95.4 % / 1.2 %. The judge without the corpus's size, fitted on the dev index alone, held out the
#   same way: 97.9 % / 10.9 %, English 95.4 % / 48.1 %; one-article corpora German 95.8 % / 0.19 %, English
#   89.5 % / 0.05 %. Sizes were seen from 6 to 5,510 chunks; beyond, a corpus counts as the nearest.
# - Sentence weight: answer containment 0.849 → 0.858 on the dev set (rag/extractive.py, SHORTLIST). With every
#   sentence compared (stored vectors, rag/sentence_vectors.py) the weights 8 / 12 / 16 / 24 (the gap scaled
#   alike) give German containment 216 / 216 / 216 / 215 of 239 and English 170 / 174 / 174 / 174, but 12 changes
#   two of the sample article's 91 test questions for the worse and none for the better: 8 stays.
# - Best sentence weight: a candidate chunk's best sentence cosine (stored vectors; spread 0-1 over the
#   candidates) joins its fused score, times 1 - the lexical side's trust (rag/retrieve.py): where words cannot
#   rank the chunks (a question in another language, in other words than the text's), meaning per sentence does.
#   Grid 0-3.2 on both languages' MRR, chosen as the fusion weight is (the smallest within one question of the
#   best: 3.2 gives 0.9407, 1.6 0.9402, 1.2 0.9396, 0 0.9277); each of 5 folds by article picked 1.2. At 1.2:
#   German recall@1 230 of 239 (unchanged at every weight), @5 235 → 236, MRR 0.971 → 0.974; English recall@1
#   202 → 210, @5 222 → 224 (0.929 → 0.937), MRR 0.884 → 0.906. A weight by language instead (0 for German, 1.2
#   for the others) gave English @5 226 but cost German recall@1 one question from 0.6 on, and on the sample
#   article put the deputies' meeting first for "Wo trafen sich Blinken und Lawrow?" at 1.2.
# - Proximity: the share of the question one sentence of a candidate chunk holds (rag/relevance.py,
#   best_sentence_coverage; spread 0-1 over the candidates) joins its fused score, times the lexical side's trust,
#   and not for a question in another language than the best candidate (English MRR unchanged at every weight).
#   German grid 0 / 0.2 / 0.35 / 0.5 / 0.7 / 1.0 / 1.5: recall@1 230 / 231 / 231 / 232 / 233 / 232 / 231 of 239,
#   @5 236 / 237 / 237 / 238 / 238 / 238 / 238, MRR 0.9735 / 0.9778 / 0.9783 / 0.9808 / 0.9828 / 0.9808 / 0.9785;
#   up to 0.7 no question ranks worse, from 1.0 some do. 0.5 is the smallest within one question of the best, as
#   the fusion weight is chosen. Held out by article (5 folds of 2): with that rule the folds pick 0.2, 0.5, 0.5,
#   0.5, 0 (the gains lie in three articles: one fold alone holds two) and hold out 230 / 236 / 0.9742; picking
#   each fold's best instead: 0.7 four times, 0.5 once, held out 232 / 238 / 0.9808.
E5 = ModelProfile(
    dense_weight=0.35,
    judge=FittedJudge(
        same=Logistic(intercept=-59.68, coverage=7.792, cosine=67.68, size=-0.2123),
        cross=Logistic(intercept=-68.88, coverage=5.077, cosine=88.02, size=-0.2675),
        floor=0.2375,
        sizes=(6, 5510),
    ),
    sentence_weight=8.0,
    best_sentence_weight=1.2,
    proximity_weight=0.5,
)
# all-MiniLM-L6-v2 is English-trained: on German it only breaks ties (dense weight measured in the previous
# round: recall@1 unchanged, answer containment 0.849 → 0.858).
MINILM = ModelProfile(dense_weight=0.1, judge=CoverageJudge())
NEUTRAL = ModelProfile(dense_weight=0.5, judge=CoverageJudge())

PROFILES: dict[str, ModelProfile] = {DEFAULT_MODEL: E5, HUB_NAME: E5, PACKAGED_MODEL: MINILM}


def profile_for(model_name: str) -> ModelProfile:
    return PROFILES.get(model_name, NEUTRAL)


__all__ = ["ModelProfile", "profile_for"]
