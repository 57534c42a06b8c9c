//! `OptimizerState`: one optimizer over the flat parameter buffers of several layers. It holds
//! the hyper-parameters and, per layer, the step count, a learning-rate scale and the state
//! buffers of its kind; [`OptimizerState::step`] updates every layer in one call, in parallel
//! chunks over the seqlearn pool. The state can be exported and loaded (validated before
//! anything changes), so a resumed run continues bit for bit like an uninterrupted one.

use super::adagrad::{adagrad_chunk, AdagradStep};
use super::adam::{adam_chunk, AdamStep};
use super::config::{Init, Slot, SLOTS};
use super::rmsprop::{rmsprop_chunk, RmsPropStep};
use super::sgd::{sgd_chunk, SgdStep};
use super::OptimizerConfig;
use crate::error::{Error, Result};

/// Elements per parallel work item (a multiple of every SIMD width).
const CHUNK: usize = 1 << 15;
/// Below this many parameters in total the update runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// The optimizer state of one layer.
#[derive(Clone, Debug)]
struct LayerState {
    /// Number of parameters.
    len: usize,
    /// Updates this layer has received (layers skipped as frozen do not count).
    step: u64,
    /// Multiplier of the base learning rate for this layer.
    lr_scale: f64,
    /// State buffers by slot (empty = not allocated).
    buffers: [Vec<f32>; SLOTS],
}

/// A saved optimizer state, as [`OptimizerState::load`] takes it (borrowed tensor values).
#[derive(Clone, Debug)]
pub struct StateSnapshot<'a> {
    /// Kind and hyper-parameters.
    pub config: OptimizerConfig,
    /// Number of `step` calls.
    pub steps: u64,
    /// Updates per layer.
    pub layer_steps: Vec<u64>,
    /// Buffers named `layers.<i>.<buffer>`, each of shape `[numParameters of layer i]`.
    pub tensors: Vec<(String, Vec<usize>, &'a [f32])>,
}

/// Per-layer scalars of one step, for the kernel of the optimizer's kind.
#[derive(Clone, Copy)]
enum Scalars {
    Sgd(SgdStep),
    Adam(AdamStep),
    Adagrad(AdagradStep),
    RmsProp(RmsPropStep),
}

/// A contiguous piece of one layer: the unit of parallel work.
struct Job<'a> {
    scalars: Scalars,
    p: &'a mut [f32],
    g: &'a [f32],
    b: [&'a mut [f32]; SLOTS],
}

impl Job<'_> {
    fn run(self) {
        let [b0, b1, b2] = self.b;
        match &self.scalars {
            Scalars::Sgd(s) => sgd_chunk(s, self.p, self.g, b0),
            Scalars::Adam(s) => adam_chunk(s, self.p, self.g, b0, b1, b2),
            Scalars::Adagrad(s) => adagrad_chunk(s, self.p, self.g, b0),
            Scalars::RmsProp(s) => rmsprop_chunk(s, self.p, self.g, b0, b1, b2),
        }
    }
}

/// `n` chunks of `b` (or `n` empty slices when `b` is empty).
fn chunks_of(b: &mut [f32], n: usize) -> Vec<&mut [f32]> {
    if b.is_empty() {
        (0..n).map(|_| <&mut [f32]>::default()).collect()
    } else {
        b.chunks_mut(CHUNK).collect()
    }
}

/// The buffer if the options use it, else an empty slice.
fn used<'a>(b: &'a mut [f32], slot: &Slot) -> &'a mut [f32] {
    if slot.used {
        b
    } else {
        &mut []
    }
}

/// The optimizer over a fixed list of layers.
#[derive(Clone, Debug)]
pub struct OptimizerState {
    config: OptimizerConfig,
    layers: Vec<LayerState>,
    steps: u64,
}

impl OptimizerState {
    /// An optimizer for layers of `sizes[i]` parameters; `lr_scales[i]` (default 1) multiplies
    /// the base learning rate for layer `i`.
    pub fn new(config: OptimizerConfig, sizes: &[usize], lr_scales: Option<&[f64]>) -> Result<Self> {
        config.validate()?;
        if let Some(s) = lr_scales {
            if s.len() != sizes.len() {
                return Err(Error::invalid("lrScales", format!("expected one scale per layer ({}), got {}", sizes.len(), s.len())));
            }
            if let Some(i) = s.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::invalid(format!("layers[{i}].lrScale"), format!("expected a finite value ≥ 0, got {}", s[i])));
            }
        }
        let layers = sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| LayerState { len, step: 0, lr_scale: lr_scales.map_or(1.0, |s| s[i]), buffers: Default::default() })
            .collect();
        let mut st = OptimizerState { config, layers, steps: 0 };
        st.allocate_eager();
        Ok(st)
    }

    /// Kind and hyper-parameters.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Replaces the hyper-parameters (e.g. a new learning rate or momentum). The kind and the
    /// options that size state buffers (`amsgrad`, `centered`) cannot change.
    pub fn set_config(&mut self, config: OptimizerConfig) -> Result<()> {
        if config.kind() != self.config.kind() {
            return Err(Error::invalid("kind", format!("this optimizer is '{}'; cannot change it to '{}'", self.config.kind(), config.kind())));
        }
        for ((name, old), (_, new)) in self.config.structural().into_iter().zip(config.structural()) {
            if old != new {
                return Err(Error::invalid(name, format!("cannot change after construction (was {old}, got {new}): it decides which state buffers exist")));
            }
        }
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// Number of layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Number of parameters of layer `i`.
    pub fn layer_len(&self, i: usize) -> usize {
        self.layers[i].len
    }

    /// Updates layer `i` has received.
    pub fn layer_step(&self, i: usize) -> u64 {
        self.layers[i].step
    }

    /// Learning-rate scale of layer `i`.
    pub fn lr_scale(&self, i: usize) -> f64 {
        self.layers[i].lr_scale
    }

    /// Number of [`OptimizerState::step`] calls.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Allocates the buffers the options use that start from a constant (not SGD's momentum
    /// buffer, which starts as the first gradient).
    fn allocate_eager(&mut self) {
        let slots = self.config.slots();
        for l in &mut self.layers {
            for (b, s) in l.buffers.iter_mut().zip(&slots) {
                if let (true, Init::Value(v)) = (s.used, s.init) {
                    if b.len() != l.len {
                        *b = vec![v; l.len];
                    }
                }
            }
        }
    }

    /// One update of every layer given as `Some((parameters, gradients))`; `None` skips a
    /// (frozen) layer, whose state and step count stay as they are. `layers` must list the
    /// layers in construction order, each with the parameter count it had then. Nothing
    /// changes if an argument is wrong.
    pub fn step(&mut self, layers: &mut [Option<(&mut [f32], &[f32])>]) -> Result<()> {
        if layers.len() != self.layers.len() {
            return Err(Error::invalid("layers", format!("this optimizer was built for {} layers, got {}", self.layers.len(), layers.len())));
        }
        for (i, (given, st)) in layers.iter().zip(&self.layers).enumerate() {
            if let Some((p, g)) = given {
                if p.len() != st.len {
                    return Err(Error::invalid(
                        format!("layers[{i}]"),
                        format!("this optimizer was built for a layer with {} parameters, got one with {}", st.len, p.len()),
                    ));
                }
                if g.len() != p.len() {
                    return Err(Error::invalid(format!("layers[{i}]"), format!("has {} parameters but {} gradients", p.len(), g.len())));
                }
            }
        }
        self.allocate_eager();
        let slots = self.config.slots();
        let mut jobs = Vec::new();
        let mut total = 0usize;
        for (given, st) in layers.iter_mut().zip(self.layers.iter_mut()) {
            let Some((p, g)) = given else { continue };
            let first = st.buffers.iter().zip(&slots).any(|(b, s)| s.used && s.init == Init::FirstGradient && b.len() != st.len);
            for (b, s) in st.buffers.iter_mut().zip(&slots) {
                if s.used && b.len() != st.len {
                    *b = vec![0.0; st.len];
                }
            }
            let step = st.step + 1;
            let lr = self.config.lr() * st.lr_scale;
            let scalars = match &self.config {
                OptimizerConfig::Sgd(c) => Scalars::Sgd(c.scalars(lr, first)),
                OptimizerConfig::Adam(c) => Scalars::Adam(c.scalars(lr, step)),
                OptimizerConfig::Adagrad(c) => Scalars::Adagrad(c.scalars(lr, step)),
                OptimizerConfig::RmsProp(c) => Scalars::RmsProp(c.scalars(lr)),
            };
            total += st.len;
            let n = st.len.div_ceil(CHUNK);
            let [b0, b1, b2] = &mut st.buffers;
            // Buffers the options do not use are left alone (passed as empty slices).
            let (c0, c1, c2) = (chunks_of(used(b0, &slots[0]), n), chunks_of(used(b1, &slots[1]), n), chunks_of(used(b2, &slots[2]), n));
            for ((((p, g), b0), b1), b2) in p.chunks_mut(CHUNK).zip(g.chunks(CHUNK)).zip(c0).zip(c1).zip(c2) {
                jobs.push(Job { scalars, p, g, b: [b0, b1, b2] });
            }
        }
        if total >= PARALLEL_MIN {
            crate::parallel::install(|| {
                use rayon::prelude::*;
                jobs.into_par_iter().with_max_len(1).for_each(Job::run);
            });
        } else {
            jobs.into_iter().for_each(Job::run);
        }
        for (given, st) in layers.iter().zip(self.layers.iter_mut()) {
            if given.is_some() {
                st.step += 1;
            }
        }
        self.steps += 1;
        Ok(())
    }

    /// The state buffers that exist, named `layers.<i>.<buffer>` (PyTorch's state keys), in
    /// layer order. Together with the config, [`OptimizerState::steps`] and the per-layer steps
    /// this is everything [`OptimizerState::load`] needs.
    pub fn tensors(&self) -> Vec<(String, &[f32])> {
        let slots = self.config.slots();
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            for (b, s) in l.buffers.iter().zip(&slots) {
                if !s.name.is_empty() && b.len() == l.len && (l.len > 0 || s.used) {
                    out.push((format!("layers.{i}.{}", s.name), b.as_slice()));
                }
            }
        }
        out
    }

    /// Loads a saved state: hyper-parameters, step counts and buffers. Everything is checked
    /// first (kind, options, one step count per layer, names, shapes, finite values, the
    /// buffers a layer that has stepped must have); on error nothing changes.
    pub fn load(&mut self, snap: StateSnapshot<'_>) -> Result<()> {
        let kind = self.config.kind();
        if snap.config.kind() != kind {
            return Err(Error::invalid("state.kind", format!("expected '{kind}' (this optimizer's kind), got '{}'", snap.config.kind())));
        }
        snap.config.validate().map_err(|e| match e {
            Error::InvalidArgument { arg, message } => Error::InvalidArgument { arg: format!("state.options.{arg}"), message },
            other => other,
        })?;
        let n = self.layers.len();
        if snap.layer_steps.len() != n {
            return Err(Error::invalid("state.layerSteps", format!("expected {n} step counts (one per layer), got {}", snap.layer_steps.len())));
        }
        if let Some(i) = snap.layer_steps.iter().position(|&s| s > snap.steps) {
            return Err(Error::invalid(
                format!("state.layerSteps[{i}]"),
                format!("expected at most {} (the optimizer's step count), got {}", snap.steps, snap.layer_steps[i]),
            ));
        }
        let slots = snap.config.slots();
        let names: Vec<&str> = slots.iter().filter(|s| !s.name.is_empty()).map(|s| s.name).collect();
        let mut plan: Vec<[Option<&[f32]>; SLOTS]> = vec![[None; SLOTS]; n];
        for (name, shape, values) in &snap.tensors {
            let arg = format!("state.tensors['{name}']");
            let parsed = name
                .strip_prefix("layers.")
                .and_then(|r| r.split_once('.'))
                .and_then(|(i, b)| Some((i.parse::<usize>().ok()?, slots.iter().position(|s| !s.name.is_empty() && s.name == b)?)));
            let Some((i, k)) = parsed.filter(|(i, _)| *i < n) else {
                return Err(Error::invalid(
                    arg,
                    format!("unexpected name; expected 'layers.<i>.<buffer>' with i in 0..{n} and buffer one of {}", names.join(", ")),
                ));
            };
            let len = self.layers[i].len;
            if shape.as_slice() != [len] {
                return Err(Error::shape(arg, &[len], shape));
            }
            if values.len() != len {
                return Err(Error::invalid(arg, format!("expected {len} values, got {}", values.len())));
            }
            if let Some(j) = values.iter().position(|v| !v.is_finite() || (slots[k].non_negative && *v < 0.0)) {
                let what = if slots[k].non_negative { "finite and ≥ 0" } else { "finite" };
                return Err(Error::invalid(arg, format!("value at flat index {j} is {} (expected {what})", values[j])));
            }
            if plan[i][k].is_some() {
                return Err(Error::invalid(arg, "given twice"));
            }
            plan[i][k] = Some(values);
        }
        for (i, (p, &step)) in plan.iter().zip(&snap.layer_steps).enumerate() {
            if step == 0 {
                continue;
            }
            if let Some(s) = slots.iter().zip(p).find(|(s, v)| s.used && s.required && v.is_none()).map(|(s, _)| s) {
                return Err(Error::invalid(
                    "state.tensors",
                    format!("missing 'layers.{i}.{}': layer {i} has taken {step} steps, so its state must hold this buffer", s.name),
                ));
            }
        }
        // Everything checked: apply.
        self.config = snap.config;
        self.steps = snap.steps;
        for ((l, p), step) in self.layers.iter_mut().zip(plan).zip(snap.layer_steps) {
            l.step = step;
            for (b, v) in l.buffers.iter_mut().zip(p) {
                *b = v.map(|v| v.to_vec()).unwrap_or_default();
            }
        }
        self.allocate_eager();
        Ok(())
    }
}
