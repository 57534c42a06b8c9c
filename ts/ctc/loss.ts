/**
 * The CTC loss (connectionist temporal classification, Graves et al. 2006) computed in Rust:
 * the loss and its gradient from one native call per batch, with PyTorch's conventions
 * (`torch.nn.functional.ctc_loss`).
 *
 * - `input` is `[T, N, C]` (time-major, default) or `[N, T, C]` with `batchFirst`; frames past an
 *   item's `inputLengths[b]` are ignored (not read) and get a zero gradient.
 * - `targets` are padded `[N, S]` labels (an `IntTensor`; `S ≥` every target length, the rest of
 *   a row is ignored) or every item's labels back to back (an `Int32Array` of length
 *   `Σ targetLengths`). Labels are in `0..C` and never the blank.
 * - `inputKind: 'logits'` (default): unnormalised scores, the log-softmax is fused in; the
 *   gradient is the true derivative with respect to the logits, `softmax − γ` (warp-ctc's and
 *   TensorFlow's convention; `γ` = the posterior of each class at each frame).
 *   `inputKind: 'logProbs'`: log-probabilities; the gradient is PyTorch's `exp(logProbs) − γ`,
 *   which is the gradient of the *logits* when `logProbs = logSoftmax(logits)`: pass it to the
 *   layer that produced the logits (each frame sums to 0, so `logSoftmaxBackward` would leave it
 *   unchanged). It is not `d loss / d logProbs`, which is `−γ`.
 * - `reduction` as PyTorch: `'mean'` (default) divides each item's loss by `max(targetLength, 1)`
 *   and averages over the batch; `'sum'` adds; `'none'` keeps `losses` (the `loss` field is then
 *   their sum, and `grad` is the gradient of that sum).
 * - Items without an alignment (`inputLength < targetLength + repeats`, a repeat being two equal
 *   adjacent labels, which need a blank between them) are listed in `infeasible`; their loss is
 *   `Infinity` (0 with `zeroInfinity`) and their gradient 0 either way (PyTorch gives NaN without
 *   `zeroInfinity`); the other items are unaffected.
 */
import native = require('../native');
import { awaitNative, callNative, describe } from '../errors';
import { fromNativeTensor, type IntTensorLike, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { boolOption, intTensorShape, numberOption, optionsObject } from '../nn/common';

/** How per-item CTC losses are combined (PyTorch's `reduction`). */
export type CtcReduction = 'none' | 'sum' | 'mean';

/** What the input of `ctcLoss` holds, and so which gradient it returns (see the module docs). */
export type CtcLossInputKind = 'logits' | 'logProbs';

/** Options of `ctcLoss`. */
export interface CtcLossOptions {
  /** Index of the blank class (default 0). */
  blank?: number;
  /** `'none' | 'sum' | 'mean'` (default `'mean'`: each item / max(targetLength, 1), then the batch mean). */
  reduction?: CtcReduction;
  /** Infinite losses (no alignment) and their gradients become 0 (default false). */
  zeroInfinity?: boolean;
  /** `'logits'` (default; fused softmax, gradient `softmax − γ`) or `'logProbs'` (gradient `exp(lp) − γ`). */
  inputKind?: CtcLossInputKind;
  /** The input is `[N, T, C]` (default false: `[T, N, C]`). */
  batchFirst?: boolean;
}

/** An item without an alignment: it needs `required = targetLength + repeats` frames. */
export interface CtcInfeasibleItem {
  /** The item's index in the batch. */
  index: number;
  /** Its input length. */
  inputLength: number;
  /** Its target length. */
  targetLength: number;
  /** Adjacent equal labels in its target (each needs a blank frame between them). */
  repeats: number;
  /** Frames an alignment needs (`> inputLength`). */
  required: number;
}

/** Result of `ctcLoss`. */
export interface CtcLossResult {
  /** The reduced loss (`'none'`: the sum of the per-item losses). `Infinity` if an item's loss is. */
  loss: number;
  /** Per-item `−log p(target | input)` (after `zeroInfinity`), length N, unscaled by the reduction. */
  losses: Float32Array;
  /** d loss / d input: the input's shape and layout, scaled for the reduction. */
  grad: Tensor;
  /** The items without an alignment, in batch order. */
  infeasible: CtcInfeasibleItem[];
}

const REDUCTIONS: readonly string[] = ['none', 'sum', 'mean'];
const KINDS: readonly string[] = ['logits', 'logProbs'];

function stringOption<T extends string>(arg: string, v: unknown, allowed: readonly string[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${arg}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  return v as T;
}

/** Lengths as a `Float64Array` (values checked natively: non-negative integers, within bounds). */
function lengthsArg(arg: string, v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (v === null || typeof v !== 'object' || typeof (v as { length?: unknown }).length !== 'number') {
    throw new TypeError(`${arg}: expected an array of lengths (numbers), got ${describe(v)}`);
  }
  const a = v as ArrayLike<unknown>;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number') throw new TypeError(`${arg}[${i}]: expected a number, got ${describe(x)}`);
    out[i] = x;
  }
  return out;
}

function targetsArg(v: unknown): native.IntTensorArg {
  if (v instanceof Int32Array) return { data: v, shape: [v.length] };
  const t = v as Partial<IntTensorLike> | null | undefined;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Int32Array) || !Array.isArray(t.shape)) {
    throw new TypeError(`targets: expected an IntTensor [N, S] of padded labels or an Int32Array of concatenated labels, got ${describe(v)}`);
  }
  return intTensorShape('targets', t as IntTensorLike);
}

function ctcArgs(input: TensorLike, targets: IntTensorLike | Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>, options: CtcLossOptions | undefined) {
  const o = optionsObject('options', options);
  const nativeOptions: native.CtcLossArgs = {
    blank: numberOption('blank', o.blank),
    reduction: stringOption<CtcReduction>('reduction', o.reduction, REDUCTIONS),
    zeroInfinity: boolOption('zeroInfinity', o.zeroInfinity, false),
    inputKind: stringOption<CtcLossInputKind>('inputKind', o.inputKind, KINDS),
    batchFirst: boolOption('batchFirst', o.batchFirst, false),
  };
  return {
    input: tensorArg('input', input),
    targets: targetsArg(targets),
    inputLengths: lengthsArg('inputLengths', inputLengths),
    targetLengths: lengthsArg('targetLengths', targetLengths),
    options: nativeOptions,
  };
}

function ctcResult(r: native.CtcLossNativeResult): CtcLossResult {
  return {
    loss: r.loss,
    losses: r.losses,
    grad: fromNativeTensor(r.grad),
    infeasible: r.infeasible.map((i) => ({ index: i.index, inputLength: i.inputLength, targetLength: i.targetLength, repeats: i.repeats, required: i.required })),
  };
}

/**
 * The CTC loss of `input` against `targets` with per-item `inputLengths` (≤ T) and
 * `targetLengths`, and its gradient (see the module docs for the conventions). Errors name the
 * argument: `input` (rank, NaN/Infinity with its flat index), `targets` (shape, total length, a
 * label equal to the blank or outside `0..C`), `inputLengths[b]` / `targetLengths[b]` (negative,
 * not an integer, beyond T or S), `blank`, `reduction`, `inputKind`.
 */
export function ctcLoss(input: TensorLike, targets: IntTensorLike | Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>, options?: CtcLossOptions): CtcLossResult {
  const a = ctcArgs(input, targets, inputLengths, targetLengths, options);
  return ctcResult(callNative(() => native.ctcLoss(a.input, a.targets, a.inputLengths, a.targetLengths, a.options)));
}

/** `ctcLoss` on a worker thread (the inputs are copied first), off the JavaScript thread. */
export async function ctcLossAsync(input: TensorLike, targets: IntTensorLike | Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>, options?: CtcLossOptions): Promise<CtcLossResult> {
  const a = ctcArgs(input, targets, inputLengths, targetLengths, options);
  return ctcResult(await awaitNative(() => native.ctcLossAsync(a.input, a.targets, a.inputLengths, a.targetLengths, a.options)));
}

/** `ctcLoss` with its options fixed once (like `torch.nn.CTCLoss`). */
export class CTCLoss {
  /** The options every call uses. */
  readonly options: Readonly<CtcLossOptions>;
  constructor(options: CtcLossOptions = {}) {
    this.options = { ...optionsObject('options', options) };
  }
  /** Loss and gradient for one batch. */
  forward(input: TensorLike, targets: IntTensorLike | Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>): CtcLossResult {
    return ctcLoss(input, targets, inputLengths, targetLengths, this.options);
  }
  /** `forward` on a worker thread. */
  forwardAsync(input: TensorLike, targets: IntTensorLike | Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>): Promise<CtcLossResult> {
    return ctcLossAsync(input, targets, inputLengths, targetLengths, this.options);
  }
}
