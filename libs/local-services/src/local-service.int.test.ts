import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceError, loadConfig, resolvePaths } from '@web4/core';
import { assetLayout } from './asset-layout.js';
import { LocalService } from './local-service.js';
import { ensureOllamaBinary } from './ollama-binary.js';
import { readServiceRecord, writeServiceRecord } from './pid-file.js';
import { freePort } from './free-port.js';

const dirs: string[] = [];
const services: LocalService[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'web4-svc-test-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const s of services) await s.down();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { config } = loadConfig();
const layout = assetLayout(resolvePaths(config).cacheDir);

function service(name: 'chroma' | 'ollama', extra: Partial<ConstructorParameters<typeof LocalService>[0]> = {}): LocalService {
  const dir = tempDir();
  const s = new LocalService({
    name,
    host: '127.0.0.1',
    port: 0,
    servicesDir: join(dir, 'services'),
    dataDir: join(dir, 'data'),
    startTimeoutS: 60,
    ...(name === 'ollama' ? { binary: async () => (await ensureOllamaBinary(layout, config.services.ollama.version)).path } : {}),
    ...extra,
  });
  services.push(s);
  return s;
}

function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

describe.each(['chroma', 'ollama'] as const)('%s lifecycle', (name) => {
  it('starts, reports running, detects a kill -9, and up restarts it', async () => {
    const s = service(name);
    expect((await s.status()).state).toBe('stopped');
    const first = await s.up();
    expect(first).toMatchObject({ state: 'running', source: 'ours', started: true });
    expect(existsSync(s.recordFile)).toBe(true);
    expect((await s.up()).started).toBe(false); // second up reuses it

    process.kill(first.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const after = await s.status();
    expect(after.state).toBe('stopped');
    expect(after.staleRecordCleared).toBe(true);
    expect(existsSync(s.recordFile)).toBe(false);

    const again = await s.up();
    expect(again).toMatchObject({ state: 'running', started: true });
    expect(again.pid).not.toBe(first.pid);
    const health = await fetch(again.url! + (name === 'chroma' ? '/api/v2/heartbeat' : '/api/version'));
    expect(health.ok).toBe(true);

    expect((await s.down()).result).toBe('stopped');
    expect(existsSync(s.recordFile)).toBe(false);
    expect((await s.status()).state).toBe('stopped');
  }, 180_000);
});

describe('faults', () => {
  it('clears a stale pid file whose process is gone', async () => {
    const s = service('chroma');
    writeServiceRecord(s.recordFile, {
      name: 'chroma', pid: deadPid(), host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1', program: process.execPath, args: [],
      logFile: s.logFile, dataDir: s.options.dataDir, startedAt: new Date().toISOString(),
    });
    const status = await s.status();
    expect(status).toMatchObject({ state: 'stopped', staleRecordCleared: true });
    expect(existsSync(s.recordFile)).toBe(false);
  });

  it('does not take a live pid running another program for our service', async () => {
    const s = service('ollama');
    // this test process is alive, but it is node, not the recorded ollama binary
    writeServiceRecord(s.recordFile, {
      name: 'ollama', pid: process.pid, host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1', program: '/opt/none/ollama', args: ['serve'],
      logFile: s.logFile, dataDir: s.options.dataDir, startedAt: new Date().toISOString(),
    });
    expect(await s.status()).toMatchObject({ state: 'stopped', staleRecordCleared: true });
  });

  it('replaces a live process that does not answer its health check', async () => {
    const s = service('chroma');
    const sleeper = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
    sleeper.unref();
    writeServiceRecord(s.recordFile, {
      name: 'chroma', pid: sleeper.pid!, host: '127.0.0.1', port: await freePort(), url: 'http://127.0.0.1:9', program: 'sleep', args: ['120'],
      logFile: s.logFile, dataDir: s.options.dataDir, startedAt: new Date().toISOString(),
    });
    expect((await s.status()).state).toBe('unhealthy');
    const up = await s.up();
    expect(up).toMatchObject({ state: 'running', started: true });
    expect(up.pid).not.toBe(sleeper.pid);
    await new Promise((r) => setTimeout(r, 200));
    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
  }, 120_000);

  it('restarts an Ollama whose program file was rebuilt under it (it could no longer start its model runners)', async () => {
    const bin = join(tempDir(), 'ollama');
    copyFileSync((await ensureOllamaBinary(layout, config.services.ollama.version)).path, bin);
    chmodSync(bin, 0o755);
    const s = service('ollama', { binary: async () => bin });
    const first = await s.up();
    expect(first).toMatchObject({ state: 'running', started: true });
    // what a rebuild does: a new file renamed over the old path
    copyFileSync(bin, `${bin}.new`);
    renameSync(`${bin}.new`, bin);
    const status = await s.status();
    expect(status).toMatchObject({ state: 'unhealthy', pid: first.pid });
    expect(status.detail).toContain('replaced since it started');
    const again = await s.up();
    expect(again).toMatchObject({ state: 'running', started: true });
    expect(again.pid).not.toBe(first.pid);
    expect((await s.status()).state).toBe('running');
  }, 180_000);

  it('refuses a port taken by another program, naming the port and the setting to change', async () => {
    const server: Server = createServer(() => undefined);
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    try {
      const s = service('chroma', { port });
      const error = await s.up().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).message).toContain(`Port ${port}`);
      expect((error as ServiceError).hint).toContain('services.chroma.port');
      expect(existsSync(s.recordFile)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('reports a server that exits at start with the tail of its log, and leaves no pid file', async () => {
    const dir = tempDir();
    const fake = join(dir, 'ollama');
    writeFileSync(fake, '#!/bin/sh\necho "Error: listen tcp: bind: permission denied (fake)" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    const s = service('ollama', { binary: async () => fake });
    const error = await s.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).message).toMatch(/exited right after starting \(exit 3\)/);
    expect((error as ServiceError).message).toContain('permission denied (fake)');
    expect(readServiceRecord(s.recordFile)).toBeUndefined();
  });

  it('a configured URL that does not answer is an error, never a reason to start another server', async () => {
    const s = service('chroma', { url: `http://127.0.0.1:${await freePort()}` });
    const error = await s.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).hint).toContain('services.chroma.url');
    expect(existsSync(s.recordFile)).toBe(false);
  });

  it('finds a server already answering on the configured port and does not stop it on down', async () => {
    const owner = service('chroma');
    const started = await owner.up();
    const port = Number(new URL(started.url!).port);
    const finder = service('chroma', { port });
    expect(await finder.status()).toMatchObject({ state: 'running', source: 'external' });
    expect((await finder.up()).started).toBe(false);
    expect((await finder.down()).result).toBe('not-ours');
    expect((await owner.status()).state).toBe('running');
    await owner.down();
  }, 120_000);
});

describe('a server that is not this state root\'s', () => {
  it('is never used: status names it, up starts our own on another port and records it, commands find ours, the next start reuses its port', async () => {
    const other = service('chroma'); // another state root's Chroma, where ours would start first
    const theirs = await other.up();
    const theirPort = Number(new URL(theirs.url!).port);

    const ours = service('chroma', { port: undefined, defaultPort: theirPort });
    expect(ours.knownUrl()).toBeUndefined(); // nothing of ours yet: no URL to fall back on
    const before = await ours.status();
    expect(before).toMatchObject({ state: 'stopped', source: 'none', foreignUrl: theirs.url });
    expect(before.detail).toContain('not this state root');

    const up = await ours.up();
    expect(up).toMatchObject({ state: 'running', source: 'ours', started: true, foreignUrl: theirs.url });
    expect(up.url).not.toBe(theirs.url);
    expect(ours.knownUrl()).toBe(up.url);
    expect(ours.endpoint()?.url).toBe(up.url);

    // stopped: later commands have no Chroma (and say so), never theirs; the next start takes our port again
    await ours.down();
    expect(ours.knownUrl()).toBeUndefined();
    const again = await ours.up();
    expect(again.url).toBe(up.url);
    expect((await other.status()).state).toBe('running');
    await ours.down();
    await other.down();
  }, 180_000);
});
