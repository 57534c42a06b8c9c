// Audio: WAV reading/writing against libsndfile's decoding, features against librosa 0.11
// (fixtures from test/fixtures/make_audio_fixtures.py), the batch API, normalisation,
// augmentation, and one test per validated argument.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  addNoise,
  applyGain,
  audioFeatures,
  audioFeaturesAsync,
  FormatError,
  getNumThreads,
  InvalidArgumentError,
  IoError,
  loadSafetensorsFileSync,
  logMelSpectrogram,
  melFilterbank,
  melSpectrogram,
  mfcc,
  normalizeFeatures,
  readWav,
  readWavFiles,
  setNumThreads,
  ShapeError,
  specAugment,
  spectrogram,
  speedPerturb,
  Tensor,
  writeWav,
  type AudioFeatureOptions,
  type Interpolation,
  type MfccOptions,
} from '../dist/index.js'
import { expectClose, expectError, expectRejection, expectSame } from './helpers'

const DIR = resolve(__dirname, 'fixtures', 'audio')
const INVALID = 'ERR_SEQLEARN_INVALID_ARG'
const FORMAT = 'ERR_SEQLEARN_FORMAT'
const tmp = mkdtempSync(join(tmpdir(), 'seqlearn-audio-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface FeatureCase {
  wav: string
  sampleRate: number
  start: number
  length: number
  nFft: number
  winLength: number
  hopLength: number
  center: boolean
  padMode: 'reflect' | 'constant'
  power: number
  nMels: number
  fMin: number
  fMax: number
  melScale: 'slaney' | 'htk'
  melNorm: 'slaney' | null
  logFloor: number
  logOffset: number
  nMfcc: number
  topDb: number | null
  amin: number
  lifter: number
}

function loadCase(name: string): { c: FeatureCase; t: Record<string, Tensor> } {
  const f = loadSafetensorsFileSync(join(DIR, `${name}.safetensors`))
  return { c: (JSON.parse(f.metadata.case) as { config: FeatureCase }).config, t: f.tensors as Record<string, Tensor> }
}

function optionsOf(c: FeatureCase): AudioFeatureOptions & MfccOptions {
  const { nFft, winLength, hopLength, center, padMode, power, nMels, fMin, fMax, melScale, melNorm, logFloor, logOffset, nMfcc, topDb, amin, lifter } = c
  return { nFft, winLength, hopLength, center, padMode, power, nMels, fMin, fMax, melScale, melNorm, logFloor, logOffset, nMfcc, topDb, amin, lifter }
}

function maxAbs(t: { data: Float32Array }): number {
  return t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
}

/** Parity within 1e-4 relative: element-wise for mel powers; for log-mel an absolute 1e-4 (a
 *  1e-4 relative error of the mel); for MFCCs 1e-4 of the largest |coefficient| plus 1e-4 relative. */
function expectFeatures(kind: 'mel' | 'logmel' | 'mfcc', got: Tensor, want: Tensor, label: string): void {
  if (kind === 'mel') expectClose(got, want, { rtol: 1e-4, atol: 1e-12, label })
  else if (kind === 'logmel') expectClose(got, want, { rtol: 0, atol: 1e-4, label })
  else expectClose(got, want, { rtol: 1e-4, atol: 1e-4 * maxAbs(want), label })
}

const FEATURE_CASES = ['features_8k_slaney', 'features_16k_htk', 'features_8k_nocenter']
const chirp8k = (): Float32Array => readWav(join(DIR, 'chirp_8k.wav')).samples

describe('features match librosa 0.11', () => {
  for (const name of FEATURE_CASES) {
    it(`${name}: melspectrogram, log-mel and MFCC`, () => {
      const { c, t } = loadCase(name)
      const w = readWav(join(DIR, c.wav))
      expect(w.sampleRate).toBe(c.sampleRate)
      const x = w.samples.subarray(c.start, c.start + c.length)
      const o = optionsOf(c)
      const mel = melSpectrogram(x, c.sampleRate, o)
      expect(mel.shape).toEqual(t.mel.shape)
      expectFeatures('mel', mel, t.mel, `${name} mel`)
      expectFeatures('logmel', logMelSpectrogram(x, c.sampleRate, o), t.logmel, `${name} logmel`)
      expectFeatures('mfcc', mfcc(x, c.sampleRate, o), t.mfcc, `${name} mfcc`)
      expectSame(audioFeatures(x, c.sampleRate, { ...o, kind: 'mfcc' }), mfcc(x, c.sampleRate, o), 'audioFeatures(kind mfcc)')
    })
  }

  it('spectrogram: |librosa.stft|² of a slice', () => {
    const { c, t } = loadCase('spectrogram_8k')
    const x = chirp8k().subarray(c.start, c.start + c.length)
    const s = spectrogram(x, c.sampleRate, { nFft: c.nFft, winLength: c.winLength, hopLength: c.hopLength, center: c.center, padMode: c.padMode, power: c.power })
    expect(s.shape).toEqual([7, 65])
    expectClose(s, t.spectrogram, { rtol: 1e-4, atol: 1e-6 * maxAbs(t.spectrogram), label: 'spectrogram' })
  })

  it('melFilterbank equals librosa.filters.mel (Slaney and HTK)', () => {
    const f = loadSafetensorsFileSync(join(DIR, 'filterbanks.safetensors'))
    const cfgs = (JSON.parse(f.metadata.case) as { config: Record<string, FeatureCase> }).config
    for (const [name, c] of Object.entries(cfgs)) {
      const fb = melFilterbank(c.sampleRate, { nFft: c.nFft, nMels: c.nMels, fMin: c.fMin, fMax: c.fMax, melScale: c.melScale, melNorm: c.melNorm })
      expectClose(fb, f.tensors[name] as Tensor, { rtol: 1e-6, atol: 1e-9, label: `filterbank ${name}` })
    }
  })

  it('defaults: 25 ms / 10 ms windows, 40 Slaney mels, 13 MFCCs; frames 1 + ⌊len / hop⌋', () => {
    const x = chirp8k()
    const { t } = loadCase('features_8k_slaney') // its options are the 8 kHz defaults
    expectFeatures('logmel', logMelSpectrogram(x, 8000), t.logmel, 'default log-mel')
    expectFeatures('mfcc', mfcc(x, 8000), t.mfcc, 'default mfcc')
    expectSame(audioFeatures(x, 8000), logMelSpectrogram(x, 8000), 'default kind')
    const at16 = logMelSpectrogram(new Float32Array(16000).fill(0.1), 16000)
    expect(at16.shape).toEqual([101, 40])
  })

  it('topDb null disables the clamp; normalize gives zero mean and unit variance', () => {
    const x = new Float32Array(chirp8k())
    x.fill(0, 0, 400) // digital silence: mel power 0 → −100 dB, clamped to max − 80 by default
    const clamped = mfcc(x, 8000)
    const raw = mfcc(x, 8000, { topDb: null })
    expect(raw.data[0]).toBeLessThan(clamped.data[0] - 10)
    const n = logMelSpectrogram(x, 8000, { normalize: true })
    const [frames, dims] = n.shape
    for (const d of [0, 17, 39]) {
      let s = 0
      let s2 = 0
      for (let f = 0; f < frames; f++) {
        s += n.data[f * dims + d]
        s2 += n.data[f * dims + d] ** 2
      }
      expect(Math.abs(s / frames)).toBeLessThan(1e-5)
      expect(Math.abs(s2 / frames - 1)).toBeLessThan(1e-4)
    }
    expectClose(n, normalizeFeatures(logMelSpectrogram(x, 8000)), { atol: 1e-6, rtol: 0, label: 'normalize option = normalizeFeatures' })
  })
})

interface FormatInfo {
  sampleRate: number
  channels: number
  subtype: string
}

describe('readWav', () => {
  const f = loadSafetensorsFileSync(join(DIR, 'wav_formats.safetensors'))
  const info = (JSON.parse(f.metadata.case) as { config: Record<string, FormatInfo> }).config
  const bits: Record<string, [number, 'pcm' | 'float']> = { PCM_U8: [8, 'pcm'], PCM_16: [16, 'pcm'], PCM_24: [24, 'pcm'], PCM_32: [32, 'pcm'], FLOAT: [32, 'float'], DOUBLE: [64, 'float'] }

  for (const [file, c] of Object.entries(info)) {
    it(`${file}: decodes as libsndfile does, mixed to mono (path and bytes)`, () => {
      const w = readWav(join(DIR, file))
      expect([w.sampleRate, w.channels, w.bitsPerSample, w.format]).toEqual([c.sampleRate, c.channels, ...bits[c.subtype]])
      expectSame({ data: w.samples, shape: [w.samples.length] }, f.tensors[file] as Tensor, file)
      const fromBytes = readWav(readFileSync(join(DIR, file)))
      expectSame({ data: fromBytes.samples, shape: [fromBytes.samples.length] }, f.tensors[file] as Tensor, `${file} (bytes)`)
    })
  }

  it('compressed formats → FormatError naming the file and the format', () => {
    const ulaw = join(DIR, 'fmt_ulaw.wav')
    expectError(() => readWav(ulaw), FormatError, FORMAT, [ulaw, 'unsupported WAV format 7 (μ-law)', 'at byte 12', 'only PCM'])
    const adpcm = join(DIR, 'fmt_msadpcm.wav')
    expectError(() => readWav(adpcm), FormatError, FORMAT, [adpcm, 'unsupported WAV format 2 (Microsoft ADPCM)'])
    expectError(() => readWav(readFileSync(ulaw), { name: 'upload.wav' }), FormatError, FORMAT, ['upload.wav', 'μ-law'])
  })

  it('damaged headers → FormatError with the byte offset', () => {
    const good = readFileSync(join(DIR, 'chirp_8k.wav'))
    const patch = (at: number, bytes: number[]): Uint8Array => {
      const b = new Uint8Array(good)
      b.set(bytes, at)
      return b
    }
    expectError(() => readWav(new Uint8Array([1, 2, 3])), FormatError, FORMAT, ['bytes', 'not a WAV file', '3 bytes'])
    expectError(() => readWav(patch(0, [0x4f, 0x67, 0x67, 0x53])), FormatError, FORMAT, ['bytes', 'not a RIFF file', "'OggS'"])
    expectError(() => readWav(patch(8, [0x41, 0x56, 0x49, 0x20])), FormatError, FORMAT, ['not a WAVE file', "'AVI '"])
    expectError(() => readWav(good.subarray(0, good.length - 10)), FormatError, FORMAT, ['truncated data', 'data chunk at byte 36', 'declares 3200 bytes, only 3190 remain'])
    expectError(() => readWav(patch(22, [0, 0])), FormatError, FORMAT, ['fmt chunk at byte 12', '0 channels'])
    expectError(() => readWav(patch(24, [0, 0, 0, 0])), FormatError, FORMAT, ['sample rate of 0 Hz'])
    expectError(() => readWav(patch(12, [0x4a, 0x55, 0x4e, 0x4b])), FormatError, FORMAT, ['no fmt chunk'])
    expectError(() => readWav(good.subarray(0, 44 - 8)), FormatError, FORMAT, ['no data chunk'])
  })

  it('missing file → IoError naming it; bad arguments → TypeError', () => {
    const p = join(tmp, 'nope.wav')
    expectError(() => readWav(p), IoError, 'ERR_SEQLEARN_IO', [p])
    expectError(() => readWav(tmp), IoError, 'ERR_SEQLEARN_IO', [tmp])
    expectError(() => readWav(new Uint8Array(0), { name: 'empty.wav' }), FormatError, FORMAT, ['empty.wav', 'not a WAV file: 0 bytes'])
    expectError(() => readWav(42 as unknown as string), TypeError, undefined, ['pathOrBytes', 'number 42'])
    expectError(() => readWav(''), TypeError, undefined, ['pathOrBytes'])
  })

  it('readWavFiles reads in parallel, in order, and rejects naming the bad file', async () => {
    const files = ['chirp_8k.wav', 'fmt_s24.wav', 'chirp_16k.wav'].map((n) => join(DIR, n))
    const all = await readWavFiles(files)
    expect(all.map((w) => w.sampleRate)).toEqual([8000, 11025, 16000])
    files.forEach((p, i) => expectSame({ data: all[i].samples, shape: [all[i].samples.length] }, { data: readWav(p).samples, shape: [readWav(p).samples.length] }, p))
    await expectRejection(readWavFiles([files[0], join(DIR, 'fmt_ulaw.wav')]), FormatError, FORMAT, ['fmt_ulaw.wav', 'μ-law'])
    await expectRejection(async () => readWavFiles([files[0], 3 as unknown as string]), TypeError, undefined, ['paths[1]'])
  })
})

describe('writeWav', () => {
  it('writes 16-bit PCM that reads back bit-identical (byte-identical to Python’s wave module)', () => {
    const src = join(DIR, 'chirp_8k.wav')
    const w = readWav(src)
    const out = join(tmp, 'copy.wav')
    writeWav(out, w.samples, w.sampleRate)
    expect(Buffer.compare(readFileSync(out), readFileSync(src))).toBe(0)
    expect(readdirSync(tmp).filter((n) => n.includes('.tmp'))).toEqual([])
  })

  it('clamps to the 16-bit range and rounds', () => {
    const out = join(tmp, 'clamp.wav')
    writeWav(out, new Float32Array([2, -2, 0.5, 1 / 65536 + 1e-9]), 16000)
    const back = readWav(out)
    expect(Array.from(back.samples)).toEqual([32767 / 32768, -1, 0.5, 1 / 32768])
    expect(back.sampleRate).toBe(16000)
  })

  it('rejects non-finite samples, a bad sample rate or path, naming them', () => {
    const out = join(tmp, 'bad.wav')
    expectError(() => writeWav(out, new Float32Array([0, NaN]), 8000), InvalidArgumentError, INVALID, ['samples', 'finite', 'index 1'])
    expectError(() => writeWav(out, new Float32Array(2), 0), InvalidArgumentError, INVALID, ['sampleRate', 'got 0'])
    expectError(() => writeWav(out, new Float32Array(2), 8000.5), InvalidArgumentError, INVALID, ['sampleRate', '8000.5'])
    expectError(() => writeWav(out, [0, 1] as unknown as Float32Array, 8000), TypeError, undefined, ['samples', 'Float32Array'])
    expectError(() => writeWav(join(tmp, 'no', 'such', 'dir.wav'), new Float32Array(2), 8000), IoError, 'ERR_SEQLEARN_IO', ['dir.wav'])
  })
})

describe('audioFeaturesAsync', () => {
  it('equals the synchronous functions, for files and sample arrays, at 1 and 2 threads', async () => {
    const threads = getNumThreads()
    try {
      const x16 = readWav(join(DIR, 'chirp_16k.wav')).samples
      const items = [join(DIR, 'chirp_8k.wav'), chirp8k().subarray(0, 900), join(DIR, 'chirp_16k.wav')]
      const o = { kind: 'mfcc' as const, normalize: true, nMfcc: 20 }
      for (const n of [1, 2]) {
        setNumThreads(n)
        const [a, b] = await audioFeaturesAsync(items.slice(0, 2), { ...o, sampleRate: 8000 })
        expectSame(a, mfcc(chirp8k(), 8000, o), `file item, ${n} threads`)
        expectSame(b, mfcc(chirp8k().subarray(0, 900), 8000, o), `array item, ${n} threads`)
        const [c] = await audioFeaturesAsync([items[2]], o) // a file at its own rate
        expectSame(c, mfcc(x16, 16000, o), `16 kHz file, ${n} threads`)
      }
    } finally {
      setNumThreads(threads)
    }
  })

  it('augment: seeded per item, independent of the thread count; speed changes the frame count', async () => {
    const threads = getNumThreads()
    try {
      const x = chirp8k()
      const items = [x, x, x]
      const augment = { speed: [0.8, 1.2] as [number, number], snrDb: [10, 20] as [number, number], gainDb: [-6, 6] as [number, number], timeMasks: 1, maxTimeWidth: 3, freqMasks: 1, maxFreqWidth: 5, seed: 9 }
      setNumThreads(1)
      const one = await audioFeaturesAsync(items, { sampleRate: 8000, augment })
      setNumThreads(2)
      const two = await audioFeaturesAsync(items, { sampleRate: 8000, augment })
      one.forEach((t, i) => expectSame(two[i], t, `item ${i}`))
      const plain = logMelSpectrogram(x, 8000)
      expect(new Set(one.map((t) => t.shape[0])).size, 'different speeds per item').toBeGreaterThan(1)
      expect(one.some((t) => t.shape[0] !== plain.shape[0])).toBe(true)
      const other = await audioFeaturesAsync(items, { sampleRate: 8000, augment: { ...augment, seed: 10 } })
      expect(other.some((t, i) => t.shape[0] !== one[i].shape[0] || t.data.some((v, j) => v !== one[i].data[j]))).toBe(true)
    } finally {
      setNumThreads(threads)
    }
  })

  it('rejects bad items and options, naming them', async () => {
    const wav8 = join(DIR, 'chirp_8k.wav')
    await expectRejection(async () => audioFeaturesAsync([wav8, 7 as unknown as string]), TypeError, undefined, ['items[1]', 'number 7'])
    await expectRejection(async () => audioFeaturesAsync([new Float32Array(100)]), InvalidArgumentError, INVALID, ['sampleRate', 'required', 'items[0]'])
    await expectRejection(audioFeaturesAsync([wav8, join(DIR, 'fmt_ulaw.wav')]), FormatError, FORMAT, ['fmt_ulaw.wav', 'unsupported WAV format 7 (μ-law)'])
    await expectRejection(audioFeaturesAsync([join(DIR, 'chirp_16k.wav')], { sampleRate: 8000 }), FormatError, FORMAT, ['chirp_16k.wav', 'items[0]', '16000 Hz', 'sampleRate = 8000'])
    await expectRejection(audioFeaturesAsync([new Float32Array([0, Infinity])], { sampleRate: 8000 }), InvalidArgumentError, INVALID, ['items[0]', 'finite', 'index 1'])
    await expectRejection(audioFeaturesAsync([wav8], { nMels: 500 }), InvalidArgumentError, INVALID, ['nMels', '129', 'got 500'])
    await expectRejection(audioFeaturesAsync([join(DIR, 'chirp_16k.wav'), wav8], { fMax: 6000 }), InvalidArgumentError, INVALID, ['fMax', 'got 6000', 'items[1] at 8000 Hz'])
    await expectRejection(async () => audioFeaturesAsync([wav8], { augment: { speed: [1.2, 0.9] } }), InvalidArgumentError, INVALID, ['augment.speed', '[1.2, 0.9]'])
    await expectRejection(async () => audioFeaturesAsync([wav8], { augment: { speed: 1 as unknown as [number, number] } }), TypeError, undefined, ['augment.speed', '[low, high]'])
    await expectRejection(async () => audioFeaturesAsync([wav8], { augment: { timeMasks: -1 } }), InvalidArgumentError, INVALID, ['augment.timeMasks', 'got -1'])
  })
})

describe('feature arguments', () => {
  const x = chirp8k()

  it('non-finite samples → InvalidArgumentError naming samples and the index', () => {
    const y = new Float32Array(x)
    y[123] = NaN
    expectError(() => logMelSpectrogram(y, 8000), InvalidArgumentError, INVALID, ['samples', 'finite', 'NaN', 'index 123'])
    y[123] = -Infinity
    expectError(() => mfcc(y, 8000), InvalidArgumentError, INVALID, ['samples', '-inf', 'index 123'])
  })

  it('STFT sizes: nFft < winLength, hopLength 0, nFft too small', () => {
    expectError(() => logMelSpectrogram(x, 8000, { nFft: 128, winLength: 200 }), InvalidArgumentError, INVALID, ['winLength', 'nFft = 128', 'got 200'])
    expectError(() => logMelSpectrogram(x, 8000, { hopLength: 0 }), InvalidArgumentError, INVALID, ['hopLength', 'got 0'])
    expectError(() => logMelSpectrogram(x, 8000, { hopLength: 2.5 }), InvalidArgumentError, INVALID, ['hopLength', '2.5'])
    expectError(() => spectrogram(x, 8000, { nFft: 1 }), InvalidArgumentError, INVALID, ['nFft', 'got 1'])
    expectError(() => spectrogram(x, 8000, { power: 0 }), InvalidArgumentError, INVALID, ['power', 'got 0'])
  })

  it('mel options: nMels > nFft/2+1, fMax > sampleRate/2, fMin ≥ fMax, unknown names', () => {
    expectError(() => melSpectrogram(x, 8000, { nMels: 130 }), InvalidArgumentError, INVALID, ['nMels', 'nFft/2+1 = 129', 'got 130'])
    expectError(() => melSpectrogram(x, 8000, { fMax: 5000 }), InvalidArgumentError, INVALID, ['fMax', 'sampleRate/2 = 4000', 'got 5000'])
    expectError(() => melSpectrogram(x, 8000, { fMin: 4000 }), InvalidArgumentError, INVALID, ['fMin', 'got 4000'])
    expectError(() => melSpectrogram(x, 8000, { melScale: 'bark' as 'htk' }), InvalidArgumentError, INVALID, ['melScale', "'slaney', 'htk'", "got 'bark'"])
    expectError(() => melSpectrogram(x, 8000, { melNorm: 1 as unknown as null }), TypeError, undefined, ['melNorm', 'number 1'])
    expectError(() => melSpectrogram(x, 8000, { padMode: 'edge' as 'reflect' }), InvalidArgumentError, INVALID, ['padMode', "got 'edge'"])
    expectError(() => audioFeatures(x, 8000, { kind: 'chroma' as 'mel' }), InvalidArgumentError, INVALID, ['kind', "'mfcc'", "got 'chroma'"])
    expectError(() => melSpectrogram(x, 8000, { nMels: '40' as unknown as number }), TypeError, undefined, ['nMels', 'expected a number'])
  })

  it('MFCC and log options: nMfcc > nMels, negative topDb, zero logFloor', () => {
    expectError(() => mfcc(x, 8000, { nMfcc: 41 }), InvalidArgumentError, INVALID, ['nMfcc', 'nMels = 40', 'got 41'])
    expectError(() => mfcc(x, 8000, { topDb: -5 }), InvalidArgumentError, INVALID, ['topDb', 'got -5'])
    expectError(() => logMelSpectrogram(x, 8000, { logFloor: 0 }), InvalidArgumentError, INVALID, ['logFloor', 'got 0'])
  })

  it('signals: empty, shorter than one frame without center, bad sampleRate', () => {
    expectError(() => logMelSpectrogram(new Float32Array(0), 8000), InvalidArgumentError, INVALID, ['samples', 'empty'])
    expectError(() => logMelSpectrogram(x.subarray(0, 255), 8000, { center: false }), InvalidArgumentError, INVALID, ['samples', '255 samples', 'shorter than one frame', 'nFft = 256'])
    expect(logMelSpectrogram(x.subarray(0, 256), 8000, { center: false }).shape).toEqual([1, 40])
    expect(logMelSpectrogram(x.subarray(0, 1), 8000).shape).toEqual([1, 40])
    expectError(() => logMelSpectrogram(x, 0), InvalidArgumentError, INVALID, ['sampleRate', 'got 0'])
    expectError(() => logMelSpectrogram(x, NaN), InvalidArgumentError, INVALID, ['sampleRate', 'NaN'])
    expectError(() => logMelSpectrogram([1, 2] as unknown as Float32Array, 8000), TypeError, undefined, ['samples', 'Float32Array'])
    expectError(() => melFilterbank('8000' as unknown as number), TypeError, undefined, ['sampleRate'])
  })
})

describe('normalizeFeatures', () => {
  it('zero mean and unit std per coefficient; a constant coefficient becomes 0', () => {
    const t = new Tensor(new Float32Array([1, 5, 2, 5, 3, 5, 6, 5]), [4, 2])
    const n = normalizeFeatures(t)
    const mean = (1 + 2 + 3 + 6) / 4
    const std = Math.sqrt(((1 - mean) ** 2 + (2 - mean) ** 2 + (3 - mean) ** 2 + (6 - mean) ** 2) / 4)
    expectClose(n, { data: [(1 - mean) / std, 0, (2 - mean) / std, 0, (3 - mean) / std, 0, (6 - mean) / std, 0], shape: [4, 2] }, { atol: 1e-6, rtol: 1e-6 })
    expect(Array.from(t.data)).toEqual([1, 5, 2, 5, 3, 5, 6, 5]) // the input is not changed
  })

  it('rejects a non-2-D tensor, NaN and a bad eps, naming them', () => {
    expectError(() => normalizeFeatures(Tensor.zeros([2, 3, 4])), ShapeError, 'ERR_SEQLEARN_SHAPE', ['features', '2-D', '[2, 3, 4]'])
    expectError(() => normalizeFeatures(new Tensor(new Float32Array([1, NaN]), [1, 2])), InvalidArgumentError, INVALID, ['features', 'finite', 'index 1'])
    expectError(() => normalizeFeatures(Tensor.zeros([2, 2]), { eps: 0 }), InvalidArgumentError, INVALID, ['eps', 'got 0'])
    expectError(() => normalizeFeatures({ data: [1, 2], shape: [1, 2] } as unknown as Tensor), TypeError, undefined, ['features', 'expected a Tensor'])
  })
})

describe('augmentation', () => {
  const tone = (n: number, omega: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(omega * i))

  it('speedPerturb: length ⌊(n−1)/factor⌋+1, identity at 1, the tone moves to factor × ω', () => {
    const x = tone(4000, 0.3)
    for (const interpolation of ['sinc', 'linear'] as Interpolation[]) {
      const same = speedPerturb(x, 1, { interpolation })
      expectClose({ data: same, shape: [same.length] }, { data: x, shape: [x.length] }, { atol: 1e-6, rtol: 0, label: interpolation })
      const y = speedPerturb(x, 1.25, { interpolation })
      expect(y.length).toBe(Math.floor(3999 / 1.25) + 1)
      // Zero crossings per sample scale by the factor.
      const crossings = (v: Float32Array): number => v.subarray(100, v.length - 100).reduce((n, s, i, a) => (i > 0 && Math.sign(s) !== Math.sign(a[i - 1]) ? n + 1 : n), 0) / (v.length - 200)
      expect(crossings(y) / crossings(x)).toBeCloseTo(1.25, 2)
    }
    expectError(() => speedPerturb(x, 0), InvalidArgumentError, INVALID, ['factor', 'got 0'])
    expectError(() => speedPerturb(x, 1.1, { interpolation: 'cubic' as Interpolation }), InvalidArgumentError, INVALID, ['interpolation', "got 'cubic'"])
    const bad = new Float32Array(x)
    bad[5] = NaN
    expectError(() => speedPerturb(bad, 1.1), InvalidArgumentError, INVALID, ['samples', 'index 5'])
  })

  it('addNoise reaches the SNR and is seeded; applyGain scales by dB', () => {
    const x = tone(40000, 0.1)
    const y = addNoise(x, 10, { seed: 4 })
    let noise = 0
    let signal = 0
    x.forEach((v, i) => {
      signal += v * v
      noise += (y[i] - v) ** 2
    })
    expect(10 * Math.log10(signal / noise)).toBeCloseTo(10, 1)
    expectSame({ data: addNoise(x, 10, { seed: 4 }), shape: [x.length] }, { data: y, shape: [x.length] })
    expect(addNoise(x, 10, { seed: 5 })[0]).not.toBe(y[0])
    expect(Array.from(applyGain(new Float32Array([1, -0.5]), 20))).toEqual([Math.fround(10), Math.fround(-5)])
    expectError(() => addNoise(x, NaN), InvalidArgumentError, INVALID, ['snrDb'])
    expectError(() => addNoise(x, 10, { seed: -1 }), InvalidArgumentError, INVALID, ['seed', 'got -1'])
    expectError(() => applyGain(x, Infinity), InvalidArgumentError, INVALID, ['gainDb'])
  })

  it('specAugment masks whole frames and coefficients, seeded', () => {
    const f = Tensor.full([50, 20], 1)
    const m = specAugment(f, { timeMasks: 2, maxTimeWidth: 6, freqMasks: 2, maxFreqWidth: 4, maskValue: -3, seed: 2 })
    expect(m.shape).toEqual([50, 20])
    const rows = Array.from({ length: 50 }, (_, t) => m.data.subarray(t * 20, t * 20 + 20).every((v) => v === -3)).filter(Boolean).length
    const cols = Array.from({ length: 20 }, (_, d) => Array.from({ length: 50 }, (_, t) => m.data[t * 20 + d]).every((v) => v === -3)).filter(Boolean).length
    const masked = m.data.filter((v) => v === -3).length
    expect(rows).toBeLessThanOrEqual(12)
    expect(cols).toBeLessThanOrEqual(8)
    expect(masked).toBe(rows * 20 + cols * 50 - rows * cols)
    expect(masked).toBeGreaterThan(0)
    expectSame(specAugment(f, { timeMasks: 2, maxTimeWidth: 6, freqMasks: 2, maxFreqWidth: 4, maskValue: -3, seed: 2 }), m)
    expect(f.data.every((v) => v === 1)).toBe(true)
    expectError(() => specAugment(Tensor.zeros([4]), { timeMasks: 1 }), ShapeError, 'ERR_SEQLEARN_SHAPE', ['features', '[4]'])
    expectError(() => specAugment(f, { maxTimeWidth: 1.5 }), InvalidArgumentError, INVALID, ['maxTimeWidth', '1.5'])
  })
})
