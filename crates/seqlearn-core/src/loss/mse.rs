//! Mean squared error, `mean((pred − target)²)` (PyTorch `MSELoss(reduction='mean')`).

use crate::error::{Error, Result};

/// Returns the loss and its gradient with respect to `pred` (`2 (pred − target) / n`).
pub fn mse_loss(pred: &[f32], target: &[f32]) -> Result<(f32, Vec<f32>)> {
    if pred.len() != target.len() {
        return Err(Error::invalid("target", format!("expected {} values (the prediction's size), got {}", pred.len(), target.len())));
    }
    if pred.is_empty() {
        return Err(Error::invalid("pred", "expected at least one value"));
    }
    if let Some(i) = target.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid("target", format!("expected finite values, found {} at flat index {i}", target[i])));
    }
    let n = pred.len() as f64;
    let mut sum = 0.0f64;
    let scale = (2.0 / n) as f32;
    let grad = pred
        .iter()
        .zip(target)
        .map(|(p, t)| {
            let d = p - t;
            sum += (d as f64) * (d as f64);
            scale * d
        })
        .collect();
    Ok(((sum / n) as f32, grad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_and_gradient() {
        let (l, g) = mse_loss(&[1.0, 2.0, 4.0], &[1.0, 0.0, 1.0]).unwrap();
        assert!((l - 13.0 / 3.0).abs() < 1e-6);
        assert_eq!(g, vec![0.0, 4.0 / 3.0, 2.0]);
        assert!(mse_loss(&[1.0], &[1.0, 2.0]).unwrap_err().to_string().starts_with("target:"));
        assert!(mse_loss(&[1.0], &[f32::NAN]).is_err());
    }
}
