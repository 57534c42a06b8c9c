// Behaviour of the public RNN/LSTM/GRU API: shapes, PyTorch state_dict names and order, seeds,
// loading, gradient accumulation, async parity, truncated BPTT, variable lengths, batchFirst,
// dropout, event-loop responsiveness and the busy guard.
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { BusyError, GRU, InvalidArgumentError, LSTM, RNN, StateError, Tensor, type LSTMOutput, type RecurrentLayer, type RecurrentOutput } from '../dist/index.js'
import {
  concatSteps,
  expectClose,
  expectError,
  expectSame,
  makeLayer,
  maxAbsDiff,
  MODES,
  observeBusy,
  rowOf,
  sequenceOf,
  sleep,
  stepsOf,
  swap01,
  type LayerConfig,
  type Mode,
} from './helpers'

const GATES: Record<Mode, number> = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 }

/** Configurations covering every mode, plus LSTM with a projection. */
const VARIANTS: { name: string; mode: Mode; projSize: number }[] = [
  ...MODES.map((mode) => ({ name: mode, mode, projSize: 0 })),
  { name: 'lstm+proj', mode: 'lstm', projSize: 3 },
]

/** PyTorch's `_flat_weights_names` order. */
function torchKeys(numLayers: number, bidirectional: boolean, bias: boolean, proj: boolean): string[] {
  const keys: string[] = []
  for (let l = 0; l < numLayers; l++) {
    for (const sfx of bidirectional ? ['', '_reverse'] : ['']) {
      keys.push(`weight_ih_l${l}${sfx}`, `weight_hh_l${l}${sfx}`)
      if (bias) keys.push(`bias_ih_l${l}${sfx}`, `bias_hh_l${l}${sfx}`)
      if (proj) keys.push(`weight_hr_l${l}${sfx}`)
    }
  }
  return keys
}

/** The cell state of an LSTM result (undefined for RNN/GRU results). */
function cOf(out: RecurrentOutput): Tensor | undefined {
  return (out as Partial<LSTMOutput>).c
}

describe('shapes', () => {
  const T = 4
  const B = 3
  const I = 5
  const H = 6
  const L = 2
  for (const mode of MODES) {
    for (const batchFirst of [false, true]) {
      for (const bidirectional of [false, true]) {
        for (const projSize of mode === 'lstm' ? [0, 3] : [0]) {
          it(`${mode} batchFirst=${batchFirst} bidirectional=${bidirectional} projSize=${projSize}`, () => {
            const layer = makeLayer({ mode, inputSize: I, hiddenSize: H, numLayers: L, bidirectional, batchFirst, projSize })
            const D = bidirectional ? 2 : 1
            const Hout = projSize || H
            expect(layer.numDirections).toBe(D)
            const inShape = batchFirst ? [B, T, I] : [T, B, I]
            const outShape = batchFirst ? [B, T, D * Hout] : [T, B, D * Hout]
            const x = Tensor.randn(inShape, { seed: 1 })
            const out = layer.forward(x, { training: true })
            expect(out.output.shape).toEqual(outShape)
            expect(out.output.data.length).toBe(outShape.reduce((a, b) => a * b))
            expect(out.h.shape).toEqual([L * D, B, Hout])
            if (mode === 'lstm') expect(cOf(out)?.shape).toEqual([L * D, B, H])
            else expect(cOf(out)).toBeUndefined()
            for (const v of out.output.data) expect(Number.isFinite(v)).toBe(true)

            const g = layer.backward(Tensor.randn(outShape, { seed: 2 }), { gradH: Tensor.randn([L * D, B, Hout], { seed: 3 }) })
            expect(g.gradInput.shape).toEqual(inShape)
            expect(g.gradH0.shape).toEqual([L * D, B, Hout])
            const gc = (g as { gradC0?: Tensor }).gradC0
            if (mode === 'lstm') expect(gc?.shape).toEqual([L * D, B, H])
            else expect(gc).toBeUndefined()
            for (const [name, t] of Object.entries(layer.gradients())) expect(t.shape, name).toEqual(layer.stateDict()[name].shape)
          })
        }
      }
    }
  }
})

describe('stateDict', () => {
  it('LSTM(5, 6, numLayers 2, bidirectional, projSize 3) has exactly PyTorch state_dict keys, order and shapes', () => {
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3 })
    const sd = lstm.stateDict()
    const shapes = Object.entries(sd).map(([k, v]) => [k, v.shape])
    // As printed by [(k, list(v.shape)) for k, v in nn.LSTM(5, 6, 2, bidirectional=True, proj_size=3).state_dict().items()]
    expect(shapes).toEqual([
      ['weight_ih_l0', [24, 5]],
      ['weight_hh_l0', [24, 3]],
      ['bias_ih_l0', [24]],
      ['bias_hh_l0', [24]],
      ['weight_hr_l0', [3, 6]],
      ['weight_ih_l0_reverse', [24, 5]],
      ['weight_hh_l0_reverse', [24, 3]],
      ['bias_ih_l0_reverse', [24]],
      ['bias_hh_l0_reverse', [24]],
      ['weight_hr_l0_reverse', [3, 6]],
      ['weight_ih_l1', [24, 6]],
      ['weight_hh_l1', [24, 3]],
      ['bias_ih_l1', [24]],
      ['bias_hh_l1', [24]],
      ['weight_hr_l1', [3, 6]],
      ['weight_ih_l1_reverse', [24, 6]],
      ['weight_hh_l1_reverse', [24, 3]],
      ['bias_ih_l1_reverse', [24]],
      ['bias_hh_l1_reverse', [24]],
      ['weight_hr_l1_reverse', [3, 6]],
    ])
    expect(lstm.numParameters).toBe(Object.values(sd).reduce((n, t) => n + t.size, 0))
    expect(Object.keys(lstm.gradients())).toEqual(Object.keys(sd))
  })

  for (const v of VARIANTS) {
    for (const bidirectional of [false, true]) {
      for (const bias of [true, false]) {
        it(`${v.name} numLayers 3 bidirectional=${bidirectional} bias=${bias}: keys, order and shapes`, () => {
          const H = 7
          const I = 4
          const L = 3
          const layer = makeLayer({ mode: v.mode, inputSize: I, hiddenSize: H, numLayers: L, bidirectional, bias, projSize: v.projSize })
          const sd = layer.stateDict()
          const proj = v.projSize > 0
          expect(Object.keys(sd)).toEqual(torchKeys(L, bidirectional, bias, proj))
          if (!bias) expect(Object.keys(sd).some((k) => k.startsWith('bias'))).toBe(false)
          const G = GATES[v.mode] * H
          const Hout = proj ? v.projSize : H
          const D = bidirectional ? 2 : 1
          for (const [k, t] of Object.entries(sd)) {
            const l = Number(/_l(\d+)/.exec(k)?.[1])
            if (k.startsWith('weight_ih')) expect(t.shape, k).toEqual([G, l === 0 ? I : D * Hout])
            else if (k.startsWith('weight_hh')) expect(t.shape, k).toEqual([G, Hout])
            else if (k.startsWith('bias')) expect(t.shape, k).toEqual([G])
            else if (k.startsWith('weight_hr')) expect(t.shape, k).toEqual([v.projSize, H])
            else throw new Error(`unexpected key ${k}`)
          }
          expect(layer.numParameters).toBe(Object.values(sd).reduce((n, t) => n + t.size, 0))
          expect(Object.keys(layer.gradients())).toEqual(Object.keys(sd))
        })
      }
    }
  }

  it('initialises every parameter U(−1/√H, 1/√H) like PyTorch', () => {
    const H = 16
    const sd = new GRU({ inputSize: 3, hiddenSize: H, numLayers: 2 }).stateDict()
    const k = 1 / Math.sqrt(H)
    let min = Infinity
    let max = -Infinity
    let sum = 0
    let n = 0
    for (const t of Object.values(sd)) {
      for (const v of t.data) {
        min = Math.min(min, v)
        max = Math.max(max, v)
        sum += v
        n++
      }
    }
    expect(min).toBeGreaterThanOrEqual(-k)
    expect(max).toBeLessThanOrEqual(k)
    // Spread over the whole interval and centred.
    expect(min).toBeLessThan(-0.9 * k)
    expect(max).toBeGreaterThan(0.9 * k)
    expect(Math.abs(sum / n)).toBeLessThan(0.05 * k)
  })

  it('returns copies: mutating the result does not change the layer', () => {
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3 })
    const before = rnn.stateDict().weight_ih_l0.data.slice()
    rnn.stateDict().weight_ih_l0.data.fill(42)
    rnn.gradients().weight_ih_l0.data.fill(42)
    expectSame(rnn.stateDict().weight_ih_l0, { data: before, shape: [3, 2] }, 'weight_ih_l0')
    for (const v of rnn.gradients().weight_ih_l0.data) expect(v).toBe(0)
  })
})

describe('seeds and loadStateDict', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: same seed gives the same weights, another seed different ones`, () => {
      const cfg: LayerConfig = { mode: v.mode, inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: v.projSize }
      const a = makeLayer({ ...cfg, seed: 11 }).stateDict()
      const b = makeLayer({ ...cfg, seed: 11 }).stateDict()
      const c = makeLayer({ ...cfg, seed: 12 }).stateDict()
      for (const k of Object.keys(a)) {
        expectSame(b[k], a[k], k)
        expect(maxAbsDiff(c[k].data, a[k].data), k).toBeGreaterThan(0)
      }
      // The default seed is fixed too.
      const d = makeLayer(cfg).stateDict()
      const e = makeLayer({ ...cfg, seed: 0 }).stateDict()
      for (const k of Object.keys(d)) expectSame(d[k], e[k], k)
    })

    it(`${v.name}: loadStateDict(other.stateDict()) round-trips weights and outputs`, () => {
      const cfg: LayerConfig = { mode: v.mode, inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: v.projSize }
      const a = makeLayer({ ...cfg, seed: 1 })
      const b = makeLayer({ ...cfg, seed: 2 })
      const x = Tensor.randn([6, 3, 4], { seed: 5 })
      expect(maxAbsDiff(a.forward(x).output.data, b.forward(x).output.data)).toBeGreaterThan(0)
      b.loadStateDict(a.stateDict())
      const sa = a.stateDict()
      const sb = b.stateDict()
      expect(Object.keys(sb)).toEqual(Object.keys(sa))
      for (const k of Object.keys(sa)) expectSame(sb[k], sa[k], k)
      const oa = a.forward(x)
      const ob = b.forward(x)
      expectSame(ob.output, oa.output, 'output')
      expectSame(ob.h, oa.h, 'h')
    })
  }

  it('strict: false loads a subset and leaves the other parameters alone', () => {
    const a = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 })
    const b = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 2 })
    const before = b.stateDict()
    const src = a.stateDict()
    b.loadStateDict({ weight_ih_l1: src.weight_ih_l1, bias_hh_l0: src.bias_hh_l0 }, { strict: false })
    const after = b.stateDict()
    for (const k of Object.keys(after)) {
      if (k === 'weight_ih_l1' || k === 'bias_hh_l0') expectSame(after[k], src[k], k)
      else expectSame(after[k], before[k], k)
    }
  })

  it('strict (the default) rejects a partial state dict, names the missing keys and changes nothing', () => {
    const a = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 })
    const b = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 2 })
    const before = b.stateDict()
    const src = a.stateDict()
    const partial = { ...src }
    delete (partial as Record<string, Tensor>).weight_hh_l1
    delete (partial as Record<string, Tensor>).bias_ih_l0
    expectError(() => b.loadStateDict(partial), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['stateDict', 'missing keys', 'weight_hh_l1', 'bias_ih_l0'])
    expectError(() => b.loadStateDict(partial, { strict: true }), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['missing keys', 'weight_hh_l1', 'bias_ih_l0'])
    const msg = expectError(() => b.loadStateDict(partial), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', []).message
    // Only the missing ones are named.
    expect(msg).not.toContain('weight_ih_l0')
    const after = b.stateDict()
    for (const k of Object.keys(after)) expectSame(after[k], before[k], k)
  })
})

describe('gradients', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: accumulate across backward calls; zeroGrad clears them`, () => {
      const layer = makeLayer({ mode: v.mode, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: v.projSize, seed: 4 })
      for (const [k, t] of Object.entries(layer.gradients())) for (const x of t.data) expect(x, k).toBe(0)
      const x = Tensor.randn([5, 2, 3], { seed: 1 })
      const gOut = Tensor.randn([5, 2, 2 * (v.projSize || 5)], { seed: 2 })
      layer.forward(x, { training: true })
      const g1 = layer.backward(gOut)
      const first = layer.gradients()
      let nonzero = 0
      for (const t of Object.values(first)) for (const x of t.data) if (x !== 0) nonzero++
      expect(nonzero).toBeGreaterThan(0)

      layer.forward(x, { training: true })
      const g2 = layer.backward(gOut)
      expectSame(g2.gradInput, g1.gradInput, 'gradInput (same forward twice)')
      const second = layer.gradients()
      for (const k of Object.keys(first)) {
        const doubled = { data: Array.from(first[k].data, (x) => 2 * x), shape: first[k].shape }
        expectClose(second[k], doubled, { atol: 1e-6, rtol: 1e-6, label: k })
      }

      layer.zeroGrad()
      for (const [k, t] of Object.entries(layer.gradients())) for (const x of t.data) expect(x, k).toBe(0)
      // After zeroGrad the next backward starts from zero again.
      layer.forward(x, { training: true })
      layer.backward(gOut)
      const third = layer.gradients()
      for (const k of Object.keys(first)) expectClose(third[k], first[k], { atol: 1e-7, rtol: 1e-6, label: k })
    })
  }

  it('requiresGrad: true without training allows backward (no dropout)', () => {
    const a = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5, seed: 3 })
    const x = Tensor.randn([4, 2, 3], { seed: 1 })
    const eval_ = a.forward(x)
    const out = a.forward(x, { requiresGrad: true })
    expectSame(out.output, eval_.output, 'output (no dropout outside training)')
    const g = a.backward(Tensor.full(out.output.shape, 1))
    expect(g.gradInput.shape).toEqual([4, 2, 3])
  })
})

describe('async', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: forwardAsync/backwardAsync give the same numbers as forward/backward`, async () => {
      const cfg: LayerConfig = { mode: v.mode, inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: v.projSize, seed: 9 }
      const Hout = v.projSize || 6
      const sync = makeLayer(cfg)
      const asy = makeLayer(cfg)
      const x = Tensor.randn([7, 3, 4], { seed: 1 })
      const xCopy = x.data.slice()
      const h0 = Tensor.randn([4, 3, Hout], { seed: 2 })
      const lengths = [7, 3, 5]
      const gOut = Tensor.randn([7, 3, 2 * Hout], { seed: 3 })
      const gH = Tensor.randn([4, 3, Hout], { seed: 4 })

      const o1 = sync.forward(x, { training: true, h0, lengths })
      const o2 = await asy.forwardAsync(x, { training: true, h0, lengths })
      expectSame(o2.output, o1.output, 'output')
      expectSame(o2.h, o1.h, 'h')
      if (v.mode === 'lstm') expectSame(cOf(o2) as Tensor, cOf(o1) as Tensor, 'c')

      const g1 = sync.backward(gOut, { gradH: gH })
      const g2 = await asy.backwardAsync(gOut, { gradH: gH })
      expectSame(g2.gradInput, g1.gradInput, 'gradInput')
      expectSame(g2.gradH0, g1.gradH0, 'gradH0')
      const p1 = sync.gradients()
      const p2 = asy.gradients()
      for (const k of Object.keys(p1)) expectSame(p2[k], p1[k], k)
      expectSame({ data: x.data, shape: x.shape }, { data: xCopy, shape: x.shape }, 'input is not modified')
    })
  }

  it('async errors reject with the mapped error class', async () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4 })
    await expect(gru.backwardAsync(Tensor.zeros([2, 1, 4]))).rejects.toBeInstanceOf(StateError)
    await expect(gru.forwardAsync(Tensor.zeros([2, 1, 5]))).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SEQLEARN_/) })
  })

  it('two async calls on one layer queue up and both resolve', async () => {
    const lstm = new LSTM({ inputSize: 32, hiddenSize: 32, seed: 1 })
    const x = Tensor.randn([50, 8, 32], { seed: 2 })
    const ref = lstm.forward(x)
    const [a, b] = await Promise.all([lstm.forwardAsync(x), lstm.forwardAsync(x)])
    expectSame(a.output, ref.output, 'first')
    expectSame(b.output, ref.output, 'second')
  })
})

describe('truncated BPTT: two halves with carried state equal one pass', () => {
  for (const v of VARIANTS) {
    it(v.name, () => {
      const Hout = v.projSize || 6
      const layer = makeLayer({ mode: v.mode, inputSize: 4, hiddenSize: 6, numLayers: 2, projSize: v.projSize, seed: 5 })
      const T = 10
      const x = Tensor.randn([T, 3, 4], { seed: 1 })
      const h0 = Tensor.randn([2, 3, Hout], { seed: 2 })
      const c0 = v.mode === 'lstm' ? Tensor.randn([2, 3, 6], { seed: 3 }) : undefined
      const full = layer.forward(x, { h0, c0 })
      const a = layer.forward(stepsOf(x, 0, 6), { h0, c0 })
      const b = layer.forward(stepsOf(x, 6, T), { h0: a.h, c0: cOf(a) })
      expectClose(concatSteps([a.output, b.output]), full.output, { atol: 1e-6, rtol: 0, label: 'output' })
      expectClose(b.h, full.h, { atol: 1e-6, rtol: 0, label: 'h' })
      if (v.mode === 'lstm') expectClose(cOf(b) as Tensor, cOf(full) as Tensor, { atol: 1e-6, rtol: 0, label: 'c' })
    })
  }
})

describe('variable lengths (packed sequences)', () => {
  for (const v of VARIANTS) {
    for (const bidirectional of [false, true]) {
      it(`${v.name} bidirectional=${bidirectional}: padded steps are 0 and states stop at each sequence's end`, () => {
        const H = 5
        const Hout = v.projSize || H
        const D = bidirectional ? 2 : 1
        const L = 2
        const layer = makeLayer({ mode: v.mode, inputSize: 3, hiddenSize: H, numLayers: L, bidirectional, projSize: v.projSize, seed: 8 })
        const T = 6
        const lengths = [3, 6, 1, 4]
        const B = lengths.length
        const x = Tensor.randn([T, B, 3], { seed: 1 })
        const h0 = Tensor.randn([L * D, B, Hout], { seed: 2 })
        const c0 = v.mode === 'lstm' ? Tensor.randn([L * D, B, H], { seed: 3 }) : undefined
        // Batch item `b` of a `[L·D, B, w]` state, as `[L·D, 1, w]`.
        const pick = (s: Tensor, w: number, b: number) => new Tensor(Float32Array.from({ length: L * D * w }, (_, i) => s.data[(Math.floor(i / w) * B + b) * w + (i % w)]), [L * D, 1, w])
        const out = layer.forward(x, { lengths, h0, c0, training: true })
        for (let b = 0; b < B; b++) {
          for (let t = lengths[b]; t < T; t++) {
            for (const val of rowOf(out.output, t, b)) expect(val, `output[${t}, ${b}] (padded)`).toBe(0)
          }
          // The same sequence alone, at its own length, with its own initial state.
          const alone = layer.forward(sequenceOf(x, b, lengths[b]), { h0: pick(h0, Hout, b), c0: c0 && pick(c0, H, b) })
          expectClose(pick(out.h, Hout, b), alone.h, { atol: 1e-6, rtol: 1e-6, label: `h of sequence ${b}` })
          if (v.mode === 'lstm') expectClose(pick(cOf(out) as Tensor, H, b), cOf(alone) as Tensor, { atol: 1e-6, rtol: 1e-6, label: `c of sequence ${b}` })
          expectClose(sequenceOf(out.output, b, lengths[b]), alone.output, { atol: 1e-6, rtol: 1e-6, label: `output of sequence ${b}` })
        }
        // Padded input steps get no gradient (the inference forwards above dropped the training
        // cache, so run the training forward again first).
        layer.forward(x, { lengths, h0, c0, training: true })
        const g = layer.backward(Tensor.full(out.output.shape, 1), { gradH: Tensor.full(out.h.shape, 1) })
        for (let b = 0; b < B; b++) {
          for (let t = lengths[b]; t < T; t++) for (const val of rowOf(g.gradInput, t, b)) expect(val, `gradInput[${t}, ${b}] (padded)`).toBe(0)
        }
      })
    }
  }

  it('lengths all equal to T give the same result as no lengths', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, numLayers: 2 })
    const x = Tensor.randn([5, 3, 3], { seed: 1 })
    const a = gru.forward(x)
    const b = gru.forward(x, { lengths: [5, 5, 5] })
    expectSame(b.output, a.output, 'output')
    expectSame(b.h, a.h, 'h')
  })
})

describe('batchFirst', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: output, states and gradients are the transposed time-major ones`, () => {
      const cfg: LayerConfig = { mode: v.mode, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: v.projSize, seed: 6 }
      const tm = makeLayer(cfg)
      const bf = makeLayer({ ...cfg, batchFirst: true })
      const x = Tensor.randn([6, 4, 3], { seed: 1 })
      const lengths = [6, 2, 5, 3]
      const a = tm.forward(x, { lengths, training: true })
      const b = bf.forward(swap01(x), { lengths, training: true })
      expect(b.output.shape).toEqual([4, 6, a.output.shape[2]])
      expectSame(b.output, swap01(a.output), 'output')
      expectSame(b.h, a.h, 'h (states are never batch-first)')
      if (v.mode === 'lstm') expectSame(cOf(b) as Tensor, cOf(a) as Tensor, 'c')
      const gOut = Tensor.randn(a.output.shape, { seed: 2 })
      const ga = tm.backward(gOut)
      const gb = bf.backward(swap01(gOut))
      expectSame(gb.gradInput, swap01(ga.gradInput), 'gradInput')
      expectSame(gb.gradH0, ga.gradH0, 'gradH0')
      const pa = tm.gradients()
      const pb = bf.gradients()
      for (const k of Object.keys(pa)) expectSame(pb[k], pa[k], k)
    })
  }
})

describe('dropout', () => {
  for (const mode of ['lstm', 'gru', 'rnn_tanh'] as Mode[]) {
    it(`${mode}: seeded, training-only, and actually dropping`, () => {
      const cfg: LayerConfig = { mode, inputSize: 4, hiddenSize: 8, numLayers: 3, dropout: 0.5, seed: 21 }
      const x = Tensor.randn([5, 3, 4], { seed: 1 })
      const a = makeLayer(cfg)
      const b = makeLayer(cfg)
      const ta = a.forward(x, { training: true })
      const tb = b.forward(x, { training: true })
      expectSame(tb.output, ta.output, 'same seed ⇒ same training output')
      expectSame(tb.h, ta.h, 'same seed ⇒ same h')

      const noDrop = makeLayer({ ...cfg, dropout: 0, seed: 99 })
      noDrop.loadStateDict(a.stateDict())
      const ref = noDrop.forward(x, { training: true })
      expectSame(a.forward(x, { training: false }).output, ref.output, 'training: false ⇒ no dropout')
      expectSame(a.forward(x).output, ref.output, 'default is not training')
      expect(maxAbsDiff(ta.output.data, ref.output.data), 'dropout > 0 changes the training output').toBeGreaterThan(1e-3)

      // Fresh masks on every training call.
      const again = a.forward(x, { training: true })
      expect(maxAbsDiff(again.output.data, ta.output.data)).toBeGreaterThan(0)

      const c = makeLayer({ ...cfg, seed: 22 })
      c.loadStateDict(a.stateDict())
      expect(maxAbsDiff(c.forward(x, { training: true }).output.data, ta.output.data), 'another seed ⇒ other masks').toBeGreaterThan(0)
    })
  }

  it('is not applied after the last layer (numLayers 1 ⇒ no effect)', () => {
    const a = new LSTM({ inputSize: 4, hiddenSize: 6, dropout: 0.5 })
    const x = Tensor.randn([5, 3, 4], { seed: 1 })
    expectSame(a.forward(x, { training: true }).output, a.forward(x).output, 'output')
  })

  it('backward goes through the same mask as the forward', () => {
    // A fresh layer with the same seed draws the same masks on its first training forward, so
    // finite differences through fresh layers see the masks the analytic backward must use.
    const cfg: LayerConfig = { mode: 'gru', inputSize: 3, hiddenSize: 6, numLayers: 2, dropout: 0.5, seed: 5 }
    const a = makeLayer(cfg)
    const x = Tensor.randn([4, 2, 3], { seed: 1 })
    const out = a.forward(x, { training: true })
    const g = Tensor.randn(out.output.shape, { seed: 2 })
    const ga = a.backward(g).gradInput
    // Finite-difference check of d(sum(out·g))/dx with the same masks: replay with a layer of the same seed.
    const eps = 1e-2
    const loss = (xx: Tensor): number => {
      const fresh = makeLayer(cfg)
      const o = fresh.forward(xx, { training: true })
      let s = 0
      for (let i = 0; i < o.output.data.length; i++) s += o.output.data[i] * g.data[i]
      return s
    }
    for (const i of [0, 5, 13, 23]) {
      const xp = x.clone()
      xp.data[i] += eps
      const xm = x.clone()
      xm.data[i] -= eps
      const fd = (loss(xp) - loss(xm)) / (2 * eps)
      expect(Math.abs(fd - ga.data[i]), `gradInput[${i}]: analytic ${ga.data[i]} vs finite difference ${fd}`).toBeLessThan(2e-3)
    }
  })
})

describe('event loop', () => {
  async function lagWhile(work: () => Promise<void>): Promise<{ maxLag: number; ticks: number; elapsed: number }> {
    let last = performance.now()
    let maxLag = 0
    let ticks = 0
    const timer = setInterval(() => {
      const now = performance.now()
      maxLag = Math.max(maxLag, now - last - 10)
      last = now
      ticks++
    }, 10)
    const t0 = performance.now()
    try {
      await work()
      // One more tick so the time after the last await is measured too.
      await sleep(15)
    } finally {
      clearInterval(timer)
    }
    maxLag = Math.max(maxLag, performance.now() - last - 10)
    return { maxLag, ticks, elapsed: performance.now() - t0 }
  }

  it('the lag probe sees a blocked event loop (control)', async () => {
    const r = await lagWhile(async () => {
      await sleep(20)
      const end = performance.now() + 120
      while (performance.now() < end) {
        // busy
      }
    })
    expect(r.maxLag).toBeGreaterThan(50)
  })

  it('stays responsive while forwardAsync/backwardAsync run a large LSTM', async () => {
    const lstm = new LSTM({ inputSize: 256, hiddenSize: 256, seed: 1 })
    const x = Tensor.randn([200, 64, 256], { seed: 2 })
    const g = Tensor.randn([200, 64, 256], { seed: 3 })
    let runs = 0
    const r = await lagWhile(async () => {
      const t0 = performance.now()
      // Several runs, and at least half a second of work so the probe has something to see.
      while (runs < 3 || (performance.now() - t0 < 500 && runs < 20)) {
        await lstm.forwardAsync(x, { training: true })
        await lstm.backwardAsync(g)
        runs++
      }
    })
    expect(runs).toBeGreaterThanOrEqual(3)
    expect(r.ticks, `timer ticks in ${r.elapsed.toFixed(0)} ms`).toBeGreaterThanOrEqual(Math.floor(r.elapsed / 20))
    expect(r.maxLag, `max timer lag over ${runs} forward+backward runs (${r.elapsed.toFixed(0)} ms)`).toBeLessThan(50)
  })
})

describe('busy guard', () => {
  it('a sync call while an async call runs throws BusyError; the layer works afterwards', async () => {
    const lstm = new LSTM({ inputSize: 256, hiddenSize: 256, seed: 1 })
    const x = Tensor.randn([200, 64, 256], { seed: 2 })
    await observeBusy(() => lstm.forwardAsync(x, { training: true }), () => lstm.numParameters, () => {
      const check = (name: string, f: () => unknown) => {
        const e = expectError(f, BusyError, 'ERR_SEQLEARN_BUSY', ['async'])
        expect(e.message, name).toMatch(/await/)
      }
      check('forward', () => lstm.forward(x))
      check('backward', () => lstm.backward(x))
      check('stateDict', () => lstm.stateDict())
      check('gradients', () => lstm.gradients())
      check('loadStateDict', () => lstm.loadStateDict({}, { strict: false }))
      check('zeroGrad', () => lstm.zeroGrad())
    })
    // The async forward's cache is there for a (sync) backward; then the layer is free again.
    const g = lstm.backward(Tensor.full([200, 64, 256], 1e-3))
    expect(g.gradInput.shape).toEqual([200, 64, 256])
    expect(lstm.forward(stepsOf(x, 0, 2)).output.shape).toEqual([2, 64, 256])
  })
})

describe('layer classes', () => {
  it('RNN, LSTM and GRU expose their mode and resolved options', () => {
    const checks: [RecurrentLayer, string][] = [
      [new RNN({ inputSize: 2, hiddenSize: 3 }), 'rnn_tanh'],
      [new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'relu' }), 'rnn_relu'],
      [new LSTM({ inputSize: 2, hiddenSize: 3 }), 'lstm'],
      [new GRU({ inputSize: 2, hiddenSize: 3 }), 'gru'],
    ]
    for (const [layer, mode] of checks) {
      expect(layer.options).toMatchObject({ mode, inputSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: false, batchFirst: false, dropout: 0, bias: true, projSize: 0, seed: 0 })
    }
  })

  it('relu and tanh RNNs differ on the same weights', () => {
    const t = new RNN({ inputSize: 3, hiddenSize: 4, seed: 2 })
    const r = new RNN({ inputSize: 3, hiddenSize: 4, seed: 2, nonlinearity: 'relu' })
    const x = Tensor.randn([3, 2, 3], { seed: 1 })
    const ot = t.forward(x).output
    const or = r.forward(x).output
    for (const v of or.data) expect(v).toBeGreaterThanOrEqual(0)
    expect(ot.data.some((v) => v < 0)).toBe(true)
  })
})
