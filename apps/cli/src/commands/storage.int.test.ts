import BetterSqlite3 from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sharedPostgres, type PostgresServer } from '@web4/local-services';
import { metricsMigrations } from '@web4/metrics-store';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const roots: string[] = [];
const newRoot = () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-cli-storage-'));
  roots.push(dir);
  return dir;
};
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

const env: NodeJS.ProcessEnv = { ...process.env };
delete env.WEB4_STORAGE__URL;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown> & { databases: Array<Record<string, unknown>> };
}
/** Run the CLI without blocking the worker. */
function web4(root: string, args: string[], storageUrl?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'tools/web4.mjs'), '--root', root, ...args],
      { encoding: 'utf8', env: { ...env, ...(storageUrl ? { WEB4_STORAGE__URL: storageUrl } : {}) }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
      },
    );
  });
}

/** The metrics list's newest version and all its steps (not pinned: a new migration must not break these tests). */
const LATEST = Math.max(...metricsMigrations.map((m) => m.version));
const ALL_STEPS = metricsMigrations.map((m) => m.version).sort((a, b) => a - b);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const states = (r: Run) => r.json().databases.map((d) => [d.name, d.dialect, d.state]);

describe('web4 storage on the embedded SQLite files', () => {
  it('status lists each file with its version and pending steps (exit 1), migrate applies them (exit 0), then status is clean (exit 0)', async () => {
    const root = newRoot();
    const before = await web4(root, ['storage', 'status', '--json']);
    expect(before.code, before.stderr).toBe(1);
    expect(before.json().dialect).toBe('sqlite');
    expect(states(before)).toEqual([
      ['metrics', 'sqlite', 'missing'],
      ['feedback', 'sqlite', 'missing'],
      ['graph', 'sqlite', 'missing'],
      ['metadata', 'sqlite', 'missing'],
    ]);
    expect(before.json().databases[0]).toMatchObject({ location: join(root, 'logs/production_metrics.db'), version: 0, latest: LATEST });
    expect((before.json().databases[1]!.pending as unknown[])).toEqual([{ version: 1, name: 'feedback' }, { version: 2, name: 'feedback_query_id' }]);

    const text = await web4(root, ['storage', 'migrate']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('storage: sqlite (files under the state root)');
    expect(text.stdout).toContain('… metrics: applying 8 gateway_fields');
    expect(text.stdout).toMatch(/✓ feedback sqlite .*user_feedback\.db\n {4}version 0 → 2 \(2 applied\)/);

    const after = await web4(root, ['storage', 'status', '--json']);
    expect(after.code).toBe(0);
    expect(states(after).map((s) => s[2])).toEqual(['current', 'current', 'current', 'current']);
    const again = await web4(root, ['storage', 'migrate', '--json']);
    expect(again.code).toBe(0);
    expect(again.json().databases.map((d) => (d.applied as unknown[]).length)).toEqual([0, 0, 0, 0]);
  });

  it('a file written by a newer web4: status says so (exit 3), migrate refuses it (exit 3) and it stays byte-identical', async () => {
    const root = newRoot();
    expect((await web4(root, ['storage', 'migrate'])).code).toBe(0);
    const file = join(root, 'logs/user_feedback.db');
    const db = new BetterSqlite3(file);
    db.prepare("INSERT INTO schema_migrations VALUES (3, 'from_the_future', '2027-01-01T00:00:00Z')").run();
    db.close();
    const before = sha256(file);
    const status = await web4(root, ['storage', 'status', '--json']);
    expect(status.code).toBe(3);
    expect(status.json().databases[1]).toMatchObject({ name: 'feedback', state: 'newer', version: 3, latest: 2 });
    const migrate = await web4(root, ['storage', 'migrate']);
    expect(migrate.code).toBe(3);
    expect(migrate.stderr).toContain(`The feedback database ${file} was written by a newer version of web4: its schema is at version 3 (from_the_future), and this program knows versions up to 2. Nothing in it was changed.`);
    expect(sha256(file)).toBe(before);
  });
});

describe('web4 storage on PostgreSQL (storage.url)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await sharedPostgres(inject('postgresSlot'));
  });

  it('status shows the records in the database (exit 1 until migrated); two migrate processes at once apply each step once; then status is clean', async () => {
    const root = newRoot();
    const url = server.createDatabase(`cli_${randomBytes(4).toString('hex')}`);
    const before = await web4(root, ['storage', 'status', '--json'], url);
    expect(before.code, before.stderr).toBe(1);
    expect(before.json()).toMatchObject({ dialect: 'postgres', url });
    expect(states(before)).toEqual([
      ['metrics', 'postgres', 'missing'],
      ['feedback', 'postgres', 'missing'],
      ['graph', 'sqlite', 'missing'],
      ['metadata', 'sqlite', 'missing'],
    ]);
    expect(before.json().databases[0]!.location).toBe(`${url} (schema metrics)`);

    const [a, b] = await Promise.all([web4(root, ['storage', 'migrate', '--json'], url), web4(root, ['storage', 'migrate', '--json'], url)]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const applied = (r: Run, name: string) => (r.json().databases.find((d) => d.name === name)!.applied as Array<{ version: number }>).map((s) => s.version);
    expect([...applied(a, 'metrics'), ...applied(b, 'metrics')].sort((x, y) => x - y)).toEqual(ALL_STEPS);
    expect([...applied(a, 'feedback'), ...applied(b, 'feedback')].sort()).toEqual([1, 2]);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const recorded = (await client.query<{ version: number }>('select version from metrics.schema_migrations order by version')).rows.map((r) => r.version);
    await client.end();
    expect(recorded).toEqual(ALL_STEPS);

    const after = await web4(root, ['storage', 'status'], url);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain(`✓ metrics  postgres ${url} (schema metrics)\n    version ${LATEST} of ${LATEST}, up to date`);
  });

  it('a database stamped by a newer web4: status exit 3, migrate refused (exit 3) and nothing in it changes', async () => {
    const root = newRoot();
    const url = server.createDatabase(`cli_${randomBytes(4).toString('hex')}`);
    expect((await web4(root, ['storage', 'migrate'], url)).code).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("insert into metrics.schema_migrations values ($1, 'from_the_future', '2027-01-01T00:00:00Z')", [LATEST + 1]);
    const tables = async () => (await client.query("select table_schema, table_name from information_schema.tables where table_schema in ('metrics', 'feedback') order by 1, 2")).rows;
    const before = { tables: await tables(), versions: (await client.query('select * from metrics.schema_migrations order by version')).rows };
    try {
      const status = await web4(root, ['storage', 'status', '--json'], url);
      expect(status.code).toBe(3);
      expect(status.json().databases[0]).toMatchObject({ name: 'metrics', state: 'newer', version: LATEST + 1, latest: LATEST });
      const migrate = await web4(root, ['storage', 'migrate'], url);
      expect(migrate.code).toBe(3);
      expect(migrate.stderr).toContain(`The metrics records in ${url} (schema metrics) were written by a newer version of web4: the schema is at version ${LATEST + 1} (from_the_future), and this program knows versions up to ${LATEST}. Nothing in it was changed.`);
      expect({ tables: await tables(), versions: (await client.query('select * from metrics.schema_migrations order by version')).rows }).toEqual(before);
    } finally {
      await client.end();
    }
  });
});

describe('web4 storage with a storage.url it cannot use', () => {
  for (const [what, url, message] of [
    ['another scheme', 'mysql://web4:secret@db/records', /storage\.url: the scheme "mysql:" is not supported: use "sqlite:" .* or "postgres:\/\/user\[:password\]@host\[:port\]\/database"/],
    ['a URL without a database', 'postgres://web4@127.0.0.1:5432', /storage\.url: a PostgreSQL URL names its database after the host/],
    ['a server that does not answer', 'postgres://web4:secret@127.0.0.1:1/records', /Cannot reach the PostgreSQL server of storage\.url \(postgres:\/\/web4:\*\*\*@127\.0\.0\.1:1\/records\): connect ECONNREFUSED/],
  ] as const) {
    it(`${what}: exit 2 with what to fix, no stack trace, no password`, async () => {
      const root = newRoot();
      for (const action of ['status', 'migrate']) {
        const r = await web4(root, ['storage', action], url);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toMatch(/→ (Fix|Start)/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stderr + r.stdout).not.toContain('secret');
      }
    });
  }
});
