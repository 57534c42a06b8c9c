// PyTorch parity: every fixture under test/fixtures/recurrent (written by
// make_recurrent_fixtures.py from torch.nn.RNN/LSTM/GRU in float64) is rebuilt through the public
// API, loaded with loadStateDict, run forward and backward, and compared element-wise:
// |a − b| ≤ 1e-5 + 1e-5·|b| for the output, final states, input/state gradients and every
// parameter gradient. The whole set runs with 1 and with 2 kernel threads.
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getNumThreads, IntTensor, LSTM, loadSafetensors, loadSafetensorsFileSync, setNumThreads, Tensor, type SafetensorsFile } from '../dist/index.js'
import { expectClose, FIXTURE_DIR, fromNested, makeLayer, recurrentFixtures, type Mode } from './helpers'

interface FixtureConfig {
  mode: Mode
  inputSize: number
  hiddenSize: number
  numLayers: number
  bidirectional: boolean
  bias: boolean
  batchFirst: boolean
  projSize: number
  seqLen: number
  batchSize: number
  hasLengths: boolean
  hasH0: boolean
}

const TOL = { atol: 1e-5, rtol: 1e-5 }
const files = recurrentFixtures()
const initialThreads = getNumThreads()

function floatTensor(f: SafetensorsFile, name: string): Tensor {
  const t = f.tensors[name]
  expect(t, `fixture tensor '${name}'`).toBeInstanceOf(Tensor)
  return t as Tensor
}

function optionalFloat(f: SafetensorsFile, name: string): Tensor | undefined {
  return f.tensors[name] === undefined ? undefined : floatTensor(f, name)
}

function runFixture(path: string): void {
  const f = loadSafetensorsFileSync(path)
  const cfg = JSON.parse(f.metadata.config) as FixtureConfig
  const layer = makeLayer({ ...cfg, projSize: cfg.projSize })
  expect(layer.options.mode).toBe(cfg.mode)

  const params: Record<string, Tensor> = {}
  for (const k of Object.keys(f.tensors)) if (k.startsWith('param.')) params[k.slice('param.'.length)] = floatTensor(f, k)
  // Same names as PyTorch's state_dict (strict load: all present, none extra).
  expect(Object.keys(layer.stateDict()).sort()).toEqual(Object.keys(params).sort())
  layer.loadStateDict(params)

  const input = floatTensor(f, 'input')
  const lengths = f.tensors.lengths
  expect(lengths === undefined).toBe(!cfg.hasLengths)
  if (lengths !== undefined) expect(lengths).toBeInstanceOf(IntTensor)
  const h0 = optionalFloat(f, 'h0')
  const c0 = optionalFloat(f, 'c0')
  expect(h0 === undefined).toBe(!cfg.hasH0)

  const out = layer.forward(input, { lengths: lengths?.data, h0, c0, training: true })
  expectClose(out.output, floatTensor(f, 'expected.output'), { ...TOL, label: 'output' })
  expectClose(out.h, floatTensor(f, 'expected.hn'), { ...TOL, label: 'h' })
  const c = (out as { c?: Tensor }).c
  if (cfg.mode === 'lstm') {
    expect(c).toBeInstanceOf(Tensor)
    expectClose(c as Tensor, floatTensor(f, 'expected.cn'), { ...TOL, label: 'c' })
  } else {
    expect(c).toBeUndefined()
  }

  const grads = layer.backward(floatTensor(f, 'grad_output'), { gradH: floatTensor(f, 'grad_hn'), gradC: optionalFloat(f, 'grad_cn') })
  expectClose(grads.gradInput, floatTensor(f, 'expected.grad_input'), { ...TOL, label: 'gradInput' })
  const gH0 = optionalFloat(f, 'expected.grad_h0')
  if (cfg.hasH0) expectClose(grads.gradH0, gH0 as Tensor, { ...TOL, label: 'gradH0' })
  const gradC0 = (grads as { gradC0?: Tensor }).gradC0
  if (cfg.mode === 'lstm') {
    expect(gradC0).toBeInstanceOf(Tensor)
    if (cfg.hasH0) expectClose(gradC0 as Tensor, floatTensor(f, 'expected.grad_c0'), { ...TOL, label: 'gradC0' })
  } else {
    expect(gradC0).toBeUndefined()
  }

  const got = layer.gradients()
  const expectedNames = Object.keys(f.tensors).filter((k) => k.startsWith('expected.grad.'))
  expect(Object.keys(got).sort()).toEqual(expectedNames.map((k) => k.slice('expected.grad.'.length)).sort())
  for (const [name, g] of Object.entries(got)) {
    expectClose(g, floatTensor(f, `expected.grad.${name}`), { ...TOL, label: `gradients()['${name}']` })
  }
}

describe('PyTorch fixtures', () => {
  afterAll(() => setNumThreads(initialThreads))

  it('finds at least 20 fixture files covering every mode', () => {
    expect(files.length).toBeGreaterThanOrEqual(20)
    const modes = new Set(files.map((p) => JSON.parse(loadSafetensorsFileSync(p).metadata.config).mode))
    expect([...modes].sort()).toEqual(['gru', 'lstm', 'rnn_relu', 'rnn_tanh'])
  })

  for (const threads of [1, 2]) {
    describe(`with ${threads} thread(s)`, () => {
      beforeAll(() => {
        setNumThreads(threads)
      })

      it('uses the requested number of threads', () => {
        expect(getNumThreads()).toBe(threads)
      })

      for (const path of files) {
        it(basename(path, '.safetensors'), () => {
          expect(getNumThreads()).toBe(threads)
          runFixture(path)
        })
      }
    })
  }
})

describe('a state_dict saved by PyTorch (safetensors.torch.save_file)', () => {
  it('loads into LSTM(5, 6, numLayers 2, bidirectional, projSize 3) and reproduces its forward', async () => {
    const sd = await loadSafetensors(join(FIXTURE_DIR, 'torch_lstm_state_dict.safetensors'))
    const ref = JSON.parse(readFileSync(join(FIXTURE_DIR, 'torch_lstm_state_dict.json'), 'utf8')) as Record<string, unknown>
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3 })
    // The file lists keys alphabetically; loading is by name, so order must not matter.
    lstm.loadStateDict(sd)
    for (const [k, v] of Object.entries(lstm.stateDict())) expectClose(v, sd[k], { atol: 0, rtol: 0, label: k })

    const x = fromNested(ref.input)
    expect(x.shape).toEqual([3, 2, 5])
    const out = lstm.forward(new Tensor(Float32Array.from(x.data), x.shape))
    expectClose(out.output, fromNested(ref.output), { ...TOL, label: 'output' })
    expectClose(out.h, fromNested(ref.hn), { ...TOL, label: 'h' })
    expectClose(out.c, fromNested(ref.cn), { ...TOL, label: 'c' })
    expect(out.output.shape).toEqual([3, 2, 6])
    expect(out.h.shape).toEqual([4, 2, 3])
    expect(out.c.shape).toEqual([4, 2, 6])
  })
})
