/**
 * SVG scatter plots of word vectors projected to 2-D (PCA or t-SNE): one labelled point per
 * word, optional groups with colours and a legend, an optional title, no axes (the axes of a
 * projection carry no units). Both axes use the same scale, so distances in the picture are
 * proportional to distances in the projection. Text is escaped for XML, so any word is safe.
 */
import { writeFileAtomic } from '../io/atomic';
import { describe, InvalidArgumentError } from '../errors';
import type { KeyedVectors, ProjectOptions } from './keyed-vectors';

/** One point of a scatter plot. */
export interface ScatterPoint {
  /** Horizontal coordinate (any units; the plot is fitted to the data). */
  x: number;
  /** Vertical coordinate (up is positive). */
  y: number;
  /** Text drawn beside the point. */
  label: string;
  /** Group name: points of a group share a colour and a legend entry. */
  group?: string;
}

/** Options of `scatterSvg`. */
export interface ScatterOptions {
  /** Title drawn above the points. */
  title?: string;
  /** Width in pixels (default 800). */
  width?: number;
  /** Height in pixels (default 600). */
  height?: number;
  /** Colours by group name (any SVG colour: `#1f77b4`, `rgb(…)`, `teal`); others come from a 10-colour palette. */
  colors?: Readonly<Record<string, string>>;
  /** Point radius in pixels (default 3.5). */
  pointRadius?: number;
  /** Label font size in pixels (default 11). */
  fontSize?: number;
}

/** Options of `plotEmbeddings`: projection, picture, and where to write it. */
export interface PlotOptions extends ScatterOptions {
  /** `'pca'` (default) or `'tsne'`. */
  method?: 'pca' | 'tsne';
  /** Group of each word (same length as `words`). */
  groups?: readonly string[];
  /** Project unit vectors (default true). */
  normalize?: boolean;
  /** t-SNE perplexity. */
  perplexity?: number;
  /** t-SNE iterations (default 1000). */
  iterations?: number;
  /** t-SNE seed (default 0). */
  seed?: number;
  /** Write the SVG to this file (atomically). */
  path?: string;
}

/** Tableau 10: distinct, colour-blind-friendly hues. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Text for XML content and attributes: `& < > " '` escaped, characters XML forbids replaced by U+FFFD. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

function positive(arg: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${arg}: expected a positive number, got ${describe(v)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return v;
}

/** A colour value safe inside an attribute (no quotes or markup). */
function colorArg(group: string, c: unknown): string {
  if (typeof c !== 'string' || !/^[#a-zA-Z0-9(),.%\s-]+$/.test(c)) throw new InvalidArgumentError(`colors['${group}']: expected an SVG colour such as '#1f77b4' or 'teal', got ${describe(c)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return c;
}

/**
 * An SVG document of labelled points (see the module documentation). Coordinates must be
 * finite; the picture is fitted to their bounding box with equal scales on both axes.
 */
export function scatterSvg(points: readonly ScatterPoint[], options: ScatterOptions = {}): string {
  if (!Array.isArray(points)) throw new TypeError(`points: expected an array of { x, y, label }, got ${describe(points)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
  const width = positive('width', options.width, 800);
  const height = positive('height', options.height, 600);
  const r = positive('pointRadius', options.pointRadius, 3.5);
  const fontSize = positive('fontSize', options.fontSize, 11);
  if (options.title !== undefined && typeof options.title !== 'string') throw new TypeError(`title: expected a string, got ${describe(options.title)}`);
  points.forEach((p, i) => {
    if (p === null || typeof p !== 'object') throw new TypeError(`points[${i}]: expected { x, y, label }, got ${describe(p)}`);
    if (typeof p.x !== 'number' || !Number.isFinite(p.x) || typeof p.y !== 'number' || !Number.isFinite(p.y)) throw new InvalidArgumentError(`points[${i}]: expected finite x and y, got x = ${describe(p.x)}, y = ${describe(p.y)}`, 'ERR_SEQLEARN_INVALID_ARG');
    if (typeof p.label !== 'string') throw new TypeError(`points[${i}].label: expected a string, got ${describe(p.label)}`);
    if (p.group !== undefined && typeof p.group !== 'string') throw new TypeError(`points[${i}].group: expected a string, got ${describe(p.group)}`);
  });
  const groups: string[] = [];
  for (const p of points) if (p.group !== undefined && !groups.includes(p.group)) groups.push(p.group);
  const colorOf = new Map<string, string>();
  groups.forEach((g, i) => colorOf.set(g, options.colors?.[g] !== undefined ? colorArg(g, options.colors[g]) : PALETTE[i % PALETTE.length]));

  const title = options.title;
  const margin = 24;
  const top = margin + (title ? fontSize * 1.6 + 12 : 0);
  const legendWidth = groups.length ? Math.min(200, 24 + fontSize * 0.62 * Math.max(...groups.map((g) => g.length))) : 0;
  const right = margin + legendWidth;
  // Room for labels to the right of the rightmost point.
  const labelRoom = Math.min(120, fontSize * 0.62 * Math.max(0, ...points.map((p) => p.label.length)) + r + 4);
  const plotW = Math.max(1, width - margin - right - labelRoom);
  const plotH = Math.max(1, height - top - margin);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = points.length ? [Math.min(...xs), Math.max(...xs)] : [0, 0];
  const [y0, y1] = points.length ? [Math.min(...ys), Math.max(...ys)] : [0, 0];
  const spanX = x1 - x0;
  const spanY = y1 - y0;
  const scale = spanX === 0 && spanY === 0 ? 1 : Math.min(spanX > 0 ? plotW / spanX : Infinity, spanY > 0 ? plotH / spanY : Infinity);
  const cx = margin + plotW / 2;
  const cy = top + plotH / 2;
  const px = (x: number): number => cx + (x - (x0 + x1) / 2) * scale;
  const py = (y: number): number => cy - (y - (y0 + y1) / 2) * scale;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (title) out.push(`<text x="${num(width / 2)}" y="${num(margin + fontSize * 1.2)}" text-anchor="middle" font-size="${num(fontSize * 1.5)}" font-weight="600" fill="#222222">${escapeXml(title)}</text>`);
  out.push(`<g class="points" stroke="#ffffff" stroke-width="0.75">`);
  for (const p of points) {
    const fill = p.group !== undefined ? colorOf.get(p.group) : PALETTE[0];
    out.push(`<circle cx="${num(px(p.x))}" cy="${num(py(p.y))}" r="${num(r)}" fill="${fill}"/>`);
  }
  out.push(`</g>`);
  out.push(`<g class="labels" font-size="${num(fontSize)}" fill="#333333">`);
  for (const p of points) out.push(`<text x="${num(px(p.x) + r + 2)}" y="${num(py(p.y) - r / 2)}">${escapeXml(p.label)}</text>`);
  out.push(`</g>`);
  if (groups.length) {
    const lx = width - margin - legendWidth + 8;
    out.push(`<g class="legend" font-size="${num(fontSize)}" fill="#333333">`);
    groups.forEach((g, i) => {
      const y = top + i * (fontSize + 8);
      out.push(`<rect x="${num(lx)}" y="${num(y)}" width="${num(fontSize)}" height="${num(fontSize)}" fill="${colorOf.get(g)}"/>`);
      out.push(`<text x="${num(lx + fontSize + 6)}" y="${num(y + fontSize * 0.85)}">${escapeXml(g)}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}

function plotPoints(words: readonly string[], xy: Float32Array, groups: readonly string[] | undefined): ScatterPoint[] {
  return words.map((w, i) => ({ x: xy[2 * i], y: xy[2 * i + 1], label: w, ...(groups ? { group: groups[i] } : {}) }));
}

function checkPlotArgs(kv: KeyedVectors, words: readonly string[], options: PlotOptions): { project: ProjectOptions; groups: readonly string[] | undefined } {
  if (kv === null || typeof kv !== 'object' || typeof (kv as { project?: unknown }).project !== 'function') throw new TypeError(`kv: expected KeyedVectors, got ${describe(kv)}`);
  if (!Array.isArray(words)) throw new TypeError(`words: expected an array of words, got ${describe(words)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected an object, got ${describe(options)}`);
  const groups = options.groups;
  if (groups !== undefined) {
    if (!Array.isArray(groups)) throw new TypeError(`groups: expected an array of group names (one per word), got ${describe(groups)}`);
    if (groups.length !== words.length) throw new InvalidArgumentError(`groups: expected one group per word (${words.length}), got ${groups.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  const { method, normalize, perplexity, iterations, seed } = options;
  return { project: { method, normalize, perplexity, iterations, seed }, groups };
}

/**
 * Projects `words` of `kv` to 2-D (`method` 'pca' by default, or 'tsne') and draws them with
 * `scatterSvg`. Without `path` it returns the SVG (projection on the calling thread). With
 * `path` the projection runs on a worker thread and the SVG is written atomically (temporary
 * file, fsync, rename); the promise resolves to the SVG.
 */
export function plotEmbeddings(kv: KeyedVectors, words: readonly string[], options: PlotOptions & { path: string }): Promise<string>;
export function plotEmbeddings(kv: KeyedVectors, words: readonly string[], options?: PlotOptions & { path?: undefined }): string;
export function plotEmbeddings(kv: KeyedVectors, words: readonly string[], options: PlotOptions = {}): string | Promise<string> {
  const { project, groups } = checkPlotArgs(kv, words, options);
  const { title, width, height, colors, pointRadius, fontSize } = options;
  const scatter: ScatterOptions = { title, width, height, colors, pointRadius, fontSize };
  if (options.path === undefined) {
    const xy = kv.project(words, project);
    return scatterSvg(plotPoints(words, xy.data, groups), scatter);
  }
  const path = options.path;
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path: expected a non-empty file path, got ${describe(path)}`);
  return (async () => {
    const xy = await kv.projectAsync(words, project);
    const svg = scatterSvg(plotPoints(words, xy.data, groups), scatter);
    await writeFileAtomic(path, svg);
    return svg;
  })();
}
