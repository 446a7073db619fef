import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'web4-schedule-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function loadWith(schedule: unknown): Error | undefined {
  writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ schedule }));
  try {
    loadConfig({ root, env: {} });
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('the schedule section', () => {
  it("defaults to the plan's jobs: 21:00 index, 22:00 nightly, 09:00 morning validation", () => {
    const { config } = loadConfig({ root: mkdtempSync(join(root, 'empty-')), env: {} });
    expect(config.schedule.jobs).toEqual([
      { name: 'daily-indexing', cron: '0 21 * * *', args: ['index', 'daily'] },
      { name: 'evening-loop', cron: '0 22 * * *', args: ['evening', 'run'] },
      { name: 'morning-validation', cron: '0 9 * * *', args: ['validate'] },
    ]);
    expect(config.schedule.logRotation).toEqual({ enabled: true, cron: '50 20 * * *', compressAfterDays: 30, deleteAfterDays: 365 });
  });

  it('a cron expression that does not parse fails the load, naming the job, the setting and the fault', () => {
    const error = loadWith({ jobs: [{ name: 'evening-loop', cron: '61 22 * * *', args: ['evening', 'run'] }] });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('schedule.jobs.0.cron: job "evening-loop": "61 22 * * *" is not a usable cron expression: Invalid value for minute: 61');
    expect(error!.message).toContain(join(root, 'web4.config.json'));
    expect(loadWith({ jobs: [{ name: 'x', cron: '0 22 * *', args: ['validate'] }] })!.message).toMatch(/job "x": "0 22 \* \*" is not a usable cron expression: .*exactly five or six space separated parts/);
    expect(loadWith({ jobs: [{ name: 'feb30', cron: '0 0 30 2 *', args: ['validate'] }] })!.message).toContain('job "feb30": "0 0 30 2 *" is not a usable cron expression: it never fires');
    expect(loadWith({ logRotation: { cron: 'daily' } })!.message).toContain('schedule.logRotation.cron: "daily" is not a usable cron expression');
  });

  it('other schedule faults say what to fix', () => {
    expect(loadWith({ timezone: 'Mars/Olympus' })!.message).toContain('schedule.timezone: "Mars/Olympus" is not a time zone');
    expect(loadWith({ jobs: [{ name: 'a', cron: '0 1 * * *', args: ['validate'] }, { name: 'a', cron: '0 2 * * *', args: ['doctor'] }] })!.message).toContain('schedule.jobs.1.name: job name "a" is used twice');
    expect(loadWith({ jobs: [{ name: 'Nightly Run', cron: '0 1 * * *', args: ['validate'] }] })!.message).toContain('schedule.jobs.0.name: a job name is lowercase letters');
    expect(loadWith({ jobs: [{ name: 'empty', cron: '0 1 * * *', args: [] }] })!.message).toContain('schedule.jobs.0.args: args names the web4 command');
    expect(loadWith({ logRotation: { compressAfterDays: 30, deleteAfterDays: 10 } })!.message).toContain('deleteAfterDays (10) must be more than compressAfterDays (30)');
  });

  it('accepts 6-field expressions (seconds first) for the in-process scheduler', () => {
    expect(loadWith({ jobs: [{ name: 'fast', cron: '*/2 * * * * *', args: ['doctor'] }] })).toBeUndefined();
  });
});
