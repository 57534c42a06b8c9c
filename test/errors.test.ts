// Argument validation: one test per validated argument. Each checks the error class, its
// `code`, and that the message names the argument and the expected vs the actual value. After
// every failed call the layer must still work.
import { describe, expect, it } from 'vitest'
import { GRU, InvalidArgumentError, LSTM, RNN, setNumThreads, getNumThreads, ShapeError, StateError, Tensor, type RecurrentLayer, type TensorLike } from '../dist/index.js'
import { expectError, expectSame } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const SHAPE = 'ERR_SEQLEARN_SHAPE'
const STATE = 'ERR_SEQLEARN_STATE'

// LSTM(3 → 4), 2 layers, bidirectional: h is [4, B, 4], c is [4, B, 4], output [T, B, 8].
const T = 5
const B = 2
function lstm(): LSTM {
  return new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 1 })
}
function gru(): GRU {
  return new GRU({ inputSize: 3, hiddenSize: 4, seed: 1 })
}
const x = (): Tensor => Tensor.randn([T, B, 3], { seed: 7 })

/** The layer still runs a training forward and backward, and gives the same output as before. */
function stillWorks(layer: RecurrentLayer, reference?: Tensor): void {
  const out = layer.forward(x(), { training: true })
  expect(out.output.shape[0]).toBe(T)
  if (reference) expectSame(out.output, reference, 'output after the failed call')
  const g = layer.backward(Tensor.full(out.output.shape, 1))
  expect(g.gradInput.shape).toEqual([T, B, 3])
}

function withNonFinite(t: Tensor, i: number, v: number): Tensor {
  const c = t.clone()
  c.data[i] = v
  return c
}

describe('forward: input', () => {
  it('not a Tensor → TypeError naming input', () => {
    const l = lstm()
    expectError(() => l.forward([1, 2, 3] as unknown as TensorLike), TypeError, undefined, ['input', 'expected a Tensor', 'an array of length 3'])
    expectError(() => l.forward({ data: [1, 2, 3], shape: [3] } as unknown as TensorLike), TypeError, undefined, ['input', 'Float32Array'])
    expectError(() => l.forward(undefined as unknown as TensorLike), TypeError, undefined, ['input', 'undefined'])
    stillWorks(l)
  })

  it('wrong rank → ShapeError naming input and both shapes', () => {
    const l = lstm()
    expectError(() => l.forward(Tensor.zeros([T, 3])), ShapeError, SHAPE, ['input', '3-D', '[5, 3]'])
    expectError(() => l.forward(Tensor.zeros([1, T, B, 3])), ShapeError, SHAPE, ['input', '3-D', '[1, 5, 2, 3]'])
    stillWorks(l)
  })

  it('wrong feature size → ShapeError naming input, inputSize and the size given', () => {
    const l = lstm()
    expectError(() => l.forward(Tensor.zeros([T, B, 4])), ShapeError, SHAPE, ['input', 'inputSize', '3', 'got 4'])
    stillWorks(l)
  })

  it('empty sequence or batch dimension → ShapeError naming input and the shape', () => {
    const l = lstm()
    expectError(() => l.forward(Tensor.zeros([0, B, 3])), ShapeError, SHAPE, ['input', 'non-empty', '[0, 2, 3]'])
    expectError(() => l.forward(Tensor.zeros([T, 0, 3])), ShapeError, SHAPE, ['input', 'non-empty', '[5, 0, 3]'])
    stillWorks(l)
  })

  it('data length not matching the shape → InvalidArgumentError with both counts', () => {
    const l = lstm()
    expectError(() => l.forward({ data: new Float32Array(7), shape: [T, B, 3] }), InvalidArgumentError, INVALID, ['input', '[5, 2, 3]', '30', 'got 7'])
    expectError(() => new Tensor(new Float32Array(7), [T, B, 3]), InvalidArgumentError, INVALID, ['data', '30', 'got 7'])
    stillWorks(l)
  })

  it('NaN or ±Infinity in input → InvalidArgumentError naming input, the value and its index', () => {
    const l = lstm()
    expectError(() => l.forward(withNonFinite(x(), 7, NaN)), InvalidArgumentError, INVALID, ['input', 'finite', 'NaN', 'index 7'])
    expectError(() => l.forward(withNonFinite(x(), 0, Infinity)), InvalidArgumentError, INVALID, ['input', 'finite', 'inf', 'index 0'])
    expectError(() => l.forward(withNonFinite(x(), 29, -Infinity)), InvalidArgumentError, INVALID, ['input', 'finite', '-inf', 'index 29'])
    stillWorks(l)
  })
})

describe('forward: initial states', () => {
  it('NaN / Infinity in h0 and c0 → InvalidArgumentError naming the state', () => {
    const l = lstm()
    const z = Tensor.zeros([4, B, 4])
    expectError(() => l.forward(x(), { h0: withNonFinite(z, 3, NaN) }), InvalidArgumentError, INVALID, ['h0', 'finite', 'NaN', 'index 3'])
    expectError(() => l.forward(x(), { h0: withNonFinite(z, 5, Infinity) }), InvalidArgumentError, INVALID, ['h0', 'finite', 'inf', 'index 5'])
    expectError(() => l.forward(x(), { c0: withNonFinite(z, 1, NaN) }), InvalidArgumentError, INVALID, ['c0', 'finite', 'NaN', 'index 1'])
    expectError(() => l.forward(x(), { c0: withNonFinite(z, 2, -Infinity) }), InvalidArgumentError, INVALID, ['c0', 'finite', '-inf', 'index 2'])
    stillWorks(l)
  })

  it('h0 with the wrong shape (even with the same element count) → ShapeError with both shapes', () => {
    const l = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 3, seed: 1 })
    // [B, L·D, H] instead of [L·D, B, H]: same 24 values.
    expectError(() => l.forward(x(), { h0: Tensor.zeros([B, 3, 4]) }), ShapeError, SHAPE, ['h0', 'expected shape [3, 2, 4]', 'got [2, 3, 4]'])
    expectError(() => l.forward(x(), { h0: Tensor.zeros([3, B, 5]) }), ShapeError, SHAPE, ['h0', '[3, 2, 4]', '[3, 2, 5]'])
    expectError(() => l.forward(x(), { h0: Tensor.zeros([3 * B * 4]) }), ShapeError, SHAPE, ['h0', '[3, 2, 4]', '[24]'])
    const p = new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2 })
    // With a projection h0 is [L·D, B, P], not [L·D, B, H].
    expectError(() => p.forward(x(), { h0: Tensor.zeros([1, B, 4]) }), ShapeError, SHAPE, ['h0', '[1, 2, 2]', '[1, 2, 4]'])
    expectError(() => l.forward(x(), { h0: [0, 0] as unknown as TensorLike }), TypeError, undefined, ['h0', 'expected a Tensor'])
    expectError(() => l.forward(x(), { h0: { data: new Float32Array(3), shape: [3, B, 4] } }), InvalidArgumentError, INVALID, ['h0', '24', 'got 3'])
    stillWorks(l)
    stillWorks(p)
  })

  it('c0 on a GRU or RNN → InvalidArgumentError naming c0 and the mode', () => {
    const g = gru()
    expectError(() => g.forward(x(), { c0: Tensor.zeros([1, B, 4]) }), InvalidArgumentError, INVALID, ['c0', 'only LSTM', 'gru'])
    const r = new RNN({ inputSize: 3, hiddenSize: 4 })
    expectError(() => r.forward(x(), { c0: Tensor.zeros([1, B, 4]) }), InvalidArgumentError, INVALID, ['c0', 'only LSTM', 'rnn_tanh'])
    stillWorks(g)
    stillWorks(r)
  })

  it('c0 with the wrong shape → ShapeError with both shapes (c0 is [L·D, B, H] even with a projection)', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { c0: Tensor.zeros([4, B, 3]) }), ShapeError, SHAPE, ['c0', 'expected shape [4, 2, 4]', 'got [4, 2, 3]'])
    expectError(() => l.forward(x(), { c0: Tensor.zeros([B, 4, 4]) }), ShapeError, SHAPE, ['c0', '[4, 2, 4]', '[2, 4, 4]'])
    const p = new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2 })
    expectError(() => p.forward(x(), { c0: Tensor.zeros([1, B, 2]) }), ShapeError, SHAPE, ['c0', '[1, 2, 4]', '[1, 2, 2]'])
    stillWorks(l)
    stillWorks(p)
  })
})

describe('forward: lengths', () => {
  it('wrong count → InvalidArgumentError with the batch size and the count', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [5] }), InvalidArgumentError, INVALID, ['lengths', 'expected 2', 'got 1'])
    expectError(() => l.forward(x(), { lengths: [5, 5, 5] }), InvalidArgumentError, INVALID, ['lengths', 'expected 2', 'got 3'])
    stillWorks(l)
  })

  it('a length of 0 → InvalidArgumentError naming the entry and 1..=T', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [5, 0] }), InvalidArgumentError, INVALID, ['lengths[1]', '0', '1..=5'])
    stillWorks(l)
  })

  it('a length greater than T → InvalidArgumentError naming the entry and 1..=T', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [6, 1] }), InvalidArgumentError, INVALID, ['lengths[0]', '6', '1..=5'])
    stillWorks(l)
  })

  it('a non-integer length (1.5) → InvalidArgumentError naming the entry, 1..=T and 1.5', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [1.5, 1] }), InvalidArgumentError, INVALID, ['lengths[0]', 'integer', '1.5', '1..=5'])
    expectError(() => l.forward(x(), { lengths: [5, NaN] }), InvalidArgumentError, INVALID, ['lengths[1]', 'integer', 'NaN', '1..=5'])
    stillWorks(l)
  })

  it('a negative length → InvalidArgumentError naming the entry, 1..=T and the value', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [5, -1] }), InvalidArgumentError, INVALID, ['lengths[1]', '-1', '1..=5'])
    stillWorks(l)
  })

  it('lengths that are not numbers → TypeError naming lengths', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { lengths: [5, '2'] as unknown as number[] }), TypeError, undefined, ['lengths[1]', 'integer', 'string 2'])
    expectError(() => l.forward(x(), { lengths: '52' as unknown as number[] }), TypeError, undefined, ['lengths', 'array of integers', 'string 52'])
    expectError(() => l.forward(x(), { lengths: 5 as unknown as number[] }), TypeError, undefined, ['lengths', 'array of integers', 'number 5'])
    expectError(() => l.forward(x(), { lengths: null as unknown as number[] }), TypeError, undefined, ['lengths', 'null'])
    stillWorks(l)
  })

  it('other forward options with the wrong type → TypeError', () => {
    const l = lstm()
    expectError(() => l.forward(x(), { training: 'yes' as unknown as boolean }), TypeError, undefined, ['training', 'boolean', 'string yes'])
    expectError(() => l.forward(x(), { requiresGrad: 1 as unknown as boolean }), TypeError, undefined, ['requiresGrad', 'boolean', 'number 1'])
    expectError(() => l.forward(x(), 3 as unknown as object), TypeError, undefined, ['options', 'object', 'number 3'])
    stillWorks(l)
  })
})

describe('backward', () => {
  it('before any forward → StateError telling to call forward with training', () => {
    const l = lstm()
    expectError(() => l.backward(Tensor.zeros([T, B, 8])), StateError, STATE, ['backward', 'forward', 'training: true'])
    stillWorks(l)
  })

  it('after an inference forward (no training, no requiresGrad) → StateError', () => {
    const l = lstm()
    l.forward(x())
    expectError(() => l.backward(Tensor.zeros([T, B, 8])), StateError, STATE, ['backward', 'requiresGrad'])
    stillWorks(l)
  })

  it('twice after one forward → StateError on the second call', () => {
    const g = gru()
    g.forward(x(), { training: true })
    g.backward(Tensor.zeros([T, B, 4]))
    expectError(() => g.backward(Tensor.zeros([T, B, 4])), StateError, STATE, ['backward', 'one backward'])
    stillWorks(g)
  })

  it('gradOutput with the wrong shape → ShapeError with both shapes; the forward can still be back-propagated', () => {
    const l = lstm()
    l.forward(x(), { training: true })
    expectError(() => l.backward(Tensor.zeros([T, B, 4])), ShapeError, SHAPE, ['gradOutput', 'expected shape [5, 2, 8]', 'got [5, 2, 4]'])
    expectError(() => l.backward(Tensor.zeros([B, T, 8])), ShapeError, SHAPE, ['gradOutput', '[5, 2, 8]', '[2, 5, 8]'])
    expectError(() => l.backward(withNonFinite(Tensor.zeros([T, B, 8]), 4, NaN)), InvalidArgumentError, INVALID, ['gradOutput', 'finite', 'NaN'])
    expectError(() => l.backward([1] as unknown as TensorLike), TypeError, undefined, ['gradOutput', 'expected a Tensor'])
    // The failed calls did not consume the cached forward.
    const g = l.backward(Tensor.full([T, B, 8], 1))
    expect(g.gradInput.shape).toEqual([T, B, 3])
    stillWorks(l)
  })

  it('gradH / gradC with the wrong shape → ShapeError naming them', () => {
    const l = lstm()
    l.forward(x(), { training: true })
    expectError(() => l.backward(null, { gradH: Tensor.zeros([B, 4, 4]) }), ShapeError, SHAPE, ['gradH', 'expected shape [4, 2, 4]', 'got [2, 4, 4]'])
    expectError(() => l.backward(null, { gradC: Tensor.zeros([4, B, 5]) }), ShapeError, SHAPE, ['gradC', '[4, 2, 4]', '[4, 2, 5]'])
    const g = gru()
    g.forward(x(), { training: true })
    expectError(() => g.backward(null, { gradC: Tensor.zeros([1, B, 4]) }), InvalidArgumentError, INVALID, ['gradC', 'only LSTM', 'gru'])
    l.backward(null, { gradH: Tensor.full([4, B, 4], 1) })
    g.backward(null, { gradH: Tensor.full([1, B, 4], 1) })
    stillWorks(l)
    stillWorks(g)
  })

  it('with nothing to back-propagate → InvalidArgumentError listing what is needed', () => {
    const l = lstm()
    l.forward(x(), { training: true })
    expectError(() => l.backward(), InvalidArgumentError, INVALID, ['gradOutput', 'gradH', 'gradC'])
    expectError(() => l.backward(null, {}), InvalidArgumentError, INVALID, ['gradOutput', 'gradH', 'gradC'])
    l.backward(Tensor.full([T, B, 8], 1))
    stillWorks(l)
  })

  it('a failed forward keeps the previous forward available for backward', () => {
    const l = lstm()
    const out = l.forward(x(), { training: true })
    expectError(() => l.forward(withNonFinite(x(), 3, NaN), { training: true }), InvalidArgumentError, INVALID, ['input'])
    expectError(() => l.forward(x(), { training: true, h0: Tensor.zeros([1, B, 4]) }), ShapeError, SHAPE, ['h0'])
    expectError(() => l.forward(x(), { training: true, lengths: [0, 1] }), InvalidArgumentError, INVALID, ['lengths'])
    const g = l.backward(Tensor.full(out.output.shape, 1))
    expect(g.gradInput.shape).toEqual([T, B, 3])
  })
})

describe('constructor options', () => {
  type Ctor = (o: Record<string, unknown>) => RecurrentLayer
  const makeGru: Ctor = (o) => new GRU({ inputSize: 3, hiddenSize: 4, ...o } as never)
  const makeLstm: Ctor = (o) => new LSTM({ inputSize: 3, hiddenSize: 4, ...o } as never)

  it('hiddenSize 0, 1.5, negative → InvalidArgumentError with the range and the value', () => {
    expectError(() => makeGru({ hiddenSize: 0 }), InvalidArgumentError, INVALID, ['hiddenSize', 'integer', '1..=', 'got 0'])
    expectError(() => makeGru({ hiddenSize: 1.5 }), InvalidArgumentError, INVALID, ['hiddenSize', 'integer', 'got 1.5'])
    expectError(() => makeGru({ hiddenSize: -2 }), InvalidArgumentError, INVALID, ['hiddenSize', 'integer', 'got -2'])
    expectError(() => makeGru({ hiddenSize: NaN }), InvalidArgumentError, INVALID, ['hiddenSize', 'got NaN'])
    expectError(() => makeGru({ hiddenSize: '4' }), TypeError, undefined, ['hiddenSize', 'number', 'string 4'])
  })

  it('inputSize missing or invalid', () => {
    expectError(() => new GRU({ hiddenSize: 3 } as never), TypeError, undefined, ['inputSize', 'required'])
    expectError(() => new LSTM({ inputSize: 3 } as never), TypeError, undefined, ['hiddenSize', 'required'])
    expectError(() => makeGru({ inputSize: 0 }), InvalidArgumentError, INVALID, ['inputSize', '1..=', 'got 0'])
    expectError(() => new RNN(null as never), TypeError, undefined, ['options', 'object', 'null'])
  })

  it('numLayers 0 → InvalidArgumentError', () => {
    expectError(() => makeGru({ numLayers: 0 }), InvalidArgumentError, INVALID, ['numLayers', '1..=', 'got 0'])
    expectError(() => makeGru({ numLayers: 2.5 }), InvalidArgumentError, INVALID, ['numLayers', 'got 2.5'])
  })

  it('dropout 1, -0.1, NaN → InvalidArgumentError with [0, 1) and the value', () => {
    expectError(() => makeGru({ dropout: 1 }), InvalidArgumentError, INVALID, ['dropout', '[0, 1)', 'got 1'])
    expectError(() => makeGru({ dropout: -0.1 }), InvalidArgumentError, INVALID, ['dropout', '[0, 1)', 'got -0.1'])
    expectError(() => makeGru({ dropout: NaN }), InvalidArgumentError, INVALID, ['dropout', '[0, 1)', 'got NaN'])
    expectError(() => makeGru({ dropout: '0.5' }), TypeError, undefined, ['dropout', 'number'])
  })

  it('projSize ≥ hiddenSize → InvalidArgumentError with hiddenSize and the value', () => {
    expectError(() => makeLstm({ projSize: 4 }), InvalidArgumentError, INVALID, ['projSize', 'hiddenSize (4)', 'got 4'])
    expectError(() => makeLstm({ projSize: 9 }), InvalidArgumentError, INVALID, ['projSize', 'hiddenSize (4)', 'got 9'])
    expectError(() => makeLstm({ projSize: -1 }), InvalidArgumentError, INVALID, ['projSize', 'got -1'])
  })

  it('projSize on a GRU or RNN (bypassing the types) → InvalidArgumentError naming the mode', () => {
    expectError(() => makeGru({ projSize: 2 }), InvalidArgumentError, INVALID, ['projSize', 'only LSTM', 'gru'])
    expectError(() => new RNN({ inputSize: 3, hiddenSize: 4, projSize: 2 } as never), InvalidArgumentError, INVALID, ['projSize', 'only LSTM', 'rnn_tanh'])
  })

  it("nonlinearity 'sigmoid' on RNN → TypeError naming nonlinearity, the choices and the value", () => {
    expectError(() => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'sigmoid' as never }), TypeError, undefined, ['nonlinearity', "'tanh' or 'relu'", 'sigmoid'])
  })

  it('other options: bad booleans, negative seed, resetAfter outside GRU', () => {
    expectError(() => makeLstm({ bidirectional: 'yes' }), TypeError, undefined, ['bidirectional', 'boolean', 'string yes'])
    expectError(() => makeLstm({ batchFirst: 1 }), TypeError, undefined, ['batchFirst', 'boolean', 'number 1'])
    expectError(() => makeLstm({ bias: null }), TypeError, undefined, ['bias', 'boolean', 'null'])
    expectError(() => makeLstm({ seed: -1 }), InvalidArgumentError, INVALID, ['seed', 'integer', 'got -1'])
    expectError(() => makeLstm({ seed: 0.5 }), InvalidArgumentError, INVALID, ['seed', 'integer', 'got 0.5'])
    expectError(() => makeLstm({ resetAfter: false }), InvalidArgumentError, INVALID, ['resetAfter', 'GRU'])
  })
})

describe('loadStateDict', () => {
  it('an unknown key → InvalidArgumentError naming it and listing the valid keys; nothing changes', () => {
    const g = gru()
    const before = g.forward(x()).output
    const sd = g.stateDict()
    const bad = { ...sd, weight_ih_l0: Tensor.full([12, 3], 0.5), foo: Tensor.zeros([1]) }
    expectError(() => g.loadStateDict(bad), InvalidArgumentError, INVALID, ["stateDict['foo']", 'unexpected key', 'weight_ih_l0', 'bias_hh_l0'])
    expectError(() => g.loadStateDict({ foo: Tensor.zeros([1]) }, { strict: false }), InvalidArgumentError, INVALID, ["stateDict['foo']", 'unexpected key'])
    stillWorks(g, before)
  })

  it('a mis-shaped tensor → ShapeError naming the key and both shapes; nothing changes', () => {
    const g = gru()
    const before = g.forward(x()).output
    const sd = g.stateDict()
    const bad = { ...sd, bias_ih_l0: Tensor.full([12], 0.5), weight_hh_l0: Tensor.zeros([4, 12]) }
    expectError(() => g.loadStateDict(bad), ShapeError, SHAPE, ["stateDict['weight_hh_l0']", 'expected shape [12, 4]', 'got [4, 12]'])
    expectError(() => g.loadStateDict({ weight_ih_l0: Tensor.zeros([12 * 3]) }, { strict: false }), ShapeError, SHAPE, ["stateDict['weight_ih_l0']", '[12, 3]', '[36]'])
    stillWorks(g, before)
  })

  it('a non-finite value → InvalidArgumentError naming the key, the value and its index; nothing changes', () => {
    const g = gru()
    const before = g.forward(x()).output
    const sd = g.stateDict()
    const bad = { ...sd, bias_ih_l0: Tensor.full([12], 0.5), weight_ih_l0: withNonFinite(sd.weight_ih_l0, 5, NaN) }
    expectError(() => g.loadStateDict(bad), InvalidArgumentError, INVALID, ["stateDict['weight_ih_l0']", 'NaN', 'index 5', 'finite'])
    expectError(() => g.loadStateDict({ bias_hh_l0: withNonFinite(sd.bias_hh_l0, 0, Infinity) }, { strict: false }), InvalidArgumentError, INVALID, ["stateDict['bias_hh_l0']", 'inf'])
    stillWorks(g, before)
  })

  it('a value that is not a tensor → TypeError naming the key', () => {
    const g = gru()
    const before = g.forward(x()).output
    expectError(() => g.loadStateDict({ weight_ih_l0: [1, 2] as unknown as TensorLike }, { strict: false }), TypeError, undefined, ["stateDict['weight_ih_l0']", 'expected a Tensor', 'an array of length 2'])
    expectError(() => g.loadStateDict({ weight_ih_l0: { data: new Float64Array(36), shape: [12, 3] } as unknown as TensorLike }, { strict: false }), TypeError, undefined, ["stateDict['weight_ih_l0']", 'Float32Array'])
    expectError(() => g.loadStateDict(null as never), TypeError, undefined, ['stateDict', 'null'])
    expectError(() => g.loadStateDict({ weight_ih_l0: { data: new Float32Array(3), shape: [12, 3] } }, { strict: false }), InvalidArgumentError, INVALID, ["stateDict['weight_ih_l0']", '36', 'got 3'])
    stillWorks(g, before)
  })
})

describe('setNumThreads', () => {
  it('0 and 1.5 → InvalidArgumentError with the range and the value; the setting is unchanged', () => {
    const n = getNumThreads()
    expectError(() => setNumThreads(0), InvalidArgumentError, INVALID, ['numThreads', '1..=', 'got 0'])
    expectError(() => setNumThreads(1.5), InvalidArgumentError, INVALID, ['numThreads', 'integer', 'got 1.5'])
    expectError(() => setNumThreads(-3), InvalidArgumentError, INVALID, ['numThreads', 'got -3'])
    expect(getNumThreads()).toBe(n)
    stillWorks(gru())
  })
})
