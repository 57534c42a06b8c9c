// Shared helpers of the API test suites: tolerant tensor comparison that names the worst
// element, error assertions, small tensor utilities and layer construction from a fixture config.
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect } from 'vitest'
import { BusyError, GRU, LSTM, RNN, Tensor, type RecurrentLayer, type TensorLike } from '../dist/index.js'

export const FIXTURE_DIR = resolve(__dirname, 'fixtures', 'recurrent')

/** The per-configuration PyTorch fixtures (everything but the plain state-dict file). */
export function recurrentFixtures(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.safetensors') && !f.startsWith('torch_'))
    .sort()
    .map((f) => join(FIXTURE_DIR, f))
}

export type Mode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru'
export const MODES: Mode[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru']

export interface LayerConfig {
  mode: Mode
  inputSize: number
  hiddenSize: number
  numLayers?: number
  bidirectional?: boolean
  bias?: boolean
  batchFirst?: boolean
  projSize?: number
  dropout?: number
  seed?: number
}

/** Builds the layer of `mode` through the public classes. */
export function makeLayer(c: LayerConfig): RecurrentLayer {
  const common = {
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
    bias: c.bias,
    batchFirst: c.batchFirst,
    dropout: c.dropout,
    seed: c.seed,
  }
  switch (c.mode) {
    case 'rnn_tanh':
      return new RNN({ ...common, nonlinearity: 'tanh' })
    case 'rnn_relu':
      return new RNN({ ...common, nonlinearity: 'relu' })
    case 'lstm':
      return new LSTM({ ...common, projSize: c.projSize ?? 0 })
    case 'gru':
      return new GRU(common)
  }
}

/** Row-major flat index → multi-index. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0)
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]
    i = Math.floor(i / shape[d])
  }
  return idx
}

/** A float tensor-ish: values and a shape (e.g. parsed JSON flattened with `fromNested`). */
export interface Numeric {
  data: ArrayLike<number>
  shape: readonly number[]
}

/** Nested JSON arrays → flat values and shape. */
export function fromNested(v: unknown): { data: number[]; shape: number[] } {
  const shape: number[] = []
  let cur: unknown = v
  while (Array.isArray(cur)) {
    shape.push(cur.length)
    cur = cur[0]
  }
  const data: number[] = []
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk)
    else data.push(x as number)
  }
  walk(v)
  return { data, shape }
}

/**
 * Asserts `|actual − expected| ≤ atol + rtol·|expected|` element-wise (and equal shapes). On
 * failure the message names the worst element by multi-index, with both values.
 */
export function expectClose(actual: Numeric, expected: Numeric, opts: { atol?: number; rtol?: number; label?: string } = {}): void {
  const atol = opts.atol ?? 1e-5
  const rtol = opts.rtol ?? 1e-5
  const label = opts.label ?? 'tensor'
  expect([...actual.shape], `${label}: shape`).toEqual([...expected.shape])
  expect(actual.data.length, `${label}: number of values`).toBe(expected.data.length)
  let worst = -1
  let worstExcess = 0
  let bad = 0
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]
    const b = expected.data[i]
    const excess = Math.abs(a - b) - (atol + rtol * Math.abs(b))
    // `!(excess <= 0)` also catches NaN.
    if (!(excess <= 0)) {
      bad++
      if (worst < 0 || !(excess <= worstExcess)) {
        worst = i
        worstExcess = excess
      }
    }
  }
  if (bad > 0) {
    const a = actual.data[worst]
    const b = expected.data[worst]
    throw new Error(
      `${label}: ${bad} of ${expected.data.length} values differ beyond ${atol} + ${rtol}·|expected|; ` +
        `worst at [${unravel(worst, expected.shape).join(', ')}] (flat ${worst}): actual ${a}, expected ${b}, |diff| ${Math.abs(a - b)}`,
    )
  }
}

/** Bit-exact equality of two float tensors (shape and every value). */
export function expectSame(actual: Numeric, expected: Numeric, label = 'tensor'): void {
  expectClose(actual, expected, { atol: 0, rtol: 0, label })
}

/** Largest |a − b| over all elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Runs `fn`, which must throw an instance of `cls` (exactly that class: `name` is checked too),
 * with `code` (when given) and a message containing every string of `includes`.
 */
export function expectError(fn: () => unknown, cls: ErrorClass, code: string | undefined, includes: (string | RegExp)[]): Error {
  let thrown: unknown
  let threw = false
  try {
    fn()
  } catch (e) {
    thrown = e
    threw = true
  }
  if (!threw) throw new Error(`expected ${cls.name} (${code ?? 'no code'}), but nothing was thrown`)
  checkError(thrown, cls, code, includes)
  return thrown as Error
}

/** Like `expectError` for a promise (or an async function that may also throw synchronously). */
export async function expectRejection(p: Promise<unknown> | (() => Promise<unknown>), cls: ErrorClass, code: string | undefined, includes: (string | RegExp)[]): Promise<Error> {
  let thrown: unknown
  let threw = false
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    thrown = e
    threw = true
  }
  if (!threw) throw new Error(`expected a rejection with ${cls.name} (${code ?? 'no code'}), but it resolved`)
  checkError(thrown, cls, code, includes)
  return thrown as Error
}

function checkError(e: unknown, cls: ErrorClass, code: string | undefined, includes: (string | RegExp)[]): void {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  expect(e, `thrown value (${msg})`).toBeInstanceOf(cls)
  expect((e as Error).name, `error class (${msg})`).toBe(cls.name)
  if (code !== undefined) expect((e as { code?: unknown }).code, `error code (${msg})`).toBe(code)
  for (const s of includes) {
    if (typeof s === 'string') expect((e as Error).message, `message of ${msg}`).toContain(s)
    else expect((e as Error).message, `message of ${msg}`).toMatch(s)
  }
}

/** `[A, B, F]` → `[B, A, F]` (time-major ↔ batch-first). */
export function swap01(t: TensorLike): Tensor {
  const [a, b, f] = t.shape
  const out = new Float32Array(a * b * f)
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      out.set(t.data.subarray((i * b + j) * f, (i * b + j + 1) * f), (j * a + i) * f)
    }
  }
  return new Tensor(out, [b, a, f])
}

/** Steps `0..len` of batch item `b` of a time-major `[T, B, F]` tensor, as `[len, 1, F]`. */
export function sequenceOf(t: TensorLike, b: number, len: number): Tensor {
  const [, batch, f] = t.shape
  const out = new Float32Array(len * f)
  for (let s = 0; s < len; s++) out.set(t.data.subarray((s * batch + b) * f, (s * batch + b + 1) * f), s * f)
  return new Tensor(out, [len, 1, f])
}

/** Steps `from..to` of a time-major `[T, B, F]` tensor. */
export function stepsOf(t: TensorLike, from: number, to: number): Tensor {
  const [, batch, f] = t.shape
  return new Tensor(t.data.slice(from * batch * f, to * batch * f), [to - from, batch, f])
}

/** Row `i` of the first dimension of `[N, B, F]` restricted to batch item `b`: `F` values. */
export function rowOf(t: TensorLike, i: number, b: number): Float32Array {
  const [, batch, f] = t.shape
  return t.data.slice((i * batch + b) * f, (i * batch + b + 1) * f)
}

/** Concatenates time-major tensors along the sequence dimension. */
export function concatSteps(parts: TensorLike[]): Tensor {
  const [, b, f] = parts[0].shape
  const steps = parts.reduce((n, p) => n + p.shape[0], 0)
  const out = new Float32Array(steps * b * f)
  let off = 0
  for (const p of parts) {
    out.set(p.data, off)
    off += p.data.length
  }
  return new Tensor(out, [steps, b, f])
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Starts `start()` until a sync probe observes BusyError while it runs; then runs `checks`. */
export async function observeBusy(start: () => Promise<unknown>, probe: () => unknown, checks: () => void): Promise<void> {
  let observed = false
  for (let attempt = 0; attempt < 8 && !observed; attempt++) {
    let settled = false
    const p = start().finally(() => {
      settled = true
    })
    while (!settled && !observed) {
      try {
        probe()
        await sleep(0)
      } catch (e) {
        if (!(e instanceof BusyError)) throw e
        observed = true
        checks()
      }
    }
    await p
  }
  expect(observed, 'an async call was observed running').toBe(true)
}
