//! A lookup table (`torch.nn.Embedding`): row `ids[k]` of `weight` `[N, D]` for every id.
//! Backward scatter-adds the output gradient into the rows that were looked up (repeated ids
//! accumulate), except the padding row, which never gets a gradient; a frozen table gets none.
//! The scatter is split over the pool by column ranges, so no two threads touch one value.

use super::{check_finite, OwnedTensor};
use crate::error::{Error, Result};
use crate::recurrent::{ParamEntry, Parameters, TensorRef};
use crate::rng::Rng;

/// Shape and options of an [`Embedding`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddingConfig {
    /// Rows of the table (ids are in `0..num_embeddings`).
    pub num_embeddings: usize,
    /// Values per row.
    pub embedding_dim: usize,
    /// A row that is zero at init and never gets a gradient (PyTorch `padding_idx`).
    pub padding_idx: Option<usize>,
    /// Seed of the N(0, 1) init.
    pub seed: u64,
}

impl EmbeddingConfig {
    /// `num_embeddings × embedding_dim`, no padding row, seed 0.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Self {
        EmbeddingConfig { num_embeddings, embedding_dim, padding_idx: None, seed: 0 }
    }

    /// Checks the sizes (≥ 1; ids are `i32`, so at most 2³¹ − 1 rows) and the padding row.
    pub fn validate(&self) -> Result<()> {
        if self.num_embeddings == 0 || self.num_embeddings > i32::MAX as usize {
            return Err(Error::invalid("numEmbeddings", format!("expected an integer in 1..={}, got {}", i32::MAX, self.num_embeddings)));
        }
        if self.embedding_dim == 0 {
            return Err(Error::invalid("embeddingDim", "expected an integer ≥ 1, got 0"));
        }
        self.num_embeddings
            .checked_mul(self.embedding_dim)
            .filter(|n| *n <= isize::MAX as usize / 4)
            .ok_or_else(|| Error::invalid("numEmbeddings", format!("a table of {} × {} values is too large", self.num_embeddings, self.embedding_dim)))?;
        if let Some(p) = self.padding_idx {
            if p >= self.num_embeddings {
                return Err(Error::invalid("paddingIdx", format!("expected an id in 0..{} (numEmbeddings = {}), got {p}", self.num_embeddings, self.num_embeddings)));
            }
        }
        Ok(())
    }
}

/// The ids of the last forward with `requires_grad`.
struct EmbeddingCache {
    ids: Vec<i32>,
    shape: Vec<usize>,
}

/// An embedding table with its gradient and the ids of the last training forward.
pub struct Embedding {
    config: EmbeddingConfig,
    frozen: bool,
    params: Parameters,
    cache: Option<EmbeddingCache>,
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedding").field("config", &self.config).field("frozen", &self.frozen).field("has_cache", &self.cache.is_some()).finish_non_exhaustive()
    }
}

/// Writes of disjoint ranges of one buffer from several threads.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
// SAFETY: every user writes a range of the buffer no other thread touches (see the call sites).
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// The pointer (a method, so closures capture the whole `Sync` wrapper).
    fn ptr(&self) -> *mut f32 {
        self.0
    }
}

/// `[N, D]` elements at or above which lookups and scatters run on the pool.
const PAR_MIN: usize = 1 << 16;

impl Embedding {
    /// A table initialised N(0, 1) from `config.seed`, with the padding row zeroed (PyTorch's
    /// `reset_parameters`).
    pub fn new(config: EmbeddingConfig) -> Result<Self> {
        config.validate()?;
        let (n, d) = (config.num_embeddings, config.embedding_dim);
        let mut data = vec![0.0f32; n * d];
        Rng::new(config.seed).fill_normal(&mut data);
        if let Some(p) = config.padding_idx {
            data[p * d..(p + 1) * d].fill(0.0);
        }
        Ok(Self::with_weight(config, data, false))
    }

    /// A table holding `weight` (`[N, D]`, finite) as given (the padding row is not zeroed, as
    /// in `Embedding.from_pretrained`); `freeze` keeps it out of training.
    pub fn from_pretrained(weight: TensorRef<'_>, freeze: bool, padding_idx: Option<usize>) -> Result<Self> {
        if weight.shape.len() != 2 || weight.shape[0] == 0 || weight.shape[1] == 0 {
            return Err(Error::Shape { arg: "weight".into(), expected: "a 2-D tensor [numEmbeddings, embeddingDim] with both sizes ≥ 1".into(), actual: format!("{:?}", weight.shape) });
        }
        super::check_len("weight", &weight)?;
        check_finite("weight", weight.data)?;
        let config = EmbeddingConfig { num_embeddings: weight.shape[0], embedding_dim: weight.shape[1], padding_idx, seed: 0 };
        config.validate()?;
        Ok(Self::with_weight(config, weight.data.to_vec(), freeze))
    }

    fn with_weight(config: EmbeddingConfig, data: Vec<f32>, frozen: bool) -> Self {
        let entries = vec![ParamEntry { name: "weight".into(), shape: vec![config.num_embeddings, config.embedding_dim], offset: 0 }];
        let params = Parameters { grad: vec![0.0; data.len()], data, entries, index: Vec::new() };
        Embedding { config, frozen, params, cache: None }
    }

    /// The configuration.
    pub fn config(&self) -> &EmbeddingConfig {
        &self.config
    }

    /// True if backward accumulates no gradient.
    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// Freezes (no gradient accumulates) or unfreezes the table.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }

    /// The parameters (`weight`) and their gradient.
    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// Whether a forward with `requires_grad` is waiting for its backward.
    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached ids.
    pub fn clear_cache(&mut self) {
        self.cache = None;
    }

    /// Loads `weight` by name (see [`Parameters::load`]); nothing changes on error.
    pub fn load_state_dict(&mut self, tensors: &[(String, Vec<usize>, &[f32])], strict: bool) -> Result<()> {
        self.params.load(tensors, strict)
    }

    /// Checks every id against `0..N`; the error names the first bad one by its index in `shape`.
    fn check_ids(&self, ids: &[i32], shape: &[usize]) -> Result<()> {
        let n = self.config.num_embeddings;
        if ids.iter().fold(true, |ok, &v| ok & ((v as u32 as usize) < n)) {
            return Ok(());
        }
        let k = ids.iter().position(|&v| v as u32 as usize >= n).unwrap_or(0);
        let mut idx = vec![0usize; shape.len()];
        let mut rest = k;
        for (d, &s) in shape.iter().enumerate().rev() {
            if s > 0 {
                idx[d] = rest % s;
                rest /= s;
            }
        }
        let at = idx.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        Err(Error::invalid(format!("ids[{at}]"), format!("expected an id in 0..{n} (numEmbeddings = {n}), got {}", ids[k])))
    }

    /// Looks up `ids` (shape `shape`): the result has shape `shape + [D]`. With `requires_grad`,
    /// keeps the ids for [`Embedding::backward`] (replacing any earlier cache; a forward without
    /// it clears the cache). On error nothing changes.
    pub fn forward(&mut self, ids: &[i32], shape: &[usize], requires_grad: bool) -> Result<OwnedTensor> {
        let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if count != Some(ids.len()) {
            return Err(Error::invalid("ids", format!("shape {shape:?} needs {} values, got {}", count.map(|c| c.to_string()).unwrap_or_else(|| "too many".into()), ids.len())));
        }
        self.check_ids(ids, shape)?;
        let d = self.config.embedding_dim;
        let w = &self.params.data;
        let mut out = vec![0.0f32; ids.len() * d];
        let gather = |k0: usize, rows: &mut [f32]| {
            for (row, &id) in rows.chunks_exact_mut(d).zip(&ids[k0..]) {
                let s = id as usize * d;
                row.copy_from_slice(&w[s..s + d]);
            }
        };
        if out.len() >= PAR_MIN && ids.len() > 1 {
            use rayon::prelude::*;
            let chunks = crate::parallel::num_threads().min(ids.len());
            let per = ids.len().div_ceil(chunks);
            crate::parallel::install(|| out.par_chunks_mut(per * d).enumerate().for_each(|(i, rows)| gather(i * per, rows)));
        } else {
            gather(0, &mut out);
        }
        self.cache = requires_grad.then(|| EmbeddingCache { ids: ids.to_vec(), shape: shape.to_vec() });
        let mut out_shape = shape.to_vec();
        out_shape.push(d);
        Ok(OwnedTensor { data: out, shape: out_shape })
    }

    /// Scatter-adds `grad_output` (shape `ids shape + [D]`, finite) into the gradient of the
    /// rows the cached forward looked up, skipping the padding row; nothing when frozen. Consumes
    /// the cache; a failed call leaves it in place.
    pub fn backward(&mut self, grad_output: TensorRef<'_>) -> Result<()> {
        let Some(cache) = self.cache.as_ref() else {
            return Err(Error::State("backward: there is no forward pass to go back through; call forward(ids, { training: true }) (or requiresGrad: true) first; each forward allows one backward".into()));
        };
        let d = self.config.embedding_dim;
        let mut want = cache.shape.clone();
        want.push(d);
        super::check_len("gradOutput", &grad_output)?;
        if grad_output.shape != want.as_slice() {
            return Err(Error::shape("gradOutput", &want, grad_output.shape));
        }
        check_finite("gradOutput", grad_output.data)?;
        let cache = self.cache.take().expect("checked above");
        if self.frozen {
            return Ok(());
        }
        scatter_add(&mut self.params.grad, d, &cache.ids, grad_output.data, self.config.padding_idx);
        Ok(())
    }
}

/// `grad[id, :] += g[k, :]` for every `k` with `id = ids[k] ≠ padding`, split over the pool by
/// column ranges when large.
fn scatter_add(grad: &mut [f32], d: usize, ids: &[i32], g: &[f32], padding: Option<usize>) {
    let pad = padding.map(|p| p as i64).unwrap_or(-1);
    let threads = crate::parallel::num_threads();
    let chunks = if ids.len() * d >= PAR_MIN { threads.min(d / 16).max(1) } else { 1 };
    let base = SharedMut(grad.as_mut_ptr());
    let len = grad.len();
    let run = |c0: usize, c1: usize| {
        for (k, &id) in ids.iter().enumerate() {
            if id as i64 == pad {
                continue;
            }
            let s = id as usize * d;
            debug_assert!(s + d <= len);
            // SAFETY: `id < N` was checked by forward, so the row lies inside `grad`; this call
            // owns columns c0..c1 of every row (disjoint from the other chunks).
            let row = unsafe { std::slice::from_raw_parts_mut(base.ptr().add(s + c0), c1 - c0) };
            for (a, b) in row.iter_mut().zip(&g[k * d + c0..k * d + c1]) {
                *a += *b;
            }
        }
    };
    if chunks == 1 {
        run(0, d);
    } else {
        crate::parallel::install(|| {
            crate::parallel::for_each_chunk(chunks, |t| {
                let (c0, c1) = crate::parallel::split_range(d, chunks, 16, t);
                run(c0, c1);
            })
        });
    }
}

impl crate::module::HasParameters for Embedding {
    fn parameters_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.params.data, &mut self.params.grad)
    }
    fn parameters(&self) -> &[f32] {
        &self.params.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::HasParameters;

    fn table(n: usize, d: usize, pad: Option<usize>) -> Embedding {
        Embedding::new(EmbeddingConfig { num_embeddings: n, embedding_dim: d, padding_idx: pad, seed: 4 }).unwrap()
    }

    #[test]
    fn init_is_standard_normal_with_a_zero_padding_row() {
        let e = table(400, 50, Some(7));
        let w = e.params().data.clone();
        assert!(w[7 * 50..8 * 50].iter().all(|v| *v == 0.0));
        let mean = w.iter().map(|v| *v as f64).sum::<f64>() / w.len() as f64;
        let var = w.iter().map(|v| (*v as f64 - mean).powi(2)).sum::<f64>() / w.len() as f64;
        assert!(mean.abs() < 0.02 && (var - 1.0).abs() < 0.03, "{mean} {var}");
        assert_eq!(e.params().entries[0].shape, vec![400, 50]);
        assert_eq!(table(400, 50, Some(7)).params().data, w, "seeded");
    }

    #[test]
    fn forward_gathers_rows_in_the_ids_shape() {
        let mut e = table(6, 3, None);
        let w = e.params().data.clone();
        let out = e.forward(&[5, 0, 5, 2], &[2, 2], false).unwrap();
        assert_eq!(out.shape, vec![2, 2, 3]);
        for (k, id) in [5usize, 0, 5, 2].iter().enumerate() {
            assert_eq!(&out.data[k * 3..k * 3 + 3], &w[id * 3..id * 3 + 3]);
        }
        assert_eq!(e.forward(&[], &[0], false).unwrap().shape, vec![0, 3]);
    }

    /// `L = Σ out · go`: dL/dW by central differences against backward, with repeated ids and
    /// a padding id (whose row must get no gradient).
    #[test]
    fn gradient_matches_finite_differences() {
        let (n, d) = (5, 4);
        let ids = [1, 3, 1, 0, 3, 3, 4, 0];
        let shape = [2, 4];
        let mut rng = Rng::new(8);
        let go: Vec<f32> = (0..ids.len() * d).map(|_| rng.uniform(-1.0, 1.0)).collect();
        for pad in [None, Some(3)] {
            let mut e = table(n, d, pad);
            e.forward(&ids, &shape, true).unwrap();
            e.backward(TensorRef { data: &go, shape: &[2, 4, d] }).unwrap();
            let analytic = e.params().grad.clone();
            let loss = |e: &mut Embedding| -> f64 { e.forward(&ids, &shape, false).unwrap().data.iter().zip(&go).map(|(a, b)| *a as f64 * *b as f64).sum() };
            let eps = 1e-2f32;
            for (i, &an) in analytic.iter().enumerate() {
                let orig = e.params.data[i];
                e.params.data[i] = orig + eps;
                let lp = loss(&mut e);
                e.params.data[i] = orig - eps;
                let lm = loss(&mut e);
                e.params.data[i] = orig;
                let fd = if pad == Some(i / d) { 0.0 } else { (lp - lm) / (2.0 * eps as f64) };
                assert!((an as f64 - fd).abs() <= 1e-4 * (1.0 + fd.abs()), "pad {pad:?} weight[{}, {}]: analytic {an} vs numeric {fd}", i / d, i % d);
            }
            if let Some(p) = pad {
                assert!(analytic[p * d..(p + 1) * d].iter().all(|v| *v == 0.0));
            }
            // Gradients accumulate across backward passes.
            e.forward(&ids, &shape, true).unwrap();
            e.backward(TensorRef { data: &go, shape: &[2, 4, d] }).unwrap();
            assert!(e.params().grad.iter().zip(&analytic).all(|(a, b)| (*a - 2.0 * b).abs() <= 1e-6));
        }
    }

    #[test]
    fn parallel_scatter_equals_serial() {
        let (n, d) = (300, 96);
        let mut rng = Rng::new(2);
        let ids: Vec<i32> = (0..2000).map(|_| (rng.next_u64() % 40) as i32).collect();
        let go: Vec<f32> = (0..ids.len() * d).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let mut e = table(n, d, Some(5));
        e.forward(&ids, &[ids.len()], true).unwrap();
        e.backward(TensorRef { data: &go, shape: &[ids.len(), d] }).unwrap();
        let mut want = vec![0.0f32; n * d];
        for (k, &id) in ids.iter().enumerate() {
            if id != 5 {
                for c in 0..d {
                    want[id as usize * d + c] += go[k * d + c];
                }
            }
        }
        assert_eq!(e.params().grad, want);
    }

    #[test]
    fn frozen_tables_accumulate_nothing() {
        let mut e = table(4, 2, None);
        e.set_frozen(true);
        e.forward(&[1, 2], &[2], true).unwrap();
        e.backward(TensorRef { data: &[1.0; 4], shape: &[2, 2] }).unwrap();
        assert!(e.params().grad.iter().all(|v| *v == 0.0));
        assert!(!e.has_cache(), "the cache is consumed");
    }

    #[test]
    fn from_pretrained_keeps_the_weight() {
        let w: Vec<f32> = (0..6).map(|i| i as f32).collect();
        let mut e = Embedding::from_pretrained(TensorRef { data: &w, shape: &[3, 2] }, true, Some(1)).unwrap();
        assert!(e.frozen());
        assert_eq!(e.forward(&[1, 2], &[2], false).unwrap().data, vec![2.0, 3.0, 4.0, 5.0]);
        let bad = |shape: &[usize], data: &[f32], pad| Embedding::from_pretrained(TensorRef { data, shape }, false, pad).err().unwrap().to_string();
        assert!(bad(&[6], &w, None).contains("2-D"));
        assert!(bad(&[0, 2], &[], None).contains("[0, 2]"));
        assert!(bad(&[3, 2], &[0.0, 1.0, f32::NAN, 0.0, 0.0, 0.0], None).contains("index 2"));
        assert!(bad(&[3, 2], &w, Some(3)).contains("paddingIdx: expected an id in 0..3"));
    }

    #[test]
    fn errors_name_the_argument_and_change_nothing() {
        let mut e = table(5, 2, None);
        let e1 = e.forward(&[1, 5], &[2], true).unwrap_err().to_string();
        assert_eq!(e1, "ids[1]: expected an id in 0..5 (numEmbeddings = 5), got 5");
        let e2 = e.forward(&[1, 2, 3, -1], &[2, 2], true).unwrap_err().to_string();
        assert!(e2.starts_with("ids[1, 1]:") && e2.contains("got -1"), "{e2}");
        assert!(e.forward(&[1, 2, 3], &[2, 2], true).unwrap_err().to_string().contains("needs 4 values, got 3"));
        assert!(!e.has_cache());
        let s = e.backward(TensorRef { data: &[0.0; 2], shape: &[1, 2] }).unwrap_err().to_string();
        assert!(s.contains("backward") && s.contains("forward"), "{s}");
        e.forward(&[1, 2], &[2], true).unwrap();
        let s = e.backward(TensorRef { data: &[0.0; 4], shape: &[4] }).unwrap_err().to_string();
        assert!(s.contains("gradOutput") && s.contains("[2, 2]") && s.contains("[4]"), "{s}");
        let s = e.backward(TensorRef { data: &[0.0, f32::NAN, 0.0, 0.0], shape: &[2, 2] }).unwrap_err().to_string();
        assert!(s.contains("gradOutput") && s.contains("NaN"), "{s}");
        e.backward(TensorRef { data: &[1.0; 4], shape: &[2, 2] }).unwrap();
        assert_eq!(e.params().grad, vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        e.zero_grad();
        assert!(e.params().grad.iter().all(|v| *v == 0.0));
        assert!(Embedding::new(EmbeddingConfig::new(0, 3)).is_err());
        assert!(Embedding::new(EmbeddingConfig { padding_idx: Some(9), ..EmbeddingConfig::new(4, 3) }).unwrap_err().to_string().contains("paddingIdx"));
    }
}
