#!/usr/bin/env node
// Prints the GLIBC_* symbol versions a Linux .node file needs. With --max X.Y, exits 1 if it
// needs anything newer. Uses `objdump -T` (binutils).
//
// Usage: node scripts/check-glibc.mjs [file.node] [--max 2.17]
// (default file: seqlearn.linux-x64-gnu.node at the repo root)

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const mIdx = args.indexOf('--max')
const max = mIdx >= 0 ? args[mIdx + 1] : undefined
const positional = args.filter((a, i) => !a.startsWith('--') && (mIdx < 0 || i !== mIdx + 1))
const file = resolve(positional[0] ?? join(root, 'seqlearn.linux-x64-gnu.node'))

if (!existsSync(file)) {
  console.error(`check-glibc: ${file} does not exist`)
  process.exit(1)
}

const cmp = (a, b) => {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d) return d
  }
  return 0
}

let out
try {
  out = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
} catch (e) {
  console.error(`check-glibc: objdump -T failed (install binutils?): ${e.message}`)
  process.exit(1)
}

const versions = [...new Set([...out.matchAll(/\(?GLIBC_(\d+(?:\.\d+)+)\)?/g)].map((m) => m[1]))].sort(cmp)
const floor = versions.at(-1)
console.log(`check-glibc: ${file}`)
console.log(`check-glibc:   GLIBC versions referenced: ${versions.join(' ') || '(none)'}`)
console.log(`check-glibc:   highest: ${floor ? `GLIBC_${floor}` : 'none'}`)
if (max && floor && cmp(floor, max) > 0) {
  const offenders = out
    .split('\n')
    .filter((l) => {
      const m = l.match(/GLIBC_(\d+(?:\.\d+)+)/)
      return m && cmp(m[1], max) > 0
    })
    .map((l) => l.trim().split(/\s+/).slice(-2).join(' '))
  console.error(`check-glibc: FAIL: needs GLIBC_${floor} > allowed ${max}:\n  ${offenders.join('\n  ')}`)
  process.exit(1)
}
