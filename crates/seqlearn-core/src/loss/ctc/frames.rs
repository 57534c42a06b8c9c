//! The dense per-frame work of the CTC loss, one streaming pass over a frame's `C` scores: the
//! finiteness check, the log-softmax normaliser (logits), the dense part of the gradient written
//! once (`scale · softmax` for logits, `scale · exp(lp)` for log-probabilities; the sparse `γ`
//! is subtracted later), and the gather of the blank's and the `L` labels' log-probabilities
//! into a small padded row, so the recursions never touch the `C`-wide frame again. Every loop runs on whole 16-lane chunks; the last partial chunk goes through a
//! padded copy, so small alphabets (C = 29) are vectorised too.

use super::logspace::{hmax, hsum, max2, NEG_INF, PAD};
use crate::loss::softmax::{exp_neg, poison, LANES};

/// The largest value of `z` and whether all are finite.
#[inline(always)]
fn max_and_check(z: &[f32]) -> (f32, bool) {
    let mut m = [NEG_INF; LANES];
    let mut chk = [0.0f32; LANES];
    let mut it = z.chunks_exact(LANES);
    for c in &mut it {
        for l in 0..LANES {
            m[l] = max2(c[l], m[l]);
            chk[l] += poison(c[l]);
        }
    }
    let mut tail = [0.0f32; LANES];
    tail[..it.remainder().len()].copy_from_slice(it.remainder());
    for l in 0..LANES {
        let inside = l < it.remainder().len();
        m[l] = if inside { max2(tail[l], m[l]) } else { m[l] };
        chk[l] += poison(tail[l]);
    }
    (hmax(&m), hsum(&chk) == 0.0)
}

/// `out[c] = exp(z[c] − m)`; returns `Σ out` (in f64 over the lanes).
#[inline(always)]
fn exp_store_sum(z: &[f32], m: f32, out: &mut [f32]) -> f64 {
    let mut s = [0.0f32; LANES];
    let mut zi = z.chunks_exact(LANES);
    let mut oi = out.chunks_exact_mut(LANES);
    for (zc, oc) in (&mut zi).zip(&mut oi) {
        for l in 0..LANES {
            let v = exp_neg(zc[l] - m);
            oc[l] = v;
            s[l] += v;
        }
    }
    let r = zi.remainder();
    let mut tail = [NEG_INF; LANES];
    tail[..r.len()].copy_from_slice(r);
    let mut e = [0.0f32; LANES];
    for l in 0..LANES {
        e[l] = exp_neg(tail[l] - m);
        s[l] += e[l];
    }
    let o = oi.into_remainder();
    o.copy_from_slice(&e[..o.len()]);
    hsum(&s) as f64
}

/// `out[c] = k · exp(z[c])`.
#[inline(always)]
fn scaled_exp(z: &[f32], k: f32, out: &mut [f32]) {
    let mut zi = z.chunks_exact(LANES);
    let mut oi = out.chunks_exact_mut(LANES);
    for (zc, oc) in (&mut zi).zip(&mut oi) {
        for l in 0..LANES {
            oc[l] = k * exp_neg(zc[l]);
        }
    }
    let r = zi.remainder();
    let mut tail = [NEG_INF; LANES];
    tail[..r.len()].copy_from_slice(r);
    let mut e = [0.0f32; LANES];
    for l in 0..LANES {
        e[l] = k * exp_neg(tail[l]);
    }
    let o = oi.into_remainder();
    o.copy_from_slice(&e[..o.len()]);
}

/// `v[c] *= k`.
#[inline(always)]
fn scale(v: &mut [f32], k: f32) {
    for x in v.iter_mut() {
        *x *= k;
    }
}

/// The emissions of one frame as the recursions use them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Emission {
    /// The blank's log-probability minus `offset`.
    pub blank: f32,
    /// What was subtracted from every log-probability of the frame (added back in f64).
    pub offset: f64,
}

/// Logits frame `z`: writes `grad = k · softmax(z)` and the label emissions `lpa` (see
/// [`gather`]); `None` if `z` holds a NaN or ±inf. `log_softmax(z)[c] = z[c] − max z − ln Σ`.
#[inline(always)]
pub(crate) fn logits_frame(z: &[f32], grad: &mut [f32], k: f32, blank: usize, labels: &[u32], lpa: &mut [f32]) -> Option<Emission> {
    let (m, ok) = max_and_check(z);
    if !ok {
        return None;
    }
    let sum = exp_store_sum(z, m, grad);
    scale(grad, (k as f64 / sum) as f32);
    let b = gather(z, m, blank, labels, lpa);
    Some(Emission { blank: b, offset: -sum.ln() })
}

/// Log-probability frame `z`: writes `grad = k · exp(z)` (PyTorch's convention) and the label
/// emissions; `None` if `z` holds a NaN or ±inf.
#[inline(always)]
pub(crate) fn log_probs_frame(z: &[f32], grad: &mut [f32], k: f32, blank: usize, labels: &[u32], lpa: &mut [f32]) -> Option<Emission> {
    let (m, ok) = max_and_check(z);
    if !ok {
        return None;
    }
    scaled_exp(z, k, grad);
    let b = gather(z, m, blank, labels, lpa);
    Some(Emission { blank: b, offset: m as f64 })
}

/// `lpa[PAD + k] = z[label_k] − m` for the item's labels (`m` = the frame's maximum), `−inf` in
/// every other cell (no state there); returns the blank's `z[blank] − m`. The recursions run on
/// these small values (one rounding each, 0 for the frame's best class); the frame's offset is
/// added back in f64.
#[inline(always)]
fn gather(z: &[f32], m: f32, blank: usize, labels: &[u32], lpa: &mut [f32]) -> f32 {
    lpa[..PAD].fill(NEG_INF);
    for (o, &c) in lpa[PAD..PAD + labels.len()].iter_mut().zip(labels) {
        *o = z[c as usize] - m;
    }
    lpa[PAD + labels.len()..].fill(NEG_INF);
    z[blank] - m
}

/// A frame of an item whose gradient is zero (no alignment, or a zeroed infinite loss): checks
/// `z` and zeroes `grad`. Returns false if `z` holds a NaN or ±inf.
#[inline(always)]
pub(crate) fn zero_frame(z: &[f32], grad: &mut [f32]) -> bool {
    grad.fill(0.0);
    max_and_check(z).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_f64() {
        for c in [2usize, 5, 16, 29, 40, 100] {
            let z: Vec<f32> = (0..c).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.7).collect();
            let labels: Vec<u32> = (1..c.min(7) as u32).collect();
            let mut grad = vec![0.0f32; c];
            let mut lpa = vec![f32::NAN; 20];
            let e = logits_frame(&z, &mut grad, 0.5, 0, &labels, &mut lpa).unwrap();
            let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
            let lse = m + z.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
            for i in 0..c {
                let y = (z[i] as f64 - lse).exp();
                assert!((grad[i] as f64 - 0.5 * y).abs() < 3e-7, "C={c} grad[{i}]");
            }
            for (k, &l) in labels.iter().enumerate() {
                let want = z[l as usize] as f64 - lse;
                assert!((lpa[PAD + k] as f64 + e.offset - want).abs() < 1e-6, "C={c} lpa[{k}]");
            }
            assert!((e.blank as f64 + e.offset - (z[0] as f64 - lse)).abs() < 1e-6);
            assert!(lpa[..PAD].iter().chain(&lpa[PAD + labels.len()..]).all(|&v| v == NEG_INF));
            let e = log_probs_frame(&z, &mut grad, 2.0, 1, &labels, &mut lpa).unwrap();
            for i in 0..c {
                assert!((grad[i] as f64 - 2.0 * (z[i] as f64).exp()).abs() < 1e-6 * (z[i] as f64).exp().max(1.0), "C={c} exp grad[{i}]");
            }
            assert!((e.blank as f64 + e.offset - z[1] as f64).abs() < 1e-6);
            let mut bad = z.clone();
            bad[c - 1] = f32::NAN;
            assert!(logits_frame(&bad, &mut grad, 1.0, 0, &labels, &mut lpa).is_none());
            assert!(!zero_frame(&bad, &mut grad) && grad.iter().all(|&g| g == 0.0));
        }
    }
}
