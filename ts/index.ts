/**
 * seqlearn: sequence learning for Node.js on a Rust core. PyTorch-exact RNN, LSTM and GRU
 * layers with backpropagation through time, multithreaded and off the event loop.
 */
export { Tensor, IntTensor, type TensorLike, type IntTensorLike, type NestedArray } from './tensor';
export { RNN, LSTM, GRU } from './recurrent/layers';
export { RecurrentLayer, type RecurrentMode, type ResolvedRecurrentOptions } from './recurrent/layer';
export type {
  RecurrentOptions,
  RNNOptions,
  LSTMOptions,
  GRUOptions,
  ForwardOptions,
  BackwardOptions,
  RecurrentOutput,
  LSTMOutput,
  RecurrentGradients,
  LSTMGradients,
  StateDict,
} from './recurrent/options';
export { loadSafetensors, loadSafetensorsFile, loadSafetensorsFileSync, saveSafetensors, saveSafetensorsSync, type SafetensorsFile } from './io/safetensors';
export { setNumThreads, getNumThreads } from './runtime';
export { crossEntropy, crossEntropyAsync, binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsAsync, mseLoss, softmax, logSoftmax, softmaxBackward, logSoftmaxBackward, sigmoid, CrossEntropyLoss, BCEWithLogitsLoss, MSELoss, type Reduction, type LossValue, type LossOutput, type CrossEntropyOutput, type BCEOutput, type CrossEntropyOptions, type BCEOptions, type MSEOptions, type SoftmaxOptions } from './training/loss';
export { accuracy, topKAccuracy, confusionMatrix, precisionRecallF1, binaryMetrics, mae, rmse, mape, smape, perplexity, type AccuracyResult, type ClassMetricOptions, type ClassCountOptions, type Scores, type ClassificationReport, type BinaryMetrics } from './training/metrics';
export { Optimizer, SGD, Adam, AdamW, Adagrad, RMSprop, optimizerFromState, clipGradNorm, clipGradValue, gradNorm, flatParameters, flatGradients, setFlatParameters, setFlatGradients, type OptimizerKind, type SGDOptions, type AdamOptions, type AdagradOptions, type RMSpropOptions, type OptimizerOptions, type ResolvedOptimizerOptions, type ParamGroup, type OptimizerLayers, type OptimizerStateDict, type SavedOptimizerStateLike, type ClipGradNormOptions } from './training/optim';
export { LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau, OneCycleLR, type Schedule, type ScheduleState, type ScheduleStateValue, type LinearWarmupOptions, type ReduceLROnPlateauOptions, type OneCycleLROptions } from './training/schedule';
export {
  CharTokenizer,
  WordTokenizer,
  type Tokenizer,
  type CharTokenizerOptions,
  type WordTokenizerOptions,
  type PunctuationPolicy,
  Vocabulary,
  DEFAULT_SPECIALS,
  type VocabularyBuildOptions,
  type VocabularyJSON,
  type EncodeOptions,
  type DecodeOptions,
  type SpecialRole,
  type SpecialRoles,
  encodeSequences,
  oneHot,
  padSequences,
  type PadOptions,
  type PaddedBatch,
  bucketByLength,
  batchifyStream,
  bpttBatches,
  type BucketOptions,
  type BpttBatch,
  Random,
  shuffled,
  trainValTestSplit,
  type SplitOptions,
  type Split,
  readLines,
  type ReadLinesOptions,
} from './data';
export {
  mobyDick,
  MOBY_DICK_CHAPTERS,
  type MobyDick,
  firstNames,
  ambiguousFirstNames,
  type FirstName,
  type FirstNamesOptions,
  type Sex,
  usBirths,
  type UsBirths,
} from './datasets';
export { writeFileAtomic, writeFileAtomicSync, type AtomicWriteOptions } from './io/atomic';
export { SeqlearnError, InvalidArgumentError, ShapeError, FormatError, IoError, StateError, BusyError, InternalError } from './errors';
export { lastState, lastStateBackward, SequencePool, Sampler, type PoolMode, type PoolOptions, type SampleOptions } from './nn/sequence';
export { type Trainable, type ParamHandle, isTrainable } from './nn/module';
export { Linear, type LinearOptions, type ResolvedLinearOptions, type LayerForwardOptions } from './nn/linear';
export { Embedding, type EmbeddingOptions, type FromPretrainedOptions, type ResolvedEmbeddingOptions } from './nn/embedding';
export { Dropout, type DropoutOptions, type ResolvedDropoutOptions } from './nn/dropout';
export { Activation, ReLU, LeakyReLU, ELU, GELU, Tanh, Sigmoid, Softplus, SiLU, activation, activationBackward, activationSavesOutput, type ActivationKind, type ActivationParams } from './nn/activation';
export {
  SequenceModel,
  AbortError,
  type FitOptions,
  type FitCallback,
  type EarlyStoppingOptions,
  type CheckpointOptions,
  type EpochSchedule,
  type EpochLog,
  type History,
  type BatchResult,
  type Json,
} from './models/model';
export { ProgressBar, type FitProgress, type ProgressMode, type ProgressStream } from './models/progress';
export { Backbone, type BackboneOptions, type SequenceInputOptions, type CellType, type RecurrentState } from './models/backbone';
export { LanguageModel, type LanguageModelOptions, type LanguageModelFromTextOptions, type LanguageModelFitOptions, type LanguageModelData, type LanguageModelLevel, type GenerateOptions } from './models/language-model';
export { SequenceClassifier, type SequenceClassifierOptions, type ClassificationData, type PoolingMode } from './models/classifier';
export { SequenceTagger, type SequenceTaggerOptions, type TaggingData } from './models/tagger';
export { Forecaster, type ForecasterOptions, type ForecasterFitOptions, type SeriesData } from './models/forecaster';
export { CtcModel, type CtcModelOptions, type CtcUtterance, type CtcTokenUnit, type CtcSpecAugmentOptions, type TranscribeOptions, type TranscribeBeamOptions, type CtcCandidate, type CtcTranscription } from './models/ctc-model';
export { loadModel, loadModelOf, type AnyModel } from './models/load';
export { type SequenceInput } from './models/sequences';
export * from './audio';
export * from './ctc';
export { wordErrorRate, charErrorRate, errorCounts, errorCountsAsync, type ErrorCounts, type ErrorUnit } from './training/error-rate';
export * from './embeddings';
