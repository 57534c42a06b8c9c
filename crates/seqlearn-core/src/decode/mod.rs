//! CTC decoders: best path (greedy) and prefix beam search (Hannun et al. 2014) with per-frame
//! token pruning, beam pruning, n-best lists, per-token frame timestamps, shallow fusion with a
//! language model (`log p_ctc + α log p_lm + β·|words|`: our n-gram models at character or word
//! level, or any [`lm::CtcLm`]) and hotword boosting (pyctcdecode's rule). Batches decode in
//! parallel over items on the seqlearn pool.
//!
//! Emissions are `[T, N, C]` (or `[N, T, C]` with `batch_first`, or `[T, C]` for one item) as
//! logits (log-softmaxed per frame here; normalised log-probabilities pass through unchanged, so
//! this default is safe for both), log-probabilities (used as given; `−∞` allowed) or
//! probabilities (their natural log is taken). Argument names in errors are the JavaScript ones.

pub mod beam;
pub mod greedy;
pub mod hotwords;
pub mod lm;

#[cfg(test)]
mod tests;

pub use beam::{beam_search, beam_search_batch, BeamSearchOptions, Decoder};
pub use greedy::greedy_decode;
pub use hotwords::Hotwords;
pub use lm::{CtcLm, LmLevel, LmQuery, LmScore, LmUnit, NgramScorer, WordTrie};

use crate::error::{Error, Result};

/// How emission values are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Unnormalised scores; each frame is log-softmaxed (must be finite).
    Logits,
    /// Log-probabilities, used as given (`−∞` allowed, NaN and `+∞` not).
    LogProbs,
    /// Probabilities in `[0, ∞)`; their natural log is taken (0 → `−∞`).
    Probs,
}

impl InputKind {
    /// Parses `'logits' | 'logProbs' | 'probs'`; the error names `inputKind`.
    pub fn parse(s: &str) -> Result<InputKind> {
        match s {
            "logits" => Ok(InputKind::Logits),
            "logProbs" => Ok(InputKind::LogProbs),
            "probs" => Ok(InputKind::Probs),
            _ => Err(Error::invalid("inputKind", format!("expected 'logits', 'logProbs' or 'probs', got '{s}'"))),
        }
    }
}

/// A batch of emissions as given by the user.
#[derive(Clone, Copy, Debug)]
pub struct Emissions<'a> {
    /// Row-major values.
    pub data: &'a [f32],
    /// `[T, N, C]`, `[N, T, C]` (`batch_first`) or `[T, C]`.
    pub shape: &'a [usize],
    /// Whether the batch dimension comes first (rank 3 only).
    pub batch_first: bool,
    /// Frames per item (`0..=T`); `None` = all `T`.
    pub lengths: Option<&'a [usize]>,
    /// How to read the values.
    pub kind: InputKind,
    /// Index of the blank class.
    pub blank: usize,
}

/// The checked dimensions of [`Emissions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Frames.
    pub steps: usize,
    /// Items.
    pub batch: usize,
    /// Classes (blank included).
    pub classes: usize,
}

impl<'a> Emissions<'a> {
    /// Checks shape, blank and lengths. Errors name `emissions`, `blank`, `lengths`/`lengths[i]`.
    pub fn dims(&self) -> Result<Dims> {
        let (steps, batch, classes) = match *self.shape {
            [t, c] => {
                if self.batch_first {
                    return Err(Error::invalid("batchFirst", format!("needs rank-3 emissions [N, T, C], got rank 2 {:?}", self.shape)));
                }
                (t, 1, c)
            }
            [a, b, c] => {
                if self.batch_first {
                    (b, a, c)
                } else {
                    (a, b, c)
                }
            }
            _ => return Err(Error::invalid("emissions", format!("expected rank 3 [T, N, C] (or [N, T, C] with batchFirst, or [T, C]), got rank {} {:?}", self.shape.len(), self.shape))),
        };
        if classes == 0 {
            return Err(Error::invalid("emissions", format!("expected at least 1 class (the blank), got shape {:?}", self.shape)));
        }
        let n = steps * batch * classes;
        if self.data.len() != n {
            return Err(Error::invalid("emissions", format!("shape {:?} needs {n} values, got {}", self.shape, self.data.len())));
        }
        if classes > u32::MAX as usize / 2 {
            return Err(Error::invalid("emissions", format!("{classes} classes are too many")));
        }
        if self.blank >= classes {
            return Err(Error::invalid("blank", format!("expected a class index in 0..{classes} (the emissions' last dimension), got {}", self.blank)));
        }
        if let Some(l) = self.lengths {
            if l.len() != batch {
                return Err(Error::invalid("lengths", format!("expected {batch} lengths (one per item), got {}", l.len())));
            }
            if let Some((i, &v)) = l.iter().enumerate().find(|(_, &v)| v > steps) {
                return Err(Error::invalid(format!("lengths[{i}]"), format!("expected an integer in 0..={steps} (the emissions' time dimension), got {v}")));
            }
        }
        Ok(Dims { steps, batch, classes })
    }

    /// Frames of item `n`.
    pub fn length(&self, d: &Dims, n: usize) -> usize {
        self.lengths.map_or(d.steps, |l| l[n])
    }

    /// Row `(t, n)` (C values).
    #[inline]
    pub fn row(&self, d: &Dims, t: usize, n: usize) -> &'a [f32] {
        let r = if self.shape.len() == 3 && self.batch_first { n * d.steps + t } else { t * d.batch + n };
        &self.data[r * d.classes..(r + 1) * d.classes]
    }

    /// Natural-log probabilities of item `n`'s frames into `out` (`[len, C]`, resized). Errors
    /// name `emissions` and the index `[t, n, c]` of a NaN/±∞ (logits), NaN/+∞ (log-probs) or
    /// negative/non-finite (probs) value.
    pub fn log_probs(&self, d: &Dims, n: usize, out: &mut Vec<f32>) -> Result<()> {
        let len = self.length(d, n);
        let c = d.classes;
        out.clear();
        out.resize(len * c, 0.0);
        for t in 0..len {
            self.frame_log_probs(d, t, n, &mut out[t * c..(t + 1) * c])?;
        }
        Ok(())
    }

    /// Natural-log probabilities of frame `(t, n)` into `dst` (C values); errors as
    /// [`Self::log_probs`].
    pub fn frame_log_probs(&self, d: &Dims, t: usize, n: usize, dst: &mut [f32]) -> Result<()> {
        let row = self.row(d, t, n);
        let bad = |k: usize, x: f32, want: &str| {
            let at = match (self.shape.len(), self.batch_first) {
                (2, _) => format!("[{t}, {k}]"),
                (_, true) => format!("[{n}, {t}, {k}]"),
                _ => format!("[{t}, {n}, {k}]"),
            };
            Error::invalid("emissions", format!("expected {want}, got {x} at {at}"))
        };
        match self.kind {
            InputKind::Logits => {
                let mut m = f32::NEG_INFINITY;
                for (k, &x) in row.iter().enumerate() {
                    if !x.is_finite() {
                        return Err(bad(k, x, "finite logits"));
                    }
                    m = m.max(x);
                }
                let s: f32 = row.iter().map(|&x| (x - m).exp()).sum();
                let lse = m + s.ln();
                for (o, &x) in dst.iter_mut().zip(row) {
                    *o = x - lse;
                }
            }
            InputKind::LogProbs => {
                for (k, (o, &x)) in dst.iter_mut().zip(row).enumerate() {
                    if x.is_nan() || x == f32::INFINITY {
                        return Err(bad(k, x, "log-probabilities (finite or −∞)"));
                    }
                    *o = x;
                }
            }
            InputKind::Probs => {
                for (k, (o, &x)) in dst.iter_mut().zip(row).enumerate() {
                    if !(x.is_finite() && x >= 0.0) {
                        return Err(bad(k, x, "probabilities (finite, ≥ 0)"));
                    }
                    *o = x.ln();
                }
            }
        }
        Ok(())
    }
}

/// One decoded hypothesis.
#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    /// Class ids (blanks removed, repeats collapsed).
    pub tokens: Vec<u32>,
    /// Frame of each token (see [`beam`] for the rule; greedy: the first frame of its run).
    pub timesteps: Vec<u32>,
    /// Ranking score: `ctc_score + α·lm_score + β·word_count` plus hotword and unknown-word terms.
    pub score: f64,
    /// `ln p_ctc`: the labelling's probability summed over its alignments (beam search) or the
    /// best path's log-probability (greedy).
    pub ctc_score: f64,
    /// Raw `ln p_lm` of the hypothesis (with `</s>`), not multiplied by α; 0 without an LM.
    pub lm_score: f64,
    /// Words counted for β (every token without a word delimiter; 0 from greedy decoding).
    pub word_count: u32,
}
