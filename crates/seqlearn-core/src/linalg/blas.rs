//! Optional OpenBLAS backend (cargo feature `blas-openblas-system`, for from-source builds with
//! `libopenblas-dev`): large row-major products go to `cblas_sgemm`. OpenBLAS is told to use one
//! thread; parallelism stays with seqlearn's pool, which splits the rows (never two pools).

use super::{MatMut, MatRef};

const ROW_MAJOR: i32 = 101;
const NO_TRANS: i32 = 111;
const TRANS: i32 = 112;

extern "C" {
    fn cblas_sgemm(layout: i32, ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: *const f32, lda: i32, b: *const f32, ldb: i32, beta: f32, c: *mut f32, ldc: i32);
    fn openblas_set_num_threads(n: i32);
}

/// `(transpose flag, leading dimension)` of an operand with `rows × cols`, if BLAS can take it.
fn layout(m: MatRef, rows: usize, cols: usize) -> Option<(i32, i32)> {
    if m.cs == 1 && m.rs >= cols.max(1) as isize {
        Some((NO_TRANS, m.rs as i32))
    } else if m.rs == 1 && m.cs >= rows.max(1) as isize {
        Some((TRANS, m.cs as i32))
    } else {
        None
    }
}

/// Runs the product with OpenBLAS when the operands allow it and it is large enough; returns
/// `false` to let the caller use the default backend.
///
/// # Safety
/// As [`super::gemm_raw`].
pub(super) unsafe fn try_sgemm(m: usize, n: usize, k: usize, c: MatMut, accumulate: bool, a: MatRef, b: MatRef, threads: usize) -> bool {
    if m * n * k < 1 << 18 || c.cs != 1 || c.rs < n as isize || m.max(n).max(k) > i32::MAX as usize {
        return false;
    }
    let (Some((ta, lda)), Some((tb, ldb))) = (layout(a, m, k), layout(b, k, n)) else {
        return false;
    };
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| openblas_set_num_threads(1));
    let beta = if accumulate { 1.0 } else { 0.0 };
    let parts = threads.clamp(1, m.div_ceil(64).max(1));
    crate::parallel::for_each_chunk(parts, |p| {
        let (r0, r1) = crate::parallel::split_range(m, parts, 8, p);
        if r1 > r0 {
            let (ap, bp, cp) = (a.at(r0, 0), b.at(0, 0), c.at(r0, 0));
            // SAFETY: each part writes its own rows of C; operands valid per the caller.
            unsafe { cblas_sgemm(ROW_MAJOR, ta, tb, (r1 - r0) as i32, n as i32, k as i32, 1.0, ap.ptr, lda, bp.ptr, ldb, beta, cp.ptr, c.rs as i32) };
        }
    });
    true
}
