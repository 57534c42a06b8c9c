/**
 * `NgramLanguageModel`: a backoff n-gram model over characters or words, trained in Rust by
 * counting (interpolated modified Kneser–Ney or Witten–Bell smoothing) or read from an ARPA file
 * (KenLM's `lmplz`, SRILM). Sentences get `<s>`/`</s>`; tokens outside the vocabulary are
 * `<unk>`. Log-probabilities are natural logs. Pass one as `lm` to `ctcBeamSearch` for shallow
 * fusion; it is immutable, so any number of decodes can share it.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';

/** Smoothing of a trained model. */
export type NgramSmoothing = 'kneser-ney' | 'witten-bell';
/** Token granularity: every character (spaces included) or whitespace-separated words. */
export type NgramLevel = 'char' | 'word';

/** Options of `NgramLanguageModel.train`. */
export interface NgramTrainOptions {
  /** Order n: the longest n-grams counted, 1..16 (default 3). */
  order?: number;
  /** `'kneser-ney'` (interpolated modified Kneser–Ney, 3 discounts per order; default) or `'witten-bell'` (interpolated). */
  smoothing?: NgramSmoothing;
  /** `'word'` (default) or `'char'`. */
  level?: NgramLevel;
  /** Tokens seen fewer times than this become `<unk>` (default 1: none). */
  minCount?: number;
}

/** Options of `NgramLanguageModel.load` / `fromArpa`. */
export interface NgramLoadOptions {
  /** How to read the tokens (default `'word'`); character models spell `' '` as `<space>` and other whitespace as `<U+XXXX>`. */
  level?: NgramLevel;
}

/** Sentences: one per array element, or a text with one sentence per line (empty lines skipped). */
export type Sentences = string | Iterable<string>;

function sentenceList(arg: string, v: Sentences): string[] {
  if (typeof v === 'string') return v.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (v === null || typeof v !== 'object' || typeof (v as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${arg}: expected a string or an iterable of strings, got ${describe(v)}`);
  }
  const out = Array.from(v);
  out.forEach((s, i) => {
    if (typeof s !== 'string') throw new TypeError(`${arg}[${i}]: expected a string, got ${describe(s)}`);
  });
  return out;
}

function trainArgs(options: NgramTrainOptions | undefined): native.NgramTrainArgs {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
  for (const k of ['order', 'minCount'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'number') throw new TypeError(`${k}: expected a number, got ${describe(options[k])}`);
  }
  for (const k of ['smoothing', 'level'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'string') throw new TypeError(`${k}: expected a string, got ${describe(options[k])}`);
  }
  return { order: options.order, smoothing: options.smoothing, level: options.level, minCount: options.minCount };
}

function levelArg(options: NgramLoadOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
  if (options.level !== undefined && typeof options.level !== 'string') throw new TypeError(`level: expected 'char' or 'word', got ${describe(options.level)}`);
  return options.level;
}

/** A backoff n-gram language model. */
export class NgramLanguageModel {
  /** @internal The native model. */
  readonly native: native.NgramLm;

  private constructor(n: native.NgramLm) {
    this.native = n;
  }

  /** Trains a model on `sentences` (Kneser–Ney by default). */
  static train(sentences: Sentences, options?: NgramTrainOptions): NgramLanguageModel {
    const s = sentenceList('sentences', sentences);
    const o = trainArgs(options);
    return new NgramLanguageModel(callNative(() => native.NgramLm.train(s, o)));
  }

  /** `train` on a worker thread. */
  static async trainAsync(sentences: Sentences, options?: NgramTrainOptions): Promise<NgramLanguageModel> {
    const s = sentenceList('sentences', sentences);
    const o = trainArgs(options);
    return new NgramLanguageModel(await awaitNative(() => native.NgramLm.trainAsync(s, o)));
  }

  /** Reads a model from ARPA text. Errors name the line. */
  static fromArpa(text: string, options?: NgramLoadOptions): NgramLanguageModel {
    if (typeof text !== 'string') throw new TypeError(`text: expected a string, got ${describe(text)}`);
    const level = levelArg(options);
    return new NgramLanguageModel(callNative(() => native.NgramLm.fromArpa(text, level)));
  }

  /** Reads an ARPA file. Errors name the file and line. */
  static load(path: string, options?: NgramLoadOptions): NgramLanguageModel {
    if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
    const level = levelArg(options);
    return new NgramLanguageModel(callNative(() => native.NgramLm.load(path, level)));
  }

  /** `load` on a worker thread. */
  static async loadAsync(path: string, options?: NgramLoadOptions): Promise<NgramLanguageModel> {
    if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
    const level = levelArg(options);
    return new NgramLanguageModel(await awaitNative(() => native.NgramLm.loadAsync(path, level)));
  }

  /** Writes the model as an ARPA file (atomically: temporary file, fsync, rename). */
  save(path: string): void {
    if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
    callNative(() => this.native.save(path));
  }

  /** The model as ARPA text (log10 values, shortest round-trip digits). */
  toArpa(): string {
    return callNative(() => this.native.toArpa());
  }

  /** Order n. */
  get order(): number {
    return this.native.order;
  }

  /** Token granularity. */
  get level(): NgramLevel {
    return this.native.level as NgramLevel;
  }

  /** The smoothing it was trained with; `null` for a model read from ARPA. */
  get smoothing(): NgramSmoothing | null {
    return (this.native.smoothing ?? null) as NgramSmoothing | null;
  }

  /** Vocabulary size (`<unk>`, `<s>`, `</s>` included). */
  get vocabSize(): number {
    return this.native.vocabulary().length;
  }

  /** Number of n-grams of each order 1..n. */
  counts(): number[] {
    return this.native.counts();
  }

  /** Kneser–Ney discounts `[D1, D2, D3+]` of each order (empty for Witten–Bell and ARPA models). */
  discounts(): number[][] {
    return this.native.discounts();
  }

  /** The vocabulary by id: `<unk>`, `<s>`, `</s>`, then tokens in first-seen order. */
  vocabulary(): string[] {
    return this.native.vocabulary();
  }

  /** The tokens of `text` at the model's level. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TypeError(`text: expected a string, got ${describe(text)}`);
    return this.native.tokenize(text);
  }

  /**
   * `ln p(token | context)`. The context is a token array (oldest first; put `'<s>'` first for a
   * sentence start) or a string tokenized at the model's level (no `<s>` added); `token` may be
   * `'</s>'`. Tokens outside the vocabulary are `<unk>`.
   */
  logProb(context: string | readonly string[], token: string): number {
    let ctx: string[];
    if (typeof context === 'string') ctx = this.tokenize(context);
    else if (Array.isArray(context)) {
      ctx = context.map((t, i) => {
        if (typeof t !== 'string') throw new TypeError(`context[${i}]: expected a string, got ${describe(t)}`);
        return t;
      });
    } else throw new TypeError(`context: expected a string or an array of tokens, got ${describe(context)}`);
    if (typeof token !== 'string') throw new TypeError(`token: expected a string, got ${describe(token)}`);
    if (token === '<s>') throw new InvalidArgumentError(`token: '<s>' is never predicted (it only starts contexts)`, 'ERR_SEQLEARN_INVALID_ARG');
    return callNative(() => this.native.logProb(ctx, token));
  }

  /** `ln p(<s> sentence </s>)`: the sum over its tokens and `</s>`. */
  sentenceLogProb(sentence: string): number {
    if (typeof sentence !== 'string') throw new TypeError(`sentence: expected a string, got ${describe(sentence)}`);
    return this.native.sentenceLogProb(sentence);
  }

  /** Perplexity `exp(−Σ ln p / N)` over the sentences; `N` counts tokens and each `</s>`, not `<s>`. */
  perplexity(sentences: Sentences): number {
    const s = sentenceList('sentences', sentences);
    return callNative(() => this.native.perplexity(s));
  }
}
