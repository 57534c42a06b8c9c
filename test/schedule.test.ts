// Learning-rate schedules: the lr sequence of torch.optim.lr_scheduler within 1e-12 (fixture
// made by test/fixtures/make_optim_fixtures.py, incl. ReduceLROnPlateau fed fixed metrics and
// OneCycleLR's momentum), exact resumption from stateDict(), and one error test per argument.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  Adagrad,
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  GRU,
  InvalidArgumentError,
  LinearWarmup,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
  type Optimizer,
  type Schedule,
  type ScheduleState,
} from '../dist/index.js'
import { expectError } from './helpers'

const INVALID = 'ERR_SEQLEARN_INVALID_ARG'

interface ScheduleCase {
  name: string
  kind: string
  options: Record<string, unknown>
  optimizer: { kind: 'sgd' | 'adam'; options: Record<string, unknown> }
  steps: number
  metrics?: number[]
  lrs: number[]
  momentums?: number[]
}

const fixture = JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'optim', 'schedules.json'), 'utf8')) as { cases: ScheduleCase[] }

function optimizer(spec: ScheduleCase['optimizer']): Optimizer {
  const layer = new GRU({ inputSize: 1, hiddenSize: 1 })
  return spec.kind === 'adam' ? new Adam([layer], spec.options) : new SGD([layer], spec.options)
}

function build(kind: string, opt: Optimizer, options: Record<string, unknown>): Schedule & { step(metric?: number): void } {
  switch (kind) {
    case 'StepLR':
      return new StepLR(opt, options as { stepSize: number })
    case 'MultiStepLR':
      return new MultiStepLR(opt, options as { milestones: number[] })
    case 'ExponentialLR':
      return new ExponentialLR(opt, options as { gamma: number })
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, options as { tMax: number })
    case 'LinearWarmup': {
      const a = options.after as { kind: string; options: Record<string, unknown> } | undefined
      const after = a ? (build(a.kind, opt, a.options) as LRScheduler) : undefined
      return new LinearWarmup(opt, { ...(options as { warmupSteps: number }), after })
    }
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, options)
    case 'OneCycleLR':
      return new OneCycleLR(opt, options as { maxLr: number })
    default:
      throw new Error(`unknown schedule ${kind}`)
  }
}

const momentumOf = (opt: Optimizer): number => {
  const o = opt.options as { momentum?: number; betas?: readonly [number, number] }
  return o.betas ? o.betas[0] : (o.momentum as number)
}

/** Runs `c` for steps `from..to`, returning the lrs (and momentums) after each. */
function run(c: ScheduleCase, opt: Optimizer, s: Schedule & { step(metric?: number): void }, from: number, to: number): { lrs: number[]; momentums: number[] } {
  const lrs: number[] = []
  const momentums: number[] = []
  for (let k = from; k < to; k++) {
    opt.step()
    if (c.metrics) s.step(c.metrics[k])
    else s.step()
    lrs.push(s.lastLr)
    expect(opt.lr, `${c.name}: the optimizer has the schedule's lr`).toBe(s.lastLr)
    momentums.push(momentumOf(opt))
  }
  return { lrs, momentums }
}

describe('PyTorch parity (torch.optim.lr_scheduler)', () => {
  it('the fixture covers every schedule', () => {
    const kinds = new Set(fixture.cases.map((c) => c.kind))
    for (const k of ['StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR', 'LinearWarmup', 'ReduceLROnPlateau', 'OneCycleLR']) expect(kinds.has(k), k).toBe(true)
  })

  for (const c of fixture.cases) {
    it(`${c.name}: lr after construction and each of ${c.steps} steps within 1e-12`, () => {
      const opt = optimizer(c.optimizer)
      const s = build(c.kind, opt, c.options)
      const got = [s.lastLr, ...run(c, opt, s, 0, c.steps).lrs]
      expect(got.length).toBe(c.lrs.length)
      got.forEach((lr, k) => expect(Math.abs(lr - c.lrs[k]), `${c.name} lr ${k}: ${lr} vs ${c.lrs[k]}`).toBeLessThanOrEqual(1e-12))
      if (c.momentums) {
        const opt2 = optimizer(c.optimizer)
        const s2 = build(c.kind, opt2, c.options)
        const m = [momentumOf(opt2), ...run(c, opt2, s2, 0, c.steps).momentums]
        m.forEach((v, k) => expect(Math.abs(v - c.momentums![k]), `${c.name} momentum ${k}`).toBeLessThanOrEqual(1e-12))
      }
    })
  }
})

describe('stateDict: resumed schedules continue exactly', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const half = Math.floor(c.steps / 2)
      const opt = optimizer(c.optimizer)
      const s = build(c.kind, opt, c.options)
      const straight = run(c, opt, s, 0, c.steps)

      const opt1 = optimizer(c.optimizer)
      const s1 = build(c.kind, opt1, c.options)
      run(c, opt1, s1, 0, half)
      const saved = JSON.parse(JSON.stringify({ schedule: s1.stateDict(), optimizer: { ...opt1.stateDict(), tensors: {} } })) as { schedule: ScheduleState; optimizer: ReturnType<Optimizer['stateDict']> }

      const opt2 = optimizer(c.optimizer)
      const s2 = build(c.kind, opt2, c.options)
      opt2.loadStateDict({ ...saved.optimizer, tensors: opt1.stateDict().tensors })
      s2.loadStateDict(saved.schedule)
      expect(s2.lastLr).toBe(s1.lastLr)
      const resumed = run(c, opt2, s2, half, c.steps)
      expect(resumed.lrs).toEqual(straight.lrs.slice(half))
      expect(resumed.momentums).toEqual(straight.momentums.slice(half))
    })
  }
})

describe('behaviour', () => {
  it('OneCycleLR allows the step at totalSteps (as PyTorch) and refuses the next', () => {
    const opt = optimizer({ kind: 'sgd', options: { lr: 0.1, momentum: 0.9 } })
    const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 4 })
    for (let k = 0; k < 4; k++) s.step()
    expect(s.lastLr).toBeGreaterThanOrEqual(0)
    expectError(() => s.step(), InvalidArgumentError, INVALID, ['step', 'tried to step 5 times', 'totalSteps = 4'])
  })

  it('chainable schedules follow manual lr changes, as in PyTorch', () => {
    const opt = optimizer({ kind: 'sgd', options: { lr: 1 } })
    const s = new ExponentialLR(opt, { gamma: 0.5 })
    s.step()
    opt.lr = 4
    s.step()
    expect(s.lastLr).toBe(2)
  })

  it('ReduceLROnPlateau saves an infinite best as null (JSON-able)', () => {
    const s = new ReduceLROnPlateau(optimizer({ kind: 'sgd', options: { lr: 1 } }))
    expect(s.stateDict().best).toBeNull()
    s.step(0.5)
    expect(JSON.parse(JSON.stringify(s.stateDict())).best).toBe(0.5)
  })
})

describe('errors', () => {
  const opt = (): Optimizer => optimizer({ kind: 'sgd', options: { lr: 0.1, momentum: 0.9 } })
  const cases: [string, () => unknown, abstract new (...args: never[]) => Error, string[]][] = [
    ['optimizer', () => new StepLR({ lr: 0.1 } as unknown as Optimizer, { stepSize: 1 }), TypeError, ['optimizer', 'expected an Optimizer']],
    ['options', () => new StepLR(opt(), 3 as unknown as { stepSize: number }), TypeError, ['options', 'expected an object']],
    ['stepSize 0', () => new StepLR(opt(), { stepSize: 0 }), InvalidArgumentError, ['stepSize', 'integer ≥ 1', 'got 0']],
    ['stepSize fractional', () => new StepLR(opt(), { stepSize: 1.5 }), InvalidArgumentError, ['stepSize', 'got 1.5']],
    ['stepSize missing', () => new StepLR(opt(), {} as { stepSize: number }), TypeError, ['stepSize', 'expected a number', 'undefined']],
    ['gamma < 0', () => new StepLR(opt(), { stepSize: 2, gamma: -0.1 }), InvalidArgumentError, ['gamma', '≥ 0', 'got -0.1']],
    ['milestones not an array', () => new MultiStepLR(opt(), { milestones: 3 as unknown as number[] }), TypeError, ['milestones', 'array']],
    ['milestones decreasing', () => new MultiStepLR(opt(), { milestones: [5, 2] }), InvalidArgumentError, ['milestones[1]', 'non-decreasing', 'got 2']],
    ['milestone negative', () => new MultiStepLR(opt(), { milestones: [-1] }), InvalidArgumentError, ['milestones[0]', 'integer ≥ 0', 'got -1']],
    ['ExponentialLR gamma missing', () => new ExponentialLR(opt(), {} as { gamma: number }), TypeError, ['gamma', 'number']],
    ['ExponentialLR gamma NaN', () => new ExponentialLR(opt(), { gamma: NaN }), InvalidArgumentError, ['gamma', 'got NaN']],
    ['tMax 0', () => new CosineAnnealingLR(opt(), { tMax: 0 }), InvalidArgumentError, ['tMax', 'got 0']],
    ['etaMin < 0', () => new CosineAnnealingLR(opt(), { tMax: 5, etaMin: -1 }), InvalidArgumentError, ['etaMin', 'got -1']],
    ['warmupSteps 0', () => new LinearWarmup(opt(), { warmupSteps: 0 }), InvalidArgumentError, ['warmupSteps', 'got 0']],
    ['startFactor 0', () => new LinearWarmup(opt(), { warmupSteps: 3, startFactor: 0 }), InvalidArgumentError, ['startFactor', '(0, 1]', 'got 0']],
    ['startFactor > 1', () => new LinearWarmup(opt(), { warmupSteps: 3, startFactor: 1.5 }), InvalidArgumentError, ['startFactor', 'got 1.5']],
    ['after not a schedule', () => new LinearWarmup(opt(), { warmupSteps: 3, after: {} as LRScheduler }), TypeError, ['after', 'schedule']],
    [
      'after of another optimizer',
      () => {
        const o = opt()
        return new LinearWarmup(o, { warmupSteps: 3, after: new StepLR(opt(), { stepSize: 1 }) })
      },
      InvalidArgumentError,
      ['after', 'same optimizer'],
    ],
    ['mode', () => new ReduceLROnPlateau(opt(), { mode: 'avg' as 'min' }), InvalidArgumentError, ['mode', "'min' or 'max'", 'avg']],
    ['thresholdMode', () => new ReduceLROnPlateau(opt(), { thresholdMode: 'pct' as 'rel' }), InvalidArgumentError, ['thresholdMode', 'pct']],
    ['factor 1', () => new ReduceLROnPlateau(opt(), { factor: 1 }), InvalidArgumentError, ['factor', '[0, 1)', 'got 1']],
    ['patience < 0', () => new ReduceLROnPlateau(opt(), { patience: -1 }), InvalidArgumentError, ['patience', 'got -1']],
    ['cooldown fractional', () => new ReduceLROnPlateau(opt(), { cooldown: 0.5 }), InvalidArgumentError, ['cooldown', 'got 0.5']],
    ['threshold < 0', () => new ReduceLROnPlateau(opt(), { threshold: -1 }), InvalidArgumentError, ['threshold', 'got -1']],
    ['minLr < 0', () => new ReduceLROnPlateau(opt(), { minLr: -1e-3 }), InvalidArgumentError, ['minLr', 'got -0.001']],
    ['eps NaN', () => new ReduceLROnPlateau(opt(), { eps: NaN }), InvalidArgumentError, ['eps', 'got NaN']],
    ['metric NaN', () => new ReduceLROnPlateau(opt()).step(NaN), InvalidArgumentError, ['metric', 'not NaN']],
    ['metric missing', () => (new ReduceLROnPlateau(opt()) as unknown as { step(): void }).step(), TypeError, ['metric', 'number']],
    ['maxLr 0', () => new OneCycleLR(opt(), { maxLr: 0, totalSteps: 5 }), InvalidArgumentError, ['maxLr', '> 0', 'got 0']],
    ['totalSteps missing', () => new OneCycleLR(opt(), { maxLr: 0.1 }), InvalidArgumentError, ['totalSteps', 'required', 'stepsPerEpoch']],
    ['totalSteps 0', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 0 }), InvalidArgumentError, ['totalSteps', 'got 0']],
    ['epochs 0', () => new OneCycleLR(opt(), { maxLr: 0.1, epochs: 0, stepsPerEpoch: 3 }), InvalidArgumentError, ['epochs', 'got 0']],
    ['pctStart > 1', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, pctStart: 2 }), InvalidArgumentError, ['pctStart', '[0, 1]', 'got 2']],
    ['annealStrategy', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, annealStrategy: 'exp' as 'cos' }), InvalidArgumentError, ['annealStrategy', 'exp']],
    ['divFactor 0', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, divFactor: 0 }), InvalidArgumentError, ['divFactor', 'got 0']],
    ['finalDivFactor < 0', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, finalDivFactor: -1 }), InvalidArgumentError, ['finalDivFactor', 'got -1']],
    ['maxMomentum < 0', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, maxMomentum: -0.5 }), InvalidArgumentError, ['maxMomentum', 'got -0.5']],
    ['baseMomentum NaN', () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 5, baseMomentum: NaN }), InvalidArgumentError, ['baseMomentum', 'got NaN']],
    ['cycleMomentum with Adagrad', () => new OneCycleLR(new Adagrad([new GRU({ inputSize: 1, hiddenSize: 1 })]), { maxLr: 0.1, totalSteps: 5 }), InvalidArgumentError, ['cycleMomentum', 'Adagrad']],
    ['momentum β1 ≥ 1 for Adam', () => new OneCycleLR(new Adam([new GRU({ inputSize: 1, hiddenSize: 1 })]), { maxLr: 0.1, totalSteps: 5, maxMomentum: 1 }), InvalidArgumentError, ['betas[0]', 'got 1']],
  ]
  for (const [what, fn, cls, parts] of cases) {
    it(what, () => {
      expectError(fn, cls, cls === TypeError ? undefined : INVALID, parts)
    })
  }

  it('loadStateDict: wrong kind, missing or bad fields', () => {
    const s = new StepLR(opt(), { stepSize: 2 })
    const good = s.stateDict()
    expectError(() => s.loadStateDict({ ...good, kind: 'ExponentialLR' }), InvalidArgumentError, INVALID, ['state.kind', "expected 'StepLR'", 'ExponentialLR'])
    expectError(() => s.loadStateDict({ kind: 'StepLR', baseLr: 0.1, lastLr: 0.1 }), TypeError, undefined, ['state.lastEpoch', 'integer', 'undefined'])
    expectError(() => s.loadStateDict({ ...good, baseLr: 'x' }), TypeError, undefined, ['state.baseLr', 'finite number'])
    expectError(() => s.loadStateDict(null as unknown as ScheduleState), TypeError, undefined, ['state', 'null'])
    const w = new LinearWarmup(opt(), { warmupSteps: 2 })
    expectError(() => w.loadStateDict({ ...w.stateDict(), after: good }), InvalidArgumentError, INVALID, ['state.after', 'no schedule after it'])
    const p = new ReduceLROnPlateau(opt())
    expectError(() => p.loadStateDict({ ...p.stateDict(), numBadEpochs: -0.5 }), TypeError, undefined, ['state.numBadEpochs', 'integer'])
    expect(s.stateDict()).toEqual(good)
  })
})
