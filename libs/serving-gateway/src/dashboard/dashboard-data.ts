import { type MorningDay, morningHistory } from '@web4/canary-suite';
import { type StatePaths, type TargetStatus, type Web4Config, addDays, atLeast, isoDay, utcMidnight } from '@web4/core';
import { type NightRecord, nightHistory } from '@web4/evening-loop';
import {
  FeedbackReader,
  MetricsReader,
  type MonitoringReport,
  type QueryTypesReport,
  type Satisfaction,
  buildMonitoringReport,
  readQueryTypesReport,
} from '@web4/metrics-store';

/**
 * Everything the dashboard page draws, read through the same library calls as the commands:
 * `monitor report` (buildMonitoringReport), `monitor query-types` (readQueryTypesReport, per
 * day), `feedback rate` (FeedbackReader.satisfaction), `evening history` (nightHistory) and
 * `validate --history` (morningHistory), all on the dialect storage.url names (with PostgreSQL,
 * the nights and mornings every state root published there). Nothing here computes a figure of
 * its own; a window
 * without records carries nulls and empty lists, never zeros standing for "no data".
 */
export interface DashboardData {
  generatedAt: string;
  /** The window: `days` UTC days ending today (`from`…`to`, inclusive), as `monitor report --days`. */
  window: { days: number; from: string; to: string };
  targets: {
    latencyMs: number;
    latencyStatistic: Web4Config['monitoring']['latencyStatistic'];
    errorRatePct: number;
    satisfactionPct: number;
    historyPct: { min: number; max: number };
    toolsPct: { min: number; max: number };
    trainaiPct: { min: number; max: number };
    pureTrainedPct: { min: number; max: number };
    pureTrainedAcceptedPct: { min: number; max: number };
    minPassRatePct: number;
    alertDropPct: number;
  };
  /** `web4 monitor report --days N --json`, as is. */
  monitoring: MonitoringReport;
  /** `web4 monitor query-types --date D --json` for each day of the window, oldest first (without its `statistics`, already in `monitoring`). */
  queryTypes: Array<Omit<QueryTypesReport, 'statistics'>>;
  /** `web4 feedback rate --days N` for the window, and the same call for each day of it. */
  satisfaction: {
    window: Satisfaction & { from: string; to: string; targetPct: number; status: TargetStatus };
    days: Array<Satisfaction & { day: string }>;
  };
  /** `web4 evening history`: the nights started in the window, oldest first. */
  nights: NightRecord[];
  /** `web4 validate --history --days N`: each morning's check, oldest first. */
  mornings: MorningDay[];
  /** Which charts have something to draw (false: the page says "no data yet"). */
  has: { latency: boolean; tiers: boolean; categories: boolean; satisfaction: boolean; nights: boolean; mornings: boolean };
}

export interface DashboardDataInput {
  config: Web4Config;
  paths: Pick<StatePaths, 'metricsDb' | 'feedbackDb'>;
  now: Date;
  days: number;
}

/** The most nights one page lists (a replay can record many per day). */
export const MAX_NIGHTS = 200;

export async function buildDashboardData(input: DashboardDataInput): Promise<DashboardData> {
  const { config, now, days } = input;
  const monitoring = config.monitoring;
  const targets = monitoring.targets;
  const reader = await MetricsReader.open(config, input.paths);
  try {
    const report = await buildMonitoringReport({ store: reader, targets, latencyStatistic: monitoring.latencyStatistic, now, days });
    const dayList = report.statistics.days.map((d) => d.day);
    const queryTypes = [];
    for (const day of dayList) {
      const { statistics: _statistics, ...rest } = await readQueryTypesReport(reader, day, targets);
      queryTypes.push(rest);
    }
    const windowStart = `${report.statistics.from}T00:00:00.000Z`;
    const nights = (await nightHistory(reader, MAX_NIGHTS)).filter((n) => n.startedAt >= windowStart).reverse();
    const mornings = await morningHistory(reader, { days, now });
    const satisfaction = await readSatisfaction(input, dayList);
    const total = report.statistics.total;
    return {
      generatedAt: now.toISOString(),
      window: { days, from: report.statistics.from, to: report.statistics.to },
      targets: {
        latencyMs: targets.latencyMs,
        latencyStatistic: monitoring.latencyStatistic,
        errorRatePct: targets.errorRatePct,
        satisfactionPct: targets.satisfactionPct,
        historyPct: targets.historyPct,
        toolsPct: targets.toolsPct,
        trainaiPct: targets.trainaiPct,
        pureTrainedPct: targets.pureTrainedPct,
        pureTrainedAcceptedPct: targets.pureTrainedAcceptedPct,
        minPassRatePct: config.validation.minPassRatePct,
        alertDropPct: config.validation.alertDropPct,
      },
      monitoring: report,
      queryTypes,
      satisfaction,
      nights,
      mornings,
      has: {
        latency: total.queries > 0,
        tiers: total.queries > 0,
        categories: total.queries > 0,
        satisfaction: satisfaction.window.total > 0,
        nights: nights.length > 0,
        mornings: mornings.length > 0,
      },
    };
  } finally {
    await reader.close();
  }
}

/** `feedback rate`'s window (today and the days before it, UTC) and each of its days. */
async function readSatisfaction(input: DashboardDataInput, dayList: string[]): Promise<DashboardData['satisfaction']> {
  const feedback = await FeedbackReader.open(input.config, input.paths);
  try {
    const today = utcMidnight(input.now);
    const from = addDays(today, -(input.days - 1));
    const to = addDays(today, 1);
    const window = await feedback.satisfaction(from, to);
    const targetPct = input.config.monitoring.targets.satisfactionPct;
    return {
      window: { ...window, from: from.toISOString(), to: to.toISOString(), targetPct, status: atLeast(window.ratePct, targetPct) },
      days: await Promise.all(
        dayList.map(async (day) => {
          const start = new Date(`${day}T00:00:00.000Z`);
          return { day: isoDay(start), ...(await feedback.satisfaction(start, addDays(start, 1))) };
        }),
      ),
    };
  } finally {
    await feedback.close();
  }
}
