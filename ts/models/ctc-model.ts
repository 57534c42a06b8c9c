/**
 * `CtcModel`: sequence transcription without alignments (speech → text). Real-valued feature
 * frames `[T, F]` per utterance (log-mel, MFCC) → optional frame stacking → (bi)RNN/LSTM/GRU
 * stack → Linear → connectionist temporal classification over an alphabet (blank = class 0,
 * the alphabet's tokens are classes 1…). `fit` trains with the CTC loss (PyTorch's `mean`
 * reduction: each utterance's −log p divided by its transcript length, then the batch mean);
 * evaluation reports CER and WER of greedy transcriptions; `transcribe` decodes greedily or
 * with prefix beam search, optionally with a language model (shallow fusion).
 */
import { InvalidArgumentError, describe } from '../errors';
import { bucketByLength } from '../data/batching';
import { Random } from '../data/random';
import { ctcBeamSearch, ctcBeamSearchAsync, ctcGreedyDecode, type CtcBeamSearchOptions, type CtcHypothesis, type CtcLanguageModel } from '../ctc/decode';
import { NgramLanguageModel } from '../ctc/ngram';
import { ctcLossAsync } from '../ctc/loss';
import { Linear } from '../nn/linear';
import type { Trainable } from '../nn/module';
import { Tensor, type TensorLike } from '../tensor';
import { charErrorRate, wordErrorRate } from '../training/error-rate';
import { logSoftmax } from '../training/loss';
import { specAugment, type SpecAugmentOptions } from '../audio/augment';
import { Backbone, backboneConfig, type BackboneOptions } from './backbone';
import { SequenceModel, type BatchPlan, type BatchResult, type Json, type PlanContext } from './model';

/** What one token of the alphabet is: a character (text = tokens joined) or a word (joined by spaces). */
export type CtcTokenUnit = 'char' | 'word';

/**
 * SpecAugment masks (Park et al. 2019) for the training batches: the options of `specAugment`
 * (`ts/audio`) without the seed — each training utterance gets its own draw from the model's
 * seeded stream, in input frames and feature coefficients (before frame stacking).
 */
export type CtcSpecAugmentOptions = Omit<SpecAugmentOptions, 'seed'>;

/** Options of `new CtcModel(...)`. */
export interface CtcModelOptions extends BackboneOptions {
  /** Features per input frame (e.g. 40 log-mel bands). */
  inputSize: number;
  /**
   * The output tokens, in class order from 1 (class 0 is the blank): a string of characters
   * (e.g. `" abcdefghijklmnopqrstuvwxyz'"`) or an array of tokens (characters, or words with
   * `unit: 'word'`). Tokens are distinct and non-empty.
   */
  alphabet: string | readonly string[];
  /** `'char'` (default: a text is its characters) or `'word'` (a text is its whitespace-separated words). */
  unit?: CtcTokenUnit;
  /**
   * Stack this many consecutive frames into one recurrent step (`[T, F]` → `[⌈T/k⌉, k·F]`, the
   * last group zero-padded): k times fewer recurrent steps, so training and decoding run about
   * k times faster; each token then needs at least one stacked step (default 1 = off).
   */
  frameStack?: number;
  /** Masking of the training batches (default off). */
  specAugment?: CtcSpecAugmentOptions;
}

/** One training or evaluation item. */
export interface CtcUtterance {
  /** Feature frames `[T, inputSize]`. */
  features: TensorLike;
  /** The transcript, made of alphabet tokens (characters, or words separated by whitespace). */
  text: string;
}

/** The beam-search knobs `transcribe` passes through to `ctcBeamSearch` (same names, meanings and defaults). */
export type TranscribeBeamOptions = Pick<CtcBeamSearchOptions, 'beamWidth' | 'nBest' | 'tokenTopK' | 'tokenMinLogp' | 'beamPruneLogp' | 'lm' | 'alpha' | 'beta' | 'unkScore' | 'hotwordWeight'>;

/**
 * Options of `transcribe` / `transcribeDetailed`: the beam-search knobs of `ctcBeamSearch`
 * (used by `decoder: 'beam'` only; an `NgramLanguageModel` decodes off the JS thread, a callback
 * LM on it; with a character alphabet, words end at the space token), plus:
 */
export interface TranscribeOptions extends TranscribeBeamOptions {
  /** `'greedy'` (best path; default without `lm`) or `'beam'` (prefix beam search; default with `lm`). */
  decoder?: 'greedy' | 'beam';
  /** Words to favour (beam search; each spelled with the alphabet's tokens). */
  hotwords?: readonly string[];
  /** Utterances per forward batch (default 32). */
  batchSize?: number;
}

/** One decoded hypothesis. */
export interface CtcCandidate {
  /** The transcript. */
  text: string;
  /** Its tokens. */
  tokens: string[];
  /**
   * For each token, the input frame where it is emitted (greedy: the first frame of its run;
   * beam: its most likely frame), non-decreasing; with `frameStack` k, the first frame of the step.
   */
  frames: Int32Array;
  /** Ranking score: `ctcScore + α·lmScore + β·words` (greedy: `ctcScore`). */
  score: number;
  /** `ln p_ctc`: over all alignments of the labelling (beam search) or of the best path (greedy). */
  ctcScore: number;
  /** Raw `ln p_lm` of the hypothesis (not multiplied by α); 0 without an LM. */
  lmScore: number;
}

/** A transcription with its alternatives. */
export interface CtcTranscription extends CtcCandidate {
  /** The n best hypotheses, best first (`nBest[0]` is this one). */
  nBest: CtcCandidate[];
}

interface Batch {
  /** `[B, T', k·F]` stacked features, zero-padded. */
  input: Tensor;
  /** Stacked steps per row. */
  lengths: number[];
  /** Input frames per row (before stacking). */
  frames: number[];
  /** Concatenated target classes. */
  targets: Int32Array;
  targetLengths: number[];
  /** Reference texts (normalised token form) for CER/WER. */
  references: string[];
}

function intOption(arg: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${arg}: expected an integer ≥ ${min}, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

function numOption(arg: string, v: unknown, dflt: number, min: number, max = Infinity): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw new InvalidArgumentError(`${arg}: expected a number in [${min}, ${max}], got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

function resolveSpecAugment(o: CtcSpecAugmentOptions | undefined | null): Required<CtcSpecAugmentOptions> | null {
  if (o === undefined || o === null) return null;
  if (typeof o !== 'object') throw new TypeError(`specAugment: expected an object, got ${describe(o)}`);
  return {
    timeMasks: intOption('specAugment.timeMasks', o.timeMasks, 2, 0),
    maxTimeWidth: intOption('specAugment.maxTimeWidth', o.maxTimeWidth, 10, 0),
    freqMasks: intOption('specAugment.freqMasks', o.freqMasks, 2, 0),
    maxFreqWidth: intOption('specAugment.maxFreqWidth', o.maxFreqWidth, 8, 0),
    maskValue: numOption('specAugment.maskValue', o.maskValue, 0, -Infinity),
  };
}

/** Steps CTC needs for a target: one per token plus one blank between equal neighbours. */
function requiredSteps(target: ArrayLike<number>): number {
  let n = target.length;
  for (let i = 1; i < target.length; i++) if (target[i] === target[i - 1]) n++;
  return n;
}

/** A many-to-many unaligned recurrent transcriber trained with CTC. */
export class CtcModel extends SequenceModel<readonly CtcUtterance[], Batch> {
  readonly kind = 'CtcModel';
  /** The tokens of classes 1… (class 0 is the blank). */
  readonly alphabet: readonly string[];
  /** Whether a token is a character or a word. */
  readonly unit: CtcTokenUnit;
  /** Features per input frame. */
  readonly inputSize: number;
  /** Input frames per recurrent step. */
  readonly frameStack: number;
  /** The training-time masks, or null. */
  readonly specAugment: Readonly<Required<CtcSpecAugmentOptions>> | null;
  /** The recurrent stack (its input is `frameStack · inputSize` wide). */
  readonly backbone: Backbone;
  /** The output layer: `numClasses` logits per step. */
  readonly head: Linear;
  private readonly classOf: Map<string, number>;
  private readonly maskRng: Random;
  /** References and greedy hypotheses of the current evaluation pass. */
  private passReferences: string[] = [];
  private passHypotheses: string[] = [];

  constructor(options: CtcModelOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const unit = options.unit ?? 'char';
    if (unit !== 'char' && unit !== 'word') throw new InvalidArgumentError(`unit: expected 'char' or 'word', got ${describe(unit)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.unit = unit;
    const a = options.alphabet;
    let tokens: string[];
    if (typeof a === 'string') tokens = Array.from(a);
    else if (Array.isArray(a)) tokens = [...(a as readonly unknown[])].map((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`alphabet[${i}]: expected a string, got ${describe(t)}`);
      return t;
    });
    else throw new TypeError(`alphabet: expected a string of characters or an array of tokens, got ${describe(a)}`);
    if (tokens.length === 0) throw new InvalidArgumentError('alphabet: expected at least one token, got none', 'ERR_SEQLEARN_INVALID_ARG');
    this.classOf = new Map();
    tokens.forEach((t, i) => {
      if (unit === 'char' && Array.from(t).length !== 1) throw new InvalidArgumentError(`alphabet[${i}]: expected one character (unit 'char'), got ${JSON.stringify(t)}`, 'ERR_SEQLEARN_INVALID_ARG');
      if (unit === 'word' && (t.length === 0 || /\s/.test(t))) throw new InvalidArgumentError(`alphabet[${i}]: expected a word without whitespace (unit 'word'), got ${JSON.stringify(t)}`, 'ERR_SEQLEARN_INVALID_ARG');
      if (this.classOf.has(t)) throw new InvalidArgumentError(`alphabet[${i}]: ${JSON.stringify(t)} appears twice (also at ${this.classOf.get(t)! - 1})`, 'ERR_SEQLEARN_INVALID_ARG');
      this.classOf.set(t, i + 1);
    });
    this.alphabet = Object.freeze(tokens);
    if (options.inputSize === undefined) throw new TypeError('inputSize: required (features per input frame)');
    this.inputSize = intOption('inputSize', options.inputSize, 0, 1);
    this.frameStack = intOption('frameStack', options.frameStack, 1, 1);
    const sa = resolveSpecAugment(options.specAugment);
    this.specAugment = sa ? Object.freeze(sa) : null;
    const cfg = backboneConfig(options, { vocabSize: 0, inputSize: this.inputSize * this.frameStack });
    this.backbone = new Backbone(cfg, true);
    this.head = new Linear({ inFeatures: this.backbone.outputSize, outFeatures: this.numClasses, seed: cfg.seed + 4 });
    this.maskRng = new Random(cfg.seed + 5);
  }

  /** Output classes: the blank plus the alphabet. */
  get numClasses(): number {
    return this.alphabet.length + 1;
  }

  /** The trainable layers: `rnn` and `head`. */
  layers(): Record<string, Trainable> {
    return { ...this.backbone.layers(), head: this.head };
  }

  /** The constructor options (`config.json`): alphabet, unit, input size, stacking, masks, backbone. */
  config(): { [key: string]: Json } {
    return {
      inputSize: this.inputSize,
      alphabet: [...this.alphabet],
      unit: this.unit,
      frameStack: this.frameStack,
      specAugment: this.specAugment ? { ...this.specAugment } : null,
      ...this.backbone.configJson(),
    };
  }

  protected itemName(): string {
    return 'frames';
  }

  /** The class ids of `text` (errors name `arg`). */
  encodeText(text: string, arg = 'text'): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`${arg}: expected a string, got ${describe(text)}`);
    const parts = this.unit === 'char' ? Array.from(text) : text.split(/\s+/).filter((w) => w.length > 0);
    const out = new Int32Array(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const c = this.classOf.get(parts[i]);
      if (c === undefined) {
        const shown = this.unit === 'char' ? this.alphabet.join('') : this.alphabet.join(' ');
        throw new InvalidArgumentError(`${arg}: ${this.unit === 'char' ? 'character' : 'word'} ${JSON.stringify(parts[i])} (${this.unit} ${i}) is not in the alphabet ${JSON.stringify(shown)}`, 'ERR_SEQLEARN_INVALID_ARG');
      }
      out[i] = c;
    }
    return out;
  }

  /** The text of class ids (1…alphabet.length; no blanks). */
  decodeClasses(classes: ArrayLike<number>): string {
    const parts: string[] = [];
    for (let i = 0; i < classes.length; i++) {
      const c = classes[i];
      if (!Number.isInteger(c) || c < 1 || c > this.alphabet.length) throw new InvalidArgumentError(`classes[${i}]: expected a class id in 1..${this.alphabet.length} (0 is the blank), got ${describe(c)}`, 'ERR_SEQLEARN_INVALID_ARG');
      parts.push(this.alphabet[c - 1]);
    }
    return parts.join(this.unit === 'char' ? '' : ' ');
  }

  /** Checks a list of `[T, inputSize]` feature tensors; errors name `arg[i]`. */
  private checkFeatures(arg: string, f: unknown): TensorLike {
    const t = f as TensorLike;
    if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape) || t.shape.length !== 2) {
      throw new TypeError(`${arg}: expected a [T, ${this.inputSize}] tensor of features, got ${describe(f)}`);
    }
    if (t.shape[1] !== this.inputSize) throw new InvalidArgumentError(`${arg}: expected ${this.inputSize} features per frame (the model's inputSize), got shape [${t.shape.join(', ')}]`, 'ERR_SEQLEARN_INVALID_ARG');
    if (!Number.isInteger(t.shape[0]) || t.shape[0] < 1) throw new InvalidArgumentError(`${arg}: expected at least one frame, got shape [${t.shape.join(', ')}]`, 'ERR_SEQLEARN_INVALID_ARG');
    if (t.data.length !== t.shape[0] * t.shape[1]) throw new InvalidArgumentError(`${arg}: shape [${t.shape.join(', ')}] needs ${t.shape[0] * t.shape[1]} values, got ${t.data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
    return t;
  }

  /** Stacked steps of an utterance of `frames` frames. */
  stepsOf(frames: number): number {
    return Math.ceil(frames / this.frameStack);
  }

  /** Pads (and stacks) the features at `index` into `[B, T', k·F]`. */
  private stackBatch(feats: readonly TensorLike[], index: readonly number[]): { input: Tensor; lengths: number[]; frames: number[] } {
    const F = this.inputSize;
    const frames = index.map((i) => feats[i].shape[0]);
    const lengths = frames.map((n) => this.stepsOf(n));
    const T = Math.max(...lengths);
    const W = F * this.frameStack;
    const data = new Float32Array(index.length * T * W);
    // Row-major [T, F] frames laid out consecutively are exactly the stacked [T/k, k·F] rows.
    index.forEach((item, b) => data.set(feats[item].data, b * T * W));
    return { input: new Tensor(data, [index.length, T, W]), lengths, frames };
  }

  /** Batches of indices: length buckets (seeded shuffle when training), sorted by length otherwise. */
  private groups(frames: readonly number[], batchSize: number, shuffle: boolean, seed: number): number[][] {
    return bucketByLength(frames, { batchSize, shuffle, seed });
  }

  protected planBatches(data: readonly CtcUtterance[], ctx: PlanContext): BatchPlan<Batch> {
    const arg = ctx.training ? 'data' : 'validation';
    if (!Array.isArray(data)) throw new TypeError(`${arg}: expected an array of { features, text } utterances, got ${describe(data)}`);
    if (data.length === 0) throw new InvalidArgumentError(`${arg}: the dataset is empty`, 'ERR_SEQLEARN_INVALID_ARG');
    const feats: TensorLike[] = new Array(data.length);
    const targets: Int32Array[] = new Array(data.length);
    data.forEach((u, i) => {
      if (u === null || typeof u !== 'object') throw new TypeError(`${arg}[${i}]: expected { features, text }, got ${describe(u)}`);
      feats[i] = this.checkFeatures(`${arg}[${i}].features`, u.features);
      targets[i] = this.encodeText(u.text, `${arg}[${i}].text`);
      const steps = this.stepsOf(feats[i].shape[0]);
      const need = requiredSteps(targets[i]);
      if (steps < need) {
        const stacked = this.frameStack > 1 ? ` (${steps} steps after stacking ${this.frameStack})` : '';
        throw new InvalidArgumentError(`${arg}[${i}]: ${feats[i].shape[0]} frames${stacked} cannot align its ${targets[i].length} tokens: CTC needs ≥ ${need} steps (one per token, plus one between repeated tokens)`, 'ERR_SEQLEARN_INVALID_ARG');
      }
    });
    const frames = feats.map((f) => f.shape[0]);
    const groups = this.groups(frames, ctx.batchSize, ctx.shuffle && ctx.training, ctx.seed + ctx.epoch);
    return {
      batches: groups.map((idx) => {
        const b = this.stackBatch(feats, idx);
        const targetLengths = idx.map((i) => targets[i].length);
        const flat = new Int32Array(targetLengths.reduce((s, n) => s + n, 0));
        let o = 0;
        for (const i of idx) {
          flat.set(targets[i], o);
          o += targets[i].length;
        }
        return { ...b, targets: flat, targetLengths, references: idx.map((i) => this.decodeClasses(targets[i])) };
      }),
    };
  }

  /** A masked copy of a training batch: SpecAugment on each utterance's `[frames, F]` part. */
  private masked(b: Batch): Tensor {
    const sa = this.specAugment!;
    const [B, T, W] = b.input.shape;
    const F = this.inputSize;
    const x = b.input.data.slice();
    for (let r = 0; r < B; r++) {
      // Stacking keeps the frames consecutive: row r's frames are one [frames, F] block.
      const n = b.frames[r];
      const block = x.subarray(r * T * W, r * T * W + n * F);
      const m = specAugment(new Tensor(block, [n, F]), { ...sa, seed: this.maskRng.nextUint32() });
      block.set(m.data);
    }
    return new Tensor(x, [B, T, W]);
  }

  /** Logits `[B, T', C]` of a padded batch. */
  private async logits(input: Tensor, lengths: number[], training: boolean): Promise<Tensor> {
    const { output } = await this.backbone.forward(input, { lengths, training });
    const [B, T, H] = output.shape;
    const logits = await this.head.forwardAsync(output.reshape([B * T, H]), { training });
    return logits.reshape([B, T, this.numClasses]);
  }

  protected beginPass(training: boolean): void {
    if (!training) {
      this.passReferences = [];
      this.passHypotheses = [];
    }
  }

  protected async runBatch(b: Batch, training: boolean): Promise<BatchResult> {
    const input = training && this.specAugment ? this.masked(b) : b.input;
    const logits = await this.logits(input, b.lengths, training);
    const [B, T, C] = logits.shape;
    const r = await ctcLossAsync(logits, b.targets, b.lengths, b.targetLengths, { blank: 0, reduction: 'mean', batchFirst: true, inputKind: 'logits' });
    if (training && Number.isFinite(r.loss)) {
      const g = await this.head.backwardAsync(r.grad.reshape([B * T, C]));
      await this.backbone.backward(g.reshape([B, T, this.backbone.outputSize]));
    }
    if (!training) {
      const hyps = ctcGreedyDecode(logits, b.lengths, { blank: 0, batchFirst: true, inputKind: 'logits' });
      this.passReferences.push(...b.references);
      for (const h of hyps) this.passHypotheses.push(this.decodeClasses(h.tokens));
    }
    const frames = b.frames.reduce((s, n) => s + n, 0);
    return { lossSum: r.loss * B, count: B, items: frames };
  }

  protected passMetrics(_total: BatchResult, prefix: '' | 'val'): Record<string, number> {
    if (prefix !== 'val' || this.passReferences.length === 0) return {};
    return { cer: charErrorRate(this.passReferences, this.passHypotheses), wer: wordErrorRate(this.passReferences, this.passHypotheses) };
  }

  private checkFeatureList(features: readonly TensorLike[]): TensorLike[] {
    if (!Array.isArray(features)) throw new TypeError(`features: expected an array of [T, ${this.inputSize}] tensors, got ${describe(features)}`);
    if (features.length === 0) throw new InvalidArgumentError('features: expected at least one utterance, got an empty array', 'ERR_SEQLEARN_INVALID_ARG');
    return features.map((f, i) => this.checkFeatures(`features[${i}]`, f));
  }

  /**
   * Per-step log-probabilities `[T'_i, numClasses]` of each utterance (class 0 = blank; with
   * `frameStack` k, step s covers input frames k·s … k·s+k−1): for alignment plots and custom decoders.
   */
  async emissions(features: readonly TensorLike[], options: { batchSize?: number } = {}): Promise<Tensor[]> {
    const feats = this.checkFeatureList(features);
    const bs = intOption('batchSize', options.batchSize, 32, 1);
    const out: Tensor[] = new Array(feats.length);
    const C = this.numClasses;
    for (const idx of this.groups(feats.map((f) => f.shape[0]), bs, false, 0)) {
      const b = this.stackBatch(feats, idx);
      const lp = logSoftmax(await this.logits(b.input, b.lengths, false));
      const T = lp.shape[1];
      idx.forEach((item, r) => {
        out[item] = new Tensor(lp.data.slice(r * T * C, (r * T + b.lengths[r]) * C), [b.lengths[r], C]);
      });
    }
    return out;
  }

  /** Transcripts of `features` (`[T, inputSize]` each), greedy or by beam search (see `TranscribeOptions`). */
  async transcribe(features: readonly TensorLike[], options: TranscribeOptions = {}): Promise<string[]> {
    return (await this.transcribeDetailed(features, options)).map((t) => t.text);
  }

  /** Like `transcribe`, with tokens, frame timestamps, scores and the n best hypotheses. */
  async transcribeDetailed(features: readonly TensorLike[], options: TranscribeOptions = {}): Promise<CtcTranscription[]> {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const feats = this.checkFeatureList(features);
    const decoder = options.decoder ?? (options.lm ? 'beam' : 'greedy');
    if (decoder !== 'greedy' && decoder !== 'beam') throw new InvalidArgumentError(`decoder: expected 'greedy' or 'beam', got ${describe(decoder)}`, 'ERR_SEQLEARN_INVALID_ARG');
    if (decoder === 'greedy') {
      for (const k of ['lm', 'nBest', 'beamWidth', 'hotwords'] as const) {
        if (options[k] !== undefined) throw new InvalidArgumentError(`${k}: only used by the beam decoder; pass decoder: 'beam' (got decoder 'greedy')`, 'ERR_SEQLEARN_INVALID_ARG');
      }
    }
    const bs = intOption('batchSize', options.batchSize, 32, 1);
    const out: CtcTranscription[] = new Array(feats.length);
    const beamOptions: CtcBeamSearchOptions | undefined = decoder === 'beam'
      ? {
          blank: 0,
          batchFirst: true,
          inputKind: 'logits',
          labels: ['', ...this.alphabet],
          beamWidth: options.beamWidth,
          nBest: options.nBest,
          tokenTopK: options.tokenTopK,
          tokenMinLogp: options.tokenMinLogp,
          beamPruneLogp: options.beamPruneLogp,
          lm: options.lm,
          alpha: options.alpha,
          beta: options.beta,
          unkScore: options.unkScore,
          hotwords: options.hotwords,
          hotwordWeight: options.hotwordWeight,
        }
      : undefined;
    // A callback LM runs on the JS thread (synchronous search); no LM or an n-gram one off it.
    const syncBeam = options.lm !== undefined && !(options.lm instanceof NgramLanguageModel);
    for (const idx of this.groups(feats.map((f) => f.shape[0]), bs, false, 0)) {
      const b = this.stackBatch(feats, idx);
      const logits = await this.logits(b.input, b.lengths, false);
      const lists: CtcHypothesis[][] = beamOptions
        ? syncBeam ? ctcBeamSearch(logits, b.lengths, beamOptions) : await ctcBeamSearchAsync(logits, b.lengths, beamOptions)
        : ctcGreedyDecode(logits, b.lengths, { blank: 0, batchFirst: true, inputKind: 'logits' }).map((h) => [h]);
      idx.forEach((item, r) => {
        const nBest = lists[r].map((h) => this.candidate(h));
        if (nBest.length === 0) nBest.push({ text: '', tokens: [], frames: new Int32Array(0), score: -Infinity, ctcScore: -Infinity, lmScore: 0 });
        out[item] = { ...nBest[0], nBest };
      });
    }
    return out;
  }

  private candidate(h: CtcHypothesis): CtcCandidate {
    const tokens = Array.from(h.tokens, (c) => this.alphabet[c - 1]);
    return {
      text: this.decodeClasses(h.tokens),
      tokens,
      frames: Int32Array.from(h.timesteps, (s) => s * this.frameStack),
      score: h.score,
      ctcScore: h.ctcScore,
      lmScore: h.lmScore,
    };
  }
}
