//! SGD with momentum, dampening, Nesterov and weight decay (`torch.optim.SGD`).

use crate::error::{Error, Result};

/// Hyper-parameters (PyTorch defaults: lr 1e-3, no momentum).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum μ.
    pub momentum: f64,
    /// Dampening τ.
    pub dampening: f64,
    /// Weight decay λ (L2: g ← g + λθ).
    pub weight_decay: f64,
    /// Nesterov momentum (requires μ > 0 and τ = 0).
    pub nesterov: bool,
}

impl SgdConfig {
    /// Checks every hyper-parameter, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("lr", self.lr), ("momentum", self.momentum), ("dampening", self.dampening), ("weightDecay", self.weight_decay)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(name, format!("expected a finite value ≥ 0, got {v}")));
            }
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::invalid("nesterov", "Nesterov momentum requires momentum > 0 and dampening = 0"));
        }
        Ok(())
    }
}

/// SGD state for one flat parameter buffer.
#[derive(Clone, Debug)]
pub struct Sgd {
    /// Hyper-parameters.
    pub config: SgdConfig,
    /// Momentum buffer (empty without momentum).
    pub momentum_buffer: Vec<f32>,
    /// Steps taken (the first step with momentum starts the buffer at the gradient).
    pub step: u64,
}

impl Sgd {
    /// State for `n` parameters.
    pub fn new(config: SgdConfig, n: usize) -> Result<Self> {
        config.validate()?;
        let momentum_buffer = if config.momentum != 0.0 { vec![0.0; n] } else { Vec::new() };
        Ok(Sgd { config, momentum_buffer, step: 0 })
    }

    /// One update of `params` from `grads`.
    pub fn update(&mut self, params: &mut [f32], grads: &[f32]) -> Result<()> {
        let mu_on = self.config.momentum != 0.0;
        if grads.len() != params.len() || (mu_on && self.momentum_buffer.len() != params.len()) {
            return Err(Error::invalid("params", format!("this optimizer state holds {} parameters, got {} parameters and {} gradients", self.momentum_buffer.len(), params.len(), grads.len())));
        }
        let c = &self.config;
        let (lr, mu, damp, wd) = (c.lr as f32, c.momentum as f32, c.dampening as f32, c.weight_decay as f32);
        let first = self.step == 0;
        self.step += 1;
        for (i, (p, &g0)) in params.iter_mut().zip(grads).enumerate() {
            let mut g = g0 + wd * *p;
            if mu != 0.0 {
                let b = &mut self.momentum_buffer[i];
                *b = if first { g } else { mu * *b + (1.0 - damp) * g };
                g = if c.nesterov { g + mu * *b } else { *b };
            }
            *p -= lr * g;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_and_nesterov_follow_torch() {
        // p=1, g=1 constant, lr=0.1, μ=0.9: buffers 1, 1.9, 2.71.
        let mut s = Sgd::new(SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }, 1).unwrap();
        let mut p = [1.0f32];
        for _ in 0..3 {
            s.update(&mut p, &[1.0]).unwrap();
        }
        assert!((p[0] - (1.0 - 0.1 * (1.0 + 1.9 + 2.71))).abs() < 1e-6);
        let mut n = Sgd::new(SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() }, 1).unwrap();
        let mut q = [1.0f32];
        n.update(&mut q, &[1.0]).unwrap();
        assert!((q[0] - (1.0 - 0.1 * 1.9)).abs() < 1e-6);
        assert!(Sgd::new(SgdConfig { lr: 0.1, nesterov: true, ..Default::default() }, 1).is_err());
        assert!(s.update(&mut [0.0; 2], &[0.0; 2]).is_err(), "a state for 1 parameter rejects 2");
    }
}
