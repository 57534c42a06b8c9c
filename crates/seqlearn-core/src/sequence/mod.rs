//! Glue between recurrent layers and the heads on top of them: the final hidden state of the
//! top layer as features (`last_state`), pooling over time with per-sequence lengths (`pool`),
//! and sampling the next token from logits (`sample`) for generation.

pub mod last_state;
pub mod pool;
pub mod sample;

pub use last_state::{last_state_backward, last_state_forward};
pub use pool::{pool_backward, pool_forward, PoolMode, Pooled};
pub use sample::{sample_logits, SampleOptions};
