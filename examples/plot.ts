/** A minimal dependency-free SVG line chart for the examples, and an atomic file write. */
import { writeFileAtomicSync } from '../ts/io/atomic';

/** One line of a chart. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];

/** Renders series as an SVG line chart (600×320) with axes, ticks and a legend. */
export function lineChartSvg(opts: { title: string; series: Series[]; logY?: boolean; shadeFrom?: number }): string {
  const W = 640;
  const H = 340;
  const m = { l: 60, r: 20, t: 40, b: 40 };
  const all = opts.series.flatMap((s) => s.points);
  const fy = (v: number): number => (opts.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => fy(p[1]))), Math.max(...all.map((p) => fy(p[1])))];
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - ((fy(y) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">${opts.title}</text>`);
  if (opts.shadeFrom !== undefined) parts.push(`<rect x="${sx(opts.shadeFrom)}" y="${m.t}" width="${W - m.r - sx(opts.shadeFrom)}" height="${H - m.t - m.b}" fill="#eee"/>`);
  parts.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`);
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5;
    const yv = y0 + ((y1 - y0) * i) / 5;
    const yLabel = opts.logY ? (10 ** yv).toPrecision(2) : yv.toPrecision(3);
    parts.push(`<text x="${sx(xv)}" y="${H - m.b + 15}" text-anchor="middle">${Number(xv.toPrecision(4))}</text>`);
    const py = H - m.b - (i / 5) * (H - m.t - m.b);
    parts.push(`<text x="${m.l - 5}" y="${py + 4}" text-anchor="end">${yLabel}</text><line x1="${m.l}" y1="${py}" x2="${W - m.r}" y2="${py}" stroke="#ddd"/>`);
  }
  opts.series.forEach((s, k) => {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.5"/>`);
    parts.push(`<rect x="${m.l + 10}" y="${m.t + 6 + 16 * k}" width="12" height="3" fill="${COLORS[k % COLORS.length]}"/><text x="${m.l + 26}" y="${m.t + 11 + 16 * k}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes a text file atomically (unique temporary sibling, fsync, rename): `writeFileAtomicSync` of the library. */
export function writeFileAtomic(path: string, text: string): void {
  writeFileAtomicSync(path, text);
}
