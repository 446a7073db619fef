import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from '../test-support/temp-root.js';
import { buildDashboardData, type DashboardData } from './dashboard-data.js';
import { PLAYED_NOW, playDays } from './played-days.js';

/**
 * The dashboard's JSON against the commands themselves (`web4 … --json`, run as a user runs
 * them, "as of" the played day through WEB4_NOW): the page shows what the CLI reports.
 */
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

function web4(root: string, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Exit 1 (a target missed) still prints the report: keep stdout whatever the code.
    execFile(process.execPath, [join(REPO, 'tools', 'web4.mjs'), ...args, '--json', '--root', root], { env: { ...process.env, WEB4_NOW: PLAYED_NOW.toISOString() }, cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`web4 ${args.join(' ')}: no JSON (${error?.message ?? ''})\n${stderr}`));
      }
    });
  });
}

describe('the dashboard and the commands, on the same played days', () => {
  const t = tempRoot();
  let data: DashboardData;
  beforeAll(async () => {
    playDays(t.paths);
    data = JSON.parse(JSON.stringify(await buildDashboardData({ config: t.config, paths: t.paths, now: PLAYED_NOW, days: 7 }))) as DashboardData;
  });
  afterAll(() => t.remove());

  it('show the same figures', { timeout: 120_000 }, async () => {
    const [report, queryTypes, rate, history, mornings] = await Promise.all([
      web4(t.root, ['monitor', 'report', '--days', '7']),
      web4(t.root, ['monitor', 'query-types', '--date', '2026-11-29']),
      web4(t.root, ['feedback', 'rate', '--days', '7']),
      web4(t.root, ['evening', 'history', '--limit', '10']),
      web4(t.root, ['validate', '--history', '--days', '7']),
    ]);
    expect(data.monitoring).toEqual(report);
    const { statistics: _s, ...types } = queryTypes as Record<string, unknown>;
    expect(data.queryTypes.find((q) => q.day === '2026-11-29')).toEqual(types);
    expect(rate).toEqual({ ...data.satisfaction.window, days: 7 });
    expect(data.nights).toEqual([...(history as { nights: unknown[] }).nights].reverse());
    expect(data.mornings).toEqual((mornings as { history: unknown[] }).history);
    expect(data.nights).toHaveLength(4);
  });
});
