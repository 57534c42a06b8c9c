// Embedding, Linear, Dropout and the activations through the public API: PyTorch parity on the
// fixtures of test/fixtures/layers (made by make_layer_fixtures.py, float64 references) within
// 1e-5 + 1e-5·|expected| with 1 and 2 kernel threads, then the behaviour PyTorch fixes by
// convention (init, names, padding rows, freezing, seeded dropout masks, cached packings).
import { readdirSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  activation,
  activationBackward,
  activationSavesOutput,
  Activation,
  Dropout,
  ELU,
  Embedding,
  GELU,
  getNumThreads,
  IntTensor,
  isTrainable,
  LeakyReLU,
  Linear,
  loadSafetensorsFileSync,
  ReLU,
  setNumThreads,
  SGD,
  Sigmoid,
  SiLU,
  Softplus,
  Tanh,
  Tensor,
  type ActivationKind,
  type ActivationParams,
  type SafetensorsFile,
} from '../dist/index.js'
import { expectClose, expectSame, maxAbsDiff } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'layers')
const TOL = { atol: 1e-5, rtol: 1e-5 }
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort()
  .map((f) => join(DIR, f))
const initialThreads = getNumThreads()

function float(f: SafetensorsFile, name: string): Tensor {
  const t = f.tensors[name]
  expect(t, `fixture tensor '${name}'`).toBeInstanceOf(Tensor)
  return t as Tensor
}

function ids(f: SafetensorsFile): IntTensor {
  const t = f.tensors.ids
  expect(t, "fixture tensor 'ids'").toBeInstanceOf(IntTensor)
  return t as IntTensor
}

interface EmbeddingConfig {
  kind: 'embedding'
  numEmbeddings: number
  embeddingDim: number
  paddingIdx: number | null
}
interface LinearConfig {
  kind: 'linear'
  inFeatures: number
  outFeatures: number
  bias: boolean
}
interface ActivationsConfig {
  kind: 'activations'
  cases: { name: string; kind: ActivationKind; params: ActivationParams }[]
}
type FixtureConfig = EmbeddingConfig | LinearConfig | ActivationsConfig

async function runEmbedding(f: SafetensorsFile, c: EmbeddingConfig): Promise<void> {
  const paddingIdx = c.paddingIdx ?? undefined
  const weight = float(f, 'param.weight')
  const e = new Embedding({ numEmbeddings: c.numEmbeddings, embeddingDim: c.embeddingDim, paddingIdx })
  expect(Object.keys(e.stateDict())).toEqual(['weight'])
  e.loadStateDict({ weight })
  const out = e.forward(ids(f), { training: true })
  expectClose(out, float(f, 'expected.output'), { ...TOL, label: 'output' })
  expect(e.backward(float(f, 'grad_output'))).toBeUndefined()
  expectClose(e.gradients().weight, float(f, 'expected.grad.weight'), { ...TOL, label: "gradients()['weight']" })

  // The same through fromPretrained (unfrozen) and the async methods.
  const p = Embedding.fromPretrained(weight, { freeze: false, paddingIdx })
  expect(p.freeze).toBe(false)
  expectSame(await p.forwardAsync(ids(f), { requiresGrad: true }), out, 'fromPretrained output')
  await p.backwardAsync(float(f, 'grad_output'))
  expectSame(p.gradients().weight, e.gradients().weight, 'fromPretrained gradient')
}

async function runLinear(f: SafetensorsFile, c: LinearConfig): Promise<void> {
  const l = new Linear({ inFeatures: c.inFeatures, outFeatures: c.outFeatures, bias: c.bias })
  const params: Record<string, Tensor> = {}
  for (const k of Object.keys(f.tensors)) if (k.startsWith('param.')) params[k.slice('param.'.length)] = float(f, k)
  // PyTorch's names in state_dict order.
  expect(Object.keys(l.stateDict())).toEqual(c.bias ? ['weight', 'bias'] : ['weight'])
  l.loadStateDict(params)
  const out = l.forward(float(f, 'input'), { training: true })
  expectClose(out, float(f, 'expected.output'), { ...TOL, label: 'output' })
  const gi = l.backward(float(f, 'grad_output'))
  expectClose(gi, float(f, 'expected.grad_input'), { ...TOL, label: 'gradInput' })
  const grads = l.gradients()
  expect(Object.keys(grads)).toEqual(c.bias ? ['weight', 'bias'] : ['weight'])
  expect(Object.keys(params).sort()).toEqual(Object.keys(grads).sort())
  for (const [name, g] of Object.entries(grads)) expectClose(g, float(f, `expected.grad.${name}`), { ...TOL, label: `gradients()['${name}']` })

  // Async gives the same results, and gradients accumulate over backward calls.
  expectSame(await l.forwardAsync(float(f, 'input'), { training: true }), out, 'forwardAsync output')
  expectSame(await l.backwardAsync(float(f, 'grad_output')), gi, 'backwardAsync gradInput')
  for (const [name, g] of Object.entries(l.gradients())) {
    const twice = new Tensor(grads[name].data.map((v) => 2 * v), grads[name].shape)
    expectClose(g, twice, { atol: 1e-6, rtol: 1e-6, label: `accumulated gradients()['${name}']` })
  }
}

const CLASSES: Record<ActivationKind, (p: ActivationParams) => Activation> = {
  relu: () => new ReLU(),
  leaky_relu: (p) => new LeakyReLU({ negativeSlope: p.negativeSlope }),
  elu: (p) => new ELU({ alpha: p.alpha }),
  gelu: (p) => new GELU({ approximate: p.approximate }),
  tanh: () => new Tanh(),
  sigmoid: () => new Sigmoid(),
  softplus: (p) => new Softplus({ beta: p.beta, threshold: p.threshold }),
  silu: () => new SiLU(),
}

function runActivations(f: SafetensorsFile, c: ActivationsConfig): void {
  expect(c.cases.map((k) => k.kind).sort()).toEqual(expect.arrayContaining(Object.keys(CLASSES).sort()))
  const x = float(f, 'input')
  const g = float(f, 'grad_output')
  for (const { name, kind, params } of c.cases) {
    const y = activation(kind, x, params)
    expectClose(y, float(f, `expected.${name}.output`), { ...TOL, label: `${name} output` })
    const saved = activationSavesOutput(kind) ? y : x
    expectClose(activationBackward(kind, saved, g, params), float(f, `expected.${name}.grad_input`), { ...TOL, label: `${name} gradInput` })
    // The layer form gives the same values.
    const layer = CLASSES[kind](params)
    expect(layer.kind).toBe(kind)
    expectSame(layer.forward(x, { training: true }), y, `${name} layer output`)
    expectClose(layer.backward(g), float(f, `expected.${name}.grad_input`), { ...TOL, label: `${name} layer gradInput` })
  }
}

describe('PyTorch fixtures', () => {
  afterAll(() => setNumThreads(initialThreads))

  it('covers Embedding (with and without padding, 1-D to 3-D ids), Linear (bias or not, 1-D to 3-D input) and every activation', () => {
    const configs = files.map((p) => JSON.parse(loadSafetensorsFileSync(p).metadata.config) as FixtureConfig)
    const emb = configs.filter((c): c is EmbeddingConfig => c.kind === 'embedding')
    const lin = configs.filter((c): c is LinearConfig => c.kind === 'linear')
    expect(emb.map((c) => c.paddingIdx)).toEqual(expect.arrayContaining([null, 2, -1]))
    expect(lin.map((c) => c.bias)).toEqual(expect.arrayContaining([true, false]))
    const linInputs = files.filter((p) => basename(p).startsWith('linear')).map((p) => float(loadSafetensorsFileSync(p), 'input').shape.length)
    expect([...new Set(linInputs)].sort()).toEqual([1, 2, 3])
    expect(configs.some((c) => c.kind === 'activations')).toBe(true)
  })

  for (const threads of [1, 2]) {
    describe(`with ${threads} thread(s)`, () => {
      beforeAll(() => {
        setNumThreads(threads)
      })
      for (const path of files) {
        it(basename(path, '.safetensors'), async () => {
          expect(getNumThreads()).toBe(threads)
          const f = loadSafetensorsFileSync(path)
          const c = JSON.parse(f.metadata.config) as FixtureConfig
          if (c.kind === 'embedding') await runEmbedding(f, c)
          else if (c.kind === 'linear') await runLinear(f, c)
          else runActivations(f, c)
        })
      }
    })
  }
})

describe('Embedding', () => {
  it('is initialised N(0, 1), seeded, with the padding row zero; paddingIdx may count from the end', () => {
    const e = new Embedding({ numEmbeddings: 200, embeddingDim: 50, paddingIdx: -3, seed: 4 })
    expect(e.options).toEqual({ numEmbeddings: 200, embeddingDim: 50, paddingIdx: 197, seed: 4 })
    expect(e.numParameters).toBe(10_000)
    expect(isTrainable(e)).toBe(true)
    const w = e.stateDict().weight
    expect(w.shape).toEqual([200, 50])
    expect(w.data.subarray(197 * 50, 198 * 50).every((v) => v === 0)).toBe(true)
    let sum = 0
    let sq = 0
    for (const v of w.data) {
      sum += v
      sq += v * v
    }
    const mean = sum / w.data.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(sq / w.data.length - mean * mean - 1)).toBeLessThan(0.05)
    expectSame(new Embedding({ numEmbeddings: 200, embeddingDim: 50, paddingIdx: -3, seed: 4 }).stateDict().weight, w, 'same seed')
    expect(maxAbsDiff(new Embedding({ numEmbeddings: 200, embeddingDim: 50, seed: 5 }).stateDict().weight.data, w.data)).toBeGreaterThan(1)
  })

  it('looks up rows in the shape of the ids, and scatter-adds gradients (repeated ids accumulate, padding gets none)', () => {
    const w = Tensor.from([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ])
    const e = Embedding.fromPretrained(w, { freeze: false, paddingIdx: 1 })
    const out = e.forward(new IntTensor(Int32Array.from([3, 1, 3, 0, 1, 3]), [2, 3]), { training: true })
    expect(out.shape).toEqual([2, 3, 2])
    expect([...out.data]).toEqual([6, 7, 2, 3, 6, 7, 0, 1, 2, 3, 6, 7])
    e.backward(new Tensor(Float32Array.from({ length: 12 }, (_, i) => i + 1), [2, 3, 2]))
    // Row 3 ← positions 0, 2, 5; row 0 ← position 3; row 1 is the padding row.
    expect([...e.gradients().weight.data]).toEqual([7, 8, 0, 0, 0, 0, 1 + 5 + 11, 2 + 6 + 12])
  })

  it('a frozen table accumulates no gradient; freeze is assignable; fromPretrained freezes by default', () => {
    const p = Embedding.fromPretrained(Tensor.from([[1, 2], [3, 4]]))
    expect(p.freeze).toBe(true)
    expect(p.options).toEqual({ numEmbeddings: 2, embeddingDim: 2, paddingIdx: undefined, seed: 0 })
    // The weight is used as given (the padding row is not zeroed by fromPretrained).
    const q = Embedding.fromPretrained(Tensor.from([[1, 2], [3, 4]]), { paddingIdx: 0 })
    expect([...q.forward(new IntTensor(Int32Array.from([0]), [1])).data]).toEqual([1, 2])
    const ids = new IntTensor(Int32Array.from([0, 1]), [2])
    p.forward(ids, { training: true })
    p.backward(Tensor.full([2, 2], 1))
    expect(p.gradients().weight.data.every((v) => v === 0)).toBe(true)
    p.freeze = false
    expect(p.freeze).toBe(false)
    p.forward(ids, { training: true })
    p.backward(Tensor.full([2, 2], 1))
    expect([...p.gradients().weight.data]).toEqual([1, 1, 1, 1])
    p.zeroGrad()
    expect(p.gradients().weight.data.every((v) => v === 0)).toBe(true)
  })

  it('a large lookup and scatter (parallel paths) agree with a plain loop', async () => {
    const [n, d, k] = [500, 64, 3000]
    const e = new Embedding({ numEmbeddings: n, embeddingDim: d, paddingIdx: 7, seed: 1 })
    const w = e.stateDict().weight.data
    const idv = Int32Array.from({ length: k }, (_, i) => (i * 7919) % 40)
    const out = await e.forwardAsync(new IntTensor(idv, [k]), { training: true })
    for (let i = 0; i < k; i += 97) expect([...out.data.subarray(i * d, (i + 1) * d)]).toEqual([...w.subarray(idv[i] * d, (idv[i] + 1) * d)])
    const g = Tensor.randn([k, d], { seed: 3 })
    await e.backwardAsync(g)
    const want = new Float64Array(n * d)
    idv.forEach((id, i) => {
      if (id === 7) return
      for (let c = 0; c < d; c++) want[id * d + c] += g.data[i * d + c]
    })
    expect(maxAbsDiff(e.gradients().weight.data, want)).toBeLessThan(1e-4)
  })
})

describe('Linear', () => {
  it('is initialised U(−1/√in, 1/√in) (weight and bias), seeded, with PyTorch names', () => {
    const l = new Linear({ inFeatures: 16, outFeatures: 300, seed: 2 })
    expect(l.options).toEqual({ inFeatures: 16, outFeatures: 300, bias: true, seed: 2 })
    expect(l.numParameters).toBe(16 * 300 + 300)
    expect(isTrainable(l)).toBe(true)
    const sd = l.stateDict()
    expect(Object.keys(sd)).toEqual(['weight', 'bias'])
    expect(sd.weight.shape).toEqual([300, 16])
    expect(sd.bias.shape).toEqual([300])
    for (const t of [sd.weight, sd.bias]) {
      expect(Math.max(...t.data.map(Math.abs))).toBeLessThanOrEqual(0.25)
      expect(Math.max(...t.data.map(Math.abs))).toBeGreaterThan(0.2)
    }
    expectSame(new Linear({ inFeatures: 16, outFeatures: 300, seed: 2 }).stateDict().weight, sd.weight, 'same seed')
    const nb = new Linear({ inFeatures: 16, outFeatures: 3, bias: false })
    expect(Object.keys(nb.stateDict())).toEqual(['weight'])
    expect(nb.numParameters).toBe(48)
  })

  it('follows parameter changes made by loadStateDict and by an optimizer step (cached packings are refreshed)', () => {
    const l = new Linear({ inFeatures: 3, outFeatures: 2 })
    const x = Tensor.from([[1, 2, 3]])
    l.forward(x)
    l.loadStateDict({ weight: Tensor.from([[1, 0, 0], [0, 1, 0]]), bias: Tensor.from([10, 20]) })
    expect([...l.forward(x).data]).toEqual([11, 22])
    l.forward(x, { training: true })
    // dx = g·W with the loaded W; dW = gᵀx = [[1, 2, 3], [1, 2, 3]], db = [1, 1].
    expect([...l.backward(Tensor.from([[1, 1]])).data]).toEqual([1, 1, 0])
    new SGD([l], { lr: 1 }).step()
    // W = [[0, −2, −3], [−1, −1, −3]], b = [9, 19].
    expect([...l.forward(x).data]).toEqual([0 - 4 - 9 + 9, -1 - 2 - 9 + 19])
    l.forward(x, { training: true })
    expect([...l.backward(Tensor.from([[1, 0]])).data]).toEqual([0, -2, -3])
  })

  it('a large forward and backward (parallel GEMM paths) match a plain f64 loop', async () => {
    const [rows, fi, fo] = [300, 70, 130]
    const l = new Linear({ inFeatures: fi, outFeatures: fo, seed: 9 })
    const { weight, bias } = l.stateDict()
    const x = Tensor.randn([3, 100, fi], { seed: 1 })
    const y = await l.forwardAsync(x, { training: true })
    expect(y.shape).toEqual([3, 100, fo])
    const g = Tensor.randn([3, 100, fo], { seed: 2 })
    const gx = await l.backwardAsync(g)
    const dW = l.gradients().weight.data
    for (let r = 0; r < rows; r += 29) {
      for (let o = 0; o < fo; o += 7) {
        let s = bias.data[o]
        for (let i = 0; i < fi; i++) s += x.data[r * fi + i] * weight.data[o * fi + i]
        expect(Math.abs(y.data[r * fo + o] - s)).toBeLessThan(1e-4)
      }
      for (let i = 0; i < fi; i += 5) {
        let s = 0
        for (let o = 0; o < fo; o++) s += g.data[r * fo + o] * weight.data[o * fi + i]
        expect(Math.abs(gx.data[r * fi + i] - s)).toBeLessThan(1e-4)
      }
    }
    for (let o = 0; o < fo; o += 11) {
      for (let i = 0; i < fi; i += 3) {
        let s = 0
        for (let r = 0; r < rows; r++) s += g.data[r * fo + o] * x.data[r * fi + i]
        expect(Math.abs(dW[o * fi + i] - s)).toBeLessThan(1e-3)
      }
    }
  })
})

describe('Dropout', () => {
  afterAll(() => setNumThreads(initialThreads))
  const x = Tensor.full([200, 500], 2)

  it('drops about p of the values in training and scales the rest by 1/(1 − p); identity otherwise', () => {
    for (const p of [0.2, 0.5, 0.8]) {
      const d = new Dropout({ p, seed: 1 })
      const y = d.forward(x, { training: true })
      const kept = y.data.filter((v) => v !== 0)
      expect(Math.abs(kept.length / y.data.length - (1 - p))).toBeLessThan(0.01)
      expect(kept.every((v) => v === Math.fround(2 * Math.fround(1 / (1 - p))))).toBe(true)
      expectSame(d.forward(x), x, 'eval mode')
    }
    expect(new Dropout().options).toEqual({ p: 0.5, seed: 0 })
    expectSame(new Dropout({ p: 0 }).forward(x, { training: true }), x, 'p = 0')
    expect(new Dropout({ p: 1 }).forward(x, { training: true }).data.every((v) => v === 0)).toBe(true)
  })

  it('masks are seeded: same seed same masks call for call, successive calls differ, any thread count', async () => {
    const a = new Dropout({ p: 0.3, seed: 42 })
    const b = new Dropout({ p: 0.3, seed: 42 })
    const a1 = a.forward(x, { training: true })
    const a2 = a.forward(x, { training: true })
    expect(maxAbsDiff(a1.data, a2.data)).toBeGreaterThan(0)
    setNumThreads(1)
    expectSame(b.forward(x, { training: true }), a1, 'same seed, first call, 1 thread')
    setNumThreads(2)
    expectSame(await b.forwardAsync(x, { training: true }), a2, 'same seed, second call, async, 2 threads')
    expect(maxAbsDiff(new Dropout({ p: 0.3, seed: 43 }).forward(x, { training: true }).data, a1.data)).toBeGreaterThan(0)
  })

  it('backward applies the forward mask and scale to the gradient', async () => {
    const d = new Dropout({ p: 0.4, seed: 7 })
    const input = Tensor.randn([30, 40], { seed: 1 })
    const y = d.forward(input, { training: true })
    const g = Tensor.randn([30, 40], { seed: 2 })
    const gx = await d.backwardAsync(g)
    const scale = Math.fround(1 / 0.6)
    for (let i = 0; i < y.data.length; i++) {
      const kept = y.data[i] !== 0
      expect(gx.data[i]).toBe(kept ? Math.fround(g.data[i] * scale) : 0)
    }
    // Outside training (with requiresGrad) backward is the identity.
    d.forward(input, { requiresGrad: true })
    expectSame(d.backward(g), g, 'identity backward')
  })
})

describe('activations', () => {
  it('GELU, ELU, Softplus, SiLU, Tanh, Sigmoid are smooth and their backward is the finite-difference slope', () => {
    const x = new Tensor(Float32Array.from({ length: 101 }, (_, i) => -5 + i * 0.1 + 0.013), [101])
    const h = 1e-2
    const xp = new Tensor(x.data.map((v) => v + h), x.shape)
    const xm = new Tensor(x.data.map((v) => v - h), x.shape)
    const ones = Tensor.full([101], 1)
    const kinds: [ActivationKind, ActivationParams][] = [['gelu', {}], ['gelu', { approximate: 'tanh' }], ['elu', { alpha: 0.7 }], ['softplus', { beta: 3 }], ['silu', {}], ['tanh', {}], ['sigmoid', {}], ['leaky_relu', { negativeSlope: 0.3 }], ['relu', {}]]
    for (const [kind, params] of kinds) {
      const y = activation(kind, x, params)
      const d = activationBackward(kind, activationSavesOutput(kind) ? y : x, ones, params)
      const yp = activation(kind, xp, params)
      const ym = activation(kind, xm, params)
      for (let i = 0; i < 101; i++) {
        const fd = (yp.data[i] - ym.data[i]) / (xp.data[i] - xm.data[i])
        expect(Math.abs(d.data[i] - fd), `${kind} ${JSON.stringify(params)} at x = ${x.data[i]}`).toBeLessThan(2e-3 * (1 + Math.abs(fd)))
      }
    }
  })

  it('backward needs the output for tanh and sigmoid, the input otherwise', () => {
    expect(activationSavesOutput('tanh')).toBe(true)
    expect(activationSavesOutput('sigmoid')).toBe(true)
    for (const k of ['relu', 'leaky_relu', 'elu', 'gelu', 'softplus', 'silu'] as ActivationKind[]) expect(activationSavesOutput(k)).toBe(false)
    const t = new Tanh()
    const x = Tensor.from([0.5, -1])
    const y = t.forward(x, { requiresGrad: true })
    expect([...t.backward(Tensor.full([2], 1)).data]).toEqual([...y.data].map((v) => Math.fround(1 - Math.fround(v * v))))
    expect(new Activation('gelu', { approximate: 'tanh' }).params).toEqual({ approximate: 'tanh' })
  })
})
