//! Gradient clipping by global norm (`torch.nn.utils.clip_grad_norm_`, p = 2).

/// Scales all gradient buffers together so their global L2 norm is at most `max_norm`
/// (`coef = max_norm / (norm + 1e-6)`, applied when < 1). Returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut [&mut [f32]], max_norm: f32) -> f32 {
    let total = grads.iter().flat_map(|g| g.iter()).map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt() as f32;
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        for g in grads.iter_mut() {
            for v in g.iter_mut() {
                *v *= coef;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_globally() {
        let mut a = [3.0f32];
        let mut b = [4.0f32];
        let n = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 1.0);
        assert!((n - 5.0).abs() < 1e-6);
        assert!((a[0] - 0.6).abs() < 1e-5 && (b[0] - 0.8).abs() < 1e-5);
    }
}
