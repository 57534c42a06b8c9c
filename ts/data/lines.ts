/** Streaming line reader for text files of any size (larger than memory). */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, IoError } from '../errors';
import { invalidArgument, optionsArg, pathArg } from './args';

/** Options of `readLines`. */
export interface ReadLinesOptions {
  /** Text encoding of the file. Default `'utf8'`. */
  encoding?: BufferEncoding;
}

/**
 * The lines of a text file, read as a stream (memory use does not grow with the file). Lines end
 * at `\n` or `\r\n` (the terminator is not part of the line); a final line without a terminator
 * is yielded, a final empty line after the last terminator is not; a UTF-8 byte-order mark at
 * the start is dropped. Arguments are checked at the call; a file that cannot be read rejects
 * the iteration with an `IoError` naming the path.
 *
 *     for await (const line of readLines('corpus.txt')) { … }
 */
export function readLines(path: string, options?: ReadLinesOptions): AsyncIterableIterator<string> {
  const p = pathArg('path', path);
  const o = optionsArg('options', options, ['encoding']);
  const encoding = o.encoding ?? 'utf8';
  if (typeof encoding !== 'string') throw new TypeError(`encoding: expected a string, got ${describe(encoding)}`);
  if (!Buffer.isEncoding(encoding)) throw invalidArgument(`encoding: expected a Node.js buffer encoding such as 'utf8', got '${encoding}'`);
  return lines(p, encoding);
}

async function* lines(path: string, encoding: BufferEncoding): AsyncIterableIterator<string> {
  const stream = createReadStream(path, { encoding });
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let first = true;
  try {
    for await (const line of reader) {
      if (first) {
        first = false;
        yield line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
      } else {
        yield line;
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err && typeof err === 'object' && err.code ? `${err.code}: ${err.message}` : String(e);
    throw new IoError(`${path}: cannot read the file (${what})`, 'ERR_SEQLEARN_IO', { cause: e });
  } finally {
    reader.close();
    stream.destroy();
  }
}
