/**
 * Glue between a recurrent stack and the head on top: the top layer's final state as one
 * feature row per item (`lastState`), pooling over time with lengths (`SequencePool`), and a
 * seeded next-token `Sampler` (temperature, top-k, top-p) for generation. All in Rust.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { fromNativeTensor, type Tensor, tensorArg, type TensorLike } from '../tensor';

/**
 * `[layers·D, B, H]` final hidden states → `[B, D·H]`: the top layer's state, forward
 * direction first (PyTorch: `torch.cat([h[-2], h[-1]], 1)` for a bidirectional stack).
 */
export function lastState(h: TensorLike, numDirections: 1 | 2): Tensor {
  const t = tensorArg('h', h);
  return fromNativeTensor(callNative(() => native.lastStateForward(t, numDirections)));
}

/** Gradient of `lastState`: `[B, D·H]` → `[layers·D, B, H]` (zero below the top layer). */
export function lastStateBackward(grad: TensorLike, hShape: readonly number[], numDirections: 1 | 2): Tensor {
  const g = tensorArg('grad', grad);
  return fromNativeTensor(callNative(() => native.lastStateBackward(g, [...hShape], numDirections)));
}

/** How `SequencePool` reduces the time axis. */
export type PoolMode = 'mean' | 'max';

/** Options of `SequencePool.forward`. */
export interface PoolOptions {
  /** Valid steps of each item (default: all `T`). */
  lengths?: readonly number[];
  /** Input is `[B, T, F]` instead of `[T, B, F]`. */
  batchFirst?: boolean;
}

/** Mean or max over the valid steps of each sequence: `[T, B, F]` → `[B, F]`. */
export class SequencePool {
  /** `'mean'` or `'max'`. */
  readonly mode: PoolMode;
  private readonly native: native.SequencePool;

  constructor(mode: PoolMode) {
    if (mode !== 'mean' && mode !== 'max') throw new TypeError(`mode: expected 'mean' or 'max', got ${describe(mode)}`);
    this.mode = mode;
    this.native = callNative(() => new native.SequencePool(mode));
  }

  /** Pools `input`; remembers what `backward` needs. */
  forward(input: TensorLike, options: PoolOptions = {}): Tensor {
    const x = tensorArg('input', input);
    return fromNativeTensor(callNative(() => this.native.forward(x, { lengths: options.lengths ? [...options.lengths] : undefined, batchFirst: options.batchFirst })));
  }

  /** Gradient with respect to the last forward's input (zero at padded steps). */
  backward(grad: TensorLike): Tensor {
    const g = tensorArg('grad', grad);
    return fromNativeTensor(callNative(() => this.native.backward(g)));
  }
}

/** Options of `Sampler.sample`. */
export interface SampleOptions {
  /** Divides the logits before the softmax; 0 = greedy (default 1). */
  temperature?: number;
  /** Keep only the `k` most likely tokens (default 0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches `p` (default 1 = all). */
  topP?: number;
}

/** Draws next tokens from logits, reproducibly from a seed. */
export class Sampler {
  private readonly native: native.Sampler;

  constructor(seed = 0) {
    this.native = callNative(() => new native.Sampler(seed));
  }

  /** One id per row of `logits` (`[rows, vocab]` or `[vocab]`). */
  sample(logits: TensorLike, options: SampleOptions = {}): number[] {
    const l = tensorArg('logits', logits);
    return callNative(() => this.native.sample(l, { temperature: options.temperature, topK: options.topK, topP: options.topP }));
  }
}
