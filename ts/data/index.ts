/**
 * The data layer: tokenizers, vocabularies, encoding and padding, length bucketing, seeded
 * shuffles and splits, language-model stream batches, and a streaming line reader.
 */
export { CharTokenizer, WordTokenizer, type Tokenizer, type CharTokenizerOptions, type WordTokenizerOptions, type PunctuationPolicy } from './tokenizers';
export { Vocabulary, DEFAULT_SPECIALS, type VocabularyBuildOptions, type VocabularyJSON, type EncodeOptions, type DecodeOptions, type SpecialRole, type SpecialRoles } from './vocabulary';
export { encodeSequences, oneHot } from './encoding';
export { bucketByLength, padSequences, batchifyStream, bpttBatches, type BucketOptions, type PadOptions, type PaddedBatch, type BpttBatch } from './batching';
export { Random, shuffled } from './random';
export { trainValTestSplit, type SplitOptions, type Split } from './split';
export { readLines, type ReadLinesOptions } from './lines';
