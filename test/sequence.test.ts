// The glue between recurrent stacks and heads: last-state features, pooling over time with
// lengths, and the seeded next-token sampler. (Gradients are checked by finite differences in
// the Rust crate; here the JavaScript surface and its errors.)
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, LSTM, Sampler, SequencePool, StateError, Tensor, lastState, lastStateBackward } from '../dist/index.js'

describe('lastState', () => {
  it('equals the top layer output at each sequence end (both directions) for a packed LSTM', () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 1 })
    const x = Tensor.randn([5, 2, 3], { seed: 2 })
    const { output, h } = lstm.forward(x, { lengths: [5, 3] })
    const f = lastState(h, 2)
    expect(f.shape).toEqual([2, 8])
    // forward direction: output at the last valid step; reverse direction: output at step 0.
    for (const [b, len] of [[0, 5], [1, 3]] as const) {
      const fwd = output.data.subarray(((len - 1) * 2 + b) * 8, ((len - 1) * 2 + b) * 8 + 4)
      const rev = output.data.subarray((0 * 2 + b) * 8 + 4, (0 * 2 + b) * 8 + 8)
      expect(Array.from(f.data.subarray(b * 8, b * 8 + 4))).toEqual(Array.from(fwd))
      expect(Array.from(f.data.subarray(b * 8 + 4, b * 8 + 8))).toEqual(Array.from(rev))
    }
    const g = lastStateBackward(f, h.shape, 2)
    expect(g.shape).toEqual(h.shape)
    expect(Array.from(g.data.subarray(0, 16)).every((v) => v === 0)).toBe(true)
    expect(() => lastState(h, 3 as 2)).toThrow(/numDirections/)
  })
})

describe('SequencePool', () => {
  it('mean and max over the valid steps, zero gradient at padding', () => {
    // T=3, B=2, F=1
    const x = new Tensor(Float32Array.of(1, 10, 3, 20, 100, 30), [3, 2, 1])
    const mean = new SequencePool('mean')
    expect(Array.from(mean.forward(x, { lengths: [2, 3] }).data)).toEqual([2, 20])
    expect(Array.from(mean.backward(new Tensor(Float32Array.of(1, 3), [2, 1])).data)).toEqual([0.5, 1, 0.5, 1, 0, 1])
    const max = new SequencePool('max')
    expect(Array.from(max.forward(x, { lengths: [2, 3] }).data)).toEqual([3, 30])
    expect(Array.from(max.backward(new Tensor(Float32Array.of(1, 1), [2, 1])).data)).toEqual([0, 0, 1, 0, 0, 1])
  })

  it('errors name the argument', () => {
    expect(() => new SequencePool('sum' as 'mean')).toThrow(TypeError)
    const p = new SequencePool('mean')
    expect(() => p.backward(Tensor.zeros([2, 1]))).toThrow(StateError)
    expect(() => p.forward(Tensor.zeros([3, 2, 1]), { lengths: [1, 4] })).toThrow(/lengths\[1\]/)
    expect(() => p.forward(Tensor.zeros([3, 2]))).toThrow(/3-D/)
  })
})

describe('Sampler', () => {
  const logits = new Tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7) * 3), [4, 10])

  it('is reproducible from its seed; temperature 0 and topK 1 are greedy', () => {
    const a = new Sampler(7).sample(logits)
    const b = new Sampler(7).sample(logits)
    expect(a).toEqual(b)
    expect(a).toHaveLength(4)
    const greedy = new Sampler(1).sample(logits, { temperature: 0 })
    expect(new Sampler(2).sample(logits, { topK: 1 })).toEqual(greedy)
    for (let r = 0; r < 4; r++) {
      const row = Array.from(logits.data.subarray(r * 10, r * 10 + 10))
      expect(greedy[r]).toBe(row.indexOf(Math.max(...row)))
    }
  })

  it('rejects bad options and NaN logits', () => {
    const s = new Sampler(0)
    expect(() => s.sample(logits, { topP: 0 })).toThrow(InvalidArgumentError)
    expect(() => s.sample(logits, { temperature: -1 })).toThrow(/temperature/)
    expect(() => s.sample(new Tensor(Float32Array.of(0, Number.NaN), [1, 2]))).toThrow(/NaN/)
    expect(() => new Sampler(-1)).toThrow(/seed/)
  })
})
