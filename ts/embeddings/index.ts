/** Word embeddings: vocabulary, word2vec training, KeyedVectors, evaluation, projection and plots. */
export {};
export * from './vocab';
export * from './word2vec';
export * from './keyed-vectors';
export * from './plot';
