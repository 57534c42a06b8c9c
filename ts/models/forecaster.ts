/**
 * `Forecaster`: multi-step forecasting of a real-valued series. Autoregressive in the series
 * (its last `lookback` values are the input) with optional exogenous inputs per step
 * (NARX-style: calendar features, covariates), trained with MSE on standardised values. The
 * recurrent stack's final state feeds a Linear head that emits the whole `horizon` at once
 * (the direct multi-output strategy: no error accumulation from feeding predictions back).
 */
import { InvalidArgumentError, StateError, describe } from '../errors';
import { shuffled } from '../data/batching';
import { Linear } from '../nn/linear';
import type { Trainable } from '../nn/module';
import { lastState, lastStateBackward } from '../nn/sequence';
import { Tensor, type TensorLike } from '../tensor';
import { mseLoss } from '../training/loss';
import { Backbone, backboneConfig, type BackboneOptions } from './backbone';
import { SequenceModel, type BatchPlan, type BatchResult, type FitOptions, type History, type Json, type PlanContext } from './model';

/** Options of `new Forecaster(...)`. */
export interface ForecasterOptions extends BackboneOptions {
  /** Past steps each forecast sees. */
  lookback: number;
  /** Steps forecast at once. */
  horizon: number;
  /** Exogenous features per step (default 0). */
  exogenousSize?: number;
}

/** A series with optional exogenous features. */
export interface SeriesData {
  /** The values, oldest first. */
  series: ArrayLike<number>;
  /** `[N, exogenousSize]` features aligned with `series` (known for each step). */
  exogenous?: TensorLike;
}

/** `fit` options of a forecaster. */
export interface ForecasterFitOptions extends FitOptions<SeriesData> {
  /** Distance between consecutive training windows (default 1). */
  stride?: number;
}

interface Batch {
  input: Tensor;
  target: Tensor;
}

function checkSeries(arg: string, d: SeriesData, exo: number, minLength: number): Float64Array {
  if (d === null || typeof d !== 'object') throw new TypeError(`${arg}: expected { series, exogenous? }, got ${describe(d)}`);
  const s = d.series;
  if (s === null || typeof s !== 'object' || typeof s.length !== 'number') throw new TypeError(`${arg}.series: expected an array of numbers, got ${describe(s)}`);
  if (s.length < minLength) throw new InvalidArgumentError(`${arg}.series: expected at least ${minLength} values (lookback + horizon), got ${s.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  const v = Float64Array.from(s);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InvalidArgumentError(`${arg}.series[${bad}]: expected a finite number, got ${v[bad]}`, 'ERR_SEQLEARN_INVALID_ARG');
  if (exo > 0) {
    const e = d.exogenous;
    if (!e || !(e.data instanceof Float32Array) || e.shape.length !== 2 || e.shape[0] !== s.length || e.shape[1] !== exo) {
      throw new InvalidArgumentError(`${arg}.exogenous: expected a [${s.length}, ${exo}] tensor aligned with the series, got ${e ? `shape [${e.shape.join(', ')}]` : 'nothing'}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
  } else if (d.exogenous !== undefined) {
    throw new InvalidArgumentError(`${arg}.exogenous: this forecaster was built with exogenousSize 0`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  return v;
}

/** A direct multi-step recurrent forecaster. */
export class Forecaster extends SequenceModel<SeriesData, Batch> {
  readonly kind = 'Forecaster';
  readonly lookback: number;
  readonly horizon: number;
  readonly exogenousSize: number;
  readonly backbone: Backbone;
  readonly head: Linear;
  /** Standardisation of the series (fitted on the first training data). */
  scale?: { mean: number; std: number };
  private stride = 1;

  constructor(options: ForecasterOptions & { scale?: { mean: number; std: number } }) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
    for (const k of ['lookback', 'horizon'] as const) {
      if (!Number.isInteger(options[k]) || options[k] < 1) throw new InvalidArgumentError(`${k}: expected a positive integer, got ${describe(options[k])}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
    const exo = options.exogenousSize ?? 0;
    if (!Number.isInteger(exo) || exo < 0) throw new InvalidArgumentError(`exogenousSize: expected a non-negative integer, got ${describe(exo)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.lookback = options.lookback;
    this.horizon = options.horizon;
    this.exogenousSize = exo;
    this.scale = options.scale;
    const cfg = backboneConfig(options, { vocabSize: 0, inputSize: 1 + exo });
    this.backbone = new Backbone(cfg, true);
    this.head = new Linear({ inFeatures: this.backbone.outputSize, outFeatures: this.horizon, seed: cfg.seed + 4 });
  }

  layers(): Record<string, Trainable> {
    return { ...this.backbone.layers(), head: this.head };
  }

  config(): { [key: string]: Json } {
    return {
      lookback: this.lookback, horizon: this.horizon, exogenousSize: this.exogenousSize,
      scale: this.scale ? { mean: this.scale.mean, std: this.scale.std } : null,
      ...this.backbone.configJson(),
    };
  }

  protected itemName(): string {
    return 'windows';
  }

  /** Trains on the windows of `data` (standardisation fitted on the first call). */
  override async fit(data: SeriesData, options: ForecasterFitOptions = {}): Promise<History> {
    const stride = options.stride ?? 1;
    if (!Number.isInteger(stride) || stride < 1) throw new InvalidArgumentError(`stride: expected a positive integer, got ${describe(stride)}`, 'ERR_SEQLEARN_INVALID_ARG');
    this.stride = stride;
    if (!this.scale) {
      const v = checkSeries('data', data, this.exogenousSize, this.lookback + this.horizon);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) || 1;
      this.scale = { mean, std };
    }
    return super.fit(data, options);
  }

  /** The input window `[lookback, 1 + E]` ending before `origin` (standardised). */
  private window(v: Float64Array, exo: TensorLike | undefined, origin: number, out: Float32Array, at: number): void {
    const F = 1 + this.exogenousSize;
    const { mean, std } = this.scale!;
    for (let k = 0; k < this.lookback; k++) {
      const t = origin - this.lookback + k;
      out[at + k * F] = (v[t] - mean) / std;
      if (exo) out.set(exo.data.subarray(t * this.exogenousSize, (t + 1) * this.exogenousSize), at + k * F + 1);
    }
  }

  private batch(v: Float64Array, exo: TensorLike | undefined, origins: number[], withTarget: boolean): Batch {
    const F = 1 + this.exogenousSize;
    const input = new Float32Array(origins.length * this.lookback * F);
    const target = new Float32Array(withTarget ? origins.length * this.horizon : 0);
    const { mean, std } = this.scale!;
    origins.forEach((o, b) => {
      this.window(v, exo, o, input, b * this.lookback * F);
      if (withTarget) for (let h = 0; h < this.horizon; h++) target[b * this.horizon + h] = (v[o + h] - mean) / std;
    });
    return { input: new Tensor(input, [origins.length, this.lookback, F]), target: new Tensor(target, [origins.length, withTarget ? this.horizon : 0]) };
  }

  protected planBatches(data: SeriesData, ctx: PlanContext): BatchPlan<Batch> {
    const arg = ctx.training ? 'data' : 'validation';
    const v = checkSeries(arg, data, this.exogenousSize, this.lookback + this.horizon);
    if (!this.scale) throw new StateError(`${arg}: the forecaster has no standardisation yet; call fit first`, 'ERR_SEQLEARN_STATE');
    const origins: number[] = [];
    const stride = ctx.training ? this.stride : 1;
    for (let o = this.lookback; o + this.horizon <= v.length; o += stride) origins.push(o);
    const order = ctx.shuffle && ctx.training ? Array.from(shuffled(origins.length, ctx.seed + ctx.epoch), (i) => origins[i]) : origins;
    const batches: Batch[] = [];
    for (let i = 0; i < order.length; i += ctx.batchSize) batches.push(this.batch(v, data.exogenous, order.slice(i, i + ctx.batchSize), true));
    return { batches };
  }

  protected async runBatch(b: Batch, training: boolean): Promise<BatchResult> {
    const { state } = await this.backbone.forward(b.input, { training });
    const feats = lastState(state.h, this.backbone.numDirections);
    const pred = await this.head.forwardAsync(feats, { training });
    const r = mseLoss(pred, b.target);
    const n = b.target.data.length;
    if (training && Number.isFinite(r.loss)) {
      const g = await this.head.backwardAsync(r.grad);
      await this.backbone.backward(null, lastStateBackward(g, state.h.shape, this.backbone.numDirections));
    }
    return { lossSum: (r.loss as number) * n, count: n, items: b.target.shape[0] };
  }

  /**
   * Forecasts `horizon` values after each origin (an index into `data.series`: the forecast
   * covers `series[origin .. origin + horizon)` and sees the `lookback` values before it).
   * Default origin: the end of the series. Returns `[origins, horizon]` in the series' units.
   */
  async forecast(data: SeriesData, options: { origins?: number[]; batchSize?: number } = {}): Promise<Tensor> {
    if (!this.scale) throw new StateError('forecast: the forecaster is not trained yet (call fit first)', 'ERR_SEQLEARN_STATE');
    const v = checkSeries('data', data, this.exogenousSize, this.lookback);
    const origins = options.origins ?? [v.length];
    origins.forEach((o, i) => {
      if (!Number.isInteger(o) || o < this.lookback || o > v.length) throw new InvalidArgumentError(`origins[${i}]: expected an integer in ${this.lookback}..${v.length} (needs lookback ${this.lookback} values before it), got ${describe(o)}`, 'ERR_SEQLEARN_INVALID_ARG');
    });
    const out = new Float32Array(origins.length * this.horizon);
    const bs = options.batchSize ?? 256;
    const { mean, std } = this.scale;
    for (let i = 0; i < origins.length; i += bs) {
      const b = this.batch(v, data.exogenous, origins.slice(i, i + bs), false);
      const { state } = await this.backbone.forward(b.input, { training: false });
      const pred = await this.head.forwardAsync(lastState(state.h, this.backbone.numDirections), { training: false });
      for (let k = 0; k < pred.data.length; k++) out[i * this.horizon + k] = pred.data[k] * std + mean;
    }
    return new Tensor(out, [origins.length, this.horizon]);
  }
}
