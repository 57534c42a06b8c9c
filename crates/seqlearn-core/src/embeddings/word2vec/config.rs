//! Options of a word2vec training run, with the C tool's defaults, and their validation.
//!
//! Option names in error messages are the TypeScript names (`size`, `window`, `negative`, …; the
//! C tool's flags without the dash, except `-size` → `size`, `-min-count` → `minCount`), so a
//! message can be acted on from either the API or the CLI.

use crate::error::{Error, Result};

/// The C tool's `MAX_SENTENCE_LENGTH`: a sentence is cut into pieces of at most this many words.
pub const MAX_SENTENCE_LENGTH: usize = 1000;

/// Largest vocabulary (words including `</s>`) the full-softmax mode accepts: one update costs
/// `O(V · dim)`, so above this size negative sampling or hierarchical softmax is the only
/// sensible choice.
pub const FULL_SOFTMAX_MAX_VOCAB: usize = 10_000;

/// Largest accepted `size` (vector dimension).
pub const MAX_DIM: usize = 1 << 16;

/// Largest accepted `negative`.
pub const MAX_NEGATIVE: usize = 1000;

/// Which word predicts which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Skip-gram: each context word's input vector predicts the center word (the C tool's
    /// `-cbow 0`).
    SkipGram,
    /// Continuous bag of words: the mean (or sum) of the context words' input vectors predicts
    /// the center word (the C tool's default, `-cbow 1`).
    Cbow,
}

/// How the updates are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// [`Method::Batched`] for skip-gram with negative sampling alone, else [`Method::Hogwild`]
    /// (CBOW too: on wiki8 with `-iter 5` the batched CBOW averaged 41.6 % analogy accuracy over
    /// 3 seeds against the C tool's 43.0 %, Hogwild 42.5 %, at 2.3× the Hogwild speed; batched CBOW
    /// stays available as [`Method::Batched`]). [`Word2VecConfig::resolved_method`] tells which.
    Auto,
    /// The C tool's per-pair updates (every objective, both architectures).
    Hogwild,
    /// pWord2Vec's batched updates: one set of negatives shared by all contexts of a center
    /// word, computed as small fused GEMMs (negative sampling only).
    Batched,
}

impl Method {
    /// The lower-case name used in options and reports (`"auto"`, `"hogwild"`, `"batched"`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Hogwild => "hogwild",
            Method::Batched => "batched",
        }
    }

    /// Parses a name given by [`Method::name`].
    pub fn from_name(name: &str) -> Result<Method> {
        match name {
            "auto" => Ok(Method::Auto),
            "hogwild" => Ok(Method::Hogwild),
            "batched" => Ok(Method::Batched),
            other => Err(Error::invalid("method", format!("expected 'auto', 'hogwild' or 'batched', got '{other}'"))),
        }
    }
}

/// Options of [`train`](super::train). `Default` gives the C tool's defaults (CBOW, size 100,
/// window 5, negative 5, sample 1e-3, 5 epochs, seed 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Word2VecConfig {
    /// Vector dimension (`-size`, default 100).
    pub dim: usize,
    /// Maximum distance between the center word and a context word (`-window`, default 5); the
    /// radius actually used for each center word is drawn uniformly from `1..=window`.
    pub window: usize,
    /// Subsampling threshold of frequent words (`-sample`, default 1e-3; 0 disables it).
    pub sample: f64,
    /// Hierarchical softmax over the Huffman tree (`-hs`, default false).
    pub hs: bool,
    /// Negative samples per positive pair (`-negative`, default 5; 0 disables negative sampling).
    pub negative: usize,
    /// Skip-gram or CBOW (`-cbow`, default CBOW as in the C tool).
    pub architecture: Architecture,
    /// CBOW only: average the context vectors (true, the C tool) or sum them (false). Either way
    /// every context row receives the full hidden-layer error, as in the C tool: for the sum this
    /// is the exact gradient; for the mean it is `cw ×` the exact gradient (the C tool's
    /// convention, which keeps the input step independent of the window size).
    pub cbow_mean: bool,
    /// Starting learning rate (`-alpha`); `None` → 0.05 for CBOW, 0.025 for skip-gram.
    pub alpha: Option<f32>,
    /// The learning rate decays linearly to `alpha · min_alpha_ratio` (C: 1e-4).
    pub min_alpha_ratio: f32,
    /// Epochs (`-iter`, default 5).
    pub iter: usize,
    /// Worker threads (`-threads`); 0 → the size of the seqlearn pool.
    pub threads: usize,
    /// Seed of the weight initialisation and of every worker's generator (default 1, as the C tool).
    pub seed: u64,
    /// Reproducible mode: the `threads` shards are processed by ONE worker, interleaved sentence
    /// by sentence in a fixed round-robin order with per-shard generators, so the same seed gives
    /// bit-identical vectors however the pool is scheduled. Gives up parallelism (as gensim's
    /// advice `workers=1` does).
    pub deterministic: bool,
    /// Full softmax over the whole vocabulary (the lecture notes' formulation), for small
    /// vocabularies (at most [`FULL_SOFTMAX_MAX_VOCAB`] words); excludes `hs` and `negative`.
    pub full_softmax: bool,
    /// Update method (default [`Method::Auto`]).
    pub method: Method,
    /// Batched method, skip-gram: most context rows per batched update (pWord2Vec's
    /// `-batch-size`); 0 (default) → `2·window + 1`, so every window fits in one batch as
    /// pWord2Vec recommends. CBOW: consecutive center words sharing one set of noise words;
    /// 0 (default) → 4 (measured: 4 keeps the C tool's accuracy, 17 loses ≈ 1.3 points).
    pub batch_size: usize,
    /// Read the corpus file again in every epoch instead of holding it in memory as word ids
    /// (for corpora larger than memory). Only used by [`train_file`](super::train_file).
    pub stream: bool,
}

impl Default for Word2VecConfig {
    fn default() -> Self {
        Word2VecConfig {
            dim: 100,
            window: 5,
            sample: 1e-3,
            hs: false,
            negative: 5,
            architecture: Architecture::Cbow,
            cbow_mean: true,
            alpha: None,
            min_alpha_ratio: 1e-4,
            iter: 5,
            threads: 0,
            seed: 1,
            deterministic: false,
            full_softmax: false,
            method: Method::Auto,
            batch_size: 0,
            stream: false,
        }
    }
}

impl Word2VecConfig {
    /// The starting learning rate: `alpha`, or the C tool's default for the architecture.
    pub fn start_alpha(&self) -> f32 {
        self.alpha.unwrap_or(match self.architecture {
            Architecture::Cbow => 0.05,
            Architecture::SkipGram => 0.025,
        })
    }

    /// Skip-gram context rows per batched update: `batch_size`, or `2·window + 1` when it is 0
    /// (CBOW's default differs; see [`Word2VecConfig::batch_size`]).
    pub fn batch_rows(&self) -> usize {
        if self.batch_size == 0 {
            2 * self.window + 1
        } else {
            self.batch_size
        }
    }

    /// Whether the batched path applies: negative sampling alone (no hierarchical or full softmax).
    pub fn batched_applies(&self) -> bool {
        self.negative > 0 && !self.hs && !self.full_softmax
    }

    /// The method actually used: `Auto` becomes `Batched` when [`batched_applies`](Self::batched_applies), else `Hogwild`.
    pub fn resolved_method(&self) -> Method {
        match self.method {
            Method::Auto if self.batched_applies() && self.architecture == Architecture::SkipGram => Method::Batched,
            Method::Auto => Method::Hogwild,
            m => m,
        }
    }

    /// Checks every option on its own and their combinations (not the vocabulary; see
    /// [`validate_vocab`](Self::validate_vocab)). Errors name the option.
    pub fn validate(&self) -> Result<()> {
        if self.dim == 0 || self.dim > MAX_DIM {
            return Err(Error::invalid("size", format!("expected an integer in 1..={MAX_DIM}, got {}", self.dim)));
        }
        if self.window == 0 || self.window >= MAX_SENTENCE_LENGTH {
            return Err(Error::invalid("window", format!("expected an integer in 1..{MAX_SENTENCE_LENGTH}, got {}", self.window)));
        }
        if !self.sample.is_finite() || self.sample < 0.0 {
            return Err(Error::invalid("sample", format!("expected a finite number >= 0, got {}", self.sample)));
        }
        if self.negative > MAX_NEGATIVE {
            return Err(Error::invalid("negative", format!("expected an integer in 0..={MAX_NEGATIVE}, got {}", self.negative)));
        }
        if self.full_softmax {
            if self.hs {
                return Err(Error::invalid("fullSoftmax", "full softmax replaces hierarchical softmax; set hs to false"));
            }
            if self.negative > 0 {
                return Err(Error::invalid(
                    "fullSoftmax",
                    format!("full softmax replaces negative sampling; set negative to 0 (got {})", self.negative),
                ));
            }
        } else if !self.hs && self.negative == 0 {
            return Err(Error::invalid(
                "negative",
                "negative is 0 and hs is false: nothing would be trained; set negative > 0, hs true or fullSoftmax true",
            ));
        }
        if let Some(a) = self.alpha {
            if !a.is_finite() || a <= 0.0 {
                return Err(Error::invalid("alpha", format!("expected a finite number > 0, got {a}")));
            }
        }
        if !(0.0..=1.0).contains(&self.min_alpha_ratio) {
            return Err(Error::invalid("minAlphaRatio", format!("expected a number in [0, 1], got {}", self.min_alpha_ratio)));
        }
        if self.iter == 0 || self.iter > 1_000_000 {
            return Err(Error::invalid("iter", format!("expected an integer in 1..=1000000, got {}", self.iter)));
        }
        if self.threads > 1024 {
            return Err(Error::invalid("threads", format!("expected an integer in 0..=1024 (0 = all), got {}", self.threads)));
        }
        if self.batch_size > 4 * MAX_SENTENCE_LENGTH {
            return Err(Error::invalid(
                "batchSize",
                format!("expected an integer in 0..={} (0 = 2·window+1), got {}", 4 * MAX_SENTENCE_LENGTH, self.batch_size),
            ));
        }
        if self.method == Method::Batched && !self.batched_applies() {
            return Err(Error::invalid(
                "method",
                "'batched' needs negative sampling alone (negative > 0, hs false, fullSoftmax false); use 'hogwild' or 'auto'",
            ));
        }
        Ok(())
    }

    /// Checks the vocabulary (its `len`, `</s>` included) against the options:
    /// - at least one word besides `</s>` (else the corpus is empty or `minCount` too high);
    /// - "vocabulary smaller than the window": fewer words besides `</s>` than `window + 1`, i.e.
    ///   not even a center word plus one full side of its window can be distinct words. Such a
    ///   model only learns that every word co-occurs with every other; lower `window` (or
    ///   `minCount`);
    /// - full softmax: at most [`FULL_SOFTMAX_MAX_VOCAB`] words.
    pub fn validate_vocab(&self, vocab_len: usize) -> Result<()> {
        let words = vocab_len.saturating_sub(1);
        if words == 0 {
            return Err(Error::invalid("corpus", "the vocabulary has no word besides </s>: the corpus is empty or no word occurs minCount times"));
        }
        if words < self.window + 1 {
            return Err(Error::invalid(
                "window",
                format!(
                    "the vocabulary ({words} words besides </s>) is smaller than the window: need at least window + 1 = {} words; lower window or minCount",
                    self.window + 1
                ),
            ));
        }
        if self.full_softmax && vocab_len > FULL_SOFTMAX_MAX_VOCAB {
            return Err(Error::invalid(
                "fullSoftmax",
                format!("full softmax is for vocabularies of at most {FULL_SOFTMAX_MAX_VOCAB} words, got {vocab_len}; use negative sampling or hs"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg_of(e: Error) -> String {
        match e {
            Error::InvalidArgument { arg, .. } => arg,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_c_tools() {
        let c = Word2VecConfig::default();
        assert_eq!((c.dim, c.window, c.negative, c.hs, c.iter, c.seed), (100, 5, 5, false, 5, 1));
        assert_eq!(c.architecture, Architecture::Cbow);
        assert_eq!(c.start_alpha(), 0.05);
        let sg = Word2VecConfig { architecture: Architecture::SkipGram, ..c.clone() };
        assert_eq!(sg.start_alpha(), 0.025);
        assert_eq!(c.batch_rows(), 11);
        assert_eq!(c.resolved_method(), Method::Hogwild);
        assert_eq!(sg.resolved_method(), Method::Batched);
        assert_eq!(Word2VecConfig { hs: true, ..sg.clone() }.resolved_method(), Method::Hogwild);
        c.validate().unwrap();
    }

    #[test]
    fn every_bad_option_names_itself() {
        let d = Word2VecConfig::default();
        let cases: Vec<(Word2VecConfig, &str)> = vec![
            (Word2VecConfig { dim: 0, ..d.clone() }, "size"),
            (Word2VecConfig { window: 0, ..d.clone() }, "window"),
            (Word2VecConfig { sample: -1.0, ..d.clone() }, "sample"),
            (Word2VecConfig { sample: f64::NAN, ..d.clone() }, "sample"),
            (Word2VecConfig { negative: 0, hs: false, ..d.clone() }, "negative"),
            (Word2VecConfig { full_softmax: true, ..d.clone() }, "fullSoftmax"),
            (Word2VecConfig { full_softmax: true, negative: 0, hs: true, ..d.clone() }, "fullSoftmax"),
            (Word2VecConfig { alpha: Some(0.0), ..d.clone() }, "alpha"),
            (Word2VecConfig { alpha: Some(f32::NAN), ..d.clone() }, "alpha"),
            (Word2VecConfig { min_alpha_ratio: 2.0, ..d.clone() }, "minAlphaRatio"),
            (Word2VecConfig { iter: 0, ..d.clone() }, "iter"),
            (Word2VecConfig { threads: 5000, ..d.clone() }, "threads"),
            (Word2VecConfig { method: Method::Batched, hs: true, ..d.clone() }, "method"),
        ];
        for (cfg, name) in cases {
            assert_eq!(arg_of(cfg.validate().unwrap_err()), name);
        }
        assert_eq!(arg_of(Method::from_name("fast").unwrap_err()), "method");
    }

    #[test]
    fn vocabulary_checks() {
        let d = Word2VecConfig::default();
        assert_eq!(arg_of(d.validate_vocab(1).unwrap_err()), "corpus");
        assert_eq!(arg_of(d.validate_vocab(6).unwrap_err()), "window");
        d.validate_vocab(7).unwrap();
        let fs = Word2VecConfig { full_softmax: true, negative: 0, ..d };
        fs.validate().unwrap();
        assert_eq!(arg_of(fs.validate_vocab(FULL_SOFTMAX_MAX_VOCAB + 1).unwrap_err()), "fullSoftmax");
    }
}
