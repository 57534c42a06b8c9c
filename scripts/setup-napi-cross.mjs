#!/usr/bin/env node
// Puts the glibc 2.17 gcc toolchain where `napi build --use-napi-cross` looks for it:
// ~/.napi-rs/cross-toolchain/<@napi-rs/cross-toolchain version>/<triple>/
//
// Why this script exists: the stock download in @napi-rs/cross-toolchain fails on our build
// machines for two reasons.
//   1. It decompresses the toolchain with @napi-rs/lzma 1.5.x, whose engines field is
//      `^22.20 || ^24.12 || >=25`. On Node 20, npm skips its optional platform package
//      (@napi-rs/lzma-linux-x64-gnu), so `require('@napi-rs/lzma')` throws
//      "Cannot find native binding".
//   2. It runs `npm pack @napi-rs/cross-toolchain-<host>-target-<arch>@<wrapper version>`
//      (1.0.5). The registry we can reach has only 0.0.16 and 1.0.0 of that package, so
//      npm fails with `notarget`.
// napi skips the download when `<toolchain dir>/package.json` exists. So this script fetches the
// toolchain package with the npm client (the exact wrapper version if it exists, otherwise the
// newest version with the same major), unpacks it with the system `tar` and `xz`, and moves it
// into place atomically.
//
// Usage: node scripts/setup-napi-cross.mjs [--target x86_64-unknown-linux-gnu] [--force]

import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, mkdirSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const force = args.includes('--force')
const tIdx = args.indexOf('--target')
const triple = tIdx >= 0 ? args[tIdx + 1] : 'x86_64-unknown-linux-gnu'

if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
  console.error(`setup-napi-cross: --use-napi-cross needs a Linux x64/arm64 host (this is ${process.platform}-${process.arch})`)
  process.exit(1)
}

// Resolve @napi-rs/cross-toolchain the same way @napi-rs/cli does (it is a dependency of the cli).
const requireFromCli = createRequire(createRequire(join(root, 'package.json')).resolve('@napi-rs/cli/package.json'))
const wrapperVersion = requireFromCli('@napi-rs/cross-toolchain/package.json').version

const archiveName = { 's390x-unknown-linux-gnu': 's390x-ibm-linux-gnu' }[triple] ?? triple
const pkgSuffix = {
  'x86_64-unknown-linux-gnu': 'x86_64',
  'aarch64-unknown-linux-gnu': 'aarch64',
  'armv7-unknown-linux-gnueabihf': 'armv7',
  's390x-unknown-linux-gnu': 's390x',
  'powerpc64le-unknown-linux-gnu': 'ppc64le',
}[triple]
if (!pkgSuffix) {
  console.error(`setup-napi-cross: unsupported target ${triple}`)
  process.exit(1)
}
const pkg = `@napi-rs/cross-toolchain-${process.arch}-target-${pkgSuffix}`
const dest = join(homedir(), '.napi-rs', 'cross-toolchain', wrapperVersion, triple)

if (existsSync(join(dest, 'package.json')) && !force) {
  console.log(`setup-napi-cross: toolchain already present at ${dest}`)
  process.exit(0)
}

const work = mkdtempSync(join(tmpdir(), 'napi-cross-'))
try {
  let tgz
  const major = wrapperVersion.split('.')[0]
  for (const spec of [`${pkg}@${wrapperVersion}`, `${pkg}@^${major}`]) {
    try {
      const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const info = JSON.parse(out.slice(out.indexOf('[')))[0]
      tgz = join(work, info.filename)
      console.log(`setup-napi-cross: fetched ${info.id} (${(info.size / 1e6).toFixed(1)} MB)`)
      break
    } catch (e) {
      const msg = String(e.stderr ?? e.message).split('\n').find((l) => /error/.test(l)) ?? e.message
      console.warn(`setup-napi-cross: npm pack ${spec} failed: ${msg.trim()}`)
    }
  }
  if (!tgz) throw new Error(`could not fetch any version of ${pkg} from the npm registry`)

  execFileSync('tar', ['-xzf', tgz, '-C', work], { stdio: 'inherit' })
  const xzFile = join(work, 'package', `${archiveName}.tar.xz`)
  if (!existsSync(xzFile)) throw new Error(`${pkg} tarball has no ${archiveName}.tar.xz`)

  const staging = `${dest}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  // `tar -J` runs the system `xz` (Debian: xz-utils).
  execFileSync('tar', ['-xJf', xzFile, '-C', staging], { stdio: 'inherit' })
  if (!existsSync(join(staging, 'package.json'))) throw new Error('unpacked toolchain has no package.json')
  rmSync(dest, { recursive: true, force: true }) // napi leaves an empty dir behind after a failed download
  renameSync(staging, dest)

  const libDir = join(dest, archiveName, 'sysroot', 'lib')
  const libc = existsSync(libDir) ? readdirSync(libDir).find((f) => /^libc-\d+\.\d+\.so$/.test(f)) : undefined
  const gcc = execFileSync(join(dest, 'bin', `${archiveName}-gcc`), ['--version'], { encoding: 'utf8' }).split('\n')[0]
  console.log(`setup-napi-cross: installed ${dest}`)
  console.log(`setup-napi-cross:   ${gcc}; sysroot ${libc ?? '(libc version unknown)'}`)
  const tcVersion = JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')).version
  if (tcVersion !== wrapperVersion) {
    console.log(`setup-napi-cross:   note: toolchain package ${tcVersion} used for @napi-rs/cross-toolchain ${wrapperVersion}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
