//! `KeyedVectors`: the native class behind the TypeScript `KeyedVectors` (word vectors with
//! their vocabulary). It shares one core `KeyedVectors` behind a read-write lock: queries read
//! it (also from async tasks on libuv workers, which clone the `Arc`), the debiasing edits
//! write it. A synchronous call that cannot get the lock at once fails with
//! `ERR_SEQLEARN_BUSY` instead of blocking the event loop.

use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use napi::bindgen_prelude::{AsyncTask, Float32Array, ToNapiValue, TypeName};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::embeddings::debias::BiasMethod;
use seqlearn_core::embeddings::evaluate::{AnalogyMethod, AnalogyOptions, AnalogyReport, Delimiter, WordPairOptions, WordPairReport};
use seqlearn_core::embeddings::keyed_vectors as core;
use seqlearn_core::embeddings::project::{Projection, TsneOptions};
use seqlearn_core::embeddings::similarity::{Neighbour, Term, WeightedTerm};
use seqlearn_core::io::word2vec_format::VectorFormat;

use crate::convert::{tensor_out, to_seed, to_usize, HostTensor, JsFloat32, JsInt32, JsTypedArray, TensorArg, TensorOut, MAX_SAFE_INTEGER};
use crate::error::{guard, invalid, to_js};

/// The error a synchronous call gets while another call holds the vectors.
fn busy(write: bool) -> napi::Error {
    let what = if write { "an async call (evaluation, projection, save) is reading these vectors" } else { "another call is changing these vectors" };
    napi::Error::new(napi::Status::GenericFailure, format!("[ERR_SEQLEARN_BUSY] {what}; await it first"))
}

/// A neighbour returned by the similarity queries.
#[napi(object, object_from_js = false)]
pub struct NeighbourOut {
    /// The word.
    pub word: String,
    /// Cosine similarity (3CosMul score for `mostSimilarCosmul`).
    pub similarity: f64,
}

/// One term of a query: exactly one of `word` / `vector`, with a signed weight; `arg` names it
/// in errors (e.g. `positive[1]`).
#[napi(object)]
pub struct QueryTerm {
    /// A word of the vocabulary.
    pub word: Option<String>,
    /// A raw vector of `dim` values.
    pub vector: Option<Float32Array>,
    /// Signed weight (+1 positive, −1 negative in gensim's convention).
    pub weight: f64,
    /// The argument name for errors.
    pub arg: String,
}

/// Options of `evaluateAnalogiesAsync`.
#[napi(object)]
pub struct AnalogyArgs {
    /// Leading rows that take part (absent = all).
    pub restrict_vocab: Option<f64>,
    /// Upper-case words before matching (default true).
    pub case_insensitive: Option<bool>,
    /// `'3cosadd'` (default) or `'3cosmul'`.
    pub method: Option<String>,
}

/// Correct answers and questions seen over a group of sections.
#[napi(object, object_from_js = false)]
pub struct AnalogyGroupOut {
    /// Correct answers.
    pub correct: u32,
    /// Questions evaluated.
    pub seen: u32,
    /// `correct / seen` (0 when nothing was seen).
    pub accuracy: f64,
}

/// One section of an analogy report.
#[napi(object, object_from_js = false)]
pub struct AnalogySectionOut {
    /// The section name.
    pub name: String,
    /// Correct answers.
    pub correct: u32,
    /// Questions evaluated.
    pub seen: u32,
    /// Questions in the file's section.
    pub questions: u32,
    /// `correct / seen`.
    pub accuracy: f64,
    /// False for `gram*` sections.
    pub semantic: bool,
}

/// Result of `evaluateAnalogiesAsync`.
#[napi(object, object_from_js = false)]
pub struct AnalogyReportOut {
    /// Per section, in file order.
    pub sections: Vec<AnalogySectionOut>,
    /// Correct answers over all sections.
    pub correct: u32,
    /// Questions evaluated.
    pub seen: u32,
    /// Questions in the file.
    pub questions: u32,
    /// `correct / seen`.
    pub accuracy: f64,
    /// Semantic sections.
    pub semantic: AnalogyGroupOut,
    /// Syntactic (`gram*`) sections.
    pub syntactic: AnalogyGroupOut,
}

/// Options of `evaluateWordPairsAsync`.
#[napi(object)]
pub struct WordPairArgs {
    /// Leading rows that take part (absent = all).
    pub restrict_vocab: Option<f64>,
    /// Upper-case words before matching (default true).
    pub case_insensitive: Option<bool>,
    /// Field separator (default tab); `null` = any whitespace.
    pub delimiter: Option<String>,
    /// Split on any run of whitespace (overrides `delimiter`).
    pub whitespace: Option<bool>,
}

/// Result of `evaluateWordPairsAsync`.
#[napi(object, object_from_js = false)]
pub struct WordPairReportOut {
    /// Spearman's ρ.
    pub spearman: f64,
    /// Pearson's r.
    pub pearson: f64,
    /// Pairs used.
    pub pairs: u32,
    /// Pairs with a word outside the vocabulary.
    pub oov: u32,
    /// `oov / (pairs + oov)`.
    pub oov_ratio: f64,
}

/// Options of `project` / `projectAsync`.
#[napi(object)]
pub struct ProjectArgs {
    /// `'pca'` or `'tsne'`.
    pub method: String,
    /// Normalise the vectors first (default true).
    pub normalize: Option<bool>,
    /// t-SNE perplexity.
    pub perplexity: Option<f64>,
    /// t-SNE iterations (default 1000).
    pub iterations: Option<f64>,
    /// t-SNE learning rate (default 'auto').
    pub learning_rate: Option<f64>,
    /// t-SNE seed (default 0).
    pub seed: Option<f64>,
}

fn group(g: (usize, usize)) -> AnalogyGroupOut {
    AnalogyGroupOut { correct: g.0 as u32, seen: g.1 as u32, accuracy: if g.1 == 0 { 0.0 } else { g.0 as f64 / g.1 as f64 } }
}

/// A core result of an async call and its JavaScript form.
pub trait KvOutput: Send + 'static {
    /// The JavaScript value.
    type Js: ToNapiValue + TypeName;
    /// Converts on the JavaScript thread.
    fn into_js(self) -> Self::Js;
}

impl KvOutput for AnalogyReport {
    type Js = AnalogyReportOut;
    fn into_js(self) -> AnalogyReportOut {
        AnalogyReportOut {
            accuracy: self.accuracy(),
            sections: self
                .sections
                .iter()
                .map(|s| AnalogySectionOut {
                    name: s.name.clone(),
                    correct: s.correct as u32,
                    seen: s.seen as u32,
                    questions: s.questions as u32,
                    accuracy: s.accuracy(),
                    semantic: s.semantic,
                })
                .collect(),
            correct: self.correct as u32,
            seen: self.seen as u32,
            questions: self.questions as u32,
            semantic: group(self.semantic),
            syntactic: group(self.syntactic),
        }
    }
}

impl KvOutput for WordPairReport {
    type Js = WordPairReportOut;
    fn into_js(self) -> WordPairReportOut {
        WordPairReportOut { spearman: self.spearman, pearson: self.pearson, pairs: self.pairs as u32, oov: self.oov as u32, oov_ratio: self.oov_ratio }
    }
}

/// 2-D coordinates `[n, 2]`.
pub struct Coordinates(Vec<f32>);

impl KvOutput for Coordinates {
    type Js = TensorOut;
    fn into_js(self) -> TensorOut {
        let n = self.0.len() / 2;
        tensor_out(self.0, &[n, 2])
    }
}

/// Word classes.
pub struct Classes(Vec<u32>);

impl KvOutput for Classes {
    type Js = JsInt32;
    fn into_js(self) -> JsInt32 {
        JsTypedArray(self.0.into_iter().map(|c| c as i32).collect())
    }
}

impl KvOutput for () {
    type Js = ();
    fn into_js(self) {}
}

type KvJob<O> = Box<dyn FnOnce(&core::KeyedVectors) -> seqlearn_core::Result<O> + Send>;

/// A read-only call on the vectors, run on a libuv worker.
pub struct KvTask<O: KvOutput> {
    what: &'static str,
    kv: Arc<RwLock<core::KeyedVectors>>,
    job: Option<KvJob<O>>,
}

impl<O: KvOutput> Task for KvTask<O> {
    type Output = O;
    type JsValue = O::Js;
    fn compute(&mut self) -> napi::Result<O> {
        let job = self.job.take().ok_or_else(|| invalid(self.what, "internal: the task ran twice"))?;
        guard(self.what, || {
            let kv = self.kv.read().unwrap_or_else(|e| e.into_inner());
            job(&kv).map_err(to_js)
        })
    }
    fn resolve(&mut self, _env: Env, output: O) -> napi::Result<O::Js> {
        Ok(output.into_js())
    }
}

/// Loading a vectors file on a libuv worker.
pub struct LoadTask {
    path: PathBuf,
    format: VectorFormat,
    limit: Option<usize>,
}

impl Task for LoadTask {
    type Output = core::KeyedVectors;
    type JsValue = KeyedVectors;
    fn compute(&mut self) -> napi::Result<core::KeyedVectors> {
        guard("loadAsync", || core::KeyedVectors::load(&self.path, self.format, self.limit).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, kv: core::KeyedVectors) -> napi::Result<KeyedVectors> {
        Ok(KeyedVectors::from_core(kv))
    }
}

fn load_args(path: &str, binary: Option<bool>, limit: Option<f64>) -> napi::Result<(PathBuf, VectorFormat, Option<usize>)> {
    if path.is_empty() {
        return Err(invalid("path", "expected a non-empty file path, got ''"));
    }
    let format = match binary {
        None => VectorFormat::Auto,
        Some(true) => VectorFormat::Binary,
        Some(false) => VectorFormat::Text,
    };
    let limit = limit.map(|l| to_usize("limit", l, 1, u32::MAX as usize)).transpose()?;
    Ok((PathBuf::from(path), format, limit))
}

fn restrict(arg: &str, v: Option<f64>) -> napi::Result<Option<usize>> {
    v.map(|v| to_usize(arg, v, 1, MAX_SAFE_INTEGER)).transpose()
}

fn top_n(v: f64) -> napi::Result<usize> {
    to_usize("topN", v, 1, MAX_SAFE_INTEGER)
}

fn neighbours(kv: &core::KeyedVectors, list: Vec<Neighbour>) -> Vec<NeighbourOut> {
    list.into_iter().map(|n| NeighbourOut { word: kv.word(n.id).to_string(), similarity: n.similarity as f64 }).collect()
}

/// Checks the terms (exactly one of word/vector each, finite weight) and borrows them.
fn terms(list: &[QueryTerm]) -> napi::Result<Vec<WeightedTerm<'_>>> {
    list.iter()
        .map(|t| {
            let term = match (&t.word, &t.vector) {
                (Some(w), None) => Term::Word(w),
                (None, Some(v)) => Term::Vector(v),
                _ => return Err(invalid(&t.arg, "expected a word (string) or a vector (Float32Array)")),
            };
            if !t.weight.is_finite() {
                return Err(invalid(&t.arg, format!("expected a finite weight, got {}", t.weight)));
            }
            Ok(WeightedTerm { term, weight: t.weight as f32, arg: &t.arg })
        })
        .collect()
}

fn projection(o: &ProjectArgs) -> napi::Result<Projection> {
    match o.method.as_str() {
        "pca" => Ok(Projection::Pca),
        "tsne" => {
            let d = TsneOptions::default();
            Ok(Projection::Tsne(TsneOptions {
                perplexity: o.perplexity,
                iterations: o.iterations.map(|v| to_usize("iterations", v, 1, 1 << 20)).transpose()?.unwrap_or(d.iterations),
                learning_rate: o.learning_rate,
                seed: to_seed(o.seed)?,
                ..d
            }))
        }
        m => Err(invalid("method", format!("expected 'pca' or 'tsne', got '{m}'"))),
    }
}

/// Word vectors with their vocabulary (see the TypeScript `KeyedVectors`).
#[napi]
pub struct KeyedVectors {
    inner: Arc<RwLock<core::KeyedVectors>>,
}

impl KeyedVectors {
    /// Wraps core vectors (what trainers return to JavaScript).
    pub(crate) fn from_core(kv: core::KeyedVectors) -> Self {
        KeyedVectors { inner: Arc::new(RwLock::new(kv)) }
    }

    /// Reads the vectors without waiting.
    fn read(&self) -> napi::Result<RwLockReadGuard<'_, core::KeyedVectors>> {
        match self.inner.try_read() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(busy(false)),
        }
    }

    /// Locks the vectors for an edit without waiting.
    fn write(&self) -> napi::Result<RwLockWriteGuard<'_, core::KeyedVectors>> {
        match self.inner.try_write() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(busy(true)),
        }
    }

    /// Runs a read-only query on the calling thread; a panic becomes an error naming `what`.
    fn query<O>(&self, what: &str, f: impl FnOnce(&core::KeyedVectors) -> napi::Result<O>) -> napi::Result<O> {
        let kv = self.read()?;
        guard(what, || f(&kv))
    }

    /// `job` as an async read-only call.
    fn task<O: KvOutput>(
        &self,
        what: &'static str,
        job: impl FnOnce(&core::KeyedVectors) -> seqlearn_core::Result<O> + Send + 'static,
    ) -> AsyncTask<KvTask<O>> {
        AsyncTask::new(KvTask { what, kv: self.inner.clone(), job: Some(Box::new(job)) })
    }
}

#[napi]
impl KeyedVectors {
    /// Vectors from words and row-major values `[words.length, dim]` (copied).
    #[napi(factory, catch_unwind)]
    pub fn from_vectors(words: Vec<String>, vectors: TensorArg) -> napi::Result<Self> {
        let t = HostTensor::borrow("vectors", &vectors)?;
        if t.shape.len() != 2 || t.shape[0] != words.len() {
            return Err(to_js(seqlearn_core::Error::Shape {
                arg: "vectors".into(),
                expected: format!("[{}, dim] (one row per word)", words.len()),
                actual: format!("{:?}", t.shape),
            }));
        }
        let dim = t.shape[1];
        guard("fromVectors", || core::KeyedVectors::new(words, dim, t.data.into_owned()).map(Self::from_core).map_err(to_js))
    }

    /// Loads a word2vec text or binary file (`binary` absent: detected).
    #[napi(factory, catch_unwind)]
    pub fn load(path: String, binary: Option<bool>, limit: Option<f64>) -> napi::Result<Self> {
        let (path, format, limit) = load_args(&path, binary, limit)?;
        guard("load", || core::KeyedVectors::load(&path, format, limit).map(Self::from_core).map_err(to_js))
    }

    /// `load` on a worker thread.
    #[napi(ts_return_type = "Promise<KeyedVectors>")]
    pub fn load_async(path: String, binary: Option<bool>, limit: Option<f64>) -> napi::Result<AsyncTask<LoadTask>> {
        let (path, format, limit) = load_args(&path, binary, limit)?;
        Ok(AsyncTask::new(LoadTask { path, format, limit }))
    }

    /// Writes a word2vec binary or text file atomically.
    #[napi(catch_unwind)]
    pub fn save(&self, path: String, binary: bool) -> napi::Result<()> {
        if path.is_empty() {
            return Err(invalid("path", "expected a non-empty file path, got ''"));
        }
        self.query("save", |kv| kv.save(std::path::Path::new(&path), binary).map_err(to_js))
    }

    /// `save` on a worker thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save_async(&self, path: String, binary: bool) -> napi::Result<AsyncTask<KvTask<()>>> {
        if path.is_empty() {
            return Err(invalid("path", "expected a non-empty file path, got ''"));
        }
        Ok(self.task("saveAsync", move |kv| kv.save(std::path::Path::new(&path), binary)))
    }

    /// Number of words.
    #[napi(getter)]
    pub fn size(&self) -> napi::Result<u32> {
        Ok(self.read()?.len() as u32)
    }

    /// Values per vector.
    #[napi(getter)]
    pub fn dim(&self) -> napi::Result<u32> {
        Ok(self.read()?.dim() as u32)
    }

    /// The words in row order.
    #[napi]
    pub fn words(&self) -> napi::Result<Vec<String>> {
        Ok(self.read()?.words().to_vec())
    }

    /// The row of `word`, or null.
    #[napi]
    pub fn index(&self, word: String) -> napi::Result<Option<u32>> {
        Ok(self.read()?.index(&word))
    }

    /// A copy of the vector of `word` (error naming `word` when absent).
    #[napi(catch_unwind, ts_return_type = "Float32Array")]
    pub fn vector(&self, word: String) -> napi::Result<JsFloat32> {
        self.query("vector", |kv| {
            let id = kv.require("word", &word).map_err(to_js)?;
            Ok(JsTypedArray(kv.vector(id).to_vec()))
        })
    }

    /// A copy of every vector, `[size, dim]`.
    #[napi(catch_unwind)]
    pub fn vectors(&self) -> napi::Result<TensorOut> {
        self.query("vectors", |kv| Ok(tensor_out(kv.data().to_vec(), &[kv.len(), kv.dim()])))
    }

    /// Copies of the vectors of `words`, stacked `[words.length, dim]` (error naming `words[i]`
    /// for a word outside the vocabulary).
    #[napi(catch_unwind)]
    pub fn vectors_of(&self, words: Vec<String>) -> napi::Result<TensorOut> {
        self.query("vectorsOf", |kv| {
            let mut out = Vec::with_capacity(words.len() * kv.dim());
            for (i, w) in words.iter().enumerate() {
                let id = kv.require(&format!("words[{i}]"), w).map_err(to_js)?;
                out.extend_from_slice(kv.vector(id));
            }
            Ok(tensor_out(out, &[words.len(), kv.dim()]))
        })
    }

    /// Cosine similarity of two words.
    #[napi(catch_unwind)]
    pub fn similarity(&self, a: String, b: String) -> napi::Result<f64> {
        self.query("similarity", |kv| kv.similarity(&a, &b).map(f64::from).map_err(to_js))
    }

    /// 3CosAdd: the `topN` rows nearest the weighted mean of the terms.
    #[napi(catch_unwind)]
    pub fn most_similar(&self, terms_: Vec<QueryTerm>, top_n_: f64, restrict_vocab: Option<f64>) -> napi::Result<Vec<NeighbourOut>> {
        let (k, r) = (top_n(top_n_)?, restrict("restrictVocab", restrict_vocab)?);
        let t = terms(&terms_)?;
        self.query("mostSimilar", |kv| kv.most_similar(&t, k, r).map(|l| neighbours(kv, l)).map_err(to_js))
    }

    /// 3CosMul over positive and negative terms.
    #[napi(catch_unwind)]
    pub fn most_similar_cosmul(
        &self,
        positive: Vec<QueryTerm>,
        negative: Vec<QueryTerm>,
        top_n_: f64,
        restrict_vocab: Option<f64>,
    ) -> napi::Result<Vec<NeighbourOut>> {
        let (k, r) = (top_n(top_n_)?, restrict("restrictVocab", restrict_vocab)?);
        let (p, n) = (terms(&positive)?, terms(&negative)?);
        self.query("mostSimilarCosmul", |kv| kv.most_similar_cosmul(&p, &n, k, r).map(|l| neighbours(kv, l)).map_err(to_js))
    }

    /// The `topN` rows nearest `vector` by cosine, leaving out the rows of `exclude` (words).
    #[napi(catch_unwind)]
    pub fn similar_by_vector(
        &self,
        vector: Float32Array,
        top_n_: f64,
        restrict_vocab: Option<f64>,
        exclude: Option<Vec<String>>,
    ) -> napi::Result<Vec<NeighbourOut>> {
        let (k, r) = (top_n(top_n_)?, restrict("restrictVocab", restrict_vocab)?);
        self.query("similarByVector", |kv| {
            let ex: Vec<u32> = exclude
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, w)| kv.require(&format!("exclude[{i}]"), w))
                .collect::<seqlearn_core::Result<_>>()
                .map_err(to_js)?;
            kv.nearest(&vector, k, r, &ex).map(|l| neighbours(kv, l)).map_err(to_js)
        })
    }

    /// Nearest rows of each row of `vectors` `[m, dim]` (one GEMM per block of the table).
    #[napi(catch_unwind)]
    pub fn similar_by_vectors(&self, vectors: TensorArg, top_n_: f64, restrict_vocab: Option<f64>) -> napi::Result<Vec<Vec<NeighbourOut>>> {
        let (k, r) = (top_n(top_n_)?, restrict("restrictVocab", restrict_vocab)?);
        let t = HostTensor::borrow("vectors", &vectors)?;
        self.query("similarByVectors", |kv| {
            if t.shape.len() != 2 || t.shape[1] != kv.dim() {
                return Err(to_js(seqlearn_core::Error::Shape {
                    arg: "vectors".into(),
                    expected: format!("[m, {}]", kv.dim()),
                    actual: format!("{:?}", t.shape),
                }));
            }
            let lists = kv.nearest_batch(&t.data, k, r, &[]).map_err(to_js)?;
            Ok(lists.into_iter().map(|l| neighbours(kv, l)).collect())
        })
    }

    /// Cosine similarity of `vector` with every row (or the first `restrictVocab`).
    #[napi(catch_unwind, ts_return_type = "Float32Array")]
    pub fn cosine_similarities(&self, vector: Float32Array, restrict_vocab: Option<f64>) -> napi::Result<JsFloat32> {
        let r = restrict("restrictVocab", restrict_vocab)?;
        self.query("cosineSimilarities", |kv| kv.cosine_similarities(&vector, r).map(JsTypedArray).map_err(to_js))
    }

    /// The word furthest from the mean of the words.
    #[napi(catch_unwind)]
    pub fn doesnt_match(&self, words: Vec<String>) -> napi::Result<String> {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        self.query("doesntMatch", |kv| kv.doesnt_match(&w).map_err(to_js))
    }

    /// Scores an analogy file (questions-words format) on a worker thread.
    #[napi(ts_return_type = "Promise<AnalogyReportOut>")]
    pub fn evaluate_analogies_async(&self, path: String, options: AnalogyArgs) -> napi::Result<AsyncTask<KvTask<AnalogyReport>>> {
        let opts = AnalogyOptions {
            restrict_vocab: restrict("restrictVocab", options.restrict_vocab)?,
            case_insensitive: options.case_insensitive.unwrap_or(true),
            method: options.method.as_deref().map(AnalogyMethod::parse).transpose().map_err(to_js)?.unwrap_or_default(),
        };
        Ok(self.task("evaluateAnalogiesAsync", move |kv| kv.evaluate_analogies(std::path::Path::new(&path), &opts)))
    }

    /// Scores a word-pair similarity file on a worker thread.
    #[napi(ts_return_type = "Promise<WordPairReportOut>")]
    pub fn evaluate_word_pairs_async(&self, path: String, options: WordPairArgs) -> napi::Result<AsyncTask<KvTask<WordPairReport>>> {
        let delimiter = if options.whitespace.unwrap_or(false) {
            Delimiter::Whitespace
        } else {
            match options.delimiter {
                Some(d) if d.is_empty() => return Err(invalid("delimiter", "expected a non-empty string, got ''")),
                Some(d) => Delimiter::Text(d),
                None => Delimiter::Text("\t".into()),
            }
        };
        let opts = WordPairOptions {
            restrict_vocab: restrict("restrictVocab", options.restrict_vocab)?,
            case_insensitive: options.case_insensitive.unwrap_or(true),
            delimiter,
        };
        Ok(self.task("evaluateWordPairsAsync", move |kv| kv.evaluate_word_pairs(std::path::Path::new(&path), &opts)))
    }

    /// The bias direction of word pairs (`'average'` or `'pca'`).
    #[napi(catch_unwind, ts_return_type = "Float32Array")]
    pub fn bias_direction(&self, pairs: Vec<Vec<String>>, method: String) -> napi::Result<JsFloat32> {
        let m = BiasMethod::parse(&method).map_err(to_js)?;
        let mut p = Vec::with_capacity(pairs.len());
        for (i, pair) in pairs.iter().enumerate() {
            match &pair[..] {
                [a, b] => p.push((a.as_str(), b.as_str())),
                _ => return Err(invalid(&format!("pairs[{i}]"), format!("expected a pair [a, b] of two words, got {} words", pair.len()))),
            }
        }
        self.query("biasDirection", |kv| kv.bias_direction(&p, m).map(JsTypedArray).map_err(to_js))
    }

    /// Removes the component of `word` along `direction` (in place).
    #[napi(catch_unwind)]
    pub fn neutralize(&self, word: String, direction: Float32Array) -> napi::Result<()> {
        let mut kv = self.write()?;
        guard("neutralize", || kv.neutralize(&word, &direction).map_err(to_js))
    }

    /// Equalizes the pair `(a, b)` about `direction` (in place).
    #[napi(catch_unwind)]
    pub fn equalize(&self, a: String, b: String, direction: Float32Array) -> napi::Result<()> {
        let mut kv = self.write()?;
        guard("equalize", || kv.equalize(&a, &b, &direction).map_err(to_js))
    }

    /// 2-D coordinates `[words.length, 2]` of `words` (on the calling thread).
    #[napi(catch_unwind)]
    pub fn project(&self, words: Vec<String>, options: ProjectArgs) -> napi::Result<TensorOut> {
        let p = projection(&options)?;
        let normalize = options.normalize.unwrap_or(true);
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        self.query("project", |kv| kv.project(&w, p, normalize).map(|c| Coordinates(c).into_js()).map_err(to_js))
    }

    /// `project` on a worker thread.
    #[napi(ts_return_type = "Promise<TensorOut>")]
    pub fn project_async(&self, words: Vec<String>, options: ProjectArgs) -> napi::Result<AsyncTask<KvTask<Coordinates>>> {
        let p = projection(&options)?;
        let normalize = options.normalize.unwrap_or(true);
        Ok(self.task("projectAsync", move |kv| {
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            kv.project(&w, p, normalize).map(Coordinates)
        }))
    }

    /// K-means word classes (the C tool's `-classes`) on a worker thread.
    #[napi(ts_return_type = "Promise<Int32Array>")]
    pub fn kmeans_classes_async(&self, classes: f64, iterations: f64) -> napi::Result<AsyncTask<KvTask<Classes>>> {
        let k = to_usize("classes", classes, 1, u32::MAX as usize)?;
        let it = to_usize("iterations", iterations, 1, 1 << 20)?;
        Ok(self.task("kmeansClassesAsync", move |kv| kv.kmeans_classes(k, it).map(Classes)))
    }
}
