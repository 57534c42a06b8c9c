/**
 * `seqlearn plot vectors.bin words… -o plot.svg`: a 2-D PCA or t-SNE projection of the given
 * words (or of the `--top N` most frequent ones) as an SVG scatter plot with labels.
 */
import { plotEmbeddings } from '../embeddings/plot';
import { FlagReader, UsageError, flagHelp, parseArgs, type FlagSpec } from './args';
import type { CliIo } from './io';
import { loadVectors } from './vectors';

/** The flags of `seqlearn plot`. */
export const PLOT_FLAGS: readonly FlagSpec[] = [
  { name: '--output', aliases: ['-o'], kind: 'path', metavar: '<file.svg>', help: 'Where the SVG goes (required)' },
  { name: '--method', kind: 'choice', metavar: 'pca|tsne', choices: ['pca', 'tsne'], defaultText: 'pca', help: 'Projection to 2-D' },
  { name: '--top', kind: 'int', metavar: '<int>', help: 'Plot the <int> most frequent words (besides </s>) instead of / as well as the listed ones' },
  { name: '--perplexity', kind: 'number', metavar: '<float>', defaultText: '30, or (words - 1) / 3 for few words', help: 't-SNE perplexity' },
  { name: '--seed', kind: 'int', metavar: '<int>', defaultText: '0', help: 't-SNE seed of the initial positions' },
  { name: '--title', kind: 'string', metavar: '<text>', help: 'Title above the plot' },
  { name: '--limit', kind: 'int', metavar: '<int>', defaultText: 'all', help: 'Load only the first <int> vectors of the file' },
];

/** `seqlearn plot --help`. */
export function plotHelp(): string {
  return [
    'seqlearn plot: PCA / t-SNE scatter plot of word vectors as SVG',
    '',
    'Usage: seqlearn plot <vectors> <word>... -o plot.svg [options]',
    '       seqlearn plot <vectors> --top 200 --method tsne -o plot.svg',
    '',
    'Options:',
    flagHelp(PLOT_FLAGS),
    '',
  ].join('\n');
}

/** Runs `seqlearn plot`. */
export async function runPlot(argv: readonly string[], io: CliIo): Promise<void> {
  const parsed = parseArgs(argv, PLOT_FLAGS);
  if (parsed.help || argv.length === 0) {
    io.stdout.write(plotHelp());
    return;
  }
  const f = new FlagReader(parsed);
  const output = f.outputFile('--output');
  if (output === undefined) throw new UsageError('--output <file.svg> (or -o) is required');
  const method = f.choice('--method', ['pca', 'tsne'] as const, 'pca');
  const top = f.optInt('--top', 1);
  const perplexity = f.optNumber('--perplexity', 0, true);
  const seed = f.int('--seed', 0, 0);
  const title = f.string('--title');
  const limit = f.optInt('--limit', 1);
  const [file, ...listed] = parsed.positional;
  if (!listed.length && top === undefined) throw new UsageError('give the words to plot, or --top N');
  const kv = await loadVectors(file, 'vectors file', limit);
  const words = [...listed];
  if (top !== undefined) {
    for (const w of kv.words) {
      if (words.length >= listed.length + top) break;
      if (w !== '</s>' && !words.includes(w)) words.push(w);
    }
  }
  const missing = words.filter((w) => !kv.has(w));
  if (missing.length) throw new UsageError(`not in the vocabulary: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''}`);
  if (words.length < 2) throw new UsageError(`need at least 2 words to plot, got ${words.length}`);
  await plotEmbeddings(kv, words, { method, seed, path: output, ...(perplexity !== undefined ? { perplexity } : {}), ...(title !== undefined ? { title } : {}) });
  io.stderr.write(`${words.length} words (${method === 'tsne' ? 't-SNE' : 'PCA'}) written to ${output}\n`);
}
