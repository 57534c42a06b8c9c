//! Losses and softmax for JavaScript: `crossEntropy` (class indices or probabilities),
//! `binaryCrossEntropyWithLogits`, `mseLoss`, `softmax`/`logSoftmax` and their backward passes.
//! Shapes are checked here (the class dimension is the last one; leading dimensions are items);
//! values and options are checked by the core. Synchronous calls borrow JavaScript memory; the
//! `…Async` forms copy their inputs and run on a libuv worker.

use std::borrow::Cow;

use napi::bindgen_prelude::{AsyncTask, Float32Array};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::loss::{self, BceOptions, BceOutput, CrossEntropyOptions, CrossEntropySummary, CrossEntropyTarget, LossValue, Reduction};

use crate::convert::{self, shape_of, split_classes, tensor_out, to_i32, IntTensorArg, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};
use crate::v8_buffer::{GradTensor, V8Floats};

/// A loss value and its gradient with respect to the prediction.
#[napi(object, object_from_js = false)]
pub struct LossResult {
    /// The reduced loss (`reduction` `'sum'` or `'mean'`); absent for `'none'`.
    pub loss: Option<f64>,
    /// Per-item losses for `reduction: 'none'`, shaped like the items.
    pub losses: Option<TensorOut>,
    /// d loss / d prediction, shaped like the prediction.
    pub grad: TensorOut,
}

/// Result of `binaryCrossEntropyWithLogits`.
#[napi(object, object_from_js = false)]
pub struct BceResult {
    /// The reduced loss (`'sum'` or `'mean'`); absent for `'none'`.
    pub loss: Option<f64>,
    /// Per-element losses for `reduction: 'none'`, shaped like the logits.
    pub losses: Option<TensorOut>,
    /// d loss / d logits, shaped like the logits.
    pub grad: TensorOut,
    /// Number of elements.
    pub count: f64,
    /// Elements predicted right: `logit > 0` equals `target > 0.5`.
    pub correct: f64,
}

/// Result of `crossEntropy`: the loss, the gradient of the logits and counts for accuracy.
#[napi(object, object_from_js = false)]
pub struct CrossEntropyResult {
    /// The reduced loss (`'sum'` or `'mean'`); absent for `'none'`.
    pub loss: Option<f64>,
    /// Per-item losses for `reduction: 'none'` (0 for ignored items), shaped like the targets.
    pub losses: Option<TensorOut>,
    /// d loss / d logits, shaped like the logits.
    pub grad: GradTensor,
    /// Items that count (target not `ignoreIndex`; all items for probability targets).
    pub count: f64,
    /// Counted items whose logits' argmax is the target (the target's argmax for probabilities).
    pub correct: f64,
    /// The divisor of `'mean'`: the summed class weights of the counted targets.
    pub total_weight: f64,
}

/// Options of `crossEntropy` (PyTorch's defaults).
#[napi(object)]
pub struct CrossEntropyArgs {
    /// Targets equal to this are skipped (default −100).
    pub ignore_index: Option<f64>,
    /// Label smoothing in [0, 1] (default 0).
    pub label_smoothing: Option<f64>,
    /// Class weights `[C]`.
    pub weight: Option<TensorArg>,
    /// `'none' | 'sum' | 'mean'` (default `'mean'`).
    pub reduction: Option<String>,
    /// Upstream gradient per item (shape of the targets), `reduction: 'none'` only (default ones).
    pub grad_output: Option<TensorArg>,
}

/// Options of `binaryCrossEntropyWithLogits` (PyTorch's defaults).
#[napi(object)]
pub struct BceArgs {
    /// Element weights: the logits' shape, or `[C]` (last dimension, broadcast).
    pub weight: Option<TensorArg>,
    /// Positive-class weights `[C]` (last dimension).
    pub pos_weight: Option<TensorArg>,
    /// `'none' | 'sum' | 'mean'` (default `'mean'`).
    pub reduction: Option<String>,
    /// Upstream gradient (the logits' shape), `reduction: 'none'` only.
    pub grad_output: Option<TensorArg>,
}

/// Options of `mseLoss`.
#[napi(object)]
pub struct MseArgs {
    /// `'none' | 'sum' | 'mean'` (default `'mean'`).
    pub reduction: Option<String>,
    /// Upstream gradient (the prediction's shape), `reduction: 'none'` only.
    pub grad_output: Option<TensorArg>,
}

/// Options of `softmax` and `logSoftmax` (and their backward passes).
#[napi(object)]
pub struct SoftmaxArgs {
    /// Divides the logits before the softmax (default 1; must be > 0).
    pub temperature: Option<f64>,
}

fn take(data: &Float32Array, copy: bool) -> Cow<'_, [f32]> {
    if copy {
        Cow::Owned(data.to_vec())
    } else {
        Cow::Borrowed(&data[..])
    }
}

fn own<T: Clone>(c: Cow<'_, [T]>) -> Cow<'static, [T]> {
    Cow::Owned(c.into_owned())
}

fn reduction(r: &Option<String>) -> napi::Result<Reduction> {
    r.as_deref().map_or(Ok(Reduction::Mean), Reduction::parse).map_err(to_js)
}

/// Checks a tensor argument's shape against `want`; returns its values.
fn expect_shape<'a>(arg: &str, t: &'a TensorArg, want: &[usize], copy: bool) -> napi::Result<Cow<'a, [f32]>> {
    convert::expect_shape(arg, &t.shape, t.data.len(), want)?;
    Ok(take(&t.data, copy))
}

/// Shape and last dimension (1 for a scalar) of a tensor argument.
fn shape_and_classes(arg: &str, t: &TensorArg) -> napi::Result<(Vec<usize>, usize)> {
    let s = shape_of(arg, &t.shape, t.data.len())?;
    let c = s.last().copied().unwrap_or(1);
    Ok((s, c))
}

fn loss_fields(loss: LossValue, item_shape: &[usize]) -> (Option<f64>, Option<TensorOut>) {
    match loss {
        LossValue::Scalar(v) => (Some(v as f64), None),
        LossValue::PerItem(v) => (None, Some(tensor_out(v, item_shape))),
    }
}

/// Targets of a cross-entropy call, borrowed or copied.
enum CeTargets<'a> {
    Indices(Cow<'a, [i32]>),
    Probabilities(Cow<'a, [f32]>),
}

/// The checked inputs of one cross-entropy call.
struct CeInput<'a> {
    logits: Cow<'a, [f32]>,
    shape: Vec<usize>,
    items: Vec<usize>,
    classes: usize,
    target: CeTargets<'a>,
    weight: Option<Cow<'a, [f32]>>,
    grad_output: Option<Cow<'a, [f32]>>,
    ignore_index: i32,
    label_smoothing: f32,
    reduction: Reduction,
}

/// A cross-entropy target argument as JavaScript passed it.
enum TargetArg<'a> {
    Indices(&'a IntTensorArg),
    Probabilities(&'a TensorArg),
}

impl<'a> CeInput<'a> {
    fn new(logits: &'a TensorArg, target: TargetArg<'a>, options: Option<&'a CrossEntropyArgs>, copy: bool) -> napi::Result<Self> {
        let shape = shape_of("logits", &logits.shape, logits.data.len())?;
        let (classes, items) = split_classes("logits", &shape)?;
        let items = items.to_vec();
        let target = match target {
            TargetArg::Indices(t) => {
                convert::expect_shape("target", &t.shape, t.data.len(), &items)?;
                CeTargets::Indices(if copy { Cow::Owned(t.data.to_vec()) } else { Cow::Borrowed(&t.data[..]) })
            }
            TargetArg::Probabilities(t) => CeTargets::Probabilities(expect_shape("target", t, &shape, copy)?),
        };
        let weight = options.and_then(|o| o.weight.as_ref()).map(|w| expect_shape("weight", w, &[classes], copy)).transpose()?;
        let grad_output = options.and_then(|o| o.grad_output.as_ref()).map(|g| expect_shape("gradOutput", g, &items, copy)).transpose()?;
        Ok(CeInput {
            logits: take(&logits.data, copy),
            shape,
            items,
            classes,
            target,
            weight,
            grad_output,
            ignore_index: to_i32("ignoreIndex", options.and_then(|o| o.ignore_index).unwrap_or(-100.0))?,
            label_smoothing: options.and_then(|o| o.label_smoothing).unwrap_or(0.0) as f32,
            reduction: reduction(&options.and_then(|o| o.reduction.clone()))?,
        })
    }

    fn into_owned(self) -> CeInput<'static> {
        CeInput {
            logits: own(self.logits),
            shape: self.shape,
            items: self.items,
            classes: self.classes,
            target: match self.target {
                CeTargets::Indices(t) => CeTargets::Indices(own(t)),
                CeTargets::Probabilities(t) => CeTargets::Probabilities(own(t)),
            },
            weight: self.weight.map(own),
            grad_output: self.grad_output.map(own),
            ignore_index: self.ignore_index,
            label_smoothing: self.label_smoothing,
            reduction: self.reduction,
        }
    }

    fn run(&self, grad: &mut [f32]) -> seqlearn_core::Result<CrossEntropySummary> {
        let target = match &self.target {
            CeTargets::Indices(t) => CrossEntropyTarget::Indices(t),
            CeTargets::Probabilities(q) => CrossEntropyTarget::Probabilities(q),
        };
        let opts = CrossEntropyOptions {
            ignore_index: self.ignore_index,
            weight: self.weight.as_deref(),
            label_smoothing: self.label_smoothing,
            reduction: self.reduction,
            grad_output: self.grad_output.as_deref(),
        };
        loss::cross_entropy_into(&self.logits, self.classes, target, &opts, grad)
    }

    fn result(&self, o: CrossEntropySummary, grad: V8Floats) -> napi::Result<CrossEntropyResult> {
        let (loss, losses) = loss_fields(o.loss, &self.items);
        let grad = GradTensor { data: grad.into_js()?, shape: self.shape.iter().map(|&d| d as u32).collect() };
        Ok(CrossEntropyResult { loss, losses, grad, count: o.count as f64, correct: o.correct as f64, total_weight: o.total_weight })
    }
}

fn cross_entropy_sync(env: &Env, what: &str, input: napi::Result<CeInput<'_>>) -> napi::Result<CrossEntropyResult> {
    let input = input?;
    let mut grad = V8Floats::new(env.raw(), input.logits.len(), "logits")?;
    match guard(what, || input.run(grad.as_mut_slice()).map_err(to_js)) {
        Ok(s) => input.result(s, grad),
        Err(e) => {
            grad.release();
            Err(e)
        }
    }
}

fn cross_entropy_task(env: &Env, what: &str, input: impl FnOnce() -> napi::Result<CeInput<'static>>) -> napi::Result<AsyncTask<CrossEntropyTask>> {
    let input = guard(what, input)?;
    let grad = V8Floats::new(env.raw(), input.logits.len(), "logits")?;
    Ok(AsyncTask::new(CrossEntropyTask { input, grad: Some(grad) }))
}

/// Softmax cross-entropy of `logits` `[..., C]` against class indices `target` `[...]`
/// (`torch.nn.functional.cross_entropy`), with the gradient of the logits.
#[napi(catch_unwind)]
pub fn cross_entropy(env: Env, logits: TensorArg, target: IntTensorArg, options: Option<CrossEntropyArgs>) -> napi::Result<CrossEntropyResult> {
    cross_entropy_sync(&env, "crossEntropy", CeInput::new(&logits, TargetArg::Indices(&target), options.as_ref(), false))
}

/// `crossEntropy` on a worker thread (for large vocabularies).
#[napi(ts_return_type = "Promise<CrossEntropyResult>")]
pub fn cross_entropy_async(env: Env, logits: TensorArg, target: IntTensorArg, options: Option<CrossEntropyArgs>) -> napi::Result<AsyncTask<CrossEntropyTask>> {
    cross_entropy_task(&env, "crossEntropyAsync", || CeInput::new(&logits, TargetArg::Indices(&target), options.as_ref(), true).map(CeInput::into_owned))
}

/// Cross-entropy against class probabilities `target` (the logits' shape).
#[napi(catch_unwind)]
pub fn cross_entropy_soft(env: Env, logits: TensorArg, target: TensorArg, options: Option<CrossEntropyArgs>) -> napi::Result<CrossEntropyResult> {
    cross_entropy_sync(&env, "crossEntropy", CeInput::new(&logits, TargetArg::Probabilities(&target), options.as_ref(), false))
}

/// `crossEntropySoft` on a worker thread.
#[napi(ts_return_type = "Promise<CrossEntropyResult>")]
pub fn cross_entropy_soft_async(env: Env, logits: TensorArg, target: TensorArg, options: Option<CrossEntropyArgs>) -> napi::Result<AsyncTask<CrossEntropyTask>> {
    cross_entropy_task(&env, "crossEntropyAsync", || CeInput::new(&logits, TargetArg::Probabilities(&target), options.as_ref(), true).map(CeInput::into_owned))
}

/// Async cross-entropy: the inputs are copies; the gradient buffer is V8's, written by the worker.
pub struct CrossEntropyTask {
    input: CeInput<'static>,
    grad: Option<V8Floats>,
}

impl Task for CrossEntropyTask {
    type Output = CrossEntropySummary;
    type JsValue = CrossEntropyResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Self { input, grad } = self;
        let grad = grad.as_mut().ok_or_else(|| napi::Error::from_reason("[ERR_SEQLEARN_INTERNAL] crossEntropyAsync: the task ran twice"))?;
        guard("crossEntropyAsync", || input.run(grad.as_mut_slice()).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        let grad = self.grad.take().ok_or_else(|| napi::Error::from_reason("[ERR_SEQLEARN_INTERNAL] crossEntropyAsync: resolved twice"))?;
        self.input.result(output, grad)
    }
    fn finally(mut self, _env: Env) -> napi::Result<()> {
        if let Some(g) = self.grad.take() {
            g.release();
        }
        Ok(())
    }
}

/// The checked inputs of one BCE call.
struct BceInput<'a> {
    logits: Cow<'a, [f32]>,
    target: Cow<'a, [f32]>,
    shape: Vec<usize>,
    classes: usize,
    weight: Option<Cow<'a, [f32]>>,
    pos_weight: Option<Cow<'a, [f32]>>,
    grad_output: Option<Cow<'a, [f32]>>,
    reduction: Reduction,
}

impl<'a> BceInput<'a> {
    fn new(logits: &'a TensorArg, target: &'a TensorArg, options: Option<&'a BceArgs>, copy: bool) -> napi::Result<Self> {
        let (shape, classes) = shape_and_classes("logits", logits)?;
        let target = expect_shape("target", target, &shape, copy)?;
        let weight = match options.and_then(|o| o.weight.as_ref()) {
            None => None,
            Some(w) => {
                let ws = shape_of("weight", &w.shape, w.data.len())?;
                if ws != shape && ws != [classes] {
                    return Err(invalid("weight", format!("expected shape {shape:?} (the logits') or [{classes}] (the last dimension, broadcast), got {ws:?}")));
                }
                Some(take(&w.data, copy))
            }
        };
        let pos_weight = options.and_then(|o| o.pos_weight.as_ref()).map(|p| expect_shape("posWeight", p, &[classes], copy)).transpose()?;
        let grad_output = options.and_then(|o| o.grad_output.as_ref()).map(|g| expect_shape("gradOutput", g, &shape, copy)).transpose()?;
        Ok(BceInput {
            logits: take(&logits.data, copy),
            target,
            shape,
            classes,
            weight,
            pos_weight,
            grad_output,
            reduction: reduction(&options.and_then(|o| o.reduction.clone()))?,
        })
    }

    fn into_owned(self) -> BceInput<'static> {
        BceInput {
            logits: own(self.logits),
            target: own(self.target),
            shape: self.shape,
            classes: self.classes,
            weight: self.weight.map(own),
            pos_weight: self.pos_weight.map(own),
            grad_output: self.grad_output.map(own),
            reduction: self.reduction,
        }
    }

    fn run(&self) -> seqlearn_core::Result<BceOutput> {
        let opts = BceOptions { weight: self.weight.as_deref(), pos_weight: self.pos_weight.as_deref(), reduction: self.reduction, grad_output: self.grad_output.as_deref() };
        loss::binary_cross_entropy_with_logits(&self.logits, &self.target, self.classes, &opts)
    }

    fn result(&self, o: BceOutput) -> BceResult {
        let (loss, losses) = loss_fields(o.loss, &self.shape);
        BceResult { loss, losses, grad: tensor_out(o.grad, &self.shape), count: self.logits.len() as f64, correct: o.correct as f64 }
    }
}

/// Binary cross-entropy from logits (`torch.nn.functional.binary_cross_entropy_with_logits`),
/// with the gradient of the logits.
#[napi(catch_unwind)]
pub fn binary_cross_entropy_with_logits(logits: TensorArg, target: TensorArg, options: Option<BceArgs>) -> napi::Result<BceResult> {
    let input = BceInput::new(&logits, &target, options.as_ref(), false)?;
    guard("binaryCrossEntropyWithLogits", || input.run().map(|o| input.result(o)).map_err(to_js))
}

/// `binaryCrossEntropyWithLogits` on a worker thread.
#[napi(ts_return_type = "Promise<BceResult>")]
pub fn binary_cross_entropy_with_logits_async(logits: TensorArg, target: TensorArg, options: Option<BceArgs>) -> napi::Result<AsyncTask<BceTask>> {
    let input = guard("binaryCrossEntropyWithLogitsAsync", || BceInput::new(&logits, &target, options.as_ref(), true).map(BceInput::into_owned))?;
    Ok(AsyncTask::new(BceTask { input }))
}

/// Async binary cross-entropy.
pub struct BceTask {
    input: BceInput<'static>,
}

impl Task for BceTask {
    type Output = BceOutput;
    type JsValue = BceResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard("binaryCrossEntropyWithLogitsAsync", || self.input.run().map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(self.input.result(output))
    }
}

/// Mean squared error (`torch.nn.functional.mse_loss`), with the gradient of `pred`.
#[napi(catch_unwind)]
pub fn mse_loss(pred: TensorArg, target: TensorArg, options: Option<MseArgs>) -> napi::Result<LossResult> {
    let shape = shape_of("pred", &pred.shape, pred.data.len())?;
    let t = expect_shape("target", &target, &shape, false)?;
    let g = options.as_ref().and_then(|o| o.grad_output.as_ref()).map(|g| expect_shape("gradOutput", g, &shape, false)).transpose()?;
    let red = reduction(&options.as_ref().and_then(|o| o.reduction.clone()))?;
    guard("mseLoss", || {
        let o = loss::mse_loss(&pred.data, &t, red, g.as_deref()).map_err(to_js)?;
        let (loss, losses) = loss_fields(o.loss, &shape);
        Ok(LossResult { loss, losses, grad: tensor_out(o.grad, &shape) })
    })
}

fn temperature(options: &Option<SoftmaxArgs>) -> f32 {
    options.as_ref().and_then(|o| o.temperature).unwrap_or(1.0) as f32
}

fn softmax_like(what: &str, logits: &TensorArg, f: impl FnOnce(&[f32], usize) -> seqlearn_core::Result<Vec<f32>>) -> napi::Result<TensorOut> {
    let shape = shape_of("logits", &logits.shape, logits.data.len())?;
    let Some(&cols) = shape.last() else {
        return Err(invalid("logits", "expected at least 1 dimension, got a scalar (shape [])"));
    };
    guard(what, || f(&logits.data, cols).map(|v| tensor_out(v, &shape)).map_err(to_js))
}

fn softmax_backward_like(
    what: &str,
    output: &TensorArg,
    grad_output: &TensorArg,
    f: impl FnOnce(&[f32], &[f32], usize) -> seqlearn_core::Result<Vec<f32>>,
) -> napi::Result<TensorOut> {
    let shape = shape_of("output", &output.shape, output.data.len())?;
    let Some(&cols) = shape.last() else {
        return Err(invalid("output", "expected at least 1 dimension, got a scalar (shape [])"));
    };
    let g = expect_shape("gradOutput", grad_output, &shape, false)?;
    guard(what, || f(&output.data, &g, cols).map(|v| tensor_out(v, &shape)).map_err(to_js))
}

/// `softmax(logits / temperature)` over the last dimension.
#[napi(catch_unwind)]
pub fn softmax(logits: TensorArg, options: Option<SoftmaxArgs>) -> napi::Result<TensorOut> {
    let t = temperature(&options);
    softmax_like("softmax", &logits, |z, c| loss::softmax(z, c, t))
}

/// The logistic sigmoid of every value.
#[napi(catch_unwind)]
pub fn sigmoid(logits: TensorArg) -> napi::Result<TensorOut> {
    let shape = shape_of("logits", &logits.shape, logits.data.len())?;
    guard("sigmoid", || loss::sigmoid(&logits.data).map(|v| tensor_out(v, &shape)).map_err(to_js))
}

/// `log_softmax(logits / temperature)` over the last dimension.
#[napi(catch_unwind)]
pub fn log_softmax(logits: TensorArg, options: Option<SoftmaxArgs>) -> napi::Result<TensorOut> {
    let t = temperature(&options);
    softmax_like("logSoftmax", &logits, |z, c| loss::log_softmax(z, c, t))
}

/// Gradient of the logits from the softmax `output` and its gradient.
#[napi(catch_unwind)]
pub fn softmax_backward(output: TensorArg, grad_output: TensorArg, options: Option<SoftmaxArgs>) -> napi::Result<TensorOut> {
    let t = temperature(&options);
    softmax_backward_like("softmaxBackward", &output, &grad_output, |y, g, c| loss::softmax_backward(y, g, c, t))
}

/// Gradient of the logits from the log-softmax `output` and its gradient.
#[napi(catch_unwind)]
pub fn log_softmax_backward(output: TensorArg, grad_output: TensorArg, options: Option<SoftmaxArgs>) -> napi::Result<TensorOut> {
    let t = temperature(&options);
    softmax_backward_like("logSoftmaxBackward", &output, &grad_output, |y, g, c| loss::log_softmax_backward(y, g, c, t))
}
