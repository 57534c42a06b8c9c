#!/usr/bin/env node
// Builds what is missing or stale, so `npm test` and `npm run demo` work on a fresh checkout:
// the native addon (release) when any Rust source is newer than it, and dist/ when any
// TypeScript source is newer than it. Usage: node scripts/ensure-built.mjs
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const newest = (paths) => {
  let t = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else t = Math.max(t, s.mtimeMs);
  };
  paths.forEach((p) => walk(join(root, p)));
  return t;
};
const mtime = (p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0);
const run = (cmd) => {
  console.log(`> ${cmd}`);
  execSync(cmd, { cwd: root, stdio: 'inherit' });
};

const binary = 'seqlearn.linux-x64-gnu.node';
const rustSources = newest(['crates/seqlearn-core/src', 'crates/seqlearn-node/src', 'crates/seqlearn-core/Cargo.toml', 'crates/seqlearn-node/Cargo.toml', 'Cargo.toml', 'Cargo.lock']);
if (mtime(binary) < rustSources) run('npm run build:native');
else console.log(`native addon ${binary} is up to date`);
if (mtime('dist/index.js') < Math.max(newest(['ts', 'tsconfig.json', 'tsconfig.build.json']), mtime('index.d.ts'))) run('npm run build:ts');
else console.log('dist/ is up to date');
