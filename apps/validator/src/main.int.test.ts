import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * The built validator bundle, as cron runs it, against the real Ollama and the base model: the
 * plan's report and exit codes, the final log line with its verdict, `--history`, bad input.
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = join(REPO, 'dist', 'test-bundles', `validator-${process.pid}`);
const validator = join(out, 'main.js');
const root = mkdtempSync(join(tmpdir(), 'web4-validator-app-'));
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});
beforeAll(() => {
  execFileSync(process.execPath, [join(REPO, 'tools/build-app.mjs'), 'validator', '--outdir', out], { cwd: REPO, stdio: 'pipe' });
}, 120_000);

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [validator, '--root', root, ...args],
      { encoding: 'utf8', timeout: 400_000, env: { ...process.env, WEB4_STATE_ROOT: '', WEB4_SERVICES__OLLAMA__URL: process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl') } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function caseFile(name: string, lines: string[]): string {
  const file = join(root, name);
  writeFileSync(file, ['version: 1', 'defaults: { options: { temperature: 0, num_predict: 16 } }', 'queries:', ...lines].join('\n'));
  return file;
}
const logLines = () => readFileSync(join(root, 'logs', 'morning_validation.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the validator bundle (real Ollama, SmolLM2-135M)', () => {
  it('passes at ≥ 80% (exit 0) and fails below (exit 1) with the plan report; the final log line keeps its verdict', async () => {
    const good = caseFile('good.yaml', ['  - { id: answers, prompt: "What is 2 + 2?", assertions: [{ type: non-empty }] }']);
    const pass = await run(['--queries', good]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/^Query 1\/1: ✓ Quality response — answers \(\d+ ms\)$/m);
    expect(pass.stdout).toMatch(/^Improvement Rate: 100\.0% \(1\/1 quality responses, target ≥ 80%\)$/m);

    const bad = caseFile('weak.yaml', [
      '  - { id: answers, prompt: "What is 2 + 2?", assertions: [{ type: non-empty }] }',
      '  - { id: impossible, prompt: "Say hello.", assertions: [{ type: contains, value: "QX-NEVER-SAID-7" }] }',
    ]);
    const fail = await run(['--queries', bad, '--json']);
    expect(fail.code, fail.stderr).toBe(1);
    expect(JSON.parse(fail.stdout)).toMatchObject({ passed: 1, total: 2, pass: false, model: 'web4-base:latest', modelVersion: 'base' });

    // No line of either run lost its verdict to the logger's secret redaction.
    const lines = logLines();
    expect(JSON.stringify(lines)).not.toContain('[redacted]');
    const finished = lines.filter((l) => l.msg === 'validation finished');
    expect(finished.map((l) => [l.pass, l.passed, l.total, l.modelVersion])).toEqual([
      [true, 1, 1, 'base'],
      [false, 1, 2, 'base'],
    ]);
    expect(lines.filter((l) => l.msg === 'validation case').map((l) => [l.case, l.passed])).toEqual([
      ['answers', true],
      ['answers', true],
      ['impossible', false],
    ]);
  }, 600_000);

  it('--history shows the day with its version; --json for scripts', async () => {
    const r = await run(['--history', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { history } = JSON.parse(r.stdout) as { history: Array<Record<string, unknown>> };
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ modelVersion: 'base', passed: 1, total: 2, passRatePct: 50, pass: false, runs: 2 });
    const text = await run(['--history']);
    expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\d  50\.0% .* base \([0-9a-f]{12}\) +⚠️ 1\/2 \(last of 2\)$/m);
  });

  it('bad input: a case file with a bad case names the case and what to fix (exit 2); a bad --days (exit 2)', async () => {
    const broken = caseFile('broken.yaml', ['  - { id: cq-x, prompt: hi, assertions: [{ type: regex, value: "([a-z" }] }']);
    const r = await run(['--queries', broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/case "cq-x" assertion 1 \(regex\): value /);
    expect(r.stderr).toContain(broken);
    const days = await run(['--history', '--days', '0']);
    expect(days.code).toBe(2);
    expect(days.stderr).toMatch(/--days must be a whole number ≥ 1, got 0/);
    expect(existsSync(validator)).toBe(true);
  });
});
