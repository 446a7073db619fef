import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock } from '@web4/core';
import { describe, expect, it } from 'vitest';
import { EveningLog } from './evening-log.js';
import { seededRandom } from '@web4/core';
import { seedOf, shuffled } from './night-data.js';
import { plannedSteps, runIdOf, stampOfRun } from './night-plan.js';

describe('plannedSteps', () => {
  it('follows DESIGN.md: early exit without items, promotion path after a pass, rejection after a fail', () => {
    expect(plannedSteps({})).toEqual(['backup', 'read_buffer', 'samples', 'train', 'evaluate', 'register', 'canaries', 'decide']);
    expect(plannedSteps({ items: 0 })).toEqual(['backup', 'read_buffer', 'prune', 'summary']);
    expect(plannedSteps({ items: 3, decided: true, pass: true }).slice(8)).toEqual(['promote', 'mark_trained', 'copy_history', 'archive', 'clear', 'prune', 'summary']);
    expect(plannedSteps({ items: 3, decided: true, pass: false }).slice(8)).toEqual(['reject', 'prune', 'summary']);
  });

  it('names a night after its stamp and back', () => {
    expect(runIdOf('20261125_220000')).toBe('night_20261125_220000');
    expect(stampOfRun('night_20261125_220000')).toBe('20261125_220000');
  });
});

describe('seeded choices', () => {
  it('the same seed picks the same PDCAs on every machine; another seed picks others', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `pdca-${i}`);
    expect(shuffled(ids, 42)).toEqual(shuffled(ids, 42));
    expect(shuffled(ids, 42)).not.toEqual(shuffled(ids, 43));
    expect([...shuffled(ids, 7)].sort()).toEqual([...ids].sort());
    const r = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => r());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(seedOf(42, '20261125_220000')).toBe(seedOf(42, '20261125_220000'));
    expect(seedOf(42, '20261125_220000')).not.toBe(seedOf(42, '20261126_220000'));
  });
});

describe('EveningLog', () => {
  it("writes the plan's [YYYY-MM-DD HH:MM:SS] lines to the console and the file, JSON beside, secrets redacted", () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-evening-log-'));
    try {
      const out: string[] = [];
      const console = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
      const log = new EveningLog({ logsDir: dir, clock: new FixedClock('2026-11-25T22:00:03Z'), console });
      log.info('Found 3 untrained items', { items: 3 });
      log.warn('alert to https://hooks.slack.com/services/T000/B000/XXXX failed');
      expect(log.file).toBe(join(dir, 'evening_loop_20261125_220003.log'));
      const text = readFileSync(log.file!, 'utf8');
      expect(text).toBe(out.join(''));
      expect(text.split('\n')[0]).toBe('[2026-11-25 22:00:03] Found 3 untrained items');
      expect(text).toContain('hooks.slack.com/services/[redacted]');
      const json = readFileSync(log.jsonFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; items?: number });
      expect(json[0]).toMatchObject({ msg: 'Found 3 untrained items', items: 3 });
      expect(readFileSync(log.jsonFile!, 'utf8')).not.toContain('B000/XXXX');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes no file when asked not to (dry runs)', () => {
    const log = new EveningLog({ logsDir: '/nonexistent/never', clock: new FixedClock('2026-11-25T22:00:03Z'), console: null, noFiles: true });
    log.info('nothing written');
    expect(log.file).toBeUndefined();
  });
});
