/**
 * The CLI's progress display for embedding training (word2vec now, GloVe next): on a TTY one
 * line redrawn in place — phase, bar, percent, epoch, alpha, words/s/thread, ETA — at most ten
 * times a second; otherwise (a pipe, a log file, CI) a plain line every few seconds so that logs
 * stay readable. Writes to stderr by default; stdout stays free for results.
 */
import type { ProgressStream } from '../models/progress';

/** What the bar shows: the fields of `Word2VecProgress` it reads (any trainer's report with these fits). */
export interface TrainingProgressView {
  /** `'vocab'`, `'reading'`, `'training'` or `'done'`. */
  phase: string;
  /** 0..1 over the whole job. */
  fraction: number;
  /** 1-based epoch being trained (0 before training). */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** Current learning rate. */
  alpha: number;
  /** Training words per second per thread (the C tool's figure, but over wall time). */
  wordsPerSecondPerThread: number;
  /** Seconds since the job started. */
  elapsedSeconds: number;
  /** Estimated seconds left (non-finite when unknown). */
  etaSeconds: number;
}

/** Options of {@link TrainingProgressBar}. */
export interface TrainingProgressBarOptions {
  /** `'auto'` (bar on a TTY, lines otherwise), `'bar'`, `'lines'` or `'none'`. Default `'auto'`. */
  mode?: 'auto' | 'bar' | 'lines' | 'none';
  /** Seconds between plain lines. Default 5. */
  lineInterval?: number;
  /** Prefix of plain lines, e.g. `word2vec`. Default `''`. */
  label?: string;
}

/** Seconds as mm:ss or h:mm:ss (`--:--` when unknown). */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${m}:${sec}` : `${m}:${sec}`;
}

/** A rate as 1.23M / 45.6k / 789. */
export function formatRate(r: number): string {
  if (!Number.isFinite(r) || r < 0) return '-';
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(r >= 99_950 ? 0 : 1)}k`;
  return r.toFixed(0);
}

const PHASE_NAMES: Record<string, string> = { vocab: 'vocab', reading: 'reading', training: 'training', done: 'done' };

/** Draws training progress reports on a stream (see the file comment). */
export class TrainingProgressBar {
  private readonly stream: ProgressStream;
  private readonly mode: 'bar' | 'lines' | 'none';
  private readonly lineInterval: number;
  private readonly label: string;
  private lastDraw = 0;
  private lastLine = -Infinity;
  private lastPhase = '';
  private drawn = false;

  constructor(stream: ProgressStream = process.stderr, options: TrainingProgressBarOptions = {}) {
    this.stream = stream;
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
    this.lineInterval = options.lineInterval ?? 5;
    this.label = options.label ? `[${options.label}] ` : '';
  }

  /** The text of one report, e.g. `training  42.1%  epoch 1/5  alpha 0.014532  125.3k words/s/thread  ETA 01:23`. */
  static describe(p: TrainingProgressView): string {
    const [phase, rest] = TrainingProgressBar.parts(p);
    return `${phase} ${rest}`;
  }

  /** The phase name (padded) and the figures after it. */
  private static parts(p: TrainingProgressView): [string, string] {
    const pct = `${(Math.min(1, Math.max(0, p.fraction)) * 100).toFixed(1).padStart(5)}%`;
    const phase = (PHASE_NAMES[p.phase] ?? p.phase).padEnd(8);
    if (p.phase !== 'training') return [phase, `${pct}  elapsed ${formatDuration(p.elapsedSeconds)}`];
    return [phase, `${pct}  epoch ${p.epoch}/${p.epochs}  alpha ${p.alpha.toFixed(6)}  ` +
      `${p.wordsPerSecondPerThread > 0 ? formatRate(p.wordsPerSecondPerThread) : '-'} words/s/thread  ETA ${formatDuration(p.etaSeconds)}`];
  }

  /** Reports progress (throttled: ~10 redraws a second on a TTY, a line every `lineInterval` s otherwise). */
  update(p: TrainingProgressView): void {
    if (this.mode === 'none') return;
    const now = Date.now();
    if (this.mode === 'bar') {
      if (now - this.lastDraw < 100 && p.phase === this.lastPhase) return;
      this.lastDraw = now;
      this.lastPhase = p.phase;
      const [phase, rest] = TrainingProgressBar.parts(p);
      const cols = Math.max(40, this.stream.columns ?? 100);
      const width = Math.max(10, Math.min(30, cols - phase.length - rest.length - 3));
      const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.stream.write(`\r\x1b[2K${phase} ${bar} ${rest}`);
      this.drawn = true;
    } else {
      const phaseChanged = p.phase !== this.lastPhase;
      if (!phaseChanged && (now - this.lastLine) / 1000 < this.lineInterval) return;
      this.lastLine = now;
      this.lastPhase = p.phase;
      this.stream.write(`${this.label}${TrainingProgressBar.describe(p)}\n`);
    }
  }

  /** Prints a line without breaking the bar (clears it first). */
  log(line: string): void {
    if (this.mode === 'none') return;
    this.clear();
    this.stream.write(`${line}\n`);
  }

  /** Removes the bar from the terminal (call before exiting or printing results). */
  clear(): void {
    if (this.mode === 'bar' && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
