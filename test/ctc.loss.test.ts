// CTC loss: PyTorch parity on every fixture of test/fixtures/ctc (written by
// make_ctc_fixtures.py: F.ctc_loss in float64 with log_softmax in the graph for 'logits',
// PyTorch's log_probs gradient for 'logProbs'; repeated labels, empty targets, T = L + repeats,
// items without an alignment with and without zeroInfinity, input length 0, every reduction,
// blank ≠ 0, padded and concatenated targets, batchFirst), |a − b| ≤ 1e-5 + 1e-5·|b| for losses
// and gradients; the infeasible report; sync and async give identical bits; layouts and target
// forms agree; thread count and batch composition do not change a bit; one error test per
// validated argument.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CTCLoss,
  IntTensor,
  InvalidArgumentError,
  ShapeError,
  Tensor,
  ctcLoss,
  ctcLossAsync,
  getNumThreads,
  loadSafetensorsFileSync,
  logSoftmax,
  setNumThreads,
  type CtcLossOptions,
  type CtcLossResult,
  type SafetensorsFile,
} from '../dist/index.js'
import { expectClose, expectError, expectRejection, expectSame, swap01 } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'ctc')
const TOL = { atol: 1e-5, rtol: 1e-5 }
const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const SHAPE = 'ERR_SEQLEARN_SHAPE'
const initialThreads = getNumThreads()
afterAll(() => setNumThreads(initialThreads))

interface Config {
  inputKind: 'logits' | 'logProbs'
  reduction: 'none' | 'sum' | 'mean'
  blank: number
  zeroInfinity: boolean
  batchFirst: boolean
  padded: boolean
}

interface Fixture {
  name: string
  c: Config
  input: Tensor
  targets: IntTensor
  inputLengths: number[]
  targetLengths: number[]
  f: SafetensorsFile
}

function fixtures(): Fixture[] {
  const names = readdirSync(DIR).filter((n) => n.endsWith('.safetensors')).sort()
  expect(names.length, 'CTC fixtures').toBeGreaterThan(10)
  return names.map((name) => {
    const f = loadSafetensorsFileSync(join(DIR, name))
    const c = (JSON.parse(f.metadata.case) as { config: Config }).config
    const ints = (k: string) => Array.from((f.tensors[k] as IntTensor).data)
    return { name, c, input: f.tensors.input as Tensor, targets: f.tensors.targets as IntTensor, inputLengths: ints('input_lengths'), targetLengths: ints('target_lengths'), f }
  })
}

function options(c: Config): CtcLossOptions {
  return { inputKind: c.inputKind, reduction: c.reduction, blank: c.blank, zeroInfinity: c.zeroInfinity, batchFirst: c.batchFirst }
}

function targetsOf(x: Fixture): IntTensor | Int32Array {
  return x.c.padded ? x.targets : x.targets.data
}

/** Each item's labels (from padded or concatenated targets). */
function labelsOf(x: Fixture): number[][] {
  let next = 0
  return x.targetLengths.map((l, b) => {
    if (x.c.padded) {
      const s = x.targets.shape[1]
      return Array.from(x.targets.data.subarray(b * s, b * s + l))
    }
    next += l
    return Array.from(x.targets.data.subarray(next - l, next))
  })
}

/** Flat indices of item b's values in a [T, N, C] or [N, T, C] tensor. */
function itemIndices(shape: number[], batchFirst: boolean, b: number): number[] {
  const [d0, d1, c] = shape
  const [t, n] = batchFirst ? [d1, d0] : [d0, d1]
  const out: number[] = []
  for (let tt = 0; tt < t; tt++) {
    const base = (batchFirst ? b * t + tt : tt * n + b) * c
    for (let k = 0; k < c; k++) out.push(base + k)
  }
  return out
}

function expectLossClose(actual: number, expected: number, label: string): void {
  if (!Number.isFinite(expected)) {
    expect(actual, label).toBe(expected)
    return
  }
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL.atol + TOL.rtol * Math.abs(expected))
}

function expectIdentical(a: CtcLossResult, b: CtcLossResult, label: string): void {
  expect(a.loss, `${label} loss`).toBe(b.loss)
  // toEqual compares with Object.is per element: Infinity equals Infinity, bits of finite values.
  expect(Array.from(a.losses), `${label} losses`).toEqual(Array.from(b.losses))
  expectSame(a.grad, b.grad, `${label} grad`)
  expect(a.infeasible, `${label} infeasible`).toEqual(b.infeasible)
}

describe('ctcLoss vs PyTorch F.ctc_loss', () => {
  const cases = fixtures()

  it.each(cases.map((x) => [x.name, x] as const))('%s', async (name, x) => {
    const r = ctcLoss(x.input, targetsOf(x), x.inputLengths, x.targetLengths, options(x.c))
    const wantLosses = (x.f.tensors['expected.losses'] as Tensor).data
    const wantGrad = x.f.tensors['expected.grad'] as Tensor
    expect(r.losses).toBeInstanceOf(Float32Array)
    expect(r.losses.length).toBe(x.inputLengths.length)
    wantLosses.forEach((w, b) => expectLossClose(r.losses[b], w, `${name} losses[${b}]`))
    expectLossClose(r.loss, (x.f.tensors['expected.loss'] as Tensor).data[0], `${name} loss`)
    expect(r.grad.shape).toEqual(x.input.shape)

    // The infeasible report: exactly the items with inputLength < targetLength + repeats.
    const want = labelsOf(x).flatMap((ls, b) => {
      const repeats = ls.filter((v, k) => k > 0 && ls[k - 1] === v).length
      const required = ls.length + repeats
      return x.inputLengths[b] < required ? [{ index: b, inputLength: x.inputLengths[b], targetLength: ls.length, repeats, required }] : []
    })
    expect(r.infeasible).toEqual(want)
    if (name.startsWith('infeasible_')) expect(want.length).toBeGreaterThan(0)

    // Gradients: PyTorch's, except for infeasible items without zeroInfinity, where PyTorch
    // gives NaN and seqlearn 0 (never NaN anywhere).
    const got = Float32Array.from(r.grad.data)
    const ref = Float32Array.from(wantGrad.data)
    for (const item of r.infeasible) {
      for (const i of itemIndices(x.input.shape, x.c.batchFirst, item.index)) {
        expect(got[i], `${name}: gradient of infeasible item ${item.index}`).toBe(0)
        if (!x.c.zeroInfinity && i < ref.length && !Number.isNaN(ref[i]) && ref[i] !== 0) throw new Error(`${name}: expected PyTorch's NaN at ${i}`)
        ref[i] = 0
        got[i] = 0
      }
    }
    expect(got.every((g) => !Number.isNaN(g)), `${name}: no NaN`).toBe(true)
    expectClose({ data: got, shape: r.grad.shape }, { data: ref, shape: wantGrad.shape }, { ...TOL, label: `${name} grad` })

    // Off the JavaScript thread: the same kernel, identical bits.
    expectIdentical(await ctcLossAsync(x.input, targetsOf(x), x.inputLengths, x.targetLengths, options(x.c)), r, `${name} async`)
  })

  it('defaults: mean, blank 0, logits, time-major, zeroInfinity false', () => {
    const x = cases.find((c) => c.name === 'logits_mean_padded.safetensors')!
    const r = ctcLoss(x.input, x.targets, x.inputLengths, x.targetLengths)
    expectIdentical(r, ctcLoss(x.input, x.targets, x.inputLengths, x.targetLengths, { reduction: 'mean', blank: 0, inputKind: 'logits', batchFirst: false, zeroInfinity: false }), 'defaults')
    expectLossClose(r.loss, (x.f.tensors['expected.loss'] as Tensor).data[0], 'default loss')
  })

  it('padded and concatenated targets, time-major and batch-first inputs give the same result', () => {
    const x = cases.find((c) => c.name === 'logits_mean_padded.safetensors')!
    const padded = ctcLoss(x.input, x.targets, x.inputLengths, x.targetLengths, { reduction: 'sum' })
    const cat = Int32Array.from(labelsOf(x).flat())
    expectIdentical(ctcLoss(x.input, cat, x.inputLengths, x.targetLengths, { reduction: 'sum' }), padded, 'concatenated')
    const bf = ctcLoss(swap01(x.input), cat, x.inputLengths, x.targetLengths, { reduction: 'sum', batchFirst: true })
    expect(bf.losses).toEqual(padded.losses)
    expectSame(swap01(bf.grad), padded.grad, 'batch-first grad')
    // Lengths as any ArrayLike<number>.
    expectIdentical(ctcLoss(x.input, x.targets, Int32Array.from(x.inputLengths), new Float64Array(x.targetLengths), { reduction: 'sum' }), padded, 'typed lengths')
  })

  it("'logProbs' of log_softmax(x) gives the 'logits' gradient (PyTorch's convention exp(lp) − γ)", () => {
    const x = cases.find((c) => c.name === 'long_logits_mean.safetensors')!
    const logits = ctcLoss(x.input, x.targets, x.inputLengths, x.targetLengths)
    const lp = logSoftmax(x.input)
    const fromLp = ctcLoss(lp, x.targets, x.inputLengths, x.targetLengths, { inputKind: 'logProbs' })
    expectClose(fromLp.grad, logits.grad, { atol: 2e-6, rtol: 0, label: 'logProbs grad' })
    expectLossClose(fromLp.loss, logits.loss, 'logProbs loss')
  })

  it('CTCLoss keeps its options', async () => {
    const x = cases.find((c) => c.name === 'logprobs_sum_batchfirst_blank2.safetensors')!
    const loss = new CTCLoss(options(x.c))
    const direct = ctcLoss(x.input, targetsOf(x), x.inputLengths, x.targetLengths, options(x.c))
    expectIdentical(loss.forward(x.input, targetsOf(x), x.inputLengths, x.targetLengths), direct, 'CTCLoss')
    expectIdentical(await loss.forwardAsync(x.input, targetsOf(x), x.inputLengths, x.targetLengths), direct, 'CTCLoss async')
  })
})

describe('ctcLoss behaviour', () => {
  /** A random [T, N, C] batch with random labels (never the blank 0) of `L` per item. */
  function batch(T: number, N: number, C: number, L: number, seed: number) {
    const input = Tensor.randn([T, N, C], { seed })
    const r = Tensor.rand([N * L], { seed: seed + 1 }).data
    const targets = Int32Array.from(r, (u) => 1 + Math.floor(u * (C - 1)))
    return { input, targets, inputLengths: new Array<number>(N).fill(T), targetLengths: new Array<number>(N).fill(L) }
  }

  it('results do not depend on the thread count or on the rest of the batch', () => {
    const b = batch(200, 5, 29, 60, 3)
    setNumThreads(1)
    const one = ctcLoss(b.input, b.targets, b.inputLengths, b.targetLengths, { reduction: 'none' })
    setNumThreads(2)
    const two = ctcLoss(b.input, b.targets, b.inputLengths, b.targetLengths, { reduction: 'none' })
    setNumThreads(initialThreads)
    expectIdentical(two, one, '1 vs 2 threads')
    // Item 3 alone (one long item: its forward and backward halves on two threads).
    const [T, N, C] = b.input.shape
    const x3 = new Float32Array(T * C)
    for (let t = 0; t < T; t++) x3.set(b.input.data.subarray((t * N + 3) * C, (t * N + 4) * C), t * C)
    setNumThreads(2)
    const alone = ctcLoss(new Tensor(x3, [T, 1, C]), b.targets.subarray(180, 240), [T], [60], { reduction: 'none' })
    expect(alone.losses[0]).toBe(one.losses[3])
    for (let t = 0; t < T; t++) {
      expect(Array.from(alone.grad.data.subarray(t * C, (t + 1) * C)), `frame ${t}`).toEqual(Array.from(one.grad.data.subarray((t * N + 3) * C, (t * N + 4) * C)))
    }
  })

  it('every frame of the logits gradient sums to 0 (Σ softmax = Σ γ = 1) and padded frames get 0', () => {
    const b = batch(40, 3, 10, 12, 9)
    const lengths = [40, 31, 25]
    const r = ctcLoss(b.input, b.targets, lengths, b.targetLengths, { reduction: 'sum' })
    for (let t = 0; t < 40; t++) {
      for (let n = 0; n < 3; n++) {
        const row = r.grad.data.subarray((t * 3 + n) * 10, (t * 3 + n + 1) * 10)
        const s = row.reduce((a, v) => a + v, 0)
        if (t < lengths[n]) expect(Math.abs(s), `frame ${t} item ${n}`).toBeLessThan(1e-5)
        else expect(Array.from(row)).toEqual(new Array<number>(10).fill(0))
      }
    }
  })

  it('extreme logits give finite results, never NaN', () => {
    const data = Tensor.randn([6, 2, 4], { seed: 5 }).data.map((v) => v * 100)
    data[1] = 1e30
    data[6] = -1e30
    data[11] = 3e38
    const r = ctcLoss(new Tensor(data, [6, 2, 4]), Int32Array.from([1, 2, 3, 3]), [6, 5], [2, 2])
    expect(r.grad.data.every((g) => Number.isFinite(g))).toBe(true)
    expect(Array.from(r.losses).every((l) => !Number.isNaN(l))).toBe(true)
  })

  it('values past an item’s input length are not read', () => {
    const b = batch(8, 2, 5, 2, 1)
    const data = b.input.data.slice()
    data[(7 * 2 + 1) * 5 + 2] = Number.NaN
    const r = ctcLoss(new Tensor(data, [8, 2, 5]), b.targets, [8, 7], [2, 2])
    expect(Number.isFinite(r.loss)).toBe(true)
  })

  it('a synchronous loop does not accumulate dropped gradients (they live in V8-owned memory)', () => {
    const script = `
const { Tensor, ctcLoss } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
const x = Tensor.randn([50, 8, 2560], { seed: 1 });   // 4 MB gradient per call
const targets = Int32Array.from({ length: 80 }, (_, i) => 1 + (i % 50));
const step = () => ctcLoss(x, targets, new Array(8).fill(50), new Array(8).fill(10));
for (let i = 0; i < 20; i++) step();
const before = process.memoryUsage().rss;
for (let i = 0; i < 300; i++) step();   // 1.2 GB of gradients dropped, never yielding
console.log(JSON.stringify({ growthMB: (process.memoryUsage().rss - before) / 1e6 }));
`
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    const { growthMB } = JSON.parse(out.trim().split('\n').pop() as string) as { growthMB: number }
    expect(growthMB).toBeLessThan(150)
  })

  it('a batch of one long sequence runs off the JavaScript thread', async () => {
    const b = batch(300, 1, 29, 80, 2)
    const p = ctcLossAsync(b.input, b.targets, b.inputLengths, b.targetLengths)
    expect(p).toBeInstanceOf(Promise)
    expectIdentical(await p, ctcLoss(b.input, b.targets, b.inputLengths, b.targetLengths), 'async long')
  })
})

describe('ctcLoss errors name the argument', () => {
  const input = Tensor.randn([5, 2, 4], { seed: 1 })
  const targets = new IntTensor(Int32Array.from([1, 2, 3, 1]), [2, 2])
  const il = [5, 5]
  const tl = [2, 2]
  const cases: [string, () => unknown, typeof InvalidArgumentError | typeof ShapeError | typeof TypeError, string | undefined, (string | RegExp)[]][] = [
    ['input rank', () => ctcLoss(new Tensor(input.data, [10, 4]), targets, il, tl), InvalidArgumentError, INVALID, ['input:', '3 dimensions', '[10, 4]']],
    ['input type', () => ctcLoss({ data: [1, 2], shape: [2] } as unknown as Tensor, targets, il, tl), TypeError, undefined, ['input:', 'Tensor']],
    ['input NaN', () => ctcLoss(withValue(input, 13, Number.NaN), targets, il, tl), InvalidArgumentError, INVALID, ['input:', 'NaN', 'flat index 13']],
    ['input Infinity', () => ctcLoss(withValue(input, 30, -Infinity), targets, il, tl), InvalidArgumentError, INVALID, ['input:', '-inf', 'flat index 30']],
    ['blank ≥ C', () => ctcLoss(input, targets, il, tl, { blank: 4 }), InvalidArgumentError, INVALID, ['blank:', '0..4', 'got 4']],
    ['blank negative', () => ctcLoss(input, targets, il, tl, { blank: -1 }), InvalidArgumentError, INVALID, ['blank:', 'got -1']],
    ['blank not an integer', () => ctcLoss(input, targets, il, tl, { blank: 0.5 }), InvalidArgumentError, INVALID, ['blank:', 'got 0.5']],
    ['blank type', () => ctcLoss(input, targets, il, tl, { blank: '0' as unknown as number }), TypeError, undefined, ['blank:', 'number']],
    ['label = blank (padded)', () => ctcLoss(input, new IntTensor(Int32Array.from([1, 2, 0, 1]), [2, 2]), il, tl), InvalidArgumentError, INVALID, ['targets:', 'targets[1, 0] is 0, the blank']],
    ['label = blank (blank 2)', () => ctcLoss(input, targets, il, tl, { blank: 2 }), InvalidArgumentError, INVALID, ['targets:', 'targets[0, 1] is 2, the blank']],
    ['label ≥ C', () => ctcLoss(input, Int32Array.from([1, 2, 3, 4]), il, tl), InvalidArgumentError, INVALID, ['targets:', 'targets[3] (item 1, label 1) is 4, outside 0..4']],
    ['label negative', () => ctcLoss(input, Int32Array.from([1, -2, 3, 1]), il, tl), InvalidArgumentError, INVALID, ['targets:', 'is -2, outside 0..4']],
    ['targets rank', () => ctcLoss(input, new IntTensor(Int32Array.from([1, 2, 3, 1]), [1, 2, 2]), il, tl), InvalidArgumentError, INVALID, ['targets:', '[1, 2, 2]']],
    ['targets type', () => ctcLoss(input, Float32Array.from([1, 2]) as unknown as Int32Array, il, tl), TypeError, undefined, ['targets:', 'Int32Array']],
    ['targets batch', () => ctcLoss(input, new IntTensor(Int32Array.from([1, 2, 3]), [3, 1]), il, [1, 1]), ShapeError, SHAPE, ['targets:', '[2, 1]', '[3, 1]']],
    ['concatenated length', () => ctcLoss(input, Int32Array.from([1, 2, 3]), il, tl), InvalidArgumentError, INVALID, ['targets:', 'need 4 labels', 'got 3']],
    ['inputLengths negative', () => ctcLoss(input, targets, [5, -1], tl), InvalidArgumentError, INVALID, ['inputLengths[1]:', 'non-negative integer', 'got -1']],
    ['inputLengths fractional', () => ctcLoss(input, targets, [2.5, 5], tl), InvalidArgumentError, INVALID, ['inputLengths[0]:', 'got 2.5']],
    ['inputLengths beyond T', () => ctcLoss(input, targets, [5, 6], tl), InvalidArgumentError, INVALID, ['inputLengths[1]:', 'at most T = 5', 'got 6']],
    ['inputLengths count', () => ctcLoss(input, targets, [5], tl), ShapeError, SHAPE, ['inputLengths:', '[2]', '[1]']],
    ['inputLengths type', () => ctcLoss(input, targets, [5, '5'] as unknown as number[], tl), TypeError, undefined, ['inputLengths[1]:', 'number']],
    ['targetLengths negative', () => ctcLoss(input, targets, il, [-2, 2]), InvalidArgumentError, INVALID, ['targetLengths[0]:', 'got -2']],
    ['targetLengths beyond S', () => ctcLoss(input, targets, il, [2, 3]), InvalidArgumentError, INVALID, ['targetLengths[1]:', 'at most S = 2', 'got 3']],
    ['targetLengths count', () => ctcLoss(input, targets, il, [2, 2, 0]), ShapeError, SHAPE, ['targetLengths:', '[2]', '[3]']],
    ['targetLengths NaN', () => ctcLoss(input, targets, il, [Number.NaN, 2]), InvalidArgumentError, INVALID, ['targetLengths[0]:', 'got NaN']],
    ['reduction', () => ctcLoss(input, targets, il, tl, { reduction: 'avg' as 'sum' }), InvalidArgumentError, INVALID, ['reduction:', "'avg'"]],
    ['inputKind', () => ctcLoss(input, targets, il, tl, { inputKind: 'probs' as 'logits' }), InvalidArgumentError, INVALID, ['inputKind:', "'logits' or 'logProbs'", "'probs'"]],
    ['zeroInfinity type', () => ctcLoss(input, targets, il, tl, { zeroInfinity: 1 as unknown as boolean }), TypeError, undefined, ['zeroInfinity:', 'boolean']],
    ['batchFirst type', () => ctcLoss(input, targets, il, tl, { batchFirst: 'yes' as unknown as boolean }), TypeError, undefined, ['batchFirst:', 'boolean']],
    ['options type', () => ctcLoss(input, targets, il, tl, 3 as unknown as CtcLossOptions), TypeError, undefined, ['options:', 'object']],
  ]

  function withValue(t: Tensor, i: number, v: number): Tensor {
    const d = t.data.slice()
    d[i] = v
    return new Tensor(d, t.shape)
  }

  it.each(cases)('%s', (_label, call, cls, code, includes) => {
    expectError(call, cls, code, includes)
  })

  it('the async form rejects with the same errors', async () => {
    await expectRejection(() => ctcLossAsync(input, targets, [5, 6], tl), InvalidArgumentError, INVALID, ['inputLengths[1]:', 'at most T = 5'])
    await expectRejection(() => ctcLossAsync(withValue(input, 13, Number.NaN), targets, il, tl), InvalidArgumentError, INVALID, ['input:', 'flat index 13'])
    await expectRejection(() => ctcLossAsync(input, Int32Array.from([1, 2, 0, 1]), il, tl), InvalidArgumentError, INVALID, ['targets:', 'the blank'])
  })
})
