import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const root = mkdtempSync(join(tmpdir(), 'web4-cli-ask-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the commands' JSON, read field by field below
type Json = Record<string, any>;

function run(entry: string[], args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string; json: () => Json }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entry, ...args, '--root', root],
      {
        encoding: 'utf8',
        env: { ...process.env, WEB4_SERVICES__OLLAMA__URL: process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl'), ...env },
        timeout: 400_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr, json: () => JSON.parse(stdout) as Json }),
    );
  });
}
const web4 = (args: string[], env?: Record<string, string>) => run([join(REPO, 'tools/web4.mjs')], args, env);

function queryRows(): Array<{ category: string; error: string | null; tokens_generated: number | null; latency_ms: number }> {
  const db = new Database(join(root, 'logs/production_metrics.db'), { readonly: true });
  try {
    return db.prepare('SELECT category, error, tokens_generated, latency_ms FROM query_metrics ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

/** The serving path and the morning check against the real Ollama with the real base model. */
describe('web4 ask and web4 validate (real Ollama, SmolLM2-135M)', () => {
  it('ask --no-rag answers with the base model and records a pure-trained query with its tokens', async () => {
    const r = await web4(['ask', 'Name one benefit of unit tests.', '--no-rag', '--json']);
    expect(r.code, r.err).toBe(0);
    const out = r.json();
    expect(out.model).toBe('web4-base:latest');
    expect(out.answer.trim().length).toBeGreaterThan(0);
    expect(out.usage).toEqual({ usedHistory: false, usedTools: false, usedTrainai: false, usedGraph: false });
    const rows = queryRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ category: 'pure_trained', error: null });
    expect(rows[0]!.tokens_generated).toBeGreaterThan(0);
    expect(rows[0]!.latency_ms).toBeGreaterThan(0);
  }, 400_000);

  it('ask against an Ollama that is not there exits 4 with a hint, and the failed query is recorded', async () => {
    const r = await web4(['ask', 'hello?', '--no-rag'], { WEB4_SERVICES__OLLAMA__URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/Ollama/);
    expect(r.err).toMatch(/web4 services up/);
    const rows = queryRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.error).toMatch(/not running/);
  });

  it('validate judges each answer, exits by the pass rate and records the verdict', async () => {
    const cases = join(root, 'queries.yaml');
    writeFileSync(
      cases,
      [
        'version: 1',
        'defaults: { options: { temperature: 0, num_predict: 24 } }',
        'queries:',
        '  - { id: answers, prompt: "What is 2 + 2?", assertions: [{ type: non-empty }] }',
        '  - { id: impossible, prompt: "Say hello.", assertions: [{ type: contains, value: "QX-NEVER-SAID-7" }] }',
      ].join('\n'),
    );
    const half = await web4(['validate', '--queries', cases, '--json'], { WEB4_VALIDATION__MIN_PASS_RATE_PCT: '50' });
    expect(half.code, half.err).toBe(0);
    expect(half.json()).toMatchObject({ passed: 1, failed: 1, pass: true, model: 'web4-base:latest' });
    const strict = await web4(['validate', '--queries', cases]);
    expect(strict.code).toBe(1);
    // The plan's report: one line per query, then the Improvement Rate.
    expect(strict.out).toMatch(/^Query 1\/2: ✓ Quality response — answers \(\d+ ms\)$/m);
    expect(strict.out).toMatch(/^Query 2\/2: ⚠️ Weak response — impossible \(\d+ ms\): contains: missing "QX-NEVER-SAID-7"/m);
    expect(strict.out).toMatch(/^Improvement Rate: 50\.0% \(1\/2 quality responses, target ≥ 80%\)$/m);
    expect(strict.out).toMatch(/^⚠️ FAIL: web4-base:latest \(version base, [0-9a-f]{12}\)$/m);
    expect(strict.out).not.toMatch(/Change against/); // no earlier day to compare with
    const passing = join(root, 'passing.yaml');
    writeFileSync(passing, ['version: 1', 'defaults: { options: { temperature: 0, num_predict: 24 } }', 'queries:', '  - { id: answers, prompt: "What is 2 + 2?", assertions: [{ type: non-empty }] }'].join('\n'));
    const full = await web4(['validate', '--queries', passing]);
    expect(full.code, full.err).toBe(0);
    expect(full.out).toMatch(/^Improvement Rate: 100\.0% \(1\/1 quality responses, target ≥ 80%\)$/m);
    expect(full.out).toMatch(/^✓ PASS: web4-base:latest/m);
    const db = new Database(join(root, 'logs/production_metrics.db'), { readonly: true });
    const verdicts = db.prepare('SELECT passed, total_cases, passed_cases FROM validations ORDER BY id').all();
    db.close();
    expect(verdicts).toEqual([
      { passed: 1, total_cases: 2, passed_cases: 1 },
      { passed: 0, total_cases: 2, passed_cases: 1 },
      { passed: 1, total_cases: 1, passed_cases: 1 },
    ]);
    // The trend: one day (the last check counts), the version that served, as JSON and for people.
    const history = await web4(['validate', '--history', '--json']);
    expect(history.code, history.err).toBe(0);
    const today = history.json().history as Json[];
    expect(today).toHaveLength(1);
    expect(today[0]).toMatchObject({ model: 'web4-base:latest', modelVersion: 'base', passRatePct: 100, runs: 3, changePct: null, flipped: [] });
    const shown = await web4(['validate', '--history', '--days', '3']);
    expect(shown.out).toMatch(/^\d{4}-\d\d-\d\d  100\.0% +— +base \([0-9a-f]{12}\) +✓ 1\/1 \(last of 3\)$/m);
    const badDays = await web4(['validate', '--history', '--days', '0']);
    expect(badDays.code).toBe(2);
    expect(badDays.err).toMatch(/--days must be a whole number ≥ 1, got 0/);
  }, 600_000);

  it('validate with a broken case file exits 2 and names the field', async () => {
    const bad = join(root, 'bad.yaml');
    writeFileSync(bad, 'queries:\n  - { id: x, prompt: hi, assertions: [{ type: vibes }] }\n');
    const r = await web4(['validate', '--queries', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/case "x" assertion 1 \(vibes\): unknown assertion type "vibes"; known: contains/);
  });
});
