//! Output buffers that V8 allocates and the kernels fill in place: the way large gradients reach
//! JavaScript without a copy (small outputs go through `convert::tensor_out`). Used by the
//! cross-entropy (`losses.rs`) and CTC (`ctc_loss.rs`) bindings, sync and async.

use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys};
use napi_derive::napi;

use crate::error::invalid;

/// A `Float32Array` allocated by V8 (so the garbage collector frees it, see `JsFloat32`) that
/// Rust fills in place: a large gradient (cross-entropy over a big vocabulary, CTC over 5,000
/// classes) is written once by the kernel, never copied. Created on the JavaScript thread; an async task's worker writes it before it is handed
/// to JavaScript in `resolve`. A reference keeps the buffer alive in between.
pub(crate) struct V8Floats {
    env: sys::napi_env,
    reference: sys::napi_ref,
    data: *mut f32,
    len: usize,
}

// SAFETY: the buffer is fresh and reachable only through this value until `into_js` gives it to
// JavaScript, so the one thread writing it is never concurrent with another access; the
// reference is only created and deleted on the JavaScript thread (in `new`, `into_js`, `release`).
unsafe impl Send for V8Floats {}

impl V8Floats {
    /// Allocates `len` zeroed floats; `arg` names the argument the size comes from (for errors).
    pub(crate) fn new(env: sys::napi_env, len: usize, arg: &str) -> napi::Result<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<f32>()).ok_or_else(|| invalid(arg, format!("{len} values are too many for one Float32Array")))?;
        let mut data: *mut std::ffi::c_void = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        let mut reference = std::ptr::null_mut();
        // SAFETY: plain N-API calls on the JavaScript thread with valid out-pointers.
        unsafe {
            check_status!(sys::napi_create_arraybuffer(env, bytes, &mut data, &mut buffer), "could not allocate an ArrayBuffer of {} bytes", bytes)?;
            check_status!(sys::napi_create_reference(env, buffer, 1, &mut reference), "could not reference an ArrayBuffer")?;
        }
        Ok(V8Floats { env, reference, data: data.cast(), len })
    }

    /// The buffer, for the kernel to write.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        if self.len == 0 || self.data.is_null() {
            return &mut [];
        }
        // SAFETY: V8 allocated `len · 4` bytes, aligned for any scalar (calloc); nothing else reads
        // or writes them until `into_js` (see the `Send` impl), and `&mut self` makes this unique.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }

    /// The `Float32Array` over the buffer (on the JavaScript thread, inside a handle scope).
    pub(crate) fn into_js(self) -> napi::Result<RawValue> {
        let mut buffer = std::ptr::null_mut();
        let mut array = std::ptr::null_mut();
        // SAFETY: N-API calls on the JavaScript thread; the reference is valid until deleted here.
        unsafe {
            check_status!(sys::napi_get_reference_value(self.env, self.reference, &mut buffer), "could not read an ArrayBuffer reference")?;
            check_status!(sys::napi_delete_reference(self.env, self.reference), "could not delete an ArrayBuffer reference")?;
            check_status!(sys::napi_create_typedarray(self.env, sys::TypedarrayType::float32_array, self.len, buffer, 0, &mut array), "could not create a Float32Array")?;
        }
        Ok(RawValue(array))
    }

    /// Drops the buffer unused (error paths; on the JavaScript thread).
    pub(crate) fn release(self) {
        // SAFETY: as in `into_js`. A failure leaves one unreachable buffer for the environment's teardown.
        unsafe {
            sys::napi_delete_reference(self.env, self.reference);
        }
    }
}

/// A JavaScript value created in the current handle scope, returned as is.
pub struct RawValue(sys::napi_value);

impl TypeName for RawValue {
    fn type_name() -> &'static str {
        "Float32Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for RawValue {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// A gradient tensor whose values V8 owns (filled in place by the kernel).
#[napi(object, object_from_js = false)]
pub struct GradTensor {
    /// Row-major values.
    #[napi(ts_type = "Float32Array")]
    pub data: RawValue,
    /// Shape.
    pub shape: Vec<u32>,
}

