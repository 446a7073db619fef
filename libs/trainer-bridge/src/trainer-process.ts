import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { silentLogger, type Logger } from '@web4/core';
import {
  TrainerCancelledError,
  TrainerCrashError,
  TrainerError,
  TrainerInputError,
  TrainerOutOfMemoryError,
  TrainerOutputError,
  TrainerSetupError,
  TrainerTimeoutError,
} from './trainer-errors.js';
import { parseTrainerEvent, type DoneEvent, type ErrorEvent, type StartEvent, type TrainerEvent } from './trainer-events.js';
import type { TrainingProgress } from './training-progress.js';

export interface TrainerInvocation {
  /** The Python interpreter (absolute path, or a command on PATH). */
  python: string;
  /** Folder that holds the `web4_trainer` package; put on PYTHONPATH. */
  packageDir: string;
  jobFile: string;
  timeoutMs: number;
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: TrainerEvent) => void;
  progress?: TrainingProgress;
  /** Off by default: HF_HUB_OFFLINE=1, nothing is downloaded at run time. */
  allowHubDownload?: boolean;
  /** How long a stopped trainer gets to clean up after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  env?: Record<string, string>;
}

export interface TrainerResult {
  start: StartEvent | undefined;
  done: DoneEvent;
  /** Every event in order (start, progress…, done). */
  events: TrainerEvent[];
}

const STDERR_TAIL_LINES = 40;

/**
 * Run `python -m web4_trainer train --job FILE` with an argument array (no shell, so paths
 * with spaces or `$(…)` are just paths), stream its events to the logger, progress and
 * `onEvent`, and resolve with the `done` event — or reject with the TrainerError subclass
 * that matches the failure.
 */
export function runTrainer(inv: TrainerInvocation): Promise<TrainerResult> {
  const logger = inv.logger ?? silentLogger();
  if (inv.python.includes('/') && !existsSync(inv.python)) {
    return Promise.reject(new TrainerSetupError(`trainer python ${inv.python} does not exist`));
  }
  if (inv.signal?.aborted) return Promise.reject(new TrainerCancelledError('training was cancelled before it started'));

  return new Promise<TrainerResult>((resolve, reject) => {
    const pythonPath = [inv.packageDir, process.env.PYTHONPATH].filter(Boolean).join(':');
    const child = spawn(inv.python, ['-m', 'web4_trainer', 'train', '--job', inv.jobFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PYTHONPATH: pythonPath,
        PYTHONUNBUFFERED: '1',
        ...(inv.allowHubDownload ? {} : { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' }),
        ...inv.env,
      },
    });
    const events: TrainerEvent[] = [];
    const tail: string[] = [];
    let start: StartEvent | undefined;
    let done: DoneEvent | undefined;
    let failure: ErrorEvent | undefined;
    let stopReason: 'timeout' | 'cancel' | undefined;
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (reason: 'timeout' | 'cancel') => {
      if (stopReason || child.exitCode !== null) return;
      stopReason = reason;
      logger.warn({ reason, pid: child.pid }, 'stopping the trainer');
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), inv.killGraceMs ?? 15_000);
      killTimer.unref();
    };
    const timer = setTimeout(() => stop('timeout'), inv.timeoutMs);
    // A trainer must not outlive its caller (a killed test runner, a crashed nightly loop).
    const onParentExit = () => child.kill('SIGKILL');
    process.once('exit', onParentExit);
    const onAbort = () => stop('cancel');
    inv.signal?.addEventListener('abort', onAbort, { once: true });

    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseTrainerEvent(line);
      if (!event) {
        logger.warn({ line: line.slice(0, 500) }, 'trainer printed a line that is not a protocol event');
        return;
      }
      events.push(event);
      switch (event.event) {
        case 'start':
          start = event;
          logger.info({ samples: event.samples, steps: event.steps, device: event.device, dtype: event.dtype }, 'training started');
          inv.progress?.start(event);
          break;
        case 'progress':
          logger.debug({ step: event.step, total: event.total, loss: event.loss, tokensPerS: event.tokens_per_s, etaS: event.eta_s }, 'training progress');
          inv.progress?.update(event);
          break;
        case 'done':
          done = event;
          logger.info({ loss: event.loss, steps: event.steps, runtimeS: event.runtime_s, outputDir: event.output_dir }, 'training done');
          break;
        case 'error':
          failure = event;
          logger.error({ kind: event.kind, message: event.message }, 'training failed');
          break;
      }
      inv.onEvent?.(event);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
      logger.debug({ trainer: line }, 'trainer log');
    });

    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      inv.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', onParentExit);
      inv.progress?.stop();
      const stderrTail = tail.join('\n');
      if (spawnError) {
        reject(new TrainerSetupError(`cannot start the trainer with ${inv.python}: ${spawnError.message}`, { stderrTail }));
      } else if (stopReason === 'timeout') {
        reject(new TrainerTimeoutError(Math.round(inv.timeoutMs / 1000), { stderrTail }));
      } else if (stopReason === 'cancel') {
        reject(new TrainerCancelledError(undefined, { stderrTail }));
      } else if (done && code === 0) {
        resolve({ start, done, events });
      } else if (failure) {
        reject(errorFromEvent(failure, stderrTail));
      } else if (/No module named '?(web4_trainer|torch|transformers|peft|gguf)/.test(stderrTail)) {
        reject(new TrainerSetupError(`the trainer's Python (${inv.python}) lacks a package: ${/No module named [^\n]+/.exec(stderrTail)![0]}`, { stderrTail }));
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new TrainerCrashError(`the trainer ${how} without reporting a result`, { stderrTail, details: { code, signal } }));
      }
    });
  });
}

export function errorFromEvent(event: ErrorEvent, stderrTail = ''): TrainerError {
  const o = { stderrTail, ...(event.hint ? { hint: event.hint } : {}) };
  switch (event.kind) {
    case 'bad_input':
      return new TrainerInputError(event.message, o);
    case 'oom':
      return new TrainerOutOfMemoryError(event.message, o);
    case 'io':
      return new TrainerOutputError(event.message, o);
    case 'interrupted':
      return new TrainerCancelledError(event.message, { stderrTail });
    default:
      return new TrainerCrashError(event.message, o);
  }
}
