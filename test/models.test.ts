// The ready models and the training loop: they learn small real patterns, save/load exactly,
// resume training bit-for-bit from a checkpoint with its optimizer state, cancel within one
// batch, keep the event loop responsive, and turn bad data into errors that name the field.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  AbortError, Adam, Forecaster, ReduceLROnPlateau, StepLR, FormatError, InvalidArgumentError, LanguageModel, ProgressBar, SequenceClassifier,
  SequenceTagger, Tensor, Vocabulary, loadModel, loadModelOf, type FitProgress,
} from '../dist/index.js'

const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-models-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(40)

function lm(seed = 0): LanguageModel {
  return LanguageModel.fromText(TEXT, { embeddingDim: 8, hiddenSize: 24, seed })
}

function flatWeights(m: { layers(): Record<string, { stateDict(): Record<string, Tensor> }> }): Float32Array {
  const parts: Float32Array[] = []
  for (const l of Object.values(m.layers())) for (const t of Object.values(l.stateDict())) parts.push(t.data)
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe('LanguageModel', () => {
  it('learns a repetitive text: loss falls, greedy generation continues it, perplexity drops', async () => {
    const m = lm()
    const before = await m.perplexity(TEXT)
    const h = await m.fit(TEXT, { epochs: 12, batchSize: 4, seqLen: 20, progress: 'none', clipNorm: 5, optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
    expect(h.epochs).toHaveLength(12)
    expect(h.epochs[11].loss).toBeLessThan(h.epochs[0].loss * 0.5)
    const after = await m.perplexity(TEXT)
    expect(after).toBeLessThan(before / 4)
    expect(after).toBeLessThan(2.5)
    // 'the ' is followed by cat/dog/mat/log; after 'the m' only 'at.' can come.
    expect(await m.generate({ prompt: 'the cat sat on the m', maxLength: 3, temperature: 0 })).toBe('at.')
    expect(await m.generate({ prompt: 'the cat sat on the ', maxLength: 3, temperature: 0 })).toMatch(/^(mat|log|cat|dog)$/)
    expect(m.epochsTrained).toBe(12)
  }, 60_000)

  it('sampling is seeded: the same seed gives the same text, another seed another text', async () => {
    const m = lm(1)
    await m.fit(TEXT, { epochs: 2, batchSize: 4, seqLen: 20, progress: 'none' })
    const a = await m.generate({ maxLength: 60, seed: 3, temperature: 1.5 })
    const b = await m.generate({ maxLength: 60, seed: 3, temperature: 1.5 })
    const c = await m.generate({ maxLength: 60, seed: 4, temperature: 1.5 })
    expect(a).toBe(b)
    expect(a).not.toBe(c)
    const k1 = await m.generate({ maxLength: 30, seed: 5, topK: 1 })
    const greedy = await m.generate({ maxLength: 30, temperature: 0 })
    expect(k1).toBe(greedy)
  }, 60_000)

  it('save → loadModel gives the same predictions, config and vocabulary', async () => {
    const m = lm(2)
    await m.fit(TEXT, { epochs: 1, batchSize: 4, seqLen: 20, progress: 'none' })
    const dir = join(tmp, 'lm')
    await m.save(dir)
    const files = readdirSync(dir).sort()
    expect(files).toEqual(['config.json', 'model.safetensors', 'optimizer.json', 'optimizer.safetensors', 'vocab.json'])
    const back = await LanguageModel.load(dir)
    expect(back.vocabulary.size).toBe(m.vocabulary.size)
    expect(back.epochsTrained).toBe(1)
    expect(flatWeights(back)).toEqual(flatWeights(m))
    expect(await back.perplexity(TEXT)).toBe(await m.perplexity(TEXT))
  }, 60_000)

  it('training resumed from a checkpoint continues exactly as if uninterrupted', async () => {
    const straight = lm(3)
    await straight.fit(TEXT, { epochs: 3, batchSize: 4, seqLen: 20, progress: 'none' })
    const first = lm(3)
    await first.fit(TEXT, { epochs: 1, batchSize: 4, seqLen: 20, progress: 'none' })
    const dir = join(tmp, 'resume')
    await first.save(dir)
    const resumed = await loadModelOf(LanguageModel, dir)
    await resumed.fit(TEXT, { epochs: 2, batchSize: 4, seqLen: 20, progress: 'none' })
    expect(resumed.epochsTrained).toBe(3)
    expect(flatWeights(resumed)).toEqual(flatWeights(straight))
  }, 60_000)

  it('an AbortSignal stops fit within one batch; the model stays usable', async () => {
    const m = lm(4)
    const ac = new AbortController()
    let batches = 0
    const p = m.fit(TEXT, {
      epochs: 50, batchSize: 2, seqLen: 10, progress: 'none', signal: ac.signal,
      onProgress: () => {
        batches += 1
        if (batches === 3) ac.abort()
      },
    })
    await expect(p).rejects.toBeInstanceOf(AbortError)
    expect(batches).toBe(3)
    // Usable afterwards: evaluate and fit again.
    expect(Number.isFinite(await m.perplexity(TEXT))).toBe(true)
    const h = await m.fit(TEXT, { epochs: 1, batchSize: 2, seqLen: 10, progress: 'none' })
    expect(h.epochs).toHaveLength(1)
  }, 60_000)

  it('the event loop stays responsive during fit (timer lag < 50 ms)', async () => {
    const big = 'It is not down on any map; true places never are. '.repeat(400)
    const m = LanguageModel.fromText(big, { embeddingDim: 32, hiddenSize: 128, seed: 5 })
    let maxLag = 0
    let ticks = 0
    let last = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      maxLag = Math.max(maxLag, now - last - 10)
      last = now
      ticks += 1
    }, 10)
    const t0 = performance.now()
    try {
      // Train for at least a second of wall time, whatever the machine's speed.
      while (performance.now() - t0 < 1000) await m.fit(big, { epochs: 1, batchSize: 16, seqLen: 50, progress: 'none' })
    } finally {
      clearInterval(timer)
    }
    const seconds = (performance.now() - t0) / 1000
    expect(ticks).toBeGreaterThan(seconds * 20)
    expect(maxLag).toBeLessThan(50)
  }, 60_000)

  it('word level: vocabulary of words with specials, generation of words', async () => {
    const m = LanguageModel.fromText(TEXT, { level: 'word', embeddingDim: 8, hiddenSize: 16, seed: 6 })
    expect(m.vocabulary.has('cat')).toBe(true)
    expect(m.vocabulary.has('<unk>')).toBe(true)
    const h = await m.fit(TEXT, { epochs: 15, batchSize: 4, seqLen: 8, progress: 'none', optimizer: (l) => new Adam(l, { lr: 2e-2 }) })
    expect(h.epochs[14].loss).toBeLessThan(h.epochs[0].loss)
    expect(await m.generate({ prompt: 'the cat', maxLength: 2, temperature: 0 })).toBe('sat on')
  }, 60_000)

  it('rejects bad arguments with errors naming them', async () => {
    const m = lm()
    await expect(m.fit(TEXT, { epochs: 0 })).rejects.toThrow(/epochs/)
    await expect(m.fit(TEXT, { seqLen: -1 })).rejects.toThrow(/seqLen/)
    await expect(m.fit('ab', { progress: 'none' })).rejects.toThrow(/too few/)
    await expect(m.fit(TEXT, { clipNorm: Number.NaN })).rejects.toThrow(/clipNorm/)
    await expect(m.fit(new Int32Array([1, 2, 999, 3, 4]), { progress: 'none', batchSize: 1, seqLen: 2 })).rejects.toThrow(/999/)
    await expect(m.generate({ maxLength: -2 })).rejects.toThrow(/maxLength/)
    // Unknown characters map to <unk> by default; with unknownTokens: 'error' they are named.
    expect(Number.isFinite(await m.perplexity('the zebra sat on the mat. the cat sat.'))).toBe(true)
    const strict = LanguageModel.fromText(TEXT, { embeddingDim: 4, hiddenSize: 4, unknownTokens: 'error' })
    await expect(strict.perplexity('the zebra')).rejects.toThrow(/"z".*not in the vocabulary/)
  })
})

describe('fit with a schedule', () => {
  it('steps the schedule once per epoch (StepLR) and feeds ReduceLROnPlateau the monitored metric', async () => {
    const m = lm(7)
    const h = await m.fit(TEXT, { epochs: 4, batchSize: 4, seqLen: 20, progress: 'none', optimizer: (l) => new Adam(l, { lr: 0.01 }), schedule: (opt) => new StepLR(opt, { stepSize: 1, gamma: 0.5 }) })
    expect(h.epochs.map((e) => e.lr)).toEqual([0.01, 0.005, 0.0025, 0.00125])
    const m2 = lm(8)
    const seen: number[] = []
    const h2 = await m2.fit(TEXT, {
      epochs: 3, batchSize: 4, seqLen: 20, progress: 'none', validation: TEXT.slice(0, 400),
      schedule: (opt) => { const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.1 }); return { step: (v?: number) => { seen.push(v!); s.step(v!) } } },
    })
    expect(seen).toEqual(h2.epochs.map((e) => e.valLoss))
  }, 60_000)
})

describe('checkpoint files', () => {
  it('a corrupt or incompatible checkpoint gives a FormatError naming the file', async () => {
    const m = lm()
    const dir = join(tmp, 'corrupt')
    await m.save(dir)
    const cfg = join(dir, 'config.json')
    const good = readFileSync(cfg, 'utf8')
    writeFileSync(cfg, '{ not json')
    await expect(loadModel(dir)).rejects.toThrow(FormatError)
    await expect(loadModel(dir)).rejects.toThrow(/config\.json/)
    writeFileSync(cfg, good.replace('"LanguageModel"', '"Spaceship"'))
    await expect(loadModel(dir)).rejects.toThrow(/unknown model kind 'Spaceship'/)
    writeFileSync(cfg, good.replace(/"hiddenSize": \d+/, '"hiddenSize": 7'))
    await expect(loadModel(dir)).rejects.toThrow(/layer 'rnn' does not match/)
    writeFileSync(cfg, good)
    const st = join(dir, 'model.safetensors')
    writeFileSync(st, readFileSync(st).subarray(0, 40))
    await expect(loadModel(dir)).rejects.toThrow(/model\.safetensors/)
    await expect(loadModelOf(SequenceClassifier, join(tmp, 'lm'))).rejects.toThrow(/not a SequenceClassifier/)
    await expect(SequenceTagger.load(join(tmp, 'lm'))).rejects.toThrow(/holds a LanguageModel, not a SequenceTagger/)
  })

  it('a failed save leaves the previous save intact and no temporary files', async () => {
    const m = lm()
    const dir = join(tmp, 'intact')
    await m.save(dir)
    const before = readFileSync(join(dir, 'model.safetensors'))
    const broken = Object.create(m) as LanguageModel & { extraFiles(): unknown }
    ;(broken as unknown as { extraFiles: () => unknown }).extraFiles = () => ({ vocab: { bad: BigInt(1) } })
    await expect(broken.save(dir)).rejects.toThrow()
    expect(readFileSync(join(dir, 'model.safetensors'))).toEqual(before)
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([])
    expect(existsSync(join(dir, 'vocab.json'))).toBe(true)
  })
})

// A synthetic but non-trivial task: does token 3 occur in the sequence (any position)?
function containsTask(n: number, seed: number): { sequences: Int32Array[]; labels: number[] } {
  let s = seed + 1
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const sequences: Int32Array[] = []
  const labels: number[] = []
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rnd() * 10)
    const seq = Int32Array.from({ length: len }, () => 1 + Math.floor(rnd() * 9))
    labels.push(seq.includes(3) ? 1 : 0)
    sequences.push(seq)
  }
  return { sequences, labels }
}

describe('SequenceClassifier', () => {
  for (const pooling of ['last', 'mean', 'max'] as const) {
    it(`learns a many-to-one task (pooling ${pooling}, bidirectional GRU)`, async () => {
      const train = containsTask(600, 1)
      const test = containsTask(200, 2)
      const m = new SequenceClassifier({ vocabSize: 10, embeddingDim: 8, cell: 'gru', hiddenSize: 16, bidirectional: true, pooling, numClasses: 2, seed: 1 })
      const h = await m.fit(train, { epochs: 15, batchSize: 32, progress: 'none', validation: test, optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
      expect(h.epochs[h.epochs.length - 1].metrics.valAccuracy).toBeGreaterThan(0.9)
      const pred = await m.predict(test.sequences)
      const acc = pred.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0) / pred.length
      expect(acc).toBeCloseTo(h.epochs[h.epochs.length - 1].metrics.valAccuracy, 5)
      const proba = await m.predictProba(test.sequences.slice(0, 5))
      expect(proba.shape).toEqual([5, 2])
    }, 60_000)
  }

  it('sigmoid output (binary cross-entropy) and real-valued inputs', async () => {
    const task = containsTask(400, 3)
    const feats = task.sequences.map((s) => new Tensor(Float32Array.from(s, (v) => (v === 3 ? 1 : 0)), [s.length, 1]))
    const m = new SequenceClassifier({ inputSize: 1, hiddenSize: 8, numClasses: 2, output: 'sigmoid', seed: 2 })
    const h = await m.fit({ sequences: feats, labels: task.labels }, { epochs: 20, batchSize: 32, progress: 'none', optimizer: (l) => new Adam(l, { lr: 2e-2 }) })
    expect(h.epochs[h.epochs.length - 1].metrics.accuracy).toBeGreaterThan(0.95)
  }, 60_000)

  it('early stopping restores the best epoch; checkpoints are written atomically', async () => {
    const train = containsTask(200, 4)
    const m = new SequenceClassifier({ vocabSize: 10, hiddenSize: 8, numClasses: 2, seed: 3 })
    const dir = join(tmp, 'ck')
    const h = await m.fit(train, { epochs: 30, batchSize: 16, progress: 'none', validation: containsTask(100, 5), earlyStopping: { patience: 2 }, checkpoint: { dir } })
    expect(h.bestEpoch).toBeDefined()
    const saved = await loadModelOf(SequenceClassifier, dir)
    const a = await saved.evaluate(containsTask(100, 5))
    const b = await m.evaluate(containsTask(100, 5))
    if (h.stoppedEarly) expect(a.loss).toBeCloseTo(b.loss, 6)
  }, 60_000)

  it('a frozen embedding stays as it is while the rest trains; unfrozen later, the same optimizer updates it', async () => {
    const train = containsTask(100, 7)
    const m = new SequenceClassifier({ vocabSize: 10, embeddingDim: 4, hiddenSize: 8, numClasses: 2, seed: 4 })
    const emb = m.backbone.embedding!
    emb.freeze = true
    const e0 = emb.stateDict().weight.data.slice()
    const h0 = m.head.stateDict().weight.data.slice()
    await m.fit(train, { epochs: 2, batchSize: 16, progress: 'none' })
    expect(emb.stateDict().weight.data).toEqual(e0)
    expect(m.head.stateDict().weight.data).not.toEqual(h0)
    emb.freeze = false
    await m.fit(train, { epochs: 1, batchSize: 16, progress: 'none' })
    expect(emb.stateDict().weight.data).not.toEqual(e0)
  }, 60_000)

  it('bad data: labels out of range, mismatched lengths, empty data, non-finite input', async () => {
    const m = new SequenceClassifier({ vocabSize: 10, hiddenSize: 4, numClasses: 2 })
    const seqs = [Int32Array.of(1, 2), Int32Array.of(3)]
    await expect(m.fit({ sequences: seqs, labels: [0, 2] })).rejects.toThrow(/labels\[1\].*0\.\.1/)
    await expect(m.fit({ sequences: seqs, labels: [0] })).rejects.toThrow(/expected 2 labels/)
    await expect(m.fit({ sequences: [], labels: [] })).rejects.toThrow(/empty/)
    await expect(m.fit({ sequences: [Int32Array.of(1), new Int32Array(0)], labels: [0, 1] })).rejects.toThrow(/sequences\[1\].*empty/)
    await expect(m.fit({ sequences: [Int32Array.of(1, 42)], labels: [0] }, { progress: 'none' })).rejects.toThrow(/42/)
    expect(() => new SequenceClassifier({ numClasses: 1, vocabSize: 3 })).toThrow(InvalidArgumentError)
    expect(() => new SequenceClassifier({ numClasses: 2 })).toThrow(/vocabSize \/ inputSize/)
    const f = new SequenceClassifier({ inputSize: 2, hiddenSize: 4, numClasses: 2 })
    // Batch 1 trains; batch 2 holds a NaN: the error names it and the weights stay as after batch 1.
    let afterFirst: Float32Array | undefined
    const bad = new Tensor(Float32Array.of(1, 2, Number.NaN, 4), [2, 2])
    const fit = f.fit({ sequences: [new Tensor(Float32Array.of(1, 2), [1, 2]), bad], labels: [0, 1] }, { progress: 'none', batchSize: 1, shuffle: false, onProgress: () => { afterFirst = flatWeights(f) } })
    await expect(fit).rejects.toThrow(/epoch 1, batch 2/)
    expect(afterFirst).toBeDefined()
    expect(flatWeights(f)).toEqual(afterFirst)
    expect((await f.evaluate({ sequences: [new Tensor(Float32Array.of(1, 2), [1, 2])], labels: [0] })).loss).toBeGreaterThan(0)
  })
})

describe('SequenceTagger', () => {
  it('learns an aligned many-to-many task (tag = does the next token equal this one?)', async () => {
    const { sequences } = containsTask(500, 6)
    const tags = sequences.map((s) => Int32Array.from(s, (v, i) => (i + 1 < s.length && s[i + 1] > v ? 1 : 0)))
    const m = new SequenceTagger({ vocabSize: 10, embeddingDim: 8, hiddenSize: 16, bidirectional: true, numTags: 2, seed: 4 })
    const h = await m.fit({ sequences, tags }, { epochs: 15, batchSize: 32, progress: 'none', optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
    expect(h.epochs[h.epochs.length - 1].metrics.accuracy).toBeGreaterThan(0.95)
    const pred = await m.predict(sequences.slice(0, 3))
    expect(pred.map((p) => p.length)).toEqual(sequences.slice(0, 3).map((s) => s.length))
    await expect(m.fit({ sequences: [Int32Array.of(1, 2)], tags: [Int32Array.of(0)] })).rejects.toThrow(/tags\[0\].*2 tags/)
  }, 60_000)
})

describe('Forecaster', () => {
  it('forecasts a noisy seasonal series far better than a flat guess', async () => {
    const n = 600
    const series = Float32Array.from({ length: n }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 7) + 0.05 * t + Math.sin(t * 12.9898) * 0.5)
    const m = new Forecaster({ lookback: 21, horizon: 7, hiddenSize: 16, seed: 5 })
    await m.fit({ series: series.subarray(0, 500) }, { epochs: 30, batchSize: 32, progress: 'none', optimizer: (l) => new Adam(l, { lr: 1e-2 }) })
    const origins = [510, 530, 550, 570, 590]
    const pred = await m.forecast({ series }, { origins })
    expect(pred.shape).toEqual([5, 7])
    let err = 0
    let flat = 0
    const level = series.subarray(450, 500).reduce((a, b) => a + b, 0) / 50
    origins.forEach((o, k) => {
      for (let h = 0; h < 7; h++) {
        err += Math.abs(pred.data[k * 7 + h] - series[o + h])
        flat += Math.abs(level - series[o + h])
      }
    })
    expect(err / 35).toBeLessThan(3) // the weekly swing is ±10
    expect(err).toBeLessThan(flat / 3)
    await expect(m.forecast({ series }, { origins: [5] })).rejects.toThrow(/origins\[0\]/)
    await expect(m.fit({ series: [1, 2, 3] })).rejects.toThrow(/at least 28 values/)
  }, 60_000)
})

describe('ProgressBar', () => {
  const p = (batch: number): FitProgress => ({ epoch: 1, epochs: 2, batch, batches: 10, loss: 1.5, itemsPerSecond: 12345, itemName: 'chars', elapsed: batch * 5, eta: 10 - batch, lr: 1e-3 })

  it('plain lines when the stream is not a TTY', () => {
    const out: string[] = []
    const bar = new ProgressBar('auto', { write: (s: string) => out.push(s), isTTY: false })
    for (let b = 1; b <= 10; b++) bar.update(p(b))
    bar.endEpoch(1, 2, { loss: 1.5, valLoss: 1.7 }, 10)
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true)
    expect(out[out.length - 1]).toMatch(/epoch 1\/2 done .* loss 1\.5000 · valLoss 1\.7000/)
    expect(out.some((l) => /12\.3k chars\/s/.test(l))).toBe(true)
  })

  it('a bar redrawn in place on a TTY', () => {
    const out: string[] = []
    const bar = new ProgressBar('auto', { write: (s: string) => out.push(s), isTTY: true, columns: 120 })
    bar.update(p(10))
    expect(out[0].startsWith('\r')).toBe(true)
    expect(out[0]).toMatch(/epoch 1\/2 █+ 10\/10 loss 1\.5000/)
  })
})
