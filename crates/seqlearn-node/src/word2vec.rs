//! `Word2VecTrainer`: the native class behind the TypeScript `trainWord2Vec`. It validates the
//! options once (constructor), then `trainAsync` counts the vocabulary (unless one is given),
//! reads the corpus and trains on a worker thread, resolving to `KeyedVectors`. TypeScript polls
//! `progress()` on a timer and calls `abort()` for an `AbortSignal`; no callback crosses threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::embeddings::keyed_vectors as core_kv;
use seqlearn_core::embeddings::progress::{JobProgress, Phase};
use seqlearn_core::embeddings::vocab::{Vocab, VocabOptions};
use seqlearn_core::embeddings::word2vec::config::{MAX_DIM, MAX_NEGATIVE, MAX_SENTENCE_LENGTH};
use seqlearn_core::embeddings::word2vec::{train_file, train_text, Architecture, Method, TrainStats, Word2VecConfig};

use crate::convert::{to_usize, MAX_SAFE_INTEGER};
use crate::error::{guard, invalid, to_js};
use crate::keyed_vectors::KeyedVectors;
use crate::vocab::{vocab_options, CorpusData, CorpusSource, CorpusVocab, JobProgressInfo, VocabBuildOptions};

/// Options of `new Word2VecTrainer(options)`: the C tool's flags in camelCase, with its defaults.
#[napi(object)]
pub struct Word2VecOptions {
    /// Vector dimension (`-size`, default 100).
    pub size: Option<f64>,
    /// Maximum context distance (`-window`, default 5).
    pub window: Option<f64>,
    /// Subsampling threshold (`-sample`, default 1e-3; 0 = off).
    pub sample: Option<f64>,
    /// Hierarchical softmax (`-hs`, default false).
    pub hs: Option<bool>,
    /// Negative samples (`-negative`, default 5, or 0 when `fullSoftmax` is set; 0 = off).
    pub negative: Option<f64>,
    /// CBOW (true, default) or skip-gram (false) (`-cbow`).
    pub cbow: Option<bool>,
    /// CBOW: mean (true, default) or sum of the context vectors.
    pub cbow_mean: Option<bool>,
    /// Starting learning rate (`-alpha`; default 0.05 for CBOW, 0.025 for skip-gram).
    pub alpha: Option<f64>,
    /// Final learning rate as a fraction of `alpha` (default 1e-4).
    pub min_alpha_ratio: Option<f64>,
    /// Epochs (`-iter`, default 5).
    pub iter: Option<f64>,
    /// Minimum count of a word (`-min-count`, default 5); ignored when a vocabulary is given.
    pub min_count: Option<f64>,
    /// Largest vocabulary, `</s>` included (default: no limit); ignored when a vocabulary is given.
    pub max_vocab: Option<f64>,
    /// Corpus shards / worker threads (`-threads`; default 0 = the pool size).
    pub threads: Option<f64>,
    /// Seed of the initialisation and the samplers (default 1).
    pub seed: Option<f64>,
    /// Same vectors for the same seed, on one worker (default false).
    pub deterministic: Option<bool>,
    /// Full softmax over the vocabulary (small vocabularies only; default false).
    pub full_softmax: Option<bool>,
    /// `'auto'` (default), `'hogwild'` or `'batched'`.
    pub method: Option<String>,
    /// Batched method: skip-gram context rows per update (default 0 = 2·window + 1); CBOW center words sharing one noise set (default 0 = 4).
    pub batch_size: Option<f64>,
    /// Re-read a corpus file every epoch instead of holding it in memory (default false).
    pub stream: Option<bool>,
}

/// What a finished run did.
#[napi(object, object_from_js = false)]
pub struct Word2VecStats {
    /// Words processed over all epochs (the C tool's count: in-vocabulary words and line ends).
    pub words: f64,
    /// Seconds of training (excludes counting and reading the corpus).
    pub seconds: f64,
    /// `words / seconds`.
    pub words_per_second: f64,
    /// Workers that ran concurrently.
    pub threads: u32,
    /// Corpus shards.
    pub shards: u32,
    /// `'hogwild'` or `'batched'`.
    pub method: String,
    /// Epochs.
    pub epochs: u32,
    /// Bytes of the in-memory corpus (0 when streamed).
    pub corpus_bytes: f64,
    /// Bytes of the weight tables.
    pub weights_bytes: f64,
    /// Vocabulary size (`</s>` included).
    pub vocab_size: u32,
}

fn stats_js(s: &TrainStats, vocab_size: usize) -> Word2VecStats {
    Word2VecStats {
        words: s.words as f64,
        seconds: s.seconds,
        words_per_second: if s.seconds > 0.0 { s.words as f64 / s.seconds } else { 0.0 },
        threads: s.threads as u32,
        shards: s.shards as u32,
        method: s.method.name().to_string(),
        epochs: s.epochs as u32,
        corpus_bytes: s.corpus_bytes as f64,
        weights_bytes: s.weights_bytes as f64,
        vocab_size: vocab_size as u32,
    }
}

/// A finite number `v` with `v >= min` (or `v > min` when `!min_inclusive`) and `v <= max`.
fn real(arg: &str, v: f64, min: f64, max: f64, min_inclusive: bool) -> napi::Result<f64> {
    let low_ok = if min_inclusive { v >= min } else { v > min };
    if !v.is_finite() || !low_ok || v > max {
        let what = match (min_inclusive, max.is_finite() && max < f32::MAX as f64) {
            (true, true) => format!("a number in [{min}, {max}]"),
            (false, true) => format!("a number in ({min}, {max}]"),
            (true, false) => format!("a finite number >= {min}"),
            (false, false) => format!("a finite number > {min}"),
        };
        return Err(invalid(arg, format!("expected {what}, got {v}")));
    }
    Ok(v)
}

/// Converts and validates the options (ranges per option, then the combinations in the core).
fn config_of(o: &Word2VecOptions) -> napi::Result<(Word2VecConfig, VocabOptions)> {
    let d = Word2VecConfig::default();
    let full_softmax = o.full_softmax.unwrap_or(false);
    let negative_default = if full_softmax { 0 } else { d.negative };
    let cfg = Word2VecConfig {
        dim: o.size.map(|v| to_usize("size", v, 1, MAX_DIM)).transpose()?.unwrap_or(d.dim),
        window: o.window.map(|v| to_usize("window", v, 1, MAX_SENTENCE_LENGTH - 1)).transpose()?.unwrap_or(d.window),
        sample: o.sample.map(|v| real("sample", v, 0.0, f64::MAX, true)).transpose()?.unwrap_or(d.sample),
        hs: o.hs.unwrap_or(d.hs),
        negative: o.negative.map(|v| to_usize("negative", v, 0, MAX_NEGATIVE)).transpose()?.unwrap_or(negative_default),
        architecture: if o.cbow.unwrap_or(true) { Architecture::Cbow } else { Architecture::SkipGram },
        cbow_mean: o.cbow_mean.unwrap_or(d.cbow_mean),
        alpha: o.alpha.map(|v| real("alpha", v, 0.0, f32::MAX as f64, false).map(|a| a as f32)).transpose()?,
        min_alpha_ratio: o.min_alpha_ratio.map(|v| real("minAlphaRatio", v, 0.0, 1.0, true)).transpose()?.map_or(d.min_alpha_ratio, |v| v as f32),
        iter: o.iter.map(|v| to_usize("iter", v, 1, 1_000_000)).transpose()?.unwrap_or(d.iter),
        threads: o.threads.map(|v| to_usize("threads", v, 0, 1024)).transpose()?.unwrap_or(d.threads),
        seed: o.seed.map(|v| to_usize("seed", v, 0, MAX_SAFE_INTEGER)).transpose()?.map_or(d.seed, |v| v as u64),
        deterministic: o.deterministic.unwrap_or(d.deterministic),
        full_softmax,
        method: o.method.as_deref().map(Method::from_name).transpose().map_err(to_js)?.unwrap_or(d.method),
        batch_size: o.batch_size.map(|v| to_usize("batchSize", v, 0, 4 * MAX_SENTENCE_LENGTH)).transpose()?.unwrap_or(d.batch_size),
        stream: o.stream.unwrap_or(d.stream),
    };
    cfg.validate().map_err(to_js)?;
    let vocab = vocab_options(Some(&VocabBuildOptions { min_count: o.min_count, max_vocab: o.max_vocab }))?;
    Ok((cfg, vocab))
}

/// The last finished run's results.
#[derive(Default)]
struct Outcome {
    vocab: Option<Arc<Vocab>>,
    stats: Option<TrainStats>,
}

/// Clears the trainer's busy flag when the task ends, however it ends.
struct RunningFlag(Arc<AtomicBool>);

impl Drop for RunningFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A word2vec trainer: options validated at construction; one `trainAsync` at a time.
#[napi]
pub struct Word2VecTrainer {
    cfg: Word2VecConfig,
    vocab_options: VocabOptions,
    progress: Arc<Mutex<Arc<JobProgress>>>,
    running: Arc<AtomicBool>,
    outcome: Arc<Mutex<Outcome>>,
}

/// The async training job.
pub struct TrainTask {
    source: CorpusData,
    vocab: Option<Arc<Vocab>>,
    vocab_options: VocabOptions,
    cfg: Word2VecConfig,
    progress: Arc<JobProgress>,
    outcome: Arc<Mutex<Outcome>>,
    _running: RunningFlag,
}

impl TrainTask {
    fn run(&mut self) -> seqlearn_core::Result<core_kv::KeyedVectors> {
        let p = &*self.progress;
        let vocab = match &self.vocab {
            Some(v) => v.clone(),
            None => Arc::new(self.source.vocab(&self.vocab_options, Some(p))?),
        };
        let model = match &self.source {
            CorpusData::Path(path) => train_file(path, vocab.clone(), &self.cfg, p)?,
            CorpusData::Text(text) => train_text(text.as_bytes(), vocab.clone(), &self.cfg, p)?,
        };
        let words = vocab.words().to_vec();
        let kv = core_kv::KeyedVectors::new(words, model.dim, model.syn0)?;
        let mut out = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        out.vocab = Some(vocab);
        out.stats = Some(model.stats);
        Ok(kv)
    }
}

impl Task for TrainTask {
    type Output = core_kv::KeyedVectors;
    type JsValue = KeyedVectors;

    fn compute(&mut self) -> napi::Result<core_kv::KeyedVectors> {
        let result = guard("Word2VecTrainer.trainAsync", || self.run().map_err(to_js));
        let s = self.progress.snapshot();
        self.progress.start_phase(Phase::Done, s.total);
        self.progress.set_done(s.done);
        result
    }

    fn resolve(&mut self, _env: Env, kv: core_kv::KeyedVectors) -> napi::Result<KeyedVectors> {
        Ok(KeyedVectors::from_core(kv))
    }
}

#[napi]
impl Word2VecTrainer {
    /// Validates `options` (errors name the option).
    #[napi(constructor)]
    pub fn new(options: Option<Word2VecOptions>) -> napi::Result<Self> {
        let options = options.unwrap_or(Word2VecOptions {
            size: None,
            window: None,
            sample: None,
            hs: None,
            negative: None,
            cbow: None,
            cbow_mean: None,
            alpha: None,
            min_alpha_ratio: None,
            iter: None,
            min_count: None,
            max_vocab: None,
            threads: None,
            seed: None,
            deterministic: None,
            full_softmax: None,
            method: None,
            batch_size: None,
            stream: None,
        });
        let (cfg, vocab_options) = config_of(&options)?;
        Ok(Word2VecTrainer {
            cfg,
            vocab_options,
            progress: Arc::new(Mutex::new(Arc::new(JobProgress::new()))),
            running: Arc::new(AtomicBool::new(false)),
            outcome: Arc::new(Mutex::new(Outcome::default())),
        })
    }

    /// Trains on `source` on a worker thread: counts its vocabulary (unless `vocab` is given),
    /// reads it into memory (unless `stream`), trains, and resolves to the input vectors, one per
    /// vocabulary word (`</s>` first, as the C tool writes them).
    #[napi(ts_return_type = "Promise<KeyedVectors>")]
    pub fn train_async(&self, source: CorpusSource, vocab: Option<&CorpusVocab>) -> napi::Result<AsyncTask<TrainTask>> {
        let source = source.resolve()?;
        let vocab = vocab.map(CorpusVocab::core);
        if let Some(v) = &vocab {
            self.cfg.validate_vocab(v.len()).map_err(to_js)?;
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "[ERR_SEQLEARN_BUSY] this Word2VecTrainer is already training; await trainAsync before calling it again",
            ));
        }
        let running = RunningFlag(self.running.clone());
        let progress = Arc::new(JobProgress::new());
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = progress.clone();
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Outcome::default();
        Ok(AsyncTask::new(TrainTask {
            source,
            vocab,
            vocab_options: self.vocab_options.clone(),
            cfg: self.cfg.clone(),
            progress,
            outcome: self.outcome.clone(),
            _running: running,
        }))
    }

    /// The current run's counters: phase (`'vocab'`, `'reading'` in bytes; `'training'` in
    /// words; `'done'`), epoch and learning rate. Cheap (atomic loads).
    #[napi]
    pub fn progress(&self) -> JobProgressInfo {
        JobProgressInfo::from(self.progress.lock().unwrap_or_else(|e| e.into_inner()).snapshot())
    }

    /// Asks the running job to stop; `trainAsync` then rejects with an error on argument `signal`.
    #[napi]
    pub fn abort(&self) {
        self.progress.lock().unwrap_or_else(|e| e.into_inner()).request_abort();
    }

    /// Whether a `trainAsync` is running.
    #[napi(getter)]
    pub fn busy(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// The vocabulary of the last successful run (null before).
    #[napi]
    pub fn vocab(&self) -> Option<CorpusVocab> {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner()).vocab.clone().map(CorpusVocab::from_core)
    }

    /// What the last successful run did (null before).
    #[napi]
    pub fn stats(&self) -> Option<Word2VecStats> {
        let out = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let size = out.vocab.as_ref().map_or(0, |v| v.len());
        out.stats.as_ref().map(|s| stats_js(s, size))
    }

    /// The resolved method for these options (`'hogwild'` or `'batched'`).
    #[napi(getter)]
    pub fn method(&self) -> String {
        self.cfg.resolved_method().name().to_string()
    }
}
