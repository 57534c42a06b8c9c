/**
 * Error classes. Native errors carry a stable code (`err.code`), e.g. `ERR_SEQLEARN_SHAPE`;
 * every message names the argument and the expected vs actual value.
 */

/** Base class of every error seqlearn throws on purpose. */
export class SeqlearnError extends Error {
  /** Stable machine-readable code, e.g. `ERR_SEQLEARN_INVALID_ARG`. */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument has an invalid value (out of range, non-integer, NaN, unknown key, …). */
export class InvalidArgumentError extends SeqlearnError {}
/** A tensor argument has the wrong shape. */
export class ShapeError extends SeqlearnError {}
/** A file is truncated, corrupt or not in the expected format. */
export class FormatError extends SeqlearnError {}
/** An operating-system error while reading or writing a file. */
export class IoError extends SeqlearnError {}
/** A call that is invalid in the object's current state (e.g. `backward` before `forward`). */
export class StateError extends SeqlearnError {}
/** The object is busy with an async call. */
export class BusyError extends SeqlearnError {}
/** A bug inside seqlearn (a Rust panic caught at the boundary); please report it. */
export class InternalError extends SeqlearnError {}

const CLASSES: Record<string, new (message: string, code: string, options?: { cause?: unknown }) => SeqlearnError> = {
  ERR_SEQLEARN_INVALID_ARG: InvalidArgumentError,
  ERR_SEQLEARN_SHAPE: ShapeError,
  ERR_SEQLEARN_FORMAT: FormatError,
  ERR_SEQLEARN_IO: IoError,
  ERR_SEQLEARN_STATE: StateError,
  ERR_SEQLEARN_BUSY: BusyError,
  ERR_SEQLEARN_INTERNAL: InternalError,
};

/** Turns an error thrown by the native binding into the matching `SeqlearnError` subclass. */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const m = /^\[(ERR_SEQLEARN_[A-Z_]+)\] ([\s\S]*)$/.exec(err.message);
  if (!m) return err;
  const Cls = CLASSES[m[1]] ?? SeqlearnError;
  return new Cls(m[2], m[1], { cause: err });
}

/** Calls a native function, rethrowing its errors as `SeqlearnError`s. */
export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

/** Awaits a native promise, rethrowing its rejection as a `SeqlearnError`. */
export async function awaitNative<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw fromNative(e);
  }
}

/** Describes a value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'object') return `an object with keys [${Object.keys(v).slice(0, 5).join(', ')}]`;
  return `${typeof v} ${String(v)}`;
}
