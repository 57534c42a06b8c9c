//! A stack of recurrent layers (`torch.nn.RNN/LSTM/GRU`): layout conversion, per-sequence
//! lengths, input projections, directions in parallel, dropout between layers, the backward pass
//! through time and the weight gradients.

use std::borrow::Cow;

use super::config::{CellKind, RecurrentConfig};
use super::direction::{self, BwdPacked, DirCache, DirWeights, Dims, FwdPacked, Ptr};
use super::params::Parameters;
use crate::error::{Error, Result};
use crate::linalg::{gemm_packed, gemm_packed_bias, MatMut, MatRef, PackedWeights, NR};
use crate::parallel;
use crate::rng::Rng;

/// A batch of sequences as given by the user.
#[derive(Clone, Copy, Debug)]
pub struct SequenceBatch<'a> {
    /// `[T, B, F]` (or `[B, T, F]` when `batch_first`), row-major.
    pub data: &'a [f32],
    /// The shape as given.
    pub shape: &'a [usize],
    /// Whether the batch dimension comes first.
    pub batch_first: bool,
}

/// A borrowed tensor: values and shape.
#[derive(Clone, Copy, Debug)]
pub struct TensorRef<'a> {
    /// Row-major values.
    pub data: &'a [f32],
    /// Shape.
    pub shape: &'a [usize],
}

impl<'a> TensorRef<'a> {
    /// Checks shape, element count and finiteness; `arg` names the argument in errors.
    pub fn expect(&self, arg: &str, want: &[usize]) -> Result<&'a [f32]> {
        if self.shape != want {
            return Err(Error::shape(arg, want, self.shape));
        }
        let n: usize = want.iter().product();
        if self.data.len() != n {
            return Err(Error::invalid(arg, format!("shape {} needs {n} values, got {}", shape_str(self.shape), self.data.len())));
        }
        check_finite(arg, self.data)?;
        Ok(self.data)
    }
}

/// Options of [`RecurrentNet::forward_sequence`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ForwardOptions<'a> {
    /// Per-sequence lengths (1..=T, any order); `None` = all T.
    pub lengths: Option<&'a [usize]>,
    /// Initial hidden state `[layers · D, B, out]`; zeros when `None`.
    pub h0: Option<TensorRef<'a>>,
    /// Initial cell state `[layers · D, B, H]` (LSTM); zeros when `None`.
    pub c0: Option<TensorRef<'a>>,
    /// Training mode: dropout between layers is applied.
    pub training: bool,
    /// Keep what backward needs (costs memory).
    pub requires_grad: bool,
}

/// Result of a forward pass.
#[derive(Clone, Debug)]
pub struct ForwardOutput {
    /// Top layer's output, zero at padded steps; `[T, B, D·out]` or `[B, T, D·out]`.
    pub output: Vec<f32>,
    /// Shape of `output`.
    pub output_shape: [usize; 3],
    /// Final hidden state of every layer and direction, `[layers · D, B, out]`.
    pub h: Vec<f32>,
    /// Shape of `h`.
    pub h_shape: [usize; 3],
    /// Final cell state (LSTM), `[layers · D, B, H]`.
    pub c: Option<Vec<f32>>,
    /// Shape of `c`.
    pub c_shape: [usize; 3],
}

/// Result of a backward pass (parameter gradients accumulate in the parameters).
#[derive(Clone, Debug)]
pub struct BackwardOutput {
    /// Gradient of the input, shaped like it.
    pub grad_input: Vec<f32>,
    /// Shape of `grad_input` (the input's shape).
    pub grad_input_shape: [usize; 3],
    /// Shape of `grad_h0`.
    pub grad_h0_shape: [usize; 3],
    /// Shape of `grad_c0`.
    pub grad_c0_shape: [usize; 3],
    /// Gradient of `h0`, `[layers · D, B, out]`.
    pub grad_h0: Vec<f32>,
    /// Gradient of `c0` (LSTM).
    pub grad_c0: Option<Vec<f32>>,
}

struct LayerCache {
    input: Vec<f32>,
    /// Dropout mask (0 or 1/(1−p)) that was applied to this layer's input.
    mask: Option<Vec<f32>>,
    dirs: Vec<DirCache>,
}

struct ForwardCache {
    steps: usize,
    batch: usize,
    batch_first: bool,
    perm: Vec<usize>,
    active: Vec<usize>,
    layers: Vec<LayerCache>,
}

/// A recurrent stack with its parameters, gradients and the cache of the last training forward.
pub struct RecurrentNet {
    config: RecurrentConfig,
    /// Parameters and their gradients.
    pub params: Parameters,
    cache: Option<ForwardCache>,
    dropout_rng: Rng,
    packs: PackPool,
}

/// Buffers reused across passes: packed weights and the large per-pass vectors (gate buffers,
/// forward caches, …). Every pass repacks the current parameters (packing is O(weights), a
/// small fraction of a pass, and nothing can go stale when `params.data` is changed directly),
/// but into warm memory: no allocation, no page faults (tens of MB per pass otherwise).
#[derive(Default)]
struct PackPool(std::sync::Mutex<Vec<PackedWeights>>, std::sync::Mutex<Vec<Vec<f32>>>);

/// Most vectors the pool keeps.
const POOL_VECS: usize = 16;

impl PackPool {
    /// Packs `w[n_rows, k]` (element `(r, kk)` at `w[r·rs + kk·cs]`) into the smallest free
    /// buffer that fits (or grows the largest).
    fn pack(&self, w: &[f32], n_rows: usize, k: usize, rs: usize, cs: usize, threads: usize) -> PackedWeights {
        let need = PackedWeights::buffer_len(n_rows, k);
        let mut p = {
            let mut free = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let fit = (0..free.len()).filter(|&i| free[i].capacity() >= need).min_by_key(|&i| free[i].capacity());
            let pick = fit.or_else(|| (0..free.len()).max_by_key(|&i| free[i].capacity()));
            match pick {
                Some(i) => free.swap_remove(i),
                None => PackedWeights::empty(),
            }
        };
        p.repack_strided_par(w, n_rows, k, rs, cs, threads);
        p
    }

    fn give(&self, ps: impl IntoIterator<Item = PackedWeights>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend(ps);
    }

    /// A vector of `len` floats of unspecified (but finite) content: the caller overwrites it.
    fn take_vec(&self, len: usize) -> Vec<f32> {
        let mut v = {
            let mut free = self.1.lock().unwrap_or_else(|e| e.into_inner());
            // A buffer much larger than asked for is left for a larger request.
            let fit = (0..free.len()).filter(|&i| free[i].capacity() >= len && free[i].capacity() <= 2 * len + 65536).min_by_key(|&i| free[i].capacity());
            match fit {
                Some(i) => free.swap_remove(i),
                None => return vec![0.0; len],
            }
        };
        if v.len() > len {
            v.truncate(len);
        } else {
            v.resize(len, 0.0);
        }
        v
    }

    /// A vector of `len` zeros.
    fn take_zeroed(&self, len: usize) -> Vec<f32> {
        let mut v = self.take_vec(len);
        v.fill(0.0);
        v
    }

    fn give_vec(&self, v: Vec<f32>) {
        if v.capacity() < 4096 {
            return;
        }
        let mut free = self.1.lock().unwrap_or_else(|e| e.into_inner());
        free.push(v);
        if free.len() > POOL_VECS {
            let small = (0..free.len()).min_by_key(|&i| free[i].capacity()).expect("non-empty");
            free.swap_remove(small);
        }
    }
}

fn check_finite(arg: &str, v: &[f32]) -> Result<()> {
    // A branch-free pass (vectorised) first; the position only when something is wrong.
    if v.iter().fold(true, |ok, x| ok & x.is_finite()) {
        return Ok(());
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(arg, format!("expected finite values, found {} at flat index {i}", v[i])));
    }
    Ok(())
}

fn shape_str(s: &[usize]) -> String {
    format!("{s:?}")
}

impl RecurrentNet {
    /// A stack with freshly initialised parameters.
    pub fn new(config: RecurrentConfig) -> Result<Self> {
        config.validate()?;
        let params = Parameters::new(&config);
        // A stream of its own, derived from the seed, so dropout masks never repeat the init stream.
        let dropout_rng = Rng::new(config.seed ^ 0xD40F_0A5E_D409_0A5E);
        Ok(RecurrentNet { config, params, cache: None, dropout_rng, packs: PackPool::default() })
    }

    /// The configuration.
    pub fn config(&self) -> &RecurrentConfig {
        &self.config
    }

    /// Whether a forward pass with `requires_grad` is waiting for its backward.
    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached forward state.
    pub fn clear_cache(&mut self) {
        self.cache = None;
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        self.params.grad.fill(0.0);
    }

    fn dir_index(&self, l: usize, d: usize) -> super::params::DirParamIndex {
        self.params.index[l * self.config.directions() + d]
    }

    fn tensor(&self, i: usize) -> &[f32] {
        &self.params.data[self.params.entries[i].range()]
    }

    /// The recurrent weights of layer `l`, direction `d`, as the time loop uses them.
    fn dir_weights(&self, l: usize, d: usize) -> DirWeights<'_> {
        let cfg = &self.config;
        let idx = self.dir_index(l, d);
        let gru_after = cfg.kind == CellKind::Gru && cfg.reset_after;
        DirWeights {
            w_hh: self.tensor(idx.w_hh),
            b_hn: if gru_after { idx.b_hh.map(|i| &self.tensor(i)[2 * cfg.hidden_size..]) } else { None },
            w_hr: idx.w_hr.map(|i| self.tensor(i)),
        }
    }

    /// `W_ih` of layer `l`, direction `d`.
    fn w_ih(&self, l: usize, d: usize) -> &[f32] {
        self.tensor(self.dir_index(l, d).w_ih)
    }

    /// The biases folded into the input projection: `b_ih + b_hh`, except `b_hn`, which GRU
    /// reset-after keeps inside `r ⊙ (…)`.
    fn folded_bias(&self, l: usize, d: usize) -> Vec<f32> {
        let cfg = &self.config;
        let idx = self.dir_index(l, d);
        let (hid, gh) = (cfg.hidden_size, cfg.kind.gates() * cfg.hidden_size);
        let mut folded = vec![0.0f32; gh];
        if let Some(i) = idx.b_ih {
            folded.copy_from_slice(self.tensor(i));
        }
        if let Some(i) = idx.b_hh {
            let upto = if cfg.kind == CellKind::Gru && cfg.reset_after { 2 * hid } else { gh };
            for (f, v) in folded[..upto].iter_mut().zip(self.tensor(i)) {
                *f += *v;
            }
        }
        folded
    }

    fn dims(&self, steps: usize, batch: usize, d: usize) -> Dims {
        let cfg = &self.config;
        Dims {
            kind: cfg.kind,
            reset_after: cfg.reset_after,
            steps,
            batch,
            hidden: cfg.hidden_size,
            out: cfg.out_size(),
            proj: cfg.proj_size > 0,
            reverse: d == 1,
            out_stride: cfg.directions() * cfg.out_size(),
            out_col: d * cfg.out_size(),
        }
    }

    /// Runs the stack over a batch of sequences. With `requires_grad`, keeps what
    /// [`RecurrentNet::backward_sequence`] needs (replacing any earlier cache).
    pub fn forward_sequence(&mut self, input: SequenceBatch<'_>, opts: ForwardOptions<'_>) -> Result<ForwardOutput> {
        let cfg = self.config.clone();
        let layout = if input.batch_first { "[batch, seq, inputSize]" } else { "[seq, batch, inputSize]" };
        if input.shape.len() != 3 {
            return Err(Error::Shape { arg: "input".into(), expected: format!("a 3-D tensor {layout} with inputSize = {}", cfg.input_size), actual: shape_str(input.shape) });
        }
        let (steps, batch) = if input.batch_first { (input.shape[1], input.shape[0]) } else { (input.shape[0], input.shape[1]) };
        let feat = input.shape[2];
        if feat != cfg.input_size {
            let want = if input.batch_first { "[batch, seq" } else { "[seq, batch" };
            return Err(Error::Shape { arg: "input".into(), expected: format!("{want}, {}] (inputSize = {})", cfg.input_size, cfg.input_size), actual: format!("{}, i.e. got {feat} features per step", shape_str(input.shape)) });
        }
        if steps == 0 || batch == 0 {
            return Err(Error::Shape { arg: "input".into(), expected: format!("{layout} with non-empty seq and batch dimensions"), actual: shape_str(input.shape) });
        }
        if input.data.len() != steps * batch * feat {
            return Err(Error::invalid("input", format!("shape {} needs {} values, got {}", shape_str(input.shape), steps * batch * feat, input.data.len())));
        }
        check_finite("input", input.data)?;
        let (ld, ho, hid) = (cfg.num_layers * cfg.directions(), cfg.out_size(), cfg.hidden_size);
        let lengths: Vec<usize> = match opts.lengths {
            None => vec![steps; batch],
            Some(l) => {
                if l.len() != batch {
                    return Err(Error::invalid("lengths", format!("expected {batch} lengths (one per sequence), got {}", l.len())));
                }
                if let Some((i, v)) = l.iter().enumerate().find(|(_, v)| **v == 0 || **v > steps) {
                    return Err(Error::invalid("lengths", format!("lengths[{i}] = {v} is out of range: expected 1..={steps} (the sequence dimension)")));
                }
                l.to_vec()
            }
        };
        let h0 = opts.h0.map(|t| t.expect("h0", &[ld, batch, ho])).transpose()?;
        if opts.c0.is_some() && cfg.kind != CellKind::Lstm {
            return Err(Error::invalid("c0", format!("only LSTM has a cell state; got c0 for {}", cfg.kind.name())));
        }
        let c0 = opts.c0.map(|t| t.expect("c0", &[ld, batch, hid])).transpose()?;

        // Sort by length, longest first (stable), so active rows form a prefix at every step.
        let mut perm: Vec<usize> = (0..batch).collect();
        perm.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]));
        let sorted: Vec<usize> = perm.iter().map(|&i| lengths[i]).collect();
        let active: Vec<usize> = (0..steps).map(|t| sorted.iter().take_while(|&&l| l > t).count()).collect();

        let x = gather_rows(input.data, steps, batch, feat, input.batch_first, &perm);
        let lstm = cfg.kind == CellKind::Lstm;
        let mut h_all = vec![0.0f32; ld * batch * ho];
        let mut c_all = vec![0.0f32; if lstm { ld * batch * hid } else { 0 }];
        if let Some(h0) = h0 {
            permute_state(h0, &mut h_all, ld, batch, ho, &perm, false);
        }
        if let Some(c0) = c0 {
            permute_state(c0, &mut c_all, ld, batch, hid, &perm, false);
        }

        let keep = opts.requires_grad;
        let dirs = cfg.directions();
        let width = dirs * ho;
        let rows = steps * batch;
        let mut layers = Vec::new();
        let mut layer_in = x;
        let mut out = Vec::new();
        let mut mask_for_next: Option<Vec<f32>> = None;
        let threads = parallel::num_threads();
        parallel::install(|| -> Result<()> {
            for l in 0..cfg.num_layers {
                let in_size = cfg.layer_input_size(l);
                // The top layer's output is handed to the caller (it does not come back to the
                // pool, so it must not take a pooled buffer the next pass would miss).
                out = if l + 1 < cfg.num_layers { self.packs.take_zeroed(rows * width) } else { vec![0.0f32; rows * width] };
                let out_ptr = Ptr::of(&mut out);
                let mut dir_gates = Vec::with_capacity(dirs);
                for d in 0..dirs {
                    let (w_ih, folded) = (self.w_ih(l, d), self.folded_bias(l, d));
                    let gh = folded.len();
                    let mut gates = self.packs.take_vec(rows * gh);
                    let pw_ih = self.packs.pack(w_ih, gh, in_size, in_size, 1, threads);
                    packed_product(rows, &layer_in, &pw_ih, &mut gates, Init::Bias(&folded), threads);
                    self.packs.give([pw_ih]);
                    dir_gates.push(gates);
                }
                let per_dir = (threads / dirs).max(1);
                let run = |d: usize, gates: Vec<f32>, h: &mut [f32], c: &mut [f32]| {
                    let w = self.dir_weights(l, d);
                    let dims = self.dims(steps, batch, d);
                    let pk = FwdPacked::new(&dims, &w, &|w, n, k, rs, cs| self.packs.pack(w, n, k, rs, cs, per_dir));
                    let r = direction::forward(&dims, &w, &pk, gates, &active, h, c, out_ptr, keep, per_dir, &|n| self.packs.take_zeroed(n));
                    self.packs.give(pk.into_buffers());
                    r
                };
                let (h_layer, c_layer) = (&mut h_all[l * dirs * batch * ho..(l + 1) * dirs * batch * ho], if lstm { &mut c_all[l * dirs * batch * hid..(l + 1) * dirs * batch * hid] } else { &mut [][..] });
                let caches: Vec<DirCache> = if dirs == 2 {
                    let g1 = dir_gates.pop().unwrap();
                    let g0 = dir_gates.pop().unwrap();
                    let (h0s, h1s) = h_layer.split_at_mut(batch * ho);
                    let (c0s, c1s) = if lstm { c_layer.split_at_mut(batch * hid) } else { (&mut [][..], &mut [][..]) };
                    let (a, b) = parallel::join(|| run(0, g0, h0s, c0s), || run(1, g1, h1s, c1s));
                    vec![a, b]
                } else {
                    vec![run(0, dir_gates.pop().unwrap(), h_layer, c_layer)]
                };
                let mask = mask_for_next.take();
                let next_mask = if l + 1 < cfg.num_layers && opts.training && cfg.dropout > 0.0 {
                    let keep_p = 1.0 - cfg.dropout;
                    let scale = 1.0 / keep_p;
                    let mut m = vec![0.0f32; out.len()];
                    for v in m.iter_mut() {
                        *v = if self.dropout_rng.next_f32() < keep_p { scale } else { 0.0 };
                    }
                    for (o, v) in out.iter_mut().zip(&m) {
                        *o *= *v;
                    }
                    Some(m)
                } else {
                    None
                };
                if keep {
                    let input = match std::mem::take(&mut layer_in) {
                        Cow::Owned(v) => v,
                        Cow::Borrowed(b) => {
                            let mut v = self.packs.take_vec(b.len());
                            v.copy_from_slice(b);
                            v
                        }
                    };
                    layers.push(LayerCache { input, mask, dirs: caches });
                } else {
                    for c in caches {
                        for v in [c.gates, c.hprev, c.cprev, c.extra] {
                            self.packs.give_vec(v);
                        }
                    }
                    if let Cow::Owned(v) = std::mem::take(&mut layer_in) {
                        self.packs.give_vec(v);
                    }
                }
                mask_for_next = next_mask;
                if l + 1 < cfg.num_layers {
                    layer_in = Cow::Owned(std::mem::take(&mut out));
                }
            }
            Ok(())
        })?;
        // `out` of the top layer never has dropout applied (no next layer).
        let output = scatter_rows(out, steps, batch, width, input.batch_first, &perm);
        let mut h = vec![0.0f32; ld * batch * ho];
        permute_state(&h_all, &mut h, ld, batch, ho, &perm, true);
        let c = lstm.then(|| {
            let mut c = vec![0.0f32; ld * batch * hid];
            permute_state(&c_all, &mut c, ld, batch, hid, &perm, true);
            c
        });
        self.cache = keep.then_some(ForwardCache { steps, batch, batch_first: input.batch_first, perm, active, layers });
        let output_shape = if input.batch_first { [batch, steps, width] } else { [steps, batch, width] };
        Ok(ForwardOutput { output, output_shape, h, h_shape: [ld, batch, ho], c, c_shape: [ld, batch, hid] })
    }

    /// Back-propagates through the cached forward: `grad_output` (shaped like the output),
    /// `grad_h` / `grad_c` (gradients of the final states), each optional. Parameter gradients
    /// are accumulated (call [`RecurrentNet::zero_grad`] between steps); the cache is consumed.
    pub fn backward_sequence(&mut self, grad_output: Option<TensorRef<'_>>, grad_h: Option<TensorRef<'_>>, grad_c: Option<TensorRef<'_>>) -> Result<BackwardOutput> {
        let cfg = self.config.clone();
        let Some(cache) = self.cache.as_ref() else {
            return Err(Error::State("backward: there is no forward pass to go back through; call forward(input, { training: true }) (or requiresGrad: true) first; each forward allows one backward".into()));
        };
        let (steps, batch) = (cache.steps, cache.batch);
        let (ld, ho, hid, dirs) = (cfg.num_layers * cfg.directions(), cfg.out_size(), cfg.hidden_size, cfg.directions());
        let width = dirs * ho;
        let out_shape = if cache.batch_first { [batch, steps, width] } else { [steps, batch, width] };
        let grad_output = grad_output.map(|t| t.expect("gradOutput", &out_shape)).transpose()?;
        let grad_h = grad_h.map(|t| t.expect("gradH", &[ld, batch, ho])).transpose()?;
        if grad_c.is_some() && cfg.kind != CellKind::Lstm {
            return Err(Error::invalid("gradC", format!("only LSTM has a cell state; got gradC for {}", cfg.kind.name())));
        }
        let grad_c = grad_c.map(|t| t.expect("gradC", &[ld, batch, hid])).transpose()?;
        let mut cache = self.cache.take().expect("checked above");
        let perm = cache.perm.clone();
        let active = cache.active.clone();
        let lstm = cfg.kind == CellKind::Lstm;
        let mut dh_all = vec![0.0f32; ld * batch * ho];
        let mut dc_all = vec![0.0f32; if lstm { ld * batch * hid } else { 0 }];
        if let Some(g) = grad_h {
            permute_state(g, &mut dh_all, ld, batch, ho, &perm, false);
        }
        if let Some(g) = grad_c {
            permute_state(g, &mut dc_all, ld, batch, hid, &perm, false);
        }
        let mut dtop: Option<Cow<[f32]>> = grad_output.map(|g| gather_rows(g, steps, batch, width, cache.batch_first, &perm));
        let rows = steps * batch;
        let threads = parallel::num_threads();
        let mut grad_input = Vec::new();
        let mut grads = std::mem::take(&mut self.params.grad);
        {
            let params_grad = &mut grads;
            let this = &*self;
            parallel::install(|| {
                for l in (0..cfg.num_layers).rev() {
                    let layer = &mut cache.layers[l];
                    let in_size = cfg.layer_input_size(l);
                    let per_dir = (threads / dirs).max(1);
                    let dt = dtop.as_deref();
                    let (dh_layer, dc_layer) = (&mut dh_all[l * dirs * batch * ho..(l + 1) * dirs * batch * ho], if lstm { &mut dc_all[l * dirs * batch * hid..(l + 1) * dirs * batch * hid] } else { &mut [][..] });
                    let run = |d: usize, c: &mut DirCache, dh: &mut [f32], dc: &mut [f32]| {
                        let w = this.dir_weights(l, d);
                        let dims = this.dims(steps, batch, d);
                        let pk = BwdPacked::new(&dims, &w, &|w, n, k, rs, cs| this.packs.pack(w, n, k, rs, cs, per_dir));
                        direction::backward(&dims, &pk, c, &active, dt, dh, dc, per_dir);
                        this.packs.give(pk.into_buffers());
                    };
                    if dirs == 2 {
                        let (c0, c1) = layer.dirs.split_at_mut(1);
                        let (dh0, dh1) = dh_layer.split_at_mut(batch * ho);
                        let (dc0, dc1) = if lstm { dc_layer.split_at_mut(batch * hid) } else { (&mut [][..], &mut [][..]) };
                        parallel::join(|| run(0, &mut c0[0], dh0, dc0), || run(1, &mut c1[0], dh1, dc1));
                    } else {
                        run(0, &mut layer.dirs[0], dh_layer, dc_layer);
                    }
                    // Weight gradients as large GEMMs over all steps, and the input gradient.
                    let mut dx = if l == 0 { vec![0.0f32; rows * in_size] } else { this.packs.take_vec(rows * in_size) };
                    for d in 0..dirs {
                        let idx = this.params.index[l * dirs + d];
                        let e = &this.params.entries;
                        let c = &layer.dirs[d];
                        let w_ih = this.w_ih(l, d);
                        weight_grads(&cfg, c, &layer.input, in_size, rows, params_grad, e, idx, threads, &this.packs);
                        // dx (+)= dG · W_ih, with W_ihᵀ packed.
                        let pw = this.packs.pack(w_ih, in_size, cfg.kind.gates() * hid, 1, in_size, threads);
                        packed_product(rows, &c.gates, &pw, &mut dx, if d > 0 { Init::Accumulate } else { Init::Zero }, threads);
                        this.packs.give([pw]);
                    }
                    if let Some(m) = &layer.mask {
                        for (v, k) in dx.iter_mut().zip(m) {
                            *v *= *k;
                        }
                    }
                    // This layer's cache and the gradient that came into it are spent.
                    for c in std::mem::take(&mut layer.dirs) {
                        for v in [c.gates, c.hprev, c.cprev, c.extra, c.dh] {
                            this.packs.give_vec(v);
                        }
                    }
                    this.packs.give_vec(std::mem::take(&mut layer.input));
                    if let Some(Cow::Owned(v)) = dtop.take() {
                        this.packs.give_vec(v);
                    }
                    if l == 0 {
                        grad_input = std::mem::take(&mut dx);
                    } else {
                        dtop = Some(Cow::Owned(dx));
                    }
                }
            });
        }
        self.params.grad = grads;
        let grad_input = scatter_rows(grad_input, steps, batch, cfg.input_size, cache.batch_first, &perm);
        let mut grad_h0 = vec![0.0f32; ld * batch * ho];
        permute_state(&dh_all, &mut grad_h0, ld, batch, ho, &perm, true);
        let grad_c0 = lstm.then(|| {
            let mut g = vec![0.0f32; ld * batch * hid];
            permute_state(&dc_all, &mut g, ld, batch, hid, &perm, true);
            g
        });
        let grad_input_shape = if cache.batch_first { [batch, steps, cfg.input_size] } else { [steps, batch, cfg.input_size] };
        Ok(BackwardOutput { grad_input, grad_input_shape, grad_h0, grad_h0_shape: [ld, batch, ho], grad_c0, grad_c0_shape: [ld, batch, hid] })
    }
}

/// What [`packed_product`] adds the product to.
#[derive(Clone, Copy)]
enum Init<'a> {
    Zero,
    Accumulate,
    /// A row vector (`[N]`) broadcast over the rows.
    Bias(&'a [f32]),
}

/// `C[rows × N] = init + A[rows × K] · Wᵀ` for a packed `W` (`[N, K]`), all row-major, split
/// over `threads` by column panels.
fn packed_product(rows: usize, a: &[f32], w: &PackedWeights, c: &mut [f32], init: Init, threads: usize) {
    let (n, k) = (w.rows(), w.depth());
    assert!(a.len() >= rows * k && c.len() >= rows * n, "internal: packed_product operand sizes");
    let chunks = if rows * n * k < (1 << 16) { 1 } else { threads.min(n.div_ceil(NR)).max(1) };
    let (ar, cm) = (MatRef::row_major(a, k), MatMut::row_major(c, n));
    parallel::for_each_chunk(chunks, |t| {
        let (c0, c1) = parallel::split_range(n, chunks, NR, t);
        // SAFETY: sizes checked above; chunk t writes columns c0..c1 of C only.
        unsafe {
            match init {
                Init::Bias(b) => gemm_packed_bias(rows, c0..c1, ar, w, b, cm),
                _ => gemm_packed(rows, c0..c1, ar, w, cm, matches!(init, Init::Accumulate)),
            }
        };
    });
}


/// Accumulates the weight and bias gradients of one layer-direction from its gate gradients.
#[allow(clippy::too_many_arguments)]
fn weight_grads(cfg: &RecurrentConfig, c: &DirCache, input: &[f32], in_size: usize, rows: usize, grad: &mut [f32], e: &[super::params::ParamEntry], idx: super::params::DirParamIndex, threads: usize, pool: &PackPool) {
    let hid = cfg.hidden_size;
    let ho = cfg.out_size();
    let gh = cfg.kind.gates() * hid;
    let gru = cfg.kind == CellKind::Gru;
    // dW (+)= dGᵀ · X as `A · Wᵀ` with A = dGᵀ (strided) and W = Xᵀ packed (`[F, rows]`).
    let x_t = pool.pack(input, in_size, rows, 1, in_size, threads);
    grad_product(gh, &c.gates, 0, gh, &x_t, &mut grad[e[idx.w_ih].range()], threads);
    {
        let dw = &mut grad[e[idx.w_hh].range()];
        let hprev_t = pool.pack(&c.hprev, ho, rows, 1, ho, threads);
        if gru {
            // r, z rows from the gate gradients against h_prev.
            grad_product(2 * hid, &c.gates, 0, gh, &hprev_t, &mut dw[..2 * hid * ho], threads);
            if cfg.reset_after {
                grad_product(hid, &c.extra, 0, hid, &hprev_t, &mut dw[2 * hid * ho..], threads);
            } else {
                let rh_t = pool.pack(&c.extra, hid, rows, 1, hid, threads);
                grad_product(hid, &c.gates, 2 * hid, gh, &rh_t, &mut dw[2 * hid * ho..], threads);
                pool.give([rh_t]);
            }
        } else {
            grad_product(gh, &c.gates, 0, gh, &hprev_t, dw, threads);
        }
        pool.give([hprev_t]);
    }
    pool.give([x_t]);
    if let Some(i) = idx.b_ih {
        add_column_sums(&c.gates, gh, 0, gh, &mut grad[e[i].range()]);
    }
    if let Some(i) = idx.b_hh {
        let db = &mut grad[e[i].range()];
        if gru && cfg.reset_after {
            add_column_sums(&c.gates, gh, 0, 2 * hid, &mut db[..2 * hid]);
            add_column_sums(&c.extra, hid, 0, hid, &mut db[2 * hid..]);
        } else {
            add_column_sums(&c.gates, gh, 0, gh, db);
        }
    }
    if let Some(i) = idx.w_hr {
        let m_t = pool.pack(&c.extra, hid, rows, 1, hid, threads);
        grad_product(ho, &c.dh, 0, ho, &m_t, &mut grad[e[i].range()], threads);
        pool.give([m_t]);
    }
}

/// `C[m × N] += A[:, a0..a0 + m]ᵀ · B` for the gradient of a weight: `a` is `[rows, lda]`
/// row-major, `bt` is `B` (`[rows, N]`) packed transposed, `c` row-major `[m, N]`. Split over
/// `threads` by rows of C.
fn grad_product(m: usize, a: &[f32], a0: usize, lda: usize, bt: &PackedWeights, c: &mut [f32], threads: usize) {
    let (n, rows) = (bt.rows(), bt.depth());
    assert!(c.len() >= m * n && a0 + m <= lda && (rows == 0 || a.len() >= (rows - 1) * lda + a0 + m), "internal: grad_product operand sizes");
    let chunks = if m * n * rows < (1 << 16) { 1 } else { threads.min(m / 8).max(1) };
    let ar = MatRef { ptr: a[a0..].as_ptr(), rs: 1, cs: lda as isize };
    let cm = MatMut::row_major(c, n);
    parallel::for_each_chunk(chunks, |t| {
        let (r0, r1) = parallel::split_range(m, chunks, 8, t);
        // SAFETY: sizes checked above; chunk t writes rows r0..r1 of C only.
        unsafe { gemm_packed(r1 - r0, 0..n, ar.at(r0, 0), bt, cm.at(r0, 0), true) };
    });
}

/// `out[j] += Σ_rows a[row, c0 + j]` for `j < out.len()`.
fn add_column_sums(a: &[f32], ld: usize, c0: usize, ncols: usize, out: &mut [f32]) {
    let out = &mut out[..ncols];
    for row in a.chunks_exact(ld) {
        for (o, v) in out.iter_mut().zip(&row[c0..c0 + ncols]) {
            *o += *v;
        }
    }
}

/// Gathers a user tensor (`[T, B, F]` or `[B, T, F]`) into time-major rows in sorted batch order.
/// Borrows `src` when it is already in that order.
fn gather_rows<'a>(src: &'a [f32], steps: usize, batch: usize, feat: usize, batch_first: bool, perm: &[usize]) -> Cow<'a, [f32]> {
    let identity = perm.iter().enumerate().all(|(i, &p)| i == p);
    if identity && !batch_first {
        return Cow::Borrowed(&src[..steps * batch * feat]);
    }
    let mut dst = vec![0.0f32; steps * batch * feat];
    for t in 0..steps {
        for (k, &b) in perm.iter().enumerate() {
            let s = if batch_first { (b * steps + t) * feat } else { (t * batch + b) * feat };
            dst[(t * batch + k) * feat..][..feat].copy_from_slice(&src[s..s + feat]);
        }
    }
    Cow::Owned(dst)
}

/// The inverse of [`gather_rows`] (returns `src` itself when the order is already right).
fn scatter_rows(src: Vec<f32>, steps: usize, batch: usize, feat: usize, batch_first: bool, perm: &[usize]) -> Vec<f32> {
    let identity = perm.iter().enumerate().all(|(i, &p)| i == p);
    if identity && !batch_first {
        return src;
    }
    let mut dst = vec![0.0f32; steps * batch * feat];
    for t in 0..steps {
        for (k, &b) in perm.iter().enumerate() {
            let d = if batch_first { (b * steps + t) * feat } else { (t * batch + b) * feat };
            dst[d..d + feat].copy_from_slice(&src[(t * batch + k) * feat..][..feat]);
        }
    }
    dst
}

/// Reorders the batch dimension of a `[layers·D, B, F]` state: into sorted order, or back.
fn permute_state(src: &[f32], dst: &mut [f32], ld: usize, batch: usize, feat: usize, perm: &[usize], back: bool) {
    for i in 0..ld {
        for (k, &b) in perm.iter().enumerate() {
            let (s, d) = if back { (k, b) } else { (b, k) };
            dst[(i * batch + d) * feat..][..feat].copy_from_slice(&src[(i * batch + s) * feat..][..feat]);
        }
    }
}
