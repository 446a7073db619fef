import type { SuiteResult } from './run-cases.js';

/** Loss of production and candidate on one set of documents (token-weighted, answer tokens). */
export interface LossPair {
  production: number | null;
  candidate: number | null;
  tokens: number;
}

export interface GateSettings {
  /** Share of canary cases that must pass (100: all of them, the plan's 20/20). */
  canaryPassPct: number;
  requireNightLossDecrease: boolean;
  maxRetentionLossIncreasePct: number;
}

export interface GateInputs {
  candidate: SuiteResult;
  /** Production's answers to the same cases; undefined when production could not be asked. */
  production?: SuiteResult | undefined;
  loss: { night: LossPair; retention: LossPair };
  settings: GateSettings;
}

export type GateName = 'canaries' | 'no-regression' | 'night-loss' | 'retention-loss';

export interface GateResult {
  gate: GateName;
  pass: boolean;
  /** What was measured, for a log line: "20/20", "2.97 → 2.41 (-18.9 %)". */
  measured: string;
  target: string;
  /** Why it failed, in words a person can act on. */
  reason?: string;
}

export interface GateVerdict {
  pass: boolean;
  gates: GateResult[];
  /** One line per failed gate. */
  reasons: string[];
}

const fmt = (x: number) => x.toFixed(4);
const pct = (a: number, b: number) => (100 * (b - a)) / a;

/**
 * The gates a candidate must pass before production moves, all of them: the canary cases
 * (20/20 by default), no case that production passes failing on the candidate, a lower loss
 * than production on the night's own documents (it learned), and a retention loss at most
 * `maxRetentionLossIncreasePct` above production's (it did not forget). A gate that could not
 * be measured fails, except the retention gate before there is any history to measure it on.
 */
export function judgeCandidate(i: GateInputs): GateVerdict {
  const gates: GateResult[] = [];
  const need = Math.ceil((i.settings.canaryPassPct / 100) * i.candidate.total);
  const failedIds = i.candidate.results.filter((r) => !r.pass).map((r) => r.id);
  gates.push({
    gate: 'canaries',
    pass: i.candidate.total > 0 && i.candidate.passed >= need,
    measured: `${i.candidate.passed}/${i.candidate.total}`,
    target: `≥ ${need}/${i.candidate.total}`,
    ...(i.candidate.passed >= need && i.candidate.total > 0 ? {} : { reason: i.candidate.total === 0 ? 'no canary case ran' : `canaries failed: ${failedIds.join(', ')}` }),
  });

  if (!i.production) {
    gates.push({ gate: 'no-regression', pass: false, measured: 'production not asked', target: 'no case production passes fails', reason: 'production could not be asked the canary cases, so a regression cannot be ruled out' });
  } else {
    const prodPass = new Set(i.production.results.filter((r) => r.pass).map((r) => r.id));
    const regressions = i.candidate.results.filter((r) => !r.pass && prodPass.has(r.id)).map((r) => r.id);
    gates.push({
      gate: 'no-regression',
      pass: regressions.length === 0,
      measured: `${regressions.length} regressions (production ${prodPass.size}/${i.production.total})`,
      target: '0',
      ...(regressions.length ? { reason: `cases production passes fail on the candidate: ${regressions.join(', ')}` } : {}),
    });
  }

  const night = i.loss.night;
  if (!i.settings.requireNightLossDecrease) {
    gates.push({ gate: 'night-loss', pass: true, measured: lossLine(night), target: 'not required (evening.gates.requireNightLossDecrease)' });
  } else if (night.production === null || night.candidate === null) {
    gates.push({ gate: 'night-loss', pass: false, measured: 'not measured', target: 'candidate < production', reason: "the loss on the night's documents was not measured" });
  } else {
    const ok = night.candidate < night.production;
    gates.push({
      gate: 'night-loss',
      pass: ok,
      measured: lossLine(night),
      target: 'candidate < production',
      ...(ok ? {} : { reason: `the candidate did not learn the night's documents: loss ${fmt(night.candidate)} vs production ${fmt(night.production)}` }),
    });
  }

  const ret = i.loss.retention;
  const limit = i.settings.maxRetentionLossIncreasePct;
  if (ret.tokens === 0) {
    gates.push({ gate: 'retention-loss', pass: true, measured: 'no retention set yet (no history)', target: `≤ +${limit} %` });
  } else if (ret.production === null || ret.candidate === null) {
    gates.push({ gate: 'retention-loss', pass: false, measured: 'not measured', target: `≤ +${limit} %`, reason: 'the retention loss was not measured' });
  } else {
    const change = pct(ret.production, ret.candidate);
    const ok = change <= limit;
    gates.push({
      gate: 'retention-loss',
      pass: ok,
      measured: lossLine(ret),
      target: `≤ +${limit} %`,
      ...(ok ? {} : { reason: `the candidate forgot: retention loss ${fmt(ret.candidate)} is ${change.toFixed(2)} % above production's ${fmt(ret.production)} (limit ${limit} %)` }),
    });
  }
  const reasons = gates.filter((g) => !g.pass).map((g) => g.reason ?? `${g.gate} failed`);
  return { pass: reasons.length === 0, gates, reasons };
}

function lossLine(p: LossPair): string {
  if (p.production === null || p.candidate === null) return 'not measured';
  const change = pct(p.production, p.candidate);
  return `${fmt(p.production)} → ${fmt(p.candidate)} (${change >= 0 ? '+' : ''}${change.toFixed(2)} %)`;
}
