//! RMSprop (`torch.optim.RMSprop`, single-tensor rule): a running average of squared gradients
//! scales the step, optionally centred (minus the squared running mean) and with momentum.

use crate::error::{Error, Result};

/// Hyper-parameters of RMSprop (PyTorch defaults: lr 1e-2, alpha 0.99, eps 1e-8, the rest off).
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate.
    pub lr: f64,
    /// Smoothing constant α of the running averages.
    pub alpha: f64,
    /// ε, added to the root of the average.
    pub eps: f64,
    /// L2 weight decay λ.
    pub weight_decay: f64,
    /// Momentum factor.
    pub momentum: f64,
    /// Normalise by the estimated variance (subtract the squared running mean of the gradient).
    pub centered: bool,
    /// Ascend the objective instead of descending it.
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false, maximize: false }
    }
}

impl RmsPropConfig {
    /// Checks every hyper-parameter, naming the one that is wrong. PyTorch only asks α ≥ 0; an
    /// α above 1 makes the average negative (NaN steps), so it is refused here.
    pub fn validate(&self) -> Result<()> {
        super::check_non_negative("lr", self.lr)?;
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Error::invalid("alpha", format!("expected a value in [0, 1], got {}", self.alpha)));
        }
        super::check_non_negative("eps", self.eps)?;
        super::check_non_negative("weightDecay", self.weight_decay)?;
        super::check_non_negative("momentum", self.momentum)
    }

    /// The per-step scalars for a layer with learning rate `lr`.
    pub(crate) fn scalars(&self, lr: f64) -> RmsPropStep {
        RmsPropStep {
            sign: if self.maximize { -1.0 } else { 1.0 },
            weight_decay: self.weight_decay as f32,
            alpha: self.alpha as f32,
            one_minus_alpha: (1.0 - self.alpha) as f32,
            eps: self.eps as f32,
            momentum: self.momentum as f32,
            neg_lr: (-lr) as f32,
            centered: self.centered,
            use_momentum: self.momentum > 0.0,
        }
    }
}

/// Scalars of one RMSprop step of one layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RmsPropStep {
    sign: f32,
    weight_decay: f32,
    alpha: f32,
    one_minus_alpha: f32,
    eps: f32,
    momentum: f32,
    neg_lr: f32,
    centered: bool,
    use_momentum: bool,
}

#[inline(always)]
fn elems<const CENTERED: bool, const MOMENTUM: bool>(s: &RmsPropStep, p: &mut [f32], g: &[f32], sq: &mut [f32], buf: &mut [f32], mean: &mut [f32]) {
    let n = p.len();
    let (g, sq) = (&g[..n], &mut sq[..n]);
    let buf = if MOMENTUM { &mut buf[..n] } else { buf };
    let mean = if CENTERED { &mut mean[..n] } else { mean };
    for i in 0..n {
        let d = g[i] * s.sign + s.weight_decay * p[i];
        let a = sq[i] * s.alpha + s.one_minus_alpha * d * d;
        sq[i] = a;
        let root = if CENTERED {
            let m = mean[i] + s.one_minus_alpha * (d - mean[i]);
            mean[i] = m;
            (a + -m * m).sqrt()
        } else {
            a.sqrt()
        };
        let avg = root + s.eps;
        if MOMENTUM {
            let b = buf[i] * s.momentum + d / avg;
            buf[i] = b;
            p[i] += s.neg_lr * b;
        } else {
            p[i] += s.neg_lr * d / avg;
        }
    }
}

crate::dispatch! {
    /// One RMSprop update of a chunk: parameters `p`, gradients `g`, squared average `sq`,
    /// momentum buffer `buf` (empty without momentum) and gradient average `mean` (empty unless
    /// centred). Used slices have the same length.
    pub(crate) fn rmsprop_chunk(s: &RmsPropStep, p: &mut [f32], g: &[f32], sq: &mut [f32], buf: &mut [f32], mean: &mut [f32]) {
        match (s.centered, s.use_momentum) {
            (false, false) => elems::<false, false>(s, p, g, sq, buf, mean),
            (false, true) => elems::<false, true>(s, p, g, sq, buf, mean),
            (true, false) => elems::<true, false>(s, p, g, sq, buf, mean),
            (true, true) => elems::<true, true>(s, p, g, sq, buf, mean),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two steps in f64 of the torch rule, centred with momentum.
    #[test]
    fn centered_with_momentum_follows_the_update_rule() {
        let cfg = RmsPropConfig { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, ..Default::default() };
        let (mut p, mut sq, mut buf, mut mean) = ([1.0f32], [0.0f32], [0.0f32], [0.0f32]);
        let (mut rp, mut rsq, mut rbuf, mut rmean) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
        for g in [0.5f64, -0.25] {
            rmsprop_chunk(&cfg.scalars(cfg.lr), &mut p, &[g as f32], &mut sq, &mut buf, &mut mean);
            rsq = rsq * 0.9 + 0.1 * g * g;
            rmean += 0.1 * (g - rmean);
            let avg = (rsq - rmean * rmean).sqrt() + 1e-8;
            rbuf = rbuf * 0.5 + g / avg;
            rp -= 0.01 * rbuf;
        }
        assert!((p[0] as f64 - rp).abs() < 1e-6, "{} vs {rp}", p[0]);
    }

    #[test]
    fn rejects_bad_config() {
        let err = |c: RmsPropConfig| c.validate().unwrap_err().to_string();
        assert!(err(RmsPropConfig { alpha: 1.5, ..Default::default() }).starts_with("alpha:"));
        assert!(err(RmsPropConfig { alpha: -0.1, ..Default::default() }).starts_with("alpha:"));
        assert!(err(RmsPropConfig { momentum: -1.0, ..Default::default() }).starts_with("momentum:"));
        assert!(err(RmsPropConfig { eps: -1.0, ..Default::default() }).starts_with("eps:"));
    }
}
