import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRetentionSet } from './night-data.js';
import { nightHistory } from './night-records.js';
import { MetricsReader } from '@web4/metrics-store';
import { dayIds, nightState } from './test-support/invariants.js';
import { tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * The nightly loop end to end on the real services (Chroma, Ollama) and the real trainer, with
 * the trainer's tiny model as base so that a night takes seconds: nights that promote, a night
 * with nothing to do, a rollback that the next night continues from.
 */
let t: TinyNight;
beforeAll(async () => {
  // A retention set of one PDCA leaves night 1's other PDCA for replay on night 2.
  t = await tinyNight({ settings: { evening: { gates: { maxRetentionLossIncreasePct: 100, retentionSetSize: 1, canaryConcurrency: 2 } } } });
}, 300_000);
afterAll(async () => t?.cleanup());

describe('EveningLoop on the tiny model', () => {
  it('night 1 trains a new LoRA, passes the gates, promotes it and moves the buffer to history', async () => {
    await t.index('2026-11-20');
    const ids = await dayIds(t, '2026-11-20');
    expect(ids).toHaveLength(2);
    const loop = t.loop('2026-11-20');
    const out = await loop.run();
    expect(out.status, JSON.stringify(out.error)).toBe('complete');
    expect(out.exitCode).toBe(0);
    expect(out.items).toBe(2);
    expect(out.replayed).toBe(0); // no history before the first night
    expect(out.gates?.pass).toBe(true);
    expect(out.losses!.night.candidate!).toBeLessThan(out.losses!.night.production!);
    expect(out.served).toEqual({ latest: out.version, previous: 'base' });

    const state = await nightState(t, ids);
    expect(state).toMatchObject({ learned: ids, waiting: [], lost: [], historyDuplicates: 0, ollamaMismatches: [], consistent: true });
    expect(state.archives).toHaveLength(1);

    // The plan's log: stamped lines on the way, and the closing block.
    const log = readFileSync(loop.logFile!, 'utf8');
    for (const line of [
      /^\[2026-11-20 22:00:\d\d\] Starting night night_20261120_220000/m,
      /Backup: nothing to back up, production is the base model/,
      /Found 2 untrained items \(\d+ chunks\) in daily_buffer/,
      /Generated \d+ samples: \d+ from tonight's 2 PDCAs, 0 replayed/,
      /Training: step \d+\/\d+, loss \d\.\d{4}, \d+ tokens\/s, ETA/,
      /Training loss \d\.\d{4} .* adapter .*web4_balanced_lora_20261120_220000/,
      /Canaries: 2\/2 passed/,
      /Marked 2 PDCAs trained in v20261120_220000/,
      /Moved \d+ chunks of 2 PDCAs to pdca_historical/,
      /Archived \d+ chunks of 2 PDCAs to .*daily_buffer_20261120_220000\.json/,
      /Cleared \d+ chunks of 2 PDCAs from daily_buffer/,
      /EVENING LOOP COMPLETE/,
      /Served: {5}latest = v20261120_220000, previous = base/,
    ]) {
      expect(log).toMatch(line);
    }
    const json = readFileSync(loop.logFile!.replace(/\.log$/, '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(json.some((l) => /EVENING LOOP COMPLETE/.test(l.msg))).toBe(true);
  }, 300_000);

  it('night 2 continues from production, replays older PDCAs, measures retention, and backs production up first', async () => {
    await t.index('2026-11-21');
    const ids = await dayIds(t, '2026-11-21');
    const out = await t.loop('2026-11-21').run();
    expect(out.status, JSON.stringify(out.error)).toBe('complete');
    expect(out.replayed).toBeGreaterThan(0);
    expect(out.losses!.retention.tokens).toBeGreaterThan(0);
    const v1 = 'v20261120_220000';
    expect(t.store().models.version(out.version!)).toMatchObject({ parentVersion: v1, state: 'promoted' });
    expect(out.served).toEqual({ latest: out.version, previous: v1 });
    const manifest = JSON.parse(readFileSync(join(out.adapterDir!, 'manifest.json'), 'utf8')) as { parent_adapter: string; job_metadata: { replayed: number; replayIds: string[] } };
    expect(manifest.parent_adapter).toBe(join(t.store().models.version(v1)!.dir, 'adapter'));
    expect(manifest.job_metadata.replayed).toBe(out.replayed);
    const backup = join(t.paths().backupsDir, 'backup_20261121_220000');
    expect(existsSync(join(backup, 'checksums.sha256'))).toBe(true);
    expect(JSON.parse(readFileSync(join(backup, 'version.json'), 'utf8')).version).toBe(v1);
    // The retention set holds night 1's PDCAs and stays as it is.
    const night1 = t.store().runs.steps('night_20261120_220000').find((s) => s.step === 'read_buffer')!.details.pdcaIds as string[];
    const retention = readRetentionSet(t.paths().logsDir)!.pdcaIds;
    expect(retention).toHaveLength(1);
    expect(night1).toContain(retention[0]);
    expect(manifest.job_metadata.replayIds).toEqual(night1.filter((id) => id !== retention[0]));
    const state = await nightState(t, [...ids, ...(await dayIds(t, '2026-11-20'))]);
    expect(state).toMatchObject({ waiting: [], lost: [], historyDuplicates: 0, ollamaMismatches: [], consistent: true });
    // Production (night 1's candidate) was asked the canaries as candidate last night: not asked again.
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/Production \(v20261120_220000\) on the same cases: 2\/2 \(answered in night night_20261120_220000: same weights/);
  }, 300_000);

  it('a night with nothing new says NOTHING TO DO and changes nothing; re-indexing learned PDCAs does not bring them back', async () => {
    await t.index('2026-11-20');
    const before = t.store().models.tags();
    const out = await t.loop('2026-11-21').run();
    expect(out.status).toBe('nothing');
    expect(out.runId).toBe('night_20261121_220001'); // the clock stood still: the next free second
    expect(out.exitCode).toBe(0);
    expect(t.store().models.tags()).toEqual(before);
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/EVENING LOOP: NOTHING TO DO/);
  }, 120_000);

  it('a rollback moves the tags back, and the next night continues from the rolled-back-to version', async () => {
    const v1 = 'v20261120_220000';
    const v2 = 'v20261121_220000';
    const rolled = await t.loop('2026-11-22').registry(t.store()).rollback({ reason: 'test: v2 answers badly' });
    expect(rolled).toMatchObject({ from: v2, to: v1 });
    expect(t.store().models.tags()).toMatchObject({ latest: v1, previous: 'base' });
    expect(t.store().models.version(v2)).toMatchObject({ state: 'rolled_back', reason: 'test: v2 answers badly' });
    expect(await t.ollama.digest(t.config().models.productionModel)).toBe(await t.ollama.digest(t.store().models.version(v1)!.ollamaName));

    await t.index('2026-11-22');
    const out = await t.loop('2026-11-22').run();
    expect(out.status, JSON.stringify(out.error)).toBe('complete');
    expect(t.store().models.version(out.version!)!.parentVersion).toBe(v1);
    // v1's retention loss on the same (full, frozen) set was measured in night 2, where v1 was production.
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/Production's retention loss \d\.\d{4} is the one measured in night night_20261121_220000/);
    const reader = MetricsReader.sqlite(t.paths().metricsDb);
    const history = await nightHistory(reader, 10);
    await reader.close();
    expect(history.map((h) => h.status)).toEqual(['complete', 'nothing', 'complete', 'complete']);
  }, 300_000);
});
