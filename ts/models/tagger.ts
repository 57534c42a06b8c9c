/**
 * `SequenceTagger` (many-to-many, aligned): one label per input step — part-of-speech tags,
 * frame classification, trigger-word detection. Ids or features → RNN/LSTM/GRU (usually
 * bidirectional) → Linear per step → softmax cross-entropy over the valid steps only.
 */
import { InvalidArgumentError, describe } from '../errors';
import { Linear } from '../nn/linear';
import type { Trainable } from '../nn/module';
import { Sampler } from '../nn/sequence';
import { IntTensor, Tensor } from '../tensor';
import { crossEntropyAsync, softmax } from '../training/loss';
import { Backbone, sequenceBackboneConfig, type BackboneOptions, type SequenceInputOptions } from './backbone';
import { SequenceModel, type BatchPlan, type BatchResult, type Json, type PlanContext } from './model';
import { checkSequences, padBatch, planIndices, type PaddedBatch, type SequenceInput } from './sequences';

/** Ignored target value at padded steps (PyTorch's default `ignore_index`). */
const IGNORE = -100;

/** Options of `new SequenceTagger(...)`. */
export interface SequenceTaggerOptions extends BackboneOptions, SequenceInputOptions {
  /** Number of tags. */
  numTags: number;
}

/** Sequences with one tag per step. */
export interface TaggingData {
  /** Token-id sequences or `[T, F]` feature sequences. */
  sequences: readonly SequenceInput[];
  /** Tags per step (same length as the sequence), each in `0..numTags-1`. */
  tags: readonly ArrayLike<number>[];
}

interface Batch extends PaddedBatch {
  targets: Int32Array;
}

/** A many-to-many aligned recurrent tagger. */
export class SequenceTagger extends SequenceModel<TaggingData, Batch> {
  readonly kind = 'SequenceTagger';
  readonly numTags: number;
  readonly backbone: Backbone;
  readonly head: Linear;

  constructor(options: SequenceTaggerOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const { numTags } = options;
    if (!Number.isInteger(numTags) || numTags < 2) throw new InvalidArgumentError(`numTags: expected an integer ≥ 2, got ${describe(numTags)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.numTags = numTags;
    const cfg = sequenceBackboneConfig(options);
    this.backbone = new Backbone(cfg, true);
    this.head = new Linear({ inFeatures: this.backbone.outputSize, outFeatures: numTags, seed: cfg.seed + 4 });
  }

  layers(): Record<string, Trainable> {
    return { ...this.backbone.layers(), head: this.head };
  }

  config(): { [key: string]: Json } {
    return { numTags: this.numTags, ...this.backbone.inputJson(), ...this.backbone.configJson() };
  }

  protected itemName(): string {
    return 'steps';
  }

  protected planBatches(data: TaggingData, ctx: PlanContext): BatchPlan<Batch> {
    const arg = ctx.training ? 'data' : 'validation';
    if (data === null || typeof data !== 'object') throw new TypeError(`${arg}: expected { sequences, tags }, got ${describe(data)}`);
    checkSequences(`${arg}.sequences`, data.sequences, this.backbone.config.vocabSize, this.backbone.features);
    if (!Array.isArray(data.tags) || data.tags.length !== data.sequences.length) {
      throw new InvalidArgumentError(`${arg}.tags: expected ${data.sequences.length} tag sequences (one per sequence), got ${describe(data.tags)}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
    data.sequences.forEach((s, i) => {
      const len = s instanceof Int32Array ? s.length : s.shape[0];
      const t = data.tags[i];
      if (t === null || typeof t !== 'object' || t.length !== len) throw new InvalidArgumentError(`${arg}.tags[${i}]: expected ${len} tags (one per step), got ${describe(t)}`, 'ERR_SEQLEARN_INVALID_ARG');
      for (let k = 0; k < t.length; k++) {
        if (!Number.isInteger(t[k]) || t[k] < 0 || t[k] >= this.numTags) throw new InvalidArgumentError(`${arg}.tags[${i}][${k}]: expected a tag in 0..${this.numTags - 1}, got ${describe(t[k])}`, 'ERR_SEQLEARN_INVALID_ARG');
      }
    });
    const groups = planIndices(data.sequences, ctx.batchSize, ctx.shuffle && ctx.training, ctx.seed + ctx.epoch);
    const padId = Math.max(0, this.backbone.config.paddingIdx);
    return {
      batches: groups.map((idx) => {
        const b = padBatch(data.sequences, idx, padId, this.backbone.features);
        const T = Math.max(...b.lengths);
        const targets = new Int32Array(idx.length * T).fill(IGNORE);
        idx.forEach((item, r) => targets.set(Int32Array.from(data.tags[item]), r * T));
        return { ...b, targets };
      }),
    };
  }

  protected async runBatch(b: Batch, training: boolean): Promise<BatchResult> {
    const { output } = await this.backbone.forward(b.input, { lengths: b.lengths, training });
    const [B, T, H] = output.shape;
    const logits = await this.head.forwardAsync(output.reshape([B * T, H]), { training });
    const ce = await crossEntropyAsync(logits, new IntTensor(b.targets, [B * T]), { reduction: 'mean', ignoreIndex: IGNORE });
    const loss = ce.loss as number;
    if (training && Number.isFinite(loss)) {
      const g = await this.head.backwardAsync(ce.grad);
      await this.backbone.backward(g.reshape([B, T, H]));
    }
    return { lossSum: loss * ce.count, count: ce.count, correct: ce.correct };
  }

  /** Tag probabilities per sequence (`[T_i, numTags]` each). */
  async predictProba(sequences: readonly SequenceInput[], options: { batchSize?: number } = {}): Promise<Tensor[]> {
    checkSequences('sequences', sequences, this.backbone.config.vocabSize, this.backbone.features);
    const out: Tensor[] = new Array(sequences.length);
    const padId = Math.max(0, this.backbone.config.paddingIdx);
    for (const idx of planIndices(sequences, options.batchSize ?? 64, false, 0)) {
      const b = padBatch(sequences, idx, padId, this.backbone.features);
      const { output } = await this.backbone.forward(b.input, { lengths: b.lengths, training: false });
      const [B, T, H] = output.shape;
      const p = softmax(await this.head.forwardAsync(output.reshape([B * T, H]), { training: false }));
      idx.forEach((item, r) => {
        const len = b.lengths[r];
        const C = p.shape[1];
        out[item] = new Tensor(p.data.slice(r * T * C, (r * T + len) * C), [len, C]);
      });
    }
    return out;
  }

  /** Most likely tag per step of each sequence. */
  async predict(sequences: readonly SequenceInput[], options: { batchSize?: number } = {}): Promise<Int32Array[]> {
    const probs = await this.predictProba(sequences, options);
    const sampler = new Sampler(0);
    return probs.map((p) => Int32Array.from(sampler.sample(p, { temperature: 0 })));
  }
}
