/**
 * Training progress on the terminal: a one-line bar redrawn in place when the stream is a
 * TTY (epoch, batch, loss, tokens/s, ETA), plain lines at epoch ends (and every 10 s within
 * long epochs) otherwise, so logs stay readable in CI and files.
 */

/** What a progress report carries (also what `onProgress` receives). */
export interface FitProgress {
  /** 1-based epoch. */
  epoch: number;
  /** Total epochs of this `fit`. */
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Mean training loss so far in this epoch. */
  loss: number;
  /** Items (tokens, sequences or windows) processed per second in this epoch. */
  itemsPerSecond: number;
  /** What an item is: `'tokens'`, `'sequences'` or `'windows'`. */
  itemName: string;
  /** Seconds since this epoch began. */
  elapsed: number;
  /** Estimated seconds left in this epoch. */
  eta: number;
  /** Current learning rate. */
  lr: number;
}

/** Where a progress bar writes (`process.stdout` by default). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `'auto'`: a bar on a TTY, lines otherwise; `'none'`: silent. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function fmtRate(r: number): string {
  if (!Number.isFinite(r)) return '-';
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(r >= 100 ? 0 : 1);
}

/** Draws `FitProgress` reports. */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly mode: 'bar' | 'lines' | 'none';
  private lastLineAt = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(mode: ProgressMode = 'auto', stream: ProgressStream = process.stdout) {
    this.stream = stream;
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  }

  /** Reports progress within an epoch (redraws at most ~10 times a second). */
  update(p: FitProgress): void {
    if (this.mode === 'none') return;
    const stats = `loss ${p.loss.toFixed(4)} · ${fmtRate(p.itemsPerSecond)} ${p.itemName}/s · ETA ${fmtTime(p.eta)}`;
    if (this.mode === 'bar') {
      const now = Date.now();
      if (now - this.lastDraw < 100 && p.batch < p.batches) return;
      this.lastDraw = now;
      const head = `epoch ${p.epoch}/${p.epochs} `;
      const count = ` ${p.batch}/${p.batches} `;
      const cols = Math.max(40, this.stream.columns ?? 100);
      const width = Math.max(10, Math.min(40, cols - head.length - count.length - stats.length - 4));
      const filled = Math.round((p.batch / Math.max(1, p.batches)) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.stream.write(`\r\x1b[2K${head}${bar}${count}${stats}`);
      this.drawn = true;
    } else {
      // Plain lines: one every 10 s of an epoch at most (short epochs print only their summary).
      if (p.elapsed - this.lastLineAt >= 10 && p.batch < p.batches) {
        this.lastLineAt = p.elapsed;
        const pct = Math.floor((p.batch / Math.max(1, p.batches)) * 100);
        this.stream.write(`epoch ${p.epoch}/${p.epochs} ${String(pct).padStart(3)}% batch ${p.batch}/${p.batches} ${stats}\n`);
      }
    }
  }

  /** Ends an epoch with a summary line (metrics such as `valLoss`). */
  endEpoch(epoch: number, epochs: number, metrics: Record<string, number | undefined>, seconds: number): void {
    if (this.mode === 'none') return;
    const parts = Object.entries(metrics)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([k, v]) => `${k} ${Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4)}`);
    if (this.mode === 'bar' && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`epoch ${epoch}/${epochs} done in ${fmtTime(seconds)} · ${parts.join(' · ')}\n`);
    this.lastLineAt = 0;
    this.drawn = false;
  }

  /** A free-form line (keeps the bar intact). */
  log(line: string): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar' && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    this.drawn = false;
  }
}
