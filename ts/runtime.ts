/** Thread control. seqlearn runs its kernels on one pool of threads. */
import native = require('./native');
import { callNative } from './errors';

/**
 * Sets how many threads seqlearn's kernels use (default: `SEQLEARN_NUM_THREADS`, else the
 * number of cores). Takes effect for calls started afterwards.
 */
export function setNumThreads(n: number): void {
  callNative(() => native.setNumThreads(n));
}

/** The number of threads seqlearn's kernels use. */
export function getNumThreads(): number {
  return native.getNumThreads();
}
