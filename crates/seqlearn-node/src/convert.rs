//! Conversions between JavaScript values and core types, with the checks a JavaScript caller
//! needs (integers that are really integers, shapes that match their data).

use std::borrow::Cow;

use napi::bindgen_prelude::{Float32Array, Int32Array, ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys};
use napi_derive::napi;

use crate::error::invalid;

/// A tensor passed from JavaScript: values and shape.
#[napi(object)]
pub struct TensorArg {
    /// Row-major values.
    pub data: Float32Array,
    /// Shape; the product must equal `data.length`.
    pub shape: Vec<f64>,
}

/// An int32 tensor passed from JavaScript (token ids): values and shape.
#[napi(object)]
pub struct IntTensorArg {
    /// Row-major values.
    pub data: Int32Array,
    /// Shape; the product must equal `data.length`.
    pub shape: Vec<f64>,
}

/// Float values handed to JavaScript in V8-managed memory (copied once from the Rust `Vec`).
///
/// Not an external buffer on purpose: Node defers the finalizers of external array buffers to
/// the event loop, so a synchronous training loop would pile up every output it dropped (seen:
/// +3.4 MB per LSTM step, unbounded, even with `global.gc()`). V8-owned memory is freed by the
/// garbage collector itself.
pub struct JsFloat32(pub Vec<f32>);

impl TypeName for JsFloat32 {
    fn type_name() -> &'static str {
        "Float32Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for JsFloat32 {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let bytes = val.0.len() * std::mem::size_of::<f32>();
        let mut data: *mut std::ffi::c_void = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        // SAFETY: plain N-API calls on the JS thread; `data` points to `bytes` writable bytes.
        unsafe {
            check_status!(sys::napi_create_arraybuffer(env, bytes, &mut data, &mut buffer), "could not allocate an ArrayBuffer of {} bytes", bytes)?;
            if bytes > 0 {
                std::ptr::copy_nonoverlapping(val.0.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
            }
            let mut array = std::ptr::null_mut();
            check_status!(sys::napi_create_typedarray(env, sys::TypedarrayType::float32_array, val.0.len(), buffer, 0, &mut array), "could not create a Float32Array")?;
            Ok(array)
        }
    }
}

/// A tensor returned to JavaScript (the values are a fresh buffer the caller owns).
#[napi(object, object_from_js = false)]
pub struct TensorOut {
    /// Row-major values.
    #[napi(ts_type = "Float32Array")]
    pub data: JsFloat32,
    /// Shape.
    pub shape: Vec<u32>,
}

/// A named tensor (for state dicts and safetensors).
#[napi(object)]
pub struct NamedTensorArg {
    /// Name, e.g. `weight_ih_l0`.
    pub name: String,
    /// Row-major values.
    pub data: Float32Array,
    /// Shape.
    pub shape: Vec<f64>,
}

/// A named tensor returned to JavaScript.
#[napi(object, object_from_js = false)]
pub struct NamedTensorOut {
    /// Name.
    pub name: String,
    /// Row-major values.
    #[napi(ts_type = "Float32Array")]
    pub data: JsFloat32,
    /// Shape.
    pub shape: Vec<u32>,
}

/// Checks that `v` is an integer in `min..=max` and converts it.
pub fn to_usize(arg: &str, v: f64, min: usize, max: usize) -> napi::Result<usize> {
    if !v.is_finite() || v.fract() != 0.0 || v < min as f64 || v > max as f64 {
        return Err(invalid(arg, format!("expected an integer in {min}..={max}, got {v}")));
    }
    Ok(v as usize)
}

/// Converts and checks a shape against its data length.
pub fn shape_of(arg: &str, shape: &[f64], len: usize) -> napi::Result<Vec<usize>> {
    let s: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| to_usize(&format!("{arg}.shape[{i}]"), d, 0, 1 << 40))
        .collect::<napi::Result<_>>()?;
    let n = s.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if n != Some(len) {
        return Err(invalid(arg, format!("shape {s:?} needs {} values, but data has {len}", n.map(|n| n.to_string()).unwrap_or_else(|| "too many".into()))));
    }
    Ok(s)
}

/// A tensor argument on the Rust side: borrowed from JavaScript memory for synchronous calls,
/// copied for async work (JavaScript may change its buffers while a worker thread reads).
pub struct HostTensor<'a> {
    /// Values.
    pub data: Cow<'a, [f32]>,
    /// Shape.
    pub shape: Vec<usize>,
}

impl<'a> HostTensor<'a> {
    /// Checks a tensor argument and borrows its values (synchronous calls only).
    pub fn borrow(arg: &str, t: &'a TensorArg) -> napi::Result<Self> {
        let shape = shape_of(arg, &t.shape, t.data.len())?;
        Ok(HostTensor { data: Cow::Borrowed(&t.data[..]), shape })
    }

    /// Checks a tensor argument and copies its values (for work off the JavaScript thread).
    pub fn copy(arg: &str, t: &TensorArg) -> napi::Result<HostTensor<'static>> {
        let shape = shape_of(arg, &t.shape, t.data.len())?;
        Ok(HostTensor { data: Cow::Owned(t.data.to_vec()), shape })
    }

    /// A borrowed view for the core.
    pub fn view(&self) -> seqlearn_core::recurrent::TensorRef<'_> {
        seqlearn_core::recurrent::TensorRef { data: &self.data, shape: &self.shape }
    }
}

/// Wraps values and a shape for JavaScript.
pub fn tensor_out(data: Vec<f32>, shape: &[usize]) -> TensorOut {
    TensorOut { data: JsFloat32(data), shape: shape.iter().map(|&d| d as u32).collect() }
}
