//! `ParamHandle`: a shared handle to the parameters of any native layer, so optimizers and
//! gradient clipping take layers of every kind (`RecurrentNet`, `Embedding`, `Linear`, …) in one
//! native call. Each layer class hands one out with `paramHandle()`.

use std::sync::{Arc, Mutex, MutexGuard};

use napi_derive::napi;
use seqlearn_core::HasParameters;

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
}
