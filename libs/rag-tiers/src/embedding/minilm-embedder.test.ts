import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, loadConfig, resolvePaths } from '@web4/core';
import { assetLayout } from '@web4/local-services';
import { createEmbedder } from './create-embedder.js';
import { MiniLmEmbedder } from './minilm-embedder.js';
import { REFERENCE_TEXTS } from './reference-texts.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..', '..');
const venvPython = join(repoRoot, 'python', '.venv', 'bin', 'python');
const { config } = loadConfig();
const paths = resolvePaths(config);
const layout = assetLayout(paths.cacheDir);

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** sentence-transformers in python/.venv, on the same local folder. */
function pythonReference(texts: string[]): number[][] {
  const r = spawnSync(venvPython, [join(here, 'reference_embed.py'), layout.embeddingModelDir, 'embed'], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  if (r.status !== 0) throw new Error(`reference_embed.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[][];
}

describe('MiniLmEmbedder (all-MiniLM-L6-v2 in Node) against Python sentence-transformers', () => {
  let reference: number[][];
  beforeAll(() => {
    expect(existsSync(venvPython), 'python/.venv is missing: run node tools/bootstrap.mjs').toBe(true);
    reference = pythonReference(REFERENCE_TEXTS);
  }, 120_000);

  it('fp32 (exported with torch) matches with cosine >= 0.99 on every one of 50 texts', async () => {
    const embedder = createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, dtype: 'fp32' } } }, paths);
    const vectors = await embedder.embed(REFERENCE_TEXTS);
    await embedder.dispose();
    expect(REFERENCE_TEXTS).toHaveLength(50);
    expect(vectors).toHaveLength(50);
    const cosines = vectors.map((v, i) => cosine(v, reference[i]!));
    expect(vectors.every((v) => v.length === 384)).toBe(true);
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.99);
    // unit length, like sentence-transformers with normalize_embeddings
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
  });

  it('int8 (the default: our export, quantized per channel) stays within cosine 0.98 of the reference on every text', async () => {
    const embedder = createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, dtype: 'int8' } } }, paths);
    const vectors = await embedder.embed(REFERENCE_TEXTS);
    await embedder.dispose();
    const cosines = vectors.map((v, i) => cosine(v, reference[i]!));
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.98);
    expect(cosines.reduce((s, c) => s + c, 0) / cosines.length).toBeGreaterThanOrEqual(0.99);
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
  });

  it('q8 (int8 package) stays close to the reference and still ranks related texts together', async () => {
    const embedder = createEmbedder({ models: { ...config.models, embedding: { ...config.models.embedding, dtype: 'q8' } } }, paths);
    const vectors = await embedder.embed(REFERENCE_TEXTS);
    await embedder.dispose();
    const cosines = vectors.map((v, i) => cosine(v, reference[i]!));
    const mean = cosines.reduce((s, c) => s + c, 0) / cosines.length;
    expect(mean).toBeGreaterThanOrEqual(0.95);
    // "rollback" question vs its keyword form is closer than vs the bread recipe
    expect(cosine(vectors[2]!, vectors[3]!)).toBeGreaterThan(cosine(vectors[2]!, vectors[11]!));
  });

  it('gives the same vector for a text alone and inside a padded batch', async () => {
    const embedder = createEmbedder(config, paths);
    const [alone] = await embedder.embed(['hello']);
    const batch = await embedder.embed(['hello', REFERENCE_TEXTS[13]!]);
    await embedder.dispose();
    expect(cosine(alone!, batch[0]!)).toBeGreaterThan(0.9999);
  });
});

describe('createEmbedder faults', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('names the missing local folder and the command that builds it', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'web4-emb-'));
    dirs.push(cacheDir);
    let error: unknown;
    try {
      createEmbedder(config, { cacheDir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toContain(join(cacheDir, 'models', 'transformers', 'all-MiniLM-L6-v2', 'onnx', 'model_int8.onnx'));
    expect((error as StorageError).hint).toContain('node tools/bootstrap.mjs');
  });

  it('never downloads in local mode: a folder without the model fails instead of reaching the hub', async () => {
    const root = mkdtempSync(join(tmpdir(), 'web4-emb-'));
    dirs.push(root);
    const embedder = new MiniLmEmbedder({ source: 'local', hubId: 'Xenova/all-MiniLM-L6-v2', localModelsRoot: root, modelName: 'all-MiniLM-L6-v2', dtype: 'fp32', batchSize: 32 });
    await expect(embedder.embed(['x'])).rejects.toThrow(/local|not found|allowRemoteModels|Could not locate/i);
  });
});
