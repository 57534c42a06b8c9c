// CTC decoders: greedy on hand cases; prefix beam search against a brute-force sum over every
// path, against the CTC forward algorithm and against pyctcdecode (committed fixtures made by
// test/fixtures/make_decode_fixtures.py); pruning knobs, timestamps, n-gram and callback LM
// fusion, the recurrent-LM adapter, hotwords, async/batch equivalence, and argument errors.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  Tensor,
  ctcGreedyDecode,
  ctcBeamSearch,
  ctcBeamSearchAsync,
  recurrentLmScorer,
  NgramLanguageModel,
  LanguageModel,
  InvalidArgumentError,
  type CtcHypothesis,
  type CtcTokenLmQueries,
  type CtcWordLmQueries,
} from '../dist/index.js'
import { expectError, expectRejection } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'

/** Seeded uniform numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Random log-probabilities `[T, C]`: log_softmax of uniform noise × `sharp`. */
function randomLogProbs(r: () => number, T: number, C: number, sharp: number): Float32Array {
  const out = new Float32Array(T * C)
  for (let t = 0; t < T; t++) {
    let m = -Infinity
    const row = Array.from({ length: C }, () => (r() * 2 - 1) * sharp)
    for (const x of row) m = Math.max(m, x)
    const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0))
    row.forEach((x, c) => (out[t * C + c] = x - lse))
  }
  return out
}

/** ln p(labelling) by the CTC forward algorithm in float64 (blank 0). */
function ctcLogProb(lp: ArrayLike<number>, T: number, C: number, label: ArrayLike<number>, blank = 0): number {
  const ext = [blank]
  for (const l of Array.from(label)) ext.push(l, blank)
  const S = ext.length
  const lae = (a: number, b: number): number => (a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))))
  let alpha = new Array<number>(S).fill(-Infinity)
  alpha[0] = lp[ext[0]]
  if (S > 1) alpha[1] = lp[ext[1]]
  for (let t = 1; t < T; t++) {
    const next = new Array<number>(S).fill(-Infinity)
    for (let s = 0; s < S; s++) {
      let a = alpha[s]
      if (s >= 1) a = lae(a, alpha[s - 1])
      if (s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2]) a = lae(a, alpha[s - 2])
      next[s] = a + lp[t * C + ext[s]]
    }
    alpha = next
  }
  return S > 1 ? lae(alpha[S - 1], alpha[S - 2]) : alpha[0]
}

/** Every labelling's probability by summing over all C^T paths (float64). */
function bruteForce(lp: Float32Array, T: number, C: number, blank: number): Map<string, number> {
  const out = new Map<string, number>()
  const path = new Array<number>(T).fill(0)
  for (;;) {
    const label: number[] = []
    let prev = -1
    let logp = 0
    path.forEach((k, t) => {
      logp += lp[t * C + k]
      if (k !== prev && k !== blank) label.push(k)
      prev = k
    })
    const key = label.join(',')
    out.set(key, (out.get(key) ?? 0) + Math.exp(logp))
    let i = 0
    while (i < T && ++path[i] === C) path[i++] = 0
    if (i === T) return out
  }
}

const key = (h: CtcHypothesis): string => Array.from(h.tokens).join(',')
const text = (h: CtcHypothesis, labels: readonly string[]): string => Array.from(h.tokens, (t) => labels[t]).join('')
const NO_PRUNING = { tokenMinLogp: -Infinity, beamPruneLogp: -Infinity } as const

/** Probability rows → log-probabilities `[T, C]`. */
function logRows(rows: number[][]): Tensor {
  return new Tensor(Float32Array.from(rows.flat(), Math.log), [rows.length, rows[0].length])
}

/** Frames that hesitate between classes (`{ frame: [[class, p], …] }`), blank elsewhere. */
function hesitant(spec: Record<number, [number, number][]>, T: number, C: number): Tensor {
  const rows: number[][] = []
  for (let t = 0; t < T; t++) {
    const ps = spec[t]
    if (!ps) {
      rows.push(Array.from({ length: C }, (_, c) => (c === 0 ? 0.96 : 0.04 / (C - 1))))
      continue
    }
    const used = ps.reduce((s, p) => s + p[1], 0)
    const row = new Array<number>(C).fill((1 - used) / C)
    for (const [c, p] of ps) row[c] += p
    rows.push(row)
  }
  return logRows(rows)
}

describe('ctcGreedyDecode', () => {
  const p = (k: number): number[] => [0, 1, 2].map((c) => (c === k ? 0.8 : 0.1))
  const rows = [1, 1, 0, 1, 2, 2, 0].map(p)

  it('collapses repeats, keeps labels split by a blank, drops blanks; timesteps are run starts', () => {
    const [h] = ctcGreedyDecode(logRows(rows), undefined, { inputKind: 'logProbs' })
    expect(Array.from(h.tokens)).toEqual([1, 1, 2])
    expect(Array.from(h.timesteps)).toEqual([0, 3, 4])
    expect(h.ctcScore).toBeCloseTo(7 * Math.log(0.8), 5)
    expect(h.score).toBe(h.ctcScore)
    expect(h.lmScore).toBe(0)
  })

  it('reads logits, log-probabilities and probabilities alike', () => {
    const probs = new Tensor(Float32Array.from(rows.flat()), [7, 3])
    const logits = new Tensor(Float32Array.from(rows.flat(), (x) => 3 * Math.log(x) + 1), [7, 3])
    for (const [e, inputKind] of [[probs, 'probs'], [logits, 'logits'], [logRows(rows), 'logProbs']] as const) {
      const [h] = ctcGreedyDecode(e, undefined, { inputKind })
      expect(Array.from(h.tokens), inputKind).toEqual([1, 1, 2])
    }
    // The default ('logits') leaves normalised log-probabilities unchanged.
    expect(ctcGreedyDecode(logRows(rows))[0].ctcScore).toBeCloseTo(7 * Math.log(0.8), 5)
  })

  it('decodes a batch with lengths, time-major or batch-first, in one call', () => {
    // [T=3, N=2, C=2]: item 0 argmax 1 1 0 → [1]; item 1 argmax 0 1 1, length 2 → [1] at frame 1.
    const tm = new Float32Array([0.1, 0.9, 0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.6, 0.4, 0.1, 0.9])
    const a = ctcGreedyDecode(new Tensor(tm, [3, 2, 2]), [3, 2], { inputKind: 'probs' })
    expect(a.map((h) => Array.from(h.tokens))).toEqual([[1], [1]])
    expect(Array.from(a[1].timesteps)).toEqual([1])
    const bf = new Float32Array(12)
    for (let t = 0; t < 3; t++) for (let n = 0; n < 2; n++) for (let c = 0; c < 2; c++) bf[(n * 3 + t) * 2 + c] = tm[(t * 2 + n) * 2 + c]
    expect(ctcGreedyDecode(new Tensor(bf, [2, 3, 2]), [3, 2], { inputKind: 'probs', batchFirst: true })).toEqual(a)
    // Blank as the last class (TF/Keras convention).
    const [h] = ctcGreedyDecode(new Tensor(tm.subarray(0, 4), [2, 2]), undefined, { inputKind: 'probs', blank: 1 })
    expect(Array.from(h.tokens)).toEqual([0])
  })
})

describe('ctcBeamSearch: exactness', () => {
  it('with a wide beam, returns every labelling with its exact probability (brute force over all paths)', () => {
    const r = rng(3)
    for (const [T, C, blank] of [[4, 3, 0], [5, 3, 1], [6, 3, 2], [5, 4, 0], [6, 4, 3]]) {
      const lp = randomLogProbs(r, T, C, 1.5)
      const exact = bruteForce(lp, T, C, blank)
      const width = exact.size
      const [hyps] = ctcBeamSearch(new Tensor(lp, [T, C]), undefined, { inputKind: 'logProbs', blank, beamWidth: width, nBest: width, ...NO_PRUNING })
      expect(hyps.length).toBe(width)
      const best = Math.max(...exact.values())
      expect(hyps[0].ctcScore).toBeCloseTo(Math.log(best), 4)
      for (const h of hyps) {
        expect(h.ctcScore, `T=${T} C=${C} [${key(h)}]`).toBeCloseTo(Math.log(exact.get(key(h)) as number), 4)
        expect(ctcLogProb(lp, T, C, h.tokens, blank)).toBeCloseTo(h.ctcScore, 4)
      }
      for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1].score).toBeGreaterThanOrEqual(hyps[i].score)
    }
  })

  it('pruned beams under-estimate: every score is at most the forward-algorithm probability', () => {
    const r = rng(17)
    for (const beamWidth of [1, 4, 16]) {
      const lp = randomLogProbs(r, 40, 6, 4)
      const [hyps] = ctcBeamSearch(new Tensor(lp, [40, 6]), undefined, { inputKind: 'logProbs', beamWidth, nBest: beamWidth })
      for (const h of hyps) expect(h.ctcScore).toBeLessThanOrEqual(ctcLogProb(lp, 40, 6, h.tokens) + 1e-4)
    }
  })

  it('tokenTopK 1 (only the argmax extends) gives the greedy labelling', () => {
    const r = rng(11)
    for (let i = 0; i < 20; i++) {
      const lp = randomLogProbs(r, 12, 5, 2)
      const e = new Tensor(lp, [12, 5])
      const [g] = ctcGreedyDecode(e, undefined, { inputKind: 'logProbs' })
      const [[b]] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 8, tokenTopK: 1, ...NO_PRUNING })
      expect(Array.from(b.tokens)).toEqual(Array.from(g.tokens))
      expect(b.ctcScore).toBeCloseTo(g.ctcScore, 4)
    }
  })

  it('beamWidth 1 follows the most probable prefix: greedy’s labelling on peaky emissions', () => {
    // (On flat emissions the two can differ: greedy follows the best path, width 1 the best prefix.)
    const r = rng(12)
    for (let i = 0; i < 20; i++) {
      const T = 20
      const C = 5
      const rows = Array.from({ length: T }, () => {
        const k = r() < 0.5 ? 0 : 1 + Math.floor(r() * (C - 1))
        return Array.from({ length: C }, (_, c) => (c === k ? 0.85 + 0.1 * r() : 0.01 + 0.01 * r()))
      })
      const e = logRows(rows)
      const [g] = ctcGreedyDecode(e)
      const [[w1]] = ctcBeamSearch(e, undefined, { beamWidth: 1, ...NO_PRUNING })
      expect(key(w1)).toBe(Array.from(g.tokens).join(','))
    }
  })
})

describe('ctcBeamSearch vs pyctcdecode (no LM)', () => {
  interface Beam {
    text: string
    logitScore: number
    combinedScore: number
  }
  interface Case {
    name: string
    alphabet: string[]
    logProbs: number[][]
    beamWidth: number
    beamPruneLogp: number
    tokenMinLogp: number
    hotwords?: string[]
    hotwordWeight?: number
    beams: Beam[]
  }
  const cases = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'decode', 'pyctcdecode.json'), 'utf8')) as Case[]

  function run(c: Case): { hyps: CtcHypothesis[]; labels: string[]; lp: Float32Array } {
    const T = c.logProbs.length
    const C = c.alphabet.length
    const lp = Float32Array.from(c.logProbs.flat())
    const labels = c.alphabet.map((a, i) => (i === 0 ? '_' : a))
    const hot = c.hotwords && c.hotwords.length > 0 ? { hotwords: c.hotwords, hotwordWeight: c.hotwordWeight } : {}
    const [hyps] = ctcBeamSearch(new Tensor(lp, [T, C]), undefined, { inputKind: 'logProbs', beamWidth: c.beamWidth, nBest: Math.min(c.beamWidth, 64), beamPruneLogp: c.beamPruneLogp, tokenMinLogp: c.tokenMinLogp, labels, ...hot })
    return { hyps, labels, lp }
  }

  it('exact settings: the same n-best texts and scores', () => {
    for (const c of cases.filter((x) => x.name.startsWith('exact'))) {
      const { hyps, labels } = run(c)
      c.beams.forEach((b, k) => {
        expect(text(hyps[k], labels), `${c.name} beam ${k}`).toBe(b.text)
        expect(hyps[k].ctcScore, `${c.name} beam ${k}`).toBeCloseTo(b.logitScore, 4)
      })
    }
  })

  it('realistic settings: the best hypothesis is at least as probable as pyctcdecode’s within 0.05 nats; scores bound the true probability', () => {
    for (const c of cases.filter((x) => !x.name.startsWith('exact') && !x.hotwords)) {
      const { hyps, labels, lp } = run(c)
      const T = c.logProbs.length
      const C = c.alphabet.length
      const theirs = Array.from(c.beams[0].text, (ch) => c.alphabet.indexOf(ch))
      const ours = ctcLogProb(lp, T, C, hyps[0].tokens)
      expect(ours, `${c.name}: ours ${text(hyps[0], labels)} vs pyctcdecode ${c.beams[0].text}`).toBeGreaterThanOrEqual(ctcLogProb(lp, T, C, theirs) - 0.05)
      for (const h of hyps) expect(h.ctcScore).toBeLessThanOrEqual(ctcLogProb(lp, T, C, h.tokens) + 1e-4)
    }
  })

  it('hotwords: the same winner and combined score', () => {
    const hot = cases.filter((x) => x.name.startsWith('hotword'))
    expect(hot.length).toBe(2)
    for (const c of hot) {
      const { hyps, labels } = run(c)
      expect(text(hyps[0], labels), c.name).toBe(c.beams[0].text)
      expect(hyps[0].score, c.name).toBeCloseTo(c.beams[0].combinedScore, 4)
      expect(hyps[0].ctcScore, c.name).toBeCloseTo(c.beams[0].logitScore, 4)
    }
    // The boost changed the decision ("cab cad" → "cat cat").
    expect(hot[0].beams[0].text).not.toBe(hot[1].beams[0].text)
  })
})

describe('ctcBeamSearch: knobs and outputs', () => {
  it('timestamps equal greedy’s on peaky emissions', () => {
    const peaks: Record<number, number> = { 2: 1, 3: 1, 6: 2, 9: 1, 12: 1 }
    const rows = Array.from({ length: 15 }, (_, t) => [0, 1, 2, 3].map((c) => (c === (peaks[t] ?? 0) ? 0.9 : 0.1 / 3)))
    const e = logRows(rows)
    const [g] = ctcGreedyDecode(e)
    expect(Array.from(g.timesteps)).toEqual([2, 6, 9, 12])
    const [[b]] = ctcBeamSearch(e, undefined, { beamWidth: 16 })
    expect(Array.from(b.tokens)).toEqual([1, 2, 1, 1])
    expect(Array.from(b.timesteps)).toEqual([2, 6, 9, 12])
  })

  it('beamPruneLogp, tokenMinLogp, nBest and beamWidth do what they say', () => {
    const r = rng(5)
    const lp = randomLogProbs(r, 8, 4, 1)
    const e = new Tensor(lp, [8, 4])
    const [all] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 64, nBest: 64, ...NO_PRUNING })
    const [pruned] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 64, nBest: 64, tokenMinLogp: -Infinity, beamPruneLogp: -0.5 })
    expect(pruned.length).toBeLessThan(all.length)
    for (const h of pruned) expect(h.score).toBeGreaterThanOrEqual(pruned[0].score - 0.5 - 1e-6)
    const [only] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 64, nBest: 64, tokenMinLogp: 0.5 })
    expect(only.length).toBe(1)
    expect(Array.from(only[0].tokens)).toEqual(Array.from(ctcGreedyDecode(e)[0].tokens))
    const [three] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 3, nBest: 3, ...NO_PRUNING })
    expect(three.length).toBe(3)
  })

  it('async equals sync; batches equal one-by-one; lengths and empty items', async () => {
    const r = rng(9)
    const T = 30
    const N = 4
    const C = 6
    const data = new Float32Array(T * N * C)
    const items = Array.from({ length: N }, () => randomLogProbs(r, T, C, 3))
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) data.set(items[n].subarray(t * C, (t + 1) * C), (t * N + n) * C)
    const lengths = [30, 17, 0, 30]
    const opts = { inputKind: 'logProbs', beamWidth: 8, nBest: 3 } as const
    const sync = ctcBeamSearch(new Tensor(data, [T, N, C]), lengths, opts)
    expect(await ctcBeamSearchAsync(new Tensor(data, [T, N, C]), lengths, opts)).toEqual(sync)
    expect(sync[2]).toEqual([{ tokens: new Int32Array(0), timesteps: new Int32Array(0), score: 0, ctcScore: 0, lmScore: 0, wordCount: 0 }])
    items.forEach((lp, n) => {
      const alone = ctcBeamSearch(new Tensor(lp.slice(0, lengths[n] * C), [lengths[n], C]), undefined, opts)[0]
      expect(alone, `item ${n}`).toEqual(sync[n])
    })
  })
})

describe('ctcBeamSearch: language models', () => {
  // blank, a, b: the acoustics slightly prefer "ba"; a character LM trained on "ab" flips it.
  const ab = hesitant({ 1: [[2, 0.5], [1, 0.4]], 3: [[1, 0.5], [2, 0.4]] }, 5, 3)
  const abLabels = ['_', 'a', 'b']
  const charLm = NgramLanguageModel.train(Array(20).fill('ab'), { order: 3, level: 'char', smoothing: 'witten-bell' })

  it('a character n-gram LM changes the decision; lmScore is the LM’s sentence log-probability', () => {
    expect(text(ctcBeamSearch(ab, undefined, { beamWidth: 16 })[0][0], abLabels)).toBe('ba')
    const [hyps] = ctcBeamSearch(ab, undefined, { beamWidth: 16, nBest: 4, lm: charLm, labels: abLabels, alpha: 1, beta: 0 })
    expect(text(hyps[0], abLabels)).toBe('ab')
    for (const h of hyps) {
      expect(h.lmScore).toBeCloseTo(charLm.sentenceLogProb(text(h, abLabels)), 4)
      // No word delimiter: every token is a word (β = 0 here).
      expect(h.score).toBeCloseTo(h.ctcScore + h.lmScore, 4)
    }
  })

  // blank, c, a, t, b, space: the acoustics prefer "cab cab"; a word LM that knows "cat" flips it.
  const catLabels = ['_', 'c', 'a', 't', 'b', ' ']
  const cat = hesitant({ 1: [[1, 0.9]], 3: [[2, 0.9]], 5: [[4, 0.5], [3, 0.4]], 7: [[5, 0.9]], 9: [[1, 0.9]], 11: [[2, 0.9]], 13: [[4, 0.5], [3, 0.4]] }, 15, 6)
  const wordLm = NgramLanguageModel.train(['cat cat', 'the cat', 'a cat sat'], { order: 2 })

  it('a word n-gram LM scores words at delimiters and the last word with </s> at the end', () => {
    expect(text(ctcBeamSearch(cat, undefined, { beamWidth: 32, labels: catLabels })[0][0], catLabels)).toBe('cab cab')
    const [[best]] = ctcBeamSearch(cat, undefined, { beamWidth: 32, lm: wordLm, labels: catLabels, alpha: 1, beta: 0.5 })
    expect(text(best, catLabels)).toBe('cat cat')
    expect(best.wordCount).toBe(2)
    expect(best.lmScore).toBeCloseTo(wordLm.sentenceLogProb('cat cat'), 4)
    expect(best.score).toBeCloseTo(best.ctcScore + best.lmScore + 0.5 * 2, 4)
  })

  it('a token-level callback computing the same n-gram gives the same hypotheses and scores', () => {
    const lm = NgramLanguageModel.train(['ab ba', 'a b', 'abba ab'], { order: 3, level: 'char' })
    const labels = ['_', 'a', 'b', ' ']
    const r = rng(21)
    const e = new Tensor(randomLogProbs(r, 25, 4, 3), [25, 4])
    const opts = { inputKind: 'logProbs', beamWidth: 12, nBest: 5, labels, alpha: 0.8, beta: 0.4 } as const
    let calls = 0
    const seen = new Set<string>()
    const callback = {
      level: 'token' as const,
      score(q: CtcTokenLmQueries): number[] {
        calls++
        return Array.from(q.next, (n, i) => {
          const k = `${q.contextIds[i]}:${n}`
          expect(seen.has(k), `query ${k} asked twice`).toBe(false)
          seen.add(k)
          const ctx = ['<s>', ...Array.from(q.contexts[i], (c) => labels[c])]
          return lm.logProb(ctx, n < 0 ? '</s>' : labels[n])
        })
      },
    }
    const viaCallback = ctcBeamSearch(e, undefined, { ...opts, lm: callback })[0]
    const native = ctcBeamSearch(e, undefined, { ...opts, lm })[0]
    expect(viaCallback.map(key)).toEqual(native.map(key))
    viaCallback.forEach((h, i) => {
      expect(h.score).toBeCloseTo(native[i].score, 4)
      expect(h.lmScore).toBeCloseTo(native[i].lmScore, 4)
    })
    // One batch per frame at most, plus the end.
    expect(calls).toBeLessThanOrEqual(25 + 1)
  })

  it('a word-level callback computing the same n-gram gives the same hypotheses and scores', () => {
    const callback = {
      level: 'word' as const,
      score(q: CtcWordLmQueries): number[] {
        return q.next.map((w, i) => wordLm.logProb(['<s>', ...q.contexts[i]], w ?? '</s>'))
      },
    }
    const opts = { beamWidth: 32, nBest: 4, labels: catLabels, alpha: 1, beta: 0.5, unkScore: 0 } as const
    const a = ctcBeamSearch(cat, undefined, { ...opts, lm: callback })[0]
    const b = ctcBeamSearch(cat, undefined, { ...opts, lm: wordLm })[0]
    expect(a.map(key)).toEqual(b.map(key))
    a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i].score, 4))
    expect(text(a[0], catLabels)).toBe('cat cat')
  })

  it('callback histories: ids are stable and contexts match them', () => {
    const contexts = new Map<number, string>()
    const callback = {
      level: 'token' as const,
      score(q: CtcTokenLmQueries): Float64Array {
        for (let i = 0; i < q.size; i++) {
          const ctx = Array.from(q.contexts[i]).join(',')
          const known = contexts.get(q.contextIds[i])
          if (known !== undefined) expect(ctx).toBe(known)
          contexts.set(q.contextIds[i], ctx)
          if (q.nextIds[i] >= 0) contexts.set(q.nextIds[i], [ctx, q.next[i]].filter((s) => s !== '').join(','))
        }
        return new Float64Array(q.size).fill(-1)
      },
    }
    ctcBeamSearch(ab, undefined, { beamWidth: 8, lm: callback, ...NO_PRUNING })
    expect(contexts.get(0)).toBe('')
    expect(contexts.size).toBeGreaterThan(3)
  })

  it('recurrentLmScorer adapts a LanguageModel: lmScore is the model’s own sequence log-probability', () => {
    const model = LanguageModel.fromText('ab ab ba\nab\n', { hiddenSize: 8, embeddingDim: 4, seed: 3 })
    const labels = ['_', 'a', 'b', ' ']
    const scorer = recurrentLmScorer(model, { labels })
    expect(scorer.level).toBe('token')
    const r = rng(4)
    const e = new Tensor(randomLogProbs(r, 12, 4, 3), [12, 4])
    const [hyps] = ctcBeamSearch(e, undefined, { inputKind: 'logProbs', beamWidth: 6, nBest: 3, lm: scorer, labels, alpha: 1, beta: 0 })
    const vocab = model.vocabulary
    for (const h of hyps) {
      // Feed '\n' then the tokens one step at a time; sum ln p of each token and of the final '\n'.
      const ids = [vocab.id('\n') as number, ...Array.from(h.tokens, (t) => vocab.id(labels[t]) as number)]
      let state
      let total = 0
      for (let i = 0; i < ids.length; i++) {
        const out = model.stepLogProbs(Int32Array.of(ids[i]), state)
        state = out.state
        const next = i + 1 < ids.length ? ids[i + 1] : (vocab.id('\n') as number)
        total += out.logProbs.data[next]
      }
      expect(h.lmScore).toBeCloseTo(total, 4)
    }
  })

  it('recurrentLmScorer on a word-level LanguageModel scores words from <bos> to <eos>', () => {
    const model = LanguageModel.fromText('the cat sat\ncat sat\nthe cat\n', { level: 'word', hiddenSize: 8, embeddingDim: 4, seed: 5 })
    const scorer = recurrentLmScorer(model, { labels: catLabels })
    expect(scorer.level).toBe('word')
    const [hyps] = ctcBeamSearch(cat, undefined, { beamWidth: 16, nBest: 3, lm: scorer, labels: catLabels, alpha: 1, beta: 0 })
    const vocab = model.vocabulary
    for (const h of hyps) {
      const words = text(h, catLabels).split(' ').filter((w) => w.length > 0)
      const ids = [vocab.id('<bos>') as number, ...words.map((w) => vocab.id(w) ?? (vocab.id('<unk>') as number))]
      let state
      let total = 0
      for (let i = 0; i < ids.length; i++) {
        const out = model.stepLogProbs(Int32Array.of(ids[i]), state)
        state = out.state
        total += out.logProbs.data[i + 1 < ids.length ? ids[i + 1] : (vocab.id('<eos>') as number)]
      }
      expect(h.lmScore, text(h, catLabels)).toBeCloseTo(total, 4)
    }
  })

  it('hotwords (strings or class ids) boost completed words and prefixes', () => {
    const e = hesitant({ 1: [[1, 0.9]], 3: [[2, 0.9]], 5: [[3, 0.5], [4, 0.4]] }, 7, 6)
    const base = { beamWidth: 16, labels: catLabels }
    expect(text(ctcBeamSearch(e, undefined, base)[0][0], catLabels)).toBe('cat')
    for (const hotwords of [['cab'], [[1, 2, 4]], ['tab cab']]) {
      const [[h]] = ctcBeamSearch(e, undefined, { ...base, hotwords, hotwordWeight: 2 })
      expect(text(h, catLabels), JSON.stringify(hotwords)).toBe('cab')
      expect(h.score).toBeCloseTo(h.ctcScore + 2, 4)
    }
  })
})

describe('decoder argument errors', () => {
  const e = new Tensor(new Float32Array(2 * 2 * 3), [2, 2, 3])

  it('blank out of range, lengths beyond T, wrong rank, wrong count', () => {
    expectError(() => ctcBeamSearch(e, undefined, { blank: 3 }), InvalidArgumentError, INVALID, ['blank: expected a class index in 0..3', 'got 3'])
    expectError(() => ctcGreedyDecode(e, undefined, { blank: 5 }), InvalidArgumentError, INVALID, ['blank:'])
    expectError(() => ctcBeamSearch(e, [2, 3]), InvalidArgumentError, INVALID, ['lengths[1]: expected an integer in 0..=2', 'got 3'])
    expectError(() => ctcGreedyDecode(e, [1, -1]), InvalidArgumentError, INVALID, ['lengths[1]:', 'got -1'])
    expectError(() => ctcBeamSearch(e, [2]), InvalidArgumentError, INVALID, ['lengths: expected 2 lengths', 'got 1'])
    expectError(() => ctcBeamSearch(new Tensor(new Float32Array(12), [12])), InvalidArgumentError, INVALID, ['emissions: expected rank 3', 'got rank 1'])
    expectError(() => ctcGreedyDecode(new Tensor(new Float32Array(24), [2, 2, 3, 2])), InvalidArgumentError, INVALID, ['emissions:', 'rank 4'])
    expectError(() => ctcGreedyDecode({ data: new Float32Array(3), shape: [2, 2] }), InvalidArgumentError, INVALID, ['emissions: shape [2, 2] needs 4 values, got 3'])
    expectError(() => ctcGreedyDecode(new Float32Array(4) as never), TypeError, undefined, ['emissions: expected a Tensor'])
  })

  it('NaN emissions, bad probabilities, unknown inputKind', () => {
    const nan = e.clone()
    nan.data[7] = NaN
    expectError(() => ctcBeamSearch(nan), InvalidArgumentError, INVALID, ['emissions: expected finite logits, got NaN at [1, 0, 1]'])
    expectError(() => ctcGreedyDecode(nan, undefined, { inputKind: 'logProbs' }), InvalidArgumentError, INVALID, ['emissions:', 'NaN at [1, 0, 1]'])
    expectError(() => ctcGreedyDecode(Tensor.full([2, 3], -0.5), undefined, { inputKind: 'probs' }), InvalidArgumentError, INVALID, ['probabilities (finite, ≥ 0), got -0.5 at [0, 0]'])
    expectError(() => ctcGreedyDecode(e, undefined, { inputKind: 'log' as never }), InvalidArgumentError, INVALID, ["inputKind: expected 'logits', 'logProbs' or 'probs', got 'log'"])
  })

  it('beam options', () => {
    expectError(() => ctcBeamSearch(e, undefined, { beamWidth: 0 }), InvalidArgumentError, INVALID, ['beamWidth: expected an integer in 1..=', 'got 0'])
    expectError(() => ctcBeamSearch(e, undefined, { beamWidth: 2.5 }), InvalidArgumentError, INVALID, ['beamWidth:', 'got 2.5'])
    expectError(() => ctcBeamSearch(e, undefined, { beamWidth: 2, nBest: 3 }), InvalidArgumentError, INVALID, ['nBest: expected an integer in 1..=2', 'got 3'])
    expectError(() => ctcBeamSearch(e, undefined, { tokenTopK: 4 }), InvalidArgumentError, INVALID, ['tokenTopK:', 'got 4'])
    expectError(() => ctcBeamSearch(e, undefined, { beamPruneLogp: 1 }), InvalidArgumentError, INVALID, ['beamPruneLogp: expected a number ≤ 0', 'got 1'])
    expectError(() => ctcBeamSearch(e, undefined, { tokenMinLogp: NaN }), InvalidArgumentError, INVALID, ['tokenMinLogp: expected a number, got NaN'])
    expectError(() => ctcBeamSearch(e, undefined, { wordDelimiter: 0 }), InvalidArgumentError, INVALID, ['wordDelimiter: expected a class in 0..3 other than the blank (0)', 'got 0'])
    expectError(() => ctcBeamSearch(e, undefined, { alpha: '1' as never }), TypeError, undefined, ['alpha: expected a number'])
    expectError(() => ctcBeamSearch(e, undefined, { labels: ['_', 'a'] }), InvalidArgumentError, INVALID, ['labels: expected 3 labels', 'got 2'])
  })

  it('language model and hotword arguments', async () => {
    const lm = NgramLanguageModel.train(['ab'], { level: 'char' })
    expectError(() => ctcBeamSearch(e, undefined, { lm }), InvalidArgumentError, INVALID, ['labels: an n-gram language model needs labels'])
    expectError(() => ctcBeamSearch(e, undefined, { lm: { score: () => [] } as never }), TypeError, undefined, ["lm: expected an NgramLanguageModel or { level: 'token' | 'word', score(queries) }"])
    expectError(() => ctcBeamSearch(e, undefined, { lm: { level: 'word', score: () => [] } }), InvalidArgumentError, INVALID, ['labels: a word-level language model needs labels'])
    await expectRejection(() => ctcBeamSearchAsync(e, undefined, { lm: { level: 'token', score: () => [] } }), InvalidArgumentError, INVALID, ['lm: a callback language model runs on the JavaScript thread'])
    expectError(() => ctcBeamSearch(e, undefined, { lm: { level: 'token', score: () => [] } }), InvalidArgumentError, INVALID, ['lm.score: expected', 'log-probabilities (one per query), got 0'])
    expectError(() => ctcBeamSearch(e, undefined, { lm: { level: 'token', score: (q) => new Array(q.size).fill(NaN) } }), InvalidArgumentError, INVALID, ['lm.score: returned NaN for query 0'])
    const boom = new Error('boom from the user callback')
    expect(() =>
      ctcBeamSearch(e, undefined, {
        lm: {
          level: 'token',
          score: () => {
            throw boom
          },
        },
      }),
    ).toThrow(boom)
    expectError(() => ctcBeamSearch(e, undefined, { hotwords: ['ab'] }), InvalidArgumentError, INVALID, ['hotwords[0]: a string hotword needs labels'])
    expectError(() => ctcBeamSearch(e, undefined, { hotwords: ['ax'], labels: ['_', 'a', 'b'] }), InvalidArgumentError, INVALID, ['hotwords[0]: no label spells "x"'])
    expectError(() => ctcBeamSearch(e, undefined, { hotwords: [[1, 0]] }), InvalidArgumentError, INVALID, ['hotwords[0]: token 1 is class 0, the blank'])
    expectError(() => ctcBeamSearch(e, undefined, { hotwords: [[1, 7]] }), InvalidArgumentError, INVALID, ['hotwords[0]: token 1 is class 7, outside the classes'])
  })
})
