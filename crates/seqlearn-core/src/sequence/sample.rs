//! Drawing the next token from logits for generation: temperature, top-k and nucleus (top-p)
//! filtering as Hugging Face `generate` applies them (temperature first, then top-k, then
//! top-p keeping the smallest set whose probability reaches `p`, at least one token).
//! Temperature 0 means greedy (argmax).

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Sampling options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleOptions {
    /// Divides the logits (0 = greedy). Default 1.
    pub temperature: f32,
    /// Keep only the `k` most likely tokens (0 = all). Default 0.
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches `p` (1 = all). Default 1.
    pub top_p: f32,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions { temperature: 1.0, top_k: 0, top_p: 1.0 }
    }
}

impl SampleOptions {
    /// Checks the options, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return Err(Error::invalid("temperature", format!("expected a finite value ≥ 0, got {}", self.temperature)));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(Error::invalid("topP", format!("expected a value in (0, 1], got {}", self.top_p)));
        }
        Ok(())
    }
}

/// Samples one token id per row of `logits` (`rows × vocab`, row-major).
pub fn sample_logits(logits: &[f32], vocab: usize, options: &SampleOptions, rng: &mut Rng) -> Result<Vec<u32>> {
    options.validate()?;
    if vocab == 0 || !logits.len().is_multiple_of(vocab) {
        return Err(Error::invalid("logits", format!("length {} is not a multiple of the vocabulary size {vocab}", logits.len())));
    }
    if let Some(i) = logits.iter().position(|v| v.is_nan()) {
        return Err(Error::invalid("logits", format!("NaN at index {i}")));
    }
    let mut out = Vec::with_capacity(logits.len() / vocab);
    let mut probs = vec![0.0f64; vocab];
    let mut order: Vec<u32> = Vec::with_capacity(vocab);
    for row in logits.chunks_exact(vocab) {
        let (arg, &max) = row.iter().enumerate().fold((0, &f32::NEG_INFINITY), |a, b| if *b.1 > *a.1 { b } else { a });
        if options.temperature == 0.0 || max == f32::INFINITY {
            out.push(arg as u32);
            continue;
        }
        if max == f32::NEG_INFINITY {
            return Err(Error::invalid("logits", "every logit of a row is −∞: nothing to sample"));
        }
        let inv_t = 1.0 / options.temperature as f64;
        for (p, &l) in probs.iter_mut().zip(row) {
            *p = ((l as f64 - max as f64) * inv_t).exp();
        }
        let k = if options.top_k == 0 { vocab } else { options.top_k.min(vocab) };
        if k < vocab || options.top_p < 1.0 {
            order.clear();
            order.extend(0..vocab as u32);
            // Descending by probability, ties by lower id (deterministic).
            let cmp = |a: &u32, b: &u32| probs[*b as usize].partial_cmp(&probs[*a as usize]).unwrap().then(a.cmp(b));
            if k < vocab {
                order.select_nth_unstable_by(k - 1, cmp);
                order.truncate(k);
            }
            order.sort_unstable_by(cmp);
            if options.top_p < 1.0 {
                let total: f64 = order.iter().map(|&i| probs[i as usize]).sum();
                let mut acc = 0.0;
                let mut keep = order.len();
                for (n, &i) in order.iter().enumerate() {
                    acc += probs[i as usize] / total;
                    if acc >= options.top_p as f64 {
                        keep = n + 1;
                        break;
                    }
                }
                order.truncate(keep.max(1));
            }
            let total: f64 = order.iter().map(|&i| probs[i as usize]).sum();
            let mut u = rng.next_f64() * total;
            let mut pick = order[order.len() - 1];
            for &i in &order {
                u -= probs[i as usize];
                if u < 0.0 {
                    pick = i;
                    break;
                }
            }
            out.push(pick);
        } else {
            let total: f64 = probs.iter().sum();
            let mut u = rng.next_f64() * total;
            let mut pick = arg as u32;
            for (i, &p) in probs.iter().enumerate() {
                u -= p;
                if u < 0.0 {
                    pick = i as u32;
                    break;
                }
            }
            out.push(pick);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freqs(logits: &[f32], o: SampleOptions, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(3);
        let mut c = vec![0.0; logits.len()];
        for _ in 0..n {
            c[sample_logits(logits, logits.len(), &o, &mut rng).unwrap()[0] as usize] += 1.0;
        }
        c.iter().map(|v| v / n as f64).collect()
    }

    #[test]
    fn follows_the_softmax() {
        let logits = [0.0f32, (2.0f32).ln(), (3.0f32).ln(), (4.0f32).ln()]; // p = 1,2,3,4 / 10
        let f = freqs(&logits, SampleOptions::default(), 200_000);
        for (i, want) in [0.1, 0.2, 0.3, 0.4].iter().enumerate() {
            assert!((f[i] - want).abs() < 0.005, "p[{i}] = {} vs {want}", f[i]);
        }
    }

    #[test]
    fn temperature_top_k_top_p() {
        let logits = [0.0f32, (2.0f32).ln(), (3.0f32).ln(), (4.0f32).ln()];
        // Greedy.
        let f = freqs(&logits, SampleOptions { temperature: 0.0, ..Default::default() }, 100);
        assert_eq!(f[3], 1.0);
        // Top-2: 3/7 and 4/7.
        let f = freqs(&logits, SampleOptions { top_k: 2, ..Default::default() }, 100_000);
        assert!(f[0] == 0.0 && f[1] == 0.0 && (f[3] - 4.0 / 7.0).abs() < 0.01);
        // Top-p 0.6: {4, 3} reach 0.7 ≥ 0.6 → same set.
        let f = freqs(&logits, SampleOptions { top_p: 0.6, ..Default::default() }, 100_000);
        assert!(f[0] == 0.0 && f[1] == 0.0 && (f[2] - 3.0 / 7.0).abs() < 0.01);
        // Top-p 0.3: only the most likely token.
        let f = freqs(&logits, SampleOptions { top_p: 0.3, ..Default::default() }, 1000);
        assert_eq!(f[3], 1.0);
        // Temperature 0.5 squares the ratios: p ∝ 1,4,9,16.
        let f = freqs(&logits, SampleOptions { temperature: 0.5, ..Default::default() }, 200_000);
        assert!((f[3] - 16.0 / 30.0).abs() < 0.006, "{}", f[3]);
    }

    #[test]
    fn seeded_and_validated() {
        let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
        let a = sample_logits(&logits, 10, &SampleOptions::default(), &mut Rng::new(9)).unwrap();
        let b = sample_logits(&logits, 10, &SampleOptions::default(), &mut Rng::new(9)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
        assert!(sample_logits(&[f32::NAN, 0.0], 2, &SampleOptions::default(), &mut Rng::new(1)).is_err());
        assert!(sample_logits(&[0.0; 3], 2, &SampleOptions::default(), &mut Rng::new(1)).is_err());
        assert!(SampleOptions { top_p: 0.0, ..Default::default() }.validate().is_err());
        assert!(SampleOptions { temperature: -1.0, ..Default::default() }.validate().is_err());
    }
}
