//! What every native layer class shares (`RecurrentNet`, `Embedding`, `Linear`, `Dropout`): the
//! core layer behind `Arc<Mutex<…>>` (`SharedLayer`), locked without waiting by synchronous calls
//! (while an async call holds it, they get a `BusyError`); async calls that hold the layer on a
//! libuv worker (`LayerTask`); and, for layers with parameters, the state-dict methods
//! (`trainable_methods!` writes those napi methods once for every class).

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};
use seqlearn_core::layers::OwnedTensor;
use seqlearn_core::recurrent::Parameters;
use seqlearn_core::HasParameters;

use crate::convert::{named_tensor_list, named_tensor_out, tensor_out, NamedTensorArg, NamedTensorOut, StateList, TensorOut};
use crate::error::{guard, invalid, to_js};
use crate::params::{try_lock, ParamHandle};

/// A core layer with named parameters (PyTorch's `state_dict` names and order).
pub trait NamedParameters: HasParameters + 'static {
    /// The parameter layout with the values and gradients.
    fn named_parameters(&self) -> &Parameters;

    /// Loads parameters by name (see `Parameters::load`); nothing changes on error.
    fn load_named(&mut self, tensors: &StateList<'_>, strict: bool) -> seqlearn_core::Result<()>;
}

/// A core result that an async layer call hands to JavaScript.
pub trait TaskOutput: Send + 'static {
    /// The JavaScript value.
    type Js: ToNapiValue + TypeName;

    /// Converts the result (on the JavaScript thread).
    fn into_js(self) -> Self::Js;
}

impl TaskOutput for OwnedTensor {
    type Js = TensorOut;
    fn into_js(self) -> TensorOut {
        tensor_out(self.data, &self.shape)
    }
}

impl TaskOutput for () {
    type Js = ();
    fn into_js(self) {}
}

/// A core layer shared by its napi class, its async tasks and its `ParamHandle`s.
pub struct SharedLayer<L> {
    inner: Arc<Mutex<L>>,
}

impl<L: Send + 'static> SharedLayer<L> {
    /// Shares `layer`.
    pub fn new(layer: L) -> Self {
        SharedLayer { inner: Arc::new(Mutex::new(layer)) }
    }

    /// Locks the layer without waiting (`ERR_SEQLEARN_BUSY` while an async call holds it).
    pub fn lock(&self) -> napi::Result<MutexGuard<'_, L>> {
        try_lock(&self.inner)
    }

    /// Runs `job` on the locked layer on the calling thread; a panic becomes an error naming `what`.
    pub fn call<O>(&self, what: &str, job: impl FnOnce(&mut L) -> seqlearn_core::Result<O>) -> napi::Result<O> {
        let mut layer = self.lock()?;
        guard(what, || job(&mut layer).map_err(to_js))
    }

    /// `job` as an async call named `what`: it runs on a libuv worker holding the layer.
    pub fn task<O: TaskOutput>(&self, what: &'static str, job: impl FnOnce(&mut L) -> seqlearn_core::Result<O> + Send + 'static) -> AsyncTask<LayerTask<L, O>> {
        AsyncTask::new(LayerTask { what, layer: self.inner.clone(), job: Some(Box::new(job)) })
    }
}

impl<L: HasParameters + 'static> SharedLayer<L> {
    /// A handle to the parameters (shares the layer).
    pub fn param_handle(&self) -> ParamHandle {
        ParamHandle::new(self.inner.clone())
    }

    /// Number of scalar parameters.
    pub fn num_parameters(&self) -> napi::Result<f64> {
        Ok(self.lock()?.num_parameters() as f64)
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&self) -> napi::Result<()> {
        self.lock()?.zero_grad();
        Ok(())
    }
}

impl<L: NamedParameters> SharedLayer<L> {
    /// Copies of the parameters (`grad`: of the gradients), named, in `state_dict` order.
    pub fn named_tensors(&self, grad: bool) -> napi::Result<Vec<NamedTensorOut>> {
        let layer = self.lock()?;
        let p = layer.named_parameters();
        let values = if grad { &p.grad } else { &p.data };
        Ok(p.entries.iter().map(|e| named_tensor_out(e.name.clone(), values[e.range()].to_vec(), &e.shape)).collect())
    }

    /// Loads a state dict given from JavaScript (shapes checked here, names and sizes by the core).
    pub fn load_state_dict(&self, tensors: &[NamedTensorArg], strict: bool) -> napi::Result<()> {
        let list = named_tensor_list("stateDict", tensors)?;
        self.call("loadStateDict", |layer| layer.load_named(&list, strict))
    }
}

/// Work on a layer, run on a libuv worker: the closure gets the locked layer.
type Job<L, O> = Box<dyn FnOnce(&mut L) -> seqlearn_core::Result<O> + Send>;

/// An async call of a layer (`forwardAsync`, `backwardAsync`), made by `SharedLayer::task`.
pub struct LayerTask<L: Send + 'static, O: TaskOutput> {
    what: &'static str,
    layer: Arc<Mutex<L>>,
    job: Option<Job<L, O>>,
}

impl<L: Send + 'static, O: TaskOutput> Task for LayerTask<L, O> {
    type Output = O;
    type JsValue = O::Js;
    fn compute(&mut self) -> napi::Result<O> {
        let job = self.job.take().ok_or_else(|| invalid(self.what, "internal: the task ran twice"))?;
        guard(self.what, || {
            let mut layer = self.layer.lock().unwrap_or_else(|e| e.into_inner());
            job(&mut layer).map_err(to_js)
        })
    }
    fn resolve(&mut self, _env: Env, output: O) -> napi::Result<O::Js> {
        Ok(output.into_js())
    }
}

/// The napi methods of a trainable layer class whose field `inner` is a `SharedLayer` of a
/// `NamedParameters` core layer: `stateDict`, `gradients`, `loadStateDict`, `zeroGrad`,
/// `paramHandle` and `numParameters`.
macro_rules! trainable_methods {
    ($class:ident) => {
        #[napi_derive::napi]
        impl $class {
            /// Copies of the parameters under PyTorch's names, in `state_dict` order.
            #[napi(catch_unwind)]
            pub fn state_dict(&self) -> napi::Result<Vec<crate::convert::NamedTensorOut>> {
                self.inner.named_tensors(false)
            }

            /// Copies of the accumulated gradients, named and ordered like `stateDict`.
            #[napi(catch_unwind)]
            pub fn gradients(&self) -> napi::Result<Vec<crate::convert::NamedTensorOut>> {
                self.inner.named_tensors(true)
            }

            /// Loads parameters by name; with `strict`, every parameter must be given and nothing
            /// else. Atomic: on error nothing changes.
            #[napi(catch_unwind)]
            pub fn load_state_dict(&self, tensors: Vec<crate::convert::NamedTensorArg>, strict: bool) -> napi::Result<()> {
                self.inner.load_state_dict(&tensors, strict)
            }

            /// Sets every gradient to zero.
            #[napi(catch_unwind)]
            pub fn zero_grad(&self) -> napi::Result<()> {
                self.inner.zero_grad()
            }

            /// A handle to the parameters (for optimizers and gradient clipping).
            #[napi]
            pub fn param_handle(&self) -> crate::params::ParamHandle {
                self.inner.param_handle()
            }

            /// Total number of scalar parameters.
            #[napi(getter)]
            pub fn num_parameters(&self) -> napi::Result<f64> {
                self.inner.num_parameters()
            }
        }
    };
}

pub(crate) use trainable_methods;
