import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InputError, StorageError } from '@web4/core';
import { PostgresServer, sharedPostgres } from '@web4/local-services';
import { copyToPostgres, type CopyProgress } from './copy.js';
import type { Migration } from './migration.js';
import { autoIncrementKey, float8 } from './portable-columns.js';
import { SqliteFile } from './sqlite-file.js';

let server: PostgresServer;
let dir: string;
beforeAll(async () => {
  server = await sharedPostgres(inject('postgresSlot'));
  dir = mkdtempSync(join(tmpdir(), 'web4-copy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const notes: Migration = {
  version: 1,
  name: 'notes',
  up: (db) => [
    db.schema.createTable('notes').addColumn('id', 'integer', autoIncrementKey(db)).addColumn('body', 'text', (c) => c.notNull()).addColumn('score', float8(db)),
    // A text key: its order must be the same byte order on both sides whatever the database's collation.
    db.schema.createTable('tags').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('uses', 'integer', (c) => c.notNull()),
  ],
};
const TAGS = ['a', 'B', 'b', 'Z', '_x', 'é', 'e', 'E', 'ß', '10', '9', 'a b', 'a-b', 'ab', '日本', 'Ω'];

interface NotesDb {
  notes: { id?: number; body: string; score: number | null };
  tags: { name: string; uses: number };
}

function sourceFile(name: string, notesCount: number): SqliteFile<NotesDb> {
  const file = SqliteFile.open<NotesDb>(join(dir, `${name}.db`), [notes]);
  for (let i = 0; i < notesCount; i++) file.runNow(file.db.insertInto('notes').values({ body: `note ${i} ✓`, score: i % 4 === 0 ? null : i / 7 }));
  TAGS.forEach((name, i) => file.runNow(file.db.insertInto('tags').values({ name, uses: i })));
  return file;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('copyToPostgres', () => {
  it('stopped between batches, resumed, then again after the source grew: each row once, text keys in byte order, verified', async () => {
    const source = sourceFile(`grow-${randomBytes(3).toString('hex')}`, 95);
    const url = server.createDatabase(`copy_${randomBytes(4).toString('hex')}`);
    const sources = [{ name: 'notes', file: source.path, migrations: [notes] }];
    let batches = 0;
    const first = await copyToPostgres({ url, sources, batchSize: 10, shouldStop: () => ++batches === 3 });
    expect(first).toMatchObject({ interrupted: true, verified: false });
    expect(await query(url, 'select count(*)::int as n from notes.notes')).toEqual([{ n: 30 }]);

    const progress: CopyProgress[] = [];
    const second = await copyToPostgres({ url, sources, batchSize: 4, onProgress: (p) => progress.push(p) });
    expect(second.verified).toBe(true);
    expect(second.databases[0]!.resumed).toBe(true);
    expect(second.databases[0]!.tables.map((t) => [t.table, t.copiedNow, t.targetRows])).toEqual([['notes', 65, 95], ['tags', TAGS.length, TAGS.length]]);
    expect(progress.filter((p) => p.table === 'notes').at(-1)).toEqual({ schema: 'notes', table: 'notes', copied: 95, total: 95, done: true });
    // Batches of 4 over text keys resumed by "> last key": every tag once.
    expect((await query<{ name: string }>(url, 'select name from notes.tags order by name collate "C"')).map((r) => r.name)).toEqual([...TAGS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));

    source.runNow(source.db.insertInto('notes').values({ body: 'written after the copy', score: 1e-300 }));
    const third = await copyToPostgres({ url, sources });
    expect(third.verified).toBe(true);
    expect(third.databases[0]!.tables[0]).toMatchObject({ copiedNow: 1, sourceRows: 96, targetRows: 96 });
    source.close();
  });

  it('the server stopped mid-copy: exit-2 error (cannot reach it); started again, the copy resumes and ends with each row once', async () => {
    const own = await PostgresServer.start();
    try {
      const source = sourceFile(`lost-${randomBytes(3).toString('hex')}`, 80);
      const url = own.createDatabase('lost');
      const sources = [{ name: 'notes', file: source.path, migrations: [notes] }];
      let batches = 0;
      const lost = copyToPostgres({
        url,
        sources,
        batchSize: 10,
        // After the third batch committed, the server goes away (fast shutdown, cluster kept).
        shouldStop: () => {
          if (++batches === 3) own.stop({ keep: true });
          return false;
        },
      });
      await expect(lost).rejects.toThrow(InputError);
      await expect(lost).rejects.toThrow(/Cannot reach the PostgreSQL server of --to/);
      const back = await PostgresServer.start({ dir: own.record.dir, port: own.record.port });
      expect(await query(url, 'select count(*)::int as n from notes.notes')).toEqual([{ n: 30 }]);
      const resumed = await copyToPostgres({ url, sources, batchSize: 10 });
      expect(resumed.verified).toBe(true);
      expect(resumed.databases[0]!.tables[0]).toMatchObject({ copiedNow: 50, sourceRows: 80, targetRows: 80 });
      expect((await query<{ id: number }>(url, 'select id from notes.notes order by id')).map((r) => r.id)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      back.stop();
      source.close();
    } finally {
      own.stop();
    }
  });

  it('a changed source row after it was copied, or a row deleted from the target, is named by its key', async () => {
    const source = sourceFile(`change-${randomBytes(3).toString('hex')}`, 20);
    const url = server.createDatabase(`copy_${randomBytes(4).toString('hex')}`);
    const sources = [{ name: 'notes', file: source.path, migrations: [notes] }];
    expect((await copyToPostgres({ url, sources })).verified).toBe(true);
    source.runNow(source.db.updateTable('tags').set({ uses: 99 }).where('name', '=', 'é'));
    await query(url, 'delete from notes.notes where id = 7');
    const after = await copyToPostgres({ url, sources });
    expect(after.verified).toBe(false);
    expect(after.databases[0]!.tables.map((t) => [t.table, t.firstDifference])).toEqual([
      ['notes', { key: '7', what: 'missing in the target' }],
      ['tags', { key: 'é', what: 'values differ' }],
    ]);
    source.close();
  });

  it('a text with a NUL character (SQLite keeps it, PostgreSQL text cannot) stops the copy naming the row; fixed in the file, the copy resumes', async () => {
    const source = sourceFile(`nul-${randomBytes(3).toString('hex')}`, 30);
    source.runNow(source.db.updateTable('notes').set({ body: 'before\u0000after' }).where('id', '=', 13));
    const url = server.createDatabase(`copy_${randomBytes(4).toString('hex')}`);
    const sources = [{ name: 'notes', file: source.path, migrations: [notes] }];
    const failed = copyToPostgres({ url, sources, batchSize: 5 });
    await expect(failed).rejects.toThrow(StorageError);
    await expect(failed).rejects.toThrow(/: notes row id = 13 has a NUL character in body, which PostgreSQL text cannot hold/);
    expect(await query(url, 'select count(*)::int as n from notes.notes')).toEqual([{ n: 10 }]);
    source.runNow(source.db.updateTable('notes').set({ body: 'before after' }).where('id', '=', 13));
    const resumed = await copyToPostgres({ url, sources, batchSize: 5 });
    expect(resumed.verified).toBe(true);
    expect(resumed.databases[0]!.tables[0]).toMatchObject({ copiedNow: 20, targetRows: 30 });
    source.close();
  });

  it('a target holding the copy of another file is refused, nothing changed', async () => {
    const url = server.createDatabase(`copy_${randomBytes(4).toString('hex')}`);
    const a = sourceFile(`a-${randomBytes(3).toString('hex')}`, 5);
    const b = sourceFile(`b-${randomBytes(3).toString('hex')}`, 5);
    expect((await copyToPostgres({ url, sources: [{ name: 'notes', file: a.path, migrations: [notes] }] })).verified).toBe(true);
    const before = await query(url, 'select * from notes.storage_copy order by table_name');
    const refused = copyToPostgres({ url, sources: [{ name: 'notes', file: b.path, migrations: [notes] }] });
    await expect(refused).rejects.toThrow(StorageError);
    await expect(refused).rejects.toThrow(/already holds a copy of another file .*a-[0-9a-f]+\.db\), not of .*b-[0-9a-f]+\.db: refusing to merge two histories/);
    expect(await query(url, 'select * from notes.storage_copy order by table_name')).toEqual(before);
    a.close();
    b.close();
  });
});
