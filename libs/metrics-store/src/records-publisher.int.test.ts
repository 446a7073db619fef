import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, createLogger, FixedClock } from '@web4/core';
import { freePort, sharedPostgres, type PostgresServer } from '@web4/local-services';
import { copyToPostgres } from '@web4/storage';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { MetricsReader } from './metrics-reader.js';
import { MetricsStore } from './metrics-store.js';
import { RecordsPublisher } from './records-publisher.js';
import type { StoredValidation } from './validation-log.js';
import { tempRoot } from './test-fixtures/snapshot.js';

/** Two nights (one failed at its third step, one complete) and three morning checks, as the jobs write them. */
function writeJournal(store: MetricsStore, tag: string): void {
  for (const [i, fail] of [[1, true], [2, false]] as const) {
    const runId = `night_2026112${i}_22000${tag}`;
    store.runs.start(runId, 'night', { status: 'open', day: `2026-11-2${i}` });
    for (const step of ['read_buffer', 'samples', 'train']) {
      store.runs.start(runId, step);
      store.runs.finish(runId, step, fail && step === 'train' ? 'failed' : 'done', { step, machine: tag });
    }
    store.runs.note(runId, 'night', { status: fail ? 'failed' : 'complete' });
    store.runs.finish(runId, 'night', fail ? 'failed' : 'done');
  }
  for (const day of [22, 23, 24]) {
    store.validations.record({ model: `web4-agent-${tag}`, passed: day !== 23, totalCases: 4, passedCases: day === 23 ? 1 : 4, runAt: new Date(`2026-11-${day}T09:00:00.000Z`), details: { day } });
  }
}

const withoutId = (v: StoredValidation) => ({ ...v, id: 0 });

describe('RecordsPublisher: the run journal and morning checks into PostgreSQL', () => {
  let server: PostgresServer;
  let root: ReturnType<typeof tempRoot>;
  const clock = new FixedClock('2026-11-24T10:00:00.000Z');
  beforeAll(async () => {
    root = tempRoot('web4-publish-');
    server = await sharedPostgres(inject('postgresSlot'));
  });
  afterAll(() => root?.cleanup());

  const freshDatabase = () => server.createDatabase(`publish_${randomBytes(4).toString('hex')}`);

  it('publishes each write as it happens; the readers on PostgreSQL then see what the file holds', async () => {
    const url = freshDatabase();
    const store = MetricsStore.open(join(root.dir, 'a.db'), { clock });
    const publisher = new RecordsPublisher(store, url);
    writeJournal(store, 'a');
    await publisher.close(); // waits for the publishes the writes started
    store.close();
    expect(publisher.lastError).toBeUndefined();

    const local = MetricsReader.sqlite(join(root.dir, 'a.db'));
    const shared = await MetricsReader.postgres(url);
    try {
      const runs = await local.recentRuns(10, 'night_');
      expect(runs).toHaveLength(2);
      expect(runs.flatMap((r) => r.steps)).toHaveLength(8);
      expect(await shared.recentRuns(10, 'night_')).toEqual(runs);
      const since = new Date('2026-11-01T00:00:00Z');
      expect((await local.validationsSince(since)).length).toBe(3);
      expect((await shared.validationsSince(since)).map(withoutId)).toEqual((await local.validationsSince(since)).map(withoutId));
      expect(withoutId((await shared.validationBefore(new Date('2026-11-24T00:00:00Z')))!)).toEqual(withoutId((await local.validationBefore(new Date('2026-11-24T00:00:00Z')))!));
    } finally {
      await local.close();
      await shared.close();
    }
  });

  it('two state roots into one database: both journals there, and publishing again adds nothing', async () => {
    const url = freshDatabase();
    for (const tag of ['a', 'b']) {
      const store = MetricsStore.open(join(root.dir, `two-${tag}.db`), { clock });
      const publisher = new RecordsPublisher(store, url);
      writeJournal(store, tag);
      await publisher.close();
      store.close();
    }
    // A later process reconciles the whole file: everything is there already.
    const again = MetricsStore.open(join(root.dir, 'two-a.db'), { clock });
    const publisher = new RecordsPublisher(again, url);
    expect(await publisher.publishNow()).toEqual({ runs: 0, validations: 0 });
    await publisher.close();
    again.close();

    const shared = await MetricsReader.postgres(url);
    try {
      const runs = await shared.recentRuns(10, 'night_');
      expect(runs.map((r) => r.runId).sort()).toEqual(['night_20261121_22000a', 'night_20261121_22000b', 'night_20261122_22000a', 'night_20261122_22000b']);
      const checks = await shared.validationsSince(new Date('2026-11-01T00:00:00Z'));
      expect(checks).toHaveLength(6);
      expect(new Set(checks.map((c) => c.model))).toEqual(new Set(['web4-agent-a', 'web4-agent-b']));
    } finally {
      await shared.close();
    }
  });

  it('PostgreSQL unreachable: the writes succeed, a warning is logged once, and the next process publishes everything', async () => {
    const file = join(root.dir, 'down.db');
    const logFile = join(root.dir, 'down.log');
    const deadUrl = `postgres://web4@127.0.0.1:${await freePort()}/web4`;
    const store = MetricsStore.open(file, { clock });
    const logger = createLogger({ file: logFile, console: false, sync: true, level: 'info' });
    const down = new RecordsPublisher(store, deadUrl, logger);
    writeJournal(store, 'd'); // 16 writes, each scheduling a publish that fails
    await expect(down.publishNow()).rejects.toBeInstanceOf(ConfigError);
    expect(down.lastError).toBeInstanceOf(ConfigError);
    expect(await down.close()).toBeUndefined();
    const warnings = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('Could not publish the run journal and morning checks to PostgreSQL'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    // Nothing lost: the file has it all.
    expect(store.runs.runIds(10, 'night_')).toHaveLength(2);

    const url = freshDatabase();
    const up = new RecordsPublisher(store, url);
    store.runs.note('night_20261122_22000d', 'night', { seenBy: 'the next run' });
    await up.close();
    store.close();
    const shared = await MetricsReader.postgres(url);
    try {
      expect((await shared.recentRuns(10, 'night_')).flatMap((r) => r.steps)).toHaveLength(8);
      expect((await shared.runSteps('night_20261122_22000d')).find((s) => s.step === 'night')?.details).toMatchObject({ status: 'complete', seenBy: 'the next run' });
      expect(await shared.validationsSince(new Date('2026-11-01T00:00:00Z'))).toHaveLength(3);
    } finally {
      await shared.close();
    }
  });

  it('after `storage copy` (rows from before uids included), publishing adopts the copied rows instead of adding them twice', async () => {
    const file = join(root.dir, 'copied.db');
    const store = MetricsStore.open(file, { clock });
    writeJournal(store, 'c');
    store.close();
    // A row recorded before migration 9 has no uid.
    const raw = new BetterSqlite3(file);
    raw.prepare('update validations set uid = null where id = 1').run();
    raw.close();

    const url = freshDatabase();
    const copied = await copyToPostgres({
      url,
      sources: [
        { name: 'metrics', file, migrations: metricsMigrations, setting: 'paths.metricsDb' },
        { name: 'feedback', file: join(root.dir, 'copied-feedback.db'), migrations: feedbackMigrations, setting: 'paths.feedbackDb' },
      ],
    });
    expect(copied.verified).toBe(true);

    const again = MetricsStore.open(file, { clock });
    const publisher = new RecordsPublisher(again, url);
    again.validations.record({ model: 'web4-agent-c', passed: true, totalCases: 4, passedCases: 4, runAt: new Date('2026-11-25T09:00:00.000Z') });
    await publisher.close();
    const uids = (again.file.allNow(again.file.db.selectFrom('validations').select('uid').orderBy('id')) as Array<{ uid: string | null }>).map((r) => r.uid);
    again.close();
    expect(uids.every((u) => typeof u === 'string' && u.length === 36)).toBe(true);

    const shared = await MetricsReader.postgres(url);
    try {
      const checks = await shared.validationsSince(new Date('2026-11-01T00:00:00Z'));
      expect(checks).toHaveLength(4);
      const stored = await shared.db.selectFrom('validations').select('uid').orderBy('id').execute();
      expect(stored.map((r) => r.uid)).toEqual(uids);
      expect(await shared.recentRuns(10, 'night_')).toHaveLength(2);
    } finally {
      await shared.close();
    }
  });

  it('one nightly loop per database: a run id another state root published is not overwritten, and the publisher says so once', async () => {
    const url = freshDatabase();
    const runId = 'night_20261125_220000'; // two training machines whose cron started the night in the same second
    const first = MetricsStore.open(join(root.dir, 'same-1.db'), { clock });
    const firstPublisher = new RecordsPublisher(first, url);
    first.runs.start(runId, 'night', { status: 'open', machine: 1 });
    first.runs.finish(runId, 'night', 'done', { status: 'complete' });
    await firstPublisher.close();
    first.close();

    const logFile = join(root.dir, 'same-2.log');
    const second = MetricsStore.open(join(root.dir, 'same-2.db'), { clock });
    const secondPublisher = new RecordsPublisher(second, url, createLogger({ file: logFile, console: false, sync: true, level: 'info' }));
    second.runs.start(runId, 'night', { status: 'open', machine: 2 });
    second.runs.start(runId, 'read_buffer');
    second.runs.finish(runId, 'read_buffer', 'done');
    second.runs.finish(runId, 'night', 'failed', { status: 'failed' });
    await secondPublisher.close();
    second.close();

    const errors = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('was already published'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(firstPublisher.origin);
    expect(errors[0]).toContain(secondPublisher.origin);
    expect(firstPublisher.origin).not.toBe(secondPublisher.origin);
    const shared = await MetricsReader.postgres(url);
    try {
      const steps = await shared.runSteps(runId);
      expect(steps.find((s) => s.step === 'night')).toMatchObject({ status: 'done', details: { status: 'complete', machine: 1 } });
      // Left out whole: not even the second machine's step that had no row there yet.
      const origins = await shared.db.selectFrom('runs').select(['step', 'origin']).where('run_id', '=', runId).orderBy('id').execute();
      expect(origins).toEqual([{ step: 'night', origin: firstPublisher.origin }]);
    } finally {
      await shared.close();
    }
  });
});
