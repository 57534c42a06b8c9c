/**
 * Speech features computed in Rust, with librosa's conventions (pinned by committed librosa
 * 0.11 fixtures): the STFT with a periodic Hann window, mel filterbanks (Slaney or HTK scale,
 * Slaney area normalisation or none), log-mel, MFCC and per-utterance normalisation. Every
 * feature matrix is a `Tensor` `[frames, dims]` (librosa's `[dims, frames]` transposed: one row
 * per frame, ready for a recurrent layer).
 *
 * Defaults (speech-oriented): `winLength = round(0.025 · sampleRate)` (25 ms, at most `nFft`),
 * `hopLength = round(0.010 · sampleRate)` (10 ms), `nFft` = the next power of two ≥ `winLength`
 * (8 kHz: 256 / 200 / 80; 16 kHz: 512 / 400 / 160), `center` with `'reflect'` padding, power 2,
 * 40 mels from 0 Hz to `sampleRate / 2`, `melScale: 'slaney'`, `melNorm: 'slaney'`. Frames:
 * `1 + ⌊len / hop⌋` with `center`, `1 + ⌊(len − nFft) / hop⌋` without.
 *
 * - Log-mel: `ln(max(mel + logOffset, logFloor))`, defaults `logOffset = 0`, `logFloor = 1e-10`
 *   (set `logOffset`, e.g. 1e-6, for the additive-offset convention).
 * - MFCC: `librosa.feature.mfcc`: `power_to_db` of the mel spectrogram (`10 · log10(max(mel,
 *   amin))`, then floored at the utterance's maximum minus `topDb`), an orthonormal DCT-II over
 *   the mels, the first `nMfcc` (default 13) kept, optional lifter `1 + (L/2) sin(π(n+1)/L)`.
 * - `normalize: true`: per utterance, each coefficient minus its mean, divided by
 *   `max(std, normalizeEps)` (population std, default floor 1e-5).
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { fromNativeTensor, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { boolOption, numberOption, optionsObject } from '../nn/common';
import { augmentArgs, type AugmentOptions } from './augment';
import { pathArg } from './wav';

/** What `audioFeatures` computes per frame. */
export type FeatureKind = 'spectrogram' | 'mel' | 'logMel' | 'mfcc';

/** STFT options. */
export interface SpectrogramOptions {
  /** FFT size (any size ≥ 2; default: the next power of two ≥ `winLength`). */
  nFft?: number;
  /** Hann window length, ≤ `nFft`, centred in the frame (default 25 ms, at most `nFft`). */
  winLength?: number;
  /** Samples between frames, ≥ 1 (default 10 ms). */
  hopLength?: number;
  /** Pad `nFft / 2` samples on both sides so frame `t` is centred on sample `t · hopLength` (default true). */
  center?: boolean;
  /** Padding of `center`: `'reflect'` (numpy/torch reflect, the default) or `'constant'` (zeros, librosa ≥ 0.10's default). */
  padMode?: 'reflect' | 'constant';
  /** Exponent of the magnitude: 2 = power (default), 1 = magnitude. */
  power?: number;
  /** Per-utterance mean/variance normalisation of the output (default false). */
  normalize?: boolean;
  /** Standard-deviation floor of `normalize` (default 1e-5). */
  normalizeEps?: number;
}

/** Mel spectrogram options. */
export interface MelOptions extends SpectrogramOptions {
  /** Number of mel filters, `1..=nFft/2+1` (default 40). */
  nMels?: number;
  /** Lowest filter frequency in Hz (default 0). */
  fMin?: number;
  /** Highest filter frequency in Hz, ≤ `sampleRate / 2` (default `sampleRate / 2`). */
  fMax?: number;
  /** `'slaney'` (librosa's default) or `'htk'` (torchaudio's default). */
  melScale?: 'slaney' | 'htk';
  /** `'slaney'` (constant-area triangles, librosa's default) or `null` (peak 1, torchaudio's default). */
  melNorm?: 'slaney' | null;
}

/** Log-mel options. */
export interface LogMelOptions extends MelOptions {
  /** Floor inside the logarithm (default 1e-10). */
  logFloor?: number;
  /** Offset added inside the logarithm (default 0). */
  logOffset?: number;
}

/** MFCC options. */
export interface MfccOptions extends MelOptions {
  /** Coefficients kept, `1..=nMels` (default 13). */
  nMfcc?: number;
  /** dB range kept below the utterance's maximum (default 80; `null`: no clamp). */
  topDb?: number | null;
  /** Power floor before the dB conversion (default 1e-10). */
  amin?: number;
  /** Sinusoidal lifter `L` (default 0: none). */
  lifter?: number;
}

/** Options of `audioFeatures`: the kind and the options of every kind. */
export interface AudioFeatureOptions extends LogMelOptions, MfccOptions {
  /** What to compute (default `'logMel'`). */
  kind?: FeatureKind;
}

/** Options of `audioFeaturesAsync`. */
export interface AudioFeaturesBatchOptions extends AudioFeatureOptions {
  /** Sample rate of `Float32Array` items (required when there are any); files must match it when given. */
  sampleRate?: number;
  /** Seeded random augmentation per item (speed, gain, noise, SpecAugment masks). */
  augment?: AugmentOptions;
}

const KINDS: readonly FeatureKind[] = ['spectrogram', 'mel', 'logMel', 'mfcc'];

function stringOption<T extends string>(arg: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${arg}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  return v as T;
}

/** @internal The native form of feature options (types checked here, values natively). */
export function featureArgs(options: AudioFeatureOptions | undefined, kind?: FeatureKind): native.FeatureArgs {
  const o = optionsObject('options', options);
  if (o.melNorm !== undefined && o.melNorm !== null && typeof o.melNorm !== 'string') throw new TypeError(`melNorm: expected 'slaney' or null, got ${describe(o.melNorm)}`);
  const melNorm = o.melNorm === null ? 'none' : o.melNorm;
  const topDb = o.topDb === null ? Infinity : numberOption('topDb', o.topDb);
  return {
    kind: kind ?? stringOption('kind', o.kind, KINDS),
    nFft: numberOption('nFft', o.nFft),
    winLength: numberOption('winLength', o.winLength),
    hopLength: numberOption('hopLength', o.hopLength),
    center: o.center === undefined ? undefined : boolOption('center', o.center, true),
    padMode: stringOption('padMode', o.padMode, ['reflect', 'constant']),
    power: numberOption('power', o.power),
    nMels: numberOption('nMels', o.nMels),
    fMin: numberOption('fMin', o.fMin),
    fMax: numberOption('fMax', o.fMax),
    melScale: stringOption('melScale', o.melScale, ['slaney', 'htk']),
    melNorm,
    logFloor: numberOption('logFloor', o.logFloor),
    logOffset: numberOption('logOffset', o.logOffset),
    nMfcc: numberOption('nMfcc', o.nMfcc),
    topDb,
    amin: numberOption('amin', o.amin),
    lifter: numberOption('lifter', o.lifter),
    normalize: o.normalize === undefined ? undefined : boolOption('normalize', o.normalize, false),
    normalizeEps: numberOption('normalizeEps', o.normalizeEps),
  };
}

/** @internal Checks `samples` (a Float32Array) and `sampleRate` (a number; range checked natively). */
function signalArgs(samples: unknown, sampleRate: unknown): void {
  if (!(samples instanceof Float32Array)) throw new TypeError(`samples: expected a Float32Array, got ${describe(samples)}`);
  if (typeof sampleRate !== 'number') throw new TypeError(`sampleRate: expected a number, got ${describe(sampleRate)}`);
}

function compute(samples: Float32Array, sampleRate: number, options: AudioFeatureOptions | undefined, kind?: FeatureKind): Tensor {
  signalArgs(samples, sampleRate);
  const o = featureArgs(options, kind);
  return fromNativeTensor(callNative(() => native.audioFeatures(samples, sampleRate, o)));
}

/** Features of one utterance, `[frames, dims]`, of `options.kind` (default `'logMel'`). */
export function audioFeatures(samples: Float32Array, sampleRate: number, options?: AudioFeatureOptions): Tensor {
  return compute(samples, sampleRate, options);
}

/** `|STFT|^power` (`abs(librosa.stft(...)) ** power`), `[frames, nFft/2 + 1]`. */
export function spectrogram(samples: Float32Array, sampleRate: number, options?: SpectrogramOptions): Tensor {
  return compute(samples, sampleRate, options, 'spectrogram');
}

/** Mel spectrogram (`librosa.feature.melspectrogram`), `[frames, nMels]`. */
export function melSpectrogram(samples: Float32Array, sampleRate: number, options?: MelOptions): Tensor {
  return compute(samples, sampleRate, options, 'mel');
}

/** Log-mel spectrogram `ln(max(mel + logOffset, logFloor))`, `[frames, nMels]`. */
export function logMelSpectrogram(samples: Float32Array, sampleRate: number, options?: LogMelOptions): Tensor {
  return compute(samples, sampleRate, options, 'logMel');
}

/** MFCCs (`librosa.feature.mfcc`'s convention), `[frames, nMfcc]`. */
export function mfcc(samples: Float32Array, sampleRate: number, options?: MfccOptions): Tensor {
  return compute(samples, sampleRate, options, 'mfcc');
}

/** The mel filterbank `[nMels, nFft/2 + 1]` used with these options (`librosa.filters.mel`). */
export function melFilterbank(sampleRate: number, options?: MelOptions): Tensor {
  if (typeof sampleRate !== 'number') throw new TypeError(`sampleRate: expected a number, got ${describe(sampleRate)}`);
  const o = featureArgs(options, 'mel');
  return fromNativeTensor(callNative(() => native.melFilterbank(sampleRate, o)));
}

/** Options of `normalizeFeatures`. */
export interface NormalizeOptions {
  /** Standard-deviation floor (default 1e-5). */
  eps?: number;
}

/**
 * Per-utterance normalisation of `features` `[frames, dims]`: each coefficient (column) minus
 * its mean over the frames, divided by `max(std, eps)` (population std). Returns a new tensor.
 */
export function normalizeFeatures(features: TensorLike, options: NormalizeOptions = {}): Tensor {
  const f = tensorArg('features', features);
  const o = optionsObject('options', options);
  const eps = numberOption('eps', o.eps);
  return fromNativeTensor(callNative(() => native.normalizeFeatures(f, eps)));
}

/** An utterance of `audioFeaturesAsync`: a WAV file path or samples at `options.sampleRate`. */
export type AudioItem = string | Float32Array;

/**
 * Features of many utterances off the JS thread, in parallel over items on the Rust thread pool
 * (`setNumThreads`). WAV files are read by the workers. `Float32Array` items need
 * `options.sampleRate`; files use their own rate (or must equal `sampleRate` when given). With
 * `augment`, item `i` is perturbed with its own seeded stream (the same result for any thread
 * count). Features come back in item order.
 */
export async function audioFeaturesAsync(items: readonly AudioItem[], options: AudioFeaturesBatchOptions = {}): Promise<Tensor[]> {
  if (!Array.isArray(items)) throw new TypeError(`items: expected an array of WAV paths or Float32Arrays, got ${describe(items)}`);
  const list: native.AudioItemArg[] = items.map((it: unknown, i) => {
    if (it instanceof Float32Array) return { samples: it };
    if (typeof it === 'string') return { path: pathArg(`items[${i}]`, it) };
    throw new TypeError(`items[${i}]: expected a WAV file path (string) or samples (Float32Array), got ${describe(it)}`);
  });
  const o = optionsObject('options', options);
  const sampleRate = numberOption('sampleRate', o.sampleRate);
  const args = featureArgs(o);
  const augment = o.augment === undefined ? undefined : augmentArgs(o.augment);
  if (sampleRate === undefined && list.some((it) => it.samples !== undefined)) {
    const i = list.findIndex((it) => it.samples !== undefined);
    throw new InvalidArgumentError(`sampleRate: required when an item is samples (items[${i}] is a Float32Array)`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  const out = await awaitNative(() => native.audioFeaturesAsync(list, sampleRate, args, augment));
  return out.map(fromNativeTensor);
}
