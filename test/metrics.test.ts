// Metrics vs scikit-learn: the fixtures of test/fixtures/losses/metrics_*.safetensors (written by
// make_loss_fixtures.py with sklearn.metrics) are recomputed through the public API and compared
// within 1e-5 (counts exactly); ignored targets, an absent class, tie rules and zero targets are
// covered; one error test per validated argument.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  IntTensor,
  ShapeError,
  Tensor,
  accuracy,
  binaryMetrics,
  confusionMatrix,
  crossEntropy,
  loadSafetensorsFileSync,
  mae,
  mape,
  perplexity,
  precisionRecallF1,
  rmse,
  smape,
  topKAccuracy,
  type SafetensorsFile,
} from '../dist/index.js'
import { expectClose, expectError } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'losses')
const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const SHAPE = 'ERR_SEQLEARN_SHAPE'
const TOL = 1e-5

type Scores = { precision: number; recall: number; f1: number }

function load(name: string): { f: SafetensorsFile; config: Record<string, unknown>; expected: Record<string, unknown> } {
  const f = loadSafetensorsFileSync(`${DIR}/${name}.safetensors`)
  const c = JSON.parse(f.metadata.case) as { config: Record<string, unknown>; expected: Record<string, unknown> }
  return { f, ...c }
}

function close(actual: number, expected: number, label: string): void {
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL + TOL * Math.abs(expected))
}

function scoresClose(actual: Scores, expected: Scores, label: string): void {
  close(actual.precision, expected.precision, `${label} precision`)
  close(actual.recall, expected.recall, `${label} recall`)
  close(actual.f1, expected.f1, `${label} f1`)
}

describe('multiclass metrics vs scikit-learn', () => {
  const { f, config, expected } = load('metrics_multiclass')
  const logits = f.tensors.logits as Tensor
  const target = f.tensors.target as IntTensor
  const pred = f.tensors.pred as IntTensor
  const ignoreIndex = config.ignoreIndex as number
  const C = expected.numClasses as number

  it('accuracy from logits and from labels (ignored targets left out)', () => {
    for (const p of [logits, pred]) {
      const a = accuracy(p, target, { ignoreIndex })
      close(a.accuracy, expected.accuracy as number, 'accuracy')
      expect(a.count).toBe(target.data.filter((t) => t !== ignoreIndex).length)
      expect(a.correct).toBe(Math.round(a.accuracy * a.count))
    }
    // The same counts as crossEntropy's, without the loss.
    const ce = crossEntropy(logits, target, { ignoreIndex })
    expect([ce.correct, ce.count]).toEqual([accuracy(logits, target).correct, accuracy(logits, target).count])
  })

  it('top-k accuracy (top_k_accuracy_score)', () => {
    close(topKAccuracy(logits, target, 2).accuracy, expected.top2 as number, 'top-2')
    close(topKAccuracy(logits, target, 3).accuracy, expected.top3 as number, 'top-3')
    expect(topKAccuracy(logits, target, 1)).toEqual(accuracy(logits, target))
    expect(topKAccuracy(logits, target, C).accuracy).toBe(1)
  })

  it('confusion matrix (rows true, columns predicted)', () => {
    const exp = f.tensors['expected.confusion'] as IntTensor
    for (const p of [logits, pred]) {
      const cm = confusionMatrix(p, target, { numClasses: C })
      expect(cm).toBeInstanceOf(IntTensor)
      expect(cm.shape).toEqual([C, C])
      expect(Array.from(cm.data)).toEqual(Array.from(exp.data))
    }
  })

  it('precision, recall, F1, support per class and macro/micro/weighted averages', () => {
    for (const p of [logits, pred]) {
      const r = precisionRecallF1(p, target, { numClasses: C, ignoreIndex })
      expectClose(r.precision, f.tensors['expected.precision'] as Tensor, { atol: TOL, rtol: TOL, label: 'precision' })
      expectClose(r.recall, f.tensors['expected.recall'] as Tensor, { atol: TOL, rtol: TOL, label: 'recall' })
      expectClose(r.f1, f.tensors['expected.f1'] as Tensor, { atol: TOL, rtol: TOL, label: 'f1' })
      expect(Array.from(r.support.data)).toEqual(Array.from((f.tensors['expected.support'] as IntTensor).data))
      scoresClose(r.macro, expected.macro as Scores, 'macro')
      scoresClose(r.micro, expected.micro as Scores, 'micro')
      scoresClose(r.weighted, expected.weighted as Scores, 'weighted')
    }
    // Class C−1 never occurs and is never predicted: zero scores, left out of the macro mean.
    const r = precisionRecallF1(pred, target, { numClasses: C })
    expect([r.precision.data[C - 1], r.recall.data[C - 1], r.f1.data[C - 1], r.support.data[C - 1]]).toEqual([0, 0, 0, 0])
    let sum = 0
    for (let k = 0; k < C - 1; k++) sum += r.f1.data[k]
    close(r.macro.f1, sum / (C - 1), 'macro over present classes')
  })

  it('numClasses defaults: the logits’ classes, or 1 + the largest label', () => {
    expect(confusionMatrix(logits, target).shape).toEqual([C, C])
    // Labels never reach class C−1, so the inferred size is C−1.
    expect(confusionMatrix(pred, target).shape).toEqual([C - 1, C - 1])
  })
})

describe('binary metrics vs scikit-learn', () => {
  const { f, expected } = load('metrics_binary')
  const logits = f.tensors.logits as Tensor
  const target = f.tensors.target as Tensor
  it.each(['0.5', '0.3'])('threshold %s', (th) => {
    const e = expected[th] as Record<string, number>
    const m = binaryMetrics(logits, target, { threshold: Number(th) })
    expect([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives]).toEqual([e.tp, e.fp, e.tn, e.fn])
    close(m.accuracy, e.accuracy, 'accuracy')
    scoresClose(m, e as unknown as Scores, `threshold ${th}`)
  })

  it('default threshold 0.5; predicted positive only when sigmoid(logit) > threshold', () => {
    expect(binaryMetrics(logits, target)).toEqual(binaryMetrics(logits, target, { threshold: 0.5 }))
    const m = binaryMetrics(Tensor.from([0, 0]), Tensor.from([1, 0]))
    expect([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives]).toEqual([0, 0, 1, 1])
    expect([m.precision, m.f1]).toEqual([0, 0])
  })
})

describe('regression metrics vs scikit-learn', () => {
  const { f, expected } = load('metrics_regression')
  const pred = f.tensors.pred as Tensor
  const target = f.tensors.target as Tensor
  it('MAE, RMSE, MAPE (with sklearn’s eps for zero targets), sMAPE, perplexity', () => {
    close(mae(pred, target), expected.mae as number, 'mae')
    close(rmse(pred, target), expected.rmse as number, 'rmse')
    close(mape(pred, target), expected.mape as number, 'mape')
    expect(mape(pred, target)).toBeGreaterThan(1e10)
    const keep = (t: Tensor): Tensor => new Tensor(t.data.filter((_, i) => i !== 7 && i !== 11), [t.size - 2])
    close(mape(keep(pred), keep(target)), expected.mapeWithoutZero as number, 'mape without the zero targets')
    close(smape(pred, target), expected.smape as number, 'smape')
    close(perplexity(expected.meanNll as number), expected.perplexity as number, 'perplexity')
  })
})

describe('errors: one per validated argument', () => {
  const logits = Tensor.randn([4, 3], { seed: 1 })
  const target = new IntTensor(new Int32Array([0, 1, 2, -100]), [4])
  const labels = new IntTensor(new Int32Array([0, 1, 1, 2]), [4])

  it('pred: wrong type; pred[i] out of range', () => {
    expectError(() => accuracy([0, 1] as unknown as IntTensor, target), TypeError, undefined, ['pred', 'Float32Array', 'Int32Array'])
    expectError(() => confusionMatrix(new IntTensor(new Int32Array([0, 5, 1, 1]), [4]), target, { numClasses: 3 }), InvalidArgumentError, INVALID, ['pred[1]', '0..3', 'got 5'])
  })

  it('logits: NaN with index', () => {
    const bad = logits.clone()
    bad.data[4] = NaN
    expectError(() => accuracy(bad, target), InvalidArgumentError, INVALID, ['logits', 'NaN', 'index 4'])
    expectError(() => topKAccuracy(bad, target, 2), InvalidArgumentError, INVALID, ['logits', 'NaN', 'index 4'])
  })

  it('target: wrong type, shape, class index out of range', () => {
    expectError(() => accuracy(logits, Tensor.zeros([4]) as unknown as IntTensor), TypeError, undefined, ['target', 'Int32Array'])
    expectError(() => accuracy(logits, new IntTensor(new Int32Array(3), [3])), ShapeError, SHAPE, ['target', '[4]', '[3]'])
    expectError(() => precisionRecallF1(labels, new IntTensor(new Int32Array([0, 1, 7, 1]), [4]), { numClasses: 3 }), InvalidArgumentError, INVALID, ['target[2]', 'got 7'])
    expectError(() => topKAccuracy(logits, new IntTensor(new Int32Array([0, 3, 0, 0]), [4]), 1), InvalidArgumentError, INVALID, ['target[1]', '0..3'])
  })

  it('k: outside 1..=C, not a number', () => {
    expectError(() => topKAccuracy(logits, target, 0), InvalidArgumentError, INVALID, ['k', '1..=3', 'got 0'])
    expectError(() => topKAccuracy(logits, target, 4), InvalidArgumentError, INVALID, ['k', 'got 4'])
    expectError(() => topKAccuracy(logits, target, '2' as unknown as number), TypeError, undefined, ['k', 'expected a number'])
  })

  it('numClasses: 0, not an integer, not the logits’ classes, too large for a confusion matrix', () => {
    expectError(() => confusionMatrix(labels, target, { numClasses: 0 }), InvalidArgumentError, INVALID, ['numClasses', 'got 0'])
    expectError(() => confusionMatrix(labels, target, { numClasses: 2.5 }), InvalidArgumentError, INVALID, ['numClasses', 'integer', '2.5'])
    expectError(() => precisionRecallF1(logits, target, { numClasses: 4 }), InvalidArgumentError, INVALID, ['numClasses', 'expected 3', 'got 4'])
    expectError(() => confusionMatrix(labels, target, { numClasses: 9000 }), InvalidArgumentError, INVALID, ['numClasses', '8192', '9000'])
    expect(precisionRecallF1(labels, target, { numClasses: 9000 }).support.shape).toEqual([9000])
  })

  it('ignoreIndex: not an integer', () => {
    expectError(() => accuracy(labels, target, { ignoreIndex: 0.5 }), InvalidArgumentError, INVALID, ['ignoreIndex', 'integer', '0.5'])
  })

  it('threshold outside [0, 1]; binary target not 0/1; shapes', () => {
    const x = Tensor.from([0.5, -1])
    expectError(() => binaryMetrics(x, Tensor.from([1, 0]), { threshold: 1.5 }), InvalidArgumentError, INVALID, ['threshold', '[0, 1]', '1.5'])
    expectError(() => binaryMetrics(x, Tensor.from([1, 0.5])), InvalidArgumentError, INVALID, ['target[1]', '0 or 1', '0.5'])
    expectError(() => binaryMetrics(x, Tensor.from([1, 0, 1])), ShapeError, SHAPE, ['target', '[2]', '[3]'])
  })

  it('regression: pred/target shapes, empty, NaN', () => {
    expectError(() => mae(Tensor.zeros([3]), Tensor.zeros([2])), ShapeError, SHAPE, ['target', '[3]', '[2]'])
    expectError(() => rmse(Tensor.zeros([0]), Tensor.zeros([0])), InvalidArgumentError, INVALID, ['pred', 'at least one'])
    expectError(() => smape(Tensor.from([1, NaN]), Tensor.zeros([2])), InvalidArgumentError, INVALID, ['pred', 'NaN', 'index 1'])
    expectError(() => mape(Tensor.zeros([2]), Tensor.from([Infinity, 1])), InvalidArgumentError, INVALID, ['target', 'inf', 'index 0'])
  })

  it('perplexity: NaN or negative mean NLL', () => {
    expectError(() => perplexity(NaN), InvalidArgumentError, INVALID, ['meanNll', 'NaN'])
    expectError(() => perplexity(-1), InvalidArgumentError, INVALID, ['meanNll', '-1'])
    expectError(() => perplexity('2' as unknown as number), TypeError, undefined, ['meanNll', 'expected a number'])
  })
})
