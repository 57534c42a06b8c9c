//! Mean squared error (PyTorch `F.mse_loss`): `(pred − target)²` per element, reduced by `none`,
//! `sum` or `mean` (over all elements). Gradient `2 (pred − target)`, times `1/n` for `mean` and
//! times the upstream gradient for `none`.

use super::softmax::{lane_sum, poison, LANES};
use super::{check_grad_output, map_row_chunks, non_finite, LossOutput, LossValue, Reduction};
use crate::error::{Error, Result};

/// Elements per block (f32 partial sums stay short before they are added in f64).
const BLOCK: usize = 4096;

/// `grad = scale · (p − t)`; returns lane sums of `(p − t)²` and of `0 · d` (NaN iff some
/// difference is not finite, i.e. some `p` or `t` is not).
#[inline(always)]
fn squares(p: &[f32], t: &[f32], scale: f32, grad: &mut [f32]) -> ([f32; LANES], [f32; LANES]) {
    let mut acc = [0.0f32; LANES];
    let mut chk = [0.0f32; LANES];
    let mut pi = p.chunks_exact(LANES);
    let mut ti = t.chunks_exact(LANES);
    let mut gi = grad.chunks_exact_mut(LANES);
    for ((pc, tc), gc) in (&mut pi).zip(&mut ti).zip(&mut gi) {
        for l in 0..LANES {
            let d = pc[l] - tc[l];
            gc[l] = scale * d;
            acc[l] += d * d;
            chk[l] += poison(d);
        }
    }
    for (l, ((&a, &b), g)) in pi.remainder().iter().zip(ti.remainder()).zip(gi.into_remainder()).enumerate() {
        let d = a - b;
        *g = scale * d;
        acc[l] += d * d;
        chk[l] += poison(d);
    }
    (acc, chk)
}

crate::dispatch! {
    fn mse_chunk(p: &[f32], t: &[f32], go: &[f32], scale: f32, grad: &mut [f32], losses: &mut [f32], sum: &mut f64, bad_block: &mut usize) {
        for (b, start) in (0..p.len()).step_by(BLOCK).enumerate() {
            let end = (start + BLOCK).min(p.len());
            let (pb, tb, gb) = (&p[start..end], &t[start..end], &mut grad[start..end]);
            let (acc, chk) = squares(pb, tb, scale, gb);
            if chk.iter().sum::<f32>() != 0.0 {
                *bad_block = b;
                return;
            }
            if !go.is_empty() {
                gb.iter_mut().zip(&go[start..end]).for_each(|(g, &u)| *g *= u);
            }
            if !losses.is_empty() {
                losses[start..end].iter_mut().zip(pb).zip(tb).for_each(|((l, &a), &b)| *l = (a - b) * (a - b));
            }
            *sum += lane_sum(&acc);
        }
    }
}

/// Squared error of `pred` against `target` (same length) and its gradient with respect to
/// `pred`. Errors name `target` (length), `pred`/`target` (a NaN/Inf, with its flat index) and
/// `gradOutput` (length, NaN/Inf, or given without `reduction = none`). An empty input gives
/// what PyTorch gives: `sum` 0, `mean` NaN.
pub fn mse_loss(pred: &[f32], target: &[f32], reduction: Reduction, grad_output: Option<&[f32]>) -> Result<LossOutput> {
    let n = pred.len();
    if target.len() != n {
        return Err(Error::invalid("target", format!("expected {n} values (the prediction's size), got {}", target.len())));
    }
    check_grad_output(grad_output, reduction, n)?;
    let scale = if reduction == Reduction::Mean { (2.0 / n as f64) as f32 } else { 2.0 };
    let per_item = reduction == Reduction::None;
    let go = grad_output.unwrap_or(&[]);
    let mut grad = vec![0.0f32; n];
    // Rows of one element: the chunks split the flat range.
    let chunks = map_row_chunks(n, 1, &mut grad, |r, g| {
        let mut losses = vec![0.0f32; if per_item { r.len() } else { 0 }];
        let (mut sum, mut bad) = (0.0f64, usize::MAX);
        let goc = if go.is_empty() { go } else { &go[r.clone()] };
        mse_chunk(&pred[r.clone()], &target[r.clone()], goc, scale, g, &mut losses, &mut sum, &mut bad);
        (r.start, sum, bad, losses)
    });
    let mut total = 0.0f64;
    let mut per = Vec::with_capacity(if per_item { n } else { 0 });
    for (start, sum, bad, losses) in chunks {
        if bad != usize::MAX {
            let a = start + bad * BLOCK;
            let i = (a..n).find(|&i| !(pred[i].is_finite() && target[i].is_finite())).unwrap_or(a);
            return Err(if pred[i].is_finite() { non_finite("target", target[i], i) } else { non_finite("pred", pred[i], i) });
        }
        total += sum;
        per.extend_from_slice(&losses);
    }
    let loss = match reduction {
        Reduction::None => LossValue::PerItem(per),
        Reduction::Sum => LossValue::Scalar(total as f32),
        Reduction::Mean => LossValue::Scalar((total / n as f64) as f32),
    };
    Ok(LossOutput { loss, grad })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_gradient, randn};
    use super::*;

    #[test]
    fn value_and_gradient() {
        let out = mse_loss(&[1.0, 2.0, 4.0], &[1.0, 0.0, 1.0], Reduction::Mean, None).unwrap();
        assert!((out.loss.scalar().unwrap() - 13.0 / 3.0).abs() < 1e-6);
        assert_eq!(out.grad, vec![0.0, 4.0 / 3.0, 2.0]);
        let out = mse_loss(&[1.0, 2.0, 4.0], &[1.0, 0.0, 1.0], Reduction::Sum, None).unwrap();
        assert_eq!(out.loss.scalar(), Some(13.0));
        assert_eq!(out.grad, vec![0.0, 4.0, 6.0]);
        let out = mse_loss(&[1.0, 2.0, 4.0], &[1.0, 0.0, 1.0], Reduction::None, Some(&[1.0, 0.5, -1.0])).unwrap();
        assert_eq!(out.loss, LossValue::PerItem(vec![0.0, 4.0, 9.0]));
        assert_eq!(out.grad, vec![0.0, 2.0, -6.0]);
        assert!(mse_loss(&[], &[], Reduction::Mean, None).unwrap().loss.scalar().unwrap().is_nan());
        assert_eq!(mse_loss(&[], &[], Reduction::Sum, None).unwrap().loss.scalar(), Some(0.0));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let p = randn(40, 1, 1.0);
        let t = randn(40, 2, 1.0);
        let go = randn(40, 3, 1.0);
        for (red, g) in [(Reduction::Mean, None), (Reduction::Sum, None), (Reduction::None, None), (Reduction::None, Some(&go[..]))] {
            let out = mse_loss(&p, &t, red, g).unwrap();
            let f = |pp: &[f32]| -> f64 {
                let per = pp.iter().zip(&t).map(|(&a, &b)| ((a - b) as f64).powi(2));
                match red {
                    Reduction::Mean => per.sum::<f64>() / pp.len() as f64,
                    Reduction::Sum => per.sum(),
                    Reduction::None => per.enumerate().map(|(i, l)| l * g.map_or(1.0, |g| g[i] as f64)).sum(),
                }
            };
            check_gradient(&format!("mse {red:?}"), &p, &out.grad, 1e-2, 1e-4, f);
        }
    }

    #[test]
    fn large_inputs_split_over_threads() {
        let n = 300_000;
        let p = randn(n, 4, 1.0);
        let t = randn(n, 5, 1.0);
        let out = mse_loss(&p, &t, Reduction::Mean, None).unwrap();
        let want = p.iter().zip(&t).map(|(&a, &b)| ((a - b) as f64).powi(2)).sum::<f64>() / n as f64;
        assert!((out.loss.scalar().unwrap() as f64 - want).abs() < 1e-6 * want);
        let mut bad = t.clone();
        bad[200_001] = f32::NAN;
        bad[250_000] = f32::INFINITY;
        let e = mse_loss(&p, &bad, Reduction::Mean, None).unwrap_err().to_string();
        assert!(e.starts_with("target:") && e.contains("index 200001"), "{e}");
    }

    #[test]
    fn errors_name_the_argument() {
        assert!(mse_loss(&[1.0], &[1.0, 2.0], Reduction::Mean, None).unwrap_err().to_string().starts_with("target:"));
        let e = mse_loss(&[1.0, f32::NAN], &[1.0, 2.0], Reduction::Mean, None).unwrap_err().to_string();
        assert!(e.starts_with("pred:") && e.contains("index 1"), "{e}");
        assert!(mse_loss(&[1.0], &[f32::NAN], Reduction::Mean, None).unwrap_err().to_string().starts_with("target:"));
        assert!(mse_loss(&[1.0], &[1.0], Reduction::Sum, Some(&[1.0])).unwrap_err().to_string().starts_with("gradOutput:"));
        assert!(mse_loss(&[1.0], &[1.0], Reduction::None, Some(&[1.0, 2.0])).unwrap_err().to_string().starts_with("gradOutput:"));
    }
}
