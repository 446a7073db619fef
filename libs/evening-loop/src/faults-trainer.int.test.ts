import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayIds, nightState } from './test-support/invariants.js';
import { tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * The trainer failing in the ways a night meets: refusing its job, running out of memory,
 * hanging past its timeout. Each leaves production as it was, the buffer untouched, no partial
 * output, and a night that `resume` completes once the cause is fixed.
 */
const DAY = '2026-11-20';
let t: TinyNight;
let ids: string[];
beforeAll(async () => {
  t = await tinyNight();
  await t.index(DAY);
  ids = await dayIds(t, DAY);
}, 300_000);
afterAll(async () => t?.cleanup());

async function untouched(step: string): Promise<void> {
  expect(t.store().models.tags(), `production moved after a failed ${step}`).toEqual({});
  expect(await t.ollama.digest(t.config().models.productionModel)).toBeUndefined();
  const state = await nightState(t, ids);
  expect(state.waiting).toEqual(ids);
  expect(state.lost).toEqual([]);
  const outputs = existsSync(t.paths().outputsDir) ? readdirSync(t.paths().outputsDir) : [];
  expect(outputs.filter((f) => f.includes('.partial-')), 'partial trainer output left behind').toEqual([]);
  expect(outputs.filter((f) => /^web4_balanced_lora_\d{8}_\d{6}$/.test(f)), 'an output folder from a failed run').toEqual([]);
}

describe('trainer faults', () => {
  it('a job the trainer refuses: exit 2 with the field named, the night stays open, resume completes it', async () => {
    const out = await t.loop(DAY, { trainerOverrides: { learning_rate: 5 } }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'train', exitCode: 2 });
    expect(out.error!.message).toMatch(/learning_rate must be in \(0, 1\)/);
    await untouched('train');
    const alerts = t.paths().logsDir + '/alerts.log';
    expect(existsSync(alerts)).toBe(true);
  }, 300_000);

  it('out of memory: exit 1 with the OOM hint, nothing written; resume with the memory back completes', async () => {
    const out = await t.loop(DAY, { trainerOverrides: { memory_limit_mb: 1, batch_size: 4, max_length: 2048 } }).resume();
    expect(out).toMatchObject({ status: 'open', failedStep: 'train' });
    expect(out.error).toMatchObject({ code: 'trainer_oom' });
    expect(out.error!.hint).toMatch(/batch_size|batchSize/);
    await untouched('train (oom)');
  }, 300_000);

  it('a trainer that hangs past trainer.timeoutS is stopped, leaves nothing, and resume completes the night', async () => {
    const hang = t.loop(DAY, { config: { ...t.config(), trainer: { ...t.config().trainer, timeoutS: 4 } }, trainerOverrides: { min_steps: 1_000_000, max_epochs: 1_000_000 } });
    const out = await hang.resume();
    expect(out).toMatchObject({ status: 'open', failedStep: 'train' });
    expect(out.error).toMatchObject({ code: 'trainer_timeout' });
    await untouched('train (timeout)');

    const done = await t.loop(DAY).resume();
    expect(done.status, JSON.stringify(done.error)).toBe('complete');
    expect(done.runId).toBe(out.runId); // the same night, continued
    expect((await nightState(t, ids)).learned).toEqual(ids);
  }, 300_000);
});
