//! Binary cross-entropy from logits, exactly as `torch.nn.functional.binary_cross_entropy_with_logits`:
//!
//! `ℓ = w · ((1 − t) x − (1 + (p − 1) t) · log σ(x))`
//!
//! with target `t`, element weight `w` (default 1) and positive-class weight `p` (`pos_weight`,
//! default 1), in the stable form `−log σ(x) = max(−x, 0) + log1p(e^{−|x|})`: no overflow for any
//! finite logit. The gradient is `∂ℓ/∂x = w · ((1 − t) − (1 + (p − 1) t) · σ(−x))`. `mean`
//! divides by the number of elements (weights do not change the divisor, as in PyTorch).
//! Targets may be any finite values (PyTorch does not require [0, 1]; soft labels are normal).

use super::softmax::{exp_neg, lane_sum, poison, rows_of, LANES};
use super::{check_finite, check_grad_output, map_row_chunks, non_finite, LossValue, Reduction};
use crate::error::{Error, Result};

/// Options of [`binary_cross_entropy_with_logits`] (PyTorch's defaults via `Default`).
#[derive(Clone, Copy, Debug, Default)]
pub struct BceOptions<'a> {
    /// Element weights: `[cols]` (broadcast over the rows) or one per element (default: all 1).
    pub weight: Option<&'a [f32]>,
    /// Weight of the positive term per class, `[cols]` (default: all 1).
    pub pos_weight: Option<&'a [f32]>,
    /// Reduction (default `mean`).
    pub reduction: Reduction,
    /// Upstream gradient per element, with `reduction = none` only (default: all 1).
    pub grad_output: Option<&'a [f32]>,
}

/// Result of [`binary_cross_entropy_with_logits`].
#[derive(Clone, Debug)]
pub struct BceOutput {
    /// The reduced loss, or one loss per element for `reduction = none`.
    pub loss: LossValue,
    /// d loss / d logits.
    pub grad: Vec<f32>,
    /// Elements whose prediction is right: `logit > 0` (probability > 0.5) equals `target > 0.5`.
    pub correct: usize,
}

/// `ln(1 + u)` for `u` in [0, 1]: the Cephes `logf` polynomial on `1 + u` plus the rounding
/// correction of `1 + u`, vectorisable (no libm call). Max abs error ≈ 1e-7 (tested below).
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes coefficients, as published.
fn ln_1p_unit(u: f32) -> f32 {
    const SQRT2: f32 = std::f32::consts::SQRT_2;
    let y = 1.0 + u;
    // y − 1 is exact, so this is the part of u lost in rounding 1 + u (over y: d ln y = dy / y).
    let c = (u - (y - 1.0)) / y;
    let big = y > SQRT2;
    let m = if big { y * 0.5 } else { y };
    let e = if big { 1.0f32 } else { 0.0 };
    let f = m - 1.0; // in [√½ − 1, √2 − 1]
    let z = f * f;
    let mut p = 7.037_683_6e-2_f32;
    p = p * f - 1.151_461_0e-1;
    p = p * f + 1.167_699_9e-1;
    p = p * f - 1.242_014_1e-1;
    p = p * f + 1.424_932_3e-1;
    p = p * f - 1.666_805_8e-1;
    p = p * f + 2.000_071_5e-1;
    p = p * f - 2.499_999_4e-1;
    p = p * f + 3.333_333_1e-1;
    let mut r = f * z * p;
    r += e * -2.121_944_4e-4;
    r += -0.5 * z;
    f + r + e * 0.693_359_4 + c
}

/// Elements per block: partial sums in f32 lanes stay short before they go to f64, and small
/// last dimensions get broadcast operands tiled to this length.
const BLOCK: usize = 1024;

/// Sums of one chunk.
struct ChunkSums {
    loss: f64,
    correct: usize,
    /// First block (in the chunk) with a non-finite logit or target, or `usize::MAX`.
    bad_block: usize,
}

/// Loss and (unscaled) gradient of one element: logit `x`, target `t`, positive weight `p`, weight `w`.
#[inline(always)]
fn element(x: f32, t: f32, p: f32, w: f32) -> (f32, f32) {
    let u = exp_neg(-x.abs());
    let inv = 1.0 / (1.0 + u);
    let sig_neg = if x >= 0.0 { u * inv } else { inv }; // σ(−x)
    let lw = 1.0 + (p - 1.0) * t;
    let neg = if x < 0.0 { -x } else { 0.0 };
    (w * ((1.0 - t) * x + lw * (neg + ln_1p_unit(u))), w * ((1.0 - t) - lw * sig_neg))
}

/// One block: all slices have the block's length except `go`/`losses`, which are empty when not
/// used. Returns the block's loss sum, its right predictions and whether logits and targets
/// were all finite.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn block<const GO: bool, const PER: bool>(x: &[f32], t: &[f32], pw: &[f32], w: &[f32], go: &[f32], s: f32, grad: &mut [f32], losses: &mut [f32]) -> (f64, usize, bool) {
    let mut acc = [0.0f32; LANES];
    let mut right = [0u32; LANES];
    let mut chk = [0.0f32; LANES];
    let n = x.len();
    let (t, pw, w, grad) = (&t[..n], &pw[..n], &w[..n], &mut grad[..n]);
    let go = if GO { &go[..n] } else { go };
    let losses = if PER { &mut losses[..n] } else { losses };
    let mut one = |i: usize, l: usize| {
        let (xi, ti) = (x[i], t[i]);
        let (loss, g) = element(xi, ti, pw[i], w[i]);
        grad[i] = if GO { g * s * go[i] } else { g * s };
        if PER {
            losses[i] = loss;
        }
        acc[l] += loss;
        right[l] += u32::from((xi > 0.0) == (ti > 0.5));
        chk[l] += poison(xi) + poison(ti);
    };
    let full = n - n % LANES;
    for i0 in (0..full).step_by(LANES) {
        for l in 0..LANES {
            one(i0 + l, l);
        }
    }
    for i in full..n {
        one(i, i - full);
    }
    (lane_sum(&acc), right.iter().map(|&r| r as usize).sum(), chk.iter().sum::<f32>() == 0.0)
}

crate::dispatch! {
    fn bce_chunk(x: &[f32], t: &[f32], pw_tile: &[f32], w: &[f32], w_full: bool, go: &[f32], s: f32, grad: &mut [f32], losses: &mut [f32], tile: usize, st: &mut ChunkSums) {
        for (b, start) in (0..x.len()).step_by(tile).enumerate() {
            let end = (start + tile).min(x.len());
            let wb = if w_full { &w[start..end] } else { &w[..end - start] };
            let (xb, tb, gb) = (&x[start..end], &t[start..end], &mut grad[start..end]);
            let (l, right, ok) = match (go.is_empty(), losses.is_empty()) {
                (true, true) => block::<false, false>(xb, tb, pw_tile, wb, go, s, gb, losses),
                (true, false) => block::<false, true>(xb, tb, pw_tile, wb, go, s, gb, &mut losses[start..end]),
                (false, true) => block::<true, false>(xb, tb, pw_tile, wb, &go[start..end], s, gb, losses),
                (false, false) => block::<true, true>(xb, tb, pw_tile, wb, &go[start..end], s, gb, &mut losses[start..end]),
            };
            if !ok {
                st.bad_block = b;
                return;
            }
            st.loss += l;
            st.correct += right;
        }
    }
}

/// `v` (length `cols`, or all 1 when `None`) repeated `reps` times.
fn tiled(v: Option<&[f32]>, cols: usize, reps: usize) -> Vec<f32> {
    match v {
        Some(v) => v.iter().copied().cycle().take(cols * reps).collect(),
        None => vec![1.0; cols * reps],
    }
}

/// Binary cross-entropy of `logits` against `target` (same length), with its gradient; `cols` is
/// the size of the last dimension (what `pos_weight` and a per-class `weight` broadcast over).
///
/// Errors name the argument: `logits` (not whole rows of `cols`; NaN/Inf with flat index),
/// `target` (length; NaN/Inf), `weight` (length neither `cols` nor the element count; NaN/Inf),
/// `posWeight` (length ≠ `cols`; NaN/Inf), `gradOutput` (length, NaN/Inf, or without `none`).
pub fn binary_cross_entropy_with_logits(logits: &[f32], target: &[f32], cols: usize, opts: &BceOptions<'_>) -> Result<BceOutput> {
    let n = logits.len();
    let rows = rows_of("logits", n, cols)?;
    if target.len() != n {
        return Err(Error::invalid("target", format!("expected {n} values (the logits' size), got {}", target.len())));
    }
    if let Some(p) = opts.pos_weight {
        if p.len() != cols {
            return Err(Error::shape("posWeight", &[cols], &[p.len()]));
        }
        check_finite("posWeight", p)?;
    }
    let w_full = match opts.weight {
        Some(w) if w.len() == n => true,
        Some(w) if w.len() == cols => false,
        Some(w) => return Err(Error::invalid("weight", format!("expected {cols} values (one per class, broadcast over rows) or {n} (one per element), got {}", w.len()))),
        None => false,
    };
    if let Some(w) = opts.weight {
        check_finite("weight", w)?;
    }
    check_grad_output(opts.grad_output, opts.reduction, n)?;
    let per_item = opts.reduction == Reduction::None;
    let s = if opts.reduction == Reduction::Mean { 1.0 / n as f32 } else { 1.0 };
    // Tiles of whole rows, about BLOCK elements long.
    let reps = (BLOCK / cols).max(1);
    let tile = reps * cols;
    let pw_tile = tiled(opts.pos_weight, cols, reps);
    let w_tile;
    let w: &[f32] = match opts.weight {
        Some(w) if w_full => w,
        other => {
            w_tile = tiled(other, cols, reps);
            &w_tile
        }
    };
    let go = opts.grad_output.unwrap_or(&[]);
    let mut grad = vec![0.0f32; n];
    let chunks = map_row_chunks(rows, cols, &mut grad, |r, g| {
        let span = r.start * cols..r.end * cols;
        let mut st = ChunkSums { loss: 0.0, correct: 0, bad_block: usize::MAX };
        let mut losses = vec![0.0f32; if per_item { span.len() } else { 0 }];
        let wc = if w_full { &w[span.clone()] } else { w };
        let goc = if go.is_empty() { go } else { &go[span.clone()] };
        bce_chunk(&logits[span.clone()], &target[span.clone()], &pw_tile, wc, w_full, goc, s, g, &mut losses, tile, &mut st);
        (span.start, st, losses)
    });
    let mut total = 0.0f64;
    let mut correct = 0usize;
    let mut per = Vec::with_capacity(if per_item { n } else { 0 });
    for (start, st, losses) in chunks {
        if st.bad_block != usize::MAX {
            let a = start + st.bad_block * tile;
            let b = (a + tile).min(n);
            let i = (a..b).find(|&i| !(logits[i].is_finite() && target[i].is_finite())).unwrap_or(a);
            return Err(if logits[i].is_finite() { non_finite("target", target[i], i) } else { non_finite("logits", logits[i], i) });
        }
        total += st.loss;
        correct += st.correct;
        per.extend_from_slice(&losses);
    }
    let loss = match opts.reduction {
        Reduction::None => LossValue::PerItem(per),
        Reduction::Sum => LossValue::Scalar(total as f32),
        Reduction::Mean => LossValue::Scalar((total / n as f64) as f32),
    };
    Ok(BceOutput { loss, grad, correct })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_gradient, randn};
    use super::*;

    /// PyTorch's formula in f64 (log σ via the stable softplus).
    fn reference(x: &[f32], t: &[f32], cols: usize, o: &BceOptions<'_>) -> Vec<f64> {
        x.iter()
            .zip(t)
            .enumerate()
            .map(|(i, (&x, &t))| {
                let (x, t) = (x as f64, t as f64);
                let p = o.pos_weight.map_or(1.0, |p| p[i % cols] as f64);
                let w = o.weight.map_or(1.0, |w| w[if w.len() == cols { i % cols } else { i }] as f64);
                let log_sig = -((-x).max(0.0) + (-x.abs()).exp().ln_1p());
                w * ((1.0 - t) * x - (1.0 + (p - 1.0) * t) * log_sig)
            })
            .collect()
    }

    fn objective(x: &[f32], t: &[f32], cols: usize, o: &BceOptions<'_>) -> f64 {
        let per = reference(x, t, cols, o);
        match o.reduction {
            Reduction::Sum => per.iter().sum(),
            Reduction::Mean => per.iter().sum::<f64>() / per.len() as f64,
            Reduction::None => per.iter().enumerate().map(|(i, l)| l * o.grad_output.map_or(1.0, |g| g[i] as f64)).sum(),
        }
    }

    #[test]
    fn ln_1p_unit_error_bound() {
        let mut worst = 0.0f64;
        let mut u = 0.0f32;
        while u <= 1.0 {
            worst = worst.max((ln_1p_unit(u) as f64 - (u as f64).ln_1p()).abs());
            u += 1.0 / 65536.0;
        }
        for u in [1e-30f32, 1e-10, 3e-8, 1e-7, 1.0] {
            let rel = (ln_1p_unit(u) as f64 - (u as f64).ln_1p()).abs() / (u as f64).ln_1p();
            assert!(rel < 3e-7, "relative error {rel} at {u}");
        }
        assert!(worst < 1.2e-7, "ln_1p_unit max abs error {worst}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (rows, cols) = (5usize, 7usize);
        let x = randn(rows * cols, 1, 3.0);
        let t: Vec<f32> = randn(rows * cols, 2, 1.0).iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect();
        let pw: Vec<f32> = (0..cols).map(|k| 0.5 + 0.4 * k as f32).collect();
        let wc: Vec<f32> = (0..cols).map(|k| 1.5 - 0.1 * k as f32).collect();
        let wf = randn(rows * cols, 3, 1.0);
        let go = randn(rows * cols, 4, 1.0);
        for red in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            for pos_weight in [None, Some(&pw[..])] {
                for weight in [None, Some(&wc[..]), Some(&wf[..])] {
                    for grad_output in [None, Some(&go[..])] {
                        if grad_output.is_some() && red != Reduction::None {
                            continue;
                        }
                        let o = BceOptions { weight, pos_weight, reduction: red, grad_output };
                        let out = binary_cross_entropy_with_logits(&x, &t, cols, &o).unwrap();
                        let per = reference(&x, &t, cols, &o);
                        let label = format!("{red:?} pw={} w={:?} go={}", pos_weight.is_some(), weight.map(|w| w.len()), grad_output.is_some());
                        match &out.loss {
                            LossValue::PerItem(v) => v.iter().zip(&per).for_each(|(a, b)| assert!((*a as f64 - b).abs() < 1e-5 * b.abs().max(1.0), "{label}")),
                            LossValue::Scalar(v) => {
                                let want = objective(&x, &t, cols, &o);
                                assert!((*v as f64 - want).abs() < 1e-5 * want.abs().max(1.0), "{label}: {v} vs {want}");
                            }
                        }
                        check_gradient(&label, &x, &out.grad, 1e-2, 5e-4, |xx| objective(xx, &t, cols, &o));
                    }
                }
            }
        }
    }

    #[test]
    fn extreme_logits_are_finite_and_exact() {
        let x = [1e30f32, -1e30, 100.0, -100.0, 0.0];
        let t = [0.0f32, 1.0, 1.0, 0.0, 0.5];
        let o = BceOptions { reduction: Reduction::None, ..Default::default() };
        let out = binary_cross_entropy_with_logits(&x, &t, 5, &o).unwrap();
        let LossValue::PerItem(l) = &out.loss else { panic!() };
        assert_eq!(l[0], 1e30);
        assert_eq!(l[1], 1e30);
        assert!(l[2] < 1e-30 && l[3] < 1e-30 && l[2] >= 0.0);
        assert!((l[4] - std::f32::consts::LN_2).abs() < 1e-7);
        assert_eq!(&out.grad[..4], &[1.0, -1.0, 0.0, 0.0]);
        // Right when (x > 0) == (t > 0.5): elements 2, 3 and 4.
        assert_eq!(out.correct, 3);
    }

    #[test]
    fn small_last_dimension_and_threads_agree_with_row_by_row() {
        // cols = 3 (tiled broadcasts) over many rows: same values as one row at a time.
        let (rows, cols) = (20000usize, 3usize);
        let x = randn(rows * cols, 5, 2.0);
        let t: Vec<f32> = (0..rows * cols).map(|i| (i % 2) as f32).collect();
        let pw = [0.5f32, 2.0, 3.0];
        let o = BceOptions { pos_weight: Some(&pw), weight: Some(&[1.0, 0.5, 2.0]), reduction: Reduction::None, ..Default::default() };
        let all = binary_cross_entropy_with_logits(&x, &t, cols, &o).unwrap();
        let LossValue::PerItem(l) = &all.loss else { panic!() };
        for r in [0usize, 341, 9999, 19999] {
            let span = r * cols..(r + 1) * cols;
            let one = binary_cross_entropy_with_logits(&x[span.clone()], &t[span.clone()], cols, &o).unwrap();
            assert_eq!(one.loss, LossValue::PerItem(l[span.clone()].to_vec()));
            assert_eq!(&one.grad[..], &all.grad[span]);
        }
        let mean = binary_cross_entropy_with_logits(&x, &t, cols, &BceOptions { reduction: Reduction::Mean, ..o }).unwrap();
        let want = l.iter().map(|&v| v as f64).sum::<f64>() / l.len() as f64;
        assert!((mean.loss.scalar().unwrap() as f64 - want).abs() < 1e-6 * want);
    }

    #[test]
    fn errors_name_the_argument() {
        let x = [0.0f32; 6];
        let t = [0.0f32; 6];
        let d = BceOptions::default();
        let err = |r: Result<BceOutput>| r.unwrap_err().to_string();
        assert!(err(binary_cross_entropy_with_logits(&x, &t[..5], 3, &d)).starts_with("target:"));
        assert!(err(binary_cross_entropy_with_logits(&x, &t, 4, &d)).starts_with("logits:"));
        let e = err(binary_cross_entropy_with_logits(&[0.0, 1.0, f32::NAN, 0.0], &[0.0; 4], 2, &d));
        assert!(e.starts_with("logits:") && e.contains("index 2"), "{e}");
        let e = err(binary_cross_entropy_with_logits(&[0.0; 4], &[0.0, 1.0, 1.0, f32::INFINITY], 2, &d));
        assert!(e.starts_with("target:") && e.contains("index 3"), "{e}");
        let o = BceOptions { pos_weight: Some(&[1.0, 2.0]), ..d };
        assert!(err(binary_cross_entropy_with_logits(&x, &t, 3, &o)).starts_with("posWeight:"));
        let o = BceOptions { pos_weight: Some(&[1.0, f32::NAN, 2.0]), ..d };
        assert!(err(binary_cross_entropy_with_logits(&x, &t, 3, &o)).starts_with("posWeight:"));
        let o = BceOptions { weight: Some(&[1.0, 2.0]), ..d };
        assert!(err(binary_cross_entropy_with_logits(&x, &t, 3, &o)).starts_with("weight:"));
        let o = BceOptions { grad_output: Some(&[1.0; 6]), ..d };
        assert!(err(binary_cross_entropy_with_logits(&x, &t, 3, &o)).starts_with("gradOutput:"));
    }
}
