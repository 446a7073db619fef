/**
 * Typed errors that carry what a person needs to act: what went wrong, where, and what to run
 * or change. `exitCode` is what a command exits with when this error ends it.
 */
export class Web4Error extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; exitCode?: number; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
  }

  /** One or two lines for a terminal: the message, then what to do. */
  toUserString(): string {
    return this.hint ? `${this.message}\n  → ${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, hint: this.hint, ...(this.details ?? {}) };
  }
}

/** Bad input from a user or a file: fix the input and run again. Exit code 2. */
export class InputError extends Web4Error {
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('bad_input', message, { ...options, exitCode: 2 });
  }
}

/** Configuration that does not validate. Exit code 2. */
export class ConfigError extends Web4Error {
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('bad_config', message, { ...options, exitCode: 2 });
  }
}

/** A file or database we own is unusable (corrupt, unreadable, not writable). Exit code 3. */
export class StorageError extends Web4Error {
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('storage', message, { ...options, exitCode: 3 });
  }
}

/** A service (Chroma, Ollama, SMTP …) is missing or failed. Exit code 4. */
export class ServiceError extends Web4Error {
  constructor(message: string, options: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('service', message, { ...options, exitCode: 4 });
  }
}

/** Exit codes shared by every command; `web4 --help` prints this table. */
export const EXIT_CODES = {
  ok: 0,
  /** A check ran and failed (a target missed, validation failed, doctor found a problem). */
  checkFailed: 1,
  badInput: 2,
  storage: 3,
  service: 4,
  /** A check ran but had nothing (or not enough) to judge: no target missed, some could not be checked (no data yet). */
  nothingToJudge: 5,
  /** Another run holds the nightly loop's lock (EX_TEMPFAIL): nothing was done, try again later. */
  locked: 75,
  interrupted: 130,
} as const;

export function isWeb4Error(error: unknown): error is Web4Error {
  return error instanceof Web4Error;
}
