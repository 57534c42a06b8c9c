/**
 * The quick-start demo: train a small LSTM on an embedded real series (monthly airline
 * passengers 1949–1960) to forecast next month's value, print the falling training loss, and
 * score the held-out last two years against simple baselines. Writes an SVG plot of the
 * forecast next to the data.
 *
 *   npm run example:airline   (builds the native core first if needed)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, LSTM, Tensor, clipGradNorm, mseLoss, getNumThreads } from '../ts/index';
import { AIRLINE_PASSENGERS, monthOf } from './data/airline-passengers';
import { lineChartSvg, writeFileAtomic } from './plot';

const TEST_MONTHS = 24;
const WINDOW = 36;
const EPOCHS = Number(process.env.DEMO_EPOCHS ?? 300);

// Work on the log scale, normalised with the training months' statistics only.
const logs = AIRLINE_PASSENGERS.map(Math.log);
const train = logs.slice(0, logs.length - TEST_MONTHS);
const mean = train.reduce((a, b) => a + b, 0) / train.length;
const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
const z = logs.map((v) => (v - mean) / std);

/** Step features: the normalised value and the month on the unit circle. */
function features(i: number): [number, number, number] {
  const a = (2 * Math.PI * monthOf(i)) / 12;
  return [z[i], Math.sin(a), Math.cos(a)];
}

/** Time-major inputs `[T, B, 3]` and next-month targets `[T, B, 1]` for windows starting at `starts`. */
function batch(starts: number[], length: number): { x: Tensor; y: Tensor } {
  const b = starts.length;
  const x = new Float32Array(length * b * 3);
  const y = new Float32Array(length * b);
  for (let t = 0; t < length; t++) {
    starts.forEach((s, j) => {
      x.set(features(s + t), (t * b + j) * 3);
      y[t * b + j] = z[s + t + 1];
    });
  }
  return { x: new Tensor(x, [length, b, 3]), y: new Tensor(y, [length, b, 1]) };
}

const lstm = new LSTM({ inputSize: 3, hiddenSize: 48, projSize: 1, seed: 7 });
const opt = new Adam([lstm], { lr: 0.01 });
const starts = Array.from({ length: train.length - WINDOW }, (_, i) => i);
const { x, y } = batch(starts, WINDOW);

console.log(`seqlearn demo: LSTM(3 → 48, projection 1) forecasting monthly airline passengers, ${getNumThreads()} threads`);
console.log(`training on ${train.length} months (${starts.length} windows of ${WINDOW}), holding out the last ${TEST_MONTHS}\n`);
const t0 = performance.now();
const losses: number[] = [];
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const { output } = lstm.forward(x, { training: true });
  const { loss, grad } = mseLoss(output, y);
  lstm.backward(grad);
  clipGradNorm([lstm], 1.0);
  opt.step();
  opt.zeroGrad();
  losses.push(loss);
  if (epoch === 1 || epoch % 25 === 0) {
    const bar = '█'.repeat(Math.max(1, Math.round(40 * Math.min(1, loss / losses[0]))));
    console.log(`epoch ${String(epoch).padStart(4)}  train MSE ${loss.toFixed(5)}  ${bar}`);
  }
}
const seconds = (performance.now() - t0) / 1000;
console.log(`\n${EPOCHS} epochs in ${seconds.toFixed(2)} s (${((EPOCHS * starts.length * WINDOW) / seconds / 1000).toFixed(0)}k steps/s, forward + backward + Adam)`);

// One-step-ahead forecasts over the whole series (true history as input).
const all = batch([0], logs.length - 1);
const pred = lstm.forward(all.x).output.data;
const toPassengers = (v: number): number => Math.exp(v * std + mean);
const first = logs.length - TEST_MONTHS;
let se = 0;
let seNaive = 0;
let seSeasonal = 0;
const forecast: number[] = [];
for (let i = first; i < logs.length; i++) {
  const p = toPassengers(pred[i - 1]);
  forecast.push(p);
  se += (p - AIRLINE_PASSENGERS[i]) ** 2;
  seNaive += (AIRLINE_PASSENGERS[i - 1] - AIRLINE_PASSENGERS[i]) ** 2;
  seSeasonal += (AIRLINE_PASSENGERS[i - 12] * (AIRLINE_PASSENGERS[i - 1] / AIRLINE_PASSENGERS[i - 13]) - AIRLINE_PASSENGERS[i]) ** 2;
}
const rmse = (s: number): string => Math.sqrt(s / TEST_MONTHS).toFixed(1);
console.log(`\nheld-out ${TEST_MONTHS} months, one-step-ahead RMSE (thousands of passengers):`);
console.log(`  LSTM                                   ${rmse(se)}`);
console.log(`  last month (persistence)               ${rmse(seNaive)}`);
console.log(`  same month last year × recent growth   ${rmse(seSeasonal)}`);

const outDir = join(__dirname, '..', 'demo-output');
mkdirSync(outDir, { recursive: true });
const svg = lineChartSvg({
  title: 'Airline passengers: data and LSTM one-step forecasts (held-out months shaded)',
  series: [
    { name: 'passengers (thousands)', points: AIRLINE_PASSENGERS.map((v, i) => [1949 + i / 12, v]) },
    { name: 'LSTM forecast', points: forecast.map((v, k) => [1949 + (first + k) / 12, v]) },
  ],
  shadeFrom: 1949 + first / 12,
});
writeFileAtomic(join(outDir, 'forecast.svg'), svg);
writeFileAtomic(join(outDir, 'loss.svg'), lineChartSvg({ title: 'Training loss (MSE, normalised log scale)', series: [{ name: 'train MSE', points: losses.map((l, i) => [i + 1, l]) }], logY: true }));
console.log(`\nplots: ${join('demo-output', 'forecast.svg')}, ${join('demo-output', 'loss.svg')}`);
