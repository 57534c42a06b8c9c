//! safetensors load/save for JavaScript (sync and async), over the core's one reader/writer.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, Float32Array, Int32Array};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::io::safetensors::{self as st, NamedTensor, SafetensorsFile, TensorData};

use crate::convert::{shape_of, JsFloat32, JsInt32, JsTypedArray};
use crate::error::{guard, invalid, to_js};

/// A tensor to write to a safetensors file: float values in `data`, integer values in `ints`
/// (exactly one of the two is set).
#[napi(object)]
pub struct SafetensorsEntry {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<f64>,
    /// dtype in the file (`F32`, `F16`, `I64`, …); ignored when saving.
    pub dtype: Option<String>,
    /// Float values (F32/F64/F16/BF16 in the file).
    pub data: Option<Float32Array>,
    /// Integer values (I64/I32/… in the file).
    pub ints: Option<Int32Array>,
}

/// A tensor read from a safetensors file (values in V8-owned memory, see `JsTypedArray`).
#[napi(object, object_from_js = false)]
pub struct SafetensorsTensor {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<f64>,
    /// dtype in the file (`F32`, `F16`, `I64`, …).
    pub dtype: String,
    /// Float values (F32/F64/F16/BF16 in the file).
    #[napi(ts_type = "Float32Array | undefined")]
    pub data: Option<JsFloat32>,
    /// Integer values (I64/I32/… in the file).
    #[napi(ts_type = "Int32Array | undefined")]
    pub ints: Option<JsInt32>,
}

/// Contents of a safetensors file.
#[napi(object, object_from_js = false)]
pub struct SafetensorsContents {
    /// Tensors in file order.
    pub tensors: Vec<SafetensorsTensor>,
    /// `__metadata__` string map.
    pub metadata: HashMap<String, String>,
}

fn to_js_contents(f: SafetensorsFile) -> SafetensorsContents {
    SafetensorsContents {
        tensors: f
            .tensors
            .into_iter()
            .map(|t| {
                let (data, ints) = match t.data {
                    TensorData::F32(v) => (Some(JsTypedArray(v)), None),
                    TensorData::I32(v) => (None, Some(JsTypedArray(v))),
                };
                SafetensorsTensor { name: t.name, shape: t.shape.iter().map(|&d| d as f64).collect(), dtype: t.dtype, data, ints }
            })
            .collect(),
        metadata: f.metadata.into_iter().collect(),
    }
}

fn from_js(tensors: &[SafetensorsEntry]) -> napi::Result<Vec<NamedTensor>> {
    tensors
        .iter()
        .map(|t| {
            let arg = format!("tensors['{}']", t.name);
            let (data, len, dtype) = match (&t.data, &t.ints) {
                (Some(d), None) => (TensorData::F32(d.to_vec()), d.len(), "F32"),
                (None, Some(i)) => (TensorData::I32(i.to_vec()), i.len(), "I32"),
                _ => return Err(invalid(&arg, "expected exactly one of data (Float32Array) or ints (Int32Array)")),
            };
            Ok(NamedTensor { name: t.name.clone(), shape: shape_of(&arg, &t.shape, len)?, dtype: dtype.into(), data })
        })
        .collect()
}

/// Reads a safetensors file on the calling thread.
#[napi(catch_unwind)]
pub fn load_safetensors_sync(path: String) -> napi::Result<SafetensorsContents> {
    st::load(&PathBuf::from(path)).map(to_js_contents).map_err(to_js)
}

/// Writes a safetensors file atomically on the calling thread.
#[napi(catch_unwind)]
pub fn save_safetensors_sync(path: String, tensors: Vec<SafetensorsEntry>, metadata: Option<HashMap<String, String>>) -> napi::Result<()> {
    let list = from_js(&tensors)?;
    let meta: BTreeMap<String, String> = metadata.unwrap_or_default().into_iter().collect();
    st::save(&PathBuf::from(path), &list, &meta).map_err(to_js)
}

/// Async file read.
pub struct LoadTask {
    path: PathBuf,
}

impl Task for LoadTask {
    type Output = SafetensorsFile;
    type JsValue = SafetensorsContents;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        guard("loadSafetensors", || st::load(&self.path).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(to_js_contents(output))
    }
}

/// Reads a safetensors file on a worker thread.
#[napi(ts_return_type = "Promise<SafetensorsContents>")]
pub fn load_safetensors(path: String) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask { path: PathBuf::from(path) })
}

/// Async atomic file write.
pub struct SaveTask {
    path: PathBuf,
    tensors: Vec<NamedTensor>,
    metadata: BTreeMap<String, String>,
}

impl Task for SaveTask {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> napi::Result<()> {
        guard("saveSafetensors", || st::save(&self.path, &self.tensors, &self.metadata).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Writes a safetensors file atomically on a worker thread (values are copied first).
#[napi(ts_return_type = "Promise<void>")]
pub fn save_safetensors(path: String, tensors: Vec<SafetensorsEntry>, metadata: Option<HashMap<String, String>>) -> napi::Result<AsyncTask<SaveTask>> {
    let list = guard("saveSafetensors", || from_js(&tensors))?;
    Ok(AsyncTask::new(SaveTask { path: PathBuf::from(path), tensors: list, metadata: metadata.unwrap_or_default().into_iter().collect() }))
}
