import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchedWriter } from './batched-writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

function openRows(path: string, busyMs: number) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${busyMs}`);
  db.exec('CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO rows (seq, body) VALUES (?, ?)');
  const write = db.transaction((rows: { seq: number; body: string }[]) => {
    for (const r of rows) insert.run(r.seq, r.body);
  });
  return { db, write: (rows: { seq: number; body: string }[]) => write(rows) };
}

let dir: string;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'batched-writer-'));
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.removeListener('uncaughtException', onUncaught);
  rmSync(dir, { recursive: true, force: true });
});

describe('BatchedWriter on a real SQLite file', () => {
  it('keeps rows while another connection holds an exclusive lock past the busy timeout, then writes each exactly once', async () => {
    const path = join(dir, 'locked.sqlite');
    const { db, write } = openRows(path, 50);
    const writer = new BatchedWriter({ name: 'test rows', write, batchSize: 10, flushIntervalMs: 20, maxBackoffMs: 100, flushOnExit: false });
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    for (let seq = 0; seq < 35; seq++) writer.enqueue({ seq, body: `row ${seq}` });
    await sleep(600); // many timer-driven tries, each past the 50 ms busy timeout
    expect(writer.stats().failedWrites).toBeGreaterThan(1);
    expect(writer.pending).toBe(35);
    expect(() => writer.flush()).toThrow(/locked|busy/i);
    expect(uncaught).toEqual([]);
    holder.exec('COMMIT');
    holder.close();
    await until(() => writer.pending === 0);
    const seqs = db.prepare('SELECT seq FROM rows ORDER BY seq').pluck().all();
    expect(seqs).toEqual([...Array(35).keys()]);
    expect(writer.stats()).toMatchObject({ enqueued: 35, written: 35, dropped: 0 });
    expect(uncaught).toEqual([]);
    writer.close();
    db.close();
  });

  it('drops the oldest rows beyond maxPending and counts them', () => {
    const writer = new BatchedWriter<number>({ name: 'test rows', write: () => { throw new Error('disk on fire'); }, maxPending: 5, flushOnExit: false });
    for (let i = 0; i < 8; i++) writer.enqueue(i);
    expect(writer.pendingRows()).toEqual([3, 4, 5, 6, 7]);
    expect(writer.stats()).toMatchObject({ dropped: 3, pending: 5 });
    expect(() => writer.close()).toThrow('disk on fire');
  });

  describe('a full disk (a 256 KiB tmpfs)', () => {
    const mnt = join(tmpdir(), `batched-writer-tmpfs-${process.pid}`);
    let mounted = false;
    let reason = '';
    try {
      if (process.getuid?.() !== 0) throw new Error('not root');
      mkdirSync(mnt, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      reason = (error as Error).message;
    }
    afterAll(() => {
      if (mounted) execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });

    it.skipIf(!mounted)(`keeps rows while the disk is full and writes them once space is freed${mounted ? '' : ` (skipped: cannot mount tmpfs: ${reason})`}`, async () => {
      const { db, write } = openRows(join(mnt, 'full.sqlite'), 50);
      const filler = join(mnt, 'filler');
      // Fill what is left of the tmpfs.
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024));
      } catch {
        /* ENOSPC: the file holds what fitted */
      }
      const writer = new BatchedWriter({ name: 'test rows', write, batchSize: 20, flushIntervalMs: 20, maxBackoffMs: 100, flushOnExit: false });
      const body = 'x'.repeat(2000);
      for (let seq = 0; seq < 60; seq++) writer.enqueue({ seq, body });
      await sleep(400);
      expect(writer.stats().failedWrites).toBeGreaterThan(0);
      expect(writer.pending).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
      rmSync(filler);
      await until(() => writer.pending === 0);
      expect(db.prepare('SELECT seq FROM rows ORDER BY seq').pluck().all()).toEqual([...Array(60).keys()]);
      writer.close();
      db.close();
    });
  });

  it('kill -9 between enqueue and flush loses only a suffix, within the documented bound', async () => {
    const path = join(dir, 'killed.sqlite');
    const script = join(dir, 'child.ts');
    const batchSize = 50;
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import Database from ${JSON.stringify(join(repo, 'node_modules/better-sqlite3/lib/index.js'))};
import { BatchedWriter } from ${JSON.stringify(join(here, 'batched-writer.ts'))};
const db = new Database(${JSON.stringify(path)});
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO rows (seq, body) VALUES (?, ?)');
const write = db.transaction((rows) => { for (const r of rows) insert.run(r.seq, r.body); });
const writer = new BatchedWriter({ name: 'child rows', write, batchSize: ${batchSize}, flushIntervalMs: 100 });
let seq = 0;
setInterval(() => { for (let i = 0; i < 5; i++) { writer.enqueue({ seq, body: 'row' }); seq++; writeSync(1, seq + '\\n'); } }, 1);
`,
    );
    const child = spawn(join(repo, 'node_modules/.bin/tsx'), [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let enqueued = 0;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      if (lines.length) enqueued = Number(lines[lines.length - 1]);
    });
    await until(() => enqueued > 2000, 20_000);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const db = new Database(path, { readonly: true });
    const seqs = db.prepare('SELECT seq FROM rows ORDER BY seq').pluck().all() as number[];
    db.close();
    expect(seqs).toEqual([...Array(seqs.length).keys()]); // a prefix
    const lost = enqueued - seqs.length;
    // The child enqueues ~5 rows per ms, faster than flushIntervalMs fills: a full batch is
    // written on the next event-loop turn, so at most about one batch is unwritten.
    expect(lost).toBeLessThanOrEqual(batchSize * 2);
    expect(seqs.length).toBeGreaterThan(0);
  }, 30_000);
});
