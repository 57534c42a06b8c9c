//! Word classes by k-means, as the word2vec C tool's `-classes K` option computes them (its
//! output is `word class` lines instead of vectors):
//!
//! * start: word `i` in class `i mod K`;
//! * each iteration (10 in the C tool): every centroid = (sum of its words' vectors) divided by
//!   (count + 1) — the C tool starts each count at 1 — normalised to unit length (a zero
//!   centroid stays zero); then every word joins the class whose centroid has the largest dot
//!   product with its RAW vector (first class on ties; the C tool starts the search at −10, so
//!   a word whose every dot product is below −10 goes to class 0, reproduced here).
//!
//! Deterministic and independent of the thread count: centroid sums are taken in f64 over
//! fixed blocks of rows, added in block order; the assignment is one GEMM per block of rows
//! against the centroids, blocks split over the seqlearn pool. (The C tool sums in f32 in row
//! order, so rounding may move a word whose two best classes are within ~1e-7.)

use crate::error::{Error, Result};

/// Rows per block (centroid partial sums and assignment GEMMs).
const BLOCK: usize = 1024;

/// Per-block centroid sums (f64, `[classes, dim]`) and counts.
type BlockSums = (Vec<f64>, Vec<u64>);

/// The C tool's k-means iterations.
pub const KMEANS_ITERATIONS: usize = 10;

/// K-means classes of the `n = data.len() / dim` rows (see the module documentation):
/// `classes` in `1..=n`, `iterations` ≥ 1 (the C tool uses [`KMEANS_ITERATIONS`]). Returns the
/// class of each row.
pub fn kmeans_classes(data: &[f32], dim: usize, classes: usize, iterations: usize) -> Result<Vec<u32>> {
    if dim == 0 || !data.len().is_multiple_of(dim) {
        return Err(Error::invalid("data", format!("expected rows of dim = {dim} values, got {} values", data.len())));
    }
    let n = data.len() / dim;
    if classes == 0 || classes > n || classes > u32::MAX as usize {
        return Err(Error::invalid("classes", format!("expected an integer in 1..={n} (the number of words), got {classes}")));
    }
    if iterations == 0 {
        return Err(Error::invalid("iterations", "expected an integer ≥ 1, got 0"));
    }
    let mut cl: Vec<u32> = (0..n).map(|i| (i % classes) as u32).collect();
    let blocks = n.div_ceil(BLOCK);
    let threads = crate::parallel::num_threads().min(blocks).max(1);
    let mut cent = vec![0.0f32; classes * dim];
    for _ in 0..iterations {
        // Centroid sums: per block in f64, then added in block order.
        let partial: Vec<std::sync::Mutex<Vec<BlockSums>>> = (0..threads).map(|_| std::sync::Mutex::new(Vec::new())).collect();
        {
            let cl = &cl;
            crate::parallel::install(|| {
                crate::parallel::for_each_chunk(threads, |t| {
                    let (b0, b1) = crate::parallel::split_range(blocks, threads, 1, t);
                    let mut mine = Vec::with_capacity(b1 - b0);
                    for b in b0..b1 {
                        let mut sum = vec![0.0f64; classes * dim];
                        let mut count = vec![0u64; classes];
                        for r in b * BLOCK..((b + 1) * BLOCK).min(n) {
                            let c = cl[r] as usize;
                            count[c] += 1;
                            let dst = &mut sum[c * dim..(c + 1) * dim];
                            dst.iter_mut().zip(&data[r * dim..(r + 1) * dim]).for_each(|(s, v)| *s += *v as f64);
                        }
                        mine.push((sum, count));
                    }
                    *partial[t].lock().unwrap_or_else(|e| e.into_inner()) = mine;
                })
            });
        }
        let mut sum = vec![0.0f64; classes * dim];
        let mut count = vec![1u64; classes];
        for p in partial {
            for (s, c) in p.into_inner().unwrap_or_else(|e| e.into_inner()) {
                sum.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
                count.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
            }
        }
        for c in 0..classes {
            let row = &mut sum[c * dim..(c + 1) * dim];
            row.iter_mut().for_each(|v| *v /= count[c] as f64);
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            for (dst, v) in cent[c * dim..(c + 1) * dim].iter_mut().zip(row.iter()) {
                *dst = if norm > 0.0 { (v / norm) as f32 } else { 0.0 };
            }
        }
        // Assignment: scores [rows, classes] = rows · centᵀ, then the first best class.
        struct Dst(*mut u32);
        // SAFETY: each chunk writes the classes of its own rows only.
        unsafe impl Sync for Dst {}
        let dst = Dst(cl.as_mut_ptr());
        let cent = &cent;
        crate::parallel::install(|| {
            crate::parallel::for_each_chunk(threads, |t| {
                let (b0, b1) = crate::parallel::split_range(blocks, threads, 1, t);
                let mut scores = vec![0.0f32; BLOCK * classes];
                for b in b0..b1 {
                    let (r0, r1) = (b * BLOCK, ((b + 1) * BLOCK).min(n));
                    let rows = r1 - r0;
                    crate::linalg::matmul_nt(rows, classes, dim, &data[r0 * dim..r1 * dim], cent, &mut scores[..rows * classes], false, 1);
                    for r in 0..rows {
                        let s = &scores[r * classes..(r + 1) * classes];
                        let (mut best, mut id) = (-10.0f32, 0u32);
                        for (c, &x) in s.iter().enumerate() {
                            if x > best {
                                best = x;
                                id = c as u32;
                            }
                        }
                        let dst = &dst;
                        // SAFETY: row r0 + r is inside `cl` and belongs to this chunk.
                        unsafe { *dst.0.add(r0 + r) = id };
                    }
                }
            })
        });
    }
    Ok(cl)
}

impl super::keyed_vectors::KeyedVectors {
    /// K-means word classes of the whole table, as the C tool's `-classes` (see
    /// [`kmeans_classes`]).
    pub fn kmeans_classes(&self, classes: usize, iterations: usize) -> Result<Vec<u32>> {
        kmeans_classes(self.data(), self.dim(), classes, iterations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C tool's loop, transcribed (f32 sums in row order).
    fn reference(data: &[f32], dim: usize, k: usize, iters: usize) -> Vec<u32> {
        let n = data.len() / dim;
        let mut cl: Vec<usize> = (0..n).map(|i| i % k).collect();
        let mut cent = vec![0.0f32; k * dim];
        for _ in 0..iters {
            cent.fill(0.0);
            let mut cn = vec![1u32; k];
            for c in 0..n {
                for d in 0..dim {
                    cent[dim * cl[c] + d] += data[c * dim + d];
                }
                cn[cl[c]] += 1;
            }
            for b in 0..k {
                let mut closev = 0.0f32;
                for c in 0..dim {
                    cent[dim * b + c] /= cn[b] as f32;
                    closev += cent[dim * b + c] * cent[dim * b + c];
                }
                let closev = closev.sqrt();
                for c in 0..dim {
                    cent[dim * b + c] /= closev;
                }
            }
            for c in 0..n {
                let (mut closev, mut closeid) = (-10.0f32, 0);
                for d in 0..k {
                    let x: f32 = (0..dim).map(|b| cent[dim * d + b] * data[c * dim + b]).sum();
                    if x > closev {
                        closev = x;
                        closeid = d;
                    }
                }
                cl[c] = closeid;
            }
        }
        cl.into_iter().map(|c| c as u32).collect()
    }

    #[test]
    fn matches_the_c_loop_and_is_deterministic() {
        // Four separated groups in 5-D, spread over more than two blocks.
        let n = 2 * BLOCK + 300;
        let dim = 5;
        let mut rng = crate::rng::Rng::new(8);
        let mut data = vec![0.0f32; n * dim];
        for r in 0..n {
            let g = (r * 7919) % 4;
            for d in 0..dim {
                data[r * dim + d] = if d == g { 3.0 } else { 0.0 } + 0.3 * rng.normal();
            }
        }
        let got = kmeans_classes(&data, dim, 4, KMEANS_ITERATIONS).unwrap();
        let want = reference(&data, dim, 4, KMEANS_ITERATIONS);
        let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 0, "{differ} rows differ from the C loop");
        // the groups are recovered: rows of one group share one class
        for r in 0..n {
            let first = (0..n).find(|&q| (q * 7919) % 4 == (r * 7919) % 4).unwrap();
            assert_eq!(got[r], got[first]);
        }
        assert_eq!(got, kmeans_classes(&data, dim, 4, KMEANS_ITERATIONS).unwrap());
    }

    #[test]
    fn rejects_bad_arguments() {
        let data = [1.0f32, 0.0, 0.0, 1.0];
        assert!(kmeans_classes(&data, 2, 0, 10).unwrap_err().to_string().contains("classes"));
        assert!(kmeans_classes(&data, 2, 3, 10).unwrap_err().to_string().contains("1..=2"));
        assert!(kmeans_classes(&data, 2, 2, 0).unwrap_err().to_string().contains("iterations"));
        assert_eq!(kmeans_classes(&data, 2, 2, 1).unwrap().len(), 2);
    }
}
