//! `RecurrentNet`: the native class behind `RNN`, `LSTM` and `GRU` of the TypeScript API.
//! It owns a core `RecurrentNet` (parameters, gradients, forward cache) behind a mutex;
//! async methods copy their inputs and run on a libuv worker.

use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use seqlearn_core::recurrent::{self as core, CellKind, ForwardOptions, Parameters, RecurrentConfig, SequenceBatch};

use crate::convert::{tensor_out, to_seed, to_usize, HostTensor, StateList, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};
use crate::layer_common::{trainable_methods, LayerTask, NamedParameters, SharedLayer, TaskOutput};

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
    inner: SharedLayer<core::RecurrentNet>,
    config: RecurrentConfig,
}

impl NamedParameters for core::RecurrentNet {
    fn named_parameters(&self) -> &Parameters {
        &self.params
    }
    fn load_named(&mut self, tensors: &StateList<'_>, strict: bool) -> seqlearn_core::Result<()> {
        self.params.load(tensors, strict)
    }
}

impl TaskOutput for core::ForwardOutput {
    type Js = ForwardResult;
    fn into_js(self) -> ForwardResult {
        let c = self.c.map(|c| tensor_out(c, &self.c_shape));
        ForwardResult { output: tensor_out(self.output, &self.output_shape), h: tensor_out(self.h, &self.h_shape), c }
    }
}

impl TaskOutput for core::BackwardOutput {
    type Js = BackwardResult;
    fn into_js(self) -> BackwardResult {
        BackwardResult {
            grad_input: tensor_out(self.grad_input, &self.grad_input_shape),
            grad_h0: tensor_out(self.grad_h0, &self.grad_h0_shape),
            grad_c0: self.grad_c0.map(|g| tensor_out(g, &self.grad_c0_shape)),
        }
    }
}

/// Async forward task.
pub type ForwardTask = LayerTask<core::RecurrentNet, core::ForwardOutput>;

/// Async backward task.
pub type BackwardTask = LayerTask<core::RecurrentNet, core::BackwardOutput>;

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
    c.seed = to_seed(o.seed)?;
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

    /// The copied (owned) form, for an async task.
    fn into_owned(self) -> ForwardInput<'static> {
        let ForwardInput { x, lengths, h0, c0, training, requires_grad, batch_first } = self;
        ForwardInput { x: x.into_owned(), lengths, h0: h0.map(HostTensor::into_owned), c0: c0.map(HostTensor::into_owned), training, requires_grad, batch_first }
    }

    fn run(&self, net: &mut core::RecurrentNet) -> seqlearn_core::Result<core::ForwardOutput> {
        net.forward_sequence(
            SequenceBatch { data: &self.x.data, shape: &self.x.shape, batch_first: self.batch_first },
            ForwardOptions { lengths: self.lengths.as_deref(), h0: self.h0.as_ref().map(|t| t.view()), c0: self.c0.as_ref().map(|t| t.view()), training: self.training, requires_grad: self.requires_grad },
        )
    }
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

    /// The copied (owned) form, for an async task.
    fn into_owned(self) -> BackwardInput<'static> {
        BackwardInput { grad_output: self.grad_output.map(HostTensor::into_owned), grad_h: self.grad_h.map(HostTensor::into_owned), grad_c: self.grad_c.map(HostTensor::into_owned) }
    }

    fn run(&self, net: &mut core::RecurrentNet) -> seqlearn_core::Result<core::BackwardOutput> {
        net.backward_sequence(self.grad_output.as_ref().map(|t| t.view()), self.grad_h.as_ref().map(|t| t.view()), self.grad_c.as_ref().map(|t| t.view()))
    }
}

trainable_methods!(RecurrentNet);

#[napi]
impl RecurrentNet {
    /// Creates a stack with freshly initialised parameters (U(−1/√H, 1/√H), seeded).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: RecurrentNetOptions) -> napi::Result<Self> {
        let config = parse_config(&options)?;
        let net = core::RecurrentNet::new(config.clone()).map_err(to_js)?;
        Ok(RecurrentNet { inner: SharedLayer::new(net), config })
    }

    /// Forward pass over a batch (on the calling thread).
    #[napi(catch_unwind)]
    pub fn forward(&self, input: TensorArg, options: Option<ForwardArgs>) -> napi::Result<ForwardResult> {
        let args = ForwardInput::new(&input, options.as_ref(), false)?;
        self.inner.call("forward", |net| args.run(net)).map(TaskOutput::into_js)
    }

    /// Forward pass on a worker thread; resolves to the same result as `forward`.
    #[napi(ts_return_type = "Promise<ForwardResult>")]
    pub fn forward_async(&self, input: TensorArg, options: Option<ForwardArgs>) -> napi::Result<AsyncTask<ForwardTask>> {
        let args = guard("forwardAsync", || ForwardInput::new(&input, options.as_ref(), true).map(ForwardInput::into_owned))?;
        Ok(self.inner.task("forwardAsync", move |net| args.run(net)))
    }

    /// Backward pass through the cached forward; accumulates parameter gradients.
    #[napi(catch_unwind)]
    pub fn backward(&self, grad_output: Option<TensorArg>, options: Option<BackwardArgs>) -> napi::Result<BackwardResult> {
        let args = BackwardInput::new(grad_output.as_ref(), options.as_ref(), false)?;
        self.inner.call("backward", |net| args.run(net)).map(TaskOutput::into_js)
    }

    /// Backward pass on a worker thread.
    #[napi(ts_return_type = "Promise<BackwardResult>")]
    pub fn backward_async(&self, grad_output: Option<TensorArg>, options: Option<BackwardArgs>) -> napi::Result<AsyncTask<BackwardTask>> {
        let args = guard("backwardAsync", || BackwardInput::new(grad_output.as_ref(), options.as_ref(), true).map(BackwardInput::into_owned))?;
        Ok(self.inner.task("backwardAsync", move |net| args.run(net)))
    }

    /// The configuration as PyTorch-style JSON-able fields.
    #[napi(getter)]
    pub fn mode(&self) -> String {
        self.config.kind.name().to_string()
    }
}
