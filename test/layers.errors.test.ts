// Argument validation of Embedding, Linear, Dropout and the activations: one test per validated
// argument. Each checks the error class, its `code`, and that the message names the argument and
// the expected vs the actual value; after every failed call the layer still works (and, where it
// has one, its cached forward is still there for backward).
import { describe, expect, it } from 'vitest'
import {
  activation,
  activationBackward,
  BusyError,
  Dropout,
  ELU,
  Embedding,
  GELU,
  IntTensor,
  InvalidArgumentError,
  LeakyReLU,
  Linear,
  ReLU,
  ShapeError,
  Softplus,
  StateError,
  Tensor,
  type ActivationKind,
  type IntTensorLike,
  type TensorLike,
} from '../dist/index.js'
import { expectError, expectRejection, expectSame, observeBusy } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const SHAPE = 'ERR_SEQLEARN_SHAPE'
const STATE = 'ERR_SEQLEARN_STATE'

const ints = (v: number[], shape: number[] = [v.length]): IntTensor => new IntTensor(Int32Array.from(v), shape)
function withValue(t: Tensor, i: number, v: number): Tensor {
  const c = t.clone()
  c.data[i] = v
  return c
}

// Embedding(5, 3), ids [2, 2].
const emb = (): Embedding => new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 1 })
const ids = (): IntTensor => ints([0, 4, 2, 2], [2, 2])
function embWorks(e: Embedding, reference?: Tensor): void {
  const out = e.forward(ids(), { training: true })
  expect(out.shape).toEqual([2, 2, 3])
  if (reference) expectSame(out, reference, 'output after the failed call')
  e.backward(Tensor.full([2, 2, 3], 1))
}

// Linear(4 → 3), input [2, 4].
const lin = (): Linear => new Linear({ inFeatures: 4, outFeatures: 3, seed: 1 })
const x = (): Tensor => Tensor.randn([2, 4], { seed: 3 })
function linWorks(l: Linear, reference?: Tensor): void {
  const out = l.forward(x(), { training: true })
  expect(out.shape).toEqual([2, 3])
  if (reference) expectSame(out, reference, 'output after the failed call')
  expect(l.backward(Tensor.full([2, 3], 1)).shape).toEqual([2, 4])
}

function dropWorks(d: Dropout): void {
  const out = d.forward(x(), { training: true })
  expect(out.shape).toEqual([2, 4])
  expect(d.backward(Tensor.full([2, 4], 1)).shape).toEqual([2, 4])
}

describe('Embedding: constructor options', () => {
  it('numEmbeddings / embeddingDim missing, 0, 1.5, negative or not numbers', () => {
    expectError(() => new Embedding({ embeddingDim: 3 } as never), TypeError, undefined, ['numEmbeddings', 'required'])
    expectError(() => new Embedding({ numEmbeddings: 3 } as never), TypeError, undefined, ['embeddingDim', 'required'])
    expectError(() => new Embedding({ numEmbeddings: 0, embeddingDim: 3 }), InvalidArgumentError, INVALID, ['numEmbeddings', 'integer', '1..=', 'got 0'])
    expectError(() => new Embedding({ numEmbeddings: 1.5, embeddingDim: 3 }), InvalidArgumentError, INVALID, ['numEmbeddings', 'got 1.5'])
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: -2 }), InvalidArgumentError, INVALID, ['embeddingDim', 'got -2'])
    expectError(() => new Embedding({ numEmbeddings: '5', embeddingDim: 3 } as never), TypeError, undefined, ['numEmbeddings', 'number', 'string 5'])
    expectError(() => new Embedding(null as never), TypeError, undefined, ['options', 'object', 'null'])
  })

  it('paddingIdx outside −N..N−1 or not an integer', () => {
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 5 }), InvalidArgumentError, INVALID, ['paddingIdx', '-5..=4', 'numEmbeddings = 5', 'got 5'])
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: -6 }), InvalidArgumentError, INVALID, ['paddingIdx', '-5..=4', 'got -6'])
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 1.5 }), InvalidArgumentError, INVALID, ['paddingIdx', 'got 1.5'])
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: '1' } as never), TypeError, undefined, ['paddingIdx', 'number'])
  })

  it('seed negative or fractional', () => {
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: -1 }), InvalidArgumentError, INVALID, ['seed', 'integer', 'got -1'])
    expectError(() => new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 0.5 }), InvalidArgumentError, INVALID, ['seed', 'got 0.5'])
  })
})

describe('Embedding: forward ids', () => {
  it('not an int32 tensor → TypeError naming ids and Int32Array', () => {
    const e = emb()
    expectError(() => e.forward({ data: new Float32Array(4), shape: [4] } as unknown as IntTensorLike), TypeError, undefined, ['ids', 'Int32Array', 'Float32Array'])
    expectError(() => e.forward([1, 2] as unknown as IntTensorLike), TypeError, undefined, ['ids', 'IntTensor', 'an array of length 2'])
    expectError(() => e.forward(undefined as unknown as IntTensorLike), TypeError, undefined, ['ids', 'undefined'])
    embWorks(e)
  })

  it('data length not matching the shape → InvalidArgumentError with both counts', () => {
    const e = emb()
    expectError(() => e.forward({ data: Int32Array.from([1, 2, 3]), shape: [2, 2] }), InvalidArgumentError, INVALID, ['ids', '[2, 2]', '4', 'got 3'])
    expectError(() => e.forward({ data: Int32Array.from([1]), shape: [1.5] }), InvalidArgumentError, INVALID, ['ids.shape[0]', '1.5'])
    embWorks(e)
  })

  it('an id ≥ numEmbeddings or negative → InvalidArgumentError naming ids[…], the value and 0..N', () => {
    const e = emb()
    const before = e.forward(ids(), { training: true })
    expectError(() => e.forward(ints([0, 1, 5])), InvalidArgumentError, INVALID, ['ids[2]', 'got 5', '0..5', 'numEmbeddings = 5'])
    expectError(() => e.forward(ints([0, 1, 2, -1], [2, 2])), InvalidArgumentError, INVALID, ['ids[1, 1]', 'got -1', '0..5'])
    // The failed forwards did not replace the cached one.
    e.backward(Tensor.full([2, 2, 3], 1))
    expect(e.gradients().weight.data.some((v) => v !== 0)).toBe(true)
    embWorks(e, before)
  })

  it('forward options with the wrong type → TypeError', () => {
    const e = emb()
    expectError(() => e.forward(ids(), { training: 'yes' as unknown as boolean }), TypeError, undefined, ['training', 'boolean', 'string yes'])
    expectError(() => e.forward(ids(), { requiresGrad: 1 as unknown as boolean }), TypeError, undefined, ['requiresGrad', 'boolean', 'number 1'])
    expectError(() => e.forward(ids(), 3 as never), TypeError, undefined, ['options', 'object', 'number 3'])
    embWorks(e)
  })
})

describe('Embedding: backward', () => {
  it('before any forward, after an inference forward, and twice → StateError', () => {
    const e = emb()
    expectError(() => e.backward(Tensor.zeros([2, 2, 3])), StateError, STATE, ['backward', 'forward', 'training: true'])
    e.forward(ids())
    expectError(() => e.backward(Tensor.zeros([2, 2, 3])), StateError, STATE, ['backward', 'requiresGrad'])
    e.forward(ids(), { training: true })
    e.backward(Tensor.zeros([2, 2, 3]))
    expectError(() => e.backward(Tensor.zeros([2, 2, 3])), StateError, STATE, ['one backward'])
    embWorks(e)
  })

  it('gradOutput with the wrong shape or a NaN → ShapeError / InvalidArgumentError; the forward stays available', () => {
    const e = emb()
    e.forward(ids(), { training: true })
    expectError(() => e.backward(Tensor.zeros([4, 3])), ShapeError, SHAPE, ['gradOutput', 'expected shape [2, 2, 3]', 'got [4, 3]'])
    expectError(() => e.backward(withValue(Tensor.zeros([2, 2, 3]), 5, NaN)), InvalidArgumentError, INVALID, ['gradOutput', 'finite', 'NaN', 'index 5'])
    expectError(() => e.backward([1] as unknown as TensorLike), TypeError, undefined, ['gradOutput', 'expected a Tensor'])
    expect(e.gradients().weight.data.every((v) => v === 0)).toBe(true)
    e.backward(Tensor.full([2, 2, 3], 1))
    expect(e.gradients().weight.data.some((v) => v !== 0)).toBe(true)
    embWorks(e)
  })
})

describe('Embedding: fromPretrained and freeze', () => {
  it('weight not 2-D, empty, non-finite or not a tensor', () => {
    expectError(() => Embedding.fromPretrained(Tensor.zeros([6])), ShapeError, SHAPE, ['weight', '2-D', '[6]'])
    expectError(() => Embedding.fromPretrained(Tensor.zeros([0, 3])), ShapeError, SHAPE, ['weight', '[0, 3]'])
    expectError(() => Embedding.fromPretrained(withValue(Tensor.zeros([2, 3]), 4, Infinity)), InvalidArgumentError, INVALID, ['weight', 'finite', 'inf', 'index 4'])
    expectError(() => Embedding.fromPretrained([[1, 2]] as unknown as TensorLike), TypeError, undefined, ['weight', 'expected a Tensor'])
  })

  it('paddingIdx out of range, freeze not a boolean', () => {
    expectError(() => Embedding.fromPretrained(Tensor.zeros([3, 2]), { paddingIdx: 3 }), InvalidArgumentError, INVALID, ['paddingIdx', '-3..=2', 'got 3'])
    expectError(() => Embedding.fromPretrained(Tensor.zeros([3, 2]), { freeze: 'no' as never }), TypeError, undefined, ['freeze', 'boolean', 'string no'])
    const e = emb()
    expectError(() => {
      e.freeze = 1 as never
    }, TypeError, undefined, ['freeze', 'boolean', 'number 1'])
    expectError(() => {
      e.freeze = undefined as never
    }, TypeError, undefined, ['freeze', 'boolean', 'undefined'])
    expect(e.freeze).toBe(false)
    embWorks(e)
  })
})

describe('Embedding and Linear: loadStateDict', () => {
  it('unknown key, wrong shape, non-finite value → named errors; nothing changes', () => {
    const e = emb()
    const eBefore = e.forward(ids())
    expectError(() => e.loadStateDict({ weight: Tensor.zeros([5, 3]), bias: Tensor.zeros([3]) }), InvalidArgumentError, INVALID, ["stateDict['bias']", 'unexpected key', 'weight'])
    expectError(() => e.loadStateDict({ weight: Tensor.zeros([3, 5]) }), ShapeError, SHAPE, ["stateDict['weight']", 'expected shape [5, 3]', 'got [3, 5]'])
    expectError(() => e.loadStateDict({ weight: withValue(Tensor.zeros([5, 3]), 2, NaN) }), InvalidArgumentError, INVALID, ["stateDict['weight']", 'NaN', 'index 2'])
    expectError(() => e.loadStateDict({}), InvalidArgumentError, INVALID, ['stateDict', 'missing keys: weight'])
    expectError(() => e.loadStateDict(null as never), TypeError, undefined, ['stateDict', 'null'])
    embWorks(e, eBefore)

    const l = lin()
    const lBefore = l.forward(x())
    const nb = new Linear({ inFeatures: 4, outFeatures: 3, bias: false })
    expectError(() => nb.loadStateDict({ weight: Tensor.zeros([3, 4]), bias: Tensor.zeros([3]) }), InvalidArgumentError, INVALID, ["stateDict['bias']", 'unexpected key'])
    expectError(() => l.loadStateDict({ weight: Tensor.zeros([3, 4]), bias: Tensor.zeros([4]) }), ShapeError, SHAPE, ["stateDict['bias']", '[3]', '[4]'])
    expectError(() => l.loadStateDict({ weight: Tensor.zeros([3, 4]) }), InvalidArgumentError, INVALID, ['missing keys: bias'])
    expectError(() => l.loadStateDict({ weight: Tensor.zeros([3, 4]) }, { strict: 'no' as never }), TypeError, undefined, ['strict', 'boolean'])
    expectError(() => l.loadStateDict({ weight: { data: new Float32Array(3), shape: [3, 4] } }, { strict: false }), InvalidArgumentError, INVALID, ["stateDict['weight']", '12', 'got 3'])
    linWorks(l, lBefore)
  })
})

describe('Linear: constructor options', () => {
  it('inFeatures / outFeatures missing, 0, fractional, not numbers; bias not a boolean; bad seed', () => {
    expectError(() => new Linear({ outFeatures: 3 } as never), TypeError, undefined, ['inFeatures', 'required'])
    expectError(() => new Linear({ inFeatures: 3 } as never), TypeError, undefined, ['outFeatures', 'required'])
    expectError(() => new Linear({ inFeatures: 0, outFeatures: 3 }), InvalidArgumentError, INVALID, ['inFeatures', 'integer', '1..=', 'got 0'])
    expectError(() => new Linear({ inFeatures: 3, outFeatures: 2.5 }), InvalidArgumentError, INVALID, ['outFeatures', 'got 2.5'])
    expectError(() => new Linear({ inFeatures: 3, outFeatures: NaN }), InvalidArgumentError, INVALID, ['outFeatures', 'got NaN'])
    expectError(() => new Linear({ inFeatures: '3', outFeatures: 2 } as never), TypeError, undefined, ['inFeatures', 'number', 'string 3'])
    expectError(() => new Linear({ inFeatures: 3, outFeatures: 2, bias: 1 } as never), TypeError, undefined, ['bias', 'boolean', 'number 1'])
    expectError(() => new Linear({ inFeatures: 3, outFeatures: 2, seed: -4 }), InvalidArgumentError, INVALID, ['seed', 'got -4'])
    expectError(() => new Linear(undefined as never), TypeError, undefined, ['options', 'object'])
  })
})

describe('Linear: forward input', () => {
  it('last dimension not inFeatures, or no dimension → ShapeError naming input, inFeatures and the shape', () => {
    const l = lin()
    expectError(() => l.forward(Tensor.zeros([2, 5])), ShapeError, SHAPE, ['input', 'inFeatures = 4', '[2, 5]'])
    expectError(() => l.forward(Tensor.zeros([4, 2])), ShapeError, SHAPE, ['input', '[..., 4]', '[4, 2]'])
    expectError(() => l.forward(Tensor.zeros([])), ShapeError, SHAPE, ['input', '[]'])
    linWorks(l)
  })

  it('NaN / ±Infinity → InvalidArgumentError naming input, the value and its index', () => {
    const l = lin()
    const before = l.forward(x(), { training: true })
    expectError(() => l.forward(withValue(x(), 6, NaN), { training: true }), InvalidArgumentError, INVALID, ['input', 'finite', 'NaN', 'index 6'])
    expectError(() => l.forward(withValue(x(), 0, -Infinity)), InvalidArgumentError, INVALID, ['input', '-inf', 'index 0'])
    // The cached forward survived the failed ones.
    expect(l.backward(Tensor.full([2, 3], 1)).shape).toEqual([2, 4])
    linWorks(l, before)
  })

  it('not a tensor, data length not matching the shape, bad options → TypeError / InvalidArgumentError', () => {
    const l = lin()
    expectError(() => l.forward({ data: [1, 2, 3, 4], shape: [4] } as unknown as TensorLike), TypeError, undefined, ['input', 'Float32Array'])
    expectError(() => l.forward({ data: new Float32Array(7), shape: [2, 4] }), InvalidArgumentError, INVALID, ['input', '[2, 4]', '8', 'got 7'])
    expectError(() => l.forward(x(), { training: 'yes' as never }), TypeError, undefined, ['training', 'boolean'])
    linWorks(l)
  })
})

describe('Linear: backward', () => {
  it('before any forward, after an inference forward, twice → StateError', () => {
    const l = lin()
    expectError(() => l.backward(Tensor.zeros([2, 3])), StateError, STATE, ['backward', 'training: true'])
    l.forward(x())
    expectError(() => l.backward(Tensor.zeros([2, 3])), StateError, STATE, ['backward'])
    l.forward(x(), { requiresGrad: true })
    l.backward(Tensor.zeros([2, 3]))
    expectError(() => l.backward(Tensor.zeros([2, 3])), StateError, STATE, ['one backward'])
    linWorks(l)
  })

  it('gradOutput with the wrong shape or a NaN → ShapeError / InvalidArgumentError; gradients unchanged; the forward stays available', () => {
    const l = lin()
    l.forward(Tensor.randn([3, 2, 4], { seed: 1 }), { training: true })
    expectError(() => l.backward(Tensor.zeros([6, 3])), ShapeError, SHAPE, ['gradOutput', 'expected shape [3, 2, 3]', 'got [6, 3]'])
    expectError(() => l.backward(withValue(Tensor.zeros([3, 2, 3]), 17, NaN)), InvalidArgumentError, INVALID, ['gradOutput', 'NaN', 'index 17'])
    expect(Object.values(l.gradients()).every((g) => g.data.every((v) => v === 0))).toBe(true)
    expect(l.backward(Tensor.full([3, 2, 3], 1)).shape).toEqual([3, 2, 4])
    linWorks(l)
  })
})

describe('Dropout', () => {
  it('p outside [0, 1], NaN or not a number; bad seed', () => {
    expectError(() => new Dropout({ p: 1.5 }), InvalidArgumentError, INVALID, ['p', '[0, 1]', 'got 1.5'])
    expectError(() => new Dropout({ p: -0.1 }), InvalidArgumentError, INVALID, ['p', 'got -0.1'])
    expectError(() => new Dropout({ p: NaN }), InvalidArgumentError, INVALID, ['p', 'got NaN'])
    expectError(() => new Dropout({ p: '0.5' } as never), TypeError, undefined, ['p', 'number', 'string 0.5'])
    expectError(() => new Dropout({ p: 0.5, seed: 1.5 }), InvalidArgumentError, INVALID, ['seed', 'got 1.5'])
  })

  it('NaN input → InvalidArgumentError (no mask is drawn); backward before forward → StateError; wrong gradOutput shape → ShapeError', () => {
    const d = new Dropout({ p: 0.5, seed: 1 })
    const twin = new Dropout({ p: 0.5, seed: 1 })
    expectError(() => d.forward(withValue(x(), 3, NaN), { training: true }), InvalidArgumentError, INVALID, ['input', 'NaN', 'index 3'])
    expectError(() => d.backward(Tensor.zeros([2, 4])), StateError, STATE, ['backward', 'training: true'])
    // The failed call drew no mask: the next one equals the twin's first.
    expectSame(d.forward(x(), { training: true }), twin.forward(x(), { training: true }), 'first mask')
    expectError(() => d.backward(Tensor.zeros([8])), ShapeError, SHAPE, ['gradOutput', 'expected shape [2, 4]', 'got [8]'])
    expectError(() => d.backward(withValue(Tensor.zeros([2, 4]), 1, Infinity)), InvalidArgumentError, INVALID, ['gradOutput', 'inf'])
    expect(d.backward(Tensor.full([2, 4], 1)).shape).toEqual([2, 4])
    dropWorks(d)
  })
})

describe('activations', () => {
  it('unknown kind → InvalidArgumentError listing the kinds; a kind that is not a string → TypeError', () => {
    expectError(() => activation('swish' as ActivationKind, x()), InvalidArgumentError, INVALID, ['kind', "'silu'", "'swish'"])
    expectError(() => activation(3 as unknown as ActivationKind, x()), TypeError, undefined, ['kind', 'number 3'])
  })

  it('a parameter of another kind, out of range, of the wrong type or unknown', () => {
    expectError(() => activation('relu', x(), { alpha: 1 }), InvalidArgumentError, INVALID, ['alpha', "'elu'", "'relu'"])
    expectError(() => new Softplus({ beta: 0 }), InvalidArgumentError, INVALID, ['beta', '> 0', 'got 0'])
    expectError(() => new ELU({ alpha: NaN }), InvalidArgumentError, INVALID, ['alpha', 'finite', 'NaN'])
    expectError(() => new LeakyReLU({ negativeSlope: Infinity }), InvalidArgumentError, INVALID, ['negativeSlope', 'inf'])
    expectError(() => new GELU({ approximate: 'fast' as never }), InvalidArgumentError, INVALID, ['approximate', "'tanh'", 'fast'])
    expectError(() => new ELU({ alpha: '1' as never }), TypeError, undefined, ['alpha', 'number', 'string 1'])
    expectError(() => activation('elu', x(), { gamma: 1 } as never), TypeError, undefined, ['params.gamma', 'unknown'])
  })

  it('NaN input → InvalidArgumentError; backward with mismatched shapes → ShapeError; layer backward before forward → StateError', () => {
    expectError(() => activation('gelu', withValue(x(), 2, NaN)), InvalidArgumentError, INVALID, ['input', 'NaN', 'index 2'])
    expectError(() => activationBackward('gelu', x(), Tensor.zeros([4, 2])), ShapeError, SHAPE, ['gradOutput', '[2, 4]', '[4, 2]'])
    expectError(() => activationBackward('tanh', withValue(x(), 1, NaN), Tensor.zeros([2, 4])), InvalidArgumentError, INVALID, ['output', 'NaN'])
    expectError(() => activationBackward('relu', x(), withValue(Tensor.zeros([2, 4]), 0, NaN)), InvalidArgumentError, INVALID, ['gradOutput', 'NaN', 'index 0'])
    const r = new ReLU()
    expectError(() => r.backward(Tensor.zeros([2, 4])), StateError, STATE, ['backward', 'forward'])
    r.forward(x(), { training: true })
    expectError(() => r.backward(Tensor.zeros([3])), ShapeError, SHAPE, ['gradOutput'])
    // The failed backward kept the saved input.
    expect(r.backward(Tensor.full([2, 4], 1)).shape).toEqual([2, 4])
    expectError(() => r.backward(Tensor.full([2, 4], 1)), StateError, STATE, ['one backward'])
  })
})

describe('busy guard', () => {
  const busy = (f: () => unknown): void => {
    expectError(f, BusyError, 'ERR_SEQLEARN_BUSY', ['async', 'await'])
  }

  it('Linear: a sync call while forwardAsync runs throws BusyError; the layer works afterwards', async () => {
    const l = new Linear({ inFeatures: 512, outFeatures: 1024, seed: 1 })
    const big = Tensor.randn([4096, 512], { seed: 2 })
    await observeBusy(
      () => l.forwardAsync(big, { training: true }),
      () => l.numParameters,
      () => {
        busy(() => l.forward(x()))
        busy(() => l.backward(Tensor.zeros([2, 3])))
        busy(() => l.stateDict())
        busy(() => l.gradients())
        busy(() => l.loadStateDict({}, { strict: false }))
        busy(() => l.zeroGrad())
      },
    )
    // The async forward's cache is there for a backward.
    expect((await l.backwardAsync(Tensor.full([4096, 1024], 1e-3))).shape).toEqual([4096, 512])
    expect(l.forward(Tensor.zeros([1, 512])).shape).toEqual([1, 1024])
  })

  it('Embedding: a sync call while backwardAsync runs throws BusyError; the layer works afterwards', async () => {
    const e = new Embedding({ numEmbeddings: 1000, embeddingDim: 512, seed: 1 })
    const many = new IntTensor(Int32Array.from({ length: 40_000 }, (_, i) => (i * 31) % 1000), [40_000])
    const g = Tensor.full([40_000, 512], 1e-3)
    await observeBusy(
      async () => {
        await e.forwardAsync(many, { training: true })
        await e.backwardAsync(g)
      },
      () => e.numParameters,
      () => {
        busy(() => e.forward(ids()))
        busy(() => e.freeze)
        busy(() => e.stateDict())
        busy(() => e.zeroGrad())
      },
    )
    expect(e.forward(ints([1, 2])).shape).toEqual([2, 512])
  })

  it('async errors reject with the same classes as the sync ones', async () => {
    const l = lin()
    await expectRejection(() => l.backwardAsync(Tensor.zeros([2, 3])), StateError, STATE, ['backward'])
    await expectRejection(() => l.forwardAsync(Tensor.zeros([2, 5])), ShapeError, SHAPE, ['input', 'inFeatures = 4'])
    const e = emb()
    await expectRejection(() => e.forwardAsync(ints([9])), InvalidArgumentError, INVALID, ['ids[0]', 'got 9'])
    const d = new Dropout({ p: 0.2 })
    await expectRejection(() => d.backwardAsync(Tensor.zeros([1])), StateError, STATE, ['backward'])
    linWorks(l)
    embWorks(e)
    dropWorks(d)
  })
})
