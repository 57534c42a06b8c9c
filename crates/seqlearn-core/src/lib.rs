//! seqlearn-core: the numerical core of seqlearn. Pure Rust, no Node.js: recurrent layers with
//! backpropagation through time, the GEMM entry point, vectorised activations, the thread pool,
//! a seeded RNG and safetensors I/O. The `seqlearn-node` crate only converts and dispatches.

#![warn(missing_docs)]

#[cfg(feature = "blas-openblas-system")]
extern crate blas_src;

pub mod activation;
pub mod audio;
pub mod decode;
pub mod embeddings;
pub mod error;
pub mod error_rate;
pub mod io;
pub mod layers;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod module;
pub mod ngram;
pub mod optim;
pub mod parallel;
pub mod recurrent;
pub mod rng;
pub mod sequence;
pub mod simd;

pub use error::{Error, Result};
pub use module::HasParameters;
