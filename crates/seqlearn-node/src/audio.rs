//! Audio for JavaScript: WAV reading (path, bytes, many paths in parallel) and writing, feature
//! extraction (spectrogram, mel, log-mel, MFCC; one utterance synchronously or a batch on a
//! worker thread, parallel over items on the rayon pool), the mel filterbank, per-utterance
//! normalisation and seeded augmentation. Options are checked and converted here; the core does
//! the math and names the option in its errors.

use std::path::{Path, PathBuf};

use napi::bindgen_prelude::{AsyncTask, Float32Array, Uint8Array};
use napi::{Env, Task};
use napi_derive::napi;
use seqlearn_core::audio::{
    self as core, augment, AudioSource, FeatureKind, FeatureOptions, Features, Interpolation, MelNorm, MelScale, PadMode, SpecAugmentConfig, WavAudio,
};
use seqlearn_core::rng::Rng;

use crate::convert::{shape_of, tensor_out, to_seed, to_usize, JsFloat32, JsTypedArray, TensorArg, TensorOut};
use crate::error::{guard, invalid, to_js};

/// A decoded WAV file (mixed down to mono).
#[napi(object, object_from_js = false)]
pub struct WavResult {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file (the samples are their mean).
    pub channels: u32,
    /// Bits per stored sample (8, 16, 24, 32 or 64).
    pub bits_per_sample: u32,
    /// `'pcm'` (integer) or `'float'`.
    pub format: String,
    /// Mono samples in [-1, 1) for integer formats.
    #[napi(ts_type = "Float32Array")]
    pub samples: JsFloat32,
}

fn wav_result(w: WavAudio) -> WavResult {
    WavResult {
        sample_rate: w.sample_rate,
        channels: u32::from(w.channels),
        bits_per_sample: u32::from(w.bits_per_sample),
        format: w.format.name().to_string(),
        samples: JsTypedArray(w.samples),
    }
}

fn path_arg(arg: &str, p: &str) -> napi::Result<PathBuf> {
    if p.is_empty() {
        return Err(invalid(arg, "expected a non-empty file path, got ''"));
    }
    Ok(PathBuf::from(p))
}

/// Reads a WAV file (PCM 8/16/24/32-bit, IEEE float 32/64-bit, WAVE_FORMAT_EXTENSIBLE of those).
#[napi(catch_unwind)]
pub fn read_wav(path: String) -> napi::Result<WavResult> {
    let p = path_arg("path", &path)?;
    guard("readWav", || core::read_wav_file(&p).map(wav_result).map_err(to_js))
}

/// Decodes WAV bytes held in memory; `name` (default `'bytes'`) names them in errors.
#[napi(catch_unwind)]
pub fn read_wav_bytes(bytes: Uint8Array, name: Option<String>) -> napi::Result<WavResult> {
    let name = name.unwrap_or_else(|| "bytes".into());
    guard("readWav", || core::read_wav_bytes(&bytes, &name).map(wav_result).map_err(to_js))
}

/// Reads many WAV files on a worker thread, in parallel over files.
#[napi(ts_return_type = "Promise<WavResult[]>")]
pub fn read_wav_async(paths: Vec<String>) -> napi::Result<AsyncTask<ReadWavTask>> {
    let paths = paths.iter().enumerate().map(|(i, p)| path_arg(&format!("paths[{i}]"), p)).collect::<napi::Result<Vec<_>>>()?;
    Ok(AsyncTask::new(ReadWavTask { paths }))
}

/// Async `readWavAsync`.
pub struct ReadWavTask {
    paths: Vec<PathBuf>,
}

impl Task for ReadWavTask {
    type Output = Vec<WavAudio>;
    type JsValue = Vec<WavResult>;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let refs: Vec<&Path> = self.paths.iter().map(PathBuf::as_path).collect();
        guard("readWavAsync", || core::read_wav_files(&refs).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output.into_iter().map(wav_result).collect())
    }
}

fn sample_rate_arg(v: f64) -> napi::Result<u32> {
    Ok(to_usize("sampleRate", v, 1, u32::MAX as usize)? as u32)
}

/// Writes mono samples as a 16-bit PCM WAV file, atomically (`round(x · 32768)`, clamped).
#[napi(catch_unwind)]
pub fn write_wav(path: String, samples: Float32Array, sample_rate: f64) -> napi::Result<()> {
    let p = path_arg("path", &path)?;
    let sr = sample_rate_arg(sample_rate)?;
    guard("writeWav", || core::write_wav_file(&p, &samples, sr).map_err(to_js))
}

/// Options of the feature functions (every field optional; defaults in the core's `FeatureOptions`).
#[napi(object)]
#[derive(Default)]
pub struct FeatureArgs {
    /// `'spectrogram'`, `'mel'`, `'logMel'` (default) or `'mfcc'`.
    pub kind: Option<String>,
    /// FFT size (default: next power of two ≥ winLength).
    pub n_fft: Option<f64>,
    /// Window length (default round(0.025 · sampleRate), at most nFft).
    pub win_length: Option<f64>,
    /// Hop length (default round(0.010 · sampleRate)).
    pub hop_length: Option<f64>,
    /// Centre frames with padding (default true).
    pub center: Option<bool>,
    /// `'reflect'` (default) or `'constant'`.
    pub pad_mode: Option<String>,
    /// Magnitude exponent (default 2).
    pub power: Option<f64>,
    /// Mel filters (default 40).
    pub n_mels: Option<f64>,
    /// Lowest mel frequency (default 0).
    pub f_min: Option<f64>,
    /// Highest mel frequency (default sampleRate / 2).
    pub f_max: Option<f64>,
    /// `'slaney'` (default) or `'htk'`.
    pub mel_scale: Option<String>,
    /// `'slaney'` (default) or `'none'`.
    pub mel_norm: Option<String>,
    /// Log-mel floor (default 1e-10).
    pub log_floor: Option<f64>,
    /// Log-mel offset (default 0).
    pub log_offset: Option<f64>,
    /// MFCCs kept (default 13).
    pub n_mfcc: Option<f64>,
    /// MFCC dB range (default 80; Infinity: no clamp).
    pub top_db: Option<f64>,
    /// MFCC power floor before the dB conversion (default 1e-10).
    pub amin: Option<f64>,
    /// MFCC lifter (default 0).
    pub lifter: Option<f64>,
    /// Per-utterance normalisation (default false).
    pub normalize: Option<bool>,
    /// Standard-deviation floor of the normalisation (default 1e-5).
    pub normalize_eps: Option<f64>,
}

fn choice<T: Copy>(arg: &str, v: &Option<String>, default: T, options: &[(&str, T)]) -> napi::Result<T> {
    let Some(s) = v else { return Ok(default) };
    if let Some((_, t)) = options.iter().find(|(n, _)| n == s) {
        return Ok(*t);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("'{n}'")).collect();
    Err(invalid(arg, format!("expected one of {}, got '{s}'", names.join(", "))))
}

fn f32_arg(arg: &str, v: Option<f64>, default: f32) -> napi::Result<f32> {
    match v {
        None => Ok(default),
        Some(x) if x.is_nan() => Err(invalid(arg, "expected a number, got NaN")),
        Some(x) => Ok(x as f32),
    }
}

const MAX_SIZE: usize = 1 << 30;

fn feature_options(o: &FeatureArgs) -> napi::Result<FeatureOptions> {
    let d = FeatureOptions::default();
    let size = |arg: &str, v: Option<f64>, min: usize| v.map(|x| to_usize(arg, x, min, MAX_SIZE)).transpose();
    let normalize = if o.normalize.unwrap_or(false) { Some(f32_arg("normalizeEps", o.normalize_eps, core::features::DEFAULT_NORMALIZE_EPS)?) } else { None };
    Ok(FeatureOptions {
        kind: choice(
            "kind",
            &o.kind,
            d.kind,
            &[("spectrogram", FeatureKind::Spectrogram), ("mel", FeatureKind::Mel), ("logMel", FeatureKind::LogMel), ("mfcc", FeatureKind::Mfcc)],
        )?,
        n_fft: size("nFft", o.n_fft, 2)?,
        win_length: size("winLength", o.win_length, 1)?,
        hop_length: size("hopLength", o.hop_length, 1)?,
        center: o.center.unwrap_or(d.center),
        pad_mode: choice("padMode", &o.pad_mode, d.pad_mode, &[("reflect", PadMode::Reflect), ("constant", PadMode::Constant)])?,
        power: f32_arg("power", o.power, d.power)?,
        n_mels: size("nMels", o.n_mels, 1)?.unwrap_or(d.n_mels),
        f_min: o.f_min.unwrap_or(d.f_min),
        f_max: o.f_max,
        mel_scale: choice("melScale", &o.mel_scale, d.mel_scale, &[("slaney", MelScale::Slaney), ("htk", MelScale::Htk)])?,
        mel_norm: choice("melNorm", &o.mel_norm, d.mel_norm, &[("slaney", MelNorm::Slaney), ("none", MelNorm::None)])?,
        log_floor: f32_arg("logFloor", o.log_floor, d.log_floor)?,
        log_offset: f32_arg("logOffset", o.log_offset, d.log_offset)?,
        mfcc: core::MfccConfig {
            n_mfcc: size("nMfcc", o.n_mfcc, 1)?.unwrap_or(d.mfcc.n_mfcc),
            top_db: match o.top_db {
                None => d.mfcc.top_db,
                Some(t) if t == f64::INFINITY => None,
                Some(t) => Some(f32_arg("topDb", Some(t), 0.0)?),
            },
            amin: f32_arg("amin", o.amin, d.mfcc.amin)?,
            lifter: f32_arg("lifter", o.lifter, d.mfcc.lifter)?,
        },
        normalize,
    })
}

fn features_out(f: Features) -> TensorOut {
    tensor_out(f.data, &[f.frames, f.dims])
}

/// Features of one utterance, `[frames, dims]` (see `FeatureArgs` for the kinds and options).
#[napi(catch_unwind)]
pub fn audio_features(samples: Float32Array, sample_rate: f64, options: Option<FeatureArgs>) -> napi::Result<TensorOut> {
    let sr = sample_rate_arg(sample_rate)?;
    let opts = feature_options(&options.unwrap_or_default())?;
    guard("audioFeatures", || {
        let e = opts.resolve(sr).and_then(|c| core::FeatureExtractor::shared(&c)).map_err(to_js)?;
        e.compute(&samples, "samples").map(features_out).map_err(to_js)
    })
}

/// The mel filterbank `[nMels, nFft / 2 + 1]` the feature functions use with these options.
#[napi(catch_unwind)]
pub fn mel_filterbank(sample_rate: f64, options: Option<FeatureArgs>) -> napi::Result<TensorOut> {
    let sr = sample_rate_arg(sample_rate)?;
    let opts = FeatureOptions { kind: FeatureKind::Mel, ..feature_options(&options.unwrap_or_default())? };
    guard("melFilterbank", || {
        let e = core::FeatureExtractor::from_options(&opts, sr).map_err(to_js)?;
        let fb = e.filterbank().ok_or_else(|| invalid("kind", "internal: no filterbank"))?;
        Ok(tensor_out(fb.to_dense(), &[fb.n_mels(), fb.bins()]))
    })
}

/// One utterance of a batch: exactly one of `path` (a WAV file) or `samples`.
#[napi(object)]
pub struct AudioItemArg {
    /// A WAV file.
    pub path: Option<String>,
    /// Mono samples at the batch's `sampleRate`.
    pub samples: Option<Float32Array>,
}

/// Random augmentation applied per item by `audioFeaturesAsync`.
#[napi(object)]
pub struct AugmentArgs {
    /// Speed factor range `[low, high]` (resampling).
    pub speed: Option<Vec<f64>>,
    /// `'sinc'` (default) or `'linear'`.
    pub interpolation: Option<String>,
    /// Gain range in dB.
    pub gain_db: Option<Vec<f64>>,
    /// SNR range in dB of added white noise.
    pub snr_db: Option<Vec<f64>>,
    /// SpecAugment time masks (default 0).
    pub time_masks: Option<f64>,
    /// Largest time-mask width in frames (default 0).
    pub max_time_width: Option<f64>,
    /// SpecAugment frequency masks (default 0).
    pub freq_masks: Option<f64>,
    /// Largest frequency-mask width (default 0).
    pub max_freq_width: Option<f64>,
    /// Value of masked cells (default 0).
    pub mask_value: Option<f64>,
    /// Seed (default 0).
    pub seed: Option<f64>,
}

fn range_arg(arg: &str, v: &Option<Vec<f64>>) -> napi::Result<Option<(f32, f32)>> {
    match v {
        None => Ok(None),
        Some(r) if r.len() == 2 && r.iter().all(|x| x.is_finite()) => Ok(Some((r[0] as f32, r[1] as f32))),
        Some(r) => Err(invalid(arg, format!("expected [low, high] (two finite numbers), got {r:?}"))),
    }
}

fn interpolation_arg(v: &Option<String>) -> napi::Result<Interpolation> {
    choice("interpolation", v, Interpolation::Sinc, &[("sinc", Interpolation::Sinc), ("linear", Interpolation::Linear)])
}

fn spec_config(
    time_masks: Option<f64>,
    max_time_width: Option<f64>,
    freq_masks: Option<f64>,
    max_freq_width: Option<f64>,
    value: Option<f64>,
    prefix: &str,
) -> napi::Result<SpecAugmentConfig> {
    let n = |arg: &str, v: Option<f64>| to_usize(&format!("{prefix}{arg}"), v.unwrap_or(0.0), 0, MAX_SIZE);
    Ok(SpecAugmentConfig {
        time_masks: n("timeMasks", time_masks)?,
        max_time_width: n("maxTimeWidth", max_time_width)?,
        freq_masks: n("freqMasks", freq_masks)?,
        max_freq_width: n("maxFreqWidth", max_freq_width)?,
        value: f32_arg(&format!("{prefix}maskValue"), value, 0.0)?,
    })
}

fn augment_config(a: &AugmentArgs) -> napi::Result<core::AugmentConfig> {
    let spec = spec_config(a.time_masks, a.max_time_width, a.freq_masks, a.max_freq_width, a.mask_value, "augment.")?;
    let c = core::AugmentConfig {
        speed: range_arg("augment.speed", &a.speed)?,
        interpolation: choice(
            "augment.interpolation",
            &a.interpolation,
            Interpolation::Sinc,
            &[("sinc", Interpolation::Sinc), ("linear", Interpolation::Linear)],
        )?,
        gain_db: range_arg("augment.gainDb", &a.gain_db)?,
        snr_db: range_arg("augment.snrDb", &a.snr_db)?,
        spec: if spec.time_masks + spec.freq_masks > 0 { Some(spec) } else { None },
        seed: to_usize("augment.seed", a.seed.unwrap_or(0.0), 0, crate::convert::MAX_SAFE_INTEGER)? as u64,
    };
    c.validate().map_err(to_js)?;
    Ok(c)
}

/// An item of a batch, owned by the task.
enum OwnedItem {
    Samples(Vec<f32>),
    File(PathBuf),
}

/// Features of many utterances on a worker thread, parallel over items on the rayon pool. Items
/// with `samples` need `sampleRate`; files use their own rate, or must equal `sampleRate` when
/// it is given. `augment` perturbs each item with its own seeded stream.
#[napi(ts_return_type = "Promise<TensorOut[]>")]
pub fn audio_features_async(
    items: Vec<AudioItemArg>,
    sample_rate: Option<f64>,
    options: Option<FeatureArgs>,
    augment: Option<AugmentArgs>,
) -> napi::Result<AsyncTask<AudioFeaturesTask>> {
    let sr = sample_rate.map(sample_rate_arg).transpose()?;
    let owned = items
        .into_iter()
        .enumerate()
        .map(|(i, it)| match (it.path, it.samples) {
            (Some(p), None) => Ok(OwnedItem::File(path_arg(&format!("items[{i}]"), &p)?)),
            (None, Some(s)) => {
                if sr.is_none() {
                    return Err(invalid("sampleRate", format!("required when an item is samples (items[{i}] is a Float32Array)")));
                }
                Ok(OwnedItem::Samples(s.to_vec()))
            }
            _ => Err(invalid(&format!("items[{i}]"), "expected exactly one of path (a WAV file) or samples (a Float32Array)")),
        })
        .collect::<napi::Result<Vec<_>>>()?;
    let options = feature_options(&options.unwrap_or_default())?;
    let augment = augment.as_ref().map(augment_config).transpose()?;
    Ok(AsyncTask::new(AudioFeaturesTask { items: owned, sample_rate: sr, options, augment }))
}

/// Async `audioFeaturesAsync`.
pub struct AudioFeaturesTask {
    items: Vec<OwnedItem>,
    sample_rate: Option<u32>,
    options: FeatureOptions,
    augment: Option<core::AugmentConfig>,
}

impl Task for AudioFeaturesTask {
    type Output = Vec<Features>;
    type JsValue = Vec<TensorOut>;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let sources: Vec<AudioSource<'_>> = self
            .items
            .iter()
            .map(|it| match it {
                OwnedItem::Samples(s) => AudioSource::Samples { data: s, sample_rate: self.sample_rate.unwrap_or(1) },
                OwnedItem::File(p) => AudioSource::File(p),
            })
            .collect();
        guard("audioFeaturesAsync", || core::features_batch(&sources, &self.options, self.sample_rate, self.augment.as_ref()).map_err(to_js))
    }
    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output.into_iter().map(features_out).collect())
    }
}

/// Per-utterance normalisation of `features` `[frames, dims]`: each coefficient minus its mean,
/// divided by max(std, eps) (default eps 1e-5).
#[napi(catch_unwind)]
pub fn normalize_features(features: TensorArg, eps: Option<f64>) -> napi::Result<TensorOut> {
    let shape = shape_of("features", &features.shape, features.data.len())?;
    if shape.len() != 2 {
        return Err(to_js(seqlearn_core::Error::Shape { arg: "features".into(), expected: "2-D [frames, dims]".into(), actual: format!("{shape:?}") }));
    }
    let eps = f32_arg("eps", eps, core::features::DEFAULT_NORMALIZE_EPS)?;
    guard("normalizeFeatures", || {
        let mut data = features.data.to_vec();
        core::normalize::normalize_per_utterance(&mut data, shape[0], shape[1], eps, "features").map_err(to_js)?;
        Ok(tensor_out(data, &shape))
    })
}

/// Resamples `samples` to play `factor` times faster (`'sinc'` default, or `'linear'`).
#[napi(catch_unwind)]
pub fn speed_perturb(samples: Float32Array, factor: f64, interpolation: Option<String>) -> napi::Result<JsFloat32> {
    let interp = interpolation_arg(&interpolation)?;
    let f = f32_arg("factor", Some(factor), 1.0)?;
    guard("speedPerturb", || augment::speed_perturb(&samples, f, interp, "samples").map(JsTypedArray).map_err(to_js))
}

/// `samples` plus white Gaussian noise at `snrDb` (seeded).
#[napi(catch_unwind)]
pub fn add_noise(samples: Float32Array, snr_db: f64, seed: Option<f64>) -> napi::Result<JsFloat32> {
    let seed = to_seed(seed)?;
    let snr = f32_arg("snrDb", Some(snr_db), 0.0)?;
    guard("addNoise", || {
        let mut x = samples.to_vec();
        augment::add_noise(&mut x, snr, &mut Rng::new(seed)).map_err(to_js)?;
        Ok(JsTypedArray(x))
    })
}

/// `samples` times `10^(gainDb / 20)`.
#[napi(catch_unwind)]
pub fn apply_gain(samples: Float32Array, gain_db: f64) -> napi::Result<JsFloat32> {
    let g = f32_arg("gainDb", Some(gain_db), 0.0)?;
    guard("applyGain", || {
        let mut x = samples.to_vec();
        augment::apply_gain(&mut x, g).map_err(to_js)?;
        Ok(JsTypedArray(x))
    })
}

/// Options of `specAugment`.
#[napi(object)]
pub struct SpecAugmentArgs {
    /// Number of time masks (default 0).
    pub time_masks: Option<f64>,
    /// Largest time-mask width in frames (default 0).
    pub max_time_width: Option<f64>,
    /// Number of frequency masks (default 0).
    pub freq_masks: Option<f64>,
    /// Largest frequency-mask width (default 0).
    pub max_freq_width: Option<f64>,
    /// Value of masked cells (default 0).
    pub mask_value: Option<f64>,
    /// Seed (default 0).
    pub seed: Option<f64>,
}

/// SpecAugment time and frequency masks on a copy of `features` `[frames, dims]` (seeded).
#[napi(catch_unwind)]
pub fn spec_augment(features: TensorArg, options: SpecAugmentArgs) -> napi::Result<TensorOut> {
    let shape = shape_of("features", &features.shape, features.data.len())?;
    if shape.len() != 2 {
        return Err(to_js(seqlearn_core::Error::Shape { arg: "features".into(), expected: "2-D [frames, dims]".into(), actual: format!("{shape:?}") }));
    }
    let c = spec_config(options.time_masks, options.max_time_width, options.freq_masks, options.max_freq_width, options.mask_value, "")?;
    let seed = to_seed(options.seed)?;
    guard("specAugment", || {
        let mut data = features.data.to_vec();
        augment::spec_augment(&mut data, shape[0], shape[1], &c, &mut Rng::new(seed)).map_err(to_js)?;
        Ok(tensor_out(data, &shape))
    })
}
