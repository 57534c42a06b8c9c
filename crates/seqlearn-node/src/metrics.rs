//! Evaluation metrics for JavaScript: accuracy, top-k accuracy, confusion matrix,
//! precision/recall/F1, binary metrics from logits, regression errors and perplexity. Shapes are
//! checked here (predictions `[..., C]` logits or `[...]` labels against `[...]` targets); the
//! core computes everything (scikit-learn's definitions).

use napi_derive::napi;
use seqlearn_core::metrics::{self, Predictions};

use crate::convert::{expect_shape, shape_of, split_classes, tensor_out, to_i32, to_usize, IntTensorArg, JsInt32, JsTypedArray, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};

/// An int32 tensor returned to JavaScript.
#[napi(object, object_from_js = false)]
pub struct IntTensorOut {
    /// Row-major values.
    #[napi(ts_type = "Int32Array")]
    pub data: JsInt32,
    /// Shape.
    pub shape: Vec<u32>,
}

/// Predictions: exactly one of `logits` (`[..., C]`, argmax taken) or `labels` (`[...]`).
#[napi(object)]
pub struct PredictionsArg {
    /// Class scores.
    pub logits: Option<TensorArg>,
    /// Predicted class indices.
    pub labels: Option<IntTensorArg>,
}

/// Correct predictions among counted items.
#[napi(object, object_from_js = false)]
pub struct AccuracyResult {
    /// `correct / count` (0 when nothing is counted).
    pub accuracy: f64,
    /// Items predicted right.
    pub correct: f64,
    /// Items whose target is not `ignoreIndex`.
    pub count: f64,
}

/// Precision, recall and F1 (one class or an average).
#[napi(object, object_from_js = false)]
pub struct ScoresResult {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// Per-class scores and their averages.
#[napi(object, object_from_js = false)]
pub struct ClassificationReportResult {
    /// Per-class precision `[C]`.
    pub precision: TensorOut,
    /// Per-class recall `[C]`.
    pub recall: TensorOut,
    /// Per-class F1 `[C]`.
    pub f1: TensorOut,
    /// Per-class number of true occurrences `[C]`.
    pub support: IntTensorOut,
    /// Unweighted mean over the classes present in targets or predictions.
    pub macro_avg: ScoresResult,
    /// From summed counts.
    pub micro_avg: ScoresResult,
    /// Support-weighted mean.
    pub weighted_avg: ScoresResult,
}

/// Counts and scores of a binary classifier.
#[napi(object, object_from_js = false)]
pub struct BinaryMetricsResult {
    /// Predicted 1, target 1.
    pub true_positives: f64,
    /// Predicted 1, target 0.
    pub false_positives: f64,
    /// Predicted 0, target 0.
    pub true_negatives: f64,
    /// Predicted 0, target 1.
    pub false_negatives: f64,
    /// `(tp + tn) / n`.
    pub accuracy: f64,
    /// `tp / (tp + fp)` (0 when nothing is predicted positive).
    pub precision: f64,
    /// `tp / (tp + fn)` (0 when there are no positives).
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)`.
    pub f1: f64,
}

fn ignore_arg(v: Option<f64>) -> napi::Result<i32> {
    to_i32("ignoreIndex", v.unwrap_or(-100.0))
}

fn check_target_shape(target: &IntTensorArg, want: &[usize]) -> napi::Result<()> {
    expect_shape("target", &target.shape, target.data.len(), want)
}

/// Checks the shape of `t` (named `arg`), then that `target` (floats) has the same.
fn same_shape(arg: &str, t: &TensorArg, target: &TensorArg) -> napi::Result<()> {
    let s = shape_of(arg, &t.shape, t.data.len())?;
    expect_shape("target", &target.shape, target.data.len(), &s)
}

/// Checks predictions against the target's shape and views them for the core.
fn predictions<'a>(pred: &'a PredictionsArg, target: &IntTensorArg) -> napi::Result<Predictions<'a>> {
    match (&pred.logits, &pred.labels) {
        (Some(l), None) => {
            let s = shape_of("logits", &l.shape, l.data.len())?;
            let (classes, items) = split_classes("logits", &s)?;
            check_target_shape(target, items)?;
            Ok(Predictions::Logits { data: &l.data, classes })
        }
        (None, Some(p)) => {
            let s = shape_of("pred", &p.shape, p.data.len())?;
            check_target_shape(target, &s)?;
            Ok(Predictions::Labels(&p.data))
        }
        _ => Err(invalid("pred", "expected exactly one of logits (Float32Array) or labels (Int32Array)")),
    }
}

fn classes_arg(v: Option<f64>) -> napi::Result<Option<usize>> {
    v.map(|n| to_usize("numClasses", n, 1, metrics::MAX_CLASSES)).transpose()
}

fn accuracy_result(a: metrics::Accuracy) -> AccuracyResult {
    AccuracyResult { accuracy: a.value(), correct: a.correct as f64, count: a.count as f64 }
}

fn scores(s: metrics::Scores) -> ScoresResult {
    ScoresResult { precision: s.precision, recall: s.recall, f1: s.f1 }
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn int32s(arg: &str, v: &[u64]) -> napi::Result<Vec<i32>> {
    v.iter().map(|&x| i32::try_from(x).map_err(|_| invalid(arg, format!("a count of {x} does not fit an Int32Array")))).collect()
}

/// Fraction of items predicted right (argmax of `logits`, or `labels`), skipping `ignoreIndex` targets.
#[napi(catch_unwind)]
pub fn accuracy(pred: PredictionsArg, target: IntTensorArg, ignore_index: Option<f64>) -> napi::Result<AccuracyResult> {
    let p = predictions(&pred, &target)?;
    let ig = ignore_arg(ignore_index)?;
    guard("accuracy", || metrics::accuracy(p, &target.data, ig).map(accuracy_result).map_err(to_js))
}

/// Fraction of items whose target is among the `k` highest logits.
#[napi(catch_unwind)]
pub fn top_k_accuracy(logits: TensorArg, target: IntTensorArg, k: f64, ignore_index: Option<f64>) -> napi::Result<AccuracyResult> {
    let s = shape_of("logits", &logits.shape, logits.data.len())?;
    let (classes, items) = split_classes("logits", &s)?;
    check_target_shape(&target, items)?;
    let k = to_usize("k", k, 1, classes.max(1))?;
    let ig = ignore_arg(ignore_index)?;
    guard("topKAccuracy", || metrics::top_k_accuracy(&logits.data, classes, &target.data, k, ig).map(accuracy_result).map_err(to_js))
}

/// Confusion matrix `[C, C]`: rows are true classes, columns predicted ones.
#[napi(catch_unwind)]
pub fn confusion_matrix(pred: PredictionsArg, target: IntTensorArg, num_classes: Option<f64>, ignore_index: Option<f64>) -> napi::Result<IntTensorOut> {
    let p = predictions(&pred, &target)?;
    let (n, ig) = (classes_arg(num_classes)?, ignore_arg(ignore_index)?);
    guard("confusionMatrix", || {
        let cm = metrics::confusion_matrix(p, &target.data, n, ig).map_err(to_js)?;
        Ok(IntTensorOut { data: JsTypedArray(int32s("confusionMatrix", &cm.counts)?), shape: vec![cm.classes as u32, cm.classes as u32] })
    })
}

/// Precision, recall, F1 and support per class, with macro, micro and weighted averages.
#[napi(catch_unwind)]
pub fn precision_recall_f1(pred: PredictionsArg, target: IntTensorArg, num_classes: Option<f64>, ignore_index: Option<f64>) -> napi::Result<ClassificationReportResult> {
    let p = predictions(&pred, &target)?;
    let (n, ig) = (classes_arg(num_classes)?, ignore_arg(ignore_index)?);
    guard("precisionRecallF1", || {
        let r = metrics::precision_recall_f1(p, &target.data, n, ig).map_err(to_js)?;
        let c = [r.support.len()];
        Ok(ClassificationReportResult {
            precision: tensor_out(f32s(&r.precision), &c),
            recall: tensor_out(f32s(&r.recall), &c),
            f1: tensor_out(f32s(&r.f1), &c),
            support: IntTensorOut { data: JsTypedArray(int32s("support", &r.support)?), shape: vec![c[0] as u32] },
            macro_avg: scores(r.macro_avg),
            micro_avg: scores(r.micro_avg),
            weighted_avg: scores(r.weighted_avg),
        })
    })
}

/// Binary metrics from logits: positive when `sigmoid(logit) > threshold` (default 0.5);
/// `target` holds 0 or 1 (the logits' shape).
#[napi(catch_unwind)]
pub fn binary_metrics(logits: TensorArg, target: TensorArg, threshold: Option<f64>) -> napi::Result<BinaryMetricsResult> {
    same_shape("logits", &logits, &target)?;
    guard("binaryMetrics", || {
        let m = metrics::binary_metrics(&logits.data, &target.data, threshold.unwrap_or(0.5)).map_err(to_js)?;
        Ok(BinaryMetricsResult {
            true_positives: m.true_positives as f64,
            false_positives: m.false_positives as f64,
            true_negatives: m.true_negatives as f64,
            false_negatives: m.false_negatives as f64,
            accuracy: m.accuracy,
            precision: m.scores.precision,
            recall: m.scores.recall,
            f1: m.scores.f1,
        })
    })
}

fn regression(what: &str, pred: &TensorArg, target: &TensorArg, f: fn(&[f32], &[f32]) -> seqlearn_core::Result<f64>) -> napi::Result<f64> {
    same_shape("pred", pred, target)?;
    guard(what, || f(&pred.data, &target.data).map_err(to_js))
}

/// Mean absolute error.
#[napi(catch_unwind)]
pub fn mean_absolute_error(pred: TensorArg, target: TensorArg) -> napi::Result<f64> {
    regression("mae", &pred, &target, metrics::mae)
}

/// Root mean squared error.
#[napi(catch_unwind)]
pub fn root_mean_squared_error(pred: TensorArg, target: TensorArg) -> napi::Result<f64> {
    regression("rmse", &pred, &target, metrics::rmse)
}

/// Mean absolute percentage error (a fraction; scikit-learn's formula with ε for zero targets).
#[napi(catch_unwind)]
pub fn mean_absolute_percentage_error(pred: TensorArg, target: TensorArg) -> napi::Result<f64> {
    regression("mape", &pred, &target, metrics::mape)
}

/// Symmetric mean absolute percentage error (a fraction in [0, 2]).
#[napi(catch_unwind)]
pub fn symmetric_mean_absolute_percentage_error(pred: TensorArg, target: TensorArg) -> napi::Result<f64> {
    regression("smape", &pred, &target, metrics::smape)
}

/// Perplexity `exp(meanNll)`.
#[napi(catch_unwind)]
pub fn perplexity(mean_nll: f64) -> napi::Result<f64> {
    metrics::perplexity(mean_nll).map_err(to_js)
}
