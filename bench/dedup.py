"""Copies of one story (rag/dedup.py): shingle size and threshold fitted on wire-copy variants of real articles.

    .venv/bin/python bench/dedup.py [--data DIR] [--sizes 3,4,5,6] [--permutations 64,128,256]

Positives: every 10kGNAD article with at least 4 sentences (the teaser as its own paragraph, then paragraphs of 3
sentences: the file has no paragraph breaks) edited like a wire copy or an update: a new title line, one sentence
dropped, the last paragraph dropped, a boilerplate line added, a paragraph of 2-3 sentences from another article
of its category appended, two body paragraphs swapped, 3 words changed (letter-swap typos and replacement
words), and 3 random combinations of two of these per article. Negatives: all pairs of distinct articles (the
12 agency stubs share a 15-word legal notice), and the same-category pairs among them. For each shingle size:
variant similarities (MinHash estimate and true Jaccard), distinct-pair similarities, recall and false pairs
per threshold. For the product's settings: recall and false pairs through DuplicateFinder (LSH + verification),
the estimate's noise per permutation count, ms per signature of a 4,000-character article, query time with
1,028 articles indexed. One JSON line on stdout.
"""

from __future__ import annotations

import json
import random
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DISTRACTORS, data_files, emit, latency, log, parser
from rag import dedup
from rag.text import split_sentences

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
BOILERPLATE = ("Quelle: APA", "(APA, 14.3.2016)", "Mehr zum Thema: Was die Regierung jetzt plant",
               "Hinweis: Dieser Artikel wurde aktualisiert.", "Lesen Sie auch: Die wichtigsten Fragen und Antworten",
               "Folgen Sie uns auf Facebook und Twitter.", "(red, APA, dpa)", "Copyright Reuters 2016")
SEED = 20160314


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="2,3,4,5,6,7", help="shingle sizes (words) to compare")
    p.add_argument("--permutations", default="64,128,256", help="permutation counts to compare (product's size)")
    args = p.parse_args()
    (path,) = data_files(args.data, DISTRACTORS)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids, texts, categories = [r["id"] for r in rows], [r["text"] for r in rows], [r["category"] for r in rows]
    variants = build_variants(rows)
    log(f"{len(rows)} articles, {len(variants)} variants of {len({v[0] for v in variants})} of them")
    sizes = sorted({int(s) for s in args.sizes.split(",")} | {dedup.SHINGLE_WORDS})
    same_category = np.equal.outer(np.array(categories), np.array(categories))
    upper = np.triu(np.ones((len(rows), len(rows)), dtype=bool), 1)
    full = np.zeros(len(rows), dtype=bool)
    full[[i for i, _, _ in variants]] = True
    table, by_size = {}, {}
    for size in sizes:
        log(f"shingle size {size} ...")
        by_size[size] = measure_size(size, dedup.SIGNATURE_PERMUTATIONS, texts, variants, upper, same_category,
                                     np.logical_and.outer(full, full))
        table[size] = by_size[size].pop("table")
        sims = by_size[size].pop("variant_sims")
        if size == dedup.SHINGLE_WORDS:
            product = {**by_size[size], **by_edit_and_length(sims, texts, variants)}
    noise = {n: estimate_noise(dedup.SHINGLE_WORDS, n, texts, variants, upper) for n in
             (int(x) for x in args.permutations.split(","))}
    finder = finder_figures(ids, texts, variants)
    hardest = hardest_pairs(dedup.SHINGLE_WORDS, ids, texts, upper)
    hardest_full = hardest_pairs(dedup.SHINGLE_WORDS, ids, texts, upper & np.logical_and.outer(full, full))
    emit("dedup", f"w{dedup.SHINGLE_WORDS}p{dedup.SIGNATURE_PERMUTATIONS}t{dedup.THRESHOLD}",
         articles=len(rows), variants=len(variants), distinct_pairs=int(upper.sum()),
         same_category_pairs=int((upper & same_category).sum()), shingle_words=dedup.SHINGLE_WORDS,
         permutations=dedup.SIGNATURE_PERMUTATIONS, threshold=dedup.THRESHOLD, **finder, **product,
         short_articles=int((~full).sum()), hardest_distinct_pairs=hardest, hardest_full_article_pairs=hardest_full,
         permutation_noise=noise, sizes=by_size, table=table)


# --- variants ----------------------------------------------------------------------------------------------
def paragraphs(text: str) -> list[list[str]]:
    """The teaser sentence as its own paragraph, then paragraphs of 3 sentences."""
    sentences = split_sentences(text)
    return [sentences[:1]] + [sentences[i:i + 3] for i in range(1, len(sentences), 3)]


def join(paras: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paras if p)


def new_title(paras: list[list[str]], rng: random.Random, _other: list[str]) -> list[list[str]] | None:
    words = [w for w in " ".join(" ".join(p) for p in paras).split() if w[:1].isupper() and w.isalpha()]
    return [[" ".join(rng.sample(words, min(len(words), rng.randint(4, 8))))], *paras] if len(words) >= 4 else None


def drop_sentence(paras: list[list[str]], rng: random.Random, _other: list[str]) -> list[list[str]] | None:
    spots = [(i, j) for i, p in enumerate(paras) for j in range(len(p))]
    i, j = rng.choice(spots)
    return [p[:j] + p[j + 1:] if k == i else p for k, p in enumerate(paras)]


def drop_last_paragraph(paras: list[list[str]], _rng: random.Random, _other: list[str]) -> list[list[str]] | None:
    return paras[:-1] if len(paras) >= 3 else None


def boilerplate(paras: list[list[str]], rng: random.Random, _other: list[str]) -> list[list[str]] | None:
    return [*paras, [rng.choice(BOILERPLATE)]]


def update(paras: list[list[str]], rng: random.Random, other: list[str]) -> list[list[str]] | None:
    start = rng.randrange(1, max(2, len(other) - 2))
    return [*paras, other[start:start + rng.randint(2, 3)]]


def swap(paras: list[list[str]], rng: random.Random, _other: list[str]) -> list[list[str]] | None:
    if len(paras) < 3:
        return None
    i, j = rng.sample(range(1, len(paras)), 2)
    out = list(paras)
    out[i], out[j] = out[j], out[i]
    return out


def change_words(paras: list[list[str]], rng: random.Random, other: list[str]) -> list[list[str]] | None:
    """3 words changed: a typo (two inner letters swapped) or another word (from another article)."""
    out = [[s.split(" ") for s in p] for p in paras]
    spots = [(i, j, k) for i, p in enumerate(out) for j, s in enumerate(p) for k, w in enumerate(s)
             if len(w) >= 4 and w.isalpha()]
    replacements = [w for w in " ".join(other).split() if w.isalpha() and len(w) >= 4]
    for i, j, k in rng.sample(spots, min(3, len(spots))):
        word = out[i][j][k]
        if rng.random() < 0.5 or not replacements:
            m = rng.randrange(1, len(word) - 2)
            out[i][j][k] = word[:m] + word[m + 1] + word[m] + word[m + 2:]
        else:
            out[i][j][k] = rng.choice(replacements)
    return [[" ".join(s) for s in p] for p in out]


EDITS = {"title": new_title, "drop_sentence": drop_sentence, "drop_last_paragraph": drop_last_paragraph,
         "boilerplate": boilerplate, "update": update, "swap": swap, "words": change_words}


def build_variants(rows: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """(index of the original, edit name, variant text) for every article of 4 or more sentences."""
    rng = random.Random(SEED)
    by_category: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_category.setdefault(row["category"], []).append(i)
    out = []
    pairs = list(combinations(EDITS, 2))
    for i, row in enumerate(rows):
        paras = paragraphs(row["text"])
        if sum(len(p) for p in paras) < 4:
            continue
        others = [j for j in by_category[row["category"]] if j != i]
        other = split_sentences(rows[rng.choice(others)]["text"])
        plans = [(name,) for name in EDITS] + rng.sample(pairs, 3)
        for plan in plans:
            edited: list[list[str]] | None = paras
            for name in plan:
                edited = EDITS[name](edited, rng, other) if edited is not None else None
            if edited is not None:
                out.append((i, "+".join(plan), join(edited)))
    return out


# --- measurements ------------------------------------------------------------------------------------------
def true_jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def pair_estimates(matrix: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of every pair of rows (a full matrix; only `upper` is meaningful)."""
    out = np.zeros(upper.shape, dtype=np.float32)
    for i in range(len(matrix) - 1):
        out[i, i + 1:] = (matrix[i + 1:] == matrix[i]).mean(axis=1)
    return out


def pair_jaccard(sets: list[set[bytes]]) -> np.ndarray:
    """True Jaccard of every pair of shingle sets (sparse incidence matrix times its transpose)."""
    vocabulary: dict[bytes, int] = {}
    rows, cols = [], []
    for i, s in enumerate(sets):
        for shingle in s:
            rows.append(i)
            cols.append(vocabulary.setdefault(shingle, len(vocabulary)))
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(sets), len(vocabulary)))
    inter = (x @ x.T).toarray()
    size = np.array([len(s) for s in sets], dtype=np.float32)
    union = size[:, None] + size[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def measure_size(size: int, permutations: int, texts: list[str], variants: list[tuple[int, str, str]],
                 upper: np.ndarray, same_category: np.ndarray, full: np.ndarray) -> dict[str, Any]:
    """Similarities of variants and distinct pairs for one shingle size; `full`: pairs of two articles of 4 or more
    sentences (the rest involve a short stub)."""
    sets = [dedup.shingles(t, size) for t in texts]
    sigs = np.stack([dedup.minhash(t, size, permutations) for t in texts])
    estimates = pair_estimates(sigs, upper)
    est_distinct, true_distinct = estimates[upper], pair_jaccard(sets)[upper]
    est_var = np.array([float(np.mean(dedup.minhash(v, size, permutations) == sigs[i])) for i, _, v in variants])
    true_var = np.array([true_jaccard(dedup.shingles(v, size), sets[i]) for i, _, v in variants])
    return {
        "min_variant_sim": round(float(est_var.min()), 3), "p1_variant_sim": round(float(np.percentile(est_var, 1)), 3),
        "min_variant_true_jaccard": round(float(true_var.min()), 3),
        "max_distinct_sim": round(float(est_distinct.max()), 3),
        "max_distinct_true_jaccard": round(float(true_distinct.max()), 3),
        "max_same_category_sim": round(float(estimates[upper & same_category].max()), 3),
        "max_distinct_sim_full_articles": round(float(estimates[upper & full].max()), 3),
        "table": {str(t): {"recall": round(float(np.mean(est_var >= t)), 4),
                           "false_pairs": int((est_distinct >= t).sum()),
                           "recall_true": round(float(np.mean(true_var >= t)), 4),
                           "false_pairs_true": int((true_distinct >= t).sum())} for t in THRESHOLDS},
        "variant_sims": est_var,
    }


def by_edit_and_length(sims: np.ndarray, texts: list[str], variants: list[tuple[int, str, str]]) -> dict[str, Any]:
    """Minimum similarity and recall at THRESHOLD per edit and per length of the original (words)."""
    kinds = np.array([k for _, k, _ in variants])
    words = np.array([len(texts[i].split()) for i, _, _ in variants])
    buckets = {"<100 words": words < 100, "100-299 words": (words >= 100) & (words < 300), ">=300 words": words >= 300}
    edits = {k: kinds == k for k in sorted(set(kinds), key=lambda k: (k.count("+"), k))}
    return {"by_edit": {k: [round(float(sims[m].min()), 3), round(float(np.mean(sims[m] >= dedup.THRESHOLD)), 4)]
                        for k, m in edits.items()},
            "by_length": {k: {"variants": int(m.sum()), "min_sim": round(float(sims[m].min()), 3),
                              "recall": round(float(np.mean(sims[m] >= dedup.THRESHOLD)), 4)}
                          for k, m in buckets.items()}}


def estimate_noise(size: int, permutations: int, texts: list[str], variants: list[tuple[int, str, str]],
                   upper: np.ndarray) -> dict[str, Any]:
    """How far the estimate strays from the true Jaccard over the variants, and the threshold's outcome."""
    sigs = np.stack([dedup.minhash(t, size, permutations) for t in texts])
    est = np.array([float(np.mean(dedup.minhash(v, size, permutations) == sigs[i])) for i, _, v in variants])
    true = np.array([true_jaccard(dedup.shingles(v, size), dedup.shingles(texts[i], size)) for i, _, v in variants])
    est_distinct = pair_estimates(sigs, upper)[upper]
    return {"error_sd": round(float(np.std(est - true)), 4), "error_max": round(float(np.abs(est - true).max()), 3),
            "recall": round(float(np.mean(est >= dedup.THRESHOLD)), 4),
            "false_pairs": int((est_distinct >= dedup.THRESHOLD).sum()),
            "max_distinct_sim": round(float(est_distinct.max()), 3)}


def finder_figures(ids: list[str], texts: list[str], variants: list[tuple[int, str, str]]) -> dict[str, Any]:
    """The product's path: every original indexed in a DuplicateFinder, each variant and each original queried."""
    sigs = [dedup.signature(t) for t in texts]
    clock = time.perf_counter()
    finder = dedup.DuplicateFinder(dict(zip(ids, sigs, strict=True)))
    build_s = time.perf_counter() - clock
    found, missed, seconds = 0, [], []
    for i, kind, text in variants:
        sig = dedup.signature(text)
        clock = time.perf_counter()
        hits = finder.matches(sig)
        seconds.append(time.perf_counter() - clock)
        if ids[i] in {a for a, _ in hits}:
            found += 1
        else:
            missed.append((ids[i], kind, round(dedup.similarity(sig, sigs[i]), 3)))
    false_pairs = {tuple(sorted((a, b))) for a, sig in zip(ids, sigs, strict=True)
                   for b, _ in finder.matches(sig, exclude=a)}
    long = next(t for t in sorted(texts, key=len) if len(t) >= 4000)[:4000]
    clock = time.perf_counter()
    for _ in range(200):
        dedup.signature(long)
    b, r = dedup._bands(dedup.THRESHOLD)
    return {"recall": round(found / len(variants), 4), "false_pairs": len(false_pairs),
            "missed": sorted(missed, key=lambda m: m[2])[:10], "false_pair_ids": sorted(false_pairs)[:10],
            "ms_per_signature_4000_chars": round((time.perf_counter() - clock) / 200 * 1000, 3),
            "index_build_ms": round(build_s * 1000, 1), **latency("query", seconds), "lsh_bands": b, "lsh_rows": r,
            "lsh_candidate_probability_at_threshold": round(1 - (1 - dedup.THRESHOLD ** r) ** b, 4)}


def hardest_pairs(size: int, ids: list[str], texts: list[str], pairs: np.ndarray) -> list[Any]:
    """The 5 pairs (of those marked in `pairs`) with the highest true shingle Jaccard."""
    jaccard = np.where(pairs, pair_jaccard([dedup.shingles(t, size) for t in texts]), -1)
    top = np.argsort(jaccard, axis=None)[::-1][:5]
    return [[ids[a], ids[b], round(float(jaccard[a, b]), 3)] for a, b in zip(*np.unravel_index(top, jaccard.shape),
                                                                             strict=True)]


if __name__ == "__main__":
    main()
