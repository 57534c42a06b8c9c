/** Option and result types of the recurrent layers (names and defaults follow PyTorch). */
import type { Tensor, TensorLike } from '../tensor';

/** Options shared by `RNN`, `LSTM` and `GRU`. */
export interface RecurrentOptions {
  /** Features per input step. */
  inputSize: number;
  /** Hidden units per direction (H). */
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Two directions per layer with separate weights, outputs concatenated (default false). */
  bidirectional?: boolean;
  /** Inputs and outputs are `[batch, seq, features]` instead of `[seq, batch, features]` (default false). States are always `[layers·D, batch, H]`. */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer except the last, in training only (default 0). */
  dropout?: number;
  /** Use the bias vectors `b_ih` and `b_hh` (default true). */
  bias?: boolean;
  /** Seed of the initial weights U(−1/√H, 1/√H) and of the dropout masks (default 0). */
  seed?: number;
}

/** Options of `RNN`. */
export interface RNNOptions extends RecurrentOptions {
  /** `h = f(W_ih x + b_ih + W_hh h + b_hh)` with f = tanh (default) or relu. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Options of `LSTM`. */
export interface LSTMOptions extends RecurrentOptions {
  /** Projection size P (0 = none, else 0 < P < hiddenSize): `h = W_hr (o ⊙ tanh(c))` as in PyTorch. */
  projSize?: number;
}

/** Options of `GRU`. */
export interface GRUOptions extends RecurrentOptions {
  /**
   * `true` (default, PyTorch/cuDNN): `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
   * `false` (the lecture notes, Keras `reset_after=False`): `n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)`.
   */
  resetAfter?: boolean;
}

/** Per-call options of `forward`. */
export interface ForwardOptions {
  /** Length of each sequence (1..T, any order). Padded steps output zeros and leave the final state at each sequence's own last step (PyTorch packed sequences). */
  lengths?: ArrayLike<number>;
  /** Initial hidden state `[numLayers·D, batch, H_out]` (zeros if omitted). Pass the previous call's `h` for truncated BPTT. */
  h0?: TensorLike;
  /** Initial cell state `[numLayers·D, batch, H]` (LSTM only). */
  c0?: TensorLike;
  /** Training mode: dropout between layers is applied (default false). */
  training?: boolean;
  /** Keep what `backward` needs (default: `training`). */
  requiresGrad?: boolean;
}

/** Result of `forward`. */
export interface RecurrentOutput {
  /** Top layer output for every step, `[T, B, D·H_out]` (or `[B, T, D·H_out]` with `batchFirst`); zero at padded steps. */
  output: Tensor;
  /** Final hidden state of every layer and direction, `[numLayers·D, B, H_out]` (index `layer·D + direction`). */
  h: Tensor;
}

/** Result of `LSTM.forward`. */
export interface LSTMOutput extends RecurrentOutput {
  /** Final cell state, `[numLayers·D, B, H]`. */
  c: Tensor;
}

/** Per-call options of `backward`. */
export interface BackwardOptions {
  /** Gradient of the loss with respect to the final hidden state `h`. */
  gradH?: TensorLike;
  /** Gradient with respect to the final cell state `c` (LSTM). */
  gradC?: TensorLike;
}

/** Result of `backward` (parameter gradients accumulate inside the layer: see `gradients()`). */
export interface RecurrentGradients {
  /** Gradient with respect to the input, shaped like it. */
  gradInput: Tensor;
  /** Gradient with respect to `h0`. */
  gradH0: Tensor;
}

/** Result of `LSTM.backward`. */
export interface LSTMGradients extends RecurrentGradients {
  /** Gradient with respect to `c0`. */
  gradC0: Tensor;
}

/** Named tensors in PyTorch `state_dict` order (`weight_ih_l0`, `bias_hh_l1_reverse`, …). */
export type StateDict = Record<string, TensorLike>;
