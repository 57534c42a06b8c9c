//! `NgramLm`: the native class behind `NgramLanguageModel` — training (sync or on a worker),
//! ARPA text/files both ways, probabilities and perplexity. The model is immutable once built, so
//! it is shared (`Arc`) with decoding tasks without a lock.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::ngram::{self as core, Level, NgramModel, Smoothing, TrainOptions};

use crate::convert::to_usize;
use crate::error::{guard, to_js};

/// Options of `NgramLm.train` (see the TypeScript `NgramTrainOptions`).
#[napi(object)]
pub struct NgramTrainArgs {
    /// Order n (default 3).
    pub order: Option<f64>,
    /// `'kneser-ney'` (default) or `'witten-bell'`.
    pub smoothing: Option<String>,
    /// `'word'` (default) or `'char'`.
    pub level: Option<String>,
    /// Tokens seen fewer times become `<unk>` (default 1).
    pub min_count: Option<f64>,
}

fn train_options(o: Option<&NgramTrainArgs>) -> napi::Result<TrainOptions> {
    let d = TrainOptions::default();
    let Some(o) = o else { return Ok(d) };
    Ok(TrainOptions {
        order: o.order.map(|v| to_usize("order", v, 1, core::MAX_ORDER)).transpose()?.unwrap_or(d.order),
        smoothing: o.smoothing.as_deref().map(Smoothing::parse).transpose().map_err(to_js)?.unwrap_or(d.smoothing),
        level: o.level.as_deref().map(Level::parse).transpose().map_err(to_js)?.unwrap_or(d.level),
        min_count: o.min_count.map(|v| to_usize("minCount", v, 1, 1 << 40)).transpose()?.unwrap_or(d.min_count),
    })
}

fn level_arg(level: Option<&str>) -> napi::Result<Level> {
    level.map(Level::parse).transpose().map_err(to_js).map(|l| l.unwrap_or(Level::Word))
}

/// A backoff n-gram language model (natural-log probabilities).
#[napi]
pub struct NgramLm {
    pub(crate) inner: Arc<NgramModel>,
}

impl NgramLm {
    /// The shared model (for decoding).
    pub fn model(&self) -> Arc<NgramModel> {
        self.inner.clone()
    }
}

/// Async training.
pub struct NgramTrainTask {
    sentences: Vec<String>,
    options: TrainOptions,
}

impl Task for NgramTrainTask {
    type Output = NgramModel;
    type JsValue = NgramLm;
    fn compute(&mut self) -> napi::Result<NgramModel> {
        guard("NgramLm.trainAsync", || NgramModel::train(&self.sentences, &self.options).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: NgramModel) -> napi::Result<NgramLm> {
        Ok(NgramLm { inner: Arc::new(output) })
    }
}

/// Async ARPA file read.
pub struct NgramLoadTask {
    path: PathBuf,
    level: Level,
}

impl Task for NgramLoadTask {
    type Output = NgramModel;
    type JsValue = NgramLm;
    fn compute(&mut self) -> napi::Result<NgramModel> {
        guard("NgramLm.loadAsync", || NgramModel::load_arpa(&self.path, self.level).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: NgramModel) -> napi::Result<NgramLm> {
        Ok(NgramLm { inner: Arc::new(output) })
    }
}

#[napi]
impl NgramLm {
    /// Trains on `sentences` (one sentence each; `<s>`/`</s>` are added).
    #[napi(factory, catch_unwind)]
    pub fn train(sentences: Vec<String>, options: Option<NgramTrainArgs>) -> napi::Result<NgramLm> {
        let o = train_options(options.as_ref())?;
        guard("NgramLm.train", || NgramModel::train(&sentences, &o).map(|m| NgramLm { inner: Arc::new(m) }).map_err(to_js))
    }

    /// `train` on a worker thread.
    #[napi(ts_return_type = "Promise<NgramLm>")]
    pub fn train_async(sentences: Vec<String>, options: Option<NgramTrainArgs>) -> napi::Result<AsyncTask<NgramTrainTask>> {
        let options = train_options(options.as_ref())?;
        Ok(AsyncTask::new(NgramTrainTask { sentences, options }))
    }

    /// Reads ARPA text (`level`: how to read tokens, default `'word'`).
    #[napi(factory, catch_unwind)]
    pub fn from_arpa(text: String, level: Option<String>) -> napi::Result<NgramLm> {
        let level = level_arg(level.as_deref())?;
        guard("NgramLm.fromArpa", || NgramModel::from_arpa(&text, "arpa", level).map(|m| NgramLm { inner: Arc::new(m) }).map_err(to_js))
    }

    /// Reads an ARPA file.
    #[napi(factory, catch_unwind)]
    pub fn load(path: String, level: Option<String>) -> napi::Result<NgramLm> {
        let level = level_arg(level.as_deref())?;
        guard("NgramLm.load", || NgramModel::load_arpa(&PathBuf::from(&path), level).map(|m| NgramLm { inner: Arc::new(m) }).map_err(to_js))
    }

    /// `load` on a worker thread.
    #[napi(ts_return_type = "Promise<NgramLm>")]
    pub fn load_async(path: String, level: Option<String>) -> napi::Result<AsyncTask<NgramLoadTask>> {
        let level = level_arg(level.as_deref())?;
        Ok(AsyncTask::new(NgramLoadTask { path: PathBuf::from(path), level }))
    }

    /// Writes the model as an ARPA file (atomically).
    #[napi(catch_unwind)]
    pub fn save(&self, path: String) -> napi::Result<()> {
        guard("NgramLm.save", || self.inner.save_arpa(&PathBuf::from(path)).map_err(to_js))
    }

    /// The model as ARPA text.
    #[napi(catch_unwind)]
    pub fn to_arpa(&self) -> napi::Result<String> {
        guard("NgramLm.toArpa", || Ok(self.inner.to_arpa()))
    }

    /// The order n.
    #[napi(getter)]
    pub fn order(&self) -> u32 {
        self.inner.order() as u32
    }

    /// `'char'` or `'word'`.
    #[napi(getter)]
    pub fn level(&self) -> String {
        self.inner.level().name().to_string()
    }

    /// `'kneser-ney'`, `'witten-bell'`, or null for a model read from ARPA.
    #[napi(getter)]
    pub fn smoothing(&self) -> Option<String> {
        self.inner.smoothing().map(|s| s.name().to_string())
    }

    /// Number of n-grams of each order.
    #[napi]
    pub fn counts(&self) -> Vec<u32> {
        self.inner.counts().into_iter().map(|c| c as u32).collect()
    }

    /// Kneser–Ney discounts `[D1, D2, D3+]` per order (empty otherwise).
    #[napi]
    pub fn discounts(&self) -> Vec<Vec<f64>> {
        self.inner.discounts().iter().map(|d| d.to_vec()).collect()
    }

    /// The vocabulary, by id (`<unk>`, `<s>`, `</s>` first).
    #[napi]
    pub fn vocabulary(&self) -> Vec<String> {
        self.inner.vocab().tokens().to_vec()
    }

    /// `ln p(token | context)`; tokens outside the vocabulary are `<unk>`.
    #[napi(catch_unwind)]
    pub fn log_prob(&self, context: Vec<String>, token: String) -> napi::Result<f64> {
        let m = &self.inner;
        let ids: Vec<u32> = context.iter().map(|t| m.token_id(t)).collect();
        guard("NgramLm.logProb", || m.log_prob(&ids, m.token_id(&token)).map_err(to_js))
    }

    /// The tokens of `text` at the model's level (characters, or whitespace-separated words).
    #[napi]
    pub fn tokenize(&self, text: String) -> Vec<String> {
        self.inner.level().tokens(&text).into_iter().map(str::to_string).collect()
    }

    /// `ln p(sentence </s> | <s>)`.
    #[napi]
    pub fn sentence_log_prob(&self, sentence: String) -> f64 {
        self.inner.sentence_log_prob(&sentence).0
    }

    /// Perplexity over the sentences (`</s>` counted, `<s>` not).
    #[napi(catch_unwind)]
    pub fn perplexity(&self, sentences: Vec<String>) -> napi::Result<f64> {
        guard("NgramLm.perplexity", || self.inner.perplexity(&sentences).map_err(to_js))
    }
}
