//! The fast path: pWord2Vec's batched updates with shared negative samples (Ji et al. 2016,
//! "Parallelizing Word2Vec in Shared and Distributed Memory"), as fused SIMD small-GEMMs.
//!
//! **Skip-gram.** For each center word `w` of a (subsampled) sentence, the C tool's random window
//! shrink picks a radius `1..=window` (drawn like the Hogwild path's, from the high bits); the context words `c_1..c_B` around `w` are the inputs
//! (their `syn0` rows) and `[w] + negatives` the outputs (`syn1neg` rows). One set of `negative`
//! noise words is drawn per batch and **shared by all its contexts**; a noise word equal to `w`
//! is dropped and one drawn several times becomes one output weighted by its multiplicity (both
//! as pWord2Vec). [`kernels::ns_update`] then computes all `B × (1+k)` scores, the gradients
//! `g = (label − σ(score)) · α` and applies `ΔIn = G · Out`, `ΔOut = Gᵀ · In` from the old values,
//! Hogwild into the shared tables. A window with more than `batch_rows` contexts is split into
//! batches of at most that many rows, each with its own negatives (pWord2Vec's `-batch-size`).
//!
//! **CBOW.** Up to `batch_rows` consecutive center words form one batch: each center's hidden
//! vector `h_j` is the mean (or sum) of its context rows, all hidden vectors share one set of
//! `negative` noise words, and the outputs are the distinct centers plus the noise words. Row `j`
//! is trained positively against its own center only (pairs with the other centers of the batch
//! are ignored) and negatively against every noise word but its own center (the C tool skips a
//! noise word equal to the center). The hidden-layer error `Δh_j` is added in full to each
//! context row of center `j`, as in the C tool. With one center per batch this is exactly the C
//! tool's CBOW (up to duplicate noise words being merged); sharing the noise words across
//! centers loads each noise row once per batch instead of once per center.
//!
//! Noise words are drawn one batch ahead and their rows prefetched, as are the next center's
//! output row and the next context row entering the window, so the gathers of the next batch
//! overlap the arithmetic of this one. All buffers live in the per-thread `BatchedScratch`:
//! nothing is allocated per window.

use super::hogwild::below;
use super::config::{Architecture, Word2VecConfig};
use super::kernels::{self, NsScratch};
use super::weights::SharedWeights;
use crate::embeddings::sampling::{Lcg, NoiseSampler};

/// Per-thread buffers of the batched path; create one per worker with [`new_scratch`] and reuse
/// it for every sentence.
pub(crate) struct BatchedScratch {
    ns: NsScratch,
    /// Context word ids of the current batch (skip-gram) or of all centers of the batch (CBOW).
    contexts: Vec<u32>,
    /// CBOW: `contexts[ctx_start[j]..ctx_start[j + 1]]` are center `j`'s contexts.
    ctx_start: Vec<usize>,
    /// CBOW: the centers of the batch and the output column of each.
    centers: Vec<u32>,
    center_col: Vec<usize>,
    /// Output word ids and how often each was drawn as a noise word.
    out_ids: Vec<u32>,
    noise_mult: Vec<f32>,
    /// Noise words drawn ahead for the next batch (their rows are being prefetched).
    pending: Vec<u32>,
    pending_ready: bool,
    pos: Vec<f32>,
    neg: Vec<f32>,
    inputs: Vec<*const f32>,
    deltas: Vec<*mut f32>,
    outputs: Vec<*mut f32>,
    /// CBOW hidden vectors and their errors, `rows × dim` each.
    hidden: Vec<f32>,
    hidden_err: Vec<f32>,
    /// Rows per batch: contexts (skip-gram) or centers (CBOW).
    rows: usize,
}

// SAFETY: the raw pointers are scratch space rebuilt for every batch and never dereferenced
// outside a call of `train_sentence_batched`; the struct owns nothing through them, so moving
// it to another thread is sound.
unsafe impl Send for BatchedScratch {}

/// CBOW centers per batch when `batch_size` is 0. Measured on wiki8 (1 epoch, size 200, window 8,
/// negative 25, 2 threads): 1 center per batch (the C tool's update) gave 11.2 % analogy accuracy,
/// 2 → 11.2 %, 4 → 11.2 % (3 seeds: 11.8, 10.9, 10.9) at twice the speed of 1, 8 → 10.8 %,
/// 17 (= 2·window + 1) → 10.1 %; the C tool 11.5 %.
pub(crate) const CBOW_DEFAULT_CENTERS: usize = 4;

/// Rows of one batched update: context words for skip-gram (`batch_size`, 0 → `2·window + 1`,
/// so a whole window fits), centers for CBOW (`batch_size`, 0 → [`CBOW_DEFAULT_CENTERS`]).
pub(crate) fn batch_rows(cfg: &Word2VecConfig) -> usize {
    match cfg.architecture {
        Architecture::SkipGram => cfg.batch_rows().max(1),
        Architecture::Cbow => cbow_centers(cfg),
    }
}

/// CBOW centers per batch (see [`batch_rows`]).
fn cbow_centers(cfg: &Word2VecConfig) -> usize {
    if cfg.batch_size == 0 {
        CBOW_DEFAULT_CENTERS
    } else {
        cfg.batch_size
    }
}

/// Scratch for `cfg` on weights whose rows are `stride` floats apart.
pub(crate) fn new_scratch(cfg: &Word2VecConfig, stride: usize) -> BatchedScratch {
    let rows = batch_rows(cfg);
    let cols = match cfg.architecture {
        Architecture::SkipGram => 1 + cfg.negative,
        Architecture::Cbow => rows + cfg.negative,
    };
    let hidden = match cfg.architecture {
        Architecture::SkipGram => 0,
        Architecture::Cbow => rows * stride.max(cfg.dim),
    };
    BatchedScratch {
        ns: NsScratch::new(rows, cols),
        contexts: Vec::with_capacity(2 * cfg.window * rows.max(1)),
        ctx_start: Vec::with_capacity(rows + 1),
        centers: Vec::with_capacity(rows),
        center_col: Vec::with_capacity(rows),
        out_ids: Vec::with_capacity(cols),
        noise_mult: Vec::with_capacity(cols),
        pending: Vec::with_capacity(cfg.negative),
        pending_ready: false,
        pos: Vec::with_capacity(rows * cols),
        neg: Vec::with_capacity(rows * cols),
        inputs: Vec::with_capacity(rows),
        deltas: Vec::with_capacity(rows),
        outputs: Vec::with_capacity(cols),
        hidden: vec![0.0; hidden],
        hidden_err: vec![0.0; hidden],
        rows,
    }
}

/// Trains on one sentence (word ids after subsampling, `</s>` removed) with the batched method,
/// for skip-gram or CBOW with negative sampling. `alpha` is the current learning rate; `rng` the
/// worker's generator (window shrink and noise draws). Sentences of any length are fine (0 and 1
/// train nothing, windows wider than the sentence are clipped).
pub(crate) fn train_sentence_batched(
    w: &SharedWeights,
    sentence: &[u32],
    cfg: &Word2VecConfig,
    noise: &NoiseSampler,
    alpha: f32,
    rng: &mut Lcg,
    scratch: &mut BatchedScratch,
) {
    if cfg.negative == 0 || cfg.window == 0 || sentence.len() < 2 {
        return;
    }
    match cfg.architecture {
        Architecture::SkipGram => skip_gram(w, sentence, cfg, noise, alpha, rng, scratch),
        Architecture::Cbow => cbow(w, sentence, cfg, noise, alpha, rng, scratch),
    }
}

/// `syn1neg` rows without the per-call table check of [`SharedWeights::row1neg`].
#[derive(Clone, Copy)]
struct OutRows {
    base: *mut f32,
    stride: usize,
}

impl OutRows {
    fn new(w: &SharedWeights) -> Self {
        OutRows { base: w.syn1neg_ptr().expect("the batched path needs syn1neg (negative sampling)"), stride: w.stride() }
    }

    #[inline(always)]
    fn row(self, id: u32) -> *mut f32 {
        self.base.wrapping_add(id as usize * self.stride)
    }
}

/// Draws the next batch's `k` noise words into `s.pending` and prefetches their output rows.
#[inline]
fn draw_pending(out: OutRows, dim: usize, k: usize, noise: &NoiseSampler, rng: &mut Lcg, s: &mut BatchedScratch) {
    s.pending.clear();
    // Draw all first so the alias-table loads overlap, then start fetching the rows.
    for _ in 0..k {
        s.pending.push(noise.sample(rng.next()));
    }
    for &id in &s.pending {
        kernels::prefetch_row(out.row(id), dim);
    }
    s.pending_ready = true;
}

/// Adds the pending noise words to the outputs (`s.out_ids` already holds the positive words),
/// merging repeats into a multiplicity; `skip` is dropped (the center of a skip-gram batch).
#[inline]
fn take_pending(s: &mut BatchedScratch, skip: Option<u32>) {
    for &id in &s.pending {
        if Some(id) == skip {
            continue;
        }
        match s.out_ids.iter().position(|&o| o == id) {
            Some(p) => s.noise_mult[p] += 1.0,
            None => {
                s.out_ids.push(id);
                s.noise_mult.push(1.0);
            }
        }
    }
    s.pending_ready = false;
}

/// `[lo, hi)`: the positions of the shrunk window around `pos` (the C tool's `b` is drawn by the caller).
#[inline]
fn window_bounds(pos: usize, len: usize, radius: usize) -> (usize, usize) {
    (pos.saturating_sub(radius), (pos + radius + 1).min(len))
}

fn skip_gram(
    w: &SharedWeights,
    sentence: &[u32],
    cfg: &Word2VecConfig,
    noise: &NoiseSampler,
    alpha: f32,
    rng: &mut Lcg,
    s: &mut BatchedScratch,
) {
    let (window, k, dim, rows) = (cfg.window, cfg.negative, w.dim(), s.rows);
    let len = sentence.len();
    let out = OutRows::new(w);
    if !s.pending_ready {
        draw_pending(out, dim, k, noise, rng, s);
    }
    for pos in 0..len {
        let center = sentence[pos];
        // Prefetch what the next window adds: its center's output row and its farthest context.
        if pos + 1 < len {
            kernels::prefetch_row(out.row(sentence[pos + 1]), dim);
            if pos + 1 + window < len {
                kernels::prefetch_row(w.row0(sentence[pos + 1 + window]), dim);
            }
        }
        let radius = window - below(rng.next(), window);
        let (lo, hi) = window_bounds(pos, len, radius);
        s.contexts.clear();
        s.contexts.extend(sentence[lo..pos].iter().chain(&sentence[pos + 1..hi]));
        let mut start = 0;
        while start < s.contexts.len() {
            let end = (start + rows).min(s.contexts.len());
            let b = end - start;
            s.out_ids.clear();
            s.noise_mult.clear();
            s.out_ids.push(center);
            s.noise_mult.push(0.0);
            take_pending(s, Some(center));
            let o = s.out_ids.len();
            s.pos.clear();
            s.neg.clear();
            for _ in 0..b {
                s.pos.push(1.0);
                s.neg.push(0.0);
                for c in 1..o {
                    s.pos.push(0.0);
                    s.neg.push(s.noise_mult[c]);
                }
            }
            s.inputs.clear();
            s.deltas.clear();
            for &c in &s.contexts[start..end] {
                let r = w.row0(c);
                s.inputs.push(r);
                s.deltas.push(r);
            }
            s.outputs.clear();
            s.outputs.extend(s.out_ids.iter().map(|&id| out.row(id)));
            // Draw (and start fetching) the next batch's noise words before this batch's math.
            draw_pending(out, dim, k, noise, rng, s);
            // SAFETY: every row pointer comes from `w` for an in-vocabulary id and spans `dim`
            // floats; the output ids are distinct (deduplicated above) and live in `syn1neg`,
            // disjoint from the `syn0` inputs; deltas equal their inputs (allowed).
            unsafe { kernels::ns_update(&s.inputs, &s.outputs, &s.pos, &s.neg, alpha, dim, &s.deltas, &mut s.ns) };
            start = end;
        }
    }
}

fn cbow(
    w: &SharedWeights,
    sentence: &[u32],
    cfg: &Word2VecConfig,
    noise: &NoiseSampler,
    alpha: f32,
    rng: &mut Lcg,
    s: &mut BatchedScratch,
) {
    let (window, k, dim, rows) = (cfg.window, cfg.negative, w.dim(), s.rows);
    let len = sentence.len();
    let out = OutRows::new(w);
    if s.hidden.len() < rows * dim {
        s.hidden.resize(rows * dim, 0.0);
        s.hidden_err.resize(rows * dim, 0.0);
    }
    if !s.pending_ready {
        draw_pending(out, dim, k, noise, rng, s);
    }
    let mut pos = 0;
    while pos < len {
        // Collect up to `rows` centers that have at least one context.
        s.contexts.clear();
        s.ctx_start.clear();
        s.ctx_start.push(0);
        s.centers.clear();
        while s.centers.len() < rows && pos < len {
            let radius = window - below(rng.next(), window);
            let (lo, hi) = window_bounds(pos, len, radius);
            if hi - lo > 1 {
                s.contexts.extend(sentence[lo..pos].iter().chain(&sentence[pos + 1..hi]));
                s.ctx_start.push(s.contexts.len());
                s.centers.push(sentence[pos]);
            }
            pos += 1;
        }
        // Prefetch the output row of the next batch's first center.
        if pos < len {
            kernels::prefetch_row(out.row(sentence[pos]), dim);
        }
        let t = s.centers.len();
        if t == 0 {
            continue;
        }
        // Hidden vectors: mean (or sum) of each center's context rows.
        for j in 0..t {
            s.inputs.clear();
            for &c in &s.contexts[s.ctx_start[j]..s.ctx_start[j + 1]] {
                s.inputs.push(w.row0(c));
            }
            let count = s.inputs.len();
            let scale = if cfg.cbow_mean { 1.0 / count as f32 } else { 1.0 };
            // SAFETY: each input row spans `dim` floats of `syn0`; `hidden` holds `rows·dim`
            // floats and does not overlap the tables.
            unsafe { kernels::sum_rows_raw(&s.inputs, dim, scale, s.hidden.as_mut_ptr().add(j * dim)) };
        }
        // Outputs: the distinct centers, then the shared noise words.
        s.out_ids.clear();
        s.noise_mult.clear();
        s.center_col.clear();
        for j in 0..t {
            let c = s.centers[j];
            let col = match s.out_ids.iter().position(|&o| o == c) {
                Some(p) => p,
                None => {
                    s.out_ids.push(c);
                    s.noise_mult.push(0.0);
                    s.out_ids.len() - 1
                }
            };
            s.center_col.push(col);
        }
        take_pending(s, None);
        let o = s.out_ids.len();
        s.pos.clear();
        s.neg.clear();
        for j in 0..t {
            let own = s.center_col[j];
            for c in 0..o {
                s.pos.push(if c == own { 1.0 } else { 0.0 });
                s.neg.push(if c == own { 0.0 } else { s.noise_mult[c] });
            }
        }
        s.inputs.clear();
        s.deltas.clear();
        s.hidden_err[..t * dim].fill(0.0);
        for j in 0..t {
            // SAFETY: `j < t <= rows` and both buffers hold `rows·dim` floats.
            unsafe {
                s.inputs.push(s.hidden.as_ptr().add(j * dim));
                s.deltas.push(s.hidden_err.as_mut_ptr().add(j * dim));
            }
        }
        s.outputs.clear();
        s.outputs.extend(s.out_ids.iter().map(|&id| out.row(id)));
        draw_pending(out, dim, k, noise, rng, s);
        // SAFETY: inputs/deltas point into this scratch (distinct rows of `dim` floats), outputs
        // to distinct `syn1neg` rows of `dim` floats.
        unsafe { kernels::ns_update(&s.inputs, &s.outputs, &s.pos, &s.neg, alpha, dim, &s.deltas, &mut s.ns) };
        // Every context row of center j receives Δh_j in full (the C tool's rule).
        for j in 0..t {
            s.outputs.clear();
            s.outputs.extend(s.contexts[s.ctx_start[j]..s.ctx_start[j + 1]].iter().map(|&c| w.row0(c)));
            // SAFETY: the error row spans `dim` floats of scratch; each context row `dim` floats
            // of `syn0` (a context listed twice gets the error twice, as in the C tool).
            unsafe { kernels::add_to_rows_raw(&s.outputs, s.deltas[j], dim) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::word2vec::weights::Table;

    fn sigma(s: f64) -> f64 {
        if s > 6.0 {
            1.0
        } else if s < -6.0 {
            0.0
        } else {
            1.0 / (1.0 + (-s).exp())
        }
    }

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
    }

    /// Dense copies of the tables, `[words][dim]`.
    fn tables(w: &mut SharedWeights) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let d = w.dim();
        let split = |v: Vec<f32>| v.chunks(d).map(|r| r.to_vec()).collect::<Vec<_>>();
        (split(w.export(Table::Syn0)), split(w.export(Table::Syn1neg)))
    }

    /// Random non-zero `syn1neg` so the first updates already exercise every term.
    fn randomize_syn1neg(w: &mut SharedWeights, seed: u64) {
        let mut r = Lcg::new(seed);
        for id in 0..w.words() {
            for x in w.row_slice_mut(Table::Syn1neg, id) {
                *x = ((r.next() >> 16) & 0xFFFF) as f32 / 65536.0 - 0.5;
            }
        }
    }

    fn draw(k: usize, noise: &NoiseSampler, rng: &mut Lcg) -> Vec<u32> {
        (0..k).map(|_| noise.sample(rng.next())).collect()
    }

    /// Plain-loop reference of the skip-gram batched step, same random-number order.
    #[allow(clippy::too_many_arguments)]
    fn reference_sg(
        syn0: &mut [Vec<f32>],
        syn1: &mut [Vec<f32>],
        sentence: &[u32],
        cfg: &Word2VecConfig,
        noise: &NoiseSampler,
        alpha: f32,
        rng: &mut Lcg,
        pending: &mut Option<Vec<u32>>,
    ) {
        if sentence.len() < 2 {
            return;
        }
        let (window, k, rows) = (cfg.window, cfg.negative, cfg.batch_rows());
        if pending.is_none() {
            *pending = Some(draw(k, noise, rng));
        }
        for pos in 0..sentence.len() {
            let center = sentence[pos];
            let radius = window - below(rng.next(), window);
            let ctx: Vec<u32> =
                (0..sentence.len()).filter(|&c| c != pos && c + radius >= pos && c <= pos + radius).map(|c| sentence[c]).collect();
            for batch in ctx.chunks(rows) {
                let negs = pending.replace(draw(k, noise, rng)).unwrap();
                let mut outs = vec![(center, 1.0f64, 0.0f64)];
                for n in negs {
                    if n == center {
                        continue;
                    }
                    match outs.iter_mut().find(|o| o.0 == n) {
                        Some(o) => o.2 += 1.0,
                        None => outs.push((n, 0.0, 1.0)),
                    }
                }
                let old_in: Vec<Vec<f32>> = batch.iter().map(|&c| syn0[c as usize].clone()).collect();
                let old_out: Vec<Vec<f32>> = outs.iter().map(|o| syn1[o.0 as usize].clone()).collect();
                for (i, &c) in batch.iter().enumerate() {
                    for (o, &(id, p, q)) in outs.iter().enumerate() {
                        let g = alpha as f64 * (p - (p + q) * sigma(dot(&old_in[i], &old_out[o])));
                        for j in 0..old_in[i].len() {
                            syn0[c as usize][j] = (syn0[c as usize][j] as f64 + g * old_out[o][j] as f64) as f32;
                            syn1[id as usize][j] = (syn1[id as usize][j] as f64 + g * old_in[i][j] as f64) as f32;
                        }
                    }
                }
            }
        }
    }

    /// Plain-loop reference of the CBOW batched step, same random-number order.
    #[allow(clippy::too_many_arguments)]
    fn reference_cbow(
        syn0: &mut [Vec<f32>],
        syn1: &mut [Vec<f32>],
        sentence: &[u32],
        cfg: &Word2VecConfig,
        noise: &NoiseSampler,
        alpha: f32,
        rng: &mut Lcg,
        pending: &mut Option<Vec<u32>>,
    ) {
        if sentence.len() < 2 {
            return;
        }
        let (window, k, rows) = (cfg.window, cfg.negative, cbow_centers(cfg));
        let d = syn0[0].len();
        if pending.is_none() {
            *pending = Some(draw(k, noise, rng));
        }
        let mut pos = 0;
        while pos < sentence.len() {
            let mut group: Vec<(u32, Vec<u32>)> = Vec::new();
            while group.len() < rows && pos < sentence.len() {
                let radius = window - below(rng.next(), window);
                let ctx: Vec<u32> =
                    (0..sentence.len()).filter(|&c| c != pos && c + radius >= pos && c <= pos + radius).map(|c| sentence[c]).collect();
                if !ctx.is_empty() {
                    group.push((sentence[pos], ctx));
                }
                pos += 1;
            }
            if group.is_empty() {
                continue;
            }
            let negs = pending.replace(draw(k, noise, rng)).unwrap();
            let hidden: Vec<Vec<f64>> = group
                .iter()
                .map(|(_, ctx)| {
                    let s = if cfg.cbow_mean { 1.0 / ctx.len() as f64 } else { 1.0 };
                    (0..d).map(|j| ctx.iter().map(|&c| syn0[c as usize][j] as f64).sum::<f64>() * s).collect()
                })
                .collect();
            let mut outs: Vec<u32> = Vec::new();
            for (c, _) in &group {
                if !outs.contains(c) {
                    outs.push(*c);
                }
            }
            let mut mult = vec![0.0f64; outs.len()];
            for n in negs {
                match outs.iter().position(|&o| o == n) {
                    Some(p) => mult[p] += 1.0,
                    None => {
                        outs.push(n);
                        mult.push(1.0);
                    }
                }
            }
            let old_out: Vec<Vec<f32>> = outs.iter().map(|&o| syn1[o as usize].clone()).collect();
            let mut err = vec![vec![0.0f64; d]; group.len()];
            let mut new_out: Vec<Vec<f64>> = old_out.iter().map(|r| r.iter().map(|&x| x as f64).collect()).collect();
            for (j, (center, _)) in group.iter().enumerate() {
                for (o, &id) in outs.iter().enumerate() {
                    let (p, q) = if id == *center { (1.0, 0.0) } else { (0.0, mult[o]) };
                    let s: f64 = (0..d).map(|x| hidden[j][x] * old_out[o][x] as f64).sum();
                    let g = alpha as f64 * (p - (p + q) * sigma(s));
                    for x in 0..d {
                        err[j][x] += g * old_out[o][x] as f64;
                        new_out[o][x] += g * hidden[j][x];
                    }
                }
            }
            for (o, &id) in outs.iter().enumerate() {
                syn1[id as usize] = new_out[o].iter().map(|&x| x as f32).collect();
            }
            for (j, (_, ctx)) in group.iter().enumerate() {
                let e: Vec<f32> = err[j].iter().map(|&x| x as f32).collect();
                for &c in ctx {
                    for x in 0..d {
                        syn0[c as usize][x] += e[x];
                    }
                }
            }
        }
    }

    fn counts(words: usize) -> Vec<u64> {
        (0..words as u64).map(|i| 1000u64.checked_div(i).map_or(0, |q| q + 1)).collect()
    }

    fn sentence(len: usize, words: u32, seed: u64) -> Vec<u32> {
        let mut r = Lcg::new(seed);
        // Skewed ids so words repeat inside windows.
        (0..len).map(|_| 1 + ((r.next() >> 33) % (words as u64 - 1)) as u32 / (1 + (r.next() >> 62) as u32)).collect()
    }

    fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>], what: &str) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            for (j, (u, v)) in x.iter().zip(y).enumerate() {
                assert!((u - v).abs() <= 1e-6, "{what}[{i}][{j}]: {u} vs {v}");
            }
        }
    }

    fn check(cfg: &Word2VecConfig, words: usize, sentences: &[Vec<u32>]) {
        let noise = NoiseSampler::new(&counts(words), 0.75).unwrap();
        let mut w = SharedWeights::new(words, cfg.dim, true, 0, 7).unwrap();
        randomize_syn1neg(&mut w, 9);
        let (mut syn0, mut syn1) = tables(&mut w);
        let mut rng = Lcg::new(5);
        let mut rng_ref = Lcg::new(5);
        let mut pending = None;
        let mut scratch = new_scratch(cfg, w.stride());
        for (n, s) in sentences.iter().enumerate() {
            let alpha = 0.05 / (1.0 + n as f32);
            train_sentence_batched(&w, s, cfg, &noise, alpha, &mut rng, &mut scratch);
            match cfg.architecture {
                Architecture::SkipGram => reference_sg(&mut syn0, &mut syn1, s, cfg, &noise, alpha, &mut rng_ref, &mut pending),
                Architecture::Cbow => reference_cbow(&mut syn0, &mut syn1, s, cfg, &noise, alpha, &mut rng_ref, &mut pending),
            }
        }
        assert_eq!(rng, rng_ref, "random numbers consumed differently");
        let (got0, got1) = tables(&mut w);
        assert_close(&got0, &syn0, "syn0");
        assert_close(&got1, &syn1, "syn1neg");
        // The padding after `dim` stays zero: nothing is written past a row.
        for id in 0..words as u32 {
            // SAFETY: single-threaded; the padding floats lie inside the allocation.
            let pad = unsafe { std::slice::from_raw_parts(w.row0(id).add(cfg.dim), w.stride() - cfg.dim) };
            assert!(pad.iter().all(|&x| x == 0.0), "syn0 padding of row {id} was written");
            let pad = unsafe { std::slice::from_raw_parts(w.row1neg(id).add(cfg.dim), w.stride() - cfg.dim) };
            assert!(pad.iter().all(|&x| x == 0.0), "syn1neg padding of row {id} was written");
        }
    }

    fn sg(dim: usize, window: usize, negative: usize, batch_size: usize) -> Word2VecConfig {
        Word2VecConfig { dim, window, negative, batch_size, architecture: Architecture::SkipGram, ..Default::default() }
    }

    #[test]
    fn skip_gram_matches_the_naive_reference() {
        let sentences: Vec<Vec<u32>> = (0..4).map(|i| sentence(25 + 7 * i, 12, i as u64)).collect();
        for dim in [1, 7, 17, 40] {
            check(&sg(dim, 3, 4, 0), 12, &sentences);
        }
        // Windows split into batches of 2 rows, each with its own noise words.
        check(&sg(13, 4, 3, 2), 12, &sentences);
        // Many noise words over a tiny vocabulary: heavy duplicates and center collisions.
        check(&sg(9, 2, 20, 0), 6, &sentences.iter().map(|s| s.iter().map(|&x| 1 + x % 5).collect()).collect::<Vec<_>>());
    }

    #[test]
    fn cbow_matches_the_naive_reference() {
        let sentences: Vec<Vec<u32>> = (0..4).map(|i| sentence(23 + 5 * i, 12, 10 + i as u64)).collect();
        for (dim, centers, mean) in [(7, 1, true), (17, 3, true), (20, 4, false), (5, 64, true)] {
            let cfg = Word2VecConfig {
                dim,
                window: 3,
                negative: 6,
                batch_size: centers,
                cbow_mean: mean,
                architecture: Architecture::Cbow,
                ..Default::default()
            };
            check(&cfg, 12, &sentences);
        }
    }

    #[test]
    fn short_sentences_and_wide_windows_stay_in_bounds() {
        let short: Vec<Vec<u32>> = vec![vec![], vec![3], vec![3, 3], vec![1, 2], vec![4, 5, 6], vec![2]];
        check(&sg(5, 10, 3, 0), 8, &short);
        check(&sg(5, 10, 3, 1), 8, &short);
        let cbow = Word2VecConfig { dim: 5, window: 10, negative: 3, architecture: Architecture::Cbow, ..Default::default() };
        check(&cbow, 8, &short);
    }

    #[test]
    fn one_word_sentences_change_nothing() {
        let cfg = sg(4, 5, 5, 0);
        let noise = NoiseSampler::new(&counts(5), 0.75).unwrap();
        let mut w = SharedWeights::new(5, 4, true, 0, 1).unwrap();
        let before = tables(&mut w);
        let mut rng = Lcg::new(1);
        let mut scratch = new_scratch(&cfg, w.stride());
        train_sentence_batched(&w, &[2], &cfg, &noise, 0.1, &mut rng, &mut scratch);
        train_sentence_batched(&w, &[], &cfg, &noise, 0.1, &mut rng, &mut scratch);
        assert_eq!(tables(&mut w), before);
        assert_eq!(rng, Lcg::new(1), "no random numbers drawn for sentences without pairs");
    }
}
