//! The C tool's per-pair updates (`TrainModelThread`), for one sentence at a time: skip-gram
//! and CBOW (mean or sum of the context), with negative sampling, hierarchical softmax (both may
//! be on together, as in C) or the full softmax ([`super::softmax`]). Threads run this on the
//! shared tables without locks (Hogwild).
//!
//! Semantics (the C tool's, `word2vec.c`):
//! - For each center position, a radius `window − b` with `b` uniform in `0..window` (the C
//!   tool's random window shrinking). C takes `b = r % window`, whose low bits are periodic for
//!   power-of-two windows with this generator; we take `b` from the high 32 bits instead
//!   (multiply-shift: the same uniform distribution without the periodic pattern).
//! - Skip-gram: every context word's input row `v` predicts the center word `w`. For each
//!   context: `e = 0`; for each output `(u, label)` — hierarchical-softmax nodes on `w`'s
//!   Huffman path (label `1 − code`), then `w` itself (label 1) and `negative` draws from the
//!   noise distribution (label 0; a draw equal to `w` is skipped, not redrawn) —
//!   `g = α·(label − σ(v·u))`, `e += g·u`, `u += g·v`; finally `v += e`.
//! - CBOW: `h` = mean (or sum) of the context rows; the same loop with `h` as the input; then
//!   every context row `+= e`. No update when the window holds no word.
//! - Saturation as C: negative sampling treats `v·u > 6` as `σ = 1` and `< −6` as `σ = 0`;
//!   hierarchical softmax skips a node with `|v·u| ≥ 6`.
//! - `σ` inside ±6 comes from a 2049-entry table read with linear interpolation
//!   ([`sigmoid_table`], absolute error ≤ 6e-7, asserted in the tests) instead of C's 1000-entry
//!   table without interpolation (error up to ≈ 3e-3 with its integer-division index).
//!
//! Speed: the whole sentence loop is compiled three times (baseline, AVX2+FMA, AVX-512; chosen
//! at run time by [`crate::dispatch!`]) with every inner loop inlined but the dot product, which
//! is the SIMD kernel of [`super::kernels`]. Rows are processed over their full padded stride (a
//! multiple of 16 floats whose padding stays zero), so the loops have no tails. Each output row
//! is read once per pair: the dot product, then one fused pass doing `e += g·u` and `u += g·v`.
//! The random draws of a center word (window, negatives) are made one center ahead — nothing
//! draws in between, so the sequence is the C tool's — and the output rows of the next input are
//! prefetched while the current one trains (the rows of `syn1neg` are random accesses into a
//! table larger than the caches: this hides most of the miss latency).
//!
//! Loss each step descends, per (input `x`, center `w`): negative sampling
//! `−ln σ(x·u_w) − Σ_neg ln σ(−x·u_n)`; hierarchical softmax `−Σ_d ln σ((1 − 2·code_d)·x·u_{p_d})`;
//! full softmax `−ln softmax(U·x)_w`. The update is exactly `−α ·` its gradient for the output
//! rows and for `x` (skip-gram, CBOW sum); for the CBOW mean, each context row receives `−α ·
//! ∂L/∂h` = `cw ×` its own gradient, the C tool's convention (tests check all of this).

use crate::embeddings::sampling::{HuffmanTree, Lcg, NoiseSampler};
use crate::embeddings::word2vec::kernels::prefetch_row;
use crate::embeddings::word2vec::softmax;
use crate::embeddings::word2vec::weights::SharedWeights;

/// Scores beyond ±`MAX_EXP` are saturated (the C tool's `MAX_EXP`).
pub const MAX_EXP: f32 = 6.0;

/// Everything the per-sentence update needs besides the weights, the rate and the generator.
#[derive(Clone, Copy, Debug)]
pub struct Objectives<'a> {
    /// Noise distribution; `Some` iff negative sampling is on.
    pub noise: Option<&'a NoiseSampler>,
    /// Negative samples per positive pair.
    pub negative: usize,
    /// Huffman tree; `Some` iff hierarchical softmax is on.
    pub tree: Option<&'a HuffmanTree>,
    /// Full softmax over the vocabulary (uses `syn1neg` as the output vectors).
    pub full_softmax: bool,
    /// Maximum window radius.
    pub window: usize,
    /// CBOW (true) or skip-gram (false).
    pub cbow: bool,
    /// CBOW: mean (true) or sum (false) of the context rows.
    pub cbow_mean: bool,
    /// The sigmoid table ([`sigmoid_table`]).
    pub sigmoid: &'a [f32],
}

/// The draws of one center word, made one center ahead so the rows they name can be prefetched
/// while the previous center trains: its context words and, per negative-sampling input (each
/// context in skip-gram, one in CBOW), its negatives (draws equal to the center already dropped).
#[derive(Clone, Debug, Default)]
struct Plan {
    word: u32,
    ctx: Vec<u32>,
    neg_start: Vec<usize>,
    negs: Vec<u32>,
}

impl Plan {
    /// The negatives of input `k`.
    #[inline(always)]
    fn negatives(&self, k: usize) -> &[u32] {
        if self.neg_start.len() > k + 1 {
            &self.negs[self.neg_start[k]..self.neg_start[k + 1]]
        } else {
            &[]
        }
    }
}

/// Per-thread buffers of the Hogwild path (rows of `stride` floats, padding zero).
#[derive(Clone, Debug)]
pub struct HogwildScratch {
    neu1: Vec<f32>,
    neu1e: Vec<f32>,
    plans: [Plan; 2],
    scores: Vec<f32>,
}

impl HogwildScratch {
    /// Buffers for rows of `stride` floats, up to `negative` negatives, over `words` outputs
    /// (full softmax).
    pub fn new(stride: usize, negative: usize, words: usize, full_softmax: bool) -> Self {
        let window_max = 2 * crate::embeddings::word2vec::config::MAX_SENTENCE_LENGTH;
        let plan = || Plan {
            word: 0,
            ctx: Vec::with_capacity(window_max),
            neg_start: Vec::with_capacity(window_max + 1),
            negs: Vec::with_capacity(negative * 16),
        };
        HogwildScratch {
            neu1: vec![0.0; stride],
            neu1e: vec![0.0; stride],
            plans: [plan(), plan()],
            scores: if full_softmax { vec![0.0; words] } else { Vec::new() },
        }
    }
}

/// `a · b` (the SIMD kernel of [`super::kernels`]; fused multiply-add where the CPU has it).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    super::kernels::dot(a, &b[..a.len()])
}

/// `y += a · x`.
#[inline(always)]
pub(crate) fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    let x = &x[..y.len()];
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * *xi;
    }
}

/// The fused output step of one pair: `e += g·u` and `u += g·v`, reading `u` once.
#[inline(always)]
pub(crate) fn fused_update(g: f32, v: &[f32], u: &mut [f32], e: &mut [f32]) {
    let n = u.len();
    let (v, e) = (&v[..n], &mut e[..n]);
    for i in 0..n {
        let ui = u[i];
        e[i] += g * ui;
        u[i] = ui + g * v[i];
    }
}

/// Intervals of the sigmoid table over [−`MAX_EXP`, `MAX_EXP`].
pub const SIGMOID_INTERVALS: usize = 2048;
const SIGMOID_SCALE: f32 = SIGMOID_INTERVALS as f32 / (2.0 * MAX_EXP);

/// `σ` at the `SIGMOID_INTERVALS + 1` equally spaced points of [−6, 6] (computed in f64),
/// read with linear interpolation by [`sigmoid_in_range`]: absolute error ≤ 6e-7 (interpolation
/// error `h²/8 · max|σ''|` = 4.1e-7 for `h = 12/2048`, plus f32 rounding of the index and the
/// blend; measured 5.05e-7, asserted ≤ 6e-7 in the tests; DESIGN.md allows 1e-6).
/// Replaces the C tool's 1000-entry table without interpolation (error up to ≈ 3e-3).
pub fn sigmoid_table() -> Vec<f32> {
    (0..=SIGMOID_INTERVALS)
        .map(|i| {
            let x = (i as f64 / SIGMOID_INTERVALS as f64 * 2.0 - 1.0) * MAX_EXP as f64;
            (1.0 / (1.0 + (-x).exp())) as f32
        })
        .collect()
}

/// `σ(f)` for `−MAX_EXP < f < MAX_EXP` from `table` ([`sigmoid_table`]).
#[inline(always)]
pub(crate) fn sigmoid_in_range(table: &[f32], f: f32) -> f32 {
    let x = (f + MAX_EXP) * SIGMOID_SCALE;
    let i = (x as usize).min(SIGMOID_INTERVALS - 1);
    let frac = x - i as f32;
    let (a, b) = (table[i], table[i + 1]);
    a + frac * (b - a)
}

/// `σ(f)` with the negative-sampling saturation of the C tool.
#[inline(always)]
pub(crate) fn ns_sigmoid(table: &[f32], f: f32) -> f32 {
    if f > MAX_EXP {
        1.0
    } else if f < -MAX_EXP {
        0.0
    } else {
        sigmoid_in_range(table, f)
    }
}

/// A row of `stride` floats at `p` as a shared slice.
///
/// # Safety
/// `p` must point to a row of the weight tables (or a scratch row) of at least `n` floats.
/// Other threads may write it concurrently (Hogwild); such races only make values stale.
#[inline(always)]
pub(crate) unsafe fn row<'a>(p: *const f32, n: usize) -> &'a [f32] {
    std::slice::from_raw_parts(p, n)
}

/// A row of `stride` floats at `p` as a mutable slice (same contract as [`row`]; the caller
/// holds no other slice of the same row).
#[inline(always)]
pub(crate) unsafe fn row_mut<'a>(p: *mut f32, n: usize) -> &'a mut [f32] {
    std::slice::from_raw_parts_mut(p, n)
}

/// A uniform draw in `0..n` from the high 32 bits of `r`.
#[inline(always)]
pub(crate) fn below(r: u64, n: usize) -> usize {
    (((r >> 32) * n as u64) >> 32) as usize
}

/// Negative sampling for one input row `x` against center `word` and the drawn `negs`:
/// accumulates into `e` and updates the output rows.
#[inline(always)]
fn negative_sampling(w: &SharedWeights, sigmoid: &[f32], x: &[f32], word: u32, negs: &[u32], alpha: f32, e: &mut [f32]) {
    let n = w.stride();
    for (d, &t) in std::iter::once(&word).chain(negs).enumerate() {
        let label = if d == 0 { 1.0 } else { 0.0 };
        // SAFETY: `t` is a word id (< words), so its row of `syn1neg` holds `stride` floats.
        let u = unsafe { row_mut(w.row1neg(t), n) };
        let f = dot(x, u);
        let g = (label - ns_sigmoid(sigmoid, f)) * alpha;
        fused_update(g, x, u, e);
    }
}

/// Hierarchical softmax for one input row `x` against center `word`.
#[inline(always)]
fn hierarchical_softmax(w: &SharedWeights, sigmoid: &[f32], tree: &HuffmanTree, x: &[f32], word: u32, alpha: f32, e: &mut [f32]) {
    let n = w.stride();
    let (points, code) = (tree.points(word), tree.code(word));
    for (&p, &bit) in points.iter().zip(code) {
        // SAFETY: Huffman points are inner nodes `< inner_nodes`, rows of `syn1`.
        let u = unsafe { row_mut(w.row1(p), n) };
        let f = dot(x, u);
        if f <= -MAX_EXP || f >= MAX_EXP {
            continue;
        }
        let g = (1.0 - bit as f32 - sigmoid_in_range(sigmoid, f)) * alpha;
        fused_update(g, x, u, e);
    }
}

/// All objectives for one input row `x`, center `word` and negatives `negs`, accumulating the
/// input error in `e`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn outputs(w: &SharedWeights, obj: &Objectives<'_>, x: &[f32], word: u32, negs: &[u32], alpha: f32, scores: &mut [f32], e: &mut [f32]) {
    if let Some(tree) = obj.tree {
        hierarchical_softmax(w, obj.sigmoid, tree, x, word, alpha, e);
    }
    if obj.noise.is_some() {
        negative_sampling(w, obj.sigmoid, x, word, negs, alpha, e);
    }
    if obj.full_softmax {
        softmax::full_softmax_step(w, x, word, alpha, scores, e);
    }
}

/// Draws what center `pos` needs, in the C tool's order: the window shrink, then `negative`
/// noise words per input (each context in skip-gram; one set in CBOW when the context is not
/// empty), dropping draws equal to the center.
#[inline(always)]
fn plan_center(obj: &Objectives<'_>, sentence: &[u32], pos: usize, rng: &mut Lcg, plan: &mut Plan) {
    let word = sentence[pos];
    let radius = obj.window - below(rng.next(), obj.window);
    let lo = pos.saturating_sub(radius);
    let hi = (pos + radius).min(sentence.len() - 1);
    plan.word = word;
    plan.ctx.clear();
    plan.ctx.extend_from_slice(&sentence[lo..pos]);
    plan.ctx.extend_from_slice(&sentence[pos + 1..=hi]);
    plan.neg_start.clear();
    plan.negs.clear();
    if let Some(noise) = obj.noise {
        let inputs = if obj.cbow { usize::from(!plan.ctx.is_empty()) } else { plan.ctx.len() };
        for _ in 0..inputs {
            plan.neg_start.push(plan.negs.len());
            for _ in 0..obj.negative {
                let t = noise.sample(rng.next());
                if t != word {
                    plan.negs.push(t);
                }
            }
        }
        plan.neg_start.push(plan.negs.len());
    }
}

/// Prefetches the output rows of input `k` of `plan` (the center's and its negatives).
#[inline(always)]
fn prefetch_outputs(w: &SharedWeights, obj: &Objectives<'_>, plan: &Plan, k: usize) {
    if obj.noise.is_some() {
        let n = w.stride();
        prefetch_row(w.row1neg(plan.word), n);
        for &t in plan.negatives(k) {
            prefetch_row(w.row1neg(t), n);
        }
    }
}

crate::dispatch! {
    /// Trains one sentence (ids after subsampling, no `</s>`) with the C tool's per-pair updates
    /// at learning rate `alpha`, drawing from `rng` exactly what the C tool draws, in its order
    /// (one value per center word for the window, one per negative). Draws are made one center
    /// ahead ([`plan_center`]; nothing else draws in between, so the order is unchanged) and the
    /// next input's output rows are prefetched while the current one trains.
    pub fn train_sentence(w: &SharedWeights, obj: &Objectives<'_>, sentence: &[u32], alpha: f32, rng: &mut Lcg, s: &mut HogwildScratch) {
        if sentence.is_empty() {
            return;
        }
        let [mut cur, mut next] = std::mem::take(&mut s.plans);
        plan_center(obj, sentence, 0, rng, &mut cur);
        prefetch_outputs(w, obj, &cur, 0);
        for pos in 0..sentence.len() {
            let more = pos + 1 < sentence.len();
            if more {
                plan_center(obj, sentence, pos + 1, rng, &mut next);
            }
            if obj.cbow {
                if more {
                    prefetch_outputs(w, obj, &next, 0);
                }
                cbow_center(w, obj, &cur.ctx, cur.word, cur.negatives(0), alpha, s);
            } else {
                for k in 0..cur.ctx.len() {
                    if k + 1 < cur.ctx.len() {
                        prefetch_outputs(w, obj, &cur, k + 1);
                    } else if more {
                        prefetch_outputs(w, obj, &next, 0);
                    }
                    skip_gram_pair(w, obj, cur.ctx[k], cur.word, cur.negatives(k), alpha, s);
                }
            }
            std::mem::swap(&mut cur, &mut next);
        }
        s.plans = [cur, next];
    }
}

/// Skip-gram: context word `c`'s input row predicts `word`; all objectives, then `v_c += e`.
#[inline(always)]
fn skip_gram_pair(w: &SharedWeights, obj: &Objectives<'_>, c: u32, word: u32, negs: &[u32], alpha: f32, s: &mut HogwildScratch) {
    let n = w.stride();
    s.neu1e.fill(0.0);
    // SAFETY: `c` is a word id; its `syn0` row is only read until the last step.
    let v = unsafe { row(w.row0(c), n) };
    outputs(w, obj, v, word, negs, alpha, &mut s.scores, &mut s.neu1e);
    // SAFETY: as above; `neu1e` is thread-local scratch.
    axpy(1.0, &s.neu1e, unsafe { row_mut(w.row0(c), n) });
}

/// CBOW: the mean (or sum) of the rows of the context words `ctx` predicts `word`; all
/// objectives, then every context row `+= e`. Nothing happens for an empty context.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cbow_center(w: &SharedWeights, obj: &Objectives<'_>, ctx: &[u32], word: u32, negs: &[u32], alpha: f32, s: &mut HogwildScratch) {
    if ctx.is_empty() {
        return;
    }
    let n = w.stride();
    s.neu1.fill(0.0);
    for &c in ctx {
        // SAFETY: context ids are word ids: rows of `syn0`.
        axpy(1.0, unsafe { row(w.row0(c), n) }, &mut s.neu1);
    }
    if obj.cbow_mean {
        let cw = ctx.len() as f32;
        for x in s.neu1.iter_mut() {
            *x /= cw;
        }
    }
    s.neu1e.fill(0.0);
    outputs(w, obj, &s.neu1, word, negs, alpha, &mut s.scores, &mut s.neu1e);
    for &c in ctx {
        // SAFETY: as above; `neu1e` is thread-local scratch.
        axpy(1.0, &s.neu1e, unsafe { row_mut(w.row0(c), n) });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::embeddings::word2vec::weights::Table;

    #[test]
    fn dot_and_fused_update_match_scalar() {
        let a: Vec<f32> = (0..48).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..48).map(|i| (i as f32 * 0.11).cos()).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
        assert!((dot(&a, &b) as f64 - want).abs() < 1e-5);
        let mut u = b.clone();
        let mut e = vec![0.5f32; 48];
        fused_update(0.1, &a, &mut u, &mut e);
        for i in 0..48 {
            assert_eq!(e[i], 0.5 + 0.1 * b[i]);
            assert_eq!(u[i], b[i] + 0.1 * a[i]);
        }
    }

    #[test]
    fn sigmoid_table_error_is_bounded_and_saturates_as_c() {
        let t = sigmoid_table();
        assert_eq!(t.len(), SIGMOID_INTERVALS + 1);
        let mut worst = 0.0f64;
        let mut f = -MAX_EXP + 1e-6;
        while f < MAX_EXP {
            let exact = 1.0 / (1.0 + (-(f as f64)).exp());
            worst = worst.max((sigmoid_in_range(&t, f) as f64 - exact).abs());
            f += 1.3e-4;
        }
        assert!(worst <= 6e-7, "sigmoid table max abs error {worst}");
        assert_eq!(ns_sigmoid(&t, 6.5), 1.0);
        assert_eq!(ns_sigmoid(&t, -6.5), 0.0);
        assert!((ns_sigmoid(&t, 5.999_99) as f64 - 1.0 / (1.0 + (-5.999_99f64).exp())).abs() <= 6e-7);
    }

    /// One skip-gram negative-sampling pair on hand-set vectors with fixed negatives, computed
    /// by hand (the arithmetic is written out below).
    #[test]
    fn one_sgns_update_matches_hand_computation() {
        // dim 2; words: 0 = </s>, 1 = center "w", 2 = negative "n".
        let mut wts = SharedWeights::new(3, 2, true, 0, 1).unwrap();
        wts.row_slice_mut(Table::Syn0, 2).copy_from_slice(&[0.5, -0.25]); // v (the context's input row)
        wts.row_slice_mut(Table::Syn1neg, 1).copy_from_slice(&[0.2, 0.4]); // u_w
        wts.row_slice_mut(Table::Syn1neg, 2).copy_from_slice(&[-0.3, 0.1]); // u_n
        let alpha = 0.1f32;
        // Hand computation (exact sigmoid):
        //   f_w = v·u_w = 0.5·0.2 + (−0.25)·0.4 = 0.1 − 0.1 = 0
        //   g_w = α·(1 − σ(0)) = 0.1·0.5 = 0.05
        //   e   = g_w·u_w = (0.01, 0.02);  u_w ← u_w + g_w·v = (0.2 + 0.025, 0.4 − 0.0125) = (0.225, 0.3875)
        //   f_n = v·u_n = −0.15 − 0.025 = −0.175
        //   σ(−0.175) = 1/(1 + e^0.175) = 0.456361...
        //   g_n = α·(0 − σ(−0.175)) = −0.0456361
        //   e  += g_n·u_n = (0.01 + 0.01369083, 0.02 − 0.00456361) = (0.02369083, 0.01543639)
        //   u_n ← u_n + g_n·v = (−0.3 − 0.02281805, 0.1 + 0.01140903) = (−0.32281805, 0.11140903)
        //   v  ← v + e = (0.52369083, −0.23456361)
        let s_n = 1.0 / (1.0 + 0.175f64.exp());
        assert!((s_n - 0.456_361).abs() < 1e-6);
        // Fixed negatives: [2].
        let n = wts.stride();
        let mut xs = vec![0.0f32; n];
        xs[..2].copy_from_slice(&[0.5, -0.25]);
        let mut e = vec![0.0f32; n];
        negative_sampling(&wts, &sigmoid_table(), &xs, 1, &[2], alpha, &mut e);
        axpy(1.0, &e, wts.row_slice_mut(Table::Syn0, 2));
        let close = |a: &[f32], b: &[f64]| a.iter().zip(b).all(|(x, y)| (*x as f64 - y).abs() < 1e-6);
        assert!(close(wts.row_slice_mut(Table::Syn1neg, 1), &[0.225, 0.3875]));
        let g_n = -0.1 * s_n;
        assert!(close(wts.row_slice_mut(Table::Syn1neg, 2), &[-0.3 + g_n * 0.5, 0.1 - g_n * 0.25]));
        assert!(close(wts.row_slice_mut(Table::Syn0, 2), &[0.5 + 0.01 + g_n * -0.3, -0.25 + 0.02 + g_n * 0.1]));
        assert!(close(wts.row_slice_mut(Table::Syn0, 2), &[0.523_690_83, -0.234_563_61]));
    }
    /// Tables as f64 `[rows, dim]` (no padding).
    struct Snap {
        syn0: Vec<f64>,
        syn1neg: Vec<f64>,
        syn1: Vec<f64>,
    }

    fn snap(w: &mut SharedWeights) -> Snap {
        let f = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        Snap {
            syn0: f(w.export(Table::Syn0)),
            syn1neg: if w.has_syn1neg() { f(w.export(Table::Syn1neg)) } else { Vec::new() },
            syn1: if w.has_syn1() { f(w.export(Table::Syn1)) } else { Vec::new() },
        }
    }

    fn ln_sigmoid(x: f64) -> f64 {
        -(1.0 + (-x).exp()).ln()
    }

    fn dot64(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[derive(Clone, Copy, Debug)]
    struct Case {
        cbow: bool,
        cbow_mean: bool,
        hs: bool,
        negative: usize,
        full_softmax: bool,
    }

    /// One update (skip-gram pair or CBOW center) equals `−α ·` the gradient of the stated loss
    /// (finite differences in f64), for every parameter of every table; for the CBOW mean the
    /// input rows get `cw ×` their gradient (the C tool's convention).
    fn check_gradient(case: Case) {
        let counts = [0u64, 40, 25, 16, 9, 7, 5, 3];
        let (v, dim, alpha) = (counts.len(), 3usize, 0.05f32);
        let tree = case.hs.then(|| HuffmanTree::new(&counts));
        let noise = (case.negative > 0).then(|| NoiseSampler::new(&counts, 0.75).unwrap());
        let (word, ctx, c) = (2u32, vec![1u32, 4, 5], 4u32);
        let table = sigmoid_table();
        for seed in 1u64.. {
            let inner = tree.as_ref().map_or(0, |t| t.inner_nodes());
            let mut w = SharedWeights::new(v, dim, case.negative > 0 || case.full_softmax, inner, 1).unwrap();
            let mut init = Lcg::new(seed * 977);
            let mut fill = |w: &mut SharedWeights, t: Table, rows: usize| {
                for r in 0..rows {
                    for x in w.row_slice_mut(t, r) {
                        *x = ((init.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.2;
                    }
                }
            };
            fill(&mut w, Table::Syn0, v);
            if w.has_syn1neg() {
                fill(&mut w, Table::Syn1neg, v);
            }
            if w.has_syn1() {
                fill(&mut w, Table::Syn1, inner);
            }
            let obj = Objectives {
                noise: noise.as_ref(),
                negative: case.negative,
                tree: tree.as_ref(),
                full_softmax: case.full_softmax,
                window: 2,
                cbow: case.cbow,
                cbow_mean: case.cbow_mean,
                sigmoid: &table,
            };
            // The negatives one input draws (the C tool's rule: a draw equal to the center is dropped).
            let mut rng = Lcg::new(seed);
            let negs: Vec<u32> = match &noise {
                Some(noise) => (0..case.negative).map(|_| noise.sample(rng.next())).filter(|&t| t != word).collect(),
                None => Vec::new(),
            };
            let mut distinct = negs.clone();
            distinct.sort();
            distinct.dedup();
            if case.negative > 0 && (distinct.len() != negs.len() || negs.is_empty()) {
                continue; // a repeated negative is applied twice in sequence: not one gradient step
            }
            let targets: Vec<u32> = std::iter::once(word).chain(negs.iter().copied()).collect();
            let before = snap(&mut w);
            let mut s = HogwildScratch::new(w.stride(), case.negative, v, case.full_softmax);
            if case.cbow {
                cbow_center(&w, &obj, &ctx, word, &negs, alpha, &mut s);
            } else {
                skip_gram_pair(&w, &obj, c, word, &negs, alpha, &mut s);
            }
            let after = snap(&mut w);

            let loss = |p: &Snap| -> f64 {
                let row = |t: &Vec<f64>, r: usize| t[r * dim..(r + 1) * dim].to_vec();
                let x: Vec<f64> = if case.cbow {
                    let mut h = vec![0.0; dim];
                    for &k in &ctx {
                        for (hi, xi) in h.iter_mut().zip(row(&p.syn0, k as usize)) {
                            *hi += xi;
                        }
                    }
                    if case.cbow_mean {
                        h.iter_mut().for_each(|hi| *hi /= ctx.len() as f64);
                    }
                    h
                } else {
                    row(&p.syn0, c as usize)
                };
                let mut l = 0.0;
                if let Some(tree) = &tree {
                    for (&pt, &bit) in tree.points(word).iter().zip(tree.code(word)) {
                        let f = dot64(&x, &row(&p.syn1, pt as usize));
                        l -= ln_sigmoid((1.0 - 2.0 * bit as f64) * f);
                    }
                }
                if case.negative > 0 {
                    l -= ln_sigmoid(dot64(&x, &row(&p.syn1neg, word as usize)));
                    for &t in &targets[1..] {
                        l -= ln_sigmoid(-dot64(&x, &row(&p.syn1neg, t as usize)));
                    }
                }
                if case.full_softmax {
                    let sc: Vec<f64> = (1..v).map(|k| dot64(&x, &row(&p.syn1neg, k))).collect();
                    let m = sc.iter().cloned().fold(f64::MIN, f64::max);
                    let lse = m + sc.iter().map(|s| (s - m).exp()).sum::<f64>().ln();
                    l += lse - sc[word as usize - 1];
                }
                l
            };
            let h = 1e-6;
            let mut worst = 0.0f64;
            for table in 0..3 {
                let len = [before.syn0.len(), before.syn1neg.len(), before.syn1.len()][table];
                for i in 0..len {
                    let mut plus = Snap { syn0: before.syn0.clone(), syn1neg: before.syn1neg.clone(), syn1: before.syn1.clone() };
                    let mut minus = Snap { syn0: before.syn0.clone(), syn1neg: before.syn1neg.clone(), syn1: before.syn1.clone() };
                    let (pp, mm) = match table {
                        0 => (&mut plus.syn0, &mut minus.syn0),
                        1 => (&mut plus.syn1neg, &mut minus.syn1neg),
                        _ => (&mut plus.syn1, &mut minus.syn1),
                    };
                    pp[i] += h;
                    mm[i] -= h;
                    let grad = (loss(&plus) - loss(&minus)) / (2.0 * h);
                    let scale = if table == 0 && case.cbow && case.cbow_mean { ctx.len() as f64 } else { 1.0 };
                    let want = -(alpha as f64) * grad * scale;
                    let got = match table {
                        0 => after.syn0[i] - before.syn0[i],
                        1 => after.syn1neg[i] - before.syn1neg[i],
                        _ => after.syn1[i] - before.syn1[i],
                    };
                    worst = worst.max((got - want).abs());
                    assert!((got - want).abs() < 2e-6, "{case:?}: table {table} param {i}: update {got} vs -alpha*grad {want}");
                }
            }
            // The update is not trivially zero.
            let moved = before.syn0.iter().zip(&after.syn0).any(|(a, b)| a != b);
            assert!(moved, "{case:?}: no input row moved (worst diff {worst})");
            return;
        }
    }

    #[test]
    fn gradient_skip_gram_negative_sampling() {
        check_gradient(Case { cbow: false, cbow_mean: true, hs: false, negative: 3, full_softmax: false });
    }

    #[test]
    fn gradient_skip_gram_hierarchical_softmax() {
        check_gradient(Case { cbow: false, cbow_mean: true, hs: true, negative: 0, full_softmax: false });
    }

    #[test]
    fn gradient_skip_gram_hs_and_ns_together() {
        check_gradient(Case { cbow: false, cbow_mean: true, hs: true, negative: 2, full_softmax: false });
    }

    #[test]
    fn gradient_skip_gram_full_softmax() {
        check_gradient(Case { cbow: false, cbow_mean: true, hs: false, negative: 0, full_softmax: true });
    }

    #[test]
    fn gradient_cbow_mean_negative_sampling() {
        check_gradient(Case { cbow: true, cbow_mean: true, hs: false, negative: 3, full_softmax: false });
    }

    #[test]
    fn gradient_cbow_sum_negative_sampling() {
        check_gradient(Case { cbow: true, cbow_mean: false, hs: false, negative: 3, full_softmax: false });
    }

    #[test]
    fn gradient_cbow_hierarchical_softmax() {
        check_gradient(Case { cbow: true, cbow_mean: true, hs: true, negative: 0, full_softmax: false });
        check_gradient(Case { cbow: true, cbow_mean: false, hs: true, negative: 0, full_softmax: false });
    }

    #[test]
    fn gradient_cbow_full_softmax() {
        check_gradient(Case { cbow: true, cbow_mean: true, hs: false, negative: 0, full_softmax: true });
        check_gradient(Case { cbow: true, cbow_mean: false, hs: false, negative: 0, full_softmax: true });
    }

    /// The window shrink draws `b` uniformly in `0..window` and the sentence loop visits every
    /// context of the shrunk window: on a sentence of distinct words, count how often each
    /// distance is used by CBOW's context list.
    #[test]
    fn window_shrink_is_uniform() {
        let window = 4;
        let mut counts = vec![0usize; window];
        let mut rng = Lcg::new(3);
        for _ in 0..40_000 {
            counts[below(rng.next(), window)] += 1;
        }
        for &c in &counts {
            assert!((c as f64 - 10_000.0).abs() < 400.0, "{counts:?}");
        }
    }
    /// The pipelined sentence loop (draws one center ahead, prefetches) gives bit-identical
    /// weights to the plain loop "draw for a center, then train it", for every objective.
    #[test]
    fn pipelined_sentence_loop_equals_the_plain_loop() {
        let counts = [0u64, 50, 30, 20, 12, 9, 7, 5, 4, 3, 2];
        let v = counts.len();
        let tree = HuffmanTree::new(&counts);
        let noise = NoiseSampler::new(&counts, 0.75).unwrap();
        let table = sigmoid_table();
        let sentence: Vec<u32> = (0..40u32).map(|i| 1 + (i * 7 + i / 3) % (v as u32 - 1)).collect();
        for (cbow, hs, negative) in [(false, false, 5), (true, false, 5), (false, true, 0), (true, true, 3)] {
            let obj = Objectives {
                noise: (negative > 0).then_some(&noise),
                negative,
                tree: hs.then_some(&tree),
                full_softmax: false,
                window: 4,
                cbow,
                cbow_mean: true,
                sigmoid: &table,
            };
            let new = || SharedWeights::new(v, 10, negative > 0, if hs { tree.inner_nodes() } else { 0 }, 3).unwrap();
            let (mut a, mut b) = (new(), new());
            let mut s = HogwildScratch::new(a.stride(), negative, v, false);
            let mut rng_a = Lcg::new(9);
            for _ in 0..3 {
                train_sentence(&a, &obj, &sentence, 0.05, &mut rng_a, &mut s);
            }
            let mut rng_b = Lcg::new(9);
            let mut plan = Plan::default();
            for _ in 0..3 {
                for pos in 0..sentence.len() {
                    plan_center(&obj, &sentence, pos, &mut rng_b, &mut plan);
                    if cbow {
                        cbow_center(&b, &obj, &plan.ctx, plan.word, plan.negatives(0), 0.05, &mut s);
                    } else {
                        for k in 0..plan.ctx.len() {
                            skip_gram_pair(&b, &obj, plan.ctx[k], plan.word, plan.negatives(k), 0.05, &mut s);
                        }
                    }
                }
            }
            assert_eq!(rng_a, rng_b);
            assert_eq!(a.export(Table::Syn0), b.export(Table::Syn0));
            if negative > 0 {
                assert_eq!(a.export(Table::Syn1neg), b.export(Table::Syn1neg));
            }
            if hs {
                assert_eq!(a.export(Table::Syn1), b.export(Table::Syn1));
            }
        }
    }

    /// `plan_center` draws as the C tool: the window value first, then `negative` values per
    /// input (per context in skip-gram, one set in CBOW), dropping draws equal to the center.
    #[test]
    fn plan_center_draws_in_the_c_tools_order() {
        let counts = [0u64, 5, 4, 3, 2, 1];
        let noise = NoiseSampler::new(&counts, 0.75).unwrap();
        let table = sigmoid_table();
        let sentence = [1u32, 2, 3, 4, 5, 1, 2];
        for cbow in [false, true] {
            let obj =
                Objectives { noise: Some(&noise), negative: 3, tree: None, full_softmax: false, window: 3, cbow, cbow_mean: true, sigmoid: &table };
            let mut rng = Lcg::new(21);
            let mut plan = Plan::default();
            plan_center(&obj, &sentence, 3, &mut rng, &mut plan);
            let mut r = Lcg::new(21);
            let radius = 3 - below(r.next(), 3);
            let want_ctx: Vec<u32> = (3usize.saturating_sub(radius)..=(3 + radius).min(6)).filter(|&i| i != 3).map(|i| sentence[i]).collect();
            assert_eq!(plan.ctx, want_ctx);
            let inputs = if cbow { 1 } else { want_ctx.len() };
            let mut want_negs = Vec::new();
            for _ in 0..inputs * 3 {
                let t = noise.sample(r.next());
                if t != 4 {
                    want_negs.push(t);
                }
            }
            assert_eq!(plan.negs, want_negs);
            assert_eq!(plan.neg_start.len(), inputs + 1);
            assert_eq!(rng, r);
        }
    }
}
