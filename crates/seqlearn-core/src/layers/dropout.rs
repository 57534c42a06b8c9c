//! Inverted dropout (`torch.nn.Dropout`): in training each value is zeroed with probability `p`
//! and the survivors are scaled by `1 / (1 − p)`; outside training it is the identity.
//!
//! Masks are reproducible: call `c` (counted from construction) of a layer seeded with `s` draws
//! its mask from streams seeded by `(s, c, chunk)`, one stream per [`MASK_CHUNK`] values. So
//! successive calls differ, two layers with the same seed agree call for call, and the mask does
//! not depend on the number of threads that drew it.

use super::{check_len, non_finite, OwnedTensor};
use crate::error::{Error, Result};
use crate::recurrent::TensorRef;
use crate::rng::Rng;

/// Values drawn from one random stream (fixed, so masks do not depend on the thread count).
pub const MASK_CHUNK: usize = 1 << 14;

/// Salt separating dropout streams from the init streams of the same seed.
const SALT: u64 = 0xD40F_0A5E_5EED_0001;

/// What the last forward left for `backward`.
#[derive(Debug)]
struct DropoutCache {
    shape: Vec<usize>,
    /// 1 = kept, 0 = dropped; `None` when the forward was the identity.
    mask: Option<Vec<u8>>,
}

/// An inverted-dropout layer with its call counter and the mask of the last forward.
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    seed: u64,
    calls: u64,
    cache: Option<DropoutCache>,
}

/// The SplitMix64 finaliser (a bijection of `u64`).
fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `mask` (stream `chunk` of call `call`) with 1 (kept, probability `keep`) or 0.
/// `keep_below` is `keep · 2³²`: a 32-bit draw below it keeps the value.
fn fill_stream(mask: &mut [u8], seed: u64, call: u64, chunk: u64, keep_below: u64) {
    let mut rng = Rng::new(mix(mix(mix(seed ^ SALT).wrapping_add(call)).wrapping_add(chunk)));
    let mut pairs = mask.chunks_exact_mut(2);
    for pair in &mut pairs {
        let r = rng.next_u64();
        pair[0] = u8::from((r & 0xFFFF_FFFF) < keep_below);
        pair[1] = u8::from((r >> 32) < keep_below);
    }
    if let [last] = pairs.into_remainder() {
        *last = u8::from((rng.next_u64() & 0xFFFF_FFFF) < keep_below);
    }
}

crate::dispatch! {
    /// `y = x · scale` where kept, 0 where dropped; `ok` is cleared by a non-finite input.
    fn apply_mask(x: &[f32], mask: &[u8], y: &mut [f32], scale: f32, ok_out: &mut bool) {
        let mut ok = true;
        for ((o, &v), &m) in y.iter_mut().zip(x).zip(mask) {
            ok &= v.is_finite();
            *o = if m != 0 { v * scale } else { 0.0 };
        }
        *ok_out &= ok;
    }
}

impl Dropout {
    /// A dropout layer with probability `p` in [0, 1] and masks seeded by `seed`.
    pub fn new(p: f64, seed: u64) -> Result<Self> {
        if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
            return Err(Error::invalid("p", format!("expected a probability in [0, 1], got {p}")));
        }
        Ok(Dropout { p, seed, calls: 0, cache: None })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The factor of kept values, `1 / (1 − p)` rounded to f32 as PyTorch does (0 when p = 1).
    fn scale(&self) -> f32 {
        if self.p < 1.0 {
            (1.0 / (1.0 - self.p)) as f32
        } else {
            0.0
        }
    }

    /// Number of masks drawn so far (training forwards with `p > 0`).
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Whether a forward with `requires_grad` is waiting for its backward.
    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    /// Drops the cached mask.
    pub fn clear_cache(&mut self) {
        self.cache = None;
    }

    /// `y = mask ⊙ x / (1 − p)` in training (a fresh mask per call), `y = x` otherwise. With
    /// `requires_grad`, keeps the mask for [`Dropout::backward`] (replacing any earlier one);
    /// on error nothing changes (the call counter included).
    pub fn forward(&mut self, input: TensorRef<'_>, training: bool, requires_grad: bool) -> Result<OwnedTensor> {
        check_len("input", &input)?;
        let x = input.data;
        let n = x.len();
        if !training || self.p == 0.0 {
            super::check_finite("input", x)?;
            if requires_grad {
                self.cache = Some(DropoutCache { shape: input.shape.to_vec(), mask: None });
            } else {
                self.cache = None;
            }
            return Ok(OwnedTensor { data: x.to_vec(), shape: input.shape.to_vec() });
        }
        let keep = 1.0 - self.p;
        let keep_below = (keep * 4_294_967_296.0).round() as u64;
        let scale = self.scale();
        let (seed, call) = (self.seed, self.calls);
        let mut mask = vec![0u8; n];
        let mut out = vec![0.0f32; n];
        let ok = std::sync::atomic::AtomicBool::new(true);
        let run = |j: usize, m: &mut [u8], y: &mut [f32]| {
            fill_stream(m, seed, call, j as u64, keep_below);
            let mut good = true;
            apply_mask(&x[j * MASK_CHUNK..j * MASK_CHUNK + y.len()], m, y, scale, &mut good);
            if !good {
                ok.store(false, std::sync::atomic::Ordering::Relaxed);
            }
        };
        if super::chunks_for(n) > 1 {
            use rayon::prelude::*;
            crate::parallel::install(|| mask.par_chunks_mut(MASK_CHUNK).zip(out.par_chunks_mut(MASK_CHUNK)).enumerate().for_each(|(j, (m, y))| run(j, m, y)));
        } else {
            for (j, (m, y)) in mask.chunks_mut(MASK_CHUNK).zip(out.chunks_mut(MASK_CHUNK)).enumerate() {
                run(j, m, y);
            }
        }
        if !ok.into_inner() {
            return Err(non_finite("input", x));
        }
        self.calls += 1;
        self.cache = requires_grad.then(|| DropoutCache { shape: input.shape.to_vec(), mask: Some(mask) });
        Ok(OwnedTensor { data: out, shape: input.shape.to_vec() })
    }

    /// `dx = mask ⊙ gradOutput / (1 − p)` for the cached forward (the identity after a forward
    /// outside training); consumes the cache. A failed call leaves the cache in place.
    pub fn backward(&mut self, grad_output: TensorRef<'_>) -> Result<OwnedTensor> {
        let Some(cache) = self.cache.as_ref() else {
            return Err(Error::State("backward: there is no forward pass to go back through; call forward(input, { training: true }) (or requiresGrad: true) first; each forward allows one backward".into()));
        };
        check_len("gradOutput", &grad_output)?;
        if grad_output.shape != cache.shape.as_slice() {
            return Err(Error::shape("gradOutput", &cache.shape, grad_output.shape));
        }
        let g = grad_output.data;
        let data = match &cache.mask {
            None => {
                super::check_finite("gradOutput", g)?;
                g.to_vec()
            }
            Some(mask) => {
                let scale = self.scale();
                let mut dx = vec![0.0f32; g.len()];
                let ok = std::sync::atomic::AtomicBool::new(true);
                super::for_each_piece(&mut dx, super::chunks_for(g.len()), |off, d| {
                    let mut good = true;
                    apply_mask(&g[off..off + d.len()], &mask[off..off + d.len()], d, scale, &mut good);
                    if !good {
                        ok.store(false, std::sync::atomic::Ordering::Relaxed);
                    }
                });
                if !ok.into_inner() {
                    return Err(non_finite("gradOutput", g));
                }
                dx
            }
        };
        let shape = cache.shape.clone();
        self.cache = None;
        Ok(OwnedTensor { data, shape })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(data: &'a [f32], shape: &'a [usize]) -> TensorRef<'a> {
        TensorRef { data, shape }
    }

    #[test]
    fn drops_about_p_and_scales_survivors() {
        let x: Vec<f32> = (0..100_000).map(|i| 1.0 + (i % 7) as f32).collect();
        for p in [0.1f64, 0.5, 0.9] {
            let mut d = Dropout::new(p, 11).unwrap();
            let y = d.forward(t(&x, &[x.len()]), true, false).unwrap().data;
            let kept = y.iter().filter(|v| **v != 0.0).count() as f64 / x.len() as f64;
            assert!((kept - (1.0 - p)).abs() < 0.01, "p = {p}: kept {kept}");
            let scale = (1.0 / (1.0 - p)) as f32;
            assert!(y.iter().zip(&x).all(|(y, x)| *y == 0.0 || *y == x * scale));
        }
    }

    #[test]
    fn identity_outside_training_or_at_zero_and_zeros_at_one() {
        let x = [1.0f32, -2.0, 3.0, 4.5];
        let mut d = Dropout::new(0.5, 1).unwrap();
        assert_eq!(d.forward(t(&x, &[2, 2]), false, false).unwrap().data, x);
        assert_eq!(d.calls(), 0);
        let mut z = Dropout::new(0.0, 1).unwrap();
        assert_eq!(z.forward(t(&x, &[4]), true, true).unwrap().data, x);
        assert_eq!(z.backward(t(&x, &[4])).unwrap().data, x);
        let mut one = Dropout::new(1.0, 1).unwrap();
        let y = one.forward(t(&x, &[4]), true, true).unwrap();
        assert!(y.data.iter().all(|v| *v == 0.0));
        assert!(one.backward(t(&x, &[4])).unwrap().data.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn seeded_per_call_and_independent_of_chunking() {
        let x = vec![1.0f32; 3 * MASK_CHUNK + 1000];
        let mut a = Dropout::new(0.3, 42).unwrap();
        let mut b = Dropout::new(0.3, 42).unwrap();
        let a1 = a.forward(t(&x, &[x.len()]), true, false).unwrap().data;
        let a2 = a.forward(t(&x, &[x.len()]), true, false).unwrap().data;
        let b1 = b.forward(t(&x, &[x.len()]), true, false).unwrap().data;
        assert_eq!(a1, b1, "same seed, same call → same mask");
        assert_ne!(a1, a2, "successive calls differ");
        let c1 = Dropout::new(0.3, 43).unwrap().forward(t(&x, &[x.len()]), true, false).unwrap().data;
        assert_ne!(a1, c1, "another seed differs");
        // The (possibly parallel) mask equals the streams drawn one by one.
        let keep_below = (0.7f64 * 4_294_967_296.0).round() as u64;
        for (j, part) in a1.chunks(MASK_CHUNK).enumerate() {
            let mut m = vec![0u8; part.len()];
            fill_stream(&mut m, 42, 0, j as u64, keep_below);
            assert!(part.iter().zip(&m).all(|(y, m)| (*y != 0.0) == (*m == 1)), "stream {j}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        // With the mask fixed (same seed, first call), dropout is linear in x.
        let x: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
        let g: Vec<f32> = (0..50).map(|i| (i as f32 * 0.11).cos()).collect();
        let loss = |x: &[f32]| -> f64 {
            let y = Dropout::new(0.4, 9).unwrap().forward(t(x, &[5, 10]), true, false).unwrap().data;
            y.iter().zip(&g).map(|(a, b)| *a as f64 * *b as f64).sum()
        };
        let mut d = Dropout::new(0.4, 9).unwrap();
        d.forward(t(&x, &[5, 10]), true, true).unwrap();
        let dx = d.backward(t(&g, &[5, 10])).unwrap().data;
        let eps = 1e-2f32;
        for i in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += eps;
            xm[i] -= eps;
            let fd = (loss(&xp) - loss(&xm)) / (xp[i] - xm[i]) as f64;
            assert!((dx[i] as f64 - fd).abs() <= 1e-4 * (1.0 + fd.abs()), "x[{i}]: analytic {} vs numeric {fd}", dx[i]);
        }
    }

    #[test]
    fn errors_name_the_argument_and_change_nothing() {
        assert!(Dropout::new(1.5, 0).unwrap_err().to_string().contains("p: expected a probability in [0, 1], got 1.5"));
        assert!(Dropout::new(f64::NAN, 0).unwrap_err().to_string().contains("NaN"));
        let mut d = Dropout::new(0.5, 0).unwrap();
        let e = d.backward(t(&[1.0], &[1])).unwrap_err().to_string();
        assert!(e.contains("backward") && e.contains("training: true"), "{e}");
        let x = [1.0f32, 2.0, 3.0, 4.0];
        d.forward(t(&x, &[2, 2]), true, true).unwrap();
        let e = d.forward(t(&[1.0, f32::NAN], &[2]), true, true).unwrap_err().to_string();
        assert!(e.contains("input") && e.contains("NaN") && e.contains("index 1"), "{e}");
        assert_eq!(d.calls(), 1, "a failed forward draws no mask");
        let e = d.backward(t(&x, &[4])).unwrap_err().to_string();
        assert!(e.contains("gradOutput") && e.contains("[2, 2]") && e.contains("[4]"), "{e}");
        let e = d.backward(t(&[0.0, f32::INFINITY, 0.0, 0.0], &[2, 2])).unwrap_err().to_string();
        assert!(e.contains("gradOutput") && e.contains("inf"), "{e}");
        // The failed calls left the cache: backward still works, once.
        assert!(d.backward(t(&x, &[2, 2])).is_ok());
        assert!(d.backward(t(&x, &[2, 2])).is_err());
    }
}
