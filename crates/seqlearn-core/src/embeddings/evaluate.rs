//! Intrinsic benchmarks of word vectors: the analogy test (`questions-words.txt`, Mikolov et
//! al. 2013) as the C tool's `compute-accuracy` and gensim's `evaluate_word_analogies` score it,
//! and word-pair similarity (WordSim-353 style) as gensim's `evaluate_word_pairs` does, with
//! Spearman's ρ (average ranks for ties, as scipy) and Pearson's r.
//!
//! # Analogies
//! File: `: section` header lines, then one question per line, `a b c expected` ("a is to b as
//! c is to expected"). Only the first `restrict_vocab` rows take part (compute-accuracy's
//! threshold; default 30 000 in the API); with `case_insensitive` every word is upper-cased and
//! a folded word maps to its first (most frequent) row, as gensim does. A question is skipped
//! (not counted as seen) when any of its four words is outside that restricted vocabulary. The
//! answer is the best candidate among the restricted rows, leaving out the three question words
//! (and, case-insensitively, every row that folds to one of them, as gensim's `ignore` set):
//! * 3CosAdd (`most_similar`): argmax of `cos(x, b) − cos(x, a) + cos(x, c)`, the same argmax as
//!   the cosine with `b − a + c` of unit vectors (compute-accuracy) or with their normalised
//!   mean (gensim);
//! * 3CosMul (`most_similar_cosmul`): argmax of `p(x,b)·p(x,c) / (p(x,a) + 1e-6)` with
//!   `p = (1 + cos) / 2`.
//!
//! A question is correct when the answer folds to the expected word. Sections whose name starts
//! with `gram` are syntactic, the others semantic (this is how compute-accuracy's first five /
//! last nine sections split questions-words.txt). compute-accuracy starts its best score at 0,
//! so an answer with a negative score can never win there; no such cut-off applies here (gensim
//! has none either) — it only matters when every candidate scores below zero.
//!
//! # Speed
//! All questions are answered together: the unit vectors of the distinct question words form a
//! small matrix `Q`, and for each block of candidate rows one GEMM gives every `cos(word, x)`;
//! each question then combines three rows of that block. Blocks are split over the pool.
//!
//! # Word pairs
//! File: `word1 <delimiter> word2 <delimiter> score` lines (tab by default, or any run of
//! whitespace); lines starting with `#` and blank lines are skipped. Pairs with a word outside
//! the restricted vocabulary are counted as out-of-vocabulary and left out.
//!
//! Malformed lines are errors naming the file and the line (gensim logs and skips them).

use std::collections::HashMap;
use std::io::BufRead;
use std::ops::Range;
use std::path::Path;

use super::keyed_vectors::KeyedVectors;
use super::similarity::{COSMUL_EPSILON, GEMM_BLOCK};
use crate::error::{Error, Result};

/// How an analogy question is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AnalogyMethod {
    /// 3CosAdd (vector offset; gensim `most_similar`, compute-accuracy).
    #[default]
    CosAdd,
    /// 3CosMul (Levy & Goldberg; gensim `most_similar_cosmul`).
    CosMul,
}

impl AnalogyMethod {
    /// Parses `'3cosadd' | 'most_similar'` or `'3cosmul' | 'most_similar_cosmul'`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "3cosadd" | "most_similar" => Ok(AnalogyMethod::CosAdd),
            "3cosmul" | "most_similar_cosmul" => Ok(AnalogyMethod::CosMul),
            _ => Err(Error::invalid("method", format!("expected '3cosadd' or '3cosmul', got '{s}'"))),
        }
    }
}

/// Options of [`KeyedVectors::evaluate_analogies`].
#[derive(Clone, Copy, Debug)]
pub struct AnalogyOptions {
    /// Rows that take part (the first N; `None` = all). The API's default is 30 000.
    pub restrict_vocab: Option<usize>,
    /// Upper-case every word before matching (default true).
    pub case_insensitive: bool,
    /// 3CosAdd or 3CosMul.
    pub method: AnalogyMethod,
}

impl Default for AnalogyOptions {
    fn default() -> Self {
        AnalogyOptions { restrict_vocab: Some(30_000), case_insensitive: true, method: AnalogyMethod::CosAdd }
    }
}

/// Counts of one section of an analogy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalogySection {
    /// The name after `: ` in the header.
    pub name: String,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions evaluated (all four words in the restricted vocabulary).
    pub seen: usize,
    /// Questions in the file's section.
    pub questions: usize,
    /// False for sections whose name starts with `gram`.
    pub semantic: bool,
}

impl AnalogySection {
    /// `correct / seen` (0 when nothing was seen).
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.seen)
    }
}

/// `correct / total`, 0 for an empty total.
fn ratio(correct: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    }
}

/// Result of [`KeyedVectors::evaluate_analogies`].
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogyReport {
    /// Per section, in file order.
    pub sections: Vec<AnalogySection>,
    /// Correct answers over all sections.
    pub correct: usize,
    /// Questions evaluated (compute-accuracy's "questions seen").
    pub seen: usize,
    /// Questions in the file (compute-accuracy's "total").
    pub questions: usize,
    /// Correct and seen over the semantic sections.
    pub semantic: (usize, usize),
    /// Correct and seen over the syntactic (`gram*`) sections.
    pub syntactic: (usize, usize),
}

impl AnalogyReport {
    /// `correct / seen`.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.seen)
    }
}

/// One parsed analogy question: the line, its section and the four words.
struct Question {
    section: usize,
    words: [String; 4],
}

fn read_lines(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io { path: path.display().to_string(), source })?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).split(b'\n').enumerate() {
        let line = line.map_err(|source| Error::Io { path: path.display().to_string(), source })?;
        let s = String::from_utf8(line).map_err(|e| Error::Format {
            path: path.display().to_string(),
            message: format!("line {}: not valid UTF-8 (byte {} of the line)", i + 1, e.utf8_error().valid_up_to()),
        })?;
        out.push(s);
    }
    Ok(out)
}

fn parse_analogies(name: &str, lines: &[String]) -> Result<(Vec<String>, Vec<Question>)> {
    let fmt = |line: usize, message: String| Error::Format { path: name.to_string(), message: format!("line {line}: {message}") };
    let mut sections: Vec<String> = Vec::new();
    let mut questions = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix(':') {
            let s = rest.trim();
            if s.is_empty() {
                return Err(fmt(i + 1, "a section header ': name' needs a name".into()));
            }
            sections.push(s.to_string());
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() != 4 {
            return Err(fmt(i + 1, format!("expected 4 words 'a b c expected', got {} ('{}')", words.len(), truncate(line))));
        }
        if sections.is_empty() {
            return Err(fmt(i + 1, "a question before the first ': section' header".into()));
        }
        questions.push(Question { section: sections.len() - 1, words: [0, 1, 2, 3].map(|k| words[k].to_string()) });
    }
    Ok((sections, questions))
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The restricted vocabulary as the evaluation sees it: a (possibly case-folded) key for each of
/// the first `rows` rows, the first row of each key, and for each key every row folding to it.
struct Restricted {
    rows: usize,
    first: HashMap<String, u32>,
    /// `canon[r]` = first row with the same key as row `r`.
    canon: Vec<u32>,
}

impl Restricted {
    fn new(kv: &KeyedVectors, rows: usize, case_insensitive: bool) -> Self {
        let mut first: HashMap<String, u32> = HashMap::with_capacity(rows);
        let mut canon = Vec::with_capacity(rows);
        for (r, w) in kv.words()[..rows].iter().enumerate() {
            let key = if case_insensitive { w.to_uppercase() } else { w.clone() };
            let c = *first.entry(key).or_insert(r as u32);
            canon.push(c);
        }
        Restricted { rows, first, canon }
    }

    fn key(&self, w: &str, case_insensitive: bool) -> Option<u32> {
        if case_insensitive {
            self.first.get(&w.to_uppercase()).copied()
        } else {
            self.first.get(w).copied()
        }
    }
}

/// An answered question: the best candidate's score and row (row `u32::MAX`: none).
#[derive(Clone, Copy)]
struct Best {
    score: f32,
    row: u32,
}

const NONE: Best = Best { score: f32::NEG_INFINITY, row: u32::MAX };

impl KeyedVectors {
    /// Scores the analogy file at `path`; see the module documentation.
    pub fn evaluate_analogies(&self, path: &Path, opts: &AnalogyOptions) -> Result<AnalogyReport> {
        let lines = read_lines(path)?;
        self.evaluate_analogy_lines(&path.display().to_string(), &lines, opts)
    }

    /// [`KeyedVectors::evaluate_analogies`] on lines already read; `name` names the source in
    /// errors.
    pub fn evaluate_analogy_lines(&self, name: &str, lines: &[String], opts: &AnalogyOptions) -> Result<AnalogyReport> {
        let rows = super::similarity::candidate_rows(self, opts.restrict_vocab)?;
        let (names, questions) = parse_analogies(name, lines)?;
        let ci = opts.case_insensitive;
        let restricted = Restricted::new(self, rows, ci);
        // Seen questions as rows (a, b, c, expected) of their canonical words.
        let mut seen: Vec<(usize, [u32; 4])> = Vec::new();
        for (qi, q) in questions.iter().enumerate() {
            let ids: Vec<Option<u32>> = q.words.iter().map(|w| restricted.key(w, ci)).collect();
            if let [Some(a), Some(b), Some(c), Some(d)] = ids[..] {
                seen.push((qi, [a, b, c, d]));
            }
        }
        // The distinct query words (a, b, c of seen questions) → rows of Q.
        let mut slot: HashMap<u32, usize> = HashMap::new();
        let mut qrows: Vec<u32> = Vec::new();
        let mut plan: Vec<[usize; 3]> = Vec::with_capacity(seen.len());
        for (_, w) in &seen {
            let mut s = [0usize; 3];
            for k in 0..3 {
                s[k] = *slot.entry(w[k]).or_insert_with(|| {
                    qrows.push(w[k]);
                    qrows.len() - 1
                });
            }
            plan.push(s);
        }
        // Rows folding to each query word (excluded from its questions' answers).
        let mut variants: HashMap<u32, Vec<u32>> = HashMap::new();
        for (r, &c) in restricted.canon.iter().enumerate() {
            if slot.contains_key(&c) {
                variants.entry(c).or_default().push(r as u32);
            }
        }
        let excluded: Vec<Vec<u32>> = seen
            .iter()
            .map(|(_, w)| {
                let mut e: Vec<u32> = w[..3].iter().flat_map(|c| variants.get(c).cloned().unwrap_or_default()).collect();
                e.sort_unstable();
                e.dedup();
                e
            })
            .collect();
        let best = self.answer_all(&qrows, &plan, &excluded, restricted.rows, opts.method);

        let mut sections: Vec<AnalogySection> =
            names.iter().map(|n| AnalogySection { name: n.clone(), correct: 0, seen: 0, questions: 0, semantic: !n.starts_with("gram") }).collect();
        for q in &questions {
            sections[q.section].questions += 1;
        }
        for ((qi, w), b) in seen.iter().zip(&best) {
            let s = &mut sections[questions[*qi].section];
            s.seen += 1;
            if b.row != u32::MAX && restricted.canon[b.row as usize] == w[3] {
                s.correct += 1;
            }
        }
        let sum = |f: &dyn Fn(&AnalogySection) -> bool| sections.iter().filter(|s| f(s)).fold((0, 0), |(c, n), s| (c + s.correct, n + s.seen));
        let semantic = sum(&|s| s.semantic);
        let syntactic = sum(&|s| !s.semantic);
        Ok(AnalogyReport { correct: semantic.0 + syntactic.0, seen: semantic.1 + syntactic.1, questions: questions.len(), sections, semantic, syntactic })
    }

    /// The best candidate row (among `0..rows`, leaving out `excluded[i]`) of every planned
    /// question; `plan[i]` = the rows of `qrows` holding its a, b, c.
    fn answer_all(&self, qrows: &[u32], plan: &[[usize; 3]], excluded: &[Vec<u32>], rows: usize, method: AnalogyMethod) -> Vec<Best> {
        if plan.is_empty() || rows == 0 {
            return vec![NONE; plan.len()];
        }
        let dim = self.dim();
        let m = qrows.len();
        let mut q = vec![0.0f32; m * dim];
        for (i, &r) in qrows.iter().enumerate() {
            q[i * dim..(i + 1) * dim].copy_from_slice(self.unit_vector(r));
        }
        let unit = self.unit_data();
        let blocks = rows.div_ceil(GEMM_BLOCK);
        let threads = crate::parallel::num_threads().min(blocks).max(1);
        let run = |range: Range<usize>| -> Vec<Best> {
            let mut best = vec![NONE; plan.len()];
            let mut s = vec![0.0f32; m * GEMM_BLOCK];
            let mut tmp = vec![0.0f32; GEMM_BLOCK];
            for b in range {
                let start = b * GEMM_BLOCK;
                let len = GEMM_BLOCK.min(rows - start);
                let s = &mut s[..m * len];
                crate::linalg::matmul_nt(m, len, dim, &q, &unit[start * dim..(start + len) * dim], s, false, 1);
                let tmp = &mut tmp[..len];
                for (i, p) in plan.iter().enumerate() {
                    let row = |k: usize| &s[p[k] * len..(p[k] + 1) * len];
                    combine(method, row(0), row(1), row(2), tmp);
                    for &e in &excluded[i] {
                        let e = e as usize;
                        if e >= start && e < start + len {
                            tmp[e - start] = f32::NEG_INFINITY;
                        }
                    }
                    let (score, j) = argmax(tmp);
                    if score > best[i].score {
                        best[i] = Best { score, row: (start + j) as u32 };
                    }
                }
            }
            best
        };
        let parts: Vec<std::sync::Mutex<Vec<Best>>> = (0..threads).map(|_| std::sync::Mutex::new(Vec::new())).collect();
        crate::parallel::install(|| {
            crate::parallel::for_each_chunk(threads, |t| {
                let (b0, b1) = crate::parallel::split_range(blocks, threads, 1, t);
                *parts[t].lock().unwrap_or_else(|e| e.into_inner()) = run(b0..b1);
            })
        });
        // Threads hold ascending block ranges: a later part wins only with a strictly higher
        // score, so ties keep the lowest row, whatever the thread count.
        let mut out = vec![NONE; plan.len()];
        for p in parts {
            for (o, b) in out.iter_mut().zip(p.into_inner().unwrap_or_else(|e| e.into_inner())) {
                if b.score > o.score {
                    *o = b;
                }
            }
        }
        out
    }

    /// Correlation of the cosine similarities with the human scores of a word-pair file; see
    /// the module documentation.
    pub fn evaluate_word_pairs(&self, path: &Path, opts: &WordPairOptions) -> Result<WordPairReport> {
        let lines = read_lines(path)?;
        self.evaluate_word_pair_lines(&path.display().to_string(), &lines, opts)
    }

    /// [`KeyedVectors::evaluate_word_pairs`] on lines already read; `name` names the source.
    pub fn evaluate_word_pair_lines(&self, name: &str, lines: &[String], opts: &WordPairOptions) -> Result<WordPairReport> {
        let rows = super::similarity::candidate_rows(self, opts.restrict_vocab)?;
        let ci = opts.case_insensitive;
        let restricted = Restricted::new(self, rows, ci);
        let fmt = |line: usize, message: String| Error::Format { path: name.to_string(), message: format!("line {line}: {message}") };
        let (mut gold, mut model) = (Vec::new(), Vec::new());
        let mut oov = 0usize;
        for (i, raw) in lines.iter().enumerate() {
            let line = raw.trim_end_matches(['\r', '\n']);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = match &opts.delimiter {
                Delimiter::Whitespace => line.split_whitespace().collect(),
                Delimiter::Text(d) => line.split(d.as_str()).map(str::trim).collect(),
            };
            if fields.len() != 3 {
                let what = match &opts.delimiter {
                    Delimiter::Whitespace => "whitespace".to_string(),
                    Delimiter::Text(d) => format!("{d:?}"),
                };
                return Err(fmt(i + 1, format!("expected 3 fields 'word1 word2 score' separated by {what}, got {} ('{}')", fields.len(), truncate(line))));
            }
            let score: f64 = fields[2].parse().map_err(|_| fmt(i + 1, format!("the score '{}' is not a number", fields[2])))?;
            if !score.is_finite() {
                return Err(fmt(i + 1, format!("the score '{}' is not finite", fields[2])));
            }
            match (restricted.key(fields[0], ci), restricted.key(fields[1], ci)) {
                (Some(a), Some(b)) => {
                    gold.push(score);
                    model.push(super::similarity::dot(self.unit_vector(a), self.unit_vector(b)) as f64);
                }
                _ => oov += 1,
            }
        }
        if gold.is_empty() {
            return Err(Error::invalid(
                "pairs",
                format!("{name}: no pair has both words in the vocabulary ({oov} pairs out of vocabulary); check the delimiter and restrictVocab"),
            ));
        }
        Ok(WordPairReport {
            spearman: spearman(&gold, &model),
            pearson: pearson(&gold, &model),
            pairs: gold.len(),
            oov,
            oov_ratio: oov as f64 / (gold.len() + oov) as f64,
        })
    }
}

/// 3CosAdd / 3CosMul scores of a block of candidates from their cosines with a, b, c.
#[inline]
fn combine(method: AnalogyMethod, a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) {
    match method {
        AnalogyMethod::CosAdd => combine_add(a, b, c, out),
        AnalogyMethod::CosMul => combine_mul(a, b, c, out),
    }
}

crate::dispatch! {
    /// `out = b − a + c`.
    fn combine_add(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) {
        for (((o, a), b), c) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = (b - a) + c;
        }
    }
}

crate::dispatch! {
    /// `out = ((1+b)/2 · (1+c)/2) / ((1+a)/2 + ε)`.
    fn combine_mul(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) {
        for (((o, a), b), c) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = ((1.0 + b) / 2.0) * ((1.0 + c) / 2.0) / ((1.0 + a) / 2.0 + COSMUL_EPSILON);
        }
    }
}

crate::dispatch! {
    /// The largest value (`out.0`) of `v` (16 running maxima, vectorised).
    fn max_lanes(v: &[f32], out: &mut f32) {
        let mut acc = [f32::NEG_INFINITY; 16];
        let mut it = v.chunks_exact(16);
        for c in &mut it {
            for j in 0..16 {
                acc[j] = if c[j] > acc[j] { c[j] } else { acc[j] };
            }
        }
        let mut m = f32::NEG_INFINITY;
        for &x in acc.iter().chain(it.remainder()) {
            m = if x > m { x } else { m };
        }
        *out = m;
    }
}

/// The largest value and its first position (`-inf, 0` when every value is `-inf`).
fn argmax(v: &[f32]) -> (f32, usize) {
    let mut m = f32::NEG_INFINITY;
    max_lanes(v, &mut m);
    let j = v.iter().position(|&x| x == m).unwrap_or(0);
    (m, j)
}

/// How the fields of a word-pair line are separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delimiter {
    /// Any run of spaces and tabs.
    Whitespace,
    /// An exact string (gensim's `delimiter`, default tab); fields are trimmed.
    Text(String),
}

/// Options of [`KeyedVectors::evaluate_word_pairs`].
#[derive(Clone, Debug)]
pub struct WordPairOptions {
    /// Rows that take part (the first N; `None` = all; gensim's default is 300 000).
    pub restrict_vocab: Option<usize>,
    /// Upper-case every word before matching (default true).
    pub case_insensitive: bool,
    /// The field separator (default tab).
    pub delimiter: Delimiter,
}

impl Default for WordPairOptions {
    fn default() -> Self {
        WordPairOptions { restrict_vocab: Some(300_000), case_insensitive: true, delimiter: Delimiter::Text("\t".into()) }
    }
}

/// Result of [`KeyedVectors::evaluate_word_pairs`].
#[derive(Clone, Debug, PartialEq)]
pub struct WordPairReport {
    /// Spearman's rank correlation of model and human scores (ties get average ranks).
    pub spearman: f64,
    /// Pearson's correlation of model and human scores.
    pub pearson: f64,
    /// Pairs used.
    pub pairs: usize,
    /// Pairs left out because a word is not in the restricted vocabulary.
    pub oov: usize,
    /// `oov / (pairs + oov)` (gensim reports this as a percentage).
    pub oov_ratio: f64,
}

/// Ranks 1..n with ties given the average of their ranks (scipy `rankdata(method='average')`).
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Pearson's correlation (NaN when either series is constant or has fewer than 2 values).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return f64::NAN;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// Spearman's rank correlation: Pearson's correlation of the average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&average_ranks(x), &average_ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(String::from).collect()
    }

    #[test]
    fn ranks_average_ties_like_scipy() {
        // scipy.stats.rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5]) = [4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5]
        assert_eq!(average_ranks(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0]), vec![4.0, 1.5, 5.0, 1.5, 6.5, 9.0, 3.0, 8.0, 6.5]);
        // scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]).statistic = 0.8207826816681233
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]) - 0.8207826816681233).abs() < 1e-12);
        // numpy.corrcoef([1,2,3,4],[1,3,2,5])[0,1] = 0.8315218406202999
        assert!((pearson(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 5.0]) - 0.8315218406202999).abs() < 1e-12);
        assert!(pearson(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
    }

    /// 3-D table (gender, royalty, youth) where "a:b :: c:?" is solved by vector offsets; "Man"
    /// is a case variant of "man".
    fn grid() -> KeyedVectors {
        let words = ["man", "woman", "king", "queen", "boy", "girl", "Man", "apple"];
        let data = [1.0, 0.0, 0.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0, -1.0, 1.0, 0.0, 1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 1.0, 0.05, 0.02, 0.1, -1.0, -1.0];
        KeyedVectors::new(words.iter().map(|s| s.to_string()).collect(), 3, data.to_vec()).unwrap()
    }

    fn brute_answer(kv: &KeyedVectors, q: [&str; 3], rows: usize, method: AnalogyMethod) -> u32 {
        let u = |w: &str| kv.unit_vector(kv.index(w).unwrap()).to_vec();
        let (a, b, c) = (u(q[0]), u(q[1]), u(q[2]));
        let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (*p as f64) * (*q as f64)).sum::<f64>();
        let folded: Vec<String> = q.iter().map(|w| w.to_uppercase()).collect();
        let mut best = (f64::NEG_INFINITY, u32::MAX);
        for r in 0..rows as u32 {
            if folded.contains(&kv.word(r).to_uppercase()) {
                continue;
            }
            let x = kv.unit_vector(r);
            let s = match method {
                AnalogyMethod::CosAdd => cos(x, &b) - cos(x, &a) + cos(x, &c),
                AnalogyMethod::CosMul => (1.0 + cos(x, &b)) / 2.0 * (1.0 + cos(x, &c)) / 2.0 / ((1.0 + cos(x, &a)) / 2.0 + 1e-6),
            };
            if s > best.0 {
                best = (s, r);
            }
        }
        best.1
    }

    #[test]
    fn analogies_count_sections_and_skip_oov() {
        let kv = grid();
        let file = lines(": family\nman woman king queen\nMAN woman boy girl\nman woman boy dog\n\n: gram-x\nking queen man woman\nking queen boy apple\n");
        for method in [AnalogyMethod::CosAdd, AnalogyMethod::CosMul] {
            let r = kv.evaluate_analogy_lines("q.txt", &file, &AnalogyOptions { restrict_vocab: None, case_insensitive: true, method }).unwrap();
            assert_eq!(r.questions, 5);
            assert_eq!(r.seen, 4, "the question with 'dog' is skipped");
            assert_eq!(r.sections.len(), 2);
            assert_eq!((r.sections[0].questions, r.sections[0].seen), (3, 2));
            assert!(r.sections[0].semantic && !r.sections[1].semantic);
            // brute force answers (case-folded exclusions: "Man" never answers a question with "man")
            let qs = [
                (["man", "woman", "king"], "queen", 0),
                (["man", "woman", "boy"], "girl", 0),
                (["king", "queen", "man"], "woman", 1),
                (["king", "queen", "boy"], "apple", 1),
            ];
            let mut want = [0usize; 2];
            for (q, exp, s) in qs {
                if kv.word(brute_answer(&kv, q, kv.len(), method)).to_uppercase() == exp.to_uppercase() {
                    want[s] += 1;
                }
            }
            assert_eq!((r.sections[0].correct, r.sections[1].correct), (want[0], want[1]), "{method:?}");
            assert_eq!(r.semantic, (want[0], 2));
            assert_eq!(r.syntactic, (want[1], 2));
            assert!(want[0] == 2, "the toy analogies are solvable");
        }
        // restrict to 4 rows: only the first question has all words inside
        let r = kv.evaluate_analogy_lines("q.txt", &file, &AnalogyOptions { restrict_vocab: Some(4), ..Default::default() }).unwrap();
        assert_eq!((r.seen, r.correct), (2, 1 + usize::from(kv.word(brute_answer(&kv, ["king", "queen", "man"], 4, AnalogyMethod::CosAdd)) == "woman")));
        // case-sensitive: "MAN" is unknown
        let r = kv.evaluate_analogy_lines("q.txt", &file, &AnalogyOptions { restrict_vocab: None, case_insensitive: false, ..Default::default() }).unwrap();
        assert_eq!(r.seen, 3);
    }

    #[test]
    fn analogy_format_errors_name_file_and_line() {
        let kv = grid();
        let e = kv.evaluate_analogy_lines("q.txt", &lines(": s\nman woman king\n"), &AnalogyOptions::default()).unwrap_err().to_string();
        assert!(e.contains("q.txt") && e.contains("line 2") && e.contains("4 words"), "{e}");
        let e = kv.evaluate_analogy_lines("q.txt", &lines("man woman king queen\n"), &AnalogyOptions::default()).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("section"), "{e}");
        assert!(AnalogyMethod::parse("3coswhat").unwrap_err().to_string().contains("method"));
    }

    #[test]
    fn parallel_answers_equal_serial_on_many_blocks() {
        let n = 3 * GEMM_BLOCK + 11;
        let mut rng = crate::rng::Rng::new(5);
        let mut data = vec![0.0f32; n * 8];
        rng.fill_uniform(&mut data, -1.0, 1.0);
        let kv = KeyedVectors::new((0..n).map(|i| format!("w{i}")).collect(), 8, data).unwrap();
        let mut text = String::from(": s\n");
        for i in 0..40 {
            text.push_str(&format!("w{} w{} w{} w{}\n", i, i * 7 % n, (i * 13 + 5) % n, (i * 31 + 2) % n));
        }
        let r = kv.evaluate_analogy_lines("x", &lines(&text), &AnalogyOptions { restrict_vocab: None, ..Default::default() }).unwrap();
        let mut want = 0;
        for i in 0..40 {
            let q = [format!("w{i}"), format!("w{}", i * 7 % n), format!("w{}", (i * 13 + 5) % n)];
            if brute_answer(&kv, [&q[0], &q[1], &q[2]], n, AnalogyMethod::CosAdd) as usize == (i * 31 + 2) % n {
                want += 1;
            }
        }
        assert_eq!(r.correct, want);
        assert_eq!(r.seen, 40);
    }

    #[test]
    fn word_pairs_spearman_oov_and_errors() {
        let kv = grid();
        let file = lines("# comment\nman\twoman\t3\nking\tqueen\t2.5\nboy\tapple\t0.5\nman\tdog\t1\nGIRL\tboy\t4\n");
        let r = kv.evaluate_word_pair_lines("p.tsv", &file, &WordPairOptions { restrict_vocab: None, ..Default::default() }).unwrap();
        assert_eq!((r.pairs, r.oov), (4, 1));
        assert!((r.oov_ratio - 0.2).abs() < 1e-12);
        let sim = |a: &str, b: &str| kv.similarity(a, b).unwrap() as f64;
        let model = [sim("man", "woman"), sim("king", "queen"), sim("boy", "apple"), sim("girl", "boy")];
        let gold = [3.0, 2.5, 0.5, 4.0];
        assert!((r.spearman - spearman(&gold, &model)).abs() < 1e-12);
        assert!((r.pearson - pearson(&gold, &model)).abs() < 1e-12);
        let ws = kv
            .evaluate_word_pair_lines(
                "p.txt",
                &lines("man  woman 3\nking queen 2.5\n"),
                &WordPairOptions { restrict_vocab: None, case_insensitive: true, delimiter: Delimiter::Whitespace },
            )
            .unwrap();
        assert_eq!(ws.pairs, 2);
        let e = kv.evaluate_word_pair_lines("p.tsv", &lines("man\twoman\n"), &WordPairOptions::default()).unwrap_err().to_string();
        assert!(e.contains("p.tsv") && e.contains("line 1") && e.contains("3 fields"), "{e}");
        let e = kv.evaluate_word_pair_lines("p.tsv", &lines("man\twoman\tx\n"), &WordPairOptions::default()).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("'x'"), "{e}");
        let e = kv.evaluate_word_pair_lines("p.tsv", &lines("cat\tdog\t1\n"), &WordPairOptions::default()).unwrap_err().to_string();
        assert!(e.contains("pairs") && e.contains("1 pairs out of vocabulary"), "{e}");
    }
}
