//! napi-rs bindings of seqlearn-core: argument checks, conversions, async tasks and errors.
//! No math lives here. One file per domain: `recurrent` (RNN/LSTM/GRU), `safetensors`,
//! `runtime` (threads, random tensors, GEMM probe), `training`
//! (losses, optimizer states, gradient clipping).

#![deny(clippy::all)]

mod convert;
mod error;
pub mod params;
pub mod recurrent;
pub mod runtime;
pub mod safetensors;
pub mod training;
