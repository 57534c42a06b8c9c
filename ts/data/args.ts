/**
 * Argument checks shared by the data layer and the dataset loaders. Each check names the
 * argument and gives the expected vs the actual value, and throws `TypeError` for a value of the
 * wrong type or `InvalidArgumentError` (`ERR_SEQLEARN_INVALID_ARG`) for a value out of range.
 */
import { describe, InvalidArgumentError } from '../errors';

/** An `InvalidArgumentError` with the standard code. */
export function invalidArgument(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, 'ERR_SEQLEARN_INVALID_ARG');
}

/**
 * Checks that `v` is `undefined` or a plain options object whose keys are all in `allowed`
 * (so a misspelt option is an error, not silently ignored); returns it (or `{}`).
 */
export function optionsArg<T extends object>(arg: string, v: T | undefined, allowed: readonly (keyof T & string)[]): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${arg}: expected an options object, got ${describe(v)}`);
  for (const k of Object.keys(v)) {
    if (!(allowed as readonly string[]).includes(k)) {
      throw invalidArgument(`${arg}: unknown option '${k}' (expected one of: ${allowed.join(', ')})`);
    }
  }
  return v;
}

/** A boolean option; `dflt` when `undefined`. */
export function boolArg(arg: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${arg}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** An integer in `[min, max]`; `dflt` when `undefined` (pass `undefined` as `dflt` to require it). */
export function intArg(arg: string, v: unknown, dflt: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) {
    if (dflt === undefined) throw new TypeError(`${arg}: required, expected an integer in [${min}, ${max}]`);
    return dflt;
  }
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected an integer, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) throw invalidArgument(`${arg}: expected an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** A finite number in `[min, max]`; `dflt` when `undefined`. */
export function numberArg(arg: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${arg}: expected a number, got ${describe(v)}`);
  if (!Number.isFinite(v) || v < min || v > max) throw invalidArgument(`${arg}: expected a number in [${min}, ${max}], got ${v}`);
  return v;
}

/** One of the strings in `choices`; `dflt` when `undefined`. */
export function choiceArg<C extends string>(arg: string, v: unknown, dflt: C, choices: readonly C[]): C {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw invalidArgument(`${arg}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${typeof v === 'string' ? `'${v}'` : describe(v)}`);
  }
  return v as C;
}

/** A string argument. */
export function stringArg(arg: string, v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`${arg}: expected a string, got ${describe(v)}`);
  return v;
}

/** A non-empty file path. */
export function pathArg(arg: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${arg}: expected a non-empty string (a file path), got ${describe(v)}`);
  return v;
}

/** An array of strings (each element checked, named `arg[i]`). */
export function stringArrayArg(arg: string, v: unknown): readonly string[] {
  if (!Array.isArray(v)) throw new TypeError(`${arg}: expected an array of strings, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string') throw new TypeError(`${arg}[${i}]: expected a string, got ${describe(v[i])}`);
  }
  return v as readonly string[];
}

/** Integers of an `Int32Array` or an array of numbers; checks every element of a plain array. */
export function intArrayArg(arg: string, v: unknown): ArrayLike<number> {
  if (v instanceof Int32Array) return v;
  if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    throw new TypeError(`${arg}: expected an Int32Array or an array of integers, got ${describe(v)}`);
  }
  const a = v as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number') throw new TypeError(`${arg}[${i}]: expected an integer, got ${describe(x)}`);
    if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw invalidArgument(`${arg}[${i}]: expected a 32-bit integer, got ${x}`);
  }
  return a as ArrayLike<number>;
}

/** A seed: an integer in `[0, 2^53 − 1]`; `0` when `undefined`. */
export function seedArg(arg: string, v: unknown): number {
  return intArg(arg, v, 0, 0, Number.MAX_SAFE_INTEGER);
}
