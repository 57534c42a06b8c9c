//! RIFF/WAVE reading and writing. The reader decodes uncompressed PCM (8-bit unsigned, 16, 24
//! and 32-bit signed integer), IEEE float (32 and 64-bit) and `WAVE_FORMAT_EXTENSIBLE` files
//! whose sub-format is one of those, and mixes every channel down to mono. Unknown chunks
//! (`LIST`, `fact`, `cue `, …) are skipped with their pad byte. Every error names the file (or
//! the argument the bytes came from) and the byte offset of the problem.
//!
//! Integer samples are scaled to `[-1, 1)` as libsndfile/soundfile read them: a `b`-bit value
//! `v` becomes `v / 2^(b-1)` (8-bit data is unsigned: `(v − 128) / 128`). The writer produces
//! 16-bit PCM mono, `round(x · 32768)` clamped to `[-32768, 32767]`, so a 16-bit file read and
//! written again is bit-identical.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;

/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_IEEE_FLOAT`.
const FORMAT_IEEE_FLOAT: u16 = 3;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is the first two bytes of the sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// How the samples of a WAV file were stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// Integer PCM (`WAVE_FORMAT_PCM`, or extensible with the PCM sub-format).
    Pcm,
    /// IEEE float (`WAVE_FORMAT_IEEE_FLOAT`, or extensible with the float sub-format).
    Float,
}

impl SampleFormat {
    /// `"pcm"` or `"float"`.
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Pcm => "pcm",
            SampleFormat::Float => "float",
        }
    }
}

/// A decoded WAV file, mixed down to mono.
#[derive(Clone, Debug, PartialEq)]
pub struct WavAudio {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file (the samples are their mean).
    pub channels: u16,
    /// Bits per stored sample (the container size: 8, 16, 24, 32 or 64).
    pub bits_per_sample: u16,
    /// Integer PCM or IEEE float.
    pub format: SampleFormat,
    /// Mono samples, integer formats scaled to `[-1, 1)`.
    pub samples: Vec<f32>,
}

/// The name of a format tag for error messages.
fn format_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "μ-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG",
        0x0055 => "MPEG Layer 3",
        0x0160..=0x0162 => "Windows Media Audio",
        0x2000 => "AC-3",
        0x674f..=0x6771 => "Ogg Vorbis",
        0xF1AC => "FLAC",
        _ => "unknown",
    }
}

const SUPPORTED: &str = "only PCM (8-bit unsigned, 16, 24 or 32-bit integer) and IEEE float (32 or 64-bit) are supported";

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Printable form of a four-character code.
fn fourcc(id: &[u8]) -> String {
    let s: String = id.iter().map(|&c| if (0x20..0x7f).contains(&c) { c as char } else { '?' }).collect();
    format!("'{s}'")
}

/// The checked contents of a `fmt ` chunk.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    format: SampleFormat,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
    bits: u16,
}

fn parse_fmt(name: &str, b: &[u8], at: usize) -> Result<Fmt> {
    let err = |m: String| Error::Format { path: name.to_string(), message: m };
    if b.len() < 16 {
        return Err(err(format!("the fmt chunk at byte {at} has {} bytes, at least 16 are needed", b.len())));
    }
    let mut tag = u16_at(b, 0);
    let channels = u16_at(b, 2);
    let sample_rate = u32_at(b, 4);
    let block_align = u16_at(b, 12);
    let bits = u16_at(b, 14);
    if tag == FORMAT_EXTENSIBLE {
        if b.len() < 40 {
            return Err(err(format!("the WAVE_FORMAT_EXTENSIBLE fmt chunk at byte {at} has {} bytes, 40 are needed", b.len())));
        }
        let valid_bits = u16_at(b, 18);
        if valid_bits > bits {
            return Err(err(format!("the fmt chunk at byte {at} declares {valid_bits} valid bits in a {bits}-bit container")));
        }
        tag = u16_at(b, 24);
    }
    let format = match tag {
        FORMAT_PCM => SampleFormat::Pcm,
        FORMAT_IEEE_FLOAT => SampleFormat::Float,
        t => return Err(err(format!("unsupported WAV format {t} ({}) in the fmt chunk at byte {at}: {SUPPORTED}", format_name(t)))),
    };
    if channels == 0 {
        return Err(err(format!("the fmt chunk at byte {at} declares 0 channels")));
    }
    if sample_rate == 0 {
        return Err(err(format!("the fmt chunk at byte {at} declares a sample rate of 0 Hz")));
    }
    let bits_ok = match format {
        SampleFormat::Pcm => matches!(bits, 8 | 16 | 24 | 32),
        SampleFormat::Float => matches!(bits, 32 | 64),
    };
    if !bits_ok {
        let kind = if format == SampleFormat::Pcm { "PCM" } else { "IEEE float" };
        return Err(err(format!("unsupported {kind} sample size of {bits} bits in the fmt chunk at byte {at}: {SUPPORTED}")));
    }
    let want_align = usize::from(channels) * usize::from(bits / 8);
    if usize::from(block_align) != want_align {
        return Err(err(format!(
            "the fmt chunk at byte {at} declares a block size of {block_align} bytes, but {channels} channel(s) of {bits} bits need {want_align}"
        )));
    }
    Ok(Fmt { format, channels, sample_rate, block_align, bits })
}

/// Decodes a WAV file held in memory. `name` (a path, or the argument the bytes came from)
/// names the source in errors.
pub fn read_wav_bytes(bytes: &[u8], name: &str) -> Result<WavAudio> {
    let err = |m: String| Error::Format { path: name.to_string(), message: m };
    if bytes.len() < 12 {
        return Err(err(format!("not a WAV file: {} bytes, a RIFF/WAVE header needs 12", bytes.len())));
    }
    if &bytes[0..4] != b"RIFF" {
        let hint = if &bytes[0..4] == b"RIFX" || &bytes[0..4] == b"RF64" { " (big-endian RIFX and RF64 are not supported)" } else { "" };
        return Err(err(format!("not a RIFF file: bytes 0..4 are {}, expected 'RIFF'{hint}", fourcc(&bytes[0..4]))));
    }
    if &bytes[8..12] != b"WAVE" {
        return Err(err(format!("not a WAVE file: bytes 8..12 are {}, expected 'WAVE'", fourcc(&bytes[8..12]))));
    }
    let mut fmt: Option<Fmt> = None;
    let mut data: Option<&[u8]> = None;
    let mut at = 12;
    while at < bytes.len() {
        let have_both = fmt.is_some() && data.is_some();
        if bytes.len() - at < 8 {
            if have_both {
                break; // trailing bytes after the audio: ignored
            }
            return Err(err(format!("truncated: a chunk header at byte {at} needs 8 bytes, only {} remain", bytes.len() - at)));
        }
        let id = &bytes[at..at + 4];
        let declared = u32_at(bytes, at + 4) as usize;
        let body = at + 8;
        let remaining = bytes.len() - body;
        if id == b"data" {
            if data.is_some() {
                return Err(err(format!("a second data chunk at byte {at}")));
            }
            // Streaming writers leave 0xFFFFFFFF when the length was unknown: the data runs to the end.
            let len = if declared == u32::MAX as usize {
                remaining
            } else if declared > remaining {
                return Err(err(format!("truncated data: the data chunk at byte {at} declares {declared} bytes, only {remaining} remain")));
            } else {
                declared
            };
            data = Some(&bytes[body..body + len]);
            at = body + len + (len & 1);
            continue;
        }
        if declared > remaining {
            if have_both {
                break; // a damaged chunk after the audio: ignored
            }
            return Err(err(format!("truncated: the {} chunk at byte {at} declares {declared} bytes, only {remaining} remain", fourcc(id))));
        }
        if id == b"fmt " {
            if fmt.is_some() {
                return Err(err(format!("a second fmt chunk at byte {at}")));
            }
            fmt = Some(parse_fmt(name, &bytes[body..body + declared], at)?);
        }
        at = body + declared + (declared & 1);
    }
    let fmt = fmt.ok_or_else(|| err(format!("no fmt chunk in {} bytes", bytes.len())))?;
    let data = data.ok_or_else(|| err(format!("no data chunk in {} bytes", bytes.len())))?;
    let frames = data.len() / usize::from(fmt.block_align);
    let samples = decode(&data[..frames * usize::from(fmt.block_align)], &fmt);
    Ok(WavAudio { sample_rate: fmt.sample_rate, channels: fmt.channels, bits_per_sample: fmt.bits, format: fmt.format, samples })
}

/// Decodes interleaved frames into the mono mean of their channels.
fn decode(data: &[u8], fmt: &Fmt) -> Vec<f32> {
    let ch = usize::from(fmt.channels);
    let width = usize::from(fmt.bits / 8);
    let value: fn(&[u8]) -> f64 = match (fmt.format, fmt.bits) {
        (SampleFormat::Pcm, 8) => |s| (f64::from(s[0]) - 128.0) / 128.0,
        (SampleFormat::Pcm, 16) => |s| f64::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0,
        (SampleFormat::Pcm, 24) => |s| f64::from(i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) / 8_388_608.0,
        (SampleFormat::Pcm, _) => |s| f64::from(i32::from_le_bytes([s[0], s[1], s[2], s[3]])) / 2_147_483_648.0,
        (SampleFormat::Float, 32) => |s| f64::from(f32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        (SampleFormat::Float, _) => |s| f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]),
    };
    if ch == 1 && fmt.format == SampleFormat::Pcm && fmt.bits == 16 {
        // The common case, kept a tight loop.
        return data.chunks_exact(2).map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) * (1.0 / 32768.0)).collect();
    }
    let inv = 1.0 / ch as f64;
    data.chunks_exact(ch * width).map(|frame| (frame.chunks_exact(width).map(value).sum::<f64>() * inv) as f32).collect()
}

/// Reads and decodes a WAV file.
pub fn read_wav_file(path: &Path) -> Result<WavAudio> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
    read_wav_bytes(&bytes, &path.display().to_string())
}

/// Reads and decodes many WAV files in parallel on the rayon pool (results in order; the first
/// error in item order is returned).
pub fn read_wav_files(paths: &[&Path]) -> Result<Vec<WavAudio>> {
    use rayon::prelude::*;
    crate::parallel::install(|| paths.par_iter().with_max_len(1).map(|p| read_wav_file(p)).collect())
}

/// Encodes mono samples as a 16-bit PCM WAV file (`round(x · 32768)`, clamped). `arg` names the
/// samples in errors (non-finite values are rejected).
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32, arg: &str) -> Result<Vec<u8>> {
    if sample_rate == 0 {
        return Err(Error::invalid("sampleRate", "expected a positive integer, got 0"));
    }
    crate::layers::check_finite(arg, samples)?;
    let data_len = samples
        .len()
        .checked_mul(2)
        .filter(|&n| n <= (u32::MAX - 36) as usize)
        .ok_or_else(|| Error::invalid(arg, format!("{} samples do not fit a WAV file (at most {} 16-bit samples)", samples.len(), (u32::MAX - 36) / 2)))?;
    let mut out = Vec::with_capacity(44 + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // channels
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate.wrapping_mul(2)).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for &x in samples {
        let v = (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

/// Writes mono samples to `path` as a 16-bit PCM WAV file, atomically (temporary file, fsync,
/// rename): a reader never sees a half-written file.
pub fn write_wav_file(path: &Path, samples: &[f32], sample_rate: u32) -> Result<()> {
    let bytes = encode_wav_pcm16(samples, sample_rate, "samples")?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file from a fmt chunk body and data, with optional extra chunks before `data`.
    fn wav(fmt: &[u8], extra: &[(&[u8; 4], &[u8])], data: &[u8]) -> Vec<u8> {
        let mut body = b"WAVE".to_vec();
        let mut chunk = |id: &[u8; 4], b: &[u8]| {
            body.extend_from_slice(id);
            body.extend_from_slice(&(b.len() as u32).to_le_bytes());
            body.extend_from_slice(b);
            if b.len() % 2 == 1 {
                body.push(0);
            }
        };
        chunk(b"fmt ", fmt);
        for (id, b) in extra {
            chunk(id, b);
        }
        chunk(b"data", data);
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn fmt(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut f = Vec::new();
        f.extend_from_slice(&tag.to_le_bytes());
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&rate.to_le_bytes());
        f.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        f.extend_from_slice(&align.to_le_bytes());
        f.extend_from_slice(&bits.to_le_bytes());
        f
    }

    fn extensible(sub: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let mut f = fmt(FORMAT_EXTENSIBLE, channels, rate, bits);
        f.extend_from_slice(&22u16.to_le_bytes());
        f.extend_from_slice(&bits.to_le_bytes());
        f.extend_from_slice(&3u32.to_le_bytes());
        f.extend_from_slice(&sub.to_le_bytes());
        f.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]);
        f
    }

    fn message(r: Result<WavAudio>) -> String {
        r.expect_err("expected an error").to_string()
    }

    #[test]
    fn pcm16_round_trip_is_exact() {
        let x: Vec<f32> = (0..200).map(|i| ((i as f32 * 0.37).sin() * 30000.0).round() / 32768.0).collect();
        let bytes = encode_wav_pcm16(&x, 8000, "samples").unwrap();
        assert_eq!(bytes.len(), 44 + 400);
        let w = read_wav_bytes(&bytes, "mem").unwrap();
        assert_eq!((w.sample_rate, w.channels, w.bits_per_sample, w.format), (8000, 1, 16, SampleFormat::Pcm));
        assert_eq!(w.samples, x);
    }

    #[test]
    fn writer_clamps_and_rounds() {
        let bytes = encode_wav_pcm16(&[1.0, -1.0, 2.0, -2.0, 0.5 / 32768.0, -0.4 / 32768.0], 100, "samples").unwrap();
        let v: Vec<i16> = bytes[44..].chunks_exact(2).map(|s| i16::from_le_bytes([s[0], s[1]])).collect();
        assert_eq!(v, vec![32767, -32768, 32767, -32768, 1, 0]);
        assert!(encode_wav_pcm16(&[0.0, f32::NAN], 100, "samples").unwrap_err().to_string().contains("samples"));
        assert!(encode_wav_pcm16(&[0.0], 0, "samples").unwrap_err().to_string().contains("sampleRate"));
    }

    #[test]
    fn decodes_every_supported_layout() {
        // 8-bit unsigned stereo: frames (0, 255), (128, 128) → means.
        let w = read_wav_bytes(&wav(&fmt(1, 2, 8000, 8), &[], &[0, 255, 128, 128]), "m").unwrap();
        assert_eq!(w.samples, vec![((-128.0 + 127.0) / 256.0) as f32, 0.0]);
        // 24-bit mono: -2^23 and 2^23 - 1.
        let w = read_wav_bytes(&wav(&fmt(1, 1, 8000, 24), &[], &[0x00, 0x00, 0x80, 0xff, 0xff, 0x7f]), "m").unwrap();
        assert_eq!(w.samples, vec![-1.0, (8_388_607.0f64 / 8_388_608.0) as f32]);
        // 32-bit int mono.
        let w = read_wav_bytes(&wav(&fmt(1, 1, 8000, 32), &[], &i32::MIN.to_le_bytes()), "m").unwrap();
        assert_eq!(w.samples, vec![-1.0]);
        // 32-bit float stereo and 64-bit float mono.
        let mut d = 0.25f32.to_le_bytes().to_vec();
        d.extend_from_slice(&(-0.75f32).to_le_bytes());
        let w = read_wav_bytes(&wav(&fmt(3, 2, 16000, 32), &[], &d), "m").unwrap();
        assert_eq!((w.format, w.samples.clone()), (SampleFormat::Float, vec![-0.25]));
        let w = read_wav_bytes(&wav(&fmt(3, 1, 16000, 64), &[], &0.125f64.to_le_bytes()), "m").unwrap();
        assert_eq!(w.samples, vec![0.125]);
        // Extensible PCM 16 and float 32.
        let w = read_wav_bytes(&wav(&extensible(1, 1, 22050, 16), &[], &16384i16.to_le_bytes()), "m").unwrap();
        assert_eq!((w.sample_rate, w.samples.clone()), (22050, vec![0.5]));
        let w = read_wav_bytes(&wav(&extensible(3, 1, 22050, 32), &[], &0.5f32.to_le_bytes()), "m").unwrap();
        assert_eq!(w.samples, vec![0.5]);
    }

    #[test]
    fn skips_unknown_chunks_with_pad_bytes() {
        let d: Vec<u8> = [100i16, -200, 300].iter().flat_map(|v| v.to_le_bytes()).collect();
        let bytes = wav(&fmt(1, 1, 8000, 16), &[(b"LIST", b"INFOabc"), (b"fact", &[1, 0, 0, 0])], &d);
        let w = read_wav_bytes(&bytes, "m").unwrap();
        assert_eq!(w.samples, vec![100.0 / 32768.0, -200.0 / 32768.0, 300.0 / 32768.0]);
        // A partial last frame is dropped; trailing bytes after the audio are ignored.
        let mut odd = wav(&fmt(1, 2, 8000, 16), &[], &[0, 0, 0, 64, 1]);
        odd.extend_from_slice(&[1, 2, 3]);
        assert_eq!(read_wav_bytes(&odd, "m").unwrap().samples, vec![0.25]);
    }

    #[test]
    fn errors_name_the_file_and_the_offset() {
        let good = wav(&fmt(1, 1, 8000, 16), &[], &[0; 8]);
        assert!(message(read_wav_bytes(b"RIFF", "a.wav")).contains("a.wav: not a WAV file: 4 bytes"));
        let mut b = good.clone();
        b[0..4].copy_from_slice(b"OggS");
        assert!(message(read_wav_bytes(&b, "a.wav")).contains("not a RIFF file: bytes 0..4 are 'OggS'"));
        let mut b = good.clone();
        b[8..12].copy_from_slice(b"AVI ");
        assert!(message(read_wav_bytes(&b, "a.wav")).contains("not a WAVE file"));
        let m = message(read_wav_bytes(&wav(&fmt(7, 1, 8000, 8), &[], &[0; 4]), "mu.wav"));
        assert!(m.contains("mu.wav: unsupported WAV format 7 (μ-law) in the fmt chunk at byte 12: only PCM"), "{m}");
        let m = message(read_wav_bytes(&wav(&extensible(2, 1, 8000, 4), &[], &[0; 4]), "x.wav"));
        assert!(m.contains("unsupported WAV format 2 (Microsoft ADPCM)"), "{m}");
        assert!(message(read_wav_bytes(&wav(&fmt(1, 0, 8000, 16), &[], &[]), "z")).contains("0 channels"));
        assert!(message(read_wav_bytes(&wav(&fmt(1, 1, 0, 16), &[], &[]), "z")).contains("sample rate of 0 Hz"));
        assert!(message(read_wav_bytes(&wav(&fmt(1, 1, 8000, 12), &[], &[]), "z")).contains("12 bits"));
        // Truncated data: the declared size runs past the end.
        let t = &good[..good.len() - 3];
        let m = message(read_wav_bytes(t, "t.wav"));
        assert!(m.contains("truncated data: the data chunk at byte 36 declares 8 bytes, only 5 remain"), "{m}");
        // Missing chunks.
        let mut nofmt = b"RIFF\x0c\0\0\0WAVEdata\x00\0\0\0".to_vec();
        assert!(message(read_wav_bytes(&nofmt, "n")).contains("no fmt chunk"));
        nofmt.truncate(12);
        let mut only_fmt = nofmt.clone();
        only_fmt.extend_from_slice(b"fmt \x10\0\0\0");
        only_fmt.extend_from_slice(&fmt(1, 1, 8000, 16));
        assert!(message(read_wav_bytes(&only_fmt, "n")).contains("no data chunk"));
        // A truncated chunk before the audio.
        let mut cut = nofmt.clone();
        cut.extend_from_slice(b"LIST\xff\0\0\0ab");
        assert!(message(read_wav_bytes(&cut, "c")).contains("the 'LIST' chunk at byte 12 declares 255 bytes, only 2 remain"));
    }

    #[test]
    fn file_round_trip_is_atomic_and_reports_missing_files() {
        let dir = std::env::temp_dir().join(format!("seqlearn-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.wav");
        write_wav_file(&p, &[0.5, -0.5], 16000).unwrap();
        assert_eq!(read_wav_file(&p).unwrap().samples, vec![0.5, -0.5]);
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains(".tmp")).collect();
        assert!(leftovers.is_empty());
        let m = read_wav_file(&dir.join("missing.wav")).unwrap_err();
        assert_eq!(m.code(), "ERR_SEQLEARN_IO");
        assert!(m.to_string().contains("missing.wav"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
