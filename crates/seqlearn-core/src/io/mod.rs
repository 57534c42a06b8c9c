//! File formats, all written atomically (temporary file, fsync, rename).

pub mod atomic;
pub mod safetensors;
pub mod word2vec_format;
