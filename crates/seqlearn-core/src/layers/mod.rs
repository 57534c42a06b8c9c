//! Feed-forward layers with `torch.nn` semantics and parameter names: [`Embedding`] (a lookup
//! table with a scatter-add backward), [`Linear`] (`y = x Wᵀ + b` on the pre-packed GEMM path),
//! [`Dropout`] (inverted dropout, seeded per call) and the element-wise activations
//! ([`Activation`]: ReLU, LeakyReLU, ELU, GELU, Tanh, Sigmoid, Softplus, SiLU). Every layer
//! validates its arguments and names them in errors; big kernels run on the one rayon pool.

pub mod activations;
pub mod dropout;
pub mod embedding;
pub mod linear;

pub use activations::{Activation, GeluApproximation};
pub use dropout::Dropout;
pub use embedding::{Embedding, EmbeddingConfig};
pub use linear::{Linear, LinearConfig};

use crate::error::{Error, Result};
use crate::recurrent::TensorRef;

/// An owned tensor: the result of a layer's forward or backward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedTensor {
    /// Row-major values.
    pub data: Vec<f32>,
    /// Shape (its product is `data.len()`).
    pub shape: Vec<usize>,
}

/// Elements below which an element-wise kernel stays on the calling thread (a pool round trip
/// costs more than it saves).
pub(crate) const PAR_MIN_ELEMS: usize = 1 << 15;

/// Checks that `t.data` has as many values as `t.shape` needs; `arg` names the argument.
pub(crate) fn check_len(arg: &str, t: &TensorRef<'_>) -> Result<()> {
    let n = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if n != Some(t.data.len()) {
        let need = n.map(|n| n.to_string()).unwrap_or_else(|| "too many".into());
        return Err(Error::invalid(arg, format!("shape {:?} needs {need} values, got {}", t.shape, t.data.len())));
    }
    Ok(())
}

/// Checks that every value is finite; `arg` names the argument in the error.
pub(crate) fn check_finite(arg: &str, v: &[f32]) -> Result<()> {
    // A branch-free pass (vectorised) first; the position only when something is wrong.
    if v.iter().fold(true, |ok, x| ok & x.is_finite()) {
        return Ok(());
    }
    Err(non_finite(arg, v))
}

/// The error for the first non-finite value of `v` (which must have one).
pub(crate) fn non_finite(arg: &str, v: &[f32]) -> Error {
    let i = v.iter().position(|x| !x.is_finite()).unwrap_or(0);
    Error::invalid(arg, format!("expected finite values, found {} at flat index {i}", v.get(i).copied().unwrap_or(f32::NAN)))
}

/// Number of chunks an element-wise pass over `n` values is split into on the pool.
pub(crate) fn chunks_for(n: usize) -> usize {
    if n < 2 * PAR_MIN_ELEMS {
        1
    } else {
        crate::parallel::num_threads().min(n / PAR_MIN_ELEMS).max(1)
    }
}

/// Runs `f(offset, out_chunk)` over `out` cut into `chunks` near-equal pieces (aligned to 16
/// values), in parallel on the pool when `chunks > 1`. `offset` is the chunk's first index.
pub(crate) fn for_each_piece<T: Send>(out: &mut [T], chunks: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if chunks <= 1 || out.len() <= 16 {
        f(0, out);
        return;
    }
    use rayon::prelude::*;
    let per = out.len().div_ceil(chunks).next_multiple_of(16);
    crate::parallel::install(|| out.par_chunks_mut(per).enumerate().for_each(|(i, c)| f(i * per, c)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_finiteness_checks_name_the_argument() {
        let e = check_len("input", &TensorRef { data: &[1.0; 5], shape: &[2, 3] }).unwrap_err().to_string();
        assert!(e.contains("input") && e.contains("needs 6") && e.contains("got 5"), "{e}");
        assert!(check_len("input", &TensorRef { data: &[1.0; 6], shape: &[2, 3] }).is_ok());
        let e = check_finite("gradOutput", &[0.0, 1.0, f32::NAN]).unwrap_err().to_string();
        assert!(e.contains("gradOutput") && e.contains("NaN") && e.contains("index 2"), "{e}");
        assert!(check_finite("x", &[0.0, -1e30]).is_ok());
    }

    #[test]
    fn pieces_cover_everything_once() {
        for n in [0usize, 1, 17, 100_000] {
            for chunks in 1..4 {
                let mut v = vec![0u32; n];
                for_each_piece(&mut v, chunks, |off, c| {
                    for (i, x) in c.iter_mut().enumerate() {
                        *x += (off + i) as u32 + 1;
                    }
                });
                assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32 + 1));
            }
        }
    }
}
