// The seqlearn side of `npm run bench -- lm`: the real `LanguageModel.fit` loop (embedding →
// LSTM → linear → cross-entropy → backward → clip → Adam, one native call per layer per batch)
// on the driver's token stream; each step's wall time is read from `onProgress`.
import { Adam, LanguageModel, Vocabulary, setNumThreads } from '../ts/index';

/** Model and step configuration shared with the peers. */
export interface LmBenchConfig { vocabSize: number; embed: number; hidden: number; layers: number;
  batch: number; seqLen: number; lr: number; clip: number; threads: number; seed: number }
/** Token streams written by the driver. */
export interface LmData { vocabSize: number; train: Int32Array; valid: Int32Array }

/** Times `steps` training steps (after `warmup`), returns seconds per step. */
export async function benchSeqlearnLm(cfg: LmBenchConfig, data: LmData, warmup: number, steps: number): Promise<number[]> {
  setNumThreads(cfg.threads);
  // V tokens, no specials: ids 0..V-1 exactly as the peers use them.
  const vocabulary = Vocabulary.build(Array.from({ length: cfg.vocabSize }, (_, i) => `t${i}`), { specials: [] });
  const model = new LanguageModel({ vocabulary, embeddingDim: cfg.embed, hiddenSize: cfg.hidden, numLayers: cfg.layers, seed: cfg.seed });
  const windows = warmup + steps;
  const need = windows * cfg.batch * cfg.seqLen + cfg.batch;
  if (data.train.length < need) throw new Error(`train stream has ${data.train.length} tokens, ${need} needed for ${windows} windows`);
  const stamps: number[] = [];
  const t0 = performance.now();
  await model.fit(data.train.subarray(0, need), {
    epochs: 1,
    batchSize: cfg.batch,
    seqLen: cfg.seqLen,
    clipNorm: cfg.clip,
    optimizer: (layers) => new Adam(layers, { lr: cfg.lr }),
    progress: 'none',
    onProgress: () => stamps.push(performance.now()),
  });
  const times: number[] = [];
  for (let i = warmup; i < stamps.length; i++) times.push((stamps[i] - (i === 0 ? t0 : stamps[i - 1])) / 1000);
  return times;
}
