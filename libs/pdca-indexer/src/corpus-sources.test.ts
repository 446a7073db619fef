import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type InputError } from '@web4/core';
import { resolveCorpusSources } from './corpus-sources.js';

describe('resolveCorpusSources', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'web4-sources-'));
    for (const d of ['journal', 'components', 'docs', 'tools', 'trainai']) mkdirSync(join(root, d));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const config = (corpus: Record<string, unknown> = {}) =>
    loadConfig({
      root,
      env: {},
      overrides: { 'rag.journal.root': 'journal', 'rag.corpus': { components: 'components', processDocs: 'docs', toolExamples: 'tools', trainai: 'trainai', ...corpus } },
    }).config;
  const failure = (fn: () => unknown): InputError => {
    try {
      fn();
    } catch (error) {
      return error as InputError;
    }
    throw new Error('did not throw');
  };

  it('returns every folder in loading order when all exist', () => {
    const { sources, skipped } = resolveCorpusSources(config());
    expect(sources.map((s) => [s.name, s.dir])).toEqual([
      ['trainai', join(root, 'trainai')],
      ['components', join(root, 'components')],
      ['processDocs', join(root, 'docs')],
      ['toolExamples', join(root, 'tools')],
      ['journal', join(root, 'journal')],
    ]);
    expect(skipped).toEqual([]);
  });

  it('stops with exit 2 on a journal given on the command line that does not exist', () => {
    const e = failure(() => resolveCorpusSources(config(), { journal: join(root, 'jornal') }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`--journal ${join(root, 'jornal')} does not exist`);
    expect(e.hint).toContain('command line');
  });

  it('stops with exit 2 on configured folders that do not exist, naming each setting', () => {
    const e = failure(() => resolveCorpusSources(config({ components: 'componets', toolExamples: 'gone' })));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`rag.corpus.components = ${join(root, 'componets')} does not exist`);
    expect(e.message).toContain(`rag.corpus.toolExamples = ${join(root, 'gone')} does not exist`);
    expect(e.hint).toContain('"optional"');
  });

  it('skips a missing folder the config marks optional, but never one given on the command line', () => {
    const c = config({ components: 'none', optional: ['components'] });
    const { sources, skipped } = resolveCorpusSources(c);
    expect(sources.map((s) => s.name)).toEqual(['trainai', 'processDocs', 'toolExamples', 'journal']);
    expect(skipped.map((s) => [s.name, s.dir])).toEqual([['components', join(root, 'none')]]);
    expect(failure(() => resolveCorpusSources(c, { components: join(root, 'none') })).exitCode).toBe(2);
  });

  it('refuses an optional entry the config does not know', () => {
    expect(() => config({ optional: ['journal'] })).toThrow(/rag\.corpus\.optional/);
  });
});
