/**
 * `Vocabulary`: a token ↔ id mapping built from a corpus, with special tokens, frequency
 * counts, encoding/decoding and a small JSON file format (written atomically).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, FormatError, IoError, StateError } from '../errors';
import { writeFileAtomic, writeFileAtomicSync } from '../io/atomic';
import { boolArg, choiceArg, intArg, invalidArgument, optionsArg, pathArg, stringArrayArg } from './args';

/** The special-token roles a vocabulary knows about. */
export type SpecialRole = 'pad' | 'unk' | 'bos' | 'eos';

const ROLES: readonly SpecialRole[] = ['pad', 'unk', 'bos', 'eos'];

/** The default special tokens, in id order: `<pad>` = 0, `<unk>` = 1, `<bos>` = 2, `<eos>` = 3. */
export const DEFAULT_SPECIALS: readonly string[] = Object.freeze(['<pad>', '<unk>', '<bos>', '<eos>']);

/** The default token of each role. */
const DEFAULT_ROLE_TOKENS: Readonly<Record<SpecialRole, string>> = { pad: '<pad>', unk: '<unk>', bos: '<bos>', eos: '<eos>' };

/** Which special token plays which role (`null`: the role is absent). */
export type SpecialRoles = { [R in SpecialRole]?: string | null };

/** Options of `Vocabulary.build`. */
export interface VocabularyBuildOptions {
  /** Tokens seen fewer times are left out (they encode as `<unk>`). Default 1. */
  minCount?: number;
  /** Largest vocabulary size, specials included; the least frequent tokens are cut. Default: no limit. */
  maxSize?: number;
  /** Special tokens, given ids `0 … specials.length−1` in this order. Default `DEFAULT_SPECIALS`. */
  specials?: readonly string[];
  /**
   * The token of each role. Default: `'<pad>'`, `'<unk>'`, `'<bos>'`, `'<eos>'` for the roles
   * whose default token is among `specials` (a role whose token is absent has no id). A token
   * given here must be one of `specials`; `null` removes the role.
   */
  roles?: SpecialRoles;
}

/** Options of `Vocabulary.encode`. */
export interface EncodeOptions {
  /** A token not in the vocabulary: `'unk'` (default) maps it to the unknown token; `'error'` throws. */
  unknown?: 'unk' | 'error';
  /** Prepend the begin-of-sequence id. Default `false`. */
  addBos?: boolean;
  /** Append the end-of-sequence id. Default `false`. */
  addEos?: boolean;
}

/** Options of `Vocabulary.decode`. */
export interface DecodeOptions {
  /** Leave out special tokens (padding, `<bos>`, …). Default `false`. */
  skipSpecial?: boolean;
}

/** The JSON form of a vocabulary (`toJSON()`, the file written by `save`). */
export interface VocabularyJSON {
  /** Always `'seqlearn-vocabulary'`. */
  format: 'seqlearn-vocabulary';
  /** Format version, 1. */
  version: 1;
  /** Every token, by id. */
  tokens: string[];
  /** Corpus count of every token, by id (specials count what the corpus held of them, often 0). */
  counts: number[];
  /** The special tokens; they are `tokens[0 … specials.length−1]`. */
  specials: string[];
  /** The token of each role present. */
  roles: { [R in SpecialRole]?: string };
}

const FORMAT = 'seqlearn-vocabulary';

function formatError(source: string, message: string): FormatError {
  return new FormatError(`${source}: ${message}`, 'ERR_SEQLEARN_FORMAT');
}

function ioError(path: string, e: unknown): IoError {
  const err = e as NodeJS.ErrnoException;
  const what = err && typeof err === 'object' && err.code ? `${err.code}: ${err.message}` : String(e);
  return new IoError(`${path}: cannot read the vocabulary file (${what})`, 'ERR_SEQLEARN_IO', { cause: e });
}

/**
 * A bidirectional token ↔ id map. Ids are dense, `0 … size−1`: the special tokens first (in the
 * order given), then the corpus tokens by decreasing count, ties broken by first appearance in
 * the corpus — so the same corpus always gives the same ids.
 */
export class Vocabulary {
  /** Every token, by id. */
  readonly tokens: readonly string[];
  /** Corpus count of every token, by id (e.g. for a unigram sampling table). */
  readonly counts: readonly number[];
  /** The special tokens (ids `0 … specials.length−1`). */
  readonly specials: readonly string[];
  /** The token of each role present. */
  readonly roles: Readonly<{ [R in SpecialRole]?: string }>;
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[], counts: number[], numSpecials: number, roles: { [R in SpecialRole]?: string }) {
    this.tokens = Object.freeze(tokens);
    this.counts = Object.freeze(counts);
    this.specials = Object.freeze(tokens.slice(0, numSpecials));
    this.roles = Object.freeze({ ...roles });
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Builds a vocabulary from a corpus: an iterable of tokens (`['the', 'whale', …]`) or of token
   * sequences (`[['the', 'whale'], ['call', 'me']]`), counted in one pass. See
   * `VocabularyBuildOptions` for `minCount`, `maxSize`, `specials` and `roles`.
   */
  static build(tokens: Iterable<string> | Iterable<Iterable<string>>, options?: VocabularyBuildOptions): Vocabulary {
    const settings = buildSettings(options);
    const counter = new TokenCounter();
    for (const item of iterableArg(tokens, Symbol.iterator) as Iterable<unknown>) counter.add(item);
    return Vocabulary.fromCounts(counter.counts, settings);
  }

  /**
   * `build` over an async iterable, e.g. the tokenized lines of a file larger than memory:
   *
   *     Vocabulary.buildAsync((async function* () { for await (const l of readLines(p)) yield tok.tokenize(l) })())
   *
   * Only the counts are kept in memory. Same ids as `build` over the same items.
   */
  static async buildAsync(tokens: AsyncIterable<string> | AsyncIterable<Iterable<string>> | Iterable<string> | Iterable<Iterable<string>>, options?: VocabularyBuildOptions): Promise<Vocabulary> {
    const settings = buildSettings(options);
    const isAsync = tokens !== null && typeof tokens === 'object' && typeof (tokens as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
    const source = iterableArg(tokens, isAsync ? Symbol.asyncIterator : Symbol.iterator) as AsyncIterable<unknown> | Iterable<unknown>;
    const counter = new TokenCounter();
    for await (const item of source) counter.add(item);
    return Vocabulary.fromCounts(counter.counts, settings);
  }

  private static fromCounts(counts: Map<string, number>, { minCount, maxSize, specials, roles }: BuildSettings): Vocabulary {
    const specialSet = new Set(specials);
    const regular: Array<[string, number]> = [];
    for (const entry of counts) if (!specialSet.has(entry[0]) && entry[1] >= minCount) regular.push(entry);
    // Array.prototype.sort is stable: equal counts keep first-appearance (Map insertion) order.
    regular.sort((a, b) => b[1] - a[1]);
    const kept = regular.slice(0, maxSize - specials.length);
    return new Vocabulary(
      [...specials, ...kept.map((e) => e[0])],
      [...specials.map((s) => counts.get(s) ?? 0), ...kept.map((e) => e[1])],
      specials.length,
      roles,
    );
  }

  /** Number of tokens, specials included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or `undefined` if it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Whether `token` is in the vocabulary. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The token of `id` (an integer in `[0, size)`). */
  token(id: number): string {
    return this.tokens[intArg('id', id, undefined, 0, this.size - 1)];
  }

  /** The corpus count of `token` (0 for a token not in the vocabulary). */
  count(token: string): number {
    const i = this.ids.get(token);
    return i === undefined ? 0 : this.counts[i];
  }

  /** Whether `id` is the id of a special token. */
  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.specials.length;
  }

  private roleId(role: SpecialRole): number {
    const t = this.roles[role];
    if (t === undefined) {
      throw new StateError(`${role}Id: this vocabulary has no ${role} token (specials: [${this.specials.join(', ')}]); build it with '${DEFAULT_ROLE_TOKENS[role]}' among specials or set roles.${role}`, 'ERR_SEQLEARN_STATE');
    }
    return this.ids.get(t) as number;
  }

  /** Id of the padding token (`StateError` if the vocabulary has none). */
  get padId(): number {
    return this.roleId('pad');
  }
  /** Id of the unknown token (`StateError` if the vocabulary has none). */
  get unkId(): number {
    return this.roleId('unk');
  }
  /** Id of the begin-of-sequence token (`StateError` if the vocabulary has none). */
  get bosId(): number {
    return this.roleId('bos');
  }
  /** Id of the end-of-sequence token (`StateError` if the vocabulary has none). */
  get eosId(): number {
    return this.roleId('eos');
  }

  /**
   * The ids of `tokens`, optionally framed by `<bos>` / `<eos>`. A token not in the vocabulary
   * becomes `<unk>`, or with `unknown: 'error'` throws an error naming the token and its position.
   */
  encode(tokens: readonly string[], options?: EncodeOptions): Int32Array {
    return this.encodeNamed(tokens, options, 'tokens');
  }

  /** @internal `encode` with errors naming `arg` (e.g. `sequences[3]`). */
  encodeNamed(tokens: readonly string[], options: EncodeOptions | undefined, arg: string): Int32Array {
    const o = optionsArg('options', options, ['unknown', 'addBos', 'addEos']);
    const unknown = choiceArg('unknown', o.unknown, 'unk', ['unk', 'error']);
    const bos = boolArg('addBos', o.addBos, false) ? this.roleId('bos') : -1;
    const eos = boolArg('addEos', o.addEos, false) ? this.roleId('eos') : -1;
    if (!Array.isArray(tokens)) throw new TypeError(`${arg}: expected an array of strings, got ${describe(tokens)}`);
    const out = new Int32Array(tokens.length + (bos >= 0 ? 1 : 0) + (eos >= 0 ? 1 : 0));
    let k = 0;
    if (bos >= 0) out[k++] = bos;
    let unk = -1;
    for (let i = 0; i < tokens.length; i++) {
      const t: unknown = tokens[i];
      if (typeof t !== 'string') throw new TypeError(`${arg}[${i}]: expected a string token, got ${describe(t)}`);
      let id = this.ids.get(t);
      if (id === undefined) {
        if (unknown === 'error') {
          throw invalidArgument(`${arg}[${i}]: token ${JSON.stringify(t)} is not in the vocabulary (size ${this.size}); pass unknown: 'unk' to map it to the unknown token`);
        }
        if (unk < 0) {
          if (this.roles.unk === undefined) {
            throw new StateError(`${arg}[${i}]: token ${JSON.stringify(t)} is not in the vocabulary and the vocabulary has no unknown token to map it to (specials: [${this.specials.join(', ')}])`, 'ERR_SEQLEARN_STATE');
          }
          unk = this.roleId('unk');
        }
        id = unk;
      }
      out[k++] = id;
    }
    if (eos >= 0) out[k++] = eos;
    return out;
  }

  /** The tokens of `ids` (an `Int32Array` or an array of ids in `[0, size)`). */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string[] {
    const o = optionsArg('options', options, ['skipSpecial']);
    const skip = boolArg('skipSpecial', o.skipSpecial, false);
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') throw new TypeError(`ids: expected an Int32Array or an array of ids, got ${describe(ids)}`);
    const out: string[] = [];
    const n = this.specials.length;
    for (let i = 0; i < ids.length; i++) {
      const id: unknown = ids[i];
      if (typeof id !== 'number') throw new TypeError(`ids[${i}]: expected an integer id, got ${describe(id)}`);
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw invalidArgument(`ids[${i}]: expected a token id in [0, ${this.size - 1}], got ${id}`);
      if (skip && id < n) continue;
      out.push(this.tokens[id]);
    }
    return out;
  }

  /** The JSON form (what `save` writes). */
  toJSON(): VocabularyJSON {
    return { format: FORMAT, version: 1, tokens: [...this.tokens], counts: [...this.counts], specials: [...this.specials], roles: { ...this.roles } };
  }

  /**
   * A vocabulary from its JSON form, every field checked. A bad field throws a `FormatError`
   * naming `source` (a path, or `'json'`) and the field.
   */
  static fromJSON(json: unknown, source = 'json'): Vocabulary {
    const fail = (m: string): never => {
      throw formatError(source, m);
    };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(`expected a vocabulary object, got ${describe(json)}`);
    const j = json as Record<string, unknown>;
    if (j.format !== FORMAT) fail(`field 'format': expected '${FORMAT}', got ${describe(j.format)}`);
    if (j.version !== 1) fail(`field 'version': expected 1, got ${describe(j.version)}`);
    const tokens = j.tokens;
    if (!Array.isArray(tokens)) return fail(`field 'tokens': expected an array of strings, got ${describe(tokens)}`);
    const index = new Map<string, number>();
    tokens.forEach((t: unknown, i) => {
      if (typeof t !== 'string') fail(`field 'tokens[${i}]': expected a string, got ${describe(t)}`);
      const prev = index.get(t as string);
      if (prev !== undefined) fail(`field 'tokens[${i}]': ${JSON.stringify(t)} repeats tokens[${prev}]`);
      index.set(t as string, i);
    });
    const counts = j.counts;
    if (!Array.isArray(counts)) return fail(`field 'counts': expected an array of counts, got ${describe(counts)}`);
    if (counts.length !== tokens.length) fail(`field 'counts': expected ${tokens.length} entries (one per token), got ${counts.length}`);
    counts.forEach((c: unknown, i) => {
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) fail(`field 'counts[${i}]': expected a non-negative integer, got ${describe(c)}`);
    });
    const specials = j.specials;
    if (!Array.isArray(specials)) return fail(`field 'specials': expected an array of strings, got ${describe(specials)}`);
    if (specials.length > tokens.length) fail(`field 'specials': ${specials.length} specials but only ${tokens.length} tokens`);
    specials.forEach((s: unknown, i) => {
      if (s !== tokens[i]) fail(`field 'specials[${i}]': expected tokens[${i}] (${JSON.stringify(tokens[i])}), got ${describe(s)}`);
    });
    const rolesIn = j.roles;
    if (rolesIn === null || typeof rolesIn !== 'object' || Array.isArray(rolesIn)) return fail(`field 'roles': expected an object, got ${describe(rolesIn)}`);
    const roles: { [R in SpecialRole]?: string } = {};
    for (const [k, v] of Object.entries(rolesIn)) {
      if (!(ROLES as readonly string[]).includes(k)) fail(`field 'roles.${k}': unknown role (expected one of ${ROLES.join(', ')})`);
      if (typeof v !== 'string' || !specials.includes(v)) fail(`field 'roles.${k}': expected one of the specials [${specials.join(', ')}], got ${describe(v)}`);
      roles[k as SpecialRole] = v as string;
    }
    return new Vocabulary([...(tokens as string[])], [...(counts as number[])], specials.length, roles);
  }

  /** Writes the JSON form to `path` atomically (temporary file, fsync, rename). */
  async save(path: string): Promise<void> {
    const p = pathArg('path', path);
    await writeFileAtomic(p, JSON.stringify(this.toJSON()));
  }

  /** The synchronous form of `save`. */
  saveSync(path: string): void {
    writeFileAtomicSync(pathArg('path', path), JSON.stringify(this.toJSON()));
  }

  /**
   * Reads a vocabulary written by `save`. An unreadable file throws an `IoError` naming the
   * path; invalid JSON or a bad field throws a `FormatError` naming the path and the field.
   */
  static async load(path: string): Promise<Vocabulary> {
    const p = pathArg('path', path);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (e) {
      throw ioError(p, e);
    }
    return Vocabulary.parse(text, p);
  }

  /** The synchronous form of `load`. */
  static loadSync(path: string): Vocabulary {
    const p = pathArg('path', path);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw ioError(p, e);
    }
    return Vocabulary.parse(text, p);
  }

  private static parse(text: string, path: string): Vocabulary {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new FormatError(`${path}: not a vocabulary file: invalid JSON (${(e as Error).message})`, 'ERR_SEQLEARN_FORMAT', { cause: e });
    }
    return Vocabulary.fromJSON(json, path);
  }
}

function resolveRoles(rolesIn: SpecialRoles | undefined, specials: readonly string[]): { [R in SpecialRole]?: string } {
  const given = optionsArg('roles', rolesIn, ROLES);
  const roles: { [R in SpecialRole]?: string } = {};
  for (const role of ROLES) {
    const v = given[role];
    if (v === null) continue;
    if (v === undefined) {
      if (specials.includes(DEFAULT_ROLE_TOKENS[role])) roles[role] = DEFAULT_ROLE_TOKENS[role];
      continue;
    }
    if (typeof v !== 'string') throw new TypeError(`roles.${role}: expected a string or null, got ${describe(v)}`);
    if (!specials.includes(v)) throw invalidArgument(`roles.${role}: '${v}' is not among specials [${specials.join(', ')}]`);
    roles[role] = v;
  }
  return roles;
}

/** `Vocabulary.build` options after checks and defaults. */
interface BuildSettings {
  minCount: number;
  maxSize: number;
  specials: string[];
  roles: { [R in SpecialRole]?: string };
}

function buildSettings(options: VocabularyBuildOptions | undefined): BuildSettings {
  const o = optionsArg('options', options, ['minCount', 'maxSize', 'specials', 'roles']);
  const minCount = intArg('minCount', o.minCount, 1, 0);
  const specials = [...stringArrayArg('specials', o.specials ?? DEFAULT_SPECIALS)];
  const seen = new Map<string, number>();
  specials.forEach((s, i) => {
    const j = seen.get(s);
    if (j !== undefined) throw invalidArgument(`specials[${i}]: '${s}' repeats specials[${j}]`);
    seen.set(s, i);
  });
  const maxSize = o.maxSize === undefined ? Infinity : intArg('maxSize', o.maxSize, undefined, specials.length);
  return { minCount, maxSize, specials, roles: resolveRoles(o.roles, specials) };
}

/** Checks that the corpus is iterable with `key` (and not a bare string). */
function iterableArg(source: unknown, key: typeof Symbol.iterator | typeof Symbol.asyncIterator): unknown {
  if (typeof source === 'string') {
    throw new TypeError('tokens: expected an iterable of tokens or of token arrays, got a string; split it first (e.g. new CharTokenizer().tokenize(text))');
  }
  if (source === null || typeof source !== 'object' || typeof (source as Record<symbol, unknown>)[key] !== 'function') {
    throw new TypeError(`tokens: expected an iterable of tokens or of token arrays, got ${describe(source)}`);
  }
  return source;
}

/** Counts the tokens of a flat or nested corpus, item by item, in first-appearance order. */
class TokenCounter {
  readonly counts = new Map<string, number>();
  private nested: boolean | undefined;
  private i = 0;

  add(item: unknown): void {
    const i = this.i++;
    const counts = this.counts;
    if (typeof item === 'string') {
      if (this.nested === true) throw new TypeError(`tokens[${i}]: expected a token array like the items before it, got a string`);
      this.nested = false;
      counts.set(item, (counts.get(item) ?? 0) + 1);
    } else if (item !== null && typeof item === 'object' && typeof (item as Iterable<unknown>)[Symbol.iterator] === 'function') {
      if (this.nested === false) throw new TypeError(`tokens[${i}]: expected a string token like the items before it, got ${describe(item)}`);
      this.nested = true;
      let j = 0;
      for (const t of item as Iterable<unknown>) {
        if (typeof t !== 'string') throw new TypeError(`tokens[${i}][${j}]: expected a string token, got ${describe(t)}`);
        counts.set(t, (counts.get(t) ?? 0) + 1);
        j++;
      }
    } else {
      throw new TypeError(`tokens[${i}]: expected a string token or an array of tokens, got ${describe(item)}`);
    }
  }
}
