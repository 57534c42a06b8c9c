//! Evaluation metrics: accuracy (from logits or labels, with `ignore_index`), top-k accuracy,
//! confusion matrix, precision/recall/F1 per class with macro/micro/weighted averages
//! (scikit-learn's definitions with `zero_division=0`), binary metrics from logits with a
//! threshold, and regression errors (MAE, RMSE, MAPE, sMAPE) plus perplexity. Large score
//! matrices are split by rows over the thread pool. Argument names in errors are the JavaScript ones.

use crate::error::{Error, Result};
use crate::loss::map_row_chunks;
use crate::loss::softmax::{first_non_finite, max_finite, rows_of};

/// Predictions of a classifier: scores per class or predicted class indices.
#[derive(Clone, Copy, Debug)]
pub enum Predictions<'a> {
    /// Scores (logits or probabilities) `[rows, classes]`; the prediction is the argmax (the
    /// first maximum on ties, like `torch.argmax`).
    Logits {
        /// Row-major scores.
        data: &'a [f32],
        /// Classes per row.
        classes: usize,
    },
    /// Predicted class indices, one per row.
    Labels(&'a [i32]),
}

/// Correct predictions among counted rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accuracy {
    /// Rows whose prediction equals the target.
    pub correct: usize,
    /// Rows whose target is not `ignore_index`.
    pub count: usize,
}

impl Accuracy {
    /// `correct / count`, and 0 when nothing is counted (like `zero_division=0`).
    pub fn value(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.correct as f64 / self.count as f64
        }
    }
}

/// First index of the row maximum, per row (`torch.argmax(dim=-1)`). Errors name `logits`
/// (rows, NaN/Inf with flat index).
pub fn argmax_rows(logits: &[f32], classes: usize) -> Result<Vec<i32>> {
    let rows = rows_of("logits", logits.len(), classes)?;
    if classes > i32::MAX as usize {
        return Err(Error::invalid("logits", format!("expected at most {} classes, got {classes}", i32::MAX)));
    }
    let parts = map_row_chunks(rows, classes, &mut [], |r, _| {
        let mut out = Vec::with_capacity(r.len());
        for row in r.clone() {
            let z = &logits[row * classes..(row + 1) * classes];
            let (m, ok) = max_finite(z);
            if !ok {
                return Err(first_non_finite("logits", z, row * classes));
            }
            out.push(z.iter().position(|&x| x == m).unwrap_or(0) as i32);
        }
        Ok(out)
    });
    let mut all = Vec::with_capacity(rows);
    for p in parts {
        all.extend(p?);
    }
    Ok(all)
}

/// Resolves predictions to labels and checks their count against `target`.
fn labels<'a>(pred: Predictions<'a>, target: &[i32]) -> Result<(std::borrow::Cow<'a, [i32]>, Option<usize>)> {
    let (l, classes) = match pred {
        Predictions::Labels(l) => (std::borrow::Cow::Borrowed(l), None),
        Predictions::Logits { data, classes } => (std::borrow::Cow::Owned(argmax_rows(data, classes)?), Some(classes)),
    };
    if l.len() != target.len() {
        return Err(Error::shape("target", &[l.len()], &[target.len()]));
    }
    Ok((l, classes))
}

/// Fraction of rows whose prediction equals the target; rows with `target == ignore_index` are
/// skipped. Errors name `logits` (see [`argmax_rows`]) and `target` (count ≠ rows).
pub fn accuracy(pred: Predictions<'_>, target: &[i32], ignore_index: i32) -> Result<Accuracy> {
    let (l, _) = labels(pred, target)?;
    let mut acc = Accuracy { correct: 0, count: 0 };
    for (&p, &t) in l.iter().zip(target) {
        if t != ignore_index {
            acc.count += 1;
            acc.correct += usize::from(p == t);
        }
    }
    Ok(acc)
}

/// Checks a class index of `target` (in `0..classes` or `ignore_index`).
fn check_target(k: usize, t: i32, classes: usize, ignore_index: i32) -> Result<()> {
    if t != ignore_index && (t < 0 || t as usize >= classes) {
        return Err(Error::invalid(format!("target[{k}]"), format!("expected a class index in 0..{classes} or ignoreIndex ({ignore_index}), got {t}")));
    }
    Ok(())
}

/// Rows whose target class is among the `k` highest scores. The rank of the target is the number
/// of classes scoring higher plus those scoring equal with a lower index, so ties go to the lower
/// index as in [`argmax_rows`] and `k = 1` equals [`accuracy`] (scikit-learn's
/// `top_k_accuracy_score` breaks ties toward the higher index; without ties both agree). Errors
/// name `logits`, `target`/`target[i]` and `k` (in `1..=classes`).
pub fn top_k_accuracy(logits: &[f32], classes: usize, target: &[i32], k: usize, ignore_index: i32) -> Result<Accuracy> {
    let rows = rows_of("logits", logits.len(), classes)?;
    if target.len() != rows {
        return Err(Error::shape("target", &[rows], &[target.len()]));
    }
    if k == 0 || k > classes {
        return Err(Error::invalid("k", format!("expected an integer in 1..={classes} (the number of classes), got {k}")));
    }
    for (i, &t) in target.iter().enumerate() {
        check_target(i, t, classes, ignore_index)?;
    }
    let parts = map_row_chunks(rows, classes, &mut [], |r, _| {
        let mut acc = Accuracy { correct: 0, count: 0 };
        for row in r {
            let t = target[row];
            if t == ignore_index {
                continue;
            }
            let z = &logits[row * classes..(row + 1) * classes];
            let (_, ok) = max_finite(z);
            if !ok {
                return Err(first_non_finite("logits", z, row * classes));
            }
            let t = t as usize;
            let zt = z[t];
            let above = z.iter().fold(0usize, |n, &x| n + usize::from(x > zt));
            let tied_before = z[..t].iter().fold(0usize, |n, &x| n + usize::from(x == zt));
            acc.count += 1;
            acc.correct += usize::from(above + tied_before < k);
        }
        Ok(acc)
    });
    let mut acc = Accuracy { correct: 0, count: 0 };
    for p in parts {
        let p = p?;
        acc.correct += p.correct;
        acc.count += p.count;
    }
    Ok(acc)
}

/// A confusion matrix: `counts[true · classes + predicted]` (scikit-learn's layout: rows are true
/// classes, columns predicted ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    /// Number of classes (rows and columns).
    pub classes: usize,
    /// Row-major counts, `[classes, classes]`.
    pub counts: Vec<u64>,
}

/// Largest number of classes of the per-class metrics.
pub const MAX_CLASSES: usize = 1 << 24;

/// Largest class count of a confusion matrix (`classes²` counters).
pub const MAX_CONFUSION_CLASSES: usize = 8192;

/// Resolves predictions to labels and the number of classes, and checks every counted row
/// (target ≠ `ignore_index`): both indices in `0..classes`. `num_classes` defaults to the
/// logits' class count, or to 1 + the largest label seen.
fn class_labels<'a>(pred: Predictions<'a>, target: &[i32], num_classes: Option<usize>, ignore_index: i32) -> Result<(usize, std::borrow::Cow<'a, [i32]>)> {
    let (l, logit_classes) = labels(pred, target)?;
    let classes = match (num_classes, logit_classes) {
        (Some(n), Some(c)) if n != c => return Err(Error::invalid("numClasses", format!("expected {c} (the logits' last dimension), got {n}"))),
        (Some(0), _) => return Err(Error::invalid("numClasses", "expected at least 1, got 0")),
        (Some(n), _) => n,
        (None, Some(c)) => c,
        (None, None) => {
            let seen = l.iter().zip(target).filter(|(_, &t)| t != ignore_index).flat_map(|(&p, &t)| [p, t]).max().unwrap_or(0);
            (seen.max(0) as usize) + 1
        }
    };
    if classes > MAX_CLASSES {
        return Err(Error::invalid(
            "numClasses",
            format!("expected at most {MAX_CLASSES} classes, got {classes}{}", if num_classes.is_none() { " (1 + the largest label)" } else { "" }),
        ));
    }
    for (i, (&p, &t)) in l.iter().zip(target).enumerate() {
        check_target(i, t, classes, ignore_index)?;
        if t != ignore_index && (p < 0 || p as usize >= classes) {
            return Err(Error::invalid(format!("pred[{i}]"), format!("expected a class index in 0..{classes}, got {p}")));
        }
    }
    Ok((classes, l))
}

/// The counted (true, predicted) pairs of checked labels.
fn pairs<'a>(l: &'a [i32], target: &'a [i32], ignore_index: i32) -> impl Iterator<Item = (usize, usize)> + 'a {
    l.iter().zip(target).filter(move |(_, &t)| t != ignore_index).map(|(&p, &t)| (t as usize, p as usize))
}

/// Counts (true, predicted) pairs over the rows whose target is not `ignore_index`.
/// `num_classes` defaults to the logits' class count, or to 1 + the largest label seen. Errors
/// name `numClasses` (0, ≠ the logits' classes, or more than [`MAX_CONFUSION_CLASSES`]),
/// `pred[i]` / `target[i]` (out of range), `target` (count) and `logits`.
pub fn confusion_matrix(pred: Predictions<'_>, target: &[i32], num_classes: Option<usize>, ignore_index: i32) -> Result<ConfusionMatrix> {
    let (classes, l) = class_labels(pred, target, num_classes, ignore_index)?;
    if classes > MAX_CONFUSION_CLASSES {
        return Err(Error::invalid("numClasses", format!("a confusion matrix holds at most {MAX_CONFUSION_CLASSES} classes, got {classes} (precisionRecallF1 has no such limit)")));
    }
    let mut counts = vec![0u64; classes * classes];
    for (t, p) in pairs(&l, target, ignore_index) {
        counts[t * classes + p] += 1;
    }
    Ok(ConfusionMatrix { classes, counts })
}

/// Precision, recall and F1 of one class or one average.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scores {
    /// `tp / (tp + fp)`, 0 when nothing was predicted.
    pub precision: f64,
    /// `tp / (tp + fn)`, 0 when the class never occurs.
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)`, 0 when that is 0/0.
    pub f1: f64,
}

/// Per-class scores and their averages.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassificationReport {
    /// Per-class precision, `[classes]`.
    pub precision: Vec<f64>,
    /// Per-class recall.
    pub recall: Vec<f64>,
    /// Per-class F1.
    pub f1: Vec<f64>,
    /// Per-class number of true occurrences.
    pub support: Vec<u64>,
    /// Unweighted mean over the classes that occur in the targets or the predictions
    /// (scikit-learn's default `labels=None`; a class absent from both is left out).
    pub macro_avg: Scores,
    /// From the summed counts (for single-label data all three equal the accuracy).
    pub micro_avg: Scores,
    /// Mean weighted by support.
    pub weighted_avg: Scores,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Precision, recall, F1 and support per class with their averages, from predictions and targets
/// (same arguments and errors as [`confusion_matrix`], without its class limit: O(rows + classes)),
/// with scikit-learn's `zero_division=0`.
pub fn precision_recall_f1(pred: Predictions<'_>, target: &[i32], num_classes: Option<usize>, ignore_index: i32) -> Result<ClassificationReport> {
    let (c, l) = class_labels(pred, target, num_classes, ignore_index)?;
    let (mut tp, mut support, mut predicted) = (vec![0u64; c], vec![0u64; c], vec![0u64; c]);
    for (t, p) in pairs(&l, target, ignore_index) {
        tp[t] += u64::from(t == p);
        support[t] += 1;
        predicted[p] += 1;
    }
    Ok(report(c, &tp, support, &predicted))
}

impl ConfusionMatrix {
    /// Precision, recall and F1 from the counts (as [`precision_recall_f1`]).
    pub fn report(&self) -> ClassificationReport {
        let c = self.classes;
        let tp: Vec<u64> = (0..c).map(|k| self.counts[k * c + k]).collect();
        let support: Vec<u64> = (0..c).map(|k| self.counts[k * c..(k + 1) * c].iter().sum()).collect();
        let predicted: Vec<u64> = (0..c).map(|k| (0..c).map(|r| self.counts[r * c + k]).sum()).collect();
        report(c, &tp, support, &predicted)
    }
}

fn report(c: usize, tp: &[u64], support: Vec<u64>, predicted: &[u64]) -> ClassificationReport {
    let scores: Vec<Scores> =
        (0..c).map(|k| Scores { precision: ratio(tp[k], predicted[k]), recall: ratio(tp[k], support[k]), f1: ratio(2 * tp[k], support[k] + predicted[k]) }).collect();
    let present: Vec<usize> = (0..c).filter(|&k| support[k] + predicted[k] > 0).collect();
    let mean = |f: fn(&Scores) -> f64| if present.is_empty() { 0.0 } else { present.iter().map(|&k| f(&scores[k])).sum::<f64>() / present.len() as f64 };
    let total: u64 = support.iter().sum();
    let weighted = |f: fn(&Scores) -> f64| if total == 0 { 0.0 } else { (0..c).map(|k| f(&scores[k]) * support[k] as f64).sum::<f64>() / total as f64 };
    let (stp, spred) = (tp.iter().sum::<u64>(), predicted.iter().sum::<u64>());
    ClassificationReport {
        precision: scores.iter().map(|s| s.precision).collect(),
        recall: scores.iter().map(|s| s.recall).collect(),
        f1: scores.iter().map(|s| s.f1).collect(),
        macro_avg: Scores { precision: mean(|s| s.precision), recall: mean(|s| s.recall), f1: mean(|s| s.f1) },
        micro_avg: Scores { precision: ratio(stp, spred), recall: ratio(stp, total), f1: ratio(2 * stp, spred + total) },
        weighted_avg: Scores { precision: weighted(|s| s.precision), recall: weighted(|s| s.recall), f1: weighted(|s| s.f1) },
        support,
    }
}

/// Counts and scores of a binary classifier.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BinaryMetrics {
    /// Predicted 1, target 1.
    pub true_positives: u64,
    /// Predicted 1, target 0.
    pub false_positives: u64,
    /// Predicted 0, target 0.
    pub true_negatives: u64,
    /// Predicted 0, target 1.
    pub false_negatives: u64,
    /// `(tp + tn) / n` (0 for no elements).
    pub accuracy: f64,
    /// Precision, recall and F1 of the positive class (`zero_division=0`).
    pub scores: Scores,
}

/// Binary metrics from logits: an element is predicted positive when `sigmoid(logit) > threshold`
/// (decided exactly as `logit > ln(threshold / (1 − threshold))`). `target` holds 0 or 1 per
/// element. Errors name `target` (length), `target[i]` (not 0 or 1), `threshold` (outside [0, 1])
/// and `logits` (NaN/Inf).
pub fn binary_metrics(logits: &[f32], target: &[f32], threshold: f64) -> Result<BinaryMetrics> {
    if target.len() != logits.len() {
        return Err(Error::invalid("target", format!("expected {} values (the logits' size), got {}", logits.len(), target.len())));
    }
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::invalid("threshold", format!("expected a probability in [0, 1], got {threshold}")));
    }
    crate::loss::check_finite("logits", logits)?;
    let cut = (threshold / (1.0 - threshold)).ln();
    let mut m = BinaryMetrics::default();
    for (i, (&x, &t)) in logits.iter().zip(target).enumerate() {
        let positive = x as f64 > cut;
        let actual = if t == 1.0 {
            true
        } else if t == 0.0 {
            false
        } else {
            return Err(Error::invalid(format!("target[{i}]"), format!("expected 0 or 1, got {t}")));
        };
        match (actual, positive) {
            (true, true) => m.true_positives += 1,
            (true, false) => m.false_negatives += 1,
            (false, true) => m.false_positives += 1,
            (false, false) => m.true_negatives += 1,
        }
    }
    let (tp, fp, tn, fneg) = (m.true_positives, m.false_positives, m.true_negatives, m.false_negatives);
    m.accuracy = ratio(tp + tn, tp + fp + tn + fneg);
    m.scores = Scores { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fneg), f1: ratio(2 * tp, 2 * tp + fp + fneg) };
    Ok(m)
}

/// Mean of `term(pred, target)` over all elements in f64, split over the pool for large inputs.
fn mean_of(pred: &[f32], target: &[f32], term: impl Fn(f64, f64) -> f64 + Sync) -> Result<f64> {
    let n = pred.len();
    if target.len() != n {
        return Err(Error::invalid("target", format!("expected {n} values (the prediction's size), got {}", target.len())));
    }
    if n == 0 {
        return Err(Error::invalid("pred", "expected at least one value, got none"));
    }
    crate::loss::check_finite("pred", pred)?;
    crate::loss::check_finite("target", target)?;
    let sum: f64 = map_row_chunks(n, 1, &mut [], |r, _| r.map(|i| term(pred[i] as f64, target[i] as f64)).sum::<f64>()).into_iter().sum();
    Ok(sum / n as f64)
}

/// Mean absolute error `mean |pred − target|` (scikit-learn `mean_absolute_error`). Errors name
/// `pred` (empty, NaN/Inf) and `target` (length, NaN/Inf), as do the other regression metrics.
pub fn mae(pred: &[f32], target: &[f32]) -> Result<f64> {
    mean_of(pred, target, |p, t| (p - t).abs())
}

/// Root mean squared error `sqrt(mean (pred − target)²)` (scikit-learn `root_mean_squared_error`).
pub fn rmse(pred: &[f32], target: &[f32]) -> Result<f64> {
    Ok(mean_of(pred, target, |p, t| (p - t) * (p - t))?.sqrt())
}

/// Mean absolute percentage error as a fraction, with scikit-learn's formula
/// `mean(|target − pred| / max(|target|, ε))`, `ε` = f64 machine epsilon (2.2e-16): a zero target
/// is not skipped but gives a huge term, exactly as in `mean_absolute_percentage_error`.
pub fn mape(pred: &[f32], target: &[f32]) -> Result<f64> {
    mean_of(pred, target, |p, t| (t - p).abs() / t.abs().max(f64::EPSILON))
}

/// Symmetric mean absolute percentage error as a fraction in [0, 2]:
/// `mean(2 |pred − target| / (|pred| + |target|))`, a term being 0 when both are 0.
pub fn smape(pred: &[f32], target: &[f32]) -> Result<f64> {
    mean_of(pred, target, |p, t| {
        let d = p.abs() + t.abs();
        if d == 0.0 {
            0.0
        } else {
            2.0 * (p - t).abs() / d
        }
    })
}

/// Perplexity `exp(mean NLL)` from a mean negative log-likelihood in nats (the mean
/// cross-entropy). Errors name `meanNll` (NaN, or negative).
pub fn perplexity(mean_nll: f64) -> Result<f64> {
    if mean_nll.is_nan() || mean_nll < 0.0 {
        return Err(Error::invalid("meanNll", format!("expected a mean negative log-likelihood ≥ 0, got {mean_nll}")));
    }
    Ok(mean_nll.exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_from_logits_and_labels() {
        let z = [0.1f32, 0.9, 0.0, 2.0, 1.0, 1.0, 5.0, 5.0, 1.0, 0.0, 0.0, 3.0];
        assert_eq!(argmax_rows(&z, 3).unwrap(), vec![1, 0, 0, 2]);
        let t = [1, 0, 1, -100];
        let a = accuracy(Predictions::Logits { data: &z, classes: 3 }, &t, -100).unwrap();
        assert_eq!(a, Accuracy { correct: 2, count: 3 });
        assert!((a.value() - 2.0 / 3.0).abs() < 1e-15);
        let a = accuracy(Predictions::Labels(&[1, 0, 0, 2]), &t, -100).unwrap();
        assert_eq!(a, Accuracy { correct: 2, count: 3 });
        assert_eq!(accuracy(Predictions::Labels(&[1]), &[-100], -100).unwrap().value(), 0.0);
        assert!(accuracy(Predictions::Labels(&[1, 2]), &[1], -100).unwrap_err().to_string().starts_with("target:"));
        let e = accuracy(Predictions::Logits { data: &[0.0, f32::NAN], classes: 2 }, &[0], -100).unwrap_err().to_string();
        assert!(e.starts_with("logits:") && e.contains("index 1"), "{e}");
    }

    #[test]
    fn top_k_ranks_ties_like_argmax() {
        let z = [1.0f32, 3.0, 2.0, 0.0, 5.0, 5.0, 5.0, 5.0];
        // Row 0: order 1, 2, 0, 3. Row 1: all tied, rank = index.
        let at = |t: [i32; 2], k| top_k_accuracy(&z, 4, &t, k, -100).unwrap().correct;
        assert_eq!(at([1, 0], 1), 2);
        assert_eq!(at([2, 1], 1), 0);
        assert_eq!(at([2, 1], 2), 2);
        assert_eq!(at([0, 3], 3), 1);
        assert_eq!(at([3, 3], 4), 2);
        assert_eq!(top_k_accuracy(&z, 4, &[3, -100], 1, -100).unwrap(), Accuracy { correct: 0, count: 1 });
        for k in [1, 2, 3, 4] {
            let t = [2, 1];
            let top1 = top_k_accuracy(&z, 4, &t, 1, -100).unwrap();
            if k == 1 {
                assert_eq!(top1, accuracy(Predictions::Logits { data: &z, classes: 4 }, &t, -100).unwrap());
            }
        }
        assert!(top_k_accuracy(&z, 4, &[0, 0], 0, -100).unwrap_err().to_string().starts_with("k:"));
        assert!(top_k_accuracy(&z, 4, &[0, 0], 5, -100).unwrap_err().to_string().starts_with("k:"));
        assert!(top_k_accuracy(&z, 4, &[0, 4], 1, -100).unwrap_err().to_string().starts_with("target[1]:"));
    }

    #[test]
    fn confusion_and_scores() {
        // sklearn: y_true = [0, 1, 2, 2, 1, 0], y_pred = [0, 2, 2, 2, 1, 1]
        let t = [0, 1, 2, 2, 1, 0, -100];
        let p = [0, 2, 2, 2, 1, 1, 7];
        let cm = confusion_matrix(Predictions::Labels(&p), &t, None, -100).unwrap();
        assert_eq!(cm.classes, 3);
        assert_eq!(cm.counts, vec![1, 1, 0, 0, 1, 1, 0, 0, 2]);
        let r = precision_recall_f1(Predictions::Labels(&p), &t, None, -100).unwrap();
        assert_eq!(r, cm.report());
        assert_eq!(r.support, vec![2, 2, 2]);
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        close(r.precision[0], 1.0);
        close(r.precision[1], 0.5);
        close(r.precision[2], 2.0 / 3.0);
        close(r.recall[0], 0.5);
        close(r.f1[2], 0.8);
        close(r.micro_avg.f1, 4.0 / 6.0);
        close(r.macro_avg.precision, (1.0 + 0.5 + 2.0 / 3.0) / 3.0);
        // With a class absent from both sides, macro averages skip it (sklearn labels=None).
        let r5 = precision_recall_f1(Predictions::Labels(&p), &t, Some(5), -100).unwrap();
        close(r5.macro_avg.f1, r.macro_avg.f1);
        assert_eq!(r5.precision.len(), 5);
        assert!(confusion_matrix(Predictions::Labels(&[0, 3]), &[0, 1], Some(3), -100).unwrap_err().to_string().starts_with("pred[1]:"));
        assert!(confusion_matrix(Predictions::Labels(&[0, 1]), &[0, 3], Some(3), -100).unwrap_err().to_string().starts_with("target[1]:"));
        assert!(confusion_matrix(Predictions::Labels(&[0]), &[0], Some(0), -100).unwrap_err().to_string().starts_with("numClasses:"));
        assert!(confusion_matrix(Predictions::Logits { data: &[0.0; 4], classes: 2 }, &[0, 1], Some(3), -100).unwrap_err().to_string().starts_with("numClasses:"));
        assert!(confusion_matrix(Predictions::Labels(&[0]), &[0], Some(MAX_CONFUSION_CLASSES + 1), -100).unwrap_err().to_string().starts_with("numClasses:"));
        let big = precision_recall_f1(Predictions::Labels(&[0, 1]), &[0, 1], Some(100_000), -100).unwrap();
        assert_eq!((big.support.len(), big.macro_avg.f1), (100_000, 1.0));
    }

    #[test]
    fn binary_metrics_threshold() {
        let x = [2.0f32, -1.0, 0.5, -3.0, 0.0];
        let t = [1.0f32, 1.0, 0.0, 0.0, 1.0];
        let m = binary_metrics(&x, &t, 0.5).unwrap();
        // Positive: x > 0 → [1, 0, 1, 0, 0].
        assert_eq!((m.true_positives, m.false_positives, m.true_negatives, m.false_negatives), (1, 1, 1, 2));
        assert!((m.scores.f1 - 2.0 / 5.0).abs() < 1e-12);
        // sigmoid(0.5) = 0.622 > 0.6; sigmoid(2) = 0.88.
        let m = binary_metrics(&x, &t, 0.6).unwrap();
        assert_eq!(m.true_positives + m.false_positives, 2);
        let m = binary_metrics(&x, &t, 0.7).unwrap();
        assert_eq!(m.true_positives + m.false_positives, 1);
        assert_eq!(binary_metrics(&x, &t, 0.0).unwrap().true_positives, 3);
        assert_eq!(binary_metrics(&x, &t, 1.0).unwrap().true_positives, 0);
        assert!(binary_metrics(&x, &[1.0, 0.5, 0.0, 0.0, 1.0], 0.5).unwrap_err().to_string().starts_with("target[1]:"));
        assert!(binary_metrics(&x, &t, 1.5).unwrap_err().to_string().starts_with("threshold:"));
        assert!(binary_metrics(&x, &t, f64::NAN).unwrap_err().to_string().starts_with("threshold:"));
    }

    #[test]
    fn regression_metrics() {
        let p = [2.5f32, 0.0, 2.0, 8.0];
        let t = [3.0f32, -0.5, 2.0, 7.0];
        assert!((mae(&p, &t).unwrap() - 0.5).abs() < 1e-12);
        assert!((rmse(&p, &t).unwrap() - 0.375f64.sqrt()).abs() < 1e-12);
        // sklearn: mean_absolute_percentage_error(t, p) = 0.3273809523809524
        assert!((mape(&p, &t).unwrap() - 0.327_380_952_380_952_4).abs() < 1e-12);
        assert!(mape(&[1.0], &[0.0]).unwrap() > 1e15);
        assert_eq!(smape(&[0.0, 1.0], &[0.0, 1.0]).unwrap(), 0.0);
        assert!((smape(&[1.0], &[3.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((perplexity(2.0f64.ln()).unwrap() - 2.0).abs() < 1e-12);
        assert!(perplexity(f64::NAN).unwrap_err().to_string().starts_with("meanNll:"));
        assert!(mae(&[], &[]).unwrap_err().to_string().starts_with("pred:"));
        assert!(rmse(&[1.0], &[1.0, 2.0]).unwrap_err().to_string().starts_with("target:"));
        assert!(smape(&[f32::NAN], &[1.0]).unwrap_err().to_string().starts_with("pred:"));
        let big_p: Vec<f32> = (0..200_000).map(|i| (i % 7) as f32).collect();
        let big_t: Vec<f32> = (0..200_000).map(|i| (i % 5) as f32).collect();
        let want = big_p.iter().zip(&big_t).map(|(a, b)| (a - b).abs() as f64).sum::<f64>() / 200_000.0;
        assert!((mae(&big_p, &big_t).unwrap() - want).abs() < 1e-12);
    }
}
