//! `ParamHandle`: a shared handle to the parameters of any native layer, so optimizers and
//! gradient clipping take layers of every kind (`RecurrentNet`, `Embedding`, `Linear`, …) in one
//! native call. Each layer class hands one out with `paramHandle()`.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::Float32Array;
use napi_derive::napi;
use seqlearn_core::HasParameters;

use crate::convert::{JsFloat32, JsTypedArray};
use crate::error::invalid;

/// The error a layer gives while one of its async calls holds it.
pub fn busy_error() -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        "[ERR_SEQLEARN_BUSY] this layer is running an async call (forwardAsync/backwardAsync); await it before calling it again",
    )
}

/// Locks a layer without waiting: an async call holding it is an error for synchronous callers.
pub fn try_lock<T: ?Sized>(m: &Mutex<T>) -> napi::Result<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Ok(g),
        // A panic inside a guarded call poisons the mutex; the state itself stays consistent
        // (every kernel writes outputs only after its checks), so keep using it.
        Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => Err(busy_error()),
    }
}

/// A handle to one layer's flat parameters and gradients (shares the layer's storage).
#[napi]
pub struct ParamHandle {
    store: Arc<Mutex<dyn HasParameters>>,
}

impl ParamHandle {
    /// A handle over a layer's shared storage.
    pub fn new<T: HasParameters + 'static>(store: Arc<Mutex<T>>) -> Self {
        ParamHandle { store }
    }

    /// Locks the layer (errors with `ERR_SEQLEARN_BUSY` while an async call holds it).
    pub fn lock(&self) -> napi::Result<MutexGuard<'_, dyn HasParameters + 'static>> {
        try_lock(&self.store)
    }

    /// True if both handles refer to the same layer.
    pub fn same_as(&self, other: &ParamHandle) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

#[napi]
impl ParamHandle {
    /// Number of scalar parameters of the layer.
    #[napi(getter)]
    pub fn num_parameters(&self) -> napi::Result<f64> {
        Ok(self.lock()?.num_parameters() as f64)
    }

    /// Sets the layer's gradients to zero.
    #[napi(catch_unwind)]
    pub fn zero_grad(&self) -> napi::Result<()> {
        self.lock()?.zero_grad();
        Ok(())
    }

    /// True if `other` is a handle to the same layer.
    #[napi]
    pub fn is_same(&self, other: &ParamHandle) -> bool {
        self.same_as(other)
    }

    /// A copy of all parameters as one flat array (PyTorch `state_dict` order, each tensor
    /// row-major): the layout optimizers and their saved states use.
    #[napi(catch_unwind, ts_return_type = "Float32Array")]
    pub fn parameters(&self) -> napi::Result<JsFloat32> {
        Ok(JsTypedArray(self.lock()?.parameters().to_vec()))
    }

    /// A copy of all accumulated gradients, same layout as `parameters()`.
    #[napi(catch_unwind, ts_return_type = "Float32Array")]
    pub fn gradients(&self) -> napi::Result<JsFloat32> {
        let mut g = self.lock()?;
        Ok(JsTypedArray(g.parameters_mut().1.to_vec()))
    }

    /// Replaces all parameters from one flat array (length `numParameters`, finite values).
    #[napi(catch_unwind)]
    pub fn set_parameters(&self, data: Float32Array) -> napi::Result<()> {
        let mut g = self.lock()?;
        let (p, _) = g.parameters_mut();
        check_len(p.len(), &data)?;
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(invalid("data", format!("value at flat index {i} is {} (expected finite parameters)", data[i])));
        }
        p.copy_from_slice(&data);
        Ok(())
    }

    /// Replaces all gradients from one flat array (length `numParameters`). Non-finite values
    /// are accepted (gradients can overflow); `clipGradNorm` reports them.
    #[napi(catch_unwind)]
    pub fn set_gradients(&self, data: Float32Array) -> napi::Result<()> {
        let mut g = self.lock()?;
        let (_, d) = g.parameters_mut();
        check_len(d.len(), &data)?;
        d.copy_from_slice(&data);
        Ok(())
    }
}

fn check_len(n: usize, data: &[f32]) -> napi::Result<()> {
    if data.len() != n {
        return Err(invalid("data", format!("expected {n} values (the layer's numParameters), got {}", data.len())));
    }
    Ok(())
}
