import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@web4/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runSchedule, type ScheduleEvent } from './in-process-schedule.js';
import { planSchedule } from './schedule-plan.js';
import type { JobRunner } from './job-runner.js';

/**
 * Real child processes on second-level cron expressions (croner's 6 fields): a stand-in `web4`
 * script whose behaviour depends on the command it is given, so the scheduler's handling of
 * slow, stubborn and quick jobs is seen in seconds.
 */
const base = mkdtempSync(join(tmpdir(), 'web4-inproc-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const fakeWeb4 = join(base, 'fake-web4.mjs');
writeFileSync(
  fakeWeb4,
  `const args = process.argv.slice(2).join(' ');
console.log('start ' + args + ' pid ' + process.pid);
const ms = args.startsWith('validate') ? 2500 : args.startsWith('doctor') ? 50 : 30000;
process.on('SIGTERM', () => {
  console.log('got SIGTERM');
  if (!args.startsWith('monitor report')) setTimeout(() => { console.log('stopped cleanly'); process.exit(0); }, 200);
});
setTimeout(() => { console.log('done'); process.exit(0); }, ms);
`,
);
const runner: JobRunner = { kind: 'source', argv: [process.execPath, fakeWeb4], describe: 'test stand-in' };
const planWith = (name: string, jobs: Array<{ name: string; cron: string; args: string[] }>) =>
  planSchedule(loadConfig({ root: join(base, name), env: {}, overrides: { schedule: { jobs, logRotation: { enabled: false } } } }).config, { runner });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (check: () => boolean, ms: number) => {
  for (const until = Date.now() + ms; Date.now() < until && !check(); ) await sleep(50);
  return check();
};

describe('the in-process scheduler', () => {
  it('skips and logs a run whose previous run is still going, and reports a job naming an unknown command without running it', async () => {
    const events: ScheduleEvent[] = [];
    const plan = planWith('overlap', [
      { name: 'slow', cron: '* * * * * *', args: ['validate'] },
      { name: 'quick', cron: '* * * * * *', args: ['doctor'] },
      { name: 'typo', cron: '* * * * * *', args: ['monitr', 'report'] },
    ]);
    let maxSlowAtOnce = 0;
    let slowNow = 0;
    const schedule = runSchedule(plan, {
      onEvent: (e) => {
        events.push(e);
        if (e.event === 'started' && e.job === 'slow') maxSlowAtOnce = Math.max(maxSlowAtOnce, ++slowNow);
        if (e.event === 'finished' && e.job === 'slow') slowNow--;
      },
    });
    expect(events[0]).toMatchObject({ event: 'unknown-command', job: 'typo', args: ['monitr', 'report'] });
    expect((events[0] as { knownCommands: string }).knownCommands).toContain('monitor report');
    expect(await waitFor(() => events.filter((e) => e.event === 'skipped-overlap' && e.job === 'slow').length >= 2, 6000)).toBe(true);
    expect(await waitFor(() => events.some((e) => e.event === 'finished' && e.job === 'slow'), 4000)).toBe(true);
    await schedule.stop();
    expect(maxSlowAtOnce).toBe(1);
    expect(events.filter((e) => e.event === 'finished' && e.job === 'quick').length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.event === 'finished' && e.job === 'slow' && e.exitCode === 0)).toBe(true);
    expect(events.some((e) => 'job' in e && e.job === 'typo' && e.event !== 'unknown-command')).toBe(false);
    const slowLog = readFileSync(join(base, 'overlap', 'logs', 'cron_slow.log'), 'utf8');
    expect(slowLog).toMatch(new RegExp(`^start validate --root ${join(base, 'overlap').replace(/[/.]/g, '\\$&')} pid \\d+\\ndone\\n`));
  }, 20_000);

  it('stop: running jobs get SIGTERM and are awaited; no new run starts', async () => {
    const events: ScheduleEvent[] = [];
    const schedule = runSchedule(planWith('stop', [{ name: 'night', cron: '* * * * * *', args: ['evening', 'run'] }]), { onEvent: (e) => events.push(e), stopTimeoutMs: 5000 });
    expect(await waitFor(() => schedule.running().includes('night'), 3000)).toBe(true);
    await sleep(300); // let it install its SIGTERM handler
    const t0 = Date.now();
    const report = await schedule.stop();
    expect(report).toEqual({ clean: true, killed: [] });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(events.find((e) => e.event === 'finished')).toMatchObject({ job: 'night', exitCode: 0, signal: null });
    const log = readFileSync(join(base, 'stop', 'logs', 'cron_night.log'), 'utf8');
    expect(log).toContain('got SIGTERM\nstopped cleanly\n');
    await sleep(1500);
    expect(events.filter((e) => e.event === 'started')).toHaveLength(1);
  }, 20_000);

  it('stop: a job that ignores SIGTERM is killed after the bound', async () => {
    const schedule = runSchedule(planWith('stubborn', [{ name: 'stubborn', cron: '* * * * * *', args: ['monitor', 'report'] }]), { stopTimeoutMs: 1000 });
    expect(await waitFor(() => schedule.running().includes('stubborn'), 3000)).toBe(true);
    await sleep(300); // let it install its SIGTERM handler
    const t0 = Date.now();
    const report = await schedule.stop();
    expect(report).toEqual({ clean: false, killed: ['stubborn'] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(readFileSync(join(base, 'stubborn', 'logs', 'cron_stubborn.log'), 'utf8')).toContain('got SIGTERM');
  }, 20_000);
});
