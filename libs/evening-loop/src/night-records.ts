import type { GateResult } from '@web4/canary-suite';
import type { RunsReader, RunStep } from '@web4/metrics-store';
import { NIGHT_ROW, NIGHT_STEPS, type NightStatus } from './night-plan.js';
import type { LossFigures } from './night-summary.js';

/** One night as `web4 evening status|history` shows it, read back from the runs table. */
export interface NightRecord {
  runId: string;
  status: NightStatus;
  day: string | null;
  startedAt: string;
  finishedAt: string | null;
  items: number | null;
  chunks: number | null;
  samples: number | null;
  replayed: number | null;
  version: string | null;
  trainLoss: number | null;
  night: LossFigures | null;
  retention: LossFigures | null;
  morning: Record<string, LossFigures>;
  canaries: string | null;
  gates: GateResult[] | null;
  pass: boolean | null;
  promotedFrom: string | null;
  failedStep: string | null;
  error: { code: string; message: string; hint: string | null } | null;
  runtimeS: number | null;
  steps: Array<Pick<RunStep, 'step' | 'status' | 'startedAt' | 'finishedAt'> & { seconds: number | null }>;
}

/** One night from its run id, where storage.url says (MetricsReader); undefined when there is no such night. */
export async function readNight(reader: RunsReader, runId: string): Promise<NightRecord | undefined> {
  return nightRecord(runId, await reader.runSteps(runId));
}

/** A night from the rows of its run (in the order they started); undefined when they hold no night. */
export function nightRecord(runId: string, steps: readonly RunStep[]): NightRecord | undefined {
  const row = steps.find((s) => s.step === NIGHT_ROW);
  if (!row) return undefined;
  const get = (name: string) => steps.find((s) => s.step === name);
  const d = (name: string) => get(name)?.details ?? {};
  const failed = steps.find((s) => s.step !== NIGHT_ROW && s.status === 'failed');
  const running = steps.find((s) => s.step !== NIGHT_ROW && s.status === 'running');
  const canaries = d('canaries').candidate as { passed: number; total: number } | undefined;
  const error = (d(failed?.step ?? '').error ?? row.details.error ?? null) as NightRecord['error'];
  const order = new Map<string, number>(NIGHT_STEPS.map((s, i) => [s, i]));
  return {
    runId,
    status: (row.details.status as NightStatus | undefined) ?? 'open',
    day: (row.details.day as string | undefined) ?? null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    items: num(d('read_buffer').pdcas),
    chunks: num(d('read_buffer').chunks),
    samples: num(d('samples').samples),
    replayed: num(d('samples').replayed),
    version: (d('train').version as string | undefined) ?? null,
    trainLoss: num(d('train').loss),
    night: (d('evaluate').night as LossFigures | undefined) ?? null,
    retention: (d('evaluate').retention as LossFigures | undefined) ?? null,
    morning: (d('evaluate').morning as Record<string, LossFigures> | undefined) ?? {},
    canaries: canaries ? `${canaries.passed}/${canaries.total}` : null,
    gates: (d('decide').gates as GateResult[] | undefined) ?? null,
    pass: get('decide')?.status === 'done' ? Boolean(d('decide').pass) : null,
    promotedFrom: (d('promote').from as string | undefined) ?? null,
    failedStep: failed?.step ?? (row.details.status === 'open' ? (running?.step ?? null) : null),
    error: failed || row.details.status === 'open' ? error : null,
    runtimeS: row.finishedAt ? (Date.parse(row.finishedAt) - Date.parse(row.startedAt)) / 1000 : null,
    steps: steps
      .filter((s) => s.step !== NIGHT_ROW)
      .sort((a, b) => (order.get(a.step) ?? 99) - (order.get(b.step) ?? 99))
      .map((s) => ({ step: s.step, status: s.status, startedAt: s.startedAt, finishedAt: s.finishedAt, seconds: s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : null })),
  };
}

/** The newest nights first. */
export async function nightHistory(reader: RunsReader, limit = 10): Promise<NightRecord[]> {
  return (await reader.recentRuns(limit, 'night_')).map((r) => nightRecord(r.runId, r.steps)).filter((r): r is NightRecord => r !== undefined);
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
