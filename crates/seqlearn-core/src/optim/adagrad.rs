//! Adagrad (`torch.optim.Adagrad`, single-tensor dense rule): a per-parameter sum of squared
//! gradients scales the step, with learning-rate decay, weight decay and `maximize`.

use crate::error::Result;

/// Hyper-parameters of Adagrad (PyTorch defaults: lr 1e-2, no decay, accumulator 0, eps 1e-10).
#[derive(Clone, Debug, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate.
    pub lr: f64,
    /// Learning-rate decay: step `t` uses `lr / (1 + (t − 1)·lr_decay)`.
    pub lr_decay: f64,
    /// L2 weight decay λ.
    pub weight_decay: f64,
    /// Starting value of the sum of squared gradients.
    pub initial_accumulator_value: f64,
    /// ε, added to the square root of the sum.
    pub eps: f64,
    /// Ascend the objective instead of descending it.
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10, maximize: false }
    }
}

impl AdagradConfig {
    /// Checks every hyper-parameter, naming the one that is wrong (PyTorch's rules).
    pub fn validate(&self) -> Result<()> {
        super::check_non_negative("lr", self.lr)?;
        super::check_non_negative("lrDecay", self.lr_decay)?;
        super::check_non_negative("weightDecay", self.weight_decay)?;
        super::check_non_negative("initialAccumulatorValue", self.initial_accumulator_value)?;
        super::check_non_negative("eps", self.eps)
    }

    /// The per-step scalars for a layer at its `step`-th update (1-based) with learning rate `lr`.
    pub(crate) fn scalars(&self, lr: f64, step: u64) -> AdagradStep {
        let clr = lr / (1.0 + (step as f64 - 1.0) * self.lr_decay);
        AdagradStep { sign: if self.maximize { -1.0 } else { 1.0 }, weight_decay: self.weight_decay as f32, eps: self.eps as f32, neg_clr: (-clr) as f32 }
    }
}

/// Scalars of one Adagrad step of one layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdagradStep {
    sign: f32,
    weight_decay: f32,
    eps: f32,
    neg_clr: f32,
}

crate::dispatch! {
    /// One Adagrad update of a chunk: parameters `p`, gradients `g`, sums of squares `sum`
    /// (all the same length).
    pub(crate) fn adagrad_chunk(s: &AdagradStep, p: &mut [f32], g: &[f32], sum: &mut [f32]) {
        let n = p.len();
        let (g, sum) = (&g[..n], &mut sum[..n]);
        for i in 0..n {
            let d = g[i] * s.sign + s.weight_decay * p[i];
            let acc = sum[i] + d * d;
            sum[i] = acc;
            let std = acc.sqrt() + s.eps;
            p[i] += s.neg_clr * d / std;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_update_rule() {
        // lr 0.1, lr_decay 0.5, accumulator 1: step 1 uses lr 0.1, step 2 uses 0.1 / 1.5.
        let cfg = AdagradConfig { lr: 0.1, lr_decay: 0.5, initial_accumulator_value: 1.0, ..Default::default() };
        let (mut p, mut sum) = ([1.0f32], [1.0f32]);
        adagrad_chunk(&cfg.scalars(cfg.lr, 1), &mut p, &[2.0], &mut sum);
        let p1 = 1.0 - 0.1 * 2.0 / (5.0f64.sqrt() + 1e-10);
        assert!((p[0] as f64 - p1).abs() < 1e-6 && sum[0] == 5.0);
        adagrad_chunk(&cfg.scalars(cfg.lr, 2), &mut p, &[2.0], &mut sum);
        let p2 = p1 - 0.1 / 1.5 * 2.0 / (9.0f64.sqrt() + 1e-10);
        assert!((p[0] as f64 - p2).abs() < 1e-6, "{} vs {p2}", p[0]);
    }

    #[test]
    fn rejects_bad_config() {
        let err = |c: AdagradConfig| c.validate().unwrap_err().to_string();
        assert!(err(AdagradConfig { lr_decay: -1.0, ..Default::default() }).starts_with("lrDecay:"));
        assert!(err(AdagradConfig { initial_accumulator_value: -1.0, ..Default::default() }).starts_with("initialAccumulatorValue:"));
        assert!(err(AdagradConfig { eps: f64::NAN, ..Default::default() }).starts_with("eps:"));
    }
}
