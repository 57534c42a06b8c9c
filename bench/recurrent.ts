// `npm run bench -- recurrent [flags]`: seqlearn's LSTM/GRU against PyTorch
// CPU, TensorFlow.js (pure-JS cpu backend) and, for inference, onnxruntime-node
// on the same model exported to ONNX. f32, same thread count for everyone
// (tfjs's cpu backend is single-threaded whatever we ask).
//
// Flags:
//   --threads N          threads for seqlearn, torch and ORT (default: nproc)
//   --quick              fewer reps, shorter time boxes
//   --only lstm|gru      one cell only
//   --configs 0,1        subset of the configs below (by index)
//   --modes train,infer  subset of the modes
//   --skip a,b           skip peers: seqlearn, torch, tfjs, ort
//   --tfjs-max-step S    skip a tfjs measurement whose step is projected (from
//                        tfjs's speed on a smaller config) to take more than S
//                        seconds (default 30; --quick 8)
//   --wait-idle S        before each peer, wait up to S seconds for other
//                        processes to leave the CPU (default 30; 0: don't):
//                        with every core in use, OpenMP / thread-pool barriers
//                        make all figures erratic on a busy machine
//   --retries N          measure a peer again (up to N times, default 2) when
//                        other processes took over 15% of the CPU meanwhile
//   --python PATH        python to run the torch peer (default bench/.venv,
//                        created by bench/peers/setup_venv.sh; env
//                        SEQLEARN_BENCH_PYTHON does the same)
//   --seqlearn PATH      module to benchmark (default dist/index.js)
//   --out PATH | --no-save   where the JSON results go (default
//                        bench/results/recurrent-<date>.json)
//
// tokens/s = B*T / seconds per step (median). GFLOP/s counts the GEMMs only:
// forward = 2*T*B*G*H*(I+H) (G = 4 LSTM, 3 GRU), train = 3 x forward. The
// "GEMM" columns are a plain matmul of the same shapes — the recurrent step
// [B,H]x[H,G*H] and the input projection [T*B,I]x[I,G*H] — measured with
// seqlearn's own GEMM when the native binding exposes benchGemm(m, n, k, reps),
// else with torch (marked "pt": the better of oneDNN's and MKL's GEMM; oneDNN
// is what torch's CPU LSTM/GRU run on): the distance from the machine's limit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR as HERE, ROOT, PEERS, median, nproc, machine, log, errMsg, runJson, ensurePython as findPython,
  makeGuard, pct3, fmtTok, fmtRatio, textTable, usageOf, isMainModule,
} from './common';

const CACHE = path.join(HERE, '.cache');

export const CONFIGS: ReadonlyArray<{ B: number; T: number; I: number; H: number }> = [
  { B: 32, T: 50, I: 128, H: 128 },
  { B: 32, T: 50, I: 256, H: 256 },
  { B: 64, T: 100, I: 512, H: 512 },
  { B: 1, T: 50, I: 256, H: 256 },
];
const CELLS = ['lstm', 'gru'] as const;
const MODES = ['train', 'infer'] as const;
const PEER_NAMES = ['seqlearn', 'torch', 'tfjs', 'ort'] as const;
type Cell = (typeof CELLS)[number];
type Mode = (typeof MODES)[number];
type Peer = (typeof PEER_NAMES)[number];
const GATES: Record<Cell, number> = { lstm: 4, gru: 3 };

interface Options {
  threads: number;
  quick: boolean;
  cells: Cell[];
  configs: number[];
  modes: Mode[];
  skip: Set<Peer>;
  tfjsMaxStep: number;
  waitIdle: number;
  retries: number;
  python?: string;
  seqlearn?: string;
  out?: string | null;
}

interface Timing {
  seconds: number;
  reps: number;
  min?: number;
  fromWarmup?: boolean;
}

interface Measure extends Timing {
  tokensPerSec: number;
  gflops: number;
}

interface PeerResult {
  measure?: Measure;
  /** share of the machine's CPU used by other processes while this peer was measured */
  othersCpu?: number | null;
  error?: string;
  skipped?: string;
}

interface GemmFigure {
  source: 'seqlearn' | 'torch';
  m: number;
  n: number;
  k: number;
  gflops: number;
  /** torch only: which GEMM gave the figure (oneDNN or MKL) and both figures */
  via?: string;
  by?: Record<string, number>;
}

interface Row {
  cell: Cell;
  config: number;
  B: number;
  T: number;
  I: number;
  H: number;
  mode: Mode;
  gflop: number;
  peers: Partial<Record<Peer, PeerResult>>;
  ratios: Partial<Record<Exclude<Peer, 'seqlearn'>, number>>;
  gemm: { step?: GemmFigure; proj?: GemmFigure; torchStep?: GemmFigure; torchProj?: GemmFigure };
}

function usage(): never {
  console.log(usageOf(path.join(HERE, 'recurrent.ts')));
  process.exit(0);
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    threads: nproc(),
    quick: false,
    cells: [...CELLS],
    configs: CONFIGS.map((_, i) => i),
    modes: [...MODES],
    skip: new Set(),
    tfjsMaxStep: NaN,
    waitIdle: 30,
    retries: 2,
  };
  const list = (s: string | undefined, flag: string) => {
    if (s === undefined) throw new Error(`${flag} needs a value`);
    return s.split(',').map((x) => x.trim()).filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const val = () => inline ?? argv[++i];
    switch (k) {
      case '--threads': o.threads = Math.max(1, parseInt(val(), 10)); break;
      case '--quick': o.quick = true; break;
      case '--only': {
        const cells = list(val(), k);
        for (const c of cells) if (!CELLS.includes(c as Cell)) throw new Error(`--only: unknown cell ${c}`);
        o.cells = cells as Cell[];
        break;
      }
      case '--configs': {
        o.configs = list(val(), k).map((x) => parseInt(x, 10));
        for (const c of o.configs) if (!(c >= 0 && c < CONFIGS.length)) throw new Error(`--configs: no config ${c} (0..${CONFIGS.length - 1})`);
        break;
      }
      case '--modes': case '--mode': {
        const modes = list(val(), k);
        for (const m of modes) if (!MODES.includes(m as Mode)) throw new Error(`--modes: unknown mode ${m}`);
        o.modes = modes as Mode[];
        break;
      }
      case '--skip': {
        for (const p of list(val(), k)) {
          if (!PEER_NAMES.includes(p as Peer)) throw new Error(`--skip: unknown peer ${p} (${PEER_NAMES.join(', ')})`);
          o.skip.add(p as Peer);
        }
        break;
      }
      case '--tfjs-max-step': o.tfjsMaxStep = parseFloat(val()); break;
      case '--python': o.python = val(); break;
      case '--wait-idle': o.waitIdle = parseFloat(val()); break;
      case '--retries': o.retries = Math.max(0, parseInt(val(), 10)); break;
      case '--seqlearn': o.seqlearn = path.resolve(val()); break;
      case '--out': o.out = val(); break;
      case '--no-save': o.out = null; break;
      case '-h': case '--help': usage();
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${argv[i]} (try --help)`);
    }
  }
  if (Number.isNaN(o.tfjsMaxStep)) o.tfjsMaxStep = o.quick ? 8 : 30;
  return o;
}

// ---------------------------------------------------------------- helpers

function forwardFlops(cell: Cell, c: { B: number; T: number; I: number; H: number }) {
  return 2 * c.T * c.B * GATES[cell] * c.H * (c.I + c.H);
}

function stepFlops(cell: Cell, c: { B: number; T: number; I: number; H: number }, mode: Mode) {
  return forwardFlops(cell, c) * (mode === 'train' ? 3 : 1);
}

function toMeasure(t: Timing, tokens: number, flops: number): Measure {
  return { ...t, tokensPerSec: tokens / t.seconds, gflops: flops / t.seconds / 1e9 };
}

// ---------------------------------------------------------------- seqlearn

interface Seqlearn {
  api: any;
  native: any;
  version: string;
}

async function loadSeqlearn(threads: number, modulePath?: string): Promise<Seqlearn> {
  const dist = modulePath ?? path.join(ROOT, 'dist', 'index.js');
  if (!fs.existsSync(dist)) {
    throw new Error(`seqlearn is not built (${path.relative(ROOT, dist)} missing): run \`npm run build\` first, or pass --skip seqlearn`);
  }
  const mod: any = await import(pathToFileURL(dist).href);
  const api = mod.LSTM ? mod : mod.default ?? mod;
  if (!api.LSTM || !api.GRU || !api.Tensor) throw new Error('dist/index.js does not export LSTM, GRU and Tensor');
  let native: any = null;
  if (typeof api.benchGemm === 'function') native = api;
  else {
    try {
      const n: any = await import(pathToFileURL(path.join(ROOT, 'index.js')).href);
      const nn = n.benchGemm ? n : n.default;
      if (typeof nn?.benchGemm === 'function') native = nn;
    } catch {
      /* no native loader: use torch's GEMM figures */
    }
  }
  if (typeof api.setNumThreads === 'function') api.setNumThreads(threads);
  else log('seqlearn exports no setNumThreads: it runs with its default thread count');
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  return { api, native, version };
}

interface Reps {
  warmup: number;
  reps: number;
  minReps: number;
  maxSeconds: number;
}

function timeLocal(fn: () => void, r: Reps): Timing {
  for (let i = 0; i < r.warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < r.reps) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= r.minReps && (performance.now() - start) / 1000 > r.maxSeconds) break;
  }
  return { seconds: median(times), reps: times.length, min: Math.min(...times) };
}

function measureSeqlearn(sl: Seqlearn, cell: Cell, c: (typeof CONFIGS)[number], modes: Mode[], r: Reps): Partial<Record<Mode, Timing>> {
  const { Tensor, LSTM, GRU } = sl.api;
  const opts = { inputSize: c.I, hiddenSize: c.H, numLayers: 1, bidirectional: false, batchFirst: false, seed: 42 };
  const layer = cell === 'lstm' ? new LSTM(opts) : new GRU(opts);
  const x = Tensor.randn([c.T, c.B, c.I], { seed: 1 });
  const g = Tensor.randn([c.T, c.B, c.H], { seed: 2 });
  const out: Partial<Record<Mode, Timing>> = {};
  for (const mode of modes) {
    if (mode === 'train') {
      out.train = timeLocal(() => {
        layer.zeroGrad();
        layer.forward(x, { training: true });
        layer.backward(g);
      }, r);
    } else {
      out.infer = timeLocal(() => {
        layer.forward(x);
      }, r);
    }
  }
  layer.dispose?.();
  return out;
}

/** GFLOP/s of seqlearn's own GEMM on [m,k]x[k,n]: benchGemm(m, n, k, reps) returns the median seconds of one GEMM. */
function seqlearnGemm(native: any, m: number, n: number, k: number, quick: boolean): GemmFigure {
  const flops = 2 * m * n * k;
  // ~50 ms per call at ~200 GFLOP/s, at least 5 GEMMs
  const reps = Math.max(5, Math.min(20000, Math.round(1e10 / flops)));
  native.benchGemm(m, n, k, Math.max(1, reps >> 2)); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    const t0 = performance.now();
    const ret = native.benchGemm(m, n, k, reps);
    const wall = (performance.now() - t0) / 1000 / reps;
    // benchGemm returns the median seconds of one GEMM; fall back on wall time if it returns anything else
    samples.push(typeof ret === 'number' && ret > 0 && Number.isFinite(ret) ? ret : wall);
  }
  return { source: 'seqlearn', m, n, k, gflops: flops / median(samples) / 1e9 };
}

// ---------------------------------------------------------------- main

function fmtCell(p?: PeerResult) {
  if (!p) return '-';
  if (p.error) return 'err';
  if (p.skipped) return 'skip';
  return fmtTok(p.measure?.tokensPerSec) + (p.measure?.fromWarmup ? '~' : '');
}

function fmtGf(v?: number) {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function table(rows: Row[], threads: number) {
  const head = ['cell', 'cfg', 'B,T,I,H', 'mode', 'seqlearn', 'torch', 'tfjs', 'ort', 'vs torch', 'vs tfjs', 'vs ort', 'GF/s sl', 'GF/s pt', 'GEMM step', 'GEMM proj'];
  const body = rows.map((r) => [
    r.cell, String(r.config), `${r.B},${r.T},${r.I},${r.H}`, r.mode,
    fmtCell(r.peers.seqlearn), fmtCell(r.peers.torch), fmtCell(r.peers.tfjs), fmtCell(r.peers.ort),
    ...(['torch', 'tfjs', 'ort'] as const).map((p) => (r.ratios[p] !== undefined ? `${fmtRatio(r.ratios[p]!)}×` : '-')),
    fmtGf(r.peers.seqlearn?.measure?.gflops), fmtGf(r.peers.torch?.measure?.gflops),
    r.gemm.step ? `${fmtGf(r.gemm.step.gflops)}${r.gemm.step.source === 'torch' ? ' pt' : ''}` : '-',
    r.gemm.proj ? `${fmtGf(r.gemm.proj.gflops)}${r.gemm.proj.source === 'torch' ? ' pt' : ''}` : '-',
  ]);
  const out = textTable(head, body, 4);
  out.push('');
  out.push(`tokens/s = B*T / median seconds per step; ${threads} thread(s) for seqlearn, torch and ort; tfjs (cpu backend) is single-threaded.`);
  out.push('vs X = seqlearn tokens/s ÷ X tokens/s.  GF/s = GEMM FLOPs only (fwd 2*T*B*G*H*(I+H), train 3× fwd).');
  out.push('GEMM step = plain matmul [B,H]x[H,G*H], GEMM proj = [T*B,I]x[I,G*H], by seqlearn\'s benchGemm, or torch\'s best (oneDNN/MKL) where marked "pt".');
  out.push('"~" = tfjs step so slow that its single (warm-up) run is the sample; "skip" = tfjs projected over --tfjs-max-step.');
  return out.join('\n');
}

function ensurePython(o: Options): string {
  return findPython(o.python);
}

export async function run(argv: string[]): Promise<Row[]> {
  const o = parseArgs(argv);
  const reps: Reps = o.quick
    ? { warmup: 1, reps: 5, minReps: 2, maxSeconds: 1.5 }
    : { warmup: 2, reps: 20, minReps: 3, maxSeconds: 5 };
  const tfjsBox = o.quick ? 6 : 20;
  const want = (p: Peer) => !o.skip.has(p);

  let sl: Seqlearn | null = null;
  if (want('seqlearn')) sl = await loadSeqlearn(o.threads, o.seqlearn);
  const python = want('torch') || want('ort') ? ensurePython(o) : null;
  fs.mkdirSync(CACHE, { recursive: true });

  const versions: Record<string, string | null> = { seqlearn: sl?.version ?? null, torch: null, tfjs: null, ort: null };
  const rows: Row[] = [];
  const tfjsSpeed: Partial<Record<string, number>> = {}; // `${cell}/${mode}` -> GFLOP/s seen
  const started = new Date();
  const outPath = o.out === null ? null
    : o.out ?? path.join(HERE, 'results', `recurrent-${started.toISOString().slice(0, 10)}.json`);
  const notes = new Set<string>();
  const busyWarnings: string[] = [];

  const save = () => {
    if (!outPath) return;
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    const doc = {
      bench: 'recurrent',
      date: started.toISOString(),
      machine: machine(),
      threads: o.threads,
      quick: o.quick,
      versions,
      flops: 'GEMM FLOPs only: forward 2*T*B*G*H*(I+H), train 3x forward',
      notes: [...notes],
      rows: rows.map((r) => ({
        ...r,
        peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, v?.measure ? {
          seconds: +v.measure.seconds.toPrecision(5), reps: v.measure.reps,
          tokensPerSec: +v.measure.tokensPerSec.toPrecision(5), gflops: +v.measure.gflops.toPrecision(4),
          ...(v.measure.fromWarmup ? { fromWarmup: true } : {}),
          ...(v.othersCpu !== undefined ? { othersCpu: v.othersCpu } : {}),
        } : v])),
        ratios: Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, +(v as number).toFixed(3)])),
        gemm: Object.fromEntries(Object.entries(r.gemm).map(([k, v]) => [k, v && {
          ...v, gflops: +v.gflops.toPrecision(4),
          ...(v.by ? { by: Object.fromEntries(Object.entries(v.by).map(([b, g]) => [b, +g.toPrecision(4)])) } : {}),
        }])),
      })),
    };
    fs.writeFileSync(outPath, JSON.stringify(doc, null, 1) + '\n');
  };

  for (const cell of o.cells) {
    for (const ci of o.configs) {
      const c = CONFIGS[ci];
      const tag = `${cell} cfg${ci} (B=${c.B},T=${c.T},I=${c.I},H=${c.H})`;
      const tokens = c.B * c.T;
      const G = GATES[cell];
      const { guarded } = makeGuard(o, tag, busyWarnings);
      const cfgRows: Record<Mode, Row> = {} as any;
      for (const mode of o.modes) {
        cfgRows[mode] = { cell, config: ci, ...c, mode, gflop: stepFlops(cell, c, mode) / 1e9, peers: {}, ratios: {}, gemm: {} };
      }
      const args = ['--cell', cell, '--B', String(c.B), '--T', String(c.T), '--I', String(c.I), '--H', String(c.H), '--threads', String(o.threads)];

      // torch: the timings, the reference GEMMs and (for ort) the ONNX export, in one process
      const onnxPath = path.join(CACHE, `${cell}-${c.B}-${c.T}-${c.I}-${c.H}.onnx`);
      const needOnnx = want('ort') && o.modes.includes('infer') && !fs.existsSync(onnxPath);
      let torchGemm: any = null;
      if (python) {
        const tmodes = [...(want('torch') ? o.modes : []), ...(want('torch') || !sl?.native ? ['gemm'] : [])];
        if (tmodes.length || needOnnx) {
          try {
            if (needOnnx) {
              log(`${tag}: torch onnx export`);
              runJson(python, [path.join(PEERS, 'torch_recurrent.py'), ...args, '--mode', '', '--export-onnx', onnxPath, '--json'], 10 * 60e3);
            }
            if (tmodes.length) {
              const { value: r, others } = await guarded(`torch ${tmodes.join(',')}`, () => runJson(python, [path.join(PEERS, 'torch_recurrent.py'), ...args, '--mode', tmodes.join(','),
                '--reps', String(reps.reps), '--min-reps', String(reps.minReps), '--warmup', String(reps.warmup),
                '--max-seconds', String(reps.maxSeconds), '--json'], 30 * 60e3));
              versions.torch = r.torch;
              torchGemm = r.modes.gemm ?? null;
              if (want('torch')) for (const mode of o.modes) cfgRows[mode].peers.torch = { measure: toMeasure(r.modes[mode], tokens, stepFlops(cell, c, mode)), othersCpu: pct3(others) };
            }
          } catch (e) {
            log(`${tag}: torch failed: ${errMsg(e)}`);
            if (want('torch')) for (const mode of o.modes) cfgRows[mode].peers.torch = { error: errMsg(e) };
          }
        }
      }

      // ort: inference only
      if (want('ort') && o.modes.includes('infer')) {
        try {
          if (!fs.existsSync(onnxPath)) throw new Error('no ONNX model (torch export failed)');
          const { value: r, others } = await guarded('ort infer', () => runJson(process.execPath, [path.join(PEERS, 'ort_recurrent.mjs'), '--model', onnxPath, ...args,
            '--reps', String(reps.reps), '--min-reps', String(reps.minReps), '--warmup', String(reps.warmup),
            '--max-seconds', String(reps.maxSeconds), '--json'], 30 * 60e3));
          versions.ort = r.ort;
          cfgRows.infer.peers.ort = { measure: toMeasure(r.modes.infer, tokens, stepFlops(cell, c, 'infer')), othersCpu: pct3(others) };
        } catch (e) {
          log(`${tag}: ort failed: ${errMsg(e)}`);
          cfgRows.infer.peers.ort = { error: errMsg(e) };
        }
      }

      // tfjs: time boxed, skipped when projected too slow
      if (want('tfjs')) {
        const tmodes: Mode[] = [];
        for (const mode of o.modes) {
          const seen = tfjsSpeed[`${cell}/${mode}`];
          const projected = seen ? stepFlops(cell, c, mode) / (seen * 1e9) : 0;
          if (projected > o.tfjsMaxStep) {
            cfgRows[mode].peers.tfjs = { skipped: `projected ${projected.toFixed(0)} s/step > --tfjs-max-step ${o.tfjsMaxStep}` };
            log(`${tag}: tfjs ${mode} skipped (projected ${projected.toFixed(0)} s/step)`);
          } else tmodes.push(mode);
        }
        for (const mode of tmodes) {
          try {
            const { value: r, others } = await guarded(`tfjs ${mode}`, () => runJson(process.execPath, [path.join(PEERS, 'tfjs_recurrent.mjs'), ...args, '--mode', mode,
              '--reps', String(reps.reps), '--max-seconds', String(tfjsBox), '--json'], 30 * 60e3));
            versions.tfjs = r.tfjs;
            for (const n of r.notes ?? []) notes.add(`tfjs: ${n}`);
            const m = toMeasure(r.modes[mode], tokens, stepFlops(cell, c, mode));
            cfgRows[mode].peers.tfjs = { measure: m, othersCpu: pct3(others) };
            const k = `${cell}/${mode}`;
            tfjsSpeed[k] = Math.max(tfjsSpeed[k] ?? 0, m.gflops);
          } catch (e) {
            log(`${tag}: tfjs ${mode} failed: ${errMsg(e)}`);
            cfgRows[mode].peers.tfjs = { error: errMsg(e) };
          }
        }
      }

      // seqlearn last-but-not-least, in this process
      let slGemm: { step: GemmFigure; proj: GemmFigure } | null = null;
      if (sl) {
        try {
          const { value: t, others } = await guarded(`seqlearn ${o.modes.join(',')}`, () => measureSeqlearn(sl!, cell, c, o.modes, reps));
          for (const mode of o.modes) cfgRows[mode].peers.seqlearn = { measure: toMeasure(t[mode]!, tokens, stepFlops(cell, c, mode)), othersCpu: pct3(others) };
        } catch (e) {
          log(`${tag}: seqlearn failed: ${errMsg(e)}`);
          for (const mode of o.modes) cfgRows[mode].peers.seqlearn = { error: errMsg(e) };
        }
        if (sl.native) {
          try {
            const native = sl.native;
            slGemm = (await guarded('seqlearn benchGemm', () => ({
              step: seqlearnGemm(native, c.B, G * c.H, c.H, o.quick),
              proj: seqlearnGemm(native, c.T * c.B, G * c.H, c.I, o.quick),
            }))).value;
          } catch (e) {
            log(`${tag}: benchGemm failed: ${errMsg(e)}`);
          }
        }
      }

      for (const mode of o.modes) {
        const row = cfgRows[mode];
        const mine = row.peers.seqlearn?.measure;
        for (const p of ['torch', 'tfjs', 'ort'] as const) {
          const theirs = row.peers[p]?.measure;
          if (mine && theirs) row.ratios[p] = mine.tokensPerSec / theirs.tokensPerSec;
        }
        const tg = (s: any): GemmFigure | undefined => (s ? { source: 'torch', m: s.m, n: s.n, k: s.k, gflops: s.gflops, via: s.via, by: s.by } : undefined);
        row.gemm = {
          step: slGemm?.step ?? tg(torchGemm?.step),
          proj: slGemm?.proj ?? tg(torchGemm?.proj),
          ...(slGemm && torchGemm ? { torchStep: tg(torchGemm.step), torchProj: tg(torchGemm.proj) } : {}),
        };
        rows.push(row);
      }
      save();
    }
  }

  console.log(`\nrecurrent benchmark — f32, ${o.threads} thread(s), ${os.cpus()[0]?.model ?? '?'} (${nproc()} cpus), node ${process.version}` +
    `, ${Object.entries(versions).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')}${o.quick ? ', --quick' : ''}\n`);
  console.log(table(rows, o.threads));
  for (const n of notes) console.log(`note: ${n}`);
  if (busyWarnings.length) {
    console.log(`\nWARNING: other processes were using the CPU during the run (${busyWarnings.join('; ')}); ` +
      'with every core in use, a busy machine slows all peers erratically (OpenMP / thread-pool barriers). Re-run on an idle machine.');
  }
  if (outPath) console.log(`\nresults: ${path.relative(process.cwd(), outPath)}`);
  return rows;
}

if (isMainModule(path.join(HERE, 'recurrent.ts'))) {
  run(process.argv.slice(2)).catch((e) => {
    console.error(`[bench] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
