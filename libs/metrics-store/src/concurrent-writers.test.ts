import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from './metrics-store.js';
import { metricsMigrations } from './migrations/metrics/index.js';
import { LOG_QUERIES, runTs } from './test-fixtures/process.js';
import { tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

describe('several processes writing one database', () => {
  it('8 processes × 10,000 queries into a fresh database lose none, and the rollups agree', async () => {
    const dbPath = join(root.dir, 'logs', 'production_metrics.db');
    // All eight open the not-yet-existing file at once: migrations race too.
    const runs = Array.from({ length: 8 }, (_, w) => runTs(LOG_QUERIES, [dbPath, '10000', String(w), 'close']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });

    const db = new BetterSqlite3(dbPath, { readonly: true });
    const perWorker = db.prepare('select query_type, count(*) as n, count(distinct tokens_generated) as distinct_i from query_metrics group by query_type order by query_type').all();
    const summed = db.prepare('select sum(total_queries) as n from daily_summary').get() as { n: number };
    const migrations = db.prepare('select count(*) as n from schema_migrations').get() as { n: number };
    db.close();
    expect(perWorker).toEqual(Array.from({ length: 8 }, (_, w) => ({ query_type: `worker-${w}`, n: 10_000, distinct_i: 10_000 })));
    expect(summed.n).toBe(80_000);
    expect(migrations.n).toBe(metricsMigrations.length);

    const store = MetricsStore.open(dbPath);
    expect(store.countQueries()).toBe(80_000);
    store.close();
  }, 120_000);
});
