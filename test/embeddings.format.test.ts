// The word2vec text and binary formats: files written by the original C tool and by gensim load
// with the right words and values and give gensim's neighbours; ours are byte-compatible (our
// binary of the C tool's vectors is byte-identical to its file); corrupt files name the offset.
// Fixtures: test/fixtures/embeddings (make_format_fixtures.py).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FormatError, IoError, KeyedVectors } from '../dist/index.js'

const FIXTURES = resolve(__dirname, 'fixtures', 'embeddings')
const fixture = (name: string): string => join(FIXTURES, name)
interface Expected {
  c: { words: string[]; dim: number; neighbours: Record<string, [string, number][]> }
  gensim: { words: string[]; dim: number; vectors: number[][] }
}
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Expected
const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-w2vfmt-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Every row of `kv` in row order, flattened. */
function values(kv: KeyedVectors): number[] {
  return kv.words.flatMap((w) => Array.from(kv.vector(w)))
}

/** Neighbours equal to gensim's: same similarities (1e-5), same words except among near-ties. */
function expectSameNeighbours(got: { word: string; similarity: number }[], want: [string, number][]): void {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i].similarity - want[i][1])).toBeLessThan(1e-5)
    if (got[i].word !== want[i][0]) {
      const tie = want.find(([w]) => w === got[i].word)
      expect(tie, `rank ${i}: ${got[i].word} vs ${want[i][0]}`).toBeDefined()
      expect(Math.abs(tie![1] - want[i][1])).toBeLessThan(1e-5)
    }
  }
}

describe('vectors made by the original C tool', () => {
  it('load from binary and text (format detected or given) with the same words and values', () => {
    const bin = KeyedVectors.load(fixture('c_vectors.bin'))
    const binExplicit = KeyedVectors.load(fixture('c_vectors.bin'), { binary: true })
    const txt = KeyedVectors.load(fixture('c_vectors.txt'))
    const txtExplicit = KeyedVectors.load(fixture('c_vectors.txt'), { binary: false })
    for (const kv of [bin, binExplicit, txt, txtExplicit]) {
      expect(kv.words).toEqual(expected.c.words)
      expect(kv.dim).toBe(8)
    }
    expect(values(binExplicit)).toEqual(values(bin))
    expect(values(txtExplicit)).toEqual(values(txt))
    // The C tool's text is "%lf": six decimals (plus the float32 rounding of the parsed value).
    const b = values(bin)
    const t = values(txt)
    expect(b.length).toBe(expected.c.words.length * 8)
    expect(Math.max(...b.map((v, i) => Math.abs(v - t[i])))).toBeLessThanOrEqual(5e-7 + 6e-8)
    // A word the C tool cut to 98 bytes inside a UTF-8 character reads with U+FFFD (as gensim's 'replace').
    expect(bin.words).toContain('a' + 'é'.repeat(48) + '\uFFFD')
  })

  it('give the same nearest neighbours as gensim', () => {
    const kv = KeyedVectors.load(fixture('c_vectors.bin'))
    for (const [query, want] of Object.entries(expected.c.neighbours)) {
      const got =
        query === 'queen+prince-king'
          ? kv.mostSimilar({ positive: ['queen', 'prince'], negative: ['king'], topN: want.length })
          : kv.mostSimilar(query, { topN: want.length })
      expectSameNeighbours(got, want)
    }
  })

  it('write back byte-identical in binary (but for the lossy word), and value-exact in text', () => {
    const kv = KeyedVectors.load(fixture('c_vectors.bin'))
    const bin = join(tmp, 'ours.bin')
    kv.save(bin, { binary: true })
    // The C file holds the cut word's raw bytes (ending in a lone 0xC3); we write its lossy form.
    const c = readFileSync(fixture('c_vectors.bin'))
    const raw = Buffer.concat([Buffer.from('a' + 'é'.repeat(48)), Buffer.from([0xc3, 0x20])])
    const at = c.indexOf(raw)
    expect(at).toBeGreaterThan(0)
    const want = Buffer.concat([c.subarray(0, at + raw.length - 2), Buffer.from('\uFFFD '), c.subarray(at + raw.length)])
    expect(readFileSync(bin).equals(want)).toBe(true)
    const txt = join(tmp, 'ours.txt')
    kv.save(txt, { binary: false })
    const back = KeyedVectors.load(txt)
    expect(back.words).toEqual(kv.words)
    expect(values(back)).toEqual(values(kv))
    expect(readFileSync(txt, 'utf8').split('\n')[0]).toBe(`${kv.size} 8`)
  })
})

describe('vectors written by gensim (save_word2vec_format)', () => {
  it('load exactly from binary (no newline after vectors) and text', () => {
    const want = expected.gensim.vectors.flat().map(Math.fround)
    for (const name of ['gensim_vectors.bin', 'gensim_vectors.txt']) {
      const kv = KeyedVectors.load(fixture(name))
      expect(kv.words).toEqual(expected.gensim.words)
      expect(kv.dim).toBe(5)
      expect(values(kv)).toEqual(want)
    }
  })

  it('honour limit', () => {
    const kv = KeyedVectors.load(fixture('gensim_vectors.bin'), { limit: 2 })
    expect(kv.words).toEqual(expected.gensim.words.slice(0, 2))
  })
})

describe('corrupt and truncated files', () => {
  const bin = readFileSync(fixture('c_vectors.bin'))
  /** Byte offset where record `i` of the C binary starts (header, then word + ' ' + 32 bytes + '\n'). */
  function recordStart(i: number): number {
    let at = bin.indexOf(0x0a) + 1
    for (let k = 0; k < i; k++) at = bin.indexOf(0x20, at) + 1 + 8 * 4 + 1
    return at
  }
  function write(name: string, bytes: Buffer | string): string {
    const p = join(tmp, name)
    writeFileSync(p, bytes)
    return p
  }

  it('name the byte offset of a truncated vector, word and file', () => {
    const start = recordStart(3)
    const word = expected.c.words[3]
    const vecAt = start + Buffer.byteLength(word) + 1
    const cut = write('cut-vector.bin', bin.subarray(0, vecAt + 10))
    expect(() => KeyedVectors.load(cut)).toThrow(FormatError)
    expect(() => KeyedVectors.load(cut)).toThrow(
      `${cut}: byte offset ${vecAt}: word 3 ('${word}'): truncated vector: expected 32 bytes (8 floats), the file ends after 10`,
    )
    const cutWord = write('cut-word.bin', bin.subarray(0, start + 1))
    expect(() => KeyedVectors.load(cutWord, { binary: true })).toThrow(`byte offset ${start}: word 3: truncated inside the word`)
    const short = write('short.bin', bin.subarray(0, start))
    expect(() => KeyedVectors.load(short, { binary: true })).toThrow(
      `byte offset ${start}: truncated: the header announces ${expected.c.words.length} vectors, the file ends after 3`,
    )
  })

  it('name the offset of a bad header, a bad number and a dimension mismatch', () => {
    const badHeader = write('bad-header.bin', Buffer.concat([Buffer.from('many 8\n'), bin.subarray(bin.indexOf(0x0a) + 1)]))
    expect(() => KeyedVectors.load(badHeader)).toThrow(`${badHeader}: byte offset 0: header: expected '<count> <dim>', found 'many 8'`)
    expect(() => KeyedVectors.load(write('empty.bin', ''))).toThrow(/byte offset 0: empty file/)
    const text = readFileSync(fixture('c_vectors.txt'), 'utf8')
    const lines = text.split('\n')
    const fields = lines[2].split(' ')
    fields[4] = 'abc'
    const badNumber = [...lines.slice(0, 2), fields.join(' '), ...lines.slice(3)].join('\n')
    const offset = Buffer.byteLength(lines.slice(0, 2).join('\n') + '\n' + fields.slice(0, 4).join(' ') + ' ')
    const p = write('bad-number.txt', badNumber)
    expect(() => KeyedVectors.load(p, { binary: false })).toThrow(FormatError)
    expect(() => KeyedVectors.load(p, { binary: false })).toThrow(`${p}: byte offset ${offset}: word 1 ('${fields[0]}'): value 3 'abc' is not a finite number`)
    const missing = lines[2].split(' ').filter((f) => f !== '').slice(0, 8).join(' ')
    const lineAt = Buffer.byteLength(lines.slice(0, 2).join('\n') + '\n')
    const q = write('short-line.txt', [...lines.slice(0, 2), missing, ...lines.slice(3)].join('\n'))
    expect(() => KeyedVectors.load(q, { binary: false })).toThrow(`byte offset ${lineAt}: word 1 ('${fields[0]}'): expected 8 values, found 7 (dimension mismatch)`)
  })

  it('report a missing file as an I/O error naming it', () => {
    const p = join(tmp, 'absent.bin')
    expect(() => KeyedVectors.load(p)).toThrow(IoError)
    expect(() => KeyedVectors.load(p)).toThrow(p)
  })
})
