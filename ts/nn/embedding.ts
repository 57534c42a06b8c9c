/**
 * `Embedding` (`torch.nn.Embedding`): a lookup table `weight` `[numEmbeddings, embeddingDim]`
 * indexed by int32 token ids. Backward scatter-adds into the rows that were looked up (repeated
 * ids accumulate), never into the padding row, and not at all while the table is frozen.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { fromNativeTensor, type IntTensorLike, type Tensor, tensorArg, type TensorLike } from '../tensor';
import type { StateDict } from '../recurrent/options';
import type { Trainable } from './module';
import { boolOption, forwardArgs, type LayerForwardOptions, numberOption, optionsObject, stateList, stateRecord } from './linear';

/** Options of `Embedding` (PyTorch names). */
export interface EmbeddingOptions {
  /** Rows of the table; ids are in `0..numEmbeddings − 1`. */
  numEmbeddings: number;
  /** Values per row. */
  embeddingDim: number;
  /** A row that starts at zero and never gets a gradient (e.g. the padding token); negative counts from the end as in PyTorch. */
  paddingIdx?: number;
  /** Seed of the initial values N(0, 1) (default 0). */
  seed?: number;
}

/** Options of `Embedding.fromPretrained`. */
export interface FromPretrainedOptions {
  /** Keep the table fixed in training: backward accumulates no gradient and optimizers skip it (default true). */
  freeze?: boolean;
  /** The padding row (no gradient); the given weight is used as is. */
  paddingIdx?: number;
}

/** `EmbeddingOptions` with the defaults filled in (`paddingIdx` as a row in `0..N − 1`). */
export interface ResolvedEmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  paddingIdx: number | undefined;
  seed: number;
}

/** Checks that `v` is an int32 tensor (for arguments named `arg`) and returns the native form. */
function idsArg(arg: string, v: unknown): native.IntTensorArg {
  const t = v as Partial<IntTensorLike> | null | undefined;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Int32Array) || !Array.isArray(t.shape)) {
    throw new TypeError(`${arg}: expected an IntTensor ({ data: Int32Array, shape: number[] }) of token ids, got ${t !== null && typeof t === 'object' && t.data !== undefined ? `{ data: ${describe(t.data)}, shape: ${describe(t.shape)} }` : describe(v)}`);
  }
  let n = 1;
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) throw new InvalidArgumentError(`${arg}.shape[${i}]: expected a non-negative integer, got ${String(d)}`, 'ERR_SEQLEARN_INVALID_ARG');
    n *= d;
  });
  if (n !== t.data.length) throw new InvalidArgumentError(`${arg}: shape [${t.shape.join(', ')}] needs ${n} values, got ${t.data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  return { data: t.data, shape: [...t.shape] };
}

/** A native layer handed to the constructor by `fromPretrained` (never set otherwise). */
let adopting: native.Embedding | undefined;

/** A lookup table of `numEmbeddings` vectors of `embeddingDim` values. */
export class Embedding implements Trainable {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedEmbeddingOptions>;
  /** @internal The native layer. */
  readonly native: native.Embedding;

  /** A table initialised N(0, 1) from `seed`, with the padding row (if any) zeroed. */
  constructor(options: EmbeddingOptions) {
    if (adopting) {
      this.native = adopting;
      adopting = undefined;
    } else {
      if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
      if (options.numEmbeddings === undefined) throw new TypeError('numEmbeddings: required (rows of the table)');
      if (options.embeddingDim === undefined) throw new TypeError('embeddingDim: required (values per row)');
      const o = {
        numEmbeddings: numberOption('numEmbeddings', options.numEmbeddings, NaN),
        embeddingDim: numberOption('embeddingDim', options.embeddingDim, NaN),
        paddingIdx: options.paddingIdx === undefined ? undefined : numberOption('paddingIdx', options.paddingIdx, NaN),
        seed: numberOption('seed', options.seed, 0),
      };
      this.native = callNative(() => new native.Embedding(o));
    }
    const n = this.native;
    this.options = Object.freeze({ numEmbeddings: n.numEmbeddings, embeddingDim: n.embeddingDim, paddingIdx: n.paddingIdx ?? undefined, seed: options?.seed ?? 0 });
  }

  /**
   * A table holding `weight` `[numEmbeddings, embeddingDim]` (copied, used as given: the
   * padding row is not zeroed), frozen unless `freeze: false` (`Embedding.from_pretrained`).
   */
  static fromPretrained(weight: TensorLike, options: FromPretrainedOptions = {}): Embedding {
    const w = tensorArg('weight', weight);
    const o = optionsObject('options', options);
    const freeze = boolOption('freeze', o.freeze, true);
    const paddingIdx = o.paddingIdx === undefined ? undefined : numberOption('paddingIdx', o.paddingIdx, NaN);
    adopting = callNative(() => native.Embedding.fromPretrained(w, freeze, paddingIdx));
    return new Embedding({ numEmbeddings: w.shape[0], embeddingDim: w.shape[1] });
  }

  /** `numEmbeddings · embeddingDim`. */
  get numParameters(): number {
    return callNative(() => this.native.numParameters);
  }

  /** Frozen: backward accumulates no gradient, and optimizers leave the table alone. Assignable. */
  get freeze(): boolean {
    return callNative(() => this.native.freeze);
  }
  set freeze(value: boolean) {
    if (typeof value !== 'boolean') throw new TypeError(`freeze: expected a boolean, got ${describe(value)}`);
    callNative(() => {
      this.native.freeze = value;
    });
  }

  /**
   * The rows of `ids` (an int32 tensor of any shape, each id in `0..numEmbeddings − 1`):
   * shape `[...ids.shape, embeddingDim]`. With `training` or `requiresGrad`, keeps the ids for
   * `backward`.
   */
  forward(ids: IntTensorLike, options?: LayerForwardOptions): Tensor {
    const i = idsArg('ids', ids);
    const o = forwardArgs(options);
    return fromNativeTensor(callNative(() => this.native.forward(i, o)));
  }

  /** `forward` on a worker thread (the ids are copied first). */
  async forwardAsync(ids: IntTensorLike, options?: LayerForwardOptions): Promise<Tensor> {
    const i = idsArg('ids', ids);
    const o = forwardArgs(options);
    return fromNativeTensor(await awaitNative(() => this.native.forwardAsync(i, o)));
  }

  /**
   * Accumulates the gradient of `weight` from `gradOutput` (shaped like the output). Ids are
   * discrete, so there is no input gradient to return.
   */
  backward(gradOutput: TensorLike): void {
    const g = tensorArg('gradOutput', gradOutput);
    callNative(() => this.native.backward(g));
  }

  /** `backward` on a worker thread. */
  async backwardAsync(gradOutput: TensorLike): Promise<void> {
    const g = tensorArg('gradOutput', gradOutput);
    await awaitNative(() => this.native.backwardAsync(g));
  }

  /** A copy of `weight`. */
  stateDict(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.stateDict()));
  }

  /** A copy of the accumulated gradient of `weight`. */
  gradients(): Record<string, Tensor> {
    return stateRecord(callNative(() => this.native.gradients()));
  }

  /** Loads `weight`; with `strict` (default) it must be given and nothing else. Nothing changes on error. */
  loadStateDict(stateDict: StateDict, options: { strict?: boolean } = {}): void {
    const list = stateList(stateDict);
    const strict = boolOption('strict', optionsObject('options', options).strict, true);
    callNative(() => this.native.loadStateDict(list, strict));
  }

  /** Sets the accumulated gradient to zero. */
  zeroGrad(): void {
    callNative(() => this.native.zeroGrad());
  }

  /** @internal A handle to the native parameters, for optimizers. */
  paramHandle(): native.ParamHandle {
    return this.native.paramHandle();
  }
}
