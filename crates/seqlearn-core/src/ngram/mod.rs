//! Backoff n-gram language models over characters or words: training by counting with
//! interpolated modified Kneser–Ney or Witten–Bell smoothing (see [`smoothing`]), `<s>`/`</s>`
//! sentence boundaries, `<unk>` for tokens outside the vocabulary (or rarer than `min_count`),
//! probabilities, perplexity, and ARPA text files both ways (so models trained elsewhere, e.g.
//! by KenLM's `lmplz` or SRILM, load too). Log-probabilities are natural logs.
//!
//! Every context's distribution over the predictable tokens (all but `<s>`) sums to 1. The model
//! is immutable after training and `Send + Sync`; CTC beam search scores with it through
//! [`NgramModel::score`] on trie states (see `decode`).

pub mod arpa;
pub mod count;
pub mod hash;
pub mod smoothing;
pub mod trie;
pub mod vocab;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

pub use smoothing::Smoothing;
pub use vocab::{Level, Vocab, BOS, EOS, UNK};

use crate::error::{Error, Result};
use trie::Trie;

/// Largest supported order.
pub const MAX_ORDER: usize = 16;

/// Options of [`NgramModel::train`].
#[derive(Clone, Copy, Debug)]
pub struct TrainOptions {
    /// Order n (1..=16): the longest n-grams counted.
    pub order: usize,
    /// Smoothing method.
    pub smoothing: Smoothing,
    /// Token granularity.
    pub level: Level,
    /// Tokens seen fewer times than this become `<unk>` (default 1: none).
    pub min_count: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { order: 3, smoothing: Smoothing::KneserNey, level: Level::Word, min_count: 1 }
    }
}

/// A backoff n-gram language model.
#[derive(Clone, Debug)]
pub struct NgramModel {
    level: Level,
    vocab: Vocab,
    trie: Trie,
    smoothing: Option<Smoothing>,
    discounts: Vec<[f64; 3]>,
    /// Non-special token ids sorted by spelling (prefix queries).
    sorted: Vec<u32>,
}

impl NgramModel {
    fn new(level: Level, vocab: Vocab, trie: Trie, smoothing: Option<Smoothing>, discounts: Vec<[f64; 3]>) -> NgramModel {
        let mut sorted: Vec<u32> = (3..vocab.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| vocab.token(a).cmp(vocab.token(b)));
        NgramModel { level, vocab, trie, smoothing, discounts, sorted }
    }

    /// Trains a model on `sentences` (each one sentence; the model adds `<s>`/`</s>`). Errors name
    /// `order` (1..=16), `minCount` (≥ 1), `sentences` (at least one) and `sentences[i]` (a word
    /// model's sentence containing the reserved `<s>` or `</s>`).
    pub fn train<S: AsRef<str>>(sentences: &[S], options: &TrainOptions) -> Result<NgramModel> {
        if options.order == 0 || options.order > MAX_ORDER {
            return Err(Error::invalid("order", format!("expected an integer in 1..={MAX_ORDER}, got {}", options.order)));
        }
        if options.min_count == 0 {
            return Err(Error::invalid("minCount", "expected an integer ≥ 1, got 0"));
        }
        if sentences.is_empty() {
            return Err(Error::invalid("sentences", "expected at least one sentence, got none"));
        }
        let level = options.level;
        // Token frequencies in first-seen order.
        let mut freq: HashMap<&str, (u64, usize)> = HashMap::new();
        let mut first_seen: Vec<&str> = Vec::new();
        for (i, s) in sentences.iter().enumerate() {
            for t in level.tokens(s.as_ref()) {
                if level == Level::Word && (t == "<s>" || t == "</s>") {
                    return Err(Error::invalid(format!("sentences[{i}]"), format!("contains the reserved token '{t}' (the model adds sentence boundaries itself)")));
                }
                let e = freq.entry(t).or_insert_with(|| {
                    first_seen.push(t);
                    (0, first_seen.len() - 1)
                });
                e.0 += 1;
            }
        }
        let mut vocab = Vocab::new();
        for t in &first_seen {
            if freq[t].0 >= options.min_count as u64 {
                vocab.insert(t);
            }
        }
        let ids: Vec<Vec<u32>> = sentences
            .iter()
            .map(|s| {
                let toks = level.tokens(s.as_ref());
                let mut v = Vec::with_capacity(toks.len() + 2);
                v.push(BOS);
                v.extend(toks.iter().map(|t| vocab.id(t)));
                v.push(EOS);
                v
            })
            .collect();
        let counted = count::count_ngrams(&ids, options.order, vocab.len());
        let mut trie = counted.trie;
        let discounts = smoothing::estimate(&mut trie, &counted.counts, options.smoothing);
        Ok(NgramModel::new(level, vocab, trie, Some(options.smoothing), discounts))
    }

    /// Reads a model from ARPA text; `source` names it in errors (a path, or e.g. `arpa`).
    pub fn from_arpa(text: &str, source: &str, level: Level) -> Result<NgramModel> {
        let (trie, vocab) = arpa::read(text, source, level)?;
        Ok(NgramModel::new(level, vocab, trie, None, Vec::new()))
    }

    /// Reads an ARPA file.
    pub fn load_arpa(path: &Path, level: Level) -> Result<NgramModel> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        let text =
            String::from_utf8(bytes).map_err(|e| Error::Format { path: path.display().to_string(), message: format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()) })?;
        Self::from_arpa(&text, &path.display().to_string(), level)
    }

    /// The model as ARPA text.
    pub fn to_arpa(&self) -> String {
        arpa::write(&self.trie, &self.vocab, self.level)
    }

    /// Writes the model as an ARPA file (atomically: temporary file, fsync, rename).
    pub fn save_arpa(&self, path: &Path) -> Result<()> {
        crate::io::atomic::write_atomic(path, self.to_arpa().as_bytes())
    }

    /// The order n.
    pub fn order(&self) -> usize {
        self.trie.order
    }

    /// The token granularity.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The smoothing it was trained with (`None` for a model read from ARPA).
    pub fn smoothing(&self) -> Option<Smoothing> {
        self.smoothing
    }

    /// The Kneser–Ney discounts `[D₁, D₂, D₃₊]` of each order (empty otherwise).
    pub fn discounts(&self) -> &[[f64; 3]] {
        &self.discounts
    }

    /// The vocabulary (`<unk>`, `<s>`, `</s>` first).
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Number of n-grams of each order 1..=n (as an ARPA header counts them).
    pub fn counts(&self) -> Vec<usize> {
        (1..=self.trie.order).map(|k| self.trie.count(k)).collect()
    }

    /// The id of `token` (`<unk>` when outside the vocabulary).
    pub fn token_id(&self, token: &str) -> u32 {
        self.vocab.id(token)
    }

    /// The state of an empty history (no `<s>`): contexts start from nothing.
    pub fn null_state(&self) -> u32 {
        0
    }

    /// The state after `<s>`: the start of a sentence.
    pub fn start_state(&self) -> u32 {
        BOS + 1
    }

    /// `ln p(token | state)` and the state after `token` (see [`trie::Trie::score`]). `token`
    /// must be a vocabulary id.
    #[inline]
    pub fn score(&self, state: u32, token: u32) -> (f64, u32) {
        self.trie.score(state, token)
    }

    /// `ln p(token | context)`, the context given as token ids (oldest first; include [`BOS`]
    /// for a sentence start). Errors name `context[i]`/`token` for ids outside the vocabulary.
    pub fn log_prob(&self, context: &[u32], token: u32) -> Result<f64> {
        let v = self.vocab.len() as u32;
        if token >= v {
            return Err(Error::invalid("token", format!("expected a token id in 0..{v}, got {token}")));
        }
        let mut s = self.null_state();
        for (i, &t) in context.iter().enumerate() {
            if t >= v {
                return Err(Error::invalid(format!("context[{i}]"), format!("expected a token id in 0..{v}, got {t}")));
            }
            s = self.trie.score(s, t).1;
        }
        Ok(self.trie.score(s, token).0)
    }

    /// The token ids of `text` at the model's level (unknown tokens → `<unk>`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.level.tokens(text).into_iter().map(|t| self.vocab.id(t)).collect()
    }

    /// `ln p(sentence)` = `Σ ln p(tᵢ | <s> t₁…tᵢ₋₁)` over its tokens and `</s>`, and the number
    /// of predicted tokens (tokens + 1).
    pub fn sentence_log_prob(&self, sentence: &str) -> (f64, usize) {
        let ids = self.encode(sentence);
        let mut s = self.start_state();
        let mut total = 0.0;
        for &t in ids.iter().chain(std::iter::once(&EOS)) {
            let (lp, next) = self.trie.score(s, t);
            total += lp;
            s = next;
        }
        (total, ids.len() + 1)
    }

    /// Perplexity `exp(−Σ ln p / N)` over the sentences, `N` counting every token and each
    /// `</s>` (not `<s>`); out-of-vocabulary tokens are scored as `<unk>`. Errors name
    /// `sentences` when empty.
    pub fn perplexity<S: AsRef<str> + Sync>(&self, sentences: &[S]) -> Result<f64> {
        if sentences.is_empty() {
            return Err(Error::invalid("sentences", "expected at least one sentence, got none"));
        }
        let (lp, n) = sentences.iter().map(|s| self.sentence_log_prob(s.as_ref())).fold((0.0, 0usize), |a, b| (a.0 + b.0, a.1 + b.1));
        Ok((-lp / n as f64).exp())
    }

    /// Whether `prefix` starts some non-special vocabulary token (equal counts). CTC beam search
    /// uses it to penalise partial words that can never become a known word.
    pub fn is_token_prefix(&self, prefix: &str) -> bool {
        let i = self.sorted.partition_point(|&id| self.vocab.token(id) < prefix);
        self.sorted.get(i).is_some_and(|&id| self.vocab.token(id).starts_with(prefix))
    }
}
