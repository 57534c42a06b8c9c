//! A fully connected layer (`torch.nn.Linear`): `y = x Wᵀ + b` over the last dimension of `x`.
//!
//! All three products run on the pre-packed GEMM path ([`gemm_packed`]) over the pool:
//! forward `y = b + x · Wᵀ` with `W` packed once and kept until the parameters change (inference
//! with small batches costs no repacking); backward `dx = dy · W` with `Wᵀ` packed (kept the same
//! way) and `dW += dyᵀ · x` against `xᵀ`, which a training forward packs in place of a plain copy
//! of `x`. `db += Σ dy` is a column sum split over the pool.

use std::ops::Range;

use super::{check_finite, OwnedTensor};
use crate::error::{Error, Result};
use crate::linalg::{gemm_packed, gemm_packed_bias, MatMut, MatRef, PackedWeights, NR};
use crate::parallel;
use crate::recurrent::{ParamEntry, Parameters, TensorRef};
use crate::rng::Rng;

/// Shape and options of a [`Linear`] layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearConfig {
    /// Size of the last input dimension.
    pub in_features: usize,
    /// Size of the last output dimension.
    pub out_features: usize,
    /// With a bias vector (default true).
    pub bias: bool,
    /// Seed of the U(−1/√in, 1/√in) init.
    pub seed: u64,
}

impl LinearConfig {
    /// `in_features → out_features` with a bias, seed 0.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        LinearConfig { in_features, out_features, bias: true, seed: 0 }
    }

    /// Checks the sizes (each ≥ 1).
    pub fn validate(&self) -> Result<()> {
        for (arg, v) in [("inFeatures", self.in_features), ("outFeatures", self.out_features)] {
            if v == 0 || v > 1 << 30 {
                return Err(Error::invalid(arg, format!("expected an integer in 1..={}, got {v}", 1usize << 30)));
            }
        }
        self.in_features
            .checked_mul(self.out_features)
            .filter(|n| *n <= isize::MAX as usize / 8)
            .ok_or_else(|| Error::invalid("outFeatures", format!("a {} × {} weight is too large", self.out_features, self.in_features)))?;
        Ok(())
    }
}

/// What a training forward keeps for backward.
struct LinearCache {
    /// `xᵀ` (`[in, rows]`) packed for the weight gradient.
    xt: PackedWeights,
    /// The input's shape.
    shape: Vec<usize>,
}

/// A packing of the weight, valid until the parameters change.
struct CachedPack {
    pack: PackedWeights,
    valid: bool,
}

impl CachedPack {
    fn new() -> Self {
        CachedPack { pack: PackedWeights::empty(), valid: false }
    }
}

/// A linear layer with its parameters, gradients, cached packings and the last training input.
pub struct Linear {
    config: LinearConfig,
    params: Parameters,
    cache: Option<LinearCache>,
    /// `W` (`[out, in]`) packed for the forward product.
    packed_w: CachedPack,
    /// `Wᵀ` (`[in, out]`) packed for the input gradient.
    packed_wt: CachedPack,
    /// The buffer of the last consumed `xᵀ` packing, reused by the next training forward.
    spare_xt: Option<PackedWeights>,
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linear").field("config", &self.config).field("has_cache", &self.cache.is_some()).finish_non_exhaustive()
    }
}

/// What [`product`] starts the sum from.
#[derive(Clone, Copy)]
enum Init<'a> {
    Zero,
    Accumulate,
    /// A row vector (`[n]`) broadcast over the rows.
    Bias(&'a [f32]),
}

/// `C[m × n] = init + A[m × k] · Wᵀ` for `W` packed (`[n, k]`), `C` row-major `[m, n]`. Split
/// over `threads` by rows when there are enough of them (each thread then streams all of `W`
/// and touches only its rows of `A`, which matters when `A` is a strided operand that the kernel
/// copies), else by column panels.
///
/// # Safety
/// `a` must address `m × w.depth()` valid elements and must not alias `c`.
unsafe fn product(m: usize, a: MatRef, w: &PackedWeights, c: &mut [f32], init: Init<'_>, threads: usize) {
    let (n, k) = (w.rows(), w.depth());
    assert!(c.len() >= m * n, "internal: product output has {} values, needs {}", c.len(), m * n);
    let cm = MatMut::row_major(c, n);
    let block = |rows: Range<usize>, cols: Range<usize>| {
        let (a, c) = (a.at(rows.start, 0), cm.at(rows.start, 0));
        // SAFETY: operand sizes as promised by the caller; each call writes rows × cols of C,
        // disjoint from every other call.
        unsafe {
            match init {
                Init::Bias(b) => gemm_packed_bias(rows.len(), cols, a, w, b, c),
                _ => gemm_packed(rows.len(), cols, a, w, c, matches!(init, Init::Accumulate)),
            }
        }
    };
    if threads <= 1 || m.saturating_mul(n).saturating_mul(k.max(1)) < 1 << 17 {
        block(0..m, 0..n);
    } else if m >= 16 * threads {
        parallel::for_each_chunk(threads, |t| {
            let (r0, r1) = parallel::split_range(m, threads, 8, t);
            block(r0..r1, 0..n);
        });
    } else {
        let chunks = threads.min(n.div_ceil(NR)).max(1);
        parallel::for_each_chunk(chunks, |t| {
            let (c0, c1) = parallel::split_range(n, chunks, NR, t);
            block(0..m, c0..c1);
        });
    }
}

/// `out[j] += Σ_rows g[row, j]` for `g` row-major `[rows, n]`, split over the pool by columns.
fn add_column_sums(g: &[f32], n: usize, out: &mut [f32], threads: usize) {
    let rows = g.len().checked_div(n).unwrap_or(0);
    let chunks = if rows * n < 1 << 17 { 1 } else { threads.min(n / 16).max(1) };
    if chunks == 1 {
        for row in g.chunks_exact(n) {
            for (o, v) in out.iter_mut().zip(row) {
                *o += *v;
            }
        }
        return;
    }
    use rayon::prelude::*;
    let per = n.div_ceil(chunks).next_multiple_of(16);
    out.par_chunks_mut(per).enumerate().for_each(|(t, o)| {
        let c0 = t * per;
        for row in g.chunks_exact(n) {
            for (o, v) in o.iter_mut().zip(&row[c0..]) {
                *o += *v;
            }
        }
    });
}

impl Linear {
    /// A layer initialised U(−1/√in, 1/√in) (weight, then bias) from `config.seed`: PyTorch's
    /// `kaiming_uniform_(a=√5)` bound and its bias bound.
    pub fn new(config: LinearConfig) -> Result<Self> {
        config.validate()?;
        let (i, o) = (config.in_features, config.out_features);
        let mut entries = vec![ParamEntry { name: "weight".into(), shape: vec![o, i], offset: 0 }];
        if config.bias {
            entries.push(ParamEntry { name: "bias".into(), shape: vec![o], offset: o * i });
        }
        let len = o * i + if config.bias { o } else { 0 };
        let mut data = vec![0.0f32; len];
        let bound = 1.0 / (i as f32).sqrt();
        Rng::new(config.seed).fill_uniform(&mut data, -bound, bound);
        let params = Parameters { grad: vec![0.0; len], data, entries, index: Vec::new() };
        Ok(Linear { config, params, cache: None, packed_w: CachedPack::new(), packed_wt: CachedPack::new(), spare_xt: None })
    }

    /// The configuration.
    pub fn config(&self) -> &LinearConfig {
        &self.config
    }

    /// The parameters (`weight`, then `bias`) and their gradients.
    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// Whether a forward with `requires_grad` is waiting for its backward.
    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached input.
    pub fn clear_cache(&mut self) {
        if let Some(c) = self.cache.take() {
            self.spare_xt = Some(c.xt);
        }
    }

    /// Loads parameters by name (see [`Parameters::load`]); nothing changes on error.
    pub fn load_state_dict(&mut self, tensors: &[(String, Vec<usize>, &[f32])], strict: bool) -> Result<()> {
        self.params.load(tensors, strict)?;
        self.invalidate_packs();
        Ok(())
    }

    fn invalidate_packs(&mut self) {
        self.packed_w.valid = false;
        self.packed_wt.valid = false;
    }

    /// `y = x Wᵀ + b` for `input` `[…, in]` (any number of leading dimensions, including none):
    /// the result is `[…, out]`. With `requires_grad`, keeps `xᵀ` for [`Linear::backward`]
    /// (replacing any earlier cache; a forward without it clears the cache). On error nothing
    /// changes.
    pub fn forward(&mut self, input: TensorRef<'_>, requires_grad: bool) -> Result<OwnedTensor> {
        let (fi, fo) = (self.config.in_features, self.config.out_features);
        if input.shape.last() != Some(&fi) {
            return Err(Error::Shape { arg: "input".into(), expected: format!("[..., {fi}] (the last dimension is inFeatures = {fi})"), actual: format!("{:?}", input.shape) });
        }
        super::check_len("input", &input)?;
        check_finite("input", input.data)?;
        let rows = input.data.len() / fi;
        let threads = parallel::num_threads();
        let mut out = vec![0.0f32; rows * fo];
        let spare = if requires_grad { Some(self.clear_cache_for_reuse()) } else { None };
        let x = input.data;
        parallel::install(|| {
            if !self.packed_w.valid {
                let w = &self.params.data[..fi * fo];
                self.packed_w.pack.repack_strided_par(w, fo, fi, fi, 1, threads);
                self.packed_w.valid = true;
            }
            let init = if self.config.bias { Init::Bias(&self.params.data[fi * fo..]) } else { Init::Zero };
            // SAFETY: `x` holds rows × in values (checked above) and does not alias `out`.
            unsafe { product(rows, MatRef::row_major(x, fi), &self.packed_w.pack, &mut out, init, threads) };
            if let Some(mut xt) = spare {
                xt.repack_strided_par(x, fi, rows, 1, fi, threads);
                self.cache = Some(LinearCache { xt, shape: input.shape.to_vec() });
            } else {
                self.clear_cache();
            }
        });
        let mut shape = input.shape.to_vec();
        *shape.last_mut().expect("rank ≥ 1") = fo;
        Ok(OwnedTensor { data: out, shape })
    }

    /// Takes the cache (or the spare) buffer for a new `xᵀ` packing.
    fn clear_cache_for_reuse(&mut self) -> PackedWeights {
        self.clear_cache();
        self.spare_xt.take().unwrap_or_else(PackedWeights::empty)
    }

    /// Back-propagates `grad_output` (`[…, out]`, shaped like the cached forward's output,
    /// finite): returns `dx = dy · W` and accumulates `dW += dyᵀ · x`, `db += Σ dy`. Consumes the
    /// cache; a failed call leaves it in place.
    pub fn backward(&mut self, grad_output: TensorRef<'_>) -> Result<OwnedTensor> {
        let Some(cache) = self.cache.as_ref() else {
            return Err(Error::State("backward: there is no forward pass to go back through; call forward(input, { training: true }) (or requiresGrad: true) first; each forward allows one backward".into()));
        };
        let (fi, fo) = (self.config.in_features, self.config.out_features);
        let mut want = cache.shape.clone();
        *want.last_mut().expect("rank ≥ 1") = fo;
        super::check_len("gradOutput", &grad_output)?;
        if grad_output.shape != want.as_slice() {
            return Err(Error::shape("gradOutput", &want, grad_output.shape));
        }
        check_finite("gradOutput", grad_output.data)?;
        let cache = self.cache.take().expect("checked above");
        let g = grad_output.data;
        let rows = g.len() / fo;
        let threads = parallel::num_threads();
        let mut grad_input = vec![0.0f32; rows * fi];
        parallel::install(|| {
            if !self.packed_wt.valid {
                let w = &self.params.data[..fi * fo];
                self.packed_wt.pack.repack_strided_par(w, fi, fo, 1, fi, threads);
                self.packed_wt.valid = true;
            }
            // SAFETY (both products): `g` holds rows × out values; outputs are distinct buffers.
            // dx = dy · W  (= dy · (Wᵀ)ᵀ with Wᵀ packed).
            unsafe { product(rows, MatRef::row_major(g, fo), &self.packed_wt.pack, &mut grad_input, Init::Zero, threads) };
            let (dw, db) = self.params.grad.split_at_mut(fi * fo);
            // dW += dyᵀ · x  (A = dyᵀ, strided; xᵀ packed).
            let gt = MatRef { ptr: g.as_ptr(), rs: 1, cs: fo as isize };
            unsafe { product(fo, gt, &cache.xt, dw, Init::Accumulate, threads) };
            if self.config.bias {
                add_column_sums(g, fo, db, threads);
            }
        });
        self.spare_xt = Some(cache.xt);
        let mut shape = want;
        *shape.last_mut().expect("rank ≥ 1") = fi;
        Ok(OwnedTensor { data: grad_input, shape })
    }

    /// The weight `[out, in]`, row-major.
    pub fn weight(&self) -> &[f32] {
        &self.params.data[..self.config.in_features * self.config.out_features]
    }

    /// The bias `[out]` (`None` without one).
    pub fn bias(&self) -> Option<&[f32]> {
        self.config.bias.then(|| &self.params.data[self.config.in_features * self.config.out_features..])
    }
}

impl crate::module::HasParameters for Linear {
    fn parameters_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        // The caller may change the parameters: the packed copies are stale from here on.
        self.invalidate_packs();
        (&mut self.params.data, &mut self.params.grad)
    }
    fn parameters(&self) -> &[f32] {
        &self.params.data
    }
    fn zero_grad(&mut self) {
        // The parameters (and their packed copies) stay as they are.
        self.params.grad.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::HasParameters;

    fn layer(i: usize, o: usize, bias: bool) -> Linear {
        Linear::new(LinearConfig { in_features: i, out_features: o, bias, seed: 3 }).unwrap()
    }

    /// f64 reference `x Wᵀ + b`.
    fn reference(l: &Linear, x: &[f32]) -> Vec<f64> {
        let (fi, fo) = (l.config.in_features, l.config.out_features);
        let p = &l.params.data;
        let mut y = Vec::new();
        for row in x.chunks_exact(fi) {
            for o in 0..fo {
                let mut s = if l.config.bias { p[fi * fo + o] as f64 } else { 0.0 };
                for i in 0..fi {
                    s += row[i] as f64 * p[o * fi + i] as f64;
                }
                y.push(s);
            }
        }
        y
    }

    #[test]
    fn init_follows_pytorch_bounds_and_names() {
        let l = layer(16, 5, true);
        let names: Vec<_> = l.params.entries.iter().map(|e| (e.name.as_str(), e.shape.clone())).collect();
        assert_eq!(names, vec![("weight", vec![5, 16]), ("bias", vec![5])]);
        assert!(l.params.data.iter().all(|v| v.abs() <= 0.25));
        assert_eq!(layer(16, 5, false).params.data.len(), 80);
        assert!(Linear::new(LinearConfig::new(0, 3)).unwrap_err().to_string().starts_with("inFeatures:"));
    }

    #[test]
    fn forward_matches_reference_for_every_split() {
        let mut rng = Rng::new(1);
        // Sizes that take the serial path, the row split and the column split.
        for &(rows, fi, fo) in &[(3usize, 7usize, 5usize), (300, 64, 40), (2, 300, 1000), (1, 513, 130)] {
            for bias in [true, false] {
                let mut l = layer(fi, fo, bias);
                let x: Vec<f32> = (0..rows * fi).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let y = l.forward(TensorRef { data: &x, shape: &[rows, fi] }, false).unwrap();
                assert_eq!(y.shape, vec![rows, fo]);
                for (a, b) in y.data.iter().zip(reference(&l, &x)) {
                    assert!((*a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()), "{rows}×{fi}→{fo}: {a} vs {b}");
                }
            }
        }
    }

    /// `L = Σ y · go`: every input and parameter gradient against central differences, for a
    /// 3-D input with and without bias.
    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(7);
        for bias in [true, false] {
            let (fi, fo, shape) = (4usize, 3usize, [2usize, 3, 4]);
            let mut l = layer(fi, fo, bias);
            let mut x: Vec<f32> = (0..24).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let go: Vec<f32> = (0..18).map(|_| rng.uniform(-1.0, 1.0)).collect();
            l.forward(TensorRef { data: &x, shape: &shape }, true).unwrap();
            let gx = l.backward(TensorRef { data: &go, shape: &[2, 3, 3] }).unwrap();
            assert_eq!(gx.shape, vec![2, 3, 4]);
            let analytic = l.params.grad.clone();
            let loss = |l: &mut Linear, x: &[f32]| -> f64 { l.forward(TensorRef { data: x, shape: &shape }, false).unwrap().data.iter().zip(&go).map(|(a, b)| *a as f64 * *b as f64).sum() };
            let eps = 1e-2f32;
            for (i, &an) in analytic.iter().enumerate() {
                let orig = l.params.data[i];
                l.parameters_mut().0[i] = orig + eps;
                let lp = loss(&mut l, &x);
                l.parameters_mut().0[i] = orig - eps;
                let lm = loss(&mut l, &x);
                l.parameters_mut().0[i] = orig;
                let fd = (lp - lm) / (2.0 * eps as f64);
                assert!((an as f64 - fd).abs() <= 1e-4 * (1.0 + fd.abs()), "bias={bias} param {i}: analytic {an} vs numeric {fd}");
            }
            for i in 0..x.len() {
                let orig = x[i];
                x[i] = orig + eps;
                let lp = loss(&mut l, &x);
                x[i] = orig - eps;
                let lm = loss(&mut l, &x);
                x[i] = orig;
                let fd = (lp - lm) / (2.0 * eps as f64);
                assert!((gx.data[i] as f64 - fd).abs() <= 1e-4 * (1.0 + fd.abs()), "bias={bias} x[{i}]: analytic {} vs numeric {fd}", gx.data[i]);
            }
        }
    }

    /// Large shapes against f64 references of all three products: row splits, a column split
    /// of the weight gradient (few outputs, strided left operand), k blocking, parallel bias sums.
    #[test]
    fn large_backward_matches_reference() {
        for &(rows, fi, fo) in &[(700usize, 130usize, 90usize), (500, 300, 5), (3000, 20, 64)] {
            let mut rng = Rng::new(11);
            let mut l = layer(fi, fo, true);
            let x: Vec<f32> = (0..rows * fi).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let g: Vec<f32> = (0..rows * fo).map(|_| rng.uniform(-1.0, 1.0)).collect();
            l.params.grad.fill(0.5);
            l.forward(TensorRef { data: &x, shape: &[rows, fi] }, true).unwrap();
            let gx = l.backward(TensorRef { data: &g, shape: &[rows, fo] }).unwrap().data;
            let w = &l.params.data;
            for r in (0..rows).step_by(37) {
                for i in 0..fi {
                    let want: f64 = (0..fo).map(|o| g[r * fo + o] as f64 * w[o * fi + i] as f64).sum();
                    assert!((gx[r * fi + i] as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()), "{rows}×{fi}→{fo}: dx[{r}, {i}]");
                }
            }
            for o in 0..fo {
                for i in (0..fi).step_by(7) {
                    let want: f64 = 0.5 + (0..rows).map(|r| g[r * fo + o] as f64 * x[r * fi + i] as f64).sum::<f64>();
                    let got = l.params.grad[o * fi + i] as f64;
                    assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{rows}×{fi}→{fo}: dW[{o}, {i}]: {got} vs {want}");
                }
                let want: f64 = 0.5 + (0..rows).map(|r| g[r * fo + o] as f64).sum::<f64>();
                let got = l.params.grad[fi * fo + o] as f64;
                assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{rows}×{fi}→{fo}: db[{o}]: {got} vs {want}");
            }
        }
    }

    #[test]
    fn packed_weights_follow_parameter_changes() {
        let mut l = layer(5, 3, true);
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let y0 = l.forward(TensorRef { data: &x, shape: &[5] }, false).unwrap();
        assert_eq!(y0.shape, vec![3]);
        for v in l.parameters_mut().0.iter_mut() {
            *v *= 2.0;
        }
        let y1 = l.forward(TensorRef { data: &x, shape: &[5] }, false).unwrap();
        for (a, b) in y0.data.iter().zip(&y1.data) {
            assert!((2.0 * a - b).abs() <= 1e-5, "{a} {b}");
        }
        let w = vec![0.0f32; 15];
        l.load_state_dict(&[("weight".into(), vec![3, 5], &w)], false).unwrap();
        let y2 = l.forward(TensorRef { data: &x, shape: &[1, 5] }, false).unwrap();
        assert_eq!(y2.data, l.params.data[15..].to_vec(), "only the bias remains");
    }

    #[test]
    fn errors_name_the_argument_and_change_nothing() {
        let mut l = layer(4, 2, true);
        let x = [0.5f32; 8];
        let e = l.forward(TensorRef { data: &x, shape: &[4, 2] }, true).unwrap_err().to_string();
        assert!(e.contains("input") && e.contains("inFeatures = 4") && e.contains("[4, 2]"), "{e}");
        let e = l.forward(TensorRef { data: &x, shape: &[] }, true).unwrap_err().to_string();
        assert!(e.contains("input") && e.contains("[]"), "{e}");
        let e = l.forward(TensorRef { data: &[0.0, f32::NAN, 0.0, 0.0], shape: &[4] }, true).unwrap_err().to_string();
        assert!(e.contains("input") && e.contains("NaN") && e.contains("index 1"), "{e}");
        assert!(!l.has_cache());
        let e = l.backward(TensorRef { data: &[0.0; 4], shape: &[2, 2] }).unwrap_err().to_string();
        assert!(e.contains("backward") && e.contains("forward"), "{e}");
        l.forward(TensorRef { data: &x, shape: &[2, 4] }, true).unwrap();
        let e = l.backward(TensorRef { data: &[0.0; 4], shape: &[4] }).unwrap_err().to_string();
        assert!(e.contains("gradOutput") && e.contains("[2, 2]") && e.contains("[4]"), "{e}");
        let e = l.backward(TensorRef { data: &[0.0, 0.0, f32::INFINITY, 0.0], shape: &[2, 2] }).unwrap_err().to_string();
        assert!(e.contains("gradOutput") && e.contains("inf"), "{e}");
        assert!(l.params.grad.iter().all(|v| *v == 0.0));
        let gx = l.backward(TensorRef { data: &[1.0; 4], shape: &[2, 2] }).unwrap();
        assert_eq!(gx.shape, vec![2, 4]);
        assert!(l.backward(TensorRef { data: &[1.0; 4], shape: &[2, 2] }).is_err(), "one backward per forward");
        // Empty batches are fine.
        let y = l.forward(TensorRef { data: &[], shape: &[0, 4] }, true).unwrap();
        assert_eq!(y.shape, vec![0, 2]);
        assert_eq!(l.backward(TensorRef { data: &[], shape: &[0, 2] }).unwrap().shape, vec![0, 4]);
    }
}
