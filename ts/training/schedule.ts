/**
 * Learning-rate schedules with the semantics and arithmetic of `torch.optim.lr_scheduler`:
 * construction performs the initial step (epoch 0), each `step()` advances one epoch (or
 * batch) and writes the new learning rate into the optimizer. The chainable schedules compute
 * from the optimizer's current learning rate, as PyTorch does, so they compose with manual
 * changes. Every schedule has `stateDict()` / `loadStateDict()` for exact resumption (restore
 * the optimizer's state too: it holds the current learning rate).
 */
import { describe, InvalidArgumentError } from '../errors';
import type { Optimizer } from './optim';

/** A value in a schedule's saved state (JSON-able). */
export type ScheduleStateValue = number | string | boolean | null | ScheduleState;

/** The saved state of a schedule: its class name plus its counters (JSON-able). */
export interface ScheduleState {
  /** The schedule's class name, e.g. `'StepLR'`. */
  kind: string;
  /** Counters and values of that class. */
  [key: string]: ScheduleStateValue;
}

/** What every schedule offers. */
export interface Schedule {
  /** The learning rate set by the last step (or by construction). */
  readonly lastLr: number;
  /** The schedule's state (JSON-able). */
  stateDict(): ScheduleState;
  /** Restores a state saved by `stateDict()` of a schedule built with the same options. */
  loadStateDict(state: ScheduleState): void;
}

const INVALID = 'ERR_SEQLEARN_INVALID_ARG';

function bad(arg: string, expected: string, v: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${arg}: expected ${expected}, got ${typeof v === 'number' ? String(v) : describe(v)}`, INVALID);
}

function num(arg: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected a number, got ${describe(v)}`);
  return v;
}

function finiteAtLeast(arg: string, v: unknown, min: number, dflt?: number): number {
  const x = num(arg, v, dflt);
  if (!(Number.isFinite(x) && x >= min)) throw bad(arg, `a finite number ≥ ${min}`, x);
  return x;
}

function integer(arg: string, v: unknown, min: number, dflt?: number): number {
  const x = num(arg, v, dflt);
  if (!Number.isSafeInteger(x) || x < min) throw bad(arg, `an integer ≥ ${min}`, x);
  return x;
}

function optionsObject(v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`options: expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function optimizerArg(v: unknown): Optimizer {
  const o = v as Partial<Optimizer> | null;
  if (o === null || typeof o !== 'object' || typeof o.lr !== 'number' || typeof o.setOptions !== 'function') {
    throw new TypeError(`optimizer: expected an Optimizer (SGD, Adam, …), got ${describe(v)}`);
  }
  return v as Optimizer;
}

/** Reads field `key` of a saved state as a number, naming it in errors. */
function stateNum(s: ScheduleState, key: string, integral = false): number {
  const v = s[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || (integral && !Number.isSafeInteger(v))) {
    throw new TypeError(`state.${key}: expected ${integral ? 'an integer' : 'a finite number'}, got ${describe(v)}`);
  }
  return v;
}

function stateArg(state: unknown, kind: string): ScheduleState {
  if (state === null || typeof state !== 'object') throw new TypeError(`state: expected a ${kind} state object, got ${describe(state)}`);
  const s = state as ScheduleState;
  if (s.kind !== kind) throw new InvalidArgumentError(`state.kind: expected '${kind}', got ${describe(s.kind)}`, INVALID);
  return s;
}

/**
 * Base of the epoch-indexed schedules (`torch.optim.lr_scheduler.LRScheduler`). Subclasses
 * compute the next learning rate from `lastEpoch` and the optimizer's current rate.
 */
export abstract class LRScheduler implements Schedule {
  /** The optimizer whose learning rate this schedule sets. */
  readonly optimizer: Optimizer;
  /** The learning rate at construction (PyTorch's `base_lrs`). */
  baseLr: number;
  /** Index of the last step: 0 after construction (PyTorch's `last_epoch`). */
  lastEpoch = -1;
  /** True only during the initial step of construction. */
  protected initial = false;
  private last = 0;

  protected constructor(optimizer: Optimizer, baseLr?: number) {
    this.optimizer = optimizerArg(optimizer);
    this.baseLr = baseLr ?? this.optimizer.lr;
  }

  /** Runs the initial step (epoch 0); subclasses call it at the end of their constructor. */
  protected start(): void {
    this.initial = true;
    try {
      this.step();
    } finally {
      this.initial = false;
    }
  }

  /** The next learning rate, for `lastEpoch` (already advanced). */
  protected abstract nextLr(): number;

  /** The learning rate at `epoch` from `baseLr` alone (PyTorch's `_get_closed_form_lr`). */
  protected closedFormLr(_epoch: number): number {
    return this.nextLr();
  }

  /** Advances one step and sets the optimizer's learning rate. */
  step(): void {
    this.lastEpoch += 1;
    this.apply(this.nextLr());
  }

  /** Sets `lr` on the optimizer and records it. */
  protected apply(lr: number): void {
    this.optimizer.lr = lr;
    this.last = this.optimizer.lr;
  }

  /** The learning rate set by the last step (or by construction). */
  get lastLr(): number {
    return this.last;
  }

  /** @internal Undoes the effect of construction (for `LinearWarmup`, which drives this schedule later). */
  deferStart(): void {
    this.lastEpoch = -1;
  }

  /** @internal Restarts at epoch 0 from `baseLr` (PyTorch's `_update_lr(0)` in `SequentialLR`). */
  restart(): void {
    this.lastEpoch = 0;
    this.apply(this.closedFormLr(0));
  }

  /** Class-specific fields of the saved state. */
  protected extraState(): Record<string, ScheduleStateValue> {
    return {};
  }

  /** Restores class-specific fields (already validated by the caller for kind). */
  protected loadExtraState(_state: ScheduleState): void {}

  /** The schedule's state (JSON-able). */
  stateDict(): ScheduleState {
    return { kind: this.constructor.name, lastEpoch: this.lastEpoch, baseLr: this.baseLr, lastLr: this.last, ...this.extraState() };
  }

  /** Restores a state saved by `stateDict()` of a schedule built with the same options. */
  loadStateDict(state: ScheduleState): void {
    const s = stateArg(state, this.constructor.name);
    const lastEpoch = stateNum(s, 'lastEpoch', true);
    const baseLr = stateNum(s, 'baseLr');
    const lastLr = stateNum(s, 'lastLr');
    this.loadExtraState(s);
    this.lastEpoch = lastEpoch;
    this.baseLr = baseLr;
    this.last = lastLr;
  }
}

/** Multiplies the learning rate by `gamma` every `stepSize` steps (`StepLR`). */
export class StepLR extends LRScheduler {
  /** Period of the decay. */
  readonly stepSize: number;
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = optionsObject(options);
    this.stepSize = integer('stepSize', o.stepSize, 1);
    this.gamma = finiteAtLeast('gamma', o.gamma, 0, 0.1);
    this.start();
  }

  protected nextLr(): number {
    const lr = this.optimizer.lr;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lr;
    return lr * this.gamma;
  }

  protected closedFormLr(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** Multiplies the learning rate by `gamma` at each milestone step (`MultiStepLR`). */
export class MultiStepLR extends LRScheduler {
  /** Steps at which the rate decays (a repeated milestone decays once per repetition). */
  readonly milestones: readonly number[];
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { milestones: readonly number[]; gamma?: number }) {
    super(optimizer);
    const o = optionsObject(options);
    if (!Array.isArray(o.milestones)) throw new TypeError(`milestones: expected an array of integers, got ${describe(o.milestones)}`);
    const ms = o.milestones.map((m: unknown, i) => integer(`milestones[${i}]`, m, 0));
    ms.forEach((m, i) => {
      if (i > 0 && m < ms[i - 1]) throw bad(`milestones[${i}]`, `a value ≥ milestones[${i - 1}] = ${ms[i - 1]} (non-decreasing)`, m);
    });
    this.milestones = Object.freeze(ms);
    this.gamma = finiteAtLeast('gamma', o.gamma, 0, 0.1);
    this.start();
  }

  protected nextLr(): number {
    const lr = this.optimizer.lr;
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return hits === 0 ? lr : lr * this.gamma ** hits;
  }

  protected closedFormLr(epoch: number): number {
    return this.baseLr * this.gamma ** this.milestones.filter((m) => m <= epoch).length;
  }
}

/** Multiplies the learning rate by `gamma` every step (`ExponentialLR`). */
export class ExponentialLR extends LRScheduler {
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { gamma: number }) {
    super(optimizer);
    this.gamma = finiteAtLeast('gamma', optionsObject(options).gamma, 0);
    this.start();
  }

  protected nextLr(): number {
    return this.initial ? this.optimizer.lr : this.optimizer.lr * this.gamma;
  }

  protected closedFormLr(epoch: number): number {
    return this.baseLr * this.gamma ** epoch;
  }
}

/**
 * Cosine annealing from the base rate to `etaMin` over `tMax` steps, then back up
 * (`CosineAnnealingLR`, without restarts; PyTorch's recursive form).
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Steps of a half period. */
  readonly tMax: number;
  /** The lowest learning rate. */
  readonly etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const o = optionsObject(options);
    this.tMax = integer('tMax', o.tMax, 1);
    this.etaMin = finiteAtLeast('etaMin', o.etaMin, 0, 0);
    this.start();
  }

  protected nextLr(): number {
    const lr = this.optimizer.lr;
    const e = this.lastEpoch;
    const T = this.tMax;
    if (this.initial) return lr;
    if ((e - 1 - T) % (2 * T) === 0) return lr + ((this.baseLr - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - this.etaMin) + this.etaMin;
  }

  protected closedFormLr(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** Options of `LinearWarmup`. */
export interface LinearWarmupOptions {
  /** Steps of the warm-up: the rate reaches the base rate at step `warmupSteps`. */
  warmupSteps: number;
  /** Fraction of the base rate at step 0, in (0, 1] (default 1/3, as `LinearLR`). */
  startFactor?: number;
  /**
   * The schedule that takes over at step `warmupSteps`, restarted at its epoch 0 (built on the
   * same optimizer before this one); without it the rate stays at the base rate.
   */
  after?: LRScheduler;
}

/**
 * Linear warm-up from `startFactor · lr` to `lr` over `warmupSteps` steps, then an optional
 * schedule takes over: `LinearLR(startFactor, 1, warmupSteps)` alone, or
 * `SequentialLR([LinearLR(…), after], milestones=[warmupSteps])` in PyTorch.
 */
export class LinearWarmup extends LRScheduler {
  /** Steps of the warm-up. */
  readonly warmupSteps: number;
  /** Fraction of the base rate at step 0. */
  readonly startFactor: number;
  /** The schedule after the warm-up, if any. */
  readonly after: LRScheduler | undefined;

  constructor(optimizer: Optimizer, options: LinearWarmupOptions) {
    const o = optionsObject(options);
    const after = o.after;
    if (after !== undefined && !(after instanceof LRScheduler)) throw new TypeError(`after: expected a schedule (StepLR, CosineAnnealingLR, …), got ${describe(after)}`);
    if (after !== undefined && after.optimizer !== optimizer) throw new InvalidArgumentError('after: expected a schedule of the same optimizer', INVALID);
    super(optimizer, after?.baseLr);
    this.warmupSteps = integer('warmupSteps', o.warmupSteps, 1);
    const sf = num('startFactor', o.startFactor, 1 / 3);
    if (!(sf > 0 && sf <= 1)) throw bad('startFactor', 'a number in (0, 1]', sf);
    this.startFactor = sf;
    this.after = after;
    if (after) {
      // As SequentialLR: back to the base rate, the inner schedule's construction undone.
      this.optimizer.lr = this.baseLr;
      after.deferStart();
    }
    this.start();
  }

  step(): void {
    const e = this.lastEpoch + 1;
    if (this.after && e === this.warmupSteps) {
      this.lastEpoch = e;
      this.after.restart();
      this.apply(this.after.lastLr);
    } else if (this.after && e > this.warmupSteps) {
      this.lastEpoch = e;
      this.after.step();
      this.apply(this.after.lastLr);
    } else {
      super.step();
    }
  }

  protected nextLr(): number {
    const lr = this.optimizer.lr;
    const e = this.lastEpoch;
    if (e === 0) return lr * this.startFactor;
    if (this.initial || e > this.warmupSteps) return lr;
    const span = 1.0 - this.startFactor;
    return lr * (1.0 + span / (this.warmupSteps * this.startFactor + (e - 1) * span));
  }

  protected closedFormLr(epoch: number): number {
    return this.baseLr * (this.startFactor + ((1.0 - this.startFactor) * Math.min(this.warmupSteps, epoch)) / this.warmupSteps);
  }

  protected extraState(): Record<string, ScheduleStateValue> {
    return { after: this.after ? this.after.stateDict() : null };
  }

  protected loadExtraState(state: ScheduleState): void {
    const a = state.after;
    if (this.after) {
      if (a === null || typeof a !== 'object') throw new TypeError(`state.after: expected the state of the schedule after the warm-up, got ${describe(a)}`);
      this.after.loadStateDict(a);
    } else if (a !== null && a !== undefined) {
      throw new InvalidArgumentError('state.after: this warm-up has no schedule after it, but the state holds one', INVALID);
    }
  }
}

/** Options of `ReduceLROnPlateau` (PyTorch defaults). */
export interface ReduceLROnPlateauOptions {
  /** `'min'`: reduce when the metric stops decreasing; `'max'`: stops increasing (default 'min'). */
  mode?: 'min' | 'max';
  /** New rate = rate · factor, in [0, 1) (default 0.1). */
  factor?: number;
  /** Steps without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'`: relative to the best value; `'abs'`: absolute (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound of the learning rate (default 0). */
  minLr?: number;
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/** Reduces the learning rate when a metric stops improving (`ReduceLROnPlateau`). */
export class ReduceLROnPlateau implements Schedule {
  /** The optimizer whose learning rate this schedule sets. */
  readonly optimizer: Optimizer;
  /** The options with defaults filled in. */
  readonly options: Readonly<Required<ReduceLROnPlateauOptions>>;
  /** Number of `step` calls. */
  lastEpoch = 0;
  /** Best metric so far (±Infinity before the first). */
  best: number;
  /** Steps since the last improvement. */
  numBadEpochs = 0;
  /** Steps left in the current cooldown. */
  cooldownCounter = 0;
  private last: number;

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizerArg(optimizer);
    const o = optionsObject(options);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw bad('mode', "'min' or 'max'", mode);
    const thresholdMode = o.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw bad('thresholdMode', "'rel' or 'abs'", thresholdMode);
    const factor = num('factor', o.factor, 0.1);
    if (!(factor >= 0 && factor < 1)) throw bad('factor', 'a number in [0, 1)', factor);
    this.options = Object.freeze({
      mode,
      factor,
      patience: integer('patience', o.patience, 0, 10),
      threshold: finiteAtLeast('threshold', o.threshold, 0, 1e-4),
      thresholdMode,
      cooldown: integer('cooldown', o.cooldown, 0, 0),
      minLr: finiteAtLeast('minLr', o.minLr, 0, 0),
      eps: finiteAtLeast('eps', o.eps, 0, 1e-8),
    });
    this.best = this.worst();
    this.last = this.optimizer.lr;
  }

  private worst(): number {
    return this.options.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.options;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1.0 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (threshold + 1.0);
    return a > best + threshold;
  }

  /** Records the metric of one epoch (e.g. the validation loss) and reduces the rate if due. */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new TypeError(`metric: expected a number, got ${describe(metric)}`);
    if (Number.isNaN(metric)) throw bad('metric', 'a number (not NaN)', metric);
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.options.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.options.factor, this.options.minLr);
      if (old - next > this.options.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.options.cooldown;
      this.numBadEpochs = 0;
    }
    this.last = this.optimizer.lr;
  }

  /** The learning rate after the last step. */
  get lastLr(): number {
    return this.last;
  }

  /** The schedule's state (JSON-able; an infinite `best` is saved as null). */
  stateDict(): ScheduleState {
    return {
      kind: 'ReduceLROnPlateau',
      lastEpoch: this.lastEpoch,
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: this.last,
    };
  }

  /** Restores a state saved by `stateDict()`. */
  loadStateDict(state: ScheduleState): void {
    const s = stateArg(state, 'ReduceLROnPlateau');
    const lastEpoch = stateNum(s, 'lastEpoch', true);
    const best = s.best === null ? this.worst() : stateNum(s, 'best');
    const numBadEpochs = stateNum(s, 'numBadEpochs', true);
    const cooldownCounter = stateNum(s, 'cooldownCounter', true);
    const lastLr = stateNum(s, 'lastLr');
    Object.assign(this, { lastEpoch, best, numBadEpochs, cooldownCounter });
    this.last = lastLr;
  }
}

/** Options of `OneCycleLR` (PyTorch defaults). */
export interface OneCycleLROptions {
  /** The peak learning rate. */
  maxLr: number;
  /** Steps of the cycle (or give `epochs` and `stepsPerEpoch`). */
  totalSteps?: number;
  /** Epochs, with `stepsPerEpoch`, when `totalSteps` is not given. */
  epochs?: number;
  /** Steps per epoch, with `epochs`. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** `'cos'` or `'linear'` annealing (default 'cos'). */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD/RMSprop `momentum`, Adam/AdamW β1) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak rate (default 0.85). */
  baseMomentum?: number;
  /** Momentum at the start and end (default 0.95). */
  maxMomentum?: number;
  /** Initial rate = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final rate = initial rate / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial rate, annihilate) instead of two (default false). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'max' | 'base';
  endMomentum: 'max' | 'base';
}

/** The 1cycle policy (`OneCycleLR`): warm up to `maxLr`, then anneal far below the start. Not chainable. */
export class OneCycleLR extends LRScheduler {
  /** Steps of the cycle. */
  readonly totalSteps: number;
  /** `'cos'` or `'linear'`. */
  readonly annealStrategy: 'cos' | 'linear';
  /** Whether the momentum cycles. */
  readonly cycleMomentum: boolean;
  private readonly phases: Phase[];
  private readonly lrs: Record<'initial' | 'max' | 'min', number>;
  private readonly momentums: Record<'max' | 'base', number>;

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const o = optionsObject(options);
    const maxLr = num('maxLr', o.maxLr);
    if (!(Number.isFinite(maxLr) && maxLr > 0)) throw bad('maxLr', 'a finite number > 0', maxLr);
    const divFactor = num('divFactor', o.divFactor, 25);
    if (!(Number.isFinite(divFactor) && divFactor > 0)) throw bad('divFactor', 'a finite number > 0', divFactor);
    const finalDivFactor = num('finalDivFactor', o.finalDivFactor, 1e4);
    if (!(Number.isFinite(finalDivFactor) && finalDivFactor > 0)) throw bad('finalDivFactor', 'a finite number > 0', finalDivFactor);
    super(optimizer, maxLr / divFactor);
    let total: number;
    if (o.totalSteps !== undefined) total = integer('totalSteps', o.totalSteps, 1);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) total = integer('epochs', o.epochs, 1) * integer('stepsPerEpoch', o.stepsPerEpoch, 1);
    else throw new InvalidArgumentError('totalSteps: required (or both epochs and stepsPerEpoch)', INVALID);
    this.totalSteps = total;
    const pct = num('pctStart', o.pctStart, 0.3);
    if (!(pct >= 0 && pct <= 1)) throw bad('pctStart', 'a number in [0, 1]', pct);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw bad('annealStrategy', "'cos' or 'linear'", anneal);
    this.annealStrategy = anneal;
    if (o.threePhase !== undefined && typeof o.threePhase !== 'boolean') throw new TypeError(`threePhase: expected a boolean, got ${describe(o.threePhase)}`);
    this.phases = o.threePhase
      ? [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pct * total - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: total - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: pct * total - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: total - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    const initial = maxLr / divFactor;
    this.lrs = { initial, max: maxLr, min: initial / finalDivFactor };
    if (o.cycleMomentum !== undefined && typeof o.cycleMomentum !== 'boolean') throw new TypeError(`cycleMomentum: expected a boolean, got ${describe(o.cycleMomentum)}`);
    this.cycleMomentum = o.cycleMomentum ?? true;
    this.momentums = { max: finiteAtLeast('maxMomentum', o.maxMomentum, 0, 0.95), base: finiteAtLeast('baseMomentum', o.baseMomentum, 0, 0.85) };
    if (this.cycleMomentum) {
      if (this.optimizer.kind === 'adagrad') throw new InvalidArgumentError("cycleMomentum: the optimizer has no momentum or beta1 (Adagrad); pass cycleMomentum: false", INVALID);
      this.setMomentum(this.momentums.max);
    }
    this.start();
  }

  private setMomentum(m: number): void {
    const opt = this.optimizer;
    if (opt.kind === 'adam' || opt.kind === 'adamw') {
      const betas = (opt.options as Required<{ betas: readonly [number, number] }>).betas;
      opt.setOptions({ betas: [m, betas[1]] });
    } else {
      opt.setOptions({ momentum: m });
    }
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  /** Steps the schedule; the last allowed step is `totalSteps` (as PyTorch). */
  step(): void {
    if (this.lastEpoch + 1 > this.totalSteps) {
      throw new InvalidArgumentError(`step: tried to step ${this.lastEpoch + 1} times; the cycle has totalSteps = ${this.totalSteps}`, INVALID);
    }
    super.step();
  }

  protected nextLr(): number {
    const stepNum = this.lastEpoch;
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i];
      if (stepNum <= p.endStep || i === this.phases.length - 1) {
        const pct = (stepNum - start) / (p.endStep - start);
        const lr = this.anneal(this.lrs[p.startLr], this.lrs[p.endLr], pct);
        if (this.cycleMomentum) this.setMomentum(this.anneal(this.momentums[p.startMomentum], this.momentums[p.endMomentum], pct));
        // The step at totalSteps extrapolates past the cycle; a linear cycle may dip below 0 there.
        return Math.max(lr, 0);
      }
      start = p.endStep;
    }
    return this.lrs.min;
  }
}
