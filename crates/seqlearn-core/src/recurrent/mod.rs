//! Recurrent layers: Elman RNN, LSTM (with projection) and GRU (reset after or before), stacked
//! and bidirectional, over variable-length batches, with backpropagation through time.
//! Numerics, names and layouts follow `torch.nn.RNN/LSTM/GRU`.

pub mod cells;
pub mod config;
mod direction;
pub mod net;
pub mod params;
#[cfg(test)]
mod tests;

pub use config::{CellKind, RecurrentConfig};
pub use net::{BackwardOutput, ForwardOptions, ForwardOutput, RecurrentNet, SequenceBatch, TensorRef};
pub use params::{ParamEntry, Parameters};
