//! Pre-packed weight GEMM: `C[m×cols] (+)= A[m×k] · Wᵀ` where `W` is a `[N, K]` weight that
//! stays constant for a whole forward or backward pass (the recurrent `W_hh`, the projection
//! `W_hr`, the input projection `W_ih`). `W` is packed once ([`PackedWeights::pack`]) and every
//! time step reuses the packing, so the per-step cost is the multiply-adds alone.
//!
//! # Packing layout
//! The N rows of `W` (= the output columns of `C`) are cut into panels of [`NR`] rows; a panel is
//! stored k-major: `panel[p][kk][j] = W[p·NR + j, kk]`, zero-padded past N. A vector of 16 (or 8)
//! consecutive output columns is therefore one contiguous load per `kk`, and the whole panel is
//! one sequential stream.
//!
//! # Loop nest
//! `k` is split into blocks of at most [`KC_MAX`] (the accumulators restart from `C`, so the
//! summation order is the same for every blocking), the column range into blocks whose packed
//! weights fit comfortably in L2; inside a block, each row tile of `h ≤ HMAX` rows of `A` (a few
//! KB, resident in L1) is multiplied against the block's columns, `nv` vectors at a time, with an
//! `h × nv` register tile of accumulators. Small `h` (the remainder rows and `m = 1`, the GEMV
//! of batch-1 inference) uses wide tiles (up to 12 vectors = 192 columns), so there are enough
//! independent FMA chains and `W` streams exactly once.
//!
//! A left operand with non-unit column stride (`Aᵀ` of a row-major matrix, as in the weight
//! gradients `dW = dGᵀ·X`) is copied per k block into k-major row tiles first, so the kernel's
//! broadcasts read one dense stream.
//!
//! # Packing cost
//! Packing is one pass over `W`: a contiguous copy per `kk` when the source's rows are strided
//! (`W_hhᵀ` for the backward pass, activations for weight gradients) and 16 × 16 in-register
//! AVX-512 transposes when its rows are contiguous (`W_hh`, `W_ih`); panels can be split over
//! threads ([`PackedWeights::repack_strided_par`]) and buffers reused across passes.
//!
//! # Summation order
//! Every path computes `c = (accumulate ? C : bias or 0)`, then `c = c + a[i,kk]·w[kk,j]` for
//! `kk` ascending, whatever the tiling, blocking or column split (so results do not depend on
//! the thread count). The AVX-512 and AVX2 paths use FMA and are bit-identical to each other;
//! the portable path rounds the product separately.

use std::cell::Cell;
use std::ops::Range;

use super::{MatMut, MatRef};

/// Panel width: rows of `W` (columns of `C`) per packed panel.
pub const NR: usize = 64;
/// Largest `k` block.
const KC_MAX: usize = 512;
/// Packed floats of one column block (kept in L2 while all row tiles pass over it).
const L2_FLOATS: usize = 128 * 1024;
/// Extra zeroed floats after the last panel: a vector that starts inside a panel row may read
/// past it (the lanes it reads there are masked off).
const PAD: usize = 16;

/// A `[N, K]` weight packed for [`gemm_packed`].
#[derive(Clone, Debug)]
pub struct PackedWeights {
    buf: Vec<f32>,
    off: usize,
    n: usize,
    k: usize,
}

impl PackedWeights {
    /// Packs row-major `W[n_rows, k]` with row length (leading dimension) `ld`.
    pub fn pack(w: &[f32], n_rows: usize, k: usize, ld: usize) -> Self {
        Self::pack_strided(w, n_rows, k, ld, 1)
    }

    /// Packs the `[n_rows, k]` matrix whose element `(r, kk)` is `w[r·rs + kk·cs]`; e.g. the
    /// transpose of a row-major `[k, n]` matrix is `pack_strided(w, n, k, 1, n)`.
    pub fn pack_strided(w: &[f32], n_rows: usize, k: usize, rs: usize, cs: usize) -> Self {
        let mut p = PackedWeights { buf: Vec::new(), off: 0, n: 0, k: 0 };
        p.repack_strided(w, n_rows, k, rs, cs);
        p
    }

    /// An empty packing, to be filled by [`PackedWeights::repack_strided`].
    pub fn empty() -> Self {
        PackedWeights { buf: Vec::new(), off: 0, n: 0, k: 0 }
    }

    /// [`PackedWeights::pack_strided`] into this packing's buffer (no allocation when it is
    /// large enough: packings reused across calls cost no page faults).
    pub fn repack_strided(&mut self, w: &[f32], n_rows: usize, k: usize, rs: usize, cs: usize) {
        self.repack_strided_par(w, n_rows, k, rs, cs, 1);
    }

    /// [`PackedWeights::repack_strided`] with the panels split over up to `threads` threads of
    /// the current pool.
    pub fn repack_strided_par(&mut self, w: &[f32], n_rows: usize, k: usize, rs: usize, cs: usize, threads: usize) {
        if n_rows > 0 && k > 0 {
            let last = (n_rows - 1) * rs + (k - 1) * cs;
            assert!(last < w.len(), "internal: packing a [{n_rows}, {k}] weight needs index {last}, have {}", w.len());
        }
        let panels = n_rows.div_ceil(NR);
        let len = panels * NR * k + PAD;
        if self.buf.len() < len + 16 {
            self.buf = Vec::new();
            self.buf.resize(len + 16, 0.0);
        }
        let off = ((64 - (self.buf.as_ptr() as usize) % 64) % 64) / 4;
        (self.off, self.n, self.k) = (off, n_rows, k);
        let dst = &mut self.buf[off..off + len];
        dst[panels * NR * k..].fill(0.0);
        let chunks = if n_rows * k < (1 << 16) { 1 } else { threads.min(panels).max(1) };
        if chunks == 1 {
            for p in 0..panels {
                pack_panel(w, n_rows, k, rs, cs, p, &mut dst[p * NR * k..(p + 1) * NR * k]);
            }
        } else {
            struct Dst(*mut f32);
            // SAFETY: each chunk writes a disjoint range of panels.
            unsafe impl Sync for Dst {}
            let d = Dst(dst.as_mut_ptr());
            crate::parallel::for_each_chunk(chunks, |t| {
                let (p0, p1) = crate::parallel::split_range(panels, chunks, 1, t);
                for p in p0..p1 {
                    let d = &d;
                    // SAFETY: panel p lies inside `dst` and belongs to this chunk only.
                    let panel = unsafe { std::slice::from_raw_parts_mut(d.0.add(p * NR * k), NR * k) };
                    pack_panel(w, n_rows, k, rs, cs, p, panel);
                }
            });
        }
    }

    /// Floats of buffer a `[n_rows, k]` packing needs (see [`PackedWeights::capacity`]).
    pub fn buffer_len(n_rows: usize, k: usize) -> usize {
        n_rows.div_ceil(NR) * NR * k + PAD + 16
    }

    /// Floats of buffer this packing holds (reused by [`PackedWeights::repack_strided`]).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Rows of `W` (columns of the product).
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Columns of `W` (the reduction length).
    pub fn depth(&self) -> usize {
        self.k
    }

    fn base(&self) -> *const f32 {
        self.buf[self.off..].as_ptr()
    }
}

/// Packs panel `p` (rows `p·NR..`) of the `[n_rows, k]` matrix `(r, kk) ↦ w[r·rs + kk·cs]`.
fn pack_panel(w: &[f32], n_rows: usize, k: usize, rs: usize, cs: usize, p: usize, panel: &mut [f32]) {
    let r0 = p * NR;
    let rows = NR.min(n_rows - r0);
    if rows < NR {
        // Zero the padding rows of the last panel.
        for kk in 0..k {
            panel[kk * NR + rows..(kk + 1) * NR].fill(0.0);
        }
    }
    if rs == 1 {
        // Columns of the source are contiguous: one copy per kk.
        for kk in 0..k {
            panel[kk * NR..kk * NR + rows].copy_from_slice(&w[r0 + kk * cs..r0 + kk * cs + rows]);
        }
    } else if cs == 1 {
        // Rows contiguous: transpose in blocks of 16 k so reads stay sequential.
        const KB: usize = 16;
        let mut kb = 0;
        #[cfg(target_arch = "x86_64")]
        if KernelPath::Avx512.supported() {
            let (full_rows, full_k) = (rows / 16 * 16, k / 16 * 16);
            while kb < full_k {
                for j in (0..full_rows).step_by(16) {
                    let src = &w[(r0 + j) * rs + kb..];
                    assert!(src.len() > 15 * rs + 15);
                    // SAFETY: AVX-512F is available; 16 rows of 16 floats are read from `src`
                    // (bounds asserted) and 16 × 16 written inside `panel` (j + 16 <= NR).
                    unsafe { super::kernels_x86::transpose16(src.as_ptr(), rs, panel[kb * NR + j..].as_mut_ptr(), NR) };
                }
                for j in full_rows..rows {
                    for t in 0..16 {
                        panel[(kb + t) * NR + j] = w[(r0 + j) * rs + kb + t];
                    }
                }
                kb += 16;
            }
        }
        while kb < k {
            let ke = (kb + KB).min(k);
            for j in 0..rows {
                let src = &w[(r0 + j) * rs + kb..(r0 + j) * rs + ke];
                for (t, v) in src.iter().enumerate() {
                    panel[(kb + t) * NR + j] = *v;
                }
            }
            kb = ke;
        }
    } else {
        for kk in 0..k {
            for j in 0..rows {
                panel[kk * NR + j] = w[(r0 + j) * rs + kk * cs];
            }
        }
    }
}

/// Which kernel family runs [`gemm_packed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelPath {
    /// AVX-512F intrinsics (16-float vectors, tiles up to 8 rows).
    Avx512,
    /// AVX2 + FMA intrinsics (8-float vectors, tiles up to 6 rows).
    Avx2,
    /// Plain Rust.
    Portable,
}

impl KernelPath {
    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            KernelPath::Portable => true,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2 => crate::simd::has_avx2(),
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => std::arch::is_x86_feature_detected!("avx512f") && crate::simd::has_avx2(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// The best supported path (`SEQLEARN_NO_AVX512` skips AVX-512, `SEQLEARN_NO_AVX2` both).
pub fn best_path() -> KernelPath {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => KernelPath::Portable,
        2 => KernelPath::Avx2,
        3 => KernelPath::Avx512,
        _ => {
            let p = if KernelPath::Avx512.supported() && std::env::var_os("SEQLEARN_NO_AVX512").is_none() {
                KernelPath::Avx512
            } else if KernelPath::Avx2.supported() {
                KernelPath::Avx2
            } else {
                KernelPath::Portable
            };
            STATE.store(
                match p {
                    KernelPath::Portable => 1,
                    KernelPath::Avx2 => 2,
                    KernelPath::Avx512 => 3,
                },
                Ordering::Relaxed,
            );
            p
        }
    }
}

thread_local! {
    static FORCED: Cell<Option<KernelPath>> = const { Cell::new(None) };
}

/// Runs `f` with [`gemm_packed`] calls made on this thread forced onto `path` (tests and
/// benchmarks). Panics when the CPU does not support `path`.
pub fn with_path<R>(path: KernelPath, f: impl FnOnce() -> R) -> R {
    assert!(path.supported(), "kernel path {path:?} is not supported on this CPU");
    let old = FORCED.with(|c| c.replace(Some(path)));
    struct Restore(Option<KernelPath>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    let _r = Restore(old);
    f()
}

fn current_path() -> KernelPath {
    FORCED.with(|c| c.get()).unwrap_or_else(best_path)
}

/// Everything one register tile needs. `c` points at the tile's first element (row-major with
/// row stride `crs`, unit column stride); `col` is the absolute first column (its position in
/// the packing); the last of the `nv` vectors has `lanes` valid columns.
#[derive(Clone, Copy)]
pub(crate) struct Tile {
    pub kc: usize,
    pub a: *const f32,
    pub ars: isize,
    pub acs: isize,
    /// Packed data, panel 0, kk = 0.
    pub w: *const f32,
    /// Total depth of the packing (panel stride = NR · ktot).
    pub ktot: usize,
    pub k0: usize,
    pub col: usize,
    pub c: *mut f32,
    pub crs: isize,
    pub lanes: usize,
    pub load_c: bool,
    /// When not `load_c` and not null: the accumulators start from `bias[col..]` (every row).
    pub bias: *const f32,
}

impl Tile {
    /// Address of the packed vector starting at column `cj`, at `kk = k0`.
    #[inline(always)]
    pub(crate) unsafe fn wptr(&self, cj: usize) -> *const f32 {
        self.w.add((cj / NR) * NR * self.ktot + self.k0 * NR + cj % NR)
    }
}

/// A tile kernel family.
pub(crate) trait Kernels {
    /// Floats per vector.
    const VW: usize;
    /// Most rows per tile.
    const HMAX: usize;
    /// Most vectors per tile for `h` rows.
    fn nv_for(h: usize) -> usize;
    /// Runs an `h × nv` tile.
    unsafe fn tile(h: usize, nv: usize, t: &Tile);
}

/// Calls `$f::<h, nv>(args)` for the runtime `(h, nv)` among the listed pairs.
macro_rules! tile_match {
    ($f:ident, $h:expr, $nv:expr, $args:tt; $($m:literal => [$($n:literal)*]),* $(,)?) => {
        match ($h, $nv) {
            $( $( ($m, $n) => $f::<$m, $n> $args, )* )*
            (h, nv) => unreachable!("no {h}x{nv} tile"),
        }
    };
}
pub(crate) use tile_match;

/// The portable family: 8-float "vectors" as arrays, which LLVM vectorises for the baseline.
pub(crate) struct Portable;

const PVW: usize = 8;

#[allow(clippy::needless_range_loop)]
unsafe fn tile_portable<const MR: usize, const NV: usize>(t: &Tile) {
    let mut acc = [[[0.0f32; PVW]; NV]; MR];
    let lanes_of = |j: usize| if j + 1 == NV { t.lanes } else { PVW };
    if t.load_c {
        for (i, row) in acc.iter_mut().enumerate() {
            let cr = t.c.offset(i as isize * t.crs);
            for (j, v) in row.iter_mut().enumerate() {
                for l in 0..lanes_of(j) {
                    v[l] = *cr.add(j * PVW + l);
                }
            }
        }
    } else if !t.bias.is_null() {
        for row in acc.iter_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                for l in 0..lanes_of(j) {
                    v[l] = *t.bias.add(t.col + j * PVW + l);
                }
            }
        }
    }
    let mut wp = [t.w; NV];
    for (j, p) in wp.iter_mut().enumerate() {
        *p = t.wptr(t.col + j * PVW);
    }
    for kk in 0..t.kc {
        let mut wv = [[0.0f32; PVW]; NV];
        for j in 0..NV {
            for l in 0..PVW {
                wv[j][l] = *wp[j].add(kk * NR + l);
            }
        }
        for (i, row) in acc.iter_mut().enumerate() {
            let b = *t.a.offset(i as isize * t.ars + kk as isize * t.acs);
            for j in 0..NV {
                for l in 0..PVW {
                    row[j][l] += b * wv[j][l];
                }
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let cr = t.c.offset(i as isize * t.crs);
        for (j, v) in row.iter().enumerate() {
            for l in 0..lanes_of(j) {
                *cr.add(j * PVW + l) = v[l];
            }
        }
    }
}

impl Kernels for Portable {
    const VW: usize = PVW;
    const HMAX: usize = 4;
    fn nv_for(h: usize) -> usize {
        if h >= 3 {
            2
        } else {
            4
        }
    }
    unsafe fn tile(h: usize, nv: usize, t: &Tile) {
        tile_match!(tile_portable, h, nv, (t);
            1 => [1 2 3 4], 2 => [1 2 3 4], 3 => [1 2], 4 => [1 2]);
    }
}

/// `C[0..m, cols] = (accumulate ? C : 0) + A[m×k] · W[cols, :]ᵀ`, on the calling thread.
/// Column `j` of the product is written at `c.ptr + i·c.rs + j·c.cs`: `c` addresses the full
/// product, of which only the columns in `cols` are touched.
///
/// # Safety
/// `a` must address `m × w.depth()` valid elements, `c` the `m × cols` elements written (rows
/// `0..m`, columns `cols`); `c` must not alias `a`, and no other thread may access those elements
/// of `c` meanwhile.
pub unsafe fn gemm_packed(m: usize, cols: Range<usize>, a: MatRef, w: &PackedWeights, c: MatMut, accumulate: bool) {
    gemm_packed_impl(m, cols, a, w, c, accumulate, std::ptr::null());
}

/// `C[0..m, cols] = bias[cols] + A[m×k] · W[cols, :]ᵀ` (the bias row added to every row, first in
/// the sum, exactly as if C had been filled with it and accumulated into).
///
/// # Safety
/// As [`gemm_packed`].
pub unsafe fn gemm_packed_bias(m: usize, cols: Range<usize>, a: MatRef, w: &PackedWeights, bias: &[f32], c: MatMut) {
    assert!(bias.len() >= w.n, "internal: bias has {} values for {} columns", bias.len(), w.n);
    if w.k == 0 {
        for i in 0..m {
            for j in cols.clone() {
                *c.ptr.offset(i as isize * c.rs + j as isize * c.cs) = bias[j];
            }
        }
        return;
    }
    gemm_packed_impl(m, cols, a, w, c, false, bias.as_ptr());
}

unsafe fn gemm_packed_impl(m: usize, cols: Range<usize>, a: MatRef, w: &PackedWeights, c: MatMut, accumulate: bool, bias: *const f32) {
    assert!(cols.start <= cols.end && cols.end <= w.n, "internal: columns {cols:?} of a packing with {} rows", w.n);
    if m == 0 || cols.is_empty() {
        return;
    }
    if w.k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in cols.clone() {
                    *c.ptr.offset(i as isize * c.rs + j as isize * c.cs) = 0.0;
                }
            }
        }
        return;
    }
    match current_path() {
        #[cfg(target_arch = "x86_64")]
        KernelPath::Avx512 => run::<super::kernels_x86::Avx512>(m, cols, a, w, c, accumulate, bias),
        #[cfg(target_arch = "x86_64")]
        KernelPath::Avx2 => run::<super::kernels_x86::Avx2>(m, cols, a, w, c, accumulate, bias),
        _ => run::<Portable>(m, cols, a, w, c, accumulate, bias),
    }
}

unsafe fn run<K: Kernels>(m: usize, cols: Range<usize>, a: MatRef, w: &PackedWeights, c: MatMut, accumulate: bool, bias: *const f32) {
    let k = w.k;
    let kblocks = k.div_ceil(KC_MAX);
    let kc_step = k.div_ceil(kblocks);
    let mut tmp = [0.0f32; 8 * 16 * 12];
    // A with non-unit column stride (a transposed operand, as in weight gradients): each k
    // block of A is copied once into row tiles stored k-major (`[kc][h]`, the h values of one k
    // adjacent), walking the source in its storage order. The kernel's broadcasts then read one
    // dense stream instead of one cache line (and one page, when the stride is ≥ 4 KB) per k.
    let pack_a = a.cs != 1 && cols.len() > K::VW;
    let mut abuf = if pack_a { A_BUF.with(|b| b.take()) } else { Vec::new() };
    if pack_a && abuf.len() < m * kc_step {
        abuf = vec![0.0f32; m * kc_step];
    }
    let mut k0 = 0;
    while k0 < k {
        let kc = kc_step.min(k - k0);
        let load_c = accumulate || k0 > 0;
        if pack_a {
            for kk in 0..kc {
                let s = a.ptr.offset((k0 + kk) as isize * a.cs);
                let mut i0 = 0;
                while i0 < m {
                    let h = K::HMAX.min(m - i0);
                    let d = abuf.as_mut_ptr().add(i0 * kc + kk * h);
                    if a.rs == 1 && h == 8 {
                        (d as *mut [f32; 8]).write_unaligned((s.add(i0) as *const [f32; 8]).read_unaligned());
                    } else {
                        for i in 0..h {
                            *d.add(i) = *s.offset((i0 + i) as isize * a.rs);
                        }
                    }
                    i0 += h;
                }
            }
        }
        let nb = ((L2_FLOATS / kc) / NR * NR).max(NR);
        // Column blocks aligned to panel boundaries.
        let mut cb0 = cols.start;
        while cb0 < cols.end {
            let cb1 = ((cb0 / nb + 1) * nb).min(cols.end);
            let mut i0 = 0;
            while i0 < m {
                let h = K::HMAX.min(m - i0);
                let nvmax = K::nv_for(h);
                let at = if pack_a {
                    // `tile` adds the (i0, k0) offset, so pre-subtract it.
                    MatRef { ptr: abuf.as_ptr().wrapping_add(i0 * kc).wrapping_offset(-((i0 + k0 * h) as isize)), rs: 1, cs: h as isize }
                } else {
                    a
                };
                let mut j = cb0;
                // A leading column not on a vector boundary: one masked vector up to it.
                if !j.is_multiple_of(K::VW) {
                    let e = (j.next_multiple_of(K::VW)).min(cb1);
                    tile::<K>(h, 1, e - j, kc, at, w, k0, i0, j, c, load_c, bias, &mut tmp);
                    j = e;
                }
                let nvec = (cb1 - j).div_ceil(K::VW);
                if nvec > 0 {
                    let ntiles = nvec.div_ceil(nvmax);
                    let (per, extra) = (nvec / ntiles, nvec % ntiles);
                    for t in 0..ntiles {
                        let nv = per + usize::from(t < extra);
                        let ncols = (nv * K::VW).min(cb1 - j);
                        tile::<K>(h, nv, ncols, kc, at, w, k0, i0, j, c, load_c, bias, &mut tmp);
                        j += ncols;
                    }
                }
                i0 += h;
            }
            cb0 = cb1;
        }
        k0 += kc;
    }
    if pack_a {
        A_BUF.with(|b| b.set(abuf));
    }
}

thread_local! {
    /// The packed-A buffer of [`run`], kept per thread so large weight gradients do not
    /// page-fault a fresh one in on every call.
    static A_BUF: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn tile<K: Kernels>(h: usize, nv: usize, ncols: usize, kc: usize, a: MatRef, w: &PackedWeights, k0: usize, i0: usize, j: usize, c: MatMut, load_c: bool, bias: *const f32, tmp: &mut [f32]) {
    let lanes = ncols - (nv - 1) * K::VW;
    let mut t = Tile {
        kc,
        a: a.ptr.wrapping_offset(i0 as isize * a.rs + k0 as isize * a.cs),
        ars: a.rs,
        acs: a.cs,
        w: w.base(),
        ktot: w.k,
        k0,
        col: j,
        c: c.ptr.wrapping_offset(i0 as isize * c.rs + j as isize * c.cs),
        crs: c.rs,
        lanes,
        load_c,
        bias,
    };
    if c.cs == 1 {
        K::tile(h, nv, &t);
    } else {
        // Strided destination: through a contiguous buffer.
        let ld = nv * K::VW;
        let dst = t.c;
        if load_c {
            for i in 0..h {
                for jj in 0..ncols {
                    tmp[i * ld + jj] = *dst.offset(i as isize * c.rs + jj as isize * c.cs);
                }
            }
        }
        t.c = tmp.as_mut_ptr();
        t.crs = ld as isize;
        K::tile(h, nv, &t);
        for i in 0..h {
            for jj in 0..ncols {
                *dst.offset(i as isize * c.rs + jj as isize * c.cs) = tmp[i * ld + jj];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn paths() -> Vec<KernelPath> {
        [KernelPath::Avx512, KernelPath::Avx2, KernelPath::Portable].into_iter().filter(|p| p.supported()).collect()
    }

    fn rand(n: usize, seed: u64) -> Vec<f32> {
        let mut r = Rng::new(seed);
        (0..n).map(|_| r.uniform(-1.0, 1.0)).collect()
    }

    /// Checks one product against an f64 reference. `a_t`: A stored transposed; `c_cs`: column
    /// stride of C (1 or a strided layout).
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn check(path: KernelPath, m: usize, n: usize, k: usize, cols: Range<usize>, accumulate: bool, a_t: bool, c_cs: usize, w_t: bool, seed: u64) {
        let pad = 3;
        // A: row-major [m, k + pad] or transposed [k, m + pad].
        let (a, ar) = if a_t {
            let a = rand(k * (m + pad), seed);
            (a, MatRef { ptr: std::ptr::null(), rs: 1, cs: (m + pad) as isize })
        } else {
            let a = rand(m * (k + pad), seed);
            (a, MatRef { ptr: std::ptr::null(), rs: (k + pad) as isize, cs: 1 })
        };
        let ar = MatRef { ptr: a.as_ptr(), ..ar };
        let aget = |i: usize, kk: usize| a[(i as isize * ar.rs + kk as isize * ar.cs) as usize] as f64;
        // W: [n, k + 1] row-major, or its transpose [k, n + 2] packed with pack_strided.
        let (wv, pw, wget): (Vec<f32>, PackedWeights, Box<dyn Fn(&[f32], usize, usize) -> f64>) = if w_t {
            let ld = n + 2;
            let wv = rand(k * ld, seed + 1);
            let pw = PackedWeights::pack_strided(&wv, n, k, 1, ld);
            (wv, pw, Box::new(move |w: &[f32], j, kk| w[kk * ld + j] as f64))
        } else {
            let ld = k + 1;
            let wv = rand(n * ld, seed + 1);
            let pw = PackedWeights::pack(&wv, n, k, ld);
            (wv, pw, Box::new(move |w: &[f32], j, kk| w[j * ld + kk] as f64))
        };
        let crs = n * c_cs + 5;
        let c0 = rand(m * crs, seed + 2);
        let mut c = c0.clone();
        let cm = MatMut { ptr: c.as_mut_ptr(), rs: crs as isize, cs: c_cs as isize };
        with_path(path, || unsafe { gemm_packed(m, cols.clone(), ar, &pw, cm, accumulate) });
        for i in 0..m {
            for x in 0..crs {
                let idx = i * crs + x;
                let in_cols = x % c_cs == 0 && cols.contains(&(x / c_cs)) && x / c_cs < n;
                if !in_cols {
                    assert_eq!(c[idx], c0[idx], "{path:?} m={m} n={n} k={k} cols={cols:?}: wrote outside at ({i}, {x})");
                    continue;
                }
                let j = x / c_cs;
                let mut want = if accumulate { c0[idx] as f64 } else { 0.0 };
                let mut mag = want.abs();
                for kk in 0..k {
                    let p = aget(i, kk) * wget(&wv, j, kk);
                    want += p;
                    mag += p.abs();
                }
                let got = c[idx] as f64;
                assert!((got - want).abs() <= 1e-6 * (1.0 + mag), "{path:?} m={m} n={n} k={k} cols={cols:?} acc={accumulate} a_t={a_t} c_cs={c_cs}: C[{i},{j}] = {got}, want {want}");
            }
        }
    }

    #[test]
    fn packed_gemm_matches_reference_on_every_path() {
        let mut seed = 10;
        for path in paths() {
            for &m in &[1usize, 2, 3, 7, 8, 9, 31, 32, 33, 64] {
                for &(n, k) in &[(1usize, 1usize), (17, 5), (64, 33), (100, 7), (130, 64), (200, 19)] {
                    for accumulate in [false, true] {
                        seed += 1;
                        check(path, m, n, k, 0..n, accumulate, false, 1, false, seed);
                    }
                }
            }
            // Column sub-ranges: aligned to 8, unaligned, empty, inside one panel, across panels.
            for &m in &[1usize, 5, 8, 13] {
                for cols in [8..72, 24..200, 3..5, 61..67, 0..8, 40..40, 64..130, 199..200, 5..197] {
                    seed += 1;
                    check(path, m, 200, 23, cols.clone(), seed % 2 == 0, false, 1, false, seed);
                }
            }
            // Strided A (transposed storage), strided C, transposed W source.
            for &(m, n, k) in &[(1usize, 50usize, 9usize), (9, 70, 31), (33, 129, 65)] {
                seed += 1;
                check(path, m, n, k, 0..n, true, true, 1, false, seed);
                check(path, m, n, k, 2..n - 1, false, false, 2, false, seed + 1);
                check(path, m, n, k, 0..n, true, false, 1, true, seed + 2);
                check(path, m, n, k, 16..n, false, true, 3, true, seed + 3);
            }
        }
    }

    #[test]
    fn long_k_is_blocked_transparently() {
        // k above KC_MAX and columns beyond one L2 block.
        for path in paths() {
            check(path, 9, 1100, KC_MAX + 77, 0..1100, true, false, 1, false, 99);
            check(path, 1, 70, 2 * KC_MAX + 3, 0..70, false, false, 1, false, 98);
        }
    }

    #[test]
    fn simd_paths_agree_bitwise() {
        // The AVX-512 and AVX2 kernels use the same FMA order.
        if !(KernelPath::Avx512.supported() && KernelPath::Avx2.supported()) {
            return;
        }
        for &(m, n, k) in &[(32usize, 1024usize, 256usize), (1, 300, 777), (13, 77, 600)] {
            let a = rand(m * k, 5);
            let w = rand(n * k, 6);
            let pw = PackedWeights::pack(&w, n, k, k);
            let mut outs = Vec::new();
            for path in [KernelPath::Avx512, KernelPath::Avx2] {
                let mut c = rand(m * n, 7);
                with_path(path, || unsafe { gemm_packed(m, 0..n, MatRef::row_major(&a, k), &pw, MatMut::row_major(&mut c, n), true) });
                outs.push(c);
            }
            assert!(outs[0].iter().zip(&outs[1]).all(|(x, y)| x.to_bits() == y.to_bits()), "m={m} n={n} k={k}");
        }
    }

    #[test]
    fn bias_variant_equals_fill_then_accumulate() {
        for path in paths() {
            for &(m, n, k, ref cols) in &[(9usize, 100usize, 37usize, 0..100), (1, 70, 600, 16..70), (3, 33, 5, 3..30)] {
                let a = rand(m * k, 1);
                let w = rand(n * k, 2);
                let bias = rand(n, 3);
                let pw = PackedWeights::pack(&w, n, k, k);
                let mut c1 = rand(m * n, 4);
                let mut c2 = c1.clone();
                for i in 0..m {
                    c1[i * n..(i + 1) * n][cols.clone()].copy_from_slice(&bias[cols.clone()]);
                }
                with_path(path, || unsafe {
                    gemm_packed(m, cols.clone(), MatRef::row_major(&a, k), &pw, MatMut::row_major(&mut c1, n), true);
                    gemm_packed_bias(m, cols.clone(), MatRef::row_major(&a, k), &pw, &bias, MatMut::row_major(&mut c2, n));
                });
                assert!(c1.iter().zip(&c2).all(|(x, y)| x.to_bits() == y.to_bits()), "{path:?} m={m} n={n} k={k}");
            }
        }
    }

    #[test]
    fn parallel_packing_equals_serial() {
        for &(n, k, rs, cs) in &[(1000usize, 300usize, 300usize, 1usize), (300, 1000, 1, 300), (517, 129, 1, 600)] {
            let w = rand((n - 1) * rs + (k - 1) * cs + 1, 9);
            let a = PackedWeights::pack_strided(&w, n, k, rs, cs);
            let mut b = PackedWeights::empty();
            b.repack_strided_par(&w, n, k, rs, cs, 3);
            let len = n.div_ceil(NR) * NR * k + PAD;
            assert_eq!(a.buf[a.off..a.off + len], b.buf[b.off..b.off + len]);
            // Repacking a smaller matrix into the same buffer leaves no stale padding.
            b.repack_strided_par(&w, n / 2 + 1, k / 3, rs, cs, 2);
            let c = PackedWeights::pack_strided(&w, n / 2 + 1, k / 3, rs, cs);
            let len = (n / 2 + 1).div_ceil(NR) * NR * (k / 3) + PAD;
            assert_eq!(c.buf[c.off..c.off + len], b.buf[b.off..b.off + len]);
        }
    }

    #[test]
    fn zero_depth() {
        let pw = PackedWeights::pack(&[], 5, 0, 0);
        let mut c = vec![1.0f32; 10];
        unsafe { gemm_packed(2, 1..4, MatRef::row_major(&[], 0), &pw, MatMut::row_major(&mut c, 5), false) };
        assert_eq!(c, [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
