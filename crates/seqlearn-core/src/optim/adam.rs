//! Adam and AdamW (`torch.optim.Adam` / `torch.optim.AdamW`, single-tensor update rule).

use crate::error::{Error, Result};

/// Hyper-parameters (PyTorch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε, added outside the square root.
    pub eps: f64,
    /// Weight decay λ.
    pub weight_decay: f64,
    /// `true` = AdamW (decoupled: θ ← θ(1 − lr·λ)); `false` = Adam (L2: g ← g + λθ).
    pub decoupled: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false }
    }
}

impl AdamConfig {
    /// Checks every hyper-parameter, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, v: f64, what: &str| Err(Error::invalid(name, format!("expected {what}, got {v}")));
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return bad("lr", self.lr, "a finite value ≥ 0");
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return bad("beta1", self.beta1, "a value in [0, 1)");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return bad("beta2", self.beta2, "a value in [0, 1)");
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return bad("eps", self.eps, "a finite value ≥ 0");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weightDecay", self.weight_decay, "a finite value ≥ 0");
        }
        Ok(())
    }
}

/// Adam state for one flat parameter buffer.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Hyper-parameters (the learning rate may be changed between steps).
    pub config: AdamConfig,
    /// First moments.
    pub exp_avg: Vec<f32>,
    /// Second moments.
    pub exp_avg_sq: Vec<f32>,
    /// Steps taken.
    pub step: u64,
}

impl Adam {
    /// State for `n` parameters.
    pub fn new(config: AdamConfig, n: usize) -> Result<Self> {
        config.validate()?;
        Ok(Adam { config, exp_avg: vec![0.0; n], exp_avg_sq: vec![0.0; n], step: 0 })
    }

    /// One update of `params` from `grads`.
    pub fn update(&mut self, params: &mut [f32], grads: &[f32]) -> Result<()> {
        if params.len() != self.exp_avg.len() || grads.len() != params.len() {
            return Err(Error::invalid("params", format!("this optimizer state holds {} parameters, got {} parameters and {} gradients", self.exp_avg.len(), params.len(), grads.len())));
        }
        self.step += 1;
        let c = &self.config;
        // 1 − β computed in f64 as PyTorch does in Python (β2 = 0.999 in f32 would lose digits).
        let (b2, one_m_b1, one_m_b2) = (c.beta2 as f32, (1.0 - c.beta1) as f32, (1.0 - c.beta2) as f32);
        let bc1 = 1.0 - c.beta1.powi(self.step as i32);
        let bc2_sqrt = (1.0 - c.beta2.powi(self.step as i32)).sqrt() as f32;
        let step_size = (c.lr / bc1) as f32;
        let (wd, eps, lr) = (c.weight_decay as f32, c.eps as f32, c.lr as f32);
        let decay = if c.decoupled { 1.0 - lr * wd } else { 1.0 };
        let l2 = if c.decoupled { 0.0 } else { wd };
        for (((p, &g0), m), v) in params.iter_mut().zip(grads).zip(self.exp_avg.iter_mut()).zip(self.exp_avg_sq.iter_mut()) {
            *p *= decay;
            let g = g0 + l2 * *p;
            *m += (g - *m) * one_m_b1;
            *v = *v * b2 + one_m_b2 * g * g;
            let denom = v.sqrt() / bc2_sqrt + eps;
            *p -= step_size * (*m / denom);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// torch.optim.Adam(lr=0.1, weight_decay=0.01), params [1.0, -2.0], constant grads [0.5, 0.25],
    /// three steps, computed by the update rule in f64.
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
    fn matches_torch_update_rule() {
        for decoupled in [false, true] {
            let mut opt = Adam::new(AdamConfig { lr: 0.1, weight_decay: 0.01, decoupled, ..Default::default() }, 2).unwrap();
            let mut p = [1.0f32, -2.0];
            for _ in 0..3 {
                opt.update(&mut p, &[0.5, 0.25]).unwrap();
            }
            for (a, b) in p.iter().zip(reference(decoupled)) {
                assert!((*a as f64 - b).abs() < 1e-6, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn rejects_bad_config_and_sizes() {
        assert!(Adam::new(AdamConfig { lr: -1.0, ..Default::default() }, 1).unwrap_err().to_string().starts_with("lr:"));
        assert!(Adam::new(AdamConfig { beta2: 1.0, ..Default::default() }, 1).unwrap_err().to_string().starts_with("beta2:"));
        let mut o = Adam::new(AdamConfig::default(), 2).unwrap();
        assert!(o.update(&mut [0.0; 3], &[0.0; 3]).is_err());
    }
}
