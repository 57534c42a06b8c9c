/**
 * Evaluation metrics computed in Rust (one native call each): accuracy, top-k accuracy,
 * confusion matrix, precision/recall/F1 (scikit-learn's definitions, `zero_division=0`), binary
 * metrics from logits, regression errors and perplexity. Predictions are logits `[..., C]`
 * (argmax taken, first maximum on ties) or class indices (`IntTensor` `[...]`); targets are
 * class indices `[...]`, and targets equal to `ignoreIndex` (default −100) are left out.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { fromNativeTensor, IntTensor, type IntTensorLike, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { numberOption, optionsObject } from '../nn/common';
import { intTensorArg } from './loss';

/** Correct predictions among counted items. */
export interface AccuracyResult {
  /** `correct / count` (0 when nothing is counted). */
  accuracy: number;
  /** Items predicted right. */
  correct: number;
  /** Items whose target is not `ignoreIndex`. */
  count: number;
}

/** Options of the class-index metrics. */
export interface ClassMetricOptions {
  /** Targets equal to this are left out (default −100). */
  ignoreIndex?: number;
}

/** Options of `confusionMatrix` and `precisionRecallF1`. */
export interface ClassCountOptions extends ClassMetricOptions {
  /** Number of classes (default: the logits' last dimension, or 1 + the largest label). */
  numClasses?: number;
}

/** Precision, recall and F1 of one class or one average. */
export interface Scores {
  /** `tp / (tp + fp)`, 0 when nothing was predicted. */
  precision: number;
  /** `tp / (tp + fn)`, 0 when the class never occurs. */
  recall: number;
  /** `2 tp / (2 tp + fp + fn)`, 0 when that is 0/0. */
  f1: number;
}

/** Per-class scores and their averages (scikit-learn's `precision_recall_fscore_support`). */
export interface ClassificationReport {
  /** Per-class precision `[C]`. */
  precision: Tensor;
  /** Per-class recall `[C]`. */
  recall: Tensor;
  /** Per-class F1 `[C]`. */
  f1: Tensor;
  /** Per-class number of true occurrences `[C]`. */
  support: IntTensor;
  /** Unweighted mean over the classes that occur in the targets or the predictions (scikit-learn's default `labels=None`). */
  macro: Scores;
  /** From the summed counts (single-label data: all three equal the accuracy). */
  micro: Scores;
  /** Mean weighted by support. */
  weighted: Scores;
}

/** Counts and scores of a binary classifier. */
export interface BinaryMetrics {
  /** Predicted 1, target 1. */
  truePositives: number;
  /** Predicted 1, target 0. */
  falsePositives: number;
  /** Predicted 0, target 0. */
  trueNegatives: number;
  /** Predicted 0, target 1. */
  falseNegatives: number;
  /** `(tp + tn) / n`. */
  accuracy: number;
  /** `tp / (tp + fp)` (0 when nothing is predicted positive). */
  precision: number;
  /** `tp / (tp + fn)` (0 when there are no positives). */
  recall: number;
  /** `2 tp / (2 tp + fp + fn)`. */
  f1: number;
}

function predictionsArg(pred: TensorLike | IntTensorLike): native.PredictionsArg {
  const data: unknown = (pred as { data?: unknown } | null)?.data;
  if (data instanceof Float32Array) return { logits: tensorArg('logits', pred) };
  if (data instanceof Int32Array) return { labels: intTensorArg('pred', pred) };
  throw new TypeError(`pred: expected logits (a Tensor, Float32Array) or class indices (an IntTensor, Int32Array), got ${describe(pred)}`);
}

/** The checked arguments of a metric of class predictions against class-index targets. */
function classArgs(pred: TensorLike | IntTensorLike, target: IntTensorLike, options: ClassCountOptions | undefined) {
  const o = optionsObject('options', options);
  const p = predictionsArg(pred);
  const t = intTensorArg('target', target);
  return { o, p, t };
}

/** Fraction of items predicted right: argmax of `pred` logits `[..., C]`, or `pred` class indices `[...]`. */
export function accuracy(pred: TensorLike | IntTensorLike, target: IntTensorLike, options?: ClassMetricOptions): AccuracyResult {
  const { o, p, t } = classArgs(pred, target, options);
  const ig = numberOption('ignoreIndex', o.ignoreIndex);
  return callNative(() => native.accuracy(p, t, ig));
}

/** Fraction of items whose target is among the `k` highest `logits` (ties go to the lower class index, as argmax). */
export function topKAccuracy(logits: TensorLike, target: IntTensorLike, k: number, options?: ClassMetricOptions): AccuracyResult {
  const o = optionsObject('options', options);
  const l = tensorArg('logits', logits);
  const t = intTensorArg('target', target);
  const kk = numberOption('k', k);
  if (kk === undefined) throw new TypeError('k: expected a number, got undefined');
  const ig = numberOption('ignoreIndex', o.ignoreIndex);
  return callNative(() => native.topKAccuracy(l, t, kk, ig));
}

/** `classArgs` with `numClasses` and `ignoreIndex` (checked in this order, as the native side takes them). */
function classCountArgs(pred: TensorLike | IntTensorLike, target: IntTensorLike, options: ClassCountOptions | undefined) {
  const { o, p, t } = classArgs(pred, target, options);
  return { p, t, n: numberOption('numClasses', o.numClasses), ig: numberOption('ignoreIndex', o.ignoreIndex) };
}

/** Confusion matrix `[C, C]` (rows: true classes, columns: predicted ones; scikit-learn's layout). At most 8192 classes. */
export function confusionMatrix(pred: TensorLike | IntTensorLike, target: IntTensorLike, options?: ClassCountOptions): IntTensor {
  const { p, t, n, ig } = classCountArgs(pred, target, options);
  const r = callNative(() => native.confusionMatrix(p, t, n, ig));
  return new IntTensor(r.data, r.shape);
}

/** Precision, recall, F1 and support per class, with macro, micro and weighted averages. */
export function precisionRecallF1(pred: TensorLike | IntTensorLike, target: IntTensorLike, options?: ClassCountOptions): ClassificationReport {
  const { p, t, n, ig } = classCountArgs(pred, target, options);
  const r = callNative(() => native.precisionRecallF1(p, t, n, ig));
  return {
    precision: fromNativeTensor(r.precision),
    recall: fromNativeTensor(r.recall),
    f1: fromNativeTensor(r.f1),
    support: new IntTensor(r.support.data, r.support.shape),
    macro: r.macroAvg,
    micro: r.microAvg,
    weighted: r.weightedAvg,
  };
}

/**
 * Binary metrics from logits: an element is predicted positive when `sigmoid(logit) > threshold`
 * (default 0.5); `target` (the logits' shape) holds 0 or 1.
 */
export function binaryMetrics(logits: TensorLike, target: TensorLike, options?: { threshold?: number }): BinaryMetrics {
  const o = optionsObject('options', options);
  const l = tensorArg('logits', logits);
  const t = tensorArg('target', target);
  const th = numberOption('threshold', o.threshold);
  return callNative(() => native.binaryMetrics(l, t, th));
}

function regression(f: (p: native.TensorArg, t: native.TensorArg) => number, pred: TensorLike, target: TensorLike): number {
  const p = tensorArg('pred', pred);
  const t = tensorArg('target', target);
  return callNative(() => f(p, t));
}

/** Mean absolute error `mean |pred − target|` (scikit-learn `mean_absolute_error`). */
export function mae(pred: TensorLike, target: TensorLike): number {
  return regression(native.meanAbsoluteError, pred, target);
}

/** Root mean squared error `sqrt(mean (pred − target)²)` (scikit-learn `root_mean_squared_error`). */
export function rmse(pred: TensorLike, target: TensorLike): number {
  return regression(native.rootMeanSquaredError, pred, target);
}

/**
 * Mean absolute percentage error as a fraction (not ×100), with scikit-learn's formula
 * `mean(|target − pred| / max(|target|, ε))`, ε = 2.2e-16: a zero target is not skipped but
 * gives a huge term, exactly as `mean_absolute_percentage_error` does.
 */
export function mape(pred: TensorLike, target: TensorLike): number {
  return regression(native.meanAbsolutePercentageError, pred, target);
}

/** Symmetric MAPE as a fraction in [0, 2]: `mean(2 |pred − target| / (|pred| + |target|))`, a term being 0 when both are 0. */
export function smape(pred: TensorLike, target: TensorLike): number {
  return regression(native.symmetricMeanAbsolutePercentageError, pred, target);
}

/** Perplexity `exp(meanNll)` from a mean negative log-likelihood in nats (e.g. `crossEntropy(...).loss`). */
export function perplexity(meanNll: number): number {
  const v = numberOption('meanNll', meanNll);
  if (v === undefined) throw new TypeError('meanNll: expected a number, got undefined');
  return callNative(() => native.perplexity(v));
}
