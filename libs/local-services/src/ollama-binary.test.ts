import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assetLayout } from './asset-layout.js';
import { OLLAMA_CGO_FLAGS, cpuIdentity, inspectCachedOllama, ollamaVersionDir, type OllamaBuildManifest } from './ollama-binary.js';

const CPUINFO = (flags: string, model = 'AMD EPYC 9R14') => `processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: ${model}\nflags\t\t: ${flags}\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;

describe('cpuIdentity', () => {
  it('names the processor model and its instruction-set flags, in any order', () => {
    const a = cpuIdentity(CPUINFO('fpu sse3 avx avx2 fma'));
    expect(a).toContain('AMD EPYC 9R14');
    expect(cpuIdentity(CPUINFO('avx2 fma fpu avx sse3'))).toBe(a);
    expect(cpuIdentity(CPUINFO('fpu sse3 avx'))).not.toBe(a); // no AVX2: a -march=native build from the other one may not run here
    expect(cpuIdentity(CPUINFO('fpu sse3 avx avx2 fma', 'Intel Xeon'))).not.toBe(a);
  });
});

describe('inspectCachedOllama: a build for this processor, or a rebuild', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function cachedBuild(manifest: Partial<OllamaBuildManifest>) {
    const cache = mkdtempSync(join(tmpdir(), 'web4-ollama-bin-'));
    dirs.push(cache);
    const layout = assetLayout(cache);
    const dir = ollamaVersionDir(layout, 'v0.20.0');
    mkdirSync(dir, { recursive: true });
    const bytes = Buffer.from('#!/bin/sh\necho ollama\n');
    writeFileSync(join(dir, 'ollama'), bytes, { mode: 0o755 });
    const full = { version: 'v0.20.0', sha256: createHash('sha256').update(bytes).digest('hex'), builtAt: '2026-11-30T00:00:00Z', buildSeconds: 1, go: 'go1.26', ...manifest };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(full));
    return layout;
  }

  it('accepts a build made with the flags for this processor', async () => {
    const state = await inspectCachedOllama(cachedBuild({ cflags: OLLAMA_CGO_FLAGS, cpu: cpuIdentity() }), 'v0.20.0');
    expect(state.state).toBe('ok');
  });

  it('calls a build without processor flags stale (ggml compiled its scalar code)', async () => {
    const state = await inspectCachedOllama(cachedBuild({}), 'v0.20.0');
    expect(state).toMatchObject({ state: 'stale' });
    expect(state.state === 'stale' && state.reason).toMatch(/Go's default .*scalar/);
  });

  it('calls a build for another processor stale', async () => {
    const state = await inspectCachedOllama(cachedBuild({ cflags: OLLAMA_CGO_FLAGS, cpu: 'x64 Some Other CPU 000000000000' }), 'v0.20.0');
    expect(state).toMatchObject({ state: 'stale' });
    expect(state.state === 'stale' && state.reason).toContain('another processor');
  });

  it('still calls a changed binary corrupt before anything else', async () => {
    const layout = cachedBuild({ cflags: OLLAMA_CGO_FLAGS, cpu: cpuIdentity(), sha256: '0'.repeat(64) });
    expect(await inspectCachedOllama(layout, 'v0.20.0')).toMatchObject({ state: 'corrupt' });
  });
});
