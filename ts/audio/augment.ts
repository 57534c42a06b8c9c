/**
 * Seeded augmentation for speech, computed in Rust: speed perturbation by resampling (tempo and
 * pitch change together, as Kaldi's speed perturbation), additive white noise at an SNR, gain,
 * and SpecAugment time/frequency masks on a feature matrix. The same seed gives the same result.
 * `audioFeaturesAsync({ augment })` applies random draws of all of them per item.
 */
import native = require('../native');
import { callNative, describe } from '../errors';
import { fromNativeTensor, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { numberOption, optionsObject } from '../nn/common';

/** Resampling method of `speedPerturb`. */
export type Interpolation = 'sinc' | 'linear';

/** SpecAugment masks (Park et al. 2019, without time warping). */
export interface SpecAugmentOptions {
  /** Number of time masks (default 0). */
  timeMasks?: number;
  /** Largest time-mask width in frames; each width is uniform in `0..=max` (default 0). */
  maxTimeWidth?: number;
  /** Number of frequency masks (default 0). */
  freqMasks?: number;
  /** Largest frequency-mask width in coefficients (default 0). */
  maxFreqWidth?: number;
  /** Value written into masked cells (default 0, the mean after normalisation). */
  maskValue?: number;
  /** Seed (default 0). */
  seed?: number;
}

/** Random per-item augmentation of `audioFeaturesAsync`: ranges `[low, high]` drawn uniformly per item. */
export interface AugmentOptions extends SpecAugmentOptions {
  /** Speed factor range, e.g. `[0.9, 1.1]` (within [0.25, 4]). */
  speed?: [number, number];
  /** Resampling of the speed perturbation (default `'sinc'`). */
  interpolation?: Interpolation;
  /** Gain range in dB. */
  gainDb?: [number, number];
  /** Signal-to-noise range in dB of added white Gaussian noise. */
  snrDb?: [number, number];
}

function samplesArg(samples: unknown): Float32Array {
  if (!(samples instanceof Float32Array)) throw new TypeError(`samples: expected a Float32Array, got ${describe(samples)}`);
  return samples;
}

function rangeOption(arg: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number')) throw new TypeError(`${arg}: expected [low, high] (two numbers), got ${describe(v)}`);
  return [v[0] as number, v[1] as number];
}

function interpolationOption(arg: string, v: unknown): Interpolation | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${arg}: expected 'sinc' or 'linear', got ${describe(v)}`);
  return v as Interpolation;
}

function specArgs(prefix: string, o: Partial<SpecAugmentOptions>): native.SpecAugmentArgs {
  return {
    timeMasks: numberOption(`${prefix}timeMasks`, o.timeMasks),
    maxTimeWidth: numberOption(`${prefix}maxTimeWidth`, o.maxTimeWidth),
    freqMasks: numberOption(`${prefix}freqMasks`, o.freqMasks),
    maxFreqWidth: numberOption(`${prefix}maxFreqWidth`, o.maxFreqWidth),
    maskValue: numberOption(`${prefix}maskValue`, o.maskValue),
    seed: numberOption(`${prefix}seed`, o.seed),
  };
}

/** @internal The native form of `AugmentOptions`. */
export function augmentArgs(options: AugmentOptions): native.AugmentArgs {
  const o = optionsObject('augment', options);
  return {
    ...specArgs('augment.', o),
    speed: rangeOption('augment.speed', o.speed),
    interpolation: interpolationOption('augment.interpolation', o.interpolation),
    gainDb: rangeOption('augment.gainDb', o.gainDb),
    snrDb: rangeOption('augment.snrDb', o.snrDb),
  };
}

/**
 * Resamples `samples` to play `factor` times faster (1.1: 10% shorter, pitch up): output sample
 * `j` is the signal at input position `j · factor` (`⌊(len − 1) / factor⌋ + 1` samples). `'sinc'`
 * (default) is a Hann-windowed sinc low-passed at `min(1, 1/factor)` × Nyquist (no aliasing when
 * speeding up); `'linear'` interpolates neighbours.
 */
export function speedPerturb(samples: Float32Array, factor: number, options: { interpolation?: Interpolation } = {}): Float32Array {
  const x = samplesArg(samples);
  if (typeof factor !== 'number') throw new TypeError(`factor: expected a number, got ${describe(factor)}`);
  const interpolation = interpolationOption('interpolation', optionsObject('options', options).interpolation);
  return callNative(() => native.speedPerturb(x, factor, interpolation));
}

/**
 * `samples` plus white Gaussian noise scaled so that `10 · log10(P_signal / P_noise) = snrDb`
 * (mean-square powers). A silent signal is returned unchanged. Seeded (default seed 0).
 */
export function addNoise(samples: Float32Array, snrDb: number, options: { seed?: number } = {}): Float32Array {
  const x = samplesArg(samples);
  if (typeof snrDb !== 'number') throw new TypeError(`snrDb: expected a number, got ${describe(snrDb)}`);
  const seed = numberOption('seed', optionsObject('options', options).seed);
  return callNative(() => native.addNoise(x, snrDb, seed));
}

/** `samples · 10^(gainDb / 20)` (no clipping). */
export function applyGain(samples: Float32Array, gainDb: number): Float32Array {
  const x = samplesArg(samples);
  if (typeof gainDb !== 'number') throw new TypeError(`gainDb: expected a number, got ${describe(gainDb)}`);
  return callNative(() => native.applyGain(x, gainDb));
}

/**
 * SpecAugment masks on a copy of `features` `[frames, dims]`: `timeMasks` bands of whole frames
 * and `freqMasks` bands of whole coefficients, each of a width uniform in `0..=max` (capped at the
 * size) at a uniform start, set to `maskValue`.
 */
export function specAugment(features: TensorLike, options: SpecAugmentOptions): Tensor {
  const f = tensorArg('features', features);
  const o = specArgs('', optionsObject('options', options));
  return fromNativeTensor(callNative(() => native.specAugment(f, o)));
}
