//! Word embeddings: the pieces word2vec and GloVe share (a vocabulary counted from a streamed
//! corpus, corpus readers, sampling tables, `KeyedVectors` with similarity queries, evaluation,
//! debiasing and 2-D projection) and the word2vec trainer.

pub mod cluster;
pub mod corpus;
pub mod debias;
pub mod evaluate;
pub mod keyed_vectors;
pub mod progress;
pub mod project;
pub mod sampling;
pub mod similarity;
pub mod vocab;
pub mod word2vec;
