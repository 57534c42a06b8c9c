/** Where a CLI command writes and how it is cancelled (tests pass their own streams). */
import type { ProgressStream } from '../models/progress';

/** The streams and cancellation signal of one command run. */
export interface CliIo {
  /** Results (tables, neighbours, help). */
  stdout: ProgressStream;
  /** Progress and information lines. */
  stderr: ProgressStream;
  /** Aborted on Ctrl-C: long commands stop cleanly and write nothing. */
  signal?: AbortSignal;
}
