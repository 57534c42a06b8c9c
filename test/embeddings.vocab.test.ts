// CorpusVocab: counting with the C word2vec tool's tokenisation (checked against the C tool's
// own -save-vocab output on a corpus with tabs, \r\n, blank lines and an over-long word),
// minCount/maxVocab, the -save-vocab format both ways, progress, abort and argument errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AbortError, CorpusVocab, FormatError, InvalidArgumentError, IoError, type VocabProgress } from '../dist/index.js'

const FIXTURES = resolve(__dirname, 'fixtures', 'embeddings')
const CORPUS = join(FIXTURES, 'corpus.txt')
const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-vocab-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** The C tool's -save-vocab file as [word, count] pairs (bytes decoded as lossy UTF-8, as we do). */
function cVocab(): [string, number][] {
  const text = new TextDecoder('utf-8').decode(readFileSync(join(FIXTURES, 'c_vocab.txt')))
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const i = l.lastIndexOf(' ')
      return [l.slice(0, i), Number(l.slice(i + 1))]
    })
}

describe('CorpusVocab.build', () => {
  it('counts, sorts by count (ties: first occurrence) and puts </s> first', async () => {
    const v = await CorpusVocab.build({ text: 'b a c a b a\nd c' }, { minCount: 1 })
    expect(v.words).toEqual(['</s>', 'a', 'b', 'c', 'd'])
    expect(v.counts).toEqual([1, 3, 2, 2, 1])
    expect(v.size).toBe(5)
    expect(v.trainWords).toBe(9)
    expect([v.id('</s>'), v.id('c'), v.id('zebra')]).toEqual([0, 3, null])
    expect([v.count('a'), v.count('zebra')]).toEqual([3, 0])
    expect([v.has('d'), v.has('e')]).toEqual([true, false])
  })

  it('matches the C tool\'s vocabulary on the same corpus (tokenisation, counts and order)', async () => {
    const want = cVocab()
    const v = await CorpusVocab.build(CORPUS, { minCount: 1 })
    expect(v.words).toEqual(want.map(([w]) => w))
    expect(v.counts).toEqual(want.map(([, c]) => c))
    expect(v.trainWords).toBe(want.reduce((s, [, c]) => s + c, 0))
    // The 121-byte word is cut to 98 bytes inside a UTF-8 character, as the C tool does.
    const cut = v.words.find((w) => w.startsWith('aé'))
    expect(cut).toBe('a' + 'é'.repeat(48) + '\uFFFD')
    // Loading the C tool's file gives the same vocabulary.
    const loaded = CorpusVocab.load(join(FIXTURES, 'c_vocab.txt'))
    expect(loaded.words).toEqual(v.words)
    expect(loaded.counts).toEqual(v.counts)
  })

  it('applies minCount and maxVocab (</s> always kept)', async () => {
    const full = await CorpusVocab.build(CORPUS, { minCount: 1 })
    const v = await CorpusVocab.build(CORPUS, { minCount: 30 })
    const kept = full.words.filter((w, i) => i === 0 || full.counts[i] >= 30)
    expect(v.words).toEqual(kept)
    expect(v.trainWords).toBe(kept.reduce((s, w) => s + full.count(w), 0))
    const top = await CorpusVocab.build(CORPUS, { minCount: 1, maxVocab: 4 })
    expect(top.words).toEqual(full.words.slice(0, 4))
    const byDefault = await CorpusVocab.build(CORPUS)
    expect(byDefault.words).toEqual(full.words.filter((w, i) => i === 0 || full.counts[i] >= 5))
  })

  it('reads { sentences } like the equivalent text', async () => {
    const sentences = [['the', 'cat', 'sat'], ['on', 'the', 'mat'], [], ['the']]
    const a = await CorpusVocab.build({ sentences }, { minCount: 1 })
    const b = await CorpusVocab.build({ text: 'the cat sat\non the mat\n\nthe\n' }, { minCount: 1 })
    expect(a.words).toEqual(b.words)
    expect(a.counts).toEqual(b.counts)
    expect(a.count('</s>')).toBe(4)
  })

  it('reports progress and ends with fraction 1', async () => {
    const path = join(tmp, 'big.txt')
    writeFileSync(path, 'alpha beta gamma delta\n'.repeat(100_000))
    const seen: VocabProgress[] = []
    const v = await CorpusVocab.build(path, { minCount: 1, onProgress: (p) => seen.push(p), progressIntervalMs: 1 })
    expect(v.trainWords).toBe(500_000)
    const last = seen[seen.length - 1]
    expect(last).toMatchObject({ phase: 'done', fraction: 1, bytesDone: 2_300_000, bytesTotal: 2_300_000 })
    for (let i = 1; i < seen.length; i++) expect(seen[i].bytesDone).toBeGreaterThanOrEqual(seen[i - 1].bytesDone)
    expect(seen.every((p) => p.fraction >= 0 && p.fraction <= 1 && p.elapsedSeconds >= 0)).toBe(true)
  })

  it('honours an AbortSignal', async () => {
    const before = new AbortController()
    before.abort()
    await expect(CorpusVocab.build({ text: 'a b c' }, { signal: before.signal })).rejects.toBeInstanceOf(AbortError)
    const during = new AbortController()
    const text = 'one two three four five six\n'.repeat(200_000)
    const p = CorpusVocab.build({ text }, { minCount: 1, signal: during.signal })
    during.abort()
    await expect(p).rejects.toBeInstanceOf(AbortError)
  })
})

describe('CorpusVocab save/load', () => {
  it('round-trips the C tool\'s -save-vocab format', async () => {
    const v = await CorpusVocab.build({ text: 'x y x z x y\n' }, { minCount: 1 })
    const path = join(tmp, 'vocab.txt')
    v.save(path)
    expect(readFileSync(path, 'utf8')).toBe('</s> 1\nx 3\ny 2\nz 1\n')
    const back = CorpusVocab.load(path)
    expect(back.words).toEqual(v.words)
    expect(back.counts).toEqual(v.counts)
    expect(CorpusVocab.load(path, { minCount: 2 }).words).toEqual(['</s>', 'x', 'y'])
    expect(CorpusVocab.load(path, { maxVocab: 2 }).words).toEqual(['</s>', 'x'])
  })

  it('names the line and byte offset of a corrupt file', () => {
    const path = join(tmp, 'bad-vocab.txt')
    writeFileSync(path, '</s> 0\nthe 12\ncat many\n')
    expect(() => CorpusVocab.load(path)).toThrow(FormatError)
    expect(() => CorpusVocab.load(path)).toThrow(/bad-vocab\.txt: line 3 \(byte offset 14\): count 'many' is not a non-negative integer/)
  })
})

describe('CorpusVocab argument errors', () => {
  it('names the argument', async () => {
    await expect(CorpusVocab.build(42 as never)).rejects.toThrow(TypeError)
    await expect(CorpusVocab.build(42 as never)).rejects.toThrow(/^corpus: expected a file path, \{ text \} or \{ sentences \}, got number 42/)
    await expect(CorpusVocab.build({ text: 'a', sentences: [] } as never)).rejects.toThrow(/^corpus: expected exactly one of/)
    await expect(CorpusVocab.build({ text: 7 } as never)).rejects.toThrow(/^corpus\.text: expected a string/)
    await expect(CorpusVocab.build({ sentences: [['ok', 'two words']] })).rejects.toThrow(/^corpus\.sentences\[0\]\[1\]: expected a non-empty token without whitespace/)
    await expect(CorpusVocab.build({ sentences: [['ok', 3]] } as never)).rejects.toThrow(/^corpus\.sentences\[0\]\[1\]: expected a string/)
    await expect(CorpusVocab.build({ text: ' \n\t\n' })).rejects.toThrow(InvalidArgumentError)
    await expect(CorpusVocab.build({ text: ' \n\t\n' })).rejects.toThrow(/^corpus: corpus contains no words/)
    await expect(CorpusVocab.build({ text: 'a b' }, { minCount: -1 })).rejects.toThrow(/^minCount: expected an integer/)
    await expect(CorpusVocab.build({ text: 'a b' }, { minCount: 1.5 })).rejects.toThrow(/^minCount: expected an integer/)
    await expect(CorpusVocab.build({ text: 'a b' }, { minCount: '2' } as never)).rejects.toThrow(/^minCount: expected a number/)
    await expect(CorpusVocab.build({ text: 'a b' }, { maxVocab: 0 })).rejects.toThrow(/^maxVocab: expected an integer in 1\.\./)
    await expect(CorpusVocab.build({ text: 'a b a' })).rejects.toThrow(/^minCount: no word of corpus occurs at least 5 times \(the most frequent, 'a', occurs 2 times\)/)
    await expect(CorpusVocab.build({ text: 'a' }, { onProgress: 3 } as never)).rejects.toThrow(/^onProgress: expected a function/)
    await expect(CorpusVocab.build({ text: 'a' }, { signal: {} } as never)).rejects.toThrow(/^signal: expected an AbortSignal/)
    await expect(CorpusVocab.build({ text: 'a' }, { progressIntervalMs: 0 })).rejects.toThrow(/^progressIntervalMs: expected a positive number/)
    const missing = join(tmp, 'no-such-corpus.txt')
    await expect(CorpusVocab.build(missing)).rejects.toThrow(IoError)
    await expect(CorpusVocab.build(missing)).rejects.toThrow(missing)
    expect(() => CorpusVocab.load(join(tmp, 'no-such-vocab.txt'))).toThrow(IoError)
    expect(() => CorpusVocab.load(3 as never)).toThrow(/^path: expected a string/)
    const v = await CorpusVocab.build({ text: 'a a' }, { minCount: 1 })
    expect(() => v.id(5 as never)).toThrow(/^word: expected a string/)
  })
})
