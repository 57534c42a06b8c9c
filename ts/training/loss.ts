/**
 * Losses and softmax computed in Rust: each loss returns its value and the gradient of the
 * prediction from one native call (PyTorch's formulas and options). The class dimension is the
 * last one; leading dimensions are items (`[N, C]`, `[T, B, C]`, …).
 */
import native = require('../native');
import { awaitNative, callNative, describe } from '../errors';
import { fromNativeTensor, type IntTensorLike, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { intTensorShape, numberOption, optionsObject } from '../nn/common';

/** How per-item losses are combined (PyTorch's `reduction`). */
export type Reduction = 'none' | 'sum' | 'mean';

/** The loss value of a reduction: a per-item `Tensor` for `'none'`, a number otherwise. */
export type LossValue<R extends Reduction> = R extends 'none' ? Tensor : number;

/** A loss value and its gradient with respect to the prediction. */
export interface LossOutput<R extends Reduction = 'mean'> {
  /** The loss: a number (`'sum'`, `'mean'`) or per-item losses (`'none'`). */
  loss: LossValue<R>;
  /**
   * d loss / d prediction, shaped like the prediction. For `'none'` it is the gradient of
   * `Σ gradOutputᵢ · lossᵢ` (all ones when `gradOutput` is not given: the sum of the items).
   */
  grad: Tensor;
}

/** Result of `crossEntropy`. */
export interface CrossEntropyOutput<R extends Reduction = 'mean'> extends LossOutput<R> {
  /** Items that count: target ≠ `ignoreIndex` (all items for probability targets). */
  count: number;
  /** Counted items whose logits' argmax is the target (for probability targets: the target's argmax). */
  correct: number;
  /** The divisor of `'mean'`: the summed class weights of the counted targets (their number without weights). */
  totalWeight: number;
}

/** Result of `binaryCrossEntropyWithLogits`. */
export interface BCEOutput<R extends Reduction = 'mean'> extends LossOutput<R> {
  /** Number of elements. */
  count: number;
  /** Elements predicted right: `logit > 0` (probability > 0.5) equals `target > 0.5`. */
  correct: number;
}

/** Options of `crossEntropy` (PyTorch's `F.cross_entropy`). */
export interface CrossEntropyOptions<R extends Reduction = Reduction> {
  /** Class-index targets equal to this are skipped: zero loss and gradient, not counted (default −100). */
  ignoreIndex?: number;
  /** Label smoothing in [0, 1] (default 0), with PyTorch's formula (also for class weights). */
  labelSmoothing?: number;
  /** A weight per class, `[C]`; `'mean'` then divides by the summed weights of the targets. */
  weight?: TensorLike;
  /** `'none' | 'sum' | 'mean'` (default `'mean'`). */
  reduction?: R;
  /** With `'none'`: the upstream gradient per item (the targets' shape; default ones). */
  gradOutput?: TensorLike;
}

/** Options of `binaryCrossEntropyWithLogits` (PyTorch's `F.binary_cross_entropy_with_logits`). */
export interface BCEOptions<R extends Reduction = Reduction> {
  /** Element weights: the logits' shape, or `[C]` (last dimension, broadcast over rows). */
  weight?: TensorLike;
  /** Weight of the positive term per class, `[C]` (last dimension). */
  posWeight?: TensorLike;
  /** `'none' | 'sum' | 'mean'` (default `'mean'`; the mean is over all elements). */
  reduction?: R;
  /** With `'none'`: the upstream gradient (the logits' shape; default ones). */
  gradOutput?: TensorLike;
}

/** Options of `mseLoss` (PyTorch's `F.mse_loss`). */
export interface MSEOptions<R extends Reduction = Reduction> {
  /** `'none' | 'sum' | 'mean'` (default `'mean'`). */
  reduction?: R;
  /** With `'none'`: the upstream gradient (the prediction's shape; default ones). */
  gradOutput?: TensorLike;
}

/** Options of `softmax`, `logSoftmax` and their backward passes. */
export interface SoftmaxOptions {
  /** Divides the logits first: `softmax(logits / temperature)` (default 1; must be > 0). */
  temperature?: number;
}

/** @internal Checks that `v` is an int32 tensor-like (for arguments named `arg`) and returns the native form. */
export function intTensorArg(arg: string, v: unknown): { data: Int32Array; shape: number[] } {
  const t = v as Partial<IntTensorLike> | null | undefined;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Int32Array) || !Array.isArray(t.shape)) {
    throw new TypeError(`${arg}: expected an IntTensor ({ data: Int32Array, shape: number[] }), got ${describe(v)}`);
  }
  return intTensorShape(arg, t as IntTensorLike);
}

function reductionOption(v: unknown): Reduction | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`reduction: expected 'none', 'sum' or 'mean', got ${describe(v)}`);
  return v as Reduction;
}

function optionalTensor(arg: string, v: unknown): { data: Float32Array; shape: number[] } | undefined {
  return v === undefined ? undefined : tensorArg(arg, v);
}

function lossValue<R extends Reduction>(r: { loss?: number | null; losses?: { data: Float32Array; shape: number[] } | null }): LossValue<R> {
  return (r.losses ? fromNativeTensor(r.losses) : r.loss) as LossValue<R>;
}

function ceArgs(logits: TensorLike, target: IntTensorLike | TensorLike, options: CrossEntropyOptions | undefined) {
  const o = optionsObject('options', options);
  const l = tensorArg('logits', logits);
  const soft = (target as Partial<TensorLike> | null)?.data instanceof Float32Array;
  if (!soft && !((target as Partial<IntTensorLike> | null)?.data instanceof Int32Array)) {
    throw new TypeError(`target: expected an IntTensor of class indices (Int32Array) or a Tensor of class probabilities (Float32Array), got ${describe(target)}`);
  }
  const nativeOptions: native.CrossEntropyArgs = {
    ignoreIndex: numberOption('ignoreIndex', o.ignoreIndex),
    labelSmoothing: numberOption('labelSmoothing', o.labelSmoothing),
    weight: optionalTensor('weight', o.weight),
    reduction: reductionOption(o.reduction),
    gradOutput: optionalTensor('gradOutput', o.gradOutput),
  };
  return soft
    ? { soft: true as const, l, t: tensorArg('target', target), o: nativeOptions }
    : { soft: false as const, l, t: intTensorArg('target', target), o: nativeOptions };
}

function ceOutput<R extends Reduction>(r: native.CrossEntropyResult): CrossEntropyOutput<R> {
  return { loss: lossValue<R>(r), grad: fromNativeTensor(r.grad), count: r.count, correct: r.correct, totalWeight: r.totalWeight };
}

/**
 * Softmax cross-entropy of `logits` `[..., C]` (PyTorch `F.cross_entropy`, class dimension last)
 * against class indices `target` (`IntTensor` `[...]`) or class probabilities (`Tensor`
 * `[..., C]`), with the gradient of the logits, the number of counted items and of right argmax
 * predictions. Errors name the argument: a NaN/Inf in `logits` (with its flat index), a class
 * index out of range (`target[k]`), a wrong shape of `target`, `weight` or `gradOutput`.
 */
export function crossEntropy<R extends Reduction = 'mean'>(logits: TensorLike, target: IntTensorLike | TensorLike, options?: CrossEntropyOptions<R>): CrossEntropyOutput<R> {
  const a = ceArgs(logits, target, options);
  return ceOutput<R>(callNative(() => (a.soft ? native.crossEntropySoft(a.l, a.t, a.o) : native.crossEntropy(a.l, a.t, a.o))));
}

/** `crossEntropy` on a worker thread (the inputs are copied first); for large vocabularies. */
export async function crossEntropyAsync<R extends Reduction = 'mean'>(logits: TensorLike, target: IntTensorLike | TensorLike, options?: CrossEntropyOptions<R>): Promise<CrossEntropyOutput<R>> {
  const a = ceArgs(logits, target, options);
  return ceOutput<R>(await awaitNative(() => (a.soft ? native.crossEntropySoftAsync(a.l, a.t, a.o) : native.crossEntropyAsync(a.l, a.t, a.o))));
}

function bceArgs(logits: TensorLike, target: TensorLike, options: BCEOptions | undefined) {
  const o = optionsObject('options', options);
  const nativeOptions: native.BceArgs = {
    weight: optionalTensor('weight', o.weight),
    posWeight: optionalTensor('posWeight', o.posWeight),
    reduction: reductionOption(o.reduction),
    gradOutput: optionalTensor('gradOutput', o.gradOutput),
  };
  return { l: tensorArg('logits', logits), t: tensorArg('target', target), o: nativeOptions };
}

function bceOutput<R extends Reduction>(r: native.BceResult): BCEOutput<R> {
  return { loss: lossValue<R>(r), grad: fromNativeTensor(r.grad), count: r.count, correct: r.correct };
}

/**
 * Binary cross-entropy from logits (PyTorch `F.binary_cross_entropy_with_logits`, stable for any
 * finite logit), with the gradient of the logits. `target` has the logits' shape (any finite
 * values; soft labels are fine).
 */
export function binaryCrossEntropyWithLogits<R extends Reduction = 'mean'>(logits: TensorLike, target: TensorLike, options?: BCEOptions<R>): BCEOutput<R> {
  const a = bceArgs(logits, target, options);
  return bceOutput<R>(callNative(() => native.binaryCrossEntropyWithLogits(a.l, a.t, a.o)));
}

/** `binaryCrossEntropyWithLogits` on a worker thread. */
export async function binaryCrossEntropyWithLogitsAsync<R extends Reduction = 'mean'>(logits: TensorLike, target: TensorLike, options?: BCEOptions<R>): Promise<BCEOutput<R>> {
  const a = bceArgs(logits, target, options);
  return bceOutput<R>(await awaitNative(() => native.binaryCrossEntropyWithLogitsAsync(a.l, a.t, a.o)));
}

/** Squared error `(pred − target)²` (PyTorch `F.mse_loss`); `target` must have `pred`'s shape. */
export function mseLoss<R extends Reduction = 'mean'>(pred: TensorLike, target: TensorLike, options?: MSEOptions<R>): LossOutput<R> {
  const o = optionsObject('options', options);
  const p = tensorArg('pred', pred);
  const t = tensorArg('target', target);
  const nativeOptions: native.MseArgs = { reduction: reductionOption(o.reduction), gradOutput: optionalTensor('gradOutput', o.gradOutput) };
  const r = callNative(() => native.mseLoss(p, t, nativeOptions));
  return { loss: lossValue<R>(r), grad: fromNativeTensor(r.grad) };
}

function temperatureArg(options: SoftmaxOptions | undefined): native.SoftmaxArgs {
  return { temperature: numberOption('temperature', optionsObject('options', options).temperature) };
}

/** `softmax(logits / temperature)` over the last dimension (max-subtracted: no NaN for extreme logits). */
export function softmax(logits: TensorLike, options?: SoftmaxOptions): Tensor {
  const l = tensorArg('logits', logits);
  const o = temperatureArg(options);
  return fromNativeTensor(callNative(() => native.softmax(l, o)));
}

/** `log_softmax(logits / temperature)` over the last dimension. */
export function logSoftmax(logits: TensorLike, options?: SoftmaxOptions): Tensor {
  const l = tensorArg('logits', logits);
  const o = temperatureArg(options);
  return fromNativeTensor(callNative(() => native.logSoftmax(l, o)));
}

/** Gradient of the logits given the `softmax` `output` and its gradient: `y ⊙ (g − Σ g·y) / T`. */
export function softmaxBackward(output: TensorLike, gradOutput: TensorLike, options?: SoftmaxOptions): Tensor {
  const y = tensorArg('output', output);
  const g = tensorArg('gradOutput', gradOutput);
  const o = temperatureArg(options);
  return fromNativeTensor(callNative(() => native.softmaxBackward(y, g, o)));
}

/** Gradient of the logits given the `logSoftmax` `output` and its gradient: `(g − exp(ℓ) Σ g) / T`. */
export function logSoftmaxBackward(output: TensorLike, gradOutput: TensorLike, options?: SoftmaxOptions): Tensor {
  const y = tensorArg('output', output);
  const g = tensorArg('gradOutput', gradOutput);
  const o = temperatureArg(options);
  return fromNativeTensor(callNative(() => native.logSoftmaxBackward(y, g, o)));
}

/** The logistic sigmoid of every value (e.g. probabilities from one-logit binary outputs). */
export function sigmoid(logits: TensorLike): Tensor {
  const l = tensorArg('logits', logits);
  return fromNativeTensor(callNative(() => native.sigmoid(l)));
}

/** `crossEntropy` with its options fixed once (like `torch.nn.CrossEntropyLoss`). */
export class CrossEntropyLoss<R extends Reduction = 'mean'> {
  /** The options every call uses. */
  readonly options: Readonly<CrossEntropyOptions<R>>;
  constructor(options: CrossEntropyOptions<R> = {}) {
    this.options = { ...optionsObject('options', options) };
  }
  /** Loss, gradient and counts for one batch. */
  forward(logits: TensorLike, target: IntTensorLike | TensorLike): CrossEntropyOutput<R> {
    return crossEntropy<R>(logits, target, this.options);
  }
  /** `forward` on a worker thread. */
  forwardAsync(logits: TensorLike, target: IntTensorLike | TensorLike): Promise<CrossEntropyOutput<R>> {
    return crossEntropyAsync<R>(logits, target, this.options);
  }
}

/** `binaryCrossEntropyWithLogits` with its options fixed once (like `torch.nn.BCEWithLogitsLoss`). */
export class BCEWithLogitsLoss<R extends Reduction = 'mean'> {
  /** The options every call uses. */
  readonly options: Readonly<BCEOptions<R>>;
  constructor(options: BCEOptions<R> = {}) {
    this.options = { ...optionsObject('options', options) };
  }
  /** Loss, gradient and counts for one batch. */
  forward(logits: TensorLike, target: TensorLike): BCEOutput<R> {
    return binaryCrossEntropyWithLogits<R>(logits, target, this.options);
  }
  /** `forward` on a worker thread. */
  forwardAsync(logits: TensorLike, target: TensorLike): Promise<BCEOutput<R>> {
    return binaryCrossEntropyWithLogitsAsync<R>(logits, target, this.options);
  }
}

/** `mseLoss` with its options fixed once (like `torch.nn.MSELoss`). */
export class MSELoss<R extends Reduction = 'mean'> {
  /** The options every call uses. */
  readonly options: Readonly<MSEOptions<R>>;
  constructor(options: MSEOptions<R> = {}) {
    this.options = { ...optionsObject('options', options) };
  }
  /** Loss and gradient for one batch. */
  forward(pred: TensorLike, target: TensorLike): LossOutput<R> {
    return mseLoss<R>(pred, target, this.options);
  }
}
