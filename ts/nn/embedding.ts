/**
 * `Embedding` (`torch.nn.Embedding`): a lookup table `weight` `[numEmbeddings, embeddingDim]`
 * indexed by int32 token ids. Backward scatter-adds into the rows that were looked up (repeated
 * ids accumulate), never into the padding row, and not at all while the table is frozen.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { type IntTensorLike, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { boolOption, intTensorShape, type LayerForwardOptions, nativeForward, nativeForwardAsync, NativeTrainableLayer, numberOption, optionsObject } from './common';
import type { FromKeyedVectorsOptions, KeyedEmbedding, KeyedVectors } from '../embeddings/keyed-vectors';

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
  return intTensorShape(arg, t as IntTensorLike);
}

/** A native layer handed to the constructor by `fromPretrained` (never set otherwise). */
let adopting: native.Embedding | undefined;

/** A lookup table of `numEmbeddings` vectors of `embeddingDim` values; its parameter is `weight` (PyTorch's name). */
export class Embedding extends NativeTrainableLayer<native.Embedding> {
  /** The options with their defaults filled in. */
  readonly options: Readonly<ResolvedEmbeddingOptions>;
  /** @internal The native layer. */
  readonly native: native.Embedding;

  /** A table initialised N(0, 1) from `seed`, with the padding row (if any) zeroed. */
  constructor(options: EmbeddingOptions) {
    super();
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

  /**
   * An embedding layer initialised from word vectors (transfer learning): row `i` is the vector
   * of `words[i]` (default: every word of `kv`, in its order), frozen unless `freeze: false`.
   * Returns the layer with the word → row mapping (`KeyedEmbedding`). A word not in `kv` is an
   * `InvalidArgumentError` naming `words[i]`.
   */
  static fromKeyedVectors(kv: KeyedVectors, options: FromKeyedVectorsOptions = {}): KeyedEmbedding {
    if (kv === null || typeof kv !== 'object' || typeof (kv as { vectors?: unknown }).vectors !== 'function') throw new TypeError(`kv: expected KeyedVectors, got ${describe(kv)}`);
    const o = optionsObject('options', options);
    if (o.words !== undefined && !Array.isArray(o.words)) throw new TypeError(`words: expected an array of words (strings), got ${describe(o.words)}`);
    const words = o.words === undefined ? [...kv.words] : [...o.words];
    const weight = o.words === undefined ? kv.vectors() : kv.vectors(words);
    const index = new Map<string, number>();
    words.forEach((w, i) => {
      if (index.has(w)) throw new InvalidArgumentError(`words[${i}]: '${w}' appears twice (also at ${index.get(w)}); every word must be unique`, 'ERR_SEQLEARN_INVALID_ARG');
      index.set(w, i);
    });
    const embedding = Embedding.fromPretrained(weight, { freeze: o.freeze, paddingIdx: o.paddingIdx });
    return { embedding, words: Object.freeze(words), index };
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
    return nativeForward(this.native, idsArg('ids', ids), options);
  }

  /** `forward` on a worker thread (the ids are copied first). */
  async forwardAsync(ids: IntTensorLike, options?: LayerForwardOptions): Promise<Tensor> {
    return nativeForwardAsync(this.native, idsArg('ids', ids), options);
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
}
