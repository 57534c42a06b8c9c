//! Word and character error rates for JavaScript, exactly as jiwer computes them (corpus level;
//! see `seqlearn_core::error_rate`), with the edit counts. Large corpora have an async form.

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::error_rate::{self as core, ErrorCounts};

use crate::error::{guard, invalid, to_js};

/// Edit counts of a corpus and the rate.
#[napi(object, object_from_js = false)]
pub struct ErrorRateResult {
    /// `edits / referenceUnits` (`edits` when there are no reference units, as jiwer).
    pub rate: f64,
    /// Minimum substitutions + deletions + insertions, summed over the pairs.
    pub edits: f64,
    /// Words or characters of the references.
    pub reference_units: f64,
    /// Words or characters of the hypotheses.
    pub hypothesis_units: f64,
}

fn result(c: ErrorCounts) -> ErrorRateResult {
    ErrorRateResult { rate: c.rate(), edits: c.edits as f64, reference_units: c.reference_units as f64, hypothesis_units: c.hypothesis_units as f64 }
}

/// A corpus error counter (words or characters).
type Counter = fn(&[String], &[String]) -> seqlearn_core::Result<ErrorCounts>;

fn unit_fn(unit: &str) -> napi::Result<Counter> {
    match unit {
        "word" => Ok(core::word_errors::<String>),
        "char" => Ok(core::char_errors::<String>),
        _ => Err(invalid("unit", format!("expected 'word' or 'char', got '{unit}'"))),
    }
}

/// Error counts of `hypotheses` against `references` in `unit`s (`'word'` or `'char'`).
#[napi(catch_unwind)]
pub fn error_rate(references: Vec<String>, hypotheses: Vec<String>, unit: String) -> napi::Result<ErrorRateResult> {
    let f = unit_fn(&unit)?;
    guard("errorRate", || f(&references, &hypotheses).map(result).map_err(to_js))
}

/// Async error counts.
pub struct ErrorRateTask {
    references: Vec<String>,
    hypotheses: Vec<String>,
    f: Counter,
}

impl Task for ErrorRateTask {
    type Output = ErrorCounts;
    type JsValue = ErrorRateResult;
    fn compute(&mut self) -> napi::Result<ErrorCounts> {
        guard("errorRateAsync", || (self.f)(&self.references, &self.hypotheses).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: ErrorCounts) -> napi::Result<ErrorRateResult> {
        Ok(result(output))
    }
}

/// `errorRate` on a worker thread.
#[napi(ts_return_type = "Promise<ErrorRateResult>")]
pub fn error_rate_async(references: Vec<String>, hypotheses: Vec<String>, unit: String) -> napi::Result<AsyncTask<ErrorRateTask>> {
    let f = unit_fn(&unit)?;
    Ok(AsyncTask::new(ErrorRateTask { references, hypotheses, f }))
}
