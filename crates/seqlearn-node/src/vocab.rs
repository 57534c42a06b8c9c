//! `CorpusVocab`: the native class behind the TypeScript `CorpusVocab` (a word2vec/GloVe
//! vocabulary counted from a file or a string on a worker thread), the `CorpusSource` argument
//! shared with the trainers, and `JobHandle`, the progress/abort handle of long embedding jobs
//! (TypeScript polls `progress()` on a timer and calls `abort()` from an `AbortSignal`).

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::embeddings::progress::{JobProgress, Phase, ProgressSnapshot};
use seqlearn_core::embeddings::vocab::{Vocab, VocabOptions};

use crate::convert::{to_usize, MAX_SAFE_INTEGER};
use crate::error::{guard, invalid, to_js};

/// Where a corpus comes from: exactly one of a file `path` or an in-memory `text` (tokens
/// separated by spaces/tabs, sentences by newlines).
#[napi(object)]
pub struct CorpusSource {
    /// A text file, read streamed.
    pub path: Option<String>,
    /// The corpus itself.
    pub text: Option<String>,
}

/// A validated [`CorpusSource`].
pub(crate) enum CorpusData {
    /// A file.
    Path(PathBuf),
    /// In-memory text.
    Text(String),
}

impl CorpusSource {
    /// Checks that exactly one of `path`/`text` is given (named `corpus` in errors).
    pub(crate) fn resolve(self) -> napi::Result<CorpusData> {
        match (self.path, self.text) {
            (Some(p), None) if !p.is_empty() => Ok(CorpusData::Path(PathBuf::from(p))),
            (Some(_), None) => Err(invalid("corpus", "expected a non-empty file path, got ''")),
            (None, Some(t)) => Ok(CorpusData::Text(t)),
            (Some(_), Some(_)) => Err(invalid("corpus", "expected { path } or { text }, got both")),
            (None, None) => Err(invalid("corpus", "expected { path } or { text }, got neither")),
        }
    }
}

impl CorpusData {
    /// Counts the vocabulary of this corpus (on the calling thread).
    pub(crate) fn vocab(&self, opts: &VocabOptions, progress: Option<&JobProgress>) -> seqlearn_core::Result<Vocab> {
        match self {
            CorpusData::Path(p) => Vocab::from_file(p, opts, progress),
            CorpusData::Text(t) => Vocab::from_reader(t.as_bytes(), opts, progress),
        }
    }
}

/// Options of `CorpusVocab.buildAsync` / `load`.
#[napi(object)]
pub struct VocabBuildOptions {
    /// Words seen fewer times are dropped (default 5; `</s>` is always kept).
    pub min_count: Option<f64>,
    /// At most this many entries, `</s>` included (default: no limit).
    pub max_vocab: Option<f64>,
}

/// Converts (and range-checks) vocabulary options; shared with the trainers.
pub(crate) fn vocab_options(o: Option<&VocabBuildOptions>) -> napi::Result<VocabOptions> {
    let d = VocabOptions::default();
    let Some(o) = o else { return Ok(d) };
    Ok(VocabOptions {
        min_count: o.min_count.map(|v| to_usize("minCount", v, 0, MAX_SAFE_INTEGER)).transpose()?.map_or(d.min_count, |v| v as u64),
        max_vocab: o.max_vocab.map(|v| to_usize("maxVocab", v, 1, u32::MAX as usize)).transpose()?,
    })
}

/// A snapshot of a job's progress.
#[napi(object, object_from_js = false)]
pub struct JobProgressInfo {
    /// `'idle' | 'vocab' | 'reading' | 'training' | 'done'`.
    pub phase: String,
    /// Units done in this phase (bytes while counting/reading, words while training).
    pub done: f64,
    /// Units of this phase (0 when unknown).
    pub total: f64,
    /// 1-based epoch while training, else 0.
    pub epoch: u32,
    /// Epochs of the job.
    pub epochs: u32,
    /// Current learning rate (training).
    pub alpha: f64,
    /// Whether an abort was requested.
    pub aborted: bool,
}

impl From<ProgressSnapshot> for JobProgressInfo {
    fn from(s: ProgressSnapshot) -> Self {
        JobProgressInfo {
            phase: phase_name(s.phase).to_string(),
            done: s.done as f64,
            total: s.total as f64,
            epoch: s.epoch,
            epochs: s.epochs,
            alpha: s.alpha as f64,
            aborted: s.aborted,
        }
    }
}

/// The name of a phase as TypeScript sees it.
pub(crate) fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Vocab => "vocab",
        Phase::Reading => "reading",
        Phase::Training => "training",
        Phase::Done => "done",
    }
}

/// Progress and cancellation of a long job running on a worker thread. Create one, pass it to
/// the job, poll `progress()`, call `abort()` to stop the job at its next check.
#[napi]
pub struct JobHandle {
    inner: Arc<JobProgress>,
}

impl JobHandle {
    /// The shared progress record the job advances.
    pub(crate) fn progress_arc(&self) -> Arc<JobProgress> {
        self.inner.clone()
    }
}

impl Default for JobHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl JobHandle {
    /// A fresh, idle handle.
    #[napi(constructor)]
    pub fn new() -> Self {
        JobHandle { inner: Arc::new(JobProgress::new()) }
    }

    /// The current counters (cheap: a few atomic loads).
    #[napi]
    pub fn progress(&self) -> JobProgressInfo {
        JobProgressInfo::from(self.inner.snapshot())
    }

    /// Asks the job to stop; it rejects with an error on argument `signal`.
    #[napi]
    pub fn abort(&self) {
        self.inner.request_abort();
    }
}

/// A word2vec/GloVe vocabulary: `</s>` at id 0, then words by decreasing count.
#[napi]
pub struct CorpusVocab {
    inner: Arc<Vocab>,
}

impl CorpusVocab {
    /// The shared core vocabulary (for the trainers).
    pub(crate) fn core(&self) -> Arc<Vocab> {
        self.inner.clone()
    }

    /// Wraps a core vocabulary (e.g. one a trainer counted).
    pub(crate) fn from_core(vocab: Arc<Vocab>) -> Self {
        CorpusVocab { inner: vocab }
    }
}

/// Async vocabulary count.
pub struct BuildVocabTask {
    source: CorpusData,
    options: VocabOptions,
    progress: Option<Arc<JobProgress>>,
}

impl Task for BuildVocabTask {
    type Output = Vocab;
    type JsValue = CorpusVocab;
    fn compute(&mut self) -> napi::Result<Vocab> {
        let result = guard("CorpusVocab.buildAsync", || self.source.vocab(&self.options, self.progress.as_deref()).map_err(to_js));
        if let Some(p) = &self.progress {
            // Keep the byte counts for the final report.
            let s = p.snapshot();
            p.start_phase(Phase::Done, s.total.max(s.done));
            p.set_done(s.done);
        }
        result
    }
    fn resolve(&mut self, _env: Env, output: Vocab) -> napi::Result<CorpusVocab> {
        Ok(CorpusVocab::from_core(Arc::new(output)))
    }
}

#[napi]
impl CorpusVocab {
    /// Counts the words of a corpus on a worker thread (the C word2vec tool's tokenisation).
    #[napi(ts_return_type = "Promise<CorpusVocab>")]
    pub fn build_async(source: CorpusSource, options: Option<VocabBuildOptions>, progress: Option<&JobHandle>) -> napi::Result<AsyncTask<BuildVocabTask>> {
        let source = source.resolve()?;
        let options = vocab_options(options.as_ref())?;
        Ok(AsyncTask::new(BuildVocabTask { source, options, progress: progress.map(JobHandle::progress_arc) }))
    }

    /// Reads a vocabulary in the C tool's `-save-vocab` format, sorted and filtered by `options`.
    #[napi(factory, catch_unwind)]
    pub fn load(path: String, options: Option<VocabBuildOptions>) -> napi::Result<CorpusVocab> {
        let options = vocab_options(options.as_ref())?;
        guard("CorpusVocab.load", || Vocab::load(&PathBuf::from(&path), &options).map(|v| CorpusVocab::from_core(Arc::new(v))).map_err(to_js))
    }

    /// Writes the C tool's `-save-vocab` format (`word count` per line), atomically.
    #[napi(catch_unwind)]
    pub fn save(&self, path: String) -> napi::Result<()> {
        guard("CorpusVocab.save", || self.inner.save(&PathBuf::from(path)).map_err(to_js))
    }

    /// Number of entries (`</s>` included).
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.len() as u32
    }

    /// In-vocabulary tokens of one pass over the corpus (the C tool's `train_words`).
    #[napi(getter)]
    pub fn train_words(&self) -> f64 {
        self.inner.train_words() as f64
    }

    /// All words, index = id.
    #[napi]
    pub fn words(&self) -> Vec<String> {
        self.inner.words().to_vec()
    }

    /// All counts, index = id.
    #[napi]
    pub fn counts(&self) -> Vec<f64> {
        self.inner.counts().iter().map(|&c| c as f64).collect()
    }

    /// The id of `word`, or null.
    #[napi]
    pub fn id(&self, word: String) -> Option<u32> {
        self.inner.id(&word)
    }

    /// The count of `word` (0 when absent).
    #[napi]
    pub fn count(&self, word: String) -> f64 {
        self.inner.id(&word).map_or(0.0, |id| self.inner.count(id) as f64)
    }
}
