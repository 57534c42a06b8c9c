//! Removing a bias direction from word vectors, as in the lecture notes' word-embedding chapter
//! (三步：求平均 → 中和 → 均衡) after Bolukbasi et al. 2016, "Man is to Computer Programmer as
//! Woman is to Homemaker? Debiasing Word Embeddings":
//!
//! 1. **Identify the direction** ([`KeyedVectors::bias_direction`]): with
//!    [`BiasMethod::Average`] (the notes' 求平均, the default) `g = (1/n) Σ (u_a − u_b)` over
//!    definitional pairs such as (he, she), (man, woman), where `u` are unit vectors (so each
//!    pair counts the same whatever the norms; on a unit-normalised table this is the plain
//!    average of `e_a − e_b`); with [`BiasMethod::Pca`] (Bolukbasi) the first principal
//!    component of the pairs' centred vectors `u_a − μ, u_b − μ`, `μ = (u_a + u_b)/2`, as a unit
//!    vector oriented like the average.
//! 2. **Neutralize** ([`KeyedVectors::neutralize`], 中和) a word that should carry no bias:
//!    `e ← e − (e·g / |g|²) g`, so its projection on `g` is 0.
//! 3. **Equalize** ([`KeyedVectors::equalize`], 均衡) a pair that should differ only along `g`:
//!    with `ĝ = g/|g|`, `μ = (e₁ + e₂)/2` and `ν = μ − (μ·ĝ)ĝ` (the shared part orthogonal to `g`),
//!    `e₁ ← ν + s·c·ĝ`, `e₂ ← ν − s·c·ĝ` where `c = √(r² − |ν|²)`, `s` = the sign of `(e₁ − e₂)·ĝ`,
//!    and `r = (|e₁| + |e₂|)/2`. For unit vectors (`r = 1`) this is exactly Bolukbasi's
//!    `ν + √(1 − |ν|²)(e_wB − μ_B)/|e_wB − μ_B|`; `r` generalises it to unnormalised tables (the
//!    pair keeps its mean norm; `|ν| ≤ |μ| ≤ r`, so the root is always real). Afterwards the two
//!    vectors are mirror images across the hyperplane orthogonal to `g`, so every neutralized
//!    word is equally far from (and equally similar to) both.
//!
//! The edits change the table in place (the cached unit vectors are dropped). Arithmetic is in
//! f64, stored as f32.

use super::keyed_vectors::KeyedVectors;
use super::project::symmetric_eigen;
use crate::error::{Error, Result};

/// How [`KeyedVectors::bias_direction`] combines the pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BiasMethod {
    /// The mean of the pairs' differences of unit vectors (the lecture notes).
    #[default]
    Average,
    /// The first principal component of the centred pair vectors (Bolukbasi et al.), unit length.
    Pca,
}

impl BiasMethod {
    /// Parses `'average' | 'pca'`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "average" => Ok(BiasMethod::Average),
            "pca" => Ok(BiasMethod::Pca),
            _ => Err(Error::invalid("method", format!("expected 'average' or 'pca', got '{s}'"))),
        }
    }
}

fn dot64(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Checks a direction argument (`dim` finite values, not all zero) and returns it in f64.
fn direction(kv: &KeyedVectors, g: &[f32]) -> Result<Vec<f64>> {
    if g.len() != kv.dim() {
        return Err(Error::invalid("direction", format!("expected a vector of {} values (dim), got {}", kv.dim(), g.len())));
    }
    if let Some(i) = g.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid("direction", format!("expected finite values, got {} at index {i}", g[i])));
    }
    let g = to64(g);
    if dot64(&g, &g) == 0.0 {
        return Err(Error::invalid("direction", "the direction is the zero vector"));
    }
    Ok(g)
}

/// `e − (e·g/|g|²) g` (the part of `e` orthogonal to `g`).
pub fn neutralize_vector(e: &[f64], g: &[f64]) -> Vec<f64> {
    let k = dot64(e, g) / dot64(g, g);
    e.iter().zip(g).map(|(x, y)| x - k * y).collect()
}

/// The equalized pair of `e1`, `e2` along `g` (see the module documentation).
pub fn equalize_vectors(e1: &[f64], e2: &[f64], g: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let gn = dot64(g, g).sqrt();
    let gh: Vec<f64> = g.iter().map(|x| x / gn).collect();
    let mu: Vec<f64> = e1.iter().zip(e2).map(|(a, b)| (a + b) / 2.0).collect();
    let nu = neutralize_vector(&mu, &gh);
    let r = (dot64(e1, e1).sqrt() + dot64(e2, e2).sqrt()) / 2.0;
    let c = (r * r - dot64(&nu, &nu)).max(0.0).sqrt();
    let diff: Vec<f64> = e1.iter().zip(e2).map(|(a, b)| a - b).collect();
    let s = if dot64(&diff, &gh) < 0.0 { -1.0 } else { 1.0 };
    let a = nu.iter().zip(&gh).map(|(n, d)| n + s * c * d).collect();
    let b = nu.iter().zip(&gh).map(|(n, d)| n - s * c * d).collect();
    (a, b)
}

impl KeyedVectors {
    /// The bias direction of definitional word pairs (`(a, b)` with `a − b` along the bias,
    /// e.g. `("he", "she")`); see the module documentation. `Average` returns the mean
    /// difference as is (not normalised), `Pca` a unit vector.
    pub fn bias_direction(&self, pairs: &[(&str, &str)], method: BiasMethod) -> Result<Vec<f32>> {
        if pairs.is_empty() {
            return Err(Error::invalid("pairs", "expected at least one word pair, got none"));
        }
        let dim = self.dim();
        let mut diffs: Vec<Vec<f64>> = Vec::with_capacity(pairs.len());
        for (i, (a, b)) in pairs.iter().enumerate() {
            let ia = self.require(&format!("pairs[{i}][0]"), a)?;
            let ib = self.require(&format!("pairs[{i}][1]"), b)?;
            diffs.push(self.unit_vector(ia).iter().zip(self.unit_vector(ib)).map(|(x, y)| *x as f64 - *y as f64).collect());
        }
        let mut avg = vec![0.0f64; dim];
        for d in &diffs {
            avg.iter_mut().zip(d).for_each(|(a, x)| *a += x);
        }
        avg.iter_mut().for_each(|a| *a /= pairs.len() as f64);
        if dot64(&avg, &avg) == 0.0 {
            return Err(Error::invalid("pairs", "the words of every pair have the same direction, so they define no bias direction"));
        }
        match method {
            BiasMethod::Average => Ok(avg.iter().map(|&x| x as f32).collect()),
            BiasMethod::Pca => {
                // Rows u_a − μ = d/2 and u_b − μ = −d/2 for each pair: the covariance is
                // ∝ Σ d dᵀ, whose top eigenvector comes from the small Gram matrix of the d's.
                let n = diffs.len();
                let mut gram = vec![0.0f64; n * n];
                for i in 0..n {
                    for j in 0..n {
                        gram[i * n + j] = dot64(&diffs[i], &diffs[j]);
                    }
                }
                let (_, vecs) = symmetric_eigen(&gram, n);
                let mut g = vec![0.0f64; dim];
                for (i, d) in diffs.iter().enumerate() {
                    let w = vecs[i * n];
                    g.iter_mut().zip(d).for_each(|(a, x)| *a += w * x);
                }
                let norm = dot64(&g, &g).sqrt();
                let sign = if dot64(&g, &avg) < 0.0 { -1.0 } else { 1.0 };
                Ok(g.iter().map(|&x| (sign * x / norm) as f32).collect())
            }
        }
    }

    /// Removes the component of `word`'s vector along `direction` (中和; see the module
    /// documentation).
    pub fn neutralize(&mut self, word: &str, direction_: &[f32]) -> Result<()> {
        let g = direction(self, direction_)?;
        let id = self.require("word", word)?;
        let e = neutralize_vector(&to64(self.vector(id)), &g);
        let out: Vec<f32> = e.iter().map(|&x| x as f32).collect();
        self.set_vector(id, &out)
    }

    /// Makes the pair `(a, b)` differ only along `direction`, symmetrically (均衡; see the module
    /// documentation).
    pub fn equalize(&mut self, a: &str, b: &str, direction_: &[f32]) -> Result<()> {
        let g = direction(self, direction_)?;
        let ia = self.require("pair[0]", a)?;
        let ib = self.require("pair[1]", b)?;
        if ia == ib {
            return Err(Error::invalid("pair", format!("expected two different words, got '{a}' twice")));
        }
        let (e1, e2) = equalize_vectors(&to64(self.vector(ia)), &to64(self.vector(ib)), &g);
        let f = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
        let (e1, e2) = (f(e1), f(e2));
        self.set_vector(ia, &e1)?;
        self.set_vector(ib, &e2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tol: f64) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < tol, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn neutralize_by_hand() {
        // e = (2, 3, 1), g = (1, 0, 1): e·g = 3, |g|² = 2 → e − 1.5 g = (0.5, 3, −0.5)
        let e = neutralize_vector(&[2.0, 3.0, 1.0], &[1.0, 0.0, 1.0]);
        close(&e, &[0.5, 3.0, -0.5], 1e-15);
        assert!(dot64(&e, &[1.0, 0.0, 1.0]).abs() < 1e-15);
    }

    #[test]
    fn equalize_by_hand_unit_vectors() {
        // Unit vectors in 2-D, g = x axis: e1 = (0.6, 0.8), e2 = (−0.8, 0.6).
        // μ = (−0.1, 0.7), ν = (0, 0.7), c = √(1 − 0.49) = √0.51, s = sign(1.4) = +.
        let (a, b) = equalize_vectors(&[0.6, 0.8], &[-0.8, 0.6], &[2.0, 0.0]);
        let c = 0.51f64.sqrt();
        close(&a, &[c, 0.7], 1e-15);
        close(&b, &[-c, 0.7], 1e-15);
        // unit norm, mirror images across the y axis
        assert!((dot64(&a, &a) - 1.0).abs() < 1e-15 && (dot64(&b, &b) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn equalize_3d_is_symmetric_and_equidistant() {
        let g = [0.0, 0.0, 3.0];
        let (a, b) = equalize_vectors(&[1.0, 2.0, 2.0], &[0.5, 1.0, -3.0], &g);
        // same orthogonal part, opposite g parts, and e1 keeps the positive side
        close(&a[..2], &b[..2], 1e-15);
        assert!((a[2] + b[2]).abs() < 1e-12 && a[2] > 0.0);
        // mean norm kept: (3 + √10.25)/2
        let r = (3.0 + 10.25f64.sqrt()) / 2.0;
        assert!((dot64(&a, &a).sqrt() - r).abs() < 1e-12);
        // any neutral word (no g component) is equidistant from both
        for n in [[1.0, -4.0, 0.0], [0.3, 0.2, 0.0]] {
            let d = |v: &[f64]| v.iter().zip(&n).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
            assert!((d(&a) - d(&b)).abs() < 1e-12);
        }
    }

    fn table() -> KeyedVectors {
        // he/she differ along x; doctor leans toward "he".
        let words = ["he", "she", "man", "woman", "doctor", "same"];
        let data = [0.9, 0.3, 0.0, -0.9, 0.3, 0.0, 0.8, 0.5, 0.1, -0.7, 0.5, 0.1, 0.4, 0.8, 0.3, 0.4, 0.8, 0.3];
        KeyedVectors::new(words.iter().map(|s| s.to_string()).collect(), 3, data.to_vec()).unwrap()
    }

    #[test]
    fn table_edits_and_direction() {
        let mut kv = table();
        let g = kv.bias_direction(&[("he", "she"), ("man", "woman")], BiasMethod::Average).unwrap();
        let u = |kv: &KeyedVectors, w: &str| to64(kv.unit_vector(kv.index(w).unwrap()));
        let want: Vec<f64> = (0..3).map(|k| ((u(&kv, "he")[k] - u(&kv, "she")[k]) + (u(&kv, "man")[k] - u(&kv, "woman")[k])) / 2.0).collect();
        close(&to64(&g), &want, 1e-6);
        assert!(g[0] > 0.0);
        let p = kv.bias_direction(&[("he", "she"), ("man", "woman")], BiasMethod::Pca).unwrap();
        assert!((dot64(&to64(&p), &to64(&p)) - 1.0).abs() < 1e-6 && p[0] > 0.9);
        // one pair: PCA = the normalised difference
        let p1 = kv.bias_direction(&[("he", "she")], BiasMethod::Pca).unwrap();
        let d: Vec<f64> = (0..3).map(|k| u(&kv, "he")[k] - u(&kv, "she")[k]).collect();
        let dn = dot64(&d, &d).sqrt();
        close(&to64(&p1), &d.iter().map(|x| x / dn).collect::<Vec<_>>(), 1e-6);

        assert!(kv.bias_direction(&[("doctor", "same")], BiasMethod::Average).unwrap_err().to_string().contains("same direction"));
        let before = kv.similarity("doctor", "he").unwrap();
        kv.neutralize("doctor", &g).unwrap();
        let e = to64(kv.vector(kv.index("doctor").unwrap()));
        assert!(dot64(&e, &to64(&g)).abs() < 1e-6);
        // the unit cache was refreshed
        assert!((kv.similarity("doctor", "he").unwrap() - before).abs() > 1e-3);
        kv.equalize("he", "she", &g).unwrap();
        let (dh, ds) = (kv.similarity("doctor", "he").unwrap(), kv.similarity("doctor", "she").unwrap());
        assert!((dh - ds).abs() < 1e-6, "{dh} vs {ds}");

        assert!(kv.neutralize("nurse", &g).unwrap_err().to_string().contains("'nurse'"));
        assert!(kv.neutralize("doctor", &[1.0, 0.0]).unwrap_err().to_string().contains("direction"));
        assert!(kv.neutralize("doctor", &[0.0, 0.0, 0.0]).unwrap_err().to_string().contains("zero"));
        assert!(kv.equalize("he", "he", &g).unwrap_err().to_string().contains("pair"));
        assert!(kv.equalize("he", "it", &g).unwrap_err().to_string().contains("pair[1]"));
        assert!(kv.bias_direction(&[], BiasMethod::Average).is_err());
        assert!(kv.bias_direction(&[("he", "x")], BiasMethod::Average).unwrap_err().to_string().contains("pairs[0][1]"));
    }
}
