"""German text analysis shared by the lexical index, chunking, extractive answers and citation checks.

A content word's term is the Snowball stem of its lemma: simplemma's German lemma list undoes the inflection a
suffix stemmer cannot ("trifft", "trafen", "getroffen" → "treffen"), Snowball then joins derivations ("Erklärung",
"erklärte" → "erklar"). Terms are cached per word form: news vocabulary is Zipfian.
Sentence splitting knows German abbreviations and dates so that "21.1.2022" or "z. B." do not end a sentence.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Container, Iterator
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_GERMAN

from rag.lemmas import lemmatize

# Question words and fillers that carry no topic; removed from queries and sentences alike.
_EXTRA_STOPWORDS = {
    "wer", "wen", "wem", "wessen", "was", "wann", "wo", "wohin", "woher", "wie", "warum", "weshalb", "wieso",
    "worum", "wofür", "womit", "wodurch", "wovon", "worüber", "woran", "worauf", "wozu", "woraus", "wogegen",
    "welche", "welcher", "welches", "welchen", "welchem", "viele", "vielen", "gibt", "gab", "wurde", "wurden",
    "worden", "sei", "seien", "habe", "haben", "hat", "hatte", "hatten", "ist", "sind", "war", "waren",
    "dass", "daß", "denn", "dazu", "davon", "darauf", "laut", "sowie", "etwa", "mehr", "beim", "vom", "zum",
    "zur", "ins", "im", "am", "ob", "kann", "können", "konnte", "konnten", "soll", "sollen", "sagte",
    "fand", "fanden", "findet", "finden", "statt", "stattfinden", "stattgefunden", "genau", "eigentlich",
    # Question frames name no topic: "Wie lange dauerte X?", "Wie lautet/heißt X?", "Welche Art von X",
    # "ungefähr", "im Allgemeinen", "befanden sich". Kept out of the question's weight (and of the index).
    "lange", "dauert", "dauerte", "dauerten", "dauern", "gedauert",
    "lautet", "lauten", "lautete", "heißt", "heißen", "hieß", "hießen", "art", "begriff", "bezeichnung",
    "ungefähr", "circa", "allgemeinen", "befindet", "befinden", "befand", "befanden",
    # "tun" stands for the action asked about ("Was will Großbritannien tun?") as "machen" does in bm25s's list.
    "tun", "tut", "tat", "taten", "getan",
}
STOPWORDS: frozenset[str] = frozenset(w.lower() for w in STOPWORDS_GERMAN) | frozenset(_EXTRA_STOPWORDS)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_stemmer_local = threading.local()  # PyStemmer objects are not thread-safe


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:
        stemmer = _stemmer_local.stemmer = Stemmer.Stemmer("german")
    return stemmer


def words(text: str) -> list[str]:
    """Lowercased word tokens (letters/digits), underscores split."""
    return [t for t in _TOKEN.findall(text.lower().replace("_", " ")) if t]


def _tokens(text: str) -> list[str]:
    """Word tokens as written: the lemmatiser reads a capital as a noun ("Treffen") or a name ("Putins")."""
    return _TOKEN.findall(text.replace("_", " "))


# Bump when analysis changes (stopwords, lemmas, stemming): persisted lexical indexes of another version are
# rebuilt from Chroma's documents, so questions and index never disagree on a token.
ANALYZER_VERSION = 6  # 6: "tun" and its forms are stop words


@lru_cache(maxsize=200_000)
def _analyse(token: str) -> tuple[str | None, str | None]:
    """(term, n-gram spelling) of one token as written; None where a side leaves the token out (stopwords,
    single letters; words under 3 letters have no n-grams). One cache for both sides: each form is looked up once.

    The n-gram spelling is the lemma when the lemma has another stem ("trafen" → "treffen"), so that irregular
    forms meet on the n-gram side too: "Wo fand das Treffen statt?" then finds the sample article's "trafen sich
    in Genf" (tests/rag/test_answer.py). Otherwise the word as written: lemmas for every word measured worse on
    the dev set (answer containment 0.837 vs 0.845). The irregular forms cost about a question there (citation
    support 0.962 vs 0.967, containment 0.841 vs 0.845, one more answerable question above the floor).
    """
    word = token.lower()
    if word in STOPWORDS:
        return None, None
    # Numbers and codes ("2022", "G20") have no lemma. simplemma's lemmas, its dictionary read from a table on disk
    # (rag/lemmas.py): simplemma's in-memory dictionary costs every process a 0.9 s load and +110 MB for the
    # same lemmas.
    lemma = lemmatize(token, "de").lower() if token.isalpha() else word
    stem = _stem(lemma)
    term = stem if len(word) > 1 or word.isdigit() else None
    if len(word) < 3:
        return term, None
    return term, (lemma if stem != _stem(word) else word)


def _stem(word: str) -> str:
    stem = _stemmer().stemWord(word)
    # Snowball keeps a genitive -s after a vowel ("Chinas", "Odingas") and simplemma knows few names; questions
    # and reports mix both forms. Dropped the same way on both sides (dev set, with lemmas: recall@1 0.946 → 0.950,
    # answer containment 0.833 → 0.845).
    if len(stem) > 4 and stem[-1] == "s" and stem[-2] in "aeiouyäöü":
        stem = stem[:-1]
    return stem


def analyze(text: str) -> list[str]:
    """Tokens → drop stopwords and 1-letter tokens → stems of their lemmas. Order and repeats kept."""
    return [term for term, _ in map(_analyse, _tokens(text)) if term is not None]


GRAM = 4


def char_grams(text: str, n: int = GRAM) -> list[str]:
    """Character n-grams of the content words, padded with "_" at word edges ("_fun", "funk", ...).

    German glues words together: "Funkwellen" and "Funkübertragung", "Staatsbesitz" and "staatseigenen" share
    no stem, but they share n-grams. Words shorter than n stay whole.
    """
    out: list[str] = []
    for _, word in map(_analyse, _tokens(text)):
        if word is None:
            continue
        if len(word) < n:
            out.append(word)
            continue
        padded = f"_{word}_"
        out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


def terms(text: str) -> set[str]:
    """The distinct content stems of a text."""
    return set(analyze(text))


# --- compounds ---------------------------------------------------------------------------------------------
# German glues nouns together, and questions paraphrase with compounds the articles never use ("Reisebegleiter"
# asked, "Begleiterin" written). A stem this long also matches inside a longer word, for partial credit (dev set,
# with lemmas: answer containment 0.845 with it, 0.807 without).
COMPOUND_MIN = 5
COMPOUND_CREDIT = 0.7
SPELLING_MIN = 6  # a stem this long also matches one spelled one edit apart (`one_edit_apart`)
COMPOUND_PART_MIN = 4  # shortest stem a compound is split into ("spur", "weit")
_LINKING = ("", "s", "es", "n", "en", "e", "er")  # Fugenelemente between the parts


def inside_credit(term: str, present: Collection[str], *, heads: bool = False) -> float:
    """1 when the stem is present, COMPOUND_CREDIT when it is part of a longer present word or spelled one edit
    apart ("doctor"/"doktor", "bedigo"/"bendigo"), else 0. With `heads`, a present word that ends the stem (a compound's
    head) earns COMPOUND_CREDIT too: text refers back to a compound by its head ("Rheinschlucht" asked, "Die
    Schlucht ist ... bekannt" written)."""
    if term in present:
        return 1.0
    if len(term) >= COMPOUND_MIN and any(len(w) > len(term) and term in w for w in present):
        return COMPOUND_CREDIT
    if heads and any(len(term) > len(w) >= COMPOUND_MIN and term.endswith(w) for w in present):
        return COMPOUND_CREDIT
    return COMPOUND_CREDIT if misspelt_in(term, present) else 0.0


def misspelt_in(term: str, present: Collection[str]) -> bool:
    """Whether a present word is the stem spelled one edit apart, for stems of SPELLING_MIN letters or more
    (shorter ones one letter apart are other words: "haus", "maus")."""
    n = len(term)
    return n >= SPELLING_MIN and any(one_edit_apart(term, w) for w in present if n - 1 <= len(w) <= n + 1)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two different words are one edit apart: a letter changed, added or dropped, or two neighbouring
    letters swapped (optimal string alignment distance 1, the typos of a typed question)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    if len(short) < len(long):
        return short[i:] == long[i + 1 :]
    swapped = short[i : i + 2] == long[i : i + 2][::-1] and short[i + 2 :] == long[i + 2 :]
    return short[i + 1 :] == long[i + 1 :] or swapped


def compound_parts(stem: str, vocabulary: Container[str]) -> tuple[str, ...]:
    """Split a stem the vocabulary does not know into known stems, fewest parts first ("touristenstreck" →
    ("tourist", "streck"), "staatsbesitz" → ("staat", "besitz")); () when it is no compound of known stems.

    Split by the corpus's own vocabulary rather than by a morphological analyser: HanTa keeps compounds its
    lexicon lists whole ("Schmalspurbahnen", whose parts the corpus knows), and on the dev set its split answered
    one question fewer. Without any split, answer containment drops from 0.845 to 0.833.
    """
    n = len(stem)
    best: list[tuple[str, ...] | None] = [None] * n + [()]  # best[i]: fewest parts spelling stem[i:]
    for i in range(n - COMPOUND_PART_MIN, -1, -1):
        for j in range(n, i + COMPOUND_PART_MIN - 1, -1):
            part = stem[i:j]
            if part not in vocabulary:
                continue
            for link in _LINKING:
                after = j + len(link)
                if (link and after >= n) or not stem.startswith(link, j):
                    continue
                rest, current = best[after], best[i]
                if rest is not None and (current is None or len(rest) + 1 < len(current)):
                    best[i] = (part, *rest)
    found = best[0]
    return found if found is not None and len(found) >= 2 else ()


# --- sentences -------------------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "z", "b", "bzw", "ca", "d", "h", "dr", "prof", "st", "nr", "usw", "vgl", "evtl", "ggf", "inkl", "etc",
    "mio", "mrd", "jh", "jhd", "abs", "art", "u", "a", "o", "ä", "s", "sog", "str", "tel", "zb",
    "mag", "ing", "dipl", "univ", "hr", "fr", "hrsg", "min", "max", "sek", "std", "jan", "feb", "mär", "apr",
    "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dez", "co", "corp", "inc", "ltd", "bspw", "v", "chr",
}
# A boundary candidate: sentence punctuation (optionally a closing quote/bracket), whitespace, then a capital,
# digit, or opening quote.
_BOUNDARY = re.compile(r"([.!?…]+[\"'“”»«)\]]*)(\s+)(?=[\"'„“»«(\[]?[A-ZÄÖÜ0-9])")
_WORD_BEFORE = re.compile(r"(\w+)\.*$")


def _is_false_boundary(text: str, punct_start: int, punct: str) -> bool:
    if not punct.startswith("."):
        return False
    match = _WORD_BEFORE.search(text[max(0, punct_start - 20) : punct_start + 1])
    if not match:
        return False
    word = match.group(1)
    if word.lower() in _ABBREVIATIONS:
        return True
    # One capital letter is an initial ("John C. Messenger", "Die T. T. Tsui Galerie"), as Punkt and pySBD treat
    # it. Against pySBD's German rules (too slow to split passages at question time: 7 ms per 1,000 characters)
    # on the dev paragraphs and 300 10kGNAD articles: 11 of the 40 boundaries only this splitter drew go, none
    # of the 6,668 both drew.
    if len(word) == 1 and word.isupper():
        return True
    # "21." in "am 21. Januar" or "1.2." in dates: an ordinal number, not an ending.
    return word.isdigit() and len(word) <= 2


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans (absolute offsets) of the sentences in `text[start:end]`, paragraph breaks always ending one."""
    end = len(text) if end is None else end
    for para_start, para_end in paragraph_spans(text, start, end):
        cursor = para_start
        segment = text[para_start:para_end]
        for match in _BOUNDARY.finditer(segment):
            punct_start = para_start + match.start(1)
            if _is_false_boundary(text, punct_start, match.group(1)):
                continue
            sentence_end = para_start + match.end(1)
            if sentence_end > cursor:
                yield cursor, sentence_end
            cursor = para_start + match.end(2)
        if cursor < para_end:
            yield cursor, para_end


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans of the non-blank paragraphs (blocks separated by blank lines), whitespace trimmed."""
    end = len(text) if end is None else end
    for match in re.finditer(r"[^\n](?:.|\n(?!\s*\n))*", text[start:end]):
        left = start + match.start()
        right = start + match.end()
        while right > left and text[right - 1].isspace():
            right -= 1
        while left < right and text[left].isspace():
            left += 1
        if right > left:
            yield left, right


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]
