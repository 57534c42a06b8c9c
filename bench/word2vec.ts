// `npm run bench -- word2vec [flags]`: word2vec training speed, memory and vector quality of
// seqlearn beside the original C tool, Intel's pWord2Vec and gensim, same corpus, machine and
// threads, in one run.
//
// Peers (each a separate process, timed by bench/peers/measure.py: wall time and peak RSS):
//   c                 the word2vec C tool (tmikolov/word2vec), --word2vec PATH to a binary built
//                     by hand outside this tree (never committed); see bench/README.md
//   pword2vec         Intel's pWord2Vec (skip-gram only), --pword2vec PATH, run with
//                     OPENBLAS_NUM_THREADS=1 and -batch-size 2*window+1
//   gensim            gensim 4.4 from PyPI (bench/peers/gensim_w2v.py in the venv made by
//                     bench/peers/setup_venv_gensim.sh under bench/.cache)
//   seqlearn          `seqlearn word2vec` with -method auto (= batched for negative sampling),
//                     bench/word2vec-seqlearn.ts
//   seqlearn-hogwild  the same with -method hogwild (the C tool's per-pair updates)
// Configurations (the issue's): skip-gram -size 200 -window 5 -negative 5 -sample 1e-4
// -min-count 5 and CBOW -cbow 1 -size 200 -window 8 -negative 25 -sample 1e-4 -min-count 5;
// speed: -iter 1 at 1 and 2 threads; quality: -iter 5 at 2 threads over --seeds runs (gensim
// and seqlearn: seeds 1..N; the C tool and pWord2Vec have no seed flag: N repeated runs).
// words/s = in-vocabulary words per epoch (each peer's own count, the C tool's convention)
// x epochs / training seconds (C tool and pWord2Vec: from their progress lines; gensim: its
// train() call; seqlearn: the trainer's stats). Every output .bin is evaluated by seqlearn's
// KeyedVectors (one evaluator for all): analogy accuracy on questions-words.txt restricted to
// the 30000 most frequent words (questions seen) and WordSim-353 Spearman rho.
//
// Flags:
//   --corpus PATH        training text (default ../shared/data/wiki8/wiki8)
//   --questions PATH     analogy questions (default ../shared/data/eval/questions-words.txt)
//   --wordsim PATH       word pairs (default ../shared/data/eval/wordsim353.tsv)
//   --word2vec PATH      the C tool's binary (env SEQLEARN_BENCH_WORD2VEC)
//   --word2vec-note TEXT how that binary was built (printed in the header and saved)
//   --pword2vec PATH     pWord2Vec's binary (env SEQLEARN_BENCH_PWORD2VEC)
//   --gensim-python PATH python with gensim 4.4 (default: the venv of setup_venv_gensim.sh)
//   --peers a,b          subset of c,pword2vec,gensim,seqlearn,seqlearn-hogwild (default all)
//   --only speed|quality one part only (default both)
//   --arch sg,cbow       architectures (default both)
//   --threads 1,2        thread counts of the speed part (default 1,2)
//   --quality-threads N  threads of the quality part (default 2)
//   --quality-iter N     epochs of the quality part (default 5)
//   --seeds N            quality runs per peer and architecture (default 3)
//   --speed-reps N       runs per speed configuration; the median is reported (default 1)
//   --reuse              take finished runs from bench/.cache/word2vec/runs.jsonl (same peer,
//                        exact argv, binary mtime/size, corpus) instead of running them again
//   --keep               keep the output vectors in bench/.cache/word2vec/out/ (default: each
//                        .bin is deleted once evaluated)
//   --no-eval            skip the evaluation of the vectors
//   --timeout-min M      give up on a run after M minutes (default 90)
//   --wait-idle S        before each run, wait up to S seconds for other processes to leave the
//                        CPU (default 30; 0: don't); runs disturbed by other processes are flagged
//   --out PATH | --no-save   JSON results (default bench/results/word2vec-<date>.json, and an
//                        SVG of the words/s beside it)
//
// A full run (both parts, all peers, wiki8) takes about 3 hours on 2 cores, most of it the
// C tool's and seqlearn-hogwild's -iter 5 runs; --reuse resumes an interrupted one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  BENCH_DIR, ROOT, PEERS, machine, log, errMsg, makeGuard, busyFor, pct3, fmtTok, fmtRatio, textTable, usageOf, isMainModule,
} from './common';

// ---------------------------------------------------------------- configuration

/** The peers, in report order. */
export const PEER_NAMES = ['c', 'pword2vec', 'gensim', 'seqlearn', 'seqlearn-hogwild'] as const;
type Peer = (typeof PEER_NAMES)[number];
const PEER_LABEL: Record<Peer, string> = {
  c: 'word2vec (C)', pword2vec: 'pWord2Vec', gensim: 'gensim', seqlearn: 'seqlearn', 'seqlearn-hogwild': 'seqlearn hogwild',
};
type Arch = 'sg' | 'cbow';
const ARCHS: readonly Arch[] = ['sg', 'cbow'];
const ARCH_LABEL: Record<Arch, string> = { sg: 'skip-gram', cbow: 'CBOW' };

/** One training configuration (the C tool's flags). */
export interface TrainConfig {
  arch: Arch;
  size: number;
  window: number;
  negative: number;
  sample: number;
  minCount: number;
  iter: number;
  threads: number;
}

/** The issue's two configurations, without iter/threads. */
export const BASE_CONFIGS: Record<Arch, Omit<TrainConfig, 'iter' | 'threads'>> = {
  sg: { arch: 'sg', size: 200, window: 5, negative: 5, sample: 1e-4, minCount: 5 },
  cbow: { arch: 'cbow', size: 200, window: 8, negative: 25, sample: 1e-4, minCount: 5 },
};

/** A number as the issue writes it: 1e-4 rather than 0.0001. */
const fmtNum = (v: number) => (v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential().replace('e-', 'e-') : String(v));

/** The C tool's flags of a configuration (shared by the C tool and seqlearn). */
export function cFlags(c: TrainConfig): string[] {
  return ['-cbow', c.arch === 'cbow' ? '1' : '0', '-size', String(c.size), '-window', String(c.window), '-negative', String(c.negative),
    '-hs', '0', '-sample', fmtNum(c.sample), '-threads', String(c.threads), '-iter', String(c.iter), '-min-count', String(c.minCount), '-binary', '1'];
}

/** The configuration's flags for a table title (without -threads and -binary). */
function configText(c: TrainConfig): string {
  const f = cFlags(c);
  const out: string[] = [];
  for (let i = 0; i < f.length; i += 2) if (f[i] !== '-threads' && f[i] !== '-binary') out.push(f[i], f[i + 1]);
  return out.join(' ');
}

interface Options {
  corpus: string;
  questions: string;
  wordsim: string;
  word2vec?: string;
  word2vecNote?: string;
  pword2vec?: string;
  gensimPython?: string;
  peers: Peer[];
  parts: ('speed' | 'quality')[];
  archs: Arch[];
  threads: number[];
  qualityThreads: number;
  qualityIter: number;
  seeds: number;
  speedReps: number;
  reuse: boolean;
  keep: boolean;
  evaluate: boolean;
  timeoutMin: number;
  waitIdle: number;
  out?: string | null;
}

function usage(): never {
  console.log(usageOf(path.join(BENCH_DIR, 'word2vec.ts')));
  process.exit(0);
}

/** Parses the flags (see the header of this file). */
export function parseArgs(argv: string[]): Options {
  const shared = path.resolve(ROOT, '..', 'shared', 'data');
  const o: Options = {
    corpus: path.join(shared, 'wiki8', 'wiki8'),
    questions: path.join(shared, 'eval', 'questions-words.txt'),
    wordsim: path.join(shared, 'eval', 'wordsim353.tsv'),
    word2vec: process.env.SEQLEARN_BENCH_WORD2VEC || undefined,
    pword2vec: process.env.SEQLEARN_BENCH_PWORD2VEC || undefined,
    peers: [...PEER_NAMES],
    parts: ['speed', 'quality'],
    archs: [...ARCHS],
    threads: [1, 2],
    qualityThreads: 2,
    qualityIter: 5,
    seeds: 3,
    speedReps: 1,
    reuse: false,
    keep: false,
    evaluate: true,
    timeoutMin: 90,
    waitIdle: 30,
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
      if (!/^\d+$/.test(s.trim()) || v < min) throw new Error(`${k}: expected an integer >= ${min}, got "${s}"`);
      return v;
    };
    const list = () => val().split(',').map((x) => x.trim()).filter(Boolean);
    const oneOf = <T extends string>(items: string[], allowed: readonly T[]): T[] => {
      for (const it of items) if (!allowed.includes(it as T)) throw new Error(`${k}: unknown value ${it} (${allowed.join(', ')})`);
      if (!items.length) throw new Error(`${k}: expected at least one of ${allowed.join(', ')}`);
      return items as T[];
    };
    switch (k) {
      case '--corpus': o.corpus = path.resolve(val()); break;
      case '--questions': o.questions = path.resolve(val()); break;
      case '--wordsim': o.wordsim = path.resolve(val()); break;
      case '--word2vec': o.word2vec = path.resolve(val()); break;
      case '--word2vec-note': o.word2vecNote = val(); break;
      case '--pword2vec': o.pword2vec = path.resolve(val()); break;
      case '--gensim-python': o.gensimPython = val(); break;
      case '--peers': o.peers = oneOf(list(), PEER_NAMES); break;
      case '--only': o.parts = oneOf([val()], ['speed', 'quality'] as const); break;
      case '--arch': o.archs = oneOf(list(), ARCHS); break;
      case '--threads':
        o.threads = list().map((s) => {
          const v = Number(s);
          if (!Number.isInteger(v) || v < 1) throw new Error(`--threads: expected integers >= 1, got "${s}"`);
          return v;
        });
        break;
      case '--quality-threads': o.qualityThreads = int(1); break;
      case '--quality-iter': o.qualityIter = int(1); break;
      case '--seeds': o.seeds = int(1); break;
      case '--speed-reps': o.speedReps = int(1); break;
      case '--reuse': o.reuse = true; break;
      case '--keep': o.keep = true; break;
      case '--no-eval': o.evaluate = false; break;
      case '--timeout-min': o.timeoutMin = int(1); break;
      case '--wait-idle': o.waitIdle = int(0); break;
      case '--out': o.out = val(); break;
      case '--no-save': o.out = null; break;
      case '-h': case '--help': usage();
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown argument ${argv[i]} (try --help)`);
    }
  }
  return o;
}

// ---------------------------------------------------------------- runs

/** One run to do. */
interface RunSpec {
  peer: Peer;
  part: 'speed' | 'quality';
  config: TrainConfig;
  /** seed (gensim, seqlearn) or repetition number (C tool, pWord2Vec) */
  seed: number;
}

/** Vector quality as seqlearn's evaluator measures it. */
interface EvalResult {
  analogy?: { accuracy: number; correct: number; seen: number; total: number; semantic?: number; syntactic?: number };
  wordsim?: { spearman: number; pearson?: number; oovRatio?: number };
  vocabSize?: number;
  error?: string;
}

/** What a run measured (one line of runs.jsonl). */
interface RunRecord {
  key: string;
  peer: Peer;
  part: 'speed' | 'quality';
  config: TrainConfig;
  seed: number;
  /** whether `seed` is a real seed (false: a repetition of a peer without a seed flag) */
  seeded: boolean;
  argv: string[];
  env: Record<string, string>;
  date: string;
  wallSeconds?: number;
  maxRssMB?: number;
  cpuSeconds?: number;
  vocabSize?: number;
  wordsPerEpoch?: number;
  wordsTrained?: number;
  trainSeconds?: number;
  /** how trainSeconds was obtained */
  trainHow?: string;
  wordsPerSecond?: number;
  /** C tool / pWord2Vec: the last progress percentage they printed (100 = all epochs done) */
  progressReached?: number;
  /** figures the peer printed itself (not comparable across peers; kept for reference) */
  reported?: Record<string, number | string>;
  othersCpu?: number | null;
  eval?: EvalResult;
  error?: string;
}

/** Timestamped text of a child's stdout, split at \r and \n. */
interface Line {
  t: number;
  text: string;
}

const CACHE_DIR = path.join(BENCH_DIR, '.cache', 'word2vec');
const RUNS_FILE = path.join(CACHE_DIR, 'runs.jsonl');
const OUT_DIR = path.join(CACHE_DIR, 'out');
const MEASURE = path.join(PEERS, 'measure.py');

/** Identity of a file for the run cache: path, size, mtime (or "missing"). */
function fileId(p: string | undefined): string {
  if (!p) return 'none';
  try {
    const s = fs.statSync(p);
    return `${p}:${s.size}:${s.mtimeMs}`;
  } catch {
    return `${p}:missing`;
  }
}

/** The native addon and compiled sources seqlearn runs with (for the run cache). */
function seqlearnId(): string {
  const nodeFiles = fs.readdirSync(ROOT).filter((f) => f.endsWith('.node')).map((f) => fileId(path.join(ROOT, f)));
  const sources = ['ts/cli/word2vec.ts', 'ts/embeddings/word2vec.ts', 'bench/word2vec-seqlearn.ts'].map((f) => fileId(path.join(ROOT, f)));
  return [...nodeFiles, ...sources].join('|');
}

/** Which binary a peer runs (for the run cache). */
function binaryId(peer: Peer, o: Options, gensimPython: string | undefined): string {
  switch (peer) {
    case 'c': return fileId(o.word2vec);
    case 'pword2vec': return fileId(o.pword2vec);
    case 'gensim': return `${gensimPython}|${fileId(path.join(PEERS, 'gensim_w2v.py'))}`;
    default: return seqlearnId();
  }
}

/** The command line of a run (before the measure.py wrapper). */
function commandOf(spec: RunSpec, o: Options, out: string, gensimPython: string | undefined): { argv: string[]; env: Record<string, string> } {
  const c = spec.config;
  switch (spec.peer) {
    case 'c':
      return { argv: [o.word2vec!, '-train', o.corpus, '-output', out, ...cFlags(c)], env: {} };
    case 'pword2vec':
      return {
        argv: [o.pword2vec!, '-train', o.corpus, '-output', out, '-size', String(c.size), '-window', String(c.window), '-negative', String(c.negative),
          '-sample', fmtNum(c.sample), '-threads', String(c.threads), '-iter', String(c.iter), '-min-count', String(c.minCount), '-binary', '1',
          '-batch-size', String(2 * c.window + 1)],
        env: { OPENBLAS_NUM_THREADS: '1' },
      };
    case 'gensim':
      return {
        argv: [gensimPython!, path.join(PEERS, 'gensim_w2v.py'), '--corpus', o.corpus, '--output', out, '--sg', c.arch === 'sg' ? '1' : '0',
          '--size', String(c.size), '--window', String(c.window), '--negative', String(c.negative), '--sample', fmtNum(c.sample),
          '--iter', String(c.iter), '--min-count', String(c.minCount), '--threads', String(c.threads), '--seed', String(spec.seed)],
        env: {},
      };
    case 'seqlearn':
    case 'seqlearn-hogwild':
      return {
        argv: [process.execPath, '--import', 'tsx', path.join(BENCH_DIR, 'word2vec-seqlearn.ts'), '-train', o.corpus, '-output', out, ...cFlags(c),
          '-seed', String(spec.seed), '-method', spec.peer === 'seqlearn' ? 'auto' : 'hogwild', '-debug', '0'],
        env: {},
      };
  }
}

/** The cache key of a run: peer, exact argv (output path aside), environment, binary, corpus, repetition. */
function keyOf(spec: RunSpec, argv: string[], env: Record<string, string>, out: string, binId: string, corpus: string): string {
  const a = argv.map((x) => (x === out ? '<output>' : x));
  return createHash('sha256').update(JSON.stringify({ peer: spec.peer, argv: a, env, binId, corpus: fileId(corpus), seed: spec.seed })).digest('hex').slice(0, 24);
}

/** Runs `argv` under measure.py, recording timestamped stdout segments; stderr passes through to ours. */
function runMeasured(argv: string[], env: Record<string, string>, timeoutMs: number, echo: boolean): Promise<{ lines: Line[]; stdout: string; wall: number; maxRssKB: number; cpu: number; code: number | null }> {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const mfile = path.join(CACHE_DIR, `measure-${process.pid}.json`);
  fs.rmSync(mfile, { force: true });
  const stdbuf = hasStdbuf() ? ['stdbuf', '-oL'] : [];
  const args = [MEASURE, '--json', mfile, ...Object.entries(env).map(([k, v]) => `--env=${k}=${v}`), '--', ...stdbuf, ...argv];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('python3', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Line[] = [];
    let pending = '';
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const t = (performance.now() - t0) / 1000;
      stdout += chunk;
      if (stdout.length > 1 << 22) stdout = stdout.slice(-(1 << 21));
      const parts = (pending + chunk).split(/[\r\n]/);
      pending = parts.pop()!;
      for (const p of parts) if (p.trim()) lines.push({ t, text: p });
      if (echo) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending.trim()) lines.push({ t: (performance.now() - t0) / 1000, text: pending });
      let m: { wallSeconds: number; maxRssKB: number; userSeconds: number; systemSeconds: number } | null = null;
      try {
        m = JSON.parse(fs.readFileSync(mfile, 'utf8'));
      } catch {
        m = null;
      }
      fs.rmSync(mfile, { force: true });
      if (!m) return reject(new Error(`measure.py wrote no measurement (exit ${code})`));
      resolve({ lines, stdout, wall: m.wallSeconds, maxRssKB: m.maxRssKB, cpu: m.userSeconds + m.systemSeconds, code });
    });
  });
}

let stdbufCache: boolean | undefined;
/** Whether coreutils' stdbuf is there (line-buffered stdout makes the C tools' vocabulary lines arrive on time). */
function hasStdbuf(): boolean {
  stdbufCache ??= spawnSync('stdbuf', ['--version'], { stdio: 'ignore' }).status === 0;
  return stdbufCache;
}

/**
 * Training time of the C tool / pWord2Vec from their progress lines ("Progress: 42.17%",
 * printed and flushed every 10000 words per thread): the rate between the first and the last
 * progress line, which spans all but the first and last ~10k words of each thread and so
 * includes any tail where one thread runs alone. Without two lines far enough apart (tiny
 * corpora) it falls back to process end minus the end of the vocabulary phase (which then
 * includes the set-up and the writing of the vectors).
 */
export function parseCProgress(lines: Line[], wall: number, iter: number): {
  wordsPerEpoch?: number; vocabSize?: number; vocabEnd?: number; trainSeconds?: number; trainHow?: string; progressReached?: number; reported: Record<string, number>;
} {
  let wordsPerEpoch: number | undefined;
  let vocabSize: number | undefined;
  let vocabEnd: number | undefined;
  const points: { t: number; p: number }[] = [];
  const reported: Record<string, number> = {};
  for (const l of lines) {
    let m = /Words in train file:\s*(\d+)/.exec(l.text);
    if (m) {
      wordsPerEpoch = Number(m[1]);
      vocabEnd = l.t;
    }
    m = /Vocab size:\s*(\d+)/.exec(l.text);
    if (m) vocabSize = Number(m[1]);
    m = /Progress:\s*([\d.]+)%/.exec(l.text);
    if (m) points.push({ t: l.t, p: Number(m[1]) / 100 });
    m = /Words\/thread\/sec:\s*([\d.]+)k/.exec(l.text);
    if (m) reported.cWordsPerThreadSecCpuClock = Number(m[1]) * 1000;
    m = /Words\/sec:\s*([\d.]+)k/.exec(l.text);
    if (m) reported.pword2vecWordsPerSec = Number(m[1]) * 1000;
  }
  const out: ReturnType<typeof parseCProgress> = { wordsPerEpoch, vocabSize, vocabEnd, reported };
  if (points.length) out.progressReached = points[points.length - 1].p * 100;
  if (wordsPerEpoch === undefined) return out;
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length >= 2 && last.p - first.p >= 0.2 && last.t - first.t >= 0.5) {
    const rate = ((last.p - first.p) * iter * wordsPerEpoch) / (last.t - first.t);
    out.trainSeconds = (iter * wordsPerEpoch) / rate;
    out.trainHow = 'rate between its first and last progress lines';
  } else if (vocabEnd !== undefined) {
    out.trainSeconds = wall - vocabEnd;
    out.trainHow = 'process end - vocabulary end (too few progress lines; includes set-up and saving)';
  }
  return out;
}

/** Seqlearn's evaluator (dist/index.js), loaded once. */
interface KvApi {
  KeyedVectors: {
    loadAsync(p: string): Promise<{
      size: number;
      evaluateAnalogies(p: string, opts?: { restrictVocab?: number }): unknown;
      evaluateWordPairs(p: string, opts?: { restrictVocab?: number }): unknown;
    }>;
  };
}
let kvApi: KvApi | string | undefined;
function evaluator(): KvApi | string {
  if (kvApi === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const api = require(path.join(ROOT, 'dist', 'index.js')) as Partial<KvApi>;
      kvApi = api.KeyedVectors && typeof api.KeyedVectors.loadAsync === 'function' ? (api as KvApi) : 'dist/index.js has no KeyedVectors (npm run build)';
    } catch (e) {
      kvApi = `cannot load dist/index.js: ${errMsg(e)}`;
    }
  }
  return kvApi;
}

/** A number field of an evaluator result. */
function num(o: unknown, name: string): number | undefined {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[name] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Analogy accuracy (restrict 30000) and WordSim-353 rho of a vector file, by seqlearn's KeyedVectors. */
async function evaluate(file: string, o: Options): Promise<EvalResult> {
  const api = evaluator();
  if (typeof api === 'string') return { error: api };
  try {
    const kv = await api.KeyedVectors.loadAsync(file);
    const res: EvalResult = { vocabSize: kv.size };
    if (fs.existsSync(o.questions)) {
      const a = (await kv.evaluateAnalogies(o.questions, { restrictVocab: 30000 })) as Record<string, unknown>;
      res.analogy = {
        accuracy: num(a, 'accuracy') ?? NaN,
        correct: num(a, 'correct') ?? NaN,
        seen: num(a, 'seen') ?? NaN,
        total: num(a, 'questions') ?? NaN,
        semantic: num(a.semantic, 'accuracy'),
        syntactic: num(a.syntactic, 'accuracy'),
      };
    }
    if (fs.existsSync(o.wordsim)) {
      const w = await kv.evaluateWordPairs(o.wordsim);
      res.wordsim = { spearman: num(w, 'spearman') ?? NaN, pearson: num(w, 'pearson'), oovRatio: num(w, 'oovRatio') };
    }
    return res;
  } catch (e) {
    return { error: errMsg(e) };
  }
}

/** Loads the run cache (runs.jsonl): key → the latest successful record. */
function loadCache(): Map<string, RunRecord> {
  const m = new Map<string, RunRecord>();
  if (!fs.existsSync(RUNS_FILE)) return m;
  for (const line of fs.readFileSync(RUNS_FILE, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      if (!r.error && r.wordsPerSecond !== undefined) m.set(r.key, r);
    } catch {
      // a torn last line of an interrupted run: ignore it
    }
  }
  return m;
}

/** How a peer's git checkout looks: HEAD commit (and whether it has local changes). */
function gitInfo(bin: string): string | null {
  const dir = path.dirname(bin);
  const r = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return `${r.stdout.trim().slice(0, 12)}${dirty.stdout.trim() ? ' + local changes' : ''}`;
}

/**
 * Whether word2vec.c beside the binary has upstream PR #39's fix: `eof = 0;` where a thread
 * starts its next epoch (TrainModelThread's `local_iter--` block). Without it, with -iter > 1 and
 * more than one thread, the thread that reaches the end of the file stops after its first epoch.
 */
function pr39Status(bin: string): string {
  const src = path.join(path.dirname(bin), 'word2vec.c');
  if (!fs.existsSync(src)) return 'unknown (no word2vec.c beside the binary)';
  const text = fs.readFileSync(src, 'utf8');
  const block = /local_iter--;[\s\S]{0,600}?continue;/.exec(text);
  if (!block) return 'unknown (word2vec.c not recognised)';
  return /\beof\s*=\s*0\s*;/.test(block[0]) ? 'yes (eof reset when a thread starts its next epoch)' : 'NO: multi-epoch runs with > 1 thread stop a thread early';
}

// ---------------------------------------------------------------- report helpers

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pctStr = (v?: number) => (v === undefined ? '' : `${(v * 100).toFixed(2)}%`);

/** Words/s bars (speed part) as a small SVG: one group per (architecture, threads), one bar per peer. */
export function speedSvg(groups: { label: string; bars: { peer: string; value: number }[] }[], title: string): string {
  const peers = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.peer)))];
  const colors = ['#7f7f7f', '#1f77b4', '#ff7f0e', '#2ca02c', '#98df8a', '#d62728'];
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const barW = 22;
  const gap = 28;
  const left = 60;
  const top = 40;
  const h = 220;
  const groupW = peers.length * barW + gap;
  const width = left + groups.length * groupW + 150;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + h + 50}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${left}" y="20" font-size="13">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    const y = top + h - (h * k) / 4;
    parts.push(`<line x1="${left - 4}" x2="${left + groups.length * groupW}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${esc(fmtTok(v))}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    for (const b of g.bars) {
      const pi = peers.indexOf(b.peer);
      const bh = (h * b.value) / max;
      parts.push(`<rect x="${x0 + pi * barW}" y="${top + h - bh}" width="${barW - 3}" height="${bh}" fill="${colors[pi % colors.length]}"><title>${esc(`${b.peer}: ${fmtTok(b.value)} words/s`)}</title></rect>`);
    }
    parts.push(`<text x="${x0 + (peers.length * barW) / 2}" y="${top + h + 16}" text-anchor="middle">${esc(g.label)}</text>`);
  });
  peers.forEach((p, pi) => {
    const y = top + 10 + pi * 16;
    const x = left + groups.length * groupW + 10;
    parts.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colors[pi % colors.length]}"/><text x="${x + 14}" y="${y}">${esc(p)}</text>`);
  });
  parts.push(`<text x="${left}" y="${top + h + 38}" fill="#555">in-vocabulary words x epochs / training seconds</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

// ---------------------------------------------------------------- main

/** Runs the benchmark (see the header of this file). */
export async function run(argv: string[]) {
  const o = parseArgs(argv);
  if (!fs.existsSync(o.corpus)) {
    console.log(`word2vec: skipped: corpus ${o.corpus} not found (--corpus PATH)`);
    return { skipped: 'no corpus' };
  }
  const skipped: Partial<Record<Peer, string>> = {};
  if (o.peers.includes('c') && (!o.word2vec || !fs.existsSync(o.word2vec))) {
    skipped.c = o.word2vec ? `${o.word2vec} not found` : 'no --word2vec PATH (build the C tool by hand; see bench/README.md)';
  }
  if (o.peers.includes('pword2vec') && (!o.pword2vec || !fs.existsSync(o.pword2vec))) {
    skipped.pword2vec = o.pword2vec ? `${o.pword2vec} not found` : 'no --pword2vec PATH';
  }
  let gensimPython = o.gensimPython;
  if (o.peers.includes('gensim') && !gensimPython) {
    const r = spawnSync('bash', [path.join(PEERS, 'setup_venv_gensim.sh')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status === 0) gensimPython = path.join(process.env.SEQLEARN_GENSIM_VENV ?? path.join(BENCH_DIR, '.cache', 'venv-gensim'), 'bin', 'python');
    else skipped.gensim = 'bench/peers/setup_venv_gensim.sh failed';
  }
  if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('python3 is needed to time the peers (bench/peers/measure.py)');
  for (const [p, why] of Object.entries(skipped)) console.log(`word2vec: ${PEER_LABEL[p as Peer]} skipped: ${why}`);
  const peers = o.peers.filter((p) => !skipped[p]);
  if (o.evaluate) {
    const api = evaluator();
    if (typeof api === 'string') console.log(`word2vec: vectors not evaluated: ${api}`);
    for (const f of [o.questions, o.wordsim]) if (!fs.existsSync(f)) console.log(`word2vec: ${f} not found: that evaluation is skipped`);
  }

  // the run list
  const specs: RunSpec[] = [];
  const pushSpec = (peer: Peer, part: RunSpec['part'], config: TrainConfig, seed: number) => {
    if (peer === 'pword2vec' && config.arch !== 'sg') return; // skip-gram only
    specs.push({ peer, part, config, seed });
  };
  if (o.parts.includes('speed')) {
    for (const arch of o.archs) for (const threads of o.threads) for (const peer of peers) {
      for (let r = 1; r <= o.speedReps; r++) pushSpec(peer, 'speed', { ...BASE_CONFIGS[arch], iter: 1, threads }, r);
    }
  }
  if (o.parts.includes('quality')) {
    for (const arch of o.archs) for (const peer of peers) for (let s = 1; s <= o.seeds; s++) {
      pushSpec(peer, 'quality', { ...BASE_CONFIGS[arch], iter: o.qualityIter, threads: o.qualityThreads }, s);
    }
  }
  if (peers.includes('pword2vec') && o.archs.includes('cbow')) console.log('word2vec: pWord2Vec has no CBOW: skipped there');

  if (!specs.length) {
    console.log('word2vec: nothing to run (every selected peer was skipped)');
    return { skipped: 'no runs' };
  }
  const cache = o.reuse ? loadCache() : new Map<string, RunRecord>();
  const busyWarnings: string[] = [];
  const records: RunRecord[] = [];
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const corpusSize = fs.statSync(o.corpus).size;
  log(`word2vec: ${specs.length} runs on ${o.corpus} (${(corpusSize / 1e6).toFixed(1)} MB)${o.reuse ? `, ${cache.size} cached runs available` : ''}`);

  for (const [i, spec] of specs.entries()) {
    const c = spec.config;
    const tag = `[${i + 1}/${specs.length}] ${PEER_LABEL[spec.peer]} ${ARCH_LABEL[c.arch]} -iter ${c.iter} -threads ${c.threads} ${spec.peer === 'c' || spec.peer === 'pword2vec' ? `run ${spec.seed}` : `seed ${spec.seed}`}`;
    const out = path.join(OUT_DIR, `${spec.peer}-${c.arch}-i${c.iter}-t${c.threads}-s${spec.seed}.bin`);
    const { argv: cmd, env } = commandOf(spec, o, out, gensimPython);
    const key = keyOf(spec, cmd, env, out, binaryId(spec.peer, o, gensimPython), o.corpus);
    const cached = cache.get(key);
    const evalMissing = (r: RunRecord) => o.evaluate && (!r.eval || r.eval.error !== undefined);
    if (cached && evalMissing(cached) && fs.existsSync(out)) {
      // kept vectors of a run evaluated without success (e.g. before dist/ was built): evaluate now
      cached.eval = await evaluate(out, o);
      if (!cached.eval.error) fs.appendFileSync(RUNS_FILE, JSON.stringify(cached) + '\n');
      if (!o.keep) fs.rmSync(out, { force: true });
    }
    if (cached && !evalMissing(cached)) {
      log(`${tag}: cached (${fmtTok(cached.wordsPerSecond)} words/s)`);
      records.push({ ...cached, part: spec.part });
      continue;
    }
    if (cached) log(`${tag}: cached run has no evaluation and its vectors are gone: running it again`);
    const rec: RunRecord = {
      key, peer: spec.peer, part: spec.part, config: c, seed: spec.seed, seeded: spec.peer !== 'c' && spec.peer !== 'pword2vec',
      argv: cmd, env, date: new Date().toISOString(),
    };
    try {
      const { guarded } = makeGuard({ waitIdle: o.waitIdle, retries: 0, busy: busyFor(c.threads) }, tag, busyWarnings);
      const { value: r, others } = await guarded('training', () => runMeasured(cmd, env, o.timeoutMin * 60e3, false));
      rec.othersCpu = pct3(others);
      rec.wallSeconds = r.wall;
      rec.maxRssMB = r.maxRssKB / 1024;
      rec.cpuSeconds = r.cpu;
      if (r.code !== 0) throw new Error(`exited with ${r.code}: ${r.stdout.trim().split(/[\r\n]/).slice(-3).join(' | ').slice(0, 300)}`);
      if (spec.peer === 'c' || spec.peer === 'pword2vec') {
        const p = parseCProgress(r.lines, r.wall, c.iter);
        if (p.wordsPerEpoch === undefined || p.trainSeconds === undefined) throw new Error('could not read "Words in train file" / progress lines from its output');
        Object.assign(rec, { vocabSize: p.vocabSize, wordsPerEpoch: p.wordsPerEpoch, trainSeconds: p.trainSeconds, trainHow: p.trainHow, progressReached: p.progressReached, reported: p.reported });
        rec.wordsTrained = p.wordsPerEpoch * c.iter;
        if (p.progressReached !== undefined && p.progressReached < 95) {
          log(`${tag}: WARNING its progress stopped at ${p.progressReached.toFixed(1)}%${spec.peer === 'c' && c.iter > 1 && c.threads > 1 ? ' (a C binary without the PR #39 fix?)' : ''}`);
        }
      } else {
        const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
        if (!line) throw new Error('printed no JSON result');
        const j = JSON.parse(line) as Record<string, unknown>;
        if (spec.peer === 'gensim') {
          rec.vocabSize = j.vocabSize as number;
          rec.wordsPerEpoch = j.inVocabWordsPerEpoch as number;
          rec.wordsTrained = rec.wordsPerEpoch * c.iter;
          rec.trainSeconds = j.trainSeconds as number;
          rec.trainHow = 'its train() call';
          rec.reported = {
            gensim: String(j.gensim), numpy: String(j.numpy), fastVersion: j.fastVersion as number, buildVocabSeconds: j.buildVocabSeconds as number,
            effectiveWordsPerSec: (j.trainedEffectiveWords as number) / (j.trainSeconds as number), rawWordsPerSec: (j.trainedRawWords as number) / (j.trainSeconds as number),
          };
        } else {
          const stats = j.stats as { words: number; seconds: number; threads: number; method: string };
          rec.vocabSize = j.vocabSize as number;
          rec.wordsPerEpoch = j.trainWords as number;
          rec.wordsTrained = stats.words;
          rec.trainSeconds = stats.seconds;
          rec.trainHow = 'the trainer\'s stats (training phase only)';
          rec.reported = { seqlearn: String(j.seqlearn), method: stats.method, threads: stats.threads, totalSeconds: j.totalSeconds as number };
        }
      }
      rec.wordsPerSecond = rec.wordsTrained! / rec.trainSeconds!;
      log(`${tag}: ${fmtTok(rec.wordsPerSecond)} words/s, train ${rec.trainSeconds!.toFixed(1)} s, wall ${r.wall.toFixed(1)} s, peak RSS ${rec.maxRssMB.toFixed(0)} MB`);
      if (o.evaluate && fs.existsSync(out)) {
        rec.eval = await evaluate(out, o);
        if (rec.eval.error) log(`${tag}: evaluation failed: ${rec.eval.error}`);
        else log(`${tag}: analogy ${pctStr(rec.eval.analogy?.accuracy)} (${rec.eval.analogy?.seen} seen), WS353 rho ${rec.eval.wordsim?.spearman.toFixed(3) ?? '-'}`);
      }
    } catch (e) {
      rec.error = errMsg(e);
      log(`${tag}: failed: ${rec.error}`);
    } finally {
      if (!o.keep) fs.rmSync(out, { force: true });
    }
    fs.appendFileSync(RUNS_FILE, JSON.stringify(rec) + '\n');
    records.push(rec);
    if (!rec.error) cache.set(key, rec); // the same run asked twice in one invocation runs once
  }

  return report(o, records, busyWarnings, skipped);
}

/** Prints the tables and writes the JSON (+ SVG). */
function report(o: Options, records: RunRecord[], busyWarnings: string[], skipped: Partial<Record<Peer, string>>) {
  const ok = records.filter((r) => !r.error && r.wordsPerSecond !== undefined);
  const versions: Record<string, string> = { seqlearn: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version };
  const g = ok.find((r) => r.peer === 'gensim')?.reported;
  if (g) versions.gensim = `${g.gensim} (numpy ${g.numpy}, FAST_VERSION ${g.fastVersion})`;
  const peersInfo: Record<string, string> = {};
  if (o.word2vec && !skipped.c && o.peers.includes('c')) {
    const git = gitInfo(o.word2vec);
    peersInfo.c = `${o.word2vec}${git ? ` (git ${git})` : ''}; PR #39 fix in word2vec.c: ${pr39Status(o.word2vec)}${o.word2vecNote ? `; built: ${o.word2vecNote}` : ''}`;
  }
  if (o.pword2vec && !skipped.pword2vec && o.peers.includes('pword2vec')) {
    const git = gitInfo(o.pword2vec);
    peersInfo.pword2vec = `${o.pword2vec}${git ? ` (git ${git})` : ''}; OPENBLAS_NUM_THREADS=1, -batch-size 2*window+1`;
  }

  console.log(`\nword2vec benchmark — corpus ${o.corpus} (${(fs.statSync(o.corpus).size / 1e6).toFixed(1)} MB), ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cpus), node ${process.version}, ` +
    Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', '));
  for (const [p, s] of Object.entries(peersInfo)) console.log(`  ${PEER_LABEL[p as Peer]}: ${s}`);
  for (const [p, s] of Object.entries(skipped)) console.log(`  ${PEER_LABEL[p as Peer]}: skipped (${s})`);
  console.log('words/s = in-vocabulary words per epoch (C convention, each peer\'s count) x epochs / training seconds. Training seconds: ' +
    'C tool and pWord2Vec from the rate between their first and last progress lines; gensim its train() call; seqlearn the trainer\'s stats. ' +
    'wall = the whole process (vocabulary, corpus, training, saving); peak RSS of the process (measure.py, wait4). ' +
    'Analogy: questions-words.txt, 30000 most frequent words, case-insensitive, 3CosAdd; WS353: Spearman rho; both by seqlearn\'s KeyedVectors on every peer\'s .bin.');

  const byPeer = (rs: RunRecord[], p: Peer) => rs.filter((r) => r.peer === p);
  const speedRows: Record<string, unknown>[] = [];
  const svgGroups: { label: string; bars: { peer: string; value: number }[] }[] = [];
  const targets: { what: string; ok: boolean; detail: string }[] = [];

  // speed tables
  const speed = ok.filter((r) => r.part === 'speed');
  for (const arch of o.archs) {
    for (const threads of o.threads) {
      const rs = speed.filter((r) => r.config.arch === arch && r.config.threads === threads);
      if (!rs.length) continue;
      const c = { ...BASE_CONFIGS[arch], iter: 1, threads };
      const agg = (p: Peer) => {
        const xs = byPeer(rs, p);
        if (!xs.length) return null;
        const m = (f: (r: RunRecord) => number | undefined) => {
          const v = xs.map(f).filter((x): x is number => x !== undefined);
          return v.length ? medianOf(v) : undefined;
        };
        return {
          runs: xs.length, wps: m((r) => r.wordsPerSecond)!, train: m((r) => r.trainSeconds), wall: m((r) => r.wallSeconds), rss: m((r) => r.maxRssMB),
          acc: m((r) => r.eval?.analogy?.accuracy), seen: m((r) => r.eval?.analogy?.seen), rho: m((r) => r.eval?.wordsim?.spearman),
        };
      };
      const cRow = agg('c');
      const pRow = agg('pword2vec');
      const body: string[][] = [];
      const group = { label: `${ARCH_LABEL[arch]} ${threads}t`, bars: [] as { peer: string; value: number }[] };
      for (const p of PEER_NAMES) {
        const a = agg(p);
        if (!a) continue;
        group.bars.push({ peer: PEER_LABEL[p], value: a.wps });
        const row = {
          arch, threads, peer: p, ...a,
          vsC: cRow ? a.wps / cRow.wps : undefined, vsPword2vec: pRow ? a.wps / pRow.wps : undefined, rssVsC: cRow?.rss && a.rss ? a.rss / cRow.rss : undefined,
        };
        speedRows.push(row);
        body.push([
          PEER_LABEL[p], a.train?.toFixed(1) ?? '', fmtTok(a.wps), row.vsC !== undefined ? `${fmtRatio(row.vsC)}x` : '', row.vsPword2vec !== undefined ? `${fmtRatio(row.vsPword2vec)}x` : '',
          a.wall?.toFixed(1) ?? '', a.rss?.toFixed(0) ?? '', row.rssVsC !== undefined ? `${fmtRatio(row.rssVsC)}x` : '', pctStr(a.acc), a.seen?.toFixed(0) ?? '', a.rho?.toFixed(3) ?? '',
        ]);
        if (p === 'seqlearn' && row.vsC !== undefined) targets.push({ what: `${ARCH_LABEL[arch]} ${threads}t: seqlearn >= 3x the C tool`, ok: row.vsC >= 3, detail: `${fmtRatio(row.vsC)}x` });
        if (p === 'seqlearn' && row.vsPword2vec !== undefined) targets.push({ what: `${ARCH_LABEL[arch]} ${threads}t: seqlearn >= 1.1x pWord2Vec`, ok: row.vsPword2vec >= 1.1, detail: `${fmtRatio(row.vsPword2vec)}x` });
        if (p === 'seqlearn-hogwild' && row.vsC !== undefined) targets.push({ what: `${ARCH_LABEL[arch]} ${threads}t: seqlearn hogwild >= 1x the C tool`, ok: row.vsC >= 1, detail: `${fmtRatio(row.vsC)}x` });
        if (p.startsWith('seqlearn') && row.rssVsC !== undefined) targets.push({ what: `${ARCH_LABEL[arch]} ${threads}t: ${PEER_LABEL[p]} peak RSS <= 1.5x the C tool`, ok: row.rssVsC <= 1.5, detail: `${fmtRatio(row.rssVsC)}x` });
      }
      svgGroups.push(group);
      console.log(`\n${ARCH_LABEL[arch]} ${configText(c)}, ${threads} thread(s)${o.speedReps > 1 ? `, median of ${o.speedReps} runs` : ''}:\n`);
      for (const l of textTable(['peer', 'train s', 'words/s', 'x C', 'x pW2V', 'wall s', 'RSS MB', 'RSS/C', 'analogy', 'seen', 'WS353'], body, 1)) console.log(l);
    }
  }

  // quality tables
  const qualityRows: Record<string, unknown>[] = [];
  const quality = ok.filter((r) => r.part === 'quality');
  for (const arch of o.archs) {
    const rs = quality.filter((r) => r.config.arch === arch);
    if (!rs.length) continue;
    const c = { ...BASE_CONFIGS[arch], iter: o.qualityIter, threads: o.qualityThreads };
    const accOf = (p: Peer) => byPeer(rs, p).map((r) => r.eval?.analogy?.accuracy).filter((x): x is number => x !== undefined);
    const cAcc = accOf('c');
    const body: string[][] = [];
    for (const p of PEER_NAMES) {
      const xs = byPeer(rs, p);
      if (!xs.length) continue;
      const acc = accOf(p);
      const rho = xs.map((r) => r.eval?.wordsim?.spearman).filter((x): x is number => x !== undefined);
      const wps = xs.map((r) => r.wordsPerSecond!);
      const seen = xs.map((r) => r.eval?.analogy?.seen).filter((x): x is number => x !== undefined);
      const dC = acc.length && cAcc.length ? (mean(acc) - mean(cAcc)) * 100 : undefined;
      const reached = xs.map((r) => r.progressReached).filter((x): x is number => x !== undefined);
      qualityRows.push({ arch, peer: p, runs: xs.length, seeds: xs.map((r) => r.seed), seeded: xs[0].seeded, accuracy: acc, spearman: rho, wordsPerSecond: wps, deltaVsCPoints: dC });
      body.push([
        PEER_LABEL[p], `${xs.length}${xs[0].seeded ? ' seeds' : ' reps'}`, acc.length ? `${(mean(acc) * 100).toFixed(2)} ± ${(sd(acc) * 100).toFixed(2)}` : '',
        dC !== undefined ? `${dC >= 0 ? '+' : ''}${dC.toFixed(2)}` : '', rho.length ? `${mean(rho).toFixed(3)} ± ${sd(rho).toFixed(3)}` : '',
        seen.length ? String(Math.round(mean(seen))) : '', fmtTok(mean(wps)), reached.length ? `${Math.min(...reached).toFixed(1)}%` : '',
      ]);
      if (p.startsWith('seqlearn') && dC !== undefined) targets.push({ what: `${ARCH_LABEL[arch]} -iter ${o.qualityIter}: ${PEER_LABEL[p]} analogy >= C tool - 1.0 point`, ok: dC >= -1, detail: `${dC >= 0 ? '+' : ''}${dC.toFixed(2)} points` });
    }
    console.log(`\nquality: ${ARCH_LABEL[arch]} ${configText(c)}, ${o.qualityThreads} threads — ` +
      `mean ± sd over runs (gensim and seqlearn: seeds 1..${o.seeds}; the C tool and pWord2Vec have no seed flag: repeated runs):\n`);
    for (const l of textTable(['peer', 'runs', 'analogy % (30k)', 'Δ vs C', 'WS353 rho', 'seen', 'words/s', 'progress'], body, 2)) console.log(l);
    console.log('progress: the lowest last progress the C tool / pWord2Vec printed; they print every 10000 words per thread, so 99-100% is a complete run. ' +
      'Far below with -iter > 1: a thread stopped early (the C tool without the PR #39 fix).');
  }

  if (targets.length) {
    console.log('\ntargets of the issue:');
    for (const t of targets) console.log(`  ${t.ok ? '✓' : '✗'} ${t.what}: ${t.detail}`);
  }
  const failed = records.filter((r) => r.error);
  for (const r of failed) console.log(`failed: ${PEER_LABEL[r.peer]} ${ARCH_LABEL[r.config.arch]} -iter ${r.config.iter} -threads ${r.config.threads} #${r.seed}: ${r.error}`);
  if (busyWarnings.length) console.log(`\nWARNING: other processes were using the CPU during some runs (${busyWarnings.join('; ')}); re-run those on an idle machine.`);

  console.log('\ncommand lines (each under bench/peers/measure.py):');
  const shown = new Set<string>();
  for (const r of records) {
    const k = `${r.peer}/${r.config.arch}`;
    if (shown.has(k)) continue;
    shown.add(k);
    console.log(`  ${Object.entries(r.env).map(([a, b]) => `${a}=${b} `).join('')}${r.argv.map((x) => (/[\s"']/.test(x) ? JSON.stringify(x) : x)).join(' ')}`);
  }

  const date = new Date().toISOString().slice(0, 10);
  const outPath = o.out === null ? null : path.resolve(o.out ?? path.join(BENCH_DIR, 'results', `word2vec-${date}.json`));
  const result = {
    bench: 'word2vec', date: new Date().toISOString(), machine: machine(), versions, peers: peersInfo, skipped,
    corpus: { path: o.corpus, bytes: fs.statSync(o.corpus).size }, options: { ...o, out: undefined }, speed: speedRows, quality: qualityRows, targets, runs: records, busyWarnings,
  };
  if (outPath) {
    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    fs.writeFileSync(outPath, JSON.stringify(result, null, 1) + '\n');
    console.log(`\nresults: ${path.relative(process.cwd(), outPath)}`);
    if (svgGroups.length) {
      const svgPath = outPath.replace(/\.json$/, '') + '.svg';
      fs.writeFileSync(svgPath, speedSvg(svgGroups, `word2vec training speed, -iter 1 (${os.cpus()[0]?.model ?? '?'})`));
      console.log(`chart:   ${path.relative(process.cwd(), svgPath)}`);
    }
  }
  return result;
}

if (isMainModule(path.join(BENCH_DIR, 'word2vec.ts'))) {
  run(process.argv.slice(2)).catch((e) => {
    console.error(`[bench] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
