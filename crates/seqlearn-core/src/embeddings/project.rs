//! 2-D projections of word vectors for plots: PCA and exact t-SNE (van der Maaten & Hinton
//! 2008), both deterministic.
//!
//! # PCA
//! The points are centred; the two leading eigenvectors of their covariance (or, with fewer
//! points than dimensions, of the Gram matrix — the same subspace) come from a cyclic Jacobi
//! eigensolver in f64, which is exact and deterministic. Sign convention: each axis is flipped
//! so that its largest-magnitude loading (the first one on ties) is positive, so the picture
//! does not flip between runs or machines. Coordinates are the projections on those axes.
//!
//! # t-SNE (exact)
//! As scikit-learn's `TSNE(method='exact')`: squared Euclidean distances; per point a binary
//! search (at most 100 steps, tolerance 1e-5 on the entropy) for the Gaussian precision whose
//! conditional distribution has the requested perplexity; `P = (P + Pᵀ) / Σ`, floored at f64
//! epsilon; Student-t (1 degree of freedom) similarities in 2-D; gradient descent on
//! KL(P‖Q) with early exaggeration (×12 for the first 250 iterations), momentum 0.5 then 0.8,
//! per-coordinate adaptive gains (+0.2 / ×0.8, floor 0.01) and learning rate `max(n / 12 / 4,
//! 50)` (sklearn's `'auto'`); the start is a seeded N(0, 10⁻⁴) cloud (the original paper's). It
//! runs a fixed number of iterations (no early stop), so equal inputs give equal outputs.
//!
//! Cost: O(n²) memory (one n × n f32 matrix: the distances, then P in place — 100 MB at 5 000
//! points) and O(n²) time per iteration, split over the pool by rows. Measured on 2 cores
//! (release, 1 000 iterations): 0.5 s for 1 000 points, 1.7–2.4 s for 2 000, about 20 s for
//! 5 000. [`TSNE_MAX_POINTS`] (5 000) is the limit; beyond it the call is rejected naming
//! `words` — use PCA, or a Barnes–Hut t-SNE elsewhere.

use crate::error::{Error, Result};

/// Largest number of points [`tsne_2d`] accepts (O(n²) memory and time).
pub const TSNE_MAX_POINTS: usize = 5000;

/// Jacobi sweeps before giving up (convergence takes well under 20 in practice).
const MAX_SWEEPS: usize = 100;

/// Eigen-decomposition of the symmetric `n × n` matrix `a` (row-major) by cyclic Jacobi
/// rotations: eigenvalues in descending order and the eigenvectors as the COLUMNS of the
/// returned row-major `n × n` matrix (column `k` belongs to value `k`). Deterministic.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "internal: symmetric_eigen needs an n × n matrix");
    let mut m = a.to_vec();
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = m.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| m[i * n + j] * m[i * n + j]).sum();
        if off <= total * 1e-30 || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| m[b * n + b].total_cmp(&m[a * n + a]).then(a.cmp(&b)));
    let values = order.iter().map(|&k| m[k * n + k]).collect();
    let mut vecs = vec![0.0f64; n * n];
    for (col, &k) in order.iter().enumerate() {
        for r in 0..n {
            vecs[r * n + col] = v[r * n + k];
        }
    }
    (values, vecs)
}

fn check_points(points: &[f32], n: usize, dim: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid("words", "expected at least one point to project, got none"));
    }
    if dim == 0 || points.len() != n * dim {
        return Err(Error::invalid("points", format!("expected {n} × {dim} values, got {}", points.len())));
    }
    Ok(())
}

/// PCA of `n` points of `dim` values (row-major) onto their two leading principal axes: `[n, 2]`
/// row-major coordinates. With fewer than two non-zero variance directions the missing axis is
/// 0. See the module documentation for the sign convention.
pub fn pca_2d(points: &[f32], n: usize, dim: usize) -> Result<Vec<f32>> {
    check_points(points, n, dim)?;
    let mut x: Vec<f64> = points.iter().map(|&v| v as f64).collect();
    for c in 0..dim {
        let mean = (0..n).map(|r| x[r * dim + c]).sum::<f64>() / n as f64;
        (0..n).for_each(|r| x[r * dim + c] -= mean);
    }
    // Loadings (unit axes in the input space), one per component.
    let mut axes: Vec<Vec<f64>> = Vec::with_capacity(2);
    if dim <= n {
        let mut cov = vec![0.0f64; dim * dim];
        for r in 0..n {
            let row = &x[r * dim..(r + 1) * dim];
            for i in 0..dim {
                let xi = row[i];
                if xi != 0.0 {
                    for j in i..dim {
                        cov[i * dim + j] += xi * row[j];
                    }
                }
            }
        }
        for i in 0..dim {
            for j in 0..i {
                cov[i * dim + j] = cov[j * dim + i];
            }
        }
        let (vals, vecs) = symmetric_eigen(&cov, dim);
        for k in 0..2.min(dim) {
            let axis: Vec<f64> = (0..dim).map(|r| vecs[r * dim + k]).collect();
            axes.push(if vals[k] > 1e-12 * vals[0].abs().max(f64::MIN_POSITIVE) { axis } else { vec![0.0; dim] });
        }
    } else {
        let mut gram = vec![0.0f64; n * n];
        for i in 0..n {
            for j in i..n {
                let d: f64 = (0..dim).map(|c| x[i * dim + c] * x[j * dim + c]).sum();
                gram[i * n + j] = d;
                gram[j * n + i] = d;
            }
        }
        let (vals, vecs) = symmetric_eigen(&gram, n);
        for k in 0..2.min(n) {
            // axis = Xᵀ u / |Xᵀ u|
            let mut axis = vec![0.0f64; dim];
            for r in 0..n {
                let w = vecs[r * n + k];
                axis.iter_mut().zip(&x[r * dim..(r + 1) * dim]).for_each(|(a, v)| *a += w * v);
            }
            let norm = axis.iter().map(|a| a * a).sum::<f64>().sqrt();
            let keep = vals[k] > 1e-12 * vals[0].abs().max(f64::MIN_POSITIVE) && norm > 0.0;
            axes.push(if keep { axis.iter().map(|a| a / norm).collect() } else { vec![0.0; dim] });
        }
    }
    for axis in &mut axes {
        let mut big = 0usize;
        for (i, a) in axis.iter().enumerate() {
            if a.abs() > axis[big].abs() {
                big = i;
            }
        }
        if axis[big] < 0.0 {
            axis.iter_mut().for_each(|a| *a = -*a);
        }
    }
    while axes.len() < 2 {
        axes.push(vec![0.0; dim]);
    }
    let mut out = vec![0.0f32; n * 2];
    for r in 0..n {
        let row = &x[r * dim..(r + 1) * dim];
        for k in 0..2 {
            out[r * 2 + k] = row.iter().zip(&axes[k]).map(|(a, b)| a * b).sum::<f64>() as f32;
        }
    }
    Ok(out)
}

/// Options of [`tsne_2d`].
#[derive(Clone, Copy, Debug)]
pub struct TsneOptions {
    /// Effective number of neighbours; must be below the number of points. `None`: 30, or
    /// `(n − 1) / 3` for fewer than 91 points.
    pub perplexity: Option<f64>,
    /// Gradient steps (default 1000; sklearn's `max_iter`).
    pub iterations: usize,
    /// Step size; `None` = sklearn's `'auto'`, `max(n / early_exaggeration / 4, 50)`.
    pub learning_rate: Option<f64>,
    /// Factor on P during the first `exaggeration_iterations` steps (default 12).
    pub early_exaggeration: f64,
    /// Steps with early exaggeration and momentum 0.5 (default 250).
    pub exaggeration_iterations: usize,
    /// Seed of the initial positions.
    pub seed: u64,
}

impl Default for TsneOptions {
    fn default() -> Self {
        TsneOptions { perplexity: None, iterations: 1000, learning_rate: None, early_exaggeration: 12.0, exaggeration_iterations: 250, seed: 0 }
    }
}

impl TsneOptions {
    fn perplexity_for(&self, n: usize) -> Result<f64> {
        match self.perplexity {
            Some(p) => {
                if !(p.is_finite() && p > 0.0 && p < n as f64) {
                    return Err(Error::invalid("perplexity", format!("expected a number in (0, {n}) (below the number of points, {n}), got {p}")));
                }
                Ok(p)
            }
            None => Ok(30.0f64.min((n as f64 - 1.0) / 3.0).max(f64::MIN_POSITIVE)),
        }
    }
}

/// Replaces row `i` of squared distances (`row[i]` ignored) by the conditional probabilities
/// `P(j|i)` at the precision whose entropy is `target = ln(perplexity)` (sklearn's
/// `_binary_search_perplexity`).
fn conditional_row(row: &mut [f32], i: usize, target: f64) {
    let n = row.len();
    let d: Vec<f64> = row.iter().map(|&v| v as f64).collect();
    let (mut beta, mut lo, mut hi) = (1.0f64, f64::NEG_INFINITY, f64::INFINITY);
    let mut p = vec![0.0f64; n];
    for _ in 0..100 {
        let mut sum = 0.0;
        for j in 0..n {
            p[j] = if j == i { 0.0 } else { (-d[j] * beta).exp() };
            sum += p[j];
        }
        if sum == 0.0 {
            sum = 1e-8;
        }
        let mut sdp = 0.0;
        for j in 0..n {
            p[j] /= sum;
            sdp += d[j] * p[j];
        }
        let entropy = sum.ln() + beta * sdp;
        let diff = entropy - target;
        if diff.abs() <= 1e-5 {
            break;
        }
        if diff > 0.0 {
            lo = beta;
            beta = if hi == f64::INFINITY { beta * 2.0 } else { (beta + hi) / 2.0 };
        } else {
            hi = beta;
            beta = if lo == f64::NEG_INFINITY { beta / 2.0 } else { (beta + lo) / 2.0 };
        }
    }
    for (o, v) in row.iter_mut().zip(&p) {
        *o = *v as f32;
    }
}

/// Sums over `j` of one row of the t-SNE gradient: `attr = Σ p_ij q'_ij (y_i − y_j)`,
/// `rep = Σ q'_ij² (y_i − y_j)` and `z = Σ_{j≠i} q'_ij` with `q' = 1 / (1 + |y_i − y_j|²)`,
/// as `[attr_x, attr_y, rep_x, rep_y, z]`. 16 lanes per quantity, summed in a fixed order.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // lane loops over fixed-size arrays are what vectorises
fn gradient_row(p: &[f32], ys: &[f32], xs: &[f32], i: usize, out: &mut [f64; 5]) {
    const L: usize = 16;
    let (xi, yi) = (xs[i], ys[i]);
    let (mut ax, mut ay, mut rx, mut ry, mut z) = ([0.0f32; L], [0.0f32; L], [0.0f32; L], [0.0f32; L], [0.0f32; L]);
    let mut pc = p.chunks_exact(L);
    let mut xc = xs.chunks_exact(L);
    let mut yc = ys.chunks_exact(L);
    for ((pp, xx), yy) in (&mut pc).zip(&mut xc).zip(&mut yc) {
        let pp: &[f32; L] = pp.try_into().expect("chunk of L");
        let xx: &[f32; L] = xx.try_into().expect("chunk of L");
        let yy: &[f32; L] = yy.try_into().expect("chunk of L");
        for l in 0..L {
            let dx = xi - xx[l];
            let dy = yi - yy[l];
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            let pq = pp[l] * q;
            let qq = q * q;
            ax[l] += pq * dx;
            ay[l] += pq * dy;
            rx[l] += qq * dx;
            ry[l] += qq * dy;
            z[l] += q;
        }
    }
    let mut s = [0.0f64; 5];
    for (k, acc) in [ax, ay, rx, ry, z].iter().enumerate() {
        s[k] = acc.iter().map(|&v| v as f64).sum();
    }
    for ((&pj, &xj), &yj) in pc.remainder().iter().zip(xc.remainder()).zip(yc.remainder()) {
        let dx = xi - xj;
        let dy = yi - yj;
        let q = 1.0 / (1.0 + dx * dx + dy * dy);
        s[0] += (pj * q * dx) as f64;
        s[1] += (pj * q * dy) as f64;
        s[2] += (q * q * dx) as f64;
        s[3] += (q * q * dy) as f64;
        s[4] += q as f64;
    }
    // j = i contributed q = 1 to z (dx = dy = 0 leave the other sums alone).
    s[4] -= 1.0;
    *out = s;
}

crate::dispatch! {
    /// [`gradient_row`] for rows `rows` (`out` holds 5 sums per row).
    fn gradient_rows(p: &[f32], ys: &[f32], xs: &[f32], start: usize, out: &mut [[f64; 5]]) {
        let n = xs.len();
        for (k, o) in out.iter_mut().enumerate() {
            let i = start + k;
            gradient_row(&p[i * n..(i + 1) * n], ys, xs, i, o);
        }
    }
}

/// Exact t-SNE of `n` points of `dim` values (row-major) to `[n, 2]` row-major coordinates; see
/// the module documentation. Errors name `words` beyond [`TSNE_MAX_POINTS`] and `perplexity`
/// out of range.
pub fn tsne_2d(points: &[f32], n: usize, dim: usize, opts: &TsneOptions) -> Result<Vec<f32>> {
    check_points(points, n, dim)?;
    if n > TSNE_MAX_POINTS {
        return Err(Error::invalid(
            "words",
            format!("exact t-SNE takes at most {TSNE_MAX_POINTS} points (O(n²) memory and time), got {n}; use method 'pca' or fewer words"),
        ));
    }
    if n == 1 {
        return Ok(vec![0.0, 0.0]);
    }
    let perplexity = opts.perplexity_for(n)?;
    if !(opts.early_exaggeration.is_finite() && opts.early_exaggeration >= 1.0) {
        return Err(Error::invalid("earlyExaggeration", format!("expected a number ≥ 1, got {}", opts.early_exaggeration)));
    }
    let lr = opts.learning_rate.unwrap_or((n as f64 / opts.early_exaggeration / 4.0).max(50.0));
    if !(lr.is_finite() && lr > 0.0) {
        return Err(Error::invalid("learningRate", format!("expected a positive number, got {lr}")));
    }
    // Squared distances [n, n]: |x_i|² + |x_j|² − 2 x_i·x_j (GEMM), clamped at 0.
    let mut d = vec![0.0f32; n * n];
    crate::parallel::install(|| crate::linalg::matmul_nt(n, n, dim, points, points, &mut d, false, crate::parallel::num_threads()));
    let sq: Vec<f32> = (0..n).map(|i| d[i * n + i]).collect();
    for i in 0..n {
        for j in 0..n {
            d[i * n + j] = if i == j { 0.0 } else { (sq[i] + sq[j] - 2.0 * d[i * n + j]).max(0.0) };
        }
    }
    // Conditional P rows (in parallel), then symmetrise and normalise.
    let target = perplexity.ln();
    let mut p = d;
    {
        use rayon::prelude::*;
        crate::parallel::install(|| p.par_chunks_mut(n).enumerate().for_each(|(i, row)| conditional_row(row, i, target)));
    }
    let mut total = 0.0f64;
    for i in 0..n {
        for j in i + 1..n {
            let s = p[i * n + j] + p[j * n + i];
            p[i * n + j] = s;
            p[j * n + i] = s;
            total += 2.0 * s as f64;
        }
        p[i * n + i] = 0.0;
    }
    let total = total.max(f64::EPSILON);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                p[i * n + j] = ((p[i * n + j] as f64 / total).max(f64::EPSILON)) as f32;
            }
        }
    }
    // Initial positions N(0, 1e-4²), seeded.
    let mut rng = crate::rng::Rng::new(opts.seed);
    let mut xs = vec![0.0f32; n];
    let mut ys = vec![0.0f32; n];
    for i in 0..n {
        xs[i] = 1e-4 * rng.normal();
        ys[i] = 1e-4 * rng.normal();
    }
    let mut update = vec![0.0f64; 2 * n];
    let mut gains = vec![1.0f64; 2 * n];
    let mut sums = vec![[0.0f64; 5]; n];
    let threads = crate::parallel::num_threads();
    let chunks = if n < 256 { 1 } else { threads.min(n / 64).max(1) };
    let mut exaggerated = true;
    scale(&mut p, opts.early_exaggeration as f32);
    for it in 0..opts.iterations {
        if exaggerated && it >= opts.exaggeration_iterations {
            scale(&mut p, 1.0 / opts.early_exaggeration as f32);
            exaggerated = false;
        }
        let momentum = if it < opts.exaggeration_iterations { 0.5 } else { 0.8 };
        {
            struct Out(*mut [f64; 5]);
            // SAFETY: each chunk writes its own disjoint range of rows.
            unsafe impl Sync for Out {}
            let out = Out(sums.as_mut_ptr());
            let (p, xs, ys) = (&p, &xs, &ys);
            crate::parallel::install(|| {
                crate::parallel::for_each_chunk(chunks, |t| {
                    let (r0, r1) = crate::parallel::split_range(n, chunks, 1, t);
                    let out = &out;
                    // SAFETY: rows r0..r1 lie inside `sums` and belong to this chunk only.
                    let o = unsafe { std::slice::from_raw_parts_mut(out.0.add(r0), r1 - r0) };
                    gradient_rows(p, ys, xs, r0, o);
                })
            });
        }
        let z: f64 = sums.iter().map(|s| s[4]).sum::<f64>().max(f64::EPSILON);
        for i in 0..n {
            let s = &sums[i];
            let grad = [4.0 * (s[0] - s[2] / z), 4.0 * (s[1] - s[3] / z)];
            for (k, &g) in grad.iter().enumerate() {
                let idx = 2 * i + k;
                gains[idx] = if update[idx] * g < 0.0 { gains[idx] + 0.2 } else { gains[idx] * 0.8 };
                gains[idx] = gains[idx].max(0.01);
                update[idx] = momentum * update[idx] - lr * gains[idx] * g;
            }
            xs[i] = (xs[i] as f64 + update[2 * i]) as f32;
            ys[i] = (ys[i] as f64 + update[2 * i + 1]) as f32;
        }
    }
    let mut out = vec![0.0f32; n * 2];
    for i in 0..n {
        out[2 * i] = xs[i];
        out[2 * i + 1] = ys[i];
    }
    Ok(out)
}

fn scale(p: &mut [f32], k: f32) {
    p.iter_mut().for_each(|v| *v *= k);
}

/// Which 2-D projection to run.
#[derive(Clone, Copy, Debug)]
pub enum Projection {
    /// [`pca_2d`].
    Pca,
    /// [`tsne_2d`] with its options.
    Tsne(TsneOptions),
}

impl super::keyed_vectors::KeyedVectors {
    /// 2-D coordinates (`[words.len(), 2]`) of the vectors of `words` (unit-normalised first
    /// when `normalize`, so distances follow cosine similarity). Errors name `words[i]` for a
    /// word outside the vocabulary.
    pub fn project(&self, words: &[&str], projection: Projection, normalize: bool) -> Result<Vec<f32>> {
        let dim = self.dim();
        let mut pts = Vec::with_capacity(words.len() * dim);
        for (i, w) in words.iter().enumerate() {
            let id = self.require(&format!("words[{i}]"), w)?;
            pts.extend_from_slice(if normalize { self.unit_vector(id) } else { self.vector(id) });
        }
        match projection {
            Projection::Pca => pca_2d(&pts, words.len(), dim),
            Projection::Tsne(o) => tsne_2d(&pts, words.len(), dim, &o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises() {
        // [[2, 1], [1, 2]]: eigenvalues 3, 1 with vectors (1, 1)/√2, (1, −1)/√2
        let (vals, vecs) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((vals[0] - 3.0).abs() < 1e-12 && (vals[1] - 1.0).abs() < 1e-12);
        assert!((vecs[0].abs() - 0.5f64.sqrt()).abs() < 1e-12 && (vecs[0] - vecs[2]).abs() < 1e-12);
        // a random symmetric 6×6: A v = λ v for every pair
        let mut rng = crate::rng::Rng::new(2);
        let n = 6;
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in i..n {
                let v = rng.uniform(-1.0, 1.0) as f64;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        let (vals, vecs) = symmetric_eigen(&a, n);
        for k in 0..n {
            for r in 0..n {
                let av: f64 = (0..n).map(|c| a[r * n + c] * vecs[c * n + k]).sum();
                assert!((av - vals[k] * vecs[r * n + k]).abs() < 1e-10);
            }
        }
        assert!(vals.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn pca_finds_known_axes() {
        // Points along (3, 4)/5 with a small spread along (−4, 3)/5, offset by (10, −2).
        let mut pts = Vec::new();
        let ts = [-2.0f32, -1.0, 0.0, 1.0, 2.0];
        let ss = [0.3f32, -0.3, 0.0, -0.3, 0.3]; // uncorrelated with ts, mean 0
        for (t, s) in ts.iter().zip(&ss) {
            pts.push(10.0 + t * 0.6 - s * 0.8);
            pts.push(-2.0 + t * 0.8 + s * 0.6);
        }
        let out = pca_2d(&pts, 5, 2).unwrap();
        // axis 1 = (0.6, 0.8) (largest loading 0.8 positive): coordinates = t; axis 2 = ±(−0.8, 0.6)
        // with the largest loading (−0.8 → flipped) positive: (0.8, −0.6) → coordinates −s.
        for i in 0..5 {
            assert!((out[2 * i] - ts[i]).abs() < 1e-5, "{out:?}");
            assert!((out[2 * i + 1] + ss[i]).abs() < 1e-5, "{out:?}");
        }
        // the Gram path (fewer points than dims) gives the same picture: embed in 6-D
        let mut wide = Vec::new();
        for i in 0..5 {
            wide.extend_from_slice(&[pts[2 * i], pts[2 * i + 1], 1.0, 1.0, 1.0, 1.0]);
        }
        let w = pca_2d(&wide, 5, 6).unwrap();
        for i in 0..10 {
            assert!((w[i] - out[i]).abs() < 1e-5, "{w:?} vs {out:?}");
        }
        // one point → the origin; collinear points → second axis 0
        assert_eq!(pca_2d(&[1.0, 2.0], 1, 2).unwrap(), vec![0.0, 0.0]);
        let line = pca_2d(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], 3, 2).unwrap();
        assert!(line.iter().skip(1).step_by(2).all(|v| v.abs() < 1e-6), "{line:?}");
    }

    #[test]
    fn tsne_separates_clusters_and_is_deterministic() {
        // three well-separated Gaussian clusters of 20 points in 10-D
        let mut rng = crate::rng::Rng::new(11);
        let (k, per, dim) = (3usize, 20usize, 10usize);
        let mut pts = Vec::new();
        for c in 0..k {
            for _ in 0..per {
                for d in 0..dim {
                    let centre = if d == c { 10.0 } else { 0.0 };
                    pts.push(centre + 0.5 * rng.normal());
                }
            }
        }
        let n = k * per;
        let opts = TsneOptions { iterations: 500, seed: 3, ..Default::default() };
        let y = tsne_2d(&pts, n, dim, &opts).unwrap();
        assert!(y.iter().all(|v| v.is_finite()));
        // kNN preservation: every point's 5 nearest neighbours in 2-D are from its own cluster
        for i in 0..n {
            let mut d: Vec<(f32, usize)> =
                (0..n).filter(|&j| j != i).map(|j| ((y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2), j)).collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            for &(_, j) in &d[..5] {
                assert_eq!(j / per, i / per, "point {i}'s neighbour {j} is in another cluster");
            }
        }
        assert_eq!(y, tsne_2d(&pts, n, dim, &opts).unwrap());
        let other = tsne_2d(&pts, n, dim, &TsneOptions { seed: 4, ..opts }).unwrap();
        assert_ne!(y, other);
    }

    #[test]
    fn tsne_rejects_bad_input() {
        let pts = vec![0.0f32; 4 * 3];
        assert!(tsne_2d(&pts, 4, 3, &TsneOptions { perplexity: Some(4.0), ..Default::default() }).unwrap_err().to_string().contains("perplexity"));
        assert!(tsne_2d(&pts, 4, 3, &TsneOptions { learning_rate: Some(-1.0), ..Default::default() }).unwrap_err().to_string().contains("learningRate"));
        let many = vec![0.0f32; (TSNE_MAX_POINTS + 1) * 2];
        let e = tsne_2d(&many, TSNE_MAX_POINTS + 1, 2, &TsneOptions::default()).unwrap_err().to_string();
        assert!(e.contains("words") && e.contains("5000") && e.contains("5001"), "{e}");
        assert!(pca_2d(&[], 0, 3).unwrap_err().to_string().contains("words"));
    }
}
