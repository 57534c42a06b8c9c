"""gensim's Word2Vec on a corpus file, for `npm run bench -- word2vec` (bench/word2vec.ts).

    python gensim_w2v.py --corpus FILE --output OUT.bin --sg 1 --size 200 --window 5 \
        --negative 5 --sample 1e-4 --iter 1 --min-count 5 --threads 2 --seed 1

The C tool's settings in gensim's terms: hs=0, cbow_mean=1, alpha = 0.025 (skip-gram) / 0.05
(CBOW) unless --alpha, min_alpha = alpha * 1e-4 (the C tool's floor), max_vocab_size=None.
Corpus: Text8Corpus (whitespace tokens, the file read in 8 KB pieces, cut into sentences of
max_sentence_length = 10000 tokens, gensim's default) when the file has no newline in its first
MB (wiki8/text8: one line); LineSentence otherwise. build_vocab and train are timed separately
(time.perf_counter); the vectors are saved with save_word2vec_format(binary=True). The last
stdout line is a JSON object:
  {"gensim", "numpy", "fastVersion", "vocabSize", "inVocabWordsPerEpoch", "rawWordsPerEpoch",
   "buildVocabSeconds", "trainSeconds", "saveSeconds", "trainedRawWords", "trainedEffectiveWords"}
inVocabWordsPerEpoch = the sum of the kept words' counts, the C tool's train_words (less its
</s>); trainedRawWords / trainedEffectiveWords are what train() returns (raw includes words
below min-count; effective is after subsampling, gensim's own words/s basis).
"""
import argparse
import json
import logging
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--sg", type=int, choices=(0, 1), required=True)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--iter", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--alpha", type=float, default=None)
    ap.add_argument("--log", action="store_true", help="gensim's INFO log on stderr")
    a = ap.parse_args()
    if a.log:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)

    import numpy
    import gensim
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus
    from gensim.models.word2vec_inner import FAST_VERSION

    with open(a.corpus, "rb") as f:
        head = f.read(1 << 20)
    one_line = b"\n" not in head.rstrip(b"\n")
    sentences = Text8Corpus(a.corpus) if one_line else LineSentence(a.corpus)
    alpha = a.alpha if a.alpha is not None else (0.025 if a.sg else 0.05)

    t0 = time.perf_counter()
    m = Word2Vec(sg=a.sg, vector_size=a.size, window=a.window, negative=a.negative, hs=0, sample=a.sample,
                 epochs=a.iter, min_count=a.min_count, workers=a.threads, seed=a.seed, alpha=alpha,
                 min_alpha=alpha * 1e-4, cbow_mean=1)
    m.build_vocab(sentences)
    t1 = time.perf_counter()
    effective, raw = m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
    t2 = time.perf_counter()
    m.wv.save_word2vec_format(a.output, binary=True)
    t3 = time.perf_counter()
    counts = m.wv.expandos["count"]
    print(json.dumps({
        "gensim": gensim.__version__,
        "numpy": numpy.__version__,
        "fastVersion": int(FAST_VERSION),
        "corpusReader": "Text8Corpus" if one_line else "LineSentence",
        "vocabSize": len(m.wv),
        "inVocabWordsPerEpoch": int(numpy.sum(counts)),
        "rawWordsPerEpoch": int(m.corpus_total_words),
        "buildVocabSeconds": t1 - t0,
        "trainSeconds": t2 - t1,
        "saveSeconds": t3 - t2,
        "trainedRawWords": int(raw),
        "trainedEffectiveWords": int(effective),
        "alpha": alpha,
    }), flush=True)


if __name__ == "__main__":
    main()
