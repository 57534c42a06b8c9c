/**
 * `trainWord2Vec`: skip-gram and CBOW word embeddings (Mikolov et al. 2013) with negative
 * sampling, hierarchical softmax or — for small vocabularies — a full softmax, trained in Rust
 * off the JavaScript thread. Options are the C word2vec tool's flags in camelCase with its
 * defaults (`size 100, window 5, sample 1e-3, negative 5, cbow true, iter 5, minCount 5`).
 * Progress is polled on a timer for `onProgress`; an `AbortSignal` stops the run (the promise
 * rejects with an `AbortError`).
 */
import native = require('../native');
import { callNative, describe, InvalidArgumentError } from '../errors';
import { getNumThreads } from '../runtime';
import { KeyedVectors } from './keyed-vectors';
import { checkJobOptions, CorpusVocab, corpusSource, runJob, type CorpusInput } from './vocab';

/** How the updates are computed. */
export type Word2VecMethod = 'auto' | 'hogwild' | 'batched';

/** Progress of a `trainWord2Vec` run. */
export interface Word2VecProgress {
  /** `'vocab'` (counting words), `'reading'` (loading the corpus as ids), `'training'`, `'done'`. */
  phase: 'vocab' | 'reading' | 'training' | 'done';
  /**
   * Fraction of the whole job in 0..1, never decreasing: counting the vocabulary is the first
   * 5 %, reading the corpus the next 5 %, training the remaining 90 %.
   */
  fraction: number;
  /** Current epoch (1-based; 0 before training). */
  epoch: number;
  /** Epochs of the run (`iter`). */
  epochs: number;
  /** Words trained so far (the C tool's count: in-vocabulary words and line ends). */
  wordsDone: number;
  /** Words of the whole training (`iter` × words per epoch; 0 before training). */
  wordsTotal: number;
  /** Current learning rate. */
  alpha: number;
  /** Training words per second since training started. */
  wordsPerSecond: number;
  /** `wordsPerSecond` divided by the workers training concurrently. */
  wordsPerSecondPerThread: number;
  /** Seconds since the run started. */
  elapsedSeconds: number;
  /** Estimated seconds of training left (`NaN` until training has started). */
  etaSeconds: number;
}

/** Options of `trainWord2Vec`: the C tool's flags in camelCase, with its defaults. */
export interface Word2VecOptions {
  /** Vector dimension (`-size`, default 100). */
  size?: number;
  /** Maximum distance between a word and its context (`-window`, default 5); each word draws its radius in 1..window. */
  window?: number;
  /** Subsampling threshold of frequent words (`-sample`, default 1e-3; 0 turns it off). */
  sample?: number;
  /** Hierarchical softmax (`-hs`, default false); may be combined with negative sampling, as in the C tool. */
  hs?: boolean;
  /** Negative samples per pair (`-negative`, default 5, or 0 when `fullSoftmax`; 0 = no negative sampling). */
  negative?: number;
  /** CBOW (default, the C tool's `-cbow 1`) or skip-gram (`false`). */
  cbow?: boolean;
  /** CBOW: average (default) or sum the context vectors. */
  cbowMean?: boolean;
  /** Starting learning rate (`-alpha`; default 0.05 for CBOW, 0.025 for skip-gram); decays linearly to `alpha · minAlphaRatio`. */
  alpha?: number;
  /** Final learning rate as a fraction of `alpha` (default 1e-4, the C tool's). */
  minAlphaRatio?: number;
  /** Epochs (`-iter`, default 5). */
  iter?: number;
  /** Words seen fewer times are dropped (`-min-count`, default 5). Ignored when `vocab` is given. */
  minCount?: number;
  /** Keep at most this many vocabulary entries, `</s>` included (default: no limit). Ignored when `vocab` is given. */
  maxVocab?: number;
  /** Corpus shards / worker threads (`-threads`; default 0 = the thread pool's size, see `setNumThreads`). */
  threads?: number;
  /** Seed of the initialisation and of every sampler (default 1). */
  seed?: number;
  /**
   * Bit-identical vectors for the same seed and `threads`: all shards run on one worker in a
   * fixed order (gives up parallelism). Default false.
   */
  deterministic?: boolean;
  /** Full softmax over the vocabulary (at most 10 000 words; excludes `hs` and `negative`). Default false. */
  fullSoftmax?: boolean;
  /** `'auto'` (default: batched for skip-gram with negative sampling alone, else hogwild — batched CBOW measured 1.4 points below the C tool's analogy accuracy), `'hogwild'` (the C tool's updates) or `'batched'` (pWord2Vec's shared negatives). */
  method?: Word2VecMethod;
  /** Batched method: skip-gram context rows per update (default 0 = 2·window + 1); CBOW center words sharing one noise set (default 0 = 4). */
  batchSize?: number;
  /** Re-read a corpus file in every epoch instead of holding it in memory as word ids (for corpora larger than memory). Default false. */
  stream?: boolean;
  /** A vocabulary counted before (`CorpusVocab.build`/`load`); otherwise it is counted from the corpus. */
  vocab?: CorpusVocab;
  /** Called every `progressIntervalMs` while running and once at the end. */
  onProgress?: (p: Word2VecProgress) => void;
  /** Interval of `onProgress` calls in milliseconds (default 200). */
  progressIntervalMs?: number;
  /** Stops the run; the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
}

/** What a run did. */
export interface Word2VecStats {
  /** Words trained over all epochs (the C tool's count). */
  words: number;
  /** Seconds of training (excludes counting and reading the corpus). */
  seconds: number;
  /** `words / seconds`. */
  wordsPerSecond: number;
  /** Workers that trained concurrently. */
  threads: number;
  /** Corpus shards. */
  shards: number;
  /** The method used. */
  method: 'hogwild' | 'batched';
  /** Epochs. */
  epochs: number;
  /** Bytes of the corpus held in memory as word ids (0 when streamed). */
  corpusBytes: number;
  /** Bytes of the weight tables. */
  weightsBytes: number;
}

/** The result of `trainWord2Vec`. */
export interface Word2VecResult {
  /** The word vectors (`syn0`), one per vocabulary word, `</s>` first as the C tool writes them. */
  vectors: KeyedVectors;
  /** The vocabulary trained on. */
  vocab: CorpusVocab;
  /** What the run did. */
  stats: Word2VecStats;
}

const NUMBER_OPTIONS = [
  'size',
  'window',
  'sample',
  'negative',
  'alpha',
  'minAlphaRatio',
  'iter',
  'minCount',
  'maxVocab',
  'threads',
  'seed',
  'batchSize',
  'progressIntervalMs',
] as const;
const BOOLEAN_OPTIONS = ['hs', 'cbow', 'cbowMean', 'deterministic', 'fullSoftmax', 'stream'] as const;
const OTHER_OPTIONS = ['method', 'vocab', 'onProgress', 'signal'] as const;
const KNOWN = new Set<string>([...NUMBER_OPTIONS, ...BOOLEAN_OPTIONS, ...OTHER_OPTIONS]);
const METHODS: readonly Word2VecMethod[] = ['auto', 'hogwild', 'batched'];

/** Type checks of every option (ranges and combinations are checked natively, naming the option). */
function checkOptions(options: Word2VecOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options: expected an object, got ${describe(options)}`);
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN.has(key)) {
      throw new InvalidArgumentError(`options: unknown option '${key}' (known: ${[...KNOWN].join(', ')})`, 'ERR_SEQLEARN_INVALID_ARG');
    }
  }
  for (const key of NUMBER_OPTIONS) {
    const v = record[key];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new TypeError(`${key}: expected a number, got ${describe(v)}`);
  }
  for (const key of BOOLEAN_OPTIONS) {
    const v = record[key];
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${key}: expected a boolean, got ${describe(v)}`);
  }
  const m = record.method;
  if (m !== undefined && !METHODS.includes(m as Word2VecMethod)) {
    throw new InvalidArgumentError(`method: expected 'auto', 'hogwild' or 'batched', got ${describe(m)}`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  if (options.vocab !== undefined && !(options.vocab instanceof CorpusVocab)) {
    throw new TypeError(`vocab: expected a CorpusVocab, got ${describe(options.vocab)}`);
  }
  checkJobOptions(options);
}

/** Share of the job's fraction taken by each phase before training. */
const VOCAB_SHARE = 0.05;
const READING_SHARE = 0.05;

/** Trains word2vec on `corpus` (a file path, `{ text }` or `{ sentences }`). */
export async function trainWord2Vec(corpus: CorpusInput, options: Word2VecOptions = {}): Promise<Word2VecResult> {
  checkOptions(options);
  const source = corpusSource(corpus);
  const nativeOptions: native.Word2VecOptions = {
    size: options.size,
    window: options.window,
    sample: options.sample,
    hs: options.hs,
    negative: options.negative,
    cbow: options.cbow,
    cbowMean: options.cbowMean,
    alpha: options.alpha,
    minAlphaRatio: options.minAlphaRatio,
    iter: options.iter,
    minCount: options.minCount,
    maxVocab: options.maxVocab,
    threads: options.threads,
    seed: options.seed,
    deterministic: options.deterministic,
    fullSoftmax: options.fullSoftmax,
    method: options.method,
    batchSize: options.batchSize,
    stream: options.stream,
  };
  const trainer = callNative(() => new native.Word2VecTrainer(nativeOptions));
  const textBytes = source.text === undefined ? 0 : Buffer.byteLength(source.text);
  const pool = getNumThreads();
  const workers = options.deterministic === true ? 1 : Math.max(1, Math.min(options.threads || pool, pool));
  const started = performance.now();
  let fraction = 0;
  let trainStart: { t: number; words: number } | undefined;

  const poll = (): Word2VecProgress => {
    const p = trainer.progress();
    const now = performance.now();
    const done = p.phase === 'done';
    const phase: Word2VecProgress['phase'] = p.phase === 'training' || p.phase === 'reading' || p.phase === 'done' ? p.phase : 'vocab';
    const part = (d: number, t: number): number => (t > 0 ? Math.min(1, d / t) : 0);
    let f: number;
    if (done) f = 1;
    else if (phase === 'vocab') f = VOCAB_SHARE * part(p.done, p.total > 0 ? p.total : textBytes);
    else if (phase === 'reading') f = VOCAB_SHARE + READING_SHARE * part(p.done, p.total > 0 ? p.total : textBytes);
    else f = VOCAB_SHARE + READING_SHARE + (1 - VOCAB_SHARE - READING_SHARE) * part(p.done, p.total);
    fraction = Math.max(fraction, f);
    const training = phase === 'training' || (done && p.total > 0);
    if (training && trainStart === undefined) trainStart = { t: now, words: phase === 'training' ? p.done : 0 };
    const secs = trainStart === undefined ? 0 : (now - trainStart.t) / 1000;
    const wordsDone = training ? p.done : 0;
    const wps = trainStart !== undefined && secs > 0 ? (wordsDone - trainStart.words) / secs : 0;
    return {
      phase,
      fraction,
      epoch: training ? p.epoch : 0,
      epochs: p.epochs > 0 ? p.epochs : (options.iter ?? 5),
      wordsDone,
      wordsTotal: training ? p.total : 0,
      alpha: p.alpha,
      wordsPerSecond: wps,
      wordsPerSecondPerThread: wps / workers,
      elapsedSeconds: (now - started) / 1000,
      etaSeconds: done ? 0 : wps > 0 ? Math.max(0, p.total - wordsDone) / wps : Number.NaN,
    };
  };

  const nativeVectors = await runJob(() => trainer.trainAsync(source, options.vocab?.native), poll, () => trainer.abort(), {
    onProgress: options.onProgress,
    intervalMs: options.progressIntervalMs,
    signal: options.signal,
    what: 'word2vec training',
  });
  const s = trainer.stats();
  const v = trainer.vocab();
  if (s === null || v === null) throw new Error('word2vec training finished without statistics (internal error)');
  return {
    vectors: KeyedVectors.fromNative(nativeVectors),
    vocab: options.vocab ?? new CorpusVocab(v),
    stats: {
      words: s.words,
      seconds: s.seconds,
      wordsPerSecond: s.wordsPerSecond,
      threads: s.threads,
      shards: s.shards,
      method: s.method === 'batched' ? 'batched' : 'hogwild',
      epochs: s.epochs,
      corpusBytes: s.corpusBytes,
      weightsBytes: s.weightsBytes,
    },
  };
}
