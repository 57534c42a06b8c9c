/**
 * Spoken digit strings from the Free Spoken Digit Dataset (FSDD), for the CTC and trigger-word
 * examples: recordings `{digit}_{speaker}_{take}.wav` (8 kHz mono 16-bit PCM; 5 speakers × 10
 * digits × 50 takes) of ONE speaker joined into 3–7-digit strings with short random silences
 * and light background noise; the transcript is the digit words ("three one four").
 * Everything is drawn from a seed, so a seed gives the same audio on every run.
 *
 * The split never lets a test recording into training:
 *   - test: the held-out speaker (default `theo`, chosen before any run; `--holdout NAME`), all takes;
 *   - train: the other 4 speakers (or the subset given by `--train-speakers`), takes 5–49;
 *   - validation (model selection, decoder weights, thresholds): the same speakers, takes 0–4.
 *
 * The data folder is `../shared/data/speech/fsdd/recordings` from the repository root, or
 * `$FSDD_DIR`; when it is missing the examples exit with a message saying so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Random, addNoise, applyGain, readWav, speedPerturb } from '../ts/index';

/** The speakers of the stored FSDD copy. */
export const SPEAKERS = ['george', 'jackson', 'lucas', 'nicolas', 'theo'] as const;
/** The speaker held out for testing unless `--holdout` says otherwise (fixed before any run). */
export const DEFAULT_HOLDOUT = 'theo';
/** Digit words, index = digit. */
export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;
/** FSDD's sample rate. */
export const SAMPLE_RATE = 8000;
/** Takes 0…VALIDATION_TAKES−1 of the training speakers form the validation pool. */
export const VALIDATION_TAKES = 5;

/** One FSDD recording. */
export interface Recording {
  digit: number;
  speaker: string;
  take: number;
  path: string;
  /** Samples in [-1, 1), 8 kHz. */
  samples: Float32Array;
}

/** Where a digit word lies in a generated string. */
export interface WordSpan {
  digit: number;
  /** First sample of the word. */
  start: number;
  /** One past its last sample. */
  end: number;
}

/** A generated utterance. */
export interface DigitString {
  speaker: string;
  digits: number[];
  /** Digit words separated by single spaces. */
  text: string;
  samples: Float32Array;
  words: WordSpan[];
}

/** How strings are generated. */
export interface StringOptions {
  /** Number of strings. */
  count: number;
  /** Fewest digits per string (default 3). */
  minDigits?: number;
  /** Most digits per string (default 7). */
  maxDigits?: number;
  /** Silence between words, uniform in [minGapMs, maxGapMs] (default 50–250 ms); also before the first and after the last word. */
  minGapMs?: number;
  maxGapMs?: number;
  /** White noise over the whole string, at an SNR uniform in this range in dB (default 25–40 dB; null: none). */
  snrDb?: [number, number] | null;
  /** Speed perturbation: each recording resampled (sinc) by a factor uniform in this range (default [1, 1] = off). */
  speed?: [number, number];
  /** Gain per recording in dB, uniform in ±gainDb (default 0). */
  gainDb?: number;
  seed: number;
}

/** The FSDD recordings folder (`$FSDD_DIR` or `../shared/data/speech/fsdd/recordings`). */
export function fsddDir(): string {
  return resolve(process.env.FSDD_DIR ?? '../shared/data/speech/fsdd/recordings');
}

/** Exits the process with a clear message when the FSDD folder is absent. */
export function requireFsdd(dir = fsddDir()): string {
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.wav'))) {
    console.error(`FSDD recordings not found at ${dir}.\nGet them with \`git clone https://github.com/Jakobovski/free-spoken-digit-dataset\` and set FSDD_DIR=<clone>/recordings (or place them at ../shared/data/speech/fsdd/recordings).`);
    process.exit(2);
  }
  return dir;
}

/** Reads every recording of `speakers` (all takes). */
export function loadRecordings(dir: string, speakers: readonly string[]): Recording[] {
  const out: Recording[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(f);
    if (!m || !speakers.includes(m[2])) continue;
    const path = join(dir, f);
    const wav = readWav(path);
    if (wav.sampleRate !== SAMPLE_RATE) throw new Error(`${path}: expected ${SAMPLE_RATE} Hz, got ${wav.sampleRate} Hz`);
    out.push({ digit: Number(m[1]), speaker: m[2], take: Number(m[3]), path, samples: wav.samples });
  }
  return out;
}

/** Parses `--holdout NAME` (default `DEFAULT_HOLDOUT`) and checks it. */
export function holdoutArg(argv = process.argv): string {
  const i = argv.indexOf('--holdout');
  const name = i >= 0 ? argv[i + 1] : DEFAULT_HOLDOUT;
  if (!(SPEAKERS as readonly string[]).includes(name)) {
    console.error(`--holdout: expected one of ${SPEAKERS.join(', ')}, got ${name}`);
    process.exit(2);
  }
  return name;
}

/** Value of `--name a,b,c` split at commas (or `dflt`). */
export function listFlag(name: string, dflt: readonly string[], argv = process.argv): string[] {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return [...dflt];
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) {
    console.error(`--${name}: expected a comma-separated list, got nothing`);
    process.exit(2);
  }
  return v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/**
 * Parses `--train-speakers a,b,c` (default: every speaker but `holdout`) and checks that each is
 * a known speaker, distinct from `holdout`. Inner speaker validation passes three of the four
 * training speakers here and the fourth as `--holdout`, so the real test speaker is never loaded.
 */
export function trainSpeakersArg(holdout: string, argv = process.argv): string[] {
  const list = listFlag('train-speakers', SPEAKERS.filter((s) => s !== holdout), argv);
  for (const s of list) {
    if (!(SPEAKERS as readonly string[]).includes(s)) {
      console.error(`--train-speakers: expected names among ${SPEAKERS.join(', ')}, got ${s}`);
      process.exit(2);
    }
    if (s === holdout) {
      console.error(`--train-speakers: ${s} is the held-out speaker (--holdout ${holdout}); a speaker cannot be in both`);
      process.exit(2);
    }
  }
  if (list.length === 0 || new Set(list).size !== list.length) {
    console.error(`--train-speakers: expected distinct speaker names, got ${list.join(',')}`);
    process.exit(2);
  }
  return list;
}

/** The three disjoint recording pools of the split. */
export interface FsddSplit {
  holdout: string;
  trainSpeakers: string[];
  train: Recording[];
  validation: Recording[];
  test: Recording[];
}

/**
 * Train / validation / test pools for `holdout` (see the file comment); `trainSpeakers`
 * (default: every speaker but `holdout`) restricts the training and validation speakers.
 */
export function splitRecordings(recs: readonly Recording[], holdout: string, trainSpeakers: readonly string[] = SPEAKERS.filter((s) => s !== holdout)): FsddSplit {
  const inTrain = (r: Recording) => r.speaker !== holdout && trainSpeakers.includes(r.speaker);
  return {
    holdout,
    trainSpeakers: [...trainSpeakers],
    train: recs.filter((r) => inTrain(r) && r.take >= VALIDATION_TAKES),
    validation: recs.filter((r) => inTrain(r) && r.take < VALIDATION_TAKES),
    test: recs.filter((r) => r.speaker === holdout),
  };
}

function uniform(rng: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.nextFloat();
}

/**
 * Joins recordings of one speaker into a string: silence, word, silence, …, word, silence;
 * then adds white noise at the drawn SNR over the whole string.
 */
export function joinRecordings(parts: readonly Recording[], rng: Random, o: Required<Omit<StringOptions, 'count' | 'seed' | 'minDigits' | 'maxDigits'>>): DigitString {
  const gap = (): number => Math.round((uniform(rng, o.minGapMs, o.maxGapMs) * SAMPLE_RATE) / 1000);
  const pieces: Float32Array[] = [];
  const words: WordSpan[] = [];
  let pos = gap();
  for (const r of parts) {
    const speed = uniform(rng, o.speed[0], o.speed[1]);
    let x = speed === 1 ? r.samples : speedPerturb(r.samples, speed);
    if (o.gainDb > 0) x = applyGain(x, uniform(rng, -o.gainDb, o.gainDb));
    pieces.push(x);
    words.push({ digit: r.digit, start: pos, end: pos + x.length });
    pos += x.length + gap();
  }
  const clean = new Float32Array(pos);
  words.forEach((w, i) => clean.set(pieces[i], w.start));
  const samples = o.snrDb === null ? clean : addNoise(clean, uniform(rng, o.snrDb[0], o.snrDb[1]), { seed: rng.nextInt(0x7fffffff) });
  const digits = parts.map((r) => r.digit);
  return { speaker: parts[0].speaker, digits, text: digits.map((d) => DIGIT_WORDS[d]).join(' '), samples, words };
}

/** Resolved defaults of `StringOptions`. */
function resolveOptions(o: StringOptions) {
  return {
    minDigits: o.minDigits ?? 3,
    maxDigits: o.maxDigits ?? 7,
    minGapMs: o.minGapMs ?? 50,
    maxGapMs: o.maxGapMs ?? 250,
    snrDb: o.snrDb === undefined ? ([25, 40] as [number, number]) : o.snrDb,
    speed: o.speed ?? ([1, 1] as [number, number]),
    gainDb: o.gainDb ?? 0,
  };
}

/**
 * `count` strings from `pool`: each picks a speaker of the pool, a length in
 * [minDigits, maxDigits], and that many random recordings of the speaker (random digits, random
 * takes; a recording may recur across strings but not within one).
 */
export function buildDigitStrings(pool: readonly Recording[], options: StringOptions): DigitString[] {
  const o = resolveOptions(options);
  const rng = new Random(options.seed);
  const bySpeaker = new Map<string, Recording[]>();
  for (const r of pool) {
    let l = bySpeaker.get(r.speaker);
    if (!l) bySpeaker.set(r.speaker, (l = []));
    l.push(r);
  }
  const speakers = [...bySpeaker.keys()].sort();
  if (speakers.length === 0) throw new Error('buildDigitStrings: the recording pool is empty');
  const out: DigitString[] = [];
  for (let k = 0; k < options.count; k++) {
    const recs = bySpeaker.get(speakers[rng.nextInt(speakers.length)])!;
    const n = o.minDigits + rng.nextInt(o.maxDigits - o.minDigits + 1);
    const picked = new Set<number>();
    while (picked.size < Math.min(n, recs.length)) picked.add(rng.nextInt(recs.length));
    const parts = rng.shuffle([...picked]).map((i) => recs[i]);
    out.push(joinRecordings(parts, rng, o));
  }
  return out;
}

/** `count` long streams for trigger-word detection: `words` recordings of one speaker each (see `buildDigitStrings`). */
export function buildStreams(pool: readonly Recording[], options: StringOptions & { words: [number, number] }): DigitString[] {
  return buildDigitStrings(pool, { ...options, minDigits: options.words[0], maxDigits: options.words[1] });
}

/** Value of `--name N` (or `dflt`). */
export function numberFlag(name: string, dflt: number, argv = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v)) {
    console.error(`--${name}: expected a number, got ${argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}
