"""The offline answer: choose the sentences of the retrieved passages that answer the question, cite each.

Sentences are quoted verbatim (never reworded), scored by how much of the question's IDF weight they contain
(German compounds count: "Sicherheitsforderungen" contains "Forderung"), with a small bonus for better
ranked passages, and a bonus for holding what the question asks for (`rag.answer_types`). Words most
candidates share weigh less (they name the topic, not what is asked). When the
embedding model is at hand, the best-scored sentences (and every sentence whose vector was stored at ingest,
`rag.sentence_vectors`) are also compared with the question by meaning (cosine of the question as a query and
the sentence as a passage), and that similarity joins their score; when words
cannot rank the sentences at all (a question in another language), the first sentences of the best passages are
compared too. Each sentence after the first is chosen for what it adds to the answer, and only while it
stays close to the best one by meaning: one sentence is a complete answer when nothing else answers. At most 4
sentences: the best one first (with its neighbours in the text), then the others in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from rag.answer_types import ANSWER_TYPE_BONUS, answer_type_bonus, without_frame
from rag.language import question_words
from rag.lemmas import lemmatize
from rag.retrieve import Passage
from rag.schema import published_date
from rag.text import analyze, inside_credit, sentence_spans, terms, words

MAX_SENTENCES = 4
MAX_CHARS = 700
# Meaning: the SHORTLIST best sentences by terms are embedded at question time and their weighted cosine with
# the question joins their score (the weight is the model's, rag/profiles.py). Measured on the dev set with the
# distractors (bench/quality.py): answer containment 0.849 without, 0.858 with 3 sentences, 0.854 with 4 and
# 0.845 with 6 (fewer further sentences pass the gap below); 3 sentences cost about 45 ms on 2 cores (answer
# p50 33 → 82 ms). A further sentence must score FOLLOW_SHARE of the first one, at least FOLLOW_MIN, and its
# weighted cosine may lie at most FOLLOW_GAP below the first one's (0.2: containment 0.808, 0.3: 0.845).
SHORTLIST = 3
# When the best sentence by terms holds less than WORDS_ENOUGH of the question's weight, the first
# MEANING_SHORTLIST sentences of the best passages are compared by meaning too (`shortlist`). Measured on the
# dev questions over bench/quality.py's indexes (the English ones over the title-less index): answer containment
# of the English questions 141 → 151, of the German ones 206 → 207; the grid WORDS_ENOUGH 0.2-0.5 ×
# MEANING_SHORTLIST 6-10 gave 151-157 English and 206-207 German, a plateau: the cheaper middle is kept. English
# questions then embed 7.4 sentences on average instead of 3, German ones 3.2.
WORDS_ENOUGH = 0.3
MEANING_SHORTLIST = 8
FOLLOW_SHARE = 0.7
FOLLOW_MIN = 0.35
FOLLOW_GAP = 0.3  # a further sentence's weighted cosine may be at most this far below the first one's

# Sentences → their weighted cosines with the question. One that also has `stored(sentences) -> list[bool]`
# (`rag.meaning.SentenceSimilarity`) says which sentences it compares at no cost: their vectors were kept at
# ingest (`rag.sentence_vectors`), and those are all compared, not only the shortlist.
Similarity = Callable[[Sequence[str]], np.ndarray]
LEAD_CHARS, LEAD_BONUS = 600, 0.08
# Measured on the dev set: answer containment 0.829 → 0.837 (citation support unchanged).
TOPIC_DISCOUNT = 0.6
# Choosing the next sentence, question words the answer already holds count half against it (dev set: answer
# containment 0.837 → 0.858, citation support 0.954 → 0.958). At 1.0 a sentence repeating the question's words
# is worth no more than one without them, and rank bonuses decide ("Welche Forderungen stellte Moskau?" then
# added a sentence that merely names Moskau).
REDUNDANCY = 0.5
RANK_BONUS = 0.3  # measured: answer containment 0.72 → 0.75, citation support 0.88 → 0.90 (dev set)
# How `word_score` and the weighted cosine combine was checked against a fit: a conditional logit on the same
# signals, held out by article, puts the answer first no more often (bench/fit_sentences.py: German 174 against
# 177 of 238, English 151 against 151 of 224).


@dataclass(frozen=True)
class Sentence:
    passage: int  # index into the passages
    start: int  # offsets within the passage text
    end: int
    score: float
    covers: tuple[tuple[str, float], ...] = ()  # question terms found, with their share of the score


FOCUS_BOOST = 2.0  # a follow-up's own words count double against the words borrowed from the conversation
FOLLOWUP_OFF_FOCUS = 0.5  # and a sentence with none of them counts half

def term_weights(question: str, idf: dict[str, float], focus: Collection[str] = ()) -> dict[str, float]:
    top = getattr(idf, "top", None) or max(idf.values(), default=1.0)
    weights: dict[str, float] = {}
    for term in terms(question_words(question)):
        weight = idf.get(term, top) * (FOCUS_BOOST if term in focus else 1.0)
        parts = idf.parts(term) if term not in idf and hasattr(idf, "parts") else ()
        if not parts:
            weights[term] = weights.get(term, 0.0) + weight
            continue
        total = sum(idf[p] for p in parts)
        for part in parts:
            weights[part] = weights.get(part, 0.0) + weight * idf[part] / total
    return weights


@dataclass(frozen=True)
class Signals:
    """What sentence choice reads of one candidate sentence, before it combines them (`word_score`)."""
    passage: int  # index into the passages (their rank)
    start: int  # offsets within the passage text
    end: int
    covers: tuple[tuple[str, float], ...]  # question terms found, with their share of the question's weight
    type_bonus: float = 0.0  # ANSWER_TYPE_BONUS when it holds what the question asks for
    type_factor: float = 1.0  # the factor of a sentence lacking it
    fragment: bool = False  # shorter than 25 characters: a subheading or a fragment
    lead: bool = False  # within the first LEAD_CHARS of its article
    off_focus: bool = False  # a follow-up's own words are missing
    introduces: bool = False  # the first sentence of its article naming the person asked about

    @property
    def share(self) -> float:
        return sum(share for _, share in self.covers)


def word_score(signals: Signals) -> float:
    """A candidate's score by words and position: its share of the question's weight, the answer-type bonus,
    halved for a fragment, the rank and lead bonuses, the follow-up and answer-type factors, the introduction."""
    score = (signals.share + signals.type_bonus) * (0.5 if signals.fragment else 1.0)  # rarely an answer alone
    score += RANK_BONUS / (1 + signals.passage)  # the better passage wins near-ties
    if signals.lead:
        score += LEAD_BONUS  # news put the main facts first (inverted pyramid)
    if signals.off_focus:
        score *= FOLLOWUP_OFF_FOCUS  # a follow-up asks about its own words, not only the earlier topic
    return score * signals.type_factor + (ANSWER_TYPE_BONUS if signals.introduces else 0.0)


def candidate_sentences(question: str, passages: Sequence[Passage], idf: dict[str, float],
                        focus: Collection[str] = ()) -> list[Sentence]:
    return [Sentence(s.passage, s.start, s.end, word_score(s), s.covers)
            for s in sentence_signals(question, passages, idf, focus)]


def sentence_signals(question: str, passages: Sequence[Passage], idf: dict[str, float],
                     focus: Collection[str] = ()) -> list[Signals]:
    """The signals of every sentence of the passages that may answer (not a subheading), in reading order."""
    spans = [(rank, start, end, passage.text[start:end]) for rank, passage in enumerate(passages)
             for start, end in sentence_spans(passage.text)]
    spans = [span for span in spans if not _is_heading(span[3])]
    stems = [set(analyze(span[3])) for span in spans]
    weights = term_weights(without_frame(question), idf, focus)
    # A sentence naming a compound's head counts it (answer containment on the dev questions 212 → 214 of 239
    # German, English unchanged; only in sentence choice: the relevance floor was fitted without).
    credits = [{term: inside_credit(term, sentence_stems, heads=True) for term in weights}
               for sentence_stems in stems]
    weights = _discriminating(weights, credits)
    found = []
    for (rank, start, end, text), sentence_stems, credit in zip(spans, stems, credits, strict=True):
        covers = _covers(weights, credit)
        bonus, factor = 0.0, 1.0
        if covers or not weights:  # a question of its frame alone asks for the answer type only
            bonus, factor = answer_type_bonus(question, text, published_date(passages[rank].published))
        found.append(Signals(rank, start, end, covers, bonus, factor, fragment=len(text) < 25,
                             lead=passages[rank].start + start < LEAD_CHARS,
                             off_focus=bool(focus) and not focus & sentence_stems))
    return introductions(question, passages, found, set(weights))


# "Wer ist Jen Psaki?" asks who a named person is; news introduces a person at the first mention, with the
# full name and the function ("sein russisches Gegenüber Sergej Lawrow"), and later mentions use the name alone.
ASKS_WHO_SOMEONE_IS = re.compile(
    r"^\s*(wer (ist|war)|who (is|was))\s+(?!(der|die|das|den|dem|des|ein|eine|einer|the|a|an)\b)\w", re.I)


def introductions(question: str, passages: Sequence[Passage], found: list[Signals], wanted: set[str]
                  ) -> list[Signals]:
    """For a question asking who someone is: in each article, the earliest sentence holding all of the question's
    terms introduces the person (and gets the answer-type bonus)."""
    if not wanted or not ASKS_WHO_SOMEONE_IS.search(question):
        return found
    earliest: dict[str, Signals] = {}
    for sentence in found:
        if {term for term, _ in sentence.covers} >= wanted:
            article, offset = passages[sentence.passage].article_id, passages[sentence.passage].start + sentence.start
            kept = earliest.get(article)
            if kept is None or offset < passages[kept.passage].start + kept.start:
                earliest[article] = sentence
    first = {id(s) for s in earliest.values()}
    return [replace(s, introduces=True) if id(s) in first else s for s in found]


def _covers(weights: dict[str, float], credit: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """The question terms a sentence holds, each with its share of the weight (`credit`: inside_credit)."""
    total = sum(weights.values()) or 1.0
    found = ((term, weight * credit[term] / total) for term, weight in weights.items())
    return tuple((term, share) for term, share in found if share > 0)


def _discriminating(weights: dict[str, float], credits: Sequence[dict[str, float]]) -> dict[str, float]:
    """Question words that most candidate sentences share name the topic ("Doctor Who" in every sentence of
    its article), not what is asked: they weigh less, by the share of sentences holding them."""
    if not credits:
        return weights
    return {term: weight * (1 - TOPIC_DISCOUNT * sum(credit[term] for credit in credits) / len(credits))
            for term, weight in weights.items()}


CLOSING_QUOTES = "\"“”»«'’"


def _is_heading(text: str) -> bool:
    """A subheading or caption line: short and without a sentence ending, also inside closing quotes (a quoted
    subheading, '"Nicht das Ende des Dialogs"', ends in a quote but is no sentence). Never an answer on its own."""
    return len(text) < 80 and not text.rstrip().rstrip(CLOSING_QUOTES).endswith((".", "!", "?", ")", "…"))


def select_sentences(question: str, passages: Sequence[Passage], idf: dict[str, float],
                     focus: Collection[str] = (), similarity: Similarity | None = None) -> list[Sentence]:
    """The 1-4 sentences that answer best, the best one first (`best_first`).
    `focus`: stems that weigh double; `similarity`: the question's weighted cosine with sentences (the embedding
    model), asked for the shortlist and for the sentences that may join it."""
    candidates = candidate_sentences(question, passages, idf, focus)
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda s: -s.score)
    if not focus and not terms(question_words(without_frame(question))):
        similarity = None  # "Wie geht es weiter?" means nothing beyond its answer type to compare sentences with
    if similarity is not None:
        compared = shortlist(ranked, candidates) + stored(candidates, passages, similarity)
        compared = list({_key(s): s for s in compared}.values())
        # The sentences that may join the best by terms are measured in the same call to the model.
        keys = {_key(s) for s in compared}
        joining = [s for s in ranked[1:] if s.covers and _key(s) not in keys and s.score >= _to_follow(ranked[0])]
        closeness = meaning(compared + joining, passages, similarity)
        # The first sentence: the best of the shortlist by terms and meaning together.
        first = max(compared, key=lambda s: s.score + closeness[_key(s)])
        ranked = [first, *(s for s in ranked if s is not first)]
    else:
        closeness = {}
    best = ranked[0]
    chosen = [best]
    size = best.end - best.start
    covered = {term for term, _ in best.covers}
    remaining = [s for s in ranked[1:] if s.covers]  # a sentence without any question word is no answer
    if similarity is not None:
        # Every sentence that may join is measured by meaning, not only the shortlist's: one outside it once
        # joined unchecked ("Wie lange dauerte das Gespräch?" got three sentences merely naming a Gespräch).
        # Dev questions (bench/quality.py's indexes): containment German 211 → 212 of 239, English 163 → 163;
        # answers 328 → 314 characters on average (English 353 → 324).
        eligible = [s for s in remaining if s.score >= _to_follow(best) and _key(s) not in closeness]
        if eligible:
            closeness |= meaning(eligible, passages, similarity)
    if closeness:  # the sentence reading on from the best one first, before far ones sharing the words fill up
        following = continuation(question, best, candidates, chosen, passages, similarity, closeness[_key(best)], size)
        chosen += following
        size += sum(s.end - s.start for s in following)
        remaining = [s for s in remaining if s not in following]
    while remaining and len(chosen) < MAX_SENTENCES:
        # Next: the best sentence after a discount for question words the answer already has, so a sentence
        # adding what is still missing beats one more sentence repeating the topic (redundancy penalty, MMR).
        sentence = max(remaining, key=lambda s: s.score - REDUNDANCY * sum(x for t, x in s.covers if t in covered))
        remaining.remove(sentence)
        if sentence.score < _to_follow(best):
            continue  # it adds little: one good sentence is a whole answer
        if _key(sentence) in closeness and closeness[_key(sentence)] < closeness[_key(best)] - FOLLOW_GAP:
            continue  # it shares words with the question but means something else
        if sentence.score <= 0.06 or size + sentence.end - sentence.start > MAX_CHARS:
            continue
        chosen.append(sentence)
        covered |= {term for term, _ in sentence.covers}
        size += sentence.end - sentence.start
    return best_first(chosen, best, candidates)


def best_first(chosen: list[Sentence], best: Sentence, candidates: list[Sentence]) -> list[Sentence]:
    """The answer's order: the best sentence leads (it is the answer; the others add to it), together with the
    chosen sentences next to it in the text, which read on from it or lead into it ("… einen Antrag eingebracht
    … Darauf hat der Kreml … reagiert."); then the rest of its passage and the other passages, each in reading
    order."""
    ordered = in_reading_order([best, *(s for s in chosen if s is not best)])
    position = {_key(s): i for i, s in enumerate(candidates)}

    def adjacent(a: Sentence, b: Sentence) -> bool:
        return a.passage == b.passage and position[_key(b)] == position[_key(a)] + 1

    start = end = ordered.index(best)
    while start > 0 and adjacent(ordered[start - 1], ordered[start]):
        start -= 1
    while end + 1 < len(ordered) and adjacent(ordered[end], ordered[end + 1]):
        end += 1
    return ordered[start : end + 1] + ordered[:start] + ordered[end + 1 :]


def in_reading_order(chosen: list[Sentence]) -> list[Sentence]:
    """The first sentence's passage first, each passage in reading order: for an answer whose sentences carry
    their dates, which then read as the article tells them (\"13.03.: Spatenstich … 14.03.: Eröffnung geplant\")."""
    return sorted(chosen, key=lambda s: (s.passage != chosen[0].passage, s.passage, s.start)) if chosen else []


def continuation(question: str, best: Sentence, candidates: list[Sentence], chosen: list[Sentence],
                 passages: Sequence[Passage], similarity: Similarity, alone: float, size: int) -> list[Sentence]:
    """The sentence after the best one, admitted as a further sentence by meaning where it cannot be by words: it
    often goes on with what was asked without a question word of its own ("… Tesla Electric Light &
    Manufacturing. Das Unternehmen installierte Lichtbogenbeleuchtungssysteme …"). It must lie within FOLLOW_GAP
    of the best sentence by meaning, as every further sentence must, and both read together must be no further
    from the question than the best alone: a sentence changing the subject ("Doch der Schaden war angerichtet."
    after the one naming Jen Psaki's office, 0.88 below it) stays out. Measured on the dev questions
    (bench/quality.py's indexes): answer containment 207 → 211 of 239 German (17 answers gain a sentence), 156 →
    163 English (30); without the gap 215 and 164, but then "Wer ist Jen Psaki?" gets that sentence too; gaps
    of 0.2-0.5 give 211-213 and 163. A sentence holding what the question asks for (its answer type) where the
    best one lacks it needs only the pair test: "Was sagte Liz Truss?" names her in one sentence and quotes her in
    the next, which alone reads 0.42 below (no dev question changes). So does one referring back to the best
    (`refers_back`). Weighed before the further sentences by words (dev containment German 217 → 218, English
    178 → 179: "Wie lange dauerte das Treffen?" had its four places filled by sentences naming a Treffen)."""
    position = next(i for i, s in enumerate(candidates) if s is best)
    following = candidates[position + 1] if position + 1 < len(candidates) else None
    if following is None or following.passage != best.passage or following in chosen or \
            len(chosen) >= MAX_SENTENCES or size + following.end - following.start > MAX_CHARS:
        return []
    text = passages[best.passage].text
    together, by_itself = (float(x) for x in similarity([text[best.start : following.end],
                                                          text[following.start : following.end]]))
    published = published_date(passages[best.passage].published)
    completes = answer_type_bonus(question, text[best.start : best.end], published)[0] == 0 < \
        answer_type_bonus(question, text[following.start : following.end], published)[0]
    depends = refers_back(text[following.start : following.end])
    return [following] if together >= alone and (completes or depends or by_itself >= alone - FOLLOW_GAP) else []


# A sentence with a personal or demonstrative pronoun among its first words ("Heute ist dies bekannt als die
# Miasma-Theorie.") refers back to the one before: alone it reads further from the question than it is, so the
# pair test decides. Pronouns by simplemma's lemma (er: ihm, ihn; sie; dieser: dies, diese; ihr: ihre; not "es",
# nor "sein", the lemma of "ist" too). Dev questions (bench/quality.py's indexes): containment German 214 → 217 of
# 239, English 163 → 164; pronouns among the first 1 / 4 / 7 words: 214 / 217 / 217; pronominal adverbs ("dabei",
# "damit") add none.
BACK_REFERENCES = frozenset({"er", "sie", "dieser", "ihr"})
REFERENCE_WORDS = 4


def refers_back(sentence: str) -> bool:
    return any(_is_back_reference(word) for word in words(sentence)[:REFERENCE_WORDS])


@lru_cache(maxsize=4096)
def _is_back_reference(word: str) -> bool:
    return lemmatize(word).casefold() in BACK_REFERENCES


def _to_follow(best: Sentence) -> float:
    """The score a further sentence needs beside the best one."""
    return max(FOLLOW_MIN, FOLLOW_SHARE * best.score)


def _key(sentence: Sentence) -> tuple[int, int]:
    return sentence.passage, sentence.start


def shortlist(ranked: list[Sentence], candidates: list[Sentence]) -> list[Sentence]:
    """The sentences compared with the question by meaning: the SHORTLIST best by terms, and when even the best
    holds less than WORDS_ENOUGH of the question's weight (asked in another language, or in other words than
    the text's), also the first MEANING_SHORTLIST sentences of the best passages: words cannot rank them."""
    chosen = ranked[:SHORTLIST]
    if sum(share for _, share in ranked[0].covers) >= WORDS_ENOUGH:
        return chosen
    keys = {_key(s) for s in chosen}
    return chosen + [s for s in candidates[:MEANING_SHORTLIST] if _key(s) not in keys]


def stored(candidates: list[Sentence], passages: Sequence[Passage], similarity: Similarity) -> list[Sentence]:
    """The candidates whose vectors are stored (`Similarity`): compared by meaning at no cost."""
    known = getattr(similarity, "stored", None)
    if known is None or not candidates:
        return []
    flags = known([passages[s.passage].text[s.start : s.end] for s in candidates])
    return [s for s, flag in zip(candidates, flags, strict=True) if flag]


def meaning(shortlist: list[Sentence], passages: Sequence[Passage], similarity: Similarity
            ) -> dict[tuple[int, int], float]:
    """The weighted cosine with the question of the shortlisted sentences (only those are embedded: a sentence
    costs about as much as the question itself)."""
    cosines = np.asarray(similarity([passages[s.passage].text[s.start : s.end] for s in shortlist]))
    return {_key(s): float(c) for s, c in zip(shortlist, cosines, strict=True)}
