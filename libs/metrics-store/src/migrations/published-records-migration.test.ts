import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from '../metrics-store.js';
import type { MetricsDatabase } from '../schema/metrics-database.js';
import { SqliteFile } from '../sqlite-file.js';
import { snapshotRows, tempRoot } from '../test-fixtures/snapshot.js';
import { metricsMigrations } from './metrics/index.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

describe('metrics migration 9 (published records)', () => {
  it('upgrades a database at version 8: its validations kept with a null uid; a new check gets a UUID, and two checks never share one', () => {
    const path = join(root.dir, 'production_metrics.db');
    SqliteFile.open<MetricsDatabase>(path, metricsMigrations.filter((m) => m.version <= 8)).close();
    const db8 = new BetterSqlite3(path);
    db8.exec(`insert into validations (run_at, model, passed, score, total_cases, passed_cases, details) values ('2026-11-20T09:00:00.000Z', 'web4-agent:latest', 1, 90, 10, 9, '{}')`);
    db8.close();
    const before = snapshotRows(path).validations as object[];

    const store = MetricsStore.open(path);
    store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 10, passedCases: 10, runAt: new Date('2026-11-21T09:00:00.000Z') });
    store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 10, passedCases: 10, runAt: new Date('2026-11-21T09:00:00.000Z') });
    store.close();
    const after = snapshotRows(path);
    expect((after.schema_migrations as Array<{ version: number; name: string }>).find((m) => m.version === 9)).toMatchObject({ version: 9, name: 'published_records' });
    const rows = after.validations as Array<{ uid: string | null }>;
    expect(rows[0]).toEqual({ ...before[0], uid: null });
    expect(rows.slice(1).map((r) => r.uid)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    expect(rows[1]!.uid).not.toBe(rows[2]!.uid);
    // The index refuses a second row with the same uid.
    const db = new BetterSqlite3(path);
    expect(() => db.prepare(`insert into validations (run_at, model, passed, total_cases, passed_cases, uid) values ('x', 'm', 1, 1, 1, ?)`).run(rows[1]!.uid)).toThrow(/UNIQUE/);
    db.close();
  });
});
