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

/** What every trainer command (`train`, `evaluate`, `export`) is run with. */
export interface TrainerCommandOptions {
  /** The Python interpreter (absolute path, or a command on PATH). */
  python: string;
  /** Folder that holds the `web4_trainer` package; put on PYTHONPATH. */
  packageDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Off by default: HF_HUB_OFFLINE=1, nothing is downloaded at run time. */
  allowHubDownload?: boolean;
  /** How long a stopped trainer gets to clean up after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  env?: Record<string, string>;
  /**
   * Called with the child's pid as soon as it runs. The nightly loop records it, so that a
   * resumed night can make sure no trainer of the crashed one is still running.
   */
  onSpawn?: (pid: number) => void;
}

export interface TrainerInvocation extends TrainerCommandOptions {
  jobFile: string;
  onEvent?: (event: TrainerEvent) => void;
  progress?: TrainingProgress;
}

export interface TrainerResult {
  start: StartEvent | undefined;
  done: DoneEvent;
  /** Every event in order (start, progress…, done). */
  events: TrainerEvent[];
}

/** One `python -m web4_trainer <command>` run: its arguments and its event protocol. */
export interface TrainerCommand<E extends { event: string }> {
  /** After `-m web4_trainer`, e.g. `['train', '--job', file]`. */
  args: readonly string[];
  /** `training`, `evaluation`, `export`: the word in log lines and error messages. */
  activity: string;
  /** What a stop (timeout, cancel) leaves behind, for the error message. */
  consequence?: string;
  /** One stdout line → one of this command's events, or `undefined`. */
  parse: (line: string) => E | undefined;
  /** Called for each event before `onEvent` (the command's own logging and progress). */
  observe?: (event: E) => void;
  onEvent?: (event: E) => void;
  /** Called once the process has ended, whatever the outcome. */
  onClose?: () => void;
}

export interface TrainerCommandResult<E extends { event: string }> {
  done: Extract<E, { event: 'done' }>;
  events: E[];
}

const STDERR_TAIL_LINES = 40;

/**
 * Run `python -m web4_trainer …` with an argument array (no shell, so paths with spaces or
 * `$(…)` are just paths) and HF_HUB_OFFLINE=1, parse its JSON-lines events, enforce the
 * timeout (SIGTERM, then SIGKILL after a grace period), cancel on `AbortSignal`, kill the
 * child if this Node process exits, and resolve with the `done` event — or reject with the
 * TrainerError subclass that matches the failure. `runTrainer`, `runEvaluate` and
 * `exportModel` are this with their command's arguments and events.
 */
export function runTrainerCommand<E extends { event: string }>(inv: TrainerCommandOptions, cmd: TrainerCommand<E>): Promise<TrainerCommandResult<E>> {
  const logger = inv.logger ?? silentLogger();
  const consequence = cmd.consequence ?? 'nothing was written';
  if (inv.python.includes('/') && !existsSync(inv.python)) {
    return Promise.reject(new TrainerSetupError(`trainer python ${inv.python} does not exist`));
  }
  if (inv.signal?.aborted) return Promise.reject(new TrainerCancelledError(`${cmd.activity} was cancelled before it started`));

  return new Promise<TrainerCommandResult<E>>((resolve, reject) => {
    const pythonPath = [inv.packageDir, process.env.PYTHONPATH].filter(Boolean).join(':');
    const child = spawn(inv.python, ['-m', 'web4_trainer', ...cmd.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PYTHONPATH: pythonPath,
        PYTHONUNBUFFERED: '1',
        ...(inv.allowHubDownload ? {} : { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' }),
        ...inv.env,
      },
    });
    const events: E[] = [];
    const tail: string[] = [];
    let done: Extract<E, { event: 'done' }> | undefined;
    let failure: ErrorEvent | undefined;
    let stopReason: 'timeout' | 'cancel' | undefined;
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (reason: 'timeout' | 'cancel') => {
      if (stopReason || child.exitCode !== null) return;
      stopReason = reason;
      logger.warn({ reason, pid: child.pid, activity: cmd.activity }, 'stopping the trainer');
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), inv.killGraceMs ?? 15_000);
      killTimer.unref();
    };
    const timer = setTimeout(() => stop('timeout'), inv.timeoutMs);
    // A trainer must not outlive its caller (a killed test runner, a crashed nightly loop). This
    // covers a Node process that exits; one killed with SIGKILL is covered on the Python side
    // (PR_SET_PDEATHSIG and a parent-pid watch, python/web4_trainer/lifecycle.py).
    const onParentExit = () => child.kill('SIGKILL');
    process.once('exit', onParentExit);
    const onAbort = () => stop('cancel');
    inv.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('spawn', () => {
      if (child.pid !== undefined) inv.onSpawn?.(child.pid);
    });

    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = cmd.parse(line);
      if (!event) {
        logger.warn({ line: line.slice(0, 500) }, 'trainer printed a line that is not a protocol event');
        return;
      }
      events.push(event);
      if (event.event === 'done') done = event as Extract<E, { event: 'done' }>;
      if (event.event === 'error') {
        failure = event as unknown as ErrorEvent;
        logger.error({ kind: failure.kind, message: failure.message, activity: cmd.activity }, `${cmd.activity} failed`);
      }
      cmd.observe?.(event);
      cmd.onEvent?.(event);
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
      cmd.onClose?.();
      const stderrTail = tail.join('\n');
      if (spawnError) {
        reject(new TrainerSetupError(`cannot start the trainer with ${inv.python}: ${spawnError.message}`, { stderrTail }));
      } else if (stopReason === 'timeout') {
        reject(new TrainerTimeoutError(Math.round(inv.timeoutMs / 1000), { stderrTail, activity: cmd.activity }));
      } else if (stopReason === 'cancel') {
        reject(new TrainerCancelledError(`${cmd.activity} was cancelled; ${consequence}`, { stderrTail }));
      } else if (done && code === 0) {
        resolve({ done, events });
      } else if (failure) {
        reject(errorFromEvent(failure, stderrTail));
      } else if (/No module named '?(web4_trainer|torch|transformers|peft|gguf)/.test(stderrTail)) {
        reject(new TrainerSetupError(`the trainer's Python (${inv.python}) lacks a package: ${/No module named [^\n]+/.exec(stderrTail)![0]}`, { stderrTail }));
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new TrainerCrashError(`the trainer (${cmd.activity}) ${how} without reporting a result`, { stderrTail, details: { code, signal } }));
      }
    });
  });
}

/**
 * Run `python -m web4_trainer train --job FILE`, stream its events to the logger, progress and
 * `onEvent`, and resolve with the `done` event — or reject with the TrainerError subclass that
 * matches the failure.
 */
export async function runTrainer(inv: TrainerInvocation): Promise<TrainerResult> {
  const logger = inv.logger ?? silentLogger();
  let start: StartEvent | undefined;
  const { done, events } = await runTrainerCommand<TrainerEvent>(inv, {
    args: ['train', '--job', inv.jobFile],
    activity: 'training',
    parse: parseTrainerEvent,
    observe: (event) => {
      switch (event.event) {
        case 'start':
          start = event;
          logger.info({ samples: event.samples, steps: event.steps, epochs: event.epochs, device: event.device, dtype: event.dtype }, 'training started');
          inv.progress?.start(event);
          break;
        case 'progress':
          logger.debug({ step: event.step, total: event.total, loss: event.loss, tokensPerS: event.tokens_per_s, etaS: event.eta_s }, 'training progress');
          inv.progress?.update(event);
          break;
        case 'done':
          logger.info({ loss: event.loss, steps: event.steps, runtimeS: event.runtime_s, outputDir: event.output_dir }, 'training done');
          break;
        default:
          break;
      }
    },
    ...(inv.onEvent ? { onEvent: inv.onEvent } : {}),
    onClose: () => inv.progress?.stop(),
  });
  return { start, done, events };
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
