/** The one thread pool: SEQLEARN_NUM_THREADS sets its size at start-up, setNumThreads changes it. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getNumThreads, InvalidArgumentError, setNumThreads } from '../dist/index.js';

const entry = join(__dirname, '..', 'dist', 'index.js');
const threadsIn = (env: Record<string, string>): number =>
  Number(execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(entry)}).getNumThreads())`], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim());

describe('thread pool', () => {
  it('takes its size from SEQLEARN_NUM_THREADS', () => {
    expect(threadsIn({ SEQLEARN_NUM_THREADS: '1' })).toBe(1);
    expect(threadsIn({ SEQLEARN_NUM_THREADS: '3' })).toBe(3);
  });

  it('defaults to the number of cores when the variable is unset or invalid', () => {
    const cores = require('node:os').availableParallelism() as number;
    expect(threadsIn({ SEQLEARN_NUM_THREADS: '' })).toBe(cores);
    expect(threadsIn({ SEQLEARN_NUM_THREADS: 'lots' })).toBe(cores);
  });

  it('setNumThreads changes it and rejects bad counts', () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(InvalidArgumentError);
    expect(() => setNumThreads(1.5)).toThrow(/numThreads/);
  });
});
