/**
 * `seqlearn pairs vectors.bin wordsim353.tsv`: correlation of the vectors' cosine similarities
 * with human ratings (WordSim-353-style files: `word1<TAB>word2<TAB>score`, `#` comments).
 */
import { FlagReader, UsageError, checkInputFile, flagHelp, parseArgs, type FlagSpec } from './args';
import type { CliIo } from './io';
import { loadVectors } from './vectors';

/** The flags of `seqlearn pairs`. */
export const PAIRS_FLAGS: readonly FlagSpec[] = [
  { name: '--restrict', kind: 'int', metavar: '<int>', defaultText: '300000', help: 'Use only the <int> most frequent words (pairs with others count as out of vocabulary)' },
  { name: '--case-sensitive', kind: 'switch', help: 'Match words as written (default: case-insensitive)' },
  { name: '--limit', kind: 'int', metavar: '<int>', defaultText: 'all', help: 'Load only the first <int> vectors of the file' },
];

/** `seqlearn pairs --help`. */
export function pairsHelp(): string {
  return [
    'seqlearn pairs: Spearman (and Pearson) correlation with human word-similarity ratings',
    '',
    'Usage: seqlearn pairs <vectors> <pairs.tsv> [options]',
    '',
    'Options:',
    flagHelp(PAIRS_FLAGS),
    '',
    '<pairs.tsv>: "word1<TAB>word2<TAB>score" lines, "#" comments (WordSim-353, SimLex-999 format).',
    '',
  ].join('\n');
}

/** Runs `seqlearn pairs`. */
export async function runPairs(argv: readonly string[], io: CliIo): Promise<void> {
  const parsed = parseArgs(argv, PAIRS_FLAGS);
  if (parsed.help || argv.length === 0) {
    io.stdout.write(pairsHelp());
    return;
  }
  const f = new FlagReader(parsed);
  const restrict = f.int('--restrict', 300000, 1);
  const caseSensitive = f.flag('--case-sensitive');
  const limit = f.optInt('--limit', 1);
  const [file, pairsFile, ...extra] = parsed.positional;
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (pairsFile === undefined) throw new UsageError('the word-pairs file is required (seqlearn pairs <vectors> <pairs.tsv>)');
  const pairsPath = checkInputFile(pairsFile, 'word-pairs file');
  const kv = await loadVectors(file, 'vectors file', limit);
  const r = await kv.evaluateWordPairs(pairsPath, { restrictVocab: restrict, caseInsensitive: !caseSensitive });
  io.stdout.write(`Spearman rho: ${r.spearman.toFixed(4)}\n`);
  io.stdout.write(`Pearson r:    ${r.pearson.toFixed(4)}\n`);
  io.stdout.write(`Pairs used / total: ${r.pairs} ${r.pairs + r.oov}   (${(100 * r.oovRatio).toFixed(2)} % out of vocabulary)\n`);
}
