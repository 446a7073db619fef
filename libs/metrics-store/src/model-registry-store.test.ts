import { spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { FixedClock, InputError } from '@web4/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from './metrics-store.js';
import { processStartTime } from './run-locks.js';
import { tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

const version = (v: string, parent: string | null = 'base') => ({
  version: v,
  dir: `/outputs/web4_balanced_lora_${v.slice(1)}`,
  runId: `night_${v.slice(1)}`,
  parentVersion: parent,
  samples: 4,
  trainLoss: 2.5,
  details: { steps: 8 },
  ollamaName: `web4-agent:${v}`,
  manifestSha256: 'ab'.repeat(32),
});

describe('ModelRegistryStore', () => {
  it('records versions, moves tags with states and an event in one transaction, and keeps them across a reopen', () => {
    const clock = new FixedClock('2026-11-25T22:00:00Z');
    const path = join(root.dir, 'm.db');
    let store = MetricsStore.open(path, { clock });
    store.models.recordVersion(version('v20261125_220000'));
    store.models.recordVersion(version('v20261126_220000', 'v20261125_220000'));
    store.models.apply({
      tags: { latest: 'v20261125_220000', previous: 'base' },
      versions: [{ version: 'v20261125_220000', state: 'promoted', promotedAt: clock.now().toISOString(), gates: { canaries: '20/20' } }],
      event: { action: 'promoted', version: 'v20261125_220000', fromVersion: 'base', runId: 'night_20261125_220000' },
    });
    store.close();
    store = MetricsStore.open(path, { clock });
    expect(store.models.tags()).toEqual({ latest: 'v20261125_220000', previous: 'base' });
    expect(store.models.versions().map((v) => [v.version, v.state])).toEqual([
      ['v20261126_220000', 'trained'],
      ['v20261125_220000', 'promoted'],
    ]);
    expect(store.models.version('v20261125_220000')).toMatchObject({ gates: { canaries: '20/20' }, details: { steps: 8 }, promotedAt: '2026-11-25T22:00:00.000Z' });
    expect(store.models.events()[0]).toMatchObject({ action: 'promoted', version: 'v20261125_220000', fromVersion: 'base' });
    store.close();
  });

  it('changes nothing when one part of a change is wrong', () => {
    const store = MetricsStore.open(join(root.dir, 'm.db'), { clock: new FixedClock('2026-11-25T22:00:00Z') });
    store.models.recordVersion(version('v20261125_220000'));
    expect(() =>
      store.models.apply({ tags: { latest: 'v20261125_220000' }, versions: [{ version: 'v19990101_000000', state: 'rejected' }], event: { action: 'promoted', version: 'v20261125_220000' } }),
    ).toThrow(/No model version v19990101_000000/);
    expect(store.models.tags()).toEqual({});
    expect(store.models.events()).toEqual([]);
    expect(() => store.models.recordVersion({ ...version('v20261125_220000'), version: 'latest' })).toThrow(InputError);
    store.close();
  });
});

describe('RunLocks', () => {
  it('one holder at a time; a dead holder or a reused pid does not keep the lock', async () => {
    const path = join(root.dir, 'm.db');
    const store = MetricsStore.open(path, { clock: new FixedClock('2026-11-25T22:00:00Z') });
    const sleeper = spawn('sleep', ['30']);
    await new Promise((r) => sleeper.once('spawn', r));
    try {
      const first = store.locks.acquire('evening', 'evening run A', sleeper.pid!);
      expect(first).toMatchObject({ acquired: true, holder: { pid: sleeper.pid, pidStart: processStartTime(sleeper.pid!) } });
      const second = store.locks.acquire('evening', 'evening run B');
      expect(second).toMatchObject({ acquired: false, holder: { owner: 'evening run A', pid: sleeper.pid } });
      // Only the holder releases it.
      expect(store.locks.release('evening')).toBe(false);
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      const third = store.locks.acquire('evening', 'evening run B');
      expect(third).toMatchObject({ acquired: true, holder: { pid: process.pid }, takenOverFrom: { owner: 'evening run A' } });
      // Our own lock again: re-entrant.
      expect(store.locks.acquire('evening', 'evening run B').acquired).toBe(true);
      // A living pid whose start time differs is another process that reused the pid.
      const raw = new BetterSqlite3(path);
      raw.prepare("update run_locks set pid = 1, pid_start = '1' where name = 'evening'").run();
      raw.close();
      expect(store.locks.acquire('evening', 'evening run C')).toMatchObject({ acquired: true, takenOverFrom: { pid: 1 } });
      expect(store.locks.release('evening')).toBe(true);
      expect(store.locks.holder('evening')).toBeUndefined();
    } finally {
      sleeper.kill('SIGKILL');
      store.close();
    }
  });
});
