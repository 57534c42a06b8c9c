//! The CTC loss for JavaScript: `ctcLoss` (synchronous, borrowing JavaScript memory) and
//! `ctcLossAsync` (inputs copied, computed on a libuv worker, off the JavaScript thread). One
//! native call per batch. Shapes, lengths and option values are converted and checked here;
//! labels, length bounds and finiteness by the core (`seqlearn_core::loss::ctc`).
//!
//! The gradient (as large as the input: 160 MB for T = 500, N = 16, C = 5000) is written by the
//! kernel straight into an `ArrayBuffer` V8 allocated (`V8Floats`), so the garbage collector owns
//! it and it is never copied: a Rust buffer copied out by `tensor_out` cost more than the whole
//! loss on that setting (a second 160 MB allocation, its page faults and the copy).

use std::borrow::Cow;

use napi::bindgen_prelude::{AsyncTask, Float64Array};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::loss::ctc::{self, CtcInfeasible, CtcInputKind, CtcLossOptions, CtcLossSummary, CtcTargets};
use seqlearn_core::loss::Reduction;

use crate::convert::{shape_of, IntTensorArg, JsFloat32, JsTypedArray, TensorArg};
use crate::error::{guard, invalid, to_js};
use crate::v8_buffer::{GradTensor, V8Floats};

/// Options of `ctcLoss` (PyTorch's defaults; see the core module for the conventions).
#[napi(object)]
pub struct CtcLossArgs {
    /// The blank class (default 0).
    pub blank: Option<f64>,
    /// `'none' | 'sum' | 'mean'` (default `'mean'`).
    pub reduction: Option<String>,
    /// Infinite losses and their gradients become 0 (default false).
    pub zero_infinity: Option<bool>,
    /// `'logits'` (default; gradient `softmax − γ`) or `'logProbs'` (gradient `exp(lp) − γ`).
    pub input_kind: Option<String>,
    /// The input is `[N, T, C]` instead of `[T, N, C]` (default false).
    pub batch_first: Option<bool>,
}

/// An item without an alignment (fewer frames than labels plus adjacent repeats).
#[napi(object, object_from_js = false)]
pub struct CtcInfeasibleInfo {
    /// The item's index in the batch.
    pub index: u32,
    /// Its input length.
    pub input_length: u32,
    /// Its target length.
    pub target_length: u32,
    /// Adjacent equal labels in its target.
    pub repeats: u32,
    /// Frames an alignment needs: `targetLength + repeats`.
    pub required: u32,
}

/// Result of `ctcLoss`.
#[napi(object, object_from_js = false)]
pub struct CtcLossNativeResult {
    /// The reduced loss (`'none'`: the sum of the per-item losses).
    pub loss: f64,
    /// Per-item losses (after `zeroInfinity`), length N.
    #[napi(ts_type = "Float32Array")]
    pub losses: JsFloat32,
    /// d loss / d input, the input's shape.
    pub grad: GradTensor,
    /// The items without an alignment.
    pub infeasible: Vec<CtcInfeasibleInfo>,
}

/// The checked arguments of one call, borrowed (sync) or owned (async).
struct CtcInput<'a> {
    input: Cow<'a, [f32]>,
    shape: Vec<usize>,
    targets: Cow<'a, [i32]>,
    /// `Some(S)` for padded `[N, S]` targets, `None` for concatenated ones.
    width: Option<usize>,
    input_lengths: Vec<usize>,
    target_lengths: Vec<usize>,
    options: CtcLossOptions,
}

/// Lengths from JavaScript: non-negative integers (the core checks the upper bounds).
fn lengths(arg: &str, v: &[f64]) -> napi::Result<Vec<usize>> {
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            if !(x.is_finite() && x.fract() == 0.0 && x >= 0.0 && x <= u32::MAX as f64) {
                return Err(invalid(&format!("{arg}[{i}]"), format!("expected a non-negative integer, got {x}")));
            }
            Ok(x as usize)
        })
        .collect()
}

fn options_of(o: Option<&CtcLossArgs>) -> napi::Result<CtcLossOptions> {
    let mut opts = CtcLossOptions::default();
    let Some(o) = o else { return Ok(opts) };
    if let Some(b) = o.blank {
        if !(b.is_finite() && b.fract() == 0.0 && b >= 0.0 && b <= u32::MAX as f64) {
            return Err(invalid("blank", format!("expected a class index (a non-negative integer), got {b}")));
        }
        opts.blank = b as usize;
    }
    if let Some(r) = &o.reduction {
        opts.reduction = Reduction::parse(r).map_err(to_js)?;
    }
    if let Some(k) = &o.input_kind {
        opts.input_kind = CtcInputKind::parse(k).map_err(to_js)?;
    }
    opts.zero_infinity = o.zero_infinity.unwrap_or(false);
    opts.batch_first = o.batch_first.unwrap_or(false);
    Ok(opts)
}

impl<'a> CtcInput<'a> {
    fn new(input: &'a TensorArg, targets: &'a IntTensorArg, input_lengths: &[f64], target_lengths: &[f64], options: Option<&CtcLossArgs>, copy: bool) -> napi::Result<Self> {
        let shape = shape_of("input", &input.shape, input.data.len())?;
        let tshape = shape_of("targets", &targets.shape, targets.data.len())?;
        let width = match tshape.as_slice() {
            [_] => None,
            [_, s] => Some(*s),
            _ => return Err(invalid("targets", format!("expected [N, S] padded labels or [ΣL] concatenated labels, got shape {tshape:?}"))),
        };
        Ok(CtcInput {
            input: if copy { Cow::Owned(input.data.to_vec()) } else { Cow::Borrowed(&input.data[..]) },
            shape,
            targets: if copy { Cow::Owned(targets.data.to_vec()) } else { Cow::Borrowed(&targets.data[..]) },
            width,
            input_lengths: lengths("inputLengths", input_lengths)?,
            target_lengths: lengths("targetLengths", target_lengths)?,
            options: options_of(options)?,
        })
    }

    fn into_owned(self) -> CtcInput<'static> {
        CtcInput {
            input: Cow::Owned(self.input.into_owned()),
            shape: self.shape,
            targets: Cow::Owned(self.targets.into_owned()),
            width: self.width,
            input_lengths: self.input_lengths,
            target_lengths: self.target_lengths,
            options: self.options,
        }
    }

    fn run(&self, grad: &mut [f32]) -> seqlearn_core::Result<CtcLossSummary> {
        let targets = match self.width {
            Some(width) => CtcTargets::Padded { labels: &self.targets, width },
            None => CtcTargets::Concatenated(&self.targets),
        };
        ctc::ctc_loss_into(&self.input, &self.shape, targets, &self.input_lengths, &self.target_lengths, &self.options, grad)
    }

    fn result(&self, s: CtcLossSummary, grad: V8Floats) -> napi::Result<CtcLossNativeResult> {
        let info = |i: &CtcInfeasible| CtcInfeasibleInfo {
            index: i.index as u32,
            input_length: i.input_length as u32,
            target_length: i.target_length as u32,
            repeats: i.repeats as u32,
            required: i.required as u32,
        };
        let grad = GradTensor { data: grad.into_js()?, shape: self.shape.iter().map(|&d| d as u32).collect() };
        Ok(CtcLossNativeResult { loss: s.loss, losses: JsTypedArray(s.losses), grad, infeasible: s.infeasible.iter().map(info).collect() })
    }
}

/// The CTC loss of `input` (`[T, N, C]`, or `[N, T, C]` with `batchFirst`) against `targets`
/// (`[N, S]` padded or `[ΣL]` concatenated) with per-item lengths, and its gradient.
#[napi(catch_unwind)]
pub fn ctc_loss(
    env: Env,
    input: TensorArg,
    targets: IntTensorArg,
    input_lengths: Float64Array,
    target_lengths: Float64Array,
    options: Option<CtcLossArgs>,
) -> napi::Result<CtcLossNativeResult> {
    let args = CtcInput::new(&input, &targets, &input_lengths, &target_lengths, options.as_ref(), false)?;
    let mut grad = V8Floats::new(env.raw(), args.input.len(), "input")?;
    match guard("ctcLoss", || args.run(grad.as_mut_slice()).map_err(to_js)) {
        Ok(s) => args.result(s, grad),
        Err(e) => {
            grad.release();
            Err(e)
        }
    }
}

/// `ctcLoss` on a worker thread (the inputs are copied first; the gradient buffer is V8's,
/// written by the worker).
#[napi(ts_return_type = "Promise<CtcLossNativeResult>")]
pub fn ctc_loss_async(
    env: Env,
    input: TensorArg,
    targets: IntTensorArg,
    input_lengths: Float64Array,
    target_lengths: Float64Array,
    options: Option<CtcLossArgs>,
) -> napi::Result<AsyncTask<CtcLossTask>> {
    let args = guard("ctcLossAsync", || CtcInput::new(&input, &targets, &input_lengths, &target_lengths, options.as_ref(), true).map(CtcInput::into_owned))?;
    let grad = V8Floats::new(env.raw(), args.input.len(), "input")?;
    Ok(AsyncTask::new(CtcLossTask { args, grad: Some(grad) }))
}

/// Async CTC loss: owns copies of its inputs and the V8 buffer its worker fills.
pub struct CtcLossTask {
    args: CtcInput<'static>,
    grad: Option<V8Floats>,
}

impl Task for CtcLossTask {
    type Output = CtcLossSummary;
    type JsValue = CtcLossNativeResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Self { args, grad } = self;
        let grad = grad.as_mut().ok_or_else(|| napi::Error::from_reason("[ERR_SEQLEARN_INTERNAL] ctcLossAsync: the task ran twice"))?;
        guard("ctcLossAsync", || args.run(grad.as_mut_slice()).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        let grad = self.grad.take().ok_or_else(|| napi::Error::from_reason("[ERR_SEQLEARN_INTERNAL] ctcLossAsync: resolved twice"))?;
        self.args.result(output, grad)
    }
    fn finally(mut self, _env: Env) -> napi::Result<()> {
        if let Some(g) = self.grad.take() {
            g.release();
        }
        Ok(())
    }
}
