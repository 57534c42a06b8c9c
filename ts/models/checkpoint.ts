/**
 * A saved model is a directory: `config.json` (kind, config, epochs trained, file list),
 * `model.safetensors` (weights as `<layer>.<param>`), optional extra JSON files (a vocabulary),
 * and optionally `optimizer.json` + `optimizer.safetensors`. A save builds the whole directory
 * beside the target and swaps it in with renames, so a crash or a full disk never leaves a
 * half-written model where a good one was.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { FormatError, IoError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { loadSafetensors, saveSafetensors } from '../io/safetensors';
import type { Tensor } from '../tensor';
import type { Json } from './model';

/** Format tag written into `config.json`. */
export const MODEL_FORMAT = 'seqlearn-model';
/** Version of the directory layout. */
export const MODEL_FORMAT_VERSION = 1;

/** An optimizer's saved state: JSON-able fields plus named tensors. */
export interface SavedOptimizerState {
  /** Optimizer kind, e.g. `'adam'`. */
  kind: string;
  /** Named state tensors (moments, steps). */
  tensors: Record<string, Tensor>;
  /** Everything else (hyper-parameters, step counts). */
  [key: string]: unknown;
}

/** Everything a model directory holds, in memory. */
export interface SavedModel {
  /** Model class name, e.g. `'LanguageModel'`. */
  kind: string;
  /** Constructor configuration. */
  config: { [key: string]: Json };
  /** Epochs trained so far. */
  epochsTrained: number;
  /** Weights by `<layer>.<param>`. */
  weights: Record<string, Tensor>;
  /** Extra JSON files by name (without `.json`), e.g. `vocab`. */
  extra: Record<string, Json>;
  /** Optimizer state, if saved. */
  optimizer?: SavedOptimizerState;
}

function ioError(what: string, p: string, err: unknown): IoError {
  const m = err instanceof Error ? err.message : String(err);
  return new IoError(`${what} ${p}: ${m}`, 'ERR_SEQLEARN_IO', { cause: err });
}

/** Writes `value` as JSON (the whole directory is swapped in atomically; each file is also fsynced). */
async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes `saved` to `dir`, replacing any previous content atomically (directory swap). */
export async function writeModelDir(dir: string, saved: SavedModel): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const tag = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${tag}`);
  try {
    await fsp.mkdir(parent, { recursive: true });
    await fsp.mkdir(tmp);
  } catch (err) {
    throw ioError('cannot create the model directory', tmp, err);
  }
  try {
    const files = ['config.json', 'model.safetensors'];
    await saveSafetensors(path.join(tmp, 'model.safetensors'), saved.weights, { metadata: { format: MODEL_FORMAT, kind: saved.kind } });
    for (const [name, value] of Object.entries(saved.extra)) {
      await writeJson(path.join(tmp, `${name}.json`), value);
      files.push(`${name}.json`);
    }
    if (saved.optimizer) {
      const { tensors, ...rest } = saved.optimizer;
      await saveSafetensors(path.join(tmp, 'optimizer.safetensors'), tensors);
      await writeJson(path.join(tmp, 'optimizer.json'), rest);
      files.push('optimizer.json', 'optimizer.safetensors');
    }
    await writeJson(path.join(tmp, 'config.json'), {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      kind: saved.kind,
      config: saved.config,
      epochsTrained: saved.epochsTrained,
      files,
    });
    // Swap: old → backup, new → target, drop backup. Only renames touch the target.
    const backup = path.join(parent, `.${path.basename(target)}.old-${tag}`);
    let hadOld = false;
    try {
      await fsp.rename(target, backup);
      hadOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await fsp.rename(tmp, target);
    } catch (err) {
      if (hadOld) await fsp.rename(backup, target).catch(() => undefined);
      throw err;
    }
    if (hadOld) await fsp.rm(backup, { recursive: true, force: true });
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof IoError || err instanceof FormatError) throw err;
    throw ioError('cannot save the model to', target, err);
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw ioError('cannot read', file, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FormatError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, 'ERR_SEQLEARN_FORMAT', { cause: err });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads a model directory written by `writeModelDir`, checking every field. */
export async function readModelDir(dir: string): Promise<SavedModel> {
  const target = path.resolve(dir);
  const cfgPath = path.join(target, 'config.json');
  const cfg = await readJson(cfgPath);
  if (!isObject(cfg) || cfg.format !== MODEL_FORMAT) throw new FormatError(`${cfgPath}: not a seqlearn model config (field 'format' must be '${MODEL_FORMAT}')`, 'ERR_SEQLEARN_FORMAT');
  if (cfg.version !== MODEL_FORMAT_VERSION) throw new FormatError(`${cfgPath}: unsupported version ${String(cfg.version)} (this seqlearn reads version ${MODEL_FORMAT_VERSION})`, 'ERR_SEQLEARN_FORMAT');
  if (typeof cfg.kind !== 'string') throw new FormatError(`${cfgPath}: field 'kind' must be a string`, 'ERR_SEQLEARN_FORMAT');
  if (!isObject(cfg.config)) throw new FormatError(`${cfgPath}: field 'config' must be an object`, 'ERR_SEQLEARN_FORMAT');
  const epochsTrained = cfg.epochsTrained ?? 0;
  if (typeof epochsTrained !== 'number' || !Number.isInteger(epochsTrained) || epochsTrained < 0) throw new FormatError(`${cfgPath}: field 'epochsTrained' must be a non-negative integer`, 'ERR_SEQLEARN_FORMAT');
  const files = Array.isArray(cfg.files) ? cfg.files.filter((f): f is string => typeof f === 'string') : [];
  let weights: Record<string, Tensor>;
  try {
    weights = await loadSafetensors(path.join(target, 'model.safetensors'));
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    throw new FormatError(`${path.join(target, 'model.safetensors')}: ${m}`, 'ERR_SEQLEARN_FORMAT', { cause: err });
  }
  const extra: Record<string, Json> = {};
  for (const f of files) {
    if (!f.endsWith('.json') || f === 'config.json' || f === 'optimizer.json') continue;
    extra[f.slice(0, -5)] = (await readJson(path.join(target, f))) as Json;
  }
  const saved: SavedModel = { kind: cfg.kind, config: cfg.config as { [key: string]: Json }, epochsTrained, weights, extra };
  if (files.includes('optimizer.json')) {
    const o = await readJson(path.join(target, 'optimizer.json'));
    if (!isObject(o) || typeof o.kind !== 'string') throw new FormatError(`${path.join(target, 'optimizer.json')}: field 'kind' must be a string`, 'ERR_SEQLEARN_FORMAT');
    let tensors: Record<string, Tensor>;
    try {
      tensors = await loadSafetensors(path.join(target, 'optimizer.safetensors'));
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      throw new FormatError(`${path.join(target, 'optimizer.safetensors')}: ${m}`, 'ERR_SEQLEARN_FORMAT', { cause: err });
    }
    saved.optimizer = { ...o, kind: o.kind, tensors };
  }
  return saved;
}
