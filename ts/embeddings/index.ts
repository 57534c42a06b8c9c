/** Word embeddings: vocabulary, word2vec training, KeyedVectors, evaluation, projection and plots. */
export { CorpusVocab, type CorpusInput, type VocabProgress, type CorpusVocabLoadOptions, type CorpusVocabBuildOptions } from './vocab';
export * from './word2vec';
export * from './keyed-vectors';
export * from './plot';
