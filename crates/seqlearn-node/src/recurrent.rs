//! `RecurrentNet`: the native class behind `RNN`, `LSTM` and `GRU` of the TypeScript API.
//! It owns a core `RecurrentNet` (parameters, gradients, forward cache) behind a mutex;
//! async methods copy their inputs and run on a libuv worker.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::recurrent::{self as core, CellKind, ForwardOptions, RecurrentConfig, SequenceBatch};

use crate::convert::{shape_of, tensor_out, to_usize, NamedTensorArg, NamedTensorOut, HostTensor, JsFloat32, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};

/// Options of the native constructor (see the TypeScript `RecurrentOptions`).
#[napi(object)]
pub struct RecurrentNetOptions {
    /// `'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'`.
    pub mode: String,
    /// Features per input step.
    pub input_size: f64,
    /// Hidden units per direction.
    pub hidden_size: f64,
    /// Stacked layers (default 1).
    pub num_layers: Option<f64>,
    /// Two directions (default false).
    pub bidirectional: Option<bool>,
    /// Bias vectors (default true).
    pub bias: Option<bool>,
    /// LSTM projection size (default 0).
    pub proj_size: Option<f64>,
    /// Dropout between layers in training (default 0).
    pub dropout: Option<f64>,
    /// GRU: reset after the matmul (default true).
    pub reset_after: Option<bool>,
    /// Seed for init and dropout (default 0).
    pub seed: Option<f64>,
}

/// Per-call options of `forward`.
#[napi(object)]
pub struct ForwardArgs {
    /// Sequence lengths, one per batch item, each in 1..=T.
    pub lengths: Option<Vec<f64>>,
    /// Initial hidden state `[layers·D, B, out]`.
    pub h0: Option<TensorArg>,
    /// Initial cell state `[layers·D, B, H]` (LSTM).
    pub c0: Option<TensorArg>,
    /// Training mode (dropout on; default false).
    pub training: Option<bool>,
    /// Keep the cache for `backward` (default = `training`).
    pub requires_grad: Option<bool>,
    /// Input is `[B, T, F]` (default false).
    pub batch_first: Option<bool>,
}

/// Result of `forward`.
#[napi(object, object_from_js = false)]
pub struct ForwardResult {
    /// Top layer output.
    pub output: TensorOut,
    /// Final hidden states.
    pub h: TensorOut,
    /// Final cell states (LSTM).
    pub c: Option<TensorOut>,
}

/// Per-call options of `backward`.
#[napi(object)]
pub struct BackwardArgs {
    /// Gradient of the final hidden states.
    pub grad_h: Option<TensorArg>,
    /// Gradient of the final cell states (LSTM).
    pub grad_c: Option<TensorArg>,
}

/// Result of `backward`.
#[napi(object, object_from_js = false)]
pub struct BackwardResult {
    /// Gradient of the input.
    pub grad_input: TensorOut,
    /// Gradient of `h0`.
    pub grad_h0: TensorOut,
    /// Gradient of `c0` (LSTM).
    pub grad_c0: Option<TensorOut>,
}

/// A stack of recurrent layers with PyTorch-compatible parameters.
#[napi]
pub struct RecurrentNet {
    inner: Arc<Mutex<core::RecurrentNet>>,
    config: RecurrentConfig,
}

fn parse_config(o: &RecurrentNetOptions) -> napi::Result<RecurrentConfig> {
    let kind = CellKind::parse(&o.mode).map_err(to_js)?;
    let mut c = RecurrentConfig::new(kind, to_usize("inputSize", o.input_size, 1, 1 << 24)?, to_usize("hiddenSize", o.hidden_size, 1, 1 << 24)?);
    c.num_layers = to_usize("numLayers", o.num_layers.unwrap_or(1.0), 1, 1 << 16)?;
    c.bidirectional = o.bidirectional.unwrap_or(false);
    c.bias = o.bias.unwrap_or(true);
    c.proj_size = to_usize("projSize", o.proj_size.unwrap_or(0.0), 0, 1 << 24)?;
    let p = o.dropout.unwrap_or(0.0);
    if !(p.is_finite() && (0.0..1.0).contains(&p)) {
        return Err(invalid("dropout", format!("expected a probability in [0, 1), got {p}")));
    }
    c.dropout = p as f32;
    c.reset_after = o.reset_after.unwrap_or(true);
    c.seed = to_usize("seed", o.seed.unwrap_or(0.0), 0, (1usize << 53) - 1)? as u64;
    c.validate().map_err(to_js)?;
    Ok(c)
}

/// Inputs of a forward pass (borrowed for sync calls, copied for async ones).
struct ForwardInput<'a> {
    x: HostTensor<'a>,
    lengths: Option<Vec<usize>>,
    h0: Option<HostTensor<'a>>,
    c0: Option<HostTensor<'a>>,
    training: bool,
    requires_grad: bool,
    batch_first: bool,
}

impl<'a> ForwardInput<'a> {
    fn new(input: &'a TensorArg, options: Option<&'a ForwardArgs>, copy: bool) -> napi::Result<ForwardInput<'a>> {
        let take = |arg: &str, t: &'a TensorArg| if copy { HostTensor::copy(arg, t) } else { HostTensor::borrow(arg, t) };
        let x = take("input", input)?;
        let batch_first = options.and_then(|o| o.batch_first).unwrap_or(false);
        let steps = x.shape.get(if batch_first { 1 } else { 0 }).copied();
        let lengths = match options.and_then(|o| o.lengths.as_ref()) {
            None => None,
            Some(l) => Some(
                l.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        // Only integrality here; the range 1..=T is checked (and named) by the core.
                        if v.is_finite() && v.fract() == 0.0 && v >= 0.0 && v <= (1u64 << 53) as f64 {
                            Ok(v as usize)
                        } else {
                            let range = steps.map(|t| format!("1..={t}")).unwrap_or_else(|| "1..=T".into());
                            Err(invalid(&format!("lengths[{i}]"), format!("expected an integer in {range} (the sequence dimension), got {v}")))
                        }
                    })
                    .collect::<napi::Result<Vec<_>>>()?,
            ),
        };
        let h0 = options.and_then(|o| o.h0.as_ref()).map(|t| take("h0", t)).transpose()?;
        let c0 = options.and_then(|o| o.c0.as_ref()).map(|t| take("c0", t)).transpose()?;
        let training = options.and_then(|o| o.training).unwrap_or(false);
        let requires_grad = options.and_then(|o| o.requires_grad).unwrap_or(training);
        Ok(ForwardInput { x, lengths, h0, c0, training, requires_grad, batch_first })
    }

    fn run(&self, net: &mut core::RecurrentNet) -> seqlearn_core::Result<core::ForwardOutput> {
        net.forward_sequence(
            SequenceBatch { data: &self.x.data, shape: &self.x.shape, batch_first: self.batch_first },
            ForwardOptions { lengths: self.lengths.as_deref(), h0: self.h0.as_ref().map(|t| t.view()), c0: self.c0.as_ref().map(|t| t.view()), training: self.training, requires_grad: self.requires_grad },
        )
    }
}

fn forward_result(o: core::ForwardOutput) -> ForwardResult {
    let c = o.c.map(|c| tensor_out(c, &o.c_shape));
    ForwardResult { output: tensor_out(o.output, &o.output_shape), h: tensor_out(o.h, &o.h_shape), c }
}

struct BackwardInput<'a> {
    grad_output: Option<HostTensor<'a>>,
    grad_h: Option<HostTensor<'a>>,
    grad_c: Option<HostTensor<'a>>,
}

impl<'a> BackwardInput<'a> {
    fn new(grad_output: Option<&'a TensorArg>, options: Option<&'a BackwardArgs>, copy: bool) -> napi::Result<BackwardInput<'a>> {
        let take = |arg: &str, t: &'a TensorArg| if copy { HostTensor::copy(arg, t) } else { HostTensor::borrow(arg, t) };
        Ok(BackwardInput {
            grad_output: grad_output.map(|t| take("gradOutput", t)).transpose()?,
            grad_h: options.and_then(|o| o.grad_h.as_ref()).map(|t| take("gradH", t)).transpose()?,
            grad_c: options.and_then(|o| o.grad_c.as_ref()).map(|t| take("gradC", t)).transpose()?,
        })
    }
    fn run(&self, net: &mut core::RecurrentNet) -> seqlearn_core::Result<core::BackwardOutput> {
        net.backward_sequence(self.grad_output.as_ref().map(|t| t.view()), self.grad_h.as_ref().map(|t| t.view()), self.grad_c.as_ref().map(|t| t.view()))
    }
}

fn backward_result(b: core::BackwardOutput) -> BackwardResult {
    BackwardResult {
        grad_input: tensor_out(b.grad_input, &b.grad_input_shape),
        grad_h0: tensor_out(b.grad_h0, &b.grad_h0_shape),
        grad_c0: b.grad_c0.map(|g| tensor_out(g, &b.grad_c0_shape)),
    }
}

impl RecurrentNet {
    fn lock(&self) -> napi::Result<MutexGuard<'_, core::RecurrentNet>> {
        crate::params::try_lock(&self.inner)
    }
}

#[napi]
impl RecurrentNet {
    /// Creates a stack with freshly initialised parameters (U(−1/√H, 1/√H), seeded).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: RecurrentNetOptions) -> napi::Result<Self> {
        let config = parse_config(&options)?;
        let net = core::RecurrentNet::new(config.clone()).map_err(to_js)?;
        Ok(RecurrentNet { inner: Arc::new(Mutex::new(net)), config })
    }

    /// Forward pass over a batch (on the calling thread).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<ForwardArgs>) -> napi::Result<ForwardResult> {
        let args = ForwardInput::new(&input, options.as_ref(), false)?;
        let mut net = self.lock()?;
        guard("forward", || args.run(&mut net).map(forward_result).map_err(to_js))
    }

    /// Forward pass on a worker thread; resolves to the same result as `forward`.
    #[napi(ts_return_type = "Promise<ForwardResult>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<ForwardArgs>) -> napi::Result<AsyncTask<ForwardTask>> {
        let args = guard("forwardAsync", || ForwardInput::new(&input, options.as_ref(), true).map(into_static))?;
        Ok(AsyncTask::new(ForwardTask { net: self.inner.clone(), args }))
    }

    /// Backward pass through the cached forward; accumulates parameter gradients.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: Option<TensorArg>, options: Option<BackwardArgs>) -> napi::Result<BackwardResult> {
        let args = BackwardInput::new(grad_output.as_ref(), options.as_ref(), false)?;
        let mut net = self.lock()?;
        guard("backward", || args.run(&mut net).map(backward_result).map_err(to_js))
    }

    /// Backward pass on a worker thread.
    #[napi(ts_return_type = "Promise<BackwardResult>")]
    pub fn backward_async(&self, grad_output: Option<TensorArg>, options: Option<BackwardArgs>) -> napi::Result<AsyncTask<BackwardTask>> {
        let args = guard("backwardAsync", || BackwardInput::new(grad_output.as_ref(), options.as_ref(), true).map(into_static_b))?;
        Ok(AsyncTask::new(BackwardTask { net: self.inner.clone(), args }))
    }

    /// Parameters in PyTorch `state_dict` order (copies).
    #[napi(catch_unwind)]
    pub fn state_dict(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let net = self.lock()?;
        Ok(named(&net.params, &net.params.data))
    }

    /// Parameter gradients, same names and order as `stateDict`.
    #[napi(catch_unwind)]
    pub fn gradients(&self) -> napi::Result<Vec<NamedTensorOut>> {
        let net = self.lock()?;
        Ok(named(&net.params, &net.params.grad))
    }

    /// Loads parameters by name; with `strict`, all must be present. Atomic: on error nothing changes.
    #[napi(catch_unwind)]
    pub fn load_state_dict(&self, tensors: Vec<NamedTensorArg>, strict: bool) -> napi::Result<()> {
        let mut shapes = Vec::with_capacity(tensors.len());
        for t in &tensors {
            shapes.push(shape_of(&format!("stateDict['{}']", t.name), &t.shape, t.data.len())?);
        }
        let list: Vec<(String, Vec<usize>, &[f32])> = tensors.iter().zip(shapes).map(|(t, s)| (t.name.clone(), s, &t.data[..])).collect();
        let mut net = self.lock()?;
        net.params.load(&list, strict).map_err(to_js)
    }

    /// Sets all gradients to zero.
    #[napi(catch_unwind)]
    pub fn zero_grad(&self) -> napi::Result<()> {
        self.lock()?.zero_grad();
        Ok(())
    }

    /// A handle to this stack's parameters (for optimizers and gradient clipping).
    #[napi]
    pub fn param_handle(&self) -> crate::params::ParamHandle {
        crate::params::ParamHandle::new(self.inner.clone())
    }

    /// Total number of parameters.
    #[napi(getter)]
    pub fn num_parameters(&self) -> napi::Result<f64> {
        Ok(self.lock()?.params.data.len() as f64)
    }

    /// The configuration as PyTorch-style JSON-able fields.
    #[napi(getter)]
    pub fn mode(&self) -> String {
        self.config.kind.name().to_string()
    }
}

fn owned(t: HostTensor<'_>) -> HostTensor<'static> {
    HostTensor { data: std::borrow::Cow::Owned(t.data.into_owned()), shape: t.shape }
}

/// The copied (owned) form of forward inputs, for an async task.
fn into_static(a: ForwardInput<'_>) -> ForwardInput<'static> {
    ForwardInput { x: owned(a.x), lengths: a.lengths, h0: a.h0.map(owned), c0: a.c0.map(owned), training: a.training, requires_grad: a.requires_grad, batch_first: a.batch_first }
}

/// The copied (owned) form of backward inputs, for an async task.
fn into_static_b(a: BackwardInput<'_>) -> BackwardInput<'static> {
    BackwardInput { grad_output: a.grad_output.map(owned), grad_h: a.grad_h.map(owned), grad_c: a.grad_c.map(owned) }
}

fn named(p: &core::Parameters, values: &[f32]) -> Vec<NamedTensorOut> {
    p.entries
        .iter()
        .map(|e| NamedTensorOut { name: e.name.clone(), data: JsFloat32(values[e.range()].to_vec()), shape: e.shape.iter().map(|&d| d as u32).collect() })
        .collect()
}

/// Async forward task.
pub struct ForwardTask {
    net: Arc<Mutex<core::RecurrentNet>>,
    args: ForwardInput<'static>,
}

impl Task for ForwardTask {
    type Output = core::ForwardOutput;
    type JsValue = ForwardResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard("forwardAsync", || {
            let mut net = self.net.lock().unwrap_or_else(|e| e.into_inner());
            self.args.run(&mut net).map_err(to_js)
        })
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(forward_result(output))
    }
}

/// Async backward task.
pub struct BackwardTask {
    net: Arc<Mutex<core::RecurrentNet>>,
    args: BackwardInput<'static>,
}

impl Task for BackwardTask {
    type Output = core::BackwardOutput;
    type JsValue = BackwardResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard("backwardAsync", || {
            let mut net = self.net.lock().unwrap_or_else(|e| e.into_inner());
            self.args.run(&mut net).map_err(to_js)
        })
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(backward_result(output))
    }
}
