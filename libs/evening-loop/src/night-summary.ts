import { EXIT_CODES, isWeb4Error } from '@web4/core';
import type { GateVerdict } from '@web4/canary-suite';
import type { LockHolder, RunStep } from '@web4/metrics-store';
import { BASE_VERSION } from '@web4/metrics-store';
import { errorDetails, type Night } from './night.js';
import { NIGHT_ROW, type NightStatus, type NightStep } from './night-plan.js';
import { ServingCheckError } from './night-steps.js';

export interface LossFigures {
  production: number | null;
  candidate: number | null;
  base: number | null;
  tokens: number;
}

export interface NightOutcome {
  runId: string;
  status: NightStatus | 'locked';
  exitCode: number;
  /** Untrained PDCAs the night read from the buffer, and their chunks. */
  items: number;
  chunks: number;
  samples: number;
  replayed: number;
  version: string | null;
  adapterDir: string | null;
  trainLoss: number | null;
  gates: Pick<GateVerdict, 'pass' | 'gates' | 'reasons'> | null;
  losses: { night: LossFigures; retention: LossFigures; morning: Record<string, LossFigures> } | null;
  /** Which version each tag holds after the night (`base` = the base model). */
  served: { latest: string; previous: string | null };
  /** Seconds per step (train, evaluate, register, canaries, and the bookkeeping steps). */
  timings: Partial<Record<NightStep, number>>;
  runtimeS: number;
  failedStep?: NightStep;
  error?: { code: string; message: string; hint: string | null; exitCode: number };
  logFile?: string | undefined;
  holder?: LockHolder;
  /** `run` finished an interrupted night before tonight's: its outcome. */
  finishedEarlierNight?: NightOutcome;
}

function seconds(s: RunStep): number {
  return s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : 0;
}

/** What the night did, read back from its run record. */
export function nightOutcome(n: Night, failure: { step: NightStep; error: unknown } | undefined): NightOutcome {
  const steps = n.store.runs.steps(n.runId);
  const read = n.done.get('read_buffer');
  const sampled = n.done.get('samples');
  const trained = n.done.get('train');
  const evaluated = n.done.get('evaluate');
  const decided = n.done.get('decide');
  const tags = n.registry.tags();
  let status: NightStatus;
  let exitCode: number;
  let error: NightOutcome['error'];
  if (failure) {
    const d = errorDetails(failure.error).error as NonNullable<NightOutcome['error']>;
    error = d;
    status = failure.error instanceof ServingCheckError ? 'failed' : 'open';
    exitCode = isWeb4Error(failure.error) ? failure.error.exitCode : d.exitCode;
  } else if (read && Number(read.pdcas) === 0) {
    status = 'nothing';
    exitCode = EXIT_CODES.ok;
  } else if (decided?.pass) {
    status = 'complete';
    exitCode = EXIT_CODES.ok;
  } else {
    status = 'rejected';
    exitCode = EXIT_CODES.checkFailed;
  }
  const timings: Partial<Record<NightStep, number>> = {};
  for (const s of steps) if (s.step !== NIGHT_ROW && s.finishedAt) timings[s.step as NightStep] = seconds(s);
  const row = steps.find((s) => s.step === NIGHT_ROW);
  return {
    runId: n.runId,
    status,
    exitCode,
    items: Number(read?.pdcas ?? 0),
    chunks: Number(read?.chunks ?? 0),
    samples: Number(sampled?.samples ?? 0),
    replayed: Number(sampled?.replayed ?? 0),
    version: trained ? n.version : null,
    adapterDir: trained ? n.outputDir : null,
    trainLoss: (trained?.loss as number | null | undefined) ?? null,
    gates: decided ? { pass: Boolean(decided.pass), gates: decided.gates as GateVerdict['gates'], reasons: decided.reasons as string[] } : null,
    losses: evaluated
      ? { night: evaluated.night as LossFigures, retention: evaluated.retention as LossFigures, morning: (evaluated.morning ?? {}) as Record<string, LossFigures> }
      : null,
    served: { latest: tags.latest ?? BASE_VERSION, previous: tags.previous ?? null },
    timings,
    runtimeS: row ? (n.clock.now().getTime() - Date.parse(row.startedAt)) / 1000 : 0,
    ...(failure ? { failedStep: failure.step } : {}),
    ...(error ? { error } : {}),
  };
}

const RULE = '='.repeat(64);
const fmt = (x: number | null | undefined, d = 4) => (typeof x === 'number' ? x.toFixed(d) : '–');

function duration(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/** The closing block of the plan's log: COMPLETE / FAILED / NOTHING TO DO, with the figures. */
export function closingBlock(o: NightOutcome): string[] {
  const title =
    o.status === 'complete'
      ? 'EVENING LOOP COMPLETE'
      : o.status === 'nothing'
        ? 'EVENING LOOP: NOTHING TO DO'
        : o.status === 'rejected'
          ? 'EVENING LOOP FAILED: candidate rejected by the gates, production unchanged'
          : o.status === 'failed'
            ? 'EVENING LOOP FAILED: promoted model did not serve, rolled back'
            : `EVENING LOOP FAILED at step ${o.failedStep ?? '?'} (the night stays open)`;
  const lines = [RULE, title, `  Run:        ${o.runId}`];
  lines.push(`  Items:      ${o.items} PDCAs (${o.chunks} chunks)`);
  if (o.samples) lines.push(`  Samples:    ${o.samples} (${o.replayed} replayed older PDCAs)`);
  if (o.trainLoss !== null) lines.push(`  Loss:       ${fmt(o.trainLoss)} (training)`);
  if (o.losses) {
    const l = o.losses;
    lines.push(`  Night loss: production ${fmt(l.night.production)} → candidate ${fmt(l.night.candidate)}`);
    lines.push(`  Retention:  ${l.retention.tokens ? `production ${fmt(l.retention.production)} → candidate ${fmt(l.retention.candidate)}` : 'no retention set yet'}`);
  }
  if (o.gates) for (const g of o.gates.gates) lines.push(`  Gate:       ${g.pass ? '✓' : '⚠️'} ${g.gate} ${g.measured}`);
  if (o.adapterDir) lines.push(`  Adapter:    ${o.adapterDir}`);
  lines.push(`  Served:     latest = ${o.served.latest}, previous = ${o.served.previous ?? '(none)'}`);
  const parts = (['train', 'evaluate', 'register', 'canaries'] as NightStep[]).filter((s) => o.timings[s] !== undefined).map((s) => `${s} ${duration(o.timings[s]!)}`);
  const book = (['backup', 'read_buffer', 'samples', 'decide', 'promote', 'mark_trained', 'copy_history', 'archive', 'clear', 'reject', 'prune'] as NightStep[]).reduce((a, s) => a + (o.timings[s] ?? 0), 0);
  lines.push(`  Runtime:    ${duration(o.runtimeS)}${parts.length ? ` (${parts.join(', ')}, bookkeeping ${duration(book)})` : ''}`);
  if (o.error) {
    lines.push(`  Error:      ${o.error.message}`);
    if (o.error.hint) lines.push(`  → ${o.error.hint}`);
    if (o.status === 'open') lines.push('  → after fixing it: `web4 evening resume` continues from this step');
  }
  lines.push(RULE);
  return lines;
}
