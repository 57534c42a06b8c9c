/**
 * `KeyedVectors`: word vectors with their vocabulary (gensim's class of that name), as every
 * embedding trainer returns them (`trainWord2Vec(...).vectors`) and as word2vec text/binary files
 * load. Queries run in Rust over a cached unit-normalised copy with SIMD dot products and
 * multithreaded scans (no JavaScript loops over the table): cosine `similarity`, nearest
 * neighbours, analogies by 3CosAdd (`mostSimilar`) and 3CosMul (`mostSimilarCosmul`),
 * `doesntMatch`; benchmarks (`evaluateAnalogies`, `evaluateWordPairs`); debiasing
 * (`biasDirection`, `neutralize`, `equalize`); 2-D projection (`project`) and word classes
 * (`kmeansClasses`). Semantics follow gensim 4; the differences are listed per method.
 *
 * A word that is not in the vocabulary is an `InvalidArgumentError` naming the argument and the
 * word, e.g. `positive[1]: 'dog' is not in the vocabulary (71290 words)`.
 */
import native = require('../native');
import { awaitNative, callNative, describe, InvalidArgumentError } from '../errors';
import { fromNativeTensor, type Tensor, tensorArg, type TensorLike } from '../tensor';
import { Embedding } from '../nn/embedding';

/** A word and its score (cosine similarity; the 3CosMul score for `mostSimilarCosmul`). */
export interface Neighbour {
  /** The word. */
  word: string;
  /** Cosine similarity in [−1, 1] (3CosMul: a positive ratio). */
  similarity: number;
}

/**
 * A term of a `mostSimilar` query: a word, a raw vector (`dim` values), or either with a weight
 * (default 1; a negative term subtracts its weight).
 */
export type QueryTerm = string | Float32Array | readonly number[] | { word: string; weight?: number } | { vector: Float32Array | readonly number[]; weight?: number };

/** Options of `mostSimilar` / `mostSimilarCosmul`. */
export interface MostSimilarOptions {
  /** Terms added (one term or a list). At least one positive term is required for 3CosMul. */
  positive?: QueryTerm | readonly QueryTerm[];
  /** Terms subtracted (one term or a list). */
  negative?: QueryTerm | readonly QueryTerm[];
  /** How many neighbours to return (default 10; an integer ≥ 1). */
  topN?: number;
  /** Search only the first N rows (the most frequent words in a frequency-sorted table). */
  restrictVocab?: number;
}

/** Options of the neighbour queries that take a vector. */
export interface NeighbourOptions {
  /** How many neighbours to return (default 10). */
  topN?: number;
  /** Search only the first N rows. */
  restrictVocab?: number;
}

/** Options of `similarByVector`. */
export interface SimilarByVectorOptions extends NeighbourOptions {
  /** Words never returned. */
  exclude?: readonly string[];
}

/** Options of `KeyedVectors.load` / `loadAsync`. */
export interface LoadVectorsOptions {
  /** Binary (`true`) or text (`false`) word2vec format; detected from the first record when omitted. */
  binary?: boolean;
  /** Read only the first `limit` vectors (gensim's `limit`). */
  limit?: number;
}

/** Options of `save` / `saveAsync`. */
export interface SaveVectorsOptions {
  /** Binary `.bin` format as the C tool's `-binary 1` (default false: text, as `-binary 0`). */
  binary?: boolean;
}

/** The ranking of analogy answers. */
export type AnalogyMethod = '3cosadd' | '3cosmul';

/** Options of `evaluateAnalogies`. */
export interface AnalogyOptions {
  /**
   * Only the first N rows take part: questions with a word outside them are skipped, answers
   * are searched among them (default 30 000, compute-accuracy's demo threshold; gensim's default
   * is 300 000). `null` = the whole table.
   */
  restrictVocab?: number | null;
  /** Upper-case every word first; a folded word maps to its first (most frequent) row (default true). */
  caseInsensitive?: boolean;
  /** `'3cosadd'` (default; gensim `most_similar`, compute-accuracy) or `'3cosmul'`. */
  method?: AnalogyMethod;
}

/** Counts of one analogy section. */
export interface AnalogySection {
  /** The name after `: ` in the file. */
  name: string;
  /** Correct answers. */
  correct: number;
  /** Questions evaluated (all four words in the restricted vocabulary). */
  seen: number;
  /** Questions of this section in the file. */
  questions: number;
  /** `correct / seen` (0 when nothing was seen). */
  accuracy: number;
  /** False for sections whose name starts with `gram` (syntactic). */
  semantic: boolean;
}

/** Correct and seen over a group of sections. */
export interface AnalogyGroup {
  /** Correct answers. */
  correct: number;
  /** Questions evaluated. */
  seen: number;
  /** `correct / seen` (0 when nothing was seen). */
  accuracy: number;
}

/** Result of `evaluateAnalogies`, the counts compute-accuracy prints. */
export interface AnalogyReport {
  /** Per section, in file order. */
  sections: AnalogySection[];
  /** Correct answers. */
  correct: number;
  /** Questions evaluated ("questions seen"). */
  seen: number;
  /** Questions in the file ("total"). */
  questions: number;
  /** `correct / seen`. */
  accuracy: number;
  /** The semantic sections. */
  semantic: AnalogyGroup;
  /** The syntactic (`gram*`) sections. */
  syntactic: AnalogyGroup;
}

/** Options of `evaluateWordPairs`. */
export interface WordPairOptions {
  /** Only the first N rows take part (default 300 000 as gensim; `null` = all). */
  restrictVocab?: number | null;
  /** Upper-case every word first (default true). */
  caseInsensitive?: boolean;
  /** Field separator: a string (default `'\t'`, gensim's) or `'whitespace'` for any run of spaces/tabs. */
  delimiter?: string;
}

/** Result of `evaluateWordPairs`. */
export interface WordPairReport {
  /** Spearman's rank correlation of cosine similarities with the human scores (ties averaged, as scipy). */
  spearman: number;
  /** Pearson's correlation. */
  pearson: number;
  /** Pairs used. */
  pairs: number;
  /** Pairs skipped because a word is outside the (restricted) vocabulary. */
  oov: number;
  /** `oov / (pairs + oov)` in [0, 1] (gensim reports this ×100). */
  oovRatio: number;
}

/** How `biasDirection` combines the definitional pairs. */
export type BiasMethod = 'average' | 'pca';

/** Options of `project` / `projectAsync`. */
export interface ProjectOptions {
  /** `'pca'` (default) or `'tsne'` (exact, at most 5 000 words). */
  method?: 'pca' | 'tsne';
  /** Project unit vectors, so distances follow cosine similarity (default true). */
  normalize?: boolean;
  /** t-SNE perplexity (below the number of words; default 30, or (n − 1)/3 for few words). */
  perplexity?: number;
  /** t-SNE iterations (default 1000). */
  iterations?: number;
  /** t-SNE learning rate (default max(n / 48, 50), sklearn's 'auto'). */
  learningRate?: number;
  /** t-SNE seed of the initial positions (default 0). */
  seed?: number;
}

/** Options of `Embedding.fromKeyedVectors`. */
export interface FromKeyedVectorsOptions {
  /** Keep the table fixed in training (default true); `false` fine-tunes it. */
  freeze?: boolean;
  /** The words to take, in this order (row `i` = `words[i]`); default: every word in table order. */
  words?: readonly string[];
  /** A row that gets no gradient (e.g. a padding word you put in `words`). */
  paddingIdx?: number;
}

/**
 * An `Embedding` made from word vectors, with the word → row mapping that turns tokens into
 * the ids it takes: `ids = tokens.map((w) => index.get(w))`.
 */
export interface KeyedEmbedding {
  /** The layer; its `weight` is `[words.length, dim]`. */
  embedding: Embedding;
  /** The word of each row. */
  words: readonly string[];
  /** The row of each word. */
  index: ReadonlyMap<string, number>;
}

/** Options of `kmeansClasses`. */
export interface KMeansOptions {
  /** Iterations (default 10, as the C tool). */
  iterations?: number;
}

function stringArg(arg: string, v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`${arg}: expected a word (string), got ${describe(v)}`);
  return v;
}

function stringList(arg: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw new TypeError(`${arg}: expected an array of words (strings), got ${describe(v)}`);
  return v.map((w, i) => stringArg(`${arg}[${i}]`, w));
}

function pathArg(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`path: expected a non-empty file path (string), got ${describe(v)}`);
  return v;
}

function optionsOf<T extends object>(arg: string, v: T | undefined): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${arg}: expected an options object, got ${describe(v)}`);
  return v;
}

function numberOpt(arg: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected a number, got ${describe(v)}`);
  return v;
}

function boolOpt(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${arg}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** `restrictVocab` with `null` = everything (native: undefined). */
function restrictOpt(v: unknown, dflt: number | null): number | undefined {
  if (v === undefined) return dflt ?? undefined;
  if (v === null) return undefined;
  if (typeof v !== 'number') throw new TypeError(`restrictVocab: expected a number or null (all rows), got ${describe(v)}`);
  return v;
}

/** A vector argument as a Float32Array (plain arrays are copied; values are checked natively). */
function vectorArg(arg: string, v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Float32Array.from(v as number[]);
  throw new TypeError(`${arg}: expected a vector (Float32Array or number[]), got ${describe(v)}`);
}

function toList(v: unknown): unknown[] {
  if (v === undefined) return [];
  // A plain number array is one vector, not a list of terms.
  if (Array.isArray(v) && !(v.length > 0 && v.every((x) => typeof x === 'number'))) return v;
  return [v];
}

/** One query term in native form; `sign` is +1 (positive) or −1 (negative). */
function termArg(arg: string, t: unknown, sign: number, allowWeight: boolean): native.QueryTerm {
  let weight = 1;
  let word: string | undefined;
  let vector: Float32Array | undefined;
  if (typeof t === 'string') word = t;
  else if (t instanceof Float32Array || Array.isArray(t)) vector = vectorArg(arg, t);
  else if (t !== null && typeof t === 'object') {
    const o = t as { word?: unknown; vector?: unknown; weight?: unknown };
    if ((o.word === undefined) === (o.vector === undefined)) throw new TypeError(`${arg}: expected { word } or { vector } (exactly one), got ${describe(t)}`);
    if (o.word !== undefined) word = stringArg(`${arg}.word`, o.word);
    else vector = vectorArg(`${arg}.vector`, o.vector);
    if (o.weight !== undefined) {
      if (typeof o.weight !== 'number' || !Number.isFinite(o.weight)) throw new TypeError(`${arg}.weight: expected a finite number, got ${describe(o.weight)}`);
      if (!allowWeight && o.weight !== 1) throw new InvalidArgumentError(`${arg}.weight: 3CosMul takes no weights (expected 1 or none), got ${o.weight}`, 'ERR_SEQLEARN_INVALID_ARG');
      weight = o.weight;
    }
  } else throw new TypeError(`${arg}: expected a word, a vector or { word | vector, weight }, got ${describe(t)}`);
  return { word, vector, weight: sign * weight, arg };
}

function terms(name: string, v: unknown, sign: number, allowWeight: boolean): native.QueryTerm[] {
  return toList(v).map((t, i) => termArg(`${name}[${i}]`, t, sign, allowWeight));
}

function topNOpt(v: unknown): number {
  return numberOpt('topN', v) ?? 10;
}

/** Word vectors with their vocabulary; see the module documentation. */
export class KeyedVectors {
  /** @internal The native vectors. */
  readonly native: native.KeyedVectors;
  #words: readonly string[] | undefined;

  private constructor(nativeVectors: native.KeyedVectors) {
    this.native = nativeVectors;
  }

  /** @internal Wraps native vectors (used by the trainers). */
  static fromNative(n: native.KeyedVectors): KeyedVectors {
    return new KeyedVectors(n);
  }

  /** Vectors from `words` and their values `[words.length, dim]` (copied). Words must be unique. */
  static fromVectors(words: readonly string[], vectors: TensorLike): KeyedVectors {
    const w = stringList('words', words);
    const v = tensorArg('vectors', vectors);
    return KeyedVectors.fromNative(callNative(() => native.KeyedVectors.fromVectors(w, v)));
  }

  /**
   * Loads a word2vec text or binary file (as written by the C tool or gensim's
   * `save_word2vec_format`); the format is detected unless `binary` is given. Corrupt or
   * truncated files throw a `FormatError` naming the byte offset.
   */
  static load(path: string, options?: LoadVectorsOptions): KeyedVectors {
    const p = pathArg(path);
    const o = optionsOf('options', options);
    const binary = o.binary === undefined ? undefined : boolOpt('binary', o.binary, false);
    const limit = numberOpt('limit', o.limit);
    return KeyedVectors.fromNative(callNative(() => native.KeyedVectors.load(p, binary, limit)));
  }

  /** `load` on a worker thread. */
  static async loadAsync(path: string, options?: LoadVectorsOptions): Promise<KeyedVectors> {
    const p = pathArg(path);
    const o = optionsOf('options', options);
    const binary = o.binary === undefined ? undefined : boolOpt('binary', o.binary, false);
    const limit = numberOpt('limit', o.limit);
    return KeyedVectors.fromNative(await awaitNative(() => native.KeyedVectors.loadAsync(p, binary, limit)));
  }

  /** Writes the vectors in word2vec format (text by default; `binary: true` for `.bin`), atomically. */
  save(path: string, options?: SaveVectorsOptions): void {
    const p = pathArg(path);
    const binary = boolOpt('binary', optionsOf('options', options).binary, false);
    callNative(() => this.native.save(p, binary));
  }

  /** `save` on a worker thread. */
  async saveAsync(path: string, options?: SaveVectorsOptions): Promise<void> {
    const p = pathArg(path);
    const binary = boolOpt('binary', optionsOf('options', options).binary, false);
    await awaitNative(() => this.native.saveAsync(p, binary));
  }

  /** Number of words. */
  get size(): number {
    return callNative(() => this.native.size);
  }

  /** Values per vector. */
  get dim(): number {
    return callNative(() => this.native.dim);
  }

  /** The words in row order (most frequent first for trained or C-tool vectors). A frozen array. */
  get words(): readonly string[] {
    this.#words ??= Object.freeze(callNative(() => this.native.words()));
    return this.#words;
  }

  /** True when `word` is in the vocabulary (exact, case-sensitive). */
  has(word: string): boolean {
    return this.index(word) !== undefined;
  }

  /** The row of `word`, or `undefined`. */
  index(word: string): number | undefined {
    const w = stringArg('word', word);
    return callNative(() => this.native.index(w)) ?? undefined;
  }

  /** A copy of the vector of `word`. */
  vector(word: string): Float32Array {
    const w = stringArg('word', word);
    return callNative(() => this.native.vector(w));
  }

  /** A copy of the vectors of `words` stacked `[words.length, dim]`, or of the whole table `[size, dim]`. */
  vectors(words?: readonly string[]): Tensor {
    if (words === undefined) return fromNativeTensor(callNative(() => this.native.vectors()));
    const w = stringList('words', words);
    return fromNativeTensor(callNative(() => this.native.vectorsOf(w)));
  }

  /** Cosine similarity of two words (gensim `similarity`). */
  similarity(a: string, b: string): number {
    const x = stringArg('a', a);
    const y = stringArg('b', b);
    return callNative(() => this.native.similarity(x, y));
  }

  /**
   * 3CosAdd nearest neighbours (gensim `most_similar`): the cosine of every row with the mean
   * of the terms' unit vectors (raw vectors as given), weighted +1 for positive and −1 for
   * negative terms, best first; the query words are never returned. `mostSimilar('king')` is
   * the neighbours of one word; `mostSimilar({ positive: ['king', 'woman'], negative: ['man'] })`
   * answers "man is to king as woman is to ?".
   */
  mostSimilar(word: string, options?: NeighbourOptions): Neighbour[];
  mostSimilar(options: MostSimilarOptions): Neighbour[];
  mostSimilar(query: string | MostSimilarOptions, options?: NeighbourOptions): Neighbour[] {
    const o = typeof query === 'string' ? { ...optionsOf('options', options), positive: [query] } : optionsOf('options', query);
    const t = [...terms('positive', o.positive, 1, true), ...terms('negative', (o as MostSimilarOptions).negative, -1, true)];
    if (t.length === 0) throw new InvalidArgumentError('positive: expected at least one word or vector', 'ERR_SEQLEARN_INVALID_ARG');
    const topN = topNOpt(o.topN);
    const restrict = numberOpt('restrictVocab', o.restrictVocab);
    return callNative(() => this.native.mostSimilar(t, topN, restrict));
  }

  /**
   * 3CosMul nearest neighbours (gensim `most_similar_cosmul`, Levy & Goldberg 2014): every row
   * `x` scores `Π_pos (1 + cos(x, p))/2 / (Π_neg (1 + cos(x, n))/2 + 1e-6)`. Unlike gensim 4.4,
   * `restrictVocab` is honoured and raw vectors are normalised. Terms take no weights.
   */
  mostSimilarCosmul(word: string, options?: NeighbourOptions): Neighbour[];
  mostSimilarCosmul(options: MostSimilarOptions): Neighbour[];
  mostSimilarCosmul(query: string | MostSimilarOptions, options?: NeighbourOptions): Neighbour[] {
    const o = typeof query === 'string' ? { ...optionsOf('options', options), positive: [query] } : optionsOf('options', query);
    const pos = terms('positive', o.positive, 1, false);
    const neg = terms('negative', (o as MostSimilarOptions).negative, 1, false);
    if (pos.length === 0) throw new InvalidArgumentError('positive: expected at least one word or vector (3CosMul needs a positive term)', 'ERR_SEQLEARN_INVALID_ARG');
    const topN = topNOpt(o.topN);
    const restrict = numberOpt('restrictVocab', o.restrictVocab);
    return callNative(() => this.native.mostSimilarCosmul(pos, neg, topN, restrict));
  }

  /** The rows nearest `vector` by cosine (gensim `similar_by_vector`), except the `exclude` words. */
  similarByVector(vector: Float32Array | readonly number[], options?: SimilarByVectorOptions): Neighbour[] {
    const v = vectorArg('vector', vector);
    const o = optionsOf('options', options);
    const topN = topNOpt(o.topN);
    const restrict = numberOpt('restrictVocab', o.restrictVocab);
    const exclude = o.exclude === undefined ? undefined : stringList('exclude', o.exclude);
    return callNative(() => this.native.similarByVector(v, topN, restrict, exclude));
  }

  /** Nearest rows of each row of `vectors` `[m, dim]`, computed as blocked GEMMs against the table. */
  similarByVectors(vectors: TensorLike, options?: NeighbourOptions): Neighbour[][] {
    const v = tensorArg('vectors', vectors);
    const o = optionsOf('options', options);
    const topN = topNOpt(o.topN);
    const restrict = numberOpt('restrictVocab', o.restrictVocab);
    return callNative(() => this.native.similarByVectors(v, topN, restrict));
  }

  /** Cosine similarity of `vector` with every row (or the first `restrictVocab` rows). */
  cosineSimilarities(vector: Float32Array | readonly number[], options?: { restrictVocab?: number }): Float32Array {
    const v = vectorArg('vector', vector);
    const restrict = numberOpt('restrictVocab', optionsOf('options', options).restrictVocab);
    return callNative(() => this.native.cosineSimilarities(v, restrict));
  }

  /**
   * The word that does not belong (gensim `doesnt_match`): the lowest cosine with the
   * normalised mean of the words' unit vectors. Unlike gensim, unknown words are an error.
   */
  doesntMatch(words: readonly string[]): string {
    const w = stringList('words', words);
    return callNative(() => this.native.doesntMatch(w));
  }

  /**
   * Scores an analogy file in the questions-words format (`: section` lines, then
   * `a b c expected` per line) on a worker thread, as compute-accuracy and gensim's
   * `evaluate_word_analogies` do: questions with a word outside the first `restrictVocab` rows
   * are skipped; the answer is the best row (3CosAdd or 3CosMul) other than a, b, c. Malformed
   * lines are a `FormatError` naming the file and line.
   */
  async evaluateAnalogies(path: string, options?: AnalogyOptions): Promise<AnalogyReport> {
    const p = pathArg(path);
    const o = optionsOf('options', options);
    const method = o.method;
    if (method !== undefined && method !== '3cosadd' && method !== '3cosmul') throw new InvalidArgumentError(`method: expected '3cosadd' or '3cosmul', got ${describe(method)}`, 'ERR_SEQLEARN_INVALID_ARG');
    const args: native.AnalogyArgs = { restrictVocab: restrictOpt(o.restrictVocab, 30000), caseInsensitive: boolOpt('caseInsensitive', o.caseInsensitive, true), method };
    return awaitNative(() => this.native.evaluateAnalogiesAsync(p, args));
  }

  /**
   * Correlation of cosine similarities with human scores on a word-pair file (WordSim-353
   * style: `word1 word2 score` per line, `#` comments), as gensim's `evaluate_word_pairs`;
   * pairs with unknown words are counted in `oov` and left out. Runs on a worker thread.
   */
  async evaluateWordPairs(path: string, options?: WordPairOptions): Promise<WordPairReport> {
    const p = pathArg(path);
    const o = optionsOf('options', options);
    const d = o.delimiter;
    if (d !== undefined && (typeof d !== 'string' || d.length === 0)) throw new TypeError(`delimiter: expected a non-empty string or 'whitespace', got ${describe(d)}`);
    const args: native.WordPairArgs = {
      restrictVocab: restrictOpt(o.restrictVocab, 300000),
      caseInsensitive: boolOpt('caseInsensitive', o.caseInsensitive, true),
      ...(d === 'whitespace' ? { whitespace: true } : d !== undefined ? { delimiter: d } : {}),
    };
    return awaitNative(() => this.native.evaluateWordPairsAsync(p, args));
  }

  /**
   * The bias direction of definitional pairs such as `[['he', 'she'], ['man', 'woman']]`
   * (lecture notes / Bolukbasi et al. 2016): `'average'` (default) = the mean of the pairs'
   * unit-vector differences `u_a − u_b`; `'pca'` = their first principal component, unit length,
   * oriented like the average.
   */
  biasDirection(pairs: readonly (readonly [string, string])[], options?: { method?: BiasMethod }): Float32Array {
    if (!Array.isArray(pairs)) throw new TypeError(`pairs: expected an array of [word, word] pairs, got ${describe(pairs)}`);
    const p = pairs.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`pairs[${i}]: expected a pair [word, word], got ${describe(pair)}`);
      return [stringArg(`pairs[${i}][0]`, pair[0]), stringArg(`pairs[${i}][1]`, pair[1])];
    });
    const method = optionsOf('options', options).method ?? 'average';
    if (method !== 'average' && method !== 'pca') throw new InvalidArgumentError(`method: expected 'average' or 'pca', got ${describe(method)}`, 'ERR_SEQLEARN_INVALID_ARG');
    return callNative(() => this.native.biasDirection(p, method));
  }

  /**
   * Neutralize (中和): removes the component of `word`'s vector along `direction`
   * (`e − (e·g/|g|²) g`), in place; its projection on the direction becomes 0.
   */
  neutralize(word: string, direction: Float32Array | readonly number[]): void {
    const w = stringArg('word', word);
    const g = vectorArg('direction', direction);
    callNative(() => this.native.neutralize(w, g));
  }

  /**
   * Equalize (均衡, Bolukbasi et al.): makes the pair differ only along `direction`,
   * symmetrically about the hyperplane orthogonal to it, in place; afterwards every neutral word
   * is equally similar to both. Unit vectors stay unit; otherwise the pair keeps its mean norm.
   */
  equalize(pair: readonly [string, string], direction: Float32Array | readonly number[]): void {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`pair: expected a pair [word, word], got ${describe(pair)}`);
    const a = stringArg('pair[0]', pair[0]);
    const b = stringArg('pair[1]', pair[1]);
    const g = vectorArg('direction', direction);
    callNative(() => this.native.equalize(a, b, g));
  }

  /**
   * 2-D coordinates `[words.length, 2]` of `words`: PCA (default; deterministic signs) or exact
   * t-SNE (seeded, at most 5 000 words). On the calling thread; see `projectAsync` for t-SNE.
   */
  project(words: readonly string[], options?: ProjectOptions): Tensor {
    const w = stringList('words', words);
    const args = projectArgs(options);
    return fromNativeTensor(callNative(() => this.native.project(w, args)));
  }

  /** `project` on a worker thread. */
  async projectAsync(words: readonly string[], options?: ProjectOptions): Promise<Tensor> {
    const w = stringList('words', words);
    const args = projectArgs(options);
    return fromNativeTensor(await awaitNative(() => this.native.projectAsync(w, args)));
  }

  /**
   * Word classes by k-means as the C tool's `-classes K` (start `i mod K`, unit centroids,
   * `iterations` rounds, default 10): the class of each row, in row order.
   */
  async kmeansClasses(classes: number, options?: KMeansOptions): Promise<Int32Array> {
    const k = numberOpt('classes', classes);
    if (k === undefined) throw new TypeError('classes: expected a number of classes, got undefined');
    const it = numberOpt('iterations', optionsOf('options', options).iterations) ?? 10;
    return awaitNative(() => this.native.kmeansClassesAsync(k, it));
  }

  /** An `Embedding` layer initialised from these vectors; see `Embedding.fromKeyedVectors`. */
  toEmbedding(options?: FromKeyedVectorsOptions): KeyedEmbedding {
    return Embedding.fromKeyedVectors(this, options);
  }
}

function projectArgs(options: ProjectOptions | undefined): native.ProjectArgs {
  const o = optionsOf('options', options);
  const method = o.method ?? 'pca';
  if (method !== 'pca' && method !== 'tsne') throw new InvalidArgumentError(`method: expected 'pca' or 'tsne', got ${describe(method)}`, 'ERR_SEQLEARN_INVALID_ARG');
  return {
    method,
    normalize: boolOpt('normalize', o.normalize, true),
    perplexity: numberOpt('perplexity', o.perplexity),
    iterations: numberOpt('iterations', o.iterations),
    learningRate: numberOpt('learningRate', o.learningRate),
    seed: numberOpt('seed', o.seed),
  };
}
