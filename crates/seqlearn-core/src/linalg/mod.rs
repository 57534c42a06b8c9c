//! The one GEMM entry point. Backend: the pure-Rust `gemm` crate (run-time AVX2/AVX-512/FMA
//! dispatch, `Parallelism::Rayon` on our pool), chosen over `matrixmultiply` by measurement
//! (`cargo run --release --example gemm_backends`). With the `blas-openblas-system` feature,
//! large row-major products go to `cblas_sgemm` instead.
//!
//! The recurrent time loops use [`gemm_packed`] instead: a GEMM against a weight packed once per
//! pass ([`PackedWeights`]), with our own AVX-512 / AVX2 / portable register-tile kernels.

use gemm::Parallelism;

#[cfg(feature = "blas-openblas-system")]
mod blas;
#[cfg(target_arch = "x86_64")]
mod kernels_x86;
mod packed;

pub use packed::{best_path, gemm_packed, gemm_packed_bias, with_path, KernelPath, PackedWeights, NR};

/// A read-only strided matrix operand: element `(i, j)` is at `ptr[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef {
    /// Pointer to element (0, 0).
    pub ptr: *const f32,
    /// Row stride in elements.
    pub rs: isize,
    /// Column stride in elements.
    pub cs: isize,
}

/// A writable strided matrix operand.
#[derive(Clone, Copy, Debug)]
pub struct MatMut {
    /// Pointer to element (0, 0).
    pub ptr: *mut f32,
    /// Row stride in elements.
    pub rs: isize,
    /// Column stride in elements.
    pub cs: isize,
}

// SAFETY: the pointers are only dereferenced inside `gemm`, whose callers guarantee disjoint
// writes across threads (each thread owns distinct columns or rows of the destination).
unsafe impl Send for MatRef {}
unsafe impl Sync for MatRef {}
unsafe impl Send for MatMut {}
unsafe impl Sync for MatMut {}

impl MatRef {
    /// Row-major `[rows, ld]` storage.
    pub fn row_major(s: &[f32], ld: usize) -> Self {
        MatRef { ptr: s.as_ptr(), rs: ld as isize, cs: 1 }
    }
    /// The transpose of row-major `[cols, ld]` storage.
    pub fn transposed(s: &[f32], ld: usize) -> Self {
        MatRef { ptr: s.as_ptr(), rs: 1, cs: ld as isize }
    }
    /// The same operand shifted by `(r, c)`.
    pub fn at(self, r: usize, c: usize) -> Self {
        MatRef { ptr: self.ptr.wrapping_offset(r as isize * self.rs + c as isize * self.cs), ..self }
    }
}

impl MatMut {
    /// Row-major `[rows, ld]` storage.
    pub fn row_major(s: &mut [f32], ld: usize) -> Self {
        MatMut { ptr: s.as_mut_ptr(), rs: ld as isize, cs: 1 }
    }
    /// The same operand shifted by `(r, c)`.
    pub fn at(self, r: usize, c: usize) -> Self {
        MatMut { ptr: self.ptr.wrapping_offset(r as isize * self.rs + c as isize * self.cs), ..self }
    }
}

/// `C[m×n] = (accumulate ? C : 0) + A[m×k] · B[k×n]`, using up to `threads` threads of the
/// current pool (1 = on the calling thread).
///
/// # Safety
/// Every element addressed by the three operands for the given sizes must be valid, `c` must
/// not alias `a` or `b`, and no other thread may touch the addressed elements of `c` meanwhile.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_raw(m: usize, n: usize, k: usize, c: MatMut, accumulate: bool, a: MatRef, b: MatRef, threads: usize) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    *c.ptr.offset(i as isize * c.rs + j as isize * c.cs) = 0.0;
                }
            }
        }
        return;
    }
    #[cfg(feature = "blas-openblas-system")]
    if blas::try_sgemm(m, n, k, c, accumulate, a, b, threads) {
        return;
    }
    let par = if threads > 1 && (m * n * k) >= 1 << 15 { Parallelism::Rayon(threads) } else { Parallelism::None };
    gemm::gemm(
        m, n, k, c.ptr, c.cs, c.rs, accumulate, a.ptr, a.cs, a.rs, b.ptr, b.cs, b.rs, 1.0f32, 1.0f32, false, false,
        false, par,
    );
}

fn check(name: &str, have: usize, need: usize) {
    assert!(have >= need, "internal: {name} has {have} elements, needs {need}");
}

/// `C[m×n] (+)= A[m×k] · B[n×k]ᵀ` on row-major slices (the `x · Wᵀ` of a linear layer).
#[allow(clippy::too_many_arguments)]
pub fn matmul_nt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool, threads: usize) {
    check("A", a.len(), m * k);
    check("B", b.len(), n * k);
    check("C", c.len(), m * n);
    // SAFETY: sizes checked above; slices do not alias (distinct borrows).
    unsafe { gemm_raw(m, n, k, MatMut::row_major(c, n), accumulate, MatRef::row_major(a, k), MatRef::transposed(b, k), threads) }
}

/// `C[m×n] (+)= A[m×k] · B[k×n]` on row-major slices (the `dY · W` of a linear layer).
#[allow(clippy::too_many_arguments)]
pub fn matmul_nn(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool, threads: usize) {
    check("A", a.len(), m * k);
    check("B", b.len(), k * n);
    check("C", c.len(), m * n);
    // SAFETY: as above.
    unsafe { gemm_raw(m, n, k, MatMut::row_major(c, n), accumulate, MatRef::row_major(a, k), MatRef::row_major(b, n), threads) }
}

/// `C[m×n] (+)= A[k×m]ᵀ · B[k×n]` on row-major slices (the `dYᵀ · X` weight gradient).
#[allow(clippy::too_many_arguments)]
pub fn matmul_tn(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool, threads: usize) {
    check("A", a.len(), k * m);
    check("B", b.len(), k * n);
    check("C", c.len(), m * n);
    // SAFETY: as above.
    unsafe { gemm_raw(m, n, k, MatMut::row_major(c, n), accumulate, MatRef::transposed(a, m), MatRef::row_major(b, n), threads) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn arr(r: usize, c: usize, seed: u64) -> Array2<f32> {
        let mut rng = crate::rng::Rng::new(seed);
        Array2::from_shape_fn((r, c), |_| rng.uniform(-1.0, 1.0))
    }

    fn close(a: &[f32], b: &[f32]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn three_layouts_match_ndarray() {
        for &(m, n, k) in &[(1, 7, 5), (33, 65, 17), (128, 96, 200)] {
            for threads in [1, 2] {
                let a = arr(m, k, 1);
                let bt = arr(n, k, 2);
                let mut c = vec![0.5f32; m * n];
                matmul_nt(m, n, k, a.as_slice().unwrap(), bt.as_slice().unwrap(), &mut c, false, threads);
                close(&c, a.dot(&bt.t()).as_standard_layout().as_slice().unwrap());

                let b = arr(k, n, 3);
                let mut c2 = vec![1.0f32; m * n];
                matmul_nn(m, n, k, a.as_slice().unwrap(), b.as_slice().unwrap(), &mut c2, true, threads);
                let want = a.dot(&b) + 1.0;
                close(&c2, want.as_slice().unwrap());

                let at = arr(k, m, 4);
                let mut c3 = vec![0.0f32; m * n];
                matmul_tn(m, n, k, at.as_slice().unwrap(), b.as_slice().unwrap(), &mut c3, false, threads);
                close(&c3, at.t().dot(&b).as_standard_layout().as_slice().unwrap());
            }
        }
    }
}

/// Median wall-clock seconds of `C[m×n] = A[m×k] · Wᵀ` with `W` `[n, k]` packed once, on the
/// seqlearn pool with the columns split over its threads: the GEMM the recurrent kernels run
/// (used by the benchmarks to report the machine's GEMM rate beside the recurrent kernels').
pub fn bench_gemm(m: usize, n: usize, k: usize, reps: usize) -> f64 {
    let mut rng = crate::rng::Rng::new(1);
    let mut a = vec![0.0f32; m * k];
    let mut w = vec![0.0f32; n * k];
    rng.fill_uniform(&mut a, -1.0, 1.0);
    rng.fill_uniform(&mut w, -1.0, 1.0);
    let mut c = vec![0.0f32; m * n];
    let threads = crate::parallel::num_threads();
    let packed = PackedWeights::pack(&w, n, k, k);
    let chunks = threads.min(n.div_ceil(NR)).max(1);
    let (ar, cm) = (MatRef::row_major(&a, k), MatMut::row_major(&mut c, n));
    let run = || {
        crate::parallel::for_each_chunk(chunks, |t| {
            let (c0, c1) = crate::parallel::split_range(n, chunks, NR, t);
            // SAFETY: sizes match the buffers; chunk t writes columns c0..c1 only.
            unsafe { gemm_packed(m, c0..c1, ar, &packed, cm, false) };
        })
    };
    crate::parallel::install(|| {
        run();
        let mut times: Vec<f64> = (0..reps.max(1))
            .map(|_| {
                let t = std::time::Instant::now();
                run();
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(|x, y| x.partial_cmp(y).unwrap());
        times[times.len() / 2]
    })
}
