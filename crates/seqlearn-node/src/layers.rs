//! `Embedding`, `Linear` and `Dropout` (native classes behind the TypeScript layers of the same
//! names) and the element-wise activation functions. Each class owns its core layer behind a
//! mutex; synchronous methods borrow JavaScript memory, async ones copy their inputs and run on a
//! libuv worker, holding the layer until they finish (a sync call meanwhile is a `BusyError`).

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::layers::activations::ActivationOptions;
use seqlearn_core::layers::{self as core, Activation, EmbeddingConfig, LinearConfig, OwnedTensor};
use seqlearn_core::recurrent::{Parameters, TensorRef};
use seqlearn_core::HasParameters;

use crate::convert::{shape_of, tensor_out, to_usize, HostTensor, IntTensorArg, JsFloat32, NamedTensorArg, NamedTensorOut, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};

/// Largest seed (integers above 2⁵³ are not exact in JavaScript).
const MAX_SEED: usize = (1usize << 53) - 1;

/// Per-call options of a layer's `forward`.
#[napi(object)]
pub struct LayerForwardArgs {
    /// Training mode (dropout active; default false).
    pub training: Option<bool>,
    /// Keep what `backward` needs (default = `training`).
    pub requires_grad: Option<bool>,
}

/// `(training, requiresGrad)` with their defaults.
fn modes(o: Option<&LayerForwardArgs>) -> (bool, bool) {
    let training = o.and_then(|o| o.training).unwrap_or(false);
    (training, o.and_then(|o| o.requires_grad).unwrap_or(training))
}

/// Named copies of `values` (parameters or gradients) in `state_dict` order.
fn named(p: &Parameters, values: &[f32]) -> Vec<NamedTensorOut> {
    p.entries.iter().map(|e| NamedTensorOut { name: e.name.clone(), data: JsFloat32(values[e.range()].to_vec()), shape: e.shape.iter().map(|&d| d as u32).collect() }).collect()
}

/// A state dict as the core loads it: name, shape, values.
type StateList<'a> = Vec<(String, Vec<usize>, &'a [f32])>;

/// Checks the shapes of a state dict given from JavaScript.
fn state_list(tensors: &[NamedTensorArg]) -> napi::Result<StateList<'_>> {
    tensors.iter().map(|t| Ok((t.name.clone(), shape_of(&format!("stateDict['{}']", t.name), &t.shape, t.data.len())?, &t.data[..]))).collect()
}

fn out(t: OwnedTensor) -> TensorOut {
    tensor_out(t.data, &t.shape)
}

fn owned(t: HostTensor<'_>) -> HostTensor<'static> {
    HostTensor { data: std::borrow::Cow::Owned(t.data.into_owned()), shape: t.shape }
}

/// Work on a layer, run on a libuv worker: the closure gets the locked layer.
type Job<L, O> = Box<dyn FnOnce(&mut L) -> seqlearn_core::Result<O> + Send>;

/// An async call of a layer (`forwardAsync`, `backwardAsync`).
pub struct LayerTask<L: Send + 'static, O: Send + 'static> {
    what: &'static str,
    layer: Arc<Mutex<L>>,
    job: Option<Job<L, O>>,
}

impl<L: Send + 'static, O: Send + 'static> LayerTask<L, O> {
    fn new(what: &'static str, layer: &Arc<Mutex<L>>, job: impl FnOnce(&mut L) -> seqlearn_core::Result<O> + Send + 'static) -> AsyncTask<Self>
    where
        Self: Task,
    {
        AsyncTask::new(LayerTask { what, layer: layer.clone(), job: Some(Box::new(job)) })
    }

    fn run(&mut self) -> napi::Result<O> {
        let job = self.job.take().ok_or_else(|| invalid(self.what, "internal: the task ran twice"))?;
        guard(self.what, || {
            let mut layer = self.layer.lock().unwrap_or_else(|e| e.into_inner());
            job(&mut layer).map_err(to_js)
        })
    }
}

impl<L: Send + 'static> Task for LayerTask<L, OwnedTensor> {
    type Output = OwnedTensor;
    type JsValue = TensorOut;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        self.run()
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(out(output))
    }
}

impl<L: Send + 'static> Task for LayerTask<L, ()> {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> napi::Result<Self::Output> {
        self.run()
    }
    fn resolve(&mut self, _env: Env, _output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(())
    }
}

// ---- Embedding ---------------------------------------------------------------------------------

/// Options of the native `Embedding` constructor (see the TypeScript `EmbeddingOptions`).
#[napi(object)]
pub struct EmbeddingArgs {
    /// Rows of the table.
    pub num_embeddings: f64,
    /// Values per row.
    pub embedding_dim: f64,
    /// Padding row, in −N..N−1 (negative counts from the end, as in PyTorch).
    pub padding_idx: Option<f64>,
    /// Seed of the N(0, 1) init (default 0).
    pub seed: Option<f64>,
}

/// `paddingIdx` in −N..N−1 → a row in 0..N.
fn padding_row(v: Option<f64>, n: usize) -> napi::Result<Option<usize>> {
    let Some(v) = v else { return Ok(None) };
    let n_f = n as f64;
    if !(v.is_finite() && v.fract() == 0.0 && v >= -n_f && v < n_f) {
        return Err(invalid("paddingIdx", format!("expected an integer in -{n}..={} (numEmbeddings = {n}), got {v}", n as i64 - 1)));
    }
    Ok(Some(if v < 0.0 { (n_f + v) as usize } else { v as usize }))
}

/// An embedding table (`torch.nn.Embedding`); its parameter is `weight` `[N, D]`.
#[napi]
pub struct Embedding {
    inner: Arc<Mutex<core::Embedding>>,
}

impl Embedding {
    fn lock(&self) -> napi::Result<MutexGuard<'_, core::Embedding>> {
        crate::params::try_lock(&self.inner)
    }

    fn wrap(e: core::Embedding) -> Self {
        Embedding { inner: Arc::new(Mutex::new(e)) }
    }
}

/// Checked ids: values and shape.
fn ids_of(ids: &IntTensorArg) -> napi::Result<(&[i32], Vec<usize>)> {
    let shape = shape_of("ids", &ids.shape, ids.data.len())?;
    Ok((&ids.data[..], shape))
}

#[napi]
impl Embedding {
    /// A table initialised N(0, 1) (seeded), with the padding row zeroed.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: EmbeddingArgs) -> napi::Result<Self> {
        let n = to_usize("numEmbeddings", options.num_embeddings, 1, i32::MAX as usize)?;
        let d = to_usize("embeddingDim", options.embedding_dim, 1, 1 << 30)?;
        let config = EmbeddingConfig { num_embeddings: n, embedding_dim: d, padding_idx: padding_row(options.padding_idx, n)?, seed: to_usize("seed", options.seed.unwrap_or(0.0), 0, MAX_SEED)? as u64 };
        Ok(Self::wrap(core::Embedding::new(config).map_err(to_js)?))
    }

    /// A table holding `weight` `[N, D]` as given (`Embedding.from_pretrained`); frozen unless
    /// `freeze` is false.
    #[napi(factory, catch_unwind)]
    pub fn from_pretrained(weight: TensorArg, freeze: Option<bool>, padding_idx: Option<f64>) -> napi::Result<Self> {
        let w = HostTensor::borrow("weight", &weight)?;
        let rows = if w.shape.len() == 2 { w.shape[0] } else { 0 };
        // The shape itself is checked (and named) by the core; the padding row needs N first.
        let pad = if rows > 0 { padding_row(padding_idx, rows)? } else { None };
        guard("fromPretrained", || core::Embedding::from_pretrained(w.view(), freeze.unwrap_or(true), pad).map(Self::wrap).map_err(to_js))
    }

    /// Looks up `ids` (int32, any shape): the result has shape `ids.shape + [D]`.
    #[napi(catch_unwind)]
    pub fn forward(&self, ids: IntTensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        let (data, shape) = ids_of(&ids)?;
        let (_, requires_grad) = modes(options.as_ref());
        let mut e = self.lock()?;
        guard("forward", || e.forward(data, &shape, requires_grad).map(out).map_err(to_js))
    }

    /// `forward` on a worker thread (the ids are copied first).
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, ids: IntTensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Embedding, OwnedTensor>>> {
        let (data, shape) = ids_of(&ids)?;
        let data = data.to_vec();
        let (_, requires_grad) = modes(options.as_ref());
        Ok(LayerTask::new("forwardAsync", &self.inner, move |e: &mut core::Embedding| e.forward(&data, &shape, requires_grad)))
    }

    /// Scatter-adds `gradOutput` (`ids.shape + [D]`) into the weight gradient (nothing when
    /// frozen; never into the padding row). Ids get no gradient, so nothing is returned.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<()> {
        let g = HostTensor::borrow("gradOutput", &grad_output)?;
        let mut e = self.lock()?;
        guard("backward", || e.backward(g.view()).map_err(to_js))
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Embedding, ()>>> {
        let g = owned(HostTensor::copy("gradOutput", &grad_output)?);
        Ok(LayerTask::new("backwardAsync", &self.inner, move |e: &mut core::Embedding| e.backward(g.view())))
    }

    /// `{ weight }` (a copy).
    #[napi(catch_unwind)]
    pub fn state_dict(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let e = self.lock()?;
        Ok(named(e.params(), &e.params().data))
    }

    /// The weight gradient, named like `stateDict`.
    #[napi(catch_unwind)]
    pub fn gradients(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let e = self.lock()?;
        Ok(named(e.params(), &e.params().grad))
    }

    /// Loads `weight` by name; with `strict` it must be there. Atomic: on error nothing changes.
    #[napi(catch_unwind)]
    pub fn load_state_dict(&self, tensors: Vec<NamedTensorArg>, strict: bool) -> napi::Result<()> {
        let list = state_list(&tensors)?;
        let mut e = self.lock()?;
        guard("loadStateDict", || e.load_state_dict(&list, strict).map_err(to_js))
    }

    /// Sets the gradient to zero.
    #[napi(catch_unwind)]
    pub fn zero_grad(&self) -> napi::Result<()> {
        self.lock()?.zero_grad();
        Ok(())
    }

    /// A handle to the parameters (for optimizers and gradient clipping).
    #[napi]
    pub fn param_handle(&self) -> crate::params::ParamHandle {
        crate::params::ParamHandle::new(self.inner.clone())
    }

    /// `N · D`.
    #[napi(getter)]
    pub fn num_parameters(&self) -> napi::Result<f64> {
        Ok(self.lock()?.num_parameters() as f64)
    }

    /// Whether backward leaves the gradient alone.
    #[napi(getter)]
    pub fn freeze(&self) -> napi::Result<bool> {
        Ok(self.lock()?.frozen())
    }

    /// Freezes or unfreezes the table.
    #[napi(setter)]
    pub fn set_freeze(&self, value: bool) -> napi::Result<()> {
        self.lock()?.set_frozen(value);
        Ok(())
    }

    /// Rows of the table.
    #[napi(getter)]
    pub fn num_embeddings(&self) -> napi::Result<u32> {
        Ok(self.lock()?.config().num_embeddings as u32)
    }

    /// Values per row.
    #[napi(getter)]
    pub fn embedding_dim(&self) -> napi::Result<u32> {
        Ok(self.lock()?.config().embedding_dim as u32)
    }

    /// The padding row (0..N), if any.
    #[napi(getter)]
    pub fn padding_idx(&self) -> napi::Result<Option<u32>> {
        Ok(self.lock()?.config().padding_idx.map(|p| p as u32))
    }
}

// ---- Linear ------------------------------------------------------------------------------------

/// Options of the native `Linear` constructor (see the TypeScript `LinearOptions`).
#[napi(object)]
pub struct LinearArgs {
    /// Size of the last input dimension.
    pub in_features: f64,
    /// Size of the last output dimension.
    pub out_features: f64,
    /// With a bias (default true).
    pub bias: Option<bool>,
    /// Seed of the U(−1/√in, 1/√in) init (default 0).
    pub seed: Option<f64>,
}

/// A fully connected layer (`torch.nn.Linear`); parameters `weight` `[out, in]`, `bias` `[out]`.
#[napi]
pub struct Linear {
    inner: Arc<Mutex<core::Linear>>,
    config: LinearConfig,
}

impl Linear {
    fn lock(&self) -> napi::Result<MutexGuard<'_, core::Linear>> {
        crate::params::try_lock(&self.inner)
    }
}

#[napi]
impl Linear {
    /// A layer initialised U(−1/√in, 1/√in) (seeded).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: LinearArgs) -> napi::Result<Self> {
        let config = LinearConfig {
            in_features: to_usize("inFeatures", options.in_features, 1, 1 << 30)?,
            out_features: to_usize("outFeatures", options.out_features, 1, 1 << 30)?,
            bias: options.bias.unwrap_or(true),
            seed: to_usize("seed", options.seed.unwrap_or(0.0), 0, MAX_SEED)? as u64,
        };
        let l = core::Linear::new(config.clone()).map_err(to_js)?;
        Ok(Linear { inner: Arc::new(Mutex::new(l)), config })
    }

    /// `y = x Wᵀ + b` over the last dimension of `input` (`[…, in]` → `[…, out]`).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        let x = HostTensor::borrow("input", &input)?;
        let (_, requires_grad) = modes(options.as_ref());
        let mut l = self.lock()?;
        guard("forward", || l.forward(x.view(), requires_grad).map(out).map_err(to_js))
    }

    /// `forward` on a worker thread (the input is copied first).
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Linear, OwnedTensor>>> {
        let x = owned(HostTensor::copy("input", &input)?);
        let (_, requires_grad) = modes(options.as_ref());
        Ok(LayerTask::new("forwardAsync", &self.inner, move |l: &mut core::Linear| l.forward(x.view(), requires_grad)))
    }

    /// Returns the input gradient and accumulates the weight and bias gradients.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<TensorOut> {
        let g = HostTensor::borrow("gradOutput", &grad_output)?;
        let mut l = self.lock()?;
        guard("backward", || l.backward(g.view()).map(out).map_err(to_js))
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Linear, OwnedTensor>>> {
        let g = owned(HostTensor::copy("gradOutput", &grad_output)?);
        Ok(LayerTask::new("backwardAsync", &self.inner, move |l: &mut core::Linear| l.backward(g.view())))
    }

    /// `{ weight, bias }` (copies, `state_dict` order).
    #[napi(catch_unwind)]
    pub fn state_dict(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let l = self.lock()?;
        Ok(named(l.params(), &l.params().data))
    }

    /// The gradients, named like `stateDict`.
    #[napi(catch_unwind)]
    pub fn gradients(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let l = self.lock()?;
        Ok(named(l.params(), &l.params().grad))
    }

    /// Loads parameters by name; with `strict` all must be there. Atomic: on error nothing changes.
    #[napi(catch_unwind)]
    pub fn load_state_dict(&self, tensors: Vec<NamedTensorArg>, strict: bool) -> napi::Result<()> {
        let list = state_list(&tensors)?;
        let mut l = self.lock()?;
        guard("loadStateDict", || l.load_state_dict(&list, strict).map_err(to_js))
    }

    /// Sets the gradients to zero.
    #[napi(catch_unwind)]
    pub fn zero_grad(&self) -> napi::Result<()> {
        self.lock()?.zero_grad();
        Ok(())
    }

    /// A handle to the parameters (for optimizers and gradient clipping).
    #[napi]
    pub fn param_handle(&self) -> crate::params::ParamHandle {
        crate::params::ParamHandle::new(self.inner.clone())
    }

    /// `out · in (+ out)`.
    #[napi(getter)]
    pub fn num_parameters(&self) -> napi::Result<f64> {
        Ok(self.lock()?.num_parameters() as f64)
    }

    /// Size of the last input dimension.
    #[napi(getter)]
    pub fn in_features(&self) -> u32 {
        self.config.in_features as u32
    }

    /// Size of the last output dimension.
    #[napi(getter)]
    pub fn out_features(&self) -> u32 {
        self.config.out_features as u32
    }

    /// Whether the layer has a bias.
    #[napi(getter)]
    pub fn bias(&self) -> bool {
        self.config.bias
    }
}

// ---- Dropout -----------------------------------------------------------------------------------

/// Options of the native `Dropout` constructor.
#[napi(object)]
pub struct DropoutArgs {
    /// Drop probability in [0, 1].
    pub p: f64,
    /// Seed of the masks (default 0).
    pub seed: Option<f64>,
}

/// Inverted dropout (`torch.nn.Dropout`), seeded per call.
#[napi]
pub struct Dropout {
    inner: Arc<Mutex<core::Dropout>>,
    p: f64,
}

impl Dropout {
    fn lock(&self) -> napi::Result<MutexGuard<'_, core::Dropout>> {
        crate::params::try_lock(&self.inner)
    }
}

#[napi]
impl Dropout {
    /// A dropout layer with probability `p`.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: DropoutArgs) -> napi::Result<Self> {
        let seed = to_usize("seed", options.seed.unwrap_or(0.0), 0, MAX_SEED)? as u64;
        let d = core::Dropout::new(options.p, seed).map_err(to_js)?;
        Ok(Dropout { inner: Arc::new(Mutex::new(d)), p: options.p })
    }

    /// In training, zeroes each value with probability `p` and scales the rest by `1/(1−p)`;
    /// otherwise the identity (a copy).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        let x = HostTensor::borrow("input", &input)?;
        let (training, requires_grad) = modes(options.as_ref());
        let mut d = self.lock()?;
        guard("forward", || d.forward(x.view(), training, requires_grad).map(out).map_err(to_js))
    }

    /// `forward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Dropout, OwnedTensor>>> {
        let x = owned(HostTensor::copy("input", &input)?);
        let (training, requires_grad) = modes(options.as_ref());
        Ok(LayerTask::new("forwardAsync", &self.inner, move |d: &mut core::Dropout| d.forward(x.view(), training, requires_grad)))
    }

    /// The input gradient through the cached mask.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<TensorOut> {
        let g = HostTensor::borrow("gradOutput", &grad_output)?;
        let mut d = self.lock()?;
        guard("backward", || d.backward(g.view()).map(out).map_err(to_js))
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Dropout, OwnedTensor>>> {
        let g = owned(HostTensor::copy("gradOutput", &grad_output)?);
        Ok(LayerTask::new("backwardAsync", &self.inner, move |d: &mut core::Dropout| d.backward(g.view())))
    }

    /// The drop probability.
    #[napi(getter)]
    pub fn p(&self) -> f64 {
        self.p
    }
}

// ---- Activations -------------------------------------------------------------------------------

/// Parameters of an activation (PyTorch's names; each applies to one kind only).
#[napi(object)]
pub struct ActivationArgs {
    /// `leaky_relu`: slope for negative inputs (default 0.01).
    pub negative_slope: Option<f64>,
    /// `elu`: scale of the negative part (default 1).
    pub alpha: Option<f64>,
    /// `softplus`: β > 0 (default 1).
    pub beta: Option<f64>,
    /// `softplus`: linear above `βx > threshold` (default 20).
    pub threshold: Option<f64>,
    /// `gelu`: `'none'` (exact, default) or `'tanh'`.
    pub approximate: Option<String>,
}

fn activation(kind: &str, o: Option<ActivationArgs>) -> napi::Result<Activation> {
    let o = o.map(|o| ActivationOptions { negative_slope: o.negative_slope, alpha: o.alpha, beta: o.beta, threshold: o.threshold, approximate: o.approximate }).unwrap_or_default();
    Activation::parse(kind, &o).map_err(to_js)
}

/// `f(input)` for the activation `kind` (`'relu'`, `'leaky_relu'`, `'elu'`, `'gelu'`, `'tanh'`,
/// `'sigmoid'`, `'softplus'`, `'silu'`).
#[napi(catch_unwind)]
pub fn activation_forward(kind: String, input: TensorArg, options: Option<ActivationArgs>) -> napi::Result<TensorOut> {
    let a = activation(&kind, options)?;
    let x = HostTensor::borrow("input", &input)?;
    guard("activationForward", || a.forward(x.view()).map(out).map_err(to_js))
}

/// `f'(·) ⊙ gradOutput`; `saved` is the forward output for `'tanh'` and `'sigmoid'`, the forward
/// input otherwise (see `activationSavesOutput`).
#[napi(catch_unwind)]
pub fn activation_backward(kind: String, saved: TensorArg, grad_output: TensorArg, options: Option<ActivationArgs>) -> napi::Result<TensorOut> {
    let a = activation(&kind, options)?;
    let s = HostTensor::borrow(if a.saves_output() { "output" } else { "input" }, &saved)?;
    let g = HostTensor::borrow("gradOutput", &grad_output)?;
    let (sv, gv): (TensorRef<'_>, TensorRef<'_>) = (s.view(), g.view());
    guard("activationBackward", || a.backward(sv, gv).map(out).map_err(to_js))
}

/// Checks `kind` and `options`; true if `activationBackward` of `kind` takes the forward output
/// (`'tanh'`, `'sigmoid'`), false if it takes the forward input.
#[napi(catch_unwind)]
pub fn activation_saves_output(kind: String, options: Option<ActivationArgs>) -> napi::Result<bool> {
    Ok(activation(&kind, options)?.saves_output())
}
