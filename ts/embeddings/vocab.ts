/**
 * `CorpusVocab`: the vocabulary word2vec and GloVe train on, counted in Rust from a file (streamed,
 * bounded memory) or a string, off the JavaScript thread. Tokenisation is the C word2vec tool's:
 * words are separated by spaces, tabs and newlines, `\r` is ignored, each newline is the
 * sentence-end token `</s>` (always id 0), words longer than 98 bytes are cut. Then words by
 * decreasing count (ties: first occurrence first), `minCount` and `maxVocab` applied. Files use
 * the C tool's `-save-vocab` format (`word count` per line).
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { AbortError } from '../models/model';

/**
 * A corpus: a file path (read streamed, never loaded whole), `{ text }` (tokens separated by
 * spaces/tabs, sentences by newlines) or `{ sentences }` (pre-tokenised; tokens must not contain
 * whitespace).
 */
export type CorpusInput = string | { text: string } | { sentences: string[][] };

/** Progress of a vocabulary count. */
export interface VocabProgress {
  /** `'vocab'` while counting, `'done'` at the end. */
  phase: 'vocab' | 'done';
  /** Bytes of the corpus read so far. */
  bytesDone: number;
  /** Bytes of the corpus (0 when unknown). */
  bytesTotal: number;
  /** `bytesDone / bytesTotal` in 0..1 (1 when done). */
  fraction: number;
  /** Seconds since the count started. */
  elapsedSeconds: number;
}

/** Options of `CorpusVocab.load`. */
export interface CorpusVocabLoadOptions {
  /** Drop words seen fewer times (default 0 for `load`: keep every saved word; the C tool's `-min-count`). */
  minCount?: number;
  /** Keep at most this many entries, `</s>` included, the most frequent ones (default: all). */
  maxVocab?: number;
}

/** Options of `CorpusVocab.build`. */
export interface CorpusVocabBuildOptions {
  /** Drop words seen fewer times (default 5, the C tool's `-min-count`); `</s>` is always kept. */
  minCount?: number;
  /** Keep at most this many entries, `</s>` included, the most frequent ones (default: no limit). */
  maxVocab?: number;
  /** Called every `progressIntervalMs` while counting, and once at the end. */
  onProgress?: (p: VocabProgress) => void;
  /** Interval of `onProgress` calls in milliseconds (default 200). */
  progressIntervalMs?: number;
  /** Aborts the count: `build` rejects with an `AbortError`. */
  signal?: AbortSignal;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * @internal Turns a `CorpusInput` into the native `{ path } | { text }` (sentences joined with
 * ' ' and '\n'). `arg` names the argument in errors.
 */
export function corpusSource(input: CorpusInput, arg = 'corpus'): native.CorpusSource {
  if (typeof input === 'string') {
    if (input.length === 0) throw new InvalidArgumentError(`${arg}: expected a file path, got an empty string`, 'ERR_SEQLEARN_INVALID_ARG');
    return { path: input };
  }
  if (!isPlainObject(input)) {
    throw new TypeError(`${arg}: expected a file path, { text } or { sentences }, got ${describe(input)}`);
  }
  const hasText = 'text' in input;
  const hasSentences = 'sentences' in input;
  if (hasText === hasSentences) {
    throw new TypeError(`${arg}: expected exactly one of { text } or { sentences }, got ${describe(input)}`);
  }
  if (hasText) {
    const text = (input as { text: unknown }).text;
    if (typeof text !== 'string') throw new TypeError(`${arg}.text: expected a string, got ${describe(text)}`);
    return { text };
  }
  const sentences = (input as { sentences: unknown }).sentences;
  if (!Array.isArray(sentences)) throw new TypeError(`${arg}.sentences: expected an array of token arrays, got ${describe(sentences)}`);
  const lines: string[] = new Array<string>(sentences.length);
  for (let i = 0; i < sentences.length; i++) {
    const s: unknown = sentences[i];
    if (!Array.isArray(s)) throw new TypeError(`${arg}.sentences[${i}]: expected an array of strings, got ${describe(s)}`);
    for (let j = 0; j < s.length; j++) {
      const t: unknown = s[j];
      if (typeof t !== 'string') throw new TypeError(`${arg}.sentences[${i}][${j}]: expected a string, got ${describe(t)}`);
      if (t.length === 0 || /[\s]/.test(t)) {
        throw new InvalidArgumentError(
          `${arg}.sentences[${i}][${j}]: expected a non-empty token without whitespace, got ${JSON.stringify(t)}`,
          'ERR_SEQLEARN_INVALID_ARG',
        );
      }
    }
    lines[i] = (s as string[]).join(' ');
  }
  return { text: lines.length === 0 ? '' : lines.join('\n') + '\n' };
}

/** Checks `minCount`/`maxVocab` types (ranges are checked natively, also naming the option). */
function countOptions(options: CorpusVocabLoadOptions | undefined, defaultMinCount: number | undefined): native.VocabBuildOptions {
  if (options === undefined) return { minCount: defaultMinCount };
  if (!isPlainObject(options as unknown)) throw new TypeError(`options: expected an object, got ${describe(options)}`);
  const { minCount, maxVocab } = options;
  if (minCount !== undefined && typeof minCount !== 'number') throw new TypeError(`minCount: expected a number, got ${describe(minCount)}`);
  if (maxVocab !== undefined && typeof maxVocab !== 'number') throw new TypeError(`maxVocab: expected a number, got ${describe(maxVocab)}`);
  return { minCount: minCount ?? defaultMinCount, maxVocab };
}

/** @internal Options of `runJob`. */
export interface JobOptions<P> {
  /** Called with `poll()` every `intervalMs` and once after success. */
  onProgress?: (p: P) => void;
  /** Polling interval in milliseconds (default 200). */
  intervalMs?: number;
  /** Aborts the job through `abort()`; the promise then rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** What the job is, for the `AbortError` message (e.g. `'the vocabulary count'`). */
  what: string;
}

/** @internal Validates the `onProgress`, `progressIntervalMs` and `signal` options shared by long jobs. */
export function checkJobOptions(options: { onProgress?: unknown; progressIntervalMs?: unknown; signal?: unknown }): void {
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress: expected a function, got ${describe(options.onProgress)}`);
  }
  const ms = options.progressIntervalMs;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)) {
    throw new InvalidArgumentError(`progressIntervalMs: expected a positive number of milliseconds, got ${describe(ms)}`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`signal: expected an AbortSignal, got ${describe(options.signal)}`);
  }
}

/**
 * @internal Runs a native job that advances a progress record: polls it on a timer for `onProgress`,
 * forwards an `AbortSignal` to `abort()`, and turns the rejection of an aborted job into an
 * `AbortError`. Shared by the vocabulary count and the trainers.
 */
export async function runJob<T, P>(start: () => Promise<T>, poll: () => P, abort: () => void, options: JobOptions<P>): Promise<T> {
  const { onProgress, signal, what } = options;
  if (signal?.aborted) throw new AbortError(`${what} was aborted before it started`);
  const onAbort = (): void => abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = onProgress === undefined ? undefined : setInterval(() => onProgress(poll()), options.intervalMs ?? 200);
  try {
    const result = await awaitNative(start);
    onProgress?.(poll());
    return result;
  } catch (e) {
    if (signal?.aborted) throw new AbortError(`${what} was aborted`);
    throw e;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A word2vec/GloVe vocabulary: `</s>` at id 0, then words by decreasing count. */
export class CorpusVocab {
  /** @internal The native vocabulary (shared with the trainers). */
  readonly native: native.CorpusVocab;
  private wordList: readonly string[] | undefined;
  private countList: readonly number[] | undefined;

  /** @internal Wraps a native vocabulary. */
  constructor(n: native.CorpusVocab) {
    if (!(n instanceof native.CorpusVocab)) {
      throw new TypeError(`CorpusVocab: use CorpusVocab.build or CorpusVocab.load, got ${describe(n)}`);
    }
    this.native = n;
  }

  /** Counts the words of a corpus on a worker thread. */
  static async build(corpus: CorpusInput, options: CorpusVocabBuildOptions = {}): Promise<CorpusVocab> {
    const source = corpusSource(corpus);
    const counts = countOptions(options, undefined);
    checkJobOptions(options);
    const textBytes = source.text === undefined ? 0 : Buffer.byteLength(source.text);
    const handle = new native.JobHandle();
    const started = performance.now();
    const poll = (): VocabProgress => {
      const p = handle.progress();
      const done = p.phase === 'done';
      const bytesTotal = p.total > 0 ? p.total : textBytes;
      const bytesDone = done ? bytesTotal : p.done;
      return {
        phase: done ? 'done' : 'vocab',
        bytesDone,
        bytesTotal,
        fraction: done ? 1 : bytesTotal > 0 ? Math.min(1, bytesDone / bytesTotal) : 0,
        elapsedSeconds: (performance.now() - started) / 1000,
      };
    };
    const n = await runJob(() => native.CorpusVocab.buildAsync(source, counts, handle), poll, () => handle.abort(), {
      onProgress: options.onProgress,
      intervalMs: options.progressIntervalMs,
      signal: options.signal,
      what: 'the vocabulary count',
    });
    return new CorpusVocab(n);
  }

  /** Reads a vocabulary in the C tool's `-save-vocab` format. Errors name the line and byte offset. */
  static load(path: string, options?: CorpusVocabLoadOptions): CorpusVocab {
    if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
    const o = countOptions(options, 0);
    return new CorpusVocab(callNative(() => native.CorpusVocab.load(path, o)));
  }

  /** Writes the C tool's `-save-vocab` format (atomically: temporary file, fsync, rename). */
  save(path: string): void {
    if (typeof path !== 'string') throw new TypeError(`path: expected a string, got ${describe(path)}`);
    callNative(() => this.native.save(path));
  }

  /** Number of entries (`</s>` included). */
  get size(): number {
    return this.native.size;
  }

  /** In-vocabulary tokens of one pass over the corpus, `</s>` included (the C tool's `train_words`). */
  get trainWords(): number {
    return this.native.trainWords;
  }

  /** All words, index = id (`</s>` first). */
  get words(): readonly string[] {
    this.wordList ??= Object.freeze(this.native.words());
    return this.wordList;
  }

  /** All counts, index = id. */
  get counts(): readonly number[] {
    this.countList ??= Object.freeze(this.native.counts());
    return this.countList;
  }

  /** How often `word` occurs in the corpus (0 when it is not in the vocabulary). */
  count(word: string): number {
    if (typeof word !== 'string') throw new TypeError(`word: expected a string, got ${describe(word)}`);
    return this.native.count(word);
  }

  /** The id of `word`, or `null` when it is not in the vocabulary. */
  id(word: string): number | null {
    if (typeof word !== 'string') throw new TypeError(`word: expected a string, got ${describe(word)}`);
    return this.native.id(word) ?? null;
  }

  /** Whether `word` is in the vocabulary. */
  has(word: string): boolean {
    return this.id(word) !== null;
  }
}
