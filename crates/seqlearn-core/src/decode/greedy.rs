//! Best-path (greedy) CTC decoding: the argmax class of every frame (first maximum on ties, like
//! `torch.argmax`), consecutive repeats collapsed, blanks removed — a blank between two equal
//! labels keeps both. Each token's timestep is the first frame of its run; the score is the
//! best path's log-probability `Σₜ ln yₜ(argmax)`.

use rayon::prelude::*;

use super::{Emissions, Hypothesis};
use crate::error::Result;
use crate::parallel;

/// Greedy decoding of every item (parallel over items). Errors: see [`Emissions::dims`]; values
/// are checked as in [`Emissions::log_probs`].
pub fn greedy_decode(e: &Emissions<'_>) -> Result<Vec<Hypothesis>> {
    let d = e.dims()?;
    let one = |n: usize| -> Result<Hypothesis> {
        let len = e.length(&d, n);
        let mut tokens = Vec::new();
        let mut timesteps = Vec::new();
        let mut score = 0.0f64;
        let mut prev = usize::MAX;
        let mut lp = vec![0.0f32; d.classes];
        for t in 0..len {
            e.frame_log_probs(&d, t, n, &mut lp)?;
            let mut best = 0;
            for (k, &x) in lp.iter().enumerate() {
                if x > lp[best] {
                    best = k;
                }
            }
            score += f64::from(lp[best]);
            if best != prev && best != e.blank {
                tokens.push(best as u32);
                timesteps.push(t as u32);
            }
            prev = best;
        }
        Ok(Hypothesis { tokens, timesteps, score, ctc_score: score, lm_score: 0.0, word_count: 0 })
    };
    let results: Vec<Result<Hypothesis>> =
        if d.batch > 1 && d.steps * d.classes * d.batch > 1 << 14 { parallel::install(|| (0..d.batch).into_par_iter().map(one).collect()) } else { (0..d.batch).map(one).collect() };
    results.into_iter().collect()
}
