/** From token sequences to ids and tensors: encoding with a vocabulary, one-hot vectors. */
import { describe } from '../errors';
import { Tensor, type IntTensorLike } from '../tensor';
import { intArg, intArrayArg, invalidArgument } from './args';
import { Vocabulary, type EncodeOptions } from './vocabulary';

/**
 * Encodes every sequence with `vocab.encode` (same options). Errors name the sequence and the
 * position, e.g. `sequences[3][5]`.
 */
export function encodeSequences(vocab: Vocabulary, sequences: Iterable<readonly string[]>, options?: EncodeOptions): Int32Array[] {
  if (!(vocab instanceof Vocabulary)) throw new TypeError(`vocab: expected a Vocabulary, got ${describe(vocab)}`);
  if (sequences === null || typeof sequences !== 'object' || typeof (sequences as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`sequences: expected an iterable of token arrays, got ${describe(sequences)}`);
  }
  const out: Int32Array[] = [];
  let i = 0;
  for (const seq of sequences) {
    out.push(vocab.encodeNamed(seq, options, `sequences[${i}]`));
    i++;
  }
  return out;
}

/**
 * One-hot vectors of `ids`: a `Tensor` of shape `[...ids.shape, numClasses]` (an array or an
 * `Int32Array` counts as shape `[n]`) with a 1 at each id. Every id must be in `[0, numClasses)`.
 */
export function oneHot(ids: IntTensorLike | Int32Array | readonly number[], numClasses: number): Tensor {
  const k = intArg('numClasses', numClasses, undefined, 1, 0x7fffffff);
  let values: ArrayLike<number>;
  let shape: number[];
  if (ids instanceof Int32Array || Array.isArray(ids)) {
    values = intArrayArg('ids', ids);
    shape = [values.length];
  } else if (ids !== null && typeof ids === 'object' && (ids as IntTensorLike).data instanceof Int32Array && Array.isArray((ids as IntTensorLike).shape)) {
    const t = ids as IntTensorLike;
    shape = t.shape.map((d, i) => intArg(`ids.shape[${i}]`, d, undefined, 0));
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw invalidArgument(`ids: shape [${shape.join(', ')}] needs ${size} values, got ${t.data.length}`);
    values = t.data;
  } else {
    throw new TypeError(`ids: expected an IntTensor, an Int32Array or an array of integers, got ${describe(ids)}`);
  }
  const n = values.length;
  if (n * k > 0x7fffffff) throw invalidArgument(`numClasses: ${n} ids × ${k} classes = ${n * k} values is more than one Float32Array holds`);
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const id = values[i];
    if (id < 0 || id >= k) throw invalidArgument(`ids[${i}]: expected a class id in [0, ${k - 1}], got ${id}`);
    out[i * k + id] = 1;
  }
  return new Tensor(out, [...shape, k]);
}
