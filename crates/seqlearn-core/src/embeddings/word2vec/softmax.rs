//! The full softmax of the lecture notes, for small vocabularies: the probability of the center
//! word `o` given the input vector `x` (a context word's row in skip-gram, the mean or sum of
//! the context rows in CBOW) is
//!
//! `p(o | x) = exp(u_oᵀ x) / Σ_w exp(u_wᵀ x)`,
//!
//! with `u_w` the output vectors (stored in the `syn1neg` table). One step descends
//! `L = −ln p(o | x)`: with `g_w = α·([w = o] − p(w | x))`, `e += Σ_w g_w·u_w` (the input's error,
//! applied by the caller) and `u_w += g_w·x` for every `w`. The sum runs over every word except
//! `</s>` (id 0), which is never a center or context word. Scores are shifted by their maximum
//! before `exp`, so no overflow for any input. A step costs `3·V·dim` flops, which is why
//! [`FULL_SOFTMAX_MAX_VOCAB`](super::config::FULL_SOFTMAX_MAX_VOCAB) bounds `V`.

use crate::activation::exp;
use crate::embeddings::word2vec::hogwild::{dot, fused_update, row_mut};
use crate::embeddings::word2vec::weights::SharedWeights;

/// One full-softmax step for input `x` (a padded row of `stride` floats) and center `word`;
/// `scores` holds at least `words` floats of scratch. Accumulates the input's error into `e`.
#[inline(always)]
pub(crate) fn full_softmax_step(w: &SharedWeights, x: &[f32], word: u32, alpha: f32, scores: &mut [f32], e: &mut [f32]) {
    let n = w.stride();
    let words = w.words();
    let scores = &mut scores[..words];
    let mut max = f32::NEG_INFINITY;
    for (k, s) in scores.iter_mut().enumerate().skip(1) {
        // SAFETY: `k < words`: a row of `syn1neg`.
        let u = unsafe { row_mut(w.row1neg(k as u32), n) };
        *s = dot(x, u);
        max = max.max(*s);
    }
    let mut sum = 0.0f32;
    for s in scores.iter_mut().skip(1) {
        *s = exp(*s - max);
        sum += *s;
    }
    let inv = 1.0 / sum;
    for (k, &s) in scores.iter().enumerate().skip(1) {
        let label = if k as u32 == word { 1.0 } else { 0.0 };
        let g = (label - s * inv) * alpha;
        // SAFETY: as above.
        let u = unsafe { row_mut(w.row1neg(k as u32), n) };
        fused_update(g, x, u, e);
    }
}
