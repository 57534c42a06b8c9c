//! The top layer's final hidden state(s) as one feature row per batch item: `h` is
//! `[layers·D, B, H]` (a recurrent stack's final states); the result is `[B, D·H]` with the
//! forward direction first, as PyTorch users build it with `torch.cat([h[-2], h[-1]], dim=1)`.

use crate::error::{Error, Result};

fn check(h_shape: &[usize], num_directions: usize) -> Result<(usize, usize, usize)> {
    if h_shape.len() != 3 {
        return Err(Error::invalid("h", format!("expected a 3-D tensor [layers·D, B, H], got shape {h_shape:?}")));
    }
    if !(num_directions == 1 || num_directions == 2) {
        return Err(Error::invalid("numDirections", format!("expected 1 or 2, got {num_directions}")));
    }
    if h_shape[0] < num_directions || !h_shape[0].is_multiple_of(num_directions) {
        return Err(Error::invalid("h", format!("first dimension {} is not a positive multiple of numDirections {num_directions}", h_shape[0])));
    }
    Ok((h_shape[0], h_shape[1], h_shape[2]))
}

/// `[layers·D, B, H]` → `[B, D·H]` (top layer only).
pub fn last_state_forward(h: &[f32], h_shape: &[usize], num_directions: usize) -> Result<Vec<f32>> {
    let (ld, b, hs) = check(h_shape, num_directions)?;
    if h.len() != ld * b * hs {
        return Err(Error::invalid("h", format!("shape {h_shape:?} needs {} values, got {}", ld * b * hs, h.len())));
    }
    let top = ld - num_directions;
    let mut out = vec![0.0; b * num_directions * hs];
    for d in 0..num_directions {
        let src = &h[(top + d) * b * hs..(top + d + 1) * b * hs];
        for i in 0..b {
            out[(i * num_directions + d) * hs..(i * num_directions + d + 1) * hs].copy_from_slice(&src[i * hs..(i + 1) * hs]);
        }
    }
    Ok(out)
}

/// Gradient of [`last_state_forward`]: `[B, D·H]` → `[layers·D, B, H]` (zero below the top layer).
pub fn last_state_backward(grad: &[f32], h_shape: &[usize], num_directions: usize) -> Result<Vec<f32>> {
    let (ld, b, hs) = check(h_shape, num_directions)?;
    if grad.len() != b * num_directions * hs {
        return Err(Error::shape("grad", &[b, num_directions * hs], &[grad.len()]));
    }
    let top = ld - num_directions;
    let mut out = vec![0.0; ld * b * hs];
    for d in 0..num_directions {
        let dst = &mut out[(top + d) * b * hs..(top + d + 1) * b * hs];
        for i in 0..b {
            dst[i * hs..(i + 1) * hs].copy_from_slice(&grad[(i * num_directions + d) * hs..(i * num_directions + d + 1) * hs]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_top_layer_both_directions() {
        // layers 2, D 2, B 2, H 1: rows l0f, l0b, l1f, l1b.
        let h = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let out = last_state_forward(&h, &[4, 2, 1], 2).unwrap();
        assert_eq!(out, vec![5.0, 7.0, 6.0, 8.0]);
        let g = last_state_backward(&out, &[4, 2, 1], 2).unwrap();
        assert_eq!(g, vec![0.0, 0.0, 0.0, 0.0, 5.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(last_state_forward(&[0.0; 6], &[3, 2, 1], 2).is_err());
        assert!(last_state_forward(&[0.0; 4], &[2, 2], 1).is_err());
        assert!(last_state_backward(&[0.0; 3], &[2, 2, 1], 2).is_err());
    }
}
