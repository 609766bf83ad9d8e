"""Language identification of questions (issue 10): accuracy on the XQuAD dev questions, cost, larger sets.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/language.py [--no-sets]

One JSON line: `rag.language.detect_language` on the 239 German dev questions and their 239 English originals
(accuracy per language, the questions it gets wrong), the identifier's load time and the memory it adds, per-call
time, the confidence threshold's trade-off on whole questions and on short probes (each question's last one or
two words: names and nouns, what a one- or two-word question looks like), and, unless --no-sets, the same cost
and accuracy for smaller and larger language sets and for lingua, the previous choice (when it is installed:
`pip install lingua-language-detector==2.1.1`). Each runs in a fresh child process, so its memory is its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import data_files, emit, fail, latency, log, parser, peak_rss_mib, rss_mib

QUESTIONS_DE = "xquad_de_dev_questions.jsonl"
QUESTIONS_EN = "xquad_en_dev_questions.jsonl"
# Language sets to compare with the product's; "product" is rag.language.LANGUAGES.
SETS = {
    "de+en": "de,en",
    "product": "product",
    "+pt,pl": "de,en,fr,es,it,nl,pt,pl",
    "12 european": "de,en,fr,es,it,nl,pt,pl,sv,da,cs,tr",
    "all of py3langid's languages": "all",
    "lingua (previous choice, six languages)": "lingua",
}
THRESHOLDS = (0.0, 0.3, 0.5, 0.7)


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--no-sets", action="store_true", help="measure the product's language set only")
    p.add_argument("--child", metavar="CODES", help=argparse.SUPPRESS)
    args = p.parse_args()
    de_path, en_path = data_files(args.data, QUESTIONS_DE, QUESTIONS_EN)
    if args.child:
        print(json.dumps(measure(args.child, read_questions(de_path), read_questions(en_path))))
        return
    names = ["product"] if args.no_sets else list(SETS)
    if importlib.util.find_spec("lingua") is None:  # not a dependency any more: compared when installed
        names = [name for name in names if SETS[name] != "lingua"]
    results = {name: child(SETS[name], args.data) for name in names}
    product = results.pop("product")
    emit("language", "product", **product, sets={name: _summary(r) for name, r in results.items()} or None)


def read_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def child(codes: str, data: Path) -> dict[str, Any]:
    """Measure one language set in a fresh process, so that the memory it reports is its own."""
    log(f"language set {codes} ...")
    done = subprocess.run([sys.executable, __file__, "--data", str(data), "--child", codes], capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        fail(f"measuring {codes} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'}")
    return json.loads(done.stdout)


def measure(codes: str, german: list[str], english: list[str]) -> dict[str, Any]:
    """Load cost, accuracy and speed of one language set, with the product's decision rule."""
    from rag import language

    before = rss_mib() or 0.0
    clock = time.perf_counter()
    classify, languages = _classifier(codes)
    load_s = time.perf_counter() - clock
    loaded = rss_mib() or 0.0

    calls: list[float] = []
    found: dict[str, list[str]] = {}
    for code, questions in (("de", german), ("en", english)):
        found[code] = []
        for question in questions:
            clock = time.perf_counter()
            found[code].append(_decide(classify, question, language.MIN_CONFIDENCE))
            calls.append(time.perf_counter() - clock)
    record: dict[str, Any] = {
        "languages": languages, "min_confidence": language.MIN_CONFIDENCE, "min_words": language.MIN_WORDS,
        "questions": {"de": len(german), "en": len(english)},
        "accuracy": {code: _share(found[code], code) for code in found},
        "wrong": {code: [f"{q} → {got}" for q, got in zip(qs, found[code], strict=True) if got != code]
                  for code, qs in (("de", german), ("en", english))},
        "load_s": round(load_s, 2), "memory_mib": round(loaded - before, 1), "peak_rss_mib": peak_rss_mib(),
        **latency("call", calls),
    }
    if codes in ("product", "lingua"):
        record["thresholds"] = _thresholds(classify, german, english)
        record["least_confident_right"] = {
            code: round(min((p for q in qs for c, p in [classify(q)] if c == code), default=0.0), 3)
            for code, qs in (("de", german), ("en", english))}
    return record


Classify = Callable[[str], tuple[str, float]]  # text → (best language code, its probability)


def _classifier(codes: str) -> tuple[Classify, list[str]]:
    """The product's identifier, py3langid restricted to other codes, or lingua's six languages."""
    from rag import language

    if codes == "lingua":
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_iso_codes_639_1(
            *(IsoCode639_1.from_str(c) for c in language.LANGUAGES)).build()

        def lingua(text: str) -> tuple[str, float]:
            values = detector.compute_language_confidence_values(text)
            return (values[0].language.iso_code_639_1.name.lower(), values[0].value) if values else ("", 0.0)

        lingua("Nachrichten aus aller Welt")  # lingua loads its models on the first call
        return lingua, list(language.LANGUAGES)
    if codes == "product":
        identifier = language.detector()
    elif codes == "all":
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    else:
        identifier = language.restricted_identifier(tuple(codes.split(",")))
    return identifier.classify, sorted(set(identifier.nb_classes))


def _decide(classify: Classify, text: str, threshold: float, *, word_rule: bool = True) -> str:
    """rag.language.identify's rule for any classifier: too few words or too unsure → German."""
    from rag import language

    if word_rule and len(language._WORD.findall(text)) < language.MIN_WORDS:
        return language.DEFAULT_LANGUAGE
    code, probability = classify(text)
    return code if probability >= threshold else language.DEFAULT_LANGUAGE


def _thresholds(classify: Classify, german: list[str], english: list[str]) -> dict[str, Any]:
    """Accuracy per confidence threshold on whole questions and on their last one or two words (short probes;
    the one-word probes bypass the word rule, to show what the identifier makes of a single word)."""
    out: dict[str, Any] = {}
    for probe, cut in (("whole", None), ("last_2_words", 2), ("last_word", 1)):
        out[probe] = {}
        for threshold in THRESHOLDS:
            shares = {}
            for code, questions in (("de", german), ("en", english)):
                texts = [" ".join(q.split()[-cut:]) if cut else q for q in questions]
                shares[code] = _share([_decide(classify, t, threshold, word_rule=cut != 1) for t in texts], code)
            out[probe][f"{threshold:.2f}"] = shares
    return out


def _share(found: list[str], code: str) -> float:
    return round(sum(f == code for f in found) / len(found), 3) if found else 0.0


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("languages", "accuracy", "load_s", "memory_mib", "call_ms_p50", "call_ms_p95")
    return {key: len(record[key]) if key == "languages" else record[key] for key in keys}


if __name__ == "__main__":
    main()
