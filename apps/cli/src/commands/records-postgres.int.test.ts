import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, sharedPostgres, type PostgresServer } from '@web4/local-services';
import { MetricsReader, MetricsStore, RecordsPublisher } from '@web4/metrics-store';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const newRoot = () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-cli-records-'));
  roots.push(dir);
  return dir;
};

/** `web4 …` in a state root, with storage.url when given, at a fixed "now". */
/** `home`: keep the real HOME (the embedding model in ~/.cache) instead of the state root. */
function web4(root: string, args: string[], storageUrl?: string, now = '2026-11-25T12:00:00Z', home = root): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, WEB4_STATE_ROOT: root, WEB4_NOW: now, HOME: home };
  delete env.WEB4_STORAGE__URL;
  if (storageUrl) env.WEB4_STORAGE__URL = storageUrl;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'tools/web4.mjs'), ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the monitor, feedback, evening and validate commands on storage.url = postgres://', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await sharedPostgres(inject('postgresSlot'));
  });

  it('log, import and feedback add write into PostgreSQL; report, query-types, feedback rate and list print what the same commands print on SQLite', async () => {
    const url = server.createDatabase(`cli_${randomBytes(4).toString('hex')}`);
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ timestamp: `2026-11-${20 + (i % 6)}T${String(i % 24).padStart(2, '0')}:00:00Z`, latencyMs: 90 * (i + 1), usedTools: i % 3 === 0, usedHistory: i % 5 === 0, ...(i % 9 === 0 ? { error: 'timeout' } : {}) }),
    );
    const outputs: Record<string, string[]> = {};
    for (const [name, storageUrl] of [['sqlite', undefined], ['postgres', url]] as const) {
      const root = newRoot();
      writeFileSync(join(root, 'q.jsonl'), lines.join('\n') + '\n');
      const run = async (args: string[]) => {
        const r = await web4(root, args, storageUrl);
        expect({ args, code: r.code, stderr: r.stderr }).toMatchObject({ args, code: expect.any(Number), stderr: '' });
        return r;
      };
      const imported = await run(['monitor', 'import', join(root, 'q.jsonl')]);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain(name === 'postgres' ? 'to postgres://postgres@127.0.0.1' : join(root, 'logs'));
      expect((await run(['monitor', 'log', '--latency', '850', '--tools', '--feedback', 'up', '--timestamp', '2026-11-25T10:00:00Z'])).code).toBe(0);
      for (let i = 0; i < 5; i++) expect((await run(['feedback', 'add', '--query', `q${i}`, '--response', 'r', '--rating', i < 4 ? 'up' : 'down'])).code).toBe(0);
      const report = await run(['monitor', 'report', '--days', '7', '--json']);
      const types = await run(['monitor', 'query-types', '--date', '2026-11-24', '--json']);
      const rate = await run(['feedback', 'rate', '--json']);
      const list = await run(['feedback', 'list']);
      const printed = await run(['monitor', 'report', '--days', '7']);
      expect(JSON.parse(report.stdout).statistics.total.queries).toBe(41);
      expect(JSON.parse(rate.stdout)).toMatchObject({ up: 4, down: 1, total: 5 });
      outputs[name] = [report.stdout, types.stdout, rate.stdout, list.stdout.replace(/#\d+ /g, '#N '), printed.stdout, String(report.code), String(types.code), String(rate.code)];
    }
    expect(outputs.postgres).toEqual(outputs.sqlite);
  }, 120_000);

  it('a login the server refuses: exit 2, the message names storage.url without the password', async () => {
    const url = server.url.replace('postgres@', 'nosuchuser:hunter2@');
    for (const args of [['monitor', 'report'], ['monitor', 'log', '--latency', '10'], ['feedback', 'rate']]) {
      const r = await web4(newRoot(), args, url);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/storage\.url \(postgres:\/\/nosuchuser:\*\*\*@127\.0\.0\.1/);
      expect(r.stderr).not.toContain('hunter2');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    }
  }, 60_000);

  it('monitor errors and monitor rebuild print the same on PostgreSQL as on SQLite; rebuild restores an emptied daily_summary', async () => {
    const url = server.createDatabase(`cli_${randomBytes(4).toString('hex')}`);
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({
        // Two rows per timestamp: the order of equal timestamps (higher id first) must be the same on both.
        timestamp: `2026-11-${22 + (i % 3)}T${String(Math.floor(i / 2) % 24).padStart(2, '0')}:00:00Z`,
        latencyMs: 40 * (i + 1) + 0.4,
        usedTools: i % 4 === 0,
        ...(i % 3 !== 1 && i % 2 === 0 ? { error: `timeout ${i}` } : {}),
      }),
    );
    const outputs: Record<string, string[]> = {};
    for (const [name, storageUrl] of [['sqlite', undefined], ['postgres', url]] as const) {
      const root = newRoot();
      writeFileSync(join(root, 'q.jsonl'), lines.join('\n') + '\n');
      const run = async (args: string[]) => {
        const r = await web4(root, args, storageUrl);
        expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: expect.any(Number), stderr: '' });
        return r;
      };
      expect((await run(['monitor', 'import', join(root, 'q.jsonl')])).code).toBe(0);
      const before = await run(['monitor', 'report', '--days', '7', '--json']);
      const errors = await run(['monitor', 'errors', '--date', '2026-11-24', '--json']);
      const errorsText = await run(['monitor', 'errors', '--date', '2026-11-22', '--limit', '3']);
      expect(errors.code).toBe(0);
      const rows = JSON.parse(errors.stdout) as { day: string; errors: Array<{ timestamp: string; error: string }> };
      // Lines 2, 8, 14, 20, 26 fall on the 24th (i % 3 === 2) with an error (even i).
      expect(rows.errors.map((r) => r.error)).toEqual(['timeout 26', 'timeout 20', 'timeout 14', 'timeout 8', 'timeout 2']);
      expect(errorsText.stdout).toMatch(/^Failed queries on 2026-11-22: 3 \(limit reached\)\n/);
      // Empty the rollups behind the reports, then rebuild them from the rows.
      if (storageUrl) {
        const reader = await MetricsReader.postgres(storageUrl);
        await reader.db.deleteFrom('daily_summary').execute();
        await reader.close();
      } else {
        const store = MetricsStore.open(join(root, 'logs/production_metrics.db'));
        store.file.runNow(store.file.db.deleteFrom('daily_summary'));
        store.close();
      }
      expect(JSON.parse((await run(['monitor', 'report', '--days', '7', '--json'])).stdout).statistics.total.queries).toBe(0);
      const rebuilt = await run(['monitor', 'rebuild', '--json']);
      expect(rebuilt.code).toBe(0);
      expect(JSON.parse(rebuilt.stdout)).toEqual({ days: 3, queries: 30 });
      const after = await run(['monitor', 'report', '--days', '7', '--json']);
      expect(JSON.parse(after.stdout).statistics.total.queries).toBe(30);
      expect(after.stdout).toBe(before.stdout);
      outputs[name] = [errors.stdout, errorsText.stdout, (await run(['monitor', 'rebuild'])).stdout, after.stdout];
    }
    expect(outputs.postgres).toEqual(outputs.sqlite);
  }, 120_000);

  it('evening run on two machines publishes each night; evening history, status and validate --history on a third state root read them from PostgreSQL', async () => {
    const url = server.createDatabase(`cli_nights_${randomBytes(4).toString('hex')}`);
    const machines = [
      ['2026-11-24T22:00:00Z', newRoot()],
      ['2026-11-25T22:00:00Z', newRoot()],
    ] as const;
    // The first machine's night before, with the database unreachable: the night runs, says so, keeps its rows.
    const offline = await web4(machines[0][1], ['evening', 'run', '--json'], `postgres://postgres@127.0.0.1:${await freePort()}/web4`, '2026-11-23T22:00:00Z', process.env.HOME);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/⚠️ +Could not publish the run journal and morning checks to PostgreSQL: Cannot reach the PostgreSQL server of storage.url/);
    for (const [now, root] of machines) {
      // An empty buffer: the night records its steps and ends with nothing to learn (exit 0).
      const night = await web4(root, ['evening', 'run', '--json'], url, now, process.env.HOME);
      expect(night.code, night.stderr).toBe(0);
      expect(night.stderr).toContain('nothing to learn tonight');
      expect(night.stderr).not.toMatch(/Could not publish/);
      expect(JSON.parse(night.stdout)).toMatchObject({ status: 'nothing' });
    }
    const third = newRoot(); // a gateway machine: no night ever ran in its state root
    const history = await web4(third, ['evening', 'history', '--json'], url, '2026-11-26T08:00:00Z');
    expect({ code: history.code, stderr: history.stderr }).toEqual({ code: 0, stderr: '' });
    const nights = (JSON.parse(history.stdout) as { nights: Array<{ runId: string; status: string }> }).nights;
    // The offline night too: the first machine's next night published it (its first publish reconciles the file).
    expect(nights.map((n) => [n.runId, n.status])).toEqual([
      ['night_20261125_220000', 'nothing'],
      ['night_20261124_220000', 'nothing'],
      ['night_20261123_220000', 'nothing'],
    ]);
    const status = await web4(third, ['evening', 'status', '--json'], url, '2026-11-26T08:00:00Z');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ night: { runId: 'night_20261125_220000', status: 'nothing' }, lock: null });
    // The same commands without storage.url read the third state root's own (absent) file.
    expect(JSON.parse((await web4(third, ['evening', 'history', '--json'], undefined, '2026-11-26T08:00:00Z')).stdout)).toEqual({ nights: [] });

    // A morning check recorded on the first machine (as the morning job records it) reaches the third one.
    const store = MetricsStore.open(join(machines[0][1], 'logs', 'production_metrics.db'));
    const publisher = RecordsPublisher.forConfig({ storage: { url } } as never, store)!;
    store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 10, passedCases: 9, runAt: new Date('2026-11-26T07:00:00Z') });
    await publisher.close();
    store.close();
    const mornings = await web4(third, ['validate', '--history', '--days', '3', '--json'], url, '2026-11-26T08:00:00Z');
    expect({ code: mornings.code, stderr: mornings.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(mornings.stdout)).toMatchObject({ history: [{ day: '2026-11-26', passed: 9, total: 10, model: 'web4-agent:latest' }] });
    const reader = await MetricsReader.postgres(url);
    try {
      expect((await reader.recentRuns(10, 'night_')).map((r) => r.runId)).toEqual(['night_20261125_220000', 'night_20261124_220000', 'night_20261123_220000']);
    } finally {
      await reader.close();
    }
  }, 180_000);

  it('web4 ask logs its query where storage.url says (real Ollama), not in the state root\'s file', async () => {
    const url = server.createDatabase(`cli_ask_${randomBytes(4).toString('hex')}`);
    const root = newRoot();
    const r = await web4(root, ['ask', 'Name one benefit of unit tests.', '--no-rag', '--json'], url, '2026-11-25T12:00:00Z', process.env.HOME);
    expect(r.code, r.stderr).toBe(0);
    const reader = await MetricsReader.postgres(url);
    try {
      expect(await reader.countQueries()).toBe(1);
      const [row] = await reader.queriesOfDay('2026-11-25');
      expect(row).toMatchObject({ category: 'pure_trained', error: null });
      expect(row!.tokens_generated).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    const local = join(root, 'logs', 'production_metrics.db');
    if (existsSync(local)) {
      const store = MetricsStore.open(local);
      expect(store.countQueries()).toBe(0);
      store.close();
    }
  }, 120_000);
});
