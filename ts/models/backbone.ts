/**
 * The part every ready model shares: an optional input `Embedding` (token ids) or real-valued
 * inputs, dropout, and a recurrent stack (RNN, LSTM or GRU, uni- or bidirectional, stacked).
 * Forward and backward run as native async calls, one per layer.
 */
import { InvalidArgumentError, describe } from '../errors';
import { Dropout } from '../nn/dropout';
import { Embedding } from '../nn/embedding';
import type { Trainable } from '../nn/module';
import { GRU, LSTM, RNN } from '../recurrent/layers';
import type { RecurrentLayer } from '../recurrent/layer';
import type { IntTensor, Tensor, TensorLike } from '../tensor';
import type { Json } from './model';

/** Which recurrent cell a model uses. */
export type CellType = 'lstm' | 'gru' | 'rnn';

/** Options of the recurrent backbone (shared by every ready model). */
export interface BackboneOptions {
  /** Recurrent cell (default `'lstm'`). */
  cell?: CellType;
  /** Hidden units per direction (default 128). */
  hiddenSize?: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Two directions, outputs concatenated (default false). */
  bidirectional?: boolean;
  /** Dropout on the embedded input, between layers and on the recurrent output (default 0). */
  dropout?: number;
  /** Seed of the initial weights and dropout masks (default 0). */
  seed?: number;
}

/** The backbone's resolved configuration (stored in `config.json`). */
export interface BackboneConfig {
  cell: CellType;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  dropout: number;
  seed: number;
  /** Token vocabulary size when the input is ids (an embedding layer is built), else 0. */
  vocabSize: number;
  /** Embedding width (ids) or features per step (real-valued input). */
  inputSize: number;
  /** Padding id of the embedding, or -1. */
  paddingIdx: number;
  [key: string]: Json;
}

function int(arg: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${arg}: expected an integer ≥ ${min}, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

/** How sequence models take their input: token ids through an embedding, or real-valued steps. */
export interface SequenceInputOptions {
  /** Token vocabulary size: inputs are id sequences through an embedding. */
  vocabSize?: number;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** Padding id of the embedding (frozen at zero; default 0). */
  paddingIdx?: number;
  /** Real-valued input: features per step (instead of `vocabSize`). */
  inputSize?: number;
}

/** Backbone config of a model taking ids (`vocabSize`) or features (`inputSize`): exactly one. */
export function sequenceBackboneConfig(o: BackboneOptions & SequenceInputOptions): BackboneConfig {
  const { vocabSize, inputSize } = o;
  if ((vocabSize === undefined) === (inputSize === undefined)) throw new InvalidArgumentError('vocabSize / inputSize: give exactly one (token ids through an embedding, or real-valued features per step)', 'ERR_SEQLEARN_INVALID_ARG');
  if (vocabSize !== undefined) return backboneConfig(o, { vocabSize: int('vocabSize', vocabSize, 0, 1), inputSize: int('embeddingDim', o.embeddingDim, 64, 1), paddingIdx: int('paddingIdx', o.paddingIdx, 0, 0) });
  return backboneConfig(o, { vocabSize: 0, inputSize: int('inputSize', inputSize, 0, 1) });
}

/** Resolves and validates backbone options. */
export function backboneConfig(o: BackboneOptions, input: { vocabSize: number; inputSize: number; paddingIdx?: number }): BackboneConfig {
  const cell = o.cell ?? 'lstm';
  if (cell !== 'lstm' && cell !== 'gru' && cell !== 'rnn') throw new InvalidArgumentError(`cell: expected 'lstm', 'gru' or 'rnn', got ${describe(cell)}`, 'ERR_SEQLEARN_INVALID_ARG');
  const dropout = o.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new InvalidArgumentError(`dropout: expected a probability in [0, 1), got ${describe(dropout)}`, 'ERR_SEQLEARN_INVALID_ARG');
  if (o.bidirectional !== undefined && typeof o.bidirectional !== 'boolean') throw new TypeError(`bidirectional: expected a boolean, got ${describe(o.bidirectional)}`);
  return {
    cell,
    hiddenSize: int('hiddenSize', o.hiddenSize, 128, 1),
    numLayers: int('numLayers', o.numLayers, 1, 1),
    bidirectional: o.bidirectional ?? false,
    dropout,
    seed: int('seed', o.seed, 0, 0),
    vocabSize: input.vocabSize,
    inputSize: input.inputSize,
    paddingIdx: input.paddingIdx ?? -1,
  };
}

/** Carried recurrent state (truncated BPTT, generation). */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

/** Result of `Backbone.forward`. */
export interface BackboneOutput {
  /** Top-layer outputs `[T, B, D·H]` (or `[B, T, D·H]` with `batchFirst`). */
  output: Tensor;
  /** Final states. */
  state: RecurrentState;
}

/** Embedding (or real-valued input) → dropout → recurrent stack → dropout. */
export class Backbone {
  readonly config: BackboneConfig;
  readonly embedding?: Embedding;
  readonly rnn: RecurrentLayer;
  private readonly dropIn?: Dropout;
  private readonly dropOut?: Dropout;
  private readonly batchFirst: boolean;

  constructor(config: BackboneConfig, batchFirst: boolean) {
    this.config = config;
    this.batchFirst = batchFirst;
    const c = config;
    if (c.vocabSize > 0) {
      this.embedding = new Embedding({ numEmbeddings: c.vocabSize, embeddingDim: c.inputSize, paddingIdx: c.paddingIdx >= 0 ? c.paddingIdx : undefined, seed: c.seed });
    }
    const common = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, dropout: c.numLayers > 1 ? c.dropout : 0, batchFirst, seed: c.seed + 1 };
    this.rnn = c.cell === 'lstm' ? new LSTM(common) : c.cell === 'gru' ? new GRU(common) : new RNN(common);
    if (c.dropout > 0) {
      this.dropIn = new Dropout({ p: c.dropout, seed: c.seed + 2 });
      this.dropOut = new Dropout({ p: c.dropout, seed: c.seed + 3 });
    }
  }

  /** Features per step of the output (`D·H`). */
  get outputSize(): number {
    return this.config.hiddenSize * (this.config.bidirectional ? 2 : 1);
  }

  /** Features per input step for real-valued input; 0 when the input is token ids. */
  get features(): number {
    return this.config.vocabSize > 0 ? 0 : this.config.inputSize;
  }

  /** The recurrent part of a model's `config.json`. */
  configJson(): { [key: string]: Json } {
    const c = this.config;
    return { cell: c.cell, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, dropout: c.dropout, seed: c.seed };
  }

  /** The input part of a sequence model's `config.json` (`vocabSize`… or `inputSize`). */
  inputJson(): { [key: string]: Json } {
    const c = this.config;
    return c.vocabSize > 0 ? { vocabSize: c.vocabSize, embeddingDim: c.inputSize, paddingIdx: c.paddingIdx } : { inputSize: c.inputSize };
  }

  /** Number of directions. */
  get numDirections(): 1 | 2 {
    return this.config.bidirectional ? 2 : 1;
  }

  /** The trainable layers under their checkpoint prefixes. */
  layers(): Record<string, Trainable> {
    return this.embedding ? { embedding: this.embedding, rnn: this.rnn } : { rnn: this.rnn };
  }

  /** Forward over a batch; `input` is ids (with an embedding) or `[T, B, F]` features. */
  async forward(input: IntTensor | TensorLike, options: { lengths?: number[]; state?: RecurrentState; training: boolean }): Promise<BackboneOutput> {
    let x: TensorLike;
    if (this.embedding) x = await this.embedding.forwardAsync(input as IntTensor, { training: options.training });
    else x = input as TensorLike;
    if (this.dropIn && options.training) x = this.dropIn.forward(x, { training: true });
    const r = await this.rnn.forwardAsync(x, { lengths: options.lengths, h0: options.state?.h, c0: options.state?.c, training: options.training });
    let out: Tensor = r.output;
    if (this.dropOut && options.training) out = this.dropOut.forward(out, { training: true });
    const state: RecurrentState = { h: r.h };
    if ((r as { c?: Tensor }).c) state.c = (r as { c?: Tensor }).c;
    return { output: out, state };
  }

  /** Backward from the gradient of the output and/or the final hidden state. */
  async backward(gradOutput: TensorLike | null, gradH?: TensorLike): Promise<void> {
    let g: TensorLike | null = gradOutput;
    if (g && this.dropOut) g = this.dropOut.backward(g);
    const r = await this.rnn.backwardAsync(g, gradH ? { gradH } : {});
    if (this.embedding) {
      let gi: TensorLike = r.gradInput;
      if (this.dropIn) gi = this.dropIn.backward(gi);
      await this.embedding.backwardAsync(gi);
    }
  }
}
