//! Loss functions and the softmax kernels they build on. Every loss computes its value and its
//! gradient in one fused pass over the data (value and gradient never need two calls), works in
//! log space with max-subtraction where exponentials appear, checks finiteness inside the same
//! pass, and splits large inputs by rows over the one thread pool ([`crate::parallel`]).
//!
//! Conventions shared by the losses:
//! - [`Reduction`] follows PyTorch: `none` gives one value per item, `sum` their sum, `mean` their
//!   (weighted) mean. Empty inputs give what PyTorch gives: `sum` = 0, `mean` = NaN.
//! - The gradient is of the returned value: of the scalar for `sum`/`mean`; for `none`, of
//!   `Σᵢ gradOutputᵢ · lossᵢ` where `gradOutput` is the caller's upstream gradient (all ones when
//!   not given, i.e. the gradient of the sum of the per-item losses).
//! - Argument names in errors are the JavaScript ones (`logits`, `target`, `posWeight`, …).

pub mod bce;
pub mod ctc;
pub mod cross_entropy;
pub mod mse;
pub mod softmax;

pub use bce::{binary_cross_entropy_with_logits, BceOptions, BceOutput};
pub use cross_entropy::{cross_entropy, cross_entropy_into, CrossEntropyOptions, CrossEntropyOutput, CrossEntropySummary, CrossEntropyTarget};
pub use mse::mse_loss;
pub use softmax::{log_softmax, log_softmax_backward, sigmoid, softmax, softmax_backward};

use std::ops::Range;

use crate::error::{Error, Result};
use crate::parallel;

/// How per-item losses are combined (PyTorch's `reduction`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// One loss per item.
    None,
    /// The sum of the per-item losses.
    Sum,
    /// Their mean (weighted mean where the loss has weights; see each loss).
    #[default]
    Mean,
}

impl Reduction {
    /// Parses `'none' | 'sum' | 'mean'` (the error names `reduction`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Reduction::None),
            "sum" => Ok(Reduction::Sum),
            "mean" => Ok(Reduction::Mean),
            _ => Err(Error::invalid("reduction", format!("expected 'none', 'sum' or 'mean', got '{s}'"))),
        }
    }

    /// The name as PyTorch spells it.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Sum => "sum",
            Reduction::Mean => "mean",
        }
    }
}

/// A loss value: one scalar (`sum`, `mean`) or one value per item (`none`).
#[derive(Clone, Debug, PartialEq)]
pub enum LossValue {
    /// The reduced loss.
    Scalar(f32),
    /// Per-item losses (`reduction = none`), in the items' order.
    PerItem(Vec<f32>),
}

impl LossValue {
    /// The scalar, or `None` for per-item losses.
    pub fn scalar(&self) -> Option<f32> {
        match self {
            LossValue::Scalar(v) => Some(*v),
            LossValue::PerItem(_) => None,
        }
    }
}

/// A loss value and the gradient with respect to the prediction (shaped like it).
#[derive(Clone, Debug)]
pub struct LossOutput {
    /// The loss.
    pub loss: LossValue,
    /// d loss / d prediction.
    pub grad: Vec<f32>,
}

/// Below this many elements a kernel runs on the calling thread (pool hand-off costs more).
pub(crate) const PAR_MIN_ELEMENTS: usize = 1 << 15;

/// Runs `f(rows, grad_rows)` over consecutive row ranges covering `0..rows`, in parallel on the
/// pool for large inputs, and returns the per-range results in row order. `grad` is either
/// empty (no gradient wanted: every call gets an empty slice) or `rows · cols` long (each call
/// gets the rows of its range).
pub(crate) fn map_row_chunks<R: Send>(rows: usize, cols: usize, grad: &mut [f32], f: impl Fn(Range<usize>, &mut [f32]) -> R + Sync) -> Vec<R> {
    debug_assert!(grad.is_empty() || grad.len() == rows * cols);
    let work = rows.saturating_mul(cols.max(1));
    if work < PAR_MIN_ELEMENTS || rows < 2 {
        return vec![f(0..rows, grad)];
    }
    parallel::install(|| {
        // Two chunks per thread: rows cost the same, but the pool may be shared with other work.
        let chunks = (parallel::current_threads() * 2).min(rows).min(work / (PAR_MIN_ELEMENTS / 2)).max(1);
        if chunks == 1 {
            return vec![f(0..rows, grad)];
        }
        let mut parts: Vec<(Range<usize>, &mut [f32])> = Vec::with_capacity(chunks);
        let mut rest = grad;
        for k in 0..chunks {
            let (a, b) = parallel::split_range(rows, chunks, 1, k);
            let take = if rest.is_empty() { 0 } else { (b - a) * cols };
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(take);
            parts.push((a..b, head));
            rest = tail;
        }
        use rayon::prelude::*;
        parts.into_par_iter().with_max_len(1).map(|(r, g)| f(r, g)).collect()
    })
}

/// The error for a non-finite value at flat index `i` of argument `arg`.
pub(crate) fn non_finite(arg: &str, v: f32, i: usize) -> Error {
    Error::invalid(arg, format!("expected finite values, found {v} at flat index {i}"))
}

/// Checks that every value of `v` is finite (one vectorised pass; the position only on failure).
pub(crate) fn check_finite(arg: &str, v: &[f32]) -> Result<()> {
    if v.iter().fold(true, |ok, x| ok & x.is_finite()) {
        return Ok(());
    }
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(non_finite(arg, v[i], i)),
        None => Ok(()),
    }
}

/// Checks that `v` has `want` values; the error names `arg` with both counts as shapes.
pub(crate) fn check_len(arg: &str, v: &[f32], want: usize) -> Result<()> {
    if v.len() != want {
        return Err(Error::shape(arg, &[want], &[v.len()]));
    }
    Ok(())
}

/// An upstream gradient (`gradOutput`) is only meaningful with `reduction = none`; checks its
/// length (`items`) and finiteness.
pub(crate) fn check_grad_output(grad_output: Option<&[f32]>, reduction: Reduction, items: usize) -> Result<()> {
    if let Some(g) = grad_output {
        if reduction != Reduction::None {
            return Err(Error::invalid("gradOutput", format!("only valid with reduction 'none', got reduction '{}' (its gradient is of the scalar loss)", reduction.name())));
        }
        check_len("gradOutput", g, items)?;
        check_finite("gradOutput", g)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers of the gradient checks: a seeded random vector and central differences in f64.

    use crate::rng::Rng;

    /// `n` values ~ N(0, scale²) from `seed`.
    pub fn randn(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut v = vec![0.0f32; n];
        Rng::new(seed).fill_normal(&mut v);
        v.iter_mut().for_each(|x| *x *= scale);
        v
    }

    /// Compares `grad` with central differences of the scalar `f` around `x` (step `h`);
    /// panics naming the worst element when `|g − fd| > tol · max(1, |fd|)`.
    pub fn check_gradient(label: &str, x: &[f32], grad: &[f32], h: f32, tol: f64, f: impl Fn(&[f32]) -> f64) {
        assert_eq!(x.len(), grad.len(), "{label}: gradient length");
        let mut xp = x.to_vec();
        let mut worst = (0.0f64, 0usize, 0.0f64);
        for i in 0..x.len() {
            let orig = xp[i];
            xp[i] = orig + h;
            let up = f(&xp);
            xp[i] = orig - h;
            let down = f(&xp);
            xp[i] = orig;
            // The step actually taken in f32.
            let step = ((orig + h) as f64) - ((orig - h) as f64);
            let fd = (up - down) / step;
            let err = (grad[i] as f64 - fd).abs() / fd.abs().max(1.0);
            if err > worst.0 {
                worst = (err, i, fd);
            }
        }
        assert!(worst.0 <= tol, "{label}: gradient mismatch at {}: analytic {}, finite difference {} (rel err {})", worst.1, grad[worst.1], worst.2, worst.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_parse_names_the_argument() {
        assert_eq!(Reduction::parse("none").unwrap(), Reduction::None);
        assert_eq!(Reduction::parse("sum").unwrap(), Reduction::Sum);
        assert_eq!(Reduction::parse("mean").unwrap(), Reduction::Mean);
        let e = Reduction::parse("avg").unwrap_err().to_string();
        assert!(e.starts_with("reduction:") && e.contains("'avg'"), "{e}");
    }

    #[test]
    fn row_chunks_cover_rows_in_order() {
        for (rows, cols) in [(0usize, 5usize), (1, 100_000), (7, 3), (5000, 80), (300, 1000)] {
            let mut grad = vec![0.0f32; rows * cols];
            let got = map_row_chunks(rows, cols, &mut grad, |r, g| {
                assert_eq!(g.len(), r.len() * cols);
                g.iter_mut().enumerate().for_each(|(i, x)| *x = (r.start * cols + i) as f32);
                r
            });
            let mut next = 0;
            for r in got {
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, rows);
            assert!(grad.iter().enumerate().all(|(i, &x)| x == i as f32));
            // Without a gradient buffer every call gets an empty slice.
            let n: usize = map_row_chunks(rows, cols, &mut [], |r, g| {
                assert!(g.is_empty());
                r.len()
            })
            .into_iter()
            .sum();
            assert_eq!(n, rows);
        }
    }
}
