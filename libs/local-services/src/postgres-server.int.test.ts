import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresServer, sharedPostgres, stopSharedPostgres } from './postgres-server.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');

const asRoot = process.getuid?.() === 0;

describe('PostgresServer (a throwaway PostgreSQL in a temporary folder)', () => {
  it('starts on a free port of 127.0.0.1 with trust auth, as nobody when we are root, and stops cleanly', async () => {
    const server = await PostgresServer.start();
    const { dataDir, socketDir, port, dir } = server.record;
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${port}/postgres`);
      const pid = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
      const uid = Number(execFileSync('ps', ['-o', 'uid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
      expect(uid).toBe(asRoot ? 65534 : process.getuid?.());
      expect(server.record.runsAs).toBe(asRoot ? 'nobody' : expect.any(String));
      expect(statSync(dataDir).uid).toBe(uid);
      // The unix socket lives in the server's own folder, not in /var/run/postgresql.
      expect(existsSync(`${socketDir}/.s.PGSQL.${port}`)).toBe(true);

      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const row = (await client.query<{ user: string; collation: string; listen: string }>(
        "select current_user as user, datcollate as collation, current_setting('listen_addresses') as listen from pg_database where datname = current_database()",
      )).rows[0];
      await client.end();
      // C collation: text sorts by bytes, like SQLite.
      expect(row).toEqual({ user: 'postgres', collation: 'C', listen: '127.0.0.1' });

      const url = server.createDatabase('web4_check');
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      expect((await other.query('select current_database() as db')).rows[0]).toEqual({ db: 'web4_check' });
      await other.end();
    } finally {
      server.stop();
    }
    expect(server.running).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(PostgresServer.find(dir)).toBeUndefined();
  });
});

describe('sharedPostgres (one server per test run, started by whoever asks first)', () => {
  it('four processes asking at once get one server; stopSharedPostgres ends it and removes the slot', async () => {
    const work = mkdtempSync(join(tmpdir(), 'web4-shared-pg-test-'));
    chmodSync(work, 0o755); // as root the server runs as nobody, who must reach its folder
    const slot = join(work, 'slot');
    try {
      const script = join(work, 'ask.mts');
      writeFileSync(
        script,
        `import { sharedPostgres } from ${JSON.stringify(pathToFileURL(join(REPO, 'libs/local-services/src/postgres-server.ts')).href)};\n` +
          `const s = await sharedPostgres(${JSON.stringify(slot)});\nconsole.log(JSON.stringify({ url: s.url, pid: process.pid }));\n`,
      );
      const tsx = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const ask = () =>
        new Promise<string>((resolve, reject) =>
          execFile(process.execPath, ['--import', tsx, script], { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve((JSON.parse(stdout.trim().split('\n').at(-1)!) as { url: string }).url),
          ),
        );
      // allSettled: every asker has exited before the folder is removed, whatever happened.
      const settled = await Promise.allSettled([ask(), ask(), ask(), ask()]);
      expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
      const urls = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(new Set(urls).size).toBe(1);
      // The askers have exited; the server they share keeps running for the rest of the run.
      const server = await sharedPostgres(slot);
      expect(server.url).toBe(urls[0]);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await client.end();
      stopSharedPostgres(slot);
      expect(server.running).toBe(false);
      expect(existsSync(slot)).toBe(false);
    } finally {
      stopSharedPostgres(slot);
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('PostgresServer in a folder "nobody" cannot reach', () => {
  it.skipIf(!asRoot)('as root: fails before starting anything, saying why and what to do', async () => {
    const work = mkdtempSync(join(tmpdir(), 'web4-private-pg-test-')); // mode 0700
    try {
      mkdirSync(join(work, 'inner'));
      const error = (await PostgresServer.start({ dir: join(work, 'inner', 'server') }).then(
        (server) => {
          server.stop();
          throw new Error('the server started');
        },
        (e: unknown) => e,
      )) as Error & { hint?: string };
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/^initdb failed in .*Permission denied/s);
      expect(error.hint).toMatch(/nobody cannot reach .*a folder above it is private/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
