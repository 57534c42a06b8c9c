//! napi-rs bindings of seqlearn-core: argument checks, conversions, async tasks and errors.
//! No math lives here. One file per domain: `recurrent` (RNN/LSTM/GRU), `safetensors`,
//! `runtime` (threads, random tensors, GEMM probe), `optim`
//! (optimizers, gradient clipping).

#![deny(clippy::all)]

pub mod audio;
mod convert;
pub mod ctc_loss;
pub mod decode;
mod error;
pub mod error_rate;
mod layer_common;
pub mod keyed_vectors;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod ngram;
pub mod optim;
pub mod params;
pub mod recurrent;
pub mod runtime;
pub mod safetensors;
pub mod sequence;
pub mod v8_buffer;
pub mod vocab;
pub mod word2vec;
