import { isoDay } from '@web4/core';
import type { StoredValidation, ValidationsReader } from '@web4/metrics-store';

/** One morning of the trend: the day's last check, against the last check of an earlier day. */
export interface MorningDay {
  /** `YYYY-MM-DD` (UTC) of the check. */
  day: string;
  runAt: string;
  model: string;
  /** Registry version that answered (`base`: the base model); null when not known. */
  modelVersion: string | null;
  modelDigest: string | null;
  passed: number;
  total: number;
  passRatePct: number;
  /** The check's own verdict (pass rate ≥ validation.minPassRatePct when it ran). */
  pass: boolean;
  /** Checks run that day (the last one counts). */
  runs: number;
  /** The earlier day compared with, and the change of the pass rate in percentage points. */
  previousDay: string | null;
  changePct: number | null;
  /** Queries that passed on the previous day and fail now, and the reverse. */
  flipped: string[];
  recovered: string[];
}

/** Per-query verdicts a check stored (`details.cases`); undefined for rows written before they were. */
function caseVerdicts(v: StoredValidation): Record<string, boolean> | undefined {
  const cases = v.details.cases;
  return cases && typeof cases === 'object' && !Array.isArray(cases) ? (cases as Record<string, boolean>) : undefined;
}

function rateOf(v: StoredValidation): number {
  return v.totalCases === 0 ? 0 : (100 * v.passedCases) / v.totalCases;
}

/** How `now` compares with `before`: the change in points and the queries that flipped either way. */
export function compareChecks(now: StoredValidation, before: StoredValidation | undefined): Pick<MorningDay, 'previousDay' | 'changePct' | 'flipped' | 'recovered'> {
  if (!before) return { previousDay: null, changePct: null, flipped: [], recovered: [] };
  const a = caseVerdicts(before);
  const b = caseVerdicts(now);
  const both = a && b ? Object.keys(b).filter((id) => Object.hasOwn(a, id)) : [];
  return {
    previousDay: isoDay(new Date(before.runAt)),
    changePct: Math.round((rateOf(now) - rateOf(before)) * 10) / 10,
    flipped: both.filter((id) => a![id] && !b![id]),
    recovered: both.filter((id) => !a![id] && b![id]),
  };
}

/**
 * The trend of the morning checks over the `days` days up to `now` (today included), oldest
 * first: each day's last check, compared with the last check of the day before it (which may
 * lie before the window).
 */
export async function morningHistory(reader: Pick<ValidationsReader, 'validationsSince' | 'validationBefore'>, o: { days: number; now: Date }): Promise<MorningDay[]> {
  if (!Number.isInteger(o.days) || o.days < 1) throw new RangeError(`days must be a whole number ≥ 1, got ${o.days}`);
  const from = new Date(`${isoDay(o.now)}T00:00:00.000Z`);
  from.setUTCDate(from.getUTCDate() - (o.days - 1));
  const byDay = new Map<string, StoredValidation[]>();
  for (const v of await reader.validationsSince(from)) {
    const day = isoDay(new Date(v.runAt));
    byDay.set(day, [...(byDay.get(day) ?? []), v]);
  }
  let before = await reader.validationBefore(from);
  const out: MorningDay[] = [];
  for (const [day, runs] of [...byDay].sort(([x], [y]) => x.localeCompare(y))) {
    const last = runs.at(-1)!;
    out.push({
      day,
      runAt: last.runAt,
      model: last.model,
      modelVersion: last.modelVersion,
      modelDigest: last.modelDigest,
      passed: last.passedCases,
      total: last.totalCases,
      passRatePct: Math.round(rateOf(last) * 10) / 10,
      pass: last.passed,
      runs: runs.length,
      ...compareChecks(last, before),
    });
    before = last;
  }
  return out;
}

const signed = (n: number) => `${n > 0 ? '+' : n < 0 ? '−' : '±'}${Math.abs(n).toFixed(1)}`;

/** `validate --history` for people: one line per day, then the queries that flipped. */
export function formatMorningHistory(days: readonly MorningDay[]): string[] {
  if (days.length === 0) return ['No morning checks recorded in this period (run `web4 validate`).'];
  const lines = ['Day         Rate     Change   Version (digest)                      Verdict'];
  for (const d of days) {
    const version = `${d.modelVersion ?? '?'}${d.modelDigest ? ` (${d.modelDigest.replace(/^sha256:/, '').slice(0, 12)})` : ''}`;
    const change = d.changePct === null ? '—' : `${signed(d.changePct)} pt`;
    lines.push(`${d.day}  ${`${d.passRatePct.toFixed(1)}%`.padEnd(7)}  ${change.padEnd(7)}  ${version.padEnd(36)}  ${d.pass ? '✓' : '⚠️'} ${d.passed}/${d.total}${d.runs > 1 ? ` (last of ${d.runs})` : ''}`);
    if (d.flipped.length) lines.push(`            pass → fail since ${d.previousDay}: ${d.flipped.join(', ')}`);
    if (d.recovered.length) lines.push(`            fail → pass since ${d.previousDay}: ${d.recovered.join(', ')}`);
  }
  return lines;
}
