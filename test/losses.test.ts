// Losses and softmax: PyTorch parity on every fixture of test/fixtures/losses (written by
// make_loss_fixtures.py: F.cross_entropy with every option, F.binary_cross_entropy_with_logits,
// F.mse_loss, softmax/log_softmax, references in float64), |a − b| ≤ 1e-5 + 1e-5·|b| for values
// and gradients; sync and async calls give identical results; the multithreaded path equals
// row-by-row calls; extreme logits give no NaN; one error test per validated argument.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  InvalidArgumentError,
  IntTensor,
  MSELoss,
  ShapeError,
  Tensor,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsAsync,
  crossEntropy,
  crossEntropyAsync,
  getNumThreads,
  loadSafetensorsFileSync,
  logSoftmax,
  logSoftmaxBackward,
  mseLoss,
  setNumThreads,
  sigmoid,
  softmax,
  softmaxBackward,
  type CrossEntropyOptions,
  type Reduction,
  type SafetensorsFile,
  type TensorLike,
} from '../dist/index.js'
import { expectClose, expectError, expectRejection, expectSame } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'losses')
const TOL = { atol: 1e-5, rtol: 1e-5 }
const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const SHAPE = 'ERR_SEQLEARN_SHAPE'
const initialThreads = getNumThreads()
afterAll(() => setNumThreads(initialThreads))

interface Case {
  config: Record<string, unknown> & { kind: string; reduction?: Reduction }
  expected: Record<string, number>
}

function fixtures(prefix: string): { name: string; f: SafetensorsFile; c: Case }[] {
  const names = readdirSync(DIR).filter((n) => n.startsWith(prefix) && n.endsWith('.safetensors')).sort()
  expect(names.length, `fixtures ${prefix}*`).toBeGreaterThan(0)
  return names.map((name) => {
    const f = loadSafetensorsFileSync(join(DIR, name))
    return { name, f, c: JSON.parse(f.metadata.case) as Case }
  })
}

function float(f: SafetensorsFile, name: string): Tensor {
  const t = f.tensors[name]
  expect(t, `fixture tensor '${name}'`).toBeInstanceOf(Tensor)
  return t as Tensor
}

function optionalFloat(f: SafetensorsFile, name: string): Tensor | undefined {
  return f.tensors[name] === undefined ? undefined : float(f, name)
}

function scalarClose(actual: number, expected: number, label: string): void {
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL.atol + TOL.rtol * Math.abs(expected))
}

/** Loss value of any reduction against the fixture. */
function checkLoss(loss: number | Tensor, f: SafetensorsFile, c: Case, label: string): void {
  if (c.config.reduction === 'none') {
    expect(loss, `${label}: per-item losses`).toBeInstanceOf(Tensor)
    expectClose(loss as Tensor, float(f, 'expected.losses'), { ...TOL, label: `${label} losses` })
  } else {
    expect(typeof loss, `${label}: scalar loss`).toBe('number')
    scalarClose(loss as number, c.expected.loss, `${label} loss`)
  }
}

describe('crossEntropy vs PyTorch F.cross_entropy', () => {
  const cases = fixtures('ce_')
  it.each(cases.map((x) => [x.name, x] as const))('%s', async (name, { f, c }) => {
    const logits = float(f, 'logits')
    const target = f.tensors.target
    expect(target).toBeInstanceOf(c.config.soft ? Tensor : IntTensor)
    const options: CrossEntropyOptions = {
      reduction: c.config.reduction,
      labelSmoothing: c.config.labelSmoothing as number,
      ignoreIndex: c.config.ignoreIndex as number,
      weight: optionalFloat(f, 'weight'),
      gradOutput: optionalFloat(f, 'grad_output'),
    }
    const r = crossEntropy(logits, target, options)
    checkLoss(r.loss, f, c, name)
    expectClose(r.grad, float(f, 'expected.grad'), { ...TOL, label: `${name} grad` })
    expect(r.count, 'count').toBe(c.expected.count)
    expect(r.correct, 'correct').toBe(c.expected.correct)
    // The async form runs the same kernel on a worker: identical results.
    const a = await crossEntropyAsync(logits, target, options)
    expectSame(a.grad, r.grad, `${name} async grad`)
    if (r.loss instanceof Tensor) expectSame(a.loss as Tensor, r.loss, `${name} async losses`)
    else expect(a.loss).toBe(r.loss)
    expect([a.count, a.correct, a.totalWeight]).toEqual([r.count, r.correct, r.totalWeight])
  })

  it('defaults: mean reduction, ignoreIndex −100, no smoothing', () => {
    const { f } = cases.find((x) => x.name === 'ce_hard_mean.safetensors')!
    const r = crossEntropy(float(f, 'logits'), f.tensors.target)
    const explicit = crossEntropy(float(f, 'logits'), f.tensors.target, { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0 })
    expect(typeof r.loss).toBe('number')
    expect(r.loss).toBe(explicit.loss)
    expectSame(r.grad, explicit.grad)
  })

  it('CrossEntropyLoss keeps its options', async () => {
    const { f } = cases.find((x) => x.name === 'ce_hard_sum_w_ls.safetensors')!
    const loss = new CrossEntropyLoss({ reduction: 'sum', weight: float(f, 'weight'), labelSmoothing: 0.15 })
    const r = loss.forward(float(f, 'logits'), f.tensors.target)
    const direct = crossEntropy(float(f, 'logits'), f.tensors.target, { reduction: 'sum', weight: float(f, 'weight'), labelSmoothing: 0.15 })
    expect(r.loss).toBe(direct.loss)
    expect((await loss.forwardAsync(float(f, 'logits'), f.tensors.target)).loss).toBe(direct.loss)
  })
})

describe('crossEntropy behaviour', () => {
  it('extreme logits: exact losses, finite gradients, no NaN', () => {
    const logits = new Tensor(new Float32Array([1e30, -1e30, 0, 88, 89, 90, -3e38, 0, 3e38]), [3, 3])
    const target = new IntTensor(new Int32Array([0, 2, 2]), [3])
    const r = crossEntropy(logits, target, { reduction: 'none' })
    const l = (r.loss as Tensor).data
    expect(l[0]).toBe(0)
    expect(Math.abs(l[1] - Math.log(1 + Math.exp(-1) + Math.exp(-2)))).toBeLessThan(1e-6)
    expect(l[2]).toBe(0)
    expect(r.grad.data.every((g) => Number.isFinite(g))).toBe(true)
    expect(r.correct).toBe(3)
  })

  it('every item ignored: mean is NaN (as in PyTorch), gradient zero, count 0', () => {
    const r = crossEntropy(Tensor.randn([3, 4]), new IntTensor(new Int32Array([-100, -100, -100]), [3]))
    expect(r.loss).toBeNaN()
    expect(r.count).toBe(0)
    expect(r.grad.data.every((g) => g === 0)).toBe(true)
  })

  it('ignored rows are not read: a NaN there is no error', () => {
    const logits = new Tensor(new Float32Array([0, 1, NaN, NaN]), [2, 2])
    const r = crossEntropy(logits, new IntTensor(new Int32Array([1, -100]), [2]))
    expect(r.count).toBe(1)
    expect(Number.isFinite(r.loss)).toBe(true)
  })

  it('large inputs (split over 2 threads) equal row-by-row results and 1-thread results', async () => {
    const [N, C] = [4096, 300]
    const logits = Tensor.randn([N, C], { seed: 3 })
    const t = new Int32Array(N)
    for (let i = 0; i < N; i++) t[i] = i % 7 === 3 ? -100 : (i * 37) % C
    const target = new IntTensor(t, [N])
    const opts = { reduction: 'none', labelSmoothing: 0.1 } as const
    setNumThreads(2)
    const two = crossEntropy(logits, target, opts)
    const twoAsync = await crossEntropyAsync(logits, target, opts)
    setNumThreads(1)
    const one = crossEntropy(logits, target, opts)
    setNumThreads(initialThreads)
    expectSame(two.grad, one.grad, 'grad 2 vs 1 threads')
    expectSame(two.loss, one.loss, 'losses 2 vs 1 threads')
    expectSame(twoAsync.grad, one.grad, 'async grad')
    for (const row of [0, 1000, 2047, 4095]) {
      const r = crossEntropy(
        new Tensor(logits.data.slice(row * C, (row + 1) * C), [1, C]),
        new IntTensor(t.slice(row, row + 1), [1]),
        opts,
      )
      expectSame(r.grad, new Tensor(two.grad.data.slice(row * C, (row + 1) * C), [1, C]), `row ${row}`)
      expect((r.loss as Tensor).data[0]).toBe((two.loss as Tensor).data[row])
    }
    const mean = crossEntropy(logits, target, { labelSmoothing: 0.1 })
    const l = (two.loss as Tensor).data
    let sum = 0
    for (let i = 0; i < N; i++) sum += l[i]
    scalarClose(mean.loss, sum / mean.count, 'mean of the per-item losses')
    expect(mean.count).toBe(t.filter((v) => v !== -100).length)
  })
})

describe('crossEntropy memory', () => {
  // The gradient is written straight into a V8-owned buffer (no copy): dropped results must be
  // freed by the garbage collector in loops that never yield (sync) and in awaited loops (async).
  const entry = join(__dirname, '..', 'dist', 'index.js')
  const script = `
const { Tensor, IntTensor, crossEntropy, crossEntropyAsync } = require(${JSON.stringify(entry)});
const logits = Tensor.randn([1024, 1000], { seed: 1 });
const target = new IntTensor(Int32Array.from({ length: 1024 }, (_, i) => (i * 7) % 1000), [1024]);
(async () => {
  for (let i = 0; i < 20; i++) crossEntropy(logits, target);
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 300; i++) crossEntropy(logits, target);          // 1.2 GB of gradients dropped, never yielding
  const sync = process.memoryUsage().rss - before;
  for (let i = 0; i < 300; i++) await crossEntropyAsync(logits, target);
  console.log(JSON.stringify({ syncMB: sync / 1e6, totalMB: (process.memoryUsage().rss - before) / 1e6 }));
})();
`
  it('sync and async loops do not accumulate dropped gradients', () => {
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, SEQLEARN_NUM_THREADS: '2' } })
    const { syncMB, totalMB } = JSON.parse(out.trim().split('\n').pop() as string) as { syncMB: number; totalMB: number }
    expect(syncMB).toBeLessThan(150)
    expect(totalMB).toBeLessThan(200)
  }, 120_000)
})

describe('binaryCrossEntropyWithLogits vs PyTorch', () => {
  const cases = fixtures('bce_')
  it.each(cases.map((x) => [x.name, x] as const))('%s', async (name, { f, c }) => {
    const logits = float(f, 'logits')
    const target = float(f, 'target')
    const options = { reduction: c.config.reduction, weight: optionalFloat(f, 'weight'), posWeight: optionalFloat(f, 'pos_weight'), gradOutput: optionalFloat(f, 'grad_output') }
    const r = binaryCrossEntropyWithLogits(logits, target, options)
    checkLoss(r.loss, f, c, name)
    expectClose(r.grad, float(f, 'expected.grad'), { ...TOL, label: `${name} grad` })
    let correct = 0
    for (let i = 0; i < logits.size; i++) correct += Number(logits.data[i] > 0 === target.data[i] > 0.5)
    expect([r.count, r.correct]).toEqual([logits.size, correct])
    const a = await binaryCrossEntropyWithLogitsAsync(logits, target, options)
    expectSame(a.grad, r.grad, `${name} async grad`)
    const cls = new BCEWithLogitsLoss(options).forward(logits, target)
    expectSame(cls.grad, r.grad, `${name} class form`)
  })
})

describe('mseLoss vs PyTorch', () => {
  const cases = fixtures('mse_')
  it.each(cases.map((x) => [x.name, x] as const))('%s', (name, { f, c }) => {
    const r = mseLoss(float(f, 'pred'), float(f, 'target'), { reduction: c.config.reduction, gradOutput: optionalFloat(f, 'grad_output') })
    checkLoss(r.loss, f, c, name)
    expectClose(r.grad, float(f, 'expected.grad'), { ...TOL, label: `${name} grad` })
    expectSame(new MSELoss({ reduction: c.config.reduction, gradOutput: optionalFloat(f, 'grad_output') }).forward(float(f, 'pred'), float(f, 'target')).grad, r.grad)
  })

  it('mseLoss(pred, target) keeps its original form: mean loss as a number', () => {
    const r = mseLoss(Tensor.from([1, 2, 4]), Tensor.from([1, 0, 1]))
    expect(r.loss).toBeCloseTo(13 / 3, 6)
    expectClose(r.grad, { data: [0, 4 / 3, 2], shape: [3] }, { atol: 1e-7 })
  })
})

describe('softmax / logSoftmax vs PyTorch', () => {
  const cases = fixtures('softmax_')
  it.each(cases.map((x) => [x.name, x] as const))('%s', (name, { f, c }) => {
    const logits = float(f, 'logits')
    const g = float(f, 'grad_output')
    const temperature = c.config.temperature as number
    const y = softmax(logits, { temperature })
    expectClose(y, float(f, 'expected.softmax'), { ...TOL, label: `${name} softmax` })
    expectClose(softmaxBackward(y, g, { temperature }), float(f, 'expected.softmax_grad'), { ...TOL, label: `${name} softmax grad` })
    const ly = logSoftmax(logits, { temperature })
    expectClose(ly, float(f, 'expected.log_softmax'), { ...TOL, label: `${name} log_softmax` })
    expectClose(logSoftmaxBackward(ly, g, { temperature }), float(f, 'expected.log_softmax_grad'), { ...TOL, label: `${name} log_softmax grad` })
    expect(y.data.every((v) => Number.isFinite(v))).toBe(true)
  })

  it('temperature 1 is the default; sigmoid matches 1 / (1 + e^−x)', () => {
    const z = Tensor.randn([3, 5], { seed: 1 })
    expectSame(softmax(z), softmax(z, { temperature: 1 }))
    const s = sigmoid(z)
    expectClose(s, { data: Array.from(z.data, (x) => 1 / (1 + Math.exp(-x))), shape: [3, 5] }, { atol: 3e-7, rtol: 0 })
  })
})

describe('errors: one per validated argument', () => {
  const logits = (): Tensor => Tensor.randn([4, 3], { seed: 2 })
  const target = (): IntTensor => new IntTensor(new Int32Array([0, 2, 1, -100]), [4])
  const ce = (o: CrossEntropyOptions, l: TensorLike = logits(), t: unknown = target()): unknown => crossEntropy(l, t as IntTensor, o)

  it('logits: not a Tensor, NaN/Inf with index, no class dimension', async () => {
    expectError(() => crossEntropy([1, 2] as unknown as Tensor, target()), TypeError, undefined, ['logits', 'expected a Tensor'])
    const bad = logits()
    bad.data[7] = NaN
    expectError(() => crossEntropy(bad, target()), InvalidArgumentError, INVALID, ['logits', 'finite', 'NaN', 'index 7'])
    bad.data[7] = 0
    bad.data[1] = -Infinity
    await expectRejection(crossEntropyAsync(bad, target()), InvalidArgumentError, INVALID, ['logits', '-inf', 'index 1'])
    expectError(() => crossEntropy(new Tensor(new Float32Array(1), []), new IntTensor(new Int32Array(1), [])), InvalidArgumentError, INVALID, ['logits', 'dimension'])
  })

  it('target: wrong type, wrong shape, class index out of range, non-finite probability', async () => {
    expectError(() => ce({}, logits(), { data: [0, 1], shape: [2] }), TypeError, undefined, ['target', 'Int32Array', 'Float32Array'])
    expectError(() => ce({}, logits(), new IntTensor(new Int32Array(3), [3])), ShapeError, SHAPE, ['target', '[4]', '[3]'])
    expectError(() => ce({}, logits(), new IntTensor(new Int32Array([0, 3, 1, 1]), [4])), InvalidArgumentError, INVALID, ['target[1]', '0..3', 'got 3'])
    await expectRejection(crossEntropyAsync(logits(), new IntTensor(new Int32Array([0, 1, -1, 1]), [4])), InvalidArgumentError, INVALID, ['target[2]', 'got -1'])
    const q = Tensor.full([4, 3], 1 / 3)
    q.data[5] = Infinity
    expectError(() => ce({}, logits(), q), InvalidArgumentError, INVALID, ['target', 'finite', 'index 5'])
    expectError(() => ce({}, logits(), Tensor.zeros([4, 2])), ShapeError, SHAPE, ['target', '[4, 3]', '[4, 2]'])
  })

  it('weight: wrong shape, NaN', () => {
    expectError(() => ce({ weight: Tensor.full([2], 1) }), ShapeError, SHAPE, ['weight', '[3]', '[2]'])
    expectError(() => ce({ weight: Tensor.from([1, NaN, 1]) }), InvalidArgumentError, INVALID, ['weight', 'NaN', 'index 1'])
    expectError(() => ce({ weight: [1, 1, 1] as unknown as Tensor }), TypeError, undefined, ['weight', 'expected a Tensor'])
  })

  it('labelSmoothing: outside [0, 1], not a number', () => {
    expectError(() => ce({ labelSmoothing: 1.5 }), InvalidArgumentError, INVALID, ['labelSmoothing', '[0, 1]', '1.5'])
    expectError(() => ce({ labelSmoothing: -0.1 }), InvalidArgumentError, INVALID, ['labelSmoothing', '-0.1'])
    expectError(() => ce({ labelSmoothing: '0.1' as unknown as number }), TypeError, undefined, ['labelSmoothing', 'expected a number'])
  })

  it('ignoreIndex: not an integer; not negative with probability targets', () => {
    expectError(() => ce({ ignoreIndex: 1.5 }), InvalidArgumentError, INVALID, ['ignoreIndex', 'integer', '1.5'])
    expectError(() => ce({ ignoreIndex: 2 ** 40 }), InvalidArgumentError, INVALID, ['ignoreIndex', 'integer'])
    expectError(() => ce({ ignoreIndex: 0 }, logits(), Tensor.full([4, 3], 1 / 3)), InvalidArgumentError, INVALID, ['ignoreIndex', 'class-probability', 'got 0'])
  })

  it('reduction: unknown name, not a string', () => {
    expectError(() => ce({ reduction: 'avg' as Reduction }), InvalidArgumentError, INVALID, ['reduction', "'none', 'sum' or 'mean'", "'avg'"])
    expectError(() => ce({ reduction: 1 as unknown as Reduction }), TypeError, undefined, ['reduction', 'number 1'])
  })

  it('gradOutput: without reduction none, wrong shape, NaN', () => {
    expectError(() => ce({ gradOutput: Tensor.full([4], 1) }), InvalidArgumentError, INVALID, ['gradOutput', "reduction 'none'", "'mean'"])
    expectError(() => ce({ reduction: 'none', gradOutput: Tensor.full([3], 1) }), ShapeError, SHAPE, ['gradOutput', '[4]', '[3]'])
    expectError(() => ce({ reduction: 'none', gradOutput: Tensor.from([1, 1, NaN, 1]) }), InvalidArgumentError, INVALID, ['gradOutput', 'NaN', 'index 2'])
  })

  it('options: not an object', () => {
    expectError(() => crossEntropy(logits(), target(), 5 as unknown as CrossEntropyOptions), TypeError, undefined, ['options', 'expected an object', 'number 5'])
  })

  it('binaryCrossEntropyWithLogits: target, posWeight and weight shapes; non-finite logits and target', async () => {
    const x = Tensor.randn([2, 3])
    const t = Tensor.full([2, 3], 1)
    expectError(() => binaryCrossEntropyWithLogits(x, Tensor.zeros([3, 2])), ShapeError, SHAPE, ['target', '[2, 3]', '[3, 2]'])
    expectError(() => binaryCrossEntropyWithLogits(x, t, { posWeight: Tensor.full([2], 1) }), ShapeError, SHAPE, ['posWeight', '[3]', '[2]'])
    expectError(() => binaryCrossEntropyWithLogits(x, t, { weight: Tensor.full([2], 1) }), InvalidArgumentError, INVALID, ['weight', '[2, 3]', '[3]', '[2]'])
    const bad = x.clone()
    bad.data[4] = NaN
    expectError(() => binaryCrossEntropyWithLogits(bad, t), InvalidArgumentError, INVALID, ['logits', 'NaN', 'index 4'])
    const badT = t.clone()
    badT.data[2] = Infinity
    await expectRejection(binaryCrossEntropyWithLogitsAsync(x, badT), InvalidArgumentError, INVALID, ['target', 'inf', 'index 2'])
    expectError(() => binaryCrossEntropyWithLogits(x, t, { posWeight: Tensor.from([1, NaN, 1]) }), InvalidArgumentError, INVALID, ['posWeight', 'NaN'])
  })

  it('mseLoss: target shape, non-finite pred, gradOutput', () => {
    expectError(() => mseLoss(Tensor.zeros([2, 3]), Tensor.zeros([6])), ShapeError, SHAPE, ['target', '[2, 3]', '[6]'])
    expectError(() => mseLoss(Tensor.from([1, NaN]), Tensor.zeros([2])), InvalidArgumentError, INVALID, ['pred', 'NaN', 'index 1'])
    expectError(() => mseLoss(Tensor.zeros([2]), Tensor.zeros([2]), { reduction: 'sum', gradOutput: Tensor.zeros([2]) }), InvalidArgumentError, INVALID, ['gradOutput', "'sum'"])
  })

  it('softmax: temperature ≤ 0 or not a number; NaN logits; backward shapes', () => {
    expectError(() => softmax(logits(), { temperature: 0 }), InvalidArgumentError, INVALID, ['temperature', '> 0', 'got 0'])
    expectError(() => logSoftmax(logits(), { temperature: -2 }), InvalidArgumentError, INVALID, ['temperature', 'got -2'])
    expectError(() => softmax(logits(), { temperature: 'hot' as unknown as number }), TypeError, undefined, ['temperature', 'expected a number'])
    expectError(() => softmax(Tensor.from([[0, NaN]])), InvalidArgumentError, INVALID, ['logits', 'NaN', 'index 1'])
    expectError(() => softmaxBackward(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])), ShapeError, SHAPE, ['gradOutput', '[2, 3]', '[3, 2]'])
    expectError(() => sigmoid(Tensor.from([0, Infinity])), InvalidArgumentError, INVALID, ['logits', 'inf', 'index 1'])
  })
})
