/**
 * `LanguageModel`: a character- or word-level recurrent language model,
 * `p(s) = Π p(w_t | w_<t)`. Training is truncated BPTT over `B` contiguous streams of the
 * text with the state carried (and cut) across windows, PyTorch's word_language_model recipe.
 * `generate` samples novel text (temperature, top-k, top-p, seeded); `perplexity` scores text.
 */
import { InvalidArgumentError, describe } from '../errors';
import { CharTokenizer, WordTokenizer } from '../data/tokenizers';
import { Vocabulary } from '../data/vocabulary';
import { batchifyStream } from '../data/batching';
import { Linear } from '../nn/linear';
import type { Trainable } from '../nn/module';
import { Sampler } from '../nn/sequence';
import { IntTensor, type Tensor } from '../tensor';
import { crossEntropyAsync, logSoftmax } from '../training/loss';
import { Backbone, backboneConfig, type BackboneOptions, type RecurrentState } from './backbone';
import { SequenceModel, type BatchPlan, type BatchResult, type FitOptions, type History, type Json, type PlanContext } from './model';

/** Token granularity. */
export type LanguageModelLevel = 'char' | 'word';

/** Options of `new LanguageModel(...)`. */
export interface LanguageModelOptions extends BackboneOptions {
  /** The token vocabulary (ids of the embedding and of the output layer). */
  vocabulary: Vocabulary;
  /** `'char'` (default) or `'word'`. */
  level?: LanguageModelLevel;
  /** Lowercase text before tokenizing (default false). */
  lowercase?: boolean;
  /** Embedding width (default 64). */
  embeddingDim?: number;
  /** Tokens not in the vocabulary: `'unk'` maps them to `<unk>` (default), `'error'` throws naming the token. */
  unknownTokens?: 'unk' | 'error';
}

/** Options of `LanguageModel.fromText` (vocabulary built from the text). */
export interface LanguageModelFromTextOptions extends Omit<LanguageModelOptions, 'vocabulary'> {
  /** Minimum count of a token to enter the vocabulary (default 1). */
  minCount?: number;
  /** Largest vocabulary (default unlimited). */
  maxSize?: number;
}

/** Text to train or score on: raw text, or ids already encoded with the model's vocabulary. */
export type LanguageModelData = string | Int32Array;

/** `fit` options of a language model. */
export interface LanguageModelFitOptions extends FitOptions<LanguageModelData> {
  /** BPTT window length in tokens (default 100). */
  seqLen?: number;
}

/** Options of `generate`. */
export interface GenerateOptions {
  /** Text to condition on (default: a newline for char models, nothing for word models). */
  prompt?: string;
  /** Tokens to generate (default 200). */
  maxLength?: number;
  /** Softmax temperature; 0 = greedy (default 1). */
  temperature?: number;
  /** Sample only among the k most likely tokens (default 0 = all). */
  topK?: number;
  /** Nucleus sampling threshold (default 1 = off). */
  topP?: number;
  /** Seed of the sampler (default 0). */
  seed?: number;
  /** Stop when `<eos>` is drawn (default true). */
  stopAtEos?: boolean;
}

interface Window {
  stream: IntTensor;
  start: number;
  len: number;
}

/** A recurrent language model over characters or words. */
export class LanguageModel extends SequenceModel<LanguageModelData, Window> {
  readonly kind = 'LanguageModel';
  /** Vocabulary of the model. */
  readonly vocabulary: Vocabulary;
  /** Token granularity. */
  readonly level: LanguageModelLevel;
  /** Lowercasing before tokenization. */
  readonly lowercase: boolean;
  /** Embedding → recurrent stack. */
  readonly backbone: Backbone;
  /** Output projection to vocabulary logits. */
  readonly head: Linear;
  private seqLen = 100;
  private carried?: RecurrentState;
  private encoded?: { text: string; ids: Int32Array };
  private readonly tokenizer: CharTokenizer | WordTokenizer;
  /** What `encode` does with tokens outside the vocabulary. */
  readonly unknownTokens: 'unk' | 'error';

  constructor(options: LanguageModelOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    if (!(options.vocabulary instanceof Vocabulary)) throw new TypeError(`vocabulary: expected a Vocabulary, got ${describe(options.vocabulary)}`);
    const level = options.level ?? 'char';
    if (level !== 'char' && level !== 'word') throw new InvalidArgumentError(`level: expected 'char' or 'word', got ${describe(level)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.vocabulary = options.vocabulary;
    this.level = level;
    this.lowercase = options.lowercase ?? false;
    const unknown = options.unknownTokens ?? 'unk';
    if (unknown !== 'unk' && unknown !== 'error') throw new InvalidArgumentError(`unknownTokens: expected 'unk' or 'error', got ${describe(unknown)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.unknownTokens = unknown;
    this.tokenizer = level === 'char' ? new CharTokenizer({ lowercase: this.lowercase }) : new WordTokenizer({ lowercase: this.lowercase });
    const embeddingDim = options.embeddingDim ?? 64;
    if (!Number.isInteger(embeddingDim) || embeddingDim < 1) throw new InvalidArgumentError(`embeddingDim: expected a positive integer, got ${describe(embeddingDim)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const cfg = backboneConfig(options, { vocabSize: this.vocabulary.size, inputSize: embeddingDim });
    this.backbone = new Backbone(cfg, false);
    this.head = new Linear({ inFeatures: this.backbone.outputSize, outFeatures: this.vocabulary.size, seed: cfg.seed + 4 });
  }

  /** Builds the vocabulary from `text` and a model over it. */
  static fromText(text: string, options: LanguageModelFromTextOptions = {}): LanguageModel {
    if (typeof text !== 'string' || text.length === 0) throw new InvalidArgumentError(`text: expected a non-empty string, got ${describe(text)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const level = options.level ?? 'char';
    const tok = level === 'char' ? new CharTokenizer({ lowercase: options.lowercase ?? false }) : new WordTokenizer({ lowercase: options.lowercase ?? false });
    // A char model needs only `<unk>` (for characters unseen in training); a word model all four.
    const specials = level === 'char' ? ['<unk>'] : undefined;
    const vocabulary = Vocabulary.build(tok.tokenize(text), { minCount: options.minCount, maxSize: options.maxSize, specials });
    return new LanguageModel({ ...options, vocabulary });
  }

  layers(): Record<string, Trainable> {
    return { ...this.backbone.layers(), head: this.head };
  }

  config(): { [key: string]: Json } {
    return { level: this.level, lowercase: this.lowercase, unknownTokens: this.unknownTokens, embeddingDim: this.backbone.config.inputSize, ...this.backbone.configJson() };
  }

  protected extraFiles(): Record<string, Json> {
    return { vocab: this.vocabulary.toJSON() as unknown as Json };
  }

  protected defaultLr(): number {
    return 2e-3;
  }

  protected itemName(): string {
    return this.level === 'char' ? 'chars' : 'tokens';
  }

  /** Token ids of `text` (unknown tokens map to `<unk>`, or throw with `unknownTokens: 'error'`). */
  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`text: expected a string, got ${describe(text)}`);
    if (this.encoded?.text === text) return this.encoded.ids;
    const ids = this.vocabulary.encode(this.tokenizer.tokenize(text), { unknown: this.unknownTokens });
    this.encoded = { text, ids };
    return ids;
  }

  /** Text of token ids. */
  decode(ids: ArrayLike<number>): string {
    return this.tokenizer.detokenize(Array.from(ids, (i) => this.vocabulary.token(i)));
  }

  private ids(data: LanguageModelData, arg: string): Int32Array {
    if (typeof data === 'string') return this.encode(data);
    // Ids are range-checked by the native embedding (the error names the offending index).
    if (data instanceof Int32Array) return data;
    throw new TypeError(`${arg}: expected a string or an Int32Array of token ids, got ${describe(data)}`);
  }

  /** Trains on `data` (text or ids); `seqLen` is the BPTT window. */
  override async fit(data: LanguageModelData, options: LanguageModelFitOptions = {}): Promise<History> {
    const seqLen = options.seqLen ?? 100;
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new InvalidArgumentError(`seqLen: expected a positive integer, got ${describe(seqLen)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.seqLen = seqLen;
    return super.fit(data, { shuffle: false, ...options });
  }

  protected planBatches(data: LanguageModelData, ctx: PlanContext): BatchPlan<Window> {
    const ids = this.ids(data, ctx.training ? 'data' : 'validation');
    const b = Math.min(ctx.batchSize, Math.floor((ids.length - 1) / 2));
    if (ids.length < 3 || b < 1) throw new InvalidArgumentError(`${ctx.training ? 'data' : 'validation'}: ${ids.length} tokens are too few to train on (need at least 3)`, 'ERR_SEQLEARN_INVALID_ARG');
    const stream = batchifyStream(ids, b);
    const steps = stream.shape[0];
    const batches: Window[] = [];
    for (let s = 0; s < steps - 1; s += this.seqLen) batches.push({ stream, start: s, len: Math.min(this.seqLen, steps - 1 - s) });
    return { batches };
  }

  protected beginPass(): void {
    this.carried = undefined;
  }

  protected passMetrics(total: BatchResult): Record<string, number> {
    const nats = total.lossSum / Math.max(1, total.count);
    return { perplexity: Math.exp(nats), bpc: nats / Math.LN2 };
  }

  protected async runBatch(w: Window, training: boolean): Promise<BatchResult> {
    const B = w.stream.shape[1];
    const T = w.len;
    const input = new IntTensor(w.stream.data.subarray(w.start * B, (w.start + T) * B), [T, B]);
    const target = new IntTensor(w.stream.data.subarray((w.start + 1) * B, (w.start + 1 + T) * B), [T * B]);
    const { output, state } = await this.backbone.forward(input, { state: this.carried, training });
    this.carried = state;
    const H = this.backbone.outputSize;
    const logits = await this.head.forwardAsync(output.reshape([T * B, H]), { training });
    const ce = await crossEntropyAsync(logits, target, { reduction: 'mean' });
    const loss = ce.loss as number;
    if (training && Number.isFinite(loss)) {
      const g = await this.head.backwardAsync(ce.grad);
      await this.backbone.backward(g.reshape([T, B, H]));
    }
    return { lossSum: loss * T * B, count: T * B, correct: ce.correct };
  }

  /** Perplexity of the model on `text` (exp of the mean per-token cross-entropy). */
  async perplexity(text: LanguageModelData, options: { batchSize?: number; seqLen?: number } = {}): Promise<number> {
    const saved = this.seqLen;
    if (options.seqLen !== undefined) this.seqLen = options.seqLen;
    try {
      const r = await this.evaluate(text, { batchSize: options.batchSize ?? 16 });
      return Math.exp(r.loss);
    } finally {
      this.seqLen = saved;
    }
  }

  /**
   * One recurrent step for a batch, synchronously (for decoders that score hypotheses on the
   * JavaScript thread, e.g. a CTC beam search callback): feeds token `ids[b]` to sequence `b`
   * from `state` (zeros when absent; `[layers, B, H]` as `forward` returns it) and returns the
   * next-token log-probabilities `[B, V]` and the new state.
   */
  stepLogProbs(ids: Int32Array, state?: RecurrentState): { logProbs: Tensor; state: RecurrentState } {
    if (!(ids instanceof Int32Array) || ids.length === 0) throw new TypeError(`ids: expected a non-empty Int32Array of token ids, got ${describe(ids)}`);
    const B = ids.length;
    const x = (this.backbone.embedding as NonNullable<Backbone['embedding']>).forward(new IntTensor(ids, [1, B]));
    const r = this.backbone.rnn.forward(x, { h0: state?.h, c0: state?.c });
    const H = this.backbone.outputSize;
    const logits = this.head.forward(r.output.reshape([B, H]));
    const next: RecurrentState = { h: r.h };
    const c = (r as { c?: Tensor }).c;
    if (c) next.c = c;
    return { logProbs: logSoftmax(logits), state: next };
  }

  /** Samples text after `prompt` (one native step per token; yields to the event loop). */
  async generate(options: GenerateOptions = {}): Promise<string> {
    const maxLength = options.maxLength ?? 200;
    if (!Number.isInteger(maxLength) || maxLength < 0) throw new InvalidArgumentError(`maxLength: expected a non-negative integer, got ${describe(maxLength)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const sampler = new Sampler(options.seed ?? 0);
    const sampleOpts = { temperature: options.temperature, topK: options.topK, topP: options.topP };
    const prompt = options.prompt ?? (this.level === 'char' ? '\n' : '');
    let ids = Array.from(this.vocabulary.encode(this.tokenizer.tokenize(prompt), { unknown: this.unknownTokens }));
    if (ids.length === 0) ids = [roleId(this.vocabulary, 'bos') ?? roleId(this.vocabulary, 'unk') ?? 0];
    const eos = roleId(this.vocabulary, 'eos');
    const out: number[] = [];
    let state: RecurrentState | undefined;
    let feed = ids;
    const H = this.backbone.outputSize;
    for (let n = 0; n < maxLength; n++) {
      const input = new IntTensor(Int32Array.from(feed), [feed.length, 1]);
      const r = await this.backbone.forward(input, { state, training: false });
      state = r.state;
      const last = r.output.data.subarray((feed.length - 1) * H, feed.length * H);
      const logits = this.head.forward({ data: last, shape: [1, H] });
      const next = sampler.sample(logits, sampleOpts)[0];
      if ((options.stopAtEos ?? true) && next === eos) break;
      out.push(next);
      feed = [next];
    }
    return this.decode(out);
  }
}

/** The id of a special role, or undefined if the vocabulary has none. */
function roleId(v: Vocabulary, role: 'bos' | 'unk' | 'eos'): number | undefined {
  const token = { bos: '<bos>', unk: '<unk>', eos: '<eos>' }[role];
  return v.has(token) ? v.id(token) : undefined;
}
