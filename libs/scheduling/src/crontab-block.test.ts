import { loadConfig } from '@web4/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { beginMarker, endMarker, renderCrontabBlock, shellWord, withBlock, withoutBlock } from './crontab-block.js';
import { planSchedule, requireKnownCommands } from './schedule-plan.js';
import type { JobRunner } from './job-runner.js';

const root = mkdtempSync(join(tmpdir(), 'web4 sched-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runner: JobRunner = { kind: 'bundle', argv: ['/usr/bin/node', '/repo/dist/apps/cli/main.js'], describe: 'built bundle /repo/dist/apps/cli/main.js' };
const plan = (schedule?: unknown) => planSchedule(loadConfig({ root, env: {}, ...(schedule ? { overrides: { schedule } } : {}) }).config, { runner });

describe('the crontab block', () => {
  it("has the plan's three jobs and the log rotation, absolute paths, logs created and redirected", () => {
    const lines = renderCrontabBlock(plan(), 'UTC');
    expect(lines[0]).toBe(`# BEGIN web4-learning ${root}`);
    expect(lines.at(-1)).toBe(`# END web4-learning ${root}`);
    const q = shellWord(root);
    expect(lines.slice(2, -1)).toEqual([
      `0 21 * * * mkdir -p ${shellWord(join(root, 'logs'))} && cd ${q} && /usr/bin/node /repo/dist/apps/cli/main.js index daily --root ${q} >> ${shellWord(join(root, 'logs', 'cron_daily-indexing.log'))} 2>&1`,
      `0 22 * * * mkdir -p ${shellWord(join(root, 'logs'))} && cd ${q} && /usr/bin/node /repo/dist/apps/cli/main.js evening run --root ${q} >> ${shellWord(join(root, 'logs', 'cron_evening-loop.log'))} 2>&1`,
      `0 9 * * * mkdir -p ${shellWord(join(root, 'logs'))} && cd ${q} && /usr/bin/node /repo/dist/apps/cli/main.js validate --root ${q} >> ${shellWord(join(root, 'logs', 'cron_morning-validation.log'))} 2>&1`,
      `50 20 * * * mkdir -p ${shellWord(join(root, 'logs'))} && cd ${q} && /usr/bin/node /repo/dist/apps/cli/main.js schedule rotate-logs --root ${q} >> ${shellWord(join(root, 'logs', 'cron_log-rotation.log'))} 2>&1`,
    ]);
    expect(q.startsWith("'")).toBe(true); // the space in the path is quoted for sh
  });

  it('escapes % for cron and quotes for sh', () => {
    expect(shellWord("/a b/50%'x")).toBe("'/a b/50\\%'\\''x'");
  });

  it('refuses 6-field expressions and a zone other than the machine zone, naming what to change', () => {
    expect(() => renderCrontabBlock(plan({ jobs: [{ name: 'fast', cron: '*/5 * * * * *', args: ['doctor'] }] }), 'UTC')).toThrow(/job "fast" \("\*\/5 \* \* \* \* \*"\): crontab takes 5 fields/);
    expect(() => renderCrontabBlock(plan({ timezone: 'Europe/Berlin' }), 'UTC')).toThrow(/schedule.timezone is "Europe\/Berlin", but cron runs jobs in this machine's zone "UTC"/);
    expect(renderCrontabBlock(plan({ timezone: 'Etc/UTC' }), 'UTC')).toHaveLength(7);
  });

  it('install replaces our block in place and keeps every other line; uninstall removes only ours', () => {
    const user = '# my jobs\nMAILTO=me@example.org\n*/5 * * * * /usr/bin/true\n';
    const block = renderCrontabBlock(plan(), 'UTC');
    const once = withBlock(user, block, root);
    expect(once.replaced).toBe(false);
    expect(once.text.startsWith(user)).toBe(true);
    const other = ['# BEGIN web4-learning /srv/other', '0 1 * * * true', '# END web4-learning /srv/other'];
    const both = withBlock(once.text + 'after ours\n', other, '/srv/other').text;
    const twice = withBlock(both, block, root);
    expect(twice.replaced).toBe(true);
    expect(twice.text).toBe(both); // idempotent
    const gone = withoutBlock(twice.text, root);
    expect(gone.removed).toBe(true);
    expect(gone.text).toBe(`${user}after ours\n${other.join('\n')}\n`);
    expect(withoutBlock(gone.text, root).removed).toBe(false);
  });

  it('will not guess when our BEGIN line has lost its END', () => {
    expect(() => withBlock(`${beginMarker(root)}\n0 1 * * * x\n`, [], root)).toThrow(new RegExp(`no "${endMarker(root).replace(/[/.]/g, '\\$&')}"`));
  });
});

describe('jobs naming an unknown command', () => {
  it('are an error naming the job, the setting and the commands a job can run', () => {
    const p = plan({ jobs: [{ name: 'typo', cron: '0 7 * * *', args: ['monitr', 'report'] }, { name: 'ok', cron: '0 8 * * *', args: ['monitor', 'report'] }] });
    expect(p.jobs.map((j) => j.name)).toEqual(['ok', 'log-rotation']);
    expect(p.unknown).toEqual([{ name: 'typo', args: ['monitr', 'report'], index: 0 }]);
    let message = '';
    try {
      requireKnownCommands(p);
    } catch (error) {
      message = (error as { toUserString(): string }).toUserString();
    }
    expect(message).toContain('job "typo" (schedule.jobs[0].args) runs "web4 monitr report", which is not a command a job can run');
    expect(message).toContain('index daily, index corpus, evening run');
    expect(message).toContain('validate');
  });
});
