/**
 * `seqlearn word2vec`: trains word vectors with the word2vec C tool's flags and defaults
 * (`-train corpus.txt -output vectors.bin -cbow 0 -size 200 ...`), plus seqlearn's own options
 * (`-seed`, `-method`, `-batch-size`, `-deterministic`, `-max-vocab`, `-cbow-mean`, `-stream`,
 * `-full-softmax`). Progress on stderr; `-classes K` writes k-means word classes instead of
 * vectors, as the C tool does. Nothing is written when training fails or is interrupted.
 */
import { writeFileAtomic } from '../io/atomic';
import { CorpusVocab } from '../embeddings/vocab';
import { trainWord2Vec, type Word2VecOptions, type Word2VecProgress } from '../embeddings/word2vec';
import type { KeyedVectors } from '../embeddings/keyed-vectors';
import { FlagReader, UsageError, checkInputFile, flagHelp, parseArgs, type FlagSpec } from './args';
import { TrainingProgressBar, formatRate } from './progress';
import type { CliIo } from './io';

const TRAIN = 'Parameters for training';
const EXTRA = 'seqlearn options (not in the C tool)';

/** The flags of `seqlearn word2vec`: the C tool's, in its order, then seqlearn's. */
export const WORD2VEC_FLAGS: readonly FlagSpec[] = [
  { name: '-train', kind: 'file', metavar: '<file>', section: TRAIN, help: 'Use text data from <file> to train the model' },
  { name: '-output', kind: 'path', metavar: '<file>', section: TRAIN, help: 'Use <file> to save the resulting word vectors / word clusters' },
  { name: '-size', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '100', help: 'Set size of word vectors' },
  { name: '-window', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '5', help: 'Set max skip length between words' },
  {
    name: '-sample', kind: 'number', metavar: '<float>', section: TRAIN, defaultText: '1e-3',
    help: 'Set threshold for occurrence of words. Those that appear with higher frequency in the training data\nwill be randomly down-sampled; useful range is (0, 1e-5); 0 = off',
  },
  { name: '-hs', kind: 'bool01', metavar: '<int>', section: TRAIN, defaultText: '0 (not used)', help: 'Use Hierarchical Softmax' },
  { name: '-negative', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '5', help: 'Number of negative examples; common values are 3 - 10 (0 = not used)' },
  { name: '-threads', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '12', help: 'Use <int> threads: the corpus is cut into <int> shards, trained in parallel on seqlearn\'s\nthread pool (at most its size at once: the number of CPUs, or SEQLEARN_NUM_THREADS)' },
  { name: '-iter', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '5', help: 'Run more training iterations' },
  { name: '-min-count', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '5', help: 'This will discard words that appear less than <int> times' },
  { name: '-alpha', kind: 'number', metavar: '<float>', section: TRAIN, defaultText: '0.025 for skip-gram and 0.05 for CBOW', help: 'Set the starting learning rate' },
  { name: '-classes', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '0 (vectors are written)', help: 'Output word classes rather than word vectors (k-means on the vectors)' },
  { name: '-debug', kind: 'int', metavar: '<int>', section: TRAIN, defaultText: '2 (progress bar)', help: 'Set the debug mode: 0 = silent, 1 = summary lines, 2 = progress bar too' },
  { name: '-binary', kind: 'bool01', metavar: '<int>', section: TRAIN, defaultText: '0 (off)', help: 'Save the resulting vectors in binary mode' },
  { name: '-save-vocab', kind: 'path', metavar: '<file>', section: TRAIN, help: 'The vocabulary will be saved to <file>' },
  { name: '-read-vocab', kind: 'file', metavar: '<file>', section: TRAIN, help: 'The vocabulary will be read from <file>, not constructed from the training data' },
  { name: '-cbow', kind: 'bool01', metavar: '<int>', section: TRAIN, defaultText: '1 (use 0 for skip-gram model)', help: 'Use the continuous bag of words model' },
  { name: '-seed', kind: 'int', metavar: '<int>', section: EXTRA, defaultText: '1', help: 'Seed of the initial vectors and of every thread\'s generator' },
  {
    name: '-method', kind: 'choice', metavar: 'auto|hogwild|batched', section: EXTRA, choices: ['auto', 'hogwild', 'batched'], defaultText: 'auto',
    help: 'hogwild = the C tool\'s per-pair updates; batched = pWord2Vec\'s shared-negative mini-batch updates\n(negative sampling only); auto = batched for skip-gram with negative sampling alone, else hogwild',
  },
  { name: '-batch-size', kind: 'int', metavar: '<int>', section: EXTRA, defaultText: '2*window+1 (skip-gram), 4 (CBOW)', help: 'Skip-gram: context rows per batched update (pWord2Vec\'s -batch-size); CBOW: center words sharing one noise set' },
  { name: '-deterministic', kind: 'bool01', metavar: '<int>', section: EXTRA, defaultText: '0', help: '1 = the same vectors for the same seed and -threads (trains on one worker)' },
  { name: '-max-vocab', kind: 'int', metavar: '<int>', section: EXTRA, defaultText: 'no limit', help: 'Keep at most the <int> most frequent words' },
  { name: '-cbow-mean', kind: 'bool01', metavar: '<int>', section: EXTRA, defaultText: '1', help: 'CBOW: 1 = average the context vectors (the C tool), 0 = sum them' },
  { name: '-stream', kind: 'bool01', metavar: '<int>', section: EXTRA, defaultText: '0', help: '1 = read the corpus file again every epoch instead of holding it in memory (huge corpora)' },
  { name: '-full-softmax', kind: 'bool01', metavar: '<int>', section: EXTRA, defaultText: '0', help: '1 = full softmax over the vocabulary (small vocabularies; needs -negative 0 -hs 0)' },
];

/** `seqlearn word2vec --help`. */
export function word2vecHelp(): string {
  return [
    'seqlearn word2vec: word vectors (skip-gram or CBOW), flag-compatible with the word2vec C tool',
    '',
    'Usage: seqlearn word2vec -train <file> -output <file> [options]',
    '',
    'Options:',
    flagHelp(WORD2VEC_FLAGS).replace(/^\n/, ''),
    '',
    'Without -output only the vocabulary is built (and saved with -save-vocab), as in the C tool.',
    'Progress goes to stderr; Ctrl-C stops training without writing the output.',
    '',
    'Examples:',
    'seqlearn word2vec -train data.txt -output vec.txt -size 200 -window 5 -sample 1e-4 -negative 5 -hs 0 -binary 0 -cbow 1 -iter 3',
    'seqlearn word2vec -train wiki8 -output vectors.bin -cbow 0 -size 200 -window 5 -negative 5 -hs 0 -sample 1e-4 -threads 2 -iter 1 -binary 1',
    '',
  ].join('\n');
}

/** The settings of one `seqlearn word2vec` run, after validation. */
export interface Word2VecCommand {
  train?: string;
  output?: string;
  binary: boolean;
  classes: number;
  debug: number;
  saveVocab?: string;
  readVocab?: string;
  /** What `trainWord2Vec` receives (without `vocab`, `onProgress`, `signal`). */
  options: Word2VecOptions;
}

/** Parses and validates the flags; throws `UsageError` naming the first bad flag. */
export function parseWord2VecArgs(argv: readonly string[]): Word2VecCommand | 'help' {
  const parsed = parseArgs(argv, WORD2VEC_FLAGS);
  if (parsed.help || argv.length === 0) return 'help';
  if (parsed.positional.length) throw new UsageError(`unexpected argument "${parsed.positional[0]}" (flags take the form -name value; see --help)`);
  const f = new FlagReader(parsed);
  const size = f.int('-size', 100, 1, 1 << 16);
  const window = f.int('-window', 5, 1, 999);
  const sample = f.number('-sample', 1e-3, 0);
  const hs = f.bool01('-hs', false);
  const negative = f.int('-negative', 5, 0, 1000);
  const threads = f.int('-threads', 12, 1, 1024);
  const iter = f.int('-iter', 5, 1, 1_000_000);
  const minCount = f.int('-min-count', 5, 0);
  const cbow = f.bool01('-cbow', true);
  const alpha = f.optNumber('-alpha', 0, true);
  const classes = f.int('-classes', 0, 0, 1_000_000);
  const debug = f.int('-debug', 2, 0);
  const binary = f.bool01('-binary', false);
  const seed = f.int('-seed', 1, 0);
  const method = f.choice('-method', ['auto', 'hogwild', 'batched'] as const, 'auto');
  const batchSize = f.optInt('-batch-size', 1, 4000);
  const deterministic = f.bool01('-deterministic', false);
  const maxVocab = f.optInt('-max-vocab', 1, 0xffffffff);
  const cbowMean = f.bool01('-cbow-mean', true);
  const stream = f.bool01('-stream', false);
  const fullSoftmax = f.bool01('-full-softmax', false);
  const output = f.outputFile('-output');
  const saveVocab = f.outputFile('-save-vocab');
  const readVocab = f.inputFile('-read-vocab');
  // The C tool needs -train unless it only re-saves a vocabulary read with -read-vocab.
  const trainRaw = f.string('-train');
  if (trainRaw === undefined && (output !== undefined || readVocab === undefined)) throw new UsageError('-train <file> is required');
  const train = trainRaw === undefined ? undefined : checkInputFile(trainRaw, '-train');
  if (fullSoftmax && (hs || negative > 0)) throw new UsageError(`-full-softmax 1 replaces -hs and -negative: give -hs 0 -negative 0 (got -hs ${hs ? 1 : 0} -negative ${negative})`);
  if (!fullSoftmax && !hs && negative === 0) throw new UsageError('-negative 0 with -hs 0: nothing would be trained; use -negative > 0, -hs 1 or -full-softmax 1');
  if (method === 'batched' && (hs || negative === 0 || fullSoftmax)) throw new UsageError('-method batched needs negative sampling alone (-negative > 0, -hs 0); use -method hogwild or auto');
  if (stream && train === undefined) throw new UsageError('-stream 1 needs -train');
  for (const [flag, p] of [['-output', output], ['-save-vocab', saveVocab]] as const) {
    if (p !== undefined && (p === train || p === readVocab)) throw new UsageError(`${flag}: would overwrite the input file ${p}`);
  }
  const options: Word2VecOptions = {
    size, window, sample, hs, negative, cbow, cbowMean, iter, minCount, threads, seed, deterministic, fullSoftmax, method, stream,
    ...(alpha !== undefined ? { alpha } : {}),
    ...(maxVocab !== undefined ? { maxVocab } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
  };
  return { train, output, binary, classes, debug, saveVocab, readVocab, options };
}

/** What a `seqlearn word2vec` run did (the bench reads it). */
export interface Word2VecRunSummary {
  /** Vocabulary entries (`</s>` included). */
  vocabSize: number;
  /** In-vocabulary words of the corpus per epoch, as the C tool counts them. */
  trainWords: number;
  /** Training statistics from the trainer (absent when only the vocabulary was built). */
  stats?: { words: number; seconds: number; wordsPerSecond: number; threads: number; method: string };
  /** Seconds to count (or read) the vocabulary, when it was built before training (`-save-vocab`, `-read-vocab`, no `-output`). */
  vocabSeconds?: number;
  /** Seconds of the whole command (vocabulary, training, writing). */
  totalSeconds: number;
  /** The file written (vectors or classes), if any. */
  output?: string;
}

/** Runs `seqlearn word2vec` with `argv` (flags only); returns `null` after printing the help. */
export async function runWord2Vec(argv: readonly string[], io: CliIo): Promise<Word2VecRunSummary | null> {
  const cmd = parseWord2VecArgs(argv);
  if (cmd === 'help') {
    io.stdout.write(word2vecHelp());
    return null;
  }
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  const info = (line: string) => {
    if (cmd.debug < 1) return;
    bar.clear();
    io.stderr.write(`${line}\n`);
  };
  const bar = new TrainingProgressBar(io.stderr, { mode: cmd.debug >= 2 ? 'auto' : 'none', label: 'word2vec' });
  const onProgress = (p: Word2VecProgress) => bar.update(p);
  try {
    if (cmd.train) info(`Starting training using file ${cmd.train}`);
    // The vocabulary is built up front when it is saved before training (as the C tool does)
    // or when it is all this run does; otherwise trainWord2Vec builds it as its first phase.
    let vocab: CorpusVocab | undefined;
    if (cmd.readVocab) {
      vocab = CorpusVocab.load(cmd.readVocab, { minCount: cmd.options.minCount, maxVocab: cmd.options.maxVocab });
    } else if (cmd.saveVocab || !cmd.output) {
      vocab = await CorpusVocab.build(cmd.train!, {
        minCount: cmd.options.minCount, maxVocab: cmd.options.maxVocab, signal: io.signal,
        onProgress: (p) => bar.update({ phase: 'vocab', fraction: p.fraction, epoch: 0, epochs: cmd.options.iter ?? 5, alpha: 0, wordsPerSecondPerThread: 0, elapsedSeconds: secs(), etaSeconds: NaN }),
      });
    }
    const vocabSeconds = secs();
    if (vocab) {
      bar.clear();
      info(`Vocab size: ${vocab.size}`);
      info(`Words in train file: ${vocab.trainWords}`);
      if (cmd.saveVocab) {
        vocab.save(cmd.saveVocab);
        info(`Vocabulary saved to ${cmd.saveVocab}`);
      }
    }
    if (!cmd.output) {
      if (!cmd.saveVocab) info('no -output given: only the vocabulary was built');
      return { vocabSize: vocab!.size, trainWords: vocab!.trainWords, vocabSeconds, totalSeconds: secs() };
    }
    const result = await trainWord2Vec(cmd.train!, { ...cmd.options, ...(vocab ? { vocab } : {}), onProgress, signal: io.signal });
    bar.clear();
    const { stats } = result;
    if (!vocab) {
      info(`Vocab size: ${result.vocab.size}`);
      info(`Words in train file: ${result.vocab.trainWords}`);
    }
    info(`Trained ${stats.words} words in ${stats.seconds.toFixed(2)} s: ${formatRate(stats.wordsPerSecond)} words/s ` +
      `(${formatRate(stats.wordsPerSecond / Math.max(1, stats.threads))} words/s/thread, ${stats.threads} threads, ${stats.method})`);
    if (cmd.classes > 0) {
      const lines = await wordClasses(result.vectors, cmd.classes);
      await writeFileAtomic(cmd.output, lines);
      info(`${cmd.classes} word classes written to ${cmd.output}`);
    } else {
      await result.vectors.saveAsync(cmd.output, { binary: cmd.binary });
      info(`${result.vectors.size} vectors of ${result.vectors.dim} written to ${cmd.output} (${cmd.binary ? 'binary' : 'text'})`);
    }
    return {
      vocabSize: result.vocab.size,
      trainWords: result.vocab.trainWords,
      stats: { words: stats.words, seconds: stats.seconds, wordsPerSecond: stats.wordsPerSecond, threads: stats.threads, method: stats.method },
      ...(vocab ? { vocabSeconds } : {}),
      totalSeconds: secs(),
      output: cmd.output,
    };
  } finally {
    bar.clear();
  }
}

/** The C tool's `-classes` output: `word class` per line, in vocabulary order (k-means as the C tool, 10 rounds). */
async function wordClasses(vectors: KeyedVectors, k: number): Promise<string> {
  if (k > vectors.size) throw new UsageError(`-classes: expected at most the vocabulary size (${vectors.size}), got ${k}`);
  const labels = await vectors.kmeansClasses(k);
  const words = vectors.words;
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) out.push(`${words[i]} ${labels[i]}\n`);
  return out.join('');
}
