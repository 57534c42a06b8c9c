// `npm run bench -- ctc [flags]`: CTC loss + gradient and CTC prefix beam
// search, seqlearn beside its peers on the same data, in one run.
//
// Loss + gradient w.r.t. the logits (reduction 'sum'), f32, time-major
// [T, N, C], every input length T, every target exactly L labels drawn
// uniformly from 1..C-1 (blank 0), logits N(0,1)*scale from a seeded RNG:
//   seqlearn     ctcLoss (sync) and ctcLossAsync (dist/index.js)
//   torch        log_softmax + F.ctc_loss + backward, the same quantity
//                (bench/peers/torch_ctc.py, in bench/.venv); and F.ctc_loss +
//                backward on precomputed log-probs alone ("torch lp")
//   warp-ctc     Baidu's CPU library through ctypes (bench/peers/warpctc_ctc.py),
//                only with --warpctc PATH/libwarpctc.so (built by hand from its
//                public source, outside this tree; never committed)
// Settings (T, N, C, L): 0 = (150, 32, 29, 40), 1 = (150, 1, 29, 40),
// 2 = (500, 16, 5000, 100). Targets: seqlearn >= 2x torch and >= 1x warp-ctc
// at every setting, >= 2x warp-ctc at N = 1. The losses of every peer are
// checked against torch's (f32) and against torch in float64 on the same
// logits; the gradients too on settings with T*N*C <= 1e6.
//
// Decoding: prefix beam search, width 32 and 100, no LM, on U utterances of
// T=500 frames of "peaky" log-probs over the 29-symbol alphabet
// "_ abcdefghijklmnopqrstuvwxyz'" (blank '_' = 0): log_softmax of N(0,1)
// noise plus a sharpened random alignment of random words, like a trained
// model's output (the best symbol has p > 0.9 on ~3/4 of the frames). seqlearn's ctcBeamSearch vs pyctcdecode (bench/peers/
// pyctcdecode_beam.py, in its own venv bench/.cache/venv-ctcdecode: it pins
// numpy < 2), same beam_width, beam_prune_logp and token_min_logp; at 1
// thread (pyctcdecode one utterance after another) and at --threads
// (seqlearn parallel over utterances; pyctcdecode's decode_beams_batch on a
// fork Pool of that many processes).
// frames/s = U*T / median seconds; the best texts compared (and, where they
// differ, scored exactly with seqlearn's ctcLoss).
//
// Flags:
//   --threads N          threads for seqlearn, torch, warp-ctc (default 2)
//   --quick              fewer reps, shorter time boxes
//   --skip a,b           skip peers: seqlearn, torch, warpctc, pyctcdecode
//   --warpctc PATH       libwarpctc.so (CPU build); env SEQLEARN_BENCH_WARPCTC
//                        does the same; without it the warp-ctc column is skipped
//   --settings 0,2       subset of the loss settings (by index)
//   --parts loss,decode  run only the loss or only the decoder part
//   --scale X            logits = N(0,1) * X (default 1)
//   --seed N             data seed (default 1234)
//   --beam-widths 32,100 decoder beam widths
//   --utterances U       decoder utterances (default 8), --frames T (default 500)
//   --beam-prune-logp X  (default -10) and --token-min-logp X (default -5):
//                        the same values for seqlearn and pyctcdecode
//                        (pyctcdecode's defaults)
//   --wait-idle S        before each peer, wait up to S seconds for other
//                        processes to leave the CPU (default 30; 0: don't)
//   --retries N          measure a peer again (up to N times, default 2) when
//                        other processes took over 15% of the CPU meanwhile
//   --python PATH        python for torch / warp-ctc (default bench/.venv, made
//                        by bench/peers/setup_venv.sh; env SEQLEARN_BENCH_PYTHON)
//   --ctcdecode-python PATH  python with pyctcdecode (default the venv made by
//                        bench/peers/setup_venv_ctcdecode.sh)
//   --seqlearn PATH      module to benchmark (default dist/index.js)
//   --data-dir DIR       write (and keep) the exchanged data files there
//   --out PATH | --no-save   where the JSON results go (default
//                        bench/results/ctc-<date>.json)
//
// ms = median milliseconds per call (after warm-up). "× peer" = peer ms ÷
// seqlearn ms (sync ctcLoss): how many times faster seqlearn is.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR, ROOT, PEERS, median, nproc, machine, log, errMsg, runJson, ensurePython, makeGuard, busyFor, pct3,
  fmtTok, fmtRatio, textTable, usageOf, isMainModule,
} from './common';

/** The loss settings of the issue. */
export const SETTINGS: ReadonlyArray<{ T: number; N: number; C: number; L: number }> = [
  { T: 150, N: 32, C: 29, L: 40 },
  { T: 150, N: 1, C: 29, L: 40 },
  { T: 500, N: 16, C: 5000, L: 100 },
];
/** The decoder's alphabet: index 0 ('_') is the blank. */
export const ALPHABET = "_ abcdefghijklmnopqrstuvwxyz'";
const PEER_NAMES = ['seqlearn', 'torch', 'warpctc', 'pyctcdecode'] as const;
const PARTS = ['loss', 'decode'] as const;
type Peer = (typeof PEER_NAMES)[number];
type Part = (typeof PARTS)[number];
/** Losses must agree within this, relative to max(1, |loss|): f32 losses of a few hundred nats differ by ~1e-4 absolute from rounding alone. */
const LOSS_RTOL = 1e-4;
/** Gradients (entries in [-1, 1]) must agree within this, absolute. */
const GRAD_ATOL = 1e-3;
/** Gradients are compared on settings up to this many elements. */
const GRAD_CHECK_MAX = 1e6;

// ---------------------------------------------------------------- the seqlearn API used here (dist/index.js)

interface SlTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}
interface SlCtcLossResult {
  loss: number;
  losses: Float32Array;
  grad: SlTensor;
  infeasible: unknown[];
}
interface SlCtcHypothesis {
  tokens: Int32Array;
  timesteps: Int32Array;
  score: number;
  ctcScore: number;
  lmScore: number;
}
interface SlLossOptions {
  blank?: number;
  reduction?: 'none' | 'sum' | 'mean';
  inputKind?: 'logits' | 'logProbs';
}
interface SlBeamOptions {
  blank?: number;
  inputKind?: 'logits' | 'logProbs' | 'probs';
  beamWidth?: number;
  nBest?: number;
  tokenMinLogp?: number;
  beamPruneLogp?: number;
}
type SlCtcLoss = (input: SlTensor, targets: Int32Array, inputLengths: ArrayLike<number>, targetLengths: ArrayLike<number>, options?: SlLossOptions) => SlCtcLossResult;
type SlBeamSearch = (emissions: SlTensor, lengths?: ArrayLike<number>, options?: SlBeamOptions) => SlCtcHypothesis[][];
interface SeqlearnApi {
  Tensor: new (data: Float32Array, shape: readonly number[]) => SlTensor;
  setNumThreads(n: number): void;
  ctcLoss?: SlCtcLoss;
  ctcLossAsync?: (...args: Parameters<SlCtcLoss>) => Promise<SlCtcLossResult>;
  ctcBeamSearch?: SlBeamSearch;
}

// ---------------------------------------------------------------- options

interface Options {
  threads: number;
  quick: boolean;
  skip: Set<Peer>;
  warpctc?: string;
  settings: number[];
  parts: Part[];
  scale: number;
  seed: number;
  beamWidths: number[];
  utterances: number;
  frames: number;
  beamPruneLogp: number;
  tokenMinLogp: number;
  waitIdle: number;
  retries: number;
  python?: string;
  ctcdecodePython?: string;
  seqlearn?: string;
  dataDir?: string;
  out?: string | null;
}

function usage(): never {
  console.log(usageOf(path.join(BENCH_DIR, 'ctc.ts')));
  process.exit(0);
}

/** Parses the flags (see the header of this file). */
export function parseArgs(argv: string[]): Options {
  const o: Options = {
    threads: 2,
    quick: false,
    skip: new Set(),
    warpctc: process.env.SEQLEARN_BENCH_WARPCTC || undefined,
    settings: SETTINGS.map((_, i) => i),
    parts: [...PARTS],
    scale: 1,
    seed: 1234,
    beamWidths: [32, 100],
    utterances: 8,
    frames: 500,
    beamPruneLogp: -10,
    tokenMinLogp: -5,
    waitIdle: 30,
    retries: 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    const num = (s: string, pred: (v: number) => boolean, what: string) => {
      const v = Number(s);
      if (s.trim() === '' || !pred(v)) throw new Error(`${k}: expected ${what}, got "${s}"`);
      return v;
    };
    const int = (min: number) => num(val(), (v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`);
    const list = () => val().split(',').map((x) => x.trim()).filter(Boolean);
    switch (k) {
      case '--threads': o.threads = int(1); break;
      case '--quick': o.quick = true; break;
      case '--skip':
        for (const p of list()) {
          if (!PEER_NAMES.includes(p as Peer)) throw new Error(`--skip: unknown peer ${p} (${PEER_NAMES.join(', ')})`);
          o.skip.add(p as Peer);
        }
        break;
      case '--warpctc': o.warpctc = path.resolve(val()); break;
      case '--settings':
        o.settings = list().map((s) => num(s, (v) => Number.isInteger(v) && v >= 0 && v < SETTINGS.length, `setting indices 0..${SETTINGS.length - 1}`));
        break;
      case '--parts': case '--part':
        o.parts = list().map((p) => {
          if (!PARTS.includes(p as Part)) throw new Error(`--parts: unknown part ${p} (${PARTS.join(', ')})`);
          return p as Part;
        });
        break;
      case '--scale': o.scale = num(val(), (v) => Number.isFinite(v) && v > 0, 'a number > 0'); break;
      case '--seed': o.seed = int(0); break;
      case '--beam-widths': o.beamWidths = list().map((s) => num(s, (v) => Number.isInteger(v) && v >= 1, 'beam widths >= 1')); break;
      case '--utterances': o.utterances = int(1); break;
      case '--frames': o.frames = int(1); break;
      case '--beam-prune-logp': o.beamPruneLogp = num(val(), (v) => Number.isFinite(v) && v < 0, 'a number < 0'); break;
      case '--token-min-logp': o.tokenMinLogp = num(val(), (v) => Number.isFinite(v) && v < 0, 'a number < 0'); break;
      case '--wait-idle': o.waitIdle = num(val(), (v) => Number.isFinite(v) && v >= 0, 'a number >= 0'); break;
      case '--retries': o.retries = int(0); break;
      case '--python': o.python = val(); break;
      case '--ctcdecode-python': o.ctcdecodePython = val(); break;
      case '--seqlearn': o.seqlearn = path.resolve(val()); break;
      case '--data-dir': o.dataDir = path.resolve(val()); break;
      case '--out': o.out = val(); break;
      case '--no-save': o.out = null; break;
      case '-h': case '--help': usage();
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${argv[i]} (try --help)`);
    }
  }
  if (!o.settings.length || !o.parts.length || !o.beamWidths.length) throw new Error('--settings, --parts and --beam-widths need at least one entry');
  return o;
}

// ---------------------------------------------------------------- data

/** Seeded uniform [0, 1) (mulberry32) and N(0, 1) (Box–Muller). */
export function rng(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u = 1 - uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * uniform();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  const int = (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1)); // inclusive
  return { uniform, normal, int };
}

interface LossData {
  T: number;
  N: number;
  C: number;
  L: number;
  /** [T, N, C] */
  logits: Float32Array;
  /** [N * L], concatenated (= padded [N, L]: every item has L labels) */
  labels: Int32Array;
}

/** Random logits N(0,1)*scale and labels uniform in 1..C-1, exactly L per item. */
export function makeLossData(s: { T: number; N: number; C: number; L: number }, scale: number, seed: number): LossData {
  const r = rng(seed);
  const logits = new Float32Array(s.T * s.N * s.C);
  for (let i = 0; i < logits.length; i++) logits[i] = r.normal() * scale;
  const labels = new Int32Array(s.N * s.L);
  for (let i = 0; i < labels.length; i++) labels[i] = r.int(1, s.C - 1);
  return { ...s, logits, labels };
}

/** Minimum input length for a target: L + the number of adjacent repeats. */
function required(labels: Int32Array, n: number, L: number) {
  let rep = 0;
  for (let j = 1; j < L; j++) if (labels[n * L + j] === labels[n * L + j - 1]) rep++;
  return L + rep;
}

interface DecodeData {
  U: number;
  T: number;
  C: number;
  /** [U, T, C] log-probabilities (each utterance contiguous) */
  perUtterance: Float32Array;
  /** the same, time-major [T, U, C] for seqlearn */
  timeMajor: Float32Array;
  /** the text each utterance was generated from */
  texts: string[];
}

/**
 * "Peaky" emissions, like a trained CTC model's: a random text of random words (1-8 letters, the
 * odd apostrophe) aligned to the frames (each symbol held 1-3 frames, 0-3 blanks after it, at
 * least 1 before a repeat); logits = N(0,1) noise + a boost on the aligned symbol of U(6, 12)
 * on 80% of the frames, U(2, 6) on the others, 15% of the frames also boosting a random
 * confusable symbol by U(2, 6); log_softmax.
 */
export function makeDecodeData(U: number, T: number, seed: number): DecodeData {
  const C = ALPHABET.length;
  const r = rng(seed);
  const perUtterance = new Float32Array(U * T * C);
  const texts: string[] = [];
  for (let u = 0; u < U; u++) {
    // the aligned path: one symbol id per frame
    const path = new Int32Array(T);
    let t = r.int(0, 5);
    let text = '';
    let prev = -1;
    while (t < T) {
      if (text.length) {
        const sp = 1; // ' '
        for (let k = r.int(1, 2); k > 0 && t < T; k--) path[t++] = sp;
        t += r.int(0, 3);
        text += ' ';
        prev = sp;
      }
      for (let w = r.int(1, 8); w > 0 && t < T; w--) {
        const c = r.uniform() < 0.03 ? C - 1 : r.int(2, C - 2); // letters, the odd apostrophe
        if (c === prev) t += 1; // a blank between repeats
        if (t >= T) break;
        for (let k = r.int(1, 3); k > 0 && t < T; k--) path[t++] = c;
        text += ALPHABET[c];
        t += r.int(0, 3);
        prev = c;
      }
    }
    texts.push(text.trim());
    for (let f = 0; f < T; f++) {
      const row = perUtterance.subarray((u * T + f) * C, (u * T + f + 1) * C);
      for (let c = 0; c < C; c++) row[c] = r.normal();
      row[path[f]] += r.uniform() < 0.8 ? 6 + 6 * r.uniform() : 2 + 4 * r.uniform();
      if (r.uniform() < 0.15) row[r.int(0, C - 1)] += 2 + 4 * r.uniform();
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, row[c]);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(row[c] - mx);
      const lz = mx + Math.log(z);
      for (let c = 0; c < C; c++) row[c] -= lz;
    }
  }
  const timeMajor = new Float32Array(U * T * C);
  for (let u = 0; u < U; u++) {
    for (let f = 0; f < T; f++) timeMajor.set(perUtterance.subarray((u * T + f) * C, (u * T + f + 1) * C), (f * U + u) * C);
  }
  return { U, T, C, perUtterance, timeMajor, texts };
}

function le(a: Float32Array | Int32Array): Buffer {
  if (os.endianness() === 'LE') return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const b = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => (a instanceof Float32Array ? b.writeFloatLE(v, 4 * i) : b.writeInt32LE(v, 4 * i)));
  return b;
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
  return out;
}

// ---------------------------------------------------------------- timing

interface Reps {
  warmup: number;
  reps: number;
  minReps: number;
  maxSeconds: number;
}

interface Timing {
  /** median seconds per call */
  seconds: number;
  min: number;
  reps: number;
}

function toTiming(times: number[]): Timing {
  if (!times.length || !times.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new Error(`expected positive seconds per call, got ${JSON.stringify(times).slice(0, 80)}`);
  }
  return { seconds: median(times), min: Math.min(...times), reps: times.length };
}

async function timeLocal(fn: () => unknown, r: Reps): Promise<Timing> {
  const call = async () => {
    const ret = fn();
    if (ret instanceof Promise) await ret; // no microtask hop for the sync calls
  };
  for (let i = 0; i < r.warmup; i++) await call();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < r.reps) {
    const t0 = performance.now();
    await call();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= r.minReps && (performance.now() - start) / 1000 > r.maxSeconds) break;
  }
  return toTiming(times);
}

const repArgs = (r: Reps) => ['--warmup', String(r.warmup), '--reps', String(r.reps), '--min-reps', String(r.minReps), '--max-seconds', String(r.maxSeconds)];

// ---------------------------------------------------------------- seqlearn

async function loadSeqlearn(modulePath?: string): Promise<{ api: SeqlearnApi; version: string }> {
  const dist = modulePath ?? path.join(ROOT, 'dist', 'index.js');
  if (!fs.existsSync(dist)) throw new Error(`seqlearn is not built (${path.relative(ROOT, dist)} missing): run \`npm run build\` first, or pass --skip seqlearn`);
  const mod = (await import(pathToFileURL(dist).href)) as Partial<SeqlearnApi> & { default?: Partial<SeqlearnApi> };
  const api = (mod.Tensor ? mod : mod.default ?? mod) as SeqlearnApi;
  if (typeof api.Tensor !== 'function' || typeof api.setNumThreads !== 'function') throw new Error(`${path.relative(ROOT, dist)} does not export Tensor and setNumThreads`);
  return { api, version: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version };
}

// ---------------------------------------------------------------- results

interface Measured {
  timing?: Timing;
  othersCpu?: number | null;
  error?: string;
  skipped?: string;
}

/** Agreement of one peer's per-item losses (and gradient) with a reference. */
interface Agreement {
  against: string;
  maxAbsLoss: number;
  maxRelLoss: number;
  maxAbsGrad?: number;
  ok: boolean;
}

interface LossRow {
  setting: number;
  T: number;
  N: number;
  C: number;
  L: number;
  peers: { seqlearn?: Measured; seqlearnAsync?: Measured; torch?: Measured; torchLogProbs?: Measured; warpctc?: Measured };
  /** peer ms ÷ seqlearn (sync) ms */
  speedup: { torch?: number; torchLogProbs?: number; warpctc?: number };
  targets: { torch?: { want: number; ok: boolean }; warpctc?: { want: number; ok: boolean } };
  checks: Record<string, Agreement>;
}

interface DecodeRow {
  beamWidth: number;
  threads: number;
  /** what was timed on each side */
  how: { seqlearn: string; pyctcdecode: string };
  seqlearn?: Measured & { framesPerSec?: number };
  pyctcdecode?: Measured & { framesPerSec?: number };
  speedup?: number;
  agree?: Agreement1;
}

/** How seqlearn's best hypotheses compare with pyctcdecode's. */
interface Agreement1 {
  /** utterances whose best texts are the same, of U */
  same: number;
  of: number;
  /** character edit distance between the two best texts, summed over the utterances, ÷ the total length of pyctcdecode's */
  charDiffRate: number;
  /** character error rate of each best text against the text the emissions were generated from */
  cer: { seqlearn: number; pyctcdecode: number };
  /** range of seqlearn ctcScore − pyctcdecode logit_score over the utterances that agree */
  scoreDiff: [number, number] | null;
  /** the utterances that differ, with the exact ln p(text | emissions) of both texts (all alignments; seqlearn's ctcLoss) when available */
  differ: { utterance: number; seqlearn: string; pyctcdecode: string; exactSeqlearn?: number; exactPyctcdecode?: number }[];
}

function compare(losses: ArrayLike<number>, ref: ArrayLike<number>, against: string, grad?: { mine: Float32Array; ref: Float32Array }): Agreement {
  if (losses.length !== ref.length) throw new Error(`${against}: ${losses.length} losses vs ${ref.length}`);
  let maxAbsLoss = 0;
  let maxRelLoss = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(losses[i] - ref[i]);
    maxAbsLoss = Math.max(maxAbsLoss, Number.isNaN(d) ? Infinity : d);
    maxRelLoss = Math.max(maxRelLoss, Number.isNaN(d) ? Infinity : d / Math.max(1, Math.abs(ref[i])));
  }
  let maxAbsGrad: number | undefined;
  if (grad) {
    if (grad.mine.length !== grad.ref.length) throw new Error(`${against}: gradient of ${grad.mine.length} vs ${grad.ref.length} elements`);
    maxAbsGrad = 0;
    for (let i = 0; i < grad.ref.length; i++) {
      const d = Math.abs(grad.mine[i] - grad.ref[i]);
      maxAbsGrad = Math.max(maxAbsGrad, Number.isNaN(d) ? Infinity : d);
    }
  }
  return { against, maxAbsLoss, maxRelLoss, maxAbsGrad, ok: maxRelLoss <= LOSS_RTOL && (maxAbsGrad === undefined || maxAbsGrad <= GRAD_ATOL) };
}

const fmtMs = (t?: Timing) => (t ? (t.seconds * 1e3 >= 100 ? (t.seconds * 1e3).toFixed(0) : (t.seconds * 1e3).toPrecision(3)) : '-');
const cell = (m?: Measured) => (!m ? '-' : m.error ? 'err' : m.skipped ? 'skip' : fmtMs(m.timing));
const fmtE = (v: number) => (v === 0 ? '0' : v.toExponential(1));

function lossTable(rows: LossRow[]): string[] {
  const head = ['setting', 'T,N,C,L', 'seqlearn', 'sl async', 'torch', 'torch lp', 'warp-ctc', '× torch', '× torch lp', '× warp-ctc', 'targets'];
  const body = rows.map((r) => {
    const x = (v?: number) => (v === undefined ? '-' : `${fmtRatio(v)}×`);
    const tg = [
      r.targets.torch ? `torch≥${r.targets.torch.want} ${r.targets.torch.ok ? '✓' : '✗'}` : '',
      r.targets.warpctc ? `warp≥${r.targets.warpctc.want} ${r.targets.warpctc.ok ? '✓' : '✗'}` : '',
    ].filter(Boolean).join(', ');
    return [
      String(r.setting), `${r.T},${r.N},${r.C},${r.L}`,
      cell(r.peers.seqlearn), cell(r.peers.seqlearnAsync), cell(r.peers.torch), cell(r.peers.torchLogProbs), cell(r.peers.warpctc),
      x(r.speedup.torch), x(r.speedup.torchLogProbs), x(r.speedup.warpctc), tg || '-',
    ];
  });
  return textTable(head, body, 2);
}

/** "k/m": of the m differing utterances scored exactly, k where seqlearn's text is the likelier. */
function likelier(a?: Agreement1): string {
  const scored = a?.differ.filter((d) => d.exactSeqlearn !== undefined && d.exactPyctcdecode !== undefined) ?? [];
  if (!a?.differ.length) return '-';
  if (!scored.length) return `${a.differ.length} differ`;
  return `${scored.filter((d) => d.exactSeqlearn! >= d.exactPyctcdecode!).length}/${scored.length}`;
}

const normText = (s: string) => s.split(/\s+/).filter(Boolean).join(' ');

/**
 * Compares seqlearn's best hypotheses with pyctcdecode's `top` ([text, logit score] per
 * utterance). Texts are whitespace-normalised as pyctcdecode does. Where they differ, both texts
 * are scored exactly — ln p(text | emissions) over all alignments, seqlearn's ctcLoss on the
 * log-probs — when this build has ctcLoss.
 */
function agreement(api: SeqlearnApi, dd: DecodeData, hyps: SlCtcHypothesis[][], top: [string, number][]): Agreement1 {
  let same = 0;
  let edits = 0;
  let chars = 0;
  const cer = { seqlearn: 0, pyctcdecode: 0, chars: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  const differ: Agreement1['differ'] = [];
  for (let u = 0; u < dd.U; u++) {
    const best = hyps[u]?.[0];
    const text = best ? normText(Array.from(best.tokens, (k) => ALPHABET[k] ?? '?').join('')) : '';
    edits += editDistance(text, top[u][0]);
    chars += top[u][0].length;
    cer.seqlearn += editDistance(text, dd.texts[u]);
    cer.pyctcdecode += editDistance(top[u][0], dd.texts[u]);
    cer.chars += dd.texts[u].length;
    if (best && text === top[u][0]) {
      same++;
      lo = Math.min(lo, best.ctcScore - top[u][1]);
      hi = Math.max(hi, best.ctcScore - top[u][1]);
    } else differ.push({ utterance: u, seqlearn: text, pyctcdecode: top[u][0] });
  }
  if (differ.length && typeof api.ctcLoss === 'function') {
    for (const d of differ) {
      const frames = new Float32Array(dd.T * 2 * dd.C);
      for (let f = 0; f < dd.T; f++) {
        const row = dd.perUtterance.subarray((d.utterance * dd.T + f) * dd.C, (d.utterance * dd.T + f + 1) * dd.C);
        frames.set(row, (f * 2) * dd.C);
        frames.set(row, (f * 2 + 1) * dd.C);
      }
      const ids = (t: string) => Array.from(t, (ch) => ALPHABET.indexOf(ch));
      const a = ids(d.seqlearn);
      const b = ids(d.pyctcdecode);
      const r = api.ctcLoss(new api.Tensor(frames, [dd.T, 2, dd.C]), Int32Array.from([...a, ...b]), [dd.T, dd.T], [a.length, b.length],
        { blank: 0, reduction: 'none', inputKind: 'logProbs' });
      d.exactSeqlearn = -r.losses[0];
      d.exactPyctcdecode = -r.losses[1];
    }
  }
  const rate = (e: number) => e / Math.max(1, cer.chars);
  return { same, of: dd.U, charDiffRate: edits / Math.max(1, chars), cer: { seqlearn: rate(cer.seqlearn), pyctcdecode: rate(cer.pyctcdecode) }, scoreDiff: same ? [lo, hi] : null, differ };
}

/** Levenshtein distance between two strings (by UTF-16 unit: the alphabet is ASCII). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function decodeTable(rows: DecodeRow[], U: number, T: number): string[] {
  const head = ['beam', 'threads', 'seqlearn fr/s', 'pyctcdecode fr/s', '× pyctcdecode', 'top-1 same', 'char diff', 'Δscore', 'differ: sl likelier'];
  const fr = (m?: Measured & { framesPerSec?: number }) => (!m ? '-' : m.error ? 'err' : m.skipped ? 'skip' : fmtTok(m.framesPerSec));
  const body = rows.map((r) => [
    String(r.beamWidth), String(r.threads), fr(r.seqlearn), fr(r.pyctcdecode),
    r.speedup === undefined ? '-' : `${fmtRatio(r.speedup)}×`,
    r.agree ? `${r.agree.same}/${r.agree.of}` : '-',
    r.agree ? `${(100 * r.agree.charDiffRate).toFixed(2)}%` : '-',
    r.agree?.scoreDiff ? r.agree.scoreDiff.map((v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`).join('..') : '-',
    likelier(r.agree),
  ]);
  const out = textTable(head, body, 0);
  out.push('', `frames/s = ${U} utterances × ${T} frames / median seconds of decoding them all.`);
  return out;
}

// ---------------------------------------------------------------- run

/** Runs the benchmark; returns the loss and decoder rows. */
export async function run(argv: string[]): Promise<{ loss: LossRow[]; decode: DecodeRow[] }> {
  const o = parseArgs(argv);
  const want = (p: Peer) => !o.skip.has(p);
  const lossReps: Reps = o.quick ? { warmup: 1, reps: 5, minReps: 2, maxSeconds: 1.5 } : { warmup: 2, reps: 20, minReps: 3, maxSeconds: 5 };
  const decReps: Reps = o.quick ? { warmup: 1, reps: 2, minReps: 1, maxSeconds: 5 } : { warmup: 1, reps: 5, minReps: 2, maxSeconds: 20 };
  const started = new Date();
  const outPath = o.out === null ? null : o.out ?? path.join(BENCH_DIR, 'results', `ctc-${started.toISOString().slice(0, 10)}.json`);
  const versions: Record<string, string | null> = { seqlearn: null, torch: null, warpctc: null, pyctcdecode: null };
  const notes: string[] = [];
  const busyWarnings: string[] = [];
  const lossRows: LossRow[] = [];
  const decodeRows: DecodeRow[] = [];

  let sl: { api: SeqlearnApi; version: string } | null = null;
  let slMissing: string | null = null;
  if (want('seqlearn')) {
    try {
      sl = await loadSeqlearn(o.seqlearn);
      versions.seqlearn = sl.version;
    } catch (e) {
      slMissing = errMsg(e);
      log(`seqlearn: ${slMissing}`);
    }
  }
  const slFn = <K extends keyof SeqlearnApi>(name: K): NonNullable<SeqlearnApi[K]> | string => {
    if (!sl) return slMissing ?? 'skipped (--skip seqlearn)';
    const f = sl.api[name];
    return typeof f === 'function' ? (f as NonNullable<SeqlearnApi[K]>) : `this build of seqlearn exports no ${String(name)} (npm run build)`;
  };

  let warpLib: string | null = null;
  if (o.parts.includes('loss') && want('warpctc')) {
    if (!o.warpctc) {
      const msg = 'no --warpctc PATH/libwarpctc.so given (its CPU library, built by hand from its public source: bench/README.md, section ctc)';
      console.log(`warp-ctc: skipped (${msg})`);
      notes.push(`warp-ctc skipped: ${msg}`);
    } else if (!fs.existsSync(o.warpctc)) {
      throw new Error(`--warpctc ${o.warpctc}: no such file`);
    } else warpLib = o.warpctc;
  }
  const python = o.parts.includes('loss') && (want('torch') || warpLib) ? ensurePython(o.python) : null;

  const dataRoot = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seqlearn-ctc-'));
  fs.mkdirSync(dataRoot, { recursive: true });

  const save = () => {
    if (!outPath) return;
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    const r5 = (v?: number | null) => (v === undefined || v === null ? v : +v.toPrecision(5));
    const m = (v?: Measured & { framesPerSec?: number }) => v && {
      ...v,
      timing: v.timing && { ms: r5(v.timing.seconds * 1e3), minMs: r5(v.timing.min * 1e3), reps: v.timing.reps },
      framesPerSec: r5(v.framesPerSec),
    };
    const doc = {
      bench: 'ctc',
      date: started.toISOString(),
      machine: machine(),
      threads: o.threads,
      quick: o.quick,
      versions,
      config: {
        scale: o.scale, seed: o.seed, reduction: 'sum', blank: 0, lossTolerance: { relative: LOSS_RTOL }, gradTolerance: { absolute: GRAD_ATOL },
        decode: { utterances: o.utterances, frames: o.frames, alphabet: ALPHABET, beamPruneLogp: o.beamPruneLogp, tokenMinLogp: o.tokenMinLogp },
      },
      notes,
      loss: lossRows.map((r) => ({
        ...r,
        peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, m(v)])),
        speedup: Object.fromEntries(Object.entries(r.speedup).map(([k, v]) => [k, +v.toFixed(3)])),
      })),
      decode: decodeRows.map((r) => ({ ...r, seqlearn: m(r.seqlearn), pyctcdecode: m(r.pyctcdecode), speedup: r.speedup === undefined ? undefined : +r.speedup.toFixed(3) })),
      busyWarnings,
    };
    fs.writeFileSync(outPath, JSON.stringify(doc, null, 1) + '\n');
  };

  try {
    // ------------------------------------------------------------ loss + gradient
    if (o.parts.includes('loss')) {
      for (const si of o.settings) {
        const s = SETTINGS[si];
        const tag = `ctc loss #${si} (T=${s.T},N=${s.N},C=${s.C},L=${s.L})`;
        const { guarded } = makeGuard({ waitIdle: o.waitIdle, retries: o.retries, busy: busyFor(o.threads) }, tag, busyWarnings);
        const data = makeLossData(s, o.scale, o.seed + si);
        for (let n = 0; n < s.N; n++) {
          const need = required(data.labels, n, s.L);
          if (need > s.T) throw new Error(`${tag}: item ${n} needs T >= ${need}`); // cannot happen for these settings; guards --seed
        }
        const dir = path.join(dataRoot, `loss-${si}`);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'logits.f32'), le(data.logits));
        fs.writeFileSync(path.join(dir, 'labels.i32'), le(data.labels));
        fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...s, blank: 0, scale: o.scale, seed: o.seed + si }) + '\n');
        const checkGrad = s.T * s.N * s.C <= GRAD_CHECK_MAX;
        const row: LossRow = { setting: si, ...s, peers: {}, speedup: {}, targets: {}, checks: {} };
        let torchLosses: number[] | null = null;
        let f64Losses: number[] | null = null;
        let torchGrad: Float32Array | null = null;

        if (want('torch') && python) {
          try {
            const gradFile = path.join(dir, 'grad-torch.f32');
            const { value: r, others } = await guarded('torch', () => runJson(python, [path.join(PEERS, 'torch_ctc.py'), '--data', dir,
              '--threads', String(o.threads), '--modes', 'logits,logprobs', ...repArgs(lossReps), ...(checkGrad ? ['--dump-grad', gradFile] : [])], 30 * 60e3));
            versions.torch = r.torch;
            row.peers.torch = { timing: toTiming(r.modes.logits), othersCpu: pct3(others) };
            row.peers.torchLogProbs = { timing: toTiming(r.modes.logprobs), othersCpu: pct3(others) };
            torchLosses = r.losses;
            f64Losses = r.lossesF64 ?? null;
            if (torchLosses && f64Losses) row.checks['torch-f64'] = compare(torchLosses, f64Losses, 'torch f64');
            if (checkGrad) torchGrad = readF32(gradFile);
          } catch (e) {
            log(`${tag}: torch failed: ${errMsg(e)}`);
            row.peers.torch = { error: errMsg(e) };
          }
        } else row.peers.torch = { skipped: 'skipped' };

        if (warpLib && python) {
          try {
            const gradFile = path.join(dir, 'grad-warpctc.f32');
            const { value: r, others } = await guarded('warp-ctc', () => runJson(python, [path.join(PEERS, 'warpctc_ctc.py'), '--lib', warpLib!, '--data', dir,
              '--threads', String(o.threads), ...repArgs(lossReps), ...(checkGrad ? ['--dump-grad', gradFile] : [])], 30 * 60e3));
            versions.warpctc = r.warpctc;
            row.peers.warpctc = { timing: toTiming(r.seconds), othersCpu: pct3(others) };
            const g = checkGrad ? readF32(gradFile) : null;
            if (torchLosses) row.checks['warpctc-torch'] = compare(r.losses, torchLosses, 'torch f32', g && torchGrad ? { mine: g, ref: torchGrad } : undefined);
            if (f64Losses) row.checks['warpctc-f64'] = compare(r.losses, f64Losses, 'torch f64');
          } catch (e) {
            log(`${tag}: warp-ctc failed: ${errMsg(e)}`);
            row.peers.warpctc = { error: errMsg(e) };
          }
        } else row.peers.warpctc = { skipped: 'skipped' };

        if (want('seqlearn')) {
          const sync = slFn('ctcLoss');
          const asyncFn = slFn('ctcLossAsync');
          if (typeof sync === 'string') {
            console.log(`${tag}: seqlearn skipped: ${sync}`);
            row.peers.seqlearn = { skipped: sync };
          } else {
            try {
              const api = sl!.api;
              api.setNumThreads(o.threads);
              const x = new api.Tensor(data.logits, [s.T, s.N, s.C]);
              const il = new Int32Array(s.N).fill(s.T);
              const tl = new Int32Array(s.N).fill(s.L);
              const opts: SlLossOptions = { blank: 0, reduction: 'sum', inputKind: 'logits' };
              const res = sync(x, data.labels, il, tl, opts);
              if (torchLosses) row.checks['seqlearn-torch'] = compare(res.losses, torchLosses, 'torch f32', torchGrad ? { mine: res.grad.data, ref: torchGrad } : undefined);
              if (f64Losses) row.checks['seqlearn-f64'] = compare(res.losses, f64Losses, 'torch f64');
              const { value: t, others } = await guarded('seqlearn ctcLoss', () => timeLocal(() => sync(x, data.labels, il, tl, opts), lossReps));
              row.peers.seqlearn = { timing: t, othersCpu: pct3(others) };
              if (typeof asyncFn !== 'string') {
                const { value: ta, others: oa } = await guarded('seqlearn ctcLossAsync', () => timeLocal(() => asyncFn(x, data.labels, il, tl, opts), lossReps));
                row.peers.seqlearnAsync = { timing: ta, othersCpu: pct3(oa) };
              }
            } catch (e) {
              log(`${tag}: seqlearn failed: ${errMsg(e)}`);
              row.peers.seqlearn = { error: errMsg(e) };
            }
          }
        }

        const mine = row.peers.seqlearn?.timing?.seconds;
        if (mine !== undefined) {
          for (const p of ['torch', 'torchLogProbs', 'warpctc'] as const) {
            const theirs = row.peers[p]?.timing?.seconds;
            if (theirs !== undefined) row.speedup[p] = theirs / mine;
          }
          if (row.speedup.torch !== undefined) row.targets.torch = { want: 2, ok: row.speedup.torch >= 2 };
          if (row.speedup.warpctc !== undefined) {
            const w = s.N === 1 ? 2 : 1;
            row.targets.warpctc = { want: w, ok: row.speedup.warpctc >= w };
          }
        }
        if (!o.dataDir) fs.rmSync(dir, { recursive: true, force: true });
        lossRows.push(row);
        save();
      }
    }

    // ------------------------------------------------------------ decoders
    if (o.parts.includes('decode')) {
      const dd = makeDecodeData(o.utterances, o.frames, o.seed + 100);
      const dir = path.join(dataRoot, 'decode');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'emissions.f32'), le(dd.perUtterance));
      fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({
        U: dd.U, T: dd.T, C: dd.C, alphabet: ALPHABET, beamPruneLogp: o.beamPruneLogp, tokenMinLogp: o.tokenMinLogp, texts: dd.texts,
      }) + '\n');
      const frames = dd.U * dd.T;
      const threadCounts = [...new Set([1, o.threads])];
      const tag = `ctc decode (U=${dd.U},T=${dd.T},C=${dd.C})`;
      const rowOf = new Map<string, DecodeRow>();
      for (const w of o.beamWidths) {
        for (const th of threadCounts) {
          const row: DecodeRow = {
            beamWidth: w, threads: th,
            how: {
              seqlearn: th === 1 ? 'ctcBeamSearch, 1 thread' : `ctcBeamSearch, ${th} threads (parallel over utterances)`,
              pyctcdecode: th === 1 ? 'decode_beams, one utterance after another' : `decode_beams_batch on a fork Pool(${th})`,
            },
          };
          rowOf.set(`${w}/${th}`, row);
          decodeRows.push(row);
        }
      }
      const pyTop = new Map<number, [string, number][]>();

      if (want('pyctcdecode')) {
        try {
          const py = o.ctcdecodePython ?? ensureCtcdecodePython();
          const guard = makeGuard({ waitIdle: o.waitIdle, retries: 0, busy: busyFor(o.threads) }, tag, busyWarnings).guarded;
          const { value: r, others } = await guard('pyctcdecode', () => runJson(py, [path.join(PEERS, 'pyctcdecode_beam.py'), '--data', dir,
            '--beam-widths', o.beamWidths.join(','), '--threads', String(o.threads), ...repArgs(decReps)], 60 * 60e3));
          versions.pyctcdecode = `${r.pyctcdecode} (numpy ${r.numpy})`;
          for (const w of o.beamWidths) {
            const res = r.widths[String(w)];
            pyTop.set(w, res.top);
            for (const th of threadCounts) {
              const times: number[] | null = th === 1 ? res.sequential : res.pool;
              if (!times) continue;
              const t = toTiming(times);
              rowOf.get(`${w}/${th}`)!.pyctcdecode = { timing: t, framesPerSec: frames / t.seconds, othersCpu: pct3(others) };
            }
          }
        } catch (e) {
          log(`${tag}: pyctcdecode failed: ${errMsg(e)}`);
          for (const row of decodeRows) row.pyctcdecode = { error: errMsg(e) };
        }
      }

      if (want('seqlearn')) {
        const sync = slFn('ctcBeamSearch');
        if (typeof sync === 'string') {
          console.log(`${tag}: seqlearn skipped: ${sync}`);
          for (const row of decodeRows) row.seqlearn = { skipped: sync };
        } else {
          const api = sl!.api;
          const em = new api.Tensor(dd.timeMajor, [dd.T, dd.U, dd.C]);
          const firstHyps = new Map<number, string>(); // per beam width: the hypotheses at the first thread count
          for (const w of o.beamWidths) {
            const opts: SlBeamOptions = { blank: 0, inputKind: 'logProbs', beamWidth: w, beamPruneLogp: o.beamPruneLogp, tokenMinLogp: o.tokenMinLogp };
            for (const th of threadCounts) {
              const row = rowOf.get(`${w}/${th}`)!;
              try {
                api.setNumThreads(th);
                const { guarded } = makeGuard({ waitIdle: o.waitIdle, retries: o.retries, busy: busyFor(th) }, tag, busyWarnings);
                const fn = () => sync(em, undefined, opts);
                const { value: t, others } = await guarded(`seqlearn beam ${w}, ${th} thread(s)`, () => timeLocal(fn, decReps));
                row.seqlearn = { timing: t, framesPerSec: frames / t.seconds, othersCpu: pct3(others) };
                const hyps = fn();
                const key = (h: SlCtcHypothesis[][]) => h.map((x) => x.map((y) => `${y.tokens.join(',')}:${y.ctcScore}`).join('|')).join('/');
                const prev = firstHyps.get(w);
                if (prev === undefined) firstHyps.set(w, key(hyps));
                else if (prev !== key(hyps)) notes.push(`seqlearn beam ${w}: the hypotheses at ${th} threads differ from those at ${threadCounts[0]}`);
                const top = pyTop.get(w);
                if (top) row.agree = agreement(api, dd, hyps, top);
              } catch (e) {
                log(`${tag}: seqlearn beam ${w} failed: ${errMsg(e)}`);
                row.seqlearn = { error: errMsg(e) };
              }
            }
          }
          api.setNumThreads(o.threads);
        }
      }
      for (const row of decodeRows) {
        const a = row.seqlearn?.timing?.seconds;
        const b = row.pyctcdecode?.timing?.seconds;
        if (a !== undefined && b !== undefined) row.speedup = b / a;
      }
      if (!o.dataDir) fs.rmSync(dir, { recursive: true, force: true });
      save();
    }
  } finally {
    if (!o.dataDir) fs.rmSync(dataRoot, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ report
  console.log(`\nctc benchmark — f32, ${o.threads} thread(s), ${os.cpus()[0]?.model ?? '?'} (${nproc()} cpus), node ${process.version}` +
    `${Object.entries(versions).filter(([, v]) => v).map(([k, v]) => `, ${k} ${v}`).join('')}${o.quick ? ', --quick' : ''}`);
  if (lossRows.length) {
    console.log(`\nCTC loss + gradient w.r.t. the logits, reduction 'sum', logits N(0,1)·${o.scale}, random labels 1..C−1 — ms per call (median):\n`);
    for (const l of lossTable(lossRows)) console.log(l);
    console.log(`\nseqlearn = ctcLoss (sync), sl async = ctcLossAsync; torch = log_softmax + F.ctc_loss + backward (the same quantity), ` +
      `torch lp = F.ctc_loss + backward on precomputed log-probs; warp-ctc = compute_ctc_loss (CPU, workspace preallocated).` +
      `\n× peer = peer ms ÷ seqlearn ms. Targets: ≥ 2× torch, ≥ 1× warp-ctc, ≥ 2× warp-ctc at N = 1.`);
    console.log(`\nchecks (losses within ${LOSS_RTOL} relative, gradients within ${GRAD_ATOL} absolute):`);
    for (const r of lossRows) {
      for (const [k, c] of Object.entries(r.checks)) {
        const [who] = k.split('-');
        console.log(`  #${r.setting} ${who.padEnd(8)} vs ${c.against}: max |Δloss| ${fmtE(c.maxAbsLoss)} (rel ${fmtE(c.maxRelLoss)})` +
          `${c.maxAbsGrad !== undefined ? `, max |Δgrad| ${fmtE(c.maxAbsGrad)}` : ''} ${c.ok ? '✓' : '✗'}`);
      }
      if (!Object.keys(r.checks).length) console.log(`  #${r.setting}: nothing to compare (torch did not run)`);
    }
  }
  if (decodeRows.length) {
    console.log(`\nCTC prefix beam search, no LM, beam_prune_logp ${o.beamPruneLogp}, token_min_logp ${o.tokenMinLogp}:\n`);
    for (const l of decodeTable(decodeRows, o.utterances, o.frames)) console.log(l);
    console.log('seqlearn: ctcBeamSearch on the batch (parallel over utterances at > 1 thread); pyctcdecode: decode_beams one utterance after another ' +
      'at 1 thread, decode_beams_batch on a fork Pool at more.\ntop-1 same: same best text (whitespace normalised as pyctcdecode does); char diff: edit distance between the best texts ÷ their length; ' +
      'Δscore: seqlearn ctcScore − pyctcdecode logit_score for those (both count only the alignments kept in their beams); ' +
      'differ: of the utterances whose best texts differ, those where seqlearn\'s text has the higher exact ln p(text | emissions).');
    const shown = new Set<number>();
    for (const r of decodeRows) {
      if (shown.has(r.beamWidth) || !r.agree) continue;
      shown.add(r.beamWidth);
      console.log(`  beam ${r.beamWidth}: CER against the generating texts: seqlearn ${(100 * r.agree.cer.seqlearn).toFixed(2)}%, pyctcdecode ${(100 * r.agree.cer.pyctcdecode).toFixed(2)}%`);
      for (const d of r.agree?.differ.slice(0, 2) ?? []) {
        const ex = (v?: number) => (v === undefined ? '' : ` (exact ln p ${v.toFixed(3)})`);
        console.log(`  beam ${r.beamWidth}, utterance ${d.utterance}:\n    seqlearn    "${d.seqlearn}"${ex(d.exactSeqlearn)}\n    pyctcdecode "${d.pyctcdecode}"${ex(d.exactPyctcdecode)}`);
      }
    }
  }
  for (const n of notes) console.log(`note: ${n}`);
  if (busyWarnings.length) {
    console.log(`\nWARNING: other processes were using the CPU during the run (${busyWarnings.join('; ')}); ` +
      'a busy machine slows every peer erratically. Re-run on an idle machine.');
  }
  if (outPath) console.log(`\nresults: ${path.relative(process.cwd(), outPath)}`);
  return { loss: lossRows, decode: decodeRows };
}

/** The python of the pyctcdecode peer: the venv made (or checked) by bench/peers/setup_venv_ctcdecode.sh. */
function ensureCtcdecodePython(): string {
  const r = spawnSync('bash', [path.join(PEERS, 'setup_venv_ctcdecode.sh')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('bench/peers/setup_venv_ctcdecode.sh failed');
  return path.join(process.env.SEQLEARN_CTCDECODE_VENV ?? path.join(BENCH_DIR, '.cache', 'venv-ctcdecode'), 'bin', 'python');
}

if (isMainModule(path.join(BENCH_DIR, 'ctc.ts'))) {
  run(process.argv.slice(2)).catch((e) => {
    console.error(`[bench] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
