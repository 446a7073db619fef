import { FixedClock, InputError, StorageError, configSchema } from '@web4/core';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { FeedbackStore } from './feedback-store.js';
import { MetricsStore } from './metrics-store.js';
import { QueryLogger } from './query-logger.js';
import { buildQueryTypesReport } from './query-types-report.js';
import { LOG_QUERIES, runTs } from './test-fixtures/process.js';
import { snapshotRows, tempRoot } from './test-fixtures/snapshot.js';
/** Root runs the permission check as "nobody", which must be able to reach this checkout (tools/test/as-nobody.ts). */
const cannotRunAsNobody = inject('asNobodyBlocked') !== '';

const clock = new FixedClock('2026-11-25T12:00:00Z');
const targets = configSchema.parse({}).monitoring.targets;
let root: ReturnType<typeof tempRoot>;
let metricsDb: string;
let feedbackDb: string;

/** A state root with real rows in both databases, so "no row lost or changed" means something. */
beforeEach(() => {
  root = tempRoot();
  metricsDb = join(root.dir, 'logs', 'production_metrics.db');
  feedbackDb = join(root.dir, 'logs', 'user_feedback.db');
  const logger = QueryLogger.open(metricsDb, { clock, flushOnExit: false });
  for (let i = 0; i < 500; i++) logger.log({ timestamp: new Date(Date.parse('2026-11-24T00:00:00Z') + i * 60_000), latencyMs: 100 + i, usedTools: i % 2 === 0 });
  logger.close();
  const feedback = FeedbackStore.open(feedbackDb, { clock });
  feedback.add({ query: 'How do I roll back?', response: 'web4 model rollback', rating: 'up' });
  feedback.add({ query: 'Why slow?', response: '…', rating: 'down', comment: 'took 9 s' });
  feedback.close();
});
afterEach(() => {
  chmodSync(join(root.dir, 'logs'), 0o755);
  root.cleanup();
});

function snapshotBoth(): unknown {
  return { metrics: snapshotRows(metricsDb), feedback: snapshotRows(feedbackDb) };
}

describe('bad input and faults: a clear error, no row lost or changed', () => {
  it('a file that is not SQLite at the database path: StorageError naming the file, file untouched', () => {
    const bogus = join(root.dir, 'logs', 'not_sqlite.db');
    writeFileSync(bogus, 'timestamp,latency\n2026-11-25,120\n'.repeat(500));
    const bytes = readFileSync(bogus);
    for (const open of [() => MetricsStore.open(bogus), () => FeedbackStore.open(bogus), () => QueryLogger.open(bogus)]) {
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).message).toContain(`${bogus} is not a SQLite database or is corrupt`);
      expect((error as StorageError).hint).toContain(`mv "${bogus}" "${bogus}.corrupt"`);
      expect((error as StorageError).exitCode).toBe(3);
    }
    expect(Buffer.compare(readFileSync(bogus), bytes)).toBe(0);
    expect(existsSync(`${bogus}-wal`)).toBe(false);
  });

  it('a SQLite file with damaged pages: reads and writes fail with StorageError and the file is not modified', () => {
    const fd = openSync(metricsDb, 'r+');
    const junk = Buffer.alloc(4096 * 4, 0xab);
    writeSync(fd, junk, 0, junk.length, 4096 * 2);
    closeSync(fd);
    const bytes = readFileSync(metricsDb);
    const store = MetricsStore.open(metricsDb, { clock });
    expect(() => store.countQueries()).toThrow(/is not a SQLite database or is corrupt/);
    const logger = new QueryLogger(store, { flushOnExit: false });
    logger.log({ latencyMs: 10 });
    expect(() => logger.close()).toThrow(StorageError);
    store.close();
    expect(Buffer.compare(readFileSync(metricsDb), bytes)).toBe(0);
  });

  it.skipIf(cannotRunAsNobody)('a read-only logs directory: the writer exits with a StorageError naming the directory, rows unchanged', async () => {
    const before = snapshotBoth();
    chmodSync(root.dir, 0o755); // let the unprivileged user reach it
    chmodSync(join(root.dir, 'logs'), 0o555);
    // root ignores permission bits, so as root the writer runs as "nobody" (a real user without write access).
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env: { HOME: root.dir } } : {};
    const result = await runTs(LOG_QUERIES, [metricsDb, '100', '9', 'close'], asUser).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`its directory ${join(root.dir, 'logs')} is not writable`);
    expect(result.stderr).toContain('chmod u+w');
    chmodSync(join(root.dir, 'logs'), 0o755);
    expect(snapshotBoth()).toEqual(before);
  });

  it('a date that does not parse: InputError showing the expected form', () => {
    const before = snapshotBoth();
    const store = MetricsStore.open(metricsDb, { clock });
    const logger = new QueryLogger(store, { flushOnExit: false });
    expect(() => buildQueryTypesReport(store, '2026-02-30', targets)).toThrow(InputError);
    expect(() => buildQueryTypesReport(store, 'last tuesday', targets)).toThrow(/YYYY-MM-DD/);
    expect(() => logger.log({ latencyMs: 5, timestamp: '25/11/2026 10:00' })).toThrow(/timestamp "25\/11\/2026 10:00" does not parse/);
    logger.close();
    store.close();
    expect(snapshotBoth()).toEqual(before);
  });

  it('a negative latency: InputError naming latencyMs, nothing queued', () => {
    const before = snapshotBoth();
    const logger = QueryLogger.open(metricsDb, { clock, flushOnExit: false });
    let error: unknown;
    try {
      logger.log({ latencyMs: -120 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('latencyMs must be a finite number of milliseconds ≥ 0, got -120.');
    expect(logger.pending).toBe(0);
    logger.close();
    expect(snapshotBoth()).toEqual(before);
  });

  it('a 10 MB query text: InputError naming the field and the limit, for feedback and for error context', () => {
    const before = snapshotBoth();
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const feedback = FeedbackStore.open(feedbackDb, { clock, maxTextBytes: 1_000_000 });
    expect(() => feedback.add({ query: huge, response: 'ok', rating: 'up' })).toThrow('query is 10.0 MiB, over the limit of 976.6 KiB.');
    expect(() => feedback.add({ query: 'q', response: huge, rating: 'up' })).toThrow(/^response is 10.0 MiB/);
    feedback.close();
    const logger = QueryLogger.open(metricsDb, { clock, flushOnExit: false, maxTextBytes: 1_000_000 });
    expect(() => logger.log({ latencyMs: 1, error: 'failed', errorContext: { query: huge } })).toThrow(/errorContext is 10.0 MiB/);
    logger.close();
    expect(snapshotBoth()).toEqual(before);
  });

  it('a rating other than up/down: InputError listing the accepted values', () => {
    const before = snapshotBoth();
    const feedback = FeedbackStore.open(feedbackDb, { clock });
    for (const rating of ['sideways', '', '5', 'UPP']) {
      expect(() => feedback.add({ query: 'q', response: 'r', rating })).toThrow(`Rating "${rating}" is not one of up, down.`);
    }
    expect(feedback.add({ query: 'q', response: 'r', rating: 'UP' })).toBe(3); // case-insensitive is fine
    feedback.close();
    const after = snapshotBoth() as { feedback: { feedback: unknown[] } };
    const expected = before as { feedback: { feedback: unknown[] } };
    expect(after.feedback.feedback.slice(0, 2)).toEqual(expected.feedback.feedback);
    expect(after.feedback.feedback).toHaveLength(3);
  });
});
