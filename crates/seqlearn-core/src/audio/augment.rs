//! Seeded data augmentation for speech: speed perturbation by resampling (Ko et al. 2015, Kaldi's
//! `speed` perturbation: tempo and pitch change together), additive white Gaussian noise at a
//! signal-to-noise ratio, gain in dB, and SpecAugment-style time and frequency masks on a feature
//! matrix (Park et al. 2019, without time warping). Every random draw comes from the caller's
//! [`Rng`], so a seed reproduces an augmentation exactly.

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Interpolation of [`speed_perturb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// Linear between neighbouring samples (fast; aliases when speeding up).
    Linear,
    /// Hann-windowed sinc, 16 zero crossings each side, low-passed at `min(1, 1/factor)` of the
    /// input Nyquist frequency so speeding up does not alias.
    Sinc,
}

/// Zero crossings of the windowed-sinc kernel on each side.
const SINC_ZEROS: f64 = 16.0;

/// Accepted speed factors.
pub const SPEED_RANGE: (f32, f32) = (0.25, 4.0);

fn check_speed(factor: f32) -> Result<()> {
    if !(factor.is_finite() && factor >= SPEED_RANGE.0 && factor <= SPEED_RANGE.1) {
        return Err(Error::invalid("factor", format!("expected a speed factor in [{}, {}], got {factor}", SPEED_RANGE.0, SPEED_RANGE.1)));
    }
    Ok(())
}

/// Resamples `samples` to play `factor` times faster (`factor` 1.1: 10% shorter and higher):
/// output sample `j` is the signal at input position `j · factor`, for the
/// `⌊(len − 1) / factor⌋ + 1` positions inside the signal. Samples outside it count as zeros.
pub fn speed_perturb(samples: &[f32], factor: f32, interpolation: Interpolation, arg: &str) -> Result<Vec<f32>> {
    check_speed(factor)?;
    crate::layers::check_finite(arg, samples)?;
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    let n = samples.len();
    let step = f64::from(factor);
    let out_len = ((n - 1) as f64 / step).floor() as usize + 1;
    let x = |i: isize| if i >= 0 && (i as usize) < n { f64::from(samples[i as usize]) } else { 0.0 };
    Ok(match interpolation {
        Interpolation::Linear => (0..out_len)
            .map(|j| {
                let p = j as f64 * step;
                let i = p.floor();
                let f = p - i;
                (x(i as isize) * (1.0 - f) + x(i as isize + 1) * f) as f32
            })
            .collect(),
        Interpolation::Sinc => {
            let fc = (1.0 / step).min(1.0);
            let half = SINC_ZEROS / fc;
            let pi = std::f64::consts::PI;
            // Consecutive taps are 1 sample apart: the sinc and window phases turn by fixed angles,
            // so they are rotated instead of calling sin/cos per tap.
            let (ds, dc) = (pi * fc).sin_cos();
            let (dws, dwc) = (pi / half).sin_cos();
            (0..out_len)
                .map(|j| {
                    let p = j as f64 * step;
                    let (lo, hi) = (((p - half).ceil() as isize).max(0), ((p + half).floor() as isize).min(n as isize - 1));
                    let t0 = p - lo as f64;
                    let (mut s, mut c) = (pi * fc * t0).sin_cos();
                    let (mut ws, mut wc) = (pi * t0 / half).sin_cos();
                    let mut acc = 0.0;
                    for i in lo..=hi {
                        let a = pi * fc * (p - i as f64);
                        let sinc = if a.abs() < 1e-12 { 1.0 } else { s / a };
                        acc += x(i) * fc * sinc * 0.5 * (1.0 + wc);
                        (s, c) = (s * dc - c * ds, c * dc + s * ds);
                        (ws, wc) = (ws * dwc - wc * dws, wc * dwc + ws * dws);
                    }
                    acc as f32
                })
                .collect()
        }
    })
}

/// Adds white Gaussian noise so that `10 · log10(P_signal / P_noise) = snr_db`, with `P` the
/// mean square. A silent signal (power 0) is left unchanged. Errors name `snrDb` or `samples`.
pub fn add_noise(samples: &mut [f32], snr_db: f32, rng: &mut Rng) -> Result<()> {
    if !snr_db.is_finite() {
        return Err(Error::invalid("snrDb", format!("expected a finite number of dB, got {snr_db}")));
    }
    crate::layers::check_finite("samples", samples)?;
    if samples.is_empty() {
        return Ok(());
    }
    let power = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / samples.len() as f64;
    if power == 0.0 {
        return Ok(());
    }
    let sigma = (power / 10f64.powf(f64::from(snr_db) / 10.0)).sqrt() as f32;
    for x in samples.iter_mut() {
        *x += sigma * rng.normal();
    }
    Ok(())
}

/// Multiplies by `10^(gain_db / 20)` (no clipping: samples are floats). Errors name `gainDb` or
/// `samples`.
pub fn apply_gain(samples: &mut [f32], gain_db: f32) -> Result<()> {
    if !gain_db.is_finite() {
        return Err(Error::invalid("gainDb", format!("expected a finite number of dB, got {gain_db}")));
    }
    crate::layers::check_finite("samples", samples)?;
    let g = 10f32.powf(gain_db / 20.0);
    samples.iter_mut().for_each(|x| *x *= g);
    Ok(())
}

/// SpecAugment masks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpecAugmentConfig {
    /// Number of time masks.
    pub time_masks: usize,
    /// Largest time-mask width in frames (each width uniform in `0..=max`, at most the frames).
    pub max_time_width: usize,
    /// Number of frequency masks.
    pub freq_masks: usize,
    /// Largest frequency-mask width in coefficients.
    pub max_freq_width: usize,
    /// Value written into masked cells (0: the mean after per-utterance normalisation).
    pub value: f32,
}

/// Applies SpecAugment time and frequency masks to `features` (`[frames, dims]`, row-major) in
/// place. Each mask draws its width uniformly in `0..=min(max, size)` and its start uniformly in
/// `0..=size − width` (as `torchaudio.functional.mask_along_axis`, in integers).
pub fn spec_augment(features: &mut [f32], frames: usize, dims: usize, c: &SpecAugmentConfig, rng: &mut Rng) -> Result<()> {
    if frames.checked_mul(dims) != Some(features.len()) {
        return Err(Error::invalid("features", format!("shape [{frames}, {dims}] needs {} values, got {}", frames.saturating_mul(dims), features.len())));
    }
    if !c.value.is_finite() {
        return Err(Error::invalid("value", format!("expected a finite mask value, got {}", c.value)));
    }
    let mut draw = |size: usize, max: usize| {
        let width = (rng.next_u64() % (max.min(size) as u64 + 1)) as usize;
        let start = (rng.next_u64() % ((size - width) as u64 + 1)) as usize;
        (start, width)
    };
    for _ in 0..c.time_masks {
        let (s, w) = draw(frames, c.max_time_width);
        features[s * dims..(s + w) * dims].fill(c.value);
    }
    for _ in 0..c.freq_masks {
        let (s, w) = draw(dims, c.max_freq_width);
        for row in features.chunks_exact_mut(dims.max(1)) {
            row[s..s + w].fill(c.value);
        }
    }
    Ok(())
}

/// Random waveform and feature augmentation applied per item by the batch feature API. Each
/// range is `(low, high)`, drawn uniformly per item; `None` skips that step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AugmentConfig {
    /// Speed factor range (resampling with `interpolation`).
    pub speed: Option<(f32, f32)>,
    /// Interpolation of the speed perturbation.
    pub interpolation: Interpolation,
    /// Gain range in dB.
    pub gain_db: Option<(f32, f32)>,
    /// SNR range in dB of added white noise.
    pub snr_db: Option<(f32, f32)>,
    /// SpecAugment masks on the features (after normalisation).
    pub spec: Option<SpecAugmentConfig>,
    /// Seed; item `i` uses its own stream derived from `(seed, i)`, so results do not depend on
    /// the thread count.
    pub seed: u64,
}

fn check_range(arg: &str, r: Option<(f32, f32)>, lo: f32, hi: f32) -> Result<()> {
    if let Some((a, b)) = r {
        if !(a.is_finite() && b.is_finite() && a <= b && a >= lo && b <= hi) {
            return Err(Error::invalid(arg, format!("expected [low, high] with {lo} ≤ low ≤ high ≤ {hi}, got [{a}, {b}]")));
        }
    }
    Ok(())
}

impl AugmentConfig {
    /// Checks the ranges; errors name the option (`augment.speed`, …).
    pub fn validate(&self) -> Result<()> {
        check_range("augment.speed", self.speed, SPEED_RANGE.0, SPEED_RANGE.1)?;
        check_range("augment.gainDb", self.gain_db, -100.0, 100.0)?;
        check_range("augment.snrDb", self.snr_db, -100.0, 200.0)?;
        Ok(())
    }

    /// The generator of item `index` (a mixed seed, independent streams per item).
    pub fn item_rng(&self, index: usize) -> Rng {
        let mut z = self.seed ^ (index as u64).wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        z = (z ^ (z >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        z = (z ^ (z >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        Rng::new(z ^ (z >> 32))
    }

    /// Speed, gain and noise applied to one waveform, in that order.
    pub fn waveform(&self, samples: &[f32], rng: &mut Rng, arg: &str) -> Result<Vec<f32>> {
        let mut x = match self.speed {
            Some((a, b)) => speed_perturb(samples, rng.uniform(a, b).clamp(a, b), self.interpolation, arg)?,
            None => samples.to_vec(),
        };
        if let Some((a, b)) = self.gain_db {
            apply_gain(&mut x, rng.uniform(a, b))?;
        }
        if let Some((a, b)) = self.snr_db {
            add_noise(&mut x, rng.uniform(a, b), rng)?;
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, omega: f64) -> Vec<f32> {
        (0..n).map(|i| (omega * i as f64).sin() as f32).collect()
    }

    /// Correlation-based estimate of the amplitude of frequency `omega` in `x`.
    fn amplitude(x: &[f32], omega: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            re += f64::from(v) * (omega * i as f64).cos();
            im += f64::from(v) * (omega * i as f64).sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn speed_changes_frequency_and_length() {
        let x = tone(8000, 0.2);
        for interp in [Interpolation::Linear, Interpolation::Sinc] {
            for factor in [0.9f32, 1.1] {
                let y = speed_perturb(&x, factor, interp, "samples").unwrap();
                assert_eq!(y.len(), (7999.0 / f64::from(factor)).floor() as usize + 1);
                // Away from the edges the tone moved to 0.2 · factor.
                let mid = &y[200..y.len() - 200];
                let moved = amplitude(mid, 0.2 * f64::from(factor));
                let stayed = amplitude(mid, 0.2);
                assert!(moved > 0.97 && stayed < 0.05, "{interp:?} {factor}: at new {moved}, at old {stayed}");
            }
        }
    }

    #[test]
    fn sinc_taps_match_the_direct_formula() {
        let x: Vec<f32> = (0..700).map(|i| ((i as f32 * 0.37).sin() + 0.3 * (i as f32 * 1.91).cos()) * 0.5).collect();
        let pi = std::f64::consts::PI;
        for factor in [0.83f32, 1.0, 1.17, 2.5] {
            let y = speed_perturb(&x, factor, Interpolation::Sinc, "samples").unwrap();
            let step = f64::from(factor);
            let fc = (1.0 / step).min(1.0);
            let half = SINC_ZEROS / fc;
            for j in [0, 1, y.len() / 3, y.len() / 2, y.len() - 1] {
                let p = j as f64 * step;
                let mut want = 0.0;
                for (i, &v) in x.iter().enumerate() {
                    let t = p - i as f64;
                    if t.abs() <= half {
                        let a = pi * fc * t;
                        let sinc = if a == 0.0 { 1.0 } else { a.sin() / a };
                        want += f64::from(v) * fc * sinc * 0.5 * (1.0 + (pi * t / half).cos());
                    }
                }
                assert!((f64::from(y[j]) - want).abs() < 1e-6, "factor {factor} sample {j}: {} vs {want}", y[j]);
            }
        }
    }

    #[test]
    fn factor_one_is_the_identity() {
        let x = tone(500, 0.37);
        for interp in [Interpolation::Linear, Interpolation::Sinc] {
            let y = speed_perturb(&x, 1.0, interp, "samples").unwrap();
            assert_eq!(y.len(), x.len());
            for (a, b) in x.iter().zip(&y) {
                assert!((a - b).abs() < 1e-6, "{interp:?}");
            }
        }
    }

    #[test]
    fn sinc_rejects_what_would_alias_when_speeding_up() {
        // 0.95 π rad/sample lies above the new band edge (π / 1.25): sinc removes it, linear folds it back.
        let x = tone(4000, 0.95 * std::f64::consts::PI);
        let rms = |v: &[f32]| (v[100..v.len() - 100].iter().map(|&a| f64::from(a).powi(2)).sum::<f64>() / (v.len() - 200) as f64).sqrt();
        let sinc = rms(&speed_perturb(&x, 1.25, Interpolation::Sinc, "samples").unwrap());
        let linear = rms(&speed_perturb(&x, 1.25, Interpolation::Linear, "samples").unwrap());
        assert!(sinc < 0.01 && linear > 0.1, "sinc {sinc}, linear {linear}");
    }

    #[test]
    fn noise_hits_the_snr_and_is_seeded() {
        let x = tone(50_000, 0.1);
        for snr in [0.0f32, 10.0, 20.0] {
            let mut y = x.clone();
            add_noise(&mut y, snr, &mut Rng::new(3)).unwrap();
            let noise: f64 = y.iter().zip(&x).map(|(a, b)| f64::from(a - b).powi(2)).sum();
            let signal: f64 = x.iter().map(|&a| f64::from(a).powi(2)).sum();
            let got = 10.0 * (signal / noise).log10();
            assert!((got - f64::from(snr)).abs() < 0.1, "snr {snr}: measured {got}");
            let mut z = x.clone();
            add_noise(&mut z, snr, &mut Rng::new(3)).unwrap();
            assert_eq!(y, z);
        }
        let mut silent = vec![0.0f32; 10];
        add_noise(&mut silent, 10.0, &mut Rng::new(1)).unwrap();
        assert!(silent.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn gain_scales_by_decibels() {
        let mut x = vec![1.0f32, -0.5];
        apply_gain(&mut x, -20.0).unwrap();
        assert!((x[0] - 0.1).abs() < 1e-7 && (x[1] + 0.05).abs() < 1e-7);
        assert!(apply_gain(&mut x, f32::INFINITY).unwrap_err().to_string().starts_with("gainDb"));
    }

    #[test]
    fn spec_augment_masks_whole_rows_and_columns_within_bounds() {
        let (frames, dims) = (30, 8);
        let c = SpecAugmentConfig { time_masks: 2, max_time_width: 5, freq_masks: 1, max_freq_width: 3, value: -7.0 };
        for seed in 0..20 {
            let mut f = vec![1.0f32; frames * dims];
            spec_augment(&mut f, frames, dims, &c, &mut Rng::new(seed)).unwrap();
            let full_rows = (0..frames).filter(|&t| f[t * dims..(t + 1) * dims].iter().all(|&v| v == -7.0)).count();
            let full_cols = (0..dims).filter(|&d| (0..frames).all(|t| f[t * dims + d] == -7.0)).count();
            let masked = f.iter().filter(|&&v| v == -7.0).count();
            assert!(full_rows <= 10 && full_cols <= 3, "seed {seed}");
            // Every masked cell lies in a fully masked row or column.
            assert_eq!(masked, full_rows * dims + full_cols * frames - full_rows * full_cols, "seed {seed}");
            let mut g = vec![1.0f32; frames * dims];
            spec_augment(&mut g, frames, dims, &c, &mut Rng::new(seed)).unwrap();
            assert_eq!(f, g);
        }
    }

    #[test]
    fn item_streams_differ_and_repeat() {
        let c = AugmentConfig { speed: Some((0.9, 1.1)), interpolation: Interpolation::Sinc, gain_db: None, snr_db: Some((10.0, 20.0)), spec: None, seed: 5 };
        let x = tone(1000, 0.3);
        let a = c.waveform(&x, &mut c.item_rng(0), "x").unwrap();
        let b = c.waveform(&x, &mut c.item_rng(1), "x").unwrap();
        assert_ne!(a, b);
        assert_eq!(a, c.waveform(&x, &mut c.item_rng(0), "x").unwrap());
        assert!(AugmentConfig { speed: Some((1.2, 1.1)), ..c }.validate().unwrap_err().to_string().starts_with("augment.speed"));
        assert!(speed_perturb(&x, 0.0, Interpolation::Linear, "x").unwrap_err().to_string().starts_with("factor"));
    }
}
