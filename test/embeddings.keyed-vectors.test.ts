// KeyedVectors against gensim 4.4 (fixtures made by test/fixtures/make_keyed_vectors_fixtures.py):
// similarity, most_similar (3CosAdd), most_similar_cosmul (3CosMul), doesnt_match,
// evaluate_word_analogies and evaluate_word_pairs; plus load/save, debiasing, projection,
// k-means classes, plots, Embedding.fromKeyedVectors and the errors of every method.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Embedding, escapeXml, FormatError, IntTensor, InvalidArgumentError, IoError, KeyedVectors, plotEmbeddings, scatterSvg, ShapeError, Tensor, type Neighbour } from '../dist/index.js'
import { expectClose, expectError, expectRejection } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'keyed_vectors')
const TXT = join(DIR, 'vectors.txt')
const BIN = join(DIR, 'vectors.bin')
const QUESTIONS = join(DIR, 'questions.txt')
const PAIRS = join(DIR, 'pairs.tsv')
const INVALID = 'ERR_SEQLEARN_INVALID_ARG'

type Term = string | { vector: number[] }
interface Query {
  positive: Term[]
  negative: string[]
  topN: number
  restrictVocab: number | null
  result: [string, number][]
}
interface Expected {
  words: string[]
  dim: number
  similarity: { a: string; b: string; value: number }[]
  mostSimilar: Query[]
  mostSimilarCosmul: Query[]
  doesntMatch: { words: string[]; result: string }[]
  analogies: { restrictVocab: number; caseInsensitive: boolean; method: '3cosadd' | '3cosmul'; sections: { name: string; correct: number; seen: number; questions: number }[]; correct: number; seen: number }[]
  wordPairs: { restrictVocab: number; caseInsensitive: boolean; pearson: number; spearman: number; oovRatio: number }[]
}
const EXP = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected

const kv = KeyedVectors.load(TXT)
const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-kv-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function terms(list: Term[]): (string | { vector: Float32Array })[] {
  return list.map((t) => (typeof t === 'string' ? t : { vector: Float32Array.from(t.vector) }))
}

function expectNeighbours(got: Neighbour[], want: [string, number][], label: string): void {
  expect(got.map((n) => n.word), label).toEqual(want.map((w) => w[0]))
  expectClose({ data: got.map((n) => n.similarity), shape: [got.length] }, { data: want.map((w) => w[1]), shape: [want.length] }, { atol: 2e-6, rtol: 1e-5, label })
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0)

describe('loading and saving', () => {
  it('loads the gensim text and binary files with the same words and values', () => {
    expect(kv.size).toBe(50)
    expect(kv.dim).toBe(EXP.dim)
    expect([...kv.words]).toEqual(EXP.words)
    const bin = KeyedVectors.load(BIN)
    expect([...bin.words]).toEqual(EXP.words)
    expect(Array.from(bin.vectors().data)).toEqual(Array.from(kv.vectors().data))
    expect(kv.has('Apple') && kv.has('apple') && !kv.has('APPLE')).toBe(true)
    expect(kv.index('king')).toBe(EXP.words.indexOf('king'))
    expect(kv.index('nope')).toBeUndefined()
    expect(Array.from(kv.vector('queen'))).toEqual(Array.from(kv.vectors(['queen']).data))
    expect(KeyedVectors.load(TXT, { limit: 7 }).size).toBe(7)
  })

  it('round-trips through text and binary files, sync and async', async () => {
    for (const binary of [false, true]) {
      const p = join(tmp, `rt.${binary ? 'bin' : 'txt'}`)
      kv.save(p, { binary })
      const back = KeyedVectors.load(p)
      expect([...back.words]).toEqual(EXP.words)
      expect(Array.from(back.vectors().data)).toEqual(Array.from(kv.vectors().data))
      const pa = join(tmp, `rta.${binary ? 'bin' : 'txt'}`)
      await kv.saveAsync(pa, { binary })
      const backAsync = await KeyedVectors.loadAsync(pa, { binary })
      expect(Array.from(backAsync.vectors().data)).toEqual(Array.from(kv.vectors().data))
    }
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('builds from words and values, rejecting duplicates, NaN and shape mismatches', () => {
    const v = KeyedVectors.fromVectors(['a', 'b'], new Tensor(Float32Array.from([1, 0, 0, 1]), [2, 2]))
    expect(v.similarity('a', 'b')).toBe(0)
    expectError(() => KeyedVectors.fromVectors(['a', 'a'], new Tensor(new Float32Array(4), [2, 2])), InvalidArgumentError, INVALID, ['words', "'a'", 'rows 0 and 1'])
    expectError(() => KeyedVectors.fromVectors(['a', 'b'], new Tensor(Float32Array.from([1, NaN, 0, 1]), [2, 2])), InvalidArgumentError, INVALID, ['data', "'a'", 'NaN', 'column 1'])
    expectError(() => KeyedVectors.fromVectors(['a', 'b', 'c'], new Tensor(new Float32Array(4), [2, 2])), ShapeError, 'ERR_SEQLEARN_SHAPE', ['vectors', '[3, dim]', '[2, 2]'])
    expectError(() => KeyedVectors.fromVectors(['a', 2 as unknown as string], new Tensor(new Float32Array(4), [2, 2])), TypeError, undefined, ['words[1]', 'number 2'])
  })

  it('load errors name the file (missing, corrupt, bad options)', async () => {
    expectError(() => KeyedVectors.load(join(tmp, 'missing.bin')), IoError, 'ERR_SEQLEARN_IO', ['missing.bin'])
    const bad = join(tmp, 'bad.txt')
    writeFileSync(bad, '2 3\na 1 2 3\nb 1 2\n')
    expectError(() => KeyedVectors.load(bad), FormatError, 'ERR_SEQLEARN_FORMAT', ['bad.txt'])
    await expectRejection(KeyedVectors.loadAsync(bad), FormatError, 'ERR_SEQLEARN_FORMAT', ['bad.txt'])
    expectError(() => KeyedVectors.load(TXT, { limit: 0 }), InvalidArgumentError, INVALID, ['limit', 'got 0'])
    expectError(() => KeyedVectors.load(''), TypeError, undefined, ['path'])
    expectError(() => KeyedVectors.load(TXT, { binary: 'yes' as unknown as boolean }), TypeError, undefined, ['binary', 'string yes'])
  })
})

describe('queries match gensim', () => {
  it('similarity', () => {
    for (const s of EXP.similarity) expect(kv.similarity(s.a, s.b)).toBeCloseTo(s.value, 6)
  })

  it('mostSimilar (3CosAdd), with restrictVocab and a raw vector term', () => {
    for (const q of EXP.mostSimilar) {
      const got = kv.mostSimilar({ positive: terms(q.positive), negative: q.negative, topN: q.topN, ...(q.restrictVocab !== null ? { restrictVocab: q.restrictVocab } : {}) })
      expectNeighbours(got, q.result, `mostSimilar ${JSON.stringify(q.positive).slice(0, 40)} - ${q.negative.join(',')}`)
    }
    // the one-word form
    const q = EXP.mostSimilar[0]
    expectNeighbours(kv.mostSimilar('king', { topN: q.topN }), q.result, "mostSimilar('king')")
  })

  it('mostSimilarCosmul (3CosMul), with restrictVocab', () => {
    for (const q of EXP.mostSimilarCosmul) {
      const got = kv.mostSimilarCosmul({ positive: terms(q.positive), negative: q.negative, topN: q.topN, ...(q.restrictVocab !== null ? { restrictVocab: q.restrictVocab } : {}) })
      expectNeighbours(got, q.result, `mostSimilarCosmul ${q.positive.join(',')} - ${q.negative.join(',')}`)
    }
  })

  it('doesntMatch', () => {
    for (const d of EXP.doesntMatch) expect(kv.doesntMatch(d.words)).toBe(d.result)
  })

  it('similarByVector / similarByVectors / cosineSimilarities agree with mostSimilar', () => {
    const v = kv.vector('king')
    const byVec = kv.similarByVector(v, { topN: 5, exclude: ['king'] })
    expectNeighbours(byVec, EXP.mostSimilar[0].result.slice(0, 5), 'similarByVector')
    expect(kv.similarByVector(Array.from(v), { topN: 1 })[0].word).toBe('king')
    const batch = kv.similarByVectors(kv.vectors(['king', 'Paris']), { topN: 3 })
    expect(batch.map((l) => l[0].word)).toEqual(['king', 'Paris'])
    expect(batch[1].slice(1).map((n) => n.word)).toEqual(EXP.mostSimilar[1].result.slice(0, 2).map((w) => w[0]))
    const cos = kv.cosineSimilarities(v)
    expect(cos.length).toBe(50)
    expect(cos[kv.index('queen')!]).toBeCloseTo(kv.similarity('king', 'queen'), 6)
    expect(kv.cosineSimilarities(v, { restrictVocab: 10 }).length).toBe(10)
  })
})

describe('evaluation matches gensim', () => {
  it('evaluateAnalogies: per-section counts, totals, semantic/syntactic split, both methods', async () => {
    for (const e of EXP.analogies) {
      const r = await kv.evaluateAnalogies(QUESTIONS, { restrictVocab: e.restrictVocab, caseInsensitive: e.caseInsensitive, method: e.method })
      const label = `${e.method} restrict ${e.restrictVocab} ci ${e.caseInsensitive}`
      expect(r.sections.map((s) => ({ name: s.name, correct: s.correct, seen: s.seen, questions: s.questions })), label).toEqual(e.sections)
      expect([r.correct, r.seen, r.questions], label).toEqual([e.correct, e.seen, 25])
      expect(r.accuracy).toBeCloseTo(e.correct / e.seen, 12)
      const sem = e.sections.filter((s) => !s.name.startsWith('gram'))
      expect(r.semantic.correct).toBe(sem.reduce((n, s) => n + s.correct, 0))
      expect(r.semantic.seen).toBe(sem.reduce((n, s) => n + s.seen, 0))
      expect(r.syntactic.seen + r.semantic.seen).toBe(r.seen)
      expect(r.sections.map((s) => s.semantic)).toEqual([true, true, false, false, false])
    }
    // the default restriction (30 000) covers this small table; null = all rows
    const all = await kv.evaluateAnalogies(QUESTIONS)
    expect(all.correct).toBe(EXP.analogies[0].correct)
    expect((await kv.evaluateAnalogies(QUESTIONS, { restrictVocab: null })).seen).toBe(EXP.analogies[0].seen)
  })

  it('evaluateWordPairs: Spearman, Pearson and the OOV ratio', async () => {
    for (const e of EXP.wordPairs) {
      const r = await kv.evaluateWordPairs(PAIRS, { restrictVocab: e.restrictVocab, caseInsensitive: e.caseInsensitive })
      expect(r.spearman).toBeCloseTo(e.spearman, 6)
      expect(r.pearson).toBeCloseTo(e.pearson, 6)
      expect(r.oovRatio).toBeCloseTo(e.oovRatio, 12)
      expect(r.pairs + r.oov).toBe(14)
    }
    const spaced = join(tmp, 'pairs-spaces.txt')
    writeFileSync(spaced, readFileSync(PAIRS, 'utf8').replace(/\t/g, '   '))
    const ws = await kv.evaluateWordPairs(spaced, { delimiter: 'whitespace', restrictVocab: 50 })
    expect(ws.spearman).toBeCloseTo(EXP.wordPairs[0].spearman, 6)
  })

  it('malformed files: FormatError naming the file and the line', async () => {
    const q = join(tmp, 'q-bad.txt')
    writeFileSync(q, ': s\nman woman king queen\nman woman king\n')
    await expectRejection(kv.evaluateAnalogies(q), FormatError, 'ERR_SEQLEARN_FORMAT', ['q-bad.txt', 'line 3', 'expected 4 words'])
    writeFileSync(q, 'man woman king queen\n')
    await expectRejection(kv.evaluateAnalogies(q), FormatError, 'ERR_SEQLEARN_FORMAT', ['line 1', 'section'])
    const p = join(tmp, 'p-bad.tsv')
    writeFileSync(p, '# c\nman\twoman\t1\nking\tqueen\tlots\n')
    await expectRejection(kv.evaluateWordPairs(p), FormatError, 'ERR_SEQLEARN_FORMAT', ['p-bad.tsv', 'line 3', "'lots'"])
    writeFileSync(p, 'man woman 1\n')
    await expectRejection(kv.evaluateWordPairs(p), FormatError, 'ERR_SEQLEARN_FORMAT', ['line 1', '3 fields', '"\\t"'])
    writeFileSync(p, 'foo\tbar\t1\n')
    await expectRejection(kv.evaluateWordPairs(p), InvalidArgumentError, INVALID, ['pairs', 'out of vocabulary'])
    await expectRejection(kv.evaluateAnalogies(join(tmp, 'none.txt')), IoError, 'ERR_SEQLEARN_IO', ['none.txt'])
  })
})

describe('errors name the argument', () => {
  it('words absent from the vocabulary', () => {
    expectError(() => kv.similarity('king', 'kingdom'), InvalidArgumentError, INVALID, ['b', "'kingdom'", 'not in the vocabulary', '50 words'])
    expectError(() => kv.vector('Queen'), InvalidArgumentError, INVALID, ['word', "'Queen'"])
    expectError(() => kv.mostSimilar({ positive: ['king', 'woman'], negative: ['mann'] }), InvalidArgumentError, INVALID, ['negative[0]', "'mann'"])
    expectError(() => kv.mostSimilar('kingg'), InvalidArgumentError, INVALID, ['positive[0]', "'kingg'"])
    expectError(() => kv.mostSimilarCosmul({ positive: ['king', 'x'] }), InvalidArgumentError, INVALID, ['positive[1]', "'x'"])
    expectError(() => kv.doesntMatch(['man', 'woman', 'cabbage']), InvalidArgumentError, INVALID, ['words[2]', "'cabbage'"])
    expectError(() => kv.similarByVector(kv.vector('king'), { exclude: ['zzz'] }), InvalidArgumentError, INVALID, ['exclude[0]', "'zzz'"])
    expectError(() => kv.vectors(['man', 'zzz']), InvalidArgumentError, INVALID, ['words[1]', "'zzz'"])
    expectError(() => kv.project(['man', 'zzz']), InvalidArgumentError, INVALID, ['words[1]', "'zzz'"])
  })

  it('bad options and arguments', async () => {
    expectError(() => kv.mostSimilar('king', { topN: 0 }), InvalidArgumentError, INVALID, ['topN', 'got 0'])
    expectError(() => kv.mostSimilar('king', { topN: 2.5 }), InvalidArgumentError, INVALID, ['topN', '2.5'])
    expectError(() => kv.mostSimilar('king', { topN: '3' as unknown as number }), TypeError, undefined, ['topN', 'string 3'])
    expectError(() => kv.mostSimilar('king', { restrictVocab: 0 }), InvalidArgumentError, INVALID, ['restrictVocab', 'got 0'])
    expectError(() => kv.mostSimilar({ positive: [] }), InvalidArgumentError, INVALID, ['positive', 'at least one'])
    expectError(() => kv.mostSimilar({ positive: ['king'], negative: ['king'] }), InvalidArgumentError, INVALID, ['positive', 'zero vector'])
    expectError(() => kv.mostSimilar({ positive: [{ vector: new Float32Array(3) }] }), InvalidArgumentError, INVALID, ['positive[0]', '8 values', 'got 3'])
    expectError(() => kv.mostSimilar({ positive: [{ vector: Float32Array.from([NaN, 0, 0, 0, 0, 0, 0, 0]) }] }), InvalidArgumentError, INVALID, ['positive[0]', 'finite'])
    expectError(() => kv.mostSimilar({ positive: [{ word: 'king', vector: new Float32Array(8) } as unknown as string] }), TypeError, undefined, ['positive[0]', 'exactly one'])
    expectError(() => kv.mostSimilar({ positive: ['king', 42 as unknown as string] }), TypeError, undefined, ['positive[1]', 'number 42'])
    // a plain number array is one vector
    expectError(() => kv.mostSimilar({ positive: [42] }), InvalidArgumentError, INVALID, ['positive[0]', '8 values', 'got 1'])
    expectError(() => kv.mostSimilarCosmul({ negative: ['king'] }), InvalidArgumentError, INVALID, ['positive', '3CosMul'])
    expectError(() => kv.mostSimilarCosmul({ positive: [{ word: 'king', weight: 2 }] }), InvalidArgumentError, INVALID, ['positive[0].weight', '3CosMul'])
    expectError(() => kv.similarByVector(new Float32Array(8)), InvalidArgumentError, INVALID, ['vector', 'zero'])
    expectError(() => kv.similarByVector('king' as unknown as Float32Array), TypeError, undefined, ['vector', 'string king'])
    expectError(() => kv.similarByVectors(new Tensor(new Float32Array(6), [2, 3])), ShapeError, 'ERR_SEQLEARN_SHAPE', ['vectors', '[m, 8]', '[2, 3]'])
    expectError(() => kv.doesntMatch([]), InvalidArgumentError, INVALID, ['words', 'empty'])
    await expectRejection(() => kv.evaluateAnalogies(QUESTIONS, { method: 'cosine' as '3cosadd' }), InvalidArgumentError, INVALID, ['method', "'3cosadd' or '3cosmul'"])
    await expectRejection(() => kv.evaluateAnalogies(QUESTIONS, { restrictVocab: -1 }), InvalidArgumentError, INVALID, ['restrictVocab', '-1'])
    await expectRejection(() => kv.evaluateWordPairs(PAIRS, { delimiter: '' }), TypeError, undefined, ['delimiter'])
    await expectRejection(() => kv.kmeansClasses(51), InvalidArgumentError, INVALID, ['classes', '1..=50', '51'])
    expectError(() => kv.project(['man', 'woman'], { method: 'umap' as 'pca' }), InvalidArgumentError, INVALID, ['method', "'pca' or 'tsne'"])
    await expectRejection(() => kv.projectAsync(['man', 'woman', 'king'], { method: 'tsne', perplexity: 3 }), InvalidArgumentError, INVALID, ['perplexity', 'got 3'])
  })
})

describe('debiasing (lecture notes / Bolukbasi et al.)', () => {
  it('biasDirection, neutralize and equalize edit the table in place', () => {
    const v = KeyedVectors.load(TXT)
    const pairs: [string, string][] = [['man', 'woman'], ['king', 'queen'], ['boy', 'girl'], ['father', 'mother']]
    const g = v.biasDirection(pairs)
    // the average of the pairs' unit-vector differences
    const unit = (w: string): Float32Array => {
      const x = v.vector(w)
      const n = Math.sqrt(dot(x, x))
      return x.map((e) => e / n)
    }
    const want = new Float32Array(8)
    for (const [a, b] of pairs) unit(a).forEach((x, i) => (want[i] += (x - unit(b)[i]) / pairs.length))
    expectClose({ data: g, shape: [8] }, { data: want, shape: [8] }, { atol: 1e-6 })
    const pca = v.biasDirection(pairs, { method: 'pca' })
    expect(Math.sqrt(dot(pca, pca))).toBeCloseTo(1, 6)
    expect(dot(pca, g)).toBeGreaterThan(0)

    const before = v.similarity('son', 'man')
    v.neutralize('son', g)
    expect(Math.abs(dot(v.vector('son'), g))).toBeLessThan(1e-5)
    expect(v.similarity('son', 'man')).not.toBeCloseTo(before, 3)
    v.equalize(['man', 'woman'], g)
    expect(v.similarity('son', 'man')).toBeCloseTo(v.similarity('son', 'woman'), 5)
    // unchanged elsewhere; the original table is untouched
    expect(Array.from(v.vector('car'))).toEqual(Array.from(kv.vector('car')))
    expect(Array.from(kv.vector('son'))).not.toEqual(Array.from(v.vector('son')))

    expectError(() => v.neutralize('nurse', g), InvalidArgumentError, INVALID, ['word', "'nurse'"])
    expectError(() => v.neutralize('son', [1, 2]), InvalidArgumentError, INVALID, ['direction', '8 values', 'got 2'])
    expectError(() => v.neutralize('son', new Float32Array(8)), InvalidArgumentError, INVALID, ['direction', 'zero'])
    expectError(() => v.equalize(['man', 'man'], g), InvalidArgumentError, INVALID, ['pair', 'two different words'])
    expectError(() => v.equalize(['man', 'lady'], g), InvalidArgumentError, INVALID, ['pair[1]', "'lady'"])
    expectError(() => v.biasDirection([['man', 'wife'], ['he', 'she']]), InvalidArgumentError, INVALID, ['pairs[1][0]', "'he'"])
    expectError(() => v.biasDirection([['man']] as unknown as [string, string][]), TypeError, undefined, ['pairs[0]', 'pair'])
    expectError(() => v.biasDirection(pairs, { method: 'svd' as 'pca' }), InvalidArgumentError, INVALID, ['method', "'average' or 'pca'"])
  })
})

describe('projection, classes and plots', () => {
  const words = ['man', 'woman', 'king', 'queen', 'France', 'Paris', 'Germany', 'Berlin', 'cat', 'cats', 'dog', 'dogs']

  it('PCA: [n, 2], centred, deterministic; t-SNE: seeded and deterministic', async () => {
    const p = kv.project(words)
    expect(p.shape).toEqual([12, 2])
    for (const k of [0, 1]) expect(Math.abs(words.reduce((s, _, i) => s + p.data[2 * i + k], 0))).toBeLessThan(1e-5)
    // first axis carries at least as much variance as the second
    const v = (k: number): number => words.reduce((s, _, i) => s + p.data[2 * i + k] ** 2, 0)
    expect(v(0)).toBeGreaterThanOrEqual(v(1))
    expect(Array.from((await kv.projectAsync(words)).data)).toEqual(Array.from(p.data))
    const t1 = await kv.projectAsync(words, { method: 'tsne', perplexity: 3, seed: 5, iterations: 300 })
    const t2 = kv.project(words, { method: 'tsne', perplexity: 3, seed: 5, iterations: 300 })
    expect(t1.shape).toEqual([12, 2])
    expect(Array.from(t1.data)).toEqual(Array.from(t2.data))
    expect(Array.from(t1.data).every(Number.isFinite)).toBe(true)
  })

  it('kmeansClasses: one class per word, deterministic, in range', async () => {
    const c = await kv.kmeansClasses(5)
    expect(c).toBeInstanceOf(Int32Array)
    expect(c.length).toBe(50)
    expect(Array.from(c).every((x) => x >= 0 && x < 5)).toBe(true)
    expect(Array.from(await kv.kmeansClasses(5, { iterations: 10 }))).toEqual(Array.from(c))
    expect(Array.from(await kv.kmeansClasses(1))).toEqual(new Array(50).fill(0))
  })

  it('scatterSvg escapes text, colours groups and draws a legend and title', () => {
    const svg = scatterSvg(
      [
        { x: 0, y: 0, label: 'a<b & "c"', group: 'g1' },
        { x: 1, y: 2, label: "it's", group: 'g<2>' },
        { x: -1, y: 1, label: 'bell\u0007', group: 'g1' },
      ],
      { title: 'T & <U>', colors: { g1: 'teal' } },
    )
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;')
    expect(svg).toContain('it&apos;s')
    expect(svg).toContain('bell\ufffd')
    expect(svg).toContain('T &amp; &lt;U&gt;')
    expect(svg).toContain('g&lt;2&gt;')
    expect((svg.match(/<circle /g) ?? []).length).toBe(3)
    expect((svg.match(/fill="teal"/g) ?? []).length).toBe(3) // two points and the legend swatch
    expect(escapeXml('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&apos;')
    expectError(() => scatterSvg([{ x: NaN, y: 0, label: 'x' }]), InvalidArgumentError, INVALID, ['points[0]', 'finite'])
    expectError(() => scatterSvg([{ x: 0, y: 0, label: 'x', group: 'g' }], { colors: { g: '"/><script>' } }), InvalidArgumentError, INVALID, ["colors['g']"])
    expectError(() => scatterSvg([], { width: -3 }), InvalidArgumentError, INVALID, ['width'])
  })

  it('plotEmbeddings returns the SVG, or writes it atomically with path', async () => {
    const svg = plotEmbeddings(kv, words, { title: 'Words', groups: words.map((w) => (w[0] === w[0].toUpperCase() ? 'places' : 'other')) })
    for (const w of words) expect(svg).toContain(`>${w}</text>`)
    expect(svg).toContain('>places</text>')
    const path = join(tmp, 'plot.svg')
    const written = await plotEmbeddings(kv, words, { method: 'tsne', perplexity: 3, seed: 1, path })
    expect(readFileSync(path, 'utf8')).toBe(written)
    expect((written.match(/<circle /g) ?? []).length).toBe(12)
    expectError(() => plotEmbeddings(kv, words, { groups: ['a'] }), InvalidArgumentError, INVALID, ['groups', 'one group per word (12)', 'got 1'])
  })
})

describe('Embedding.fromKeyedVectors', () => {
  it('initialises the table from the vectors, frozen by default, with the word → row mapping', () => {
    const { embedding, words, index } = Embedding.fromKeyedVectors(kv)
    expect(embedding.options.numEmbeddings).toBe(50)
    expect(embedding.options.embeddingDim).toBe(8)
    expect(embedding.freeze).toBe(true)
    expect([...words]).toEqual(EXP.words)
    expect(index.get('queen')).toBe(kv.index('queen'))
    const out = embedding.forward(new IntTensor(Int32Array.from([index.get('queen')!, index.get('cat')!]), [2]))
    expect(Array.from(out.data)).toEqual([...kv.vector('queen'), ...kv.vector('cat')])

    const sub = kv.toEmbedding({ words: ['cat', 'king'], freeze: false })
    expect(sub.embedding.freeze).toBe(false)
    expect(sub.index.get('king')).toBe(1)
    expect(Array.from(sub.embedding.forward(new IntTensor(Int32Array.from([1]), [1])).data)).toEqual(Array.from(kv.vector('king')))
    expectError(() => Embedding.fromKeyedVectors(kv, { words: ['cat', 'kat'] }), InvalidArgumentError, INVALID, ['words[1]', "'kat'"])
    expectError(() => Embedding.fromKeyedVectors(kv, { words: ['cat', 'cat'] }), InvalidArgumentError, INVALID, ['words[1]', "'cat'", 'twice'])
    expectError(() => Embedding.fromKeyedVectors({} as KeyedVectors), TypeError, undefined, ['kv'])
  })
})

// A real model, checked against the C tool's compute-accuracy when the paths are given:
// SEQLEARN_TEST_VECTORS (a .bin made by word2vec), SEQLEARN_TEST_QUESTIONS (questions-words.txt)
// and SEQLEARN_TEST_ACCURACY_LOG (the output of `compute-accuracy <bin> 30000 < questions`).
const REAL = [process.env.SEQLEARN_TEST_VECTORS, process.env.SEQLEARN_TEST_QUESTIONS, process.env.SEQLEARN_TEST_ACCURACY_LOG]
describe.skipIf(!REAL.every((p) => p !== undefined && existsSync(p)))('a real model against compute-accuracy', () => {
  it('gives exactly its per-section counts and questions seen (restrict 30000)', async () => {
    const [vectors, questions, log] = REAL as string[]
    const text = readFileSync(log, 'utf8')
    const sections = [...text.matchAll(/^(\S+):\nACCURACY TOP1: [\d.]+ %\s+\((\d+) \/ (\d+)\)/gm)].map((m) => ({ name: m[1], correct: Number(m[2]), seen: Number(m[3]) }))
    const seen = /Questions seen \/ total: (\d+) (\d+)/.exec(text)
    expect(sections.length).toBeGreaterThan(0)
    const real = await KeyedVectors.loadAsync(vectors)
    const r = await real.evaluateAnalogies(questions, { restrictVocab: 30000 })
    // compute-accuracy prints "(0 / 1)" for a section with no question seen
    expect(r.sections.map((s) => ({ name: s.name, correct: s.correct, seen: s.seen || 1 }))).toEqual(sections)
    expect([r.seen, r.questions]).toEqual([Number(seen![1]), Number(seen![2])])
  }, 120_000)
})
