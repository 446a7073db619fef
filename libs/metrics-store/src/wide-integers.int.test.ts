import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { MetricsReader } from './metrics-reader.js';
import { MetricsStore } from './metrics-store.js';
import { PostgresMetricsStore } from './postgres-stores.js';
import { toQueryRow, type QueryRow } from './query-record.js';
import { tempRoot } from './test-fixtures/snapshot.js';

const NOW = new Date('2026-11-25T18:00:00.000Z');

/** A long-context day: 20,000 calls of 120,000 prompt tokens, 2.4 billion in all (past a 4-byte integer). */
function longContextDay(): QueryRow[] {
  return Array.from({ length: 20_000 }, (_, i) =>
    toQueryRow({ timestamp: new Date(Date.UTC(2026, 10, 24, 0, 0, 0, i * 4000)), latencyMs: 900, tokensIn: 120_000, tokensGenerated: 110_000, queryId: `long-${i}` }, () => NOW, 10_000),
  );
}

describe('8-byte integers on PostgreSQL (metrics migration 10)', () => {
  let server: PostgresServer;
  let root: ReturnType<typeof tempRoot>;
  beforeAll(async () => {
    root = tempRoot('web4-wide-');
    server = await sharedPostgres(inject('postgresSlot'));
  });
  afterAll(() => root?.cleanup());

  it("a day's token sums past 2^31 are stored and reported as numbers, the same as on SQLite", async () => {
    const url = server.createDatabase(`wide_${randomBytes(4).toString('hex')}`);
    const rows = longContextDay();
    const pg = await PostgresMetricsStore.open(url, { clock: { now: () => NOW } });
    for (let i = 0; i < rows.length; i += 1000) await pg.writeQueries(rows.slice(i, i + 1000));
    await pg.close();
    const sqlite = MetricsStore.open(join(root.dir, 'm.db'), { clock: { now: () => NOW } });
    for (let i = 0; i < rows.length; i += 1000) sqlite.writeQueries(rows.slice(i, i + 1000));
    sqlite.close();

    const fromPg = await MetricsReader.postgres(url);
    const fromFile = MetricsReader.sqlite(join(root.dir, 'm.db'));
    try {
      const [day] = await fromPg.summaries('2026-11-24', '2026-11-24');
      expect(day).toMatchObject({ total_queries: 20_000, tokens_in_sum: 2_400_000_000, tokens_generated_sum: 2_200_000_000 });
      expect(typeof day!.tokens_in_sum).toBe('number');
      expect(await fromPg.summaries('2026-11-24', '2026-11-24')).toEqual(await fromFile.summaries('2026-11-24', '2026-11-24'));
      expect(await fromPg.countQueries()).toBe(20_000);
    } finally {
      await fromPg.close();
      await fromFile.close();
    }
  }, 120_000);

  it('query rows keep being numbered past 2^31', async () => {
    const url = server.createDatabase(`wide_${randomBytes(4).toString('hex')}`);
    const pg = await PostgresMetricsStore.open(url, { clock: { now: () => NOW } });
    try {
      await sql`select setval(pg_get_serial_sequence('query_metrics', 'id'), 3000000000)`.execute(pg.db);
      await pg.writeQueries([toQueryRow({ timestamp: NOW, latencyMs: 5, queryId: 'past-2-31' }, () => NOW, 1000)]);
      const row = await pg.db.selectFrom('query_metrics').select('id').where('query_id', '=', 'past-2-31').executeTakeFirstOrThrow();
      expect(row.id).toBe(3_000_000_001);
    } finally {
      await pg.close();
    }
  });
});
