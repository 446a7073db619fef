import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalService } from '@web4/local-services';
import { indexCorpus } from './corpus-indexing.js';
import { indexingExitCode } from './indexing-report.js';
import { ragFixture, type RagFixture } from './test-support/rag-fixture.js';

/**
 * Chroma dies in the middle of a corpus run: the files after it fail with a service reason,
 * the run finishes, and the next run (Chroma back, same data) indexes exactly those files.
 * This test starts and kills its own Chroma, so it never disturbs the shared one.
 */
describe('Chroma going down in the middle of a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web4-outage-'));
  const chroma = (port: number) =>
    new LocalService({ name: 'chroma', host: '127.0.0.1', port, servicesDir: join(dir, 'services'), dataDir: join(dir, 'chroma'), startTimeoutS: 60 });
  let port = 0;
  let pid = 0;
  let fx: RagFixture;

  beforeAll(async () => {
    const up = await chroma(0).up();
    port = Number(new URL(up.url!).port);
    pid = up.pid!;
    fx = await ragFixture({ chromaUrl: up.url! });
  });
  afterAll(async () => {
    await chroma(port).down().catch(() => undefined);
    await fx?.rag.close();
    rmSync(dir, { recursive: true, force: true });
    if (fx) rmSync(fx.root, { recursive: true, force: true });
  });

  it('reports the missed files with a service reason and a second run indexes exactly them', async () => {
    let killed = false;
    const first = await indexCorpus(fx.rag, fx.config, {
      // Only the journal, to keep the run short; kill Chroma after the first 64-file group.
      only: ['journal'],
      onProgress: (_c, done) => {
        if (!killed && done >= 64) {
          killed = true;
          process.kill(pid, 'SIGKILL'); // the server this test started; gone before the next group

        }
      },
    });
    const report = first.reports.find((r) => r.collection === 'pdca_historical')!;
    const serviceFailures = report.files.filter((f) => f.status === 'failed' && f.kind === 'service');
    expect(report.indexed).toBeGreaterThanOrEqual(60); // the first group, less its bad fixtures
    expect(serviceFailures.length).toBeGreaterThan(0);
    expect(serviceFailures[0]!.reason).toMatch(/Chroma unavailable.*not reachable/);
    // Every other file was either indexed or is a known bad fixture (the empty and Latin-1 files).
    expect(report.files.filter((f) => f.status === 'failed' && f.kind !== 'service').map((f) => f.kind).sort()).toEqual(['empty', 'invalid_utf8']);
    expect(indexingExitCode(first.reports)).toBe(0); // something was indexed

    pid = (await chroma(port).up()).pid!;
    const second = await indexCorpus(fx.rag, fx.config, { only: ['journal'] });
    const again = second.reports.find((r) => r.collection === 'pdca_historical')!;
    expect(again.files.filter((f) => f.status === 'indexed').map((f) => f.docId).sort()).toEqual(serviceFailures.map((f) => f.docId).sort());
    expect(again.unchanged).toBe(report.indexed);
    const stored = await fx.rag.chroma.count('pdca_historical');
    const recorded = await fx.rag.metadata.countsByCollection();
    expect(stored).toBe(recorded.pdca_historical!.chunks);
  });

  it('exits non-zero when nothing could be indexed because Chroma is down', async () => {
    await chroma(port).down();
    // Only the TrainAI topics; with Chroma down, nothing can be indexed.
    const { reports } = await indexCorpus(fx.rag, fx.config, { only: ['trainai'] });
    const topics = reports.find((r) => r.collection === 'process_framework')!;
    expect(topics.indexed).toBe(0);
    expect(topics.files.every((f) => f.kind === 'service')).toBe(true);
    expect(indexingExitCode(reports)).toBe(4);
  });
});
