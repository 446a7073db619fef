import { FixedClock, type StatePaths, addDays, fileStamp, isoDay } from '@web4/core';
import { FeedbackStore, MetricsStore, QueryLogger, type QueryRecord } from '@web4/metrics-store';

/**
 * Test data for the dashboard: several days "played" through the writers the product uses —
 * QueryLogger (the gateway's query rows), FeedbackStore.rateQuery (POST /api/feedback), the
 * runs table through RunRecorder as the nightly loop writes it, and the validations table as
 * the morning check writes it. One day in the middle has nights and mornings but no queries,
 * so the charts must show a gap there, not a zero.
 */
export const PLAYED_NOW = new Date('2026-11-30T18:00:00.000Z');
/** Days (offset from PLAYED_NOW's day) with queries; -2 has none. */
export const QUERY_DAYS = [-4, -3, -1, 0];
export const QUERIES_PER_DAY = 20;

export function playDays(paths: Pick<StatePaths, 'metricsDb' | 'feedbackDb'>): void {
  const today = new Date(`${isoDay(PLAYED_NOW)}T00:00:00.000Z`);
  const logger = QueryLogger.open(paths.metricsDb, { batchSize: 100, flushIntervalMs: 20 });
  const feedback = FeedbackStore.open(paths.feedbackDb);
  try {
    for (const offset of QUERY_DAYS) {
      const day = addDays(today, offset);
      for (let j = 0; j < QUERIES_PER_DAY; j++) {
        const at = new Date(day.getTime() + 9 * 3_600_000 + j * 7 * 60_000);
        const queryId = `q-${isoDay(day)}-${j}`;
        // Shares move from day to day: pure trained 40 %, 45 %, 55 %, 60 %; the rest over the tiers.
        const pure = 8 + offset + 4;
        const k = j < pure ? -1 : (j - pure) % 6;
        const tiers = { usedTools: k === 0 || k === 1, usedHistory: k === 2, usedTrainai: k === 3, usedGraph: k === 4 };
        const multiple = k === 5;
        const record: QueryRecord = {
          timestamp: at,
          queryId,
          queryType: 'code_generation',
          endpoint: 'chat',
          model: 'web4-agent:latest',
          modelVersion: 'base',
          latencyMs: 700 + 110 * j + 180 * (offset + 4),
          ttftMs: 120 + 9 * j,
          tokensIn: 60 + j,
          tokensGenerated: 40 + j,
          tokensPerSecond: 18 + (j % 5),
          ...tiers,
          ...(multiple ? { usedTools: true, usedHistory: true } : {}),
          ...(j === 19 && offset !== 0 ? { error: 'upstream timed out', errorKind: 'upstream_timeout' } : {}),
        };
        logger.log(record);
        if (j % 3 === 0) feedback.rateQuery({ queryId, rating: j % 9 === 0 && offset !== -4 ? 'down' : 'up', timestamp: new Date(at.getTime() + 30_000), query: `question ${j}`, response: `answer ${j}` });
      }
    }
    logger.flush();
  } finally {
    logger.close();
    feedback.close();
  }
  recordNights(paths, today);
  recordMornings(paths, today);
}

interface PlayedNight {
  offset: number;
  status: 'complete' | 'rejected';
  night: [number, number];
  retention: [number, number];
}

const NIGHTS: PlayedNight[] = [
  { offset: -4, status: 'complete', night: [2.61, 2.28], retention: [2.05, 2.06] },
  { offset: -3, status: 'complete', night: [2.3, 2.09], retention: [2.06, 2.07] },
  { offset: -2, status: 'rejected', night: [2.12, 2.1], retention: [2.07, 2.19] },
  { offset: -1, status: 'complete', night: [2.2, 1.98], retention: [2.07, 2.08] },
];

/** The runs rows of a few nights, step by step as EveningLoop records them. */
function recordNights(paths: Pick<StatePaths, 'metricsDb'>, today: Date): void {
  for (const n of NIGHTS) {
    const start = new Date(addDays(today, n.offset).getTime() + 22 * 3_600_000);
    const clock = new FixedClock(start);
    const store = MetricsStore.open(paths.metricsDb, { clock });
    const runId = `night_${fileStamp(start)}`;
    const runs = store.runs;
    try {
      const step = (name: string, details: Record<string, unknown>, status: 'done' | 'skipped' = 'done') => {
        runs.start(runId, name);
        clock.advance(20_000);
        runs.finish(runId, name, status, details);
      };
      runs.start(runId, 'night', { status: 'open', day: isoDay(start), version: `v${fileStamp(start)}`, pid: 1 });
      step('lock', { pid: 1 });
      step('backup', {});
      step('read_buffer', { pdcas: 4 + n.offset + 4, chunks: 12 + 3 * (n.offset + 4) });
      step('samples', { samples: 24, replayed: 6 });
      step('train', { version: `v${fileStamp(start)}`, loss: n.night[1] - 0.4 });
      const pair = ([production, candidate]: [number, number]) => ({ production, candidate, base: 2.7, tokens: 900 });
      step('evaluate', { night: pair(n.night), retention: pair(n.retention) });
      step('register', {});
      step('canaries', { candidate: { passed: 20, total: 20 } });
      const retentionPct = (100 * (n.retention[1] - n.retention[0])) / n.retention[0];
      const gates = [
        { gate: 'canaries', pass: true, measured: '20/20', target: '20/20' },
        { gate: 'no-regression', pass: true, measured: '0 regressions', target: 'none' },
        { gate: 'night-loss', pass: n.night[1] < n.night[0], measured: `${n.night[0]} → ${n.night[1]}`, target: 'candidate lower' },
        { gate: 'retention-loss', pass: retentionPct <= 2, measured: `${retentionPct.toFixed(1)} %`, target: '≤ +2 %' },
      ];
      const pass = gates.every((g) => g.pass);
      step('decide', { gates, pass });
      if (n.status !== (pass ? 'complete' : 'rejected')) throw new Error(`played night ${runId}: gates say ${pass}, status ${n.status}`);
      if (pass) step('promote', { from: 'base' });
      else step('reject', {});
      runs.note(runId, 'night', { status: n.status, exitCode: pass ? 0 : 1 });
      runs.finish(runId, 'night', pass ? 'done' : 'failed', { status: n.status });
    } finally {
      store.close();
    }
  }
}

/** Morning checks (as validateServedModel records them), one a day, with per-case verdicts. */
function recordMornings(paths: Pick<StatePaths, 'metricsDb'>, today: Date): void {
  const passedByDay: Array<[number, number]> = [[-3, 14], [-2, 16], [-1, 15], [0, 18]];
  const store = MetricsStore.open(paths.metricsDb);
  try {
    for (const [offset, passed] of passedByDay) {
      const total = 22;
      const cases = Object.fromEntries(Array.from({ length: total }, (_, i) => [`cq-${String(i + 1).padStart(2, '0')}`, i < passed]));
      store.validations.record({
        model: 'web4-agent:latest',
        modelVersion: offset < -1 ? 'base' : `v${offset}`,
        modelDigest: null,
        runAt: new Date(addDays(today, offset).getTime() + 6 * 3_600_000),
        passed: (100 * passed) / total >= 80,
        totalCases: total,
        passedCases: passed,
        score: (100 * passed) / total,
        details: { cases },
      });
    }
  } finally {
    store.close();
  }
}
