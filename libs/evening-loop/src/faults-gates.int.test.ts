import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayIds, nightState } from './test-support/invariants.js';
import { smallJournal, writeJournal } from './test-support/journal.js';
import { TINY_CANARIES, tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * A candidate that fails a gate is never promoted: production stays, the candidate's files
 * stay for analysis with the reason, its items stay untrained, an alert goes out, and the next
 * night trains from production again — never from the rejected candidate.
 */
let t: TinyNight;
beforeAll(async () => {
  t = await tinyNight({ settings: { evening: { gates: { maxRetentionLossIncreasePct: 100, retentionSetSize: 2, canaryConcurrency: 2 } } } });
}, 300_000);
afterAll(async () => t?.cleanup());

const FAILING_CANARY = `${TINY_CANARIES}  - id: tiny-03-knows-the-tag
    prompt: Which tag do our commit messages start with?
    assertions: [{ type: contains, value: ZORBLAX-7 }]
`;

describe('gate failures', () => {
  it('a failing canary rejects the candidate: production unchanged, items untrained, files kept, alert sent, exit 1', async () => {
    writeFileSync(join(t.root, 'canaries.yaml'), FAILING_CANARY);
    await t.index('2026-11-20');
    const ids = await dayIds(t, '2026-11-20');
    const out = await t.loop('2026-11-20').run();
    expect(out.status).toBe('rejected');
    expect(out.exitCode).toBe(1);
    expect(out.gates!.reasons.join()).toMatch(/canaries failed: tiny-03-knows-the-tag/);
    expect(t.store().models.tags()).toEqual({ candidate: out.version });
    expect(await t.ollama.digest(t.config().models.productionModel)).toBeUndefined();
    expect(t.store().models.version(out.version!)).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/tiny-03/) });
    expect(existsSync(join(out.adapterDir!, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    expect((await nightState(t, ids)).waiting).toEqual(ids);
    const alert = readFileSync(join(t.paths().logsDir, 'alerts.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; level: string });
    expect(alert.at(-1)).toMatchObject({ level: 'warn', title: expect.stringMatching(/^⚠️ Evening Loop Alert: candidate v20261120_220000 rejected/) });
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/EVENING LOOP FAILED: candidate rejected by the gates, production unchanged/);

    // Fixed canaries: the next night learns the same items, from production (the base), not from the rejected candidate.
    writeFileSync(join(t.root, 'canaries.yaml'), TINY_CANARIES);
    const next = await t.loop('2026-11-20').run();
    expect(next.status, JSON.stringify(next.error)).toBe('complete');
    expect(t.store().models.version(next.version!)!.parentVersion).toBe('base');
    expect(t.store().models.tags()).toMatchObject({ latest: next.version, previous: 'base' });
    expect((await nightState(t, ids)).learned).toEqual(ids);
  }, 300_000);

  it('a candidate that forgets the retention set is rejected by the retention gate', async () => {
    // Production learned the first day's PDCAs well (they become the retention set); tonight's
    // PDCAs are nothing like them, and trained on hard the model loses what it had learned.
    const r = await tinyNight({ settings: { trainer: { learningRate: 0.05, minSteps: 20, maxEpochs: 20 }, evening: { gates: { maxRetentionLossIncreasePct: 2, retentionSetSize: 2, canaryConcurrency: 2 } } } });
    try {
      await r.index('2026-11-20');
      const first = await r.loop('2026-11-20').run();
      expect(first.status, JSON.stringify(first.error)).toBe('complete');
      writeJournal(join(r.journal, 'odd'), [
        { day: '2026-11-21', hhmm: '1000', slug: 'zz-noise-a', objective: 'Qxv zzkp qqqq wvvw.', plan: 'zzkp qqqq '.repeat(30), do: 'wvvw xqxq '.repeat(30), check: 'kqkq zzzz '.repeat(30), act: 'qqzz vvww '.repeat(30) },
        { day: '2026-11-21', hhmm: '1100', slug: 'zz-noise-b', objective: 'Wvvw qqzz kqkq zzkp.', plan: 'xqxq kqkq '.repeat(30), do: 'zzzz qqzz '.repeat(30), check: 'vvww zzkp '.repeat(30), act: 'qqqq wvvw '.repeat(30) },
      ]);
      await r.index('2026-11-21');
      const noise = await dayIds(r, '2026-11-21');
      const out = await r.loop('2026-11-21').run();
      expect(out.losses!.retention.tokens).toBeGreaterThan(0);
      expect(out.status, JSON.stringify(out.losses)).toBe('rejected');
      expect(out.gates!.gates.find((g) => g.gate === 'retention-loss')!.pass).toBe(false);
      expect(out.gates!.gates.find((g) => g.gate === 'night-loss')!.pass).toBe(true); // it did learn tonight's PDCAs
      expect(out.gates!.reasons.join()).toMatch(/the candidate forgot: retention loss .* above production's/);
      expect(r.store().models.tags().latest).toBe(first.version);
      expect(await r.ollama.digest(r.config().models.productionModel)).toBe(await r.ollama.digest(r.store().models.version(first.version!)!.ollamaName));
      expect((await nightState(r, noise)).waiting).toEqual(noise);
    } finally {
      await r.cleanup();
    }
  }, 300_000);

  it('a promoted model that gives no answer is rolled back at once: FAILED, exit 1, alert, items untrained', async () => {
    writeJournal(join(t.journal, 'serving'), smallJournal('2026-11-24', 1, 2));
    await t.index('2026-11-24');
    const ids = await dayIds(t, '2026-11-24');
    const before = t.store().models.tags().latest!;
    process.env.WEB4_FAULT_SERVING_CHECK = 'empty';
    let out;
    try {
      out = await t.loop('2026-11-24').run();
    } finally {
      delete process.env.WEB4_FAULT_SERVING_CHECK;
    }
    expect(out.status, JSON.stringify(out.error)).toBe('failed');
    expect(out.exitCode).toBe(1);
    expect(out.error!.message).toMatch(/did not answer, production was rolled back to/);
    expect(t.store().models.tags().latest).toBe(before);
    expect(t.store().models.version(out.version!)).toMatchObject({ state: 'rolled_back', reason: expect.stringMatching(/answered with nothing/) });
    expect(await t.ollama.digest(t.config().models.productionModel)).toBe(await t.ollama.digest(t.store().models.version(before)!.ollamaName));
    expect((await nightState(t, ids)).waiting).toEqual(ids);
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/EVENING LOOP FAILED: promoted model did not serve, rolled back/);
    const alerts = readFileSync(join(t.paths().logsDir, 'alerts.log'), 'utf8');
    expect(alerts).toMatch(/"level":"error".*did not answer/);
    // A final outcome: the next run starts a new night (it does not resume this one).
    const next = await t.loop('2026-11-24').run();
    expect(next.status, JSON.stringify(next.error)).toBe('complete');
  }, 300_000);

  it('another deployment under our production name stops the night before training: exit 2, its model untouched, items kept', async () => {
    writeJournal(join(t.journal, 'names'), smallJournal('2026-11-25', 1, 1));
    await t.index('2026-11-25');
    const ids = await dayIds(t, '2026-11-25');
    const name = t.config().models.productionModel;
    const ours = t.store().models.tags().latest!;
    const versions = t.store().models.versions().length;
    // Another state root's model under the same name: same weights, its own system prompt, so its own digest.
    const created = await fetch(`${t.ollamaUrl}/api/create`, { method: 'POST', body: JSON.stringify({ model: name, from: t.store().models.version(ours)!.ollamaName, system: 'Another team.', stream: false }) });
    expect(created.status).toBe(200);
    const foreign = await t.ollama.digest(name);
    const out = await t.loop('2026-11-25').run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'backup', exitCode: 2 });
    expect(out.error!.message).toMatch(/a model this state root did not register/);
    expect(out.error!.hint).toMatch(/deployment\.name/);
    expect(t.store().models.versions()).toHaveLength(versions); // nothing trained or registered
    expect(await t.ollama.digest(name)).toBe(foreign);
    expect((await nightState(t, ids)).waiting).toEqual(ids);
    expect(t.store().runs.steps(out.runId).map((s) => s.step)).not.toContain('train');
    // The other deployment moves away: the same night resumes and completes.
    await t.ollama.remove(name);
    const resumed = await t.loop('2026-11-25').resume();
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('complete');
    expect(resumed.runId).toBe(out.runId);
    expect((await nightState(t, ids)).learned).toEqual(ids);
  }, 300_000);
});
