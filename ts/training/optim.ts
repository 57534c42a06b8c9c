/**
 * Optimizers over the parameters of one or more layers, with `torch.optim`'s update rules.
 * Each `step()` is one native call per layer over all of its parameters.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { RecurrentLayer } from '../recurrent/layer';

/** Options of `Adam` / `AdamW` (PyTorch defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Coefficients of the running averages (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay (default 0 for Adam, 1e-2 for AdamW). */
  weightDecay?: number;
}

/** Options of `SGD` (PyTorch defaults). */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of momentum (default 0). */
  dampening?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

interface NativeState {
  step(layer: native.RecurrentNet): void;
  lr: number;
}

function layersArg(layers: readonly RecurrentLayer[]): RecurrentLayer[] {
  if (!Array.isArray(layers) || layers.length === 0) throw new TypeError(`layers: expected a non-empty array of layers, got ${describe(layers)}`);
  layers.forEach((l, i) => {
    if (!(l instanceof RecurrentLayer)) throw new TypeError(`layers[${i}]: expected an RNN, LSTM or GRU, got ${describe(l)}`);
  });
  return [...new Set(layers)];
}

/** Common part of the optimizers: one native state per layer. */
export abstract class Optimizer {
  /** The layers whose parameters this optimizer updates. */
  readonly layers: readonly RecurrentLayer[];
  private readonly states: NativeState[];

  protected constructor(layers: readonly RecurrentLayer[], make: (n: number) => NativeState) {
    this.layers = layersArg(layers);
    this.states = this.layers.map((l) => callNative(() => make(l.numParameters)));
  }

  /** Updates every parameter from its accumulated gradient. */
  step(): void {
    this.layers.forEach((l, i) => callNative(() => this.states[i].step(l.native)));
  }

  /** Zeroes the gradients of every layer. */
  zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  /** The learning rate (assignable, e.g. by a schedule). */
  get lr(): number {
    return this.states[0].lr;
  }
  set lr(v: number) {
    for (const s of this.states) callNative(() => (s.lr = v));
  }
}

/** Adam (`torch.optim.Adam`): L2 weight decay added to the gradient. */
export class Adam extends Optimizer {
  constructor(layers: readonly RecurrentLayer[], options: AdamOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    super(layers, (n) => new native.AdamState(n, { lr: options.lr, beta1, beta2, eps: options.eps, weightDecay: options.weightDecay, decoupled: false }));
  }
}

/** AdamW (`torch.optim.AdamW`): decoupled weight decay (default 1e-2). */
export class AdamW extends Optimizer {
  constructor(layers: readonly RecurrentLayer[], options: AdamOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    super(layers, (n) => new native.AdamState(n, { lr: options.lr, beta1, beta2, eps: options.eps, weightDecay: options.weightDecay ?? 1e-2, decoupled: true }));
  }
}

/** SGD with momentum, dampening, Nesterov and weight decay (`torch.optim.SGD`). */
export class SGD extends Optimizer {
  constructor(layers: readonly RecurrentLayer[], options: SGDOptions = {}) {
    super(layers, (n) => new native.SgdState(n, { ...options }));
  }
}

/**
 * Scales the gradients of all `layers` together so their global L2 norm is at most `maxNorm`
 * (`torch.nn.utils.clip_grad_norm_`); returns the norm before clipping.
 */
export function clipGradNorm(layers: readonly RecurrentLayer[], maxNorm: number): number {
  const ls = layersArg(layers);
  return callNative(() => native.clipGradNorm(ls.map((l) => l.native), maxNorm));
}
