// trainWord2Vec: a small generated corpus where synonym pairs are used interchangeably trains to
// vectors whose nearest neighbours are the partners (skip-gram and CBOW, negative sampling and
// hierarchical softmax), progress callbacks, abort, deterministic reproducibility, and an error
// naming the option for every bad option.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AbortError, CorpusVocab, InvalidArgumentError, IoError, trainWord2Vec, type Word2VecOptions, type Word2VecProgress } from '../dist/index.js'
import native = require('../index.js')

const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-w2v-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const PAIRS = 5

/**
 * Sentences `the S V a O with O2`: S is one of the synonym pair `pK_a`/`pK_b` (50/50), the verb
 * and objects come from sets owned by pair K. The two synonyms share every context.
 */
function synonymCorpus(sentences: number, seed: number): string {
  let s = seed >>> 0
  const rand = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return Math.floor((s / 2 ** 32) * n)
  }
  const lines: string[] = []
  for (let i = 0; i < sentences; i++) {
    const k = rand(PAIRS)
    const subject = rand(2) === 0 ? 'a' : 'b'
    lines.push(`the p${k}_${subject} v${k}_${rand(3)} a o${k}_${rand(3)} with o${k}_${rand(3)}`)
  }
  return lines.join('\n') + '\n'
}

const TEXT = synonymCorpus(1500, 7)
const SMALL: Word2VecOptions = { size: 16, window: 3, sample: 0, minCount: 1, iter: 15, threads: 2, deterministic: true }

async function expectSynonymsNearest(options: Word2VecOptions): Promise<void> {
  const { vectors, vocab, stats } = await trainWord2Vec({ text: TEXT }, { ...SMALL, ...options })
  expect(vectors.size).toBe(vocab.size)
  expect(stats.words).toBe(1500 * 8 * (options.iter ?? SMALL.iter ?? 5))
  for (let k = 0; k < PAIRS; k++) {
    for (const [x, y] of [[`p${k}_a`, `p${k}_b`], [`p${k}_b`, `p${k}_a`]]) {
      const [best] = vectors.mostSimilar(x, { topN: 1 })
      expect(best.word, `nearest of ${x} with ${JSON.stringify(options)}`).toBe(y)
    }
  }
}

describe('trainWord2Vec', () => {
  it('makes synonyms nearest neighbours (skip-gram and CBOW, negative sampling and hierarchical softmax)', async () => {
    await expectSynonymsNearest({ cbow: false, method: 'hogwild' })
    await expectSynonymsNearest({ cbow: false, hs: true, negative: 0 })
    await expectSynonymsNearest({ cbow: true, method: 'hogwild' })
    await expectSynonymsNearest({ cbow: true, hs: true, negative: 0 })
    await expectSynonymsNearest({ cbow: false, method: 'auto' })
  })

  it('returns the vocabulary and statistics, from a file, { sentences } or a given vocabulary', async () => {
    const path = join(tmp, 'corpus.txt')
    writeFileSync(path, TEXT)
    const a = await trainWord2Vec(path, { ...SMALL, iter: 2, cbow: false, method: 'hogwild' })
    expect(a.vocab.words[0]).toBe('</s>')
    expect(a.vectors.words).toEqual(a.vocab.words)
    expect(a.vectors.dim).toBe(16)
    expect(a.stats).toMatchObject({ words: 1500 * 8 * 2, threads: 1, shards: 2, method: 'hogwild', epochs: 2, corpusBytes: 1500 * 8 * 4 })
    expect(a.stats.seconds).toBeGreaterThan(0)
    expect(a.stats.wordsPerSecond).toBeGreaterThan(0)
    // Streaming the same file gives the same vectors (same sentences, one shard, one worker).
    const b = await trainWord2Vec(path, { ...SMALL, iter: 2, cbow: false, method: 'hogwild', threads: 1, stream: true })
    const c = await trainWord2Vec(path, { ...SMALL, iter: 2, cbow: false, method: 'hogwild', threads: 1 })
    expect(b.stats.corpusBytes).toBe(0)
    expect(Array.from(b.vectors.vector('p0_a'))).toEqual(Array.from(c.vectors.vector('p0_a')))
    // Pre-tokenised sentences and a vocabulary counted before.
    const sentences = TEXT.trim().split('\n').map((l) => l.split(' '))
    const vocab = await CorpusVocab.build({ sentences }, { minCount: 1 })
    const d = await trainWord2Vec({ sentences }, { ...SMALL, iter: 1, vocab })
    expect(d.vocab).toBe(vocab)
    expect(d.vectors.size).toBe(vocab.size)
  })

  it('reports progress with a monotone fraction, ending at 1', async () => {
    const seen: Word2VecProgress[] = []
    await trainWord2Vec({ text: TEXT }, { ...SMALL, iter: 200, cbow: false, onProgress: (p) => seen.push(p), progressIntervalMs: 5 })
    expect(seen.length).toBeGreaterThan(2)
    for (let i = 1; i < seen.length; i++) expect(seen[i].fraction).toBeGreaterThanOrEqual(seen[i - 1].fraction)
    const last = seen[seen.length - 1]
    expect(last).toMatchObject({ phase: 'done', fraction: 1, epochs: 200, wordsDone: 1500 * 8 * 200, wordsTotal: 1500 * 8 * 200 })
    const training = seen.filter((p) => p.phase === 'training')
    expect(training.length).toBeGreaterThan(0)
    const mid = training[training.length - 1]
    expect(mid.fraction).toBeGreaterThan(0.1)
    expect(mid.fraction).toBeLessThan(1)
    expect(mid.epoch).toBeGreaterThanOrEqual(1)
    expect(mid.alpha).toBeGreaterThan(0)
    expect(mid.alpha).toBeLessThanOrEqual(0.025)
    expect(mid.wordsPerSecond).toBeGreaterThan(0)
    expect(mid.wordsPerSecondPerThread).toBeCloseTo(mid.wordsPerSecond, 6) // deterministic: one worker
    expect(Number.isFinite(mid.etaSeconds)).toBe(true)
  })

  it('rejects with an AbortError when the signal aborts, before or during training', async () => {
    const before = new AbortController()
    before.abort()
    await expect(trainWord2Vec({ text: TEXT }, { ...SMALL, signal: before.signal })).rejects.toBeInstanceOf(AbortError)
    const during = new AbortController()
    const run = trainWord2Vec({ text: TEXT }, {
      ...SMALL,
      iter: 1_000_000,
      deterministic: false,
      signal: during.signal,
      progressIntervalMs: 5,
      onProgress: (p) => {
        if (p.phase === 'training' && p.wordsDone > 0) during.abort()
      },
    })
    const started = performance.now()
    await expect(run).rejects.toBeInstanceOf(AbortError)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('gives bit-identical vectors for the same seed when deterministic, other vectors for another seed', async () => {
    const opts: Word2VecOptions = { ...SMALL, iter: 3, threads: 3, sample: 1e-3, cbow: false }
    const [a, b, c] = await Promise.all([
      trainWord2Vec({ text: TEXT }, { ...opts, seed: 5 }),
      trainWord2Vec({ text: TEXT }, { ...opts, seed: 5 }),
      trainWord2Vec({ text: TEXT }, { ...opts, seed: 6 }),
    ])
    for (const w of a.vocab.words) expect(Array.from(a.vectors.vector(w))).toEqual(Array.from(b.vectors.vector(w)))
    expect(Array.from(a.vectors.vector('p1_a'))).not.toEqual(Array.from(c.vectors.vector('p1_a')))
  })

  it('names the option in every error', async () => {
    const cases: [Word2VecOptions | Record<string, unknown>, string][] = [
      [{ size: 0 }, 'size'],
      [{ size: 2.5 }, 'size'],
      [{ size: '100' }, 'size'],
      [{ window: 0 }, 'window'],
      [{ window: 50 }, 'window'], // larger than the vocabulary
      [{ sample: -1 }, 'sample'],
      [{ sample: Number.NaN }, 'sample'],
      [{ negative: -1 }, 'negative'],
      [{ negative: 0, hs: false }, 'negative'],
      [{ hs: 'yes' }, 'hs'],
      [{ cbow: 1 }, 'cbow'],
      [{ cbowMean: 'no' }, 'cbowMean'],
      [{ alpha: 0 }, 'alpha'],
      [{ alpha: -0.1 }, 'alpha'],
      [{ minAlphaRatio: 2 }, 'minAlphaRatio'],
      [{ iter: 0 }, 'iter'],
      [{ minCount: -1 }, 'minCount'],
      [{ maxVocab: 0 }, 'maxVocab'],
      [{ threads: -1 }, 'threads'],
      [{ seed: -1 }, 'seed'],
      [{ deterministic: 'true' }, 'deterministic'],
      [{ fullSoftmax: true, hs: true }, 'fullSoftmax'],
      [{ fullSoftmax: true, negative: 5 }, 'fullSoftmax'],
      [{ method: 'fast' }, 'method'],
      [{ method: 'batched', hs: true }, 'method'],
      [{ batchSize: -1 }, 'batchSize'],
      [{ stream: 1 }, 'stream'],
      [{ vocab: {} }, 'vocab'],
      [{ onProgress: 5 }, 'onProgress'],
      [{ progressIntervalMs: 0 }, 'progressIntervalMs'],
      [{ signal: 'stop' }, 'signal'],
    ]
    for (const [bad, name] of cases) {
      const err: unknown = await trainWord2Vec({ text: TEXT }, { ...SMALL, ...(bad as Word2VecOptions) }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err instanceof InvalidArgumentError || err instanceof TypeError, `${JSON.stringify(bad)} -> ${String(err)}`).toBe(true)
      expect((err as Error).message, JSON.stringify(bad)).toMatch(new RegExp(`^${name}: `))
    }
    // A misspelt option is reported, not ignored.
    await expect(trainWord2Vec({ text: TEXT }, { ...SMALL, ...({ dim: 100 } as Word2VecOptions) })).rejects.toThrow(/unknown option 'dim'/)
  })

  it('rejects an empty corpus, a missing file and a bad corpus argument', async () => {
    await expect(trainWord2Vec({ text: '' }, SMALL)).rejects.toThrow(/^corpus: /)
    await expect(trainWord2Vec({ text: '\n\n' }, SMALL)).rejects.toThrow(/^corpus: /)
    // A vocabulary none of whose words occur in the corpus.
    const vocab = await CorpusVocab.build({ text: TEXT }, { minCount: 1 })
    await expect(trainWord2Vec({ text: 'x y z\n' }, { ...SMALL, vocab })).rejects.toThrow(/^corpus: .*no word of the vocabulary/)
    await expect(trainWord2Vec(join(tmp, 'missing.txt'), SMALL)).rejects.toBeInstanceOf(IoError)
    await expect(trainWord2Vec(join(tmp, 'missing.txt'), SMALL)).rejects.toThrow(/missing\.txt/)
    await expect(trainWord2Vec(42 as unknown as string, SMALL)).rejects.toThrow(/corpus/)
  })

  it('the native trainer refuses a second run while one is in flight', async () => {
    const t = new native.Word2VecTrainer({ size: 8, window: 2, minCount: 1, iter: 2000, sample: 0 })
    const first = t.trainAsync({ text: TEXT })
    expect(t.busy).toBe(true)
    expect(() => t.trainAsync({ text: TEXT })).toThrow(/ERR_SEQLEARN_BUSY/)
    t.abort()
    await expect(first).rejects.toThrow(/aborted/)
    expect(t.busy).toBe(false)
    expect(t.stats()).toBeNull()
  })
})
