/** Connectionist temporal classification: loss, decoders, n-gram language models. */
export { ctcGreedyDecode, ctcBeamSearch, ctcBeamSearchAsync, recurrentLmScorer, type CtcInputKind, type CtcDecodeInputOptions, type CtcHypothesis, type CtcBeamSearchOptions, type CtcLanguageModel, type CtcTokenLm, type CtcWordLm, type CtcTokenLmQueries, type CtcWordLmQueries, type RecurrentLmScorerOptions } from './decode';
export { NgramLanguageModel, type NgramSmoothing, type NgramLevel, type NgramTrainOptions, type NgramLoadOptions, type Sentences } from './ngram';
export { ctcLoss, ctcLossAsync, CTCLoss, type CtcReduction, type CtcLossInputKind, type CtcLossOptions, type CtcInfeasibleItem, type CtcLossResult } from './loss';
