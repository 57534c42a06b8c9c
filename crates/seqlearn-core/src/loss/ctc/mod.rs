//! Connectionist temporal classification loss (Graves et al. 2006), value and gradient in one
//! call, with PyTorch's conventions (`torch.nn.functional.ctc_loss`) where PyTorch defines them.
//!
//! For an item with `T` frames, labels `l₁ … l_L` (no blanks) and the blank-extended sequence
//! `l' = b, l₁, b, l₂, …, l_L, b` (`S = 2L + 1` states), the loss is `−ln p(l|x)`, the log of the
//! summed probability of every frame-level path that collapses (merge repeats, drop blanks) to
//! `l`. It is computed by the forward–backward recursions over `l'` in log space, with the
//! all-`−inf` guard of the log-sum-exp (the private modules `item`, `logspace` and `frames`
//! document the phases, the row layout, the band pruning and the threading).
//!
//! # Inputs and gradient conventions
//! - [`CtcInputKind::Logits`] (default): unnormalised scores; the log-softmax over the classes is
//!   fused in. The gradient is the true derivative with respect to the logits,
//!   `softmax(x) − γ` (warp-ctc's and TensorFlow's convention), `γ_t(c)` being the posterior
//!   probability that frame `t` emits class `c` on a path of `l`.
//! - [`CtcInputKind::LogProbs`]: log-probabilities (e.g. a log-softmax output). The gradient is
//!   PyTorch's, `exp(lp) − γ`: not the derivative with respect to `lp` (that is `−γ`), but, when
//!   `lp = log_softmax(logits)`, the derivative with respect to those logits. Each frame of it
//!   sums to 0, so a log-softmax backward pass leaves it unchanged (which is why training through
//!   PyTorch's autograd works); with any other `lp` it is not a derivative of anything.
//!
//! # Reductions (exactly PyTorch's)
//! `none` and `sum`: the gradient is of `Σ_b loss_b`; `mean`: of `(1/N) Σ_b loss_b / max(L_b, 1)`.
//! The returned scalar is the reduced loss (for `none`, the plain sum).
//!
//! # Infeasible items and infinities
//! An alignment exists iff `T_b ≥ L_b + R_b`, `R_b` being the number of adjacent equal labels.
//! Items without one are reported in [`CtcLossSummary::infeasible`]; their loss is `+inf` (0 with
//! `zero_infinity`) and their gradient is 0 either way (PyTorch gives NaN without
//! `zero_infinity`); other items are unaffected. `T_b = 0` gives loss 0 when `L_b = 0` (and is
//! infeasible otherwise), as in PyTorch. Frames `t ≥ T_b` get a zero gradient and are not read.
//!
//! # Precision
//! Each frame's emissions are taken relative to the frame's best score and each row of α and β
//! relative to the previous row's maximum, with the offsets summed in f64, so the f32 values the
//! recursions work on stay near 0; the likelihood is assembled in f64. On long sequences the
//! results are closer to the exact (f64) values than PyTorch's float32 kernel (T = 3000: loss
//! within 5e-7 relative and gradient within 2e-3, where PyTorch float32 is off by 3e-6 and 1e-2).
//! The exponential is [`crate::activation::exp`] (relative error < 4e-7) and the logarithm a
//! Cephes polynomial (< 2e-7), both tested.
//!
//! # Performance
//! One streaming pass over each frame's `C` scores (check, normaliser, dense gradient, gather of
//! the blank's and the `L` labels' log-probabilities); the recursions then run over small rows,
//! 16 states per vector (blank and label states in separate sub-rows, so each lane computes
//! only the terms its state has), within warp-ctc's reachable band. Items run in parallel on the
//! pool; an item's forward and backward halves run interleaved on one thread, or on two threads
//! when there are fewer items than threads. Results are bitwise independent of the thread count.
//! The workspace is `O(T·L)` per thread (no `[N, T, S]` α and β, nothing `[T, C]`).

mod frames;
mod item;
mod logspace;
#[cfg(test)]
mod reference;
mod targets;

use rayon::prelude::*;

use super::Reduction;
use crate::error::{Error, Result};
use crate::parallel;
use item::{GradRows, Item, Outcome, Workspace};
use targets::{plan_items, ItemPlan};

/// What the input of [`ctc_loss`] holds (and so which gradient it returns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CtcInputKind {
    /// Unnormalised scores; softmax fused in; gradient `softmax − γ` (the true derivative).
    #[default]
    Logits,
    /// Log-probabilities; gradient `exp(lp) − γ` (PyTorch's convention).
    LogProbs,
}

impl CtcInputKind {
    /// Parses `'logits' | 'logProbs'` (errors name `inputKind`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "logits" => Ok(CtcInputKind::Logits),
            "logProbs" => Ok(CtcInputKind::LogProbs),
            _ => Err(Error::invalid("inputKind", format!("expected 'logits' or 'logProbs', got '{s}'"))),
        }
    }

    /// The JavaScript spelling.
    pub fn name(self) -> &'static str {
        match self {
            CtcInputKind::Logits => "logits",
            CtcInputKind::LogProbs => "logProbs",
        }
    }
}

/// The label sequences of a batch.
#[derive(Clone, Copy, Debug)]
pub enum CtcTargets<'a> {
    /// `[N, width]` row-major; item `b`'s labels are the first `targetLengths[b]` values of row
    /// `b` (the rest is padding and ignored).
    Padded {
        /// The values.
        labels: &'a [i32],
        /// The second dimension (`≥` every target length).
        width: usize,
    },
    /// Every item's labels back to back (length `Σ targetLengths`).
    Concatenated(&'a [i32]),
}

/// Options of [`ctc_loss`] (PyTorch's defaults, time-major logits).
#[derive(Clone, Copy, Debug, Default)]
pub struct CtcLossOptions {
    /// The blank class (default 0).
    pub blank: usize,
    /// Reduction (default `mean`, PyTorch's: each item divided by `max(L, 1)`, then the mean).
    pub reduction: Reduction,
    /// Infinite losses (and their gradients) become 0 (default false).
    pub zero_infinity: bool,
    /// Logits (default) or log-probabilities.
    pub input_kind: CtcInputKind,
    /// The input is `[N, T, C]` instead of `[T, N, C]` (the gradient has the input's layout).
    pub batch_first: bool,
}

/// An item with no alignment: fewer frames than labels plus adjacent repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtcInfeasible {
    /// The item's index in the batch.
    pub index: usize,
    /// Its input length `T_b`.
    pub input_length: usize,
    /// Its target length `L_b`.
    pub target_length: usize,
    /// Adjacent equal labels in its target.
    pub repeats: usize,
    /// Frames an alignment needs, `L_b + repeats` (`> T_b`).
    pub required: usize,
}

/// What [`ctc_loss_into`] returns besides the gradient it writes.
#[derive(Clone, Debug)]
pub struct CtcLossSummary {
    /// The reduced loss (`none`: the sum of the per-item losses). `+inf` if an item's loss is.
    pub loss: f64,
    /// Per-item `−ln p(l|x)` (after `zero_infinity`), unscaled by the reduction.
    pub losses: Vec<f32>,
    /// The items without an alignment, in batch order.
    pub infeasible: Vec<CtcInfeasible>,
}

/// Result of [`ctc_loss`].
#[derive(Clone, Debug)]
pub struct CtcLossOutput {
    /// See [`CtcLossSummary::loss`].
    pub loss: f64,
    /// See [`CtcLossSummary::losses`].
    pub losses: Vec<f32>,
    /// d loss / d input, the input's shape and layout (see the module docs for the convention).
    pub grad: Vec<f32>,
    /// See [`CtcLossSummary::infeasible`].
    pub infeasible: Vec<CtcInfeasible>,
}

/// The CTC loss of `input` (`shape` `[T, N, C]`, or `[N, T, C]` with `batch_first`) against
/// `targets`, with per-item `input_lengths` (`≤ T`) and `target_lengths`, and its gradient.
/// Errors name the argument: `input` (rank, non-finite value with its flat index), `blank`,
/// `inputLengths[b]`, `targetLengths[b]`, `targets` (shape, total length, a label that is the
/// blank or outside `0..C`).
pub fn ctc_loss(input: &[f32], shape: &[usize], targets: CtcTargets<'_>, input_lengths: &[usize], target_lengths: &[usize], options: &CtcLossOptions) -> Result<CtcLossOutput> {
    let mut grad = vec![0.0f32; input.len()];
    let s = ctc_loss_into(input, shape, targets, input_lengths, target_lengths, options, &mut grad)?;
    Ok(CtcLossOutput { loss: s.loss, losses: s.losses, grad, infeasible: s.infeasible })
}

/// Below this much work (≈ state cells + scores touched) a batch runs on the calling thread.
const PAR_MIN_WORK: usize = 1 << 14;

/// Above this many state cells (`T · S`) a lone item splits its halves over two threads.
const SPLIT_MIN_CELLS: usize = 1 << 11;

/// [`ctc_loss`] writing the gradient into `grad` (the input's length; every value is written).
pub fn ctc_loss_into(
    input: &[f32],
    shape: &[usize],
    targets: CtcTargets<'_>,
    input_lengths: &[usize],
    target_lengths: &[usize],
    options: &CtcLossOptions,
    grad: &mut [f32],
) -> Result<CtcLossSummary> {
    let &[d0, d1, classes] = shape else {
        return Err(Error::invalid("input", format!("expected 3 dimensions, [T, N, C] (or [N, T, C] with batchFirst), got shape {shape:?}")));
    };
    let (frames, batch) = if options.batch_first { (d1, d0) } else { (d0, d1) };
    if d0.checked_mul(d1).and_then(|n| n.checked_mul(classes)) != Some(input.len()) {
        return Err(Error::invalid("input", format!("shape {shape:?} does not match its {} values", input.len())));
    }
    if classes == 0 {
        return Err(Error::invalid("input", format!("expected at least 1 class (C = the last dimension), got shape {shape:?}")));
    }
    if options.blank >= classes {
        return Err(Error::invalid("blank", format!("expected a class index in 0..{classes} (C = {classes}), got {}", options.blank)));
    }
    if grad.len() != input.len() {
        return Err(Error::shape("grad", &[input.len()], &[grad.len()]));
    }
    let (plans, labels) = plan_items(targets, input_lengths, target_lengths, batch, frames, classes, options.blank)?;
    let (base_of, stride) = if options.batch_first { (frames * classes, classes) } else { (classes, batch * classes) };
    let grad_rows = GradRows::new(grad);
    let scale = |p: &ItemPlan| match options.reduction {
        Reduction::Mean => (1.0 / (batch as f64 * p.target_length.max(1) as f64)) as f32,
        Reduction::Sum | Reduction::None => 1.0,
    };
    let item_of = |b: usize| Item {
        input,
        grad: grad_rows,
        base: b * base_of,
        stride,
        classes,
        frames,
        plan: plans[b],
        labels: &labels[plans[b].start..plans[b].start + plans[b].target_length],
        blank: options.blank,
        scale: scale(&plans[b]),
        kind: options.input_kind,
    };
    let run_one = |b: usize, ws: &mut Workspace, split: bool| -> Outcome {
        let item = item_of(b);
        let p = item.plan;
        if !p.feasible() || p.input_length == 0 {
            // No alignment (loss inf), or no frames and no labels (loss 0): zero gradient.
            if !item.zero() {
                return Outcome::NonFinite;
            }
            return Outcome::LogLikelihood(if p.feasible() { 0.0 } else { f64::NEG_INFINITY });
        }
        item::run(&item, ws, split)
    };
    let work: usize = plans.iter().map(|p| p.input_length * (p.states() * 8 + classes)).sum();
    let outcomes: Vec<Outcome> = if work < PAR_MIN_WORK || parallel::num_threads() == 1 {
        let mut ws = Workspace::default();
        (0..batch).map(|b| run_one(b, &mut ws, false)).collect()
    } else {
        parallel::install(|| {
            let threads = parallel::current_threads();
            let split_items = batch < threads;
            (0..batch)
                .into_par_iter()
                .with_max_len(1)
                .map_init(Workspace::default, |ws, b| {
                    let p = &plans[b];
                    run_one(b, ws, split_items && p.input_length * p.states() >= SPLIT_MIN_CELLS)
                })
                .collect()
        })
    };
    if outcomes.iter().any(|o| matches!(o, Outcome::NonFinite)) {
        return Err(first_non_finite(input, &plans, frames, batch, classes, options.batch_first));
    }
    let mut losses = Vec::with_capacity(batch);
    let mut infeasible = Vec::new();
    let mut total = 0.0f64;
    for (b, (o, p)) in outcomes.iter().zip(&plans).enumerate() {
        if !p.feasible() {
            infeasible.push(p.infeasible(b));
        }
        let Outcome::LogLikelihood(log_p) = *o else { unreachable!("non-finite outcomes returned above") };
        let mut nll = -log_p;
        if options.zero_infinity && nll == f64::INFINITY {
            nll = 0.0;
        }
        losses.push(nll as f32);
        total += match options.reduction {
            Reduction::Mean => nll / p.target_length.max(1) as f64,
            Reduction::Sum | Reduction::None => nll,
        };
    }
    let loss = match options.reduction {
        Reduction::Mean => total / batch as f64,
        Reduction::Sum | Reduction::None => total,
    };
    Ok(CtcLossSummary { loss, losses, infeasible })
}

/// The error for the first non-finite value (in flat order) of the frames the items use.
fn first_non_finite(input: &[f32], plans: &[ItemPlan], frames: usize, batch: usize, classes: usize, batch_first: bool) -> Error {
    let used = |i: usize| {
        let (t, b) = if batch_first { ((i / classes) % frames, i / classes / frames) } else { (i / classes / batch, (i / classes) % batch) };
        t < plans[b].input_length
    };
    match input.iter().enumerate().position(|(i, v)| !v.is_finite() && used(i)) {
        Some(i) => Error::invalid("input", format!("expected finite values, found {} at flat index {i}", input[i])),
        None => Error::invalid("input", "expected finite values"),
    }
}

#[cfg(test)]
mod tests;
