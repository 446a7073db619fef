import { FixedClock, InputError } from '@web4/core';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsStore } from './metrics-store.js';
import { tempRoot } from './test-fixtures/snapshot.js';

let root: ReturnType<typeof tempRoot>;
beforeEach(() => (root = tempRoot()));
afterEach(() => root.cleanup());

describe('RunRecorder and ValidationLog', () => {
  it('records steps before and after they run, and a resumed step updates its row', () => {
    const clock = new FixedClock('2026-11-25T22:00:00Z');
    const path = join(root.dir, 'logs', 'production_metrics.db');
    let store = MetricsStore.open(path, { clock });
    store.runs.start('run-1', 'lock');
    clock.advance(1_000);
    store.runs.finish('run-1', 'lock', 'done', { pid: 42 });
    store.runs.start('run-1', 'train', { items: 3 });
    store.close(); // a crash here: the step stays "running"

    store = MetricsStore.open(path, { clock });
    expect(store.runs.latestRunId()).toBe('run-1');
    expect(store.runs.steps('run-1').map((s) => [s.step, s.status])).toEqual([
      ['lock', 'done'],
      ['train', 'running'],
    ]);
    clock.advance(60_000);
    store.runs.start('run-1', 'train', { items: 3, resumed: true });
    clock.advance(5_000);
    store.runs.finish('run-1', 'train', 'failed', { error: 'oom' });
    const steps = store.runs.steps('run-1');
    expect(steps).toHaveLength(2);
    expect(steps[0]).toEqual({ runId: 'run-1', step: 'lock', status: 'done', startedAt: '2026-11-25T22:00:00.000Z', finishedAt: '2026-11-25T22:00:01.000Z', details: { pid: 42 } });
    expect(steps[1]).toMatchObject({ status: 'failed', startedAt: '2026-11-25T22:01:01.000Z', finishedAt: '2026-11-25T22:01:06.000Z', details: { items: 3, resumed: true, error: 'oom' } });
    expect(() => store.runs.finish('run-1', 'deploy', 'done')).toThrow(InputError);
    expect(() => store.runs.start('', 'x')).toThrow(/runId must be a non-empty string/);
    store.close();
  });

  it('records validations and returns the newest first', () => {
    const clock = new FixedClock('2026-11-26T07:00:00Z');
    const store = MetricsStore.open(join(root.dir, 'm.db'), { clock });
    store.validations.record({ model: 'web4-agent:latest', passed: false, totalCases: 10, passedCases: 6, score: 0.6 });
    clock.advance(86_400_000);
    const id = store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 10, passedCases: 10, score: 1, details: { slowest: 'case-3' } });
    const latest = store.validations.latest(5);
    expect(latest.map((v) => v.passed)).toEqual([true, false]);
    expect(latest[0]).toEqual({ id, runAt: '2026-11-27T07:00:00.000Z', model: 'web4-agent:latest', passed: true, score: 1, totalCases: 10, passedCases: 10, details: { slowest: 'case-3' }, modelVersion: null, modelDigest: null });
    expect(() => store.validations.record({ model: 'm', passed: true, totalCases: 3, passedCases: 4 })).toThrow(/passedCases/);
    clock.advance(86_400_000);
    store.validations.record({ model: 'web4-agent:latest', passed: true, totalCases: 10, passedCases: 9, modelVersion: 'v20261127_220000', modelDigest: 'sha256:abc' });
    expect(store.validations.since(new Date('2026-11-27T00:00:00.000Z')).map((v) => [v.runAt, v.modelVersion, v.modelDigest])).toEqual([
      ['2026-11-27T07:00:00.000Z', null, null],
      ['2026-11-28T07:00:00.000Z', 'v20261127_220000', 'sha256:abc'],
    ]);
    expect(store.validations.lastBefore(new Date('2026-11-28T00:00:00.000Z'))?.id).toBe(id);
    expect(store.validations.lastBefore(new Date('2026-11-26T07:00:00.000Z'))).toBeUndefined();
    store.close();
  });
});
