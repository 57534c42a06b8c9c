// The data layer: tokenizers, vocabularies, encoding and padding, bucketing, seeded shuffles and
// splits, language-model stream batches, the streaming line reader and atomic file writes.
// Expected values are derived by hand from the documented rules, not recorded from a run.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  batchifyStream,
  bpttBatches,
  bucketByLength,
  CharTokenizer,
  encodeSequences,
  FormatError,
  IntTensor,
  InvalidArgumentError,
  IoError,
  oneHot,
  padSequences,
  Random,
  readLines,
  shuffled,
  StateError,
  trainValTestSplit,
  Vocabulary,
  WordTokenizer,
  writeFileAtomic,
  writeFileAtomicSync,
  type VocabularyJSON,
} from '../dist/index.js'
import { expectError, expectRejection } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const FORMAT = 'ERR_SEQLEARN_FORMAT'
const IO = 'ERR_SEQLEARN_IO'
const STATE = 'ERR_SEQLEARN_STATE'

const work = mkdtempSync(join(tmpdir(), 'seqlearn-data-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
let fileNo = 0
/** A fresh empty directory under the suite's temp folder. */
function freshDir(): string {
  const d = join(work, `d${++fileNo}`)
  mkdirSync(d)
  return d
}

/** Element `[t, b]` of a 2-D int tensor. */
function at(t: { data: Int32Array; shape: number[] }, i: number, j: number): number {
  return t.data[i * t.shape[1] + j]
}

describe('CharTokenizer', () => {
  it('splits into code points, so a surrogate pair is one token', () => {
    const tok = new CharTokenizer()
    expect(tok.tokenize('ab c')).toEqual(['a', 'b', ' ', 'c'])
    expect(tok.tokenize('a😀b')).toEqual(['a', '😀', 'b'])
    expect(tok.tokenize('')).toEqual([])
  })

  it('round-trips any string without lowercase', () => {
    const tok = new CharTokenizer()
    for (const s of ['Call me Ishmael.', 'é (e + \u0301) ñ', 'line\r\nnext\ttab', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀👍🏽', '']) {
      expect(tok.detokenize(tok.tokenize(s))).toBe(s)
    }
  })

  it('lowercases when asked', () => {
    expect(new CharTokenizer({ lowercase: true }).tokenize('AbÇ')).toEqual(['a', 'b', 'ç'])
    expect(new CharTokenizer({ lowercase: true }).lowercase).toBe(true)
  })

  it('checks its arguments', () => {
    expectError(() => new CharTokenizer().tokenize(42 as unknown as string), TypeError, undefined, ['text', 'string', 'number 42'])
    expectError(() => new CharTokenizer({ lowercase: 'yes' as unknown as boolean }), TypeError, undefined, ['lowercase', 'boolean'])
    expectError(() => new CharTokenizer({ lowercas: true } as unknown as { lowercase: boolean }), InvalidArgumentError, INVALID, ["unknown option 'lowercas'", 'lowercase'])
    expectError(() => new CharTokenizer().detokenize(['a', 1 as unknown as string]), TypeError, undefined, ['tokens[1]', 'string'])
  })
})

describe('WordTokenizer', () => {
  const text = "Don't stop—the carpet-bag costs $3.50!"

  it('keeps punctuation as tokens by default; words keep inner apostrophes and hyphens', () => {
    expect(new WordTokenizer().tokenize(text)).toEqual(["Don't", 'stop', '—', 'the', 'carpet-bag', 'costs', '$', '3', '.', '50', '!'])
    expect(new WordTokenizer().tokenize('o’clock...  (x)')).toEqual(['o’clock', '.', '.', '.', '(', 'x', ')'])
  })

  it('drops punctuation and lowercases on request', () => {
    expect(new WordTokenizer({ punctuation: 'drop', lowercase: true }).tokenize(text)).toEqual(["don't", 'stop', 'the', 'carpet-bag', 'costs', '3', '50'])
  })

  it('accepts a custom pattern (the g flag is added), and drop still removes tokens without letters or digits', () => {
    const ws = new WordTokenizer({ pattern: /\S+/ })
    expect(ws.tokenize(' a,b  c . ')).toEqual(['a,b', 'c', '.'])
    expect(ws.pattern.flags).toContain('g')
    expect(new WordTokenizer({ pattern: /\S+/u, punctuation: 'drop' }).tokenize(' a,b  c . -- ')).toEqual(['a,b', 'c'])
  })

  it('detokenize follows the documented spacing rules', () => {
    const tok = new WordTokenizer()
    expect(tok.detokenize(['(', 'a', ')', 'b', ',', 'c', '.'])).toBe('(a) b, c.')
    expect(tok.detokenize(['ago', '—', 'never'])).toBe('ago—never')
    expect(tok.detokenize([])).toBe('')
  })

  it('round-trips text whose spacing follows the rules', () => {
    const tok = new WordTokenizer()
    for (const s of [
      'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, and nothing particular to interest me on shore.',
      "It's 5 o'clock (roughly); are you ready? Yes!",
      'Ahab’s leg, a 50% chance: “Aye, aye!”',
    ]) {
      expect(tok.detokenize(tok.tokenize(s))).toBe(s)
    }
  })

  it('checks its options', () => {
    expectError(() => new WordTokenizer({ punctuation: 'strip' as 'drop' }), InvalidArgumentError, INVALID, ['punctuation', "'keep', 'drop'", "'strip'"])
    expectError(() => new WordTokenizer({ pattern: '\\w+' as unknown as RegExp }), TypeError, undefined, ['pattern', 'RegExp'])
  })
})

describe('Vocabulary.build', () => {
  // counts: a 3, b 2, c 2, d 1; first appearance b < a < c < d.
  const corpus = [
    ['b', 'a', 'c', 'a'],
    ['c', 'd', 'b', 'a'],
  ]

  it('puts specials first, then tokens by decreasing count, ties by first appearance', () => {
    const v = Vocabulary.build(corpus)
    expect(v.tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd'])
    expect(v.counts).toEqual([0, 0, 0, 0, 3, 2, 2, 1])
    expect([v.padId, v.unkId, v.bosId, v.eosId]).toEqual([0, 1, 2, 3])
    expect(v.size).toBe(8)
    expect(v.id('c')).toBe(6)
    expect(v.id('zzz')).toBeUndefined()
    expect(v.has('d')).toBe(true)
    expect(v.token(5)).toBe('b')
    expect(v.count('a')).toBe(3)
    expect(v.count('zzz')).toBe(0)
    expect(v.isSpecial(3)).toBe(true)
    expect(v.isSpecial(4)).toBe(false)
  })

  it('ties follow first appearance: reordering the corpus swaps tied tokens only', () => {
    const v = Vocabulary.build([['c', 'b', 'a', 'a', 'a', 'b', 'c']])
    expect(v.tokens.slice(4)).toEqual(['a', 'c', 'b'])
  })

  it('gives the same ids from a flat token list, from any iterable, and on every build', () => {
    const flat = corpus.flat()
    const a = Vocabulary.build(flat)
    const b = Vocabulary.build(new Set(corpus)) // an iterable of arrays that is not an array
    const c = Vocabulary.build(function* () {
      yield* flat
    }())
    expect(a.tokens).toEqual(Vocabulary.build(corpus).tokens)
    expect(b.tokens).toEqual(a.tokens)
    expect(c.tokens).toEqual(a.tokens)
  })

  it('buildAsync over the tokenized lines of a file gives the same vocabulary as build', async () => {
    const p = join(freshDir(), 'corpus.txt')
    writeFileSync(p, corpus.map((l) => l.join(' ')).join('\n') + '\n')
    const tok = new WordTokenizer()
    const lines = async function* (): AsyncGenerator<string[]> {
      for await (const l of readLines(p)) yield tok.tokenize(l)
    }
    const a = await Vocabulary.buildAsync(lines(), { minCount: 2 })
    const b = Vocabulary.build(corpus, { minCount: 2 })
    expect(a.tokens).toEqual(b.tokens)
    expect(a.counts).toEqual(b.counts)
    expect((await Vocabulary.buildAsync(corpus.flat())).tokens).toEqual(Vocabulary.build(corpus).tokens) // sync iterables too
    await expectRejection(() => Vocabulary.buildAsync(42 as unknown as string[]), TypeError, undefined, ['tokens', 'iterable', 'number 42'])
  })

  it('minCount leaves out rare tokens; maxSize counts specials and cuts the least frequent', () => {
    expect(Vocabulary.build(corpus, { minCount: 2 }).tokens.slice(4)).toEqual(['a', 'b', 'c'])
    expect(Vocabulary.build(corpus, { minCount: 3 }).tokens.slice(4)).toEqual(['a'])
    expect(Vocabulary.build(corpus, { maxSize: 6 }).tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b'])
    expect(Vocabulary.build(corpus, { maxSize: 4 }).size).toBe(4)
    expectError(() => Vocabulary.build(corpus, { maxSize: 3 }), InvalidArgumentError, INVALID, ['maxSize', '[4,', 'got 3'])
    expectError(() => Vocabulary.build(corpus, { minCount: -1 }), InvalidArgumentError, INVALID, ['minCount', 'got -1'])
  })

  it('custom specials and roles; a missing role is a StateError naming it', () => {
    const v = Vocabulary.build(corpus, { specials: ['[PAD]', '[UNK]', '[SEP]'], roles: { pad: '[PAD]', unk: '[UNK]' } })
    expect(v.tokens.slice(0, 4)).toEqual(['[PAD]', '[UNK]', '[SEP]', 'a'])
    expect(v.padId).toBe(0)
    expect(v.unkId).toBe(1)
    expect(v.roles).toEqual({ pad: '[PAD]', unk: '[UNK]' })
    expectError(() => v.bosId, StateError, STATE, ['bosId', 'no bos token', '[PAD], [UNK], [SEP]'])
    expectError(() => v.encode(['a'], { addEos: true }), StateError, STATE, ['eosId'])
    // Roles default to the default token names when they are among specials, and null removes one.
    const w = Vocabulary.build(corpus, { specials: ['<pad>', '<eos>'], roles: { pad: null } })
    expect(w.roles).toEqual({ eos: '<eos>' })
    expectError(() => Vocabulary.build(corpus, { specials: ['<pad>'], roles: { unk: '<unk>' } }), InvalidArgumentError, INVALID, ['roles.unk', "'<unk>'", 'not among specials'])
    expectError(() => Vocabulary.build(corpus, { specials: ['<pad>', '<pad>'] }), InvalidArgumentError, INVALID, ['specials[1]', 'repeats specials[0]'])
  })

  it('a special token found in the corpus keeps its special id and its count', () => {
    const v = Vocabulary.build([['<unk>', 'x', '<unk>', '<pad>']])
    expect(v.tokens).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'x'])
    expect(v.counts).toEqual([1, 2, 0, 0, 1])
  })

  it('rejects a bare string, mixed flat/nested items and non-string tokens, naming the position', () => {
    expectError(() => Vocabulary.build('hello' as unknown as string[]), TypeError, undefined, ['tokens', 'got a string', 'tokenize'])
    expectError(() => Vocabulary.build(['a', ['b']] as unknown as string[]), TypeError, undefined, ['tokens[1]', 'string token'])
    expectError(() => Vocabulary.build([['a'], 'b'] as unknown as string[][]), TypeError, undefined, ['tokens[1]', 'token array'])
    expectError(() => Vocabulary.build([['a', 'b'], ['c', 7]] as unknown as string[][]), TypeError, undefined, ['tokens[1][1]', 'number 7'])
    expectError(() => Vocabulary.build(corpus, { max: 3 } as unknown as { maxSize: number }), InvalidArgumentError, INVALID, ["unknown option 'max'", 'maxSize'])
  })
})

describe('Vocabulary encode / decode', () => {
  const v = Vocabulary.build([['the', 'whale', 'the', 'sea']])
  // ids: <pad> 0, <unk> 1, <bos> 2, <eos> 3, the 4, whale 5, sea 6

  it('encodes to Int32Array, mapping unknown tokens to <unk> by default', () => {
    const ids = v.encode(['the', 'white', 'whale'])
    expect(ids).toBeInstanceOf(Int32Array)
    expect(Array.from(ids)).toEqual([4, 1, 5])
    expect(Array.from(v.encode(['sea'], { addBos: true, addEos: true }))).toEqual([2, 6, 3])
    expect(Array.from(v.encode([], { addEos: true }))).toEqual([3])
  })

  it("unknown: 'error' names the token and its position", () => {
    expectError(() => v.encode(['the', 'sea', 'Ahab'], { unknown: 'error' }), InvalidArgumentError, INVALID, ['tokens[2]', '"Ahab"', 'not in the vocabulary'])
    expectError(() => v.encode(['the'], { unknown: 'skip' as 'unk' }), InvalidArgumentError, INVALID, ['unknown', "'unk', 'error'", "'skip'"])
  })

  it('a vocabulary without <unk> can encode known tokens, and says why it cannot encode unknown ones', () => {
    const chars = Vocabulary.build(['a', 'b'], { specials: [] })
    expect(Array.from(chars.encode(['b', 'a']))).toEqual([1, 0])
    expectError(() => chars.encode(['a', 'c']), StateError, STATE, ['tokens[1]', '"c"', 'no unknown token'])
  })

  it('decodes ids, optionally skipping specials, and checks every id', () => {
    expect(v.decode(new Int32Array([2, 4, 5, 3, 0]))).toEqual(['<bos>', 'the', 'whale', '<eos>', '<pad>'])
    expect(v.decode([2, 4, 5, 3, 0], { skipSpecial: true })).toEqual(['the', 'whale'])
    expectError(() => v.decode([4, 7]), InvalidArgumentError, INVALID, ['ids[1]', '[0, 6]', 'got 7'])
    expectError(() => v.decode([4, 1.5]), InvalidArgumentError, INVALID, ['ids[1]', 'got 1.5'])
    expectError(() => v.token(-1), InvalidArgumentError, INVALID, ['id', '[0, 6]', 'got -1'])
  })

  it('encode ∘ decode is the identity on known tokens', () => {
    const toks = ['sea', 'the', 'whale', 'the']
    expect(v.decode(v.encode(toks))).toEqual(toks)
  })

  it('encodeSequences names the sequence and position of an unknown token', () => {
    const out = encodeSequences(v, [['the', 'sea'], ['whale']], { addEos: true })
    expect(out.map((a) => Array.from(a))).toEqual([[4, 6, 3], [5, 3]])
    expectError(() => encodeSequences(v, [['the'], ['sea', 'x', 'y']], { unknown: 'error' }), InvalidArgumentError, INVALID, ['sequences[1][1]', '"x"'])
    expectError(() => encodeSequences({} as Vocabulary, []), TypeError, undefined, ['vocab', 'Vocabulary'])
  })
})

describe('Vocabulary files', () => {
  const v = Vocabulary.build([['call', 'me', 'Ishmael', 'me', '"quoted"', 'naïve', '😀']], { specials: ['<pad>', '<unk>'] })

  it('toJSON / fromJSON round trip, through JSON text too', () => {
    const j = v.toJSON()
    expect(j.format).toBe('seqlearn-vocabulary')
    expect(j.version).toBe(1)
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)))
    expect(back.tokens).toEqual(v.tokens)
    expect(back.counts).toEqual(v.counts)
    expect(back.specials).toEqual(v.specials)
    expect(back.roles).toEqual(v.roles)
    expect(back.unkId).toBe(1)
  })

  it('save / load round trip (async and sync), written atomically with no temporary file left', async () => {
    const dir = freshDir()
    const p = join(dir, 'vocab.json')
    await v.save(p)
    const a = await Vocabulary.load(p)
    expect(a.tokens).toEqual(v.tokens)
    expect(a.counts).toEqual(v.counts)
    v.saveSync(p) // overwrite
    const b = Vocabulary.loadSync(p)
    expect(Array.from(b.encode(['me', 'naïve', 'whale']))).toEqual(Array.from(v.encode(['me', 'naïve', 'whale'])))
    expect(readdirSync(dir)).toEqual(['vocab.json'])
  })

  /** Writes `json` (an object, or raw text) to a file and expects `load` to fail with a FormatError naming the path and `includes`. */
  async function expectCorrupt(content: unknown, includes: string[]): Promise<void> {
    const p = join(freshDir(), 'bad.json')
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
    await expectRejection(() => Vocabulary.load(p), FormatError, FORMAT, [p, ...includes])
    expectError(() => Vocabulary.loadSync(p), FormatError, FORMAT, [p, ...includes])
  }

  it('corrupt files give a FormatError naming the path and the field', async () => {
    const good = (): VocabularyJSON => v.toJSON()
    const text = JSON.stringify(good())
    await expectCorrupt(text.slice(0, Math.floor(text.length / 2)), ['invalid JSON'])
    await expectCorrupt('', ['invalid JSON'])
    await expectCorrupt([1, 2], ['expected a vocabulary object'])
    await expectCorrupt({ ...good(), format: 'word2vec' }, ["field 'format'", "'seqlearn-vocabulary'"])
    await expectCorrupt({ ...good(), version: 2 }, ["field 'version'", 'expected 1', 'number 2'])
    await expectCorrupt({ ...good(), tokens: 'abc' }, ["field 'tokens'", 'array of strings'])
    const dupTokens = good()
    dupTokens.tokens[4] = dupTokens.tokens[3]
    await expectCorrupt(dupTokens, ["field 'tokens[4]'", 'repeats tokens[3]'])
    const numTok = good() as unknown as { tokens: unknown[] }
    numTok.tokens[2] = 5
    await expectCorrupt(numTok, ["field 'tokens[2]'", 'expected a string', 'number 5'])
    await expectCorrupt({ ...good(), counts: good().counts.slice(1) }, ["field 'counts'", `expected ${v.size} entries`, `got ${v.size - 1}`])
    const negCount = good()
    negCount.counts[3] = -2
    await expectCorrupt(negCount, ["field 'counts[3]'", 'non-negative integer'])
    await expectCorrupt({ ...good(), specials: ['<unk>', '<pad>'] }, ["field 'specials[0]'", '"<pad>"'])
    await expectCorrupt({ ...good(), roles: { pad: 'me' } }, ["field 'roles.pad'", 'one of the specials'])
    await expectCorrupt({ ...good(), roles: { sep: '<pad>' } }, ["field 'roles.sep'", 'unknown role'])
    const { counts: _dropped, ...noCounts } = good()
    await expectCorrupt(noCounts, ["field 'counts'", 'undefined'])
  })

  it('an unreadable file gives an IoError naming the path', async () => {
    const p = join(work, 'no-such-dir', 'vocab.json')
    await expectRejection(() => Vocabulary.load(p), IoError, IO, [p, 'ENOENT'])
    expectError(() => Vocabulary.loadSync(p), IoError, IO, [p, 'ENOENT'])
    await expectRejection(() => v.save(p), IoError, IO, [p, 'ENOENT'])
    expectError(() => Vocabulary.loadSync(''), TypeError, undefined, ['path', 'non-empty string'])
  })
})

describe('oneHot', () => {
  it('puts a 1 at each id, shape [...ids.shape, numClasses]', () => {
    const t = oneHot([2, 0, 1], 3)
    expect(t.shape).toEqual([3, 3])
    expect(Array.from(t.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0])
    const u = oneHot(new IntTensor(new Int32Array([0, 1, 1, 0, 3, 2]), [2, 3]), 4)
    expect(u.shape).toEqual([2, 3, 4])
    for (let i = 0; i < 6; i++) {
      const row = Array.from(u.data.subarray(i * 4, i * 4 + 4))
      expect(row.reduce((a, b) => a + b, 0)).toBe(1)
      expect(row.indexOf(1)).toBe([0, 1, 1, 0, 3, 2][i])
    }
    expect(oneHot(new Int32Array(0), 5).shape).toEqual([0, 5])
  })

  it('checks ids and numClasses', () => {
    expectError(() => oneHot([0, 3], 3), InvalidArgumentError, INVALID, ['ids[1]', '[0, 2]', 'got 3'])
    expectError(() => oneHot([0, -1], 3), InvalidArgumentError, INVALID, ['ids[1]', 'got -1'])
    expectError(() => oneHot([0], 0), InvalidArgumentError, INVALID, ['numClasses', 'got 0'])
    expectError(() => oneHot([0.5], 2), InvalidArgumentError, INVALID, ['ids[0]', '32-bit integer', '0.5'])
    expectError(() => oneHot({ data: new Int32Array(3), shape: [2, 2] }, 2), InvalidArgumentError, INVALID, ['ids', '[2, 2]', 'needs 4', 'got 3'])
  })
})

describe('padSequences', () => {
  const seqs = [new Int32Array([5, 6, 7]), new Int32Array([8]), new Int32Array([]), new Int32Array([1, 2, 3, 4, 9])]

  it('time-major [T, B] by default, padding after the ids, T = the longest length', () => {
    const { ids, lengths } = padSequences(seqs)
    expect(ids.shape).toEqual([5, 4])
    expect(lengths).toEqual([3, 1, 0, 5])
    for (let b = 0; b < 4; b++) {
      for (let t = 0; t < 5; t++) expect(at(ids, t, b)).toBe(t < seqs[b].length ? seqs[b][t] : 0)
    }
  })

  it('batchFirst gives [B, T]; padId fills the padding', () => {
    const { ids } = padSequences([[1, 2], [3]], { batchFirst: true, padId: -1 })
    expect(ids.shape).toEqual([2, 2])
    expect(Array.from(ids.data)).toEqual([1, 2, 3, -1])
  })

  it("maxLength truncates: 'post' keeps the first ids, 'pre' the last; lengths are the kept lengths", () => {
    const post = padSequences(seqs, { maxLength: 2, batchFirst: true })
    expect(post.ids.shape).toEqual([4, 2])
    expect(Array.from(post.ids.data)).toEqual([5, 6, 8, 0, 0, 0, 1, 2])
    expect(post.lengths).toEqual([2, 1, 0, 2])
    const pre = padSequences(seqs, { maxLength: 2, truncate: 'pre', batchFirst: true })
    expect(Array.from(pre.ids.data)).toEqual([6, 7, 8, 0, 0, 0, 4, 9])
    // maxLength above the longest length changes nothing.
    expect(padSequences(seqs, { maxLength: 50 }).ids.shape).toEqual([5, 4])
  })

  it('an empty list gives a [0, 0] tensor', () => {
    const { ids, lengths } = padSequences([])
    expect(ids.shape).toEqual([0, 0])
    expect(lengths).toEqual([])
  })

  it('checks its arguments', () => {
    expectError(() => padSequences([[1, 2.5]]), InvalidArgumentError, INVALID, ['seqs[0][1]', '2.5'])
    expectError(() => padSequences([new Int32Array(1), 'ab' as unknown as number[]]), TypeError, undefined, ['seqs[1]', 'Int32Array'])
    expectError(() => padSequences(seqs, { truncate: 'middle' as 'pre' }), InvalidArgumentError, INVALID, ['truncate', "'pre', 'post'"])
    expectError(() => padSequences(seqs, { maxLength: -1 }), InvalidArgumentError, INVALID, ['maxLength', 'got -1'])
    expectError(() => padSequences(seqs, { maxLen: 3 } as unknown as { maxLength: number }), InvalidArgumentError, INVALID, ["unknown option 'maxLen'"])
  })
})

describe('bucketByLength', () => {
  // Deterministic pseudo-random lengths 0…59 with one long outlier.
  const rng = new Random(99)
  const lengths = Array.from({ length: 203 }, () => rng.nextInt(60))
  lengths[17] = 1000

  function expectPartition(batches: number[][], n: number, batchSize: number): void {
    const seen = new Array<number>(n).fill(0)
    for (const b of batches) {
      expect(b.length).toBeGreaterThan(0)
      expect(b.length).toBeLessThanOrEqual(batchSize)
      for (const i of b) seen[i]++
    }
    expect(seen.every((c) => c === 1), 'every index exactly once').toBe(true)
  }

  it('covers every index exactly once (width, count and default buckets, with and without shuffle)', () => {
    for (const opts of [{ bucketWidth: 10 }, { bucketWidth: 1 }, { numBuckets: 4 }, { numBuckets: 500 }, {}]) {
      for (const shuffle of [false, true]) {
        expectPartition(bucketByLength(lengths, { batchSize: 16, shuffle, seed: 3, ...opts }), lengths.length, 16)
      }
    }
  })

  it('width buckets: a batch spans less than bucketWidth; unshuffled, buckets ascend and indices ascend', () => {
    const batches = bucketByLength(lengths, { batchSize: 8, bucketWidth: 10 })
    const minLen = Math.min(...lengths)
    let prevBucket = -1
    for (const b of batches) {
      const ls = b.map((i) => lengths[i])
      const bucket = Math.floor((Math.min(...ls) - minLen) / 10)
      expect(Math.floor((Math.max(...ls) - minLen) / 10)).toBe(bucket)
      expect(bucket).toBeGreaterThanOrEqual(prevBucket)
      prevBucket = bucket
      expect([...b].sort((x, y) => x - y)).toEqual(b)
    }
  })

  it('count buckets hold near-equal numbers of items, so an outlier does not swallow them', () => {
    const batches = bucketByLength(lengths, { batchSize: 1000, numBuckets: 4 })
    expect(batches.map((b) => b.length)).toEqual([50, 51, 51, 51]) // ⌊k·203/4⌋ cuts
    // Buckets are ordered by length: the max of one is ≤ the min of the next.
    for (let k = 1; k < 4; k++) {
      expect(Math.max(...batches[k - 1].map((i) => lengths[i]))).toBeLessThanOrEqual(Math.min(...batches[k].map((i) => lengths[i])))
    }
    expect(batches[3]).toContain(17)
  })

  it('dropLast keeps only full batches', () => {
    const batches = bucketByLength(lengths, { batchSize: 16, bucketWidth: 10, dropLast: true })
    expect(batches.every((b) => b.length === 16)).toBe(true)
    expect(new Set(batches.flat()).size).toBe(batches.length * 16)
  })

  it('seeded shuffle: reproducible for a seed, different across seeds', () => {
    const a = bucketByLength(lengths, { batchSize: 8, bucketWidth: 10, shuffle: true, seed: 1 })
    const b = bucketByLength(lengths, { batchSize: 8, bucketWidth: 10, shuffle: true, seed: 1 })
    const c = bucketByLength(lengths, { batchSize: 8, bucketWidth: 10, shuffle: true, seed: 2 })
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    expect(a).not.toEqual(bucketByLength(lengths, { batchSize: 8, bucketWidth: 10 }))
  })

  it('checks its arguments', () => {
    expect(bucketByLength([], { batchSize: 4 })).toEqual([])
    expectError(() => bucketByLength(lengths, { batchSize: 4, bucketWidth: 2, numBuckets: 3 }), InvalidArgumentError, INVALID, ['at most one of bucketWidth and numBuckets', 'both'])
    expectError(() => bucketByLength(lengths, { batchSize: 0 }), InvalidArgumentError, INVALID, ['batchSize', 'got 0'])
    expectError(() => bucketByLength([3, -1], { batchSize: 2 }), InvalidArgumentError, INVALID, ['lengths[1]', 'non-negative', '-1'])
    expectError(() => bucketByLength(lengths, { batchSize: 2, bucketWidth: 0 }), InvalidArgumentError, INVALID, ['bucketWidth', 'got 0'])
    expectError(() => bucketByLength(lengths, undefined as unknown as { batchSize: number }), TypeError, undefined, ['options', 'batchSize'])
  })
})

describe('seeded randomness', () => {
  it('xoshiro128** reproduces the reference C implementation from state [1, 2, 3, 4]', () => {
    // First outputs of xoshiro128starstar.c (Blackman & Vigna) seeded with s = {1, 2, 3, 4}.
    const r = Random.fromState([1, 2, 3, 4])
    const got = Array.from({ length: 10 }, () => r.nextUint32())
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804])
    for (let i = 0; i < 990; i++) r.nextUint32()
    expect(r.nextUint32()).toBe(136054147)
  })

  it('nextInt is uniform without modulo bias and nextFloat stays in [0, 1)', () => {
    const r = new Random(7)
    const counts = new Array<number>(6).fill(0)
    for (let i = 0; i < 60000; i++) counts[r.nextInt(6)]++
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400) // > 4 standard deviations
    // n = 3·2^30: plain `x % n` would give [0, 2^30) twice the mass of the rest.
    const big = 3 * 2 ** 30
    let low = 0
    for (let i = 0; i < 30000; i++) if (r.nextInt(big) < 2 ** 30) low++
    expect(Math.abs(low - 10000)).toBeLessThan(400)
    let lo = 1
    let hi = 0
    for (let i = 0; i < 10000; i++) {
      const f = r.nextFloat()
      lo = Math.min(lo, f)
      hi = Math.max(hi, f)
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    expect(hi - lo).toBeGreaterThan(0.99)
    expectError(() => r.nextInt(0), InvalidArgumentError, INVALID, ['n', 'got 0'])
  })

  it('shuffled(n, seed) is a permutation, reproducible, and different across seeds', () => {
    const a = shuffled(1000, 42)
    expect(a).toBeInstanceOf(Int32Array)
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(shuffled(1000, 42)).toEqual(a)
    expect(shuffled(1000, 43)).not.toEqual(a)
    expect(shuffled(1000, 42 + 2 ** 32)).not.toEqual(a) // the high half of the seed counts
    expect(Array.from(a)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(Array.from(shuffled(0, 1))).toEqual([])
    expect(Array.from(shuffled(1, 1))).toEqual([0])
  })

  it('every position is equally likely (Fisher–Yates without bias)', () => {
    // Over many seeds, each of 4 items lands at each of 4 positions about 1/4 of the time.
    const hits = Array.from({ length: 4 }, () => new Array<number>(4).fill(0))
    for (let seed = 0; seed < 8000; seed++) shuffled(4, seed).forEach((item, pos) => hits[item][pos]++)
    for (const row of hits) for (const h of row) expect(Math.abs(h - 2000)).toBeLessThan(200)
  })

  it('checks seeds', () => {
    expectError(() => shuffled(3, -1), InvalidArgumentError, INVALID, ['seed', 'got -1'])
    expectError(() => shuffled(3, 0.5), InvalidArgumentError, INVALID, ['seed', '0.5'])
    expectError(() => new Random(2 ** 60), InvalidArgumentError, INVALID, ['seed'])
    expectError(() => shuffled(-2, 0), InvalidArgumentError, INVALID, ['n', 'got -2'])
  })
})

describe('trainValTestSplit', () => {
  it('index splits are disjoint, complete and sized as documented', () => {
    const s = trainValTestSplit(1000, { valFraction: 0.15, testFraction: 0.2, seed: 5 })
    expect([s.train.length, s.val.length, s.test.length]).toEqual([650, 150, 200])
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    // Defaults: 10 % / 10 %, shuffled with seed 0.
    const d = trainValTestSplit(101)
    expect([d.train.length, d.val.length, d.test.length]).toEqual([81, 10, 10])
    expect(d).toEqual(trainValTestSplit(101, { seed: 0 }))
    expect(d).not.toEqual(trainValTestSplit(101, { seed: 1 }))
  })

  it('item splits carry the items; shuffle: false keeps the order (train first, test last)', () => {
    const items = Array.from({ length: 10 }, (_, i) => `x${i}`)
    const s = trainValTestSplit(items, { valFraction: 0.2, testFraction: 0.3, shuffle: false })
    expect(s).toEqual({ train: ['x0', 'x1', 'x2', 'x3', 'x4'], val: ['x5', 'x6'], test: ['x7', 'x8', 'x9'] })
    const r = trainValTestSplit(items, { seed: 3 })
    expect([...r.train, ...r.val, ...r.test].sort()).toEqual([...items].sort())
  })

  it('never overfills: fractions summing to 1 leave train empty, rounding cannot exceed n', () => {
    const s = trainValTestSplit(1, { valFraction: 0.5, testFraction: 0.5 })
    expect(s.train.length + s.val.length + s.test.length).toBe(1)
    const t = trainValTestSplit(10, { valFraction: 0.7, testFraction: 0.3 })
    expect([t.train.length, t.val.length, t.test.length]).toEqual([0, 7, 3])
  })

  it('checks its arguments', () => {
    expectError(() => trainValTestSplit(10, { valFraction: 0.6, testFraction: 0.5 }), InvalidArgumentError, INVALID, ['valFraction + testFraction', 'at most 1', '1.1'])
    expectError(() => trainValTestSplit(10, { testFraction: -0.1 }), InvalidArgumentError, INVALID, ['testFraction', '[0, 1]', '-0.1'])
    expectError(() => trainValTestSplit(10, { valFraction: NaN }), InvalidArgumentError, INVALID, ['valFraction', 'NaN'])
    expectError(() => trainValTestSplit('abc' as unknown as number), TypeError, undefined, ['items', 'array or a count'])
  })
})

describe('batchifyStream and bpttBatches', () => {
  const ids = Int32Array.from({ length: 26 }, (_, i) => i)

  it('batchify: [steps, B] time-major contiguous streams, the remainder dropped', () => {
    const s = batchifyStream(ids, 4)
    expect(s.shape).toEqual([6, 4]) // ⌊26 / 4⌋ = 6; ids 24, 25 dropped
    for (let t = 0; t < 6; t++) for (let b = 0; b < 4; b++) expect(at(s, t, b)).toBe(b * 6 + t)
    expect(batchifyStream(ids, 1).shape).toEqual([26, 1])
    expect(batchifyStream(ids, 26).shape).toEqual([1, 26])
  })

  it('bptt windows: targets are the inputs shifted by one step; the last window is shorter', () => {
    const s = batchifyStream(ids, 4)
    const windows = [...bpttBatches(s, 2)]
    // steps = 6 → windows at i = 0, 2, 4 with T = 2, 2, 1 (⌈5 / 2⌉ = 3 windows).
    expect(windows.map((w) => w.input.shape)).toEqual([[2, 4], [2, 4], [1, 4]])
    let step = 0
    for (const w of windows) {
      expect(w.target.shape).toEqual(w.input.shape)
      for (let t = 0; t < w.input.shape[0]; t++) {
        for (let b = 0; b < 4; b++) {
          expect(at(w.input, t, b)).toBe(at(s, step + t, b))
          expect(at(w.target, t, b)).toBe(at(s, step + t + 1, b))
        }
      }
      step += w.input.shape[0]
    }
    expect(step).toBe(5) // every step but the last is an input once
    expect([...bpttBatches(s, 100)].map((w) => w.input.shape)).toEqual([[5, 4]])
    expect([...bpttBatches(batchifyStream(ids, 26), 3)]).toEqual([]) // one step: nothing to predict
  })

  it('checks its arguments at the call', () => {
    expectError(() => batchifyStream(ids, 27), InvalidArgumentError, INVALID, ['batchSize', '27', 'length 26'])
    expectError(() => batchifyStream([1, 2] as unknown as Int32Array, 1), TypeError, undefined, ['ids', 'Int32Array'])
    expectError(() => bpttBatches(new IntTensor(new Int32Array(6), [6]), 2), InvalidArgumentError, INVALID, ['stream', '[steps, B]', '[6]'])
    expectError(() => bpttBatches(batchifyStream(ids, 2), 0), InvalidArgumentError, INVALID, ['seqLen', 'got 0'])
  })
})

describe('readLines', () => {
  async function collect(it: AsyncIterable<string>): Promise<string[]> {
    const out: string[] = []
    for await (const l of it) out.push(l)
    return out
  }

  it('yields the lines of LF and CRLF files, a last line without terminator, and drops a BOM', async () => {
    const p = join(freshDir(), 'mixed.txt')
    writeFileSync(p, '\uFEFFfirst line\r\nsecond\n\nünïcödé 😀\r\nlast without newline')
    expect(await collect(readLines(p))).toEqual(['first line', 'second', '', 'ünïcödé 😀', 'last without newline'])
    const q = join(freshDir(), 'trailing.txt')
    writeFileSync(q, 'a\nb\n')
    expect(await collect(readLines(q))).toEqual(['a', 'b'])
    const e = join(freshDir(), 'empty.txt')
    writeFileSync(e, '')
    expect(await collect(readLines(e))).toEqual([])
  })

  it('streams a generated file of many lines, with chunk boundaries inside multi-byte characters', async () => {
    const p = join(freshDir(), 'big.txt')
    const n = 120_000
    const line = (i: number): string => `${i} é—😀 ${'x'.repeat(i % 97)}`
    writeFileSync(p, Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n')
    let count = 0
    for await (const l of readLines(p)) {
      if (l !== line(count)) throw new Error(`line ${count}: got ${JSON.stringify(l.slice(0, 40))}`)
      count++
    }
    expect(count).toBe(n)
  })

  it('decodes other encodings', async () => {
    const p = join(freshDir(), 'latin1.txt')
    writeFileSync(p, Buffer.from('café\nnaïve\n', 'latin1'))
    expect(await collect(readLines(p, { encoding: 'latin1' }))).toEqual(['café', 'naïve'])
  })

  it('stopping early is fine', async () => {
    const p = join(freshDir(), 'three.txt')
    writeFileSync(p, '1\n2\n3\n')
    for await (const l of readLines(p)) {
      expect(l).toBe('1')
      break
    }
  })

  it('an unreadable path rejects the iteration with an IoError naming the path', async () => {
    const missing = join(work, 'nope', 'corpus.txt')
    await expectRejection(() => collect(readLines(missing)), IoError, IO, [missing, 'ENOENT'])
    const dir = freshDir()
    await expectRejection(() => collect(readLines(dir)), IoError, IO, [dir, 'EISDIR'])
  })

  it('checks its arguments at the call', () => {
    expectError(() => readLines(''), TypeError, undefined, ['path', 'non-empty'])
    expectError(() => readLines('x', { encoding: 'utf-9' as BufferEncoding }), InvalidArgumentError, INVALID, ['encoding', "'utf-9'"])
  })
})

describe('writeFileAtomic', () => {
  it('writes and overwrites text and bytes, leaving no temporary file', async () => {
    const dir = freshDir()
    const p = join(dir, 'out.txt')
    await writeFileAtomic(p, 'first')
    expect(readFileSync(p, 'utf8')).toBe('first')
    await writeFileAtomic(p, new Uint8Array([0, 255, 7]))
    expect(Array.from(readFileSync(p))).toEqual([0, 255, 7])
    writeFileAtomicSync(p, 'naïve', { encoding: 'latin1' })
    expect(readFileSync(p, 'latin1')).toBe('naïve')
    writeFileAtomicSync(p, '')
    expect(readFileSync(p, 'utf8')).toBe('')
    expect(readdirSync(dir)).toEqual(['out.txt'])
  })

  it('concurrent writers to one path: every write succeeds and the file is exactly one of them', async () => {
    const dir = freshDir()
    const p = join(dir, 'shared.txt')
    const contents = Array.from({ length: 12 }, (_, k) => `${k}:`.padEnd(200_000, String.fromCharCode(97 + k)))
    await Promise.all(contents.map((c) => writeFileAtomic(p, c)))
    expect(contents).toContain(readFileSync(p, 'utf8'))
    expect(readdirSync(dir)).toEqual(['shared.txt'])
  })

  it('a failed write throws an IoError naming the path and leaves the directory as it was', async () => {
    const missing = join(work, 'absent-dir', 'f.txt')
    await expectRejection(() => writeFileAtomic(missing, 'x'), IoError, IO, [missing, 'ENOENT'])
    expectError(() => writeFileAtomicSync(missing, 'x'), IoError, IO, [missing, 'ENOENT'])
    // The target is a directory: the rename fails after the temporary file was written.
    const dir = freshDir()
    const target = join(dir, 'sub')
    mkdirSync(target)
    await expectRejection(() => writeFileAtomic(target, 'x'), IoError, IO, [target])
    expectError(() => writeFileAtomicSync(target, 'x'), IoError, IO, [target])
    expect(readdirSync(dir)).toEqual(['sub'])
  })

  it('checks its arguments', () => {
    expectError(() => writeFileAtomicSync('', 'x'), TypeError, undefined, ['path'])
    expectError(() => writeFileAtomicSync(join(work, 'a.txt'), 5 as unknown as string), TypeError, undefined, ['data', 'string or a Uint8Array', 'number 5'])
    expectError(() => writeFileAtomicSync(join(work, 'a.txt'), 'x', { encoding: 'utf-9' as BufferEncoding }), InvalidArgumentError, INVALID, ['encoding', "'utf-9'"])
    expectError(() => writeFileAtomicSync(join(work, 'a.txt'), 'x', { mode: 0o10000 }), InvalidArgumentError, INVALID, ['mode'])
  })
})
