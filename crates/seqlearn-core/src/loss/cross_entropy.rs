//! Softmax cross-entropy from logits, exactly as `torch.nn.functional.cross_entropy`: class
//! indices with `ignore_index`, class `weight`s, `label_smoothing`, the three reductions, and
//! class-probability ("soft") targets. One fused pass per row computes the loss, the gradient of
//! the logits, the finiteness check and whether the argmax is right; rows are split over the
//! thread pool for large inputs.
//!
//! With `p = softmax(z)`, `ℓ = log p`, smoothing `ε`, `C` classes, weights `w` (all 1 when not
//! given) and `W = Σ_c w_c`, PyTorch's per-row loss for a class-index target `t` is
//!
//! `lossᵢ = (1 − ε) · (−w_t ℓ_t) + (ε / C) · (−Σ_c w_c ℓ_c)`
//!
//! and `mean` divides `Σᵢ lossᵢ` by `Σᵢ w_{tᵢ}` over the rows that are not ignored (so with
//! weights and smoothing the smoothing term is normalised by the target weights too, as in
//! PyTorch). Its gradient is `∂lossᵢ/∂z_j = ((1 − ε) w_t + (ε/C) W) p_j − (ε/C) w_j − (1 − ε) w_t δ_{jt}`.
//! For probability targets `q`, PyTorch first smooths them, `q' = (1 − ε) q + ε / C`, then
//! `lossᵢ = −Σ_c w_c q'_c ℓ_c`, whose gradient is `(Σ_c w_c q'_c) p_j − w_j q'_j`; `mean`
//! divides by the number of rows (not by weights) and `ignore_index` does not apply.

use super::softmax::{exp_neg, exp_store_sum, lane_sum, max_finite, rows_of, scale, LANES};
use super::{check_finite, check_grad_output, check_len, map_row_chunks, non_finite, LossValue, Reduction};
use crate::error::{Error, Result};

/// The targets of [`cross_entropy`].
#[derive(Clone, Copy, Debug)]
pub enum CrossEntropyTarget<'a> {
    /// One class index per row, in `0..classes` or equal to `ignore_index`.
    Indices(&'a [i32]),
    /// Class probabilities, `[rows, classes]` row-major (any finite values, as in PyTorch;
    /// normally each row sums to 1).
    Probabilities(&'a [f32]),
}

/// Options of [`cross_entropy`] (PyTorch's defaults via `Default`).
#[derive(Clone, Copy, Debug)]
pub struct CrossEntropyOptions<'a> {
    /// Rows whose target equals this are skipped: zero loss, zero gradient, not counted
    /// (class-index targets only; default −100).
    pub ignore_index: i32,
    /// A weight per class, `[classes]` (default: all 1).
    pub weight: Option<&'a [f32]>,
    /// Label smoothing `ε` in `[0, 1]` (default 0).
    pub label_smoothing: f32,
    /// Reduction (default `mean`).
    pub reduction: Reduction,
    /// Upstream gradient per row, `[rows]`, with `reduction = none` only (default: all 1).
    pub grad_output: Option<&'a [f32]>,
}

impl Default for CrossEntropyOptions<'_> {
    fn default() -> Self {
        CrossEntropyOptions { ignore_index: -100, weight: None, label_smoothing: 0.0, reduction: Reduction::Mean, grad_output: None }
    }
}

/// Result of [`cross_entropy`].
#[derive(Clone, Debug)]
pub struct CrossEntropyOutput {
    /// The reduced loss, or one loss per row (0 for ignored rows) for `reduction = none`.
    pub loss: LossValue,
    /// Gradient of the loss with respect to the logits, `[rows, classes]` (see the module docs
    /// of [`crate::loss`] for what it is the gradient of under `none`).
    pub grad: Vec<f32>,
    /// Rows that count: not ignored (class-index targets), all rows (probability targets).
    pub count: usize,
    /// Counted rows whose logits' argmax (first maximum) is the target class; for probability
    /// targets, whose argmax equals the argmax of the target row.
    pub correct: usize,
    /// The divisor of `mean`: `Σ w_{tᵢ}` over counted rows (their number without weights), or the
    /// number of rows for probability targets.
    pub total_weight: f64,
}

/// What [`cross_entropy_into`] returns besides the gradient it writes.
#[derive(Clone, Debug)]
pub struct CrossEntropySummary {
    /// The reduced loss, or one loss per row for `reduction = none`.
    pub loss: LossValue,
    /// See [`CrossEntropyOutput::count`].
    pub count: usize,
    /// See [`CrossEntropyOutput::correct`].
    pub correct: usize,
    /// See [`CrossEntropyOutput::total_weight`].
    pub total_weight: f64,
}

/// Per-chunk parameters shared by the row kernels.
struct Params<'a> {
    cols: usize,
    ignore_index: i32,
    weight: Option<&'a [f32]>,
    eps: f32,
    /// `Σ_c w_c` (or `C`).
    w_all: f64,
    /// 1 for `none`/`sum`, `1 / total_weight` for `mean`.
    scale: f64,
    per_item: bool,
}

/// What a chunk of rows adds up to.
#[derive(Default)]
struct ChunkStats {
    loss: f64,
    correct: usize,
    /// First row (in the chunk) with a non-finite logit, or `usize::MAX`.
    bad_logits: usize,
    /// First row (in the chunk) with a non-finite target probability, or `usize::MAX`.
    bad_target: usize,
}

/// `e = exp(z − m)` stored; returns `(Σ e, Σ (z − m))`.
#[inline(always)]
fn exp_store_sum_dsum(z: &[f32], m: f32, e: &mut [f32]) -> (f64, f64) {
    let mut s = [0.0f32; LANES];
    let mut d = [0.0f32; LANES];
    let mut zi = z.chunks_exact(LANES);
    let mut ei = e.chunks_exact_mut(LANES);
    for (zc, ec) in (&mut zi).zip(&mut ei) {
        for l in 0..LANES {
            let x = zc[l] - m;
            let v = exp_neg(x);
            ec[l] = v;
            s[l] += v;
            d[l] += x;
        }
    }
    for (l, (&z, o)) in zi.remainder().iter().zip(ei.into_remainder()).enumerate() {
        let x = z - m;
        let v = exp_neg(x);
        *o = v;
        s[l] += v;
        d[l] += x;
    }
    (lane_sum(&s), lane_sum(&d))
}

/// `e = exp(z − m)` stored; returns `(Σ e, Σ a_c (z_c − m))`.
#[inline(always)]
fn exp_store_sum_dot(z: &[f32], m: f32, a: &[f32], e: &mut [f32]) -> (f64, f64) {
    let mut s = [0.0f32; LANES];
    let mut d = [0.0f32; LANES];
    let mut zi = z.chunks_exact(LANES);
    let mut ai = a.chunks_exact(LANES);
    let mut ei = e.chunks_exact_mut(LANES);
    for ((zc, ac), ec) in (&mut zi).zip(&mut ai).zip(&mut ei) {
        for l in 0..LANES {
            let x = zc[l] - m;
            let v = exp_neg(x);
            ec[l] = v;
            s[l] += v;
            d[l] += ac[l] * x;
        }
    }
    for (l, ((&z, &a), o)) in zi.remainder().iter().zip(ai.remainder()).zip(ei.into_remainder()).enumerate() {
        let x = z - m;
        let v = exp_neg(x);
        *o = v;
        s[l] += v;
        d[l] += a * x;
    }
    (lane_sum(&s), lane_sum(&d))
}

/// True if no value of `v` equals `m` (vectorised; no early exit).
#[inline(always)]
fn none_equal(v: &[f32], m: f32) -> bool {
    !v.iter().fold(false, |a, &x| a | (x == m))
}

/// First index of `m` in `v` (`m` is known to occur).
#[inline(always)]
fn first_index(v: &[f32], m: f32) -> usize {
    v.iter().position(|&x| x == m).unwrap_or(0)
}

/// One row with a class-index target `t` (not ignored); writes the gradient (scaled by `s`) and
/// returns the row's loss. `zr` is finite with maximum `m`.
#[inline(always)]
fn hard_row(p: &Params<'_>, zr: &[f32], m: f32, t: usize, s: f64, gr: &mut [f32]) -> f64 {
    let wt = p.weight.map_or(1.0, |w| w[t] as f64);
    let dt = (zr[t] - m) as f64;
    if p.eps == 0.0 {
        let sum = exp_store_sum(zr, m, 1.0, gr);
        let lse = sum.ln();
        scale(gr, (s * wt / sum) as f32);
        gr[t] -= (s * wt) as f32;
        return wt * (lse - dt);
    }
    let eps = p.eps as f64;
    let c = p.cols as f64;
    let (sum, d) = match p.weight {
        None => exp_store_sum_dsum(zr, m, gr),
        Some(w) => exp_store_sum_dot(zr, m, w, gr),
    };
    let lse = sum.ln();
    // −Σ w_c ℓ_c = W·lse − Σ w_c (z_c − m).
    let smooth = p.w_all * lse - d;
    let nll = wt * (lse - dt);
    let k = (s * ((1.0 - eps) * wt + eps / c * p.w_all) / sum) as f32;
    let b = (s * eps / c) as f32;
    match p.weight {
        None => gr.iter_mut().for_each(|g| *g = *g * k - b),
        Some(w) => gr.iter_mut().zip(w).for_each(|(g, &wc)| *g = *g * k - b * wc),
    }
    gr[t] -= (s * (1.0 - eps) * wt) as f32;
    (1.0 - eps) * nll + eps / c * smooth
}

crate::dispatch! {
    fn hard_rows(p: &Params<'_>, z: &[f32], target: &[i32], go: &[f32], grad: &mut [f32], losses: &mut [f32], st: &mut ChunkStats) {
        let cols = p.cols;
        for (r, (&t, gr)) in target.iter().zip(grad.chunks_exact_mut(cols)).enumerate() {
            if t == p.ignore_index {
                gr.fill(0.0);
                continue;
            }
            let t = t as usize;
            let zr = &z[r * cols..(r + 1) * cols];
            let (m, ok) = max_finite(zr);
            if !ok {
                st.bad_logits = r;
                return;
            }
            let s = if go.is_empty() { p.scale } else { p.scale * go[r] as f64 };
            let loss = hard_row(p, zr, m, t, s, gr);
            st.loss += loss;
            if p.per_item {
                losses[r] = loss as f32;
            }
            if zr[t] == m && none_equal(&zr[..t], m) {
                st.correct += 1;
            }
        }
    }
}

/// One row with a probability target `q` and class weights `w` (all 1 when not given); see the
/// module docs.
#[inline(always)]
fn soft_row(p: &Params<'_>, zr: &[f32], m: f32, q: &[f32], w: &[f32], s: f64, gr: &mut [f32]) -> f64 {
    let keep = 1.0 - p.eps;
    let add = p.eps / p.cols as f32;
    let mut sum = [0.0f32; LANES];
    let mut qs = [0.0f32; LANES];
    let mut dq = [0.0f32; LANES];
    for (((zc, qc), wc), ec) in zr.chunks(LANES).zip(q.chunks(LANES)).zip(w.chunks(LANES)).zip(gr.chunks_mut(LANES)) {
        for l in 0..zc.len() {
            let x = zc[l] - m;
            let v = exp_neg(x);
            ec[l] = v;
            sum[l] += v;
            let wq = wc[l] * (qc[l] * keep + add);
            qs[l] += wq;
            dq[l] += wq * x;
        }
    }
    let (sum, qsum, dq) = (lane_sum(&sum), lane_sum(&qs), lane_sum(&dq));
    let k = (s * qsum / sum) as f32;
    let sf = s as f32;
    for ((g, &qc), &wc) in gr.iter_mut().zip(q).zip(w) {
        *g = *g * k - sf * (wc * (qc * keep + add));
    }
    qsum * sum.ln() - dq
}

crate::dispatch! {
    fn soft_rows(p: &Params<'_>, z: &[f32], q: &[f32], go: &[f32], grad: &mut [f32], losses: &mut [f32], st: &mut ChunkStats) {
        let cols = p.cols;
        for (r, gr) in grad.chunks_exact_mut(cols).enumerate() {
            let zr = &z[r * cols..(r + 1) * cols];
            let qr = &q[r * cols..(r + 1) * cols];
            let (m, ok) = max_finite(zr);
            if !ok {
                st.bad_logits = r;
                return;
            }
            let (mq, okq) = max_finite(qr);
            if !okq {
                st.bad_target = r;
                return;
            }
            let s = if go.is_empty() { p.scale } else { p.scale * go[r] as f64 };
            let loss = soft_row(p, zr, m, qr, p.weight.unwrap_or(&[]), s, gr);
            st.loss += loss;
            if p.per_item {
                losses[r] = loss as f32;
            }
            if first_index(zr, m) == first_index(qr, mq) {
                st.correct += 1;
            }
        }
    }
}

/// Checks class-index targets; returns (counted rows, Σ of their weights).
fn check_indices(target: &[i32], classes: usize, ignore_index: i32, weight: Option<&[f32]>) -> Result<(usize, f64)> {
    let mut count = 0usize;
    let mut total = 0.0f64;
    for (k, &t) in target.iter().enumerate() {
        if t == ignore_index {
            continue;
        }
        if t < 0 || t as usize >= classes {
            return Err(Error::invalid(format!("target[{k}]"), format!("expected a class index in 0..{classes} or ignoreIndex ({ignore_index}), got {t}")));
        }
        count += 1;
        total += weight.map_or(1.0, |w| w[t as usize] as f64);
    }
    Ok((count, total))
}

/// Softmax cross-entropy of `logits` (`[rows, classes]`, row-major) against `target`, with its
/// gradient, in one pass. See the module docs for the formulas (PyTorch's).
///
/// Errors name the argument: `logits` (not a whole number of rows; a NaN/Inf, with its flat
/// index — rows whose target is ignored are not read), `target` (wrong size; a probability that
/// is not finite) or `target[k]` (a class index out of range), `weight` (size, finiteness),
/// `labelSmoothing` (outside [0, 1]), `ignoreIndex` (≥ 0 with probability targets) and
/// `gradOutput` (size, finiteness, or given without `reduction = none`).
pub fn cross_entropy(logits: &[f32], classes: usize, target: CrossEntropyTarget<'_>, opts: &CrossEntropyOptions<'_>) -> Result<CrossEntropyOutput> {
    let mut grad = vec![0.0f32; logits.len()];
    let s = cross_entropy_into(logits, classes, target, opts, &mut grad)?;
    Ok(CrossEntropyOutput { loss: s.loss, grad, count: s.count, correct: s.correct, total_weight: s.total_weight })
}

/// [`cross_entropy`] writing the gradient into `grad` (`logits.len()` values, any initial
/// content; every value is written), e.g. memory that JavaScript will own, so large gradients
/// are never copied. On error `grad` holds partial results.
pub fn cross_entropy_into(logits: &[f32], classes: usize, target: CrossEntropyTarget<'_>, opts: &CrossEntropyOptions<'_>, grad: &mut [f32]) -> Result<CrossEntropySummary> {
    if grad.len() != logits.len() {
        return Err(Error::invalid("grad", format!("expected a buffer of {} values (the logits' size), got {}", logits.len(), grad.len())));
    }
    let rows = rows_of("logits", logits.len(), classes)?;
    let eps = opts.label_smoothing;
    if !(eps.is_finite() && (0.0..=1.0).contains(&eps)) {
        return Err(Error::invalid("labelSmoothing", format!("expected a value in [0, 1], got {eps}")));
    }
    if let Some(w) = opts.weight {
        check_len("weight", w, classes)?;
        check_finite("weight", w)?;
    }
    check_grad_output(opts.grad_output, opts.reduction, rows)?;
    let (count, total_weight) = match target {
        CrossEntropyTarget::Indices(t) => {
            if t.len() != rows {
                return Err(Error::shape("target", &[rows], &[t.len()]));
            }
            check_indices(t, classes, opts.ignore_index, opts.weight)?
        }
        CrossEntropyTarget::Probabilities(q) => {
            if opts.ignore_index >= 0 {
                return Err(Error::invalid(
                    "ignoreIndex",
                    format!("not supported with class-probability targets (as in PyTorch); expected a negative value, got {}", opts.ignore_index),
                ));
            }
            if q.len() != logits.len() {
                return Err(Error::invalid("target", format!("expected {} class probabilities (the logits' shape [{rows}, {classes}]), got {}", logits.len(), q.len())));
            }
            (rows, rows as f64)
        }
    };
    let per_item = opts.reduction == Reduction::None;
    let params = Params {
        cols: classes,
        ignore_index: opts.ignore_index,
        weight: opts.weight,
        eps,
        w_all: opts.weight.map_or(classes as f64, |w| w.iter().map(|&x| x as f64).sum()),
        scale: if opts.reduction == Reduction::Mean { 1.0 / total_weight } else { 1.0 },
        per_item,
    };
    // Probability targets: weights of 1 when none are given (one kernel; a multiply by 1 is free
    // next to the exponential).
    let ones;
    let params = match (target, opts.weight) {
        (CrossEntropyTarget::Probabilities(_), None) => {
            ones = vec![1.0f32; classes];
            Params { weight: Some(&ones[..]), ..params }
        }
        _ => params,
    };
    let go = opts.grad_output.unwrap_or(&[]);
    let chunks = map_row_chunks(rows, classes, grad, |r, g| {
        let mut st = ChunkStats { bad_logits: usize::MAX, bad_target: usize::MAX, ..Default::default() };
        let mut losses = vec![0.0f32; if per_item { r.len() } else { 0 }];
        let z = &logits[r.start * classes..r.end * classes];
        let go = if go.is_empty() { go } else { &go[r.clone()] };
        match target {
            CrossEntropyTarget::Indices(t) => hard_rows(&params, z, &t[r.clone()], go, g, &mut losses, &mut st),
            CrossEntropyTarget::Probabilities(q) => soft_rows(&params, z, &q[r.start * classes..r.end * classes], go, g, &mut losses, &mut st),
        }
        (r.start, st, losses)
    });
    let mut loss = 0.0f64;
    let mut correct = 0usize;
    let mut per_row = Vec::with_capacity(if per_item { rows } else { 0 });
    for (start, st, losses) in chunks {
        if st.bad_logits != usize::MAX {
            let r = start + st.bad_logits;
            return Err(super::softmax::first_non_finite("logits", &logits[r * classes..(r + 1) * classes], r * classes));
        }
        if st.bad_target != usize::MAX {
            let r = start + st.bad_target;
            if let CrossEntropyTarget::Probabilities(q) = target {
                let row = &q[r * classes..(r + 1) * classes];
                let i = row.iter().position(|x| !x.is_finite()).unwrap_or(0);
                return Err(non_finite("target", row[i], r * classes + i));
            }
        }
        loss += st.loss;
        correct += st.correct;
        per_row.extend_from_slice(&losses);
    }
    let loss = match opts.reduction {
        Reduction::None => LossValue::PerItem(per_row),
        Reduction::Sum => LossValue::Scalar(loss as f32),
        Reduction::Mean => LossValue::Scalar((loss / total_weight) as f32),
    };
    Ok(CrossEntropySummary { loss, count, correct, total_weight })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_gradient, randn};
    use super::*;

    /// PyTorch's formulas in f64, straight from the definitions (no shared code with the kernel).
    fn reference(z: &[f32], c: usize, target: &CrossEntropyTarget<'_>, o: &CrossEntropyOptions<'_>) -> (Vec<f64>, f64) {
        let rows = z.len() / c;
        let w = |k: usize| o.weight.map_or(1.0, |w| w[k] as f64);
        let eps = o.label_smoothing as f64;
        let mut per = vec![0.0f64; rows];
        let mut denom = 0.0;
        for r in 0..rows {
            let zr: Vec<f64> = z[r * c..(r + 1) * c].iter().map(|&x| x as f64).collect();
            let m = zr.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = zr.iter().map(|x| (x - m).exp()).sum::<f64>().ln() + m;
            let lp: Vec<f64> = zr.iter().map(|x| x - lse).collect();
            match target {
                CrossEntropyTarget::Indices(t) => {
                    if t[r] == o.ignore_index {
                        continue;
                    }
                    let t = t[r] as usize;
                    let smooth: f64 = -(0..c).map(|k| w(k) * lp[k]).sum::<f64>();
                    per[r] = (1.0 - eps) * (-w(t) * lp[t]) + eps / c as f64 * smooth;
                    denom += w(t);
                }
                CrossEntropyTarget::Probabilities(q) => {
                    per[r] = -(0..c).map(|k| w(k) * ((1.0 - eps) * q[r * c + k] as f64 + eps / c as f64) * lp[k]).sum::<f64>();
                    denom += 1.0;
                }
            }
        }
        (per, denom)
    }

    /// The scalar whose gradient the kernel returns, from the reference.
    fn objective(z: &[f32], c: usize, target: &CrossEntropyTarget<'_>, o: &CrossEntropyOptions<'_>) -> f64 {
        let (per, denom) = reference(z, c, target, o);
        match o.reduction {
            Reduction::Sum => per.iter().sum(),
            Reduction::Mean => per.iter().sum::<f64>() / denom,
            Reduction::None => per.iter().enumerate().map(|(i, l)| l * o.grad_output.map_or(1.0, |g| g[i] as f64)).sum(),
        }
    }

    fn targets(rows: usize, c: usize, seed: u64, ignore: i32) -> Vec<i32> {
        (0..rows).map(|i| if i % 4 == 3 { ignore } else { ((i as u64 * 7 + seed * 3) % c as u64) as i32 }).collect()
    }

    fn probs(rows: usize, c: usize, seed: u64) -> Vec<f32> {
        let raw = randn(rows * c, seed, 1.0);
        raw.chunks(c)
            .flat_map(|r| {
                let e: Vec<f32> = r.iter().map(|x| x.exp()).collect();
                let s: f32 = e.iter().sum();
                e.into_iter().map(move |v| v / s)
            })
            .collect()
    }

    fn check_case(label: &str, z: &[f32], c: usize, target: CrossEntropyTarget<'_>, o: &CrossEntropyOptions<'_>) {
        let out = cross_entropy(z, c, target, o).unwrap();
        let (per, denom) = reference(z, c, &target, o);
        match &out.loss {
            LossValue::PerItem(v) => {
                for (a, b) in v.iter().zip(&per) {
                    assert!((*a as f64 - b).abs() < 1e-5 * b.abs().max(1.0), "{label}: per-item {a} vs {b}");
                }
            }
            LossValue::Scalar(v) => {
                let want = if o.reduction == Reduction::Sum { per.iter().sum::<f64>() } else { per.iter().sum::<f64>() / denom };
                assert!((*v as f64 - want).abs() < 1e-5 * want.abs().max(1.0), "{label}: loss {v} vs {want}");
            }
        }
        assert!((out.total_weight - denom).abs() < 1e-9, "{label}: total weight");
        check_gradient(label, z, &out.grad, 1e-2, 5e-4, |zz| objective(zz, c, &target, o));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (rows, c) = (8usize, 6usize);
        let z = randn(rows * c, 1, 2.0);
        let t = targets(rows, c, 2, -100);
        let q = probs(rows, c, 3);
        let w: Vec<f32> = (0..c).map(|k| 0.3 + 0.25 * k as f32).collect();
        let go = randn(rows, 4, 1.0);
        for red in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            for eps in [0.0f32, 0.2] {
                for weight in [None, Some(&w[..])] {
                    for grad_output in [None, Some(&go[..])] {
                        if grad_output.is_some() && red != Reduction::None {
                            continue;
                        }
                        let o = CrossEntropyOptions { weight, label_smoothing: eps, reduction: red, grad_output, ..Default::default() };
                        let label = format!("{red:?} eps={eps} weight={} go={}", weight.is_some(), grad_output.is_some());
                        check_case(&format!("hard {label}"), &z, c, CrossEntropyTarget::Indices(&t), &o);
                        check_case(&format!("soft {label}"), &z, c, CrossEntropyTarget::Probabilities(&q), &o);
                    }
                }
            }
        }
        // A custom ignore_index that is also a valid class.
        let t2 = targets(rows, c, 5, 2);
        let o = CrossEntropyOptions { ignore_index: 2, label_smoothing: 0.1, weight: Some(&w), ..Default::default() };
        check_case("ignore_index = 2", &z, c, CrossEntropyTarget::Indices(&t2), &o);
    }

    #[test]
    fn counts_and_correct_predictions() {
        // Rows: argmax 1 (target 1: right), tie between 0 and 2 (target 2: first maximum is 0, wrong),
        // ignored, argmax 0 (target 0: right), all equal (target 0: right).
        let z = [0.0, 5.0, 1.0, 3.0, 1.0, 3.0, 9.0, 9.0, 9.0, 4.0, 1.0, 2.0, 7.0, 7.0, 7.0];
        let t = [1, 2, -100, 0, 0];
        let out = cross_entropy(&z, 3, CrossEntropyTarget::Indices(&t), &Default::default()).unwrap();
        assert_eq!((out.count, out.correct), (4, 3));
        assert!(out.grad[6..9].iter().all(|&g| g == 0.0), "ignored row has zero gradient");
        let q = [0.1, 0.8, 0.1, 0.0, 0.0, 1.0, 0.2, 0.2, 0.6, 0.5, 0.5, 0.0, 1.0, 0.0, 0.0];
        let out = cross_entropy(&z, 3, CrossEntropyTarget::Probabilities(&q), &Default::default()).unwrap();
        // Soft: argmax(z) vs argmax(q): 1=1, 0≠2, 0≠2, 0=0, 0=0.
        assert_eq!((out.count, out.correct), (5, 3));
    }

    #[test]
    fn extreme_logits_are_exact_and_finite() {
        // (Differences must stay in f32 range: PyTorch's float32 log_softmax of [-3e38, 3e38] is
        // -inf too, and so is its smoothed loss.)
        let z = [1e30f32, -1e30, 0.0, -1e38, 1e38, 1.0];
        let t = [0, 1];
        let o = CrossEntropyOptions { reduction: Reduction::None, label_smoothing: 0.1, ..Default::default() };
        let out = cross_entropy(&z, 3, CrossEntropyTarget::Indices(&t), &o).unwrap();
        let LossValue::PerItem(l) = &out.loss else { panic!() };
        // Row 0: right with certainty: only the smoothing term, (ε/3)(0 + 2e30 + 1e30).
        assert!((l[0] as f64 / 1e29 - 1.0).abs() < 1e-5, "{}", l[0]);
        assert!(l.iter().all(|x| x.is_finite()));
        assert!(out.grad.iter().all(|g| g.is_finite()));
        let plain = cross_entropy(&z, 3, CrossEntropyTarget::Indices(&t), &Default::default()).unwrap();
        assert_eq!(plain.loss.scalar(), Some(0.0));
        assert_eq!(&plain.grad[..3], &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn into_overwrites_any_buffer() {
        let z = randn(5 * 4, 3, 1.0);
        let t = [0, -100, 3, 2, -100];
        let o = CrossEntropyOptions { label_smoothing: 0.1, ..Default::default() };
        let want = cross_entropy(&z, 4, CrossEntropyTarget::Indices(&t), &o).unwrap();
        let mut grad = vec![f32::NAN; z.len()];
        let s = cross_entropy_into(&z, 4, CrossEntropyTarget::Indices(&t), &o, &mut grad).unwrap();
        assert_eq!(grad, want.grad);
        assert_eq!((s.loss, s.count, s.correct), (want.loss, want.count, want.correct));
        assert!(cross_entropy_into(&z, 4, CrossEntropyTarget::Indices(&t), &o, &mut [0.0; 3]).unwrap_err().to_string().starts_with("grad:"));
    }

    #[test]
    fn all_ignored_mean_is_nan_like_pytorch() {
        let out = cross_entropy(&[1.0, 2.0, 3.0, 4.0], 2, CrossEntropyTarget::Indices(&[-100, -100]), &Default::default()).unwrap();
        assert!(out.loss.scalar().unwrap().is_nan());
        assert_eq!(out.count, 0);
        assert!(out.grad.iter().all(|&g| g == 0.0));
        let sum = CrossEntropyOptions { reduction: Reduction::Sum, ..Default::default() };
        assert_eq!(cross_entropy(&[1.0, 2.0], 2, CrossEntropyTarget::Indices(&[-100]), &sum).unwrap().loss.scalar(), Some(0.0));
    }

    #[test]
    fn errors_name_the_argument() {
        let z = [0.0f32; 6];
        let d = CrossEntropyOptions::default();
        let err = |r: Result<CrossEntropyOutput>| r.unwrap_err().to_string();
        let e = err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 3]), &d));
        assert!(e.starts_with("target[1]:") && e.contains("0..3") && e.contains("got 3"), "{e}");
        let e = err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[-1, 0]), &d));
        assert!(e.starts_with("target[0]:") && e.contains("got -1"), "{e}");
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0]), &d)).starts_with("target:"));
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Probabilities(&[0.0; 5]), &d)).starts_with("target:"));
        let e = err(cross_entropy(&z, 3, CrossEntropyTarget::Probabilities(&[0.0, 0.0, 0.0, 0.0, f32::NAN, 0.0]), &d));
        assert!(e.starts_with("target:") && e.contains("index 4"), "{e}");
        assert!(err(cross_entropy(&z, 4, CrossEntropyTarget::Indices(&[0]), &d)).starts_with("logits:"));
        let e = err(cross_entropy(&[0.0, 1.0, 2.0, f32::INFINITY, 0.0, 0.0], 3, CrossEntropyTarget::Indices(&[0, 1]), &d));
        assert!(e.starts_with("logits:") && e.contains("index 3") && e.contains("inf"), "{e}");
        // An ignored row is not read.
        assert!(cross_entropy(&[0.0, 1.0, 2.0, f32::NAN, 0.0, 0.0], 3, CrossEntropyTarget::Indices(&[0, -100]), &d).is_ok());
        let w = CrossEntropyOptions { weight: Some(&[1.0, 2.0]), ..d };
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 1]), &w)).starts_with("weight:"));
        let w = CrossEntropyOptions { weight: Some(&[1.0, f32::NAN, 1.0]), ..d };
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 1]), &w)).starts_with("weight:"));
        for eps in [-0.1f32, 1.5, f32::NAN] {
            let o = CrossEntropyOptions { label_smoothing: eps, ..d };
            assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 1]), &o)).starts_with("labelSmoothing:"));
        }
        let o = CrossEntropyOptions { ignore_index: 0, ..d };
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Probabilities(&[0.0; 6]), &o)).starts_with("ignoreIndex:"));
        let o = CrossEntropyOptions { grad_output: Some(&[1.0, 1.0]), ..d };
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 1]), &o)).starts_with("gradOutput:"));
        let o = CrossEntropyOptions { grad_output: Some(&[1.0]), reduction: Reduction::None, ..d };
        assert!(err(cross_entropy(&z, 3, CrossEntropyTarget::Indices(&[0, 1]), &o)).starts_with("gradOutput:"));
        // The first bad row across thread chunks.
        let mut big = randn(6400 * 80, 2, 1.0);
        big[3000 * 80 + 5] = f32::NAN;
        big[6000 * 80] = f32::NAN;
        let t = vec![1i32; 6400];
        let e = err(cross_entropy(&big, 80, CrossEntropyTarget::Indices(&t), &d));
        assert!(e.contains(&format!("index {}", 3000 * 80 + 5)), "{e}");
    }

    #[test]
    fn large_inputs_match_row_by_row() {
        // Thread-split batches give the same per-row results as single rows.
        let (rows, c) = (3000usize, 70usize);
        let z = randn(rows * c, 9, 3.0);
        let t = targets(rows, c, 1, -100);
        let o = CrossEntropyOptions { reduction: Reduction::None, label_smoothing: 0.05, ..Default::default() };
        let all = cross_entropy(&z, c, CrossEntropyTarget::Indices(&t), &o).unwrap();
        let LossValue::PerItem(l) = &all.loss else { panic!() };
        for r in [0usize, 1499, 2999] {
            let one = cross_entropy(&z[r * c..(r + 1) * c], c, CrossEntropyTarget::Indices(&t[r..r + 1]), &o).unwrap();
            assert_eq!(one.loss, LossValue::PerItem(vec![l[r]]));
            assert_eq!(&one.grad[..], &all.grad[r * c..(r + 1) * c]);
        }
        let mean = cross_entropy(&z, c, CrossEntropyTarget::Indices(&t), &CrossEntropyOptions { label_smoothing: 0.05, ..Default::default() }).unwrap();
        let want: f64 = l.iter().map(|&x| x as f64).sum::<f64>() / all.count as f64;
        assert!((mean.loss.scalar().unwrap() as f64 - want).abs() < 1e-5 * want);
    }

    /// Timing (not a test of correctness): `cargo test -p seqlearn-core cross_entropy::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        for (rows, c) in [(6400usize, 80usize), (6400, 10000)] {
            let z = randn(rows * c, 1, 2.0);
            let t = targets(rows, c, 3, -100);
            let o = CrossEntropyOptions::default();
            let mut times = Vec::new();
            for _ in 0..15 {
                let t0 = std::time::Instant::now();
                let out = cross_entropy(&z, c, CrossEntropyTarget::Indices(&t), &o).unwrap();
                times.push(t0.elapsed().as_secs_f64());
                assert!(out.loss.scalar().unwrap().is_finite());
                assert_eq!(out.count, t.iter().filter(|&&x| x != -100).count());
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!("cross_entropy [{rows}, {c}] threads={}: median {:.3} ms, min {:.3} ms", crate::parallel::num_threads(), times[7] * 1e3, times[0] * 1e3);
        }
    }
}
