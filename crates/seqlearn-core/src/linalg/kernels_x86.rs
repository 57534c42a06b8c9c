//! x86-64 register-tile kernels for [`super::packed`]: AVX-512F (16-float `zmm` vectors, 32
//! registers: tiles of up to 24 accumulators, e.g. 8 rows × 48 columns, 1 × 192 for the GEMV)
//! and AVX2+FMA (8-float `ymm` vectors, 16 registers: 6 × 16, …, 1 × 96). Both compute
//! `acc = fma(a[i,kk], w[kk,j], acc)` for `kk` ascending from `acc = C` or 0, so they agree
//! bit for bit. Compiled with `#[target_feature]`; the caller checks the CPU.

use std::arch::x86_64::*;

use super::packed::{tile_match, Kernels, Tile, NR};

/// AVX-512F tiles.
pub(crate) struct Avx512;

#[target_feature(enable = "avx512f")]
#[allow(clippy::needless_range_loop)]
unsafe fn tile_avx512<const MR: usize, const NV: usize>(t: &Tile) {
    let last: __mmask16 = if t.lanes >= 16 { 0xFFFF } else { ((1u32 << t.lanes) - 1) as u16 };
    let mask = |j: usize| if j + 1 == NV { last } else { 0xFFFF };
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    if t.load_c {
        for (i, row) in acc.iter_mut().enumerate() {
            let cr = t.c.offset(i as isize * t.crs);
            for (j, v) in row.iter_mut().enumerate() {
                *v = _mm512_maskz_loadu_ps(mask(j), cr.add(16 * j));
            }
        }
    } else if !t.bias.is_null() {
        for row in acc.iter_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = _mm512_maskz_loadu_ps(mask(j), t.bias.add(t.col + 16 * j));
            }
        }
    }
    let mut wp = [t.w; NV];
    for (j, p) in wp.iter_mut().enumerate() {
        *p = t.wptr(t.col + 16 * j);
    }
    let mut ap = [t.a; MR];
    for (i, p) in ap.iter_mut().enumerate() {
        *p = t.a.offset(i as isize * t.ars);
    }
    if t.acs == 1 {
        for kk in 0..t.kc {
            let mut wv = [_mm512_setzero_ps(); NV];
            for j in 0..NV {
                wv[j] = _mm512_loadu_ps(wp[j].add(kk * NR));
            }
            for i in 0..MR {
                let b = _mm512_set1_ps(*ap[i].add(kk));
                for j in 0..NV {
                    acc[i][j] = _mm512_fmadd_ps(b, wv[j], acc[i][j]);
                }
            }
        }
    } else if t.ars == 1 && t.acs == MR as isize {
        // Packed A (`[kc][MR]`): one dense stream.
        for kk in 0..t.kc {
            let mut wv = [_mm512_setzero_ps(); NV];
            for j in 0..NV {
                wv[j] = _mm512_loadu_ps(wp[j].add(kk * NR));
            }
            let ak = t.a.add(kk * MR);
            for i in 0..MR {
                let b = _mm512_set1_ps(*ak.add(i));
                for j in 0..NV {
                    acc[i][j] = _mm512_fmadd_ps(b, wv[j], acc[i][j]);
                }
            }
        }
    } else {
        for kk in 0..t.kc {
            let mut wv = [_mm512_setzero_ps(); NV];
            for j in 0..NV {
                wv[j] = _mm512_loadu_ps(wp[j].add(kk * NR));
            }
            for i in 0..MR {
                let b = _mm512_set1_ps(*ap[i].offset(kk as isize * t.acs));
                for j in 0..NV {
                    acc[i][j] = _mm512_fmadd_ps(b, wv[j], acc[i][j]);
                }
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let cr = t.c.offset(i as isize * t.crs);
        for (j, v) in row.iter().enumerate() {
            _mm512_mask_storeu_ps(cr.add(16 * j), mask(j), *v);
        }
    }
}

impl Kernels for Avx512 {
    const VW: usize = 16;
    const HMAX: usize = 8;
    fn nv_for(h: usize) -> usize {
        match h {
            1 | 2 => 12,
            3 => 8,
            4 => 6,
            5 | 6 => 4,
            _ => 3,
        }
    }
    unsafe fn tile(h: usize, nv: usize, t: &Tile) {
        tile_match!(tile_avx512, h, nv, (t);
            1 => [1 2 3 4 5 6 7 8 9 10 11 12],
            2 => [1 2 3 4 5 6 7 8 9 10 11 12],
            3 => [1 2 3 4 5 6 7 8],
            4 => [1 2 3 4 5 6],
            5 => [1 2 3 4],
            6 => [1 2 3 4],
            7 => [1 2 3],
            8 => [1 2 3],
        );
    }
}

/// AVX2 + FMA tiles.
pub(crate) struct Avx2;

#[inline(always)]
unsafe fn mask8(lanes: usize) -> __m256i {
    let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes as i32), idx)
}

#[target_feature(enable = "avx2,fma")]
#[allow(clippy::needless_range_loop)]
unsafe fn tile_avx2<const MR: usize, const NV: usize>(t: &Tile) {
    let full = _mm256_set1_epi32(-1);
    let last = mask8(t.lanes);
    let mask = |j: usize| if j + 1 == NV { last } else { full };
    let mut acc = [[_mm256_setzero_ps(); NV]; MR];
    if t.load_c {
        for (i, row) in acc.iter_mut().enumerate() {
            let cr = t.c.offset(i as isize * t.crs);
            for (j, v) in row.iter_mut().enumerate() {
                *v = _mm256_maskload_ps(cr.add(8 * j), mask(j));
            }
        }
    } else if !t.bias.is_null() {
        for row in acc.iter_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = _mm256_maskload_ps(t.bias.add(t.col + 8 * j), mask(j));
            }
        }
    }
    let mut wp = [t.w; NV];
    for (j, p) in wp.iter_mut().enumerate() {
        *p = t.wptr(t.col + 8 * j);
    }
    let mut ap = [t.a; MR];
    for (i, p) in ap.iter_mut().enumerate() {
        *p = t.a.offset(i as isize * t.ars);
    }
    for kk in 0..t.kc {
        let ko = kk as isize * t.acs;
        let mut wv = [_mm256_setzero_ps(); NV];
        for j in 0..NV {
            wv[j] = _mm256_loadu_ps(wp[j].add(kk * NR));
        }
        for i in 0..MR {
            let b = _mm256_broadcast_ss(&*ap[i].offset(ko));
            for j in 0..NV {
                acc[i][j] = _mm256_fmadd_ps(b, wv[j], acc[i][j]);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        let cr = t.c.offset(i as isize * t.crs);
        for (j, v) in row.iter().enumerate() {
            _mm256_maskstore_ps(cr.add(8 * j), mask(j), *v);
        }
    }
}

impl Kernels for Avx2 {
    const VW: usize = 8;
    const HMAX: usize = 6;
    fn nv_for(h: usize) -> usize {
        match h {
            1 => 12,
            2 => 6,
            3 => 4,
            4 => 3,
            _ => 2,
        }
    }
    unsafe fn tile(h: usize, nv: usize, t: &Tile) {
        tile_match!(tile_avx2, h, nv, (t);
            1 => [1 2 3 4 5 6 7 8 9 10 11 12],
            2 => [1 2 3 4 5 6],
            3 => [1 2 3 4],
            4 => [1 2 3],
            5 => [1 2],
            6 => [1 2],
        );
    }
}

/// Packs one full 16 × 16 block: `dst[kk * dst_ld + j] = src[j * src_ld + kk]` for
/// `j, kk < 16` (16 row loads, an in-register transpose, 16 stores).
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn transpose16(src: *const f32, src_ld: usize, dst: *mut f32, dst_ld: usize) {
    let mut r = [_mm512_setzero_ps(); 16];
    for (j, v) in r.iter_mut().enumerate() {
        *v = _mm512_loadu_ps(src.add(j * src_ld));
    }
    // 32-bit interleave of row pairs.
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // 64-bit interleave of pair pairs.
    for i in 0..4 {
        let (a0, a1, b0, b1) = (t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a0), _mm512_castps_pd(b0)));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a0), _mm512_castps_pd(b0)));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a1), _mm512_castps_pd(b1)));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a1), _mm512_castps_pd(b1)));
    }
    // Now r[4i + q] holds, in 128-bit lane L, column 4L + q of rows 4i..4i+4.
    // 128-bit lane shuffles: gather lane L of the four row groups into output row 4L + q.
    for q in 0..4 {
        let (g0, g1, g2, g3) = (r[q], r[4 + q], r[8 + q], r[12 + q]);
        let lo01 = _mm512_shuffle_f32x4(g0, g1, 0x44); // lanes 0,1 of g0, lanes 0,1 of g1
        let lo23 = _mm512_shuffle_f32x4(g2, g3, 0x44);
        let hi01 = _mm512_shuffle_f32x4(g0, g1, 0xEE); // lanes 2,3 of g0, lanes 2,3 of g1
        let hi23 = _mm512_shuffle_f32x4(g2, g3, 0xEE);
        // lane 0 of each group: [g0.L0, g1.L0, g2.L0, g3.L0]
        t[q] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
        t[4 + q] = _mm512_shuffle_f32x4(lo01, lo23, 0xDD);
        t[8 + q] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
        t[12 + q] = _mm512_shuffle_f32x4(hi01, hi23, 0xDD);
    }
    for (kk, v) in t.iter().enumerate() {
        _mm512_storeu_ps(dst.add(kk * dst_ld), *v);
    }
}
