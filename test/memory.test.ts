/**
 * Memory stays bounded in a synchronous training loop. Outputs are handed to JavaScript in
 * V8-owned memory: external buffers' finalizers are deferred by Node to the event loop, so a
 * loop that never yields used to grow by every output it dropped (+3.4 MB per step here).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const entry = join(__dirname, '..', 'dist', 'index.js');

const script = `
const { LSTM, Tensor, mseLoss } = require(${JSON.stringify(entry)});
const m = new LSTM({ inputSize: 128, hiddenSize: 256, seed: 1 });
const x = Tensor.randn([50, 32, 128], { seed: 1 });
const y = Tensor.randn([50, 32, 256], { seed: 2 });
const step = () => { const { output } = m.forward(x, { training: true }); const { grad } = mseLoss(output, y); m.backward(grad); m.gradients(); m.zeroGrad(); };
for (let i = 0; i < 20; i++) step();
const before = process.memoryUsage().rss;
for (let i = 0; i < 300; i++) step();   // ~1.2 GB of outputs and gradients dropped, never yielding
console.log(JSON.stringify({ growthMB: (process.memoryUsage().rss - before) / 1e6 }));
`;

// Reloading a checkpoint synchronously in a loop: the tensors read from the file are V8-owned too.
const loadScript = `
const { Tensor, saveSafetensorsSync, loadSafetensorsFileSync } = require(${JSON.stringify(entry)});
const path = require('node:path').join(require('node:os').tmpdir(), 'seqlearn-mem-' + process.pid + '.safetensors');
saveSafetensorsSync(path, { w: Tensor.randn([1024, 1024], { seed: 1 }) });   // 4 MB
for (let i = 0; i < 20; i++) loadSafetensorsFileSync(path);
const before = process.memoryUsage().rss;
for (let i = 0; i < 300; i++) loadSafetensorsFileSync(path);                  // 1.2 GB read and dropped
require('node:fs').rmSync(path);
console.log(JSON.stringify({ growthMB: (process.memoryUsage().rss - before) / 1e6 }));
`;

describe('memory', () => {
  it('a synchronous loop reloading a safetensors file does not accumulate dropped tensors', () => {
    const out = execFileSync(process.execPath, ['-e', loadScript], { encoding: 'utf8' });
    const { growthMB } = JSON.parse(out.trim().split('\n').pop() as string) as { growthMB: number };
    expect(growthMB).toBeLessThan(150);
  }, 120_000);

  it('a synchronous training loop does not accumulate dropped outputs', () => {
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, SEQLEARN_NUM_THREADS: '2' } });
    const { growthMB } = JSON.parse(out.trim().split('\n').pop() as string) as { growthMB: number };
    expect(growthMB).toBeLessThan(150);
  }, 120_000);
});
