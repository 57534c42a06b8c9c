#!/usr/bin/env node
// TensorFlow.js peer of `npm run bench -- recurrent`: @tensorflow/tfjs on its
// pure-JS `cpu` backend (@tensorflow/tfjs-node cannot be installed here).
// Prints ONE JSON line on stdout.
//
//   node bench/peers/tfjs_recurrent.mjs --cell lstm --B 32 --T 50 --I 128 --H 128 \
//        --mode train,infer --max-seconds 20 --json
//
// train: variableGrads of sum(output * g) over the layer's weights and the
//        input (a variable, so gradInput is computed as in seqlearn/torch).
// infer: layer.apply(x).
// Notes: recurrentActivation 'sigmoid' (tfjs defaults to hardSigmoid) so the
// math matches PyTorch; tfjs GRU does not support resetAfter (PyTorch's GRU
// is reset-after), so its GRU applies the reset gate before the recurrent
// matmul — same FLOPs, slightly different formula. tfjs is batch-major
// ([B,T,I]) and the cpu backend is single-threaded whatever --threads says.
//
// tfjs is slow (~1e3 tokens/s on the first config), so measurements are time
// boxed: one warm-up, then timed reps until --max-seconds has passed. If the
// warm-up alone took more than half the box, it is used as the only sample
// ("fromWarmup": true) — the cpu backend has no compile step, so the first
// step costs about what later ones do.
import * as tf from '@tensorflow/tfjs';

function parse(argv) {
  const a = { cell: 'lstm', B: 32, T: 50, I: 128, H: 128, threads: 1, mode: 'train,infer', reps: 5, maxSeconds: 20 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    switch (k) {
      case '--cell': a.cell = v(); break;
      case '--B': a.B = +v(); break;
      case '--T': a.T = +v(); break;
      case '--I': a.I = +v(); break;
      case '--H': a.H = +v(); break;
      case '--threads': a.threads = +v(); break;
      case '--mode': a.mode = v(); break;
      case '--reps': a.reps = +v(); break;
      case '--max-seconds': a.maxSeconds = +v(); break;
      case '--json': break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (a.cell !== 'lstm' && a.cell !== 'gru') throw new Error('--cell lstm|gru');
  return a;
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timeBoxed(fn, reps, maxSeconds) {
  const t0 = performance.now();
  fn();
  const warm = (performance.now() - t0) / 1000;
  if (warm > maxSeconds / 2) return { seconds: warm, reps: 1, min: warm, fromWarmup: true };
  const times = [];
  const start = performance.now();
  while (times.length < reps) {
    const s = performance.now();
    fn();
    times.push((performance.now() - s) / 1000);
    if ((performance.now() - start) / 1000 > maxSeconds) break;
  }
  return { seconds: median(times), reps: times.length, min: Math.min(...times) };
}

async function main() {
  const a = parse(process.argv.slice(2));
  await tf.setBackend('cpu');
  await tf.ready();
  const cfg = { units: a.H, returnSequences: true, recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' };
  const layer = a.cell === 'lstm' ? tf.layers.lstm(cfg) : tf.layers.gru(cfg);
  const x = tf.variable(tf.randomNormal([a.B, a.T, a.I], 0, 1, 'float32', 1), true, 'x');
  const g = tf.randomNormal([a.B, a.T, a.H], 0, 1, 'float32', 2);
  layer.apply(x).dispose(); // build the weights
  const res = {
    peer: 'tfjs', tfjs: tf.version.tfjs, backend: tf.getBackend(), cell: a.cell,
    B: a.B, T: a.T, I: a.I, H: a.H, threads: 1, modes: {},
    notes: ['cpu backend is pure JS and single-threaded',
      'recurrentActivation sigmoid (PyTorch math)',
      ...(a.cell === 'gru' ? ['tfjs GRU has no resetAfter: reset gate applied before the recurrent matmul (PyTorch applies it after)'] : [])],
  };
  for (const mode of a.mode.split(',').filter(Boolean)) {
    if (mode === 'train') {
      res.modes.train = timeBoxed(() => {
        const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(layer.apply(x, { training: true }), g))));
        value.dataSync();
        for (const k of Object.keys(grads)) { grads[k].dataSync(); grads[k].dispose(); }
        value.dispose();
      }, a.reps, a.maxSeconds);
    } else if (mode === 'infer') {
      res.modes.infer = timeBoxed(() => {
        const y = layer.apply(x);
        y.dataSync();
        y.dispose();
      }, a.reps, a.maxSeconds);
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  }
  process.stdout.write(JSON.stringify(res) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
