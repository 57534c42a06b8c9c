/**
 * `SequenceClassifier` (many-to-one): token ids (through an embedding) or real-valued steps →
 * RNN/LSTM/GRU (uni/bi, stacked) → the last state or a mean/max pool over time → Linear →
 * softmax (multi-class, cross-entropy) or sigmoid (binary, one logit, BCE with logits).
 */
import { InvalidArgumentError, describe } from '../errors';
import { Linear } from '../nn/linear';
import type { Trainable } from '../nn/module';
import { Sampler, SequencePool, lastState, lastStateBackward } from '../nn/sequence';
import { IntTensor, Tensor } from '../tensor';
import { binaryCrossEntropyWithLogitsAsync, crossEntropyAsync, sigmoid, softmax } from '../training/loss';
import { Backbone, sequenceBackboneConfig, type BackboneOptions, type SequenceInputOptions } from './backbone';
import { SequenceModel, type BatchPlan, type BatchResult, type Json, type PlanContext } from './model';
import { checkSequences, padBatch, planIndices, type PaddedBatch, type SequenceInput } from './sequences';

/** How a sequence becomes one feature vector. */
export type PoolingMode = 'last' | 'mean' | 'max';

/** Options of `new SequenceClassifier(...)`. */
export interface SequenceClassifierOptions extends BackboneOptions, SequenceInputOptions {
  /** Number of classes (2+ for softmax; with `output: 'sigmoid'`, 2 means one logit). */
  numClasses: number;
  /** `'last'` state (default), or `'mean'` / `'max'` over the valid steps. */
  pooling?: PoolingMode;
  /** `'softmax'` (default) or `'sigmoid'` (binary with one logit). */
  output?: 'softmax' | 'sigmoid';
}

/** Labelled sequences. */
export interface ClassificationData {
  /** Token-id sequences (`Int32Array`) or feature sequences (`[T, F]` tensors). */
  sequences: readonly SequenceInput[];
  /** One class id per sequence, in `0..numClasses-1`. */
  labels: ArrayLike<number>;
}

interface Batch extends PaddedBatch {
  labels: Int32Array;
}

/** A many-to-one recurrent classifier. */
export class SequenceClassifier extends SequenceModel<ClassificationData, Batch> {
  readonly kind = 'SequenceClassifier';
  readonly numClasses: number;
  readonly pooling: PoolingMode;
  readonly outputMode: 'softmax' | 'sigmoid';
  readonly backbone: Backbone;
  readonly head: Linear;
  private readonly pool?: SequencePool;

  constructor(options: SequenceClassifierOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const { numClasses } = options;
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new InvalidArgumentError(`numClasses: expected an integer ≥ 2, got ${describe(numClasses)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const pooling = options.pooling ?? 'last';
    if (pooling !== 'last' && pooling !== 'mean' && pooling !== 'max') throw new InvalidArgumentError(`pooling: expected 'last', 'mean' or 'max', got ${describe(pooling)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const output = options.output ?? 'softmax';
    if (output !== 'softmax' && output !== 'sigmoid') throw new InvalidArgumentError(`output: expected 'softmax' or 'sigmoid', got ${describe(output)}`, 'ERR_SEQLEARN_INVALID_ARG');
    if (output === 'sigmoid' && numClasses !== 2) throw new InvalidArgumentError(`numClasses: output 'sigmoid' is binary (numClasses 2), got ${numClasses}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.numClasses = numClasses;
    this.pooling = pooling;
    this.outputMode = output;
    const cfg = sequenceBackboneConfig(options);
    this.backbone = new Backbone(cfg, true);
    this.head = new Linear({ inFeatures: this.backbone.outputSize, outFeatures: output === 'sigmoid' ? 1 : numClasses, seed: cfg.seed + 4 });
    if (pooling !== 'last') this.pool = new SequencePool(pooling);
  }

  layers(): Record<string, Trainable> {
    return { ...this.backbone.layers(), head: this.head };
  }

  config(): { [key: string]: Json } {
    return { numClasses: this.numClasses, ...this.backbone.inputJson(), pooling: this.pooling, output: this.outputMode, ...this.backbone.configJson() };
  }

  protected itemName(): string {
    return 'seqs';
  }

  protected planBatches(data: ClassificationData, ctx: PlanContext): BatchPlan<Batch> {
    const arg = ctx.training ? 'data' : 'validation';
    if (data === null || typeof data !== 'object') throw new TypeError(`${arg}: expected { sequences, labels }, got ${describe(data)}`);
    checkSequences(`${arg}.sequences`, data.sequences, this.backbone.config.vocabSize, this.backbone.features);
    const labels = data.labels;
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new TypeError(`${arg}.labels: expected an array of class ids, got ${describe(labels)}`);
    if (labels.length !== data.sequences.length) throw new InvalidArgumentError(`${arg}.labels: expected ${data.sequences.length} labels (one per sequence), got ${labels.length}`, 'ERR_SEQLEARN_INVALID_ARG');
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.numClasses) throw new InvalidArgumentError(`${arg}.labels[${i}]: expected a class id in 0..${this.numClasses - 1}, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
    const groups = planIndices(data.sequences, ctx.batchSize, ctx.shuffle && ctx.training, ctx.seed + ctx.epoch);
    const padId = this.backbone.config.paddingIdx >= 0 ? this.backbone.config.paddingIdx : 0;
    // Padding is deferred to `runBatch` through a getter-free closure: batches hold only indices.
    return {
      batches: groups.map((idx) => {
        const b = padBatch(data.sequences, idx, padId, this.backbone.features);
        return { ...b, labels: Int32Array.from(idx, (i) => labels[i]) };
      }),
    };
  }

  private async pooledFeatures(b: PaddedBatch, training: boolean): Promise<{ feats: Tensor; hShape: number[] }> {
    const { output, state } = await this.backbone.forward(b.input, { lengths: b.lengths, training });
    if (this.pooling === 'last') return { feats: lastState(state.h, this.backbone.numDirections), hShape: state.h.shape };
    return { feats: this.pool!.forward(output, { lengths: b.lengths, batchFirst: true }), hShape: state.h.shape };
  }

  protected async runBatch(b: Batch, training: boolean): Promise<BatchResult> {
    const { feats, hShape } = await this.pooledFeatures(b, training);
    const logits = await this.head.forwardAsync(feats, { training });
    const n = b.labels.length;
    let loss: number;
    let grad: Tensor;
    let correct: number;
    if (this.outputMode === 'softmax') {
      const ce = await crossEntropyAsync(logits, new IntTensor(b.labels, [n]), { reduction: 'mean' });
      loss = ce.loss as number;
      grad = ce.grad;
      correct = ce.correct;
    } else {
      const target = new Tensor(Float32Array.from(b.labels), [n, 1]);
      const r = await binaryCrossEntropyWithLogitsAsync(logits, target, { reduction: 'mean' });
      loss = r.loss as number;
      grad = r.grad;
      correct = r.correct ?? 0;
    }
    if (training && Number.isFinite(loss)) {
      const gFeat = await this.head.backwardAsync(grad);
      if (this.pooling === 'last') await this.backbone.backward(null, lastStateBackward(gFeat, hShape, this.backbone.numDirections));
      else await this.backbone.backward(this.pool!.backward(gFeat));
    }
    return { lossSum: loss * n, count: n, correct };
  }

  /** Class probabilities `[N, numClasses]` for `sequences` (in order). */
  async predictProba(sequences: readonly SequenceInput[], options: { batchSize?: number } = {}): Promise<Tensor> {
    checkSequences('sequences', sequences, this.backbone.config.vocabSize, this.backbone.features);
    const bs = options.batchSize ?? 64;
    const C = this.numClasses;
    const out = new Float32Array(sequences.length * C);
    const padId = Math.max(0, this.backbone.config.paddingIdx);
    for (const idx of planIndices(sequences, bs, false, 0)) {
      const b = padBatch(sequences, idx, padId, this.backbone.features);
      const { feats } = await this.pooledFeatures(b, false);
      const logits = await this.head.forwardAsync(feats, { training: false });
      if (this.outputMode === 'softmax') {
        out.set(softmax(logits).data, idx[0] * C);
      } else {
        const p = sigmoid(logits).data; // [n, 1] → P(class 1)
        const two = new Float32Array(idx.length * 2);
        for (let i = 0; i < idx.length; i++) {
          two[2 * i] = 1 - p[i];
          two[2 * i + 1] = p[i];
        }
        out.set(two, idx[0] * 2);
      }
    }
    return new Tensor(out, [sequences.length, C]);
  }

  /** Most likely class per sequence. */
  async predict(sequences: readonly SequenceInput[], options: { batchSize?: number } = {}): Promise<Int32Array> {
    const p = await this.predictProba(sequences, options);
    return Int32Array.from(new Sampler(0).sample(p, { temperature: 0 }));
  }
}
