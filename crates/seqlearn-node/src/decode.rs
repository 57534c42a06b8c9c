//! CTC decoding for JavaScript: `ctcGreedyDecode`, `ctcBeamSearch` (sync; parallel over items
//! without an LM or with an n-gram LM; sequential on the JavaScript thread with an LM callback)
//! and `ctcBeamSearchAsync` (worker thread, parallel over items). Options are converted and
//! checked here; the core checks values and shapes. Hypotheses come back flat (one typed array
//! of tokens for the whole batch with offsets), the TypeScript layer slices them.

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Float64Array, FnArgs, Function, Int32Array};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::decode::{self as core, BeamSearchOptions, CtcLm, Emissions, Hotwords, Hypothesis, InputKind, LmLevel, LmQuery, LmScore, LmUnit, WordTrie};
use seqlearn_core::ngram::NgramModel;

use crate::convert::{to_usize, HostTensor, JsInt32, JsTypedArray, TensorArg};
use crate::error::{guard, invalid, to_js};
use crate::ngram::NgramLm;

/// Options every decoder takes.
#[napi(object)]
pub struct CtcDecodeArgs {
    /// Blank class (default 0).
    pub blank: Option<f64>,
    /// Emissions are `[N, T, C]` (default false: `[T, N, C]`).
    pub batch_first: Option<bool>,
    /// `'logits'` (default), `'logProbs'` or `'probs'`.
    pub input_kind: Option<String>,
}

/// Options of the beam search (see the TypeScript `CtcBeamSearchOptions`).
#[napi(object)]
pub struct CtcBeamArgs {
    /// Blank class (default 0).
    pub blank: Option<f64>,
    /// Emissions are `[N, T, C]` (default false).
    pub batch_first: Option<bool>,
    /// `'logits'` (default), `'logProbs'` or `'probs'`.
    pub input_kind: Option<String>,
    /// Hypotheses kept per frame (default 100).
    pub beam_width: Option<f64>,
    /// Hypotheses returned per item (default 1).
    pub n_best: Option<f64>,
    /// Classes extending beams per frame (default 0 = all).
    pub token_top_k: Option<f64>,
    /// Class log-prob threshold (default −5; −Infinity = off).
    pub token_min_logp: Option<f64>,
    /// Beam log-score threshold below the best (default −10; −Infinity = off).
    pub beam_prune_logp: Option<f64>,
    /// LM weight (default 0.5).
    pub alpha: Option<f64>,
    /// Word bonus (default 0).
    pub beta: Option<f64>,
    /// Unknown-word score (default −10).
    pub unk_score: Option<f64>,
    /// Word delimiter class.
    pub word_delimiter: Option<f64>,
    /// Text of each class (n-gram LMs).
    pub labels: Option<Vec<String>>,
    /// Hotword tokens, concatenated.
    pub hotword_tokens: Option<Int32Array>,
    /// Start of each hotword in `hotwordTokens` (length = hotwords + 1).
    pub hotword_offsets: Option<Int32Array>,
    /// Weight of a hotword (default 10).
    pub hotword_weight: Option<f64>,
    /// Level of the LM callback: `'token'` or `'word'`.
    pub lm_level: Option<String>,
}

/// Hypotheses of a batch, flat: hypothesis `h` has tokens `tokens[offsets[h]..offsets[h + 1]]`;
/// item `n` has `counts[n]` hypotheses, best first.
#[napi(object, object_from_js = false)]
pub struct CtcDecodeResult {
    /// Tokens of every hypothesis, concatenated.
    #[napi(ts_type = "Int32Array")]
    pub tokens: JsInt32,
    /// Frame of each token.
    #[napi(ts_type = "Int32Array")]
    pub timesteps: JsInt32,
    /// Token offsets (hypotheses + 1).
    #[napi(ts_type = "Int32Array")]
    pub offsets: JsInt32,
    /// Hypotheses per item.
    #[napi(ts_type = "Int32Array")]
    pub counts: JsInt32,
    /// Ranking score of each hypothesis.
    pub scores: Vec<f64>,
    /// `ln p_ctc` of each hypothesis.
    pub ctc_scores: Vec<f64>,
    /// Raw `ln p_lm` of each hypothesis.
    pub lm_scores: Vec<f64>,
    /// Words counted for β.
    pub word_counts: Vec<u32>,
}

fn flatten(items: Vec<Vec<Hypothesis>>) -> napi::Result<CtcDecodeResult> {
    let mut r = CtcDecodeResult {
        tokens: JsTypedArray(Vec::new()),
        timesteps: JsTypedArray(Vec::new()),
        offsets: JsTypedArray(vec![0]),
        counts: JsTypedArray(Vec::with_capacity(items.len())),
        scores: Vec::new(),
        ctc_scores: Vec::new(),
        lm_scores: Vec::new(),
        word_counts: Vec::new(),
    };
    for hyps in items {
        r.counts.0.push(hyps.len() as i32);
        for h in hyps {
            r.tokens.0.extend(h.tokens.iter().map(|&t| t as i32));
            r.timesteps.0.extend(h.timesteps.iter().map(|&t| t as i32));
            let end = i32::try_from(r.tokens.0.len()).map_err(|_| invalid("emissions", "too many decoded tokens for one Int32Array"))?;
            r.offsets.0.push(end);
            r.scores.push(h.score);
            r.ctc_scores.push(h.ctc_score);
            r.lm_scores.push(h.lm_score);
            r.word_counts.push(h.word_count);
        }
    }
    Ok(r)
}

/// Checked inputs (borrowed for sync calls, owned for async ones).
struct Input<'a> {
    x: HostTensor<'a>,
    lengths: Option<Vec<usize>>,
    blank: usize,
    batch_first: bool,
    kind: InputKind,
}

impl<'a> Input<'a> {
    fn new(emissions: &'a TensorArg, lengths: Option<&[f64]>, blank: Option<f64>, batch_first: Option<bool>, input_kind: Option<&str>, copy: bool) -> napi::Result<Input<'a>> {
        let x = if copy { HostTensor::copy("emissions", emissions)? } else { HostTensor::borrow("emissions", emissions)? };
        let lengths = lengths.map(|l| l.iter().enumerate().map(|(i, &v)| to_usize(&format!("lengths[{i}]"), v, 0, 1 << 40)).collect::<napi::Result<Vec<_>>>()).transpose()?;
        let blank = to_usize("blank", blank.unwrap_or(0.0), 0, u32::MAX as usize)?;
        let kind = input_kind.map(InputKind::parse).transpose().map_err(to_js)?.unwrap_or(InputKind::Logits);
        Ok(Input { x, lengths, blank, batch_first: batch_first.unwrap_or(false), kind })
    }

    fn into_owned(self) -> Input<'static> {
        Input { x: self.x.into_owned(), lengths: self.lengths, blank: self.blank, batch_first: self.batch_first, kind: self.kind }
    }

    fn view(&self) -> Emissions<'_> {
        Emissions { data: &self.x.data, shape: &self.x.shape, batch_first: self.batch_first, lengths: self.lengths.as_deref(), kind: self.kind, blank: self.blank }
    }
}

/// Best-path decoding of every item (parallel over items).
#[napi(catch_unwind)]
pub fn ctc_greedy_decode(emissions: TensorArg, lengths: Option<Vec<f64>>, options: Option<CtcDecodeArgs>) -> napi::Result<CtcDecodeResult> {
    let o = options.as_ref();
    let input = Input::new(&emissions, lengths.as_deref(), o.and_then(|o| o.blank), o.and_then(|o| o.batch_first), o.and_then(|o| o.input_kind.as_deref()), false)?;
    guard("ctcGreedyDecode", || {
        let hyps = core::greedy_decode(&input.view()).map_err(to_js)?;
        flatten(hyps.into_iter().map(|h| vec![h]).collect())
    })
}

fn float_opt(name: &str, v: Option<f64>, default: f32) -> napi::Result<f32> {
    match v {
        None => Ok(default),
        Some(x) if x.is_nan() => Err(invalid(name, "expected a number, got NaN")),
        Some(x) => Ok(x as f32),
    }
}

/// The beam options, labels and hotwords of a call.
struct BeamConfig {
    options: BeamSearchOptions,
    labels: Option<Vec<String>>,
    hotwords: Option<Hotwords>,
    lm_level: Option<LmLevel>,
}

fn beam_config(o: Option<&CtcBeamArgs>, classes: usize, blank: usize) -> napi::Result<BeamConfig> {
    let d = BeamSearchOptions::default();
    let Some(o) = o else {
        return Ok(BeamConfig { options: d, labels: None, hotwords: None, lm_level: None });
    };
    let beam_width = o.beam_width.map(|v| to_usize("beamWidth", v, 1, 1 << 24)).transpose()?.unwrap_or(d.beam_width);
    let options = BeamSearchOptions {
        beam_width,
        n_best: o.n_best.map(|v| to_usize("nBest", v, 1, beam_width)).transpose()?.unwrap_or(d.n_best),
        token_top_k: o.token_top_k.map(|v| to_usize("tokenTopK", v, 0, classes)).transpose()?.unwrap_or(d.token_top_k),
        token_min_logp: float_opt("tokenMinLogp", o.token_min_logp, d.token_min_logp)?,
        beam_prune_logp: float_opt("beamPruneLogp", o.beam_prune_logp, d.beam_prune_logp)?,
        alpha: float_opt("alpha", o.alpha, d.alpha)?,
        beta: float_opt("beta", o.beta, d.beta)?,
        unk_score: float_opt("unkScore", o.unk_score, d.unk_score)?,
        word_delimiter: o.word_delimiter.map(|v| to_usize("wordDelimiter", v, 0, u32::MAX as usize)).transpose()?,
    };
    options.validate(classes, blank).map_err(to_js)?;
    let hotword_weight = float_opt("hotwordWeight", o.hotword_weight, 10.0)?;
    let hotwords = match (&o.hotword_tokens, &o.hotword_offsets) {
        (None, None) => None,
        (Some(tokens), Some(offsets)) => {
            let mut words = Vec::with_capacity(offsets.len().saturating_sub(1));
            for (i, w) in offsets.windows(2).enumerate() {
                let (a, b) = (w[0], w[1]);
                if a < 0 || b < a || b as usize > tokens.len() {
                    return Err(invalid("hotwordOffsets", format!("entries {i}..{} must be non-decreasing offsets into hotwordTokens (length {}), got {a}, {b}", i + 1, tokens.len())));
                }
                let word = tokens[a as usize..b as usize]
                    .iter()
                    .enumerate()
                    .map(|(j, &t)| u32::try_from(t).map_err(|_| invalid(&format!("hotwords[{i}]"), format!("token {j} is {t}, expected a class in 0..{classes}"))))
                    .collect::<napi::Result<Vec<u32>>>()?;
                words.push(word);
            }
            Some(Hotwords::new(&words, classes, blank, options.word_delimiter, hotword_weight).map_err(to_js)?)
        }
        _ => return Err(invalid("hotwordTokens", "hotwordTokens and hotwordOffsets go together")),
    };
    let lm_level = match o.lm_level.as_deref() {
        None => None,
        Some("token") => Some(LmLevel::Token),
        Some("word") => Some(LmLevel::Word),
        Some(other) => return Err(invalid("lm.level", format!("expected 'token' or 'word', got '{other}'"))),
    };
    Ok(BeamConfig { options, labels: o.labels.clone(), hotwords, lm_level })
}

/// The classes and blank of emissions (for option checks before the core's own checks).
fn classes_of(input: &Input<'_>) -> napi::Result<usize> {
    input.view().dims().map(|d| d.classes).map_err(to_js)
}

fn labels_for_ngram(c: &BeamConfig) -> napi::Result<&[String]> {
    c.labels.as_deref().ok_or_else(|| invalid("labels", "an n-gram language model needs labels (the text of each class) to map classes to its tokens"))
}

/// The JavaScript LM callback: `(contextIds, nextIds, units, unitOffsets) => Float64Array`.
type LmCallback<'e> = Function<'e, FnArgs<(JsInt32, JsInt32, JsInt32, JsInt32)>, Float64Array>;

/// A [`CtcLm`] that asks a JavaScript function, one call per frame. Histories get ids (0 = the
/// empty history), so the callback can cache per history; the TypeScript layer rebuilds the
/// contexts from ids and units.
struct JsLm<'f, 'e> {
    func: &'f LmCallback<'e>,
    level: LmLevel,
    next_id: i32,
    error: Option<napi::Error>,
    spelled: Vec<u32>,
}

impl CtcLm for JsLm<'_, '_> {
    fn level(&self) -> LmLevel {
        self.level
    }

    fn start(&mut self) -> seqlearn_core::Result<u32> {
        Ok(0)
    }

    fn score(&mut self, words: &WordTrie, queries: &[LmQuery], out: &mut Vec<LmScore>) -> seqlearn_core::Result<()> {
        out.clear();
        let mut context_ids = Vec::with_capacity(queries.len());
        let mut next_ids = Vec::with_capacity(queries.len());
        let mut units = Vec::new();
        let mut unit_offsets = Vec::with_capacity(queries.len() + 1);
        unit_offsets.push(0i32);
        for q in queries {
            context_ids.push(q.state as i32);
            match q.unit {
                LmUnit::End => next_ids.push(-1),
                LmUnit::Token(c) => {
                    units.push(c as i32);
                    next_ids.push(self.next_id);
                    self.next_id += 1;
                }
                LmUnit::Word(w) => {
                    words.spell(w, &mut self.spelled);
                    units.extend(self.spelled.iter().map(|&t| t as i32));
                    next_ids.push(self.next_id);
                    self.next_id += 1;
                }
            }
            unit_offsets.push(units.len() as i32);
        }
        let fail = |e: napi::Error, me: &mut Self| {
            me.error = Some(e);
            seqlearn_core::Error::State("the language model callback failed".into())
        };
        let values = match self.func.call((JsTypedArray(context_ids), JsTypedArray(next_ids.clone()), JsTypedArray(units), JsTypedArray(unit_offsets)).into()) {
            Ok(v) => v,
            Err(e) => return Err(fail(e, self)),
        };
        if values.len() != queries.len() {
            return Err(fail(invalid("lm.score", format!("expected {} log-probabilities (one per query), got {}", queries.len(), values.len())), self));
        }
        for (i, (&v, &next)) in values.iter().zip(&next_ids).enumerate() {
            if v.is_nan() || v == f64::INFINITY {
                return Err(fail(invalid("lm.score", format!("returned {v} for query {i}; expected a natural-log probability (finite or -Infinity)")), self));
            }
            out.push(LmScore { logp: v as f32, next: next.max(0) as u32, oov: false });
        }
        Ok(())
    }
}

/// Prefix beam search on the calling thread: parallel over items unless `lmCallback` is given
/// (then items run one after the other and the callback is called once per frame with the
/// frame's LM queries).
#[napi(catch_unwind)]
pub fn ctc_beam_search(
    emissions: TensorArg,
    lengths: Option<Vec<f64>>,
    options: Option<CtcBeamArgs>,
    ngram: Option<&NgramLm>,
    #[napi(ts_arg_type = "(contextIds: Int32Array, nextIds: Int32Array, units: Int32Array, unitOffsets: Int32Array) => Float64Array")] lm_callback: Option<LmCallback<'_>>,
) -> napi::Result<CtcDecodeResult> {
    let o = options.as_ref();
    // With a callback, JavaScript runs during the search: work on a copy of the emissions.
    let input = Input::new(&emissions, lengths.as_deref(), o.and_then(|o| o.blank), o.and_then(|o| o.batch_first), o.and_then(|o| o.input_kind.as_deref()), lm_callback.is_some())?;
    let classes = classes_of(&input)?;
    let config = beam_config(o, classes, input.blank)?;
    if ngram.is_some() && lm_callback.is_some() {
        return Err(invalid("lm", "give either an n-gram model or a callback, not both"));
    }
    guard("ctcBeamSearch", || {
        let e = input.view();
        let hyps = match (&lm_callback, ngram) {
            (Some(func), None) => {
                let level = config.lm_level.ok_or_else(|| invalid("lm.level", "expected 'token' or 'word'"))?;
                let mut lm = JsLm { func, level, next_id: 1, error: None, spelled: Vec::new() };
                let r = core::beam_search(&e, &config.options, Some(&mut lm), config.hotwords.as_ref());
                match (r, lm.error.take()) {
                    (_, Some(js)) => return Err(js),
                    (r, None) => r.map_err(to_js)?,
                }
            }
            (None, Some(m)) => core::beam_search_batch(&e, &config.options, Some((&m.inner, labels_for_ngram(&config)?)), config.hotwords.as_ref()).map_err(to_js)?,
            _ => core::beam_search_batch(&e, &config.options, None, config.hotwords.as_ref()).map_err(to_js)?,
        };
        flatten(hyps)
    })
}

/// Async beam search (no callback LM): inputs are copies, work runs on a worker thread and in
/// parallel over items.
pub struct BeamTask {
    input: Input<'static>,
    config: BeamConfig,
    ngram: Option<Arc<NgramModel>>,
}

impl Task for BeamTask {
    type Output = Vec<Vec<Hypothesis>>;
    type JsValue = CtcDecodeResult;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard("ctcBeamSearchAsync", || {
            let e = self.input.view();
            match &self.ngram {
                Some(m) => core::beam_search_batch(&e, &self.config.options, Some((m, labels_for_ngram(&self.config)?)), self.config.hotwords.as_ref()).map_err(to_js),
                None => core::beam_search_batch(&e, &self.config.options, None, self.config.hotwords.as_ref()).map_err(to_js),
            }
        })
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<CtcDecodeResult> {
        flatten(output)
    }
}

/// `ctcBeamSearch` on a worker thread (no LM or an n-gram LM).
#[napi(ts_return_type = "Promise<CtcDecodeResult>")]
pub fn ctc_beam_search_async(emissions: TensorArg, lengths: Option<Vec<f64>>, options: Option<CtcBeamArgs>, ngram: Option<&NgramLm>) -> napi::Result<AsyncTask<BeamTask>> {
    guard("ctcBeamSearchAsync", || {
        let o = options.as_ref();
        let input = Input::new(&emissions, lengths.as_deref(), o.and_then(|o| o.blank), o.and_then(|o| o.batch_first), o.and_then(|o| o.input_kind.as_deref()), true)?.into_owned();
        let classes = classes_of(&input)?;
        let config = beam_config(o, classes, input.blank)?;
        if ngram.is_some() {
            labels_for_ngram(&config)?;
        }
        Ok(AsyncTask::new(BeamTask { input, config, ngram: ngram.map(NgramLm::model) }))
    })
}
