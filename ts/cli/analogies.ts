/**
 * `seqlearn analogies vectors.bin questions-words.txt`: word-analogy accuracy ("a is to b as c is
 * to ?") per section and in total, printed like the C tool's compute-accuracy (TOP1 accuracy per
 * section, running total / semantic / syntactic accuracy, questions seen / total).
 */
import { FlagReader, UsageError, checkInputFile, flagHelp, parseArgs, type FlagSpec } from './args';
import type { CliIo } from './io';
import { loadVectors } from './vectors';

/** The flags of `seqlearn analogies`. */
export const ANALOGIES_FLAGS: readonly FlagSpec[] = [
  { name: '--restrict', kind: 'int', metavar: '<int>', defaultText: '30000', help: 'Use only the <int> most frequent words (compute-accuracy\'s threshold; 0 = all)' },
  { name: '--case-sensitive', kind: 'switch', help: 'Match words as written (default: case-insensitive, as compute-accuracy)' },
  { name: '--method', kind: 'choice', metavar: '3cosadd|3cosmul', choices: ['3cosadd', '3cosmul'], defaultText: '3cosadd', help: 'How the answer is ranked' },
  { name: '--limit', kind: 'int', metavar: '<int>', defaultText: 'all', help: 'Load only the first <int> vectors of the file' },
];

/** `seqlearn analogies --help`. */
export function analogiesHelp(): string {
  return [
    'seqlearn analogies: word-analogy accuracy (like the word2vec tool\'s compute-accuracy)',
    '',
    'Usage: seqlearn analogies <vectors> <questions-words.txt> [options]',
    '',
    'Options:',
    flagHelp(ANALOGIES_FLAGS),
    '',
    'Sections whose name starts with "gram" are syntactic, the others semantic. A question counts',
    'as seen when its four words are among the words used; the answer is the best word other',
    'than the three question words.',
    '',
  ].join('\n');
}

const pct = (a: number, b: number) => (b > 0 ? ((100 * a) / b).toFixed(2) : '-nan');

/** Runs `seqlearn analogies`. */
export async function runAnalogies(argv: readonly string[], io: CliIo): Promise<void> {
  const parsed = parseArgs(argv, ANALOGIES_FLAGS);
  if (parsed.help || argv.length === 0) {
    io.stdout.write(analogiesHelp());
    return;
  }
  const f = new FlagReader(parsed);
  const restrict = f.int('--restrict', 30000, 0);
  const caseSensitive = f.flag('--case-sensitive');
  const method = f.choice('--method', ['3cosadd', '3cosmul'] as const, '3cosadd');
  const limit = f.optInt('--limit', 1);
  const [file, questions, ...extra] = parsed.positional;
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (questions === undefined) throw new UsageError('the questions file is required (seqlearn analogies <vectors> <questions-words.txt>)');
  const qPath = checkInputFile(questions, 'questions file');
  const kv = await loadVectors(file, 'vectors file', limit);
  const r = await kv.evaluateAnalogies(qPath, { restrictVocab: restrict > 0 ? restrict : null, caseInsensitive: !caseSensitive, method });
  // Running totals, printed after each section as compute-accuracy does.
  let correct = 0;
  let seen = 0;
  let semC = 0;
  let semN = 0;
  let synC = 0;
  let synN = 0;
  for (const s of r.sections) {
    correct += s.correct;
    seen += s.seen;
    if (!s.semantic) {
      synC += s.correct;
      synN += s.seen;
    } else {
      semC += s.correct;
      semN += s.seen;
    }
    io.stdout.write(`${s.name}:\n`);
    io.stdout.write(`ACCURACY TOP1: ${pct(s.correct, s.seen)} %  (${s.correct} / ${s.seen})\n`);
    io.stdout.write(`Total accuracy: ${pct(correct, seen)} %   Semantic accuracy: ${pct(semC, semN)} %   Syntactic accuracy: ${pct(synC, synN)} % \n`);
  }
  io.stdout.write(`Questions seen / total: ${r.seen} ${r.questions}   ${pct(r.seen, r.questions)} % \n`);
  io.stdout.write(`Accuracy: ${pct(r.correct, r.seen)} %  (${r.correct} / ${r.seen}; ${method}, ${restrict > 0 ? `${restrict} most frequent words` : 'all words'}, ${caseSensitive ? 'case-sensitive' : 'case-insensitive'})\n`);
}
