import { spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { REPO, tinyNight, type TinyNight } from '@web4/evening-loop/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `web4 demo` (what `npm start` runs) end to end on the real services, the real gateway and the
 * real trainer, with the tiny model as base so that a night takes seconds: two small days and
 * nights of the generated journal (2026-11-21 and 2026-11-22), then the reports.
 */
let t: TinyNight;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- database rows, read field by field
type Row = Record<string, any>;

function rows(file: string, sql: string): Row[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

/**
 * `web4 demo --serve` as a person runs it: wait for the dashboard's address, read the dashboard's
 * figures from it while it is up, then Ctrl-C (SIGINT), which must end it with exit 0.
 */
function demoUntilDashboard(args: string[], atDashboard: (url: string) => Promise<unknown>): Promise<{ code: number | null; out: string; err: string; seen: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'tools/web4.mjs'), 'demo', ...args, '--root', t.root], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let seen: unknown;
    let asked = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      if (url && !asked && /stay up until Ctrl-C/.test(out)) {
        asked = true;
        atDashboard(url).then(
          (value) => {
            seen = value;
            child.kill('SIGINT');
          },
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error as Error);
          },
        );
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => resolve({ code, out, err, seen }));
  });
}

beforeAll(async () => {
  t = await tinyNight({ settings: { gateway: { routing: { examples: join(REPO, 'examples/routing/examples.yaml') } } } });
}, 300_000);
afterAll(async () => t?.cleanup());

describe('web4 demo', () => {
  it('bad input stops before anything starts: --questions 0, more nights than the journal has days', async () => {
    const zero = await t.cli(['demo', '--questions', '0', '--exit']);
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/--questions must be a whole number ≥ 1, got 0/);
    const many = await t.cli(['demo', '--nights', '9', '--exit']);
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/--nights 9: the journal has only 3 days up to 2026-11-22/);
  }, 60_000);

  it('plays each day through the gateway with rated answers, the night, the morning check, the reports and the per-night table', async () => {
    const r = await demoUntilDashboard(['--nights', '2', '--questions', '3', '--port', '0', '--serve'], async (url) => {
      // A browser asks for HTML; other clients get Ollama's liveness answer on /.
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      const data = (await (await fetch(`${url}/api/dashboard`)).json()) as Row;
      return { page: page.status, type: page.headers.get('content-type'), data };
    });
    expect(r.code, `${r.err}\n${r.out.slice(-4000)}`).toBe(0);
    // The dashboard was up at the end, on the morning after the last day, with that day's figures.
    const seen = r.seen as Row;
    expect(seen).toMatchObject({ page: 200, type: expect.stringMatching(/text\/html/) });
    expect(String(seen.data.window.to)).toMatch(/^2026-11-23/);
    expect(JSON.stringify(seen.data.monitoring)).toMatch(/2026-11-22/);
    const paths = t.paths();

    // Every question went through the gateway: one query_metrics row with its query id, on the played day.
    const queries = rows(paths.metricsDb, 'select query_id, timestamp, user_feedback, error from query_metrics order by timestamp');
    expect(queries).toHaveLength(6);
    expect(queries.map((q) => q.timestamp.slice(0, 10))).toEqual(['2026-11-21', '2026-11-21', '2026-11-21', '2026-11-22', '2026-11-22', '2026-11-22']);
    for (const q of queries) expect(q.query_id).toMatch(/\S{8,}/);
    // The simulated user rated every answer through POST /api/feedback, by query id.
    const answered = queries.filter((q) => q.error === null);
    expect(answered.length).toBeGreaterThan(0);
    const feedback = rows(paths.feedbackDb, 'select query_id, rating, timestamp from feedback');
    expect(feedback.map((f) => f.query_id).sort()).toEqual(answered.map((q) => q.query_id).sort());
    for (const q of answered) expect(q.user_feedback).toMatch(/thumbs_(up|down)/);
    for (const f of feedback) expect(['2026-11-21', '2026-11-22']).toContain(f.timestamp.slice(0, 10));

    // The nights ran on their days and the mornings were checked the day after.
    const nights = rows(paths.metricsDb, 'select distinct run_id from runs order by run_id').map((n) => n.run_id);
    expect(nights).toEqual(expect.arrayContaining([expect.stringMatching(/^night_20261121_22/), expect.stringMatching(/^night_20261122_22/)]));
    const mornings = rows(paths.metricsDb, 'select run_at from validations order by run_at').map((v) => v.run_at.slice(0, 13));
    expect(mornings).toEqual(['2026-11-22T07', '2026-11-23T07']);

    // What a person reads: per-query lines, the steps, the per-night table, the dashboard's address.
    expect(r.out).toMatch(/━━ Day 1\/2, 2026-11-21: 3 questions through the gateway/);
    expect(r.out).toMatch(/ {2}1\/3 +\d+\.\d s .*(👍|👎)/);
    expect(r.out).toMatch(/━━ Night 2\/2, 2026-11-22 22:00 UTC/);
    expect(r.out).toMatch(/━━ Morning validation, 2026-11-23/);
    expect(r.out).toMatch(/WEB4_NOW=2026-11-23T08:00:00Z web4 monitor report --collections/);
    expect(r.out).toMatch(/Satisfaction over the last 7 days/);
    expect(r.out).toMatch(/night +day +items +smp +train +next-day base→served/);
    expect(r.out).toMatch(/^1 +2026-11-21 +2 /m);
    expect(r.out).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+\//);
  }, 900_000);
});
