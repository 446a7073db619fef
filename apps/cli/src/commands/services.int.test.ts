import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const root = mkdtempSync(join(tmpdir(), 'web4-cli-services-'));
// Free ports (0) so the test never meets a developer's servers on 8000/11434; no URLs from the
// suite's global setup, so this exercises web4's own start path.
const env: NodeJS.ProcessEnv = { ...process.env, WEB4_SERVICES__CHROMA__PORT: '0', WEB4_SERVICES__OLLAMA__PORT: '0' };
delete env.WEB4_SERVICES__CHROMA__URL;
delete env.WEB4_SERVICES__OLLAMA__URL;

/** Run the CLI without blocking the worker (a blocked worker misses Vitest's RPC deadlines). */
function web4(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string; json: () => unknown }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, ...args], { encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await web4(['services', 'down']);
  rmSync(root, { recursive: true, force: true });
});

describe('web4 services', async () => {
  it('up starts both, status reports them, a killed one is seen and restarted, down stops them', async () => {
    const up = await web4(['services', 'up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const started = (up.json() as { services: unknown }).services as Array<{ name: string; state: string; pid: number; baseModel?: string }>;
    expect(started.map((s) => [s.name, s.state])).toEqual([['chroma', 'running'], ['ollama', 'running']]);
    expect(started[1]!.baseModel).toMatch(/^web4-base:latest (created|present)$/);

    const status = await web4(['services', 'status', '--json']);
    expect(status.code).toBe(0);
    const [chroma, ollama] = (status.json() as { services: Array<Record<string, unknown>> }).services;
    // this state root's own Chroma database, and the deployment whose models it moves in Ollama
    expect(chroma).toMatchObject({ tenant: 'default_tenant', databaseExists: true });
    expect(chroma!.database).toMatch(/^web4-web4-cli-services-.+-[0-9a-f]{12}$/);
    expect(ollama).toMatchObject({ deployment: 'web4-agent', models: ['web4-agent:latest', 'web4-agent:previous', 'web4-agent:candidate'] });

    process.kill(started[1]!.pid, 'SIGKILL');
    await sleep(500);
    const afterKill = await web4(['services', 'status']);
    expect(afterKill.code).toBe(1);
    expect(afterKill.stdout).toMatch(/ollama\s+stopped/);
    expect(afterKill.stdout).toContain('pid file was removed');
    expect(afterKill.stdout).toContain('→ web4 services up');

    const again = await web4(['services', 'up']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/chroma .* already running/);
    expect(again.stdout).toMatch(/ollama .* started/);

    const down = await web4(['services', 'down', '--json']);
    expect(((down.json() as { services: unknown }).services as Array<{ result: string }>).map((r) => r.result)).toEqual(['stopped', 'stopped']);
    expect((await web4(['services', 'status'])).code).toBe(1);
  }, 300_000);
});

describe('web4 doctor', async () => {
  it('passes with the prepared assets (services stopped are only warnings)', async () => {
    const r = await web4(['doctor', '--json']);
    const report = r.json() as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(report.checks.find((c) => c.name === 'chroma')?.status).toBe('warn');
    expect(report.ok, JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).toBe(true);
    expect(r.code).toBe(0);
  }, 120_000);

  it('exits 1 and names the fix when the model assets are missing', async () => {
    const emptyCache = mkdtempSync(join(tmpdir(), 'web4-empty-cache-'));
    try {
      const r = await web4(['doctor', '--json'], { WEB4_PATHS__CACHE_DIR: emptyCache, PATH: '/usr/bin:/bin' });
      expect(r.code).toBe(1);
      const report = r.json() as { ok: boolean; checks: Array<{ name: string; status: string; fix?: string }> };
      expect(report.ok).toBe(false);
      for (const name of ['base model file', 'embedding model', 'ollama binary']) {
        const check = report.checks.find((c) => c.name === name);
        expect(check?.status, name).toBe('fail');
        expect(check?.fix, name).toBe('node tools/bootstrap.mjs');
      }
      const text = await web4(['doctor'], { WEB4_PATHS__CACHE_DIR: emptyCache, PATH: '/usr/bin:/bin' });
      expect(text.stdout).toContain('✗ base model file');
      expect(text.stdout).toContain('→ node tools/bootstrap.mjs');
    } finally {
      rmSync(emptyCache, { recursive: true, force: true });
    }
  }, 120_000);
});
