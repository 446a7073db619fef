import { Web4Error } from '@web4/core';

const RUNBOOK = 'docs/runbooks/evening_loop_troubleshooting.md';

/**
 * A failed training run. Each failure kind has its own class so that the nightly loop can
 * react to it (an OOM is retried with a smaller batch, bad input is not retried …).
 * `stderrTail` holds the trainer's last log lines.
 */
export class TrainerError extends Web4Error {
  readonly stderrTail: string;
  constructor(
    code: string,
    message: string,
    options: { hint?: string; exitCode: number; stderrTail?: string; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(code, message, options);
    this.stderrTail = options.stderrTail ?? '';
  }
}

/** The job or samples were refused (the trainer's `bad_input`). Not worth retrying as is. */
export class TrainerInputError extends TrainerError {
  constructor(message: string, o: { hint?: string; stderrTail?: string } = {}) {
    super('trainer_bad_input', message, { hint: o.hint ?? 'fix the job or samples file named in the message', exitCode: 2, ...o });
  }
}

/** Out of memory while training. */
export class TrainerOutOfMemoryError extends TrainerError {
  constructor(message: string, o: { hint?: string; stderrTail?: string } = {}) {
    super('trainer_oom', message, {
      hint: o.hint ?? `lower trainer.batchSize (raise trainer.gradAccumulation), trainer.maxLength or trainer.sampleCapChars; see ${RUNBOOK}`,
      exitCode: 1,
      ...o,
    });
  }
}

/** The output could not be written (disk full, read-only). */
export class TrainerOutputError extends TrainerError {
  constructor(message: string, o: { hint?: string; stderrTail?: string } = {}) {
    super('trainer_io', message, { hint: o.hint ?? 'free disk space in the outputs folder or make it writable', exitCode: 3, ...o });
  }
}

/** The run took longer than `trainer.timeoutS` and was stopped. */
export class TrainerTimeoutError extends TrainerError {
  /** `activity`: what was stopped (`training`, the default; `evaluation`, `export`). */
  constructor(timeoutS: number, o: { stderrTail?: string; activity?: string } = {}) {
    const { activity = 'training', ...rest } = o;
    super('trainer_timeout', `${activity} did not finish within ${timeoutS} s and was stopped`, {
      hint: 'raise trainer.timeoutS, train on a GPU, or lower trainer.sampleCapChars / the number of samples',
      exitCode: 1,
      ...rest,
    });
  }
}

/** Cancelled by the caller (AbortSignal) or interrupted by a signal. Nothing was written. */
export class TrainerCancelledError extends TrainerError {
  constructor(message = 'training was cancelled; nothing was written', o: { stderrTail?: string } = {}) {
    super('trainer_cancelled', message, { hint: 'run the nightly loop again (`web4 evening resume`)', exitCode: 130, ...o });
  }
}

/** The trainer cannot start: no Python, or the package or its dependencies are missing. */
export class TrainerSetupError extends TrainerError {
  constructor(message: string, o: { hint?: string; stderrTail?: string } = {}) {
    super('trainer_setup', message, { hint: o.hint ?? 'run `node tools/setup` (creates python/.venv) or set trainer.python', exitCode: 4, ...o });
  }
}

/** The trainer crashed or broke its protocol (no `done`, no `error` event). */
export class TrainerCrashError extends TrainerError {
  constructor(message: string, o: { hint?: string; stderrTail?: string; details?: Record<string, unknown> } = {}) {
    super('trainer_crash', message, { hint: o.hint ?? 'see the trainer log lines (stderr) in the evening loop log', exitCode: 1, ...o });
  }
}
