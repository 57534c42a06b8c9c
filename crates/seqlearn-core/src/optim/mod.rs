//! Optimizers and gradient clipping as kernels over flat parameter and gradient buffers, with
//! `torch.optim`'s exact single-tensor update rules. One [`OptimizerState`] updates every
//! parameter of all its layers in one call; kinds: SGD, Adam, AdamW, Adagrad, RMSprop.

pub mod adagrad;
pub mod adam;
pub mod clip;
pub mod config;
pub mod rmsprop;
pub mod sgd;
pub mod state;

#[cfg(test)]
mod tests;

pub use adagrad::AdagradConfig;
pub use adam::AdamConfig;
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm, GradNorm};
pub(crate) use config::check_non_negative;
pub use config::{OptimizerConfig, KINDS};
pub use rmsprop::RmsPropConfig;
pub use sgd::SgdConfig;
pub use state::{OptimizerState, StateSnapshot};
