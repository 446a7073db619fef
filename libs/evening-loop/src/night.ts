import { type Clock, EXIT_CODES, isWeb4Error, type StatePaths, type Web4Config } from '@web4/core';
import type { MetricsStore, RunStep } from '@web4/metrics-store';
import type { RagStack } from '@web4/rag-tiers';
import { type AdapterRegistry, REGISTRY_LOCK } from '@web4/rollback';
import type { TrainingSample, TrainJobFile } from '@web4/trainer-bridge';
import type { AlertSink } from './alerts.js';
import type { EveningLog } from './evening-log.js';
import type { NightStep } from './night-plan.js';

/*
 * What the loop and its steps share: the options, one night's context, the lock, and the two
 * helpers every step may call. Kept apart from the loop so that the steps, the dry run and the
 * summary depend on it rather than on the loop that calls them.
 */

/** The lock the nightly loop and `web4 model promote|rollback` share. */
export const EVENING_LOCK = REGISTRY_LOCK;
/** Exit code when another run holds the lock (EX_TEMPFAIL): cron may simply try again later. */
export const EXIT_LOCKED = EXIT_CODES.locked;

export interface EveningLoopOptions {
  config: Web4Config;
  paths: StatePaths;
  /** "Now" for the night's identity (run id, archive names, training_date); the loop runs it forward at real speed. */
  clock: Clock;
  ollamaUrl: string;
  /** The retrieval tiers (Chroma, graph, metadata); opened on first use. */
  openRag: () => Promise<RagStack>;
  /** Where people read the log: stdout by default; `null` for none (the file is always written). */
  console?: NodeJS.WritableStream | null;
  signal?: AbortSignal;
  alerts?: AlertSink;
  /** Extra sets measured in the evaluate step with base, production and candidate (replay's next-day PDCAs). */
  morningSets?: Array<{ name: string; samples: TrainingSample[] }>;
  /** Job fields for the trainer beyond the config (tests: threads; benchmarks). */
  trainerOverrides?: Partial<TrainJobFile>;
  /** Write no log files (dry runs walk the steps without changing anything). */
  noFiles?: boolean;
  /** Called around every step (tests stop a service at a precise point). */
  hooks?: { beforeStep?: (step: NightStep, runId: string) => void | Promise<void>; afterStep?: (step: NightStep, runId: string) => void | Promise<void> };
}

/** Everything a step needs, for one night. */
export interface Night {
  o: EveningLoopOptions;
  runId: string;
  stamp: string;
  version: string;
  /** The night's day (UTC), from the clock at its start. */
  day: string;
  outputDir: string;
  workDir: string;
  clock: Clock;
  log: EveningLog;
  store: MetricsStore;
  registry: AdapterRegistry;
  rag(): Promise<RagStack>;
  /** Details each finished step recorded (read back on resume). */
  done: Map<NightStep, Record<string, unknown>>;
  status(step: NightStep): RunStep['status'] | undefined;
  /** Merge facts into the running step's record (e.g. the trainer's pid). */
  note(step: NightStep, details: Record<string, unknown>): void;
}

export function errorDetails(error: unknown): Record<string, unknown> {
  if (isWeb4Error(error)) return { error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } };
  const e = error as Error;
  return { error: { code: e?.name === 'AbortError' ? 'interrupted' : 'internal', message: String(e?.message ?? e), hint: null, exitCode: e?.name === 'AbortError' ? EXIT_CODES.interrupted : EXIT_CODES.checkFailed } };
}

/**
 * Fault injection for the reliability tests (docs/reliability.md): with
 * WEB4_FAULT_KILL_AT=before:train (or after:promote, during:train …) the process kills itself
 * with SIGKILL at that point, exactly as a crash or `kill -9` would.
 */
export function faultPoint(point: string): void {
  const wanted = process.env.WEB4_FAULT_KILL_AT;
  if (wanted && wanted.split(',').includes(point)) process.kill(process.pid, 'SIGKILL');
}
