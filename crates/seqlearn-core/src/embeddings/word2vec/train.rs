//! The training driver: shards, epochs, sentences, subsampling, the learning-rate schedule,
//! progress and cancellation, over the one rayon pool ([`crate::parallel`]).
//!
//! As the C tool's `TrainModel`/`TrainModelThread`:
//! - The corpus is split into `threads` shards ([`Corpus::shard`]); each shard is read
//!   start-to-end once per epoch by one worker, which updates the shared tables without locks.
//! - A sentence is up to [`MAX_SENTENCE_LENGTH`] words that survive subsampling, ending early at
//!   a line end (the C tool fills `sen[]` the same way); out-of-vocabulary words were dropped
//!   by the corpus reader, subsampled words are dropped before windows are formed.
//! - Every shard counts the words it reads (in-vocabulary words plus line ends, the C tool's
//!   `word_count`) and, when it has read more than 10,000 since its last report, adds them to the
//!   shared counter and recomputes its rate:
//!   `α = α₀ · (1 − done / (iter · words_per_epoch + 1))`, floored at `α₀ · min_alpha_ratio`
//!   ([`alpha_at`]). Progress, the reported rate and the abort check happen at the same moments.
//! - Weights: `syn0` from the C tool's initialisation with `seed`, output tables zero
//!   ([`SharedWeights::new`]).
//!
//! Workers: `min(threads, pool size)` run concurrently (`threads = 0` → the pool size); a
//! worker with several shards (when `threads` exceeds the pool) interleaves them sentence by
//! sentence. Every shard has its own generator, seeded from `seed` and the shard index.
//! `deterministic: true` runs all shards on ONE worker in a fixed round-robin order of
//! sentences, so a given seed and `threads` give bit-identical vectors however the pool is
//! scheduled, on a given machine (the kernels use fused multiply-add where the CPU has it, so
//! another instruction set may round differently). It gives up parallelism, as gensim's advice
//! (`workers=1`) does.
//!
//! Cancellation: [`JobProgress::request_abort`] makes every worker stop at its next report
//! (within ~10,000 words) and [`train`] returns an error on argument `signal` saying training
//! was aborted; nothing partial is returned.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::batched::{self, BatchedScratch};
use super::config::{Architecture, Method, Word2VecConfig, MAX_SENTENCE_LENGTH};
use super::hogwild::{self, HogwildScratch, Objectives};
use super::weights::{SharedWeights, Table};
use crate::embeddings::corpus::{Corpus, FileCorpus, MemoryCorpus, ShardReader};
use crate::embeddings::progress::{JobProgress, Phase};
use crate::embeddings::sampling::{HuffmanTree, Lcg, NoiseSampler, Subsampler};
use crate::embeddings::vocab::Vocab;
use crate::error::{Error, Result};
use crate::parallel;

/// Words a shard reads between two reports to the shared counter (the C tool's 10,000).
pub const REPORT_WORDS: u64 = 10_000;

/// Exponent of the noise distribution (the C tool's 0.75).
pub const NOISE_POWER: f64 = 0.75;

/// What a training run did.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainStats {
    /// Words processed over all epochs, as the C tool counts them (in-vocabulary words plus line
    /// ends, before subsampling).
    pub words: u64,
    /// Seconds spent training (after the tables were built; excludes reading the corpus).
    pub seconds: f64,
    /// Workers that ran concurrently.
    pub threads: usize,
    /// Corpus shards (the `threads` option, or the pool size when it is 0).
    pub shards: usize,
    /// The method used (never `Auto`).
    pub method: Method,
    /// Epochs run.
    pub epochs: usize,
    /// Bytes of the in-memory corpus (0 when streamed from the file or given by the caller).
    pub corpus_bytes: u64,
    /// Bytes of the weight tables (with row padding).
    pub weights_bytes: u64,
}

/// A trained model: the vocabulary, the input vectors (the embeddings) and the output tables.
#[derive(Clone, Debug)]
pub struct Word2VecModel {
    /// The vocabulary (row `i` of every per-word table is word `i`; `</s>` is row 0, as the C
    /// tool writes it).
    pub vocab: Arc<Vocab>,
    /// Vector dimension.
    pub dim: usize,
    /// Input vectors, row-major `[vocab.len(), dim]`, no padding.
    pub syn0: Vec<f32>,
    /// Output vectors `[vocab.len(), dim]` (negative sampling or full softmax), if any.
    pub syn1neg: Option<Vec<f32>>,
    /// Hierarchical-softmax vectors `[vocab.len() − 1, dim]` (one per Huffman inner node), if any.
    pub syn1: Option<Vec<f32>>,
    /// What the run did.
    pub stats: TrainStats,
}

/// The C tool's learning rate after `done` of `total` words: `start · (1 − done / (total + 1))`
/// in f32 arithmetic, floored at `start · min_ratio`.
pub fn alpha_at(start: f32, min_ratio: f32, done: u64, total: u64) -> f32 {
    let a = start * (1.0 - done as f32 / (total as f32 + 1.0));
    a.max(start * min_ratio)
}

/// The generator seed of shard `index` (splitmix64 of the run seed and the index, so shards
/// and seeds give decorrelated streams).
pub fn shard_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The error returned when training is aborted.
pub fn aborted_error() -> Error {
    Error::invalid("signal", "training was aborted")
}

/// Trains word2vec on `corpus` (whose ids are `vocab`'s) with `cfg`, reporting to `progress`
/// ([`Phase::Training`] in words; `total` = `iter · words_per_epoch`). See the module docs.
pub fn train(corpus: &dyn Corpus, vocab: Arc<Vocab>, cfg: &Word2VecConfig, progress: &JobProgress) -> Result<Word2VecModel> {
    train_impl(corpus, vocab, cfg, progress, 0)
}

/// Trains on the text file at `path`: encoded once into memory as word ids (a
/// [`MemoryCorpus`], 4 bytes per in-vocabulary word; progress [`Phase::Reading`] in bytes), or,
/// with `cfg.stream`, re-read from the file every epoch (a [`FileCorpus`]). The options are
/// validated before the file is read.
pub fn train_file(path: &Path, vocab: Arc<Vocab>, cfg: &Word2VecConfig, progress: &JobProgress) -> Result<Word2VecModel> {
    cfg.validate()?;
    cfg.validate_vocab(vocab.len())?;
    if cfg.stream {
        let corpus = FileCorpus::new(path, vocab.clone())?;
        train_impl(&corpus, vocab, cfg, progress, 0)
    } else {
        let corpus = MemoryCorpus::from_file(path, &vocab, Some(progress))?;
        check_has_words(&corpus)?;
        let bytes = corpus.len() as u64 * 4;
        train_impl(&corpus, vocab, cfg, progress, bytes)
    }
}

/// Trains on text held in memory (encoded once into a [`MemoryCorpus`]).
pub fn train_text(text: &[u8], vocab: Arc<Vocab>, cfg: &Word2VecConfig, progress: &JobProgress) -> Result<Word2VecModel> {
    cfg.validate()?;
    cfg.validate_vocab(vocab.len())?;
    let corpus = MemoryCorpus::from_reader(text, &vocab)?;
    check_has_words(&corpus)?;
    let bytes = corpus.len() as u64 * 4;
    train_impl(&corpus, vocab, cfg, progress, bytes)
}

/// An in-memory corpus must hold at least one vocabulary word besides line ends.
fn check_has_words(corpus: &MemoryCorpus) -> Result<()> {
    if corpus.ids().iter().all(|&id| id == 0) {
        return Err(Error::invalid("corpus", "the corpus holds no word of the vocabulary (it is empty or has only line ends)"));
    }
    Ok(())
}

/// State shared by all workers of a run.
struct Run<'a> {
    corpus: &'a dyn Corpus,
    cfg: &'a Word2VecConfig,
    method: Method,
    weights: &'a SharedWeights,
    objectives: Objectives<'a>,
    noise: Option<&'a NoiseSampler>,
    subsampler: &'a Subsampler,
    shards: usize,
    iter: usize,
    words_per_epoch: u64,
    total: u64,
    start_alpha: f32,
    words_done: AtomicU64,
    stop: AtomicBool,
    error: Mutex<Option<Error>>,
    progress: &'a JobProgress,
}

impl Run<'_> {
    /// Adds a shard's newly read words to the shared count; returns the shard's new rate.
    fn report(&self, delta: u64) -> f32 {
        let done = self.words_done.fetch_add(delta, Ordering::Relaxed) + delta;
        self.progress.advance(delta);
        let alpha = alpha_at(self.start_alpha, self.cfg.min_alpha_ratio, done, self.total);
        self.progress.set_alpha(alpha);
        let epoch = (done / self.words_per_epoch.max(1) + 1).min(self.iter as u64);
        self.progress.set_epoch(epoch as u32, self.iter as u32);
        alpha
    }

    fn fail(&self, e: Error) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        self.stop.store(true, Ordering::Relaxed);
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.progress.aborted()
    }
}

/// Per-worker update buffers.
enum Scratch {
    Hogwild(Box<HogwildScratch>),
    Batched(Box<BatchedScratch>),
}

/// One shard's reading position, generator and counters.
struct Shard<'c> {
    index: usize,
    reader: Option<Box<dyn ShardReader + 'c>>,
    rng: Lcg,
    epochs_done: usize,
    word_count: u64,
    last_word_count: u64,
    alpha: f32,
    raw: Vec<u32>,
    sentence: Vec<u32>,
    finished: bool,
}

impl<'c> Shard<'c> {
    fn new(run: &Run<'c>, index: usize) -> Result<Self> {
        Ok(Shard {
            index,
            reader: Some(run.corpus.shard(index, run.shards)?),
            rng: Lcg::new(shard_seed(run.cfg.seed, index)),
            epochs_done: 0,
            word_count: 0,
            last_word_count: 0,
            alpha: run.start_alpha,
            raw: Vec::with_capacity(MAX_SENTENCE_LENGTH),
            sentence: Vec::with_capacity(MAX_SENTENCE_LENGTH),
            finished: false,
        })
    }

    /// Fills `self.sentence` with up to MAX_SENTENCE_LENGTH kept words, ending at a line end.
    /// Returns false when the shard had nothing left this epoch.
    fn fill_sentence(&mut self, run: &Run<'_>) -> Result<bool> {
        self.sentence.clear();
        let Some(reader) = self.reader.as_mut() else { return Ok(false) };
        let mut read_any = false;
        loop {
            let want = MAX_SENTENCE_LENGTH - self.sentence.len();
            match reader.next_sentence(&mut self.raw, want)? {
                None => {
                    self.reader = None;
                    return Ok(read_any);
                }
                Some(n) => {
                    read_any = true;
                    self.word_count += n;
                    if run.subsampler.is_identity() {
                        self.sentence.extend_from_slice(&self.raw);
                    } else {
                        for &id in &self.raw {
                            if run.subsampler.keep(id, self.rng.next()) {
                                self.sentence.push(id);
                            }
                        }
                    }
                    // A chunk shorter than asked ended at a line end: the sentence is complete.
                    if self.raw.len() < want || self.sentence.len() >= MAX_SENTENCE_LENGTH {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// Processes one sentence (or an epoch boundary). Returns false when the shard is done.
    fn step(&mut self, run: &Run<'c>, scratch: &mut Scratch) -> Result<bool> {
        if self.word_count - self.last_word_count > REPORT_WORDS {
            self.alpha = run.report(self.word_count - self.last_word_count);
            self.last_word_count = self.word_count;
            if run.should_stop() {
                return Ok(false);
            }
        }
        if !self.fill_sentence(run)? {
            // End of this epoch's pass over the shard.
            self.alpha = run.report(self.word_count - self.last_word_count);
            self.epochs_done += 1;
            self.word_count = 0;
            self.last_word_count = 0;
            if self.epochs_done >= run.iter || run.should_stop() {
                return Ok(false);
            }
            self.reader = Some(run.corpus.shard(self.index, run.shards)?);
            return Ok(true);
        }
        if self.sentence.is_empty() {
            return Ok(true);
        }
        match scratch {
            Scratch::Hogwild(s) => hogwild::train_sentence(run.weights, &run.objectives, &self.sentence, self.alpha, &mut self.rng, s),
            Scratch::Batched(s) => {
                let noise = run.noise.expect("the batched method needs negative sampling");
                batched::train_sentence_batched(run.weights, &self.sentence, run.cfg, noise, self.alpha, &mut self.rng, s)
            }
        }
        Ok(true)
    }
}

/// Runs shards `first, first + step, …` interleaved sentence by sentence until all are done.
fn run_worker(run: &Run<'_>, first: usize, step: usize) {
    let result = (|| -> Result<()> {
        let mut shards = Vec::new();
        let mut i = first;
        while i < run.shards {
            shards.push(Shard::new(run, i)?);
            i += step;
        }
        let mut scratch = match run.method {
            Method::Batched => Scratch::Batched(Box::new(batched::new_scratch(run.cfg, run.weights.stride()))),
            _ => Scratch::Hogwild(Box::new(HogwildScratch::new(run.weights.stride(), run.cfg.negative, run.weights.words(), run.cfg.full_softmax))),
        };
        let mut active = shards.len();
        while active > 0 {
            for shard in shards.iter_mut().filter(|s| !s.finished) {
                if !shard.step(run, &mut scratch)? {
                    shard.finished = true;
                    active -= 1;
                }
            }
            if run.should_stop() {
                return Ok(());
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        run.fail(e);
    }
}

fn train_impl(corpus: &dyn Corpus, vocab: Arc<Vocab>, cfg: &Word2VecConfig, progress: &JobProgress, corpus_bytes: u64) -> Result<Word2VecModel> {
    cfg.validate()?;
    cfg.validate_vocab(vocab.len())?;
    let words_per_epoch = corpus.words_per_epoch();
    if words_per_epoch == 0 {
        return Err(Error::invalid("corpus", "the corpus holds no word of the vocabulary"));
    }
    let method = cfg.resolved_method();
    let pool = parallel::num_threads();
    let shards = if cfg.threads == 0 { pool } else { cfg.threads };
    let workers = if cfg.deterministic { 1 } else { shards.min(pool).max(1) };

    let noise = if cfg.negative > 0 { Some(NoiseSampler::new(vocab.counts(), NOISE_POWER)?) } else { None };
    let tree = if cfg.hs { Some(HuffmanTree::new(vocab.counts())) } else { None };
    let subsampler = Subsampler::new(&vocab, cfg.sample);
    let sigmoid = hogwild::sigmoid_table();
    let inner = tree.as_ref().map_or(0, |t| t.inner_nodes());
    let mut weights = SharedWeights::new(vocab.len(), cfg.dim, cfg.negative > 0 || cfg.full_softmax, inner, cfg.seed)?;

    let total = words_per_epoch.saturating_mul(cfg.iter as u64);
    let start_alpha = cfg.start_alpha();
    progress.start_phase(Phase::Training, total);
    progress.set_epoch(1, cfg.iter as u32);
    progress.set_alpha(start_alpha);

    let started = Instant::now();
    let (words, error) = {
        let run = Run {
            corpus,
            cfg,
            method,
            weights: &weights,
            objectives: Objectives {
                noise: noise.as_ref(),
                negative: cfg.negative,
                tree: tree.as_ref(),
                full_softmax: cfg.full_softmax,
                window: cfg.window,
                cbow: cfg.architecture == Architecture::Cbow,
                cbow_mean: cfg.cbow_mean,
                sigmoid: &sigmoid,
            },
            noise: noise.as_ref(),
            subsampler: &subsampler,
            shards,
            iter: cfg.iter,
            words_per_epoch,
            total,
            start_alpha,
            words_done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
            progress,
        };
        if progress.aborted() {
            return Err(aborted_error());
        }
        parallel::install(|| {
            if workers == 1 {
                run_worker(&run, 0, 1);
            } else {
                rayon::scope(|s| {
                    for k in 0..workers {
                        let run = &run;
                        s.spawn(move |_| run_worker(run, k, workers));
                    }
                });
            }
        });
        let error = run.error.lock().unwrap_or_else(|p| p.into_inner()).take();
        (run.words_done.load(Ordering::Relaxed), error)
    };
    let seconds = started.elapsed().as_secs_f64();
    if let Some(e) = error {
        return Err(e);
    }
    if progress.aborted() {
        return Err(aborted_error());
    }
    let stats =
        TrainStats { words, seconds, threads: workers, shards, method, epochs: cfg.iter, corpus_bytes, weights_bytes: weights.bytes() as u64 };
    let syn0 = weights.export(Table::Syn0);
    let syn1neg = if weights.has_syn1neg() { Some(weights.export(Table::Syn1neg)) } else { None };
    let syn1 = if weights.has_syn1() { Some(weights.export(Table::Syn1)) } else { None };
    Ok(Word2VecModel { vocab, dim: cfg.dim, syn0, syn1neg, syn1, stats })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::vocab::VocabOptions;

    /// Sentences from a template grammar: `the S V a O with O2`, where the subject S is one of a
    /// synonym pair (`pK_a` / `pK_b`, chosen 50/50) and the verb and objects come from sets that
    /// belong to pair K alone. The two synonyms are interchangeable in identical contexts, so a
    /// trained model should make each one's nearest neighbour its partner.
    fn synonym_corpus(pairs: usize, sentences: usize, seed: u64) -> String {
        let mut rng = Lcg::new(seed);
        let mut pick = |n: usize| hogwild::below(rng.next(), n);
        let mut text = String::new();
        for _ in 0..sentences {
            let k = pick(pairs);
            let subject = if pick(2) == 0 { "a" } else { "b" };
            let (v, o1, o2) = (pick(3), pick(3), pick(3));
            text.push_str(&format!("the p{k}_{subject} v{k}_{v} a o{k}_{o1} with o{k}_{o2}\n"));
        }
        text
    }

    fn vocab_of(text: &str) -> Arc<Vocab> {
        Arc::new(Vocab::from_reader(text.as_bytes(), &VocabOptions { min_count: 1, max_vocab: None }, None).unwrap())
    }

    fn small_cfg(architecture: Architecture) -> Word2VecConfig {
        Word2VecConfig {
            dim: 24,
            window: 3,
            sample: 0.0,
            negative: 5,
            architecture,
            iter: 20,
            threads: 2,
            deterministic: true,
            method: Method::Hogwild,
            ..Word2VecConfig::default()
        }
    }

    fn nearest(model: &Word2VecModel, id: usize) -> usize {
        let d = model.dim;
        let row = |i: usize| &model.syn0[i * d..(i + 1) * d];
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let q = row(id);
        (1..model.vocab.len())
            .filter(|&j| j != id)
            .map(|j| (j, q.iter().zip(row(j)).map(|(a, b)| a * b).sum::<f32>() / (norm(q) * norm(row(j)))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
            .0
    }

    fn assert_synonyms_nearest(cfg: &Word2VecConfig) {
        let pairs = 6;
        let text = synonym_corpus(pairs, 3000, 11);
        let vocab = vocab_of(&text);
        let model = train_text(text.as_bytes(), vocab.clone(), cfg, &JobProgress::new()).unwrap();
        for k in 0..pairs {
            let (a, b) = (vocab.id(&format!("p{k}_a")).unwrap() as usize, vocab.id(&format!("p{k}_b")).unwrap() as usize);
            assert_eq!(vocab.word(nearest(&model, a) as u32), vocab.word(b as u32), "{cfg:?}: nearest of p{k}_a");
            assert_eq!(vocab.word(nearest(&model, b) as u32), vocab.word(a as u32), "{cfg:?}: nearest of p{k}_b");
        }
    }

    #[test]
    fn synonyms_become_nearest_neighbours_skip_gram() {
        assert_synonyms_nearest(&small_cfg(Architecture::SkipGram));
        assert_synonyms_nearest(&Word2VecConfig { hs: true, negative: 0, ..small_cfg(Architecture::SkipGram) });
    }

    #[test]
    fn synonyms_become_nearest_neighbours_cbow() {
        assert_synonyms_nearest(&small_cfg(Architecture::Cbow));
        assert_synonyms_nearest(&Word2VecConfig { hs: true, negative: 0, ..small_cfg(Architecture::Cbow) });
        assert_synonyms_nearest(&Word2VecConfig { cbow_mean: false, alpha: Some(0.01), ..small_cfg(Architecture::Cbow) });
    }

    #[test]
    fn synonyms_become_nearest_neighbours_full_softmax_and_parallel() {
        assert_synonyms_nearest(&Word2VecConfig { full_softmax: true, negative: 0, ..small_cfg(Architecture::SkipGram) });
        assert_synonyms_nearest(&Word2VecConfig { deterministic: false, ..small_cfg(Architecture::SkipGram) });
        assert_synonyms_nearest(&Word2VecConfig { sample: 1e-3, ..small_cfg(Architecture::Cbow) });
    }

    #[test]
    fn synonyms_become_nearest_neighbours_auto_method() {
        let cfg = Word2VecConfig { method: Method::Auto, ..small_cfg(Architecture::SkipGram) };
        assert_eq!(cfg.resolved_method(), Method::Batched);
        assert_synonyms_nearest(&cfg);
    }

    #[test]
    fn alpha_schedule_is_the_c_tools() {
        assert_eq!(alpha_at(0.025, 1e-4, 0, 100), 0.025);
        assert_eq!(alpha_at(0.025, 1e-4, 50, 100), 0.025 * (1.0 - 50.0 / 101.0));
        assert_eq!(alpha_at(0.025, 1e-4, 100, 100), 0.025 * (1.0 - 100.0 / 101.0));
        assert_eq!(alpha_at(0.025, 1e-4, 1_000_000, 1_000_000), 0.025 * 1e-4);
        assert_eq!(alpha_at(0.025, 1e-4, 2_000_000, 1_000_000), 0.025 * 1e-4);
        // A run ends at the floor and counts every word of every epoch.
        let text = synonym_corpus(6, 3000, 5);
        let vocab = vocab_of(&text);
        let progress = JobProgress::new();
        let cfg = small_cfg(Architecture::SkipGram);
        let model = train_text(text.as_bytes(), vocab, &cfg, &progress).unwrap();
        let snap = progress.snapshot();
        assert_eq!(snap.phase, Phase::Training);
        let per_epoch = 3000 * 8; // 7 words and one line end per sentence
        assert_eq!(model.stats.words, per_epoch * cfg.iter as u64);
        assert_eq!((snap.done, snap.total), (model.stats.words, model.stats.words));
        assert_eq!((snap.epoch, snap.epochs), (cfg.iter as u32, cfg.iter as u32));
        assert_eq!(snap.alpha, 0.025 * 1e-4);
        assert_eq!(model.stats.method, Method::Hogwild);
        assert_eq!(model.stats.corpus_bytes, per_epoch * 4);
    }

    #[test]
    fn deterministic_runs_are_bit_identical_and_depend_on_the_seed() {
        let text = synonym_corpus(6, 1500, 3);
        let vocab = vocab_of(&text);
        for cfg in [
            Word2VecConfig { threads: 3, sample: 1e-3, ..small_cfg(Architecture::SkipGram) },
            Word2VecConfig { threads: 3, hs: true, ..small_cfg(Architecture::Cbow) },
        ] {
            let run = |seed: u64| train_text(text.as_bytes(), vocab.clone(), &Word2VecConfig { seed, ..cfg.clone() }, &JobProgress::new()).unwrap();
            let (a, b, c) = (run(1), run(1), run(2));
            assert_eq!(a.stats.threads, 1);
            assert_eq!(a.stats.shards, 3);
            let bits = |m: &Word2VecModel| m.syn0.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
            assert_eq!(bits(&a), bits(&b));
            assert_eq!(a.syn1neg, b.syn1neg);
            assert_eq!(a.syn1, b.syn1);
            assert_ne!(bits(&a), bits(&c));
        }
    }

    #[test]
    fn streamed_and_in_memory_corpora_train_the_same() {
        let text = synonym_corpus(6, 800, 9);
        let vocab = vocab_of(&text);
        let path = std::env::temp_dir().join(format!("seqlearn-w2v-stream-{}.txt", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let cfg = Word2VecConfig { threads: 1, iter: 3, ..small_cfg(Architecture::SkipGram) };
        let mem = train_file(&path, vocab.clone(), &cfg, &JobProgress::new()).unwrap();
        let streamed = train_file(&path, vocab, &Word2VecConfig { stream: true, ..cfg }, &JobProgress::new()).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(mem.syn0, streamed.syn0);
        assert_eq!(mem.stats.words, streamed.stats.words);
        assert!(mem.stats.corpus_bytes > 0);
        assert_eq!(streamed.stats.corpus_bytes, 0);
    }

    #[test]
    fn abort_stops_training_with_an_error() {
        let text = synonym_corpus(6, 2000, 4);
        let vocab = vocab_of(&text);
        // Aborted before it starts.
        let progress = JobProgress::new();
        progress.request_abort();
        let e = train_text(text.as_bytes(), vocab.clone(), &small_cfg(Architecture::SkipGram), &progress).unwrap_err();
        assert!(e.to_string().contains("aborted"), "{e}");
        // Aborted while running (an hours-long job stops within a report interval).
        let progress = Arc::new(JobProgress::new());
        let cfg = Word2VecConfig { iter: 1_000_000, deterministic: false, ..small_cfg(Architecture::SkipGram) };
        let (p, v, t) = (progress.clone(), vocab.clone(), text.clone());
        let job = std::thread::spawn(move || train_text(t.as_bytes(), v, &cfg, &p));
        while progress.snapshot().done == 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        progress.request_abort();
        match job.join().unwrap() {
            Err(Error::InvalidArgument { arg, message }) => assert_eq!((arg.as_str(), message.as_str()), ("signal", "training was aborted")),
            other => panic!("expected the abort error, got {:?}", other.map(|m| m.stats)),
        }
    }

    #[test]
    fn bad_input_gives_named_errors() {
        let arg = |r: Result<Word2VecModel>| match r {
            Err(Error::InvalidArgument { arg, .. }) => arg,
            other => panic!("expected an InvalidArgument error, got {:?}", other.map(|m| m.stats)),
        };
        let text = "a b c\n";
        let vocab = vocab_of(text);
        let p = JobProgress::new();
        // 3 words besides </s> < window + 1 = 6
        assert_eq!(arg(train_text(text.as_bytes(), vocab.clone(), &Word2VecConfig::default(), &p)), "window");
        let cfg = Word2VecConfig { window: 2, ..Word2VecConfig::default() };
        train_text(text.as_bytes(), vocab.clone(), &cfg, &p).unwrap();
        // Empty corpus (only line ends) for a given vocabulary.
        assert_eq!(arg(train_text(b"\n\n", vocab.clone(), &cfg, &p)), "corpus");
        assert_eq!(arg(train_text(b"", vocab.clone(), &cfg, &p)), "corpus");
        // A vocabulary whose words never occur in the corpus given.
        assert_eq!(arg(train_text(b"x y z\n", vocab.clone(), &cfg, &p)), "corpus");
        // Bad options are reported before anything runs.
        assert_eq!(arg(train_text(text.as_bytes(), vocab, &Word2VecConfig { iter: 0, ..cfg }, &p)), "iter");
    }
}
