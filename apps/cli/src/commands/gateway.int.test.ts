import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('web4 gateway --port 0: prints the URL, passes /api/version through, exits 0 on SIGINT', async () => {
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
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/SIGINT: stopping[\s\S]*gateway stopped \(SIGINT\)/);
}, 120_000);

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
