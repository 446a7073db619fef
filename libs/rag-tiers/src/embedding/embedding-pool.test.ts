import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError, loadConfig, resolvePaths } from '@web4/core';
import { createEmbedder, POOL_MIN_TEXTS, resolveWorkers } from './create-embedder.js';
import { EmbeddingPool, embedWorkerEntry } from './embedding-pool.js';
import { REFERENCE_TEXTS } from './reference-texts.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = join(here, '../../../..');
const { config } = loadConfig();
const paths = resolvePaths(config);
const tmp = mkdtempSync(join(tmpdir(), 'web4-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A worker program that dies on its first job, the way a native crash would end it. */
function crashingWorker(): { file: string; execArgv: string[] } {
  const file = join(tmp, 'crash-worker.mjs');
  writeFileSync(file, "process.on('message', () => { process.stderr.write('simulated native crash\\n'); process.exit(134); });\nprocess.on('disconnect', () => process.exit(0));\n");
  return { file, execArgv: [] };
}

describe('EmbeddingPool (worker processes running the real model)', () => {
  it('returns the same vectors as the in-process model, in input order', async () => {
    const embedder = createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, workers: 2 } } }, paths);
    try {
      expect(embedder.pool?.size).toBe(2);
      const texts = [...REFERENCE_TEXTS, ...REFERENCE_TEXTS.slice(0, 7)]; // 57 texts: several jobs per worker, one short
      const pooled = await embedder.pool!.embed(texts);
      const local = await embedder.local.embed(texts);
      expect(pooled).toHaveLength(texts.length);
      for (let i = 0; i < texts.length; i++) expect(pooled[i]).toEqual(local[i]);
      // the routing: a query stays in process, bulk work goes to the pool
      expect(POOL_MIN_TEXTS).toBeGreaterThan(1);
      expect(await embedder.embed(texts)).toEqual(local);
    } finally {
      await embedder.dispose();
    }
  }, 120_000);

  it('a worker that dies fails the call with its exit and stderr, and the next call starts a new worker', async () => {
    const model = { source: 'local' as const, hubId: 'x', localModelsRoot: tmp, modelName: 'none', dtype: 'int8' as const, batchSize: 1 };
    const broken = new EmbeddingPool({ workers: 1, model, entry: crashingWorker() });
    await expect(broken.embed(['a', 'b'])).rejects.toThrow(/exited \(code 134\): simulated native crash/);
    await expect(broken.embed(['c'])).rejects.toThrow(/exited \(code 134\)/); // a fresh worker, which dies the same way
    await broken.dispose();

    const real = new EmbeddingPool({ workers: 1, model: { ...model, localModelsRoot: join(paths.cacheDir, 'models', 'transformers'), modelName: 'all-MiniLM-L6-v2' } });
    const [v] = await real.embed(['after a crash the pool still works']);
    expect(v).toHaveLength(384);
    await real.dispose();
  }, 120_000);

  it('a model the worker cannot load is reported with the loader message', async () => {
    const pool = new EmbeddingPool({ workers: 1, model: { source: 'local', hubId: 'x', localModelsRoot: tmp, modelName: 'no-such-model', dtype: 'int8', batchSize: 1 } });
    await expect(pool.embed(['x'])).rejects.toThrow(/no-such-model|local|Could not locate/i);
    await pool.dispose();
  }, 60_000);

  it('names the missing worker file and what to do', async () => {
    const pool = new EmbeddingPool({ workers: 1, model: { source: 'local', hubId: 'x', localModelsRoot: tmp, modelName: 'm', dtype: 'int8', batchSize: 1 }, entry: { file: join(tmp, 'gone.js'), execArgv: [] } });
    const error = await pool.embed(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toContain('gone.js');
    expect((error as StorageError).hint).toMatch(/build|workers to 0/);
  });

  it('idle workers do not keep a finished program alive (no dispose called)', async () => {
    const script = join(tmp, 'no-dispose.mts');
    writeFileSync(
      script,
      `import { EmbeddingPool } from ${JSON.stringify(join(here, 'embedding-pool.ts'))};\n` +
        `const pool = new EmbeddingPool({ workers: 2, model: { source: 'local', hubId: 'x', localModelsRoot: ${JSON.stringify(join(paths.cacheDir, 'models', 'transformers'))}, modelName: 'all-MiniLM-L6-v2', dtype: 'int8', batchSize: 1 } });\n` +
        `const v = await pool.embed(Array.from({ length: 20 }, (_, i) => 'text ' + i));\n` +
        `console.log(v.length);\n`,
    );
    const entry = embedWorkerEntry();
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [...entry.execArgv, script], { cwd: REPO, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    expect(out.code, out.stderr).toBe(0); // killed by the timeout it would not be 0
    expect(out.stdout.trim()).toBe('20');
  }, 90_000);

  it('auto: one worker per core with two or more cores, none on one core', () => {
    expect(resolveWorkers('auto', 1)).toBe(0);
    expect(resolveWorkers('auto', 2)).toBe(2);
    expect(resolveWorkers('auto', 8)).toBe(8);
    expect(resolveWorkers(0, 8)).toBe(0);
    expect(resolveWorkers(3, 2)).toBe(3);
  });
});
