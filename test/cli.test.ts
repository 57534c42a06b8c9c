// `npx seqlearn ...`: the command-line tools, run as a user runs them (node bin/seqlearn.js against
// the built dist/): help texts, a tiny training run whose outputs load back, the evaluation
// commands on a hand-made vector file with known answers, every kind of bad flag, an empty corpus
// and Ctrl-C.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyedVectors } from '../dist/index.js'
import { TrainingProgressBar } from '../dist/cli/progress.js'

const BIN = resolve(__dirname, '..', 'bin', 'seqlearn.js')

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A message for the user: one or two lines, no stack trace. */
function expectCleanError(r: { status: number | null; stderr: string }, code: number, ...mentions: (string | RegExp)[]) {
  expect(r.status).toBe(code)
  for (const m of mentions) expect(r.stderr).toMatch(m)
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  expect(r.stderr).not.toMatch(/internal error/)
}

let dir: string
let corpus: string

/** A corpus of two topics: words co-occur only with words of their own topic. */
function makeCorpus(path: string, sentences: number, seed = 1) {
  const topics = [
    ['cat', 'dog', 'mouse', 'horse', 'cow', 'sheep', 'goat', 'pig'],
    ['red', 'green', 'blue', 'yellow', 'black', 'white', 'pink', 'brown'],
  ]
  let s = seed
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
  const lines: string[] = []
  for (let i = 0; i < sentences; i++) {
    const t = topics[i % 2]
    const n = 5 + Math.floor(rnd() * 10)
    lines.push(Array.from({ length: n }, () => t[Math.floor(rnd() * t.length)]).join(' '))
  }
  writeFileSync(path, lines.join('\n') + '\n')
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seqlearn-cli-'))
  corpus = join(dir, 'corpus.txt')
  makeCorpus(corpus, 600)
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('help', () => {
  it('seqlearn --help lists the commands and exits 0', () => {
    const r = cli(['--help'])
    expect(r.status).toBe(0)
    for (const c of ['word2vec', 'analogies', 'similar', 'pairs', 'plot']) expect(r.stdout).toContain(c)
  })

  it('word2vec --help lists every flag of the C tool with its default and exits 0', () => {
    const r = cli(['word2vec', '--help'])
    expect(r.status).toBe(0)
    const flags = ['-train', '-output', '-size', '-window', '-sample', '-hs', '-negative', '-threads', '-iter', '-min-count', '-alpha',
      '-classes', '-debug', '-binary', '-save-vocab', '-read-vocab', '-cbow']
    for (const f of flags) expect(r.stdout).toMatch(new RegExp(`\\t${f} <`))
    expect(r.stdout).toMatch(/-size <int>\n\t\tSet size of word vectors; default is 100/)
    expect(r.stdout).toMatch(/-sample <float>[\s\S]*default is 1e-3/)
    expect(r.stdout).toMatch(/-threads <int>\n[^-]*default is 12/)
    expect(r.stdout).toMatch(/-cbow <int>\n.*default is 1/)
    for (const f of ['-seed', '-method', '-batch-size', '-deterministic', '-max-vocab', '-cbow-mean', '-stream']) expect(r.stdout).toContain(`\t${f} `)
    // like the C tool, no arguments at all print the usage
    const bare = cli(['word2vec'])
    expect(bare.status).toBe(0)
    expect(bare.stdout).toContain('-min-count')
  })

  it('each command has --help', () => {
    for (const c of ['analogies', 'similar', 'pairs', 'plot']) {
      const r = cli([c, '--help'])
      expect(r.status, c).toBe(0)
      expect(r.stdout, c).toContain(`seqlearn ${c}`)
    }
  })

  it('an unknown command is an error', () => {
    expectCleanError(cli(['glove2']), 2, /unknown command "glove2"/)
  })
})

describe('progress display', () => {
  const report = (fraction: number, phase = 'training') => ({
    phase, fraction, epoch: 2, epochs: 5, alpha: 0.0123456, wordsPerSecondPerThread: 123456, elapsedSeconds: 10, etaSeconds: 83,
  })
  const sink = (isTTY: boolean) => {
    const out: string[] = []
    return { out, stream: { isTTY, columns: 120, write: (s: string) => out.push(s) } }
  }

  it('on a TTY: one line redrawn in place with percent, epoch, alpha, words/s/thread and ETA', () => {
    const { out, stream } = sink(true)
    const bar = new TrainingProgressBar(stream)
    bar.update(report(0.421))
    expect(out).toHaveLength(1)
    expect(out[0].startsWith('\r\x1b[2K')).toBe(true)
    expect(out[0]).toMatch(/training .*█.*░.* 42\.1%  epoch 2\/5  alpha 0\.012346  123k words\/s\/thread  ETA 01:23/)
    bar.update(report(0.43)) // within 100 ms of the last draw: skipped
    expect(out).toHaveLength(1)
    bar.clear()
    expect(out[1]).toBe('\r\x1b[2K')
  })

  it('elsewhere: plain lines, one per phase change and at most one per interval', () => {
    const { out, stream } = sink(false)
    const bar = new TrainingProgressBar(stream, { label: 'word2vec', lineInterval: 3600 })
    bar.update(report(0.02, 'vocab'))
    bar.update(report(0.2))
    bar.update(report(0.3))
    expect(out).toEqual([
      '[word2vec] vocab      2.0%  elapsed 00:10\n',
      '[word2vec] training  20.0%  epoch 2/5  alpha 0.012346  123k words/s/thread  ETA 01:23\n',
    ])
    const silent = sink(true)
    new TrainingProgressBar(silent.stream, { mode: 'none' }).update(report(0.5))
    expect(silent.out).toEqual([])
  })
})

describe('word2vec training', () => {
  const common = ['-size', '16', '-window', '3', '-min-count', '1', '-iter', '2', '-threads', '2', '-sample', '0', '-negative', '3']

  it('writes binary and text vectors that load back with the same words and values', () => {
    const bin = join(dir, 'v.bin')
    const txt = join(dir, 'v.txt')
    const vocabFile = join(dir, 'vocab.txt')
    const a = cli(['word2vec', '-train', corpus, '-output', bin, '-binary', '1', '-cbow', '0', '-deterministic', '1', '-seed', '5', '-save-vocab', vocabFile, '-debug', '1', ...common])
    expect(a.status, a.stderr).toBe(0)
    expect(a.stderr).toMatch(/Vocab size: 17/)
    const b = cli(['word2vec', '-train', corpus, '-output', txt, '-binary', '0', '-cbow', '0', '-deterministic', '1', '-seed', '5', '-debug', '0', ...common])
    expect(b.status, b.stderr).toBe(0)
    expect(b.stderr).toBe('')
    const kb = KeyedVectors.load(bin)
    const kt = KeyedVectors.load(txt)
    expect(kb.size).toBe(17) // 16 words + </s>
    expect(kb.dim).toBe(16)
    expect([...kt.words]).toEqual([...kb.words])
    for (const w of ['cat', 'blue']) {
      const x = kb.vector(w)
      const y = kt.vector(w)
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThan(1e-5)
    }
    // words of one topic are nearer to each other than to the other topic
    expect(kb.similarity('cat', 'dog')).toBeGreaterThan(kb.similarity('cat', 'blue'))
    // the vocabulary file: the C tool's "word count" lines, </s> first
    const lines = readFileSync(vocabFile, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(17)
    expect(lines[0]).toBe('</s> 600')
    expect(lines[1]).toMatch(/^[a-z]+ \d+$/)
  })

  it('-seed reaches the trainer: same seed same vectors, another seed other vectors', () => {
    const out = (name: string, seed: string) => {
      const p = join(dir, name)
      const r = cli(['word2vec', '-train', corpus, '-output', p, '-binary', '1', '-deterministic', '1', '-seed', seed, '-debug', '0', ...common])
      expect(r.status, r.stderr).toBe(0)
      return readFileSync(p)
    }
    const a = out('s1a.bin', '1')
    const b = out('s1b.bin', '1')
    const c = out('s2.bin', '2')
    expect(a.equals(b)).toBe(true)
    expect(a.equals(c)).toBe(false)
  })

  it('-read-vocab, -classes and -method hogwild', () => {
    const vocabFile = join(dir, 'vocab2.txt')
    expect(cli(['word2vec', '-train', corpus, '-save-vocab', vocabFile, '-min-count', '1', '-debug', '0']).status).toBe(0) // vocabulary only
    const classes = join(dir, 'classes.txt')
    const r = cli(['word2vec', '-train', corpus, '-read-vocab', vocabFile, '-output', classes, '-classes', '2', '-method', 'hogwild', '-debug', '0', ...common])
    expect(r.status, r.stderr).toBe(0)
    const lines = readFileSync(classes, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(17)
    for (const l of lines) expect(l).toMatch(/^\S+ [01]$/)
    const cls = new Map(lines.map((l) => l.split(' ') as [string, string]))
    // two well separated topics: k-means with k = 2 puts each topic in one class
    expect(cls.get('cat')).toBe(cls.get('dog'))
    expect(cls.get('red')).toBe(cls.get('blue'))
    expect(cls.get('cat')).not.toBe(cls.get('red'))
  })

  it('an empty corpus gives a clear error and writes nothing', () => {
    const empty = join(dir, 'empty.txt')
    writeFileSync(empty, ' \n\n \t\n')
    const out = join(dir, 'never.bin')
    const r = cli(['word2vec', '-train', empty, '-output', out, '-debug', '0'])
    expectCleanError(r, 1, /corpus|empty|vocabulary/i)
    expect(existsSync(out)).toBe(false)
  })

  it('a vocabulary smaller than the window is a clear error', () => {
    const small = join(dir, 'small.txt')
    writeFileSync(small, 'a b a b a b a b a b\n')
    const r = cli(['word2vec', '-train', small, '-output', join(dir, 'never2.bin'), '-min-count', '1', '-window', '5', '-debug', '0'])
    expectCleanError(r, 1, /window/)
  })

  it('Ctrl-C stops training and writes no output', async () => {
    const big = join(dir, 'big.txt')
    makeCorpus(big, 40000, 3)
    const out = join(dir, 'interrupted.bin')
    const child = spawn(process.execPath, [BIN, 'word2vec', '-train', big, '-output', out, '-iter', '200', '-size', '50', '-threads', '2', '-min-count', '1', '-debug', '2'],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    const training = new Promise<void>((res) => {
      child.stderr.on('data', (d: string) => {
        stderr += d
        if (/\] training /.test(stderr)) res()
      })
    })
    const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)))
    await training
    child.kill('SIGINT')
    const code = await closed
    expect(code).toBe(130)
    expect(stderr).toMatch(/interrupted; nothing written/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('interrupted'))).toEqual([])
  })
})

describe('bad flags: a message naming the flag and exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['-trian', 'x'], /unknown flag -trian \(did you mean -train\?\)/],
    ['output over the corpus', ['-output', '__CORPUS__'], /-output: would overwrite the input file/],
    ['missing value', ['-train'], /-train needs a value/],
    ['flag instead of value', ['-size', '-window', '5'], /-size needs a value.*-window/],
    ['non-numeric', ['-size', 'big'], /-size: expected an integer, got "big"/],
    ['negative size', ['-size', '-3'], /-size: expected an integer in \[1, 65536\], got -3/],
    ['fractional int', ['-window', '2.5'], /-window: expected an integer/],
    ['bad float', ['-sample', 'lots'], /-sample: expected a number/],
    ['negative sample', ['-sample', '-1'], /-sample: expected a number >= 0/],
    ['zero alpha', ['-alpha', '0'], /-alpha: expected a number > 0/],
    ['0/1 flag', ['-cbow', '2'], /-cbow: expected 0 or 1, got "2"/],
    ['bad method', ['-method', 'fast'], /-method: expected one of auto, hogwild, batched/],
    ['zero threads', ['-threads', '0'], /-threads: expected an integer/],
    ['nothing to train', ['-negative', '0', '-hs', '0'], /-negative 0 with -hs 0/],
    ['batched without negatives', ['-method', 'batched', '-hs', '1', '-negative', '0'], /-method batched/],
  ]
  for (const [what, flags, msg] of cases) {
    it(what, () => {
      const r = cli(['word2vec', '-train', corpus, '-output', join(dir, 'x.bin'), ...flags.map((f) => (f === '__CORPUS__' ? corpus : f))])
      expectCleanError(r, 2, msg)
      expect(r.stderr).toMatch(/seqlearn word2vec --help/)
    })
  }

  it('missing -train file, missing -train, bad output directory', () => {
    expectCleanError(cli(['word2vec', '-train', join(dir, 'nope.txt'), '-output', join(dir, 'x.bin')]), 2, /-train: file not found/)
    expectCleanError(cli(['word2vec', '-output', join(dir, 'x.bin')]), 2, /-train <file> is required/)
    expectCleanError(cli(['word2vec', '-train', corpus, '-output', join(dir, 'no', 'such', 'dir', 'x.bin')]), 2, /-output: directory does not exist/)
    expectCleanError(cli(['word2vec', '-train', corpus, '-read-vocab', join(dir, 'nope.vocab')]), 2, /-read-vocab: file not found/)
  })

  it('other commands name their flags too', () => {
    expectCleanError(cli(['similar', join(dir, 'kv.txt'), 'king', '--topn', 'x']), 2, /--topn: expected an integer/)
    expectCleanError(cli(['analogies', join(dir, 'kv.txt'), 'q.txt', '--method', 'best']), 2, /--method: expected one of 3cosadd, 3cosmul/)
    expectCleanError(cli(['plot', join(dir, 'kv.txt'), 'king', '--method', 'umap', '-o', join(dir, 'p.svg')]), 2, /--method: expected one of pca, tsne/)
    expectCleanError(cli(['pairs', join(dir, 'nope.txt'), join(dir, 'nope.tsv')]), 2, /file not found/)
  })
})

describe('using vectors', () => {
  // Hand-made 4-d vectors: king − man + woman = queen exactly, boy − man + woman = girl.
  const VECS: Record<string, number[]> = {
    man: [1, 0, 0, 0], woman: [0, 1, 0, 0], king: [1, 0, 1, 0], queen: [0, 1, 1, 0], boy: [1, 0, 0, 1], girl: [0, 1, 0, 1],
  }
  let kvFile: string
  beforeAll(() => {
    kvFile = join(dir, 'kv.txt')
    const words = Object.keys(VECS)
    writeFileSync(kvFile, `${words.length} 4\n${words.map((w) => `${w} ${VECS[w].join(' ')}`).join('\n')}\n`)
  })

  it('analogies prints per-section accuracy like compute-accuracy, then the totals', () => {
    const q = join(dir, 'questions.txt')
    writeFileSync(q, ': family\nman woman king queen\nking queen man woman\nman woman dragon lady\n: gram-gender\nMAN WOMAN BOY GIRL\n')
    const r = cli(['analogies', kvFile, q])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('family:\nACCURACY TOP1: 100.00 %  (2 / 2)\n')
    expect(r.stdout).toContain('gram-gender:\nACCURACY TOP1: 100.00 %  (1 / 1)\n')
    expect(r.stdout).toMatch(/Total accuracy: 100.00 %\s+Semantic accuracy: 100.00 %\s+Syntactic accuracy: 100.00 %/)
    expect(r.stdout).toMatch(/Questions seen \/ total: 3 4\s+75.00 %/)
    // case-sensitive: the upper-case question is not seen
    const cs = cli(['analogies', kvFile, q, '--case-sensitive'])
    expect(cs.stdout).toMatch(/Questions seen \/ total: 2 4/)
  })

  it('similar lists neighbours, and solves a - b + c', () => {
    const r = cli(['similar', kvFile, 'king', '--topn', '3'])
    expect(r.status, r.stderr).toBe(0)
    const rows = r.stdout.trim().split('\n').slice(3).map((l) => l.trim().split(/\s+/))
    expect(rows).toHaveLength(3)
    expect(rows[0][0]).toBe('man')
    expect(Number(rows[0][1])).toBeCloseTo(Math.SQRT1_2, 5)
    const a = cli(['similar', kvFile, 'king', '-', 'man', '+', 'woman', '--topn', '1'])
    expect(a.status, a.stderr).toBe(0)
    expect(a.stdout.trim().split('\n').pop()).toMatch(/^queen\s/)
    const b = cli(['similar', kvFile, '--positive', 'boy,woman', '--negative', 'man', '--topn', '1'])
    expect(b.stdout.trim().split('\n').pop()).toMatch(/^girl\s/)
    expectCleanError(cli(['similar', kvFile, 'dragon']), 1, /dragon/)
  })

  it('pairs gives the Spearman correlation and the pairs used', () => {
    const p = join(dir, 'pairs.tsv')
    // cosines: king-man 0.707, king-queen 0.5, man-woman 0 — ranked as the scores
    writeFileSync(p, '# a comment\n# Word 1\tWord 2\tHuman (mean)\nking\tman\t9\nking\tqueen\t7\nman\twoman\t1\ndragon\tman\t5\n')
    const r = cli(['pairs', kvFile, p])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Spearman rho: 1\.0000/)
    expect(r.stdout).toMatch(/Pairs used \/ total: 3 4/)
  })

  it('plot writes an SVG with the words', () => {
    const svg = join(dir, 'plot.svg')
    const r = cli(['plot', kvFile, 'king', 'queen', 'man', 'woman', '-o', svg])
    expect(r.status, r.stderr).toBe(0)
    const text = readFileSync(svg, 'utf8')
    expect(text).toMatch(/^<svg|<\?xml/)
    for (const w of ['king', 'queen', 'man', 'woman']) expect(text).toContain(`>${w}<`)
    const top = cli(['plot', kvFile, '--top', '5', '--method', 'tsne', '-o', join(dir, 'tsne.svg')])
    expect(top.status, top.stderr).toBe(0)
    expectCleanError(cli(['plot', kvFile, 'king', 'dragon', '-o', svg]), 2, /not in the vocabulary: dragon/)
  })
})
