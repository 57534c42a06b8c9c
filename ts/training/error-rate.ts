/**
 * Word and character error rates, computed in Rust exactly as jiwer 4 does (corpus level): each
 * pair is normalised with jiwer's default transforms, aligned by Levenshtein distance, and the
 * rate is `Σ edits / Σ reference units` over all pairs — not a mean of per-sentence rates — so it
 * can exceed 1. When every reference is empty the rate is the number of inserted units.
 *
 * WER: runs of 2+ whitespace characters become one space, the ends are stripped, words are split
 * on `' '` (as jiwer, a lone tab stays inside a word). CER: the ends are stripped and every
 * character counts, inner spaces included. Case and punctuation are left as they are.
 */
import native = require('../native');
import { awaitNative, callNative, describe } from '../errors';

/** Edit counts behind an error rate. */
export interface ErrorCounts {
  /** `edits / referenceUnits` (`edits` when the references are all empty). */
  rate: number;
  /** Minimum substitutions + deletions + insertions, summed over the pairs. */
  edits: number;
  /** Words (or characters) of the references. */
  referenceUnits: number;
  /** Words (or characters) of the hypotheses. */
  hypothesisUnits: number;
}

/** What an error rate counts. */
export type ErrorUnit = 'word' | 'char';

function texts(arg: string, v: string | readonly string[]): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new TypeError(`${arg}: expected a string or an array of strings, got ${describe(v)}`);
  return v.map((s, i) => {
    if (typeof s !== 'string') throw new TypeError(`${arg}[${i}]: expected a string, got ${describe(s)}`);
    return s;
  });
}

/** Error counts of `hypotheses` against `references` (same number of each, or two strings). */
export function errorCounts(references: string | readonly string[], hypotheses: string | readonly string[], unit: ErrorUnit): ErrorCounts {
  const r = texts('references', references);
  const h = texts('hypotheses', hypotheses);
  return callNative(() => native.errorRate(r, h, unit));
}

/** `errorCounts` on a worker thread (large corpora). */
export async function errorCountsAsync(references: string | readonly string[], hypotheses: string | readonly string[], unit: ErrorUnit): Promise<ErrorCounts> {
  const r = texts('references', references);
  const h = texts('hypotheses', hypotheses);
  return awaitNative(() => native.errorRateAsync(r, h, unit));
}

/** Corpus word error rate (jiwer's `wer`). */
export function wordErrorRate(references: string | readonly string[], hypotheses: string | readonly string[]): number {
  return errorCounts(references, hypotheses, 'word').rate;
}

/** Corpus character error rate (jiwer's `cer`). */
export function charErrorRate(references: string | readonly string[], hypotheses: string | readonly string[]): number {
  return errorCounts(references, hypotheses, 'char').rate;
}
