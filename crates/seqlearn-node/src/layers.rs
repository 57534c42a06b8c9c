//! `Embedding`, `Linear` and `Dropout` (native classes behind the TypeScript layers of the same
//! names) and the element-wise activation functions. Each class owns its core layer behind a
//! mutex; synchronous methods borrow JavaScript memory, async ones copy their inputs and run on a
//! libuv worker, holding the layer until they finish (a sync call meanwhile is a `BusyError`).

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use seqlearn_core::layers::activations::ActivationOptions;
use seqlearn_core::layers::{self as core, Activation, EmbeddingConfig, LinearConfig, OwnedTensor};
use seqlearn_core::recurrent::{Parameters, TensorRef};

use crate::convert::{shape_of, tensor_out, to_seed, to_usize, HostTensor, IntTensorArg, StateList, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};
use crate::layer_common::{trainable_methods, LayerTask, NamedParameters, SharedLayer, TaskOutput};

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

fn out(t: OwnedTensor) -> TensorOut {
    tensor_out(t.data, &t.shape)
}

/// A core layer's `forward` of a float tensor, given `training` and `requires_grad`.
type Forward<L> = fn(&mut L, TensorRef<'_>, bool, bool) -> seqlearn_core::Result<OwnedTensor>;

/// `forward` of a layer on `input` (borrowed).
fn forward<L: Send + 'static>(layer: &SharedLayer<L>, input: &TensorArg, options: Option<LayerForwardArgs>, f: Forward<L>) -> napi::Result<TensorOut> {
    let x = HostTensor::borrow("input", input)?;
    let (training, requires_grad) = modes(options.as_ref());
    layer.call("forward", |l| f(l, x.view(), training, requires_grad)).map(out)
}

/// `forward` on a worker thread (`input` is copied first).
fn forward_async<L: Send + 'static>(layer: &SharedLayer<L>, input: &TensorArg, options: Option<LayerForwardArgs>, f: Forward<L>) -> napi::Result<AsyncTask<LayerTask<L, OwnedTensor>>> {
    let x = HostTensor::copy("input", input)?;
    let (training, requires_grad) = modes(options.as_ref());
    Ok(layer.task("forwardAsync", move |l| f(l, x.view(), training, requires_grad)))
}

/// A core layer's `backward` from the gradient of its output.
type Backward<L, O> = fn(&mut L, TensorRef<'_>) -> seqlearn_core::Result<O>;

/// `backward` of a layer from `gradOutput` (borrowed): the input gradient (nothing for `Embedding`).
fn backward<L: Send + 'static, O: TaskOutput>(layer: &SharedLayer<L>, grad_output: &TensorArg, f: Backward<L, O>) -> napi::Result<O::Js> {
    let g = HostTensor::borrow("gradOutput", grad_output)?;
    layer.call("backward", |l| f(l, g.view())).map(O::into_js)
}

/// `backward` on a worker thread (`gradOutput` is copied first).
fn backward_async<L: Send + 'static, O: TaskOutput>(layer: &SharedLayer<L>, grad_output: &TensorArg, f: Backward<L, O>) -> napi::Result<AsyncTask<LayerTask<L, O>>> {
    let g = HostTensor::copy("gradOutput", grad_output)?;
    Ok(layer.task("backwardAsync", move |l| f(l, g.view())))
}

/// Core layers that keep their named parameters themselves (`params()`, `load_state_dict`).
macro_rules! named_parameters_of_layer {
    ($($layer:ty),*) => {$(
        impl NamedParameters for $layer {
            fn named_parameters(&self) -> &Parameters {
                self.params()
            }
            fn load_named(&mut self, tensors: &StateList<'_>, strict: bool) -> seqlearn_core::Result<()> {
                self.load_state_dict(tensors, strict)
            }
        }
    )*};
}

named_parameters_of_layer!(core::Embedding, core::Linear);

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
    inner: SharedLayer<core::Embedding>,
}

/// Checked ids: values and shape.
fn ids_of(ids: &IntTensorArg) -> napi::Result<(&[i32], Vec<usize>)> {
    let shape = shape_of("ids", &ids.shape, ids.data.len())?;
    Ok((&ids.data[..], shape))
}

trainable_methods!(Embedding);

#[napi]
impl Embedding {
    /// A table initialised N(0, 1) (seeded), with the padding row zeroed.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: EmbeddingArgs) -> napi::Result<Self> {
        let n = to_usize("numEmbeddings", options.num_embeddings, 1, i32::MAX as usize)?;
        let d = to_usize("embeddingDim", options.embedding_dim, 1, 1 << 30)?;
        let config = EmbeddingConfig { num_embeddings: n, embedding_dim: d, padding_idx: padding_row(options.padding_idx, n)?, seed: to_seed(options.seed)? };
        Ok(Embedding { inner: SharedLayer::new(core::Embedding::new(config).map_err(to_js)?) })
    }

    /// A table holding `weight` `[N, D]` as given (`Embedding.from_pretrained`); frozen unless
    /// `freeze` is false.
    #[napi(factory, catch_unwind)]
    pub fn from_pretrained(weight: TensorArg, freeze: Option<bool>, padding_idx: Option<f64>) -> napi::Result<Self> {
        let w = HostTensor::borrow("weight", &weight)?;
        let rows = if w.shape.len() == 2 { w.shape[0] } else { 0 };
        // The shape itself is checked (and named) by the core; the padding row needs N first.
        let pad = if rows > 0 { padding_row(padding_idx, rows)? } else { None };
        guard("fromPretrained", || core::Embedding::from_pretrained(w.view(), freeze.unwrap_or(true), pad).map(|e| Embedding { inner: SharedLayer::new(e) }).map_err(to_js))
    }

    /// Looks up `ids` (int32, any shape): the result has shape `ids.shape + [D]`.
    #[napi(catch_unwind)]
    pub fn forward(&self, ids: IntTensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        let (data, shape) = ids_of(&ids)?;
        let (_, requires_grad) = modes(options.as_ref());
        self.inner.call("forward", |e| e.forward(data, &shape, requires_grad)).map(out)
    }

    /// `forward` on a worker thread (the ids are copied first).
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, ids: IntTensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Embedding, OwnedTensor>>> {
        let (data, shape) = ids_of(&ids)?;
        let data = data.to_vec();
        let (_, requires_grad) = modes(options.as_ref());
        Ok(self.inner.task("forwardAsync", move |e| e.forward(&data, &shape, requires_grad)))
    }

    /// Scatter-adds `gradOutput` (`ids.shape + [D]`) into the weight gradient (nothing when
    /// frozen; never into the padding row). Ids get no gradient, so nothing is returned.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<()> {
        backward(&self.inner, &grad_output, core::Embedding::backward)
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Embedding, ()>>> {
        backward_async(&self.inner, &grad_output, core::Embedding::backward)
    }

    /// Whether backward leaves the gradient alone.
    #[napi(getter)]
    pub fn freeze(&self) -> napi::Result<bool> {
        Ok(self.inner.lock()?.frozen())
    }

    /// Freezes or unfreezes the table.
    #[napi(setter)]
    pub fn set_freeze(&self, value: bool) -> napi::Result<()> {
        self.inner.lock()?.set_frozen(value);
        Ok(())
    }

    /// Rows of the table.
    #[napi(getter)]
    pub fn num_embeddings(&self) -> napi::Result<u32> {
        Ok(self.inner.lock()?.config().num_embeddings as u32)
    }

    /// Values per row.
    #[napi(getter)]
    pub fn embedding_dim(&self) -> napi::Result<u32> {
        Ok(self.inner.lock()?.config().embedding_dim as u32)
    }

    /// The padding row (0..N), if any.
    #[napi(getter)]
    pub fn padding_idx(&self) -> napi::Result<Option<u32>> {
        Ok(self.inner.lock()?.config().padding_idx.map(|p| p as u32))
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
    inner: SharedLayer<core::Linear>,
    config: LinearConfig,
}

trainable_methods!(Linear);

#[napi]
impl Linear {
    /// A layer initialised U(−1/√in, 1/√in) (seeded).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: LinearArgs) -> napi::Result<Self> {
        let config = LinearConfig {
            in_features: to_usize("inFeatures", options.in_features, 1, 1 << 30)?,
            out_features: to_usize("outFeatures", options.out_features, 1, 1 << 30)?,
            bias: options.bias.unwrap_or(true),
            seed: to_seed(options.seed)?,
        };
        let l = core::Linear::new(config.clone()).map_err(to_js)?;
        Ok(Linear { inner: SharedLayer::new(l), config })
    }

    /// `y = x Wᵀ + b` over the last dimension of `input` (`[…, in]` → `[…, out]`).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        forward(&self.inner, &input, options, |l, x, _, requires_grad| l.forward(x, requires_grad))
    }

    /// `forward` on a worker thread (the input is copied first).
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Linear, OwnedTensor>>> {
        forward_async(&self.inner, &input, options, |l, x, _, requires_grad| l.forward(x, requires_grad))
    }

    /// Returns the input gradient and accumulates the weight and bias gradients.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<TensorOut> {
        backward(&self.inner, &grad_output, core::Linear::backward)
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Linear, OwnedTensor>>> {
        backward_async(&self.inner, &grad_output, core::Linear::backward)
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
    inner: SharedLayer<core::Dropout>,
    p: f64,
}

#[napi]
impl Dropout {
    /// A dropout layer with probability `p`.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: DropoutArgs) -> napi::Result<Self> {
        let d = core::Dropout::new(options.p, to_seed(options.seed)?).map_err(to_js)?;
        Ok(Dropout { inner: SharedLayer::new(d), p: options.p })
    }

    /// In training, zeroes each value with probability `p` and scales the rest by `1/(1−p)`;
    /// otherwise the identity (a copy).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<TensorOut> {
        forward(&self.inner, &input, options, core::Dropout::forward)
    }

    /// `forward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<LayerForwardArgs>) -> napi::Result<AsyncTask<LayerTask<core::Dropout, OwnedTensor>>> {
        forward_async(&self.inner, &input, options, core::Dropout::forward)
    }

    /// The input gradient through the cached mask.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: TensorArg) -> napi::Result<TensorOut> {
        backward(&self.inner, &grad_output, core::Dropout::backward)
    }

    /// `backward` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn backward_async(&self, grad_output: TensorArg) -> napi::Result<AsyncTask<LayerTask<core::Dropout, OwnedTensor>>> {
        backward_async(&self.inner, &grad_output, core::Dropout::backward)
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
