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
export { mseLoss, type LossOutput } from './training/loss';
export { Optimizer, Adam, AdamW, SGD, clipGradNorm, type AdamOptions, type SGDOptions } from './training/optim';
export { SeqlearnError, InvalidArgumentError, ShapeError, FormatError, IoError, StateError, BusyError, InternalError } from './errors';
