/**
 * `Dropout` (`torch.nn.Dropout`): in training, each value is zeroed with probability `p` and the
 * survivors are scaled by `1 / (1 − p)`; outside training it is the identity. Masks are seeded:
 * two layers with the same seed draw the same mask call for call, and every call draws a new one.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { type Tensor, tensorArg, type TensorLike } from '../tensor';
import { type LayerForwardOptions, nativeBackward, nativeBackwardAsync, nativeForward, nativeForwardAsync, numberOption } from './common';

/** Options of `Dropout`. */
export interface DropoutOptions {
  /** Probability of zeroing a value, in [0, 1] (default 0.5, as PyTorch). */
  p?: number;
  /** Seed of the masks (default 0). */
  seed?: number;
}

/** `DropoutOptions` with the defaults filled in. */
export interface ResolvedDropoutOptions {
  p: number;
  seed: number;
}

/** Inverted dropout; no parameters. */
export class Dropout {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedDropoutOptions>;
  /** @internal The native layer. */
  readonly native: native.Dropout;

  constructor(options: DropoutOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const o: ResolvedDropoutOptions = { p: numberOption('p', options.p, 0.5), seed: numberOption('seed', options.seed, 0) };
    this.native = callNative(() => new native.Dropout(o));
    this.options = Object.freeze(o);
  }

  /**
   * With `training: true`, drops values (a fresh mask per call); otherwise returns a copy of
   * `input`. With `training` or `requiresGrad`, keeps the mask for `backward`.
   */
  forward(input: TensorLike, options?: LayerForwardOptions): Tensor {
    return nativeForward(this.native, tensorArg('input', input), options);
  }

  /** `forward` on a worker thread. */
  async forwardAsync(input: TensorLike, options?: LayerForwardOptions): Promise<Tensor> {
    return nativeForwardAsync(this.native, tensorArg('input', input), options);
  }

  /** The gradient with respect to the input: `gradOutput` through the last forward's mask. */
  backward(gradOutput: TensorLike): Tensor {
    return nativeBackward(this.native, gradOutput);
  }

  /** `backward` on a worker thread. */
  async backwardAsync(gradOutput: TensorLike): Promise<Tensor> {
    return nativeBackwardAsync(this.native, gradOutput);
  }
}
