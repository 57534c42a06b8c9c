/** The three recurrent layer classes (`torch.nn.RNN`, `torch.nn.LSTM`, `torch.nn.GRU`). */
import { RecurrentLayer } from './layer';
import type { GRUOptions, LSTMGradients, LSTMOptions, LSTMOutput, RNNOptions } from './options';

/** Elman RNN: `h_t = f(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)`, f = tanh or relu. */
export class RNN extends RecurrentLayer {
  constructor(options: RNNOptions) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new TypeError(`nonlinearity: expected 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(nl === 'relu' ? 'rnn_relu' : 'rnn_tanh', options);
  }
}

/** LSTM with gates i, f, g, o (PyTorch row order) and an optional projection (`projSize`). */
export class LSTM extends RecurrentLayer<LSTMOutput, LSTMGradients> {
  constructor(options: LSTMOptions) {
    super('lstm', options);
  }
}

/** GRU with gates r, z, n; `resetAfter` picks PyTorch's form (default) or the notes' form. */
export class GRU extends RecurrentLayer {
  constructor(options: GRUOptions) {
    super('gru', options);
  }
}
