import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_LOCKED } from './evening-loop.js';
import { dayIds, nightState } from './test-support/invariants.js';
import { tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * kill -9 at every step boundary of a night, and in the middle of training and of promotion,
 * through the real CLI: each `web4 evening resume` continues from where the killed process
 * stopped. One night is walked through all its kill points in turn (the state each kill
 * leaves is the start of the next resume), so the whole walk costs one night's work.
 */
const SIGKILLED = 137;
const DAY = '2026-11-20';
const WHEN = `${DAY}T22:00:00Z`;

/** Python processes whose command line mentions this state root (a trainer left behind). */
function trainersOf(root: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('web4_trainer') && cmd.includes(root)) pids.push(Number(pid));
    } catch {
      // gone
    }
  }
  return pids;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

let t: TinyNight;
let ids: string[];
beforeAll(async () => {
  t = await tinyNight();
  await t.index(DAY);
  ids = await dayIds(t, DAY);
}, 300_000);
afterAll(async () => t?.cleanup());

describe('kill -9 anywhere in a night, then `web4 evening resume`', () => {
  const points = [
    'before:backup',
    'after:backup',
    'after:read_buffer',
    'after:samples',
    'during:train',
    'after:train',
    'after:evaluate',
    'after:register',
    'after:canaries',
    'after:decide',
    'during:promote',
    'after:promote',
    'after:mark_trained',
    'after:copy_history',
    'after:archive',
    'after:clear',
    'after:prune',
    'after:summary',
  ];

  it('continues from each kill point, never touches production before the decision, and ends with nothing lost or doubled', async () => {
    const env = { WEB4_NOW: WHEN };
    const first = await t.cli(['evening', 'run'], { ...env, WEB4_FAULT_KILL_AT: points[0]! });
    expect(first.code, first.err).toBe(SIGKILLED);
    for (const point of points.slice(1)) {
      const r = await t.cli(['evening', 'resume'], { ...env, WEB4_FAULT_KILL_AT: point });
      expect(r.code, `resume killed at ${point}: ${r.out}\n${r.err}`).toBe(SIGKILLED);
      const steps = t.store().runs.steps('night_20261120_220000');
      const [when, step] = point.split(':') as [string, string];
      const row = steps.find((s) => s.step === step);
      if (when === 'after') expect(['done', 'skipped'], point).toContain(row?.status);
      if (when === 'during') expect(row?.status, point).toBe('running');
      // A dead holder's lock stays in the table until the next run takes it over.
      expect(t.store().locks.holder('evening')?.owner).toMatch(/evening (run|resume)/);
      const promoted = steps.some((s) => s.step === 'promote' && s.status === 'done') || point === 'during:promote';
      if (!promoted) {
        expect(t.store().models.tags().latest, `production moved before the decision (${point})`).toBeUndefined();
        expect(await t.ollama.digest(t.config().models.productionModel)).toBeUndefined();
      }
      if (point === 'during:train') {
        // The trainer notices its parent died and stops; it must not train on beside the resumed night.
        expect(await waitFor(() => trainersOf(t.root).length === 0, 30_000), `trainer still running: ${trainersOf(t.root).join(',')}`).toBe(true);
      }
      // Nothing deleted from the buffer unless archived and in history.
      const state = await nightState(t, ids);
      const cleared = steps.some((s) => s.step === 'clear' && s.status === 'done');
      expect(state.waiting.length + state.learned.length + (cleared ? 0 : state.lost.length), point).toBe(ids.length);
      expect(state.historyDuplicates, point).toBe(0);
    }
    const last = await t.cli(['evening', 'resume', '--json'], env);
    expect(last.code, last.err).toBe(0);
    const outcome = JSON.parse(last.out) as { status: string; runId: string };
    expect(outcome).toMatchObject({ status: 'complete', runId: 'night_20261120_220000' });
    expect(last.err).toMatch(/Took over the lock of a dead run/);
    const state = await nightState(t, ids);
    expect(state).toMatchObject({ learned: ids, waiting: [], lost: [], historyDuplicates: 0, ollamaMismatches: [], consistent: true });
    expect(t.store().models.tags()).toMatchObject({ latest: 'v20261120_220000', previous: 'base' });
    expect(t.store().models.events().filter((e) => e.action === 'promoted')).toHaveLength(1);
    expect(trainersOf(t.root)).toEqual([]);

    // The night is over: resume has nothing left, status shows it complete.
    const again = await t.cli(['evening', 'resume'], env);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/Nothing to resume/);
    const status = await t.cli(['evening', 'status', '--json']);
    expect(JSON.parse(status.out).night).toMatchObject({ runId: 'night_20261120_220000', status: 'complete' });
  }, 900_000);

  it('`run` after a night killed before its decision abandons it and trains its items in a new night', async () => {
    await t.index('2026-11-21');
    const day2 = await dayIds(t, '2026-11-21');
    const env = { WEB4_NOW: '2026-11-21T22:00:00Z' };
    const killed = await t.cli(['evening', 'run'], { ...env, WEB4_FAULT_KILL_AT: 'after:evaluate' });
    expect(killed.code).toBe(SIGKILLED);
    const r = await t.cli(['evening', 'run', '--json'], { WEB4_NOW: '2026-11-21T23:00:00Z' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/Night night_20261121_220000 stopped at step register before its decision: abandoning it/);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'complete', runId: 'night_20261121_230000', items: 2 });
    expect(t.store().models.version('v20261121_220000')).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/abandoned/) });
    expect(t.store().models.tags()).toMatchObject({ latest: 'v20261121_230000', previous: 'v20261120_220000' });
    expect((await nightState(t, [...ids, ...day2])).lost).toEqual([]);
  }, 600_000);

  it('two runs started at once: one runs the night, the other exits at once with code 75', async () => {
    await t.index('2026-11-22');
    const [a, b] = await Promise.all([t.cli(['evening', 'run'], { WEB4_NOW: '2026-11-22T22:00:00Z' }), t.cli(['evening', 'run'], { WEB4_NOW: '2026-11-22T22:00:00Z' })]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.err}\n${b.err}`).toEqual([0, EXIT_LOCKED]);
    const loser = a.code === EXIT_LOCKED ? a : b;
    expect(loser.out + loser.err).toMatch(/Another nightly run holds the lock: evening run \(pid \d+\)/);
    expect(t.store().models.tags().latest).toBe('v20261122_220000');
  }, 600_000);
});
