#!/usr/bin/env node
// onnxruntime-node peer of `npm run bench -- recurrent` (inference only): runs
// the 1-layer LSTM/GRU that bench/peers/torch_recurrent.py --export-onnx wrote
// (input "x" [T,B,I], time-major, zero initial state) on ORT's CPU execution
// provider. Prints ONE JSON line on stdout.
//
//   node bench/peers/ort_recurrent.mjs --model bench/.cache/lstm-32-50-128-128.onnx \
//        --B 32 --T 50 --I 128 --threads 2 --reps 20 --json
//
// onnxruntime-node is installed with ONNXRUNTIME_NODE_INSTALL=skip: the CPU
// binary ships inside the npm package.
import * as ort from 'onnxruntime-node';

function parse(argv) {
  const a = { model: '', B: 0, T: 0, I: 0, threads: 2, reps: 20, minReps: 3, warmup: 2, maxSeconds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    switch (k) {
      case '--model': a.model = v(); break;
      case '--B': a.B = +v(); break;
      case '--T': a.T = +v(); break;
      case '--I': a.I = +v(); break;
      case '--threads': a.threads = +v(); break;
      case '--reps': a.reps = +v(); break;
      case '--min-reps': a.minReps = +v(); break;
      case '--warmup': a.warmup = +v(); break;
      case '--max-seconds': a.maxSeconds = +v(); break;
      case '--cell': case '--H': v(); break; // accepted for symmetry with the other peers
      case '--json': break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!a.model || !a.B || !a.T || !a.I) throw new Error('need --model --B --T --I');
  return a;
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const a = parse(process.argv.slice(2));
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = a.T * a.B * a.I;
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = s / 2 ** 31 - 1; }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [a.T, a.B, a.I]) };
  const run = async () => {
    const out = await session.run(feeds);
    for (const t of Object.values(out)) t.dispose?.();
  };
  for (let i = 0; i < a.warmup; i++) await run();
  const times = [];
  const start = performance.now();
  while (times.length < a.reps) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= a.minReps && (performance.now() - start) / 1000 > a.maxSeconds) break;
  }
  const res = {
    peer: 'ort', ort: ort.env.versions?.node ?? ort.env.versions?.common ?? null,
    B: a.B, T: a.T, I: a.I, threads: a.threads,
    modes: { infer: { seconds: median(times), reps: times.length, min: Math.min(...times) } },
  };
  await session.release?.();
  process.stdout.write(JSON.stringify(res) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
