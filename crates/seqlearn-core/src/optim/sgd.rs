//! SGD with momentum, dampening, Nesterov, weight decay and `maximize` (`torch.optim.SGD`,
//! single-tensor rule). The momentum buffer starts as a copy of the first gradient, as in PyTorch.

use crate::error::{Error, Result};

/// Hyper-parameters of SGD (PyTorch defaults: lr 1e-3, everything else off).
#[derive(Clone, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor μ.
    pub momentum: f64,
    /// Dampening τ of the momentum.
    pub dampening: f64,
    /// L2 weight decay λ (`g ← g + λθ`).
    pub weight_decay: f64,
    /// Nesterov momentum (needs μ > 0 and τ = 0).
    pub nesterov: bool,
    /// Ascend the objective instead of descending it.
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

impl SgdConfig {
    /// Checks every hyper-parameter, naming the one that is wrong (PyTorch's rules).
    pub fn validate(&self) -> Result<()> {
        super::check_non_negative("lr", self.lr)?;
        super::check_non_negative("momentum", self.momentum)?;
        super::check_non_negative("weightDecay", self.weight_decay)?;
        if !self.dampening.is_finite() {
            return Err(Error::invalid("dampening", format!("expected a finite number, got {}", self.dampening)));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::invalid(
                "nesterov",
                format!("Nesterov momentum requires momentum > 0 and dampening = 0, got momentum {} and dampening {}", self.momentum, self.dampening),
            ));
        }
        Ok(())
    }

    /// The per-step scalars for a layer whose learning rate is `lr` (base × the layer's scale).
    /// `first` is true when the layer's momentum buffer does not exist yet.
    pub(crate) fn scalars(&self, lr: f64, first: bool) -> SgdStep {
        SgdStep {
            sign: if self.maximize { -1.0 } else { 1.0 },
            weight_decay: self.weight_decay as f32,
            momentum: self.momentum as f32,
            one_minus_dampening: (1.0 - self.dampening) as f32,
            nesterov: self.nesterov,
            neg_lr: (-lr) as f32,
            use_momentum: self.momentum != 0.0,
            first,
        }
    }
}

/// Scalars of one SGD step of one layer (f32, rounded from f64 as PyTorch passes Python floats).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SgdStep {
    sign: f32,
    weight_decay: f32,
    momentum: f32,
    one_minus_dampening: f32,
    nesterov: bool,
    neg_lr: f32,
    pub(crate) use_momentum: bool,
    first: bool,
}

#[inline(always)]
fn plain(s: &SgdStep, p: &mut [f32], g: &[f32]) {
    let n = p.len();
    let g = &g[..n];
    for i in 0..n {
        let d = g[i] * s.sign + s.weight_decay * p[i];
        p[i] += s.neg_lr * d;
    }
}

#[inline(always)]
fn with_momentum<const FIRST: bool>(s: &SgdStep, p: &mut [f32], g: &[f32], buf: &mut [f32]) {
    let n = p.len();
    let (g, buf) = (&g[..n], &mut buf[..n]);
    for i in 0..n {
        let d = g[i] * s.sign + s.weight_decay * p[i];
        let b = if FIRST { d } else { buf[i] * s.momentum + s.one_minus_dampening * d };
        buf[i] = b;
        let step = if s.nesterov { d + s.momentum * b } else { b };
        p[i] += s.neg_lr * step;
    }
}

crate::dispatch! {
    /// One SGD update of a chunk: parameters `p`, gradients `g`, momentum buffer `buf` (empty
    /// without momentum). All slices but an unused `buf` have the same length.
    pub(crate) fn sgd_chunk(s: &SgdStep, p: &mut [f32], g: &[f32], buf: &mut [f32]) {
        match (s.use_momentum, s.first) {
            (false, _) => plain(s, p, g),
            (true, true) => with_momentum::<true>(s, p, g, buf),
            (true, false) => with_momentum::<false>(s, p, g, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: &SgdConfig, p: &mut [f32], grads: &[f32], steps: usize) {
        let mut buf = Vec::new();
        for _ in 0..steps {
            let first = buf.is_empty();
            if cfg.momentum != 0.0 && first {
                buf = vec![0.0; p.len()];
            }
            sgd_chunk(&cfg.scalars(cfg.lr, first), p, grads, &mut buf);
        }
    }

    #[test]
    fn momentum_and_nesterov_follow_torch() {
        // p = 1, g = 1 constant, lr = 0.1, μ = 0.9: buffers 1, 1.9, 2.71.
        let cfg = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
        let mut p = [1.0f32];
        run(&cfg, &mut p, &[1.0], 3);
        assert!((p[0] - (1.0 - 0.1 * (1.0 + 1.9 + 2.71))).abs() < 1e-6);
        let nes = SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() };
        let mut q = [1.0f32];
        run(&nes, &mut q, &[1.0], 1);
        assert!((q[0] - (1.0 - 0.1 * 1.9)).abs() < 1e-6);
        let max = SgdConfig { lr: 0.1, maximize: true, weight_decay: 0.5, ..Default::default() };
        let mut r = [2.0f32];
        run(&max, &mut r, &[1.0], 1);
        // d = -1 + 0.5·2 = 0 → unchanged.
        assert_eq!(r[0], 2.0);
    }

    #[test]
    fn rejects_bad_config() {
        let err = |c: SgdConfig| c.validate().unwrap_err().to_string();
        assert!(err(SgdConfig { lr: -1.0, ..Default::default() }).starts_with("lr:"));
        assert!(err(SgdConfig { lr: f64::NAN, ..Default::default() }).starts_with("lr:"));
        assert!(err(SgdConfig { momentum: -0.1, ..Default::default() }).starts_with("momentum:"));
        assert!(err(SgdConfig { weight_decay: -0.1, ..Default::default() }).starts_with("weightDecay:"));
        assert!(err(SgdConfig { dampening: f64::INFINITY, ..Default::default() }).starts_with("dampening:"));
        assert!(err(SgdConfig { nesterov: true, ..Default::default() }).starts_with("nesterov:"));
        assert!(err(SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() }).starts_with("nesterov:"));
    }
}
