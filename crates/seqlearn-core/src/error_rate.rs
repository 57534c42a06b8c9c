//! Word and character error rates exactly as jiwer 4 computes them (corpus level): each pair is
//! normalised with jiwer's default transforms, aligned by Levenshtein distance, and the rate is
//! `Σ edits / Σ reference units` over all pairs (not a mean of per-pair rates), so it can exceed
//! 1. When every reference is empty the rate is the number of insertions (jiwer's rule).
//!
//! WER (`wer_default`): runs of two or more whitespace characters become one space, the ends are
//! stripped, words are split on `' '` (a single tab or other whitespace stays inside a word, as in
//! jiwer). CER (`cer_default`): the ends are stripped; every character counts, inner spaces too.
//! Whitespace is Python's (`str.isspace`): Unicode White_Space plus U+001C..U+001F.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::parallel;

/// Edit counts of a corpus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// Minimum substitutions + deletions + insertions, summed over the pairs.
    pub edits: u64,
    /// Reference units (words or characters), summed.
    pub reference_units: u64,
    /// Hypothesis units, summed.
    pub hypothesis_units: u64,
}

impl ErrorCounts {
    /// `edits / reference_units`; with no reference units, `edits` (all insertions), as jiwer.
    pub fn rate(&self) -> f64 {
        if self.reference_units == 0 {
            self.edits as f64
        } else {
            self.edits as f64 / self.reference_units as f64
        }
    }
}

/// Python's `str.isspace`.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// jiwer's `RemoveMultipleSpaces` (`re.sub(r"\s\s+", " ", s)`).
fn collapse_spaces(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_space(chars[i]) && i + 1 < chars.len() && is_space(chars[i + 1]) {
            while i < chars.len() && is_space(chars[i]) {
                i += 1;
            }
            out.push(' ');
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Levenshtein distance of two sequences (unit costs), one row of memory.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (a, b) = if a.len() < b.len() { (b, a) } else { (a, b) };
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag } else { 1 + diag.min(up).min(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}

fn check_pairs(references: usize, hypotheses: usize) -> Result<()> {
    if references != hypotheses {
        return Err(Error::invalid("hypotheses", format!("expected {references} hypotheses (one per reference), got {hypotheses}")));
    }
    Ok(())
}

/// Sums `per_pair` over the pairs, in parallel for large corpora.
fn corpus<S: AsRef<str> + Sync>(references: &[S], hypotheses: &[S], per_pair: impl Fn(&str, &str) -> ErrorCounts + Sync) -> Result<ErrorCounts> {
    check_pairs(references.len(), hypotheses.len())?;
    let work: usize = references.iter().chain(hypotheses).map(|s| s.as_ref().len()).sum();
    let add =
        |a: ErrorCounts, b: ErrorCounts| ErrorCounts { edits: a.edits + b.edits, reference_units: a.reference_units + b.reference_units, hypothesis_units: a.hypothesis_units + b.hypothesis_units };
    let one = |i: usize| per_pair(references[i].as_ref(), hypotheses[i].as_ref());
    Ok(if references.len() > 1 && work > 1 << 15 {
        parallel::install(|| (0..references.len()).into_par_iter().map(one).reduce(ErrorCounts::default, add))
    } else {
        (0..references.len()).map(one).fold(ErrorCounts::default(), add)
    })
}

/// Word error counts of the pairs (see the module doc for the normalisation). Errors name
/// `hypotheses` when the counts differ.
pub fn word_errors<S: AsRef<str> + Sync>(references: &[S], hypotheses: &[S]) -> Result<ErrorCounts> {
    corpus(references, hypotheses, |r, h| {
        let (r, h) = (collapse_spaces(r), collapse_spaces(h));
        let rw: Vec<&str> = strip(&r).split(' ').filter(|w| !w.is_empty()).collect();
        let hw: Vec<&str> = strip(&h).split(' ').filter(|w| !w.is_empty()).collect();
        ErrorCounts { edits: edit_distance(&rw, &hw) as u64, reference_units: rw.len() as u64, hypothesis_units: hw.len() as u64 }
    })
}

/// Character error counts of the pairs (see the module doc). Errors name `hypotheses`.
pub fn char_errors<S: AsRef<str> + Sync>(references: &[S], hypotheses: &[S]) -> Result<ErrorCounts> {
    corpus(references, hypotheses, |r, h| {
        let rc: Vec<char> = strip(r).chars().collect();
        let hc: Vec<char> = strip(h).chars().collect();
        ErrorCounts { edits: edit_distance(&rc, &hc) as u64, reference_units: rc.len() as u64, hypothesis_units: hc.len() as u64 }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_distances() {
        assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
        assert_eq!(edit_distance(b"", b"abc"), 3);
        assert_eq!(edit_distance(b"abc", b""), 3);
        assert_eq!(edit_distance(b"flaw", b"lawn"), 2);
        assert_eq!(edit_distance::<u8>(&[], &[]), 0);
    }

    #[test]
    fn corpus_rates_sum_edits_over_reference_units() {
        // 1 substitution out of 4 words + 1 deletion out of 2 words = 2 / 6.
        let r = word_errors(&["the cat sat down", "hello world"], &["the cat sat up", "hello"]).unwrap();
        assert_eq!(r, ErrorCounts { edits: 2, reference_units: 6, hypothesis_units: 5 });
        assert!((r.rate() - 2.0 / 6.0).abs() < 1e-15);
        // Normalisation: multiple spaces collapse, ends are stripped.
        assert_eq!(word_errors(&["  a   b "], &["a b"]).unwrap().edits, 0);
        // A single tab is not a word separator (jiwer splits on ' ' only).
        assert_eq!(word_errors(&["a\tb"], &["a b"]).unwrap(), ErrorCounts { edits: 2, reference_units: 1, hypothesis_units: 2 });
        // CER counts inner spaces, not the stripped ends.
        assert_eq!(char_errors(&[" ab c "], &["abc"]).unwrap(), ErrorCounts { edits: 1, reference_units: 4, hypothesis_units: 3 });
        // Empty references: the rate is the number of insertions.
        assert_eq!(word_errors(&[""], &["x y"]).unwrap().rate(), 2.0);
        assert_eq!(word_errors(&[""], &[""]).unwrap().rate(), 0.0);
        assert!(word_errors(&["a"], &["a", "b"]).unwrap_err().to_string().starts_with("hypotheses: expected 1 hypotheses"));
    }
}
