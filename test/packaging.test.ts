// Packaging smoke test: what a user gets from `npm install seqlearn` on linux-x64-gnu.
//
// 1. `scripts/pack-local.mjs --no-build` packs the root package and the platform package
//    `@seqlearn/binding-linux-x64-gnu` into .pack/ (needs `npm run build` done beforehand).
// 2. A fresh temp project installs both tarballs with npm `--offline`, an empty cache and an
//    unreachable registry, which proves the install needs no network. PATH holds no
//    cargo/rustc, which proves nothing gets compiled.
// 3. Plain `node` in that project requires `seqlearn` and runs a small LSTM forward pass. The
//    addon must load from the platform package, because the root tarball has no `.node`.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// __dirname: tsconfig.json type-checks test/ as CommonJS (no "type": "module"), where import.meta is an error.
const repo = resolve(__dirname, '..')
const packDir = join(repo, '.pack')
const PLATFORM_PKG = '@seqlearn/binding-linux-x64-gnu'
const supported = process.platform === 'linux' && process.arch === 'x64'

interface Manifest {
  version: string
  root: { name: string; tarball: string; files: string[] }
  platform: { name: string; tarball: string; files: string[]; os: string[]; cpu: string[]; libc: string[] }
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  const stdout = String(r.stdout ?? '')
  const stderr = String(r.stderr ?? '')
  return { status: r.status, stdout, stderr, error: r.error }
}

function mustRun(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = run(cmd, args, opts)
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`)
  }
  return r
}

// PATH with only the node binary's directory and /usr/bin:/bin, and nothing from rustup/cargo.
// The env also drops the npm_* variables set by `npm test` and all CARGO*/RUSTUP* variables.
function userEnv(cacheDir: string): NodeJS.ProcessEnv {
  const path = [dirname(process.execPath), '/usr/bin', '/bin']
    .filter((p, i, all) => all.indexOf(p) === i)
    .filter((p) => !/[\\/]\.(cargo|rustup)([\\/]|$)/.test(p))
    .join(delimiter)
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|CARGO|RUSTUP|RUSTC|NAPI_RS_)/i.test(k) || k === 'PATH' || k === 'NODE_OPTIONS') continue
    env[k] = v
  }
  env.PATH = path
  env.npm_config_cache = cacheDir
  env.npm_config_update_notifier = 'false'
  return env
}

describe.skipIf(!supported)('npm packaging (linux-x64-gnu)', () => {
  let work: string
  let project: string
  let env: NodeJS.ProcessEnv
  let manifest: Manifest
  let rootTgz: string
  let platformTgz: string

  beforeAll(() => {
    // Always repack: it takes a few seconds and can never pick up stale tarballs. --no-build makes a
    // missing .node or dist/ fail here with a clear message instead of compiling inside the test.
    mustRun(process.execPath, [join(repo, 'scripts', 'pack-local.mjs'), '--no-build'], { cwd: repo })
    manifest = JSON.parse(readFileSync(join(packDir, 'manifest.json'), 'utf8'))
    rootTgz = join(packDir, manifest.root.tarball)
    platformTgz = join(packDir, manifest.platform.tarball)

    work = mkdtempSync(join(tmpdir(), 'seqlearn-install-'))
    project = join(work, 'project')
    mkdirSync(project)
    const cache = join(work, 'npm-cache') // empty cache: --offline cannot fall back to anything
    mkdirSync(cache)
    env = userEnv(cache)

    mustRun('npm', ['init', '-y'], { cwd: project, env })
    mustRun(
      'npm',
      [
        'install',
        rootTgz,
        platformTgz,
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--offline',
        '--registry',
        'http://127.0.0.1:9/', // nothing listens on port 9: any registry request would fail
      ],
      { cwd: project, env },
    )
  }, 240_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('root tarball carries no .node file and depends optionally on the platform package', () => {
    const listing = mustRun('tar', ['-tzf', rootTgz]).stdout.split('\n').filter(Boolean)
    expect(listing).toContain('package/package.json')
    expect(listing.filter((f) => f.endsWith('.node'))).toEqual([])
    const pkg = JSON.parse(mustRun('tar', ['-xzOf', rootTgz, 'package/package.json']).stdout)
    expect(pkg.optionalDependencies).toMatchObject({ [PLATFORM_PKG]: manifest.version })
    // No runtime dependencies: that is what lets the install below work offline.
    expect(pkg.dependencies ?? {}).toEqual({})
  })

  it('platform tarball follows the napi-rs layout', () => {
    const listing = mustRun('tar', ['-tzf', platformTgz]).stdout.split('\n').filter(Boolean)
    expect(listing).toContain('package/seqlearn.linux-x64-gnu.node')
    const pkg = JSON.parse(mustRun('tar', ['-xzOf', platformTgz, 'package/package.json']).stdout)
    expect(pkg).toMatchObject({
      name: PLATFORM_PKG,
      version: manifest.version,
      os: ['linux'],
      cpu: ['x64'],
      libc: ['glibc'],
      main: 'seqlearn.linux-x64-gnu.node',
      files: ['seqlearn.linux-x64-gnu.node'],
    })
  })

  it('installs without a Rust toolchain on PATH', () => {
    expect(run('which', ['cargo'], { env }).status).not.toBe(0)
    expect(run('which', ['rustc'], { env }).status).not.toBe(0)
    expect(existsSync(join(project, 'node_modules', 'seqlearn', 'package.json'))).toBe(true)
    expect(existsSync(join(project, 'node_modules', ...PLATFORM_PKG.split('/'), 'package.json'))).toBe(true)
  })

  it('resolves the platform package from the installed project', () => {
    const r = mustRun(
      process.execPath,
      ['-e', `console.log(require.resolve(${JSON.stringify(PLATFORM_PKG)}))`],
      { cwd: project, env },
    )
    expect(r.stdout.trim()).toBe(join(project, 'node_modules', ...PLATFORM_PKG.split('/'), 'seqlearn.linux-x64-gnu.node'))
  })

  it('runs an LSTM forward pass through the installed package', () => {
    const script = `
      const { LSTM, Tensor } = require('seqlearn');
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
      const { output } = lstm.forward(Tensor.zeros([2, 1, 3]));
      console.log(JSON.stringify(output.shape));
      const loaded = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
      console.log(JSON.stringify(loaded));
    `
    const r = mustRun(process.execPath, ['-e', script], { cwd: project, env })
    const [shapeLine, loadedLine] = r.stdout.trim().split('\n').slice(-2)
    expect(JSON.parse(shapeLine)).toEqual([2, 1, 4])
    // the addon came from the platform package, not from a stray local .node
    const loaded: string[] = JSON.parse(loadedLine)
    expect(loaded).toHaveLength(1)
    expect(loaded[0]).toContain(join('node_modules', ...PLATFORM_PKG.split('/')))
  }, 60_000)
})
