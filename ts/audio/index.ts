/**
 * Audio for speech models: WAV reading and writing, spectrogram / mel / log-mel / MFCC features
 * (librosa's conventions), per-utterance normalisation, a batch API parallel over utterances off
 * the JS thread, and seeded augmentation.
 */
export { readWav, readWavFiles, writeWav, type WavAudio, type ReadWavOptions } from './wav';
export {
  audioFeatures,
  audioFeaturesAsync,
  spectrogram,
  melSpectrogram,
  logMelSpectrogram,
  mfcc,
  melFilterbank,
  normalizeFeatures,
  type FeatureKind,
  type SpectrogramOptions,
  type MelOptions,
  type LogMelOptions,
  type MfccOptions,
  type AudioFeatureOptions,
  type AudioFeaturesBatchOptions,
  type AudioItem,
  type NormalizeOptions,
} from './features';
export { speedPerturb, addNoise, applyGain, specAugment, type Interpolation, type SpecAugmentOptions, type AugmentOptions } from './augment';
