/** Loading the vector file named on a command line (format detected), shared by the CLI commands. */
import { KeyedVectors } from '../embeddings/keyed-vectors';
import { checkInputFile, UsageError } from './args';

/** Loads `path` (word2vec text or binary, detected) or throws a `UsageError` naming `what` when it does not exist. */
export async function loadVectors(path: string | undefined, what: string, limit?: number): Promise<KeyedVectors> {
  if (path === undefined) throw new UsageError(`${what} is required`);
  const file = checkInputFile(path, what);
  return KeyedVectors.loadAsync(file, limit !== undefined ? { limit } : {});
}
