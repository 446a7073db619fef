import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@web4/core';
import { GraphTier } from './graph-tier.js';
import { MetadataTier } from './metadata-tier.js';
import { backupTiers, restoreTiers, tierFiles } from './tier-backup.js';

const root = mkdtempSync(join(tmpdir(), 'web4-tierbak-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('backupTiers / restoreTiers', () => {
  it('copies both databases while open, and restores them after damage', async () => {
    const { config } = loadConfig({ root, env: {} });
    const files = tierFiles(config);
    const graph = GraphTier.open(files.graph);
    const meta = MetadataTier.open(files.metadata);
    graph.addEdges([{ src: 'pdca:a', dst: 'pdca:b', kind: 'previous' }]);
    meta.appendAccess([{ pdcaId: 'a', at: '2026-11-25T00:00:00Z', hit: true }]);
    const { dir, files: copies } = await backupTiers(config, join(root, 'backups/rag'), new Date('2026-11-25T01:02:03Z'));
    expect(dir).toMatch(/rag_20261125_010203$/);
    expect(copies).toHaveLength(2);
    await graph.close();
    await meta.close();

    writeFileSync(files.metadata, 'garbage that is not a SQLite database\n'.repeat(200));
    expect(() => MetadataTier.open(files.metadata)).toThrow(/metadata database/);
    expect(restoreTiers(config, dir)).toHaveLength(2);
    expect(existsSync(`${files.metadata}.before-restore`)).toBe(true);
    const back = MetadataTier.open(files.metadata);
    expect(await back.accessTotals()).toMatchObject({ accesses: 1, hits: 1 });
    await back.close();
    const g = GraphTier.open(files.graph);
    expect((await g.counts()).edges).toEqual({ previous: 1 });
    await g.close();
  });

  it('refuses a damaged backup and a missing folder', () => {
    const { config } = loadConfig({ root, env: {} });
    const bad = join(root, 'bad');
    rmSync(bad, { recursive: true, force: true });
    expect(() => restoreTiers(config, bad)).toThrow(/does not exist/);
    mkdirSync(bad);
    writeFileSync(join(bad, 'rag_graph.db'), 'not a database at all, just some text to fill the header bytes');
    expect(() => restoreTiers(config, bad)).toThrow(/not a usable SQLite database|integrity/);
  });
});
