//! word2vec (Mikolov et al. 2013): skip-gram and CBOW with negative sampling, hierarchical
//! softmax, or (for small vocabularies) a full softmax, trained Hogwild over corpus shards as
//! the C tool does ([`hogwild`]), or with pWord2Vec's batched updates ([`batched`]).
//!
//! [`config`] holds the options, [`weights`] the shared weight tables, [`train`] the driver
//! (shards, epochs, subsampling, learning-rate decay, progress, abort), [`softmax`] the full
//! softmax, [`kernels`] the SIMD dot/axpy and fused batched update.

pub mod batched;
pub mod config;
pub mod hogwild;
pub mod kernels;
pub mod softmax;
pub mod train;
pub mod weights;

pub use config::{Architecture, Method, Word2VecConfig};
pub use train::{train, train_file, train_text, TrainStats, Word2VecModel};
pub use weights::SharedWeights;
