//! Conversions between JavaScript values and core types, with the checks a JavaScript caller
//! needs (integers that are really integers, shapes that match their data).

use std::borrow::Cow;

use napi::bindgen_prelude::{Float32Array, Int32Array, ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys};
use napi_derive::napi;

use crate::error::{invalid, to_js};

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

/// An element type of a JavaScript typed array (the kind `napi_create_typedarray` makes of it).
pub trait TypedArrayElement: Copy + Send + 'static {
    /// The typed array kind (`napi_typedarray_type`).
    const KIND: sys::napi_typedarray_type;
    /// The JavaScript class name, e.g. `Float32Array`.
    const NAME: &'static str;
}

impl TypedArrayElement for f32 {
    const KIND: sys::napi_typedarray_type = sys::TypedarrayType::float32_array;
    const NAME: &'static str = "Float32Array";
}

impl TypedArrayElement for i32 {
    const KIND: sys::napi_typedarray_type = sys::TypedarrayType::int32_array;
    const NAME: &'static str = "Int32Array";
}

/// Values handed to JavaScript as a typed array in V8-managed memory (copied once from the Rust
/// `Vec`).
///
/// Not an external buffer on purpose: Node defers the finalizers of external array buffers to
/// the event loop, so a synchronous training loop would pile up every output it dropped (seen:
/// +3.4 MB per LSTM step, unbounded, even with `global.gc()`). V8-owned memory is freed by the
/// garbage collector itself.
pub struct JsTypedArray<T: TypedArrayElement>(pub Vec<T>);

/// Float values for JavaScript (a `Float32Array`, see `JsTypedArray`).
pub type JsFloat32 = JsTypedArray<f32>;

/// Int32 values for JavaScript (an `Int32Array`, see `JsTypedArray`).
pub type JsInt32 = JsTypedArray<i32>;

impl<T: TypedArrayElement> TypeName for JsTypedArray<T> {
    fn type_name() -> &'static str {
        T::NAME
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T: TypedArrayElement> ToNapiValue for JsTypedArray<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let bytes = std::mem::size_of_val(&val.0[..]);
        let mut data: *mut std::ffi::c_void = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        // SAFETY: plain N-API calls on the JS thread; `data` points to `bytes` writable bytes.
        unsafe {
            check_status!(sys::napi_create_arraybuffer(env, bytes, &mut data, &mut buffer), "could not allocate an ArrayBuffer of {} bytes", bytes)?;
            if bytes > 0 {
                std::ptr::copy_nonoverlapping(val.0.as_ptr().cast::<u8>(), data.cast::<u8>(), bytes);
            }
            let mut array = std::ptr::null_mut();
            check_status!(sys::napi_create_typedarray(env, T::KIND, val.0.len(), buffer, 0, &mut array), "could not create {} {}", if T::NAME.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }, T::NAME)?;
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

/// Largest integer JavaScript numbers hold exactly (2⁵³ − 1): the bound of seeds and counters.
pub const MAX_SAFE_INTEGER: usize = (1usize << 53) - 1;

/// A `seed` option (default 0): an integer in `0..=MAX_SAFE_INTEGER`.
pub fn to_seed(seed: Option<f64>) -> napi::Result<u64> {
    Ok(to_usize("seed", seed.unwrap_or(0.0), 0, MAX_SAFE_INTEGER)? as u64)
}

/// Checks that `v` is an integer in the `i32` range and converts it.
pub fn to_i32(arg: &str, v: f64) -> napi::Result<i32> {
    if !(v.is_finite() && v.fract() == 0.0 && v >= i32::MIN as f64 && v <= i32::MAX as f64) {
        return Err(invalid(arg, format!("expected an integer in {}..={}, got {v}", i32::MIN, i32::MAX)));
    }
    Ok(v as i32)
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

/// Converts and checks a shape against its data length (as `shape_of`), then checks that it is
/// `want`: a shape error naming `arg` otherwise.
pub fn expect_shape(arg: &str, shape: &[f64], len: usize, want: &[usize]) -> napi::Result<()> {
    let s = shape_of(arg, shape, len)?;
    if s != want {
        return Err(to_js(seqlearn_core::Error::shape(arg, want, &s)));
    }
    Ok(())
}

/// Splits the shape of class scores `arg` (`[..., C]`) into the classes `C` and the item shape.
pub fn split_classes<'a>(arg: &str, shape: &'a [usize]) -> napi::Result<(usize, &'a [usize])> {
    match shape.split_last() {
        Some((&classes, items)) => Ok((classes, items)),
        None => Err(invalid(arg, "expected at least 1 dimension (the classes), got a scalar (shape [])")),
    }
}

/// A list of named tensors as the core loads it (state dicts, optimizer states): name, shape, values.
pub type StateList<'a> = Vec<(String, Vec<usize>, &'a [f32])>;

/// Checks the shapes of named tensors given from JavaScript; errors name a tensor `arg['name']`.
pub fn named_tensor_list<'a>(arg: &str, tensors: &'a [NamedTensorArg]) -> napi::Result<StateList<'a>> {
    tensors.iter().map(|t| Ok((t.name.clone(), shape_of(&format!("{arg}['{}']", t.name), &t.shape, t.data.len())?, &t.data[..]))).collect()
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

    /// The owned form (copies borrowed values), for work off the JavaScript thread.
    pub fn into_owned(self) -> HostTensor<'static> {
        HostTensor { data: Cow::Owned(self.data.into_owned()), shape: self.shape }
    }

    /// A borrowed view for the core.
    pub fn view(&self) -> seqlearn_core::recurrent::TensorRef<'_> {
        seqlearn_core::recurrent::TensorRef { data: &self.data, shape: &self.shape }
    }
}

/// Wraps values and a shape for JavaScript.
pub fn tensor_out(data: Vec<f32>, shape: &[usize]) -> TensorOut {
    TensorOut { data: JsTypedArray(data), shape: shape.iter().map(|&d| d as u32).collect() }
}

/// Wraps a named tensor (values and shape) for JavaScript.
pub fn named_tensor_out(name: String, data: Vec<f32>, shape: &[usize]) -> NamedTensorOut {
    NamedTensorOut { name, data: JsTypedArray(data), shape: shape.iter().map(|&d| d as u32).collect() }
}
