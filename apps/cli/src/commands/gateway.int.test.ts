import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, inject, it } from 'vitest';

/**
 * `web4 gateway`: prints its address, answers the Ollama API (passed through to the real
 * Ollama), stops cleanly on SIGINT with exit 0; on a non-loopback address without a token it
 * refuses to start and names the variable to set.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const root = mkdtempSync(join(tmpdir(), 'web4-gateway-cli-'));
const ollamaUrl = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');
const env = { ...process.env, WEB4_STATE_ROOT: '', WEB4_GATEWAY_TOKEN: '' };
// The routing examples of the repository (a fresh root has none: the gateway would say so and stop).
writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ gateway: { routing: { examples: join(repo, 'examples/routing/examples.yaml') } } }));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('web4 gateway --port 0: prints the URL, passes /api/version through, serves /metrics and the dashboard, exits 0 on SIGINT', async () => {
  const child = spawn(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, 'gateway', '--port', '0', '--ollama-url', ollamaUrl], { env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /Gateway listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const direct = (await (await fetch(`${ollamaUrl}/api/version`)).json()) as unknown;
  expect(await (await fetch(`${url}/api/version`)).json()).toEqual(direct);
  // The composed gateway: Prometheus metrics, the dashboard for a browser, Ollama's own answer at / for a client.
  const metrics = await fetch(`${url}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await metrics.text()).toMatch(/# TYPE gen_ai_client_operation_duration_seconds histogram/);
  expect(await (await fetch(`${url}/`, { headers: { accept: 'text/html' } })).text()).toMatch(/<html[\s\S]*dashboard/i);
  expect(await (await fetch(`${url}/`)).text()).toBe('Ollama is running');
  expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/ in a browser/);
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/SIGINT: stopping[\s\S]*gateway stopped \(SIGINT\)/);
}, 180_000);

it('web4 gateway router: the held-out accuracy against the baselines, --json with the figures', () => {
  const r = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, 'gateway', 'router', '--json'], { env, encoding: 'utf8', timeout: 170_000 });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { pass: boolean; holdout: number; router: { accuracy: number }; bestBaseline: { accuracy: number } };
  expect(out.pass).toBe(true);
  expect(out.holdout).toBeGreaterThan(30);
  expect(out.router.accuracy).toBeGreaterThan(out.bestBaseline.accuracy);
}, 180_000);

it('web4 gateway with a routing examples file that does not exist: exit 2, saying what to do', () => {
  const r = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, 'gateway', '--port', '0', '--ollama-url', ollamaUrl], {
    env: { ...env, WEB4_GATEWAY__ROUTING__EXAMPLES: join(root, 'missing.yaml') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/routing examples file .*missing\.yaml does not exist/);
  expect(r.stderr).toMatch(/gateway\.routing\.mode/);
}, 60_000);

it('web4 gateway --host 0.0.0.0 without a token: exit 2, saying which variable to set', () => {
  const r = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, 'gateway', '--host', '0.0.0.0', '--port', '0', '--ollama-url', ollamaUrl], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/will not listen on 0\.0\.0\.0 without a bearer token/);
  expect(r.stderr).toMatch(/WEB4_GATEWAY_TOKEN/);
}, 60_000);

it('web4 gateway --port 70000: exit 2', () => {
  const r = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, 'gateway', '--port', '70000'], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--port must be a whole number from 0 to 65535/);
}, 60_000);
