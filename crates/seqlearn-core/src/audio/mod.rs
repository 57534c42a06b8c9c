//! Audio for speech models: a WAV reader and writer ([`wav`]), the short-time Fourier transform
//! ([`stft`]), mel filterbanks ([`mel`]), MFCCs ([`mfcc`]), per-utterance normalisation
//! ([`normalize`]), seeded augmentation ([`augment`]) and the pipeline that chains them, batched
//! over the rayon pool ([`features`]). Conventions are librosa's (0.11) and are pinned by
//! committed fixtures: `librosa.stft` / `feature.melspectrogram` / `feature.mfcc`.

pub mod augment;
pub mod features;
pub mod mel;
pub mod mfcc;
pub mod normalize;
pub mod stft;
pub mod wav;

pub use augment::{AugmentConfig, Interpolation, SpecAugmentConfig};
pub use features::{features_batch, AudioSource, FeatureConfig, FeatureExtractor, FeatureKind, FeatureOptions, Features};
pub use mel::{MelConfig, MelFilterbank, MelNorm, MelScale};
pub use mfcc::MfccConfig;
pub use stft::{PadMode, Stft, StftConfig};
pub use wav::{read_wav_bytes, read_wav_file, read_wav_files, write_wav_file, SampleFormat, WavAudio};
