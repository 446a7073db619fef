import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@web4/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crontab } from './crontab.js';
import { planSchedule } from './schedule-plan.js';
import type { JobRunner } from './job-runner.js';

/**
 * Against the real `crontab` (Debian's cron package, installed by tools/bootstrap.mjs where
 * apt is available), on a throwaway user's table: never the developer's.
 */
const hasCrontab = spawnSync('sh', ['-c', 'command -v crontab'], { encoding: 'utf8' }).status === 0;
const isRoot = process.getuid?.() === 0;
const skipReason = !hasCrontab
  ? 'no `crontab` command (install Debian\'s cron: `apt-get install cron`, or run `node tools/bootstrap.mjs`, which does it where apt is available)'
  : !isRoot
    ? 'not root: a throwaway user (useradd) and `crontab -u` need root; these tests never touch your own crontab'
    : '';
if (skipReason) process.stderr.write(`⚠️ crontab tests skipped: ${skipReason}\n`);

const user = `w4cron${process.pid % 100000}`;
const base = mkdtempSync(join(tmpdir(), 'web4-crontab-'));
const runner: JobRunner = { kind: 'source', argv: [process.execPath, '/repo/tools/web4.mjs'], describe: 'source entry /repo/tools/web4.mjs' };
const planFor = (root: string) => planSchedule(loadConfig({ root, env: {} }).config, { runner });

describe.skipIf(Boolean(skipReason))("a throwaway user's real crontab", () => {
  const crontab = new Crontab({ user });
  beforeAll(() => {
    const r = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${user} failed: ${r.stderr}`);
  });
  afterAll(() => {
    spawnSync('crontab', ['-u', user, '-r'], { encoding: 'utf8' });
    spawnSync('userdel', [user], { encoding: 'utf8' });
    rmSync(base, { recursive: true, force: true });
  });

  it('install keeps the user lines, is idempotent, lets two roots coexist; uninstall removes only ours', () => {
    const mine = '# the user\'s own jobs\nMAILTO=""\n*/10 * * * * /usr/bin/true # keep me\n';
    crontab.write(mine);
    expect(crontab.read()).toBe(mine);

    const rootA = join(base, 'root a');
    const rootB = join(base, 'root-b');
    const first = crontab.install(planFor(rootA));
    expect(first.replaced).toBe(false);
    expect(existsSync(join(rootA, 'logs'))).toBe(true); // the logs folder exists before the first job runs
    const afterFirst = crontab.read();
    expect(afterFirst.startsWith(mine)).toBe(true);
    expect(afterFirst).toContain(`0 22 * * * mkdir -p '${join(rootA, 'logs')}' && cd '${rootA}' && ${process.execPath} /repo/tools/web4.mjs evening run --root '${rootA}' >> '${join(rootA, 'logs', 'cron_evening-loop.log')}' 2>&1`);

    const again = crontab.install(planFor(rootA));
    expect(again.replaced).toBe(true);
    expect(crontab.read()).toBe(afterFirst);

    crontab.install(planFor(rootB));
    const both = crontab.read();
    expect(both.match(/^# BEGIN web4-learning /gm)).toHaveLength(2);
    expect(both.match(/ index daily --root /g)).toHaveLength(2);

    expect(crontab.uninstall(rootA).removed).toBe(true);
    const onlyB = crontab.read();
    expect(onlyB.startsWith(mine)).toBe(true);
    expect(onlyB).not.toContain(rootA);
    expect(onlyB).toContain(`# BEGIN web4-learning ${rootB}`);
    expect(crontab.uninstall(rootA).removed).toBe(false);
    crontab.uninstall(rootB);
    expect(crontab.read()).toBe(mine);
  });

  it("a line crontab itself refuses is an error that says so, and the table is left as it was", () => {
    const before = crontab.read();
    // croner accepts "L" (last day of month); Debian's cron does not.
    const plan = planSchedule(loadConfig({ root: join(base, 'root-l'), env: {}, overrides: { schedule: { jobs: [{ name: 'month-end', cron: '0 3 L * *', args: ['monitor', 'report'] }] } } }).config, { runner });
    expect(() => crontab.install(plan)).toThrow(/refused the new table/);
    expect(crontab.read()).toBe(before);
  });

  it('a missing crontab program is a service error naming the fix', () => {
    let text = '';
    try {
      new Crontab({ command: join(base, 'no-such-crontab') }).read();
    } catch (error) {
      text = (error as { toUserString(): string }).toUserString();
    }
    expect(text).toMatch(/no-such-crontab` command cannot be run[\s\S]*apt-get install cron[\s\S]*web4 schedule run/);
  });
});
