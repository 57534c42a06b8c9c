// N-gram language models: hand-computed probabilities of a tiny corpus for Kneser–Ney and
// Witten–Bell, every context summing to 1, ARPA files both ways (scores equal KenLM's on a
// committed ARPA model, fixture made by test/fixtures/make_decode_fixtures.py), perplexity,
// async forms, and argument and file errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NgramLanguageModel, FormatError, InvalidArgumentError, IoError } from '../dist/index.js'
import { expectError, expectRejection } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const dir = mkdtempSync(join(tmpdir(), 'seqlearn-ngram-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// <s> a b </s>, <s> b a </s>, <s> a </s>: predictable tokens {<unk>, </s>, a, b} → uniform 1/4.
const TINY = ['a b', 'b a', 'a']
const p = (m: NgramLanguageModel, ctx: string[], w: string): number => Math.exp(m.logProb(ctx, w))

describe('NgramLanguageModel: hand-computed probabilities', () => {
  it('Witten–Bell: p(w|h) = (c(hw) + T(h) p(w|h′)) / (Σc + T(h))', () => {
    const m = NgramLanguageModel.train(TINY, { order: 2, smoothing: 'witten-bell' })
    expect(m.smoothing).toBe('witten-bell')
    // Unigrams: c(a)=3, c(b)=2, c(</s>)=3; Σ=8, T=3 → (c + 3·¼) / 11.
    expect(p(m, [], 'a')).toBeCloseTo(3.75 / 11, 12)
    expect(p(m, [], '<unk>')).toBeCloseTo(0.75 / 11, 12)
    // After <s>: a×2, b×1 → (c + 2 p(w)) / 5.
    expect(p(m, ['<s>'], 'a')).toBeCloseTo(59 / 110, 12)
    expect(p(m, ['<s>'], 'b')).toBeCloseTo(0.3, 12)
    expect(p(m, ['<s>'], '</s>')).toBeCloseTo((0.4 * 3.75) / 11, 12)
    // After b: a×1, </s>×1 → (c + 2 p(w)) / 4.
    expect(p(m, ['b'], 'a')).toBeCloseTo(37 / 88, 12)
    // A string context is tokenized at the model's level (no <s> added).
    expect(m.logProb('b', 'a')).toBe(m.logProb(['b'], 'a'))
  })

  it('Kneser–Ney: continuation counts below the top order, fallback discounts 0.5/1/1.5 on a tiny corpus', () => {
    const m = NgramLanguageModel.train(TINY, { order: 2 })
    expect(m.smoothing).toBe('kneser-ney')
    expect(m.discounts()).toEqual([[0.5, 1, 1.5], [0.5, 1, 1.5]])
    // N1+(•a) = N1+(•b) = N1+(•</s>) = 2, Σ = 6, γ = 1·3/6 → p = (2 − 1)/6 + ½·¼ = 7/24.
    expect(p(m, [], 'a')).toBeCloseTo(7 / 24, 12)
    expect(p(m, [], '<unk>')).toBeCloseTo(1 / 8, 12)
    // Bigrams after <s>: a×2, b×1, γ = (0.5 + 1)/3 = ½.
    expect(p(m, ['<s>'], 'a')).toBeCloseTo(1 / 3 + 7 / 48, 12)
    expect(p(m, ['<s>'], 'b')).toBeCloseTo(0.5 / 3 + 7 / 48, 12)
    expect(p(m, ['b'], 'a')).toBeCloseTo(0.25 + 7 / 48, 12)
    const m3 = NgramLanguageModel.train(TINY, { order: 3 })
    // Middle order: N1+(•a b) = 1, N1+(•a </s>) = 2 → 1/3 + ½·7/24 = 23/48; top order after <s> a.
    expect(p(m3, ['a'], '</s>')).toBeCloseTo(23 / 48, 12)
    expect(p(m3, ['<s>', 'a'], '</s>')).toBeCloseTo(47 / 96, 12)
  })
})

/** All contexts of up to `order − 1` tokens over the vocabulary (a small vocabulary). */
function contexts(vocab: string[], n: number): string[][] {
  let out: string[][] = [[]]
  let frontier: string[][] = [[]]
  for (let k = 0; k < n; k++) {
    frontier = frontier.flatMap((c) => vocab.filter((w) => w !== '</s>').map((w) => [...c, w]))
    out = out.concat(frontier)
  }
  return out
}

describe('NgramLanguageModel: distributions', () => {
  const corpora: Record<'word' | 'char', string[]> = {
    word: ['the cat sat', 'the dog sat on the mat', 'a cat', 'on a mat the cat sat', 'dog'],
    char: ['abc cab', 'ba', 'cc a', 'abcabc', ' a'],
  }
  for (const level of ['word', 'char'] as const) {
    for (const smoothing of ['kneser-ney', 'witten-bell'] as const) {
      it(`${level} ${smoothing}: every context sums to 1 over the predictable tokens (within 1e-6)`, () => {
        const m = NgramLanguageModel.train(corpora[level], { order: 3, level, smoothing })
        const vocab = m.vocabulary()
        const targets = vocab.filter((w) => w !== '<s>')
        for (const ctx of contexts(vocab, 2)) {
          const sum = targets.reduce((s, w) => s + p(m, ctx, w), 0)
          expect(Math.abs(sum - 1), `Σ p(·|${JSON.stringify(ctx)})`).toBeLessThan(1e-6)
        }
      })
    }
  }

  it('perplexity is exp(−Σ ln p / N), N counting tokens and </s>', () => {
    const m = NgramLanguageModel.train(TINY, { order: 2, smoothing: 'witten-bell' })
    const lp = m.sentenceLogProb('a b')
    expect(lp).toBeCloseTo(Math.log(p(m, ['<s>'], 'a')) + Math.log(p(m, ['a'], 'b')) + Math.log(p(m, ['b'], '</s>')), 12)
    expect(m.perplexity(['a b', 'a'])).toBeCloseTo(Math.exp(-(lp + m.sentenceLogProb('a')) / 5), 12)
    expect(m.perplexity('a b\n\na\n')).toBe(m.perplexity(['a b', 'a']))
  })

  it('minCount maps rare tokens to <unk>; unknown tokens score as <unk>', () => {
    const m = NgramLanguageModel.train(['a a b', 'a c'], { order: 2, minCount: 2 })
    expect(m.vocabulary()).toEqual(['<unk>', '<s>', '</s>', 'a'])
    expect(m.logProb(['a'], 'zebra')).toBe(m.logProb(['a'], '<unk>'))
    // <s> a a <unk> </s>, <s> a <unk> </s>: 4 unigrams, bigrams <s> a, a a, a <unk>, <unk> </s>.
    expect(m.counts()).toEqual([4, 4])
  })

  it('trainAsync equals train', async () => {
    const a = NgramLanguageModel.train(corpora.word, { order: 3 })
    const b = await NgramLanguageModel.trainAsync(corpora.word, { order: 3 })
    expect(b.toArpa()).toBe(a.toArpa())
  })
})

describe('NgramLanguageModel: ARPA files', () => {
  it('scores like KenLM on a committed ARPA model (OOV words, backoff, missing <unk>)', () => {
    const fx = join(__dirname, 'fixtures', 'decode')
    const ref = JSON.parse(readFileSync(join(fx, 'kenlm.json'), 'utf8')) as { order: number; sentences: { text: string; log10: number }[] }
    const m = NgramLanguageModel.load(join(fx, 'kenlm.arpa'))
    expect(m.order).toBe(ref.order)
    expect(m.smoothing).toBeNull()
    for (const s of ref.sentences) expect(m.sentenceLogProb(s.text) / Math.LN10, JSON.stringify(s.text)).toBeCloseTo(s.log10, 4)
  })

  it('round-trips: save → load gives the same probabilities, for words and characters', async () => {
    for (const level of ['word', 'char'] as const) {
      const m = NgramLanguageModel.train(level === 'word' ? ['x y z', 'y y', 'z x'] : ['ab a', 'b\tab'], { order: 3, level })
      const path = join(dir, `m-${level}.arpa`)
      m.save(path)
      const text = readFileSync(path, 'utf8')
      expect(text.startsWith('\\data\\\n')).toBe(true)
      if (level === 'char') expect(text).toContain('<space>')
      const back = NgramLanguageModel.load(path, { level })
      const back2 = await NgramLanguageModel.loadAsync(path, { level })
      expect(back.vocabulary()).toEqual(m.vocabulary())
      expect(back.counts()).toEqual(m.counts())
      for (const ctx of contexts(m.vocabulary(), 2).slice(0, 60)) {
        for (const w of m.vocabulary().filter((x) => x !== '<s>')) {
          expect(back.logProb(ctx, w)).toBeCloseTo(m.logProb(ctx, w), 10)
          expect(back2.logProb(ctx, w)).toBe(back.logProb(ctx, w))
        }
      }
      expect(NgramLanguageModel.fromArpa(text, { level }).toArpa()).toBe(back.toArpa())
    }
  })

  it('corrupt files: errors name the file and the line', () => {
    const bad = join(dir, 'bad.arpa')
    writeFileSync(bad, '\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-x\t</s>\n\n\\end\\\n')
    expectError(() => NgramLanguageModel.load(bad), FormatError, 'ERR_SEQLEARN_FORMAT', [bad, 'line 6: expected a probability', "got '-x'"])
    expectError(() => NgramLanguageModel.fromArpa('hello'), FormatError, 'ERR_SEQLEARN_FORMAT', ["no '\\data\\' header"])
    expectError(() => NgramLanguageModel.fromArpa('\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\ta\n-1\t</s>\n\n\\2-grams:\n-1\ta b\n\n\\end\\\n'), FormatError, 'ERR_SEQLEARN_FORMAT', ["line 10: 'b' is not among the 1-grams"])
    expectError(() => NgramLanguageModel.fromArpa('\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\t</s>\n\n\\end\\\n'), FormatError, 'ERR_SEQLEARN_FORMAT', ['declares 3 1-grams, the section has 2'])
    expectError(() => NgramLanguageModel.fromArpa('\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-1\t</s>\n'), FormatError, 'ERR_SEQLEARN_FORMAT', ["missing '\\end\\'"])
    expectError(() => NgramLanguageModel.fromArpa('\\data\\\nngram 1=2\n\n\\1-grams:\n-1\tab\n-1\t</s>\n\n\\end\\\n', { level: 'char' }), FormatError, 'ERR_SEQLEARN_FORMAT', ["line 5: 'ab' is not a token of a character model"])
    expectError(() => NgramLanguageModel.load(join(dir, 'missing.arpa')), IoError, 'ERR_SEQLEARN_IO', ['missing.arpa'])
    expect(existsSync(join(dir, 'missing.arpa'))).toBe(false)
  })
})

describe('NgramLanguageModel: argument errors', () => {
  it('order, smoothing, level, minCount, sentences, tokens', async () => {
    expectError(() => NgramLanguageModel.train(['a'], { order: 0 }), InvalidArgumentError, INVALID, ['order: expected an integer in 1..=16', 'got 0'])
    expectError(() => NgramLanguageModel.train(['a'], { order: 17 }), InvalidArgumentError, INVALID, ['order:', 'got 17'])
    expectError(() => NgramLanguageModel.train(['a'], { smoothing: 'good-turing' as never }), InvalidArgumentError, INVALID, ["smoothing: expected 'kneser-ney' or 'witten-bell', got 'good-turing'"])
    expectError(() => NgramLanguageModel.train(['a'], { level: 'byte' as never }), InvalidArgumentError, INVALID, ["level: expected 'char' or 'word', got 'byte'"])
    expectError(() => NgramLanguageModel.train(['a'], { minCount: 0 }), InvalidArgumentError, INVALID, ['minCount:', 'got 0'])
    expectError(() => NgramLanguageModel.train([]), InvalidArgumentError, INVALID, ['sentences: expected at least one sentence'])
    expectError(() => NgramLanguageModel.train(['a', 3 as never]), TypeError, undefined, ['sentences[1]: expected a string, got number 3'])
    expectError(() => NgramLanguageModel.train(['a', 'b </s>']), InvalidArgumentError, INVALID, ["sentences[1]: contains the reserved token '</s>'"])
    await expectRejection(() => NgramLanguageModel.trainAsync(['a'], { order: 99 }), InvalidArgumentError, INVALID, ['order:'])
    const m = NgramLanguageModel.train(['a b'])
    expectError(() => m.logProb(['a'], '<s>'), InvalidArgumentError, INVALID, ["token: '<s>' is never predicted"])
    expectError(() => m.logProb([1 as never], 'a'), TypeError, undefined, ['context[0]: expected a string'])
    expectError(() => m.perplexity([]), InvalidArgumentError, INVALID, ['sentences: expected at least one sentence'])
  })
})
