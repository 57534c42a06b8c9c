#!/usr/bin/env node
// TensorFlow.js peer of `npm run bench -- lm`: the training step of the
// character language model on @tensorflow/tfjs's pure-JS `cpu` backend
// (--backend cpu, the default) or its `wasm` backend (--backend wasm,
// @tensorflow/tfjs-backend-wasm: XNNPACK kernels with SIMD). Both are
// single-threaded in Node whatever --threads says. Prints ONE JSON line.
//
//   node bench/peers/tfjs_lm.mjs --data DIR [--backend cpu|wasm] [--steps 3]
//        [--warmup 1] [--max-step 60] [--probe-len 10]
//
// DIR is the data directory written by bench/lm.ts: train.i32 (little-endian
// int32 character ids) and meta.json ({ vocabSize, embed, hidden, layers,
// batch, seqLen, lr, clip, seed, ... }).
//
// The model and step are PyTorch's (bench/peers/torch_lm.py), written with tf
// ops and tf.variableGrads — tfjs has no fused LSTM and its optimizers have no
// clipnorm: per time step, embedding (one-hot x table), the LSTM cell (one
// matMul of the input and one of the state, gates i,f,g,o as in PyTorch; the
// two biases of PyTorch are one here, same math) and the output Linear, then
// softmax cross-entropy, mean over the B*T tokens; gradients clipped to a
// global norm of `clip` (clip_grad_norm_'s formula), then tf.train.adam(lr,
// 0.9, 0.999, 1e-8). The per-step form is the fast one on both backends: the
// wasm backend slices large tensors very slowly (see forwardLoss), and on the
// cpu backend it is as fast as hoisting the input projection. On wasm, matMul's
// gradient is taken with explicit transposes (matMulPlainGrad). The training
// stream is batchified into B contiguous streams (PyTorch's batchify) and
// walked window by window with the LSTM state carried over (detached: it
// enters the next step as a constant); at the end of the stream it wraps
// around with a zero state.
//
// A full-size step can take a minute, so it is probed first on a window of
// --probe-len time steps (run twice: the first is a warm-up of every code
// path); if the full step is projected (linearly in seqLen) to take more than
// --max-step seconds it is not run: the JSON then carries "skipped" and
// "projectedSecondsPerStep".
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

function parse(argv) {
  const a = { data: '', steps: 3, warmup: 1, maxStep: 60, probeLen: 10, backend: 'cpu' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    switch (k) {
      case '--data': a.data = v(); break;
      case '--steps': a.steps = +v(); break;
      case '--warmup': a.warmup = +v(); break;
      case '--max-step': a.maxStep = +v(); break;
      case '--probe-len': a.probeLen = +v(); break;
      case '--backend': a.backend = v(); break;
      case '--threads': v(); break; // accepted for symmetry: the cpu backend is single-threaded
      case '--json': break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  if (!a.data) throw new Error('--data DIR is required');
  for (const k of ['steps', 'probeLen']) if (!(Number.isInteger(a[k]) && a[k] >= 1)) throw new Error(`--${k} must be an integer >= 1, got ${a[k]}`);
  if (!(Number.isInteger(a.warmup) && a.warmup >= 0)) throw new Error(`--warmup must be an integer >= 0, got ${a.warmup}`);
  if (!(a.maxStep > 0)) throw new Error(`--max-step must be > 0, got ${a.maxStep}`);
  return a;
}

function loadData(dir) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const buf = fs.readFileSync(path.join(dir, 'train.i32'));
  const train = new Int32Array(buf.length >> 2);
  for (let i = 0; i < train.length; i++) train[i] = buf.readInt32LE(4 * i);
  for (const k of ['vocabSize', 'embed', 'hidden', 'layers', 'batch', 'seqLen']) {
    if (!(Number.isInteger(meta[k]) && meta[k] >= 1)) throw new Error(`meta.json: ${k} must be an integer >= 1, got ${meta[k]}`);
  }
  return { meta, train };
}

/** [N] -> rows of B (row r, column b = stream[b * rows + r]): PyTorch's batchify, the tail dropped. */
function batchify(ids, B) {
  const rows = Math.floor(ids.length / B);
  if (rows < 2) throw new Error(`stream of ${ids.length} ids is too short for batch ${B}`);
  const out = new Int32Array(rows * B);
  for (let b = 0; b < B; b++) for (let r = 0; r < rows; r++) out[r * B + b] = ids[b * rows + r];
  return { rows, data: out };
}

/** A seeded uniform(-k, k) tensor (PyTorch's default LSTM / Linear init). */
const uniform = (shape, k, seed) => tf.randomUniform(shape, -k, k, 'float32', seed);

function makeModel(cfg) {
  const { vocabSize: V, embed: E, hidden: H, layers: L, seed } = cfg;
  const k = 1 / Math.sqrt(H);
  let s = seed * 1000;
  const vars = { embedding: tf.variable(tf.randomNormal([V, E], 0, 1, 'float32', ++s), true, 'embedding.weight') };
  for (let l = 0; l < L; l++) {
    const I = l === 0 ? E : H;
    // stored [in, 4H] (PyTorch's weight_ih_l{l} transposed) so the products need no transpose
    vars[`wih${l}`] = tf.variable(uniform([I, 4 * H], k, ++s), true, `lstm.weight_ih_l${l}.T`);
    vars[`whh${l}`] = tf.variable(uniform([H, 4 * H], k, ++s), true, `lstm.weight_hh_l${l}.T`);
    vars[`b${l}`] = tf.variable(tf.add(uniform([4 * H], k, ++s), uniform([4 * H], k, ++s)), true, `lstm.bias_l${l}`);
  }
  vars.wout = tf.variable(uniform([H, V], k, ++s), true, 'decoder.weight.T');
  vars.bout = tf.variable(uniform([V], k, ++s), true, 'decoder.bias');
  return vars;
}

/**
 * matMul whose gradient transposes its operands explicitly: the wasm backend (XNNPACK) is ~10x
 * slower on a transposed operand than on a plain one, and autodiff of matMul produces both.
 */
const matMulPlainGrad = tf.customGrad((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, [sa, sb]) => [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)],
  };
});

/**
 * Mean cross-entropy of one window, every product per time step; returns [loss, newState] with
 * newState = [h_l, c_l] per layer (kept). `inputs` and `targets` are T tensors of [B] ids: no
 * slicing of [T, ...] tensors, which the wasm backend does at ~30 ms per slice (seconds per
 * window); on the cpu backend it is as fast as one hoisted input projection.
 */
function forwardLoss(vars, cfg, inputs, targets, state) {
  const { vocabSize: V, layers: L } = cfg;
  const T = inputs.length;
  const B = inputs[0].shape[0];
  const mm = cfg.plainGradMatMul ? matMulPlainGrad : (p, q) => tf.matMul(p, q);
  const hs = state.map(([h]) => h);
  const cs = state.map(([, c]) => c);
  const losses = [];
  for (let t = 0; t < T; t++) {
    let x = mm(tf.oneHot(inputs[t], V).asType('float32'), vars.embedding); // [B, E]
    for (let l = 0; l < L; l++) {
      const z = tf.add(tf.add(mm(x, vars[`wih${l}`]), mm(hs[l], vars[`whh${l}`])), vars[`b${l}`]);
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      cs[l] = tf.add(tf.mul(tf.sigmoid(zf), cs[l]), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
      hs[l] = tf.mul(tf.sigmoid(zo), tf.tanh(cs[l]));
      x = hs[l];
    }
    const logits = tf.add(mm(x, vars.wout), vars.bout); // [B, V]
    losses.push(tf.losses.softmaxCrossEntropy(tf.oneHot(targets[t], V), logits, undefined, 0, tf.Reduction.SUM));
  }
  const loss = tf.div(tf.addN(losses), T * B);
  return [loss, hs.map((h, l) => [tf.keep(h), tf.keep(cs[l])])];
}

async function main() {
  const a = parse(process.argv.slice(2));
  const { meta, train } = loadData(a.data);
  const cfg = meta;
  const { batch: B, seqLen: T, hidden: H, layers: L, lr, clip } = cfg;
  for (const id of train) if (id < 0 || id >= cfg.vocabSize) throw new Error(`train.i32: id ${id} outside [0, ${cfg.vocabSize})`);
  const { rows, data } = batchify(train, B);
  if (rows - 1 < T) throw new Error(`training stream too short for one window of ${T} x ${B}`);

  const res = { peer: 'tfjs', tfjs: tf.version.tfjs, backend: null, threads: 1, notes: [] };
  if (a.backend === 'wasm') {
    // registers the backend: XNNPACK kernels with SIMD
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    res.tfjsBackendWasm = wasm.version_wasm;
  } else if (a.backend !== 'cpu') {
    throw new Error(`--backend: cpu or wasm, got ${a.backend}`);
  }
  if (!(await tf.setBackend(a.backend))) throw new Error(`tfjs backend ${a.backend} failed to initialise`);
  await tf.ready();
  res.backend = tf.getBackend();
  res.notes.push(a.backend === 'cpu' ? 'cpu backend is pure JS and single-threaded' : 'wasm backend (XNNPACK, SIMD), single-threaded in Node');

  cfg.plainGradMatMul = a.backend === 'wasm';
  const vars = makeModel(cfg);
  const varList = Object.values(vars);
  const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const zeroState = () => Array.from({ length: L }, () => [tf.zeros([B, H]), tf.zeros([B, H])]);
  let state = zeroState();
  let pos = 0; // next window's first row

  /** One training step on the next window of `len` rows (wrapping to the start, with a zero state). */
  const step = (len) => {
    if (pos + len + 1 > rows) {
      pos = 0;
      for (const [h, c] of state) { h.dispose(); c.dispose(); }
      state = zeroState();
    }
    const rowsOf = (from) => Array.from({ length: len }, (_, t) => tf.tensor1d(data.subarray((from + t) * B, (from + t + 1) * B), 'int32'));
    const inputs = rowsOf(pos);
    const targets = rowsOf(pos + 1);
    pos += len;
    let next = null;
    const { value, grads } = tf.variableGrads(() => {
      const [loss, st] = forwardLoss(vars, cfg, inputs, targets, state);
      next = st;
      return loss;
    }, varList);
    const lossValue = value.dataSync()[0];
    tf.tidy(() => {
      // torch.nn.utils.clip_grad_norm_: scale by max_norm / (total_norm + 1e-6) when that is < 1
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0];
      const coef = Math.min(1, clip / (norm + 1e-6));
      opt.applyGradients(Object.fromEntries(names.map((n) => [n, coef < 1 ? tf.mul(grads[n], coef) : grads[n]])));
    });
    for (const n of Object.keys(grads)) grads[n].dispose();
    value.dispose();
    tf.dispose([inputs, targets]);
    for (const [h, c] of state) { h.dispose(); c.dispose(); }
    state = next;
    if (!Number.isFinite(lossValue)) throw new Error(`loss is ${lossValue}`);
    return lossValue;
  };

  // probe: a short window, twice (the first is a warm-up), to project the full step
  const probeLen = Math.min(a.probeLen, T);
  step(probeLen);
  const t0 = performance.now();
  const probeLoss = step(probeLen);
  const probe = (performance.now() - t0) / 1000;
  const projected = probe * (T / probeLen);
  res.probe = { seqLen: probeLen, seconds: probe, loss: probeLoss };
  res.projectedSecondsPerStep = projected;
  if (projected > a.maxStep) {
    res.skipped = `projected ${projected.toFixed(0)} s/step > --max-step ${a.maxStep}`;
    res.secondsPerStep = [];
  } else {
    for (let i = 0; i < a.warmup; i++) step(T);
    const times = [];
    const losses = [];
    for (let i = 0; i < a.steps; i++) {
      const s = performance.now();
      losses.push(step(T));
      times.push((performance.now() - s) / 1000);
    }
    res.secondsPerStep = times;
    res.losses = losses;
  }
  res.numTensors = tf.memory().numTensors;
  process.stdout.write(JSON.stringify(res) + '\n');
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exit(1);
}
