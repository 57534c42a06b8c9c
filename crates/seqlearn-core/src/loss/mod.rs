//! Loss functions: value and gradient in one pass.

pub mod mse;

pub use mse::mse_loss;
