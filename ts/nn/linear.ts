/**
 * `Linear` (`torch.nn.Linear`): `y = x Wᵀ + b` over the last dimension of `x`, with parameters
 * `weight` `[out, in]` and `bias` `[out]`. A thin owner of the native layer: it checks
 * JavaScript-side types; the products run in Rust on the pre-packed GEMM path over the thread
 * pool, one native call per forward or backward.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { type Tensor, tensorArg, type TensorLike } from '../tensor';
import { boolOption, type LayerForwardOptions, nativeBackward, nativeBackwardAsync, nativeForward, nativeForwardAsync, NativeTrainableLayer, numberOption } from './common';

// The per-call options every layer of `nn/` shares (exported with `Linear` since the start).
export type { LayerForwardOptions } from './common';

/** Options of `Linear` (PyTorch names and defaults). */
export interface LinearOptions {
  /** Size of the last input dimension. */
  inFeatures: number;
  /** Size of the last output dimension. */
  outFeatures: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Seed of the initial values U(−1/√inFeatures, 1/√inFeatures) of weight and bias (default 0). */
  seed?: number;
}

/** `LinearOptions` with the defaults filled in. */
export interface ResolvedLinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  seed: number;
}

/** A fully connected layer: `[…, inFeatures]` → `[…, outFeatures]`; parameters `weight` and `bias` (PyTorch's names and order). */
export class Linear extends NativeTrainableLayer<native.Linear> {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedLinearOptions>;
  /** @internal The native layer. */
  readonly native: native.Linear;

  constructor(options: LinearOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    if (options.inFeatures === undefined) throw new TypeError('inFeatures: required (size of the last input dimension)');
    if (options.outFeatures === undefined) throw new TypeError('outFeatures: required (size of the last output dimension)');
    const o: ResolvedLinearOptions = {
      inFeatures: numberOption('inFeatures', options.inFeatures, NaN),
      outFeatures: numberOption('outFeatures', options.outFeatures, NaN),
      bias: boolOption('bias', options.bias, true),
      seed: numberOption('seed', options.seed, 0),
    };
    this.native = callNative(() => new native.Linear(o));
    this.options = Object.freeze(o);
  }

  /**
   * `y = x Wᵀ + b` for `input` `[…, inFeatures]` (any leading dimensions, e.g. `[T·B, H]` or
   * `[T, B, H]`). With `training` or `requiresGrad`, keeps what `backward` needs.
   */
  forward(input: TensorLike, options?: LayerForwardOptions): Tensor {
    return nativeForward(this.native, tensorArg('input', input), options);
  }

  /** `forward` on a worker thread (the input is copied first); the event loop stays free. */
  async forwardAsync(input: TensorLike, options?: LayerForwardOptions): Promise<Tensor> {
    return nativeForwardAsync(this.native, tensorArg('input', input), options);
  }

  /**
   * From the gradient of the loss with respect to the output (shaped like it): returns the
   * gradient with respect to the input and accumulates those of `weight` and `bias` into
   * `gradients()`.
   */
  backward(gradOutput: TensorLike): Tensor {
    return nativeBackward(this.native, gradOutput);
  }

  /** `backward` on a worker thread. */
  async backwardAsync(gradOutput: TensorLike): Promise<Tensor> {
    return nativeBackwardAsync(this.native, gradOutput);
  }
}
