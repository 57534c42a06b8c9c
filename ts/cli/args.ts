/**
 * Command-line argument parsing for `npx seqlearn`: a flag table per command (name, value kind,
 * default, help), a parser that accepts the C tool's single-dash style (`-size 200`) as well as
 * `--size 200` and `--size=200`, and typed readers that turn a raw value into a number, a 0/1
 * switch or a choice — every failure is a {@link UsageError} whose message names the flag.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A mistake in the command line (unknown flag, missing or malformed value): message + exit code 2, no stack. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** How a flag takes its value. */
export type FlagKind = 'int' | 'number' | 'bool01' | 'string' | 'file' | 'path' | 'choice' | 'list' | 'switch';

/** One flag of a command. */
export interface FlagSpec {
  /** Canonical spelling with its dashes, e.g. `-size` or `--topn`. */
  name: string;
  /** Other spellings (e.g. `-o` for `--output`). */
  aliases?: readonly string[];
  kind: FlagKind;
  /** Placeholder of the value in the help text (`<int>`, `<file>`, ...). */
  metavar?: string;
  /** Default shown in the help text (the command applies it). */
  defaultText?: string;
  /** Help text (may span lines). */
  help: string;
  /** Allowed values of a `choice` flag. */
  choices?: readonly string[];
  /** Help section (flags are listed by section, in table order). */
  section?: string;
}

/** A parsed command line: flag values (raw strings, keyed by canonical name) and positional arguments. */
export interface ParsedArgs {
  /** Raw value of each given flag (`''` for a `switch`); the last occurrence wins. */
  values: Map<string, string>;
  /** Positional arguments, in order. */
  positional: string[];
  /** `-h` / `--help` was given. */
  help: boolean;
}

/** Looks a flag up by any spelling, accepting `-name` and `--name` for each. */
function lookup(specs: readonly FlagSpec[], token: string): FlagSpec | undefined {
  const bare = token.replace(/^--?/, '');
  return specs.find((s) => [s.name, ...(s.aliases ?? [])].some((n) => n.replace(/^--?/, '') === bare));
}

/** Levenshtein distance (for "did you mean" suggestions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** True for a token that is a number (so `-alpha -1` reads `-1` as the value, not as a flag). */
const isNumeric = (t: string) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t);

/**
 * Splits `argv` into flags and positional arguments. Every non-switch flag takes exactly one
 * value: the next token, or the text after `=` (`--topn=5`). A lone `-` or `+` is positional (the
 * `king - man + woman` form of `similar`); after `--` everything is positional.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const values = new Map<string, string>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (tok === '-h' || tok === '--help' || tok === '-help') {
      help = true;
      continue;
    }
    if (!tok.startsWith('-') || tok === '-' || isNumeric(tok)) {
      positional.push(tok);
      continue;
    }
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const name = eq > 0 ? tok.slice(0, eq) : tok;
    const spec = lookup(specs, name);
    if (!spec) {
      const bare = name.replace(/^--?/, '');
      const near = specs.filter((s) => editDistance(s.name.replace(/^--?/, ''), bare) <= 2).map((s) => s.name);
      throw new UsageError(`unknown flag ${name}${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}`);
    }
    if (spec.kind === 'switch') {
      if (eq > 0) throw new UsageError(`${spec.name} takes no value, got "${tok.slice(eq + 1)}"`);
      values.set(spec.name, '');
      continue;
    }
    let value: string;
    if (eq > 0) value = tok.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${spec.name} needs a value (${spec.metavar ?? '<value>'})`);
      if (next.startsWith('-') && next !== '-' && !isNumeric(next) && lookup(specs, next.split('=')[0])) {
        throw new UsageError(`${spec.name} needs a value (${spec.metavar ?? '<value>'}), got the flag ${next}`);
      }
      value = next;
      i++;
    }
    values.set(spec.name, value);
  }
  return { values, positional, help };
}

/** Typed access to a parsed command line; each reader names the flag in its error. */
export class FlagReader {
  constructor(private readonly args: ParsedArgs) {}

  /** True when the flag was given. */
  has(flag: string): boolean {
    return this.args.values.has(flag);
  }

  /** The raw value, or `undefined`. */
  raw(flag: string): string | undefined {
    return this.args.values.get(flag);
  }

  /** An integer in [min, max]; `def` when absent. */
  int(flag: string, def: number, min = -Infinity, max = Number.MAX_SAFE_INTEGER): number {
    const s = this.raw(flag);
    if (s === undefined) return def;
    const v = Number(s);
    if (!/^[-+]?\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`${flag}: expected an integer, got "${s}"`);
    if (v < min || v > max) throw new UsageError(`${flag}: expected an integer ${range(min, max)}, got ${s}`);
    return v;
  }

  /** An optional integer in [min, max]. */
  optInt(flag: string, min = -Infinity, max = Number.MAX_SAFE_INTEGER): number | undefined {
    return this.has(flag) ? this.int(flag, 0, min, max) : undefined;
  }

  /** A finite number >= min (> min when `exclusive`); `def` when absent. */
  number(flag: string, def: number, min = -Infinity, exclusive = false): number {
    const s = this.raw(flag);
    if (s === undefined) return def;
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag}: expected a number, got "${s}"`);
    if (exclusive ? v <= min : v < min) throw new UsageError(`${flag}: expected a number ${exclusive ? '>' : '>='} ${min}, got ${s}`);
    return v;
  }

  /** An optional number (see `number`). */
  optNumber(flag: string, min = -Infinity, exclusive = false): number | undefined {
    return this.has(flag) ? this.number(flag, 0, min, exclusive) : undefined;
  }

  /** A 0/1 switch (the C tool's style); `def` when absent. */
  bool01(flag: string, def: boolean): boolean {
    const s = this.raw(flag);
    if (s === undefined) return def;
    if (s.trim() === '0') return false;
    if (s.trim() === '1') return true;
    throw new UsageError(`${flag}: expected 0 or 1, got "${s}"`);
  }

  /** One of `choices`; `def` when absent. */
  choice<T extends string>(flag: string, choices: readonly T[], def: T): T {
    const s = this.raw(flag);
    if (s === undefined) return def;
    const v = s.trim().toLowerCase() as T;
    if (!choices.includes(v)) throw new UsageError(`${flag}: expected one of ${choices.join(', ')}, got "${s}"`);
    return v;
  }

  /** A non-empty string, or `undefined` when absent. */
  string(flag: string): string | undefined {
    const s = this.raw(flag);
    if (s === undefined) return undefined;
    if (s === '') throw new UsageError(`${flag}: expected a non-empty value`);
    return s;
  }

  /** Comma-separated non-empty items (`--positive a,b`), or `[]` when absent. */
  list(flag: string): string[] {
    const s = this.raw(flag);
    if (s === undefined) return [];
    const items = s.split(',').map((x) => x.trim()).filter(Boolean);
    if (!items.length) throw new UsageError(`${flag}: expected a comma-separated list, got "${s}"`);
    return items;
  }

  /** A switch (`--case-sensitive`). */
  flag(flag: string): boolean {
    return this.has(flag);
  }

  /** An existing regular file, or `undefined` when absent. */
  inputFile(flag: string): string | undefined {
    const s = this.string(flag);
    return s === undefined ? undefined : checkInputFile(s, flag);
  }

  /** A path whose directory exists (an output), or `undefined` when absent. */
  outputFile(flag: string): string | undefined {
    const s = this.string(flag);
    return s === undefined ? undefined : checkOutputPath(s, flag);
  }
}

function range(min: number, max: number): string {
  if (min > -Infinity && max < Number.MAX_SAFE_INTEGER) return `in [${min}, ${max}]`;
  if (min > -Infinity) return `>= ${min}`;
  return `<= ${max}`;
}

/** Checks that `path` is an existing readable regular file; `what` names it in the error. */
export function checkInputFile(path: string, what: string): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new UsageError(`${what}: file not found: ${path}`);
  if (!statSync(p).isFile()) throw new UsageError(`${what}: not a regular file: ${path}`);
  return p;
}

/** Checks that the directory `path` would be written in exists and `path` is not a directory. */
export function checkOutputPath(path: string, what: string): string {
  const p = resolve(path);
  const dir = dirname(p);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${what}: directory does not exist: ${dirname(path)}`);
  if (existsSync(p) && statSync(p).isDirectory()) throw new UsageError(`${what}: is a directory: ${path}`);
  return p;
}

/** Help lines for a flag table, grouped by section, in the C tool's layout (flag line, then indented text). */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const out: string[] = [];
  let section: string | undefined;
  for (const s of specs) {
    if (s.section !== section) {
      section = s.section;
      if (section) out.push('', `${section}:`);
    }
    const names = [s.name, ...(s.aliases ?? [])].join(', ');
    out.push(`\t${names}${s.kind === 'switch' ? '' : ` ${s.metavar ?? '<value>'}`}`);
    const text = s.help + (s.defaultText !== undefined ? `; default is ${s.defaultText}` : '');
    for (const line of text.split('\n')) out.push(`\t\t${line}`);
  }
  return out.join('\n');
}
