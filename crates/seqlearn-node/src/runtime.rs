//! Threads, seeded random tensors and a GEMM probe for the benchmarks.

use napi_derive::napi;
use seqlearn_core::{linalg, parallel, rng::Rng};

use crate::convert::{to_usize, JsFloat32, JsTypedArray};
use crate::error::to_js;

/// Sets the number of threads of seqlearn's pool (default: `SEQLEARN_NUM_THREADS` or the cores).
#[napi(catch_unwind)]
pub fn set_num_threads(n: f64) -> napi::Result<()> {
    parallel::set_num_threads(to_usize("numThreads", n, 1, 1024)?).map_err(to_js)
}

/// The number of threads kernels use.
#[napi]
pub fn get_num_threads() -> u32 {
    parallel::num_threads() as u32
}

/// `n` standard-normal values from `seed`.
#[napi(catch_unwind, ts_return_type = "Float32Array")]
pub fn random_normal(n: f64, seed: f64) -> napi::Result<JsFloat32> {
    let n = to_usize("size", n, 0, 1 << 34)?;
    let mut v = vec![0.0f32; n];
    Rng::new(to_usize("seed", seed, 0, (1usize << 53) - 1)? as u64).fill_normal(&mut v);
    Ok(JsTypedArray(v))
}

/// `n` values uniform in [low, high) from `seed`.
#[napi(catch_unwind, ts_return_type = "Float32Array")]
pub fn random_uniform(n: f64, low: f64, high: f64, seed: f64) -> napi::Result<JsFloat32> {
    let n = to_usize("size", n, 0, 1 << 34)?;
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(crate::error::invalid("low/high", format!("expected finite low < high, got {low}, {high}")));
    }
    let mut v = vec![0.0f32; n];
    Rng::new(to_usize("seed", seed, 0, (1usize << 53) - 1)? as u64).fill_uniform(&mut v, low as f32, high as f32);
    Ok(JsTypedArray(v))
}

/// Median seconds of `C[m×n] = A[m×k]·Wᵀ` (W `[n, k]` packed once) with the GEMM kernel the
/// recurrent layers use, on the current pool
/// (benchmark helper: our distance from the machine's GEMM limit).
#[napi(catch_unwind)]
pub fn bench_gemm(m: f64, n: f64, k: f64, reps: f64) -> napi::Result<f64> {
    let (m, n, k) = (to_usize("m", m, 1, 1 << 16)?, to_usize("n", n, 1, 1 << 16)?, to_usize("k", k, 1, 1 << 16)?);
    let reps = to_usize("reps", reps, 1, 1 << 20)?;
    Ok(linalg::bench_gemm(m, n, k, reps))
}
