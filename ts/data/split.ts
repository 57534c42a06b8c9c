/** Train / validation / test splits, seeded and reproducible. */
import { describe } from '../errors';
import { boolArg, intArg, invalidArgument, numberArg, optionsArg, seedArg } from './args';
import { shuffled } from './random';

/** Options of `trainValTestSplit`. */
export interface SplitOptions {
  /** Fraction of the items for validation, in `[0, 1]`. Default 0.1. */
  valFraction?: number;
  /** Fraction of the items for test, in `[0, 1]`. Default 0.1. */
  testFraction?: number;
  /** Shuffle before splitting (`shuffled(n, seed)`); `false` keeps the order (e.g. a time series: test is the latest). Default `true`. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
}

/** The three parts of a split. */
export interface Split<T> {
  /** Training items. */
  train: T[];
  /** Validation items. */
  val: T[];
  /** Test items. */
  test: T[];
}

/**
 * Splits items (or the indices `0 … n−1` when given a number `n`) into disjoint train,
 * validation and test parts that together hold every item once. Sizes: `test =
 * round(n·testFraction)`, `val = min(round(n·valFraction), n − test)`, `train` the rest. The
 * order (shuffled, or the given order with `shuffle: false`) is cut as train, then val, then test.
 */
export function trainValTestSplit(n: number, options?: SplitOptions): Split<number>;
export function trainValTestSplit<T>(items: readonly T[], options?: SplitOptions): Split<T>;
export function trainValTestSplit<T>(itemsOrN: readonly T[] | number, options?: SplitOptions): Split<T> | Split<number> {
  const o = optionsArg('options', options, ['valFraction', 'testFraction', 'shuffle', 'seed']);
  const valFraction = numberArg('valFraction', o.valFraction, 0.1, 0, 1);
  const testFraction = numberArg('testFraction', o.testFraction, 0.1, 0, 1);
  if (valFraction + testFraction > 1 + 1e-12) throw invalidArgument(`valFraction + testFraction: expected at most 1, got ${valFraction} + ${testFraction} = ${valFraction + testFraction}`);
  const shuffle = boolArg('shuffle', o.shuffle, true);
  const seed = seedArg('seed', o.seed);
  let n: number;
  if (typeof itemsOrN === 'number') n = intArg('n', itemsOrN, undefined, 0, 0x7fffffff);
  else if (Array.isArray(itemsOrN)) n = itemsOrN.length;
  else throw new TypeError(`items: expected an array or a count n, got ${describe(itemsOrN)}`);
  const nTest = Math.round(n * testFraction);
  const nVal = Math.min(Math.round(n * valFraction), n - nTest);
  const nTrain = n - nVal - nTest;
  const order = shuffle ? Array.from(shuffled(n, seed)) : Array.from({ length: n }, (_, i) => i);
  const parts = { train: order.slice(0, nTrain), val: order.slice(nTrain, nTrain + nVal), test: order.slice(nTrain + nVal) };
  if (typeof itemsOrN === 'number') return parts;
  const items = itemsOrN;
  return { train: parts.train.map((i) => items[i]), val: parts.val.map((i) => items[i]), test: parts.test.map((i) => items[i]) };
}
