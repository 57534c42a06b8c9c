/**
 * `Linear` (`torch.nn.Linear`): `y = x Wᵀ + b` over the last dimension of `x`, with parameters
 * `weight` `[out, in]` and `bias` `[out]`. A thin owner of the native layer: it checks
 * JavaScript-side types; the products run in Rust on the pre-packed GEMM path over the thread
 * pool, one native call per forward or backward.
 *
 * Also the per-call options every layer of `nn/` shares (`LayerForwardOptions`).
 */
import native = require('../native');
import { awaitNative, callNative, describe } from '../errors';
import { fromNativeTensor, Tensor, tensorArg, type TensorLike } from '../tensor';
import type { StateDict } from '../recurrent/options';
import type { Trainable } from './module';

/** Per-call options of `forward` for `Linear`, `Embedding`, `Dropout` and the activations. */
export interface LayerForwardOptions {
  /** Training mode: `Dropout` drops values (default false). */
  training?: boolean;
  /** Keep what `backward` needs (default: `training`). Each forward allows one backward. */
  requiresGrad?: boolean;
}

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

/** @internal `v` as a boolean option (`dflt` when undefined). */
export function boolOption(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${arg}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** @internal `v` as a number option (`dflt` when undefined; range checks are native). */
export function numberOption(arg: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected a number, got ${describe(v)}`);
  return v;
}

/** @internal Checks an options object (undefined allowed) and returns it. */
export function optionsObject<T extends object>(arg: string, v: T | undefined): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${arg}: expected an object, got ${describe(v)}`);
  return v;
}

/** @internal The native form of `LayerForwardOptions`. */
export function forwardArgs(options: LayerForwardOptions | undefined): native.LayerForwardArgs {
  const o = optionsObject('options', options);
  const training = boolOption('training', o.training, false);
  return { training, requiresGrad: boolOption('requiresGrad', o.requiresGrad, training) };
}

/** @internal Native named tensors → `{ name: Tensor }`. */
export function stateRecord(list: native.NamedTensorOut[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const t of list) out[t.name] = new Tensor(t.data, t.shape);
  return out;
}

/** @internal `{ name: TensorLike }` → native named tensors (each checked, named in errors). */
export function stateList(stateDict: StateDict): native.NamedTensorArg[] {
  if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) throw new TypeError(`stateDict: expected an object of tensors, got ${describe(stateDict)}`);
  return Object.entries(stateDict).map(([name, t]) => ({ name, ...tensorArg(`stateDict['${name}']`, t) }));
}

/** A fully connected layer: `[…, inFeatures]` → `[…, outFeatures]`. */
export class Linear implements Trainable {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedLinearOptions>;
  /** @internal The native layer. */
  readonly native: native.Linear;

  constructor(options: LinearOptions) {
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

  /** `outFeatures · inFeatures (+ outFeatures)`. */
  get numParameters(): number {
    return callNative(() => this.native.numParameters);
  }

  /**
   * `y = x Wᵀ + b` for `input` `[…, inFeatures]` (any leading dimensions, e.g. `[T·B, H]` or
   * `[T, B, H]`). With `training` or `requiresGrad`, keeps what `backward` needs.
   */
  forward(input: TensorLike, options?: LayerForwardOptions): Tensor {
    const x = tensorArg('input', input);
    const o = forwardArgs(options);
    return fromNativeTensor(callNative(() => this.native.forward(x, o)));
  }

  /** `forward` on a worker thread (the input is copied first); the event loop stays free. */
  async forwardAsync(input: TensorLike, options?: LayerForwardOptions): Promise<Tensor> {
    const x = tensorArg('input', input);
    const o = forwardArgs(options);
    return fromNativeTensor(await awaitNative(() => this.native.forwardAsync(x, o)));
  }

  /**
   * From the gradient of the loss with respect to the output (shaped like it): returns the
   * gradient with respect to the input and accumulates those of `weight` and `bias` into
   * `gradients()`.
   */
  backward(gradOutput: TensorLike): Tensor {
    const g = tensorArg('gradOutput', gradOutput);
    return fromNativeTensor(callNative(() => this.native.backward(g)));
  }

  /** `backward` on a worker thread. */
  async backwardAsync(gradOutput: TensorLike): Promise<Tensor> {
    const g = tensorArg('gradOutput', gradOutput);
    return fromNativeTensor(await awaitNative(() => this.native.backwardAsync(g)));
  }

  /** Copies of `weight` (and `bias`), PyTorch's names and order. */
  stateDict(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.stateDict()));
  }

  /** Copies of the accumulated gradients, same names as `stateDict()`. */
  gradients(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.gradients()));
  }

  /** Loads `weight` / `bias` by name; with `strict` (default) both must be given and nothing else. Nothing changes on error. */
  loadStateDict(stateDict: StateDict, options: { strict?: boolean } = {}): void {
    const list = stateList(stateDict);
    const strict = boolOption('strict', optionsObject('options', options).strict, true);
    callNative(() => this.native.loadStateDict(list, strict));
  }

  /** Sets the accumulated gradients to zero. */
  zeroGrad(): void {
    callNative(() => this.native.zeroGrad());
  }

  /** @internal A handle to the native parameters, for optimizers. */
  paramHandle(): native.ParamHandle {
    return this.native.paramHandle();
  }
}
