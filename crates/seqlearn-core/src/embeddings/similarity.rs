//! Cosine queries over [`KeyedVectors`]: `similarity`, nearest neighbours of a vector,
//! `most_similar` (3CosAdd), `most_similar_cosmul` (3CosMul), `doesnt_match`, and batched
//! nearest neighbours of many vectors at once — all with gensim 4's semantics.
//!
//! # How a query runs
//! Scores are dot products with the cached unit-normalised table
//! ([`KeyedVectors::unit_data`]). A single query is one pass over the candidate rows: blocks of
//! [`SCAN_BLOCK`] rows are scored with a run-time dispatched SIMD kernel (SSE2 / AVX2 / AVX-512,
//! see [`crate::simd`]) and fed to a bounded top-k selection; large vocabularies split the blocks
//! over the seqlearn pool, each thread keeping its own top-k, merged at the end. Many queries
//! ([`KeyedVectors::nearest_batch`], the analogy benchmark) become GEMMs of the queries against
//! blocks of the table ([`crate::linalg::matmul_nt`]), one block per task.
//!
//! # Order and ties
//! Results are ordered by similarity, descending; equal similarities by row, ascending. The
//! selection is exact under that order, so results do not depend on the thread count.
//! The dot-product kernel sums 16 lanes in a fixed order, so its value is the same on every
//! instruction set.
//!
//! # Differences from gensim (documented choices)
//! * A word outside the vocabulary is an error naming the argument and the word (gensim raises
//!   `KeyError`; `doesnt_match` silently drops it).
//! * `most_similar_cosmul` honours `restrict_vocab` (gensim 4.4 accepts it and ignores it), and
//!   raw vectors given as terms are normalised first (gensim uses them as given, which takes
//!   `(1 + cos) / 2` out of `[0, 1]`).
//! * A query whose weighted mean is the zero vector is an error (gensim returns arbitrary rows).

use std::ops::Range;

use super::keyed_vectors::KeyedVectors;
use crate::error::{Error, Result};

/// Candidate rows per scoring block of a single query.
pub const SCAN_BLOCK: usize = 4096;
/// Candidate rows per GEMM block of batched queries.
pub(crate) const GEMM_BLOCK: usize = 1024;
/// The epsilon of 3CosMul's denominator (gensim, Levy & Goldberg).
pub const COSMUL_EPSILON: f32 = 1e-6;

/// Lanes of the dot-product accumulator (one AVX-512 register, two AVX2 or four SSE2 ones).
const LANES: usize = 16;

/// `a · b` over `min(a.len(), b.len())` values: 16 partial sums in a fixed order, then a fixed
/// pairwise reduction (vectorises on every instruction set without reassociating).
#[inline(always)]
pub(crate) fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..LANES {
            acc[j] += x[j] * y[j];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    let mut w = LANES;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] += acc[j + w];
        }
    }
    acc[0] + tail
}

crate::dispatch! {
    /// `*out = a · b` (see [`dot_lanes`]).
    fn dot_into(a: &[f32], b: &[f32], out: &mut f32) {
        *out = dot_lanes(a, b);
    }
}

crate::dispatch! {
    /// `out[r] = row r of table · q` for the `out.len()` rows of `table` (`dim` values each).
    pub(crate) fn row_dots(table: &[f32], dim: usize, q: &[f32], out: &mut [f32]) {
        for (row, o) in table.chunks_exact(dim).zip(out.iter_mut()) {
            *o = dot_lanes(row, q);
        }
    }
}

/// The dot product `a · b` (SIMD, fixed summation order; see the module documentation).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0.0;
    dot_into(a, b, &mut s);
    s
}

/// A neighbour found by a query: its row and its score (a cosine similarity, or the 3CosMul
/// score for [`KeyedVectors::most_similar_cosmul`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// Row of the word (see [`KeyedVectors::word`]).
    pub id: u32,
    /// The score.
    pub similarity: f32,
}

/// One term of a `most_similar` query: a word of the vocabulary or a raw vector.
#[derive(Clone, Copy, Debug)]
pub enum Term<'a> {
    /// A word (its unit vector is used; the word is excluded from the results).
    Word(&'a str),
    /// A vector of `dim` values (used as given by 3CosAdd, normalised by 3CosMul).
    Vector(&'a [f32]),
}

/// A term with its weight in the 3CosAdd combination (gensim: +1 for positive, −1 for negative).
#[derive(Clone, Copy, Debug)]
pub struct WeightedTerm<'a> {
    /// The word or vector.
    pub term: Term<'a>,
    /// Its signed weight.
    pub weight: f32,
    /// The argument name used in errors (e.g. `positive[1]`).
    pub arg: &'a str,
}

/// True when `a` ranks before `b`: higher score, then lower row.
#[inline]
fn better(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

fn order(a: &(f32, u32), b: &(f32, u32)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// An exact bounded top-k under [`better`]: candidates collect in a buffer that is cut back
/// to the best `k` (selection, linear time) whenever it doubles; the k-th best becomes the
/// admission floor.
pub(crate) struct TopK {
    k: usize,
    items: Vec<(f32, u32)>,
    floor: Option<(f32, u32)>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK { k, items: Vec::with_capacity(2 * k.min(1 << 16) + 16), floor: None }
    }

    /// Offers row `id` with score `s` (`-inf` = excluded, never kept).
    #[inline]
    pub(crate) fn push(&mut self, s: f32, id: u32) {
        if s == f32::NEG_INFINITY || self.k == 0 {
            return;
        }
        if let Some(f) = self.floor {
            if !better((s, id), f) {
                return;
            }
        }
        self.items.push((s, id));
        if self.items.len() >= 2 * self.k + 16 {
            self.trim();
        }
    }

    /// Offers a block of scores for rows `start..start + scores.len()`.
    #[inline]
    pub(crate) fn push_block(&mut self, start: usize, scores: &[f32]) {
        for (j, &s) in scores.iter().enumerate() {
            self.push(s, (start + j) as u32);
        }
    }

    fn trim(&mut self) {
        if self.items.len() > self.k {
            self.items.select_nth_unstable_by(self.k - 1, order);
            self.items.truncate(self.k);
            self.floor = Some(self.items[self.k - 1]);
        }
    }

    /// Merges another selection into this one.
    pub(crate) fn merge(&mut self, other: TopK) {
        for (s, id) in other.items {
            self.push(s, id);
        }
    }

    /// The best `k`, best first.
    pub(crate) fn into_sorted(mut self) -> Vec<(f32, u32)> {
        self.items.sort_unstable_by(order);
        self.items.truncate(self.k);
        self.items
    }
}

/// Exact top-`k` of rows `0..rows` scored block by block by `score(start, out)` (which fills
/// `out[j]` for row `start + j`, or `-inf` to exclude it); rows in `exclude` are dropped. Blocks
/// are split over the pool when there are enough of them.
pub(crate) fn scan_top_k(rows: usize, k: usize, exclude: &[u32], score: impl Fn(usize, &mut [f32]) + Sync) -> Vec<(f32, u32)> {
    let blocks = rows.div_ceil(SCAN_BLOCK);
    let run = |range: Range<usize>| {
        let mut top = TopK::new(k);
        let mut buf = vec![0.0f32; SCAN_BLOCK];
        for b in range {
            let start = b * SCAN_BLOCK;
            let len = SCAN_BLOCK.min(rows - start);
            let out = &mut buf[..len];
            score(start, out);
            for &e in exclude {
                let e = e as usize;
                if e >= start && e < start + len {
                    out[e - start] = f32::NEG_INFINITY;
                }
            }
            top.push_block(start, out);
        }
        top
    };
    let threads = crate::parallel::num_threads();
    let chunks = threads.min(blocks / 2).max(1);
    if chunks == 1 {
        return run(0..blocks).into_sorted();
    }
    let parts: Vec<std::sync::Mutex<Option<TopK>>> = (0..chunks).map(|_| std::sync::Mutex::new(None)).collect();
    crate::parallel::install(|| {
        crate::parallel::for_each_chunk(chunks, |t| {
            let (b0, b1) = crate::parallel::split_range(blocks, chunks, 1, t);
            let top = run(b0..b1);
            *parts[t].lock().unwrap_or_else(|e| e.into_inner()) = Some(top);
        })
    });
    let mut all = TopK::new(k);
    for p in parts {
        if let Some(t) = p.into_inner().unwrap_or_else(|e| e.into_inner()) {
            all.merge(t);
        }
    }
    all.into_sorted()
}

/// Checks a `restrict_vocab` value and returns the number of candidate rows.
pub(crate) fn candidate_rows(kv: &KeyedVectors, restrict_vocab: Option<usize>) -> Result<usize> {
    match restrict_vocab {
        None => Ok(kv.len()),
        Some(0) => Err(Error::invalid("restrictVocab", "expected an integer ≥ 1 (the number of leading rows to search), got 0")),
        Some(n) => Ok(n.min(kv.len())),
    }
}

fn check_top_n(top_n: usize) -> Result<()> {
    if top_n == 0 {
        return Err(Error::invalid("topN", "expected an integer ≥ 1, got 0"));
    }
    Ok(())
}

fn check_vector(kv: &KeyedVectors, arg: &str, v: &[f32]) -> Result<()> {
    if v.len() != kv.dim() {
        return Err(Error::invalid(arg, format!("expected a vector of {} values (dim), got {}", kv.dim(), v.len())));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid(arg, format!("expected finite values, got {} at index {i}", v[i])));
    }
    Ok(())
}

/// `v / |v|` (float32 norm); `None` for the zero vector.
fn unit_of(v: &[f32]) -> Option<Vec<f32>> {
    let n = dot(v, v).sqrt();
    (n > 0.0).then(|| v.iter().map(|x| x / n).collect())
}

impl KeyedVectors {
    /// Cosine similarity of two words (gensim `similarity`).
    pub fn similarity(&self, a: &str, b: &str) -> Result<f32> {
        let ia = self.require("a", a)?;
        let ib = self.require("b", b)?;
        Ok(dot(self.unit_vector(ia), self.unit_vector(ib)))
    }

    /// Cosine similarities of `vector` with every row (or the first `restrict_vocab` rows).
    pub fn cosine_similarities(&self, vector: &[f32], restrict_vocab: Option<usize>) -> Result<Vec<f32>> {
        check_vector(self, "vector", vector)?;
        let rows = candidate_rows(self, restrict_vocab)?;
        let mut out = vec![0.0f32; rows];
        if let Some(q) = unit_of(vector) {
            let (unit, dim) = (self.unit_data(), self.dim());
            if rows < 2 * SCAN_BLOCK {
                row_dots(&unit[..rows * dim], dim, &q, &mut out);
            } else {
                use rayon::prelude::*;
                crate::parallel::install(|| {
                    out.par_chunks_mut(SCAN_BLOCK).enumerate().for_each(|(b, o)| {
                        let s = b * SCAN_BLOCK;
                        row_dots(&unit[s * dim..(s + o.len()) * dim], dim, &q, o)
                    })
                });
            }
        }
        Ok(out)
    }

    /// The `top_n` rows nearest to `query` by cosine (gensim `similar_by_vector`), among the
    /// first `restrict_vocab` rows, leaving out the rows in `exclude`.
    pub fn nearest(&self, query: &[f32], top_n: usize, restrict_vocab: Option<usize>, exclude: &[u32]) -> Result<Vec<Neighbour>> {
        check_top_n(top_n)?;
        check_vector(self, "vector", query)?;
        let rows = candidate_rows(self, restrict_vocab)?;
        let q = unit_of(query).ok_or_else(|| Error::invalid("vector", "the query vector is zero, so it has no direction to compare"))?;
        Ok(self.nearest_unit(&q, top_n, rows, exclude))
    }

    /// [`KeyedVectors::nearest`] for a unit query over rows `0..rows`, unchecked.
    fn nearest_unit(&self, q: &[f32], top_n: usize, rows: usize, exclude: &[u32]) -> Vec<Neighbour> {
        let (unit, dim) = (self.unit_data(), self.dim());
        scan_top_k(rows, top_n, exclude, |start, out| row_dots(&unit[start * dim..(start + out.len()) * dim], dim, q, out))
            .into_iter()
            .map(|(similarity, id)| Neighbour { id, similarity })
            .collect()
    }

    /// gensim `similar_by_vector`: [`KeyedVectors::nearest`] with nothing excluded.
    pub fn similar_by_vector(&self, vector: &[f32], top_n: usize, restrict_vocab: Option<usize>) -> Result<Vec<Neighbour>> {
        self.nearest(vector, top_n, restrict_vocab, &[])
    }

    /// The rows of the word terms (checked against the vocabulary) and the checked raw vectors.
    fn resolve_terms(&self, terms: &[WeightedTerm<'_>]) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        for t in terms {
            match t.term {
                Term::Word(w) => ids.push(self.require(t.arg, w)?),
                Term::Vector(v) => check_vector(self, t.arg, v)?,
            }
            if !t.weight.is_finite() {
                return Err(Error::invalid(t.arg, format!("expected a finite weight, got {}", t.weight)));
            }
        }
        Ok(ids)
    }

    /// gensim `most_similar` (3CosAdd): the cosine of every candidate with the weighted mean of
    /// the terms (unit vectors of words, raw vectors as given; weights +1 for positive and −1
    /// for negative terms in gensim's convention), best `top_n` first, the query words excluded.
    pub fn most_similar(&self, terms: &[WeightedTerm<'_>], top_n: usize, restrict_vocab: Option<usize>) -> Result<Vec<Neighbour>> {
        check_top_n(top_n)?;
        if terms.is_empty() {
            return Err(Error::invalid("positive", "expected at least one word or vector"));
        }
        let rows = candidate_rows(self, restrict_vocab)?;
        let ids = self.resolve_terms(terms)?;
        let mut mean = vec![0.0f32; self.dim()];
        let mut total = 0.0f32;
        for t in terms {
            let v = match t.term {
                Term::Word(w) => self.unit_vector(self.index(w).expect("resolved above")),
                Term::Vector(v) => v,
            };
            for (m, x) in mean.iter_mut().zip(v) {
                *m += t.weight * x;
            }
            total += t.weight.abs();
        }
        if total > 0.0 {
            mean.iter_mut().for_each(|m| *m /= total);
        }
        let q = unit_of(&mean).ok_or_else(|| {
            Error::invalid("positive", "the weighted mean of the positive and negative terms is the zero vector; there is no direction to search")
        })?;
        Ok(self.nearest_unit(&q, top_n, rows, &ids))
    }

    /// gensim `most_similar_cosmul` (3CosMul, Levy & Goldberg 2014): for every candidate `x`,
    /// `Π_pos (1 + cos(x, p)) / 2  /  (Π_neg (1 + cos(x, n)) / 2 + 1e-6)`, best `top_n` first, the
    /// query words excluded. Vectors given as terms are normalised.
    pub fn most_similar_cosmul(
        &self,
        positive: &[WeightedTerm<'_>],
        negative: &[WeightedTerm<'_>],
        top_n: usize,
        restrict_vocab: Option<usize>,
    ) -> Result<Vec<Neighbour>> {
        check_top_n(top_n)?;
        if positive.is_empty() {
            return Err(Error::invalid("positive", "expected at least one word or vector (3CosMul needs a positive term)"));
        }
        let rows = candidate_rows(self, restrict_vocab)?;
        let mut ids = self.resolve_terms(positive)?;
        ids.extend(self.resolve_terms(negative)?);
        let unit_terms = |terms: &[WeightedTerm<'_>]| -> Result<Vec<Vec<f32>>> {
            terms
                .iter()
                .map(|t| match t.term {
                    Term::Word(w) => Ok(self.unit_vector(self.index(w).expect("resolved above")).to_vec()),
                    Term::Vector(v) => unit_of(v).ok_or_else(|| Error::invalid(t.arg, "the vector is zero, so it has no direction to compare")),
                })
                .collect()
        };
        let (pos, neg) = (unit_terms(positive)?, unit_terms(negative)?);
        let (unit, dim) = (self.unit_data(), self.dim());
        let scored = scan_top_k(rows, top_n, &ids, |start, out| {
            let block = &unit[start * dim..(start + out.len()) * dim];
            let mut tmp = vec![0.0f32; out.len()];
            out.fill(1.0);
            for p in &pos {
                row_dots(block, dim, p, &mut tmp);
                out.iter_mut().zip(&tmp).for_each(|(o, c)| *o *= (1.0 + c) / 2.0);
            }
            let mut den = vec![1.0f32; out.len()];
            for n in &neg {
                row_dots(block, dim, n, &mut tmp);
                den.iter_mut().zip(&tmp).for_each(|(d, c)| *d *= (1.0 + c) / 2.0);
            }
            if neg.is_empty() {
                // gensim's product over no terms is 1.0
                den.fill(1.0);
            }
            out.iter_mut().zip(&den).for_each(|(o, d)| *o /= d + COSMUL_EPSILON);
        });
        Ok(scored.into_iter().map(|(similarity, id)| Neighbour { id, similarity }).collect())
    }

    /// gensim `doesnt_match`: the word furthest (lowest cosine) from the normalised mean of the
    /// words' unit vectors; ties go to the alphabetically smaller word, as gensim's sort does.
    pub fn doesnt_match(&self, words: &[&str]) -> Result<String> {
        if words.is_empty() {
            return Err(Error::invalid("words", "expected at least one word, got an empty list"));
        }
        let ids: Vec<u32> = words.iter().enumerate().map(|(i, w)| self.require(&format!("words[{i}]"), w)).collect::<Result<_>>()?;
        let mut mean = vec![0.0f32; self.dim()];
        for &id in &ids {
            mean.iter_mut().zip(self.unit_vector(id)).for_each(|(m, x)| *m += x);
        }
        let n = ids.len() as f32;
        mean.iter_mut().for_each(|m| *m /= n);
        let q = unit_of(&mean).unwrap_or(mean);
        let mut best: Option<(f32, &str)> = None;
        for (&id, w) in ids.iter().zip(words) {
            let d = dot(self.unit_vector(id), &q);
            if best.is_none_or(|(bd, bw)| d < bd || (d == bd && *w < bw)) {
                best = Some((d, w));
            }
        }
        Ok(best.expect("at least one word").1.to_string())
    }

    /// The `top_n` nearest rows (cosine) of each of the `m` query vectors in `queries`
    /// (row-major `[m, dim]`), among the first `restrict_vocab` rows; `exclude[i]` (if given)
    /// lists rows left out for query `i`. One GEMM per block of candidate rows, blocks split
    /// over the pool. Zero queries get similarity 0 with every row.
    pub fn nearest_batch(&self, queries: &[f32], top_n: usize, restrict_vocab: Option<usize>, exclude: &[Vec<u32>]) -> Result<Vec<Vec<Neighbour>>> {
        check_top_n(top_n)?;
        let dim = self.dim();
        if !queries.len().is_multiple_of(dim) {
            return Err(Error::invalid("vectors", format!("expected [m, {dim}] values (a multiple of dim = {dim}), got {}", queries.len())));
        }
        if let Some(i) = queries.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid("vectors", format!("expected finite values, got {} at row {} column {}", queries[i], i / dim, i % dim)));
        }
        let m = queries.len() / dim;
        if !exclude.is_empty() && exclude.len() != m {
            return Err(Error::invalid("exclude", format!("expected one list per query ({m}), got {}", exclude.len())));
        }
        let rows = candidate_rows(self, restrict_vocab)?;
        let mut q = queries.to_vec();
        for row in q.chunks_exact_mut(dim) {
            if let Some(u) = unit_of(row) {
                row.copy_from_slice(&u);
            }
        }
        let unit = self.unit_data();
        let blocks = rows.div_ceil(GEMM_BLOCK);
        let threads = crate::parallel::num_threads().min(blocks).max(1);
        let run = |range: Range<usize>| -> Vec<TopK> {
            let mut tops: Vec<TopK> = (0..m).map(|_| TopK::new(top_n)).collect();
            let mut s = vec![0.0f32; m * GEMM_BLOCK];
            for b in range {
                let start = b * GEMM_BLOCK;
                let len = GEMM_BLOCK.min(rows - start);
                crate::linalg::matmul_nt(m, len, dim, &q, &unit[start * dim..(start + len) * dim], &mut s[..m * len], false, 1);
                for (i, top) in tops.iter_mut().enumerate() {
                    let row = &mut s[i * len..(i + 1) * len];
                    if let Some(ex) = exclude.get(i) {
                        for &e in ex {
                            let e = e as usize;
                            if e >= start && e < start + len {
                                row[e - start] = f32::NEG_INFINITY;
                            }
                        }
                    }
                    top.push_block(start, row);
                }
            }
            tops
        };
        let mut parts: Vec<std::sync::Mutex<Vec<TopK>>> = (0..threads).map(|_| std::sync::Mutex::new(Vec::new())).collect();
        crate::parallel::install(|| {
            crate::parallel::for_each_chunk(threads, |t| {
                let (b0, b1) = crate::parallel::split_range(blocks, threads, 1, t);
                *parts[t].lock().unwrap_or_else(|e| e.into_inner()) = run(b0..b1);
            })
        });
        let mut merged: Vec<TopK> = std::mem::take(parts[0].get_mut().unwrap_or_else(|e| e.into_inner()));
        for p in parts.into_iter().skip(1) {
            for (acc, t) in merged.iter_mut().zip(p.into_inner().unwrap_or_else(|e| e.into_inner())) {
                acc.merge(t);
            }
        }
        Ok(merged.into_iter().map(|t| t.into_sorted().into_iter().map(|(similarity, id)| Neighbour { id, similarity }).collect()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(words: &[&str], dim: usize, data: &[f32]) -> KeyedVectors {
        KeyedVectors::new(words.iter().map(|s| s.to_string()).collect(), dim, data.to_vec()).unwrap()
    }

    fn random_kv(n: usize, dim: usize, seed: u64) -> KeyedVectors {
        let mut rng = crate::rng::Rng::new(seed);
        let mut data = vec![0.0f32; n * dim];
        rng.fill_uniform(&mut data, -1.0, 1.0);
        KeyedVectors::new((0..n).map(|i| format!("w{i}")).collect(), dim, data).unwrap()
    }

    fn cos64(a: &[f32], b: &[f32]) -> f64 {
        let d: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
        let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        d / (na * nb)
    }

    /// Brute force in f64: every row's cosine, sorted (desc, then row).
    fn brute(kv: &KeyedVectors, q: &[f32], rows: usize, exclude: &[u32]) -> Vec<(f64, u32)> {
        let mut v: Vec<(f64, u32)> = (0..rows as u32).filter(|i| !exclude.contains(i)).map(|i| (cos64(kv.vector(i), q), i)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v
    }

    #[test]
    fn dot_matches_f64_for_every_length() {
        let mut rng = crate::rng::Rng::new(9);
        for n in [0usize, 1, 7, 15, 16, 17, 33, 200, 301] {
            let mut a = vec![0.0f32; n];
            let mut b = vec![0.0f32; n];
            rng.fill_uniform(&mut a, -1.0, 1.0);
            rng.fill_uniform(&mut b, -1.0, 1.0);
            let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - want).abs() < 1e-5, "n = {n}");
        }
    }

    #[test]
    fn top_k_is_exact_in_serial_and_parallel_scans() {
        // 3 × SCAN_BLOCK + 17 rows: the scan splits over threads when the pool has several.
        let kv = random_kv(3 * SCAN_BLOCK + 17, 12, 1);
        let q: Vec<f32> = kv.vector(5).to_vec();
        for (k, restrict, exclude) in [(1usize, None, vec![5u32]), (10, Some(1000), vec![]), (25, None, vec![5, 77, 3 * SCAN_BLOCK as u32 + 3])] {
            let got = kv.nearest(&q, k, restrict, &exclude).unwrap();
            let want = brute(&kv, &q, restrict.unwrap_or(kv.len()), &exclude);
            assert_eq!(got.len(), k);
            for (g, w) in got.iter().zip(&want) {
                assert!((g.similarity as f64 - w.0).abs() < 1e-5);
                // same row unless two cosines are within rounding of each other
                if g.id != w.1 {
                    assert!((cos64(kv.vector(g.id), &q) - w.0).abs() < 1e-6);
                }
            }
        }
        let all = kv.nearest(&q, kv.len() + 5, None, &[]).unwrap();
        assert_eq!(all.len(), kv.len());
        assert_eq!(all[0].id, 5);
    }

    #[test]
    fn parallel_scan_equals_one_thread() {
        let kv = random_kv(5 * SCAN_BLOCK, 8, 2);
        let q = kv.vector(100).to_vec();
        let multi = kv.nearest(&q, 50, None, &[100]).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let single = pool.install(|| {
            let mut top = TopK::new(50);
            let unit = kv.unit_data();
            let qu = unit_of(&q).unwrap();
            let mut out = vec![0.0f32; kv.len()];
            row_dots(unit, 8, &qu, &mut out);
            out[100] = f32::NEG_INFINITY;
            top.push_block(0, &out);
            top.into_sorted()
        });
        let m: Vec<(f32, u32)> = multi.iter().map(|n| (n.similarity, n.id)).collect();
        assert_eq!(m, single);
    }

    #[test]
    fn most_similar_is_3cosadd_with_inputs_excluded() {
        // king − man + woman on hand-made 2-D vectors: queen at 90°+ε... see the values below.
        let kv = kv(&["king", "man", "woman", "queen", "apple"], 2, &[1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.1, 1.0, -1.0, -0.2]);
        let terms = [
            WeightedTerm { term: Term::Word("king"), weight: 1.0, arg: "positive[0]" },
            WeightedTerm { term: Term::Word("woman"), weight: 1.0, arg: "positive[1]" },
            WeightedTerm { term: Term::Word("man"), weight: -1.0, arg: "negative[0]" },
        ];
        let r = kv.most_similar(&terms, 2, None).unwrap();
        assert_eq!(r[0].id, 3);
        // mean = (u_king + u_woman − u_man)/3 ∝ (0.7071 − 1, 0.7071 + 1) ; cosine with queen:
        let m = [std::f32::consts::FRAC_1_SQRT_2 - 1.0, std::f32::consts::FRAC_1_SQRT_2 + 1.0];
        assert!((r[0].similarity as f64 - cos64(&m, &[0.1, 1.0])).abs() < 1e-6);
        assert_eq!(r[1].id, 4);
        assert_eq!(r.len(), 2);
        let err = kv.most_similar(&[WeightedTerm { term: Term::Word("dog"), weight: 1.0, arg: "positive[0]" }], 1, None).unwrap_err().to_string();
        assert!(err.contains("positive[0]") && err.contains("'dog'"), "{err}");
        let zero = kv.most_similar(&[terms[1], WeightedTerm { term: Term::Word("woman"), weight: -1.0, arg: "negative[0]" }], 1, None).unwrap_err().to_string();
        assert!(zero.contains("zero vector"), "{zero}");
    }

    #[test]
    fn cosmul_matches_the_formula() {
        let kv = random_kv(50, 6, 4);
        let p = [
            WeightedTerm { term: Term::Word("w1"), weight: 1.0, arg: "positive[0]" },
            WeightedTerm { term: Term::Word("w2"), weight: 1.0, arg: "positive[1]" },
        ];
        let n = [WeightedTerm { term: Term::Word("w3"), weight: -1.0, arg: "negative[0]" }];
        let got = kv.most_similar_cosmul(&p, &n, 5, None).unwrap();
        let score = |x: u32| {
            let c = |w: u32| (1.0 + cos64(kv.vector(x), kv.vector(w))) / 2.0;
            c(1) * c(2) / (c(3) + 1e-6)
        };
        let mut want: Vec<(f64, u32)> = (0..50).filter(|i| ![1, 2, 3].contains(i)).map(|i| (score(i), i)).collect();
        want.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.id, w.1);
            assert!((g.similarity as f64 - w.0).abs() < 1e-5 * w.0.abs().max(1.0));
        }
    }

    #[test]
    fn doesnt_match_picks_the_outlier() {
        let kv = kv(&["a", "b", "c", "d"], 2, &[1.0, 0.0, 0.9, 0.1, 1.0, 0.2, -0.1, 1.0]);
        assert_eq!(kv.doesnt_match(&["a", "b", "c", "d"]).unwrap(), "d");
        assert_eq!(kv.doesnt_match(&["a"]).unwrap(), "a");
        let e = kv.doesnt_match(&["a", "x"]).unwrap_err().to_string();
        assert!(e.contains("words[1]") && e.contains("'x'"), "{e}");
        assert!(kv.doesnt_match(&[]).is_err());
    }

    #[test]
    fn batch_matches_single_queries() {
        let kv = random_kv(2 * GEMM_BLOCK + 33, 10, 6);
        let ids = [0u32, 7, 2000, 2080];
        let mut q = Vec::new();
        for &i in &ids {
            q.extend_from_slice(kv.vector(i));
        }
        let excl: Vec<Vec<u32>> = ids.iter().map(|&i| vec![i]).collect();
        let batch = kv.nearest_batch(&q, 7, Some(2050), &excl).unwrap();
        for (k, &i) in ids.iter().enumerate() {
            let single = kv.nearest(kv.vector(i), 7, Some(2050), &[i]).unwrap();
            for (a, b) in batch[k].iter().zip(&single) {
                assert!((a.similarity - b.similarity).abs() < 1e-5);
                if a.id != b.id {
                    assert!((a.similarity - b.similarity).abs() < 1e-6);
                }
            }
        }
        assert!(kv.nearest_batch(&q[..5], 1, None, &[]).is_err());
    }

    #[test]
    fn options_are_checked() {
        let kv = random_kv(10, 3, 1);
        assert!(kv.nearest(&[1.0, 0.0, 0.0], 0, None, &[]).unwrap_err().to_string().contains("topN"));
        assert!(kv.nearest(&[1.0, 0.0, 0.0], 1, Some(0), &[]).unwrap_err().to_string().contains("restrictVocab"));
        assert!(kv.nearest(&[1.0, 0.0], 1, None, &[]).unwrap_err().to_string().contains("3 values"));
        assert!(kv.nearest(&[0.0, 0.0, 0.0], 1, None, &[]).unwrap_err().to_string().contains("zero"));
        assert_eq!(kv.nearest(&[1.0, 0.0, 0.0], 20, Some(4), &[]).unwrap().len(), 4);
        let c = kv.cosine_similarities(&[1.0, 0.0, 0.0], Some(3)).unwrap();
        assert_eq!(c.len(), 3);
        assert!((c[0] as f64 - cos64(kv.vector(0), &[1.0, 0.0, 0.0])).abs() < 1e-6);
    }
}
