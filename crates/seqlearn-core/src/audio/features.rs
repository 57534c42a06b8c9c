//! The feature pipeline: samples → STFT → `|X|^power` → mel filterbank → log or dB → DCT, then
//! optional per-utterance normalisation, as one pass over frames (no full spectrogram is kept
//! unless asked for). [`FeatureOptions`] holds what the user set, [`FeatureOptions::resolve`]
//! fills in the defaults for a sample rate, and a [`FeatureExtractor`] (plans, window, filters,
//! DCT matrix) is built once per sample rate and shared by every thread. [`features_batch`] runs
//! many utterances (sample arrays or WAV files) in parallel on the rayon pool.
//!
//! Defaults (speech): `win_length = round(0.025 · sr)` (25 ms) but at most `n_fft`,
//! `hop_length = round(0.010 · sr)` (10 ms), `n_fft` = the next power of two ≥ that window
//! (8 kHz: 256/200/80; 16 kHz: 512/400/160), `center` with reflect padding, power 2, 40 mels from
//! 0 Hz to `sr / 2` on the Slaney scale with Slaney (area) normalisation (librosa's filterbank
//! defaults), log-mel `ln(max(mel + log_offset, log_floor))` with offset 0 and floor 1e-10, and
//! for MFCCs 13 coefficients, `top_db` 80, `amin` 1e-10, no lifter (librosa's convention).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use super::augment::AugmentConfig;
use super::mel::{MelConfig, MelFilterbank, MelNorm, MelScale};
use super::mfcc::{clamp_top_db, power_to_db_in_place, Dct, MfccConfig};
use super::normalize::{normalize_per_utterance, DEFAULT_EPS};
use super::stft::{PadMode, Stft, StftConfig};
use super::wav::read_wav_file;
use crate::error::{Error, Result};
use crate::parallel;

/// What the pipeline outputs per frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKind {
    /// `|STFT|^power`, `n_fft / 2 + 1` bins.
    Spectrogram,
    /// Mel spectrogram (`librosa.feature.melspectrogram`), `n_mels` values.
    Mel,
    /// `ln(max(mel + log_offset, log_floor))`, `n_mels` values.
    LogMel,
    /// MFCCs (`librosa.feature.mfcc`), `n_mfcc` values.
    Mfcc,
}

/// User-facing options; `None` means the default for the sample rate (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureOptions {
    /// What to compute.
    pub kind: FeatureKind,
    /// FFT size.
    pub n_fft: Option<usize>,
    /// Window length.
    pub win_length: Option<usize>,
    /// Hop length.
    pub hop_length: Option<usize>,
    /// Centre frames (pad `n_fft / 2` each side).
    pub center: bool,
    /// Padding of `center`.
    pub pad_mode: PadMode,
    /// Magnitude exponent (2 power, 1 magnitude).
    pub power: f32,
    /// Mel filters.
    pub n_mels: usize,
    /// Lowest mel frequency (Hz).
    pub f_min: f64,
    /// Highest mel frequency (Hz); `None`: `sr / 2`.
    pub f_max: Option<f64>,
    /// Mel scale.
    pub mel_scale: MelScale,
    /// Mel filter normalisation.
    pub mel_norm: MelNorm,
    /// Floor inside the log-mel logarithm.
    pub log_floor: f32,
    /// Offset added inside the log-mel logarithm.
    pub log_offset: f32,
    /// MFCC settings.
    pub mfcc: MfccConfig,
    /// Per-utterance normalisation with this standard-deviation floor (`None`: off).
    pub normalize: Option<f32>,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        FeatureOptions {
            kind: FeatureKind::LogMel,
            n_fft: None,
            win_length: None,
            hop_length: None,
            center: true,
            pad_mode: PadMode::Reflect,
            power: 2.0,
            n_mels: 40,
            f_min: 0.0,
            f_max: None,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            log_floor: 1e-10,
            log_offset: 0.0,
            mfcc: MfccConfig::default(),
            normalize: None,
        }
    }
}

/// Settings with every default filled in for one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureConfig {
    /// What to compute.
    pub kind: FeatureKind,
    /// STFT settings.
    pub stft: StftConfig,
    /// Filterbank settings (unused for [`FeatureKind::Spectrogram`]).
    pub mel: MelConfig,
    /// Floor inside the log-mel logarithm.
    pub log_floor: f32,
    /// Offset added inside the log-mel logarithm.
    pub log_offset: f32,
    /// MFCC settings.
    pub mfcc: MfccConfig,
    /// Per-utterance normalisation floor (`None`: off).
    pub normalize: Option<f32>,
}

impl FeatureOptions {
    /// Fills in the defaults for `sample_rate` Hz.
    pub fn resolve(&self, sample_rate: u32) -> Result<FeatureConfig> {
        if sample_rate == 0 {
            return Err(Error::invalid("sampleRate", "expected a positive integer, got 0"));
        }
        let sr = f64::from(sample_rate);
        let win_default = ((0.025 * sr).round() as usize).max(1);
        let n_fft = self.n_fft.unwrap_or_else(|| self.win_length.unwrap_or(win_default).next_power_of_two().max(2));
        let win_length = self.win_length.unwrap_or(win_default.min(n_fft));
        let hop_length = self.hop_length.unwrap_or(((0.010 * sr).round() as usize).max(1));
        Ok(FeatureConfig {
            kind: self.kind,
            stft: StftConfig { n_fft, win_length, hop_length, center: self.center, pad_mode: self.pad_mode, power: self.power },
            mel: MelConfig {
                sample_rate: sr,
                n_fft,
                n_mels: self.n_mels,
                f_min: self.f_min,
                f_max: self.f_max.unwrap_or(sr / 2.0),
                scale: self.mel_scale,
                norm: self.mel_norm,
            },
            log_floor: self.log_floor,
            log_offset: self.log_offset,
            mfcc: self.mfcc,
            normalize: self.normalize,
        })
    }
}

/// A feature matrix `[frames, dims]`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    /// Values.
    pub data: Vec<f32>,
    /// Rows (frames).
    pub frames: usize,
    /// Values per frame.
    pub dims: usize,
}

/// A planned pipeline for one sample rate: STFT plan and window, filterbank, DCT matrix.
#[derive(Debug)]
pub struct FeatureExtractor {
    config: FeatureConfig,
    stft: Stft,
    mel: Option<MelFilterbank>,
    dct: Option<Dct>,
}

impl FeatureExtractor {
    /// Validates `config` and plans every stage; errors name the option.
    pub fn new(config: &FeatureConfig) -> Result<Self> {
        let stft = Stft::new(config.stft)?;
        let (mel, dct) = match config.kind {
            FeatureKind::Spectrogram => (None, None),
            kind => {
                let mel = MelFilterbank::new(&config.mel)?;
                let dct = if kind == FeatureKind::Mfcc {
                    config.mfcc.validate(config.mel.n_mels)?;
                    Some(Dct::new(config.mfcc.n_mfcc, config.mel.n_mels, config.mfcc.lifter))
                } else {
                    None
                };
                (Some(mel), dct)
            }
        };
        if kind_uses_log(config.kind) {
            if !(config.log_floor.is_finite() && config.log_floor > 0.0) {
                return Err(Error::invalid("logFloor", format!("expected a positive finite number, got {}", config.log_floor)));
            }
            if !(config.log_offset.is_finite() && config.log_offset >= 0.0) {
                return Err(Error::invalid("logOffset", format!("expected a non-negative finite number, got {}", config.log_offset)));
            }
        }
        if let Some(eps) = config.normalize {
            if !(eps.is_finite() && eps > 0.0) {
                return Err(Error::invalid("normalizeEps", format!("expected a positive finite number, got {eps}")));
            }
        }
        Ok(FeatureExtractor { config: *config, stft, mel, dct })
    }

    /// Builds the extractor of `options` at `sample_rate`.
    pub fn from_options(options: &FeatureOptions, sample_rate: u32) -> Result<Self> {
        Self::new(&options.resolve(sample_rate)?)
    }

    /// The extractor of `config` from a small process-wide cache of recently used configurations
    /// (planning the FFT and the filterbank costs about as much as the features of a short
    /// utterance), built on first use.
    pub fn shared(config: &FeatureConfig) -> Result<Arc<Self>> {
        static CACHE: OnceLock<Mutex<Vec<Arc<FeatureExtractor>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(e) = cache.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|e| e.config == *config) {
            return Ok(e.clone());
        }
        let e = Arc::new(Self::new(config)?);
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        if c.len() >= SHARED_EXTRACTORS {
            c.remove(0);
        }
        c.push(e.clone());
        Ok(e)
    }

    /// The resolved settings.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The filterbank (`None` for spectrograms).
    pub fn filterbank(&self) -> Option<&MelFilterbank> {
        self.mel.as_ref()
    }

    /// Values per frame.
    pub fn dims(&self) -> usize {
        match self.config.kind {
            FeatureKind::Spectrogram => self.config.stft.bins(),
            FeatureKind::Mel | FeatureKind::LogMel => self.config.mel.n_mels,
            FeatureKind::Mfcc => self.config.mfcc.n_mfcc,
        }
    }

    /// The features of one utterance; `arg` names the samples in errors (non-finite values, an
    /// empty signal, or one shorter than a frame with `center = false`).
    pub fn compute(&self, samples: &[f32], arg: &str) -> Result<Features> {
        crate::layers::check_finite(arg, samples)?;
        let dims = self.dims();
        let mut data = Vec::new();
        let frames = match (self.config.kind, &self.mel) {
            (FeatureKind::Spectrogram, _) => self.stft.map_frames(samples, arg, dims, &mut data, |_, p, row| row.copy_from_slice(p))?,
            (FeatureKind::Mel, Some(mel)) => self.stft.map_frames(samples, arg, dims, &mut data, |_, p, row| mel.apply(p, row))?,
            (FeatureKind::LogMel, Some(mel)) => {
                let (floor, offset) = (self.config.log_floor, self.config.log_offset);
                self.stft.map_frames(samples, arg, dims, &mut data, |_, p, row| {
                    mel.apply(p, row);
                    row.iter_mut().for_each(|v| *v = (*v + offset).max(floor).ln());
                })?
            }
            (FeatureKind::Mfcc, Some(mel)) => {
                let amin = self.config.mfcc.amin;
                let mut db = Vec::new();
                let frames = self.stft.map_frames(samples, arg, mel.n_mels(), &mut db, |_, p, row| {
                    mel.apply(p, row);
                    power_to_db_in_place(row, amin);
                })?;
                if let Some(top) = self.config.mfcc.top_db {
                    clamp_top_db(&mut db, top);
                }
                let dct = self.dct.as_ref().expect("an MFCC extractor has a DCT");
                data = vec![0.0; frames * dims];
                for (row, x) in data.chunks_exact_mut(dims).zip(db.chunks_exact(mel.n_mels())) {
                    dct.apply(x, row);
                }
                frames
            }
            (_, None) => unreachable!("mel kinds always have a filterbank"),
        };
        if let Some(eps) = self.config.normalize {
            normalize_per_utterance(&mut data, frames, dims, eps, arg)?;
        }
        Ok(Features { data, frames, dims })
    }
}

/// Configurations [`FeatureExtractor::shared`] keeps.
const SHARED_EXTRACTORS: usize = 8;

fn kind_uses_log(kind: FeatureKind) -> bool {
    kind == FeatureKind::LogMel
}

/// One utterance of a batch.
#[derive(Clone, Copy, Debug)]
pub enum AudioSource<'a> {
    /// Samples at a sample rate.
    Samples {
        /// Mono samples.
        data: &'a [f32],
        /// Samples per second.
        sample_rate: u32,
    },
    /// A WAV file (read, mixed to mono, at its own sample rate).
    File(&'a Path),
}

/// Features of many utterances, in parallel over items on the rayon pool (frames of a long item
/// are split too). Files are read inside the workers. With `sample_rate`, every file must have
/// that rate (an error names the file otherwise); without it each file uses its own. `augment`
/// perturbs each waveform (item `i` with its own seeded stream) and masks its features.
/// Errors name the item (`items[i]`, or the file's path).
pub fn features_batch(items: &[AudioSource<'_>], options: &FeatureOptions, sample_rate: Option<u32>, augment: Option<&AugmentConfig>) -> Result<Vec<Features>> {
    if let Some(a) = augment {
        a.validate()?;
    }
    let extractor_at = |rate: u32| FeatureExtractor::shared(&options.resolve(rate)?);
    // Check the options once up front, so a bad option is reported as such rather than per item.
    if let Some(sr) =
        sample_rate.or_else(|| items.iter().find_map(|s| if let AudioSource::Samples { sample_rate, .. } = s { Some(*sample_rate) } else { None }))
    {
        extractor_at(sr)?;
    }
    let one = |i: usize| -> Result<Features> {
        let arg = format!("items[{i}]");
        let loaded;
        let (samples, rate): (&[f32], u32) = match items[i] {
            AudioSource::Samples { data, sample_rate } => (data, sample_rate),
            AudioSource::File(path) => {
                loaded = read_wav_file(path)?;
                if let Some(want) = sample_rate {
                    if loaded.sample_rate != want {
                        return Err(Error::Format {
                            path: path.display().to_string(),
                            message: format!("{arg} has a sample rate of {} Hz, expected sampleRate = {want} Hz", loaded.sample_rate),
                        });
                    }
                }
                (&loaded.samples, loaded.sample_rate)
            }
        };
        let extractor = extractor_at(rate).map_err(|e| match e {
            // Options valid at one rate may not be at another (fMax above a file's Nyquist): say which item.
            Error::InvalidArgument { arg: a, message } => Error::InvalidArgument { arg: a, message: format!("{message} (for {arg} at {rate} Hz)") },
            e => e,
        })?;
        let Some(aug) = augment else {
            return extractor.compute(samples, &arg);
        };
        let mut rng = aug.item_rng(i);
        crate::layers::check_finite(&arg, samples)?;
        let wave = aug.waveform(samples, &mut rng, &arg)?;
        let mut f = extractor.compute(&wave, &arg)?;
        if let Some(spec) = &aug.spec {
            super::augment::spec_augment(&mut f.data, f.frames, f.dims, spec, &mut rng)?;
        }
        Ok(f)
    };
    use rayon::prelude::*;
    parallel::install(|| (0..items.len()).into_par_iter().with_max_len(1).map(one).collect())
}

/// Default standard-deviation floor of per-utterance normalisation.
pub const DEFAULT_NORMALIZE_EPS: f32 = DEFAULT_EPS;

#[cfg(test)]
mod tests {
    use super::*;

    fn chirp(n: usize, sr: f64) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f64 / sr;
                (0.5 * (2.0 * std::f64::consts::PI * (200.0 * t + 1500.0 * t * t)).sin() + 0.01 * ((i * 7919 % 97) as f64 / 48.5 - 1.0)) as f32
            })
            .collect()
    }

    #[test]
    fn defaults_follow_the_sample_rate() {
        let c = FeatureOptions::default().resolve(8000).unwrap();
        assert_eq!((c.stft.n_fft, c.stft.win_length, c.stft.hop_length, c.mel.f_max), (256, 200, 80, 4000.0));
        let c = FeatureOptions::default().resolve(16000).unwrap();
        assert_eq!((c.stft.n_fft, c.stft.win_length, c.stft.hop_length), (512, 400, 160));
        let c = FeatureOptions { n_fft: Some(128), ..Default::default() }.resolve(8000).unwrap();
        assert_eq!((c.stft.n_fft, c.stft.win_length), (128, 128));
        let c = FeatureOptions { win_length: Some(300), ..Default::default() }.resolve(8000).unwrap();
        assert_eq!((c.stft.n_fft, c.stft.win_length), (512, 300));
    }

    #[test]
    fn stages_compose() {
        let x = chirp(4000, 8000.0);
        let base = FeatureOptions::default();
        let get = |kind| FeatureExtractor::from_options(&FeatureOptions { kind, ..base }, 8000).unwrap().compute(&x, "samples").unwrap();
        let (spec, mel, logmel, mfcc) = (get(FeatureKind::Spectrogram), get(FeatureKind::Mel), get(FeatureKind::LogMel), get(FeatureKind::Mfcc));
        assert_eq!((spec.frames, spec.dims, mel.dims, mfcc.dims), (51, 129, 40, 13));
        let fb = FeatureExtractor::from_options(&base, 8000).unwrap().filterbank().unwrap().to_dense();
        for t in [0, 25, 50] {
            for m in [0, 17, 39] {
                let want: f32 = (0..129).map(|k| fb[m * 129 + k] * spec.data[t * 129 + k]).sum();
                let got = mel.data[t * 40 + m];
                assert!((got - want).abs() <= 1e-5 * want.abs(), "mel [{t}, {m}]");
                assert!((logmel.data[t * 40 + m] - got.max(1e-10).ln()).abs() < 1e-6);
            }
        }
        // MFCC = DCT of the clamped dB mel spectrogram.
        let mut db: Vec<f32> = mel.data.iter().map(|&v| 10.0 * v.max(1e-10).log10()).collect();
        clamp_top_db(&mut db, 80.0);
        let dct = Dct::new(13, 40, 0.0);
        let mut row = [0.0; 13];
        dct.apply(&db[40 * 10..40 * 11], &mut row);
        for (k, v) in row.iter().enumerate() {
            assert!((v - mfcc.data[10 * 13 + k]).abs() < 1e-3, "mfcc {k}");
        }
    }

    #[test]
    fn batch_equals_items_one_by_one_and_names_bad_items() {
        let xs: Vec<Vec<f32>> = (0..5).map(|i| chirp(1000 + 300 * i, 8000.0)).collect();
        let items: Vec<AudioSource> = xs.iter().map(|x| AudioSource::Samples { data: x, sample_rate: 8000 }).collect();
        let opts = FeatureOptions { kind: FeatureKind::Mfcc, normalize: Some(1e-5), ..Default::default() };
        let batch = features_batch(&items, &opts, None, None).unwrap();
        let e = FeatureExtractor::from_options(&opts, 8000).unwrap();
        for (x, f) in xs.iter().zip(&batch) {
            assert_eq!(&e.compute(x, "x").unwrap(), f);
        }
        let bad = [0.0, f32::NAN];
        let mut items = items.clone();
        items[3] = AudioSource::Samples { data: &bad, sample_rate: 8000 };
        let err = features_batch(&items, &opts, None, None).unwrap_err().to_string();
        assert!(err.starts_with("items[3]: expected finite values"), "{err}");
        let err = features_batch(&items, &FeatureOptions { n_mels: 200, ..opts }, None, None).unwrap_err().to_string();
        assert!(err.starts_with("nMels"), "{err}");
    }

    #[test]
    fn validation_names_the_option() {
        let bad = |o: FeatureOptions| FeatureExtractor::from_options(&o, 8000).unwrap_err().to_string();
        assert!(bad(FeatureOptions { n_fft: Some(128), win_length: Some(200), ..Default::default() }).starts_with("winLength"));
        assert!(bad(FeatureOptions { hop_length: Some(0), ..Default::default() }).starts_with("hopLength"));
        assert!(bad(FeatureOptions { n_mels: 130, ..Default::default() }).starts_with("nMels"));
        assert!(bad(FeatureOptions { f_max: Some(4100.0), ..Default::default() }).starts_with("fMax"));
        assert!(bad(FeatureOptions { log_floor: 0.0, ..Default::default() }).starts_with("logFloor"));
        assert!(
            bad(FeatureOptions { kind: FeatureKind::Mfcc, mfcc: MfccConfig { n_mfcc: 41, ..Default::default() }, ..Default::default() }).starts_with("nMfcc")
        );
        assert!(FeatureOptions::default().resolve(0).unwrap_err().to_string().starts_with("sampleRate"));
    }
}
