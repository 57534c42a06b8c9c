//! Row softmax and log-softmax over the last dimension (forward and backward), with a
//! temperature: `softmax(z / T)`, the form sampling uses. Log space with max-subtraction: every
//! exponent is ≤ 0, so extreme logits (±1e30) give exact 0/1 probabilities, never NaN or Inf.
//! The exponential is [`crate::activation::exp`] (vectorised; relative error < 4e-7, tested
//! there). The row helpers (`pub(crate)`) are shared with the cross-entropy kernel; they keep 16
//! independent accumulators so LLVM vectorises the reductions without reassociating floats.

use super::{map_row_chunks, non_finite};
use crate::activation::exp;
use crate::error::{Error, Result};

/// Independent accumulators of the row reductions (one AVX-512 register, two AVX2 ones).
pub(crate) const LANES: usize = 16;

/// `e^x` for `x ≤ 0` (max-subtracted exponents): [`exp`], with exact 0 below −87 where `exp`
/// clamps (the true value, < 1.7e-38, is below f32's normal range anyway).
#[inline(always)]
pub(crate) fn exp_neg(x: f32) -> f32 {
    let v = exp(x);
    if x < -87.0 {
        0.0
    } else {
        v
    }
}

/// 0 for a finite `x`, NaN for ±inf and NaN: summed over a row, a NaN anywhere makes the sum NaN
/// (a finiteness check that vectorises with the pass it rides on).
#[inline(always)]
pub(crate) fn poison(x: f32) -> f32 {
    x * 0.0
}

/// Sums the lanes (in f64: the lanes already hold partial sums of up to `len / 16` values).
#[inline(always)]
pub(crate) fn lane_sum(a: &[f32; LANES]) -> f64 {
    a.iter().map(|&x| x as f64).sum()
}

/// The largest value of `z` and whether all values are finite, in one pass. `-inf` for an empty row.
#[inline(always)]
pub(crate) fn max_finite(z: &[f32]) -> (f32, bool) {
    let mut m = [f32::NEG_INFINITY; LANES];
    let mut chk = [0.0f32; LANES];
    let mut it = z.chunks_exact(LANES);
    for c in &mut it {
        for l in 0..LANES {
            let x = c[l];
            m[l] = if x > m[l] { x } else { m[l] };
            chk[l] += poison(x);
        }
    }
    for (l, &x) in it.remainder().iter().enumerate() {
        m[l] = if x > m[l] { x } else { m[l] };
        chk[l] += poison(x);
    }
    let mx = m.iter().fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
    (mx, chk.iter().sum::<f32>() == 0.0)
}

/// `e[c] = exp((z[c] − m) · inv_t)`; returns `Σ e` (the row's partition function).
#[inline(always)]
pub(crate) fn exp_store_sum(z: &[f32], m: f32, inv_t: f32, e: &mut [f32]) -> f64 {
    let mut s = [0.0f32; LANES];
    let mut zi = z.chunks_exact(LANES);
    let mut ei = e.chunks_exact_mut(LANES);
    for (zc, ec) in (&mut zi).zip(&mut ei) {
        for l in 0..LANES {
            let v = exp_neg((zc[l] - m) * inv_t);
            ec[l] = v;
            s[l] += v;
        }
    }
    for (l, (&x, o)) in zi.remainder().iter().zip(ei.into_remainder()).enumerate() {
        let v = exp_neg((x - m) * inv_t);
        *o = v;
        s[l] += v;
    }
    lane_sum(&s)
}

/// `Σ exp((z − m) · inv_t)` without storing the terms.
#[inline(always)]
pub(crate) fn exp_sum(z: &[f32], m: f32, inv_t: f32) -> f64 {
    let mut s = [0.0f32; LANES];
    let mut zi = z.chunks_exact(LANES);
    for zc in &mut zi {
        for l in 0..LANES {
            s[l] += exp_neg((zc[l] - m) * inv_t);
        }
    }
    for (l, &x) in zi.remainder().iter().enumerate() {
        s[l] += exp_neg((x - m) * inv_t);
    }
    lane_sum(&s)
}

/// `v[c] *= k` for every `c`.
#[inline(always)]
pub(crate) fn scale(v: &mut [f32], k: f32) {
    for x in v.iter_mut() {
        *x *= k;
    }
}

/// The error for the first non-finite value of `rows` (a row known to hold one), at its flat
/// index in the whole tensor (`offset` = the row's first flat index).
pub(crate) fn first_non_finite(arg: &str, row: &[f32], offset: usize) -> Error {
    let i = row.iter().position(|x| !x.is_finite()).unwrap_or(0);
    non_finite(arg, row.get(i).copied().unwrap_or(f32::NAN), offset + i)
}

/// Checks `cols ≥ 1` and `len = rows · cols`; returns `rows`.
pub(crate) fn rows_of(arg: &str, len: usize, cols: usize) -> Result<usize> {
    if cols == 0 {
        return Err(Error::invalid(arg, "expected a last dimension (classes) of at least 1, got 0"));
    }
    if !len.is_multiple_of(cols) {
        return Err(Error::invalid(arg, format!("{len} values are not a whole number of rows of {cols}")));
    }
    Ok(len / cols)
}

fn inv_temperature(t: f32) -> Result<f32> {
    if !(t.is_finite() && t > 0.0) {
        return Err(Error::invalid("temperature", format!("expected a finite value > 0, got {t}")));
    }
    Ok(1.0 / t)
}

/// Runs a row kernel over all rows (in parallel for large inputs); each kernel call reports the
/// first row of its range with a non-finite value (relative to the range) or `usize::MAX`.
/// Returns the absolute first bad row, if any.
fn run_rows(rows: usize, cols: usize, out: &mut [f32], kernel: impl Fn(std::ops::Range<usize>, &mut [f32], &mut usize) + Sync) -> Option<usize> {
    map_row_chunks(rows, cols, out, |r, o| {
        let mut bad = usize::MAX;
        kernel(r.clone(), o, &mut bad);
        (bad != usize::MAX).then(|| r.start + bad)
    })
    .into_iter()
    .flatten()
    .next()
}

crate::dispatch! {
    fn softmax_rows(z: &[f32], cols: usize, inv_t: f32, out: &mut [f32], bad: &mut usize) {
        for (r, (zr, or)) in z.chunks_exact(cols).zip(out.chunks_exact_mut(cols)).enumerate() {
            let (m, ok) = max_finite(zr);
            if !ok {
                *bad = r;
                return;
            }
            let s = exp_store_sum(zr, m, inv_t, or);
            scale(or, (1.0 / s) as f32);
        }
    }
}

crate::dispatch! {
    fn log_softmax_rows(z: &[f32], cols: usize, inv_t: f32, out: &mut [f32], bad: &mut usize) {
        for (r, (zr, or)) in z.chunks_exact(cols).zip(out.chunks_exact_mut(cols)).enumerate() {
            let (m, ok) = max_finite(zr);
            if !ok {
                *bad = r;
                return;
            }
            let lse = exp_sum(zr, m, inv_t).ln() as f32;
            for (o, &x) in or.iter_mut().zip(zr) {
                *o = (x - m) * inv_t - lse;
            }
        }
    }
}

crate::dispatch! {
    fn softmax_backward_rows(y: &[f32], g: &[f32], cols: usize, inv_t: f32, out: &mut [f32], bad: &mut usize) {
        for (r, ((yr, gr), or)) in y.chunks_exact(cols).zip(g.chunks_exact(cols)).zip(out.chunks_exact_mut(cols)).enumerate() {
            let mut dot = [0.0f32; LANES];
            let mut chk = [0.0f32; LANES];
            let mut yi = yr.chunks_exact(LANES);
            let mut gi = gr.chunks_exact(LANES);
            for (yc, gc) in (&mut yi).zip(&mut gi) {
                for l in 0..LANES {
                    dot[l] += yc[l] * gc[l];
                    chk[l] += poison(yc[l]) + poison(gc[l]);
                }
            }
            for (l, (&a, &b)) in yi.remainder().iter().zip(gi.remainder()).enumerate() {
                dot[l] += a * b;
                chk[l] += poison(a) + poison(b);
            }
            if chk.iter().sum::<f32>() != 0.0 {
                *bad = r;
                return;
            }
            let d = lane_sum(&dot) as f32;
            for ((o, &a), &b) in or.iter_mut().zip(yr).zip(gr) {
                *o = a * (b - d) * inv_t;
            }
        }
    }
}

crate::dispatch! {
    fn log_softmax_backward_rows(ly: &[f32], g: &[f32], cols: usize, inv_t: f32, out: &mut [f32], bad: &mut usize) {
        for (r, ((yr, gr), or)) in ly.chunks_exact(cols).zip(g.chunks_exact(cols)).zip(out.chunks_exact_mut(cols)).enumerate() {
            let mut sum = [0.0f32; LANES];
            let mut chk = [0.0f32; LANES];
            let mut yi = yr.chunks_exact(LANES);
            let mut gi = gr.chunks_exact(LANES);
            for (yc, gc) in (&mut yi).zip(&mut gi) {
                for l in 0..LANES {
                    sum[l] += gc[l];
                    chk[l] += poison(yc[l]) + poison(gc[l]);
                }
            }
            for (l, (&a, &b)) in yi.remainder().iter().zip(gi.remainder()).enumerate() {
                sum[l] += b;
                chk[l] += poison(a) + poison(b);
            }
            if chk.iter().sum::<f32>() != 0.0 {
                *bad = r;
                return;
            }
            let s = lane_sum(&sum) as f32;
            for ((o, &a), &b) in or.iter_mut().zip(yr).zip(gr) {
                *o = (b - exp_neg(a) * s) * inv_t;
            }
        }
    }
}

/// `softmax(logits / temperature)` over rows of `cols` values. Errors name `logits` (a
/// non-finite value, with its flat index) and `temperature` (must be finite and > 0).
pub fn softmax(logits: &[f32], cols: usize, temperature: f32) -> Result<Vec<f32>> {
    let rows = rows_of("logits", logits.len(), cols)?;
    let inv_t = inv_temperature(temperature)?;
    let mut out = vec![0.0f32; logits.len()];
    let bad = run_rows(rows, cols, &mut out, |r, o, bad| softmax_rows(&logits[r.start * cols..r.end * cols], cols, inv_t, o, bad));
    match bad {
        Some(r) => Err(first_non_finite("logits", &logits[r * cols..(r + 1) * cols], r * cols)),
        None => Ok(out),
    }
}

/// `log_softmax(logits / temperature)` over rows of `cols` values (same checks as [`softmax`]).
pub fn log_softmax(logits: &[f32], cols: usize, temperature: f32) -> Result<Vec<f32>> {
    let rows = rows_of("logits", logits.len(), cols)?;
    let inv_t = inv_temperature(temperature)?;
    let mut out = vec![0.0f32; logits.len()];
    let bad = run_rows(rows, cols, &mut out, |r, o, bad| log_softmax_rows(&logits[r.start * cols..r.end * cols], cols, inv_t, o, bad));
    match bad {
        Some(r) => Err(first_non_finite("logits", &logits[r * cols..(r + 1) * cols], r * cols)),
        None => Ok(out),
    }
}

fn check_pair(output: &[f32], grad_output: &[f32], cols: usize) -> Result<usize> {
    let rows = rows_of("output", output.len(), cols)?;
    if grad_output.len() != output.len() {
        return Err(Error::invalid("gradOutput", format!("expected {} values (the output's size), got {}", output.len(), grad_output.len())));
    }
    Ok(rows)
}

fn pair_error(output: &[f32], grad_output: &[f32], cols: usize, r: usize) -> Error {
    let span = r * cols..(r + 1) * cols;
    if output[span.clone()].iter().all(|x| x.is_finite()) {
        first_non_finite("gradOutput", &grad_output[span], r * cols)
    } else {
        first_non_finite("output", &output[span], r * cols)
    }
}

/// The logistic sigmoid of every value (probabilities of one-logit binary outputs), with
/// [`crate::activation::sigmoid`] (abs error ≤ 2e-7). Errors name `logits` (NaN/Inf, flat index).
pub fn sigmoid(logits: &[f32]) -> Result<Vec<f32>> {
    super::check_finite("logits", logits)?;
    let mut out = logits.to_vec();
    crate::activation::sigmoid_inplace(&mut out);
    Ok(out)
}

/// Gradient of the logits from the softmax `output` `y` and its gradient `g`:
/// `dz = y ⊙ (g − Σ g·y) / temperature`, per row.
pub fn softmax_backward(output: &[f32], grad_output: &[f32], cols: usize, temperature: f32) -> Result<Vec<f32>> {
    let rows = check_pair(output, grad_output, cols)?;
    let inv_t = inv_temperature(temperature)?;
    let mut out = vec![0.0f32; output.len()];
    let bad = run_rows(rows, cols, &mut out, |r, o, bad| {
        let span = r.start * cols..r.end * cols;
        softmax_backward_rows(&output[span.clone()], &grad_output[span], cols, inv_t, o, bad)
    });
    match bad {
        Some(r) => Err(pair_error(output, grad_output, cols, r)),
        None => Ok(out),
    }
}

/// Gradient of the logits from the log-softmax `output` `ℓ` and its gradient `g`:
/// `dz = (g − exp(ℓ) · Σ g) / temperature`, per row.
pub fn log_softmax_backward(output: &[f32], grad_output: &[f32], cols: usize, temperature: f32) -> Result<Vec<f32>> {
    let rows = check_pair(output, grad_output, cols)?;
    let inv_t = inv_temperature(temperature)?;
    let mut out = vec![0.0f32; output.len()];
    let bad = run_rows(rows, cols, &mut out, |r, o, bad| {
        let span = r.start * cols..r.end * cols;
        log_softmax_backward_rows(&output[span.clone()], &grad_output[span], cols, inv_t, o, bad)
    });
    match bad {
        Some(r) => Err(pair_error(output, grad_output, cols, r)),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_gradient, randn};
    use super::*;

    fn ref_log_softmax(z: &[f32], cols: usize, t: f64) -> Vec<f64> {
        z.chunks(cols)
            .flat_map(|r| {
                let m = r.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64 / t));
                let lse = r.iter().map(|&x| (x as f64 / t - m).exp()).sum::<f64>().ln() + m;
                r.iter().map(move |&x| x as f64 / t - lse).collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn forward_matches_f64_reference() {
        for (rows, cols, t) in [(3usize, 5usize, 1.0f32), (4, 37, 0.5), (2, 100, 2.5), (3000, 40, 1.0)] {
            let z = randn(rows * cols, 11 + cols as u64, 3.0);
            let r = ref_log_softmax(&z, cols, t as f64);
            let ls = log_softmax(&z, cols, t).unwrap();
            let sm = softmax(&z, cols, t).unwrap();
            for i in 0..z.len() {
                assert!((ls[i] as f64 - r[i]).abs() < 2e-6 * r[i].abs().max(1.0), "log_softmax[{i}] {} vs {}", ls[i], r[i]);
                assert!((sm[i] as f64 - r[i].exp()).abs() < 1e-6, "softmax[{i}]");
            }
        }
    }

    #[test]
    fn extreme_logits_give_no_nan() {
        let z = [1e30f32, -1e30, 0.0, 88.0, -88.0, 3.4e38, -3.4e38, 1.0];
        let sm = softmax(&z, 4, 1.0).unwrap();
        assert_eq!(&sm[..4], &[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(sm[5], 1.0);
        let ls = log_softmax(&z, 4, 1.0).unwrap();
        assert!(ls.iter().all(|x| !x.is_nan()));
        assert_eq!(ls[0], 0.0);
        assert_eq!(ls[1], -2e30);
        // Tiny temperatures are argmax in the limit.
        let hot = softmax(&[1.0, 2.0, 1.999], 3, 1e-6).unwrap();
        assert_eq!(hot, vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn errors_name_the_argument_and_index() {
        let e = softmax(&[0.0, 1.0, f32::NAN, 2.0], 2, 1.0).unwrap_err().to_string();
        assert!(e.starts_with("logits:") && e.contains("NaN") && e.contains("index 2"), "{e}");
        let e = log_softmax(&[0.0, f32::INFINITY], 2, 1.0).unwrap_err().to_string();
        assert!(e.starts_with("logits:") && e.contains("inf") && e.contains("index 1"), "{e}");
        assert!(softmax(&[0.0; 4], 2, 0.0).unwrap_err().to_string().starts_with("temperature:"));
        assert!(softmax(&[0.0; 4], 2, f32::NAN).unwrap_err().to_string().starts_with("temperature:"));
        assert!(softmax(&[0.0; 5], 2, 1.0).unwrap_err().to_string().starts_with("logits:"));
        assert!(softmax(&[], 0, 1.0).unwrap_err().to_string().starts_with("logits:"));
        let e = softmax_backward(&[0.5, 0.5], &[1.0, f32::NAN], 2, 1.0).unwrap_err().to_string();
        assert!(e.starts_with("gradOutput:") && e.contains("index 1"), "{e}");
        let e = log_softmax_backward(&[0.5, 0.5], &[1.0], 2, 1.0).unwrap_err().to_string();
        assert!(e.starts_with("gradOutput:"), "{e}");
        // The first bad row is reported, also when the work is split over threads.
        let mut big = randn(4000 * 30, 5, 1.0);
        big[2500 * 30 + 7] = f32::NEG_INFINITY;
        big[3900 * 30] = f32::NAN;
        let e = softmax(&big, 30, 1.0).unwrap_err().to_string();
        assert!(e.contains(&format!("index {}", 2500 * 30 + 7)), "{e}");
    }

    /// Finite differences of `L = Σ gᵢ · f(z)ᵢ` against the backward functions, in f64.
    #[test]
    fn backward_matches_finite_differences() {
        for (rows, cols, t) in [(2usize, 5usize, 1.0f32), (3, 17, 0.7), (1, 33, 3.0)] {
            let z = randn(rows * cols, 3 + cols as u64, 1.5);
            let g = randn(rows * cols, 99, 1.0);
            let y = softmax(&z, cols, t).unwrap();
            let dz = softmax_backward(&y, &g, cols, t).unwrap();
            let f = |z: &[f32]| -> f64 { ref_log_softmax(z, cols, t as f64).iter().zip(&g).map(|(l, &g)| l.exp() * g as f64).sum() };
            check_gradient("softmax", &z, &dz, 1e-2, 2e-4, f);
            let ly = log_softmax(&z, cols, t).unwrap();
            let dz = log_softmax_backward(&ly, &g, cols, t).unwrap();
            let f = |z: &[f32]| -> f64 { ref_log_softmax(z, cols, t as f64).iter().zip(&g).map(|(l, &g)| l * g as f64).sum() };
            check_gradient("log_softmax", &z, &dz, 1e-2, 2e-4, f);
        }
    }

    #[test]
    fn sigmoid_values_and_errors() {
        let y = sigmoid(&[0.0, 2.0, -30.0, 1e30]).unwrap();
        assert_eq!(y[0], 0.5);
        assert!((y[1] as f64 - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 2e-7);
        assert!(y[2] < 1e-12 && y[3] == 1.0);
        let e = sigmoid(&[0.0, f32::NAN]).unwrap_err().to_string();
        assert!(e.starts_with("logits:") && e.contains("index 1"), "{e}");
    }

    #[test]
    fn parallel_equals_serial() {
        // Same rows computed alone and inside a large (thread-split) batch: identical bits.
        let cols = 50;
        let z = randn(5000 * cols, 8, 2.0);
        let all = softmax(&z, cols, 1.3).unwrap();
        for r in [0usize, 2499, 4999] {
            let one = softmax(&z[r * cols..(r + 1) * cols], cols, 1.3).unwrap();
            assert_eq!(&all[r * cols..(r + 1) * cols], &one[..]);
        }
    }
}
