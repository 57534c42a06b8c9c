/**
 * Batching: batches of similar length (less padding), padding of variable-length id sequences
 * into one `IntTensor`, and the contiguous-stream batches of language modelling with truncated
 * backpropagation through time (PyTorch's `word_language_model`: `batchify` and `get_batch`).
 */
import { describe } from '../errors';
import { IntTensor, type IntTensorLike } from '../tensor';
import { boolArg, choiceArg, intArg, intArrayArg, invalidArgument, optionsArg, seedArg } from './args';
import { Random } from './random';

/** Re-exported here for code that builds batch orders (the generator lives in `./random`). */
export { shuffled } from './random';

/** Options of `bucketByLength` (at most one of `bucketWidth` and `numBuckets`). */
export interface BucketOptions {
  /** Items per batch (the last batch of each bucket may be smaller). Required. */
  batchSize: number;
  /** Width buckets: lengths `min + k·w … min + (k+1)·w − 1` share bucket `k`. */
  bucketWidth?: number;
  /**
   * Equal-count buckets: items sorted by length (ties by index) are cut into this many groups of
   * near-equal size (so an outlier length does not empty the other buckets). Default, when
   * `bucketWidth` is not given either: `max(1, min(10, ⌊n / batchSize⌋))`.
   */
  numBuckets?: number;
  /** Shuffle items within each bucket and then the order of all batches. Default `false`. */
  shuffle?: boolean;
  /** Seed of the shuffle (e.g. `baseSeed + epoch` for a new order each epoch). Default 0. */
  seed?: number;
  /** Leave out each bucket's last batch when it has fewer than `batchSize` items. Default `false`. */
  dropLast?: boolean;
}

/**
 * Groups item indices into batches of items of similar length, to waste little on padding.
 * Items go to buckets by length (see `BucketOptions`); each bucket is cut into batches of
 * `batchSize` indices. Without `shuffle`, buckets come in order of increasing length and the
 * indices of a bucket in increasing order; with it, indices are shuffled within each bucket and
 * then the batches are shuffled, both from `seed`. Without `dropLast` every index appears in
 * exactly one batch.
 */
export function bucketByLength(lengths: ArrayLike<number>, options: BucketOptions): number[][] {
  if (options === undefined) throw new TypeError('options: required, at least { batchSize }');
  const o = optionsArg('options', options, ['batchSize', 'bucketWidth', 'numBuckets', 'shuffle', 'seed', 'dropLast']);
  const batchSize = intArg('batchSize', o.batchSize, undefined, 1);
  const shuffle = boolArg('shuffle', o.shuffle, false);
  const seed = seedArg('seed', o.seed);
  const dropLast = boolArg('dropLast', o.dropLast, false);
  if (o.bucketWidth !== undefined && o.numBuckets !== undefined) throw invalidArgument('options: give at most one of bucketWidth and numBuckets, got both');
  const lens = intArrayArg('lengths', lengths);
  const n = lens.length;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    if (lens[i] < 0) throw invalidArgument(`lengths[${i}]: expected a non-negative length, got ${lens[i]}`);
    min = Math.min(min, lens[i]);
  }
  const buckets: number[][] = [];
  if (o.bucketWidth !== undefined) {
    const width = intArg('bucketWidth', o.bucketWidth, undefined, 1);
    const byKey = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const k = Math.floor((lens[i] - min) / width);
      let b = byKey.get(k);
      if (!b) byKey.set(k, (b = []));
      b.push(i);
    }
    for (const k of [...byKey.keys()].sort((a, b) => a - b)) buckets.push(byKey.get(k) as number[]);
  } else {
    const count = o.numBuckets !== undefined ? intArg('numBuckets', o.numBuckets, undefined, 1) : Math.max(1, Math.min(10, Math.floor(n / batchSize)));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lens[a] - lens[b] || a - b);
    for (let k = 0; k < count; k++) {
      const part = order.slice(Math.floor((k * n) / count), Math.floor(((k + 1) * n) / count));
      if (part.length > 0) buckets.push(part.sort((a, b) => a - b));
    }
  }
  const rng = new Random(seed);
  const batches: number[][] = [];
  for (const items of buckets) {
    if (shuffle) rng.shuffle(items);
    for (let s = 0; s < items.length; s += batchSize) {
      const batch = items.slice(s, s + batchSize);
      if (dropLast && batch.length < batchSize) continue;
      batches.push(batch);
    }
  }
  if (shuffle) rng.shuffle(batches);
  return batches;
}

/** Options of `padSequences`. */
export interface PadOptions {
  /** The id written into padding positions. Default 0 (the `<pad>` id of a default `Vocabulary`). */
  padId?: number;
  /** Longest kept length: longer sequences are cut to it (see `truncate`). Default: no limit. */
  maxLength?: number;
  /** Which end of a too-long sequence is cut: `'post'` (default) keeps the first `maxLength` ids, `'pre'` the last. */
  truncate?: 'pre' | 'post';
  /** Shape `[B, T]` instead of the default time-major `[T, B]`. Default `false`. */
  batchFirst?: boolean;
}

/** The result of `padSequences`. */
export interface PaddedBatch {
  /** The ids, `[T, B]` (or `[B, T]` with `batchFirst`); sequence `b` holds its ids at steps `0 … lengths[b]−1`, then `padId`. */
  ids: IntTensor;
  /** The length of each sequence after truncation (≤ `T`). */
  lengths: number[];
}

/**
 * Pads variable-length id sequences into one tensor. `T` is the longest (truncated) length, so
 * every tensor is as small as the batch allows; padding always goes after the ids (the layout
 * of `forward(input, { lengths })`). An empty list gives a `[0, 0]` tensor.
 */
export function padSequences(seqs: readonly (Int32Array | readonly number[])[], options?: PadOptions): PaddedBatch {
  const o = optionsArg('options', options, ['padId', 'maxLength', 'truncate', 'batchFirst']);
  const padId = intArg('padId', o.padId, 0, -0x80000000, 0x7fffffff);
  const maxLength = o.maxLength === undefined ? Infinity : intArg('maxLength', o.maxLength, undefined, 0, 0x7fffffff);
  const truncate = choiceArg('truncate', o.truncate, 'post', ['pre', 'post']);
  const batchFirst = boolArg('batchFirst', o.batchFirst, false);
  if (!Array.isArray(seqs)) throw new TypeError(`seqs: expected an array of Int32Array (or integer arrays), got ${describe(seqs)}`);
  const rows = seqs.map((s, b) => intArrayArg(`seqs[${b}]`, s));
  const lengths = rows.map((r) => Math.min(r.length, maxLength));
  const B = rows.length;
  const T = lengths.reduce((m, l) => Math.max(m, l), 0);
  const out = new Int32Array(T * B);
  if (padId !== 0) out.fill(padId);
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    const len = lengths[b];
    const from = truncate === 'pre' ? r.length - len : 0;
    if (batchFirst) {
      for (let t = 0; t < len; t++) out[b * T + t] = r[from + t];
    } else {
      for (let t = 0; t < len; t++) out[t * B + b] = r[from + t];
    }
  }
  return { ids: new IntTensor(out, batchFirst ? [B, T] : [T, B]), lengths };
}

/**
 * Cuts one long id stream into `batchSize` contiguous streams, time-major: an `IntTensor` of
 * shape `[steps, batchSize]` with `steps = ⌊ids.length / batchSize⌋` and
 * `out[t, b] = ids[b·steps + t]`. The last `ids.length mod batchSize` ids are dropped (as
 * PyTorch's `word_language_model` `batchify`).
 */
export function batchifyStream(ids: Int32Array, batchSize: number): IntTensor {
  if (!(ids instanceof Int32Array)) throw new TypeError(`ids: expected an Int32Array, got ${describe(ids)}`);
  const B = intArg('batchSize', batchSize, undefined, 1);
  const steps = Math.floor(ids.length / B);
  if (steps === 0) throw invalidArgument(`batchSize: ${B} streams need at least ${B} ids, got ids of length ${ids.length}`);
  const out = new Int32Array(steps * B);
  for (let b = 0; b < B; b++) {
    const src = b * steps;
    for (let t = 0; t < steps; t++) out[t * B + b] = ids[src + t];
  }
  return new IntTensor(out, [steps, B]);
}

/** One truncated-BPTT window of `bpttBatches`. */
export interface BpttBatch {
  /** Ids at steps `i … i+T−1`, `[T, B]`. */
  input: IntTensor;
  /** Ids at steps `i+1 … i+T` (the next token of each input position), `[T, B]`. */
  target: IntTensor;
}

/**
 * The truncated-BPTT windows over a `[steps, B]` stream (from `batchifyStream`): windows start
 * at `i = 0, seqLen, 2·seqLen, …` while `i < steps − 1`, with `T = min(seqLen, steps − 1 − i)`
 * (so the last window may be shorter) and the target shifted one step ahead of the input.
 * There are `⌈(steps − 1) / seqLen⌉` windows. Arguments are checked at the call, not at the
 * first iteration.
 */
export function bpttBatches(stream: IntTensorLike, seqLen: number): IterableIterator<BpttBatch> {
  if (stream === null || typeof stream !== 'object' || !(stream.data instanceof Int32Array) || !Array.isArray(stream.shape)) {
    throw new TypeError(`stream: expected an IntTensor of shape [steps, B], got ${describe(stream)}`);
  }
  if (stream.shape.length !== 2) throw invalidArgument(`stream: expected shape [steps, B], got [${stream.shape.join(', ')}]`);
  const [steps, B] = stream.shape;
  if (steps * B !== stream.data.length) throw invalidArgument(`stream: shape [${steps}, ${B}] needs ${steps * B} values, got ${stream.data.length}`);
  const len = intArg('seqLen', seqLen, undefined, 1);
  return windows(stream.data, steps, B, len);
}

function* windows(data: Int32Array, steps: number, B: number, seqLen: number): IterableIterator<BpttBatch> {
  for (let i = 0; i < steps - 1; i += seqLen) {
    const T = Math.min(seqLen, steps - 1 - i);
    yield {
      input: new IntTensor(data.slice(i * B, (i + T) * B), [T, B]),
      target: new IntTensor(data.slice((i + 1) * B, (i + 1 + T) * B), [T, B]),
    };
  }
}
