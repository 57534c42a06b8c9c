//! The one place that owns threads. All kernels run inside [`install`], on a single rayon pool
//! whose size comes from `SEQLEARN_NUM_THREADS`, [`set_num_threads`], or the number of cores.
//! GEMMs use this same pool (`gemm`'s `Parallelism::Rayon`), so no second pool ever competes.

use std::sync::{Arc, OnceLock, RwLock};

use crate::error::{Error, Result};

fn slot() -> &'static RwLock<Option<Arc<rayon::ThreadPool>>> {
    static POOL: OnceLock<RwLock<Option<Arc<rayon::ThreadPool>>>> = OnceLock::new();
    POOL.get_or_init(|| RwLock::new(None))
}

fn default_threads() -> usize {
    if let Ok(v) = std::env::var("SEQLEARN_NUM_THREADS") {
        if let Ok(n) = v.trim().parse::<usize>() {
            if n > 0 {
                return n;
            }
        }
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn build(n: usize) -> Result<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("seqlearn-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| Error::State(format!("could not start {n} threads: {e}")))
}

fn pool() -> Arc<rayon::ThreadPool> {
    if let Some(p) = slot().read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return p.clone();
    }
    let mut w = slot().write().unwrap_or_else(|e| e.into_inner());
    if w.is_none() {
        let n = default_threads();
        *w = Some(build(n).or_else(|_| build(1)).expect("a one-thread pool can always be built"));
    }
    w.as_ref().unwrap().clone()
}

/// Sets the number of threads every later kernel uses (1 to 1024). Work already running keeps
/// its pool until it finishes.
pub fn set_num_threads(n: usize) -> Result<()> {
    if n == 0 || n > 1024 {
        return Err(Error::invalid("numThreads", format!("expected an integer in 1..=1024, got {n}")));
    }
    let p = build(n)?;
    *slot().write().unwrap_or_else(|e| e.into_inner()) = Some(p);
    Ok(())
}

/// The number of threads kernels use.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// Runs `f` inside the seqlearn pool; rayon calls made by `f` use that pool.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let p = pool();
    p.install(f)
}

/// The number of threads of the pool the caller runs in (1 outside any pool work).
pub fn current_threads() -> usize {
    rayon::current_num_threads()
}

/// Calls `f(k)` for `k in 0..n`, in parallel when `n > 1`. Used for the per-step phases of the
/// recurrent kernels, which split hidden units (or rows) into `n` disjoint chunks.
pub fn for_each_chunk(n: usize, f: impl Fn(usize) + Sync + Send) {
    if n <= 1 {
        f(0);
    } else {
        use rayon::prelude::*;
        (0..n).into_par_iter().with_max_len(1).for_each(f);
    }
}

/// Runs two closures, concurrently when the pool has more than one thread.
pub fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    if rayon::current_num_threads() > 1 {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// Splits `0..len` into `n` near-equal ranges whose bounds are multiples of `align` (except the end).
pub fn split_range(len: usize, n: usize, align: usize, k: usize) -> (usize, usize) {
    let blocks = len.div_ceil(align);
    let per = blocks / n;
    let extra = blocks % n;
    let start_b = k * per + k.min(extra);
    let end_b = start_b + per + usize::from(k < extra);
    ((start_b * align).min(len), (end_b * align).min(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_range_covers_everything_once() {
        for len in [1usize, 7, 16, 100, 513] {
            for n in 1..5 {
                let mut next = 0;
                for k in 0..n {
                    let (a, b) = split_range(len, n, 8, k);
                    assert_eq!(a, next.min(len));
                    assert!(b >= a);
                    next = b;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn set_num_threads_rejects_zero() {
        assert!(set_num_threads(0).is_err());
    }
}
