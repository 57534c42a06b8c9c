/**
 * Element-wise activations (`torch.nn.functional` semantics), as functions (`activation`,
 * `activationBackward`) and as layers (`ReLU`, `LeakyReLU`, `ELU`, `GELU`, `Tanh`, `Sigmoid`,
 * `Softplus`, `SiLU`) with `forward` / `backward`. The kernels are vectorised Rust (one native
 * call per tensor, split over the thread pool when large); inputs must be finite.
 */
import native = require('../native');
import { callNative, describe, StateError } from '../errors';
import { fromNativeTensor, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { forwardArgs, type LayerForwardOptions, optionsObject } from './common';

/** The activations, by PyTorch's functional names. */
export type ActivationKind = 'relu' | 'leaky_relu' | 'elu' | 'gelu' | 'tanh' | 'sigmoid' | 'softplus' | 'silu';

/** Parameters of the activations that have any (each applies to one kind only). */
export interface ActivationParams {
  /** `leaky_relu`: slope for negative inputs (default 0.01). */
  negativeSlope?: number;
  /** `elu`: `alpha (eˣ − 1)` for `x ≤ 0` (default 1). */
  alpha?: number;
  /** `softplus`: `log(1 + e^{βx}) / β`, β > 0 (default 1). */
  beta?: number;
  /** `softplus`: the identity where `βx > threshold` (default 20). */
  threshold?: number;
  /** `gelu`: `'none'` (exact, `x Φ(x)`; default) or `'tanh'` (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

const PARAM_TYPES: Record<keyof ActivationParams, 'number' | 'string'> = { negativeSlope: 'number', alpha: 'number', beta: 'number', threshold: 'number', approximate: 'string' };

function kindArg(kind: unknown): string {
  if (typeof kind !== 'string') throw new TypeError(`kind: expected an activation name ('relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid', 'softplus', 'silu'), got ${describe(kind)}`);
  return kind;
}

/** Type-checks the parameters (values and the kinds they belong to are checked natively). */
function paramsArg(params: ActivationParams | undefined): native.ActivationArgs {
  const p = optionsObject('params', params);
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(p)) {
    const type = PARAM_TYPES[k as keyof ActivationParams];
    if (type === undefined) throw new TypeError(`params.${k}: unknown parameter; expected one of ${Object.keys(PARAM_TYPES).join(', ')}`);
    if (v === undefined) continue;
    if (typeof v !== type) throw new TypeError(`${k}: expected a ${type}, got ${describe(v)}`);
    out[k] = v as number | string;
  }
  return out as native.ActivationArgs;
}

/** `f(input)`, shaped like `input`. */
export function activation(kind: ActivationKind, input: TensorLike, params?: ActivationParams): Tensor {
  const k = kindArg(kind);
  const x = tensorArg('input', input);
  const p = paramsArg(params);
  return fromNativeTensor(callNative(() => native.activationForward(k, x, p)));
}

/**
 * `f'(·) ⊙ gradOutput`. `saved` is the forward **output** for `'tanh'` and `'sigmoid'` and the
 * forward **input** for every other kind (`activationSavesOutput`); same shape as `gradOutput`.
 */
export function activationBackward(kind: ActivationKind, saved: TensorLike, gradOutput: TensorLike, params?: ActivationParams): Tensor {
  const k = kindArg(kind);
  const p = paramsArg(params);
  const s = tensorArg(callNative(() => native.activationSavesOutput(k, p)) ? 'output' : 'input', saved);
  const g = tensorArg('gradOutput', gradOutput);
  return fromNativeTensor(callNative(() => native.activationBackward(k, s, g, p)));
}

/** True if the backward of `kind` takes the forward output (`'tanh'`, `'sigmoid'`), false if the input. */
export function activationSavesOutput(kind: ActivationKind): boolean {
  const k = kindArg(kind);
  return callNative(() => native.activationSavesOutput(k));
}

/**
 * An activation layer: `forward` (with `training` or `requiresGrad`) keeps a reference to what
 * `backward` needs — the input, or the output for `Tanh` and `Sigmoid` — so do not modify that
 * tensor in between. Each forward allows one backward.
 */
export class Activation {
  /** The activation. */
  readonly kind: ActivationKind;
  /** Its parameters as given. */
  readonly params: Readonly<ActivationParams>;
  private readonly nativeParams: native.ActivationArgs;
  private readonly savesOutput: boolean;
  private saved: native.TensorArg | undefined;

  constructor(kind: ActivationKind, params: ActivationParams = {}) {
    const k = kindArg(kind);
    this.nativeParams = paramsArg(params);
    this.savesOutput = callNative(() => native.activationSavesOutput(k, this.nativeParams));
    this.kind = k as ActivationKind;
    this.params = Object.freeze(Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as ActivationParams);
  }

  /** `f(input)`; with `training` or `requiresGrad`, keeps what `backward` needs. */
  forward(input: TensorLike, options?: LayerForwardOptions): Tensor {
    const x = tensorArg('input', input);
    const o = forwardArgs(options);
    const y = fromNativeTensor(callNative(() => native.activationForward(this.kind, x, this.nativeParams)));
    this.saved = o.requiresGrad ? (this.savesOutput ? { data: y.data, shape: [...y.shape] } : x) : undefined;
    return y;
  }

  /** The gradient with respect to the last forward's input. */
  backward(gradOutput: TensorLike): Tensor {
    const g = tensorArg('gradOutput', gradOutput);
    const s = this.saved;
    if (s === undefined) {
      throw new StateError('backward: there is no forward pass to go back through; call forward(input, { training: true }) (or requiresGrad: true) first; each forward allows one backward', 'ERR_SEQLEARN_STATE');
    }
    const dx = fromNativeTensor(callNative(() => native.activationBackward(this.kind, s, g, this.nativeParams)));
    this.saved = undefined;
    return dx;
  }
}

/** `max(0, x)`. */
export class ReLU extends Activation {
  constructor() {
    super('relu');
  }
}

/** `x` for `x > 0`, else `negativeSlope · x` (default 0.01). */
export class LeakyReLU extends Activation {
  constructor(options: { negativeSlope?: number } = {}) {
    super('leaky_relu', { negativeSlope: optionsObject('options', options).negativeSlope });
  }
}

/** `x` for `x > 0`, else `alpha (eˣ − 1)` (default alpha 1). */
export class ELU extends Activation {
  constructor(options: { alpha?: number } = {}) {
    super('elu', { alpha: optionsObject('options', options).alpha });
  }
}

/** `x Φ(x)` (exact, default) or its tanh approximation (`approximate: 'tanh'`). */
export class GELU extends Activation {
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super('gelu', { approximate: optionsObject('options', options).approximate });
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Activation {
  constructor() {
    super('tanh');
  }
}

/** `1 / (1 + e⁻ˣ)`. */
export class Sigmoid extends Activation {
  constructor() {
    super('sigmoid');
  }
}

/** `log(1 + e^{βx}) / β`, the identity where `βx > threshold` (defaults β = 1, threshold 20). */
export class Softplus extends Activation {
  constructor(options: { beta?: number; threshold?: number } = {}) {
    const o = optionsObject('options', options);
    super('softplus', { beta: o.beta, threshold: o.threshold });
  }
}

/** `x · sigmoid(x)` (swish). */
export class SiLU extends Activation {
  constructor() {
    super('silu');
  }
}
