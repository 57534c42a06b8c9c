//! Mel filterbanks exactly as `librosa.filters.mel` builds them: `n_mels + 2` points evenly
//! spaced on the mel scale between `f_min` and `f_max`, triangles between neighbours evaluated at
//! the FFT bin frequencies `k · sr / n_fft`, optionally scaled to constant area (`norm =
//! 'slaney'`: `2 / (f[m+2] − f[m])`). The HTK scale is `2595 · log10(1 + f / 700)`; the Slaney
//! scale (librosa's default, the Auditory Toolbox's) is linear below 1 kHz (`f / (200/3)`) and
//! logarithmic above (`15 + ln(f / 1000) / (ln 6.4 / 27)`). Weights are computed in f64 and stored
//! sparsely (each triangle's non-zero span), so applying them costs a few multiply-adds per bin.

use crate::error::{Error, Result};

/// A mel scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MelScale {
    /// `2595 · log10(1 + f / 700)` (HTK, `torchaudio`'s default).
    Htk,
    /// Linear below 1 kHz, logarithmic above (Slaney's Auditory Toolbox, `librosa`'s default).
    Slaney,
}

/// Normalisation of the filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MelNorm {
    /// Peak 1 (`norm=None`).
    None,
    /// Constant area: each triangle scaled by `2 / (f_high − f_low)` (`norm='slaney'`).
    Slaney,
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hertz to mels on `scale` (`librosa.hz_to_mel`).
pub fn hz_to_mel(f: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + f / 700.0).log10(),
        MelScale::Slaney => {
            if f >= MIN_LOG_HZ {
                MIN_LOG_MEL + (f / MIN_LOG_HZ).ln() / log_step()
            } else {
                f / F_SP
            }
        }
    }
}

/// Mels to hertz on `scale` (`librosa.mel_to_hz`).
pub fn mel_to_hz(m: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(m / 2595.0) - 1.0),
        MelScale::Slaney => {
            if m >= MIN_LOG_MEL {
                MIN_LOG_HZ * (log_step() * (m - MIN_LOG_MEL)).exp()
            } else {
                F_SP * m
            }
        }
    }
}

/// Settings of a [`MelFilterbank`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MelConfig {
    /// Samples per second of the signal.
    pub sample_rate: f64,
    /// FFT size of the spectrogram it applies to (`n_fft / 2 + 1` bins).
    pub n_fft: usize,
    /// Number of filters, `1..=n_fft / 2 + 1`.
    pub n_mels: usize,
    /// Lowest frequency (Hz), `0 ≤ f_min < f_max`.
    pub f_min: f64,
    /// Highest frequency (Hz), at most `sample_rate / 2`.
    pub f_max: f64,
    /// Mel scale.
    pub scale: MelScale,
    /// Filter normalisation.
    pub norm: MelNorm,
}

/// A mel filterbank: `n_mels` triangles over `n_fft / 2 + 1` bins, stored as spans.
#[derive(Clone, Debug, PartialEq)]
pub struct MelFilterbank {
    n_mels: usize,
    bins: usize,
    /// First non-zero bin of each filter.
    start: Vec<usize>,
    /// Offsets of each filter's weights in `weights` (`n_mels + 1` entries).
    offset: Vec<usize>,
    weights: Vec<f32>,
}

impl MelFilterbank {
    /// Builds the filterbank; errors name the option (`nMels`, `fMin`, `fMax`, `sampleRate`).
    pub fn new(c: &MelConfig) -> Result<Self> {
        let bins = c.n_fft / 2 + 1;
        if !(c.sample_rate.is_finite() && c.sample_rate > 0.0) {
            return Err(Error::invalid("sampleRate", format!("expected a positive number, got {}", c.sample_rate)));
        }
        if c.n_mels == 0 || c.n_mels > bins {
            return Err(Error::invalid("nMels", format!("expected an integer in 1..=nFft/2+1 = {bins} (nFft = {}), got {}", c.n_fft, c.n_mels)));
        }
        let nyquist = c.sample_rate / 2.0;
        if !(c.f_max.is_finite() && c.f_max > 0.0 && c.f_max <= nyquist) {
            return Err(Error::invalid("fMax", format!("expected a frequency in (0, sampleRate/2 = {nyquist}] Hz, got {}", c.f_max)));
        }
        if !(c.f_min.is_finite() && c.f_min >= 0.0 && c.f_min < c.f_max) {
            return Err(Error::invalid("fMin", format!("expected a frequency in [0, fMax = {}) Hz, got {}", c.f_max, c.f_min)));
        }
        // np.linspace(min_mel, max_mel, n_mels + 2), then back to hertz.
        let (lo, hi) = (hz_to_mel(c.f_min, c.scale), hz_to_mel(c.f_max, c.scale));
        let n = c.n_mels + 2;
        let step = (hi - lo) / (n - 1) as f64;
        let mel_f: Vec<f64> = (0..n).map(|i| if i == n - 1 { c.f_max } else { mel_to_hz(lo + i as f64 * step, c.scale) }).collect();
        let fft_freq: Vec<f64> = (0..bins).map(|k| k as f64 * (1.0 / (c.n_fft as f64 * (1.0 / c.sample_rate)))).collect();
        let (mut start, mut offset, mut weights) = (Vec::with_capacity(c.n_mels), vec![0usize], Vec::new());
        for m in 0..c.n_mels {
            let (f0, f1, f2) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
            let scale = match c.norm {
                MelNorm::None => 1.0,
                MelNorm::Slaney => 2.0 / (f2 - f0),
            };
            let w: Vec<f64> = fft_freq
                .iter()
                .map(|&f| {
                    let lower = (f - f0) / (f1 - f0);
                    let upper = (f2 - f) / (f2 - f1);
                    lower.min(upper).max(0.0) * scale
                })
                .collect();
            let first = w.iter().position(|&v| v > 0.0);
            let (s, e) = match first {
                Some(s) => (s, bins - w.iter().rev().position(|&v| v > 0.0).unwrap_or(0)),
                None => (0, 0), // an empty filter (too many mels for the bins): all zeros, as librosa
            };
            start.push(s);
            weights.extend(w[s..e].iter().map(|&v| v as f32));
            offset.push(weights.len());
        }
        Ok(MelFilterbank { n_mels: c.n_mels, bins, start, offset, weights })
    }

    /// Number of filters.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Number of spectrum bins it applies to.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// Filters whose weights are all zero (librosa warns about these: too many mels for `n_fft`).
    pub fn empty_filters(&self) -> usize {
        (0..self.n_mels).filter(|&m| self.offset[m] == self.offset[m + 1]).count()
    }

    /// Applies the filters to one spectrum frame (`bins` values) into `out` (`n_mels` values).
    #[inline]
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        for (m, o) in out.iter_mut().enumerate().take(self.n_mels) {
            let w = &self.weights[self.offset[m]..self.offset[m + 1]];
            let s = &spectrum[self.start[m]..self.start[m] + w.len()];
            *o = w.iter().zip(s).map(|(a, b)| a * b).sum();
        }
    }

    /// The dense weight matrix `[n_mels, bins]` (as `librosa.filters.mel` returns it).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut d = vec![0.0f32; self.n_mels * self.bins];
        for m in 0..self.n_mels {
            let w = &self.weights[self.offset[m]..self.offset[m + 1]];
            d[m * self.bins + self.start[m]..m * self.bins + self.start[m] + w.len()].copy_from_slice(w);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(scale: MelScale, norm: MelNorm) -> MelConfig {
        MelConfig { sample_rate: 8000.0, n_fft: 256, n_mels: 40, f_min: 0.0, f_max: 4000.0, scale, norm }
    }

    #[test]
    fn scales_match_librosa_values() {
        // librosa.hz_to_mel(440) = 6.6, librosa.hz_to_mel(2000) = 25.08188, htk=True: 549.63868
        assert!((hz_to_mel(440.0, MelScale::Slaney) - 6.6).abs() < 1e-12);
        assert!((hz_to_mel(2000.0, MelScale::Slaney) - 25.081_880_157_308_32).abs() < 1e-9);
        assert!((hz_to_mel(440.0, MelScale::Htk) - 549.638_675_381_149_9).abs() < 1e-9);
        for scale in [MelScale::Htk, MelScale::Slaney] {
            for f in [0.0, 10.0, 999.0, 1000.0, 1234.5, 7999.0] {
                assert!((mel_to_hz(hz_to_mel(f, scale), scale) - f).abs() < 1e-9 * (1.0 + f));
            }
        }
    }

    #[test]
    fn triangles_peak_at_one_without_norm_and_have_equal_area_with_slaney() {
        let fb = MelFilterbank::new(&cfg(MelScale::Htk, MelNorm::None)).unwrap();
        let d = fb.to_dense();
        for m in 0..40 {
            let row = &d[m * 129..(m + 1) * 129];
            let peak = row.iter().cloned().fold(0.0, f32::max);
            assert!(peak > 0.0 && peak <= 1.0, "filter {m} peak {peak}");
        }
        // Slaney norm: the area ∫ w(f) df = 1 for each triangle (discretised: Σ w · Δf ≈ 1).
        let fb = MelFilterbank::new(&MelConfig { n_fft: 8192, ..cfg(MelScale::Slaney, MelNorm::Slaney) }).unwrap();
        let d = fb.to_dense();
        let df = 8000.0 / 8192.0;
        for m in 0..40 {
            let area: f32 = d[m * 4097..(m + 1) * 4097].iter().sum::<f32>() * df;
            assert!((area - 1.0).abs() < 0.01, "filter {m} area {area}");
        }
    }

    #[test]
    fn sparse_apply_equals_dense_product() {
        let fb = MelFilterbank::new(&MelConfig { f_min: 100.0, f_max: 3800.0, ..cfg(MelScale::Slaney, MelNorm::Slaney) }).unwrap();
        let d = fb.to_dense();
        let spec: Vec<f32> = (0..129).map(|k| 1.0 + (k as f32 * 0.37).sin().abs()).collect();
        let mut out = vec![0.0; 40];
        fb.apply(&spec, &mut out);
        for m in 0..40 {
            let want: f32 = (0..129).map(|k| d[m * 129 + k] * spec[k]).sum();
            assert!((out[m] - want).abs() <= 1e-6 * want.abs().max(1e-6));
        }
        assert_eq!(fb.empty_filters(), 0);
    }

    #[test]
    fn validation_names_the_option() {
        let bad = |c: MelConfig| MelFilterbank::new(&c).unwrap_err().to_string();
        let c = cfg(MelScale::Htk, MelNorm::None);
        assert!(bad(MelConfig { n_mels: 130, ..c }).starts_with("nMels: expected an integer in 1..=nFft/2+1 = 129 (nFft = 256), got 130"));
        assert!(bad(MelConfig { n_mels: 0, ..c }).starts_with("nMels"));
        assert!(bad(MelConfig { f_max: 4001.0, ..c }).starts_with("fMax: expected a frequency in (0, sampleRate/2 = 4000] Hz, got 4001"));
        assert!(bad(MelConfig { f_min: 4000.0, ..c }).starts_with("fMin"));
        assert!(bad(MelConfig { f_min: -1.0, ..c }).starts_with("fMin"));
        assert!(bad(MelConfig { f_max: f64::NAN, ..c }).starts_with("fMax"));
        // 129 mels over 129 bins build (some filters empty, as librosa allows with a warning).
        assert!(MelFilterbank::new(&MelConfig { n_mels: 129, ..c }).unwrap().empty_filters() > 0);
    }
}
