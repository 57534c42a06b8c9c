/**
 * Optimizers with `torch.optim`'s exact update rules (SGD, Adam, AdamW, Adagrad, RMSprop) and
 * gradient clipping, over the parameters of any `Trainable` layers. One `step()` is one native
 * call that updates every parameter of every layer (in parallel chunks for big layers).
 */
import native = require('../native');
import { callNative, describe, InvalidArgumentError } from '../errors';
import { Tensor, tensorArg, type TensorLike } from '../tensor';
import { isTrainable, type Trainable } from '../nn/module';

/** The optimizer kinds, as saved states name them. */
export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop';

/** Options of `SGD` (PyTorch defaults). */
export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** Options of `Adam` and `AdamW` (PyTorch defaults). */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates `[β1, β2]` of the moment averages, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay: L2 for Adam (default 0), decoupled for AdamW (default 1e-2). */
  weightDecay?: number;
  /** AMSGrad: normalise by the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** Options of `Adagrad` (PyTorch defaults). */
export interface AdagradOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Learning-rate decay: step t uses `lr / (1 + (t − 1)·lrDecay)` (default 0). */
  lrDecay?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Start value of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator (default 1e-10). */
  eps?: number;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** Options of `RMSprop` (PyTorch defaults). */
export interface RMSpropOptions {
  /** Learning rate (default 1e-2). */
  lr?: number;
  /** Smoothing constant of the running averages, in [0, 1] (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalise by the estimated variance of the gradient (default false). */
  centered?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/** The options of any kind, with every field of its kind filled in. */
export type ResolvedOptimizerOptions = Required<SGDOptions> | Required<AdamOptions> | Required<AdagradOptions> | Required<RMSpropOptions>;

/** Options of any kind (for `setOptions`). */
export type OptimizerOptions = SGDOptions | AdamOptions | AdagradOptions | RMSpropOptions;

/** A layer with its own learning rate: `lr · lrScale` (a PyTorch param group). */
export interface ParamGroup {
  /** The layer. */
  layer: Trainable;
  /** Multiplier of the optimizer's learning rate for this layer (default 1). */
  lrScale?: number;
}

/** What an optimizer is built over: layers, or layers with their own learning-rate scale. */
export type OptimizerLayers = readonly (Trainable | ParamGroup)[];

/**
 * The complete state of an optimizer, JSON-able except `tensors` (which safetensors can hold):
 * enough for training resumed from it to continue exactly as if uninterrupted.
 */
export type OptimizerStateDict = {
  /** The kind. */
  kind: OptimizerKind;
  /** Every hyper-parameter, including the current learning rate. */
  options: ResolvedOptimizerOptions;
  /** Number of `step()` calls. */
  step: number;
  /** Updates per layer (frozen layers skip steps; PyTorch keeps a step per parameter). */
  layerSteps: number[];
  /** State buffers `layers.<i>.<name>` with PyTorch's names (`layers.0.exp_avg`, …), shape `[numParameters]`. */
  tensors: Record<string, Tensor>;
};

/** A saved state as read back from storage (checked in full when loaded). */
export type SavedOptimizerStateLike = {
  readonly kind: string;
  readonly tensors: Readonly<Record<string, TensorLike>>;
  readonly [key: string]: unknown;
};

/** The option names of each kind, with the JavaScript type each takes. */
const OPTION_TYPES: Record<OptimizerKind, Record<string, 'number' | 'boolean' | 'betas'>> = {
  sgd: { lr: 'number', momentum: 'number', dampening: 'number', weightDecay: 'number', nesterov: 'boolean', maximize: 'boolean' },
  adam: { lr: 'number', betas: 'betas', eps: 'number', weightDecay: 'number', amsgrad: 'boolean', maximize: 'boolean' },
  adamw: { lr: 'number', betas: 'betas', eps: 'number', weightDecay: 'number', amsgrad: 'boolean', maximize: 'boolean' },
  adagrad: { lr: 'number', lrDecay: 'number', weightDecay: 'number', initialAccumulatorValue: 'number', eps: 'number', maximize: 'boolean' },
  rmsprop: { lr: 'number', alpha: 'number', eps: 'number', weightDecay: 'number', momentum: 'number', centered: 'boolean', maximize: 'boolean' },
};

const CLASS_NAMES: Record<OptimizerKind, string> = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', adagrad: 'Adagrad', rmsprop: 'RMSprop' };

function isKind(v: unknown): v is OptimizerKind {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(OPTION_TYPES, v);
}

/** Checks the JavaScript types of `options` for `kind` (values are checked natively). */
function optionsArg(kind: OptimizerKind, options: unknown, arg: string): native.OptimizerOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${arg}: expected an object, got ${describe(options)}`);
  const types = OPTION_TYPES[kind];
  const out: Record<string, number | boolean | number[]> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const type = types[k];
    if (type === undefined) {
      throw new InvalidArgumentError(`${arg}.${k}: not an option of ${CLASS_NAMES[kind]} (its options: ${Object.keys(types).join(', ')})`, 'ERR_SEQLEARN_INVALID_ARG');
    }
    if (type === 'betas') {
      if (!Array.isArray(v) || v.length !== 2 || v.some((b) => typeof b !== 'number')) throw new TypeError(`${arg}.betas: expected [β1, β2] (two numbers), got ${describe(v)}`);
      out[k] = [v[0] as number, v[1] as number];
    } else if (typeof v !== type) {
      throw new TypeError(`${arg}.${k}: expected a ${type}, got ${describe(v)}`);
    } else {
      out[k] = v as number | boolean;
    }
  }
  return out as native.OptimizerOptions;
}

function resolved(kind: OptimizerKind, o: native.OptimizerOptions): ResolvedOptimizerOptions {
  const out: Record<string, number | boolean | readonly [number, number]> = {};
  for (const k of Object.keys(OPTION_TYPES[kind])) {
    const v = (o as Record<string, number | boolean | number[] | undefined>)[k];
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? ([v[0], v[1]] as const) : v;
  }
  return out as unknown as ResolvedOptimizerOptions;
}

/** True if the layer says it is frozen (`freeze === true`, e.g. an `Embedding`). */
function isFrozen(layer: Trainable): boolean {
  return (layer as Trainable & { freeze?: unknown }).freeze === true;
}

/** Checks an array of trainable layers (empty is allowed: the norm of no gradients is 0). */
function trainableList(layers: unknown): Trainable[] {
  if (!Array.isArray(layers)) throw new TypeError(`layers: expected an array of trainable layers, got ${describe(layers)}`);
  layers.forEach((l, i) => {
    if (!isTrainable(l)) throw new TypeError(`layers[${i}]: expected a trainable layer (with paramHandle() and zeroGrad()), got ${describe(l)}`);
  });
  return layers as Trainable[];
}

/** Splits `layers` (layers or `{ layer, lrScale }` entries) into layers and scales. */
function groupsArg(layers: unknown): { layers: Trainable[]; scales: number[] | undefined } {
  if (!Array.isArray(layers)) throw new TypeError(`layers: expected an array of trainable layers, got ${describe(layers)}`);
  if (layers.length === 0) throw new InvalidArgumentError('layers: expected at least one layer, got an empty array', 'ERR_SEQLEARN_INVALID_ARG');
  const out: Trainable[] = [];
  const scales: number[] = [];
  let scaled = false;
  layers.forEach((entry: unknown, i) => {
    if (isTrainable(entry)) {
      out.push(entry);
      scales.push(1);
      return;
    }
    const g = entry as Partial<ParamGroup> | null;
    if (g === null || typeof g !== 'object' || !isTrainable(g.layer)) {
      throw new TypeError(`layers[${i}]: expected a trainable layer or { layer, lrScale }, got ${describe(entry)}`);
    }
    if (g.lrScale !== undefined && typeof g.lrScale !== 'number') throw new TypeError(`layers[${i}].lrScale: expected a number, got ${describe(g.lrScale)}`);
    out.push(g.layer);
    scales.push(g.lrScale ?? 1);
    scaled ||= g.lrScale !== undefined;
  });
  return { layers: out, scales: scaled ? scales : undefined };
}

/**
 * What all optimizers share. Built over a fixed list of layers; a layer whose `freeze` is
 * `true` at `step()` time is skipped (its state and step count stay, like a PyTorch parameter
 * without a gradient).
 */
export abstract class Optimizer {
  /** The kind (`sgd`, `adam`, `adamw`, `adagrad`, `rmsprop`). */
  readonly kind: OptimizerKind;
  /** The layers whose parameters this optimizer updates, in order. */
  readonly layers: readonly Trainable[];
  /** Learning-rate multiplier per layer. */
  readonly lrScales: readonly number[];
  private readonly native: native.Optimizer;
  private readonly handles: native.ParamHandle[];

  protected constructor(kind: OptimizerKind, layers: OptimizerLayers, options: unknown) {
    const o = optionsArg(kind, options, 'options');
    const g = groupsArg(layers);
    this.kind = kind;
    this.layers = Object.freeze(g.layers);
    this.handles = g.layers.map((l) => l.paramHandle());
    this.native = callNative(() => new native.Optimizer(kind, this.handles, o, g.scales));
    this.lrScales = Object.freeze(callNative(() => this.native.lrScales()));
  }

  /** Updates every parameter of every (not frozen) layer from its accumulated gradients. */
  step(): void {
    let frozen: boolean[] | undefined;
    this.layers.forEach((l, i) => {
      if (isFrozen(l)) {
        frozen ??= new Array<boolean>(this.layers.length).fill(false);
        frozen[i] = true;
      }
    });
    callNative(() => this.native.step(this.handles, frozen));
  }

  /** Sets the gradients of every layer to zero. */
  zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  /** The learning rate (each layer uses `lr · lrScale`); assignable, e.g. by a schedule. */
  get lr(): number {
    return this.native.lr;
  }
  set lr(v: number) {
    if (typeof v !== 'number') throw new TypeError(`lr: expected a number, got ${describe(v)}`);
    callNative(() => {
      this.native.lr = v;
    });
  }

  /** Number of `step()` calls so far. */
  get steps(): number {
    return this.native.steps;
  }

  /** Every hyper-parameter of this optimizer (a copy). */
  get options(): ResolvedOptimizerOptions {
    return resolved(this.kind, callNative(() => this.native.options()));
  }

  /**
   * Changes hyper-parameters between steps, like assigning to a PyTorch `param_group`
   * (e.g. `{ momentum: 0.8 }`, `{ betas: [0.85, 0.999] }`). `amsgrad` and `centered` are fixed
   * at construction. Nothing changes on error.
   */
  setOptions(options: OptimizerOptions): void {
    const o = optionsArg(this.kind, options, 'options');
    callNative(() => this.native.setOptions(o));
  }

  /** A copy of the complete state (see `OptimizerStateDict`). */
  stateDict(): OptimizerStateDict {
    const s = callNative(() => this.native.state());
    const tensors: Record<string, Tensor> = {};
    for (const t of s.tensors) tensors[t.name] = new Tensor(t.data, t.shape);
    return { kind: this.kind, options: resolved(this.kind, s.options), step: s.step, layerSteps: s.layerSteps, tensors };
  }

  /**
   * Loads a state saved by `stateDict()` (of an optimizer of the same kind over layers of the
   * same sizes), hyper-parameters included; the layers and their `lrScale`s stay those given at
   * construction. Everything is checked first; on error nothing changes.
   */
  loadStateDict(state: OptimizerStateDict | SavedOptimizerStateLike): void {
    if (state === null || typeof state !== 'object') throw new TypeError(`state: expected an optimizer state object, got ${describe(state)}`);
    const s = state as Record<string, unknown>;
    if (typeof s.kind !== 'string') throw new TypeError(`state.kind: expected a string, got ${describe(s.kind)}`);
    if (s.kind !== this.kind) throw new InvalidArgumentError(`state.kind: expected '${this.kind}' (this optimizer's kind), got '${s.kind}'`, 'ERR_SEQLEARN_INVALID_ARG');
    const options = optionsArg(this.kind, s.options ?? {}, 'state.options');
    if (typeof s.step !== 'number') throw new TypeError(`state.step: expected a number, got ${describe(s.step)}`);
    if (!Array.isArray(s.layerSteps)) throw new TypeError(`state.layerSteps: expected an array of numbers, got ${describe(s.layerSteps)}`);
    const layerSteps = s.layerSteps.map((v: unknown, i) => {
      if (typeof v !== 'number') throw new TypeError(`state.layerSteps[${i}]: expected a number, got ${describe(v)}`);
      return v;
    });
    if (s.tensors === null || typeof s.tensors !== 'object') throw new TypeError(`state.tensors: expected an object of tensors, got ${describe(s.tensors)}`);
    const tensors = Object.entries(s.tensors as Record<string, unknown>).map(([name, t]) => ({ name, ...tensorArg(`state.tensors['${name}']`, t) }));
    const step = s.step;
    callNative(() => this.native.loadState({ kind: this.kind, options, step, layerSteps, tensors }));
  }
}

/** SGD with momentum, dampening, Nesterov, weight decay and `maximize` (`torch.optim.SGD`). */
export class SGD extends Optimizer {
  constructor(layers: OptimizerLayers, options: SGDOptions = {}) {
    super('sgd', layers, options);
  }
}

/** Adam (`torch.optim.Adam`): L2 weight decay added to the gradient; AMSGrad optional. */
export class Adam extends Optimizer {
  constructor(layers: OptimizerLayers, options: AdamOptions = {}) {
    super('adam', layers, options);
  }
}

/** AdamW (`torch.optim.AdamW`): decoupled weight decay (default 1e-2). */
export class AdamW extends Optimizer {
  constructor(layers: OptimizerLayers, options: AdamOptions = {}) {
    super('adamw', layers, options);
  }
}

/** Adagrad (`torch.optim.Adagrad`): steps scaled by the root of the summed squared gradients. */
export class Adagrad extends Optimizer {
  constructor(layers: OptimizerLayers, options: AdagradOptions = {}) {
    super('adagrad', layers, options);
  }
}

/** RMSprop (`torch.optim.RMSprop`): optionally centred, with momentum. */
export class RMSprop extends Optimizer {
  constructor(layers: OptimizerLayers, options: RMSpropOptions = {}) {
    super('rmsprop', layers, options);
  }
}

const CLASSES: Record<OptimizerKind, new (layers: OptimizerLayers, options: Record<string, unknown>) => Optimizer> = {
  sgd: SGD,
  adam: Adam,
  adamw: AdamW,
  adagrad: Adagrad,
  rmsprop: RMSprop,
};

/** An optimizer of the saved state's kind over `layers`, with that state loaded. */
export function optimizerFromState(layers: OptimizerLayers, state: OptimizerStateDict | SavedOptimizerStateLike): Optimizer {
  if (state === null || typeof state !== 'object') throw new TypeError(`state: expected an optimizer state object, got ${describe(state)}`);
  const kind: unknown = state.kind;
  if (!isKind(kind)) throw new InvalidArgumentError(`state.kind: expected one of ${Object.keys(CLASSES).join(', ')}, got ${describe(kind)}`, 'ERR_SEQLEARN_INVALID_ARG');
  const options = (state as { options?: unknown }).options;
  const opt = new CLASSES[kind](layers, options !== null && typeof options === 'object' ? { ...(options as Record<string, unknown>) } : {});
  opt.loadStateDict(state);
  return opt;
}

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** p of the norm: 2 (default), 1, any p > 0, or `Infinity` (largest absolute value). */
  normType?: number;
  /** Throw a `StateError` (gradients unchanged) when the norm is NaN or infinite (default false). */
  errorIfNonfinite?: boolean;
}

function handlesOf(layers: unknown): native.ParamHandle[] {
  return trainableList(layers)
    .filter((l) => !isFrozen(l))
    .map((l) => l.paramHandle());
}

/**
 * Scales the gradients of all `layers` together so that their global norm is at most
 * `maxNorm` (`torch.nn.utils.clip_grad_norm_`: `coef = maxNorm / (norm + 1e-6)`, applied when
 * below 1) and returns the norm before clipping. Frozen layers are left out. A NaN or infinite
 * norm leaves the gradients unchanged and is returned (or thrown, with `errorIfNonfinite`), so
 * the caller can skip the step.
 */
export function clipGradNorm(layers: readonly Trainable[], maxNorm: number, options: ClipGradNormOptions = {}): number {
  if (typeof maxNorm !== 'number') throw new TypeError(`maxNorm: expected a number, got ${describe(maxNorm)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
  if (options.normType !== undefined && typeof options.normType !== 'number') throw new TypeError(`normType: expected a number or Infinity, got ${describe(options.normType)}`);
  if (options.errorIfNonfinite !== undefined && typeof options.errorIfNonfinite !== 'boolean') throw new TypeError(`errorIfNonfinite: expected a boolean, got ${describe(options.errorIfNonfinite)}`);
  const handles = handlesOf(layers);
  return callNative(() => native.clipGradNorm(handles, maxNorm, { normType: options.normType, errorIfNonfinite: options.errorIfNonfinite }));
}

/** The global `normType`-norm (default 2) of the gradients of all (not frozen) `layers`. */
export function gradNorm(layers: readonly Trainable[], normType = 2): number {
  if (typeof normType !== 'number') throw new TypeError(`normType: expected a number or Infinity, got ${describe(normType)}`);
  const handles = handlesOf(layers);
  return callNative(() => native.gradNorm(handles, normType));
}

/** Clamps every gradient of the (not frozen) `layers` to `[-clipValue, clipValue]` (`torch.nn.utils.clip_grad_value_`). */
export function clipGradValue(layers: readonly Trainable[], clipValue: number): void {
  if (typeof clipValue !== 'number') throw new TypeError(`clipValue: expected a number, got ${describe(clipValue)}`);
  const handles = handlesOf(layers);
  callNative(() => native.clipGradValue(handles, clipValue));
}

function layerArg(layer: unknown): Trainable {
  if (!isTrainable(layer)) throw new TypeError(`layer: expected a trainable layer (with paramHandle() and zeroGrad()), got ${describe(layer)}`);
  return layer;
}

function floatsArg(data: unknown): Float32Array {
  if (!(data instanceof Float32Array)) throw new TypeError(`data: expected a Float32Array, got ${describe(data)}`);
  return data;
}

/**
 * A copy of all parameters of `layer` as one flat array: PyTorch `state_dict` order, each
 * tensor row-major (the layout of the optimizer state tensors).
 */
export function flatParameters(layer: Trainable): Float32Array {
  const h = layerArg(layer).paramHandle();
  return callNative(() => h.parameters());
}

/** A copy of all accumulated gradients of `layer`, in the layout of `flatParameters`. */
export function flatGradients(layer: Trainable): Float32Array {
  const h = layerArg(layer).paramHandle();
  return callNative(() => h.gradients());
}

/** Replaces all parameters of `layer` from one flat array (`numParameters` finite values). */
export function setFlatParameters(layer: Trainable, data: Float32Array): void {
  const h = layerArg(layer).paramHandle();
  const d = floatsArg(data);
  callNative(() => h.setParameters(d));
}

/**
 * Replaces all gradients of `layer` from one flat array (`numParameters` values), e.g.
 * gradients computed elsewhere. Non-finite values are accepted; `clipGradNorm` reports them.
 */
export function setFlatGradients(layer: Trainable, data: Float32Array): void {
  const h = layerArg(layer).paramHandle();
  const d = floatsArg(data);
  callNative(() => h.setGradients(d));
}
