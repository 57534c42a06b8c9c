//! Gradient clipping over several layers at once: by global norm
//! (`torch.nn.utils.clip_grad_norm_`, any p > 0 or ∞) and by value
//! (`torch.nn.utils.clip_grad_value_`). Big buffers are processed in parallel chunks over the
//! seqlearn pool; the norm is reduced in a fixed order in f64, so it does not depend on the
//! number of threads.

use crate::error::{Error, Result};

/// Elements per parallel work item.
const CHUNK: usize = 1 << 15;
/// Below this many values in total the work runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// The global gradient norm of several layers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradNorm {
    /// The norm of all gradients together (NaN or ∞ when some gradient is).
    pub total: f64,
    /// The first layer whose own gradient norm is not finite, if any.
    pub first_nonfinite: Option<usize>,
}

fn check_norm_type(norm_type: f64) -> Result<()> {
    if norm_type == f64::INFINITY || (norm_type.is_finite() && norm_type > 0.0) {
        Ok(())
    } else {
        Err(Error::invalid("normType", format!("expected a number > 0 or Infinity, got {norm_type}")))
    }
}

crate::dispatch! {
    /// `out = Σ x²` in f64 (eight independent lanes, added in a fixed order).
    fn sum_squares(x: &[f32], out: &mut f64) {
        let mut acc = [0.0f64; 8];
        let mut it = x.chunks_exact(8);
        for c in &mut it {
            for k in 0..8 {
                let v = c[k] as f64;
                acc[k] += v * v;
            }
        }
        for (k, &v) in it.remainder().iter().enumerate() {
            acc[k] += v as f64 * v as f64;
        }
        *out = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
}

crate::dispatch! {
    /// `out = Σ |x|` in f64.
    fn sum_abs(x: &[f32], out: &mut f64) {
        let mut acc = [0.0f64; 8];
        let mut it = x.chunks_exact(8);
        for c in &mut it {
            for k in 0..8 {
                acc[k] += c[k].abs() as f64;
            }
        }
        for (k, &v) in it.remainder().iter().enumerate() {
            acc[k] += v.abs() as f64;
        }
        *out = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
}

crate::dispatch! {
    /// `out = max |x|` (NaN if any value is NaN, as `torch.linalg.vector_norm`).
    fn max_abs(x: &[f32], out: &mut f64) {
        let mut acc = [0.0f32; 8];
        let mut it = x.chunks_exact(8);
        for c in &mut it {
            for k in 0..8 {
                let a = c[k].abs();
                acc[k] = if a > acc[k] || a.is_nan() { a } else { acc[k] };
            }
        }
        let mut m = 0.0f32;
        for a in acc.into_iter().chain(it.remainder().iter().map(|v| v.abs())) {
            // Once `m` is NaN it stays NaN (both comparisons are false).
            m = if a > m || a.is_nan() { a } else { m };
        }
        *out = m as f64;
    }
}

crate::dispatch! {
    /// Multiplies every value by `coef`.
    fn scale(x: &mut [f32], coef: f32) {
        for v in x.iter_mut() {
            *v *= coef;
        }
    }
}

crate::dispatch! {
    /// Clamps every value to `[-c, c]` (NaN stays NaN).
    fn clamp(x: &mut [f32], c: f32) {
        for v in x.iter_mut() {
            *v = v.clamp(-c, c);
        }
    }
}

/// The reduction of one chunk for `norm_type`: a sum of |x|^p, or max |x| for ∞.
fn chunk_partial(x: &[f32], norm_type: f64) -> f64 {
    let mut out = 0.0;
    if norm_type == 2.0 {
        sum_squares(x, &mut out);
    } else if norm_type == 1.0 {
        sum_abs(x, &mut out);
    } else if norm_type == f64::INFINITY {
        max_abs(x, &mut out);
    } else {
        out = x.iter().map(|v| (v.abs() as f64).powf(norm_type)).sum();
    }
    out
}

/// Combines partials in order (sum, or NaN-propagating max for ∞).
fn combine(parts: impl Iterator<Item = f64>, norm_type: f64) -> f64 {
    if norm_type == f64::INFINITY {
        parts.fold(0.0, |m, v| if v.is_nan() || m.is_nan() { f64::NAN } else { m.max(v) })
    } else {
        parts.sum()
    }
}

/// The norm of a combined partial.
fn finish(partial: f64, norm_type: f64) -> f64 {
    if norm_type == f64::INFINITY || norm_type == 1.0 {
        partial
    } else if norm_type == 2.0 {
        partial.sqrt()
    } else {
        partial.powf(1.0 / norm_type)
    }
}

/// Runs `f` over every item, in parallel when there is enough work in total.
fn run_items<T: Send, R: Send>(items: Vec<T>, total: usize, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    if total >= PARALLEL_MIN {
        crate::parallel::install(|| {
            use rayon::prelude::*;
            items.into_par_iter().with_max_len(1).map(f).collect()
        })
    } else {
        items.into_iter().map(f).collect()
    }
}

/// The `norm_type`-norm of all `grads` together (`torch.nn.utils.get_total_norm`), and the
/// first layer whose own norm is not finite.
pub fn grad_norm(grads: &[&[f32]], norm_type: f64) -> Result<GradNorm> {
    check_norm_type(norm_type)?;
    let total_len: usize = grads.iter().map(|g| g.len()).sum();
    let items: Vec<(usize, &[f32])> = grads.iter().enumerate().flat_map(|(i, g)| g.chunks(CHUNK).map(move |c| (i, c))).collect();
    let partials = run_items(items.clone(), total_len, |(_, c)| chunk_partial(c, norm_type));
    let mut per_layer = vec![Vec::new(); grads.len()];
    for ((i, _), p) in items.iter().zip(partials) {
        per_layer[*i].push(p);
    }
    let layer_partials: Vec<f64> = per_layer.into_iter().map(|ps| combine(ps.into_iter(), norm_type)).collect();
    let first_nonfinite = layer_partials.iter().position(|p| !finish(*p, norm_type).is_finite());
    let total = finish(combine(layer_partials.into_iter(), norm_type), norm_type);
    Ok(GradNorm { total, first_nonfinite })
}

/// Scales all `grads` together so that their global `norm_type`-norm is at most `max_norm`:
/// `coef = max_norm / (total + 1e-6)`, applied when below 1 (`torch.nn.utils.clip_grad_norm_`).
/// Returns the norm before clipping. When that norm is not finite the gradients are left
/// unchanged (PyTorch would multiply them by NaN or 0) and the caller decides what to do.
pub fn clip_grad_norm(grads: &mut [&mut [f32]], max_norm: f64, norm_type: f64) -> Result<GradNorm> {
    if !(max_norm.is_finite() && max_norm >= 0.0) {
        return Err(Error::invalid("maxNorm", format!("expected a finite value ≥ 0, got {max_norm}")));
    }
    let norm = {
        let views: Vec<&[f32]> = grads.iter().map(|g| &**g).collect();
        grad_norm(&views, norm_type)?
    };
    if norm.total.is_finite() {
        let coef = max_norm / (norm.total + 1e-6);
        if coef < 1.0 {
            let total_len: usize = grads.iter().map(|g| g.len()).sum();
            let items: Vec<&mut [f32]> = grads.iter_mut().flat_map(|g| g.chunks_mut(CHUNK)).collect();
            run_items(items, total_len, |c| scale(c, coef as f32));
        }
    }
    Ok(norm)
}

/// Clamps every gradient to `[-clip_value, clip_value]` (`torch.nn.utils.clip_grad_value_`).
pub fn clip_grad_value(grads: &mut [&mut [f32]], clip_value: f64) -> Result<()> {
    if !(clip_value.is_finite() && clip_value >= 0.0) {
        return Err(Error::invalid("clipValue", format!("expected a finite value ≥ 0, got {clip_value}")));
    }
    let total_len: usize = grads.iter().map(|g| g.len()).sum();
    let items: Vec<&mut [f32]> = grads.iter_mut().flat_map(|g| g.chunks_mut(CHUNK)).collect();
    run_items(items, total_len, |c| clamp(c, clip_value as f32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_globally_by_the_two_norm() {
        let mut a = [3.0f32];
        let mut b = [4.0f32];
        let n = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 1.0, 2.0).unwrap();
        assert!((n.total - 5.0).abs() < 1e-12 && n.first_nonfinite.is_none());
        assert!((a[0] - 0.6).abs() < 1e-6 && (b[0] - 0.8).abs() < 1e-6);
        // Below the limit nothing changes.
        let mut c = [0.3f32, -0.4];
        clip_grad_norm(&mut [&mut c[..]], 1.0, 2.0).unwrap();
        assert_eq!(c, [0.3, -0.4]);
    }

    #[test]
    fn other_norms_match_their_definitions() {
        let a = [1.0f32, -2.0, 3.0];
        let b = [-4.0f32];
        let n = |p: f64| grad_norm(&[&a[..], &b[..]], p).unwrap().total;
        assert_eq!(n(1.0), 10.0);
        assert_eq!(n(f64::INFINITY), 4.0);
        let p3 = (1.0f64 + 8.0 + 27.0 + 64.0).powf(1.0 / 3.0);
        assert!((n(3.0) - p3).abs() < 1e-12);
        assert!((n(2.0) - 30.0f64.sqrt()).abs() < 1e-12);
    }

    /// Many chunks, parallel: the same as a plain f64 sum, independent of the thread count.
    #[test]
    fn big_buffers_reduce_exactly_and_deterministically() {
        let mut rng = crate::rng::Rng::new(3);
        let a: Vec<f32> = (0..300_001).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..70_000).map(|_| rng.normal()).collect();
        let want = a.iter().chain(&b).map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
        let got = grad_norm(&[&a, &b], 2.0).unwrap().total;
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        let again = crate::parallel::install(|| grad_norm(&[&a, &b], 2.0).unwrap().total);
        assert_eq!(got.to_bits(), again.to_bits());
        let inf = grad_norm(&[&a, &b], f64::INFINITY).unwrap().total;
        assert_eq!(inf, a.iter().chain(&b).fold(0.0f32, |m, v| m.max(v.abs())) as f64);
    }

    #[test]
    fn nonfinite_gradients_are_reported_and_left_alone() {
        let mut a = [1.0f32, 2.0];
        let mut b = [f32::NAN, 1.0];
        let mut c = [f32::INFINITY];
        let n = clip_grad_norm(&mut [&mut a[..], &mut b[..], &mut c[..]], 0.1, 2.0).unwrap();
        assert!(n.total.is_nan() && n.first_nonfinite == Some(1));
        assert_eq!(a, [1.0, 2.0]);
        let n = clip_grad_norm(&mut [&mut a[..], &mut c[..]], 0.1, f64::INFINITY).unwrap();
        assert!(n.total == f64::INFINITY && n.first_nonfinite == Some(1));
        let n = grad_norm(&[&b[..]], f64::INFINITY).unwrap();
        assert!(n.total.is_nan(), "the ∞-norm propagates NaN");
    }

    #[test]
    fn clip_value_clamps_symmetrically() {
        let mut a = [-3.0f32, 0.5, 2.0, f32::NAN];
        clip_grad_value(&mut [&mut a[..]], 1.0).unwrap();
        assert_eq!(&a[..3], &[-1.0, 0.5, 1.0]);
        assert!(a[3].is_nan());
    }

    #[test]
    fn rejects_bad_arguments() {
        let mut a = [1.0f32];
        let e = |r: Result<GradNorm>| r.unwrap_err().to_string();
        assert!(e(clip_grad_norm(&mut [&mut a[..]], -1.0, 2.0)).starts_with("maxNorm:"));
        assert!(e(clip_grad_norm(&mut [&mut a[..]], f64::NAN, 2.0)).starts_with("maxNorm:"));
        assert!(e(clip_grad_norm(&mut [&mut a[..]], 1.0, 0.0)).starts_with("normType:"));
        assert!(e(clip_grad_norm(&mut [&mut a[..]], 1.0, f64::NAN)).starts_with("normType:"));
        assert!(clip_grad_value(&mut [&mut a[..]], -1.0).unwrap_err().to_string().starts_with("clipValue:"));
    }
}
