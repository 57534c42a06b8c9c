/**
 * CTC decoders running in Rust: best path (`ctcGreedyDecode`) and prefix beam search
 * (`ctcBeamSearch`, Hannun et al. 2014) with token and beam pruning, n-best lists with scores,
 * per-token frame timestamps, language-model shallow fusion
 * `log p_ctc + α·log p_lm + β·|words|` and hotword boosting.
 *
 * Emissions are `[T, N, C]` (time-major), `[N, T, C]` with `batchFirst`, or `[T, C]` for one
 * utterance. `inputKind` says what the values are: `'logits'` (default; each frame is
 * log-softmaxed — normalised log-probabilities pass through unchanged, so the default is right
 * for both), `'logProbs'` (used as given, −Infinity allowed) or `'probs'` (their log is taken).
 * Feeding probabilities as logits (or log twice) silently ruins a beam decoder, so say which.
 *
 * Language models: an `NgramLanguageModel` (character level: every emitted class is scored;
 * word level: a word is scored when the word delimiter closes it, the last word and `</s>` at the
 * end), a callback (`CtcTokenLm`, `CtcWordLm`: called on the JavaScript thread once per frame
 * with all of that frame's new queries, each distinct query asked once), or one of our recurrent
 * `LanguageModel`s through `recurrentLmScorer`.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { Tensor, tensorArg, type TensorLike } from '../tensor';
import type { LanguageModel } from '../models/language-model';
import type { RecurrentState } from '../models/backbone';
import { NgramLanguageModel } from './ngram';

/** How emission values are read. */
export type CtcInputKind = 'logits' | 'logProbs' | 'probs';

/** Options every CTC decoder takes. */
export interface CtcDecodeInputOptions {
  /** Index of the blank class (default 0). */
  blank?: number;
  /** Emissions are `[N, T, C]` (default false: `[T, N, C]`). */
  batchFirst?: boolean;
  /** `'logits'` (default), `'logProbs'` or `'probs'`. */
  inputKind?: CtcInputKind;
}

/** One decoded hypothesis. */
export interface CtcHypothesis {
  /** Class ids, blanks removed and repeats collapsed. */
  tokens: Int32Array;
  /** Frame of each token: the first frame of its run (greedy), of its dominant emission (beam). Non-decreasing. */
  timesteps: Int32Array;
  /** Ranking score: `ctcScore + α·lmScore + β·wordCount` (+ unknown-word and hotword terms). */
  score: number;
  /** `ln p_ctc`: the labelling's probability over all its alignments (beam search), or the best path's log-probability (greedy). */
  ctcScore: number;
  /** Raw `ln p_lm` of the hypothesis including `</s>` (not multiplied by α); 0 without an LM. */
  lmScore: number;
  /** Words counted for β (beam search: every token when there is no word delimiter; 0 from greedy decoding). */
  wordCount: number;
}

/** Queries of a token-level callback LM for one frame: `ln p(next[i] | contexts[i])`. */
export interface CtcTokenLmQueries {
  /** Number of queries. */
  readonly size: number;
  /** The class id that comes next; −1 for the end of the sentence. */
  readonly next: Int32Array;
  /** The history of each query: the classes emitted so far (built on first access). */
  readonly contexts: readonly Int32Array[];
  /** Id of each query's history (0 = the empty history; equal ids ⇔ equal histories within one call). */
  readonly contextIds: Int32Array;
  /** Id the history gets after `next` (−1 after the end): a later query's `contextIds` entry. */
  readonly nextIds: Int32Array;
  /** Identifies the decoding call (history ids are unique within it). */
  readonly call: number;
}

/** Queries of a word-level callback LM for one frame: `ln p(next[i] | contexts[i])`. */
export interface CtcWordLmQueries {
  /** Number of queries. */
  readonly size: number;
  /** The word that comes next (the labels of its classes joined); null for the end of the sentence. */
  readonly next: readonly (string | null)[];
  /** The words so far (built on first access). */
  readonly contexts: readonly (readonly string[])[];
  /** Id of each query's history (0 = none). */
  readonly contextIds: Int32Array;
  /** Id the history gets after `next` (−1 after the end). */
  readonly nextIds: Int32Array;
  /** Identifies the decoding call. */
  readonly call: number;
}

/** A language model given as a function over emitted classes. */
export interface CtcTokenLm {
  /** Scores every emitted class (the word delimiter too). */
  readonly level: 'token';
  /** Natural-log probabilities, one per query. */
  score(queries: CtcTokenLmQueries): ArrayLike<number>;
}

/** A language model given as a function over words (needs `labels`). */
export interface CtcWordLm {
  /** Scores each completed word (and the last word and the end at the end of the utterance). */
  readonly level: 'word';
  /** Natural-log probabilities, one per query. */
  score(queries: CtcWordLmQueries): ArrayLike<number>;
}

/** What `lm` accepts. */
export type CtcLanguageModel = NgramLanguageModel | CtcTokenLm | CtcWordLm;

/** Options of `ctcBeamSearch`. Defaults follow pyctcdecode where it has the knob. */
export interface CtcBeamSearchOptions extends CtcDecodeInputOptions {
  /** Hypotheses kept per frame (default 100). */
  beamWidth?: number;
  /** Hypotheses returned per utterance, best first (1..beamWidth; default 1). */
  nBest?: number;
  /** At most this many classes (the most likely) extend hypotheses per frame (default 0 = all). */
  tokenTopK?: number;
  /** Classes whose log-probability is below this are skipped, unless they are the frame's argmax (default −5; −Infinity = off). */
  tokenMinLogp?: number;
  /** Hypotheses scoring more than this below the best are dropped (≤ 0; default −10; −Infinity = off). */
  beamPruneLogp?: number;
  /** Language model for shallow fusion. */
  lm?: CtcLanguageModel;
  /** LM weight α (default 0.5). */
  alpha?: number;
  /** Word insertion bonus β, added per completed word (default 1.5 with an LM, 0 without). */
  beta?: number;
  /** Word-level n-gram LM: added per word outside its vocabulary and to partial words that start no known word (default −10, pyctcdecode's). */
  unkScore?: number;
  /** Text of each class (one per class; the blank's is ignored). Needed by n-gram and word-level LMs and by string hotwords. */
  labels?: readonly string[];
  /** The class separating words (default: the class whose label is `' '`, if any). Without one every token is a word. */
  wordDelimiter?: number;
  /** Words to favour: strings (need `labels`; several words split on spaces) or class-id sequences. */
  hotwords?: readonly (string | ArrayLike<number>)[];
  /** Bonus per completed hotword; a partial word starting a hotword gets `weight·len/len(hotword)` (default 10). */
  hotwordWeight?: number;
}

/** Native results → hypotheses per item. */
function hypotheses(r: native.CtcDecodeResult): CtcHypothesis[][] {
  const out: CtcHypothesis[][] = [];
  let h = 0;
  for (const count of r.counts) {
    const list: CtcHypothesis[] = [];
    for (let k = 0; k < count; k++, h++) {
      const a = r.offsets[h];
      const b = r.offsets[h + 1];
      list.push({ tokens: r.tokens.slice(a, b), timesteps: r.timesteps.slice(a, b), score: r.scores[h], ctcScore: r.ctcScores[h], lmScore: r.lmScores[h], wordCount: r.wordCounts[h] });
    }
    out.push(list);
  }
  return out;
}

function lengthsArg(lengths: ArrayLike<number> | undefined): number[] | undefined {
  if (lengths === undefined) return undefined;
  if (lengths === null || typeof lengths !== 'object' || typeof (lengths as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`lengths: expected an array of integers, got ${describe(lengths)}`);
  }
  return Array.from(lengths, (v, i) => {
    if (typeof v !== 'number') throw new TypeError(`lengths[${i}]: expected an integer, got ${describe(v)}`);
    return v;
  });
}

function inputArgs(o: CtcDecodeInputOptions): native.CtcDecodeArgs {
  if (o.blank !== undefined && typeof o.blank !== 'number') throw new TypeError(`blank: expected an integer, got ${describe(o.blank)}`);
  if (o.batchFirst !== undefined && typeof o.batchFirst !== 'boolean') throw new TypeError(`batchFirst: expected a boolean, got ${describe(o.batchFirst)}`);
  if (o.inputKind !== undefined && typeof o.inputKind !== 'string') throw new TypeError(`inputKind: expected 'logits', 'logProbs' or 'probs', got ${describe(o.inputKind)}`);
  return { blank: o.blank, batchFirst: o.batchFirst, inputKind: o.inputKind };
}

function optionsObject<T extends object>(options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`options: expected an object, got ${describe(options)}`);
  return options;
}

/**
 * Best-path decoding: the argmax class of every frame (first maximum on ties), repeats
 * collapsed, blanks removed. One hypothesis per item (`lengths` frames each, default all);
 * `ctcScore` is the best path's log-probability. One native call, parallel over items.
 */
export function ctcGreedyDecode(emissions: TensorLike, lengths?: ArrayLike<number>, options?: CtcDecodeInputOptions): CtcHypothesis[] {
  const e = tensorArg('emissions', emissions);
  const l = lengthsArg(lengths);
  const o = inputArgs(optionsObject(options));
  return hypotheses(callNative(() => native.ctcGreedyDecode(e, l, o))).map((list) => list[0]);
}

/** Classes of the emissions (the last dimension), for option checks. */
function classesOf(e: { shape: number[] }): number {
  return e.shape.length > 0 ? e.shape[e.shape.length - 1] : 0;
}

function labelsArg(labels: readonly string[] | undefined, classes: number): string[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels)) throw new TypeError(`labels: expected an array of strings (one per class), got ${describe(labels)}`);
  labels.forEach((s, i) => {
    if (typeof s !== 'string') throw new TypeError(`labels[${i}]: expected a string, got ${describe(s)}`);
  });
  if (labels.length !== classes) throw new InvalidArgumentError(`labels: expected ${classes} labels (one per class, the emissions' last dimension), got ${labels.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  return [...labels];
}

/** Class-id sequences of the hotwords (strings tokenized by longest label match). */
function hotwordTokens(hotwords: readonly (string | ArrayLike<number>)[], labels: string[] | undefined, blank: number, delimiter: number | undefined): { tokens: Int32Array; offsets: Int32Array } {
  if (!Array.isArray(hotwords)) throw new TypeError(`hotwords: expected an array of strings or class-id arrays, got ${describe(hotwords)}`);
  const words: number[][] = [];
  hotwords.forEach((w, i) => {
    if (typeof w === 'string') {
      if (!labels) throw new InvalidArgumentError(`hotwords[${i}]: a string hotword needs labels (the text of each class)`, 'ERR_SEQLEARN_INVALID_ARG');
      const pieces = w.split(/\s+/).filter((p) => p.length > 0);
      if (pieces.length === 0) throw new InvalidArgumentError(`hotwords[${i}]: expected a non-empty word, got ${JSON.stringify(w)}`, 'ERR_SEQLEARN_INVALID_ARG');
      for (const piece of pieces) words.push(spell(piece, labels, blank, delimiter, `hotwords[${i}]`));
    } else if (w !== null && typeof w === 'object' && typeof (w as ArrayLike<number>).length === 'number') {
      words.push(Array.from(w as ArrayLike<number>, (t, j) => {
        if (!Number.isInteger(t)) throw new TypeError(`hotwords[${i}][${j}]: expected a class id, got ${describe(t)}`);
        return t;
      }));
    } else throw new TypeError(`hotwords[${i}]: expected a string or an array of class ids, got ${describe(w)}`);
  });
  const offsets = new Int32Array(words.length + 1);
  words.forEach((w, i) => (offsets[i + 1] = offsets[i] + w.length));
  return { tokens: Int32Array.from(words.flat()), offsets };
}

/** Class ids spelling `text` by longest label match (the blank and the delimiter excluded). */
function spell(text: string, labels: string[], blank: number, delimiter: number | undefined, arg: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    let best = -1;
    let bestLen = 0;
    labels.forEach((l, c) => {
      if (c === blank || c === delimiter || l.length <= bestLen) return;
      if (text.startsWith(l, i)) {
        best = c;
        bestLen = l.length;
      }
    });
    if (best < 0) throw new InvalidArgumentError(`${arg}: no label spells ${JSON.stringify(text.slice(i, i + 8))} (in ${JSON.stringify(text)})`, 'ERR_SEQLEARN_INVALID_ARG');
    out.push(best);
    i += bestLen;
  }
  return out;
}

let callCounter = 0;

/** The native form of a callback LM: rebuilds contexts from history ids, validates results. */
function nativeCallback(lm: CtcTokenLm | CtcWordLm, labels: string[] | undefined): (contextIds: Int32Array, nextIds: Int32Array, units: Int32Array, unitOffsets: Int32Array) => Float64Array {
  const call = ++callCounter;
  const parent = new Map<number, number>();
  const unit = new Map<number, Int32Array>();
  const word = (u: Int32Array): string => Array.from(u, (c) => (labels as string[])[c]).join('');
  const tokenMemo = new Map<number, Int32Array>([[0, new Int32Array(0)]]);
  const wordMemo = new Map<number, string[]>([[0, []]]);
  const tokenContext = (id: number): Int32Array => {
    const chain: number[] = [];
    let k = id;
    while (!tokenMemo.has(k)) {
      chain.push(k);
      k = parent.get(k) as number;
    }
    let acc = tokenMemo.get(k) as Int32Array;
    for (let j = chain.length - 1; j >= 0; j--) {
      const u = unit.get(chain[j]) as Int32Array;
      const next = new Int32Array(acc.length + u.length);
      next.set(acc);
      next.set(u, acc.length);
      tokenMemo.set(chain[j], next);
      acc = next;
    }
    return acc;
  };
  const wordContext = (id: number): string[] => {
    const chain: number[] = [];
    let k = id;
    while (!wordMemo.has(k)) {
      chain.push(k);
      k = parent.get(k) as number;
    }
    let acc = wordMemo.get(k) as string[];
    for (let j = chain.length - 1; j >= 0; j--) {
      acc = [...acc, word(unit.get(chain[j]) as Int32Array)];
      wordMemo.set(chain[j], acc);
    }
    return acc;
  };
  return (contextIds, nextIds, units, unitOffsets) => {
    const size = contextIds.length;
    for (let i = 0; i < size; i++) {
      if (nextIds[i] >= 0) {
        parent.set(nextIds[i], contextIds[i]);
        unit.set(nextIds[i], units.slice(unitOffsets[i], unitOffsets[i + 1]));
      }
    }
    let result: ArrayLike<number>;
    if (lm.level === 'token') {
      const next = new Int32Array(size);
      for (let i = 0; i < size; i++) next[i] = nextIds[i] < 0 ? -1 : units[unitOffsets[i]];
      let contexts: Int32Array[] | undefined;
      const q: CtcTokenLmQueries = {
        size,
        next,
        contextIds,
        nextIds,
        call,
        get contexts(): readonly Int32Array[] {
          contexts ??= Array.from(contextIds, tokenContext);
          return contexts;
        },
      };
      result = lm.score(q);
    } else {
      const next: (string | null)[] = [];
      for (let i = 0; i < size; i++) next.push(nextIds[i] < 0 ? null : word(units.subarray(unitOffsets[i], unitOffsets[i + 1])));
      let contexts: string[][] | undefined;
      const q: CtcWordLmQueries = {
        size,
        next,
        contextIds,
        nextIds,
        call,
        get contexts(): readonly (readonly string[])[] {
          contexts ??= Array.from(contextIds, wordContext);
          return contexts;
        },
      };
      result = lm.score(q);
    }
    if (result === null || typeof result !== 'object' || typeof (result as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`lm.score: expected an array of ${size} log-probabilities, got ${describe(result)}`);
    }
    if (result instanceof Float64Array) return result;
    const out = new Float64Array(result.length);
    for (let i = 0; i < result.length; i++) {
      const v = result[i];
      if (typeof v !== 'number') throw new TypeError(`lm.score: expected numbers, got ${describe(v)} at index ${i}`);
      out[i] = v;
    }
    return out;
  };
}

interface PreparedBeam {
  e: { data: Float32Array; shape: number[] };
  lengths: number[] | undefined;
  args: native.CtcBeamArgs;
  ngram: native.NgramLm | undefined;
  callback: CtcTokenLm | CtcWordLm | undefined;
}

function prepareBeam(emissions: TensorLike, lengths: ArrayLike<number> | undefined, options: CtcBeamSearchOptions | undefined): PreparedBeam {
  const e = tensorArg('emissions', emissions);
  const l = lengthsArg(lengths);
  const o = optionsObject(options);
  const base = inputArgs(o);
  const classes = classesOf(e);
  const numbers = ['beamWidth', 'nBest', 'tokenTopK', 'tokenMinLogp', 'beamPruneLogp', 'alpha', 'beta', 'unkScore', 'wordDelimiter', 'hotwordWeight'] as const;
  for (const k of numbers) {
    if (o[k] !== undefined && typeof o[k] !== 'number') throw new TypeError(`${k}: expected a number, got ${describe(o[k])}`);
  }
  const labels = labelsArg(o.labels, classes);
  const blank = o.blank ?? 0;
  let wordDelimiter = o.wordDelimiter;
  if (wordDelimiter === undefined && labels) {
    const space = labels.indexOf(' ');
    if (space >= 0 && space !== blank) wordDelimiter = space;
  }
  let ngram: native.NgramLm | undefined;
  let callback: CtcTokenLm | CtcWordLm | undefined;
  let lmLevel: string | undefined;
  const lm = o.lm;
  if (lm instanceof NgramLanguageModel) {
    if (!labels) throw new InvalidArgumentError('labels: an n-gram language model needs labels (the text of each class) to map classes to its tokens', 'ERR_SEQLEARN_INVALID_ARG');
    ngram = lm.native;
  } else if (lm !== undefined) {
    const c = lm as Partial<CtcTokenLm | CtcWordLm> | null;
    if (c === null || typeof c !== 'object' || typeof c.score !== 'function' || (c.level !== 'token' && c.level !== 'word')) {
      throw new TypeError(`lm: expected an NgramLanguageModel or { level: 'token' | 'word', score(queries) }, got ${describe(lm)}`);
    }
    if (c.level === 'word' && !labels) throw new InvalidArgumentError("labels: a word-level language model needs labels to spell words", 'ERR_SEQLEARN_INVALID_ARG');
    callback = lm as CtcTokenLm | CtcWordLm;
    lmLevel = c.level;
  }
  const hot = o.hotwords !== undefined ? hotwordTokens(o.hotwords, labels, blank, wordDelimiter) : undefined;
  const args: native.CtcBeamArgs = {
    ...base,
    beamWidth: o.beamWidth,
    nBest: o.nBest,
    tokenTopK: o.tokenTopK,
    tokenMinLogp: o.tokenMinLogp,
    beamPruneLogp: o.beamPruneLogp,
    alpha: o.alpha,
    beta: o.beta ?? (lm !== undefined ? 1.5 : undefined),
    unkScore: o.unkScore,
    wordDelimiter,
    labels,
    hotwordTokens: hot?.tokens,
    hotwordOffsets: hot?.offsets,
    hotwordWeight: o.hotwordWeight,
    lmLevel,
  };
  return { e, lengths: l, args, ngram, callback };
}

/**
 * Prefix beam search over every item: the `nBest` best hypotheses per item, best first. Without
 * an LM or with an n-gram LM the items are decoded in parallel in Rust; with a callback LM they
 * run one after the other on this thread and the callback is called once per frame.
 */
export function ctcBeamSearch(emissions: TensorLike, lengths?: ArrayLike<number>, options?: CtcBeamSearchOptions): CtcHypothesis[][] {
  const p = prepareBeam(emissions, lengths, options);
  const cb = p.callback ? nativeCallback(p.callback, p.args.labels) : undefined;
  return hypotheses(callNative(() => native.ctcBeamSearch(p.e, p.lengths, p.args, p.ngram, cb)));
}

/** `ctcBeamSearch` on a worker thread, parallel over items (no LM or an n-gram LM). */
export async function ctcBeamSearchAsync(emissions: TensorLike, lengths?: ArrayLike<number>, options?: CtcBeamSearchOptions): Promise<CtcHypothesis[][]> {
  const p = prepareBeam(emissions, lengths, options);
  if (p.callback) throw new InvalidArgumentError('lm: a callback language model runs on the JavaScript thread; use ctcBeamSearch (sync) with it', 'ERR_SEQLEARN_INVALID_ARG');
  return hypotheses(await awaitNative(() => native.ctcBeamSearchAsync(p.e, p.lengths, p.args, p.ngram)));
}

/** Options of `recurrentLmScorer`. */
export interface RecurrentLmScorerOptions {
  /** Text of each CTC class (one per class; the blank's is ignored). Character models need each label to be one vocabulary token. */
  labels: readonly string[];
  /** Index of the blank class (default 0). */
  blank?: number;
  /** The word delimiter class: a character model reads it as `' '` (default: the class labelled `' '`). */
  wordDelimiter?: number;
  /** Token fed first (default: `'\n'` for character models, `<bos>` or `<eos>` for word models, whichever the vocabulary has). */
  startToken?: string;
  /** Token whose probability ends a sentence (default: the start token for character models, `<eos>` for word models). */
  endToken?: string;
}

/**
 * Adapts a recurrent `LanguageModel` (character or word level, unidirectional) into a callback
 * LM for `ctcBeamSearch`. Each distinct history costs one recurrent step: the hidden state after
 * every history is kept (per decoding call) and all of a frame's new histories run as one batch.
 */
export function recurrentLmScorer(model: LanguageModel, options: RecurrentLmScorerOptions): CtcTokenLm | CtcWordLm {
  if (model === null || typeof model !== 'object' || typeof (model as Partial<LanguageModel>).stepLogProbs !== 'function') {
    throw new TypeError(`model: expected a LanguageModel, got ${describe(model)}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object with labels, got ${describe(options)}`);
  if (model.backbone.numDirections !== 1) throw new InvalidArgumentError('model: a bidirectional language model cannot score left to right', 'ERR_SEQLEARN_INVALID_ARG');
  if (!Array.isArray(options.labels) || options.labels.some((l) => typeof l !== 'string')) throw new TypeError(`labels: expected an array of strings (one per class), got ${describe(options.labels)}`);
  const labels = [...options.labels];
  const vocab = model.vocabulary;
  const blank = options.blank ?? 0;
  const char = model.level === 'char';
  const lookup = (token: string): number => vocab.id(token) ?? vocab.id('<unk>') ?? -1;
  const idOf = (token: string, arg: string): number => {
    const id = lookup(token);
    if (id >= 0) return id;
    throw new InvalidArgumentError(`${arg}: ${JSON.stringify(token)} is not in the model's vocabulary (which has no <unk>)`, 'ERR_SEQLEARN_INVALID_ARG');
  };
  const pick = (cands: string[]): string | undefined => cands.find((t) => vocab.has(t));
  const start = options.startToken ?? (char ? pick(['\n', ' ']) : pick(['<bos>', '<eos>']));
  if (start === undefined) throw new InvalidArgumentError('startToken: the vocabulary has none of the default start tokens; pass startToken', 'ERR_SEQLEARN_INVALID_ARG');
  const startId = idOf(start, 'startToken');
  const end = options.endToken ?? (char ? start : pick(['<eos>']) ?? start);
  const endId = idOf(end, 'endToken');
  const delimiter = options.wordDelimiter ?? labels.indexOf(' ');
  // Character models: each class is one vocabulary token.
  const classIds = labels.map((l, c) => {
    if (!char || c === blank) return -1;
    const t = c === delimiter ? ' ' : l;
    return idOf(t, `labels[${c}]`);
  });
  interface Hist {
    state: RecurrentState;
    logp: Float32Array;
  }
  let call = -1;
  let hist = new Map<number, Hist>();
  let pending = new Map<number, { parent: number; unit: number }>();
  const vocabSize = vocab.size;
  /** Runs the pending histories `ids` (parents known) as one batch. */
  const advance = (ids: number[]): void => {
    if (ids.length === 0) return;
    const B = ids.length;
    const tokens = new Int32Array(B);
    const parents: (Hist | undefined)[] = ids.map((id, b) => {
      if (id === 0) {
        tokens[b] = startId;
        return undefined;
      }
      const p = pending.get(id) as { parent: number; unit: number };
      tokens[b] = p.unit;
      return hist.get(p.parent);
    });
    // Stack the parents' states ([L, 1, H] each) into [L, B, H]; zeros for the root.
    const ref = parents.find((p) => p !== undefined)?.state;
    let state: RecurrentState | undefined;
    if (ref) {
      const stack = (get: (s: RecurrentState) => Tensor | undefined, like: Tensor): Tensor => {
        const [L, , H] = like.shape;
        const out = new Float32Array(L * B * H);
        parents.forEach((p, b) => {
          const src = p ? get(p.state) : undefined;
          if (!src) return;
          for (let l = 0; l < L; l++) out.set(src.data.subarray(l * H, (l + 1) * H), (l * B + b) * H);
        });
        return new Tensor(out, [L, B, H]);
      };
      state = { h: stack((s) => s.h, ref.h) };
      if (ref.c) state.c = stack((s) => s.c, ref.c);
    }
    const r = model.stepLogProbs(tokens, state);
    const split = (t: Tensor, b: number): Tensor => {
      const [L, , H] = t.shape;
      const out = new Float32Array(L * H);
      for (let l = 0; l < L; l++) out.set(t.data.subarray((l * B + b) * H, (l * B + b + 1) * H), l * H);
      return new Tensor(out, [L, 1, H]);
    };
    ids.forEach((id, b) => {
      const s: RecurrentState = { h: split(r.state.h, b) };
      if (r.state.c) s.c = split(r.state.c, b);
      hist.set(id, { state: s, logp: r.logProbs.data.slice(b * vocabSize, (b + 1) * vocabSize) });
      pending.delete(id);
    });
  };
  const prepare = (q: { contextIds: Int32Array; nextIds: Int32Array; call: number }, units: (i: number) => number): void => {
    if (q.call !== call) {
      call = q.call;
      hist = new Map();
      pending = new Map();
    }
    const need: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < q.contextIds.length; i++) {
      const id = q.contextIds[i];
      if (!hist.has(id) && !seen.has(id)) {
        seen.add(id);
        need.push(id);
      }
    }
    advance(need);
    for (let i = 0; i < q.nextIds.length; i++) if (q.nextIds[i] > 0) pending.set(q.nextIds[i], { parent: q.contextIds[i], unit: units(i) });
  };
  if (char) {
    return {
      level: 'token',
      score(q: CtcTokenLmQueries): Float64Array {
        prepare(q, (i) => classIds[q.next[i]]);
        const out = new Float64Array(q.size);
        for (let i = 0; i < q.size; i++) {
          const logp = (hist.get(q.contextIds[i]) as Hist).logp;
          out[i] = logp[q.next[i] < 0 ? endId : classIds[q.next[i]]];
        }
        return out;
      },
    };
  }
  const wordId = (w: string | null): number => (w === null ? endId : lookup(w));
  return {
    level: 'word',
    score(q: CtcWordLmQueries): Float64Array {
      prepare(q, (i) => Math.max(wordId(q.next[i]), 0));
      const out = new Float64Array(q.size);
      for (let i = 0; i < q.size; i++) {
        const id = wordId(q.next[i]);
        out[i] = id < 0 ? -Infinity : (hist.get(q.contextIds[i]) as Hist).logp[id];
      }
      return out;
    },
  };
}
