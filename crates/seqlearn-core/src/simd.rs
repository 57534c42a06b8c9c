//! Run-time SIMD dispatch. The crate is compiled for baseline x86-64; element-wise kernels are
//! written once as plain loops and compiled three times by [`dispatch!`]: baseline (SSE2),
//! AVX2+FMA and AVX-512, chosen at run time, so one prebuilt binary is fast on every x86-64 CPU.
//! Results are bit-identical between the copies: no `mul_add` is used, so no fused rounding.
//! `SEQLEARN_NO_AVX512` / `SEQLEARN_NO_AVX2` force the narrower paths (tests, comparisons).

/// Runs `detect` once and caches the answer in `state` (0 = unknown, 1 = no, 2 = yes).
#[cfg(target_arch = "x86_64")]
#[inline]
fn cached(state: &std::sync::atomic::AtomicU8, detect: impl FnOnce() -> bool) -> bool {
    use std::sync::atomic::Ordering;
    match state.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let v = detect();
            state.store(if v { 2 } else { 1 }, Ordering::Relaxed);
            v
        }
    }
}

/// True when the CPU supports AVX2 and FMA (checked once), unless `SEQLEARN_NO_AVX2` is set.
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
        cached(&STATE, || {
            std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") && std::env::var_os("SEQLEARN_NO_AVX2").is_none()
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when the CPU supports AVX-512 (F, BW, DQ, VL) and AVX2 (checked once), unless
/// `SEQLEARN_NO_AVX512` is set.
#[inline]
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
        cached(&STATE, || {
            has_avx2()
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::env::var_os("SEQLEARN_NO_AVX512").is_none()
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `pub fn name(args)` whose body is compiled for baseline x86-64, AVX2+FMA and
/// AVX-512, dispatching at run time. The body must only call `#[inline(always)]` helpers so they are
/// compiled with the wider instruction set too.
#[macro_export]
macro_rules! dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn wider($($arg: $ty),*) { body($($arg),*) }
                if $crate::simd::has_avx512() {
                    // SAFETY: the CPU supports these features (checked above).
                    return unsafe { wider($($arg),*) };
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn wide($($arg: $ty),*) { body($($arg),*) }
                if $crate::simd::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked above).
                    return unsafe { wide($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
