//! Adam and AdamW (`torch.optim.Adam` / `torch.optim.AdamW`, single-tensor rule), with AMSGrad,
//! L2 or decoupled weight decay and `maximize`.

use crate::error::{Error, Result};

/// Hyper-parameters of Adam/AdamW (PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8,
/// weight decay 0 for Adam and 1e-2 for AdamW).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// β1, decay of the first moment.
    pub beta1: f64,
    /// β2, decay of the second moment.
    pub beta2: f64,
    /// ε, added to the denominator outside the square root.
    pub eps: f64,
    /// Weight decay λ.
    pub weight_decay: f64,
    /// AMSGrad: normalise by the running maximum of the second moment.
    pub amsgrad: bool,
    /// Ascend the objective instead of descending it.
    pub maximize: bool,
    /// `true` = AdamW (decoupled: θ ← θ(1 − lr·λ)); `false` = Adam (L2: g ← g + λθ).
    pub decoupled: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false, decoupled: false }
    }
}

impl AdamConfig {
    /// AdamW's defaults (weight decay 1e-2, decoupled).
    pub fn adamw() -> Self {
        AdamConfig { weight_decay: 1e-2, decoupled: true, ..Default::default() }
    }

    /// Checks every hyper-parameter, naming the one that is wrong (PyTorch's rules).
    pub fn validate(&self) -> Result<()> {
        super::check_non_negative("lr", self.lr)?;
        for (name, b) in [("betas[0]", self.beta1), ("betas[1]", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::invalid(name, format!("expected a value in [0, 1), got {b}")));
            }
        }
        super::check_non_negative("eps", self.eps)?;
        super::check_non_negative("weightDecay", self.weight_decay)
    }

    /// The per-step scalars for a layer at its `step`-th update (1-based) with learning rate `lr`.
    pub(crate) fn scalars(&self, lr: f64, step: u64) -> AdamStep {
        // As PyTorch: bias corrections in f64 (`beta ** step` with a float step), then each
        // scalar rounded to f32 where it meets the tensors.
        let t = step as f64;
        let bias_correction1 = 1.0 - self.beta1.powf(t);
        let bias_correction2 = 1.0 - self.beta2.powf(t);
        let step_size = lr / bias_correction1;
        let decoupled = self.decoupled && self.weight_decay != 0.0;
        let l2 = !self.decoupled && self.weight_decay != 0.0;
        AdamStep {
            sign: if self.maximize { -1.0 } else { 1.0 },
            l2: if l2 { self.weight_decay as f32 } else { 0.0 },
            decay: if decoupled { (1.0 - lr * self.weight_decay) as f32 } else { 1.0 },
            one_minus_beta1: (1.0 - self.beta1) as f32,
            beta2: self.beta2 as f32,
            one_minus_beta2: (1.0 - self.beta2) as f32,
            bias_correction2_sqrt: bias_correction2.powf(0.5) as f32,
            eps: self.eps as f32,
            neg_step_size: (-step_size) as f32,
            amsgrad: self.amsgrad,
        }
    }
}

/// Scalars of one Adam step of one layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamStep {
    sign: f32,
    l2: f32,
    decay: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    bias_correction2_sqrt: f32,
    eps: f32,
    neg_step_size: f32,
    amsgrad: bool,
}

#[inline(always)]
fn elems<const AMSGRAD: bool>(s: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], vmax: &mut [f32]) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let vmax = if AMSGRAD { &mut vmax[..n] } else { vmax };
    for i in 0..n {
        let theta = p[i] * s.decay;
        let d = g[i] * s.sign + s.l2 * theta;
        let mi = m[i] + s.one_minus_beta1 * (d - m[i]);
        let vi = v[i] * s.beta2 + s.one_minus_beta2 * d * d;
        m[i] = mi;
        v[i] = vi;
        let second = if AMSGRAD {
            // torch.maximum: NaN propagates.
            let mx = if vi > vmax[i] || vi.is_nan() { vi } else { vmax[i] };
            vmax[i] = mx;
            mx
        } else {
            vi
        };
        let denom = second.sqrt() / s.bias_correction2_sqrt + s.eps;
        p[i] = theta + s.neg_step_size * mi / denom;
    }
}

crate::dispatch! {
    /// One Adam update of a chunk: parameters `p`, gradients `g`, moments `m` and `v`, and the
    /// AMSGrad maximum `vmax` (empty without AMSGrad). Used slices have the same length.
    pub(crate) fn adam_chunk(s: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], vmax: &mut [f32]) {
        if s.amsgrad {
            elems::<true>(s, p, g, m, v, vmax)
        } else {
            elems::<false>(s, p, g, m, v, vmax)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adam/AdamW(lr=0.1, weight_decay=0.01), params [1.0, -2.0], constant grads [0.5, 0.25],
    /// three steps, by the update rule in f64.
    fn reference(decoupled: bool) -> Vec<f64> {
        let (lr, b1, b2, eps, wd) = (0.1f64, 0.9f64, 0.999f64, 1e-8f64, 0.01f64);
        let mut p = [1.0f64, -2.0];
        let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
        for t in 1..=3 {
            for i in 0..2 {
                if decoupled {
                    p[i] *= 1.0 - lr * wd;
                }
                let g = [0.5, 0.25][i] + if decoupled { 0.0 } else { wd * p[i] };
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                let denom = v[i].sqrt() / (1.0 - b2.powi(t)).sqrt() + eps;
                p[i] -= lr / (1.0 - b1.powi(t)) * m[i] / denom;
            }
        }
        p.to_vec()
    }

    #[test]
    fn matches_the_update_rule_in_f64() {
        for decoupled in [false, true] {
            let cfg = AdamConfig { lr: 0.1, weight_decay: 0.01, decoupled, ..Default::default() };
            let (mut p, mut m, mut v) = ([1.0f32, -2.0], [0.0f32; 2], [0.0f32; 2]);
            for t in 1..=3 {
                adam_chunk(&cfg.scalars(cfg.lr, t), &mut p, &[0.5, 0.25], &mut m, &mut v, &mut []);
            }
            for (a, b) in p.iter().zip(reference(decoupled)) {
                assert!((*a as f64 - b).abs() < 1e-6, "decoupled {decoupled}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn amsgrad_keeps_the_running_maximum() {
        let cfg = AdamConfig { lr: 0.01, amsgrad: true, ..Default::default() };
        let (mut p, mut m, mut v, mut vmax) = ([0.0f32], [0.0f32], [0.0f32], [0.0f32]);
        adam_chunk(&cfg.scalars(cfg.lr, 1), &mut p, &[2.0], &mut m, &mut v, &mut vmax);
        let peak = vmax[0];
        adam_chunk(&cfg.scalars(cfg.lr, 2), &mut p, &[0.0], &mut m, &mut v, &mut vmax);
        assert!(v[0] < peak && vmax[0] == peak, "v {} vmax {} peak {peak}", v[0], vmax[0]);
    }

    #[test]
    fn rejects_bad_config() {
        let err = |c: AdamConfig| c.validate().unwrap_err().to_string();
        assert!(err(AdamConfig { lr: -1.0, ..Default::default() }).starts_with("lr:"));
        assert!(err(AdamConfig { beta1: -0.1, ..Default::default() }).starts_with("betas[0]:"));
        assert!(err(AdamConfig { beta2: 1.0, ..Default::default() }).starts_with("betas[1]:"));
        assert!(err(AdamConfig { beta2: f64::NAN, ..Default::default() }).starts_with("betas[1]:"));
        assert!(err(AdamConfig { eps: -1e-8, ..Default::default() }).starts_with("eps:"));
        assert!(err(AdamConfig { weight_decay: f64::INFINITY, ..Default::default() }).starts_with("weightDecay:"));
    }
}
