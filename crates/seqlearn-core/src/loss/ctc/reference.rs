//! A plain f64 reference of the CTC loss for the tests: full α and β matrices in log space,
//! scalar loops, PyTorch's formulas written out (`γ_t(c) = Σ_{s: l'_s = c} exp(α + β − lp + nll)`,
//! gradient `exp(lp) − γ`, reductions), no band pruning, no offsets, no threads.

use super::{CtcInputKind, CtcLossOptions};
use crate::loss::Reduction;

fn lse(v: &[f64]) -> f64 {
    let m = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

/// `−ln p(l|x)` and the posteriors `γ[t][c]` of one item from its log-probabilities `lp[t][c]`.
pub fn item(lp: &[Vec<f64>], labels: &[i32], blank: usize) -> (f64, Vec<Vec<f64>>) {
    let t_len = lp.len();
    let classes = lp.first().map_or(0, |r| r.len());
    let ext: Vec<usize> = (0..2 * labels.len() + 1).map(|s| if s % 2 == 0 { blank } else { labels[s / 2] as usize }).collect();
    let n = ext.len();
    if t_len == 0 {
        return (if labels.is_empty() { 0.0 } else { f64::INFINITY }, vec![]);
    }
    let skip = |s: usize| s >= 2 && ext[s] != blank && ext[s] != ext[s - 2];
    let ninf = f64::NEG_INFINITY;
    let mut a = vec![vec![ninf; n]; t_len];
    let mut b = vec![vec![ninf; n]; t_len];
    a[0][0] = lp[0][ext[0]];
    if n > 1 {
        a[0][1] = lp[0][ext[1]];
    }
    for t in 1..t_len {
        for s in 0..n {
            let mut terms = vec![a[t - 1][s]];
            if s >= 1 {
                terms.push(a[t - 1][s - 1]);
            }
            if skip(s) {
                terms.push(a[t - 1][s - 2]);
            }
            a[t][s] = lp[t][ext[s]] + lse(&terms);
        }
    }
    b[t_len - 1][n - 1] = lp[t_len - 1][ext[n - 1]];
    if n > 1 {
        b[t_len - 1][n - 2] = lp[t_len - 1][ext[n - 2]];
    }
    for t in (0..t_len - 1).rev() {
        for s in 0..n {
            let mut terms = vec![b[t + 1][s]];
            if s + 1 < n {
                terms.push(b[t + 1][s + 1]);
            }
            if s + 2 < n && skip(s + 2) {
                terms.push(b[t + 1][s + 2]);
            }
            b[t][s] = lp[t][ext[s]] + lse(&terms);
        }
    }
    let last = if n > 1 { vec![a[t_len - 1][n - 1], a[t_len - 1][n - 2]] } else { vec![a[t_len - 1][0]] };
    let nll = -lse(&last);
    let mut gamma = vec![vec![0.0; classes]; t_len];
    if nll.is_finite() {
        for t in 0..t_len {
            for (s, &c) in ext.iter().enumerate() {
                gamma[t][c] += (a[t][s] + b[t][s] - lp[t][c] + nll).exp();
            }
        }
    }
    (nll, gamma)
}

/// Result of [`batch`].
pub struct RefOut {
    /// The reduced loss.
    pub loss: f64,
    /// Per-item losses (after `zero_infinity`).
    pub losses: Vec<f64>,
    /// The gradient in the input's layout (0 for items with an infinite loss).
    pub grad: Vec<f64>,
}

/// The reference on a whole batch (`labels[b]` per item), in the input's layout.
pub fn batch(input: &[f32], shape: [usize; 3], labels: &[Vec<i32>], input_lengths: &[usize], o: &CtcLossOptions) -> RefOut {
    let [d0, d1, c] = shape;
    let (frames, n) = if o.batch_first { (d1, d0) } else { (d0, d1) };
    let at = |t: usize, b: usize| {
        if o.batch_first {
            (b * frames + t) * c
        } else {
            (t * n + b) * c
        }
    };
    let mut grad = vec![0.0f64; input.len()];
    let mut losses = vec![0.0; n];
    let mut total = 0.0;
    for b in 0..n {
        let tb = input_lengths[b];
        let lp: Vec<Vec<f64>> = (0..tb)
            .map(|t| {
                let z: Vec<f64> = input[at(t, b)..at(t, b) + c].iter().map(|&v| v as f64).collect();
                match o.input_kind {
                    CtcInputKind::LogProbs => z,
                    CtcInputKind::Logits => {
                        let l = lse(&z);
                        z.iter().map(|v| v - l).collect()
                    }
                }
            })
            .collect();
        let (mut nll, gamma) = item(&lp, &labels[b], o.blank);
        let scale = match o.reduction {
            Reduction::Mean => 1.0 / (n as f64 * labels[b].len().max(1) as f64),
            _ => 1.0,
        };
        if nll.is_finite() {
            for t in 0..tb {
                for k in 0..c {
                    grad[at(t, b) + k] = scale * (lp[t][k].exp() - gamma[t][k]);
                }
            }
        } else if o.zero_infinity {
            nll = 0.0;
        }
        losses[b] = nll;
        total += match o.reduction {
            Reduction::Mean => nll / labels[b].len().max(1) as f64,
            _ => nll,
        };
    }
    let loss = if o.reduction == Reduction::Mean { total / n as f64 } else { total };
    RefOut { loss, losses, grad }
}
