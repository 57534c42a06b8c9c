//! The log-space arithmetic of the CTC recursions, written per lane so LLVM vectorises it (16
//! lanes: one AVX-512 register, two AVX2 ones): a branch-free natural logarithm, two- and
//! three-term log-sum-exp with PyTorch's all-`−inf` guard, and the row kernels of the α and β
//! recursions and of the state posteriors γ.
//!
//! # Row layout
//! The `2L + 1` blank-extended states `b, l₁, b, l₂, …, l_L, b` are stored de-interleaved: a
//! row is two sub-rows of `width` cells, the `L + 1` blank states (`B[k]` = state `2k`) and the
//! `L` label states (`A[k]` = state `2k + 1`), each at index `PAD + k` with `−inf` around. A
//! blank state has two predecessors (`B[k]`, `A[k−1]`) and a label state two or three (`A[k]`,
//! `B[k]`, and `A[k−1]` unless the labels repeat), so a vector of 16 lanes never mixes the two
//! kinds and no lane computes a term that is always `−inf`: 1 exp + 1 log per blank state, 2
//! exps + 1 log per label state (an interleaved row would pay 3 + 1 for every state). The blank's
//! emission is one value per frame.
//!
//! Row kernels compute whole 16-cell chunks `[a, b)` (padded indices) covering the reachable
//! band; cells outside it are computed too but never used (see `item.rs` for why that is safe).

use crate::loss::softmax::{exp_neg, LANES};

/// Leading `−inf` cells of a sub-row (the α recursion reads `k − 1`).
pub(crate) const PAD: usize = 1;

/// `−∞`, the log of zero probability.
pub(crate) const NEG_INF: f32 = f32::NEG_INFINITY;

/// `max(a, b)` as one `maxps` (no NaN handling: a NaN `a` gives `b`).
#[inline(always)]
pub(crate) fn max2(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// `min(a, b)` as one `minps`.
#[inline(always)]
fn min2(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// The largest lane, by halving (4 vector steps instead of a 15-step chain).
#[inline(always)]
pub(crate) fn hmax(v: &[f32; LANES]) -> f32 {
    let mut v = *v;
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            v[i] = max2(v[i], v[i + w]);
        }
        w /= 2;
    }
    v[0]
}

/// The sum of the lanes, by halving.
#[inline(always)]
pub(crate) fn hsum(v: &[f32; LANES]) -> f32 {
    let mut v = *v;
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            v[i] += v[i + w];
        }
        w /= 2;
    }
    v[0]
}

/// The natural logarithm of a positive normal `x` (Cephes `logf`: exponent split, mantissa in
/// [√½, √2), degree-8 polynomial), branch-free. Relative error ≤ 2e-7 (tested below); for `x`
/// zero, subnormal, infinite or NaN the result is meaningless (callers select around it).
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes coefficients, as published.
pub(crate) fn ln_pos(x: f32) -> f32 {
    let bits = x.to_bits();
    // x = m · 2^e with m in [0.5, 1).
    let e = ((bits >> 23) & 0xff) as i32 - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = m < std::f32::consts::FRAC_1_SQRT_2;
    let f = if small { m + m - 1.0 } else { m - 1.0 };
    let ef = if small { (e - 1) as f32 } else { e as f32 };
    let z = f * f;
    // Cephes' degree-8 polynomial by Estrin's scheme (depth 6 instead of Horner's 16: the
    // recursions wait on this logarithm every row).
    let z2 = z * z;
    let p01 = 3.333_333_1e-1 - 2.499_999_4e-1 * f;
    let p23 = 2.000_071_5e-1 - 1.666_805_8e-1 * f;
    let p45 = 1.424_932_3e-1 - 1.242_014_1e-1 * f;
    let p67 = 1.167_699_9e-1 - 1.151_461_0e-1 * f;
    let q0 = p01 + p23 * z;
    let q1 = p45 + p67 * z;
    let poly = q0 + z2 * (q1 + z2 * 7.037_683_6e-2);
    let mut y = poly * f * z;
    y += -2.121_944_4e-4 * ef;
    y += -0.5 * z;
    f + y + 0.693_359_4 * ef
}

/// `ln(eᵃ + eᵇ)`: `max + ln(1 + e^(min − max))`, `−inf` when both are `−inf` (the max is then
/// taken as 0, as PyTorch does, so no `−inf − (−inf)` NaN appears).
#[inline(always)]
pub(crate) fn lse2(a: f32, b: f32) -> f32 {
    let m = max2(a, b);
    let none = m == NEG_INF;
    let mg = if none { 0.0 } else { m };
    let r = mg + ln_pos(1.0 + exp_neg(min2(a, b) - mg));
    if none {
        NEG_INF
    } else {
        r
    }
}

/// `ln(eᵃ + eᵇ + eᶜ)`: the largest term is found by a 3-element sorting network, so only the
/// two others need an exponential (`max + ln(1 + e^(r₁ − max) + e^(r₂ − max))`); same guard.
#[inline(always)]
pub(crate) fn lse3(a: f32, b: f32, c: f32) -> f32 {
    let (x, y) = (max2(a, b), min2(a, b));
    let m = max2(x, c);
    let r1 = min2(x, c);
    let none = m == NEG_INF;
    let mg = if none { 0.0 } else { m };
    let r = mg + ln_pos(1.0 + exp_neg(r1 - mg) + exp_neg(y - mg));
    if none {
        NEG_INF
    } else {
        r
    }
}

/// `ln(eᵃ + eᵇ)` in f64 with the same guard (scalar; the few per-item combinations).
pub(crate) fn lse_f64(v: &[f64]) -> f64 {
    let m = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

/// The states of the band `[lo, hi]` as padded sub-row index ranges (inclusive; empty when
/// `first > last`), for the blank and the label sub-rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Band {
    /// Blank cells `PAD + ⌈lo/2⌉ ..= PAD + ⌊hi/2⌋`.
    pub blank: (i32, i32),
    /// Label cells `PAD + ⌈(lo−1)/2⌉ ..= PAD + ⌊(hi−1)/2⌋`.
    pub label: (i32, i32),
    /// The 16-cell chunks covering both: `[a, b)`.
    pub chunks: (usize, usize),
}

impl Band {
    /// The band of states `lo..=hi`.
    #[inline(always)]
    pub fn new(lo: usize, hi: usize) -> Band {
        let (lo, hi) = (lo as i32, hi as i32);
        let p = PAD as i32;
        let blank = (p + (lo + 1) / 2, p + hi / 2);
        let label = (p + lo / 2, p + (hi - 1).div_euclid(2));
        let k0 = (lo / 2) as usize;
        let k1 = (hi / 2) as usize + 1;
        Band { blank, label, chunks: (PAD + k0 / LANES * LANES, PAD + k1.div_ceil(LANES) * LANES) }
    }
}

/// One row step of a recursion: the neighbour row it reads (the previous row for α, the next
/// for β), the frame's emissions, the shift, and where it writes.
pub(crate) struct Step<'a> {
    /// Blank sub-row of the neighbour row.
    pub nb: &'a [f32],
    /// Label sub-row of the neighbour row.
    pub na: &'a [f32],
    /// Subtracted from every value: the neighbour row's band maximum (rows stay near 0).
    pub shift: f32,
    /// The frame's blank emission.
    pub lpb: f32,
    /// The frame's label emissions (sub-row layout).
    pub lpa: &'a [f32],
    /// Blank sub-row written.
    pub cb: &'a mut [f32],
    /// Label sub-row written.
    pub ca: &'a mut [f32],
    /// The frame's band.
    pub band: Band,
}

/// The α chunk at `i` of `s`:
/// `B[k] = lpb + lse2(B'[k], A'[k−1]) − shift`,
/// `A[k] = lpa[k] + lse3(A'[k], B'[k], A'[k−1] + skip[k]) − shift`
/// (`skip[k]` is 0 where `A[k−1] → A[k]` is allowed); raises `mx` by the in-band values.
#[inline(always)]
fn alpha_chunk(s: &mut Step<'_>, skip: &[f32], i: usize, mx: &mut [f32; LANES]) {
    let b0: &[f32; LANES] = s.nb[i..i + LANES].try_into().unwrap();
    let a0: &[f32; LANES] = s.na[i..i + LANES].try_into().unwrap();
    let a1: &[f32; LANES] = s.na[i - 1..i - 1 + LANES].try_into().unwrap();
    let sk: &[f32; LANES] = skip[i..i + LANES].try_into().unwrap();
    let l: &[f32; LANES] = s.lpa[i..i + LANES].try_into().unwrap();
    let ob: &mut [f32; LANES] = (&mut s.cb[i..i + LANES]).try_into().unwrap();
    let oa: &mut [f32; LANES] = (&mut s.ca[i..i + LANES]).try_into().unwrap();
    for k in 0..LANES {
        let vb = s.lpb + (lse2(b0[k], a1[k]) - s.shift);
        let va = l[k] + (lse3(a0[k], b0[k], a1[k] + sk[k]) - s.shift);
        ob[k] = vb;
        oa[k] = va;
        mx[k] = band_fold(mx[k], vb, va, (i + k) as i32, s.band);
    }
}

/// The β chunk at `i` of `s`:
/// `B[k] = lpb + lse2(B'[k], A'[k]) − shift`,
/// `A[k] = lpa[k] + lse3(A'[k], B'[k+1], A'[k+1] + skip[k+1]) − shift`.
#[inline(always)]
fn beta_chunk(s: &mut Step<'_>, skip: &[f32], i: usize, mx: &mut [f32; LANES]) {
    let b0: &[f32; LANES] = s.nb[i..i + LANES].try_into().unwrap();
    let b1: &[f32; LANES] = s.nb[i + 1..i + 1 + LANES].try_into().unwrap();
    let a0: &[f32; LANES] = s.na[i..i + LANES].try_into().unwrap();
    let a1: &[f32; LANES] = s.na[i + 1..i + 1 + LANES].try_into().unwrap();
    let sk: &[f32; LANES] = skip[i + 1..i + 1 + LANES].try_into().unwrap();
    let l: &[f32; LANES] = s.lpa[i..i + LANES].try_into().unwrap();
    let ob: &mut [f32; LANES] = (&mut s.cb[i..i + LANES]).try_into().unwrap();
    let oa: &mut [f32; LANES] = (&mut s.ca[i..i + LANES]).try_into().unwrap();
    for k in 0..LANES {
        let vb = s.lpb + (lse2(b0[k], a0[k]) - s.shift);
        let va = l[k] + (lse3(a0[k], b1[k], a1[k] + sk[k]) - s.shift);
        ob[k] = vb;
        oa[k] = va;
        mx[k] = band_fold(mx[k], vb, va, (i + k) as i32, s.band);
    }
}

/// One α step over the chunks of its band; returns the row's band maximum.
#[inline(always)]
pub(crate) fn alpha_row(mut s: Step<'_>, skip: &[f32]) -> f32 {
    let mut mx = [NEG_INF; LANES];
    let (a, b) = s.band.chunks;
    for i in (a..b).step_by(LANES) {
        alpha_chunk(&mut s, skip, i, &mut mx);
    }
    hmax(&mx)
}

/// One β step over the chunks of its band; returns the row's band maximum.
#[inline(always)]
pub(crate) fn beta_row(mut s: Step<'_>, skip: &[f32]) -> f32 {
    let mut mx = [NEG_INF; LANES];
    let (a, b) = s.band.chunks;
    for i in (a..b).step_by(LANES) {
        beta_chunk(&mut s, skip, i, &mut mx);
    }
    hmax(&mx)
}

/// An α step and an independent β step with their chunks interleaved, so the out-of-order core
/// overlaps two dependency chains (one row's chunks wait for the previous row; the chain through
/// `exp` and `ln` is long). The same arithmetic as [`alpha_row`] and [`beta_row`], bit for bit.
#[inline(always)]
pub(crate) fn alpha_beta_rows(mut sa: Step<'_>, mut sb: Step<'_>, skip: &[f32]) -> (f32, f32) {
    let (mut ma, mut mb) = ([NEG_INF; LANES], [NEG_INF; LANES]);
    let ((a0, a1), (b0, b1)) = (sa.band.chunks, sb.band.chunks);
    let (mut i, mut j) = (a0, b0);
    while i < a1 || j < b1 {
        if i < a1 {
            alpha_chunk(&mut sa, skip, i, &mut ma);
            i += LANES;
        }
        if j < b1 {
            beta_chunk(&mut sb, skip, j, &mut mb);
            j += LANES;
        }
    }
    (hmax(&ma), hmax(&mb))
}

/// `m` raised by the blank value `vb` and the label value `va` of cell `p` where they are in the
/// band.
#[inline(always)]
fn band_fold(m: f32, vb: f32, va: f32, p: i32, band: Band) -> f32 {
    let in_b = p >= band.blank.0 && p <= band.blank.1;
    let in_a = p >= band.label.0 && p <= band.label.1;
    let m = if in_b { max2(vb, m) } else { m };
    if in_a {
        max2(va, m)
    } else {
        m
    }
}

/// The largest in-band value of a row (scalar; rows that start a phase).
pub(crate) fn band_max(rb: &[f32], ra: &[f32], band: Band) -> f32 {
    let mut m = NEG_INF;
    for p in band.blank.0..=band.blank.1 {
        m = max2(rb[p as usize], m);
    }
    for p in band.label.0..=band.label.1 {
        m = max2(ra[p as usize], m);
    }
    m
}

/// The state posteriors of one frame over the chunks of `band`:
/// `g = exp(α + β − lp + k)`, where `k` folds the rows' offsets and `−ln p(l|x)` (α and β both
/// include the frame's emission, hence `− lp`). Writes the label states' posteriors to `ga`
/// and returns the blank states' in-band sum (the blank's total posterior).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn gamma_row(ab: &[f32], aa: &[f32], bb: &[f32], ba: &[f32], lpb: f32, lpa: &[f32], k: f32, ga: &mut [f32], band: Band) -> f32 {
    let (a, b) = band.chunks;
    let mut sum = [0.0f32; LANES];
    let mut i = a;
    while i < b {
        let xa: &[f32; LANES] = aa[i..i + LANES].try_into().unwrap();
        let ya: &[f32; LANES] = ba[i..i + LANES].try_into().unwrap();
        let l: &[f32; LANES] = lpa[i..i + LANES].try_into().unwrap();
        let xb: &[f32; LANES] = ab[i..i + LANES].try_into().unwrap();
        let yb: &[f32; LANES] = bb[i..i + LANES].try_into().unwrap();
        let g: &mut [f32; LANES] = (&mut ga[i..i + LANES]).try_into().unwrap();
        for j in 0..LANES {
            // `α − lp` first: with extreme inputs α and β can each be near f32's limit.
            g[j] = exp_neg(((xa[j] - l[j]) + ya[j]) + k);
            let p = (i + j) as i32;
            let gb = exp_neg(((xb[j] - lpb) + yb[j]) + k);
            sum[j] += if p >= band.blank.0 && p <= band.blank.1 { gb } else { 0.0 };
        }
        i += LANES;
    }
    hsum(&sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_error_bound() {
        let mut worst = 0.0f64;
        let mut check = |x: f32| {
            let r = (x as f64).ln();
            let err = (ln_pos(x) as f64 - r).abs() / r.abs().max(1.0);
            worst = worst.max(err);
        };
        // The range the recursions use (1 plus up to two exponentials ≤ 1), densely.
        let mut x = 1.0f32;
        while x <= 3.0 {
            check(x);
            x += 1e-5;
        }
        // And the whole normal range, coarsely.
        let mut x = f32::MIN_POSITIVE;
        while x < 1e38 {
            check(x);
            check(x * 1.37);
            x *= 1.9;
        }
        assert!(worst <= 2e-7, "ln max error {worst}");
    }

    #[test]
    fn lse_matches_f64_and_guards_neg_inf() {
        let vals = [0.0f32, -1.0, -3.5, 2.25, -80.0, -100.0, 50.0, NEG_INF];
        let reference = |v: &[f32]| lse_f64(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
        for &a in &vals {
            for &b in &vals {
                let r = reference(&[a, b]);
                let got = lse2(a, b);
                assert!(if r == f64::NEG_INFINITY { got == NEG_INF } else { (got as f64 - r).abs() <= 4e-7 * r.abs().max(1.0) }, "lse2({a}, {b}) = {got}, expected {r}");
                for &c in &vals {
                    let r = reference(&[a, b, c]);
                    let got = lse3(a, b, c);
                    assert!(if r == f64::NEG_INFINITY { got == NEG_INF } else { (got as f64 - r).abs() <= 4e-7 * r.abs().max(1.0) }, "lse3({a}, {b}, {c}) = {got}, expected {r}");
                }
            }
        }
    }

    #[test]
    fn band_maps_states_to_sub_rows() {
        for lo in 0..40usize {
            for hi in lo..60 {
                let band = Band::new(lo, hi);
                let (a, b) = band.chunks;
                assert!((a - PAD).is_multiple_of(LANES) && (b - a).is_multiple_of(LANES));
                for s in 0..70usize {
                    let inside = s >= lo && s <= hi;
                    let (p, (first, last)) = if s % 2 == 0 { (PAD + s / 2, band.blank) } else { (PAD + s / 2, band.label) };
                    let p = p as i32;
                    assert_eq!(p >= first && p <= last, inside, "state {s} in [{lo}, {hi}]");
                    if inside {
                        assert!(p as usize >= a && (p as usize) < b, "state {s} outside the chunks");
                    }
                }
            }
        }
    }
}
