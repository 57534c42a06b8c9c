//! Optimizers as kernels over flat parameter and gradient buffers (one call updates every
//! parameter of a layer), with `torch.optim`'s exact update rules, and gradient clipping.

pub mod adam;
pub mod clip;
pub mod sgd;

pub use adam::{Adam, AdamConfig};
pub use clip::clip_grad_norm;
pub use sgd::{Sgd, SgdConfig};
