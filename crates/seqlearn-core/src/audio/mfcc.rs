//! MFCCs with `librosa.feature.mfcc`'s convention: the mel spectrogram in decibels
//! (`librosa.power_to_db` with `ref = 1`: `10 · log10(max(S, amin))`, then everything below
//! `max − top_db` over the whole utterance raised to it), an orthonormal DCT-II over the mel axis
//! (`scipy.fft.dct(type=2, norm='ortho')`), the first `n_mfcc` coefficients kept, and the optional
//! sinusoidal lifter `1 + (L/2) · sin(π (n + 1) / L)`.

use crate::error::{Error, Result};

/// Settings of the MFCC stage (after the mel spectrogram).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MfccConfig {
    /// Coefficients kept, `1..=n_mels`.
    pub n_mfcc: usize,
    /// Dynamic range kept below the utterance's maximum, in dB (`None` or +∞: no clamp).
    pub top_db: Option<f32>,
    /// Floor of the mel power before the logarithm.
    pub amin: f32,
    /// Sinusoidal lifter parameter `L` (0: none).
    pub lifter: f32,
}

impl Default for MfccConfig {
    fn default() -> Self {
        MfccConfig { n_mfcc: 13, top_db: Some(80.0), amin: 1e-10, lifter: 0.0 }
    }
}

impl MfccConfig {
    /// Checks every field against `n_mels`; errors name the option.
    pub fn validate(&self, n_mels: usize) -> Result<()> {
        if self.n_mfcc == 0 || self.n_mfcc > n_mels {
            return Err(Error::invalid("nMfcc", format!("expected an integer in 1..=nMels = {n_mels}, got {}", self.n_mfcc)));
        }
        if let Some(t) = self.top_db {
            if t.is_nan() || t < 0.0 {
                return Err(Error::invalid("topDb", format!("expected a non-negative number of dB (or null for no clamp), got {t}")));
            }
        }
        if !(self.amin.is_finite() && self.amin > 0.0) {
            return Err(Error::invalid("amin", format!("expected a positive finite number, got {}", self.amin)));
        }
        if !(self.lifter.is_finite() && self.lifter >= 0.0) {
            return Err(Error::invalid("lifter", format!("expected a non-negative finite number (0: no liftering), got {}", self.lifter)));
        }
        Ok(())
    }
}

/// The first `n_out` rows of the orthonormal DCT-II matrix of size `n_in`, row-major
/// `[n_out, n_in]`, with an optional lifter folded into the rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Dct {
    n_out: usize,
    n_in: usize,
    matrix: Vec<f32>,
}

impl Dct {
    /// `X_k = s_k Σ_n x_n cos(π k (2n + 1) / (2 n_in))`, `s_0 = √(1/n_in)`, `s_k = √(2/n_in)`,
    /// each row then multiplied by the lifter `1 + (L/2) sin(π (k + 1) / L)` when `lifter > 0`.
    pub fn new(n_out: usize, n_in: usize, lifter: f32) -> Self {
        let mut matrix = Vec::with_capacity(n_out * n_in);
        let l = f64::from(lifter);
        for k in 0..n_out {
            let s = if k == 0 { (1.0 / n_in as f64).sqrt() } else { (2.0 / n_in as f64).sqrt() };
            let lift = if l > 0.0 { 1.0 + (l / 2.0) * (std::f64::consts::PI * (k + 1) as f64 / l).sin() } else { 1.0 };
            for n in 0..n_in {
                let c = (std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2 * n_in) as f64).cos();
                matrix.push((s * lift * c) as f32);
            }
        }
        Dct { n_out, n_in, matrix }
    }

    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Transforms one frame (`n_in` values) into `out` (`n_out` values).
    #[inline]
    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        for (o, row) in out.iter_mut().zip(self.matrix.chunks_exact(self.n_in)) {
            *o = row.iter().zip(x).map(|(a, b)| a * b).sum();
        }
    }
}

/// `10 · log10(max(x, amin))` in place (`librosa.power_to_db` with `ref = 1`, before the clamp).
pub fn power_to_db_in_place(x: &mut [f32], amin: f32) {
    for v in x {
        *v = 10.0 * v.max(amin).log10();
    }
}

/// Raises every value below `max(x) − top_db` to it (the `top_db` clamp of `power_to_db`).
pub fn clamp_top_db(x: &mut [f32], top_db: f32) {
    let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let floor = max - top_db;
    for v in x {
        *v = v.max(floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_is_orthonormal() {
        let n = 16;
        let d = Dct::new(n, n, 0.0);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|k| f64::from(d.matrix[i * n + k]) * f64::from(d.matrix[j * n + k])).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-6, "rows {i}, {j}: {dot}");
            }
        }
    }

    #[test]
    fn dct_of_a_constant_is_its_scaled_mean() {
        let d = Dct::new(4, 8, 0.0);
        let mut out = [0.0; 4];
        d.apply(&[3.0; 8], &mut out);
        assert!((out[0] - 3.0 * 8f32.sqrt()).abs() < 1e-5);
        assert!(out[1..].iter().all(|v| v.abs() < 1e-5));
    }

    #[test]
    fn lifter_scales_rows() {
        let plain = Dct::new(5, 10, 0.0);
        let lifted = Dct::new(5, 10, 22.0);
        for k in 0..5 {
            let w = 1.0 + 11.0 * (std::f64::consts::PI * (k + 1) as f64 / 22.0).sin();
            for n in 0..10 {
                let (a, b) = (f64::from(plain.matrix[k * 10 + n]), f64::from(lifted.matrix[k * 10 + n]));
                assert!((a * w - b).abs() < 1e-5, "row {k}");
            }
        }
    }

    #[test]
    fn db_and_top_db_follow_power_to_db() {
        let mut x = [1.0, 0.1, 1e-12, 1e-9, 100.0];
        power_to_db_in_place(&mut x, 1e-10);
        assert_eq!(x[0], 0.0);
        assert!((x[1] + 10.0).abs() < 1e-5 && (x[2] + 100.0).abs() < 1e-4 && (x[4] - 20.0).abs() < 1e-5);
        clamp_top_db(&mut x, 80.0);
        assert!((x[2] + 60.0).abs() < 1e-4 && (x[3] + 60.0).abs() < 1e-4 && x[1] == -10.0);
    }

    #[test]
    fn validation_names_the_option() {
        let bad = |c: MfccConfig| c.validate(40).unwrap_err().to_string();
        assert!(bad(MfccConfig { n_mfcc: 41, ..Default::default() }).starts_with("nMfcc: expected an integer in 1..=nMels = 40, got 41"));
        assert!(bad(MfccConfig { top_db: Some(-1.0), ..Default::default() }).starts_with("topDb"));
        assert!(bad(MfccConfig { top_db: Some(f32::NAN), ..Default::default() }).starts_with("topDb"));
        assert!(MfccConfig { top_db: Some(f32::INFINITY), ..Default::default() }.validate(40).is_ok());
        assert!(bad(MfccConfig { amin: 0.0, ..Default::default() }).starts_with("amin"));
        assert!(bad(MfccConfig { lifter: f32::NAN, ..Default::default() }).starts_with("lifter"));
    }
}
