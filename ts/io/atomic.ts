/**
 * Atomic file writes: the data goes to a temporary file in the target's directory (a unique
 * name, created exclusively), is flushed to disk with fsync, and is renamed over the target. A
 * reader sees the old file or the new one, never a partial write; after a crash at most a
 * stray temporary file `.<name>.<pid>.<n>.<random>.tmp` is left beside the target.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { describe, InvalidArgumentError, IoError } from '../errors';

/** Options of `writeFileAtomic` / `writeFileAtomicSync`. */
export interface AtomicWriteOptions {
  /** Encoding of string data. Default `'utf8'`. */
  encoding?: BufferEncoding;
  /** Permission bits of a newly created file (before the umask). Default `0o666`. */
  mode?: number;
}

let counter = 0;

function tempPathFor(path: string): string {
  counter = (counter + 1) % 0x7fffffff;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.${randomBytes(4).toString('hex')}.tmp`);
}

function checkArgs(path: unknown, data: unknown, options: AtomicWriteOptions | undefined): { bytes: Uint8Array; mode: number } {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path: expected a non-empty string, got ${describe(path)}`);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError(`options: expected an object, got ${describe(options)}`);
  const encoding = options?.encoding ?? 'utf8';
  if (typeof encoding !== 'string') throw new TypeError(`encoding: expected a string, got ${describe(encoding)}`);
  if (!Buffer.isEncoding(encoding)) throw new InvalidArgumentError(`encoding: expected a Node.js buffer encoding such as 'utf8', got '${encoding}'`, 'ERR_SEQLEARN_INVALID_ARG');
  const mode = options?.mode ?? 0o666;
  if (typeof mode !== 'number') throw new TypeError(`mode: expected permission bits (a number), got ${describe(mode)}`);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new InvalidArgumentError(`mode: expected permission bits in [0, 0o7777], got ${mode}`, 'ERR_SEQLEARN_INVALID_ARG');
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = Buffer.from(data, encoding);
  else if (data instanceof Uint8Array) bytes = data;
  else throw new TypeError(`data: expected a string or a Uint8Array, got ${describe(data)}`);
  return { bytes, mode };
}

function ioError(path: string, e: unknown): IoError {
  const err = e as NodeJS.ErrnoException;
  const what = err && typeof err === 'object' && err.code ? `${err.code}: ${err.message}` : String(e);
  return new IoError(`${path}: cannot write the file atomically (${what})`, 'ERR_SEQLEARN_IO', { cause: e });
}

/** Best-effort fsync of the directory, so the rename itself survives a power loss (POSIX only). */
function syncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is already on disk.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // As in syncDirSync.
  } finally {
    await h?.close();
  }
}

/**
 * Writes `data` (a string, encoded with `options.encoding`, or bytes) to `path` atomically: a
 * unique temporary file beside `path`, fsync, rename. On any failure the temporary file is
 * removed and an `IoError` naming `path` and the system error is thrown; `path` is unchanged.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options?: AtomicWriteOptions): Promise<void> {
  const { bytes, mode } = checkArgs(path, data, options);
  const tmp = tempPathFor(path);
  let h: FileHandle | undefined;
  let created = false;
  try {
    h = await open(tmp, 'wx', mode);
    created = true;
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await h.write(bytes, off, bytes.length - off);
      off += bytesWritten;
    }
    await h.sync();
    await h.close();
    h = undefined;
    await rename(tmp, path);
  } catch (e) {
    if (h) await h.close().catch(() => undefined);
    if (created) await unlink(tmp).catch(() => undefined);
    throw ioError(path, e);
  }
  await syncDir(dirname(path));
}

/** The synchronous form of `writeFileAtomic` (same steps, same errors). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options?: AtomicWriteOptions): void {
  const { bytes, mode } = checkArgs(path, data, options);
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  let created = false;
  try {
    fd = openSync(tmp, 'wx', mode);
    created = true;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed or removed
      }
    }
    throw ioError(path, e);
  }
  syncDirSync(dirname(path));
}
