/**
 * safetensors files, the format of `safetensors.torch.save_file(module.state_dict(), path)`.
 * Reads and writes run on a worker thread; writes are atomic (temporary file, fsync, rename).
 */
import native = require('../native');
import { awaitNative, callNative, describe, FormatError } from '../errors';
import { IntTensor, Tensor, tensorArg, type IntTensorLike, type TensorLike } from '../tensor';

/** Everything in a safetensors file: tensors by name (float → `Tensor`, integer → `IntTensor`) and metadata. */
export interface SafetensorsFile {
  /** Tensors in file order. */
  tensors: Record<string, Tensor | IntTensor>;
  /** The `__metadata__` string map. */
  metadata: Record<string, string>;
}

function fromContents(c: native.SafetensorsContents): SafetensorsFile {
  const tensors: Record<string, Tensor | IntTensor> = {};
  for (const t of c.tensors) {
    tensors[t.name] = t.data ? new Tensor(t.data, t.shape) : new IntTensor(t.ints ?? new Int32Array(0), t.shape);
  }
  return { tensors, metadata: { ...c.metadata } };
}

function floatsOnly(path: string, f: SafetensorsFile): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(f.tensors)) {
    if (!(v instanceof Tensor)) throw new FormatError(`${path}: tensor '${k}' is an integer tensor; use loadSafetensorsFile() to read integer tensors`, 'ERR_SEQLEARN_FORMAT');
    out[k] = v;
  }
  return out;
}

function toEntries(tensors: Record<string, TensorLike | IntTensorLike>): native.SafetensorsEntry[] {
  if (tensors === null || typeof tensors !== 'object') throw new TypeError(`tensors: expected an object of tensors, got ${describe(tensors)}`);
  return Object.entries(tensors).map(([name, t]) => {
    if (t && (t as IntTensorLike).data instanceof Int32Array) {
      return { name, shape: [...t.shape], ints: (t as IntTensorLike).data };
    }
    const a = tensorArg(`tensors['${name}']`, t);
    return { name, shape: a.shape, data: a.data };
  });
}

function checkMetadata(metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new TypeError(`metadata: expected an object of strings, got ${describe(metadata)}`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`metadata['${k}']: expected a string, got ${describe(v)}`);
  }
  return metadata as Record<string, string>;
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`path: expected a non-empty string, got ${describe(path)}`);
  return path;
}

/** Reads the float tensors of a safetensors file (e.g. a `state_dict`); integer tensors are an error here. */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  const p = checkPath(path);
  return floatsOnly(p, fromContents(await awaitNative(() => native.loadSafetensors(p))));
}

/** Reads every tensor and the metadata of a safetensors file. */
export async function loadSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const p = checkPath(path);
  return fromContents(await awaitNative(() => native.loadSafetensors(p)));
}

/** Synchronous `loadSafetensorsFile`. */
export function loadSafetensorsFileSync(path: string): SafetensorsFile {
  const p = checkPath(path);
  return fromContents(callNative(() => native.loadSafetensorsSync(p)));
}

/** Writes tensors (and optional string metadata) atomically; loads in PyTorch with `safetensors.torch.load_file`. */
export async function saveSafetensors(path: string, tensors: Record<string, TensorLike | IntTensorLike>, options: { metadata?: Record<string, string> } = {}): Promise<void> {
  const p = checkPath(path);
  const entries = toEntries(tensors);
  const metadata = checkMetadata(options.metadata);
  await awaitNative(() => native.saveSafetensors(p, entries, metadata));
}

/** Synchronous `saveSafetensors`. */
export function saveSafetensorsSync(path: string, tensors: Record<string, TensorLike | IntTensorLike>, options: { metadata?: Record<string, string> } = {}): void {
  const p = checkPath(path);
  const entries = toEntries(tensors);
  const metadata = checkMetadata(options.metadata);
  callNative(() => native.saveSafetensorsSync(p, entries, metadata));
}
