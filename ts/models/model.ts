/**
 * `SequenceModel`: what the ready models share — a named set of trainable layers, the training
 * loop (`fit`: off the JS thread one native call per layer per batch, progress, validation,
 * early stopping, checkpoints, cancellation), evaluation, and saving to a directory
 * (safetensors weights + JSON config + optimizer state) that `loadModel` reads back.
 */
import { FormatError, InvalidArgumentError, SeqlearnError, StateError, describe } from '../errors';
import type { Trainable } from '../nn/module';
import type { Tensor } from '../tensor';
import { Adam, clipGradNorm, clipGradValue, type Optimizer } from '../training/optim';
import { ProgressBar, type FitProgress, type ProgressMode, type ProgressStream } from './progress';
import { readModelDir, writeModelDir, type SavedModel } from './checkpoint';

/** JSON-compatible values (model configs). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A learning-rate schedule as `fit` drives it: stepped once per epoch (plateau: with the monitored value). */
export interface EpochSchedule {
  /** Advances one epoch; plateau schedules read `metric`. */
  step(metric?: number): void;
}

/** One epoch's record in `History`. */
export interface EpochLog {
  /** 1-based epoch number (continues across `fit` calls). */
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Validation loss, when validation data was given. */
  valLoss?: number;
  /** Other metrics (e.g. `accuracy`, `valAccuracy`, `valPerplexity`, `valBpc`, `valMae`). */
  metrics: Record<string, number>;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Wall seconds of the epoch (training + validation). */
  seconds: number;
  /** Training items per second (tokens, sequences or windows). */
  itemsPerSecond: number;
}

/** What `fit` returns. */
export interface History {
  /** One entry per epoch run by this `fit`. */
  epochs: EpochLog[];
  /** True if early stopping ended the run. */
  stoppedEarly: boolean;
  /** Epoch with the best monitored value (when monitoring), after `restoreBest` its weights are loaded. */
  bestEpoch?: number;
}

/** Hooks called during `fit`. Returning `'stop'` from `onEpochEnd` ends training after that epoch. */
export interface FitCallback {
  /** Before each epoch. */
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** After each training batch. */
  onBatchEnd?(progress: FitProgress): void | Promise<void>;
  /** After each epoch (with validation metrics). */
  onEpochEnd?(log: EpochLog): void | 'stop' | Promise<void | 'stop'>;
}

/** Early stopping on a monitored metric. */
export interface EarlyStoppingOptions {
  /** Metric to watch: `'valLoss'` (default with validation data), `'loss'`, or a metric name. */
  monitor?: string;
  /** `'min'` (default for losses and errors) or `'max'` (accuracy-like). */
  mode?: 'min' | 'max';
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Reload the best epoch's weights at the end (default true). */
  restoreBest?: boolean;
}

/** Saving the model during `fit`. */
export interface CheckpointOptions {
  /** Directory to save to (replaced atomically each time). */
  dir: string;
  /** Save only when the monitored metric improves (default true). */
  saveBestOnly?: boolean;
  /** Metric for `saveBestOnly` (default like early stopping). */
  monitor?: string;
  /** `'min'` or `'max'` (default by metric name). */
  mode?: 'min' | 'max';
  /** Include the optimizer state so training resumes exactly (default true). */
  includeOptimizer?: boolean;
}

/** Options of `fit` shared by every model. */
export interface FitOptions<D> {
  /** Passes over the training data (default 10). */
  epochs?: number;
  /** Items per batch (default 32; language models: parallel streams). */
  batchSize?: number;
  /** The optimizer, or a factory given the trainable layers (default Adam with the model's default lr). */
  optimizer?: Optimizer | ((layers: Trainable[]) => Optimizer);
  /**
   * Learning-rate schedule stepped after each epoch (plateau schedules get the monitored
   * metric), or a factory given the optimizer (e.g. `(opt) => new StepLR(opt, { stepSize: 2 })`).
   */
  schedule?: EpochSchedule | ((optimizer: Optimizer) => EpochSchedule);
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Clip each gradient element to ±this value before each step. */
  clipValue?: number;
  /** Validation data, evaluated after each epoch. */
  validation?: D;
  /** Shuffle training batches each epoch (default true where order does not matter). */
  shuffle?: boolean;
  /** Seed for shuffling and dropout (default 0). */
  seed?: number;
  /** Hooks. */
  callbacks?: FitCallback[];
  /** Stop when the monitored metric stops improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Save the model (atomically) during training. */
  checkpoint?: CheckpointOptions;
  /** Cancels training within one batch; `fit` rejects with an `AbortError` and the model stays usable. */
  signal?: AbortSignal;
  /** Called after each batch. */
  onProgress?: (progress: FitProgress) => void;
  /** Terminal output: `'auto'` (bar on a TTY, lines otherwise; default), `'bar'`, `'lines'`, `'none'`. */
  progress?: ProgressMode;
  /** Where progress goes (default `process.stdout`). */
  progressStream?: ProgressStream;
}

/** A training or evaluation batch's outcome. */
export interface BatchResult {
  /** Sum of the per-item losses of the batch. */
  lossSum: number;
  /** Items the loss was averaged over (tokens, sequences, windows, values). */
  count: number;
  /** Correct predictions (classification), for accuracy. */
  correct?: number;
  /** Items processed, for throughput (defaults to `count`). */
  items?: number;
}

/** How a model splits data into batches for one pass. */
export interface BatchPlan<B> {
  /** The batches, in order. */
  batches: B[];
}

/** Context of `planBatches`. */
export interface PlanContext {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  epoch: number;
  training: boolean;
}

/** The error `fit` rejects with when its `signal` aborts. */
export class AbortError extends Error {
  constructor(message = 'training was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

function positiveInt(arg: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${arg}: expected a positive integer, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

function positiveNum(arg: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${arg}: expected a finite number > 0, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

function defaultMode(metric: string): 'min' | 'max' {
  return /acc|f1|precision|recall/i.test(metric) ? 'max' : 'min';
}

function metricOf(log: EpochLog, name: string): number | undefined {
  if (name === 'loss') return log.loss;
  if (name === 'valLoss') return log.valLoss;
  return log.metrics[name];
}

/** Tracks the best value of a metric. */
class Monitor {
  best: number;
  bestEpoch = 0;
  wait = 0;
  constructor(readonly name: string, readonly mode: 'min' | 'max', readonly minDelta: number) {
    this.best = mode === 'min' ? Infinity : -Infinity;
  }
  /** True if `log` improves on the best so far. */
  update(log: EpochLog): boolean {
    const v = metricOf(log, this.name);
    if (v === undefined) throw new InvalidArgumentError(`monitor: metric '${this.name}' is not computed by this fit (have: loss${log.valLoss !== undefined ? ', valLoss' : ''}${Object.keys(log.metrics).map((k) => `, ${k}`).join('')})`, 'ERR_SEQLEARN_INVALID_ARG');
    const better = this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
    if (better) {
      this.best = v;
      this.bestEpoch = log.epoch;
      this.wait = 0;
    } else {
      this.wait += 1;
    }
    return better;
  }
}

/** The loader `ts/models/load.ts` registers (it imports every model class, so it cannot be imported here). */
let modelLoader: ((dir: string) => Promise<{ kind: string }>) | undefined;

/** @internal Registers the function behind `SequenceModel.load`. */
export function registerModelLoader(loader: (dir: string) => Promise<{ kind: string }>): void {
  modelLoader = loader;
}

/** Base class of the ready models. `D` is the training data type, `B` a batch descriptor. */
export abstract class SequenceModel<D, B> {
  /** The optimizer of the last `fit` (or restored by `loadModel`); reused by the next `fit`. */
  optimizer?: Optimizer;
  /** Epochs trained so far (across `fit` calls and save/load). */
  epochsTrained = 0;
  private busy = false;

  /**
   * Loads a model saved with `save(dir)` and checks its class: `await LanguageModel.load(dir)`.
   * (`loadModel(dir)` loads whatever kind the directory holds.)
   */
  static async load<M>(this: abstract new (...args: never[]) => M, dir: string): Promise<M> {
    if (!modelLoader) throw new StateError('load: the model loader is not registered (import seqlearn, not a file inside it)', 'ERR_SEQLEARN_STATE');
    const m = await modelLoader(dir);
    if (!(m instanceof this)) throw new FormatError(`${dir}: holds a ${m.kind}, not a ${this.name}`, 'ERR_SEQLEARN_FORMAT');
    return m as M;
  }

  /** Model kind stored in `config.json` (e.g. `'LanguageModel'`). */
  abstract readonly kind: string;

  /** The trainable layers under their checkpoint prefixes (e.g. `{ embedding, rnn, head }`). */
  abstract layers(): Record<string, Trainable>;

  /** JSON configuration from which `loadModel` rebuilds the model. */
  abstract config(): { [key: string]: Json };

  /** Default learning rate when `fit` builds the optimizer. */
  protected defaultLr(): number {
    return 1e-3;
  }

  /** What a throughput item is called in progress output. */
  protected itemName(): string {
    return 'items';
  }

  /** Checks the data (errors name the field) and splits it into batches. */
  protected abstract planBatches(data: D, ctx: PlanContext): BatchPlan<B>;

  /** Forward + loss (+ backward when `training`, accumulating gradients) of one batch. */
  protected abstract runBatch(batch: B, training: boolean): Promise<BatchResult>;

  /** Called before each pass over data (language models reset their carried state). */
  protected beginPass(_training: boolean): void {}

  /** Extra metrics of an evaluation pass from the summed results (e.g. perplexity). */
  protected passMetrics(_total: BatchResult, _prefix: '' | 'val'): Record<string, number> {
    return {};
  }

  /** Extra files saved with the model (e.g. a vocabulary), name → JSON. */
  protected extraFiles(): Record<string, Json> {
    return {};
  }

  /** Total number of scalar parameters. */
  get numParameters(): number {
    return Object.values(this.layers()).reduce((s, l) => s + l.numParameters, 0);
  }

  private enter(what: string): void {
    if (this.busy) throw new StateError(`${what}: this model is already running fit/evaluate; await it first`, 'ERR_SEQLEARN_STATE');
    this.busy = true;
  }

  /**
   * Trains the model. Each batch runs as native async calls (one per layer), so the event loop
   * stays responsive; progress goes to the terminal and `onProgress`.
   */
  async fit(data: D, options: FitOptions<D> = {}): Promise<History> {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    const epochs = positiveInt('epochs', options.epochs, 10);
    const batchSize = positiveInt('batchSize', options.batchSize, 32);
    const clipNorm = positiveNum('clipNorm', options.clipNorm);
    const clipValue = positiveNum('clipValue', options.clipValue);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError(`seed: expected a non-negative integer, got ${describe(seed)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal: expected an AbortSignal, got ${describe(signal)}`);
    const callbacks = options.callbacks ?? [];
    if (!Array.isArray(callbacks)) throw new TypeError(`callbacks: expected an array, got ${describe(callbacks)}`);
    // Plan the first epoch and the validation pass up front, so bad data fails before any training;
    // validation batches are the same every epoch, and an unshuffled training plan is too.
    const shuffle = options.shuffle ?? true;
    const planFor = (epoch: number) => this.planBatches(data, { batchSize, shuffle, seed, epoch, training: true });
    let trainPlan = planFor(this.epochsTrained + 1);
    const valPlan = options.validation === undefined ? undefined : this.planBatches(options.validation, { batchSize, shuffle: false, seed, epoch: 0, training: false });

    this.enter('fit');
    try {
      // Every layer goes to the optimizer; it skips the ones frozen at each step (e.g. an Embedding with freeze).
      const trainable = Object.values(this.layers());
      if (options.optimizer === undefined) {
        this.optimizer ??= new Adam(trainable, { lr: this.defaultLr() });
      } else {
        this.optimizer = typeof options.optimizer === 'function' ? options.optimizer(trainable) : options.optimizer;
      }
      const opt = this.optimizer;
      const schedule = typeof options.schedule === 'function' ? options.schedule(opt) : options.schedule;
      const bar = new ProgressBar(options.progress ?? 'auto', options.progressStream);
      const hasVal = options.validation !== undefined;
      const es = options.earlyStopping;
      const esMonitor = es ? new Monitor(es.monitor ?? (hasVal ? 'valLoss' : 'loss'), es.mode ?? defaultMode(es.monitor ?? 'loss'), es.minDelta ?? 0) : undefined;
      const patience = es ? positiveInt('earlyStopping.patience', es.patience, 3) : 0;
      const ck = options.checkpoint;
      if (ck !== undefined && (ck === null || typeof ck.dir !== 'string' || ck.dir === '')) throw new TypeError(`checkpoint.dir: expected a directory path, got ${describe(ck?.dir)}`);
      const ckMonitor = ck ? new Monitor(ck.monitor ?? (hasVal ? 'valLoss' : 'loss'), ck.mode ?? defaultMode(ck.monitor ?? 'loss'), 0) : undefined;
      let bestWeights: Record<string, Record<string, Tensor>> | undefined;
      const history: History = { epochs: [], stoppedEarly: false };

      for (let e = 0; e < epochs; e++) {
        const epoch = this.epochsTrained + 1;
        for (const c of callbacks) await c.onEpochBegin?.(epoch);
        const t0 = performance.now();
        if (e > 0 && shuffle) trainPlan = planFor(epoch);
        const plan = trainPlan;
        if (plan.batches.length === 0) throw new InvalidArgumentError('data: no complete batch to train on (empty dataset, or shorter than one batch)', 'ERR_SEQLEARN_INVALID_ARG');
        this.beginPass(true);
        let lossSum = 0;
        let count = 0;
        let correct = 0;
        let items = 0;
        let hasCorrect = false;
        for (let i = 0; i < plan.batches.length; i++) {
          if (signal?.aborted) {
            opt.zeroGrad();
            throw new AbortError(`training was aborted in epoch ${epoch} before batch ${i + 1}/${plan.batches.length}`);
          }
          let r: BatchResult;
          try {
            r = await this.runBatch(plan.batches[i], true);
          } catch (err) {
            opt.zeroGrad();
            if (err instanceof SeqlearnError) {
              const Cls = err.constructor as new (m: string, c: string, o?: { cause?: unknown }) => SeqlearnError;
              throw new Cls(`epoch ${epoch}, batch ${i + 1}: ${err.message}`, err.code, { cause: err });
            }
            throw err;
          }
          if (!Number.isFinite(r.lossSum)) {
            opt.zeroGrad();
            throw new StateError(`epoch ${epoch}, batch ${i + 1}: the loss is ${r.lossSum} (diverged); parameters were left as they were before this batch — lower the learning rate or set clipNorm`, 'ERR_SEQLEARN_STATE');
          }
          if (clipValue !== undefined) clipGradValue(trainable, clipValue);
          if (clipNorm !== undefined) {
            const norm = clipGradNorm(trainable, clipNorm);
            if (!Number.isFinite(norm)) {
              opt.zeroGrad();
              throw new StateError(`epoch ${epoch}, batch ${i + 1}: the gradient norm is ${norm}; parameters were left as they were before this batch`, 'ERR_SEQLEARN_STATE');
            }
          }
          opt.step();
          opt.zeroGrad();
          lossSum += r.lossSum;
          count += r.count;
          items += r.items ?? r.count;
          if (r.correct !== undefined) {
            correct += r.correct;
            hasCorrect = true;
          }
          const elapsed = (performance.now() - t0) / 1000;
          const p: FitProgress = {
            epoch,
            epochs: this.epochsTrained - e + epochs,
            batch: i + 1,
            batches: plan.batches.length,
            loss: lossSum / Math.max(1, count),
            itemsPerSecond: items / Math.max(1e-9, elapsed),
            itemName: this.itemName(),
            elapsed,
            eta: (elapsed / (i + 1)) * (plan.batches.length - i - 1),
            lr: opt.lr,
          };
          bar.update(p);
          options.onProgress?.(p);
          for (const c of callbacks) await c.onBatchEnd?.(p);
        }
        const trainSeconds = (performance.now() - t0) / 1000;
        const log: EpochLog = { epoch, loss: lossSum / Math.max(1, count), metrics: {}, lr: opt.lr, seconds: 0, itemsPerSecond: items / Math.max(1e-9, trainSeconds) };
        if (hasCorrect) log.metrics.accuracy = correct / Math.max(1, count);
        Object.assign(log.metrics, this.passMetrics({ lossSum, count, correct, items }, ''));
        if (valPlan) {
          const v = await this.evaluatePass(valPlan, signal);
          log.valLoss = v.loss;
          for (const [k, val] of Object.entries(v.metrics)) log.metrics[`val${k[0].toUpperCase()}${k.slice(1)}`] = val;
        }
        log.seconds = (performance.now() - t0) / 1000;
        this.epochsTrained = epoch;
        history.epochs.push(log);
        bar.endEpoch(epoch, this.epochsTrained - e - 1 + epochs, { loss: log.loss, valLoss: log.valLoss, ...log.metrics }, log.seconds);

        let stop = false;
        for (const c of callbacks) if ((await c.onEpochEnd?.(log)) === 'stop') stop = true;
        if (schedule) schedule.step(metricOf(log, esMonitor?.name ?? (hasVal ? 'valLoss' : 'loss')));
        if (ck && ckMonitor) {
          const improved = ckMonitor.update(log);
          if (improved || ck.saveBestOnly === false) await this.save(ck.dir, { includeOptimizer: ck.includeOptimizer ?? true });
        }
        if (es && esMonitor) {
          if (esMonitor.update(log)) {
            if (es.restoreBest !== false) bestWeights = this.snapshot();
          } else if (esMonitor.wait >= patience) {
            history.stoppedEarly = true;
            stop = true;
          }
          history.bestEpoch = esMonitor.bestEpoch;
        }
        if (stop) break;
      }
      if (bestWeights && history.bestEpoch !== undefined && history.bestEpoch !== this.epochsTrained) {
        this.restore(bestWeights);
        bar.log(`restored the weights of epoch ${history.bestEpoch} (best ${esMonitor?.name})`);
      }
      return history;
    } finally {
      this.busy = false;
    }
  }

  /** Loss and metrics of the model on `data` (no gradients, dropout off). */
  async evaluate(data: D, options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<{ loss: number; metrics: Record<string, number> }> {
    const batchSize = positiveInt('batchSize', options.batchSize, 32);
    const plan = this.planBatches(data, { batchSize, shuffle: false, seed: 0, epoch: 0, training: false });
    this.enter('evaluate');
    try {
      return await this.evaluatePass(plan, options.signal);
    } finally {
      this.busy = false;
    }
  }

  private async evaluatePass(plan: BatchPlan<B>, signal?: AbortSignal): Promise<{ loss: number; metrics: Record<string, number> }> {
    if (plan.batches.length === 0) throw new InvalidArgumentError('data: nothing to evaluate (empty dataset)', 'ERR_SEQLEARN_INVALID_ARG');
    this.beginPass(false);
    const total: BatchResult = { lossSum: 0, count: 0, correct: 0, items: 0 };
    let hasCorrect = false;
    for (const b of plan.batches) {
      if (signal?.aborted) throw new AbortError('evaluation was aborted');
      const r = await this.runBatch(b, false);
      total.lossSum += r.lossSum;
      total.count += r.count;
      total.items! += r.items ?? r.count;
      if (r.correct !== undefined) {
        total.correct! += r.correct;
        hasCorrect = true;
      }
    }
    const metrics: Record<string, number> = {};
    if (hasCorrect) metrics.accuracy = total.correct! / Math.max(1, total.count);
    Object.assign(metrics, this.passMetrics(total, 'val'));
    return { loss: total.lossSum / Math.max(1, total.count), metrics };
  }

  private snapshot(): Record<string, Record<string, Tensor>> {
    const out: Record<string, Record<string, Tensor>> = {};
    for (const [k, l] of Object.entries(this.layers())) out[k] = l.stateDict();
    return out;
  }

  private restore(s: Record<string, Record<string, Tensor>>): void {
    for (const [k, l] of Object.entries(this.layers())) l.loadStateDict(s[k]);
  }

  /**
   * Saves weights (`model.safetensors`, names `<layer>.<param>`), `config.json`, extra files
   * (vocabulary) and, with `includeOptimizer` (default true when there is one), the optimizer
   * state. The directory is replaced atomically: a crash leaves the previous save intact.
   */
  async save(dir: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    const weights: Record<string, Tensor> = {};
    for (const [prefix, layer] of Object.entries(this.layers())) {
      for (const [name, t] of Object.entries(layer.stateDict())) weights[`${prefix}.${name}`] = t;
    }
    const saved: SavedModel = {
      kind: this.kind,
      config: this.config(),
      epochsTrained: this.epochsTrained,
      weights,
      extra: this.extraFiles(),
    };
    if ((options.includeOptimizer ?? true) && this.optimizer) saved.optimizer = this.optimizer.stateDict();
    await writeModelDir(dir, saved);
  }

  /** @internal Loads weights and state read by `loadModel` into this freshly built model. */
  applySaved(saved: SavedModel, dir: string): void {
    const byLayer: Record<string, Record<string, Tensor>> = {};
    const layers = this.layers();
    for (const [key, t] of Object.entries(saved.weights)) {
      const dot = key.indexOf('.');
      const prefix = key.slice(0, dot);
      if (dot < 0 || !(prefix in layers)) throw new FormatError(`${dir}/model.safetensors: tensor '${key}' belongs to no layer of a ${this.kind} (layers: ${Object.keys(layers).join(', ')})`, 'ERR_SEQLEARN_FORMAT');
      (byLayer[prefix] ??= {})[key.slice(dot + 1)] = t;
    }
    for (const [prefix, layer] of Object.entries(layers)) {
      if (!byLayer[prefix]) throw new FormatError(`${dir}/model.safetensors: no tensors for layer '${prefix}'`, 'ERR_SEQLEARN_FORMAT');
      try {
        layer.loadStateDict(byLayer[prefix]);
      } catch (err) {
        const m = err instanceof Error ? err.message : String(err);
        throw new FormatError(`${dir}/model.safetensors: layer '${prefix}' does not match the config: ${m}`, 'ERR_SEQLEARN_FORMAT', { cause: err });
      }
    }
    this.epochsTrained = saved.epochsTrained;
    if (saved.optimizer) {
      this.optimizer = restoreOptimizer(saved.optimizer, Object.values(layers), dir);
    }
  }
}

import { optimizerFromState } from '../training/optim';

function restoreOptimizer(state: NonNullable<SavedModel['optimizer']>, layers: Trainable[], dir: string): Optimizer {
  try {
    return optimizerFromState(layers, state);
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    throw new FormatError(`${dir}/optimizer: cannot restore the optimizer state: ${m}`, 'ERR_SEQLEARN_FORMAT', { cause: err });
  }
}

export { readModelDir };
