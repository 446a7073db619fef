import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolvePaths } from '@web4/core';
import { BASE_VERSION, MetricsStore } from '@web4/metrics-store';
import { locateTrainer, trainAdapter } from '@web4/trainer-bridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterRegistry } from './adapter-registry.js';
import { OllamaModels } from './ollama-models.js';
import { versionDir } from './version-names.js';

/**
 * Two state roots on one Ollama (the test setup's): the registry of each moves only the names
 * whose model it registered itself. Same deployment name: the second stops with a message that
 * says to set another one, and the first's tags keep their models. Different names: both work.
 * The model is the trainer's tiny random llama (seconds to train and to create in Ollama).
 */
const { config: base } = loadConfig({ env: process.env });
const ollamaUrl = base.services.ollama.url!;
const ollama = new OllamaModels(ollamaUrl);
const work = mkdtempSync(join(tmpdir(), 'web4-deployments-'));
const deployment = `web4-test-dep-${process.pid}`;
const stores: MetricsStore[] = [];
let trained: string;

beforeAll(async () => {
  const cacheDir = resolvePaths(base).cacheDir;
  const where = locateTrainer(base.trainer, cacheDir);
  const model = join(work, 'tiny model');
  execFileSync(where.python, ['-m', 'web4_trainer', 'make-tiny-model', model], { env: { ...process.env, PYTHONPATH: where.packageDir, HF_HUB_OFFLINE: '1' }, stdio: 'ignore' });
  trained = join(work, 'trained');
  const samples = Array.from({ length: 4 }, (_, i) => ({ instruction: `question ${i}`, input: '', output: `answer ${i}`, metadata: {} }));
  const result = await trainAdapter({ samples, outputDir: trained, settings: { ...base.trainer, baseModel: model }, cacheDir, jobOverrides: { epochs: 1, batch_size: 2, grad_accumulation: 1, threads: 1 }, progress: null });
  expect(result.status).toBe('trained');
}, 300_000);

afterAll(async () => {
  for (const s of stores) s.close();
  for (const name of (await ollama.digests()).keys()) if (name.startsWith(deployment)) await ollama.remove(name);
  rmSync(work, { recursive: true, force: true });
});

/** A state root with its own metrics database and one trained version copied into its outputs. */
async function stateRoot(name: string, deploymentName: string, version: string): Promise<AdapterRegistry> {
  const root = join(work, name);
  const { config } = loadConfig({ root, env: process.env, overrides: { 'deployment.name': deploymentName } });
  const paths = resolvePaths(config);
  const store = MetricsStore.open(paths.metricsDb);
  stores.push(store);
  const registry = new AdapterRegistry({ config, paths, store, ollamaUrl });
  const dir = versionDir(paths.outputsDir, version);
  cpSync(trained, dir, { recursive: true });
  await registry.recordTrained({ version, dir, runId: null, parentVersion: BASE_VERSION });
  return registry;
}

describe('two state roots on one Ollama', () => {
  it('the same deployment name: the second never moves the first one\'s tags and says to set another name; different names both work', async () => {
    const a = await stateRoot('root-a', deployment, 'v20261130_120000');
    expect(a.tagNames).toEqual({ latest: `${deployment}:latest`, previous: `${deployment}:previous`, candidate: `${deployment}:candidate` });
    await a.setCandidate('v20261130_120000', null);
    await a.promote('v20261130_120000');
    const aLatest = await ollama.digest(`${deployment}:latest`);
    const aCandidate = await ollama.digest(`${deployment}:candidate`);
    expect(aLatest).toBeDefined();

    const b = await stateRoot('root-b', deployment, 'v20261130_130000');
    for (const attempt of [() => b.setCandidate('v20261130_130000', null), () => b.promote('v20261130_130000')]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(new RegExp(`holds ${deployment}:(candidate|latest) .*a model this state root did not register`));
      expect((error as ConfigError).hint).toContain('Set another deployment name');
      expect((error as ConfigError).hint).toContain('deployment.name');
    }
    expect(b.tags()).toEqual({}); // nothing recorded either: the check comes before the registry changes
    expect(await ollama.digest(`${deployment}:latest`)).toBe(aLatest);
    expect(await ollama.digest(`${deployment}:candidate`)).toBe(aCandidate);
    expect(await ollama.digest(`${deployment}:v20261130-130000`)).toBeUndefined();

    const c = await stateRoot('root-c', `${deployment}-c`, 'v20261130_130000');
    await c.setCandidate('v20261130_130000', null);
    const promoted = await c.promote('v20261130_130000');
    expect(promoted.to).toBe('v20261130_130000');
    expect(await ollama.digest(`${deployment}-c:latest`)).toBeDefined();
    expect(await ollama.digest(`${deployment}:latest`)).toBe(aLatest);

    // a crash right after a tag copy loses its record: the tag holds one of A's own versions, so it stays A's
    stores[0]!.models.forgetOllamaName(`${deployment}:latest`);
    await a.checkServingNames();
    await expect(b.checkServingNames()).rejects.toBeInstanceOf(ConfigError);

    // the first root still moves its own names (a rollback to the base model)
    const back = await a.rollback({ to: BASE_VERSION, reason: 'test' });
    expect(back.to).toBe(BASE_VERSION);
    expect(await ollama.digest(`${deployment}:latest`)).toBe(await ollama.digest(base.models.baseModel));
    // …and the third root's production was not touched by it
    expect(c.production()).toBe('v20261130_130000');
  }, 300_000);
});
