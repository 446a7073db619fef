import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRag } from '@web4/rag-tiers';
import { dayIds, nightState } from './test-support/invariants.js';
import { smallJournal, writeJournal } from './test-support/journal.js';
import { tcpProxy, type TcpProxy } from './test-support/tcp-proxy.js';
import { sharedEmbedder, tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * Chroma or Ollama going away in the middle of a night. The night reaches them through a TCP
 * forwarder that the test stops at a precise step (connections refused and cut, as a stopped
 * server gives) and starts again (the data behind it intact, as after a service restart).
 */
let t: TinyNight;
let chroma: TcpProxy;
let ollama: TcpProxy;
beforeAll(async () => {
  t = await tinyNight();
  chroma = await tcpProxy(t.chromaUrl);
  ollama = await tcpProxy(t.ollamaUrl);
}, 300_000);
afterAll(async () => {
  await chroma?.close();
  await ollama?.close();
  await t?.cleanup();
});

function loopThroughProxies(day: string, stopAt: { step: string; proxy: TcpProxy }) {
  const config = t.config();
  return t.loop(day, {
    ollamaUrl: ollama.url,
    openRag: async () => openRag(config, { embedder: sharedEmbedder(config), chromaUrl: chroma.url }),
    hooks: {
      beforeStep: async (step) => {
        if (step === stopAt.step) await stopAt.proxy.down();
      },
    },
  });
}

describe('services going down during a night', () => {
  it('Chroma down when the buffer is read: exit 4, nothing changed; the next run completes the items', async () => {
    await t.index('2026-11-20');
    const ids = await dayIds(t, '2026-11-20');
    const out = await loopThroughProxies('2026-11-20', { step: 'read_buffer', proxy: chroma }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'read_buffer', exitCode: 4 });
    expect(out.error!.message).toMatch(/Chroma at .* is not reachable/);
    expect(out.error!.hint).toMatch(/services up/);
    expect(t.store().models.tags()).toEqual({});
    await chroma.up();
    const next = await t.loop('2026-11-20').run();
    expect(next.status, JSON.stringify(next.error)).toBe('complete');
    expect((await nightState(t, ids)).learned).toEqual(ids);
  }, 300_000);

  it('Ollama down at registration: exit 4, production unchanged; resume registers and completes the same night', async () => {
    await t.index('2026-11-21');
    const ids = await dayIds(t, '2026-11-21');
    const production = t.store().models.tags().latest;
    const out = await loopThroughProxies('2026-11-21', { step: 'register', proxy: ollama }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'register', exitCode: 4 });
    expect(t.store().models.tags().latest).toBe(production);
    await ollama.up();
    const resumed = await t.loop('2026-11-21').resume();
    expect(resumed).toMatchObject({ status: 'complete', runId: out.runId });
    expect((await nightState(t, ids)).learned).toEqual(ids);
  }, 300_000);

  it('Ollama down in the middle of the promotion: the registry has moved, Ollama not yet; resume finishes the promotion', async () => {
    await t.index('2026-11-22');
    const ids = await dayIds(t, '2026-11-22');
    const before = t.store().models.tags().latest!;
    const out = await loopThroughProxies('2026-11-22', { step: 'promote', proxy: ollama }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'promote', exitCode: 4 });
    await ollama.up();
    const state = await nightState(t, ids);
    expect(state.waiting).toEqual(ids); // not marked trained: the promotion did not finish
    const resumed = await t.loop('2026-11-22').resume();
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('complete');
    expect(t.store().models.tags()).toMatchObject({ latest: resumed.version, previous: before });
    const after = await nightState(t, ids);
    expect(after).toMatchObject({ learned: ids, lost: [], ollamaMismatches: [], consistent: true });
    expect(t.store().models.events().filter((e) => e.action === 'promoted' && e.version === resumed.version)).toHaveLength(1);
  }, 300_000);

  it('Chroma down after the promotion, while moving the buffer: production moved, resume finishes the bookkeeping with nothing lost', async () => {
    writeJournal(`${t.journal}/more`, smallJournal('2026-11-23', 1, 2)); // the fixture's journal has three days
    await t.index('2026-11-23');
    const day = await dayIds(t, '2026-11-23');
    const out = await loopThroughProxies('2026-11-23', { step: 'copy_history', proxy: chroma }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'copy_history', exitCode: 4 });
    expect(t.store().models.tags().latest).toBe(out.version); // promoted before Chroma went
    await chroma.up();
    // `run` (cron) finishes a night that passed its decision before anything else.
    const next = await t.loop('2026-11-23').run();
    expect(next.finishedEarlierNight).toMatchObject({ status: 'complete', runId: out.runId });
    expect(next.status).toBe('nothing');
    const state = await nightState(t, day);
    expect(state).toMatchObject({ learned: day, lost: [], historyDuplicates: 0, consistent: true });
  }, 300_000);
});
