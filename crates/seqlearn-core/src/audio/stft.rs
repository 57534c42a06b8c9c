//! Short-time Fourier transform with the conventions of `librosa.stft` / `torch.stft`: a
//! periodic Hann window of `win_length` samples centred (zero-padded) in an `n_fft` frame, frames
//! `hop_length` apart, and with `center` the signal padded by `n_fft / 2` on each side (numpy's
//! `reflect` mode, or zeros). Frame `t` covers padded samples `t · hop .. t · hop + n_fft`; the
//! number of frames is `1 + (padded_len − n_fft) / hop`. The FFT is `realfft` (any size; SIMD
//! radix kernels chosen at run time). Long signals are split over the rayon pool by frames.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::error::{Error, Result};
use crate::parallel;

/// How `center` pads the signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadMode {
    /// numpy's `reflect` (the edge sample is not repeated): `torch.stft`'s default.
    Reflect,
    /// Zeros: `librosa.stft`'s default since librosa 0.10.
    Constant,
}

/// Settings of an [`Stft`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StftConfig {
    /// FFT size; the spectrum has `n_fft / 2 + 1` bins.
    pub n_fft: usize,
    /// Hann window length, `1..=n_fft` (centred in the frame).
    pub win_length: usize,
    /// Samples between frame starts, at least 1.
    pub hop_length: usize,
    /// Pad `n_fft / 2` samples on each side so frame `t` is centred on sample `t · hop`.
    pub center: bool,
    /// How `center` pads.
    pub pad_mode: PadMode,
    /// Exponent of the magnitude: 2 (power, the default) or 1 (magnitude); any positive value works.
    pub power: f32,
}

/// Largest accepted FFT size (2²⁰).
pub const MAX_N_FFT: usize = 1 << 20;

impl StftConfig {
    /// Checks every field; errors name the option as the JavaScript API spells it.
    pub fn validate(&self) -> Result<()> {
        if self.n_fft < 2 || self.n_fft > MAX_N_FFT {
            return Err(Error::invalid("nFft", format!("expected an integer in 2..={MAX_N_FFT}, got {}", self.n_fft)));
        }
        if self.win_length == 0 {
            return Err(Error::invalid("winLength", "expected a positive integer, got 0"));
        }
        if self.win_length > self.n_fft {
            return Err(Error::invalid("winLength", format!("expected at most nFft = {}, got {} (nFft must be ≥ winLength)", self.n_fft, self.win_length)));
        }
        if self.hop_length == 0 {
            return Err(Error::invalid("hopLength", "expected a positive integer, got 0"));
        }
        if !(self.power.is_finite() && self.power > 0.0) {
            return Err(Error::invalid("power", format!("expected a positive finite number (1 = magnitude, 2 = power), got {}", self.power)));
        }
        Ok(())
    }

    /// Number of spectrum bins, `n_fft / 2 + 1`.
    pub fn bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `len` samples; `arg` names the signal in errors (empty, or
    /// shorter than one frame without `center`).
    pub fn num_frames(&self, len: usize, arg: &str) -> Result<usize> {
        if len == 0 {
            return Err(Error::invalid(arg, "expected at least 1 sample, got an empty signal"));
        }
        let padded = if self.center { len + 2 * (self.n_fft / 2) } else { len };
        if padded < self.n_fft {
            return Err(Error::invalid(arg, format!("{len} samples are shorter than one frame (nFft = {}) with center = false", self.n_fft)));
        }
        Ok(1 + (padded - self.n_fft) / self.hop_length)
    }
}

/// The periodic Hann window of length `n` (`torch.hann_window(n)`, `scipy.signal.get_window('hann', n)`).
pub fn hann_window(n: usize) -> Vec<f32> {
    (0..n).map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32).collect()
}

/// numpy `reflect` index of virtual position `i` in a signal of `n` samples (periodic reflection,
/// so pads longer than the signal work as `np.pad` does).
fn reflect_index(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    (if m >= n as isize { period - m } else { m }) as usize
}

/// A planned STFT: the window (padded to `n_fft`) and the FFT plan, shared by every thread.
#[derive(Clone)]
pub struct Stft {
    config: StftConfig,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Frames per parallel work item (a few hundred microseconds of work at typical sizes).
const FRAMES_PER_TASK: usize = 64;

/// Per-thread buffers of one run over frames.
pub struct FrameScratch {
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `|X|^power` of the current frame, `n_fft / 2 + 1` values.
    pub power: Vec<f32>,
}

impl Stft {
    /// Validates `config` and plans the FFT.
    pub fn new(config: StftConfig) -> Result<Self> {
        config.validate()?;
        let mut window = vec![0.0f32; config.n_fft];
        let left = (config.n_fft - config.win_length) / 2;
        window[left..left + config.win_length].copy_from_slice(&hann_window(config.win_length));
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(config.n_fft);
        Ok(Stft { config, window, fft })
    }

    /// The settings.
    pub fn config(&self) -> &StftConfig {
        &self.config
    }

    /// The analysis window, `n_fft` values (the Hann window centred, zeros around it).
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    /// Fresh per-thread buffers.
    pub fn scratch(&self) -> FrameScratch {
        FrameScratch {
            input: self.fft.make_input_vec(),
            spectrum: self.fft.make_output_vec(),
            scratch: self.fft.make_scratch_vec(),
            power: vec![0.0; self.config.bins()],
        }
    }

    /// The signal as the frames see it: padded when `center`, borrowed otherwise.
    fn padded<'a>(&self, samples: &'a [f32]) -> std::borrow::Cow<'a, [f32]> {
        if !self.config.center {
            return std::borrow::Cow::Borrowed(samples);
        }
        let pad = self.config.n_fft / 2;
        let n = samples.len();
        let mut out = vec![0.0f32; n + 2 * pad];
        out[pad..pad + n].copy_from_slice(samples);
        if self.config.pad_mode == PadMode::Reflect {
            for k in 0..pad {
                out[k] = samples[reflect_index(k as isize - pad as isize, n)];
                out[pad + n + k] = samples[reflect_index((n + k) as isize, n)];
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// Computes `|FFT(window · frame)|^power` of the frame starting at `start` of `padded` into
    /// `s.power`.
    fn frame_power(&self, padded: &[f32], start: usize, s: &mut FrameScratch) {
        let frame = &padded[start..start + self.config.n_fft];
        for ((d, &x), &w) in s.input.iter_mut().zip(frame).zip(&self.window) {
            *d = x * w;
        }
        self.fft.process_with_scratch(&mut s.input, &mut s.spectrum, &mut s.scratch).expect("the FFT buffers are made by the plan itself");
        let p = self.config.power;
        let out = s.power.iter_mut().zip(&s.spectrum);
        if p == 2.0 {
            out.for_each(|(o, c)| *o = c.re * c.re + c.im * c.im);
        } else if p == 1.0 {
            out.for_each(|(o, c)| *o = (c.re * c.re + c.im * c.im).sqrt());
        } else {
            let half = p * 0.5;
            out.for_each(|(o, c)| *o = (c.re * c.re + c.im * c.im).powf(half));
        }
    }

    /// Runs over every frame of `samples`: `per_frame(t, power, row)` gets frame `t`'s
    /// `|X|^power` and writes row `t` (`row_len` values) of `out`. Frames run in parallel over
    /// the rayon pool when there are many; `arg` names the signal in errors. Returns the number
    /// of frames (`out` is resized to `frames · row_len`).
    pub fn map_frames<F>(&self, samples: &[f32], arg: &str, row_len: usize, out: &mut Vec<f32>, per_frame: F) -> Result<usize>
    where
        F: Fn(usize, &[f32], &mut [f32]) + Sync,
    {
        let frames = self.config.num_frames(samples.len(), arg)?;
        let padded = self.padded(samples);
        out.clear();
        out.resize(frames * row_len, 0.0);
        let hop = self.config.hop_length;
        let run = |first: usize, rows: &mut [f32]| {
            let mut s = self.scratch();
            for (k, row) in rows.chunks_exact_mut(row_len.max(1)).enumerate() {
                let t = first + k;
                self.frame_power(&padded, t * hop, &mut s);
                per_frame(t, &s.power, row);
            }
        };
        if frames < 2 * FRAMES_PER_TASK || row_len == 0 {
            run(0, out);
        } else {
            use rayon::prelude::*;
            parallel::install(|| out.par_chunks_mut(FRAMES_PER_TASK * row_len).enumerate().for_each(|(c, rows)| run(c * FRAMES_PER_TASK, rows)));
        }
        Ok(frames)
    }

    /// The spectrogram `|STFT|^power` of `samples`, `[frames, n_fft / 2 + 1]` row-major.
    pub fn spectrogram(&self, samples: &[f32], arg: &str) -> Result<(Vec<f32>, usize)> {
        crate::layers::check_finite(arg, samples)?;
        let bins = self.config.bins();
        let mut out = Vec::new();
        let frames = self.map_frames(samples, arg, bins, &mut out, |_, p, row| row.copy_from_slice(p))?;
        Ok((out, frames))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(n_fft: usize, win: usize, hop: usize, center: bool) -> StftConfig {
        StftConfig { n_fft, win_length: win, hop_length: hop, center, pad_mode: PadMode::Reflect, power: 2.0 }
    }

    /// Direct O(n²) DFT power of one windowed frame, in f64.
    fn dft_power(frame: &[f64]) -> Vec<f64> {
        let n = frame.len();
        (0..=n / 2)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (j, &x) in frame.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                    re += x * a.cos();
                    im += x * a.sin();
                }
                re * re + im * im
            })
            .collect()
    }

    fn signal(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i as f32 * 0.3).sin() + 0.5 * (i as f32 * 0.071).cos()) * 0.5).collect()
    }

    #[test]
    fn hann_is_periodic() {
        let w = hann_window(4);
        assert_eq!(w, vec![0.0, 0.5, 1.0, 0.5]);
    }

    #[test]
    fn reflect_matches_numpy() {
        // np.pad([1, 2, 3, 4], 5, mode='reflect') = [2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3]
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let got: Vec<f32> = (-5isize..9).map(|i| x[reflect_index(i, 4)]).collect();
        assert_eq!(got, vec![2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0]);
        assert_eq!(reflect_index(-3, 1), 0);
    }

    #[test]
    fn frame_counts_follow_librosa() {
        assert_eq!(config(256, 200, 80, true).num_frames(2000, "x").unwrap(), 26);
        assert_eq!(config(256, 200, 80, false).num_frames(2000, "x").unwrap(), 22);
        assert_eq!(config(255, 200, 80, true).num_frames(1, "x").unwrap(), 1);
        let e = config(256, 200, 80, false).num_frames(255, "samples").unwrap_err().to_string();
        assert!(e.contains("samples: 255 samples are shorter than one frame (nFft = 256) with center = false"), "{e}");
        assert!(config(256, 200, 80, true).num_frames(0, "samples").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn validation_names_the_option() {
        let bad = |c: StftConfig| Stft::new(c).unwrap_err().to_string();
        assert!(bad(config(256, 300, 80, true)).starts_with("winLength: expected at most nFft = 256"));
        assert!(bad(config(256, 200, 0, true)).starts_with("hopLength"));
        assert!(bad(config(1, 1, 1, true)).starts_with("nFft"));
        assert!(bad(config(256, 0, 1, true)).starts_with("winLength"));
        assert!(bad(StftConfig { power: 0.0, ..config(256, 200, 80, true) }).starts_with("power"));
    }

    #[test]
    fn matches_a_direct_dft_for_even_and_odd_sizes() {
        for (n_fft, win, hop, center, pad) in [(64, 48, 16, true, PadMode::Reflect), (45, 45, 7, false, PadMode::Reflect), (32, 20, 5, true, PadMode::Constant)]
        {
            let x = signal(300);
            let c = StftConfig { pad_mode: pad, ..config(n_fft, win, hop, center) };
            let stft = Stft::new(c).unwrap();
            let (spec, frames) = stft.spectrogram(&x, "x").unwrap();
            assert_eq!(frames, c.num_frames(300, "x").unwrap());
            let half = n_fft as isize / 2;
            for t in [0, frames / 2, frames - 1] {
                let frame: Vec<f64> = (0..n_fft)
                    .map(|j| {
                        let i = (t * hop + j) as isize - if center { half } else { 0 };
                        let v = if (0..300).contains(&i) {
                            x[i as usize]
                        } else if pad == PadMode::Reflect {
                            x[reflect_index(i, 300)]
                        } else {
                            0.0
                        };
                        f64::from(v) * f64::from(stft.window()[j])
                    })
                    .collect();
                let want = dft_power(&frame);
                let scale = want.iter().cloned().fold(0.0, f64::max);
                for (k, w) in want.iter().enumerate() {
                    let got = f64::from(spec[t * c.bins() + k]);
                    assert!((got - w).abs() <= 1e-5 * scale, "n_fft {n_fft} frame {t} bin {k}: {got} vs {w}");
                }
            }
        }
    }

    #[test]
    fn parallel_frames_equal_serial_frames() {
        let x = signal(40_000);
        let stft = Stft::new(config(256, 200, 80, true)).unwrap();
        let (all, frames) = stft.spectrogram(&x, "x").unwrap();
        assert!(frames >= 2 * FRAMES_PER_TASK);
        // Each frame alone (a short signal around it, no centre padding) gives the same values.
        let t = 300;
        let short = Stft::new(config(256, 200, 80, false)).unwrap();
        let start = t * 80 - 128;
        let (one, _) = short.spectrogram(&x[start..start + 256], "x").unwrap();
        assert_eq!(&all[t * 129..(t + 1) * 129], &one[..]);
    }

    #[test]
    fn magnitude_is_the_root_of_power() {
        let x = signal(500);
        let p = Stft::new(config(64, 64, 16, true)).unwrap().spectrogram(&x, "x").unwrap().0;
        let m = Stft::new(StftConfig { power: 1.0, ..config(64, 64, 16, true) }).unwrap().spectrogram(&x, "x").unwrap().0;
        for (a, b) in p.iter().zip(&m) {
            assert!((a.sqrt() - b).abs() <= 1e-6 * (1.0 + b));
        }
    }
}
