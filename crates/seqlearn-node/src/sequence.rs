//! Sequence glue for JavaScript: the top layer's final state as features, pooling over time
//! (a small stateful class: max-pooling keeps its argmax for `backward`) and a seeded sampler
//! of next tokens for generation.

use napi_derive::napi;
use seqlearn_core::rng::Rng;
use seqlearn_core::sequence::{self as core, PoolMode, SampleOptions};

use crate::convert::{shape_of, tensor_out, to_usize, TensorArg, TensorOut};
use crate::error::{invalid, to_js};

fn lengths_arg(lengths: Option<Vec<f64>>) -> napi::Result<Option<Vec<usize>>> {
    lengths
        .map(|l| l.iter().enumerate().map(|(i, &v)| to_usize(&format!("lengths[{i}]"), v, 1, 1 << 40)).collect::<napi::Result<Vec<_>>>())
        .transpose()
}

/// `[layers·D, B, H]` final states → `[B, D·H]` features of the top layer (forward direction first).
#[napi(catch_unwind)]
pub fn last_state_forward(h: TensorArg, num_directions: u32) -> napi::Result<TensorOut> {
    let shape = shape_of("h", &h.shape, h.data.len())?;
    let out = core::last_state_forward(&h.data, &shape, num_directions as usize).map_err(to_js)?;
    let (b, hs) = (shape[1], shape[2]);
    Ok(tensor_out(out, &[b, num_directions as usize * hs]))
}

/// Gradient of `lastStateForward`: `[B, D·H]` → `[layers·D, B, H]` (zero below the top layer).
#[napi(catch_unwind)]
pub fn last_state_backward(grad: TensorArg, h_shape: Vec<f64>, num_directions: u32) -> napi::Result<TensorOut> {
    let hs = h_shape.iter().enumerate().map(|(i, &d)| to_usize(&format!("hShape[{i}]"), d, 0, 1 << 40)).collect::<napi::Result<Vec<_>>>()?;
    let out = core::last_state_backward(&grad.data, &hs, num_directions as usize).map_err(to_js)?;
    Ok(tensor_out(out, &hs))
}

/// Options of `SequencePool.forward`.
#[napi(object)]
pub struct PoolArgs {
    /// Valid steps per batch item (default: all).
    pub lengths: Option<Vec<f64>>,
    /// Input is `[B, T, F]` (default false: `[T, B, F]`).
    pub batch_first: Option<bool>,
}

/// What a pooling forward keeps for its backward.
struct PoolSaved {
    shape: Vec<usize>,
    lengths: Option<Vec<usize>>,
    batch_first: bool,
    argmax: Vec<u32>,
}

/// Pooling over time (`'mean'` or `'max'`) with per-sequence lengths; keeps what `backward` needs.
#[napi]
pub struct SequencePool {
    mode: PoolMode,
    saved: Option<PoolSaved>,
}

#[napi]
impl SequencePool {
    /// A pooling layer; `mode` is `'mean'` or `'max'`.
    #[napi(constructor, catch_unwind)]
    pub fn new(mode: String) -> napi::Result<Self> {
        Ok(SequencePool { mode: PoolMode::parse(&mode).map_err(to_js)?, saved: None })
    }

    /// `[T, B, F]` (or `[B, T, F]`) → `[B, F]`.
    #[napi(catch_unwind)]
    pub fn forward(&mut self, input: TensorArg, options: Option<PoolArgs>) -> napi::Result<TensorOut> {
        let shape = shape_of("input", &input.shape, input.data.len())?;
        let o = options.unwrap_or(PoolArgs { lengths: None, batch_first: None });
        let lengths = lengths_arg(o.lengths)?;
        let bf = o.batch_first.unwrap_or(false);
        let p = core::pool_forward(&input.data, &shape, lengths.as_deref(), bf, self.mode).map_err(to_js)?;
        let (b, f) = (if bf { shape[0] } else { shape[1] }, shape[2]);
        self.saved = Some(PoolSaved { shape, lengths, batch_first: bf, argmax: p.argmax });
        Ok(tensor_out(p.output, &[b, f]))
    }

    /// Gradient with respect to the input of the last `forward` (zero at padded steps).
    #[napi(catch_unwind)]
    pub fn backward(&mut self, grad: TensorArg) -> napi::Result<TensorOut> {
        let Some(PoolSaved { shape, lengths, batch_first: bf, argmax }) = self.saved.as_ref() else {
            return Err(to_js(seqlearn_core::Error::State("SequencePool.backward: call forward first".into())));
        };
        let g = core::pool_backward(&grad.data, shape, lengths.as_deref(), *bf, self.mode, argmax).map_err(to_js)?;
        Ok(tensor_out(g, shape))
    }
}

/// Options of `Sampler.sample`.
#[napi(object)]
pub struct SampleArgs {
    /// Divides the logits; 0 = greedy (default 1).
    pub temperature: Option<f64>,
    /// Keep the k most likely tokens (default 0 = all).
    pub top_k: Option<f64>,
    /// Nucleus: keep the smallest set reaching probability p (default 1 = all).
    pub top_p: Option<f64>,
}

/// A seeded sampler of next tokens from logits `[rows, vocab]`.
#[napi]
pub struct Sampler {
    rng: Rng,
}

#[napi]
impl Sampler {
    /// A sampler whose draws are reproducible from `seed`.
    #[napi(constructor, catch_unwind)]
    pub fn new(seed: f64) -> napi::Result<Self> {
        Ok(Sampler { rng: Rng::new(to_usize("seed", seed, 0, (1usize << 53) - 1)? as u64) })
    }

    /// One token id per row of `logits` (`[rows, vocab]` or `[vocab]`).
    #[napi(catch_unwind)]
    pub fn sample(&mut self, logits: TensorArg, options: Option<SampleArgs>) -> napi::Result<Vec<u32>> {
        let shape = shape_of("logits", &logits.shape, logits.data.len())?;
        let Some(&vocab) = shape.last() else { return Err(invalid("logits", "expected a 1-D or 2-D tensor, got a scalar")) };
        if shape.len() > 2 {
            return Err(invalid("logits", format!("expected a 1-D or 2-D tensor, got shape {shape:?}")));
        }
        let o = options.unwrap_or(SampleArgs { temperature: None, top_k: None, top_p: None });
        let opts = SampleOptions {
            temperature: o.temperature.unwrap_or(1.0) as f32,
            top_k: to_usize("topK", o.top_k.unwrap_or(0.0), 0, 1 << 40)?,
            top_p: o.top_p.unwrap_or(1.0) as f32,
        };
        core::sample_logits(&logits.data, vocab, &opts, &mut self.rng).map_err(to_js)
    }
}
