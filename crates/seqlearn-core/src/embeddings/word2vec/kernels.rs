//! SIMD kernels for word2vec: `dot`, `axpy`, `scale`, row sums, prefetch, and the fused
//! negative-sampling update of a small batch ([`ns_update`]) that the batched (pWord2Vec-style)
//! path runs once per context window.
//!
//! Every kernel is written once, generic over a vector type (`Lanes`), and compiled for
//! AVX-512 (16 lanes), AVX2+FMA (8 lanes) and a portable 8-lane array that LLVM lowers to SSE2
//! (or whatever the target has); the copy is chosen at run time ([`Isa::best`], honouring
//! `SEQLEARN_NO_AVX512` / `SEQLEARN_NO_AVX2` like `crate::simd`). Unlike `crate::simd`, these
//! kernels use fused multiply-add, so the ISAs differ in the last bits (≈1e-7 relative); word2vec
//! training is stochastic and the `deterministic` mode fixes the machine, so this is harmless.
//! Lengths need not be multiples of the lane count: tails use masked loads/stores (AVX-512,
//! AVX2) or a partial copy (portable), never reading or writing past `dim` floats of a row.
//!
//! Sigmoid: the C tool reads `σ` from a 1000-entry table over [−6, 6] (error up to ≈3e-3) and
//! treats scores beyond ±[`MAX_EXP`] as saturated (`σ = 1` above 6, `0` below −6, so a
//! confidently right pair gets no update). We keep exactly that saturation rule but compute `σ`
//! inside the range with [`crate::activation::sigmoid`] (absolute error ≤ 2e-7, asserted in
//! `activation`'s tests), vectorised together with the gradients.

use crate::activation::sigmoid;

/// Scores above `MAX_EXP` count as `σ = 1`, below `−MAX_EXP` as `σ = 0` (the C tool's rule).
pub const MAX_EXP: f32 = 6.0;

/// Largest lane count of any [`Isa`]: per-input scratch for [`ns_update`] is `rows · MAX_LANES`.
pub const MAX_LANES: usize = 16;

/// [`Isa::best`]'s cache: 0 = not yet detected, then 1/2/3 = AVX-512/AVX2/portable.
static BEST_ISA: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// The instruction set a kernel copy is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512 F/BW/DQ/VL with FMA: 16 lanes.
    Avx512,
    /// AVX2 with FMA: 8 lanes.
    Avx2,
    /// Plain Rust over 8-lane arrays (SSE2 on baseline x86-64, or any other target).
    Portable,
}

impl Isa {
    /// The widest instruction set this CPU supports (detected once through `crate::simd`, then
    /// one relaxed atomic load: the per-pair Hogwild kernels call this for every dot product).
    #[inline(always)]
    pub fn best() -> Isa {
        match BEST_ISA.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Isa::Avx512,
            2 => Isa::Avx2,
            3 => Isa::Portable,
            _ => Isa::detect(),
        }
    }

    #[cold]
    fn detect() -> Isa {
        let (isa, code) = if crate::simd::has_avx512() {
            (Isa::Avx512, 1)
        } else if crate::simd::has_avx2() {
            (Isa::Avx2, 2)
        } else {
            (Isa::Portable, 3)
        };
        BEST_ISA.store(code, std::sync::atomic::Ordering::Relaxed);
        isa
    }

    /// Every instruction set usable on this CPU, widest first (for tests and comparisons).
    pub fn available() -> Vec<Isa> {
        let mut v = Vec::new();
        if crate::simd::has_avx512() {
            v.push(Isa::Avx512);
        }
        if crate::simd::has_avx2() {
            v.push(Isa::Avx2);
        }
        v.push(Isa::Portable);
        v
    }
}

/// `σ(s)` with the C tool's saturation beyond ±[`MAX_EXP`].
#[inline(always)]
pub fn saturated_sigmoid(s: f32) -> f32 {
    let v = sigmoid(s);
    let v = if s > MAX_EXP { 1.0 } else { v };
    if s < -MAX_EXP {
        0.0
    } else {
        v
    }
}

/// The vector type a kernel is generic over. All methods are `unsafe` because they call
/// instruction-set intrinsics: they may only run inside a function compiled with those features.
trait Lanes: Copy {
    const N: usize;
    unsafe fn zero() -> Self;
    unsafe fn splat(x: f32) -> Self;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(p: *mut f32, v: Self);
    /// Loads `len < N` floats, the other lanes zero.
    unsafe fn load_part(p: *const f32, len: usize) -> Self;
    /// Stores the first `len < N` lanes.
    unsafe fn store_part(p: *mut f32, v: Self, len: usize);
    /// `a · b + c`.
    unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self;
    unsafe fn add(a: Self, b: Self) -> Self;
    unsafe fn mul(a: Self, b: Self) -> Self;
    unsafe fn hsum(a: Self) -> f32;
}

/// Loads a full vector or, when `PART`, the first `len` floats.
#[inline(always)]
unsafe fn ld<V: Lanes, const PART: bool>(p: *const f32, len: usize) -> V {
    if PART {
        V::load_part(p, len)
    } else {
        V::load(p)
    }
}

/// Stores a full vector or, when `PART`, its first `len` lanes.
#[inline(always)]
unsafe fn st<V: Lanes, const PART: bool>(p: *mut f32, v: V, len: usize) {
    if PART {
        V::store_part(p, v, len)
    } else {
        V::store(p, v)
    }
}

/// 8 lanes as a plain array; LLVM vectorises the loops for the target's baseline SIMD.
#[derive(Clone, Copy)]
struct Portable([f32; 8]);

impl Lanes for Portable {
    const N: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self {
        Portable([0.0; 8])
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        Portable([x; 8])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        Portable(std::ptr::read_unaligned(p as *const [f32; 8]))
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self) {
        std::ptr::write_unaligned(p as *mut [f32; 8], v.0)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, len: usize) -> Self {
        let mut a = [0.0; 8];
        std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), len);
        Portable(a)
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, v: Self, len: usize) {
        std::ptr::copy_nonoverlapping(v.0.as_ptr(), p, len);
    }
    #[inline(always)]
    unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self {
        Portable(std::array::from_fn(|k| a.0[k] * b.0[k] + c.0[k]))
    }
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Portable(std::array::from_fn(|k| a.0[k] + b.0[k]))
    }
    #[inline(always)]
    unsafe fn mul(a: Self, b: Self) -> Self {
        Portable(std::array::from_fn(|k| a.0[k] * b.0[k]))
    }
    #[inline(always)]
    unsafe fn hsum(a: Self) -> f32 {
        let a = a.0;
        ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// One AVX-512 register of 16 floats.
    #[derive(Clone, Copy)]
    pub(super) struct V512(__m512);

    impl Lanes for V512 {
        const N: usize = 16;
        #[inline(always)]
        unsafe fn zero() -> Self {
            V512(_mm512_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> Self {
            V512(_mm512_set1_ps(x))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            V512(_mm512_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: Self) {
            _mm512_storeu_ps(p, v.0)
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, len: usize) -> Self {
            V512(_mm512_maskz_loadu_ps(((1u32 << len) - 1) as __mmask16, p))
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: Self, len: usize) {
            _mm512_mask_storeu_ps(p, ((1u32 << len) - 1) as __mmask16, v.0)
        }
        #[inline(always)]
        unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self {
            V512(_mm512_fmadd_ps(a.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            V512(_mm512_add_ps(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            V512(_mm512_mul_ps(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn hsum(a: Self) -> f32 {
            _mm512_reduce_add_ps(a.0)
        }
    }

    /// One AVX2 register of 8 floats.
    #[derive(Clone, Copy)]
    pub(super) struct V256(__m256);

    #[inline(always)]
    unsafe fn mask8(len: usize) -> __m256i {
        _mm256_cmpgt_epi32(_mm256_set1_epi32(len as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
    }

    impl Lanes for V256 {
        const N: usize = 8;
        #[inline(always)]
        unsafe fn zero() -> Self {
            V256(_mm256_setzero_ps())
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> Self {
            V256(_mm256_set1_ps(x))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            V256(_mm256_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: Self) {
            _mm256_storeu_ps(p, v.0)
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, len: usize) -> Self {
            V256(_mm256_maskload_ps(p, mask8(len)))
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: Self, len: usize) {
            _mm256_maskstore_ps(p, mask8(len), v.0)
        }
        #[inline(always)]
        unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self {
            V256(_mm256_fmadd_ps(a.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn add(a: Self, b: Self) -> Self {
            V256(_mm256_add_ps(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul(a: Self, b: Self) -> Self {
            V256(_mm256_mul_ps(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn hsum(a: Self) -> f32 {
            let s = _mm_add_ps(_mm256_castps256_ps128(a.0), _mm256_extractf128_ps::<1>(a.0));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
            _mm_cvtss_f32(s)
        }
    }
}

/// Defines `unsafe fn $name(isa, args)` that runs the generic kernel `$generic::<V>` compiled
/// for the requested instruction set. The caller guarantees `isa` is supported (use
/// [`Isa::best`] / [`Isa::available`]).
macro_rules! isa_kernel {
    ($name:ident($($a:ident : $t:ty),*) $(-> $r:ty)? = $generic:ident) => {
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(isa: Isa, $($a: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn wider($($a: $t),*) $(-> $r)? {
                    $generic::<x86::V512>($($a),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn wide($($a: $t),*) $(-> $r)? {
                    $generic::<x86::V256>($($a),*)
                }
                match isa {
                    Isa::Avx512 => return wider($($a),*),
                    Isa::Avx2 => return wide($($a),*),
                    Isa::Portable => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa;
            $generic::<Portable>($($a),*)
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Generic kernels.

#[inline(always)]
unsafe fn dot_generic<V: Lanes>(a: *const f32, b: *const f32, n: usize) -> f32 {
    let (mut s0, mut s1, mut s2, mut s3) = (V::zero(), V::zero(), V::zero(), V::zero());
    let mut i = 0;
    while i + 4 * V::N <= n {
        s0 = V::fmadd(V::load(a.add(i)), V::load(b.add(i)), s0);
        s1 = V::fmadd(V::load(a.add(i + V::N)), V::load(b.add(i + V::N)), s1);
        s2 = V::fmadd(V::load(a.add(i + 2 * V::N)), V::load(b.add(i + 2 * V::N)), s2);
        s3 = V::fmadd(V::load(a.add(i + 3 * V::N)), V::load(b.add(i + 3 * V::N)), s3);
        i += 4 * V::N;
    }
    while i + V::N <= n {
        s0 = V::fmadd(V::load(a.add(i)), V::load(b.add(i)), s0);
        i += V::N;
    }
    if i < n {
        s1 = V::fmadd(V::load_part(a.add(i), n - i), V::load_part(b.add(i), n - i), s1);
    }
    V::hsum(V::add(V::add(s0, s1), V::add(s2, s3)))
}

#[inline(always)]
unsafe fn axpy_generic<V: Lanes>(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
    let a = V::splat(alpha);
    let mut i = 0;
    while i + V::N <= n {
        V::store(y.add(i), V::fmadd(a, V::load(x.add(i)), V::load(y.add(i))));
        i += V::N;
    }
    if i < n {
        let len = n - i;
        V::store_part(y.add(i), V::fmadd(a, V::load_part(x.add(i), len), V::load_part(y.add(i), len)), len);
    }
}

#[inline(always)]
unsafe fn scale_generic<V: Lanes>(alpha: f32, x: *mut f32, n: usize) {
    let a = V::splat(alpha);
    let mut i = 0;
    while i + V::N <= n {
        V::store(x.add(i), V::mul(a, V::load(x.add(i))));
        i += V::N;
    }
    if i < n {
        let len = n - i;
        V::store_part(x.add(i), V::mul(a, V::load_part(x.add(i), len)), len);
    }
}

#[inline(always)]
unsafe fn add_to_rows_generic<V: Lanes>(rows: &[*mut f32], x: *const f32, n: usize) {
    let mut off = 0;
    while off + V::N <= n {
        let v = V::load(x.add(off));
        for &r in rows {
            V::store(r.add(off), V::add(V::load(r.add(off)), v));
        }
        off += V::N;
    }
    if off < n {
        let len = n - off;
        let v = V::load_part(x.add(off), len);
        for &r in rows {
            V::store_part(r.add(off), V::add(V::load_part(r.add(off), len), v), len);
        }
    }
}

#[inline(always)]
unsafe fn sum_rows_chunk<V: Lanes, const PART: bool>(rows: &[*const f32], scale: V, out: *mut f32, off: usize, len: usize) {
    let mut acc = V::zero();
    for &r in rows {
        acc = V::add(acc, ld::<V, PART>(r.add(off), len));
    }
    st::<V, PART>(out.add(off), V::mul(acc, scale), len);
}

#[inline(always)]
unsafe fn sum_rows_generic<V: Lanes>(rows: &[*const f32], n: usize, scale: f32, out: *mut f32) {
    let s = V::splat(scale);
    let mut off = 0;
    while off + V::N <= n {
        sum_rows_chunk::<V, false>(rows, s, out, off, V::N);
        off += V::N;
    }
    if off < n {
        sum_rows_chunk::<V, true>(rows, s, out, off, n - off);
    }
}

/// Scores of an `M × N` tile: `g[(i0+m)·cols + o0+n] = inputs[i0+m] · outputs[o0+n]`.
#[allow(clippy::needless_range_loop)] // parallel arrays indexed by the same register slot
#[inline(always)]
unsafe fn score_tile<V: Lanes, const M: usize, const N: usize>(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    i0: usize,
    o0: usize,
    n: usize,
    g: *mut f32,
    cols: usize,
) {
    let a: [*const f32; M] = std::array::from_fn(|m| *inputs.get_unchecked(i0 + m));
    let b: [*const f32; N] = std::array::from_fn(|k| *outputs.get_unchecked(o0 + k) as *const f32);
    let mut acc = [[V::zero(); N]; M];
    let mut off = 0;
    while off + V::N <= n {
        let av: [V; M] = std::array::from_fn(|m| V::load(a[m].add(off)));
        for k in 0..N {
            let bv = V::load(b[k].add(off));
            for m in 0..M {
                acc[m][k] = V::fmadd(av[m], bv, acc[m][k]);
            }
        }
        off += V::N;
    }
    if off < n {
        let len = n - off;
        let av: [V; M] = std::array::from_fn(|m| V::load_part(a[m].add(off), len));
        for k in 0..N {
            let bv = V::load_part(b[k].add(off), len);
            for m in 0..M {
                acc[m][k] = V::fmadd(av[m], bv, acc[m][k]);
            }
        }
    }
    for m in 0..M {
        for k in 0..N {
            *g.add((i0 + m) * cols + o0 + k) = V::hsum(acc[m][k]);
        }
    }
}

/// Scores of inputs `i0..i0+M` against all outputs, in tiles of up to 4 outputs.
#[inline(always)]
unsafe fn score_rows<V: Lanes, const M: usize>(inputs: &[*const f32], outputs: &[*mut f32], i0: usize, n: usize, g: *mut f32) {
    let cols = outputs.len();
    let mut o0 = 0;
    while o0 < cols {
        match cols - o0 {
            1 => score_tile::<V, M, 1>(inputs, outputs, i0, o0, n, g, cols),
            2 => score_tile::<V, M, 2>(inputs, outputs, i0, o0, n, g, cols),
            3 => score_tile::<V, M, 3>(inputs, outputs, i0, o0, n, g, cols),
            _ => score_tile::<V, M, 4>(inputs, outputs, i0, o0, n, g, cols),
        }
        o0 += 4;
    }
}

/// `ΔIn` of inputs `i0..i0+M` for one chunk: `tmp[i] = Σ_o g[i,o] · outputs[o][off..off+len]`.
#[allow(clippy::needless_range_loop)] // parallel arrays indexed by the same register slot
#[inline(always)]
unsafe fn delta_in_tile<V: Lanes, const PART: bool, const M: usize>(
    outputs: &[*mut f32],
    g: *const f32,
    i0: usize,
    tmp: *mut f32,
    off: usize,
    len: usize,
) {
    let cols = outputs.len();
    let mut acc = [V::zero(); M];
    for (o, &row) in outputs.iter().enumerate() {
        let v = ld::<V, PART>(row.add(off), len);
        for m in 0..M {
            acc[m] = V::fmadd(V::splat(*g.add((i0 + m) * cols + o)), v, acc[m]);
        }
    }
    for m in 0..M {
        V::store(tmp.add((i0 + m) * V::N), acc[m]);
    }
}

/// Output rows `o0..o0+K` for one chunk: `outputs[o] += Σ_i g[i,o] · inputs[i]` (old inputs).
#[allow(clippy::needless_range_loop)] // parallel arrays indexed by the same register slot
#[inline(always)]
unsafe fn out_tile<V: Lanes, const PART: bool, const K: usize>(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    g: *const f32,
    o0: usize,
    off: usize,
    len: usize,
) {
    let cols = outputs.len();
    let rows: [*mut f32; K] = std::array::from_fn(|k| *outputs.get_unchecked(o0 + k));
    let mut acc: [V; K] = std::array::from_fn(|k| ld::<V, PART>(rows[k].add(off), len));
    for (i, &row) in inputs.iter().enumerate() {
        let v = ld::<V, PART>(row.add(off), len);
        for k in 0..K {
            acc[k] = V::fmadd(V::splat(*g.add(i * cols + o0 + k)), v, acc[k]);
        }
    }
    for k in 0..K {
        st::<V, PART>(rows[k].add(off), acc[k], len);
    }
}

/// One chunk (`len` floats at `off`) of the update: ΔIn from the old outputs into `tmp`, then
/// the outputs from the old inputs, then `deltas[i] += ΔIn[i]`.
#[inline(always)]
unsafe fn apply_chunk<V: Lanes, const PART: bool>(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    g: *const f32,
    deltas: &[*mut f32],
    tmp: *mut f32,
    off: usize,
    len: usize,
) {
    let rows = inputs.len();
    let cols = outputs.len();
    let mut i0 = 0;
    while i0 < rows {
        match rows - i0 {
            1 => delta_in_tile::<V, PART, 1>(outputs, g, i0, tmp, off, len),
            2 => delta_in_tile::<V, PART, 2>(outputs, g, i0, tmp, off, len),
            3 => delta_in_tile::<V, PART, 3>(outputs, g, i0, tmp, off, len),
            _ => delta_in_tile::<V, PART, 4>(outputs, g, i0, tmp, off, len),
        }
        i0 += 4;
    }
    let mut o0 = 0;
    while o0 < cols {
        match cols - o0 {
            1 => out_tile::<V, PART, 1>(inputs, outputs, g, o0, off, len),
            2 => out_tile::<V, PART, 2>(inputs, outputs, g, o0, off, len),
            3 => out_tile::<V, PART, 3>(inputs, outputs, g, o0, off, len),
            _ => out_tile::<V, PART, 4>(inputs, outputs, g, o0, off, len),
        }
        o0 += 4;
    }
    for (i, &d) in deltas.iter().enumerate() {
        let p = d.add(off);
        st::<V, PART>(p, V::add(ld::<V, PART>(p, len), V::load(tmp.add(i * V::N))), len);
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn ns_update_generic<V: Lanes>(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    pos: *const f32,
    neg: *const f32,
    alpha: f32,
    n: usize,
    deltas: &[*mut f32],
    g: *mut f32,
    tmp: *mut f32,
) {
    let rows = inputs.len();
    let cols = outputs.len();
    // 1. All scores from the old rows.
    let mut i0 = 0;
    while i0 < rows {
        match rows - i0 {
            1 => score_rows::<V, 1>(inputs, outputs, i0, n, g),
            2 => score_rows::<V, 2>(inputs, outputs, i0, n, g),
            3 => score_rows::<V, 3>(inputs, outputs, i0, n, g),
            _ => score_rows::<V, 4>(inputs, outputs, i0, n, g),
        }
        i0 += 4;
    }
    // 2. Gradients g = α·(pos − (pos + neg)·σ(s)), a plain loop LLVM vectorises.
    let gs = std::slice::from_raw_parts_mut(g, rows * cols);
    let ps = std::slice::from_raw_parts(pos, rows * cols);
    let ns = std::slice::from_raw_parts(neg, rows * cols);
    for ((gk, &p), &q) in gs.iter_mut().zip(ps).zip(ns) {
        let sig = saturated_sigmoid(*gk);
        *gk = alpha * (p - (p + q) * sig);
    }
    // 3. Apply, chunk by chunk, from the old values.
    let mut off = 0;
    while off + V::N <= n {
        apply_chunk::<V, false>(inputs, outputs, g, deltas, tmp, off, V::N);
        off += V::N;
    }
    if off < n {
        apply_chunk::<V, true>(inputs, outputs, g, deltas, tmp, off, n - off);
    }
}

isa_kernel!(dot_isa(a: *const f32, b: *const f32, n: usize) -> f32 = dot_generic);
isa_kernel!(axpy_isa(alpha: f32, x: *const f32, y: *mut f32, n: usize) = axpy_generic);
isa_kernel!(scale_isa(alpha: f32, x: *mut f32, n: usize) = scale_generic);
isa_kernel!(add_to_rows_isa(rows: &[*mut f32], x: *const f32, n: usize) = add_to_rows_generic);
isa_kernel!(sum_rows_isa(rows: &[*const f32], n: usize, scale: f32, out: *mut f32) = sum_rows_generic);
isa_kernel!(ns_update_isa(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    pos: *const f32,
    neg: *const f32,
    alpha: f32,
    n: usize,
    deltas: &[*mut f32],
    g: *mut f32,
    tmp: *mut f32
) = ns_update_generic);

// ---------------------------------------------------------------------------------------------
// Public entry points.

/// `a · b` (SIMD, fused multiply-add). Panics when the lengths differ.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: length mismatch");
    // SAFETY: both slices hold `a.len()` floats; `Isa::best` is supported by this CPU.
    unsafe { dot_isa(Isa::best(), a.as_ptr(), b.as_ptr(), a.len()) }
}

/// `y += alpha · x` (SIMD). Panics when the lengths differ.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "axpy: length mismatch");
    // SAFETY: both slices hold `x.len()` floats; `Isa::best` is supported by this CPU.
    unsafe { axpy_isa(Isa::best(), alpha, x.as_ptr(), y.as_mut_ptr(), x.len()) }
}

/// `x *= alpha` (SIMD).
pub fn scale(alpha: f32, x: &mut [f32]) {
    // SAFETY: the slice holds `x.len()` floats; `Isa::best` is supported by this CPU.
    unsafe { scale_isa(Isa::best(), alpha, x.as_mut_ptr(), x.len()) }
}

/// `a · b` over `n` floats at raw pointers (the Hogwild tables).
///
/// # Safety
/// `a` and `b` must be valid for reading `n` floats. Concurrent writers (Hogwild) only make the
/// result stale, as in the C tool.
#[inline]
pub unsafe fn dot_raw(a: *const f32, b: *const f32, n: usize) -> f32 {
    dot_isa(Isa::best(), a, b, n)
}

/// `y += alpha · x` over `n` floats at raw pointers.
///
/// # Safety
/// `x` must be valid for reading and `y` for reading and writing `n` floats; `x` and `y` may be
/// the same pointer but must not otherwise overlap.
#[inline]
pub unsafe fn axpy_raw(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
    axpy_isa(Isa::best(), alpha, x, y, n)
}

/// `out = scale · Σ rows` over `n` floats (`out` zeroed when `rows` is empty): the CBOW hidden
/// vector (`scale = 1/count` for the mean).
///
/// # Safety
/// Every row must be valid for reading and `out` for writing `n` floats; `out` must not overlap
/// a row.
#[inline]
pub unsafe fn sum_rows_raw(rows: &[*const f32], n: usize, scale: f32, out: *mut f32) {
    sum_rows_isa(Isa::best(), rows, n, scale, out)
}

/// `row += x` for every row (`n` floats each): the CBOW hidden-layer error scattered to the
/// context rows. A row listed twice receives `x` twice.
///
/// # Safety
/// `x` must be valid for reading and every row for reading and writing `n` floats; no row may
/// overlap `x`.
#[inline]
pub unsafe fn add_to_rows_raw(rows: &[*mut f32], x: *const f32, n: usize) {
    add_to_rows_isa(Isa::best(), rows, x, n)
}

/// Hints the CPU to fetch the `n` floats at `p` into L1 (one prefetch per 64-byte line). Never
/// faults, whatever `p` is.
#[inline(always)]
pub fn prefetch_row(p: *const f32, n: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut off = 0;
        while off < n {
            // SAFETY: prefetch is a hint; it never faults, even on an invalid address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off) as *const i8) };
            off += 16;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, n);
}

/// Buffers [`ns_update`] needs, sized for `rows × cols` batches. Keep one per thread.
#[derive(Debug, Default, Clone)]
pub struct NsScratch {
    g: Vec<f32>,
    tmp: Vec<f32>,
}

impl NsScratch {
    /// Scratch for batches of at most `rows` inputs and `cols` outputs (grows on demand).
    pub fn new(rows: usize, cols: usize) -> Self {
        NsScratch { g: vec![0.0; rows * cols], tmp: vec![0.0; rows * MAX_LANES] }
    }

    /// The gradients `g[i·cols + o]` of the last [`ns_update`] (already multiplied by `alpha`).
    pub fn gradients(&self) -> &[f32] {
        &self.g
    }

    fn reserve(&mut self, rows: usize, cols: usize) {
        if self.g.len() < rows * cols {
            self.g.resize(rows * cols, 0.0);
        }
        if self.tmp.len() < rows * MAX_LANES {
            self.tmp.resize(rows * MAX_LANES, 0.0);
        }
    }
}

/// The fused negative-sampling update of one batch (pWord2Vec's three small GEMMs, without
/// copies): with `In` = the `B` rows at `inputs` and `Out` = the `O` rows at `outputs`,
///
/// 1. `S = In · Outᵀ` (`B × O`),
/// 2. `G[i,o] = alpha · (pos[i,o] − (pos[i,o] + neg[i,o]) · σ(S[i,o]))` with the C tool's
///    saturation ([`saturated_sigmoid`]),
/// 3. `Out[o] += Σ_i G[i,o] · In[i]` and `deltas[i] += Σ_o G[i,o] · Out[o]`, both computed from
///    the values before this call.
///
/// This is `−alpha · ∂L/∂(In, Out)` for `L = −Σ_{i,o} (pos·ln σ(S) + neg·ln(1 − σ(S)))` (inside
/// ±[`MAX_EXP`]). `pos`/`neg` are row-major `B × O`: a positive pair has `pos = 1`, a negative
/// drawn `m` times `neg = m`, a pair to ignore `0, 0`. For skip-gram `deltas == inputs` (the
/// context rows update in place); for CBOW `inputs` are hidden vectors and `deltas` zeroed rows
/// that receive `ΔIn`.
///
/// # Safety
/// Every pointer must be valid for `dim` floats (`inputs` read, `outputs`/`deltas` read and
/// written). The output rows must be pairwise distinct and must not overlap `inputs` or
/// `deltas`; a delta row may equal its own input row and rows may repeat within `inputs`
/// (`deltas` then accumulate). Other threads may write the same rows concurrently (Hogwild).
/// Panics when `pos`/`neg` are shorter than `B·O` or `deltas.len() != inputs.len()`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn ns_update(
    inputs: &[*const f32],
    outputs: &[*mut f32],
    pos: &[f32],
    neg: &[f32],
    alpha: f32,
    dim: usize,
    deltas: &[*mut f32],
    scratch: &mut NsScratch,
) {
    ns_update_with(Isa::best(), inputs, outputs, pos, neg, alpha, dim, deltas, scratch)
}

/// [`ns_update`] on a chosen instruction set (`isa` must be in [`Isa::available`]).
///
/// # Safety
/// As [`ns_update`], and `isa` must be supported by this CPU.
#[allow(clippy::too_many_arguments)]
pub unsafe fn ns_update_with(
    isa: Isa,
    inputs: &[*const f32],
    outputs: &[*mut f32],
    pos: &[f32],
    neg: &[f32],
    alpha: f32,
    dim: usize,
    deltas: &[*mut f32],
    scratch: &mut NsScratch,
) {
    let (rows, cols) = (inputs.len(), outputs.len());
    assert!(pos.len() >= rows * cols && neg.len() >= rows * cols, "ns_update: pos/neg shorter than rows·cols");
    assert_eq!(deltas.len(), rows, "ns_update: one delta row per input");
    if rows == 0 || cols == 0 || dim == 0 {
        return;
    }
    debug_assert!(outputs.iter().enumerate().all(|(a, p)| outputs[..a].iter().all(|q| q != p)), "ns_update: output rows must be distinct");
    scratch.reserve(rows, cols);
    ns_update_isa(isa, inputs, outputs, pos.as_ptr(), neg.as_ptr(), alpha, dim, deltas, scratch.g.as_mut_ptr(), scratch.tmp.as_mut_ptr())
}

/// The kernels on a chosen instruction set, for tests and ISA comparisons.
pub mod with_isa {
    use super::*;

    /// [`dot`](super::dot) on `isa`.
    ///
    /// # Safety
    /// `isa` must be supported by this CPU.
    pub unsafe fn dot(isa: Isa, a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        dot_isa(isa, a.as_ptr(), b.as_ptr(), a.len())
    }

    /// [`axpy`](super::axpy) on `isa`.
    ///
    /// # Safety
    /// `isa` must be supported by this CPU.
    pub unsafe fn axpy(isa: Isa, alpha: f32, x: &[f32], y: &mut [f32]) {
        assert_eq!(x.len(), y.len());
        axpy_isa(isa, alpha, x.as_ptr(), y.as_mut_ptr(), x.len())
    }

    /// [`scale`](super::scale) on `isa`.
    ///
    /// # Safety
    /// `isa` must be supported by this CPU.
    pub unsafe fn scale(isa: Isa, alpha: f32, x: &mut [f32]) {
        scale_isa(isa, alpha, x.as_mut_ptr(), x.len())
    }

    /// [`add_to_rows_raw`] on `isa`.
    ///
    /// # Safety
    /// As `add_to_rows_raw`, and `isa` must be supported by this CPU.
    pub unsafe fn add_to_rows(isa: Isa, rows: &[*mut f32], x: *const f32, n: usize) {
        add_to_rows_isa(isa, rows, x, n)
    }

    /// [`sum_rows_raw`] on `isa`.
    ///
    /// # Safety
    /// As `sum_rows_raw`, and `isa` must be supported by this CPU.
    pub unsafe fn sum_rows(isa: Isa, rows: &[*const f32], n: usize, scale: f32, out: *mut f32) {
        sum_rows_isa(isa, rows, n, scale, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> f32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        }
        fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
            (0..n).map(|_| self.next() * scale).collect()
        }
    }

    const DIMS: [usize; 9] = [1, 7, 8, 15, 16, 17, 33, 200, 300];

    #[test]
    fn dot_axpy_scale_match_scalar_on_every_isa_and_odd_length() {
        let mut r = Gen(3);
        for isa in Isa::available() {
            for &n in &DIMS {
                let a = r.vec(n, 2.0);
                let b = r.vec(n, 2.0);
                let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
                let got = unsafe { with_isa::dot(isa, &a, &b) } as f64;
                assert!((got - want).abs() <= 1e-5 * (1.0 + want.abs()), "{isa:?} dot n={n}: {got} vs {want}");

                // axpy must not touch anything past n: a guard float after the slice.
                let mut y = b.clone();
                y.push(42.0);
                unsafe { with_isa::axpy(isa, 0.37, &a, &mut y[..n]) };
                for k in 0..n {
                    let w = b[k] + 0.37 * a[k];
                    assert!((y[k] - w).abs() <= 1e-6, "{isa:?} axpy n={n} k={k}");
                }
                assert_eq!(y[n], 42.0, "{isa:?} axpy wrote past the end");

                let mut x = a.clone();
                x.push(7.0);
                unsafe { with_isa::scale(isa, -1.5, &mut x[..n]) };
                for k in 0..n {
                    assert_eq!(x[k], a[k] * -1.5, "{isa:?} scale n={n}");
                }
                assert_eq!(x[n], 7.0);

                let rows: Vec<Vec<f32>> = (0..3).map(|_| r.vec(n, 1.0)).collect();
                let ptrs: Vec<*const f32> = rows.iter().map(|v| v.as_ptr()).collect();
                let mut out = vec![9.0; n + 1];
                unsafe { with_isa::sum_rows(isa, &ptrs, n, 0.5, out.as_mut_ptr()) };
                for k in 0..n {
                    let w = 0.5 * (rows[0][k] + rows[1][k] + rows[2][k]);
                    assert!((out[k] - w).abs() <= 1e-6, "{isa:?} sum_rows n={n}");
                }
                assert_eq!(out[n], 9.0);
                unsafe { with_isa::sum_rows(isa, &[], n, 0.5, out.as_mut_ptr()) };
                assert!(out[..n].iter().all(|&v| v == 0.0));

                // add_to_rows: a row listed twice gets x twice; nothing past n is written.
                let mut t: Vec<Vec<f32>> = rows.iter().map(|r| r.iter().copied().chain([5.0]).collect()).collect();
                let ptrs: Vec<*mut f32> = vec![t[0].as_mut_ptr(), t[1].as_mut_ptr(), t[0].as_mut_ptr()];
                unsafe { with_isa::add_to_rows(isa, &ptrs, a.as_ptr(), n) };
                for k in 0..n {
                    assert!((t[0][k] - (rows[0][k] + a[k] + a[k])).abs() <= 1e-6, "{isa:?} add_to_rows n={n}");
                    assert!((t[1][k] - (rows[1][k] + a[k])).abs() <= 1e-6);
                    assert_eq!(t[2][k], rows[2][k]);
                }
                assert!(t.iter().all(|r| r[n] == 5.0), "{isa:?} add_to_rows wrote past the end");
            }
        }
    }

    #[test]
    fn public_entry_points_agree_with_the_best_isa() {
        let mut r = Gen(5);
        let a = r.vec(200, 1.0);
        let b = r.vec(200, 1.0);
        let want = unsafe { with_isa::dot(Isa::best(), &a, &b) };
        assert_eq!(dot(&a, &b), want);
        assert_eq!(unsafe { dot_raw(a.as_ptr(), b.as_ptr(), 200) }, want);
        let mut y1 = b.clone();
        let mut y2 = b.clone();
        axpy(0.25, &a, &mut y1);
        unsafe { axpy_raw(0.25, a.as_ptr(), y2.as_mut_ptr(), 200) };
        assert_eq!(y1, y2);
    }

    #[test]
    fn saturated_sigmoid_follows_the_c_rule() {
        assert_eq!(saturated_sigmoid(6.01), 1.0);
        assert_eq!(saturated_sigmoid(-6.01), 0.0);
        assert_eq!(saturated_sigmoid(40.0), 1.0);
        assert!((saturated_sigmoid(0.0) - 0.5).abs() < 1e-7);
        let x = 5.99f32;
        assert!((saturated_sigmoid(x) as f64 - 1.0 / (1.0 + (-(x as f64)).exp())).abs() < 2e-7);
    }

    /// Naive f64 reference of `ns_update` on dense tables, returning the new rows.
    #[allow(clippy::type_complexity)]
    fn reference(
        ins: &[Vec<f32>],
        outs: &[Vec<f32>],
        pos: &[f32],
        neg: &[f32],
        alpha: f32,
        deltas_are_inputs: bool,
    ) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let (b, o, d) = (ins.len(), outs.len(), ins[0].len());
        let mut g = vec![0f64; b * o];
        for i in 0..b {
            for k in 0..o {
                let s: f64 = (0..d).map(|j| ins[i][j] as f64 * outs[k][j] as f64).sum();
                let sig = if s > 6.0 {
                    1.0
                } else if s < -6.0 {
                    0.0
                } else {
                    1.0 / (1.0 + (-s).exp())
                };
                let (p, q) = (pos[i * o + k] as f64, neg[i * o + k] as f64);
                g[i * o + k] = alpha as f64 * (p - (p + q) * sig);
            }
        }
        let mut new_in: Vec<Vec<f64>> =
            ins.iter().map(|r| r.iter().map(|&v| if deltas_are_inputs { v as f64 } else { 0.0 }).collect()).collect();
        let mut new_out: Vec<Vec<f64>> = outs.iter().map(|r| r.iter().map(|&v| v as f64).collect()).collect();
        for i in 0..b {
            for k in 0..o {
                for j in 0..d {
                    new_in[i][j] += g[i * o + k] * outs[k][j] as f64;
                    new_out[k][j] += g[i * o + k] * ins[i][j] as f64;
                }
            }
        }
        (new_in, new_out)
    }

    #[test]
    fn ns_update_matches_the_naive_reference_for_all_shapes_and_isas() {
        let mut r = Gen(11);
        for isa in Isa::available() {
            for &d in &[1usize, 7, 15, 17, 200, 300] {
                for &(b, o) in &[(1usize, 1usize), (1, 6), (3, 2), (4, 4), (5, 7), (10, 6), (9, 26), (16, 30)] {
                    let ins: Vec<Vec<f32>> = (0..b).map(|_| r.vec(d, 1.0)).collect();
                    let outs: Vec<Vec<f32>> = (0..o).map(|_| r.vec(d, 1.0)).collect();
                    let pos: Vec<f32> = (0..b * o).map(|k| if k % o == 0 { 1.0 } else { 0.0 }).collect();
                    let neg: Vec<f32> = (0..b * o).map(|k| if k % o == 0 { 0.0 } else { (k % 3) as f32 }).collect();
                    for deltas_are_inputs in [true, false] {
                        let mut tin = ins.clone();
                        let mut tout = outs.clone();
                        let mut dz: Vec<Vec<f32>> = vec![vec![0.0; d]; b];
                        let in_ptrs: Vec<*const f32> = tin.iter().map(|v| v.as_ptr()).collect();
                        let out_ptrs: Vec<*mut f32> = tout.iter_mut().map(|v| v.as_mut_ptr()).collect();
                        let delta_ptrs: Vec<*mut f32> = if deltas_are_inputs {
                            tin.iter_mut().map(|v| v.as_mut_ptr()).collect()
                        } else {
                            dz.iter_mut().map(|v| v.as_mut_ptr()).collect()
                        };
                        let mut sc = NsScratch::new(1, 1);
                        unsafe { ns_update_with(isa, &in_ptrs, &out_ptrs, &pos, &neg, 0.05, d, &delta_ptrs, &mut sc) };
                        let (win, wout) = reference(&ins, &outs, &pos, &neg, 0.05, deltas_are_inputs);
                        let got_in = if deltas_are_inputs { &tin } else { &dz };
                        for i in 0..b {
                            for j in 0..d {
                                assert!(
                                    (got_in[i][j] as f64 - win[i][j]).abs() < 1e-6,
                                    "{isa:?} d={d} b={b} o={o} in[{i}][{j}]: {} vs {}",
                                    got_in[i][j],
                                    win[i][j]
                                );
                            }
                        }
                        for k in 0..o {
                            for j in 0..d {
                                assert!((tout[k][j] as f64 - wout[k][j]).abs() < 1e-6, "{isa:?} d={d} b={b} o={o} out[{k}][{j}]");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ns_update_accumulates_repeated_input_rows() {
        // The same context row twice: both deltas (from the old values) must land.
        let mut r = Gen(17);
        let d = 19;
        let ins = vec![r.vec(d, 1.0)];
        let outs: Vec<Vec<f32>> = (0..3).map(|_| r.vec(d, 1.0)).collect();
        let pos = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let neg = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let (two_in, two_out) = reference(&[ins[0].clone(), ins[0].clone()], &outs, &pos, &neg, 0.1, false);
        let mut tin = ins.clone();
        let mut tout = outs.clone();
        let p = tin[0].as_mut_ptr();
        let out_ptrs: Vec<*mut f32> = tout.iter_mut().map(|v| v.as_mut_ptr()).collect();
        unsafe { ns_update(&[p as *const f32, p], &out_ptrs, &pos, &neg, 0.1, d, &[p, p], &mut NsScratch::default()) };
        for j in 0..d {
            let want = ins[0][j] as f64 + two_in[0][j] + two_in[1][j];
            assert!((tin[0][j] as f64 - want).abs() < 1e-6);
            for k in 0..3 {
                assert!((tout[k][j] as f64 - two_out[k][j]).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn ns_update_is_minus_alpha_times_the_gradient_of_the_shared_negative_loss() {
        // L = −Σ (pos·ln σ(s) + neg·ln(1 − σ(s))), s = In_i·Out_o; central differences in f64.
        let mut r = Gen(23);
        let (b, o, d) = (3usize, 4usize, 5usize);
        let ins: Vec<Vec<f32>> = (0..b).map(|_| r.vec(d, 1.0)).collect();
        let outs: Vec<Vec<f32>> = (0..o).map(|_| r.vec(d, 1.0)).collect();
        let pos: Vec<f32> = (0..b * o).map(|k| if k % o == 0 { 1.0 } else { 0.0 }).collect();
        let neg: Vec<f32> = (0..b * o).map(|k| if k % o == 0 { 0.0 } else { 1.0 + (k % 2) as f32 }).collect();
        let loss = |ii: &[Vec<f64>], oo: &[Vec<f64>]| -> f64 {
            let mut l = 0.0;
            for i in 0..b {
                for k in 0..o {
                    let s: f64 = (0..d).map(|j| ii[i][j] * oo[k][j]).sum();
                    let sig = 1.0 / (1.0 + (-s).exp());
                    l -= pos[i * o + k] as f64 * sig.ln() + neg[i * o + k] as f64 * (1.0 - sig).ln();
                }
            }
            l
        };
        let alpha = 0.01f32;
        let mut tin = ins.clone();
        let mut tout = outs.clone();
        let in_ptrs: Vec<*const f32> = tin.iter().map(|v| v.as_ptr()).collect();
        let deltas: Vec<*mut f32> = tin.iter_mut().map(|v| v.as_mut_ptr()).collect();
        let out_ptrs: Vec<*mut f32> = tout.iter_mut().map(|v| v.as_mut_ptr()).collect();
        unsafe { ns_update(&in_ptrs, &out_ptrs, &pos, &neg, alpha, d, &deltas, &mut NsScratch::new(b, o)) };
        let base_in: Vec<Vec<f64>> = ins.iter().map(|v| v.iter().map(|&x| x as f64).collect()).collect();
        let base_out: Vec<Vec<f64>> = outs.iter().map(|v| v.iter().map(|&x| x as f64).collect()).collect();
        let h = 1e-6;
        for i in 0..b {
            for j in 0..d {
                let (mut p, mut m) = (base_in.clone(), base_in.clone());
                p[i][j] += h;
                m[i][j] -= h;
                let grad = (loss(&p, &base_out) - loss(&m, &base_out)) / (2.0 * h);
                let upd = tin[i][j] as f64 - base_in[i][j];
                assert!((upd + alpha as f64 * grad).abs() < 2e-6, "in[{i}][{j}]: update {upd} vs -alpha*grad {}", -alpha as f64 * grad);
            }
        }
        for k in 0..o {
            for j in 0..d {
                let (mut p, mut m) = (base_out.clone(), base_out.clone());
                p[k][j] += h;
                m[k][j] -= h;
                let grad = (loss(&base_in, &p) - loss(&base_in, &m)) / (2.0 * h);
                let upd = tout[k][j] as f64 - base_out[k][j];
                assert!((upd + alpha as f64 * grad).abs() < 2e-6, "out[{k}][{j}]");
            }
        }
    }
}
