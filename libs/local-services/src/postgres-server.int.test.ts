import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresServer } from './postgres-server.js';

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
