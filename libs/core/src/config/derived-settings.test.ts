import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';
import { defaultChromaDatabase } from './schema.js';

const work = mkdtempSync(join(tmpdir(), 'web4-derived-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('settings derived from the state root', () => {
  it('the Chroma database: stable for a root, different for another, the same through a link or a relative path', () => {
    const a = join(work, 'Team A');
    const b = join(work, 'team-b');
    mkdirSync(a);
    mkdirSync(b);
    symlinkSync(a, join(work, 'alias'));
    const dbA = loadConfig({ root: a, env: {} }).config.rag.chromaDatabase;
    expect(dbA).toMatch(/^web4-team-a-[0-9a-f]{12}$/);
    expect(loadConfig({ root: a, env: {} }).config.rag.chromaDatabase).toBe(dbA);
    expect(loadConfig({ root: 'Team A', cwd: work, env: {} }).config.rag.chromaDatabase).toBe(dbA);
    expect(loadConfig({ root: join(work, 'alias'), env: {} }).config.rag.chromaDatabase).toBe(dbA);
    expect(loadConfig({ root: b, env: {} }).config.rag.chromaDatabase).not.toBe(dbA);
    expect(defaultChromaDatabase(a)).toBe(dbA);
  });

  it('a configured database and tenant win', () => {
    const { config } = loadConfig({ root: work, env: { WEB4_RAG__CHROMA_DATABASE: 'shared_team_a', WEB4_RAG__CHROMA_TENANT: 'team-a' } });
    expect(config.rag).toMatchObject({ chromaDatabase: 'shared_team_a', chromaTenant: 'team-a' });
  });

  it.each(['a', 'has space', '-leading', 'x'.repeat(64)])('refuses "%s" as a Chroma database name, saying what a valid one is', (name) => {
    expect(() => loadConfig({ root: work, env: {}, overrides: { 'rag.chromaDatabase': name } })).toThrow(ConfigError);
    expect(() => loadConfig({ root: work, env: {}, overrides: { 'rag.chromaDatabase': name } })).toThrow(/rag\.chromaDatabase: a Chroma tenant\/database name is 3-63/);
  });

  it('the services\' ports are unset unless configured (then a found server may be used)', () => {
    expect(loadConfig({ root: work, env: {} }).config.services.chroma.port).toBeUndefined();
    expect(loadConfig({ root: work, env: { WEB4_SERVICES__CHROMA__PORT: '8000' } }).config.services.chroma.port).toBe(8000);
  });
});
