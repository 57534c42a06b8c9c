/**
 * What the layers of `nn/` share: the per-call options (`LayerForwardOptions`), checks of option
 * values, state dicts to and from their native form, the `Trainable` methods of a layer whose
 * parameters live in a native class (`NativeTrainableLayer`), and the forward/backward calls of
 * a native layer (`nativeForward`, `nativeBackward`, and their async forms).
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { fromNativeTensor, Tensor, tensorArg, type IntTensorLike, type TensorLike } from '../tensor';
import type { StateDict } from '../recurrent/options';
import type { Trainable } from './module';

/** Per-call options of `forward` for `Linear`, `Embedding`, `Dropout` and the activations. */
export interface LayerForwardOptions {
  /** Training mode: `Dropout` drops values (default false). */
  training?: boolean;
  /** Keep what `backward` needs (default: `training`). Each forward allows one backward. */
  requiresGrad?: boolean;
}

/** @internal `v` as a boolean option (`dflt` when undefined). */
export function boolOption(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${arg}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** @internal `v` as a number option (`undefined` when undefined; range checks are native). */
export function numberOption(arg: string, v: unknown): number | undefined;
/** @internal `v` as a number option (`dflt` when undefined; range checks are native). */
export function numberOption(arg: string, v: unknown, dflt: number): number;
/** @internal The implementation of both forms. */
export function numberOption(arg: string, v: unknown, dflt?: number): number | undefined {
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

/**
 * @internal Checks the shape of an int32 tensor-like whose type is already checked (for
 * arguments named `arg`) against its data, and returns the native form.
 */
export function intTensorShape(arg: string, t: IntTensorLike): native.IntTensorArg {
  let n = 1;
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) throw new InvalidArgumentError(`${arg}.shape[${i}]: expected a non-negative integer, got ${String(d)}`, 'ERR_SEQLEARN_INVALID_ARG');
    n *= d;
  });
  if (n !== t.data.length) throw new InvalidArgumentError(`${arg}: shape [${t.shape.join(', ')}] needs ${n} values, got ${t.data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  return { data: t.data, shape: [...t.shape] };
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

/** What the native class of a layer with parameters offers (`native.Linear`, `native.Embedding`, …). */
export interface NativeTrainable {
  readonly numParameters: number;
  stateDict(): native.NamedTensorOut[];
  gradients(): native.NamedTensorOut[];
  loadStateDict(tensors: native.NamedTensorArg[], strict: boolean): void;
  zeroGrad(): void;
  paramHandle(): native.ParamHandle;
}

/** Base of the layers whose parameters live in their native class (`Linear`, `Embedding`): the `Trainable` methods. */
export abstract class NativeTrainableLayer<N extends NativeTrainable> implements Trainable {
  /** @internal The native layer. */
  abstract readonly native: N;

  /** Total number of scalar parameters. */
  get numParameters(): number {
    return callNative(() => this.native.numParameters);
  }

  /** Copies of the parameters under PyTorch's names, in `state_dict` order. */
  stateDict(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.stateDict()));
  }

  /** Copies of the accumulated gradients, same names as `stateDict()`. */
  gradients(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.gradients()));
  }

  /** Loads parameters by name; with `strict` (default) every parameter must be given and nothing else. Nothing changes on error. */
  loadStateDict(stateDict: StateDict, options: { strict?: boolean } = {}): void {
    const list = stateList(stateDict);
    const strict = boolOption('strict', optionsObject('options', options).strict, true);
    callNative(() => this.native.loadStateDict(list, strict));
  }

  /** Sets the accumulated gradients to zero. */
  zeroGrad(): void {
    callNative(() => this.native.zeroGrad());
  }

  /** A handle to the native parameters (what optimizers and gradient clipping operate on; part of `Trainable`). */
  paramHandle(): native.ParamHandle {
    return this.native.paramHandle();
  }
}

/** @internal The forward calls of a native layer taking inputs of native type `I`. */
export interface NativeForward<I> {
  forward(input: I, options: native.LayerForwardArgs): native.TensorOut;
  forwardAsync(input: I, options: native.LayerForwardArgs): Promise<native.TensorOut>;
}

/** @internal The backward calls of a native layer whose backward returns `B`. */
export interface NativeBackward<B> {
  backward(gradOutput: native.TensorArg): B;
  backwardAsync(gradOutput: native.TensorArg): Promise<B>;
}

/** @internal `layer.forward` of a checked input (`options` checked here). */
export function nativeForward<I>(layer: NativeForward<I>, input: I, options: LayerForwardOptions | undefined): Tensor {
  const o = forwardArgs(options);
  return fromNativeTensor(callNative(() => layer.forward(input, o)));
}

/** @internal `layer.forwardAsync` of a checked input (`options` checked here). */
export async function nativeForwardAsync<I>(layer: NativeForward<I>, input: I, options: LayerForwardOptions | undefined): Promise<Tensor> {
  const o = forwardArgs(options);
  return fromNativeTensor(await awaitNative(() => layer.forwardAsync(input, o)));
}

/** @internal `layer.backward` from `gradOutput` (checked here) to the input gradient. */
export function nativeBackward(layer: NativeBackward<native.TensorOut>, gradOutput: TensorLike): Tensor {
  const g = tensorArg('gradOutput', gradOutput);
  return fromNativeTensor(callNative(() => layer.backward(g)));
}

/** @internal `layer.backwardAsync` from `gradOutput` (checked here) to the input gradient. */
export async function nativeBackwardAsync(layer: NativeBackward<native.TensorOut>, gradOutput: TensorLike): Promise<Tensor> {
  const g = tensorArg('gradOutput', gradOutput);
  return fromNativeTensor(await awaitNative(() => layer.backwardAsync(g)));
}
