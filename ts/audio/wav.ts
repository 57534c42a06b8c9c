/**
 * WAV files: reading (a path, bytes in memory, or many paths in parallel off the JS thread) and
 * atomic 16-bit PCM writing. The reader decodes PCM 8-bit unsigned / 16 / 24 / 32-bit integer,
 * IEEE float 32/64-bit and WAVE_FORMAT_EXTENSIBLE files of those, skips unknown chunks, and
 * mixes every channel down to mono (their mean). Integer samples become `v / 2^(bits−1)` in
 * [-1, 1) (8-bit: `(v − 128) / 128`), as libsndfile reads them. Compressed formats (μ-law,
 * A-law, ADPCM, MP3 …) and damaged files give a `FormatError` naming the file and the byte offset.
 */
import native = require('../native');
import { awaitNative, callNative, describe } from '../errors';

/** A decoded WAV file. */
export interface WavAudio {
  /** Samples per second. */
  sampleRate: number;
  /** Channels in the file (`samples` is their mean). */
  channels: number;
  /** Bits per stored sample: 8, 16, 24, 32 or 64. */
  bitsPerSample: number;
  /** Integer PCM or IEEE float. */
  format: 'pcm' | 'float';
  /** Mono samples (integer formats in [-1, 1)). */
  samples: Float32Array;
}

/** Options of `readWav`. */
export interface ReadWavOptions {
  /** Names bytes (not a path) in error messages. Default `'bytes'`. */
  name?: string;
}

function fromNative(w: native.WavResult): WavAudio {
  return { sampleRate: w.sampleRate, channels: w.channels, bitsPerSample: w.bitsPerSample, format: w.format === 'float' ? 'float' : 'pcm', samples: w.samples };
}

/** @internal Checks a path argument named `arg`. */
export function pathArg(arg: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${arg}: expected a non-empty file path (string), got ${describe(v)}`);
  return v;
}

/** Reads a WAV file from a path, or decodes WAV bytes (a `Uint8Array` or `Buffer`). */
export function readWav(pathOrBytes: string | Uint8Array, options: ReadWavOptions = {}): WavAudio {
  if (pathOrBytes instanceof Uint8Array) {
    const name = options.name ?? 'bytes';
    if (typeof name !== 'string') throw new TypeError(`name: expected a string, got ${describe(name)}`);
    return fromNative(callNative(() => native.readWavBytes(pathOrBytes, name)));
  }
  if (typeof pathOrBytes !== 'string' || pathOrBytes.length === 0) {
    throw new TypeError(`pathOrBytes: expected a non-empty file path (string) or a Uint8Array of WAV bytes, got ${describe(pathOrBytes)}`);
  }
  return fromNative(callNative(() => native.readWav(pathOrBytes)));
}

/** Reads many WAV files off the JS thread, in parallel over files (results in order). */
export async function readWavFiles(paths: readonly string[]): Promise<WavAudio[]> {
  if (!Array.isArray(paths)) throw new TypeError(`paths: expected an array of file paths, got ${describe(paths)}`);
  const ps = paths.map((p, i) => pathArg(`paths[${i}]`, p));
  return (await awaitNative(() => native.readWavAsync(ps))).map(fromNative);
}

/**
 * Writes mono samples as a 16-bit PCM WAV file, atomically (temporary file, fsync, rename).
 * Values are `round(x · 32768)` clamped to [-32768, 32767], so samples read from a 16-bit file
 * are written back bit-identical. Non-finite samples are rejected.
 */
export function writeWav(path: string, samples: Float32Array, sampleRate: number): void {
  const p = pathArg('path', path);
  if (!(samples instanceof Float32Array)) throw new TypeError(`samples: expected a Float32Array, got ${describe(samples)}`);
  if (typeof sampleRate !== 'number') throw new TypeError(`sampleRate: expected a number, got ${describe(sampleRate)}`);
  callNative(() => native.writeWav(p, samples, sampleRate));
}
