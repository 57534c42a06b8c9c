/**
 * `npx seqlearn <command> [args]`: dispatches to the subcommands (word2vec, analogies, similar,
 * pairs, plot), turns user mistakes into one clear line on stderr and a non-zero exit code
 * (2: bad command line, 1: the run failed, 130: interrupted), and turns Ctrl-C into an abort of
 * the running job (a second Ctrl-C quits at once).
 */
import { SeqlearnError } from '../errors';
import { UsageError } from './args';
import type { CliIo } from './io';
import { runWord2Vec, word2vecHelp } from './word2vec';
import { runAnalogies, analogiesHelp } from './analogies';
import { runSimilar, similarHelp } from './similar';
import { runPairs, pairsHelp } from './pairs';
import { runPlot, plotHelp } from './plot';

interface Command {
  summary: string;
  run: (argv: readonly string[], io: CliIo) => Promise<unknown>;
  help: () => string;
}

const COMMANDS: Record<string, Command> = {
  word2vec: { summary: 'train word vectors (flags of the word2vec C tool)', run: runWord2Vec, help: word2vecHelp },
  analogies: { summary: 'analogy accuracy on questions-words.txt (like compute-accuracy)', run: runAnalogies, help: analogiesHelp },
  similar: { summary: 'nearest neighbours of a word or of a+b-c', run: runSimilar, help: similarHelp },
  pairs: { summary: 'Spearman correlation with human similarity ratings (WordSim-353)', run: runPairs, help: pairsHelp },
  plot: { summary: 'PCA / t-SNE scatter plot of words as SVG', run: runPlot, help: plotHelp },
};

/** `seqlearn --help`. */
export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'seqlearn: sequence learning for Node.js; command-line tools for word embeddings',
    '',
    'Usage: seqlearn <command> [options]     (seqlearn <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`),
    '',
    'Vector files are read in the word2vec text or binary format (detected automatically).',
    '',
  ].join('\n');
}

/** True for an error that means "the job was aborted". */
function isAbort(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof Error && e.name === 'AbortError');
}

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], streams?: Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  const stdout = streams?.stdout ?? process.stdout;
  const stderr = streams?.stderr ?? process.stderr;
  // `seqlearn similar ... | head`: a closed pipe ends the command quietly, not with a stack trace.
  if (!streams) process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    if (name === 'help' && rest[0] && COMMANDS[rest[0]]) stdout.write(COMMANDS[rest[0]].help());
    else stdout.write(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    // dist/cli/main.js → package.json two levels up
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    stderr.write(`seqlearn: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (seqlearn --help)\n`);
    return 2;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    stderr.write(`\nseqlearn ${name}: interrupting (Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    await command.run(rest, { stdout, stderr, signal: controller.signal });
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`seqlearn ${name}: ${e.message}\nRun 'seqlearn ${name} --help' for the options.\n`);
      return 2;
    }
    if (isAbort(e, controller.signal)) {
      stderr.write(`seqlearn ${name}: interrupted; nothing written\n`);
      return 130;
    }
    if (e instanceof SeqlearnError || isSystemError(e)) {
      stderr.write(`seqlearn ${name}: ${(e as Error).message}\n`);
      return 1;
    }
    // A bug rather than a user error: keep the stack for the report.
    const detail = e instanceof Error ? (process.env.SEQLEARN_DEBUG ? e.stack ?? e.message : e.message) : String(e);
    stderr.write(`seqlearn ${name}: internal error: ${detail}\n${process.env.SEQLEARN_DEBUG ? '' : '(set SEQLEARN_DEBUG=1 for the stack trace)\n'}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** An operating-system error (ENOENT, EACCES, ...) from node:fs. */
function isSystemError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}
