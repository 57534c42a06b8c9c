/**
 * Batching of variable-length sequences for the classifier and the tagger: token-id sequences
 * (padded with the pad id) or real-valued sequences `[T_i, F]` (padded with zeros), sorted into
 * length buckets when shuffling so little compute goes to padding.
 */
import { InvalidArgumentError, describe } from '../errors';
import { bucketByLength, padSequences } from '../data/batching';
import { IntTensor, Tensor, type TensorLike } from '../tensor';

/** A sequence of token ids or of feature vectors (`[T, F]`). */
export type SequenceInput = Int32Array | TensorLike;

/** A padded batch: `input` is `[B, T]` ids or `[B, T, F]` features; `index` maps rows to items. */
export interface PaddedBatch {
  input: IntTensor | Tensor;
  lengths: number[];
  index: number[];
}

/** Checks a list of sequences (all ids, or all `[T, F]` with the same `F`); returns F (0 for ids). */
export function checkSequences(arg: string, seqs: readonly SequenceInput[], vocabSize: number, features: number): number {
  if (!Array.isArray(seqs)) throw new TypeError(`${arg}: expected an array of sequences, got ${describe(seqs)}`);
  if (seqs.length === 0) throw new InvalidArgumentError(`${arg}: the dataset is empty`, 'ERR_SEQLEARN_INVALID_ARG');
  seqs.forEach((s, i) => {
    if (vocabSize > 0) {
      if (!(s instanceof Int32Array)) throw new TypeError(`${arg}[${i}]: expected an Int32Array of token ids, got ${describe(s)}`);
      if (s.length === 0) throw new InvalidArgumentError(`${arg}[${i}]: empty sequence (every sequence needs at least one step)`, 'ERR_SEQLEARN_INVALID_ARG');
    } else {
      const t = s as TensorLike;
      if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape) || t.shape.length !== 2) {
        throw new TypeError(`${arg}[${i}]: expected a [T, F] tensor of features, got ${describe(s)}`);
      }
      if (t.shape[1] !== features) throw new InvalidArgumentError(`${arg}[${i}]: expected ${features} features per step, got shape [${t.shape.join(', ')}]`, 'ERR_SEQLEARN_INVALID_ARG');
      if (t.shape[0] === 0) throw new InvalidArgumentError(`${arg}[${i}]: empty sequence (every sequence needs at least one step)`, 'ERR_SEQLEARN_INVALID_ARG');
      if (t.data.length !== t.shape[0] * t.shape[1]) throw new InvalidArgumentError(`${arg}[${i}]: shape [${t.shape.join(', ')}] needs ${t.shape[0] * t.shape[1]} values, got ${t.data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
  });
  return features;
}

function lengthOf(s: SequenceInput): number {
  return s instanceof Int32Array ? s.length : s.shape[0];
}

/** Splits item indices into batches: length buckets in a seeded order when shuffling, else in order. */
export function planIndices(seqs: readonly SequenceInput[], batchSize: number, shuffle: boolean, seed: number): number[][] {
  if (shuffle) {
    const lengths = seqs.map(lengthOf);
    return bucketByLength(lengths, { batchSize, shuffle: true, seed });
  }
  const order = seqs.map((_, i) => i);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** Pads the sequences at `index` into one batch-first tensor. */
export function padBatch(seqs: readonly SequenceInput[], index: number[], padId: number, features: number): PaddedBatch {
  if (features === 0) {
    const p = padSequences(index.map((i) => seqs[i] as Int32Array), { padId, batchFirst: true });
    return { input: p.ids, lengths: p.lengths, index };
  }
  const lengths = index.map((i) => lengthOf(seqs[i]));
  const T = Math.max(...lengths);
  const data = new Float32Array(index.length * T * features);
  index.forEach((item, b) => data.set((seqs[item] as TensorLike).data, b * T * features));
  return { input: new Tensor(data, [index.length, T, features]), lengths, index };
}
