#!/usr/bin/python3
"""Writes BLEU goldens with NLTK's corpus_bleu (Debian python3-nltk).

Run with /usr/bin/python3. Seeded synthetic corpora (words from a small
vocabulary; each hypothesis is its first reference with words dropped,
swapped and replaced, so precisions and lengths vary), scored by
nltk.translate.bleu_score.corpus_bleu with its defaults (uniform weights over
1..4-grams, no smoothing), one to three references per sentence; every
hypothesis has at least four words, where NLTK's n-gram counts agree with
sacreBLEU's. qkv must give
the same score on the same whitespace tokens (tokenize none, no smoothing).
Writes tests/golden/bleu/nltk_corpus_bleu.json.
"""

import json
import os
import random

from nltk.translate.bleu_score import corpus_bleu

WORDS = ("a man woman dog child in the on of with is are blue red two three street "
         "water playing running sitting white black shirt young an at near").split()


def sentence(rng):
    return [rng.choice(WORDS) for _ in range(rng.randint(4, 16))]


def perturb(rng, words, rate):
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            continue  # dropped
        if r < 2 * rate / 3:
            out.append(rng.choice(WORDS))  # replaced
        else:
            out.append(w)
        if rng.random() < rate / 4:
            out.append(rng.choice(WORDS))  # inserted
    if len(out) > 2 and rng.random() < rate:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    # NLTK counts a hypothesis shorter than n as having one n-gram (its
    # denominators are max(1, count)); sacreBLEU, and qkv, count none. At four
    # words and more the two definitions agree.
    while len(out) < 4:
        out.append(rng.choice(WORDS))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(7)
    cases = []
    for n_refs, n_sent, rate in [(1, 50, 0.2), (1, 200, 0.5), (2, 30, 0.3), (3, 20, 0.6),
                                 (1, 5, 0.1)]:
        refs = [[sentence(rng) for _ in range(n_sent)]]
        for _ in range(n_refs - 1):
            refs.append([perturb(rng, r, 0.3) for r in refs[0]])
        hyps = [perturb(rng, r, rate) for r in refs[0]]
        score = corpus_bleu([[r[i] for r in refs] for i in range(n_sent)], hyps)
        cases.append({"hypotheses": [" ".join(h) for h in hyps],
                      "references": [[" ".join(s) for s in r] for r in refs],
                      "nltk_bleu": score})
    out = os.path.join(here, "..", "tests", "golden", "bleu", "nltk_corpus_bleu.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/make_golden_bleu.py", "cases": cases}, f, indent=1)
    print(out, [round(c["nltk_bleu"], 6) for c in cases])


if __name__ == "__main__":
    main()
