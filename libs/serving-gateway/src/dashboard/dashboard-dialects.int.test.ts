import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FixedClock, type Web4Config } from '@web4/core';
import { sharedPostgres } from '@web4/local-services';
import { feedbackMigrations, MetricsStore, metricsMigrations, RecordsPublisher } from '@web4/metrics-store';
import { copyToPostgres } from '@web4/storage';
import { GatewayMetrics } from '../metrics.js';
import { tempRoot } from '../test-support/temp-root.js';
import { buildDashboardData } from './dashboard-data.js';
import { PLAYED_NOW, playDays } from './played-days.js';

/** The state gauges of one scrape (the last night, the last morning check, satisfaction), sorted. */
async function stateGauges(config: Web4Config, paths: ReturnType<typeof tempRoot>['paths']): Promise<string[]> {
  const metrics = new GatewayMetrics({ config, paths, clock: new FixedClock(PLAYED_NOW) });
  try {
    const text = await metrics.metrics();
    return text
      .split('\n')
      .filter((l) => /^web4_(night|morning|feedback|state)_/.test(l))
      .sort();
  } finally {
    await metrics.close();
  }
}

describe('the dashboard and the /metrics state gauges on the same records in SQLite and in PostgreSQL', () => {
  let t: ReturnType<typeof tempRoot>;
  let url: string;
  beforeAll(async () => {
    t = tempRoot();
    playDays(t.paths); // queries, ratings, four nights and their morning checks, in the state root's files
    const server = await sharedPostgres(inject('postgresSlot'));
    url = server.createDatabase(`dashboard_${randomBytes(4).toString('hex')}`);
  });
  afterAll(() => t?.remove());

  it('copied with `storage copy`: every figure of the page and every state gauge is the same', async () => {
    const copied = await copyToPostgres({
      url,
      sources: [
        { name: 'metrics', file: t.paths.metricsDb, migrations: metricsMigrations, setting: 'paths.metricsDb' },
        { name: 'feedback', file: t.paths.feedbackDb, migrations: feedbackMigrations, setting: 'paths.feedbackDb' },
      ],
    });
    expect(copied.verified).toBe(true);
    const onPostgres = { ...t.config, storage: { ...t.config.storage, url } };

    const sqlite = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    const postgres = await buildDashboardData({ config: onPostgres, paths: t.paths, now: PLAYED_NOW, days: 7 });
    // Not vacuous: the played days have queries, ratings, nights and mornings on the page.
    expect(sqlite.has).toEqual({ latency: true, tiers: true, categories: true, satisfaction: true, nights: true, mornings: true });
    expect(sqlite.nights.length).toBeGreaterThanOrEqual(3);
    expect(sqlite.mornings.length).toBeGreaterThanOrEqual(3);
    expect(postgres).toEqual(sqlite);

    const gauges = await stateGauges(t.config, t.paths);
    expect(gauges.some((l) => l.startsWith('web4_night_last_train_loss'))).toBe(true);
    expect(gauges.some((l) => l.startsWith('web4_morning_last_pass_ratio'))).toBe(true);
    expect(gauges).toContain('web4_state_read_up 1');
    expect(await stateGauges(onPostgres, t.paths)).toEqual(gauges);
  });

  it('a night written after the copy reaches the PostgreSQL page through the publisher, and both pages agree again', async () => {
    const onPostgres = { ...t.config, storage: { ...t.config.storage, url } };
    const store = MetricsStore.open(t.paths.metricsDb, { clock: new FixedClock(PLAYED_NOW) });
    const publisher = RecordsPublisher.forConfig(onPostgres, store);
    expect(publisher).toBeDefined();
    expect(RecordsPublisher.forConfig(t.config, store)).toBeUndefined();
    const runId = 'night_20261130_120000';
    store.runs.start(runId, 'night', { status: 'open', day: '2026-11-30', version: 'v20261130_120000', pid: 1 });
    store.runs.start(runId, 'read_buffer');
    store.runs.finish(runId, 'read_buffer', 'failed', { error: { code: 'E_SERVICE', message: 'Chroma is not running.', hint: null } });
    store.runs.note(runId, 'night', { status: 'failed', exitCode: 4 });
    store.runs.finish(runId, 'night', 'failed', { status: 'failed' });
    store.validations.record({ model: 'web4-agent:latest', passed: false, totalCases: 10, passedCases: 6, runAt: new Date('2026-11-30T12:30:00.000Z') });
    await publisher!.close();
    store.close();

    const sqlite = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    const postgres = await buildDashboardData({ config: onPostgres, paths: t.paths, now: PLAYED_NOW, days: 7 });
    expect(sqlite.nights.at(-1)).toMatchObject({ runId, status: 'failed', failedStep: 'read_buffer' });
    expect(sqlite.mornings.at(-1)).toMatchObject({ day: '2026-11-30', passed: 6, total: 10 });
    expect(postgres).toEqual(sqlite);
    expect(await stateGauges(onPostgres, t.paths)).toEqual(await stateGauges(t.config, t.paths));
  });

  it("another machine's night and morning check (its own state root, the same database) show on this machine's page with PostgreSQL, not with SQLite", async () => {
    const other = tempRoot({ storage: { url } } as never);
    try {
      const store = MetricsStore.open(other.paths.metricsDb, { clock: new FixedClock(PLAYED_NOW) });
      const publisher = RecordsPublisher.forConfig(other.config, store)!;
      const runId = 'night_20261130_150000';
      store.runs.start(runId, 'night', { status: 'open', day: '2026-11-30', version: 'v20261130_150000', pid: 2 });
      store.runs.note(runId, 'night', { status: 'nothing', exitCode: 0 });
      store.runs.finish(runId, 'night', 'done', { status: 'nothing' });
      store.validations.record({ model: 'web4-agent:other', passed: true, totalCases: 10, passedCases: 10, runAt: new Date('2026-11-30T15:30:00.000Z') });
      await publisher.close();
      store.close();
    } finally {
      other.remove();
    }
    const onPostgres = { ...t.config, storage: { ...t.config.storage, url } };
    const sqlite = await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 });
    const postgres = await buildDashboardData({ config: onPostgres, paths: t.paths, now: PLAYED_NOW, days: 7 });
    expect(postgres.nights.map((n) => n.runId)).toEqual([...sqlite.nights.map((n) => n.runId), 'night_20261130_150000']);
    expect(sqlite.mornings.at(-1)).toMatchObject({ day: '2026-11-30', passed: 6 });
    expect(postgres.mornings.at(-1)).toMatchObject({ day: '2026-11-30', model: 'web4-agent:other', passed: 10, runs: sqlite.mornings.at(-1)!.runs + 1 });
  });
});
