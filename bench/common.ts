// Helpers shared by the bench drivers (recurrent.ts, lm.ts): paths, the
// machine-busy guard (--wait-idle, --retries), running a peer that prints a
// JSON line, the Python venv of the torch peers, and table formatting.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// works whether tsx runs this file as CommonJS (package without "type") or as an ES module
/** The bench/ directory. */
export const BENCH_DIR: string = typeof __dirname !== 'undefined'
  ? __dirname
  // @ts-ignore -- import.meta only exists when run as an ES module
  : path.dirname(fileURLToPath(import.meta.url));
/** The package root. */
export const ROOT = path.resolve(BENCH_DIR, '..');
/** bench/peers: the peer scripts. */
export const PEERS = path.join(BENCH_DIR, 'peers');

/** Median of a non-empty list. */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Number of CPUs (the default thread count). */
export const nproc = (): number => os.availableParallelism?.() ?? os.cpus().length;

/** Machine description for the JSON results. */
export function machine() {
  return { cpu: os.cpus()[0]?.model ?? '?', nproc: nproc(), platform: `${os.platform()}-${os.arch()}`, node: process.version };
}

/** --wait-idle waits for the other processes' CPU share to fall below this. */
export const IDLE = 0.08;
/** Above this share of the CPU used by others during a measurement, it is repeated / flagged. */
export const BUSY = 0.15;

/**
 * The `busy` threshold for a peer that uses `threads` of the machine's CPUs: others may use the
 * CPUs it leaves idle without disturbing it.
 */
export const busyFor = (threads: number) => BUSY + Math.max(0, 1 - threads / nproc());

/** Fraction of the machine's CPU time used (by other processes: we sleep meanwhile) over `ms`; null off Linux. */
export async function othersBusy(ms = 400): Promise<number | null> {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + (f[4] ?? 0) };
  };
  try {
    const a = read();
    await new Promise((r) => setTimeout(r, ms));
    const b = read();
    const dt = b.total - a.total;
    return dt > 0 ? 1 - (b.idle - a.idle) / dt : null;
  } catch {
    return null;
  }
}

/** CPU jiffies of the whole machine and of this process plus its waited-for children (spawnSync peers). */
export function cpuSnap(): { total: number; idle: number; ours: number } | null {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const st = fs.readFileSync('/proc/self/stat', 'utf8');
    const g = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number); // g[0] is field 3 (state)
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + (f[4] ?? 0), ours: g[11] + g[12] + g[13] + g[14] };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU that other processes used between two snapshots. */
export function othersShare(a: ReturnType<typeof cpuSnap>, b: ReturnType<typeof cpuSnap>): number | null {
  if (!a || !b) return null;
  const dt = b.total - a.total;
  if (dt <= 0) return null;
  const others = (b.total - b.idle) - (a.total - a.idle) - (b.ours - a.ours);
  return Math.max(0, others) / dt;
}

/** Progress line on stderr. */
export function log(msg: string) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** First line of an error's message, at most 200 characters. */
export function errMsg(e: unknown) {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}

/** Runs a peer to completion and parses the last line of its stdout that starts with "{". */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- peers' JSON is checked by the caller
export function runJson(cmd: string, args: string[], timeoutMs: number): any {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const tail = (r.stderr || '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`${path.basename(args[0] ?? cmd)} exited ${r.status ?? r.signal}: ${tail}`);
  }
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${path.basename(args[0] ?? cmd)} printed no JSON`);
  return JSON.parse(line);
}

/**
 * The python that runs the torch peers: `explicit` (--python) or SEQLEARN_BENCH_PYTHON if set,
 * else bench/.venv, created or checked by bench/peers/setup_venv.sh.
 */
export function ensurePython(explicit?: string): string {
  const chosen = explicit ?? process.env.SEQLEARN_BENCH_PYTHON;
  if (chosen) return chosen;
  const r = spawnSync('bash', [path.join(PEERS, 'setup_venv.sh')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('bench/peers/setup_venv.sh failed');
  return path.join(BENCH_DIR, '.venv', 'bin', 'python');
}

/** Options of the busy-machine guard. */
export interface GuardOptions {
  /** seconds to wait for the machine to be idle before a measurement (0: don't) */
  waitIdle: number;
  /** measure again up to this many times when others took over `busy` of the CPU meanwhile */
  retries: number;
  /** others' CPU share above which a measurement counts as disturbed (default BUSY) */
  busy?: number;
}

/**
 * The busy-machine guard of one measurement group (`tag` prefixes the log lines):
 * `settle()` waits (--wait-idle) for other processes to leave the CPU; `guarded(what, fn)`
 * settles, runs `fn` and runs it again (--retries) if other processes took the CPU meanwhile,
 * pushing a warning onto `busyWarnings` when they still did on the last try.
 */
export function makeGuard(o: GuardOptions, tag: string, busyWarnings: string[]) {
  const settle = async () => {
    if (o.waitIdle <= 0) return;
    const deadline = Date.now() + o.waitIdle * 1000;
    let b = await othersBusy();
    if (b !== null && b > IDLE) {
      log(`${tag}: waiting up to ${o.waitIdle} s for the machine to be idle (${(b * 100).toFixed(0)}% busy)`);
      while (b !== null && b > IDLE && Date.now() < deadline) b = await othersBusy(1000);
    }
  };
  const guarded = async <T>(what: string, fn: () => T | Promise<T>): Promise<{ value: T; others: number | null }> => {
    for (let attempt = 0; ; attempt++) {
      await settle();
      log(`${tag}: ${what}${attempt ? ` (retry ${attempt})` : ''}`);
      const a = cpuSnap();
      const value = await fn();
      const others = othersShare(a, cpuSnap());
      if (others === null || others <= (o.busy ?? BUSY)) return { value, others };
      const pct = `${(others * 100).toFixed(0)}%`;
      if (attempt >= o.retries) {
        log(`${tag}: WARNING other processes used ${pct} of the CPU during ${what}: figures unreliable`);
        busyWarnings.push(`${tag} ${what.split(' ')[0]}: ${pct}`);
        return { value, others };
      }
      log(`${tag}: other processes used ${pct} of the CPU during ${what}: measuring again`);
    }
  };
  return { settle, guarded };
}

/** Rounds a CPU share for the JSON results. */
export const pct3 = (x: number | null) => (x === null ? null : +x.toFixed(3));

/** Tokens/s as 1.23M / 45.6k / 789. */
export function fmtTok(v?: number) {
  if (v === undefined || !Number.isFinite(v)) return '';
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 1 : 2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v.toFixed(0);
}

/** A ratio with 2-3 significant digits. */
export function fmtRatio(v: number) {
  return v < 0.1 ? v.toPrecision(2) : v < 100 ? v.toFixed(2) : v.toFixed(0);
}

/** Aligned text table: the first `leftCols` columns left-aligned, the others right-aligned. */
export function textTable(head: string[], body: string[][], leftCols: number): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i < leftCols ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
}

/** The --help text: the leading `//` comment block of a driver file. */
export function usageOf(file: string): string {
  return fs.readFileSync(file, 'utf8')
    .split('\n').slice(0, 60).join('\n').split(/\n(?!\/\/)/)[0].split('\n').map((l) => l.slice(3)).join('\n');
}

/** True when `file` (a driver) is the script node was started with. */
export function isMainModule(file: string): boolean {
  try {
    return !!process.argv[1] && path.resolve(process.argv[1]) === file;
  } catch {
    return false;
  }
}
