//! Losses, optimizer states and gradient clipping for JavaScript. An optimizer state belongs
//! to one layer: `step(layer)` updates all of that layer's parameters in one native call.

use napi_derive::napi;
use seqlearn_core::optim::{self, AdamConfig, SgdConfig};

use crate::convert::{shape_of, tensor_out, TensorArg, TensorOut};
use crate::error::{invalid, to_js};
use crate::recurrent::RecurrentNet;

/// Loss value and its gradient with respect to the prediction.
#[napi(object, object_from_js = false)]
pub struct LossResult {
    /// Scalar loss.
    pub loss: f64,
    /// Gradient, shaped like the prediction.
    pub grad: TensorOut,
}

/// Mean squared error (PyTorch `MSELoss`, mean reduction).
#[napi(catch_unwind)]
pub fn mse_loss(pred: TensorArg, target: TensorArg) -> napi::Result<LossResult> {
    let ps = shape_of("pred", &pred.shape, pred.data.len())?;
    let ts = shape_of("target", &target.shape, target.data.len())?;
    if ps != ts {
        return Err(to_js(seqlearn_core::Error::shape("target", &ps, &ts)));
    }
    let (loss, grad) = optim_loss(&pred.data, &target.data)?;
    Ok(LossResult { loss: loss as f64, grad: tensor_out(grad, &ps) })
}

fn optim_loss(p: &[f32], t: &[f32]) -> napi::Result<(f32, Vec<f32>)> {
    seqlearn_core::loss::mse_loss(p, t).map_err(to_js)
}

fn check_lr(lr: f64) -> napi::Result<f64> {
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(invalid("lr", format!("expected a finite value ≥ 0, got {lr}")));
    }
    Ok(lr)
}

/// Options of `AdamState` (PyTorch defaults).
#[napi(object)]
pub struct AdamOptions {
    /// Learning rate (default 1e-3).
    pub lr: Option<f64>,
    /// β1 (default 0.9).
    pub beta1: Option<f64>,
    /// β2 (default 0.999).
    pub beta2: Option<f64>,
    /// ε (default 1e-8).
    pub eps: Option<f64>,
    /// Weight decay (default 0).
    pub weight_decay: Option<f64>,
    /// AdamW's decoupled weight decay (default false).
    pub decoupled: Option<bool>,
}

/// Adam/AdamW moments of one layer's parameters.
#[napi]
pub struct AdamState {
    inner: optim::Adam,
}

#[napi]
impl AdamState {
    /// State for a layer with `numParameters` parameters.
    #[napi(constructor, catch_unwind)]
    pub fn new(num_parameters: f64, options: AdamOptions) -> napi::Result<Self> {
        let d = AdamConfig::default();
        let cfg = AdamConfig {
            lr: options.lr.unwrap_or(d.lr),
            beta1: options.beta1.unwrap_or(d.beta1),
            beta2: options.beta2.unwrap_or(d.beta2),
            eps: options.eps.unwrap_or(d.eps),
            weight_decay: options.weight_decay.unwrap_or(d.weight_decay),
            decoupled: options.decoupled.unwrap_or(false),
        };
        let n = crate::convert::to_usize("numParameters", num_parameters, 0, 1 << 40)?;
        Ok(AdamState { inner: optim::Adam::new(cfg, n).map_err(to_js)? })
    }

    /// One Adam step on `layer`'s parameters from its accumulated gradients.
    #[napi(catch_unwind)]
    pub fn step(&mut self, layer: &RecurrentNet) -> napi::Result<()> {
        layer.with_params(|data, grad| self.inner.update(data, grad).map_err(to_js))
    }

    /// Learning rate (settable, for schedules).
    #[napi(getter)]
    pub fn lr(&self) -> f64 {
        self.inner.config.lr
    }

    /// Sets the learning rate.
    #[napi(setter, catch_unwind)]
    pub fn set_lr(&mut self, lr: f64) -> napi::Result<()> {
        self.inner.config.lr = check_lr(lr)?;
        Ok(())
    }

    /// Steps taken.
    #[napi(getter)]
    pub fn steps(&self) -> f64 {
        self.inner.step as f64
    }
}

/// Options of `SgdState` (PyTorch defaults).
#[napi(object)]
pub struct SgdOptions {
    /// Learning rate (default 1e-3).
    pub lr: Option<f64>,
    /// Momentum (default 0).
    pub momentum: Option<f64>,
    /// Dampening (default 0).
    pub dampening: Option<f64>,
    /// Weight decay (default 0).
    pub weight_decay: Option<f64>,
    /// Nesterov momentum (default false).
    pub nesterov: Option<bool>,
}

/// SGD momentum buffer of one layer's parameters.
#[napi]
pub struct SgdState {
    inner: optim::Sgd,
}

#[napi]
impl SgdState {
    /// State for a layer with `numParameters` parameters.
    #[napi(constructor, catch_unwind)]
    pub fn new(num_parameters: f64, options: SgdOptions) -> napi::Result<Self> {
        let cfg = SgdConfig {
            lr: options.lr.unwrap_or(1e-3),
            momentum: options.momentum.unwrap_or(0.0),
            dampening: options.dampening.unwrap_or(0.0),
            weight_decay: options.weight_decay.unwrap_or(0.0),
            nesterov: options.nesterov.unwrap_or(false),
        };
        let n = crate::convert::to_usize("numParameters", num_parameters, 0, 1 << 40)?;
        Ok(SgdState { inner: optim::Sgd::new(cfg, n).map_err(to_js)? })
    }

    /// One SGD step on `layer`'s parameters.
    #[napi(catch_unwind)]
    pub fn step(&mut self, layer: &RecurrentNet) -> napi::Result<()> {
        layer.with_params(|data, grad| self.inner.update(data, grad).map_err(to_js))
    }

    /// Learning rate.
    #[napi(getter)]
    pub fn lr(&self) -> f64 {
        self.inner.config.lr
    }

    /// Sets the learning rate.
    #[napi(setter, catch_unwind)]
    pub fn set_lr(&mut self, lr: f64) -> napi::Result<()> {
        self.inner.config.lr = check_lr(lr)?;
        Ok(())
    }
}

/// Scales the gradients of all `layers` together so their global L2 norm is at most `maxNorm`;
/// returns the norm before clipping (`torch.nn.utils.clip_grad_norm_`).
#[napi(catch_unwind)]
pub fn clip_grad_norm(layers: Vec<&RecurrentNet>, max_norm: f64) -> napi::Result<f64> {
    if !(max_norm.is_finite() && max_norm > 0.0) {
        return Err(invalid("maxNorm", format!("expected a finite value > 0, got {max_norm}")));
    }
    let mut guards = Vec::with_capacity(layers.len());
    for l in &layers {
        guards.push(l.lock_net()?);
    }
    let mut grads: Vec<&mut [f32]> = guards.iter_mut().map(|g| g.params.grad.as_mut_slice()).collect();
    Ok(optim::clip_grad_norm(&mut grads, max_norm as f32) as f64)
}
