//! `Optimizer`: the native class behind `SGD`, `Adam`, `AdamW`, `Adagrad` and `RMSprop` of the
//! TypeScript API. It owns a core `OptimizerState` for a fixed list of layers; `step(layers)`
//! updates every parameter of all of them in one call. Also gradient clipping over layers.
//! Only conversion and checks live here; the math is in `seqlearn_core::optim`.

use napi_derive::napi;
use seqlearn_core::optim::{self as core, OptimizerConfig, OptimizerState, StateSnapshot};
use seqlearn_core::Error;

use crate::convert::{named_tensor_list, named_tensor_out, to_usize, NamedTensorArg, NamedTensorOut, MAX_SAFE_INTEGER};
use crate::error::{invalid, to_js};
use crate::params::ParamHandle;

/// Hyper-parameters with PyTorch's names in camelCase. Unset fields keep their current value
/// (the kind's PyTorch default at construction); fields that the kind does not have are an error.
#[napi(object)]
#[derive(Default)]
pub struct OptimizerOptions {
    /// Learning rate (all kinds).
    pub lr: Option<f64>,
    /// Momentum factor (SGD, RMSprop).
    pub momentum: Option<f64>,
    /// Dampening of the momentum (SGD).
    pub dampening: Option<f64>,
    /// Nesterov momentum (SGD).
    pub nesterov: Option<bool>,
    /// Weight decay (all kinds; decoupled for AdamW).
    pub weight_decay: Option<f64>,
    /// Ascend instead of descend (all kinds).
    pub maximize: Option<bool>,
    /// `[β1, β2]` (Adam, AdamW).
    pub betas: Option<Vec<f64>>,
    /// ε of the denominator (Adam, AdamW, Adagrad, RMSprop).
    pub eps: Option<f64>,
    /// AMSGrad (Adam, AdamW).
    pub amsgrad: Option<bool>,
    /// Learning-rate decay (Adagrad).
    pub lr_decay: Option<f64>,
    /// Start value of the sum of squares (Adagrad).
    pub initial_accumulator_value: Option<f64>,
    /// Smoothing constant (RMSprop).
    pub alpha: Option<f64>,
    /// Centred RMSprop.
    pub centered: Option<bool>,
}

/// A saved optimizer state as `state()` returns it.
#[napi(object, object_from_js = false)]
pub struct OptimizerStateOut {
    /// `sgd`, `adam`, `adamw`, `adagrad` or `rmsprop`.
    pub kind: String,
    /// Every hyper-parameter of the kind.
    pub options: OptimizerOptions,
    /// Number of `step` calls.
    pub step: f64,
    /// Updates per layer (frozen layers skip steps).
    pub layer_steps: Vec<f64>,
    /// Buffers `layers.<i>.<name>` (PyTorch state keys, e.g. `layers.0.exp_avg`), shape `[numParameters]`.
    pub tensors: Vec<NamedTensorOut>,
}

/// A saved optimizer state as `loadState()` takes it.
#[napi(object)]
pub struct OptimizerStateArg {
    /// Must be this optimizer's kind.
    pub kind: String,
    /// Hyper-parameters (unset fields: the kind's defaults).
    pub options: OptimizerOptions,
    /// Number of `step` calls.
    pub step: f64,
    /// Updates per layer.
    pub layer_steps: Vec<f64>,
    /// Buffers by name.
    pub tensors: Vec<NamedTensorArg>,
}

/// Options of `clipGradNorm`.
#[napi(object)]
pub struct ClipGradNormOptions {
    /// p of the norm: a number > 0 or `Infinity` (default 2).
    pub norm_type: Option<f64>,
    /// Throw instead of returning a non-finite norm (default false).
    pub error_if_nonfinite: Option<bool>,
}

/// The options each kind accepts, in the order they are listed in errors.
fn option_names(kind: &str) -> &'static [&'static str] {
    match kind {
        "sgd" => &["lr", "momentum", "dampening", "nesterov", "weightDecay", "maximize"],
        "adam" | "adamw" => &["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"],
        "adagrad" => &["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps", "maximize"],
        _ => &["lr", "alpha", "eps", "weightDecay", "momentum", "centered", "maximize"],
    }
}

/// Prefixes the argument name of an invalid-argument error (`lr` → `state.options.lr`).
fn prefixed(e: Error, prefix: &str) -> Error {
    match e {
        Error::InvalidArgument { arg, message } => Error::InvalidArgument { arg: format!("{prefix}{arg}"), message },
        other => other,
    }
}

/// `base` with the fields of `o` set; `prefix` is put before argument names in errors.
fn merge(mut base: OptimizerConfig, o: &OptimizerOptions, prefix: &str) -> napi::Result<OptimizerConfig> {
    let kind = base.kind();
    let given: [(&str, bool); 13] = [
        ("lr", o.lr.is_some()),
        ("momentum", o.momentum.is_some()),
        ("dampening", o.dampening.is_some()),
        ("nesterov", o.nesterov.is_some()),
        ("weightDecay", o.weight_decay.is_some()),
        ("maximize", o.maximize.is_some()),
        ("betas", o.betas.is_some()),
        ("eps", o.eps.is_some()),
        ("amsgrad", o.amsgrad.is_some()),
        ("lrDecay", o.lr_decay.is_some()),
        ("initialAccumulatorValue", o.initial_accumulator_value.is_some()),
        ("alpha", o.alpha.is_some()),
        ("centered", o.centered.is_some()),
    ];
    let allowed = option_names(kind);
    if let Some((name, _)) = given.iter().find(|(n, set)| *set && !allowed.contains(n)) {
        return Err(invalid(&format!("{prefix}{name}"), format!("not an option of '{kind}' (its options: {})", allowed.join(", "))));
    }
    let set = |dst: &mut f64, v: Option<f64>| {
        if let Some(v) = v {
            *dst = v;
        }
    };
    let flag = |dst: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *dst = v;
        }
    };
    match &mut base {
        OptimizerConfig::Sgd(c) => {
            set(&mut c.lr, o.lr);
            set(&mut c.momentum, o.momentum);
            set(&mut c.dampening, o.dampening);
            flag(&mut c.nesterov, o.nesterov);
            set(&mut c.weight_decay, o.weight_decay);
            flag(&mut c.maximize, o.maximize);
        }
        OptimizerConfig::Adam(c) => {
            set(&mut c.lr, o.lr);
            if let Some(b) = &o.betas {
                if b.len() != 2 {
                    return Err(invalid(&format!("{prefix}betas"), format!("expected 2 numbers [β1, β2], got {}", b.len())));
                }
                (c.beta1, c.beta2) = (b[0], b[1]);
            }
            set(&mut c.eps, o.eps);
            set(&mut c.weight_decay, o.weight_decay);
            flag(&mut c.amsgrad, o.amsgrad);
            flag(&mut c.maximize, o.maximize);
        }
        OptimizerConfig::Adagrad(c) => {
            set(&mut c.lr, o.lr);
            set(&mut c.lr_decay, o.lr_decay);
            set(&mut c.weight_decay, o.weight_decay);
            set(&mut c.initial_accumulator_value, o.initial_accumulator_value);
            set(&mut c.eps, o.eps);
            flag(&mut c.maximize, o.maximize);
        }
        OptimizerConfig::RmsProp(c) => {
            set(&mut c.lr, o.lr);
            set(&mut c.alpha, o.alpha);
            set(&mut c.eps, o.eps);
            set(&mut c.weight_decay, o.weight_decay);
            set(&mut c.momentum, o.momentum);
            flag(&mut c.centered, o.centered);
            flag(&mut c.maximize, o.maximize);
        }
    }
    base.validate().map_err(|e| to_js(prefixed(e, prefix)))?;
    Ok(base)
}

/// Every hyper-parameter of `c`'s kind.
fn options_of(c: &OptimizerConfig) -> OptimizerOptions {
    match c {
        OptimizerConfig::Sgd(c) => OptimizerOptions {
            lr: Some(c.lr),
            momentum: Some(c.momentum),
            dampening: Some(c.dampening),
            nesterov: Some(c.nesterov),
            weight_decay: Some(c.weight_decay),
            maximize: Some(c.maximize),
            ..Default::default()
        },
        OptimizerConfig::Adam(c) => OptimizerOptions {
            lr: Some(c.lr),
            betas: Some(vec![c.beta1, c.beta2]),
            eps: Some(c.eps),
            weight_decay: Some(c.weight_decay),
            amsgrad: Some(c.amsgrad),
            maximize: Some(c.maximize),
            ..Default::default()
        },
        OptimizerConfig::Adagrad(c) => OptimizerOptions {
            lr: Some(c.lr),
            lr_decay: Some(c.lr_decay),
            weight_decay: Some(c.weight_decay),
            initial_accumulator_value: Some(c.initial_accumulator_value),
            eps: Some(c.eps),
            maximize: Some(c.maximize),
            ..Default::default()
        },
        OptimizerConfig::RmsProp(c) => OptimizerOptions {
            lr: Some(c.lr),
            alpha: Some(c.alpha),
            eps: Some(c.eps),
            weight_decay: Some(c.weight_decay),
            momentum: Some(c.momentum),
            centered: Some(c.centered),
            maximize: Some(c.maximize),
            ..Default::default()
        },
    }
}

/// Rejects a layer given twice (it would also deadlock on its own lock).
fn check_distinct(layers: &[&ParamHandle]) -> napi::Result<()> {
    for (j, b) in layers.iter().enumerate() {
        if let Some(i) = layers[..j].iter().position(|a| a.same_as(b)) {
            return Err(invalid(&format!("layers[{j}]"), format!("is the same layer as layers[{i}]; pass each layer once")));
        }
    }
    Ok(())
}

/// One optimizer over the parameters of a fixed list of layers.
#[napi]
pub struct Optimizer {
    inner: OptimizerState,
}

#[napi]
impl Optimizer {
    /// An optimizer of `kind` (`sgd`, `adam`, `adamw`, `adagrad`, `rmsprop`) for `layers`, with
    /// PyTorch's defaults for unset `options`; `lrScales[i]` (default 1) multiplies the learning
    /// rate of layer `i`.
    #[napi(constructor, catch_unwind)]
    pub fn new(kind: String, layers: Vec<&ParamHandle>, options: Option<OptimizerOptions>, lr_scales: Option<Vec<f64>>) -> napi::Result<Self> {
        let base = OptimizerConfig::default_for(&kind).map_err(to_js)?;
        let config = merge(base, &options.unwrap_or_default(), "")?;
        check_distinct(&layers)?;
        let mut sizes = Vec::with_capacity(layers.len());
        for l in &layers {
            sizes.push(l.lock()?.num_parameters());
        }
        Ok(Optimizer { inner: OptimizerState::new(config, &sizes, lr_scales.as_deref()).map_err(to_js)? })
    }

    /// `sgd`, `adam`, `adamw`, `adagrad` or `rmsprop`.
    #[napi(getter)]
    pub fn kind(&self) -> String {
        self.inner.config().kind().to_string()
    }

    /// Number of layers.
    #[napi(getter)]
    pub fn num_layers(&self) -> u32 {
        self.inner.num_layers() as u32
    }

    /// Number of `step` calls.
    #[napi(getter)]
    pub fn steps(&self) -> f64 {
        self.inner.steps() as f64
    }

    /// Updates per layer (layers skipped as frozen do not count).
    #[napi]
    pub fn layer_steps(&self) -> Vec<f64> {
        (0..self.inner.num_layers()).map(|i| self.inner.layer_step(i) as f64).collect()
    }

    /// Learning-rate scale per layer.
    #[napi]
    pub fn lr_scales(&self) -> Vec<f64> {
        (0..self.inner.num_layers()).map(|i| self.inner.lr_scale(i)).collect()
    }

    /// The base learning rate.
    #[napi(getter)]
    pub fn lr(&self) -> f64 {
        self.inner.config().lr()
    }

    /// Sets the base learning rate (finite, ≥ 0).
    #[napi(setter, catch_unwind)]
    pub fn set_lr(&mut self, lr: f64) -> napi::Result<()> {
        self.set_options(OptimizerOptions { lr: Some(lr), ..Default::default() })
    }

    /// Every hyper-parameter of this optimizer's kind.
    #[napi]
    pub fn options(&self) -> OptimizerOptions {
        options_of(self.inner.config())
    }

    /// Changes hyper-parameters (e.g. `momentum` for a one-cycle schedule). `amsgrad` and
    /// `centered` cannot change; nothing changes on error.
    #[napi(catch_unwind)]
    pub fn set_options(&mut self, options: OptimizerOptions) -> napi::Result<()> {
        let config = merge(self.inner.config().clone(), &options, "")?;
        self.inner.set_config(config).map_err(to_js)
    }

    /// One update of every layer from its accumulated gradients. `layers` are the layers given
    /// at construction, in the same order; `frozen[i] = true` skips layer `i` (its state and step
    /// count stay). Nothing changes on error.
    #[napi(catch_unwind)]
    pub fn step(&mut self, layers: Vec<&ParamHandle>, frozen: Option<Vec<bool>>) -> napi::Result<()> {
        if let Some(f) = &frozen {
            if f.len() != layers.len() {
                return Err(invalid("frozen", format!("expected one flag per layer ({}), got {}", layers.len(), f.len())));
            }
        }
        check_distinct(&layers)?;
        let is_frozen = |i: usize| frozen.as_ref().is_some_and(|f| f[i]);
        let mut guards = Vec::with_capacity(layers.len());
        for (i, l) in layers.iter().enumerate() {
            guards.push(if is_frozen(i) { None } else { Some(l.lock()?) });
        }
        let mut slices: Vec<Option<(&mut [f32], &[f32])>> = guards
            .iter_mut()
            .map(|g| {
                g.as_mut().map(|g| {
                    let (p, d) = g.parameters_mut();
                    (p, &*d)
                })
            })
            .collect();
        self.inner.step(&mut slices).map_err(to_js)
    }

    /// The whole state: kind, hyper-parameters, step counts and buffers (copies).
    #[napi(catch_unwind)]
    pub fn state(&self) -> napi::Result<OptimizerStateOut> {
        Ok(OptimizerStateOut {
            kind: self.kind(),
            options: self.options(),
            step: self.inner.steps() as f64,
            layer_steps: self.layer_steps(),
            tensors: self
                .inner
                .tensors()
                .into_iter()
                .map(|(name, v)| named_tensor_out(name, v.to_vec(), &[v.len()]))
                .collect(),
        })
    }

    /// Loads a state saved by `state()` (hyper-parameters included). Everything is checked
    /// first; on error nothing changes.
    #[napi(catch_unwind)]
    pub fn load_state(&mut self, state: OptimizerStateArg) -> napi::Result<()> {
        let base = OptimizerConfig::default_for(&state.kind).map_err(|e| to_js(prefixed(e, "state.")))?;
        let config = merge(base, &state.options, "state.options.")?;
        let steps = to_usize("state.step", state.step, 0, MAX_SAFE_INTEGER)? as u64;
        let layer_steps = state
            .layer_steps
            .iter()
            .enumerate()
            .map(|(i, &s)| to_usize(&format!("state.layerSteps[{i}]"), s, 0, MAX_SAFE_INTEGER).map(|s| s as u64))
            .collect::<napi::Result<Vec<_>>>()?;
        let tensors = named_tensor_list("state.tensors", &state.tensors)?;
        self.inner.load(StateSnapshot { config, steps, layer_steps, tensors }).map_err(to_js)
    }
}

/// Locks the layers (distinct, none busy) and runs `f` on their gradient buffers.
fn with_grads<T>(layers: &[&ParamHandle], f: impl FnOnce(&mut [&mut [f32]]) -> napi::Result<T>) -> napi::Result<T> {
    check_distinct(layers)?;
    let mut guards = Vec::with_capacity(layers.len());
    for l in layers {
        guards.push(l.lock()?);
    }
    let mut grads: Vec<&mut [f32]> = guards.iter_mut().map(|g| g.parameters_mut().1).collect();
    f(&mut grads)
}

/// Scales the gradients of all `layers` together so their global norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`); returns the norm before clipping. A non-finite norm
/// leaves the gradients unchanged and is returned as is, or thrown with `errorIfNonfinite`.
#[napi(catch_unwind)]
pub fn clip_grad_norm(layers: Vec<&ParamHandle>, max_norm: f64, options: Option<ClipGradNormOptions>) -> napi::Result<f64> {
    let norm_type = options.as_ref().and_then(|o| o.norm_type).unwrap_or(2.0);
    let strict = options.as_ref().and_then(|o| o.error_if_nonfinite).unwrap_or(false);
    with_grads(&layers, |grads| {
        if strict {
            // Check before touching anything.
            let views: Vec<&[f32]> = grads.iter().map(|g| &**g).collect();
            let n = core::grad_norm(&views, norm_type).map_err(to_js)?;
            if !n.total.is_finite() {
                let at = n.first_nonfinite.map(|i| format!("layers[{i}]")).unwrap_or_else(|| "layers".into());
                return Err(to_js(Error::State(format!(
                    "{at}: the total {norm_type}-norm of the gradients is {}, so they cannot be clipped (errorIfNonfinite is set; the gradients were left unchanged)",
                    n.total
                ))));
            }
        }
        Ok(core::clip_grad_norm(grads, max_norm, norm_type).map_err(to_js)?.total)
    })
}

/// The global `normType`-norm of the gradients of all `layers` (no clipping).
#[napi(catch_unwind)]
pub fn grad_norm(layers: Vec<&ParamHandle>, norm_type: Option<f64>) -> napi::Result<f64> {
    with_grads(&layers, |grads| {
        let views: Vec<&[f32]> = grads.iter().map(|g| &**g).collect();
        Ok(core::grad_norm(&views, norm_type.unwrap_or(2.0)).map_err(to_js)?.total)
    })
}

/// Clamps every gradient of `layers` to `[-clipValue, clipValue]` (`torch.nn.utils.clip_grad_value_`).
#[napi(catch_unwind)]
pub fn clip_grad_value(layers: Vec<&ParamHandle>, clip_value: f64) -> napi::Result<()> {
    with_grads(&layers, |grads| core::clip_grad_value(grads, clip_value).map_err(to_js))
}
