//! Per-utterance feature normalisation (cepstral mean and variance normalisation): over the frames
//! of one utterance, each coefficient has its mean subtracted and is divided by its standard
//! deviation (population, `ddof = 0`), floored at `eps` so a constant coefficient becomes 0
//! instead of a division by zero. Statistics are accumulated in f64.

use crate::error::{Error, Result};

/// Default floor of the standard deviation.
pub const DEFAULT_EPS: f32 = 1e-5;

/// Normalises `data` (`[frames, dims]` row-major) in place: `(x − mean_d) / max(std_d, eps)` for
/// every coefficient `d`. `arg` names the features in errors (non-finite values).
pub fn normalize_per_utterance(data: &mut [f32], frames: usize, dims: usize, eps: f32, arg: &str) -> Result<()> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::invalid("eps", format!("expected a positive finite number, got {eps}")));
    }
    if frames.checked_mul(dims) != Some(data.len()) {
        return Err(Error::invalid(arg, format!("shape [{frames}, {dims}] needs {} values, got {}", frames.saturating_mul(dims), data.len())));
    }
    crate::layers::check_finite(arg, data)?;
    if frames == 0 || dims == 0 {
        return Ok(());
    }
    let mut mean = vec![0.0f64; dims];
    for row in data.chunks_exact(dims) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x);
        }
    }
    let inv_n = 1.0 / frames as f64;
    mean.iter_mut().for_each(|m| *m *= inv_n);
    let mut var = vec![0.0f64; dims];
    for row in data.chunks_exact(dims) {
        for ((v, &x), &m) in var.iter_mut().zip(row).zip(&mean) {
            let d = f64::from(x) - m;
            *v += d * d;
        }
    }
    let scale: Vec<f64> = var.iter().map(|&v| 1.0 / (v * inv_n).sqrt().max(f64::from(eps))).collect();
    for row in data.chunks_exact_mut(dims) {
        for ((x, &m), &s) in row.iter_mut().zip(&mean).zip(&scale) {
            *x = ((f64::from(*x) - m) * s) as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_zero_mean_unit_std_per_coefficient() {
        let (frames, dims) = (50, 3);
        let mut x: Vec<f32> = (0..frames * dims).map(|i| ((i * 7919) % 101) as f32 * (1.0 + (i % dims) as f32) + 10.0).collect();
        normalize_per_utterance(&mut x, frames, dims, DEFAULT_EPS, "features").unwrap();
        for d in 0..dims {
            let col: Vec<f64> = (0..frames).map(|t| f64::from(x[t * dims + d])).collect();
            let mean = col.iter().sum::<f64>() / frames as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / frames as f64;
            assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "dim {d}: mean {mean} var {var}");
        }
    }

    #[test]
    fn a_constant_coefficient_becomes_zero() {
        let mut x = vec![5.0, 1.0, 5.0, 3.0];
        normalize_per_utterance(&mut x, 2, 2, DEFAULT_EPS, "features").unwrap();
        assert_eq!(x, vec![0.0, -1.0, 0.0, 1.0]);
    }

    #[test]
    fn rejects_bad_input_by_name() {
        let mut x = vec![1.0, f32::NAN];
        assert!(normalize_per_utterance(&mut x, 1, 2, DEFAULT_EPS, "features").unwrap_err().to_string().starts_with("features: expected finite values"));
        assert!(normalize_per_utterance(&mut [1.0, 2.0], 1, 2, 0.0, "features").unwrap_err().to_string().starts_with("eps"));
        assert!(normalize_per_utterance(&mut [1.0, 2.0], 3, 2, 1e-5, "features").unwrap_err().to_string().contains("[3, 2] needs 6 values, got 2"));
    }
}
