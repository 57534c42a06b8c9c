// CtcModel: learns an unaligned transcription task (noisy feature runs of random durations →
// the symbol string), greedy and beam decoding agree on it, save/load round-trips exactly, and
// bad data is rejected with errors naming the argument.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Adam, CtcModel, InvalidArgumentError, NgramLanguageModel, Random, Tensor, loadModel, type CtcUtterance } from '../dist/index.js'

const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-ctc-model-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const ALPHABET = 'abc'
const F = 5 // one dimension per symbol, one for silence, one of pure noise

function gauss(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat())
}

/**
 * Utterances of 1–5 symbols (repeats allowed): silence, then per symbol a run of 2–4 frames
 * with its one-hot pattern, silence runs of 1–2 frames between symbols and at the end, Gaussian
 * noise (σ = 0.2) on every value.
 */
function synth(n: number, seed: number): CtcUtterance[] {
  const rng = new Random(seed)
  const out: CtcUtterance[] = []
  for (let k = 0; k < n; k++) {
    const len = 1 + rng.nextInt(5)
    const symbols = Array.from({ length: len }, () => rng.nextInt(ALPHABET.length))
    const frames: number[] = []
    const silence = (m: number) => { for (let i = 0; i < m; i++) frames.push(3) }
    silence(1 + rng.nextInt(2))
    for (const s of symbols) {
      for (let i = 2 + rng.nextInt(3); i > 0; i--) frames.push(s)
      silence(1 + rng.nextInt(2))
    }
    const data = new Float32Array(frames.length * F)
    frames.forEach((c, t) => {
      for (let f = 0; f < F; f++) data[t * F + f] = (f === c ? 1 : 0) + 0.2 * gauss(rng)
    })
    out.push({ features: new Tensor(data, [frames.length, F]), text: symbols.map((s) => ALPHABET[s]).join('') })
  }
  return out
}

const train = synth(400, 1)
const test = synth(40, 2)
let model: CtcModel
let firstLoss = 0
let lastLoss = 0
let lastMetrics: Record<string, number> = {}

beforeAll(async () => {
  model = new CtcModel({ inputSize: F, alphabet: ALPHABET, cell: 'gru', hiddenSize: 24, bidirectional: true, seed: 3 })
  const h = await model.fit(train, { epochs: 25, batchSize: 16, progress: 'none', clipNorm: 5, validation: test.slice(0, 10), optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
  firstLoss = h.epochs[0].loss
  lastLoss = h.epochs[h.epochs.length - 1].loss
  lastMetrics = h.epochs[h.epochs.length - 1].metrics
}, 60_000)

describe('CtcModel', () => {
  it('learns the task: the CTC loss falls and greedy transcription of unseen utterances is exact', async () => {
    expect(lastLoss).toBeLessThan(firstLoss / 100)
    expect(lastLoss).toBeLessThan(0.01)
    // Validation during fit reports greedy CER/WER.
    expect(lastMetrics.valCer).toBe(0)
    expect(lastMetrics.valWer).toBe(0)
    const hyp = await model.transcribe(test.map((u) => u.features))
    expect(hyp).toEqual(test.map((u) => u.text))
    const ev = await model.evaluate(test)
    expect(ev.metrics.cer).toBe(0)
    expect(ev.metrics.wer).toBe(0)
    expect(ev.loss).toBeLessThan(0.05)
  })

  it('an untrained model does not transcribe (the test can fail)', async () => {
    const fresh = new CtcModel({ inputSize: F, alphabet: ALPHABET, cell: 'gru', hiddenSize: 24, bidirectional: true, seed: 3 })
    const ev = await fresh.evaluate(test)
    expect(ev.metrics.cer).toBeGreaterThan(0.5)
  })

  it('beam search agrees with greedy on confident emissions; n-best, scores and timestamps are consistent', async () => {
    const feats = test.map((u) => u.features)
    const beam = await model.transcribeDetailed(feats, { decoder: 'beam', beamWidth: 8, nBest: 3 })
    const greedy = await model.transcribeDetailed(feats)
    beam.forEach((b, i) => {
      expect(b.text).toBe(test[i].text)
      expect(b.nBest.length).toBeGreaterThanOrEqual(1)
      expect(b.nBest.length).toBeLessThanOrEqual(3)
      expect(b.nBest[0].text).toBe(b.text)
      for (let k = 1; k < b.nBest.length; k++) expect(b.nBest[k].score).toBeLessThanOrEqual(b.nBest[k - 1].score)
      expect(b.lmScore).toBe(0)
      // The prefix beam sums over alignments, so its score is at least the best path's.
      expect(b.ctcScore).toBeGreaterThanOrEqual(greedy[i].score - 1e-4)
      const g = greedy[i]
      expect(g.tokens.join('')).toBe(test[i].text)
      expect(g.frames.length).toBe(g.tokens.length)
      const T = test[i].features.shape[0]
      for (let k = 0; k < g.frames.length; k++) {
        expect(g.frames[k]).toBeGreaterThanOrEqual(k > 0 ? g.frames[k - 1] + 1 : 0)
        expect(g.frames[k]).toBeLessThan(T)
      }
    })
  })

  it('language models reach the beam search: an n-gram LM that never saw "c" steers away from it; a callback LM is called', async () => {
    const feats = test.map((u) => u.features)
    const lm = NgramLanguageModel.train(['ab', 'ba', 'aab', 'abba', 'bab'], { order: 2, level: 'char' })
    const weak = await model.transcribeDetailed(feats, { lm, alpha: 0, beta: 0 })
    expect(weak.map((t) => t.text)).toEqual(test.map((u) => u.text))
    for (const t of weak) expect(t.lmScore).toBeLessThan(0)
    const strong = await model.transcribe(feats, { lm, alpha: 20, beta: 0, tokenMinLogp: -Infinity, beamPruneLogp: -Infinity })
    const withC = test.map((u, i) => i).filter((i) => test[i].text.includes('c'))
    expect(withC.length).toBeGreaterThan(5)
    for (const i of withC) expect(strong[i]).not.toBe(test[i].text)
    let queries = 0
    const flat = await model.transcribe(feats.slice(0, 5), { lm: { level: 'token', score: (q) => { queries += q.size; return new Float64Array(q.size).fill(-1) } }, alpha: 0.1 })
    expect(flat).toEqual(test.slice(0, 5).map((u) => u.text))
    expect(queries).toBeGreaterThan(0)
  })

  it('emissions are per-step log-probabilities over blank + alphabet', async () => {
    const [e] = await model.emissions([test[0].features])
    expect(e.shape).toEqual([test[0].features.shape[0], 4])
    for (let t = 0; t < e.shape[0]; t++) {
      let s = 0
      for (let c = 0; c < 4; c++) s += Math.exp(e.data[t * 4 + c])
      expect(s).toBeCloseTo(1, 5)
    }
  })

  it('save → load gives identical transcriptions, emissions and config', async () => {
    const dir = join(tmp, 'ctc')
    await model.save(dir)
    const back = await CtcModel.load(dir)
    expect(back.alphabet).toEqual(['a', 'b', 'c'])
    expect(back.config()).toEqual(model.config())
    const feats = test.map((u) => u.features)
    expect(await back.transcribe(feats)).toEqual(await model.transcribe(feats))
    const [a] = await model.emissions([feats[0]])
    const [b] = await back.emissions([feats[0]])
    expect(b.data).toEqual(a.data)
    const any = await loadModel(dir)
    expect(any.kind).toBe('CtcModel')
  })

  it('frame stacking halves the steps and still learns; timestamps are in input frames', async () => {
    // Slower symbols (runs of 4–6 frames) so that two frames per step still leave room.
    const slow = (u: CtcUtterance): CtcUtterance => {
      const [T] = u.features.shape
      const data = new Float32Array(2 * T * F)
      for (let t = 0; t < T; t++) {
        data.set(u.features.data.subarray(t * F, (t + 1) * F), 2 * t * F)
        data.set(u.features.data.subarray(t * F, (t + 1) * F), (2 * t + 1) * F)
      }
      return { features: new Tensor(data, [2 * T, F]), text: u.text }
    }
    const m = new CtcModel({ inputSize: F, alphabet: ALPHABET, cell: 'gru', hiddenSize: 24, bidirectional: true, frameStack: 2, seed: 5, specAugment: { freqMasks: 1, maxFreqWidth: 1, timeMasks: 1, maxTimeWidth: 2 } })
    expect(m.backbone.config.inputSize).toBe(2 * F)
    await m.fit(train.slice(0, 160).map(slow), { epochs: 10, batchSize: 16, progress: 'none', clipNorm: 5, optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
    const t = test.slice(0, 20).map(slow)
    const ev = await m.evaluate(t)
    expect(ev.metrics.cer).toBeLessThan(0.1)
    const [e] = await m.emissions([t[0].features])
    expect(e.shape[0]).toBe(Math.ceil(t[0].features.shape[0] / 2))
    const [d] = await m.transcribeDetailed([t[0].features])
    for (const f of d.frames) expect(f % 2).toBe(0)
  }, 30_000)

  it('word-level alphabets encode and decode whole words', () => {
    const m = new CtcModel({ inputSize: 3, alphabet: ['one', 'two', 'three'], unit: 'word', hiddenSize: 8 })
    expect(m.numClasses).toBe(4)
    expect(Array.from(m.encodeText('  three one\ttwo '))).toEqual([3, 1, 2])
    expect(m.decodeClasses([2, 2, 3])).toBe('two two three')
    expect(() => m.encodeText('one four', 'data[7].text')).toThrow(/data\[7\]\.text: word "four" \(word 1\) is not in the alphabet/)
  })

  it('rejects bad data and options with errors naming the argument', async () => {
    const m = new CtcModel({ inputSize: F, alphabet: ALPHABET, hiddenSize: 8 })
    const ok = train[0]
    await expect(m.fit([], { progress: 'none' })).rejects.toThrow(/^data: the dataset is empty/)
    await expect(m.fit([ok, { features: ok.features, text: 'abd' }], { progress: 'none' })).rejects.toThrow(/data\[1\]\.text: character "d" \(char 2\) is not in the alphabet "abc"/)
    await expect(m.fit([{ features: new Tensor(new Float32Array(12), [3, 4]), text: 'a' }], { progress: 'none' })).rejects.toThrow(/data\[0\]\.features: expected 5 features per frame.*\[3, 4\]/)
    await expect(m.fit([{ features: new Tensor(new Float32Array(2 * F), [2, F]), text: 'aa' }], { progress: 'none' })).rejects.toThrow(/data\[0\]: 2 frames cannot align its 2 tokens: CTC needs ≥ 3 steps/)
    const stacked = new CtcModel({ inputSize: F, alphabet: ALPHABET, hiddenSize: 8, frameStack: 2 })
    await expect(stacked.fit([{ features: new Tensor(new Float32Array(4 * F), [4, F]), text: 'abc' }], { progress: 'none' })).rejects.toThrow(/data\[0\]: 4 frames \(2 steps after stacking 2\) cannot align its 3 tokens/)
    await expect(m.fit([ok], { progress: 'none', validation: [{ features: ok.features, text: 'x' }] })).rejects.toThrow(/validation\[0\]\.text/)
    await expect(m.fit([{ features: ok.features, text: 3 as unknown as string }], { progress: 'none' })).rejects.toThrow(/data\[0\]\.text: expected a string/)
    await expect(m.fit([null as unknown as CtcUtterance], { progress: 'none' })).rejects.toThrow(/data\[0\]: expected \{ features, text \}/)
    await expect(m.transcribe([ok.features, new Tensor(new Float32Array(6), [2, 3])])).rejects.toThrow(/features\[1\]: expected 5 features per frame/)
    await expect(m.transcribe([])).rejects.toThrow(/features: expected at least one utterance/)
    await expect(m.transcribe([ok.features], { decoder: 'viterbi' as 'greedy' })).rejects.toThrow(/decoder: expected 'greedy' or 'beam'/)
    await expect(m.transcribe([ok.features], { nBest: 2 })).rejects.toThrow(/nBest: only used by the beam decoder/)
    expect(() => new CtcModel({ inputSize: F, alphabet: 'aba' })).toThrow(/alphabet\[2\]: "a" appears twice/)
    expect(() => new CtcModel({ inputSize: F, alphabet: '' })).toThrow(/alphabet: expected at least one token/)
    expect(() => new CtcModel({ inputSize: F, alphabet: ['ab'] })).toThrow(/alphabet\[0\]: expected one character/)
    expect(() => new CtcModel({ inputSize: 0, alphabet: 'ab' })).toThrow(/inputSize: expected an integer ≥ 1/)
    expect(() => new CtcModel({ inputSize: F, alphabet: 'ab', frameStack: 0 })).toThrow(/frameStack/)
    expect(() => new CtcModel({ inputSize: F, alphabet: 'ab', specAugment: { maxTimeWidth: -1 } })).toThrow(/specAugment\.maxTimeWidth/)
    expect(() => new CtcModel({ inputSize: F, alphabet: 'ab', unit: 'byte' as 'char' })).toThrow(InvalidArgumentError)
  })
})
