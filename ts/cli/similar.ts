/**
 * `seqlearn similar vectors.bin word` — nearest neighbours by cosine similarity — and the
 * analogy form `seqlearn similar vectors.bin king - man + woman` (or `--positive king,woman
 * --negative man`), 3CosAdd by default, 3CosMul with `--cosmul`.
 */
import { FlagReader, UsageError, flagHelp, parseArgs, type FlagSpec } from './args';
import type { CliIo } from './io';
import { loadVectors } from './vectors';

/** The flags of `seqlearn similar`. */
export const SIMILAR_FLAGS: readonly FlagSpec[] = [
  { name: '--topn', aliases: ['-n'], kind: 'int', metavar: '<int>', defaultText: '10', help: 'Number of neighbours to print' },
  { name: '--positive', kind: 'list', metavar: '<w1,w2,...>', help: 'Words added to the query (comma-separated)' },
  { name: '--negative', kind: 'list', metavar: '<w1,w2,...>', help: 'Words subtracted from the query (comma-separated)' },
  { name: '--cosmul', kind: 'switch', help: 'Rank with 3CosMul (Levy & Goldberg) instead of 3CosAdd' },
  { name: '--restrict', kind: 'int', metavar: '<int>', defaultText: 'all words', help: 'Search only the <int> most frequent words' },
  { name: '--limit', kind: 'int', metavar: '<int>', defaultText: 'all', help: 'Load only the first <int> vectors of the file' },
];

/** `seqlearn similar --help`. */
export function similarHelp(): string {
  return [
    'seqlearn similar: nearest neighbours of a word, or of a word analogy',
    '',
    'Usage: seqlearn similar <vectors> <word> [options]',
    '       seqlearn similar <vectors> king - man + woman',
    '       seqlearn similar <vectors> --positive king,woman --negative man',
    '',
    'Options:',
    flagHelp(SIMILAR_FLAGS),
    '',
    'The query words themselves are never listed. <vectors>: word2vec text or binary format.',
    '',
  ].join('\n');
}

/** Splits `a - b + c` (operators as separate arguments) into positive and negative words. */
export function parseExpression(tokens: readonly string[]): { positive: string[]; negative: string[] } {
  const positive: string[] = [];
  const negative: string[] = [];
  let sign = 1;
  let expectWord = true;
  for (const t of tokens) {
    if (t === '+' || t === '-') {
      if (expectWord && positive.length + negative.length > 0) throw new UsageError(`expected a word after "${sign > 0 ? '+' : '-'}", got "${t}"`);
      sign = t === '-' ? -1 : 1;
      expectWord = true;
      continue;
    }
    (sign > 0 ? positive : negative).push(t);
    sign = 1;
    expectWord = false;
  }
  if (expectWord && tokens.length) throw new UsageError(`the expression ends with an operator: "${tokens.join(' ')}"`);
  return { positive, negative };
}

/** Runs `seqlearn similar`. */
export async function runSimilar(argv: readonly string[], io: CliIo): Promise<void> {
  const parsed = parseArgs(argv, SIMILAR_FLAGS);
  if (parsed.help || argv.length === 0) {
    io.stdout.write(similarHelp());
    return;
  }
  const f = new FlagReader(parsed);
  const topN = f.int('--topn', 10, 1, 1_000_000);
  const restrict = f.optInt('--restrict', 1);
  const limit = f.optInt('--limit', 1);
  const cosmul = f.flag('--cosmul');
  const [file, ...words] = parsed.positional;
  const expr = parseExpression(words);
  const positive = [...expr.positive, ...f.list('--positive')];
  const negative = [...expr.negative, ...f.list('--negative')];
  if (!positive.length && !negative.length) throw new UsageError('give a word (or --positive / --negative words) to find neighbours of');
  if (!positive.length) throw new UsageError('give at least one positive word (a word without "-" before it, or --positive)');
  const kv = await loadVectors(file, 'vectors file', limit);
  const options = { positive, negative, topN, ...(restrict !== undefined ? { restrictVocab: restrict } : {}) };
  const found = cosmul ? kv.mostSimilarCosmul(options) : kv.mostSimilar(options);
  const query = [...positive.map((w, i) => (i ? `+ ${w}` : w)), ...negative.map((w) => `- ${w}`)].join(' ');
  const width = Math.max(12, ...found.map((n) => n.word.length));
  io.stdout.write(`${query}  (${cosmul ? '3CosMul' : 'cosine similarity'})\n`);
  io.stdout.write(`${'word'.padEnd(width)}  similarity\n${'-'.repeat(width)}  ----------\n`);
  for (const n of found) io.stdout.write(`${n.word.padEnd(width)}  ${n.similarity.toFixed(6).padStart(10)}\n`);
}
