import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetricsStore } from '@web4/metrics-store';
import { loadConfig, resolvePaths } from '@web4/core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

/**
 * The built gateway bundle as a service manager runs it: it prints its address, serves a real
 * query through the real Ollama (one row in the state root's metrics), and exits 0 on SIGTERM.
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = join(REPO, 'dist', 'test-bundles', `gateway-${process.pid}`);
const root = mkdtempSync(join(tmpdir(), 'web4-gateway-app-'));
const ollamaUrl = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');
// The bundle composes the whole gateway: the router trains on the repository's routing examples.
writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ gateway: { routing: { examples: join(REPO, 'examples/routing/examples.yaml') } } }));

beforeAll(() => {
  execFileSync(process.execPath, [join(REPO, 'tools/build-app.mjs'), 'gateway', '--outdir', out], { cwd: REPO, stdio: 'pipe' });
}, 120_000);
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

it('serves a query, records it, and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(out, 'main.js'), '--root', root, '--port', '0', '--ollama-url', ollamaUrl], { env: { ...process.env, WEB4_STATE_ROOT: '' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /Gateway listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const config = loadConfig({ root, env: { ...process.env, WEB4_STATE_ROOT: root } }).config;
  const response = await fetch(`${url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: config.models.baseModel, prompt: 'Hi', stream: false, options: { num_predict: 4 } }) });
  expect(response.status).toBe(200);
  const id = response.headers.get('x-web4-query-id');
  expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/gen_ai_client_operation_duration_seconds_count\{[^}]*\} 1/);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/gateway stopped \(SIGTERM\)/);
  const store = MetricsStore.open(resolvePaths(config).metricsDb);
  try {
    expect(store.hasQuery(id!)).toBe(true);
    expect(store.countQueries()).toBe(1);
  } finally {
    store.close();
  }
}, 120_000);
