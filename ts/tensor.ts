/**
 * `Tensor`: a thin value of `Float32Array` data and a shape (row-major). Not an autograd
 * library: layers take tensors in and give tensors out; the math runs in Rust.
 */
import native = require('./native');
import { callNative, describe, InvalidArgumentError } from './errors';

/** Anything with float data and a shape (a `Tensor` or a plain object). */
export interface TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Anything with int32 data and a shape (ids, lengths). */
export interface IntTensorLike {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

/** Nested arrays of numbers, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = number | readonly NestedArray[];

function checkShape(shape: readonly number[], arg = 'shape'): number {
  if (!Array.isArray(shape)) throw new TypeError(`${arg}: expected an array of non-negative integers, got ${describe(shape)}`);
  let n = 1;
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) {
      throw new InvalidArgumentError(`${arg}[${i}]: expected a non-negative integer, got ${String(d)}`, 'ERR_SEQLEARN_INVALID_ARG');
    }
    n *= d;
  });
  return n;
}

/** Checks that `data` is a `kind` typed array whose length matches `shape`. */
function checkData(data: unknown, kind: typeof Float32Array | typeof Int32Array, shape: readonly number[]): void {
  if (!(data instanceof kind)) throw new TypeError(`data: expected ${kind === Int32Array ? 'an' : 'a'} ${kind.name}, got ${describe(data)}`);
  const n = checkShape(shape);
  if (n !== data.length) {
    throw new InvalidArgumentError(`data: shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  }
}

/** A dense float32 tensor. */
export class Tensor implements TensorLike {
  /** Row-major values. */
  readonly data: Float32Array;
  /** Dimensions. */
  readonly shape: number[];

  /** Wraps `data` (not copied) with `shape`; the sizes must agree. */
  constructor(data: Float32Array, shape: readonly number[]) {
    checkData(data, Float32Array, shape);
    this.data = data;
    this.shape = [...shape];
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** A tensor of zeros. */
  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(checkShape(shape)), shape);
  }

  /** A tensor filled with `value`. */
  static full(shape: readonly number[], value: number): Tensor {
    return new Tensor(new Float32Array(checkShape(shape)).fill(value), shape);
  }

  /** Standard-normal values, reproducible from `seed` (default 0). */
  static randn(shape: readonly number[], options: { seed?: number } = {}): Tensor {
    const n = checkShape(shape);
    return new Tensor(callNative(() => native.randomNormal(n, options.seed ?? 0)), shape);
  }

  /** Values uniform in `[low, high)` (default [0, 1)), reproducible from `seed`. */
  static rand(shape: readonly number[], options: { seed?: number; low?: number; high?: number } = {}): Tensor {
    const n = checkShape(shape);
    return new Tensor(callNative(() => native.randomUniform(n, options.low ?? 0, options.high ?? 1, options.seed ?? 0)), shape);
  }

  /** A tensor from nested arrays (rectangular). */
  static from(values: NestedArray): Tensor {
    const shape: number[] = [];
    let v: NestedArray = values;
    while (Array.isArray(v)) {
      shape.push(v.length);
      v = (v as readonly NestedArray[])[0] ?? 0;
      if (shape[shape.length - 1] === 0) break;
    }
    const flat: unknown[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else flat.push(x);
    };
    walk(values);
    const n = shape.reduce((a, b) => a * b, 1);
    if (flat.length !== n) throw new InvalidArgumentError(`values: nested arrays must be rectangular; shape ${JSON.stringify(shape)} needs ${n} numbers, got ${flat.length}`, 'ERR_SEQLEARN_INVALID_ARG');
    const data = new Float32Array(n);
    flat.forEach((x, i) => {
      if (typeof x !== 'number') throw new TypeError(`values: expected numbers, found ${describe(x)} at flat index ${i}`);
      data[i] = x;
    });
    return new Tensor(data, shape);
  }

  /** A view with another shape of the same size (data shared). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The values as nested arrays. */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

/** A dense int32 tensor (token ids, lengths, labels). */
export class IntTensor implements IntTensorLike {
  /** Row-major values. */
  readonly data: Int32Array;
  /** Dimensions. */
  readonly shape: number[];
  /** Wraps `data` (not copied) with `shape`. */
  constructor(data: Int32Array, shape: readonly number[]) {
    checkData(data, Int32Array, shape);
    this.data = data;
    this.shape = [...shape];
  }
}

/** Checks that `v` is tensor-like (for arguments named `arg`) and returns the native form. */
export function tensorArg(arg: string, v: unknown): { data: Float32Array; shape: number[] } {
  const t = v as Partial<TensorLike> | null | undefined;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
    throw new TypeError(`${arg}: expected a Tensor ({ data: Float32Array, shape: number[] }), got ${describe(v)}`);
  }
  const n = checkShape(t.shape, `${arg}.shape`);
  if (n !== t.data.length) {
    throw new InvalidArgumentError(`${arg}: shape [${t.shape.join(', ')}] needs ${n} values, got ${t.data.length}`, 'ERR_SEQLEARN_INVALID_ARG');
  }
  return { data: t.data, shape: [...t.shape] };
}

/** Wraps a native `{ data, shape }` result. */
export function fromNativeTensor(t: { data: Float32Array; shape: number[] }): Tensor {
  return new Tensor(t.data, t.shape);
}
