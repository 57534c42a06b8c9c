// Optimizers and gradient clipping: PyTorch parity on real layers (fixture made by
// test/fixtures/make_optim_fixtures.py), exact resumption from a saved state, frozen layers and
// per-layer learning rates, and one error test per validated argument.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  Adagrad,
  Adam,
  AdamW,
  BusyError,
  GRU,
  InvalidArgumentError,
  LSTM,
  RMSprop,
  SGD,
  ShapeError,
  StateError,
  Tensor,
  clipGradNorm,
  clipGradValue,
  flatGradients,
  flatParameters,
  gradNorm,
  loadSafetensorsFileSync,
  optimizerFromState,
  saveSafetensorsSync,
  setFlatGradients,
  setFlatParameters,
  type AdamOptions,
  type Optimizer,
  type OptimizerLayers,
  type OptimizerStateDict,
  type RecurrentLayer,
  type Trainable,
} from '../dist/index.js'
// eslint-disable-next-line @typescript-eslint/no-require-imports
import native = require('../index.js')
import { expectClose, expectError, expectSame, observeBusy } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const FIXTURE = resolve(__dirname, 'fixtures', 'optim', 'optimizers.safetensors')

interface LayerSpec {
  mode: 'lstm' | 'gru'
  inputSize: number
  hiddenSize: number
  names: string[]
  shapes: number[][]
}
interface Case {
  name: string
  kind: 'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop'
  options: Record<string, unknown>
  lrScales?: number[]
  frozen?: Record<string, number[]>
  lrs?: number[]
}
interface ClipCase {
  name: string
  maxNorm?: number
  normType?: number | 'inf'
  clipValue?: number
}

const file = loadSafetensorsFileSync(FIXTURE)
const config = JSON.parse(file.metadata.config) as { layers: LayerSpec[]; steps: number; cases: Case[]; clip: ClipCase[] }
const T = (name: string): Tensor => {
  const t = file.tensors[name]
  if (!(t instanceof Tensor)) throw new Error(`fixture tensor ${name} missing`)
  return t
}

/** The fixture's two real layers, with the fixture's initial parameters loaded by name. */
function fixtureLayers(): RecurrentLayer[] {
  return config.layers.map((spec, l) => {
    const layer = spec.mode === 'lstm' ? new LSTM({ inputSize: spec.inputSize, hiddenSize: spec.hiddenSize }) : new GRU({ inputSize: spec.inputSize, hiddenSize: spec.hiddenSize })
    const flat = T(`init.${l}`).data
    const sd: Record<string, Tensor> = {}
    let off = 0
    spec.names.forEach((name, k) => {
      const n = spec.shapes[k].reduce((a, b) => a * b, 1)
      sd[name] = new Tensor(flat.slice(off, off + n), spec.shapes[k])
      off += n
    })
    layer.loadStateDict(sd)
    return layer
  })
}

const CLASSES = { sgd: SGD, adam: Adam, adamw: AdamW, adagrad: Adagrad, rmsprop: RMSprop }
function make(kind: Case['kind'], layers: OptimizerLayers, options: Record<string, unknown>): Optimizer {
  return new (CLASSES[kind] as new (l: OptimizerLayers, o: Record<string, unknown>) => Optimizer)(layers, options)
}

function params(layer: Trainable): Tensor {
  const d = flatParameters(layer)
  return new Tensor(d, [d.length])
}

/** The native handle of a layer (for calling the native Optimizer directly). */
function handle(layer: Trainable): native.ParamHandle {
  return (layer as unknown as { paramHandle(): native.ParamHandle }).paramHandle()
}

function setFrozen(layer: Trainable, frozen: boolean): void {
  Object.assign(layer, { freeze: frozen })
}

describe('PyTorch parity (torch.optim, float32, foreach=False)', () => {
  it('the fixture layout is the layers’ flat parameter layout', () => {
    fixtureLayers().forEach((l, i) => expectSame(params(l), T(`init.${i}`), `layer ${i}`))
  })

  for (const c of config.cases) {
    it(`${c.name}: parameters after each of ${config.steps} steps within 1e-6`, () => {
      const layers = fixtureLayers()
      const entries: OptimizerLayers = c.lrScales ? layers.map((layer, i) => ({ layer, lrScale: c.lrScales![i] })) : layers
      const opt = make(c.kind, entries, c.options)
      expect(opt.kind).toBe(c.kind)
      for (let s = 0; s < config.steps; s++) {
        if (c.lrs) opt.lr = c.lrs[s]
        layers.forEach((l, i) => {
          setFrozen(l, c.frozen?.[String(i)]?.includes(s) ?? false)
          setFlatGradients(l, T(`grad.${s}.${i}`).data)
        })
        opt.step()
        layers.forEach((l, i) => expectClose(params(l), T(`expected.${c.name}.${s}.${i}`), { atol: 1e-6, rtol: 0, label: `${c.name} step ${s} layer ${i}` }))
      }
      expect(opt.steps).toBe(config.steps)
    })
  }

  for (const c of config.clip) {
    it(`clipping ${c.name}`, () => {
      const layers = fixtureLayers()
      layers.forEach((l, i) => setFlatGradients(l, T(`grad.0.${i}`).data))
      if (c.clipValue !== undefined) {
        clipGradValue(layers, c.clipValue)
      } else {
        const normType = c.normType === 'inf' ? Infinity : (c.normType as number)
        const before = gradNorm(layers, normType)
        const total = clipGradNorm(layers, c.maxNorm!, { normType })
        const want = T(`clip.${c.name}.total`).data[0]
        expect(Math.abs(total - want)).toBeLessThanOrEqual(1e-6 * want)
        expect(before).toBe(total)
      }
      layers.forEach((l, i) => {
        const g = flatGradients(l)
        expectClose(new Tensor(g, [g.length]), T(`clip.${c.name}.${i}`), { atol: 1e-6, rtol: 0, label: `${c.name} layer ${i}` })
      })
    })
  }
})

// ---- exact resumption -----------------------------------------------------------------------

/** LSTM + GRU with more than 65536 parameters in total, so updates run in parallel chunks. */
function bigLayers(): RecurrentLayer[] {
  return [new LSTM({ inputSize: 64, hiddenSize: 96, seed: 3 }), new GRU({ inputSize: 16, hiddenSize: 32, seed: 4 })]
}

/** Steps `k0..k0+n` with gradients that depend only on the step and layer. */
function train(opt: Optimizer, layers: Trainable[], k0: number, n: number): void {
  for (let k = k0; k < k0 + n; k++) {
    layers.forEach((l, i) => {
      setFrozen(l, i === 1 && k === 1) // layer 1 skips step 1: per-layer step counts differ
      setFlatGradients(l, Tensor.randn([l.numParameters], { seed: 100 * k + i }).data)
    })
    opt.step()
  }
}

const RESUME: [Case['kind'], Record<string, unknown>][] = [
  ['sgd', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }],
  ['sgd', { lr: 0.05, momentum: 0.9, nesterov: true }],
  ['adam', { lr: 1e-2, amsgrad: true, weightDecay: 1e-2 }],
  ['adamw', { lr: 1e-2, betas: [0.8, 0.99] }],
  ['adagrad', { lr: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
  ['rmsprop', { lr: 1e-2, momentum: 0.5, centered: true }],
]

const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-optim-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('saved state: 3 steps, save, fresh optimizer + load, 3 more == 6 straight (bit-identical)', () => {
  for (const [kind, options] of RESUME) {
    it(`${kind} ${JSON.stringify(options)}`, () => {
      const straightLayers = bigLayers()
      const straight = make(kind, [straightLayers[0], { layer: straightLayers[1], lrScale: 0.5 }], options)
      train(straight, straightLayers, 0, 6)

      const first = bigLayers()
      const a = make(kind, [first[0], { layer: first[1], lrScale: 0.5 }], options)
      train(a, first, 0, 3)
      const saved = a.stateDict()
      expect(saved.kind).toBe(kind)
      expect(saved.step).toBe(3)
      expect(saved.layerSteps).toEqual([3, 2])
      // Through JSON (the non-tensor part) and a safetensors file (the tensors), as a checkpoint would.
      const path = join(tmp, `${kind}-${Object.keys(options).join('-')}.safetensors`)
      saveSafetensorsSync(path, saved.tensors)
      const { tensors: _t, ...rest } = saved
      const restored = { ...(JSON.parse(JSON.stringify(rest)) as Omit<OptimizerStateDict, 'tensors'>), tensors: loadSafetensorsFileSync(path).tensors as Record<string, Tensor> }

      const resumedLayers = bigLayers()
      resumedLayers.forEach((l, i) => l.loadStateDict(first[i].stateDict()))
      const b = make(kind, [resumedLayers[0], { layer: resumedLayers[1], lrScale: 0.5 }], options)
      b.loadStateDict(restored)
      expect(b.stateDict().layerSteps).toEqual([3, 2])
      train(b, resumedLayers, 3, 3)
      resumedLayers.forEach((l, i) => expectSame(params(l), params(straightLayers[i]), `${kind} layer ${i}`))
      const s1 = straight.stateDict()
      const s2 = b.stateDict()
      expect(Object.keys(s2.tensors)).toEqual(Object.keys(s1.tensors))
      for (const k of Object.keys(s1.tensors)) expectSame(s2.tensors[k], s1.tensors[k], k)
    })
  }

  it('optimizerFromState builds the saved kind with the saved options and state', () => {
    const layers = bigLayers()
    const a = new RMSprop(layers, { lr: 0.02, centered: true, momentum: 0.3 })
    train(a, layers, 0, 2)
    const b = optimizerFromState(layers, a.stateDict())
    expect(b).toBeInstanceOf(RMSprop)
    expect(b.options).toEqual(a.options)
    expect(b.steps).toBe(2)
    const sa = a.stateDict()
    const sb = b.stateDict()
    for (const k of Object.keys(sa.tensors)) expectSame(sb.tensors[k], sa.tensors[k], k)
  })
})

describe('behaviour', () => {
  it('state names follow PyTorch and exist only for used buffers', () => {
    const layers = fixtureLayers()
    const names = (o: Optimizer): string[] => Object.keys(o.stateDict().tensors)
    expect(names(new Adam(layers))).toEqual(['layers.0.exp_avg', 'layers.0.exp_avg_sq', 'layers.1.exp_avg', 'layers.1.exp_avg_sq'])
    expect(names(new AdamW(layers, { amsgrad: true })).filter((n) => n.startsWith('layers.1'))).toEqual(['layers.1.exp_avg', 'layers.1.exp_avg_sq', 'layers.1.max_exp_avg_sq'])
    expect(names(new Adagrad(layers))).toEqual(['layers.0.sum', 'layers.1.sum'])
    expect(names(new RMSprop(layers, { centered: true }))).toEqual(['layers.0.square_avg', 'layers.0.grad_avg', 'layers.1.square_avg', 'layers.1.grad_avg'])
    const sgd = new SGD(layers, { momentum: 0.9 })
    expect(names(sgd)).toEqual([]) // PyTorch: momentum_buffer is None until the first step
    sgd.step()
    expect(names(sgd)).toEqual(['layers.0.momentum_buffer', 'layers.1.momentum_buffer'])
    expect(sgd.stateDict().tensors['layers.0.momentum_buffer'].shape).toEqual([84])
  })

  it('defaults and options are PyTorch’s', () => {
    const l = fixtureLayers()
    expect(new SGD(l).options).toEqual({ lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false })
    expect(new Adam(l).options).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false })
    expect(new AdamW(l).options).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false })
    expect(new Adagrad(l).options).toEqual({ lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false })
    expect(new RMSprop(l).options).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false })
  })

  it('lr and setOptions change the next step; zeroGrad clears every layer', () => {
    const layers = fixtureLayers()
    const opt = new SGD(layers, { lr: 0.1 })
    opt.lr = 0.25
    expect(opt.lr).toBe(0.25)
    opt.setOptions({ momentum: 0.5 })
    expect(opt.options).toMatchObject({ lr: 0.25, momentum: 0.5 })
    layers.forEach((l) => setFlatGradients(l, new Float32Array(l.numParameters).fill(1)))
    const before = params(layers[0]).data[0]
    opt.step()
    expect(params(layers[0]).data[0]).toBeCloseTo(before - 0.25, 6)
    opt.zeroGrad()
    for (const l of layers) expect(flatGradients(l).every((v) => v === 0)).toBe(true)
  })

  it('a frozen layer is left unchanged and keeps its step count', () => {
    const layers = fixtureLayers()
    const opt = new Adam(layers, { lr: 0.1 })
    layers.forEach((l) => setFlatGradients(l, new Float32Array(l.numParameters).fill(1)))
    setFrozen(layers[1], true)
    const frozenBefore = params(layers[1])
    const movingBefore = params(layers[0])
    opt.step()
    expectSame(params(layers[1]), frozenBefore, 'frozen layer')
    expect(params(layers[0]).data[0]).not.toBe(movingBefore.data[0])
    expect(opt.stateDict().layerSteps).toEqual([1, 0])
    // Clipping leaves frozen layers out as well.
    setFlatGradients(layers[1], new Float32Array(layers[1].numParameters).fill(100))
    expect(gradNorm(layers)).toBeCloseTo(Math.sqrt(layers[0].numParameters), 3)
  })

  it('a non-finite gradient norm leaves gradients unchanged and is returned', () => {
    const layers = fixtureLayers()
    const g = new Float32Array(layers[1].numParameters).fill(0.5)
    g[3] = NaN
    setFlatGradients(layers[0], new Float32Array(layers[0].numParameters).fill(2))
    setFlatGradients(layers[1], g)
    expect(clipGradNorm(layers, 1)).toBeNaN()
    expect(flatGradients(layers[0])[0]).toBe(2)
    g[3] = Infinity
    setFlatGradients(layers[1], g)
    expect(clipGradNorm(layers, 1, { normType: Infinity })).toBe(Infinity)
    expect(flatGradients(layers[0])[0]).toBe(2)
  })
})

// ---- errors: one per validated argument -------------------------------------------------------

describe('errors', () => {
  const layers = (): RecurrentLayer[] => fixtureLayers()

  it('layers: not an array, empty, not trainable, duplicated, bad lrScale', () => {
    const [a, b] = layers()
    expectError(() => new Adam(a as unknown as OptimizerLayers), TypeError, undefined, ['layers', 'expected an array'])
    expectError(() => new Adam([]), InvalidArgumentError, INVALID, ['layers', 'at least one layer', 'empty'])
    expectError(() => new Adam([a, { foo: 1 } as unknown as Trainable]), TypeError, undefined, ['layers[1]', 'trainable layer', 'foo'])
    expectError(() => new Adam([a, b, a]), InvalidArgumentError, INVALID, ['layers[2]', 'same layer as layers[0]'])
    expectError(() => new SGD([a, { layer: b, lrScale: -1 }]), InvalidArgumentError, INVALID, ['layers[1].lrScale', '≥ 0', '-1'])
    expectError(() => new SGD([{ layer: b, lrScale: '2' as unknown as number }]), TypeError, undefined, ['layers[0].lrScale', 'number'])
  })

  it('options: not an object, unknown name, wrong type', () => {
    const l = layers()
    expectError(() => new Adam(l, 0.1 as unknown as AdamOptions), TypeError, undefined, ['options', 'expected an object', 'number 0.1'])
    expectError(() => new Adam(l, { learningRate: 0.1 } as unknown as AdamOptions), InvalidArgumentError, INVALID, ['options.learningRate', 'not an option of Adam', 'lr, betas'])
    expectError(() => new SGD(l, { betas: [0.9, 0.99] } as unknown as AdamOptions), InvalidArgumentError, INVALID, ['options.betas', 'not an option of SGD'])
    expectError(() => new Adam(l, { lr: '0.1' as unknown as number }), TypeError, undefined, ['options.lr', 'expected a number', 'string 0.1'])
    expectError(() => new Adam(l, { amsgrad: 1 as unknown as boolean }), TypeError, undefined, ['options.amsgrad', 'boolean'])
    expectError(() => new Adam(l, { betas: [0.9] as unknown as [number, number] }), TypeError, undefined, ['options.betas', 'two numbers', 'length 1'])
  })

  const RANGE: [string, () => unknown, string[]][] = [
    ['lr < 0', () => new Adam(layers(), { lr: -1 }), ['lr', '≥ 0', 'got -1']],
    ['lr NaN', () => new SGD(layers(), { lr: NaN }), ['lr', 'got NaN']],
    ['betas[0] out of range', () => new Adam(layers(), { betas: [-0.1, 0.999] }), ['betas[0]', '[0, 1)', 'got -0.1']],
    ['betas[1] = 1', () => new AdamW(layers(), { betas: [0.9, 1] }), ['betas[1]', '[0, 1)', 'got 1']],
    ['eps < 0', () => new Adam(layers(), { eps: -1e-8 }), ['eps', 'got -0.00000001']],
    ['weightDecay < 0', () => new AdamW(layers(), { weightDecay: -0.1 }), ['weightDecay', 'got -0.1']],
    ['momentum < 0', () => new SGD(layers(), { momentum: -0.5 }), ['momentum', 'got -0.5']],
    ['dampening infinite', () => new SGD(layers(), { dampening: Infinity }), ['dampening', 'finite', 'inf']],
    ['nesterov without momentum', () => new SGD(layers(), { nesterov: true }), ['nesterov', 'momentum > 0', 'got momentum 0']],
    ['alpha > 1', () => new RMSprop(layers(), { alpha: 1.5 }), ['alpha', '[0, 1]', 'got 1.5']],
    ['RMSprop momentum < 0', () => new RMSprop(layers(), { momentum: -1 }), ['momentum', 'got -1']],
    ['lrDecay < 0', () => new Adagrad(layers(), { lrDecay: -1 }), ['lrDecay', 'got -1']],
    ['initialAccumulatorValue < 0', () => new Adagrad(layers(), { initialAccumulatorValue: -0.5 }), ['initialAccumulatorValue', 'got -0.5']],
  ]
  for (const [what, fn, parts] of RANGE) {
    it(`option out of range: ${what}`, () => {
      expectError(fn, InvalidArgumentError, INVALID, parts)
    })
  }

  it('lr setter and setOptions: bad values, fixed options; nothing changes', () => {
    const opt = new Adam(layers(), { lr: 0.01, amsgrad: true })
    expectError(() => (opt.lr = NaN), InvalidArgumentError, INVALID, ['lr', 'got NaN'])
    expectError(() => (opt.lr = '1' as unknown as number), TypeError, undefined, ['lr', 'expected a number'])
    expectError(() => opt.setOptions({ amsgrad: false }), InvalidArgumentError, INVALID, ['amsgrad', 'cannot change', 'was true, got false'])
    expectError(() => opt.setOptions({ lr: 0.5, betas: [0.9, 2] }), InvalidArgumentError, INVALID, ['betas[1]', 'got 2'])
    expect(opt.options).toMatchObject({ lr: 0.01, betas: [0.9, 0.999], amsgrad: true })
  })

  it('native step: wrong layer list, a layer with another parameter count, frozen flags', () => {
    const [a, b] = layers()
    const opt = new native.Optimizer('adam', [handle(a), handle(b)])
    expectError(() => opt.step([handle(a)]), Error, undefined, ['layers', 'built for 2 layers, got 1'])
    expectError(() => opt.step([handle(b), handle(a)]), Error, undefined, ['layers[0]', 'layer with 84 parameters, got one with 36'])
    expectError(() => opt.step([handle(a), handle(a)]), Error, undefined, ['layers[1]', 'same layer as layers[0]'])
    expectError(() => opt.step([handle(a), handle(b)], [true]), Error, undefined, ['frozen', 'one flag per layer (2), got 1'])
    expectError(() => new native.Optimizer('adamax', [handle(a)]), Error, undefined, ['kind', "'adamax'", 'sgd, adam, adamw, adagrad, rmsprop'])
    expect(opt.steps).toBe(0)
  })

  it('step or clipping while a layer runs an async call → BusyError', async () => {
    const lstm = new LSTM({ inputSize: 128, hiddenSize: 128, seed: 1 })
    const opt = new Adam([lstm])
    const x = Tensor.randn([100, 32, 128], { seed: 2 })
    await observeBusy(() => lstm.forwardAsync(x), () => clipGradValue([lstm], 1e30), () => {
      expectError(() => opt.step(), BusyError, 'ERR_SEQLEARN_BUSY', ['async'])
      expectError(() => clipGradNorm([lstm], 1), BusyError, 'ERR_SEQLEARN_BUSY', ['async'])
    })
    expect(opt.steps).toBe(0)
    opt.step()
    expect(opt.steps).toBe(1)
  })

  it('loadStateDict: wrong kind, sizes, names, values, counts; nothing changes', () => {
    const l = layers()
    const opt = new Adam(l, { lr: 0.01, amsgrad: true })
    l.forEach((x) => setFlatGradients(x, new Float32Array(x.numParameters).fill(0.5)))
    opt.step()
    const good = opt.stateDict()
    const with_ = (patch: Partial<OptimizerStateDict>, tensors?: Record<string, Tensor>): OptimizerStateDict => ({ ...good, ...patch, tensors: tensors ?? good.tensors })
    const bad: [string, OptimizerStateDict, abstract new (...args: never[]) => Error, string[]][] = [
      ['kind', with_({ kind: 'sgd' }), InvalidArgumentError, ['state.kind', "expected 'adam'", "got 'sgd'"]],
      ['option', with_({ options: { ...good.options, lr: -2 } }), InvalidArgumentError, ['state.options.lr', 'got -2']],
      ['unknown option', with_({ options: { ...good.options, momentum: 0.9 } as unknown as OptimizerStateDict['options'] }), InvalidArgumentError, ['state.options.momentum', 'not an option of Adam']],
      ['step', with_({ step: 1.5 }), InvalidArgumentError, ['state.step', 'integer', '1.5']],
      ['layerSteps length', with_({ layerSteps: [1] }), InvalidArgumentError, ['state.layerSteps', '2 step counts', 'got 1']],
      ['layerSteps > step', with_({ layerSteps: [1, 2] }), InvalidArgumentError, ['state.layerSteps[1]', 'at most 1', 'got 2']],
      ['size', with_({}, { ...good.tensors, 'layers.0.exp_avg': new Tensor(new Float32Array(83), [83]) }), ShapeError, ["state.tensors['layers.0.exp_avg']", 'expected shape [84], got [83]']],
      ['name', with_({}, { ...good.tensors, 'layers.0.exp_avgs': good.tensors['layers.0.exp_avg'] }), InvalidArgumentError, ["state.tensors['layers.0.exp_avgs']", 'unexpected name', 'exp_avg, exp_avg_sq, max_exp_avg_sq']],
      ['layer index', with_({}, { ...good.tensors, 'layers.2.exp_avg': good.tensors['layers.0.exp_avg'] }), InvalidArgumentError, ["state.tensors['layers.2.exp_avg']", 'i in 0..2']],
      ['missing', with_({}, Object.fromEntries(Object.entries(good.tensors).filter(([k]) => k !== 'layers.1.max_exp_avg_sq'))), InvalidArgumentError, ['state.tensors', "missing 'layers.1.max_exp_avg_sq'"]],
      ['NaN', with_({}, { ...good.tensors, 'layers.1.exp_avg': new Tensor(new Float32Array(36).fill(NaN), [36]) }), InvalidArgumentError, ["state.tensors['layers.1.exp_avg']", 'index 0 is NaN']],
      ['negative second moment', with_({}, { ...good.tensors, 'layers.1.exp_avg_sq': new Tensor(new Float32Array(36).fill(-1), [36]) }), InvalidArgumentError, ["state.tensors['layers.1.exp_avg_sq']", '≥ 0']],
    ]
    for (const [what, state, cls, parts] of bad) {
      const e = expectError(() => opt.loadStateDict(state), cls, undefined, parts)
      expect(e.message, what).toBeTruthy()
      const now = opt.stateDict()
      expect(now.options, what).toEqual(good.options)
      expect(now.layerSteps, what).toEqual(good.layerSteps)
      for (const k of Object.keys(good.tensors)) expectSame(now.tensors[k], good.tensors[k], `${what}: ${k}`)
    }
    expectError(() => opt.loadStateDict(null as unknown as OptimizerStateDict), TypeError, undefined, ['state', 'null'])
    expectError(() => opt.loadStateDict({ ...good, layerSteps: 'x' } as unknown as OptimizerStateDict), TypeError, undefined, ['state.layerSteps', 'array'])
    expectError(() => opt.loadStateDict({ ...good, tensors: { 'layers.0.exp_avg': [1, 2] } } as unknown as OptimizerStateDict), TypeError, undefined, ["state.tensors['layers.0.exp_avg']", 'Tensor'])
  })

  it('clipGradNorm / gradNorm / clipGradValue arguments', () => {
    const l = layers()
    expectError(() => clipGradNorm(l, -1), InvalidArgumentError, INVALID, ['maxNorm', '≥ 0', 'got -1'])
    expectError(() => clipGradNorm(l, NaN), InvalidArgumentError, INVALID, ['maxNorm', 'got NaN'])
    expectError(() => clipGradNorm(l, '1' as unknown as number), TypeError, undefined, ['maxNorm', 'number'])
    expectError(() => clipGradNorm(l, 1, { normType: 0 }), InvalidArgumentError, INVALID, ['normType', '> 0 or Infinity', 'got 0'])
    expectError(() => clipGradNorm(l, 1, { normType: 'inf' as unknown as number }), TypeError, undefined, ['normType', 'number'])
    expectError(() => clipGradNorm(l, 1, { errorIfNonfinite: 'yes' as unknown as boolean }), TypeError, undefined, ['errorIfNonfinite', 'boolean'])
    expectError(() => clipGradNorm([l[0], l[0]], 1), InvalidArgumentError, INVALID, ['layers[1]', 'same layer as layers[0]'])
    expectError(() => clipGradNorm(l[0] as unknown as Trainable[], 1), TypeError, undefined, ['layers', 'array'])
    expectError(() => gradNorm(l, -2), InvalidArgumentError, INVALID, ['normType', 'got -2'])
    expectError(() => clipGradValue(l, -0.5), InvalidArgumentError, INVALID, ['clipValue', '≥ 0', 'got -0.5'])
    expectError(() => clipGradValue(l, undefined as unknown as number), TypeError, undefined, ['clipValue', 'number'])
  })

  it('errorIfNonfinite: StateError naming the layer, gradients unchanged', () => {
    const l = layers()
    const g = new Float32Array(l[1].numParameters).fill(3)
    g[5] = Infinity
    setFlatGradients(l[0], new Float32Array(l[0].numParameters).fill(3))
    setFlatGradients(l[1], g)
    expectError(() => clipGradNorm(l, 1, { errorIfNonfinite: true }), StateError, 'ERR_SEQLEARN_STATE', ['layers[1]', '2-norm', 'inf', 'errorIfNonfinite'])
    expect(flatGradients(l[0])[0]).toBe(3)
  })

  it('flat gradients / parameters: lengths, types and values', () => {
    const [a] = layers()
    expectError(() => setFlatGradients(a, new Float32Array(3)), InvalidArgumentError, INVALID, ['data', 'expected 84 values', 'got 3'])
    expectError(() => setFlatParameters(a, new Float32Array(85)), InvalidArgumentError, INVALID, ['data', 'expected 84 values', 'got 85'])
    expectError(() => setFlatGradients(a, [1, 2] as unknown as Float32Array), TypeError, undefined, ['data', 'Float32Array', 'array of length 2'])
    expectError(() => flatParameters({} as Trainable), TypeError, undefined, ['layer', 'trainable'])
    const p = new Float32Array(84)
    p[7] = NaN
    expectError(() => setFlatParameters(a, p), InvalidArgumentError, INVALID, ['data', 'index 7', 'NaN'])
    p[7] = 1.5
    setFlatParameters(a, p)
    expect(a.stateDict().weight_ih_l0.data[7]).toBe(1.5)
    expect(flatParameters(a)).toEqual(p)
  })
})
