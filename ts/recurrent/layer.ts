/**
 * `RecurrentLayer`: what `RNN`, `LSTM` and `GRU` share. A thin owner of the native
 * `RecurrentNet`: it validates JavaScript-side types, converts layouts of options, and maps
 * errors. One native call per forward or backward of the whole stack.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { fromNativeTensor, Tensor, tensorArg, type TensorLike } from '../tensor';
import type { Trainable } from '../nn/module';
import type { BackwardOptions, ForwardOptions, RecurrentGradients, RecurrentOptions, RecurrentOutput, StateDict } from './options';

/** The native cell names. */
export type RecurrentMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

function bool(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${arg}: expected a boolean, got ${describe(v)}`);
  return v;
}

function num(arg: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected a number, got ${describe(v)}`);
  return v;
}

/** Options after defaults, as the layer keeps them. */
export interface ResolvedRecurrentOptions {
  mode: RecurrentMode;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  dropout: number;
  bias: boolean;
  projSize: number;
  resetAfter: boolean;
  seed: number;
}

/** Base class of `RNN`, `LSTM` and `GRU`. */
export class RecurrentLayer<Out extends RecurrentOutput = RecurrentOutput, Grads extends RecurrentGradients = RecurrentGradients> implements Trainable {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedRecurrentOptions>;
  /** @internal The native stack (used by optimizers in this package). */
  readonly native: native.RecurrentNet;

  /** @internal use `RNN`, `LSTM` or `GRU`. */
  protected constructor(mode: RecurrentMode, opts: RecurrentOptions & { projSize?: number; resetAfter?: boolean }) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`options: expected an object, got ${describe(opts)}`);
    const o: ResolvedRecurrentOptions = {
      mode,
      inputSize: num('inputSize', opts.inputSize, NaN),
      hiddenSize: num('hiddenSize', opts.hiddenSize, NaN),
      numLayers: num('numLayers', opts.numLayers, 1),
      bidirectional: bool('bidirectional', opts.bidirectional, false),
      batchFirst: bool('batchFirst', opts.batchFirst, false),
      dropout: num('dropout', opts.dropout, 0),
      bias: bool('bias', opts.bias, true),
      projSize: num('projSize', opts.projSize, 0),
      resetAfter: bool('resetAfter', opts.resetAfter, true),
      seed: num('seed', opts.seed, 0),
    };
    if (opts.inputSize === undefined) throw new TypeError('inputSize: required (features per input step)');
    if (opts.hiddenSize === undefined) throw new TypeError('hiddenSize: required (hidden units per direction)');
    this.native = callNative(() => new native.RecurrentNet({ ...o }));
    this.options = Object.freeze(o);
  }

  /** Number of directions (1 or 2). */
  get numDirections(): number {
    return this.options.bidirectional ? 2 : 1;
  }

  /** Total number of scalar parameters. */
  get numParameters(): number {
    return callNative(() => this.native.numParameters);
  }

  private forwardArgs(input: TensorLike, opts: ForwardOptions | undefined): [native.TensorArg, native.ForwardArgs] {
    const x = tensorArg('input', input);
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError(`options: expected an object, got ${describe(opts)}`);
    const o = opts ?? {};
    let lengths: number[] | undefined;
    if (o.lengths !== undefined) {
      if (o.lengths === null || typeof o.lengths !== 'object' || typeof (o.lengths as ArrayLike<number>).length !== 'number') {
        throw new TypeError(`lengths: expected an array of integers, got ${describe(o.lengths)}`);
      }
      lengths = Array.from(o.lengths, (v, i) => {
        if (typeof v !== 'number') throw new TypeError(`lengths[${i}]: expected an integer, got ${describe(v)}`);
        return v;
      });
    }
    const training = bool('training', o.training, false);
    return [
      x,
      {
        lengths,
        h0: o.h0 === undefined ? undefined : tensorArg('h0', o.h0),
        c0: o.c0 === undefined ? undefined : tensorArg('c0', o.c0),
        training,
        requiresGrad: bool('requiresGrad', o.requiresGrad, training),
        batchFirst: this.options.batchFirst,
      },
    ];
  }

  private static output<O>(r: native.ForwardResult): O {
    const out: { output: Tensor; h: Tensor; c?: Tensor } = { output: fromNativeTensor(r.output), h: fromNativeTensor(r.h) };
    if (r.c) out.c = fromNativeTensor(r.c);
    return out as O;
  }

  private static grads<G>(r: native.BackwardResult): G {
    const g: { gradInput: Tensor; gradH0: Tensor; gradC0?: Tensor } = { gradInput: fromNativeTensor(r.gradInput), gradH0: fromNativeTensor(r.gradH0) };
    if (r.gradC0) g.gradC0 = fromNativeTensor(r.gradC0);
    return g as G;
  }

  /**
   * Runs the whole stack over a batch: `input` is `[T, B, inputSize]` (or `[B, T, inputSize]`
   * with `batchFirst`). With `training: true` (or `requiresGrad: true`) the layer keeps what
   * `backward` needs; each forward allows one backward.
   */
  forward(input: TensorLike, options?: ForwardOptions): Out {
    const [x, o] = this.forwardArgs(input, options);
    return RecurrentLayer.output<Out>(callNative(() => this.native.forward(x, o)));
  }

  /** `forward` on a worker thread (inputs are copied first); the event loop stays free. */
  async forwardAsync(input: TensorLike, options?: ForwardOptions): Promise<Out> {
    const [x, o] = this.forwardArgs(input, options);
    return RecurrentLayer.output<Out>(await awaitNative(() => this.native.forwardAsync(x, o)));
  }

  private backwardArgs(gradOutput: TensorLike | null | undefined, opts: BackwardOptions | undefined): [native.TensorArg | undefined, native.BackwardArgs] {
    const g = gradOutput === null || gradOutput === undefined ? undefined : tensorArg('gradOutput', gradOutput);
    const o = opts ?? {};
    const args: native.BackwardArgs = {
      gradH: o.gradH === undefined ? undefined : tensorArg('gradH', o.gradH),
      gradC: o.gradC === undefined ? undefined : tensorArg('gradC', o.gradC),
    };
    if (!g && !args.gradH && !args.gradC) {
      throw new InvalidArgumentError('gradOutput: at least one of gradOutput, gradH or gradC is required', 'ERR_SEQLEARN_INVALID_ARG');
    }
    return [g, args];
  }

  /**
   * Back-propagates through time from the gradient of the loss with respect to the output
   * (and/or the final states). Parameter gradients accumulate into `gradients()`; returns the
   * gradients with respect to the input and the initial states.
   */
  backward(gradOutput?: TensorLike | null, options?: BackwardOptions): Grads {
    const [g, o] = this.backwardArgs(gradOutput, options);
    return RecurrentLayer.grads<Grads>(callNative(() => this.native.backward(g, o)));
  }

  /** `backward` on a worker thread. */
  async backwardAsync(gradOutput?: TensorLike | null, options?: BackwardOptions): Promise<Grads> {
    const [g, o] = this.backwardArgs(gradOutput, options);
    return RecurrentLayer.grads<Grads>(await awaitNative(() => this.native.backwardAsync(g, o)));
  }

  /** Copies of the parameters under PyTorch's names, in `state_dict` order. */
  stateDict(): Record<string, Tensor> {
    return toRecord(callNative(() => this.native.stateDict()));
  }

  /** Copies of the accumulated gradients, same names as `stateDict()`. */
  gradients(): Record<string, Tensor> {
    return toRecord(callNative(() => this.native.gradients()));
  }

  /**
   * Loads parameters by PyTorch name (e.g. a `state_dict` saved with safetensors). With
   * `strict` (default) every parameter must be present and no other key; nothing changes on error.
   */
  loadStateDict(stateDict: StateDict, options: { strict?: boolean } = {}): void {
    if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`stateDict: expected an object of tensors, got ${describe(stateDict)}`);
    const list = Object.entries(stateDict).map(([name, t]) => ({ name, ...tensorArg(`stateDict['${name}']`, t) }));
    callNative(() => this.native.loadStateDict(list, bool('strict', options.strict, true)));
  }

  /** Sets every accumulated gradient to zero. */
  zeroGrad(): void {
    callNative(() => this.native.zeroGrad());
  }

  /** A handle to the native parameters (shared storage), for optimizers and clipping. */
  paramHandle(): native.ParamHandle {
    return this.native.paramHandle();
  }
}

function toRecord(list: native.NamedTensorOut[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const t of list) out[t.name] = new Tensor(t.data, t.shape);
  return out;
}
