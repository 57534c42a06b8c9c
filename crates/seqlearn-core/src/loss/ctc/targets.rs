//! The targets of the CTC loss: checks of the lengths and labels, the per-item plan (where the
//! labels are, how many adjacent repeats, whether an alignment exists), and the blank-extended
//! state sequence `b, l₁, b, l₂, …, l_L, b` (its label classes and skip transitions).

use super::logspace::{NEG_INF, PAD};
use super::{CtcInfeasible, CtcTargets};
use crate::error::{Error, Result};
use crate::loss::softmax::LANES;

/// One item of the batch, checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ItemPlan {
    /// `T_b`: frames used.
    pub input_length: usize,
    /// Offset of the item's labels in the targets array.
    pub start: usize,
    /// `L_b`: labels.
    pub target_length: usize,
    /// Adjacent equal labels (each needs a blank between them).
    pub repeats: usize,
}

impl ItemPlan {
    /// Frames any alignment needs: `L + repeats`.
    pub fn required(&self) -> usize {
        self.target_length + self.repeats
    }

    /// True when an alignment exists (`T ≥ L + repeats`).
    pub fn feasible(&self) -> bool {
        self.input_length >= self.required()
    }

    /// The report of an infeasible item `index`.
    pub fn infeasible(&self, index: usize) -> CtcInfeasible {
        CtcInfeasible { index, input_length: self.input_length, target_length: self.target_length, repeats: self.repeats, required: self.required() }
    }

    /// The number of blank-extended states, `2L + 1`.
    pub fn states(&self) -> usize {
        2 * self.target_length + 1
    }
}

/// Checks the lengths and labels of every item; returns the plans and the labels array.
/// `frames` is the input's time dimension `T`, `classes` its `C`.
pub(crate) fn plan_items<'a>(
    targets: CtcTargets<'a>,
    input_lengths: &[usize],
    target_lengths: &[usize],
    batch: usize,
    frames: usize,
    classes: usize,
    blank: usize,
) -> Result<(Vec<ItemPlan>, &'a [i32])> {
    if input_lengths.len() != batch {
        return Err(Error::shape("inputLengths", &[batch], &[input_lengths.len()]));
    }
    if target_lengths.len() != batch {
        return Err(Error::shape("targetLengths", &[batch], &[target_lengths.len()]));
    }
    for (b, &t) in input_lengths.iter().enumerate() {
        if t > frames {
            return Err(Error::invalid(format!("inputLengths[{b}]"), format!("expected at most T = {frames} (the input's time dimension), got {t}")));
        }
    }
    let (labels, starts): (&[i32], Vec<usize>) = match targets {
        CtcTargets::Padded { labels, width } => {
            if labels.len() != batch * width {
                return Err(Error::shape("targets", &[batch, width], &[labels.len() / width.max(1), width]));
            }
            for (b, &l) in target_lengths.iter().enumerate() {
                if l > width {
                    return Err(Error::invalid(format!("targetLengths[{b}]"), format!("expected at most S = {width} (the padded targets' second dimension), got {l}")));
                }
            }
            (labels, (0..batch).map(|b| b * width).collect())
        }
        CtcTargets::Concatenated(labels) => {
            let total = target_lengths.iter().try_fold(0usize, |a, &l| a.checked_add(l));
            if total != Some(labels.len()) {
                let want = total.map(|t| t.to_string()).unwrap_or_else(|| "too many".into());
                return Err(Error::invalid("targets", format!("concatenated targets need {want} labels (the sum of targetLengths), got {}", labels.len())));
            }
            let mut next = 0;
            let starts = target_lengths
                .iter()
                .map(|&l| {
                    let s = next;
                    next += l;
                    s
                })
                .collect();
            (labels, starts)
        }
    };
    let padded = matches!(targets, CtcTargets::Padded { .. });
    let mut plans = Vec::with_capacity(batch);
    for b in 0..batch {
        let (start, len) = (starts[b], target_lengths[b]);
        let mut repeats = 0;
        for (k, &v) in labels[start..start + len].iter().enumerate() {
            let is_blank = v >= 0 && v as usize == blank;
            if v < 0 || v as usize >= classes || is_blank {
                let at = if padded { format!("targets[{b}, {k}]") } else { format!("targets[{}] (item {b}, label {k})", start + k) };
                let why = if is_blank { "the blank".to_string() } else { format!("outside 0..{classes}") };
                return Err(Error::invalid("targets", format!("expected labels in 0..{classes} other than the blank ({blank}); {at} is {v}, {why}")));
            }
            if k > 0 && labels[start + k - 1] == v {
                repeats += 1;
            }
        }
        plans.push(ItemPlan { input_length: input_lengths[b], start, target_length: len, repeats });
    }
    Ok((plans, labels))
}

/// The width of a sub-row (see `logspace.rs`) for `labels` labels: `PAD` leading `−inf` cells,
/// the `L + 1` blank states rounded up to whole 16-lane chunks, and one cell for the β
/// recursion's `k + 1` reads.
pub(crate) fn row_width(labels: usize) -> usize {
    PAD + (labels + 1).div_ceil(LANES) * LANES + 1
}

/// Fills `classes` with the labels as class indices and `skip[PAD + k]` with 0 where the
/// transition `A[k−1] → A[k]` (state `2k − 1` to `2k + 1`, over a blank) is allowed — the two
/// labels differ — and `−inf` elsewhere (including every padding cell).
pub(crate) fn extend(labels: &[i32], width: usize, classes: &mut Vec<u32>, skip: &mut Vec<f32>) {
    classes.clear();
    classes.extend(labels.iter().map(|&l| l as u32));
    skip.clear();
    skip.resize(width, NEG_INF);
    for k in 1..labels.len() {
        if labels[k] != labels[k - 1] {
            skip[PAD + k] = 0.0;
        }
    }
}
