/**
 * `Trainable`: what every layer with parameters offers (recurrent layers, `Embedding`,
 * `Linear`, …). Optimizers, gradient clipping and model checkpoints work on this interface, so
 * a user-composed model is trained and saved like the ready ones.
 */
import type native = require('../native');
import type { StateDict } from '../recurrent/options';
import type { Tensor } from '../tensor';

/** A layer whose parameters and gradients live in native memory. */
export interface Trainable {
  /** Total number of scalar parameters. */
  readonly numParameters: number;
  /** Copies of the parameters under PyTorch's names, in `state_dict` order. */
  stateDict(): Record<string, Tensor>;
  /** Copies of the accumulated gradients, same names as `stateDict()`. */
  gradients(): Record<string, Tensor>;
  /** Loads parameters by name; with `strict` (default) every parameter must be present. */
  loadStateDict(stateDict: StateDict, options?: { strict?: boolean }): void;
  /** Sets every accumulated gradient to zero. */
  zeroGrad(): void;
  /** A handle to the native parameters (shared storage): what optimizers and clipping operate on. */
  paramHandle(): native.ParamHandle;
}

/** True if `v` offers the `Trainable` interface. */
export function isTrainable(v: unknown): v is Trainable {
  return v !== null && typeof v === 'object' && typeof (v as Partial<Trainable>).paramHandle === 'function' && typeof (v as Partial<Trainable>).zeroGrad === 'function';
}

/** The native parameter handle of a layer (`layer.paramHandle()`). */
export type ParamHandle = native.ParamHandle;
