// Word and character error rates against jiwer 4 (committed fixture made by
// test/fixtures/make_decode_fixtures.py): corpus-level rates and edit counts, whitespace and
// Unicode handling, empty references, the async form, and argument errors.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { wordErrorRate, charErrorRate, errorCounts, errorCountsAsync, InvalidArgumentError } from '../dist/index.js'
import { expectError } from './helpers'

interface Case {
  name: string
  references: string[]
  hypotheses: string[]
  wer: number
  cer: number
  wordEdits: number
  wordReferenceUnits: number
  charEdits: number
  charReferenceUnits: number
}
const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'decode', 'jiwer.json'), 'utf8')) as Case[]

describe('error rates as jiwer computes them', () => {
  for (const c of cases) {
    it(c.name, async () => {
      expect(wordErrorRate(c.references, c.hypotheses)).toBeCloseTo(c.wer, 12)
      expect(charErrorRate(c.references, c.hypotheses)).toBeCloseTo(c.cer, 12)
      const w = errorCounts(c.references, c.hypotheses, 'word')
      expect([w.edits, w.referenceUnits]).toEqual([c.wordEdits, c.wordReferenceUnits])
      const ch = await errorCountsAsync(c.references, c.hypotheses, 'char')
      expect([ch.edits, ch.referenceUnits]).toEqual([c.charEdits, c.charReferenceUnits])
    })
  }

  it('is corpus-level (not a mean of per-sentence rates) and can exceed 1', () => {
    // 1/1 and 0/4 → 1/5 (a mean of the two would be 0.5).
    expect(wordErrorRate(['a', 'b c d e'], ['x', 'b c d e'])).toBeCloseTo(0.2, 15)
    expect(wordErrorRate('a', 'x y z')).toBe(3)
    expect(charErrorRate('abc', 'abd')).toBeCloseTo(1 / 3, 15)
  })

  it('argument errors name the argument', () => {
    expectError(() => wordErrorRate(['a', 'b'], ['a']), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['hypotheses: expected 2 hypotheses (one per reference), got 1'])
    expectError(() => charErrorRate(['a', 2 as never], ['a', 'b']), TypeError, undefined, ['references[1]: expected a string, got number 2'])
    expectError(() => wordErrorRate(['a'], null as never), TypeError, undefined, ['hypotheses: expected a string or an array of strings'])
    expectError(() => errorCounts(['a'], ['a'], 'byte' as never), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ["unit: expected 'word' or 'char', got 'byte'"])
  })
})
