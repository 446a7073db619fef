import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromaClient } from 'chromadb';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalService } from './local-service.js';

/** The backup and restore steps of docs/runbooks/rag_maintenance.md, run for real. */
describe('Chroma backup and restore (runbook procedure)', () => {
  const root = mkdtempSync(join(tmpdir(), 'web4-chroma-backup-'));
  afterAll(async () => {
    await chroma.down();
    rmSync(root, { recursive: true, force: true });
  });
  const chroma = new LocalService({ name: 'chroma', host: '127.0.0.1', port: 0, servicesDir: join(root, 'logs', 'services'), dataDir: join(root, 'chroma'), startTimeoutS: 60 });

  async function client(): Promise<ChromaClient> {
    const { url } = await chroma.status();
    const u = new URL(url!);
    return new ChromaClient({ host: u.hostname, port: Number(u.port) });
  }

  it('data written before the backup comes back after restoring over a lost data dir', async () => {
    await chroma.up();
    const c1 = await client();
    const col = await c1.createCollection({ name: 'pdca_historical', embeddingFunction: null });
    await col.add({ ids: ['a', 'b', 'c'], embeddings: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], documents: ['one', 'two', 'three'] });

    // backup: stop, archive, start
    expect((await chroma.down()).result).toBe('stopped');
    const archive = join(root, 'chroma-backup.tar.gz');
    expect(spawnSync('tar', ['-C', root, '-czf', archive, 'chroma']).status).toBe(0);
    await chroma.up();

    // data lost after the backup (plus a later write that the restore will not have)
    const later = await (await client()).getCollection({ name: 'pdca_historical' });
    await later.add({ ids: ['d'], embeddings: [[1, 1, 0]], documents: ['four'] });
    await chroma.down();
    renameSync(join(root, 'chroma'), join(root, 'chroma.broken'));

    // restore: extract, start, check
    expect(spawnSync('tar', ['-C', root, '-xzf', archive]).status).toBe(0);
    const up = await chroma.up();
    expect(up.state).toBe('running');
    const restored = await (await client()).getCollection({ name: 'pdca_historical' });
    expect(await restored.count()).toBe(3);
    const got = await restored.get({ ids: ['b'] });
    expect(got.documents).toEqual(['two']);
  }, 120_000);
});
