// safetensors I/O: round trips, the exact on-disk layout, dtype conversion on read, corrupt
// and truncated files, I/O errors, atomic writes, and a state dict saved and reloaded.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  FormatError,
  IntTensor,
  InvalidArgumentError,
  IoError,
  LSTM,
  loadSafetensors,
  loadSafetensorsFile,
  loadSafetensorsFileSync,
  saveSafetensors,
  saveSafetensorsSync,
  Tensor,
} from '../dist/index.js'
import { expectError, expectRejection, expectSame } from './helpers'

const dir = mkdtempSync(join(tmpdir(), 'seqlearn-st-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const fresh = (name = 'f'): string => join(dir, `${name}-${n++}.safetensors`)

const FORMAT = 'ERR_SEQLEARN_FORMAT'
const IO = 'ERR_SEQLEARN_IO'

function sample() {
  return {
    weight: new Tensor(Float32Array.from([1.5, -2.25, 3e-8, 1e30, -0, 0.1]), [2, 3]),
    ids: new IntTensor(Int32Array.from([7, -3, 2147483647, -2147483648]), [4]),
    scalarish: new Tensor(Float32Array.from([42]), [1]),
    empty: new Tensor(new Float32Array(0), [0, 5]),
  }
}

function checkSample(f: { tensors: Record<string, Tensor | IntTensor>; metadata: Record<string, string> }): void {
  const s = sample()
  // File order is the order the tensors were given.
  expect(Object.keys(f.tensors)).toEqual(Object.keys(s))
  expect(f.tensors.weight).toBeInstanceOf(Tensor)
  expectSame(f.tensors.weight as Tensor, s.weight, 'weight')
  expect(Object.is(f.tensors.weight.data[4], -0)).toBe(true)
  expect(f.tensors.ids).toBeInstanceOf(IntTensor)
  expect(f.tensors.ids.shape).toEqual([4])
  expect(Array.from(f.tensors.ids.data)).toEqual(Array.from(s.ids.data))
  expect(f.tensors.scalarish.shape).toEqual([1])
  expect(f.tensors.empty.shape).toEqual([0, 5])
  expect(f.tensors.empty.data.length).toBe(0)
}

const META = { config: JSON.stringify({ mode: 'lstm', hiddenSize: 6 }), note: 'ünïcødé ✓', empty: '' }

/** Writes a safetensors file by hand: `entries` as [name, dtype, shape, raw bytes]. */
function handWritten(path: string, entries: [string, string, number[], Buffer][], metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let off = 0
  for (const [name, dtype, shape, bytes] of entries) {
    header[name] = { dtype, shape, data_offsets: [off, off + bytes.length] }
    off += bytes.length
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  writeFileSync(path, Buffer.concat([len, json, ...entries.map((e) => e[3])]))
}

describe('round trip', () => {
  it('saveSafetensors → loadSafetensorsFile keeps floats, ints, shapes, order and metadata', async () => {
    const p = fresh()
    await saveSafetensors(p, sample(), { metadata: META })
    const f = await loadSafetensorsFile(p)
    checkSample(f)
    expect(f.metadata).toEqual(META)
  })

  it('saveSafetensorsSync → loadSafetensorsFileSync does the same, and the files are identical', async () => {
    const p = fresh()
    const q = fresh()
    saveSafetensorsSync(p, sample(), { metadata: META })
    await saveSafetensors(q, sample(), { metadata: META })
    const f = loadSafetensorsFileSync(p)
    checkSample(f)
    expect(f.metadata).toEqual(META)
    expect(readFileSync(p).equals(readFileSync(q))).toBe(true)
  })

  it('without metadata the metadata is empty', async () => {
    const p = fresh()
    saveSafetensorsSync(p, { a: Tensor.zeros([2]) })
    expect((await loadSafetensorsFile(p)).metadata).toEqual({})
    const header = JSON.parse(readFileSync(p).subarray(8, 8 + Number(readFileSync(p).readBigUInt64LE(0))).toString('utf8'))
    expect(header.__metadata__).toBeUndefined()
  })

  it('accepts plain { data, shape } objects', async () => {
    const p = fresh()
    await saveSafetensors(p, { a: { data: Float32Array.from([1, 2]), shape: [2] }, b: { data: Int32Array.from([3]), shape: [1] } })
    const f = await loadSafetensorsFile(p)
    expect(Array.from(f.tensors.a.data)).toEqual([1, 2])
    expect(f.tensors.b).toBeInstanceOf(IntTensor)
  })

  it('loadSafetensors (floats only) rejects a file with an integer tensor with FormatError naming it and the path', async () => {
    const p = fresh()
    await saveSafetensors(p, sample())
    await expectRejection(loadSafetensors(p), FormatError, FORMAT, [p, "'ids'", 'integer', 'loadSafetensorsFile'])
    const q = fresh()
    await saveSafetensors(q, { w: sample().weight })
    const floats = await loadSafetensors(q)
    expect(Object.keys(floats)).toEqual(['w'])
    expect(floats.w).toBeInstanceOf(Tensor)
  })

  it('rejects invalid tensors and names on save', async () => {
    const p = fresh()
    expectError(() => saveSafetensorsSync(p, { __metadata__: Tensor.zeros([1]) }), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['__metadata__', 'tensor name'])
    await expectRejection(() => saveSafetensors(p, { a: { data: new Float32Array(3), shape: [2] } }), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ["tensors['a']", '2', 'got 3'])
    expectError(() => saveSafetensorsSync(p, { a: [1, 2] as never }), TypeError, undefined, ["tensors['a']", 'expected a Tensor'])
    expectError(() => saveSafetensorsSync('', {}), TypeError, undefined, ['path', 'non-empty string'])
    expect(existsSync(p)).toBe(false)
  })

  it('rejects metadata that is not a string map with a TypeError naming the entry', async () => {
    const p = fresh()
    expectError(() => saveSafetensorsSync(p, { a: Tensor.zeros([1]) }, { metadata: { epochs: 5 as unknown as string } }), TypeError, undefined, ['metadata', 'epochs', 'string'])
    await expectRejection(() => saveSafetensors(p, { a: Tensor.zeros([1]) }, { metadata: { epochs: 5 as unknown as string } }), TypeError, undefined, ['metadata', 'epochs', 'string'])
    expect(existsSync(p)).toBe(false)
  })
})

describe('on-disk layout', () => {
  it('is exactly safetensors: u64 LE header length, JSON header, contiguous little-endian F32/I32 data', async () => {
    const p = fresh()
    const s = sample()
    await saveSafetensors(p, s, { metadata: META })
    const bytes = readFileSync(p)
    const hlen = Number(bytes.readBigUInt64LE(0))
    expect(8 + hlen).toBeLessThanOrEqual(bytes.length)
    // The data section starts 8-byte aligned (header padded with spaces, as the reference writer does).
    expect((8 + hlen) % 8).toBe(0)
    const text = bytes.subarray(8, 8 + hlen).toString('utf8')
    expect(text.trimEnd()).toBe(text.trimEnd().trim())
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>
    expect(header.__metadata__).toEqual(META)
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]
    expect(entries.map(([k]) => k).sort()).toEqual(Object.keys(s).sort())
    const byOffset = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1])
    let expectOff = 0
    for (const [name, e] of byOffset) {
      const t = s[name as keyof typeof s]
      expect(e.dtype, name).toBe(t instanceof IntTensor ? 'I32' : 'F32')
      expect(e.shape, name).toEqual(t.shape)
      expect(e.data_offsets[0], `${name} starts where the previous tensor ends`).toBe(expectOff)
      expect(e.data_offsets[1] - e.data_offsets[0], `${name} byte size`).toBe(4 * t.data.length)
      const raw = bytes.subarray(8 + hlen + e.data_offsets[0], 8 + hlen + e.data_offsets[1])
      for (let i = 0; i < t.data.length; i++) {
        const v = t instanceof IntTensor ? raw.readInt32LE(4 * i) : raw.readFloatLE(4 * i)
        expect(Object.is(v, t.data[i]), `${name}[${i}]`).toBe(true)
      }
      expectOff = e.data_offsets[1]
    }
    expect(8 + hlen + expectOff, 'no bytes after the last tensor').toBe(bytes.length)
    // Data follows the order the tensors were given (so a state dict keeps PyTorch's order).
    expect([...byOffset].filter(([, e]) => e.data_offsets[1] > e.data_offsets[0]).map(([k]) => k)).toEqual(['weight', 'ids', 'scalarish'])
  })

  it('reads F64, F16, BF16 as floats and I64, I16, U8 as ints, as written by other tools', async () => {
    const p = fresh()
    const f64 = Buffer.alloc(16)
    f64.writeDoubleLE(0.1, 0)
    f64.writeDoubleLE(-3.5, 8)
    const f16 = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]) // 1, -2, 2^-24, +inf
    const bf16 = Buffer.from([0x80, 0x3f, 0x40, 0xc0]) // 1, -3
    const i64 = Buffer.alloc(16)
    i64.writeBigInt64LE(-5n, 0)
    i64.writeBigInt64LE(123456789n, 8)
    const i16 = Buffer.alloc(4)
    i16.writeInt16LE(-300, 0)
    i16.writeInt16LE(300, 2)
    handWritten(
      p,
      [
        ['a', 'F64', [2], f64],
        ['b', 'F16', [2, 2], f16],
        ['c', 'BF16', [2], bf16],
        ['d', 'I64', [2, 1], i64],
        ['e', 'I16', [2], i16],
        ['f', 'U8', [3], Buffer.from([0, 200, 255])],
      ],
      { k: 'v' },
    )
    const f = await loadSafetensorsFile(p)
    expect(Object.keys(f.tensors)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    expect(f.metadata).toEqual({ k: 'v' })
    expect(f.tensors.a).toBeInstanceOf(Tensor)
    expect(Array.from(f.tensors.a.data)).toEqual([Math.fround(0.1), -3.5])
    expect(f.tensors.b.shape).toEqual([2, 2])
    expect(Array.from(f.tensors.b.data)).toEqual([1, -2, 2 ** -24, Infinity])
    expect(Array.from(f.tensors.c.data)).toEqual([1, -3])
    expect(f.tensors.d).toBeInstanceOf(IntTensor)
    expect(f.tensors.d.shape).toEqual([2, 1])
    expect(Array.from(f.tensors.d.data)).toEqual([-5, 123456789])
    expect(Array.from(f.tensors.e.data)).toEqual([-300, 300])
    expect(Array.from(f.tensors.f.data)).toEqual([0, 200, 255])
  })

  it('an I64 value outside the int32 range is a FormatError naming the tensor and element', async () => {
    const p = fresh()
    const i64 = Buffer.alloc(16)
    i64.writeBigInt64LE(1n, 0)
    i64.writeBigInt64LE(1n << 40n, 8)
    handWritten(p, [['big', 'I64', [2], i64]])
    await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p, "'big'", 'element 1', 'int32'])
  })
})

describe('corrupt files', () => {
  const good = (): { path: string; bytes: Buffer; hlen: number } => {
    const path = fresh('good')
    saveSafetensorsSync(path, sample(), { metadata: META })
    const bytes = readFileSync(path)
    return { path, bytes, hlen: Number(bytes.readBigUInt64LE(0)) }
  }

  it('a file truncated anywhere → FormatError whose message contains the path', async () => {
    const { bytes, hlen } = good()
    const cuts = [0, 1, 7, 8, 9, 8 + Math.floor(hlen / 2), 8 + hlen - 1, 8 + hlen, 8 + hlen + 1, 8 + hlen + 24, bytes.length - 4, bytes.length - 1]
    for (const cut of cuts) {
      const p = fresh(`cut${cut}`)
      writeFileSync(p, bytes.subarray(0, cut))
      expectError(() => loadSafetensorsFileSync(p), FormatError, FORMAT, [p])
      await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p])
      await expectRejection(loadSafetensors(p), FormatError, FORMAT, [p])
    }
  })

  it('truncated data names the tensor whose bytes are missing', () => {
    const { bytes, hlen } = good()
    const p = fresh('cutdata')
    writeFileSync(p, bytes.subarray(0, 8 + hlen + 10))
    expectError(() => loadSafetensorsFileSync(p), FormatError, FORMAT, [p, /tensor '\w+'/, 'truncated'])
  })

  it('a garbage header → FormatError (path, JSON)', async () => {
    const { bytes } = good()
    const p = fresh('garbage')
    const b = Buffer.from(bytes)
    b.write('#!garbage', 8, 'utf8')
    writeFileSync(p, b)
    await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p, 'JSON'])
    const q = fresh('notjsonobject')
    const json = Buffer.from('[1, 2, 3]')
    const len = Buffer.alloc(8)
    len.writeBigUInt64LE(BigInt(json.length))
    writeFileSync(q, Buffer.concat([len, json]))
    await expectRejection(loadSafetensorsFile(q), FormatError, FORMAT, [q, 'object'])
    const r = fresh('random')
    writeFileSync(r, Buffer.from('this is not a safetensors file at all, just text'))
    await expectRejection(loadSafetensorsFile(r), FormatError, FORMAT, [r])
  })

  it('a header length larger than the file → FormatError mentioning truncation', async () => {
    const { bytes } = good()
    const p = fresh('hugeheader')
    const b = Buffer.from(bytes)
    b.writeBigUInt64LE(BigInt(bytes.length), 0)
    writeFileSync(p, b)
    await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p, 'header length', 'truncated'])
    const q = fresh('absurdheader')
    b.writeBigUInt64LE(1n << 62n, 0)
    writeFileSync(q, b)
    expectError(() => loadSafetensorsFileSync(q), FormatError, FORMAT, [q, 'header length'])
  })

  it('inconsistent headers → FormatError naming the tensor', async () => {
    const p = fresh('badoffsets')
    handWritten(p, [['w', 'F32', [3], Buffer.alloc(8)]])
    await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p, "'w'", 'data_offsets'])
    const q = fresh('baddtype')
    handWritten(q, [['w', 'Q7', [2], Buffer.alloc(2)]])
    await expectRejection(loadSafetensorsFile(q), FormatError, FORMAT, [q, "'w'", 'dtype'])
    const r = fresh('trailing')
    handWritten(r, [['w', 'F32', [1], Buffer.alloc(4)]])
    writeFileSync(r, Buffer.concat([readFileSync(r), Buffer.alloc(4)]))
    await expectRejection(loadSafetensorsFile(r), FormatError, FORMAT, [r])
  })

  it('a nonexistent path → IoError naming the path', async () => {
    const p = join(dir, 'does-not-exist.safetensors')
    await expectRejection(loadSafetensorsFile(p), IoError, IO, [p])
    await expectRejection(loadSafetensors(p), IoError, IO, [p])
    expectError(() => loadSafetensorsFileSync(p), IoError, IO, [p])
    await expectRejection(() => loadSafetensorsFile(42 as never), TypeError, undefined, ['path', 'string'])
  })
})

describe('atomic writes', () => {
  const tmpSiblings = (d: string): string[] => readdirSync(d).filter((f) => f.includes('.tmp-'))

  it('writing into a nonexistent directory fails with IoError and leaves nothing behind', async () => {
    const base = mkdtempSync(join(dir, 'nodir-'))
    const p = join(base, 'missing', 'x.safetensors')
    await expectRejection(saveSafetensors(p, sample()), IoError, IO, [p])
    expectError(() => saveSafetensorsSync(p, sample()), IoError, IO, [p])
    expect(existsSync(join(base, 'missing'))).toBe(false)
    expect(readdirSync(base)).toEqual([])
  })

  it('a write that fails at the rename (target is a directory) removes its temporary file', async () => {
    const base = mkdtempSync(join(dir, 'isdir-'))
    const target = join(base, 'target.safetensors')
    mkdirSync(target)
    writeFileSync(join(target, 'keep'), 'x')
    await expectRejection(saveSafetensors(target, sample()), IoError, IO, [target])
    expectError(() => saveSafetensorsSync(target, sample()), IoError, IO, [target])
    expect(readdirSync(base)).toEqual(['target.safetensors'])
    expect(readdirSync(target)).toEqual(['keep'])
  })

  it('overwriting an existing file replaces it and leaves no *.tmp-* sibling', async () => {
    const base = mkdtempSync(join(dir, 'overwrite-'))
    const p = join(base, 'w.safetensors')
    await saveSafetensors(p, { a: Tensor.full([1000], 1) })
    await saveSafetensors(p, { b: Tensor.full([3], 2) }, { metadata: { v: '2' } })
    saveSafetensorsSync(p, { c: Tensor.full([2], 3) }, { metadata: { v: '3' } })
    expect(tmpSiblings(base)).toEqual([])
    expect(readdirSync(base)).toEqual(['w.safetensors'])
    const f = await loadSafetensorsFile(p)
    expect(Object.keys(f.tensors)).toEqual(['c'])
    expect(Array.from(f.tensors.c.data)).toEqual([3, 3])
    expect(f.metadata).toEqual({ v: '3' })
  })

  it('a failed save keeps the previous file intact', async () => {
    const base = mkdtempSync(join(dir, 'keep-'))
    const p = join(base, 'w.safetensors')
    await saveSafetensors(p, sample(), { metadata: META })
    const before = readFileSync(p)
    await expectRejection(() => saveSafetensors(p, { __metadata__: Tensor.zeros([1]) }), InvalidArgumentError, 'ERR_SEQLEARN_INVALID_ARG', ['__metadata__'])
    expect(readFileSync(p).equals(before)).toBe(true)
    expect(tmpSiblings(base)).toEqual([])
  })

  it('concurrent saves to the same path all succeed and leave one complete file', async () => {
    const base = mkdtempSync(join(dir, 'concurrent-'))
    const p = join(base, 'w.safetensors')
    const big = Tensor.randn([1 << 20], { seed: 1 })
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => saveSafetensors(p, { big, i: Tensor.full([1], i) })))
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []))
    expect(failures, 'failed concurrent saves').toEqual([])
    const f = await loadSafetensorsFile(p)
    expect([0, 1, 2, 3]).toContain(f.tensors.i.data[0])
    expectSame(f.tensors.big as Tensor, big, 'big')
    expect(tmpSiblings(base)).toEqual([])
  })

  it('a file truncated after saving is detected on load (no silent partial read)', async () => {
    const p = fresh('trunc-after')
    await saveSafetensors(p, sample())
    truncateSync(p, readFileSync(p).length - 2)
    await expectRejection(loadSafetensorsFile(p), FormatError, FORMAT, [p])
  })
})

describe('state dicts', () => {
  it('a saved LSTM state dict reloads into a fresh LSTM with identical outputs', async () => {
    const opts = { inputSize: 5, hiddenSize: 6, numLayers: 2, bidirectional: true, projSize: 3 }
    const a = new LSTM({ ...opts, seed: 3 })
    const p = fresh('lstm')
    await saveSafetensors(p, a.stateDict(), { metadata: { config: JSON.stringify(opts) } })
    const loaded = await loadSafetensors(p)
    expect(Object.keys(loaded)).toEqual(Object.keys(a.stateDict()))
    const b = new LSTM({ ...opts, seed: 4 })
    b.loadStateDict(loaded)
    const x = Tensor.randn([7, 3, 5], { seed: 1 })
    const lengths = [7, 2, 5]
    const oa = a.forward(x, { lengths })
    const ob = b.forward(x, { lengths })
    expectSame(ob.output, oa.output, 'output')
    expectSame(ob.h, oa.h, 'h')
    expectSame(ob.c, oa.c, 'c')
    const c = new LSTM({ ...JSON.parse(loadSafetensorsFileSync(p).metadata.config), seed: 9 })
    c.loadStateDict(loadSafetensorsFileSync(p).tensors as Record<string, Tensor>)
    expectSame(c.forward(x).output, a.forward(x).output, 'output via metadata config')
  })
})
