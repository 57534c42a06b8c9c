/**
 * `loadModel(dir)`: reads a directory written by `model.save(dir)` and rebuilds the model of
 * the kind it names, with its weights, vocabulary, epochs trained and (if saved) optimizer
 * state, so `fit` resumes exactly where it stopped. Errors name the file and field at fault.
 */
import { FormatError } from '../errors';
import { Vocabulary } from '../data/vocabulary';
import { SequenceClassifier, type SequenceClassifierOptions } from './classifier';
import { readModelDir, type SavedModel } from './checkpoint';
import { CtcModel, type CtcModelOptions } from './ctc-model';
import { Forecaster, type ForecasterOptions } from './forecaster';
import { registerModelLoader } from './model';
import { LanguageModel, type LanguageModelOptions } from './language-model';
import { SequenceTagger, type SequenceTaggerOptions } from './tagger';

/** Any ready model. */
export type AnyModel = LanguageModel | SequenceClassifier | SequenceTagger | Forecaster | CtcModel;

function build(saved: SavedModel, dir: string): AnyModel {
  const cfg = saved.config as Record<string, unknown>;
  const bad = (err: unknown): never => {
    const m = err instanceof Error ? err.message : String(err);
    throw new FormatError(`${dir}/config.json: the ${saved.kind} config is invalid: ${m}`, 'ERR_SEQLEARN_FORMAT', { cause: err });
  };
  try {
    switch (saved.kind) {
      case 'LanguageModel': {
        if (saved.extra.vocab === undefined) throw new FormatError(`${dir}/vocab.json: missing (a LanguageModel needs its vocabulary)`, 'ERR_SEQLEARN_FORMAT');
        const vocabulary = Vocabulary.fromJSON(saved.extra.vocab as Parameters<typeof Vocabulary.fromJSON>[0]);
        return new LanguageModel({ ...(cfg as Omit<LanguageModelOptions, 'vocabulary'>), vocabulary });
      }
      case 'SequenceClassifier':
        return new SequenceClassifier(cfg as unknown as SequenceClassifierOptions);
      case 'SequenceTagger':
        return new SequenceTagger(cfg as unknown as SequenceTaggerOptions);
      case 'Forecaster': {
        const scale = cfg.scale as { mean: number; std: number } | null;
        return new Forecaster({ ...(cfg as unknown as ForecasterOptions), scale: scale ?? undefined });
      }
      case 'CtcModel': {
        const specAugment = cfg.specAugment as CtcModelOptions['specAugment'] | null;
        return new CtcModel({ ...(cfg as unknown as CtcModelOptions), specAugment: specAugment ?? undefined });
      }
      default:
        throw new FormatError(`${dir}/config.json: unknown model kind '${saved.kind}' (known: LanguageModel, SequenceClassifier, SequenceTagger, Forecaster, CtcModel)`, 'ERR_SEQLEARN_FORMAT');
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    return bad(err);
  }
}

/** Loads a model saved with `model.save(dir)`. */
export async function loadModel(dir: string): Promise<AnyModel> {
  const saved = await readModelDir(dir);
  const model = build(saved, dir);
  model.applySaved(saved, dir);
  return model;
}

/** Loads a model and checks it is of class `cls` (e.g. `loadModelOf(LanguageModel, dir)`). */
export async function loadModelOf<M extends AnyModel>(cls: abstract new (...args: never[]) => M, dir: string): Promise<M> {
  const m = await loadModel(dir);
  if (!(m instanceof cls)) throw new FormatError(`${dir}: holds a ${m.kind}, not a ${cls.name}`, 'ERR_SEQLEARN_FORMAT');
  return m;
}

registerModelLoader(loadModel);
