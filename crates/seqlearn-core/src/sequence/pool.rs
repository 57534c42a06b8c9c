//! Pooling a recurrent output over time with per-sequence lengths: `mean` (over the valid steps
//! of each sequence) or `max` (per feature, with the winning step kept for the backward pass).
//! Input `[T, B, F]` (time-major) or `[B, T, F]` (`batch_first`); output `[B, F]`.

use crate::error::{Error, Result};

/// How to pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    /// Mean over the valid steps.
    Mean,
    /// Maximum over the valid steps, per feature.
    Max,
}

impl PoolMode {
    /// Parses `"mean"` or `"max"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(PoolMode::Mean),
            "max" => Ok(PoolMode::Max),
            _ => Err(Error::invalid("pool", format!("expected 'mean' or 'max', got '{s}'"))),
        }
    }
}

/// Result of [`pool_forward`].
#[derive(Clone, Debug)]
pub struct Pooled {
    /// `[B, F]`.
    pub output: Vec<f32>,
    /// For `max`: the step each output element came from (`[B, F]`); empty for `mean`.
    pub argmax: Vec<u32>,
}

struct Dims {
    t: usize,
    b: usize,
    f: usize,
    batch_first: bool,
}

impl Dims {
    #[inline]
    fn at(&self, step: usize, item: usize) -> usize {
        if self.batch_first { (item * self.t + step) * self.f } else { (step * self.b + item) * self.f }
    }
}

fn dims(shape: &[usize], len: usize, lengths: Option<&[usize]>, batch_first: bool) -> Result<(Dims, Vec<usize>)> {
    if shape.len() != 3 {
        return Err(Error::invalid("input", format!("expected a 3-D tensor, got shape {shape:?}")));
    }
    let (t, b) = if batch_first { (shape[1], shape[0]) } else { (shape[0], shape[1]) };
    let f = shape[2];
    if len != t * b * f {
        return Err(Error::invalid("input", format!("shape {shape:?} needs {} values, got {len}", t * b * f)));
    }
    let lens = match lengths {
        None => vec![t; b],
        Some(l) => {
            if l.len() != b {
                return Err(Error::invalid("lengths", format!("expected {b} lengths (one per batch item), got {}", l.len())));
            }
            for (i, &v) in l.iter().enumerate() {
                if v == 0 || v > t {
                    return Err(Error::invalid(format!("lengths[{i}]"), format!("expected an integer in 1..={t}, got {v}")));
                }
            }
            l.to_vec()
        }
    };
    if t == 0 {
        return Err(Error::invalid("input", "cannot pool over zero steps"));
    }
    Ok((Dims { t, b, f, batch_first }, lens))
}

/// Pools `input` over time.
pub fn pool_forward(input: &[f32], shape: &[usize], lengths: Option<&[usize]>, batch_first: bool, mode: PoolMode) -> Result<Pooled> {
    let (d, lens) = dims(shape, input.len(), lengths, batch_first)?;
    let mut output = vec![0.0f32; d.b * d.f];
    let mut argmax = if mode == PoolMode::Max { vec![0u32; d.b * d.f] } else { Vec::new() };
    for i in 0..d.b {
        let out = &mut output[i * d.f..(i + 1) * d.f];
        match mode {
            PoolMode::Mean => {
                for s in 0..lens[i] {
                    let x = &input[d.at(s, i)..d.at(s, i) + d.f];
                    for (o, &v) in out.iter_mut().zip(x) {
                        *o += v;
                    }
                }
                let inv = 1.0 / lens[i] as f32;
                out.iter_mut().for_each(|o| *o *= inv);
            }
            PoolMode::Max => {
                let am = &mut argmax[i * d.f..(i + 1) * d.f];
                out.copy_from_slice(&input[d.at(0, i)..d.at(0, i) + d.f]);
                for s in 1..lens[i] {
                    let x = &input[d.at(s, i)..d.at(s, i) + d.f];
                    for k in 0..d.f {
                        if x[k] > out[k] {
                            out[k] = x[k];
                            am[k] = s as u32;
                        }
                    }
                }
            }
        }
    }
    Ok(Pooled { output, argmax })
}

/// Gradient of [`pool_forward`] with respect to its input (zero at padded steps).
pub fn pool_backward(grad: &[f32], shape: &[usize], lengths: Option<&[usize]>, batch_first: bool, mode: PoolMode, argmax: &[u32]) -> Result<Vec<f32>> {
    let n = shape.iter().product();
    let (d, lens) = dims(shape, n, lengths, batch_first)?;
    if grad.len() != d.b * d.f {
        return Err(Error::shape("grad", &[d.b, d.f], &[grad.len()]));
    }
    if mode == PoolMode::Max && argmax.len() != d.b * d.f {
        return Err(Error::invalid("argmax", format!("expected {} indices from the max-pool forward, got {}", d.b * d.f, argmax.len())));
    }
    let mut gi = vec![0.0f32; n];
    for i in 0..d.b {
        let g = &grad[i * d.f..(i + 1) * d.f];
        match mode {
            PoolMode::Mean => {
                let inv = 1.0 / lens[i] as f32;
                for s in 0..lens[i] {
                    let at = d.at(s, i);
                    for (o, &v) in gi[at..at + d.f].iter_mut().zip(g) {
                        *o = v * inv;
                    }
                }
            }
            PoolMode::Max => {
                for k in 0..d.f {
                    let s = argmax[i * d.f + k] as usize;
                    if s >= lens[i] {
                        return Err(Error::invalid("argmax", format!("index {s} at [{i}, {k}] is beyond the sequence length {}", lens[i])));
                    }
                    gi[d.at(s, i) + k] = g[k];
                }
            }
        }
    }
    Ok(gi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finite_diff(mode: PoolMode, batch_first: bool) {
        let (t, b, f) = (4, 3, 2);
        let shape = if batch_first { [b, t, f] } else { [t, b, f] };
        let mut rng = crate::rng::Rng::new(5);
        let mut x: Vec<f32> = (0..t * b * f).map(|_| rng.normal()).collect();
        let lengths = [4usize, 1, 3];
        let w: Vec<f32> = (0..b * f).map(|_| rng.normal()).collect();
        let p = pool_forward(&x, &shape, Some(&lengths), batch_first, mode).unwrap();
        let g = pool_backward(&w, &shape, Some(&lengths), batch_first, mode, &p.argmax).unwrap();
        let loss = |x: &[f32]| -> f64 {
            let p = pool_forward(x, &shape, Some(&lengths), batch_first, mode).unwrap();
            p.output.iter().zip(&w).map(|(&a, &b)| a as f64 * b as f64).sum()
        };
        let eps = 1e-3f32;
        for i in 0..x.len() {
            let v = x[i];
            x[i] = v + eps;
            let lp = loss(&x);
            x[i] = v - eps;
            let lm = loss(&x);
            x[i] = v;
            let num = (lp - lm) / (2.0 * eps as f64);
            assert!((num - g[i] as f64).abs() < 1e-3, "{mode:?} bf={batch_first} i={i}: numeric {num} vs analytic {}", g[i]);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for mode in [PoolMode::Mean, PoolMode::Max] {
            for bf in [false, true] {
                finite_diff(mode, bf);
            }
        }
    }

    #[test]
    fn mean_ignores_padded_steps() {
        // T=3, B=1, F=1; length 2 → mean of the first two.
        let p = pool_forward(&[1.0, 3.0, 100.0], &[3, 1, 1], Some(&[2]), false, PoolMode::Mean).unwrap();
        assert_eq!(p.output, vec![2.0]);
        let p = pool_forward(&[1.0, 3.0, 100.0], &[3, 1, 1], Some(&[2]), false, PoolMode::Max).unwrap();
        assert_eq!((p.output[0], p.argmax[0]), (3.0, 1));
    }

    #[test]
    fn rejects_bad_lengths() {
        let e = pool_forward(&[0.0; 6], &[3, 2, 1], Some(&[1, 4]), false, PoolMode::Mean).unwrap_err();
        assert!(e.to_string().contains("lengths[1]"), "{e}");
        assert!(pool_forward(&[0.0; 6], &[3, 2, 1], Some(&[1]), false, PoolMode::Mean).is_err());
        assert!(PoolMode::parse("sum").is_err());
    }
}
