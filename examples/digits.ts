/**
 * Speech → text with CTC, on a speaker the model never heard: spoken digit strings ("three one
 * four") built from the Free Spoken Digit Dataset (see `fsdd.ts`), transcribed letter by letter
 * by a bidirectional LSTM trained with the CTC loss. Reports the held-out speaker's character
 * and word error rates with greedy decoding, prefix beam search, and beam search fused with an
 * n-gram language model (word 3-gram or character 8-gram) trained by seqlearn on the training
 * transcripts.
 *
 *   npm run example:digits                     (full run: ≈ 5 min on 2 cores, release build)
 *   npm run example:digits -- --quick          (smoke run: ≈ 40 s)
 *   npm run example:digits -- --holdout lucas  (another test speaker; default theo)
 *
 * Protocol: train on 4 speakers (takes 5–49), select the epoch and the decoder weights (α, β)
 * on validation strings of the same 4 speakers' takes 0–4, score the held-out speaker once.
 * The configuration below (features, augmentation) was chosen by inner leave-one-speaker-out
 * validation among george, jackson, lucas and nicolas only (train on 3, score the 4th), never
 * looking at theo:
 *
 *   npm run example:digits -- --quick --greedy-only --train-speakers george,jackson,lucas --holdout nicolas
 *
 * Features: 20 MFCCs of 40 mel bands (25 ms windows, 10 ms hop), each utterance normalised to
 * zero mean and unit variance per coefficient; two frames stacked per recurrent step (20 ms).
 * Truncating the cepstrum drops the fine spectral structure (pitch harmonics) that identifies a
 * voice, which is what made 40 log-mel bands overfit to the training speakers. Training uses new
 * random strings every epoch, each with its own speed factor (×0.85–1.15, which also shifts the
 * formants like a different vocal tract), gain (±6 dB) and noise (SNR 15–40 dB), plus SpecAugment
 * masks.
 *
 * Flags (defaults in parentheses; `--quick` shrinks the counts, epochs and hidden size):
 *   --holdout NAME             test speaker (theo)
 *   --train-speakers a,b,c     training/validation speakers (every speaker but the held-out one)
 *   --greedy-only              train, print one `RESULT …` line with the held-out greedy CER, stop
 *                              (no LM tuning, no files): the inner-validation mode
 *   --features mfcc|logmel     feature kind (mfcc); --mfcc N coefficients (20); --mels N bands (40)
 *   --fixed                    one fixed training set instead of new strings every epoch
 *   --speed lo,hi              speed-perturbation range (0.85,1.15)
 *   --freq-masks N --freq-width W --time-masks N --time-width W   SpecAugment (2, 6, 2, 8)
 *   --dropout P (0.1)  --hidden N (128)  --layers N (2)  --epochs N (30)  --train N strings (2000)
 *   --val N (200)  --test N (400)  --lr X (3e-3)  --batch N (16)  --beam N (32)  --seed N (0)
 * Writes runs/digits/{loss.svg, cer.svg, alignment.svg, model/} (`DIGITS_OUT` to change).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  Adam, CtcModel, NgramLanguageModel, ReduceLROnPlateau, Tensor, audioFeaturesAsync, charErrorRate, getNumThreads, wordErrorRate,
  type AugmentOptions, type CtcUtterance, type TranscribeOptions,
} from '../ts/index';
import {
  DIGIT_WORDS, SAMPLE_RATE, buildDigitStrings, holdoutArg, listFlag, loadRecordings, numberFlag, requireFsdd, splitRecordings, trainSpeakersArg, type DigitString,
} from './fsdd';
import { lineChartSvg, writeFileAtomic } from './plot';

const QUICK = process.argv.includes('--quick');
const HOLDOUT = holdoutArg();
const TRAIN_SPEAKERS = trainSpeakersArg(HOLDOUT);
const SEED = numberFlag('seed', 0);
const EPOCHS = numberFlag('epochs', QUICK ? 12 : 30);
const N_TRAIN = numberFlag('train', QUICK ? 800 : 2000);
const N_VAL = numberFlag('val', QUICK ? 60 : 200);
const N_TEST = numberFlag('test', QUICK ? 100 : 400);
const HIDDEN = numberFlag('hidden', QUICK ? 96 : 128);
const LAYERS = numberFlag('layers', 2);
const LR = numberFlag('lr', 3e-3);
const BATCH = numberFlag('batch', 16);
const BEAM = numberFlag('beam', 32);
const DROPOUT = numberFlag('dropout', 0.1);
const GREEDY_ONLY = process.argv.includes('--greedy-only');
/** New random strings (and augmentation draws) every epoch, or one fixed training set. */
const FRESH = !process.argv.includes('--fixed');
const FEATURES = listFlag('features', ['mfcc'])[0];
if (FEATURES !== 'logmel' && FEATURES !== 'mfcc') {
  console.error(`--features: expected logmel or mfcc, got ${FEATURES}`);
  process.exit(2);
}
const N_MELS = numberFlag('mels', 40);
const N_MFCC = numberFlag('mfcc', 20);
const SPEED = listFlag('speed', ['0.85', '1.15']).map(Number) as [number, number];
const FREQ_MASKS = numberFlag('freq-masks', 2);
const FREQ_WIDTH = numberFlag('freq-width', 6);
const TIME_MASKS = numberFlag('time-masks', 2);
const TIME_WIDTH = numberFlag('time-width', 8);
const OUT = resolve(process.env.DIGITS_OUT ?? 'runs/digits');
/** 25 ms windows every 10 ms at 8 kHz; mel bands up to the Nyquist frequency. */
const MEL = { nFft: 256, winLength: 200, hopLength: 80, nMels: N_MELS, fMin: 20, fMax: 4000 };
const INPUT_SIZE = FEATURES === 'mfcc' ? N_MFCC : N_MELS;
const FEATURE_NAME = FEATURES === 'mfcc' ? `${N_MFCC} MFCCs (of ${N_MELS} mel bands)` : `${N_MELS} log-mel bands`;
const FRAME_STACK = 2;
const ALPHABET = " abcdefghijklmnopqrstuvwxyz'";

/**
 * Normalised features of every string, computed in parallel off the JS thread; with `augment`,
 * each string first gets its own random speed, gain and noise draw (seeded, in Rust).
 */
async function utterances(strings: DigitString[], augment?: AugmentOptions): Promise<CtcUtterance[]> {
  const kind = FEATURES === 'mfcc' ? { kind: 'mfcc' as const, nMfcc: N_MFCC } : { kind: 'logMel' as const };
  const feats = await audioFeaturesAsync(strings.map((s) => s.samples), { sampleRate: SAMPLE_RATE, normalize: true, ...MEL, ...kind, augment });
  return strings.map((s, i) => ({ features: feats[i], text: s.text }));
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Emission heatmap (classes × stacked steps) with the true word spans and the greedy path. */
function alignmentSvg(e: Tensor, s: DigitString, greedy: string): string {
  const [T, C] = e.shape;
  const used = [0, ...Array.from(new Set(s.text.replace(/ /g, '') + ' '), (ch) => ALPHABET.indexOf(ch) + 1)].sort((a, b) => a - b);
  const labels = used.map((c) => (c === 0 ? '∅' : ALPHABET[c - 1] === ' ' ? '␣' : ALPHABET[c - 1]));
  const cw = Math.max(2, Math.min(6, Math.floor(1100 / T)));
  const ch = 14;
  const ml = 30;
  const mt = 40;
  const W = ml + T * cw + 20;
  const H = mt + used.length * ch + 70;
  const stepSec = (MEL.hopLength * FRAME_STACK) / SAMPLE_RATE;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="10">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${ml}" y="16" font-size="12">CTC emissions, held-out speaker ${s.speaker}: "${s.text}" → greedy "${greedy}"</text>`);
  parts.push(`<text x="${ml}" y="30">p(class | step), rows = blank and the letters of the transcript; one column = ${(stepSec * 1000).toFixed(0)} ms; boxes = true word spans</text>`);
  used.forEach((c, r) => {
    parts.push(`<text x="${ml - 4}" y="${mt + r * ch + 10}" text-anchor="end">${labels[r]}</text>`);
    for (let t = 0; t < T; t++) {
      const p = Math.exp(e.data[t * C + c]);
      if (p < 0.02) continue;
      const v = Math.round(255 * (1 - p));
      parts.push(`<rect x="${ml + t * cw}" y="${mt + r * ch}" width="${cw}" height="${ch - 1}" fill="rgb(${v},${v},255)"/>`);
    }
  });
  const yb = mt + used.length * ch + 4;
  for (const w of s.words) {
    const x0 = ml + (w.start / SAMPLE_RATE / stepSec) * cw;
    const x1 = ml + (w.end / SAMPLE_RATE / stepSec) * cw;
    parts.push(`<rect x="${x0.toFixed(1)}" y="${yb}" width="${(x1 - x0).toFixed(1)}" height="14" fill="none" stroke="#d62728"/><text x="${((x0 + x1) / 2).toFixed(1)}" y="${yb + 11}" text-anchor="middle">${DIGIT_WORDS[w.digit]}</text>`);
  }
  // Greedy path: the argmax class per step (blank shown as '·').
  let path = '';
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (e.data[t * C + c] > e.data[t * C + best]) best = c;
    path += best === 0 ? '·' : ALPHABET[best - 1] === ' ' ? '␣' : ALPHABET[best - 1];
  }
  parts.push(`<text x="${ml}" y="${yb + 34}" font-family="monospace" font-size="9">per-step argmax: ${path.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

async function main(): Promise<void> {
  const dir = requireFsdd();
  const t0 = performance.now();
  const split = splitRecordings(loadRecordings(dir, [...TRAIN_SPEAKERS, HOLDOUT]), HOLDOUT, TRAIN_SPEAKERS);
  console.log(`FSDD: train speakers ${split.trainSpeakers.join(', ')} (takes 5–49: ${split.train.length} recordings), validation takes 0–4 (${split.validation.length}); held-out speaker ${HOLDOUT} (${split.test.length})`);
  // Training strings are joined clean; the feature pass then draws, per string, a speed factor
  // (one "vocal tract" per string), a gain and a noise level.
  const trainSeed = (epoch: number) => SEED * 1000 + 1 + 7919 * epoch;
  const buildTrain = (epoch: number) => buildDigitStrings(split.train, { count: N_TRAIN, seed: trainSeed(epoch), snrDb: null });
  const augmentOf = (epoch: number): AugmentOptions => ({ speed: SPEED, gainDb: [-6, 6], snrDb: [15, 40], seed: trainSeed(epoch) });
  const trainStrings = buildTrain(0);
  const valStrings = buildDigitStrings(split.validation, { count: N_VAL, seed: SEED * 1000 + 2 });
  const testStrings = buildDigitStrings(split.test, { count: N_TEST, seed: SEED * 1000 + 3 });
  const train = await utterances(trainStrings, augmentOf(0));
  const val = await utterances(valStrings);
  const test = await utterances(testStrings);
  const secs = (u: DigitString[]) => u.reduce((s, x) => s + x.samples.length, 0) / SAMPLE_RATE;
  console.log(`strings of 3–7 digits: train ${train.length}${FRESH ? ' new ones every epoch' : ''} (${(secs(trainStrings) / 60).toFixed(1)} min of audio), validation ${val.length}, test ${test.length}; features ${FEATURE_NAME} every 10 ms (${((performance.now() - t0) / 1000).toFixed(1)} s to build)`);

  const model = new CtcModel({
    inputSize: INPUT_SIZE, alphabet: ALPHABET, frameStack: FRAME_STACK,
    cell: 'lstm', hiddenSize: HIDDEN, numLayers: LAYERS, bidirectional: true, dropout: DROPOUT, seed: SEED,
    specAugment: { freqMasks: FREQ_MASKS, maxFreqWidth: FREQ_WIDTH, timeMasks: TIME_MASKS, maxTimeWidth: TIME_WIDTH },
  });
  console.log(`model: ${FRAME_STACK}×${INPUT_SIZE} stacked frames → ${LAYERS}-layer BiLSTM(${HIDDEN}) → Linear(${model.numClasses}) → CTC; ${model.numParameters.toLocaleString()} parameters; ${getNumThreads()} threads\n`);

  // Fresh training strings every epoch: `fit` re-plans its batches from `train` at the start of
  // each epoch, after `onEpochBegin`, so replacing the array's contents there trains the epoch on
  // new concatenations with new speed/gain/noise draws (SpecAugment draws are new anyway).
  let firstEpoch: number | undefined;
  let genSeconds = 0;
  const fresh = {
    async onEpochBegin(epoch: number): Promise<void> {
      firstEpoch ??= epoch;
      if (epoch === firstEpoch) return;
      const t = performance.now();
      const next = await utterances(buildTrain(epoch), augmentOf(epoch));
      train.splice(0, train.length, ...next);
      genSeconds += (performance.now() - t) / 1000;
    },
  };
  const tFit = performance.now();
  const history = await model.fit(train, {
    epochs: EPOCHS, batchSize: BATCH, validation: val, seed: SEED, clipNorm: 5,
    optimizer: (l) => new Adam(l, { lr: LR }),
    schedule: (opt) => new ReduceLROnPlateau(opt, { factor: 0.5, patience: 3 }),
    earlyStopping: { monitor: 'valCer', patience: 8, restoreBest: true },
    callbacks: FRESH ? [fresh] : [],
  });
  const fitSeconds = (performance.now() - tFit) / 1000;
  const bestVal = Math.min(...history.epochs.map((e) => e.metrics.valCer));
  console.log(`\ntrained ${history.epochs.length} epochs in ${fitSeconds.toFixed(0)} s${FRESH ? ` (${genSeconds.toFixed(0)} s of it making new strings)` : ''}; best validation CER ${pct(bestVal)} at epoch ${history.bestEpoch ?? history.epochs.length}`);
  if (GREEDY_ONLY) {
    // Inner speaker validation: greedy CER of the held-out speaker only (no LM tuning, no files).
    const hyp = await model.transcribe(test.map((u) => u.features));
    const refs = test.map((u) => u.text);
    console.log(`RESULT holdout=${HOLDOUT} train=${TRAIN_SPEAKERS.join(',')} greedyCer=${pct(charErrorRate(refs, hyp))} greedyWer=${pct(wordErrorRate(refs, hyp))} valCer=${pct(bestVal)} epochs=${history.epochs.length} seconds=${((performance.now() - t0) / 1000).toFixed(0)}`);
    return;
  }

  // Two n-gram LMs trained by seqlearn on the training transcripts only; their weights (α, β)
  // are chosen on the validation strings (training speakers), never on the held-out speaker.
  const valFeats = val.map((u) => u.features);
  const valRefs = val.map((u) => u.text);
  const texts = trainStrings.map((s) => s.text);
  const lms = [
    { name: 'word 3-gram', lm: NgramLanguageModel.train(texts, { order: 3, smoothing: 'kneser-ney', level: 'word' }) },
    { name: 'char 8-gram', lm: NgramLanguageModel.train(texts, { order: 8, smoothing: 'kneser-ney', level: 'char' }) },
  ];
  const rows: [string, TranscribeOptions][] = [
    ['greedy', {}],
    [`beam (width ${BEAM})`, { decoder: 'beam', beamWidth: BEAM }],
  ];
  const tTune = performance.now();
  for (const { name, lm } of lms) {
    let best = { alpha: 0, beta: 0, cer: Infinity };
    for (const alpha of [0.1, 0.25, 0.5, 1, 2]) {
      for (const beta of [0, 0.5, 1, 2, 4]) {
        const hyp = await model.transcribe(valFeats, { decoder: 'beam', beamWidth: BEAM, lm, alpha, beta });
        const cer = charErrorRate(valRefs, hyp);
        if (cer < best.cer) best = { alpha, beta, cer };
      }
    }
    rows.push([`beam + ${name} LM (α ${best.alpha}, β ${best.beta})`, { decoder: 'beam', beamWidth: BEAM, lm, alpha: best.alpha, beta: best.beta }]);
  }
  console.log(`LMs: Kneser–Ney word 3-gram and char 8-gram on the ${texts.length} training transcripts; α, β chosen on validation (grid 5×5 each, ${((performance.now() - tTune) / 1000).toFixed(0)} s)`);

  const feats = test.map((u) => u.features);
  const refs = test.map((u) => u.text);
  console.log(`\nheld-out speaker ${HOLDOUT}: ${test.length} strings, ${testStrings.reduce((s, x) => s + x.digits.length, 0)} digits`);
  console.log(`  ${'decoder'.padEnd(44)} ${'CER'.padStart(7)} ${'WER'.padStart(7)} ${'val CER'.padStart(8)} ${'time'.padStart(7)}`);
  let greedyHyp: string[] = [];
  for (const [name, opts] of rows) {
    const t = performance.now();
    const hyp = await model.transcribe(feats, opts);
    const dt = (performance.now() - t) / 1000;
    const vHyp = await model.transcribe(valFeats, opts);
    if (name === 'greedy') greedyHyp = hyp;
    console.log(`  ${name.padEnd(44)} ${pct(charErrorRate(refs, hyp)).padStart(7)} ${pct(wordErrorRate(refs, hyp)).padStart(7)} ${pct(charErrorRate(valRefs, vHyp)).padStart(8)} ${`${dt.toFixed(1)} s`.padStart(7)}`);
  }
  const wrong = refs.map((r, i) => [r, greedyHyp[i]] as const).filter(([r, h]) => r !== h).slice(0, 5);
  if (wrong.length) console.log(`\nsome greedy errors:\n${wrong.map(([r, h]) => `  "${r}" → "${h}"`).join('\n')}`);

  mkdirSync(OUT, { recursive: true });
  writeFileAtomic(join(OUT, 'loss.svg'), lineChartSvg({
    title: 'CTC loss by epoch (nats per target character)',
    series: [
      { name: 'train', points: history.epochs.map((e) => [e.epoch, e.loss] as [number, number]) },
      { name: 'validation', points: history.epochs.map((e) => [e.epoch, e.valLoss!] as [number, number]) },
    ],
  }));
  writeFileAtomic(join(OUT, 'cer.svg'), lineChartSvg({
    title: 'validation CER (greedy) by epoch',
    series: [{ name: 'validation CER', points: history.epochs.map((e) => [e.epoch, e.metrics.valCer] as [number, number]) }],
  }));
  const [e] = await model.emissions([test[0].features]);
  writeFileAtomic(join(OUT, 'alignment.svg'), alignmentSvg(e, testStrings[0], greedyHyp[0]));
  await model.save(join(OUT, 'model'), { includeOptimizer: false });
  console.log(`\nwrote ${join(OUT, 'loss.svg')}, cer.svg, alignment.svg and the model (${join(OUT, 'model')}); total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
