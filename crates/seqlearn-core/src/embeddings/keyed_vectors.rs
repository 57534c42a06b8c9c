//! `KeyedVectors`: a table of word vectors with its vocabulary (gensim's class of that name).
//! It is what every embedding trainer returns (word2vec, GloVe) and what the word2vec text and
//! binary files load into. The queries live beside it: nearest neighbours and analogies in
//! [`super::similarity`], benchmarks in [`super::evaluate`], bias removal in [`super::debias`],
//! 2-D projection in [`super::project`], k-means word classes in [`super::cluster`].
//!
//! Rows are stored row-major `[len, dim]`, unpadded. Cosine queries read a unit-normalised copy
//! that is computed once on first use (in parallel on the seqlearn pool) and dropped whenever a
//! vector changes (`set_vector`, the debiasing edits). A zero row stays zero in that copy, so
//! its cosine with anything is 0 (gensim divides by the zero norm and gets NaN).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::io::word2vec_format::{read_word2vec, write_word2vec, VectorFormat, WordVectors};

/// Word vectors with their vocabulary; see the module documentation.
#[derive(Clone)]
pub struct KeyedVectors {
    words: Vec<String>,
    index: HashMap<String, u32>,
    dim: usize,
    data: Vec<f32>,
    unit: OnceLock<Vec<f32>>,
}

impl std::fmt::Debug for KeyedVectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedVectors").field("len", &self.words.len()).field("dim", &self.dim).finish_non_exhaustive()
    }
}

/// Rows per parallel chunk of the row-wise passes (normalisation, scans).
pub(crate) const ROW_BLOCK: usize = 2048;

impl KeyedVectors {
    /// A table of `words.len()` rows of `dim` values (`data` row-major, `words[i]` names row
    /// `i`). Errors: `dim` 0, `data` of the wrong length, more than 2³² − 1 words, a word given
    /// twice (naming it and both rows), a NaN or infinite value (naming the word and column).
    pub fn new(words: Vec<String>, dim: usize, data: Vec<f32>) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("dim", "expected an integer ≥ 1, got 0"));
        }
        if words.len() > u32::MAX as usize {
            return Err(Error::invalid("words", format!("expected at most {} words, got {}", u32::MAX, words.len())));
        }
        let need = words.len().checked_mul(dim).ok_or_else(|| Error::invalid("data", format!("{} × {dim} values is too many", words.len())))?;
        if data.len() != need {
            return Err(Error::invalid("data", format!("expected {} words × {dim} = {need} values, got {}", words.len(), data.len())));
        }
        if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
            let (row, col) = (bad / dim, bad % dim);
            return Err(Error::invalid(
                "data",
                format!("expected finite values; the vector of '{}' (row {row}) has {} at column {col}", words[row], data[bad]),
            ));
        }
        let mut index = HashMap::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if let Some(first) = index.insert(w.clone(), i as u32) {
                return Err(Error::invalid("words", format!("'{w}' appears twice (rows {first} and {i}); every word must be unique")));
            }
        }
        Ok(KeyedVectors { words, index, dim, data, unit: OnceLock::new() })
    }

    /// The table of vectors read by [`read_word2vec`] (see [`KeyedVectors::new`] for the checks).
    pub fn from_word_vectors(v: WordVectors) -> Result<Self> {
        Self::new(v.words, v.dim, v.data)
    }

    /// Loads a word2vec text or binary file (`VectorFormat::Auto` sniffs which); `limit` keeps
    /// the first rows only (gensim's `limit`).
    pub fn load(path: &Path, format: VectorFormat, limit: Option<usize>) -> Result<Self> {
        let v = read_word2vec(path, format, limit)?;
        Self::from_word_vectors(v).map_err(|e| match e {
            Error::InvalidArgument { message, .. } => Error::Format { path: path.display().to_string(), message },
            e => e,
        })
    }

    /// Writes the table as a word2vec binary (`binary`) or text file, atomically.
    pub fn save(&self, path: &Path, binary: bool) -> Result<()> {
        write_word2vec(path, &self.words, self.dim, &self.data, binary)
    }

    /// Number of words (rows).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Values per vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The words in row order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The word of row `id` (panics when out of range).
    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    /// The row of `word`, if present (exact, case-sensitive match).
    pub fn index(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// The row of `word`, or an error naming `arg` and the word (what queries report for a word
    /// outside the vocabulary).
    pub fn require(&self, arg: &str, word: &str) -> Result<u32> {
        self.index(word).ok_or_else(|| Error::invalid(arg, format!("'{word}' is not in the vocabulary ({} words)", self.words.len())))
    }

    /// The vector of row `id` (panics when out of range).
    pub fn vector(&self, id: u32) -> &[f32] {
        let i = id as usize * self.dim;
        &self.data[i..i + self.dim]
    }

    /// All vectors, row-major `[len, dim]`.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Gives back the words, `dim` and the row-major values.
    pub fn into_parts(self) -> (Vec<String>, usize, Vec<f32>) {
        (self.words, self.dim, self.data)
    }

    /// Replaces the vector of row `id`; `values` must have `dim` finite values.
    pub fn set_vector(&mut self, id: u32, values: &[f32]) -> Result<()> {
        if id as usize >= self.words.len() {
            return Err(Error::invalid("id", format!("expected a row in 0..{}, got {id}", self.words.len())));
        }
        if values.len() != self.dim {
            return Err(Error::shape("vector", &[self.dim], &[values.len()]));
        }
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid("vector", format!("expected finite values, got {} at index {bad}", values[bad])));
        }
        let dim = self.dim;
        self.rows_mut()[id as usize * dim..(id as usize + 1) * dim].copy_from_slice(values);
        Ok(())
    }

    /// Mutable access to all rows; drops the cached unit vectors (callers keep values finite).
    pub(crate) fn rows_mut(&mut self) -> &mut [f32] {
        self.unit = OnceLock::new();
        &mut self.data
    }

    /// The unit-normalised copy of the table (computed on first use; zero rows stay zero).
    pub fn unit_data(&self) -> &[f32] {
        self.unit.get_or_init(|| unit_rows(&self.data, self.dim))
    }

    /// Row `id` of [`KeyedVectors::unit_data`].
    pub fn unit_vector(&self, id: u32) -> &[f32] {
        let i = id as usize * self.dim;
        &self.unit_data()[i..i + self.dim]
    }
}

/// Each row of `data` divided by its L2 norm (float32 norm as gensim's `fill_norms`; zero rows
/// stay zero), split over the pool in blocks of rows.
pub(crate) fn unit_rows(data: &[f32], dim: usize) -> Vec<f32> {
    let mut out = data.to_vec();
    let normalise = |chunk: &mut [f32]| {
        for row in chunk.chunks_exact_mut(dim) {
            let n = super::similarity::dot(row, row).sqrt();
            if n > 0.0 {
                let inv = 1.0 / n;
                row.iter_mut().for_each(|v| *v *= inv);
            }
        }
    };
    if data.len() < ROW_BLOCK * dim {
        normalise(&mut out);
    } else {
        use rayon::prelude::*;
        crate::parallel::install(|| out.par_chunks_mut(ROW_BLOCK * dim).for_each(normalise));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> KeyedVectors {
        KeyedVectors::new(vec!["a".into(), "b".into(), "zero".into()], 2, vec![3.0, 4.0, 0.0, -2.0, 0.0, 0.0]).unwrap()
    }

    #[test]
    fn lookups_and_unit_rows() {
        let kv = small();
        assert_eq!((kv.len(), kv.dim()), (3, 2));
        assert_eq!(kv.index("b"), Some(1));
        assert_eq!(kv.index("B"), None);
        assert_eq!(kv.vector(0), &[3.0, 4.0]);
        assert_eq!(kv.unit_vector(0), &[0.6, 0.8]);
        assert_eq!(kv.unit_vector(1), &[0.0, -1.0]);
        assert_eq!(kv.unit_vector(2), &[0.0, 0.0]);
        let e = kv.require("positive[1]", "dog").unwrap_err().to_string();
        assert!(e.contains("positive[1]") && e.contains("'dog'") && e.contains("3 words"), "{e}");
    }

    #[test]
    fn set_vector_drops_the_unit_cache() {
        let mut kv = small();
        assert_eq!(kv.unit_vector(1), &[0.0, -1.0]);
        kv.set_vector(1, &[5.0, 0.0]).unwrap();
        assert_eq!(kv.unit_vector(1), &[1.0, 0.0]);
        assert!(kv.set_vector(1, &[1.0]).is_err());
        assert!(kv.set_vector(3, &[1.0, 1.0]).is_err());
        assert!(kv.set_vector(0, &[f32::NAN, 1.0]).is_err());
    }

    #[test]
    fn constructor_errors_name_the_problem() {
        let dup = KeyedVectors::new(vec!["x".into(), "y".into(), "x".into()], 1, vec![1.0, 2.0, 3.0]).unwrap_err().to_string();
        assert!(dup.contains("'x'") && dup.contains("rows 0 and 2"), "{dup}");
        let nan = KeyedVectors::new(vec!["x".into(), "y".into()], 2, vec![1.0, 2.0, 3.0, f32::NAN]).unwrap_err().to_string();
        assert!(nan.contains("'y'") && nan.contains("column 1") && nan.contains("NaN"), "{nan}");
        let len = KeyedVectors::new(vec!["x".into()], 2, vec![1.0]).unwrap_err().to_string();
        assert!(len.contains("data") && len.contains("got 1"), "{len}");
        assert!(KeyedVectors::new(vec![], 0, vec![]).is_err());
    }

    #[test]
    fn unit_rows_parallel_matches_serial() {
        let (n, dim) = (ROW_BLOCK * 2 + 5, 7);
        let mut rng = crate::rng::Rng::new(3);
        let mut data = vec![0.0f32; n * dim];
        rng.fill_uniform(&mut data, -1.0, 1.0);
        let u = unit_rows(&data, dim);
        for r in [0, ROW_BLOCK, n - 1] {
            let row = &data[r * dim..(r + 1) * dim];
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            for c in 0..dim {
                assert!((u[r * dim + c] - row[c] / norm).abs() < 1e-6);
            }
        }
    }
}
