import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

/**
 * `web4 validate` against the real Ollama (SmolLM2-135M) on a real pseudo-terminal: the report
 * without the "validation case" JSON lines that used to run through it; those go to
 * logs/morning_validation.log.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const JSON_LOG_LINE = /^\s*\{"level":\d+/m;
const root = mkdtempSync(join(tmpdir(), 'web4-cli-validate-tty-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cases = join(root, 'queries.yaml');
writeFileSync(
  cases,
  [
    'version: 1',
    'defaults: { options: { temperature: 0, num_predict: 16 } }',
    'queries:',
    '  - { id: answers, prompt: "What is 2 + 2?", assertions: [{ type: non-empty }] }',
    '  - { id: impossible, prompt: "Say hello.", assertions: [{ type: contains, value: "QX-NEVER-SAID-7" }] }',
  ].join('\n'),
);
const env = () => ({ ...process.env, WEB4_STATE_ROOT: root, WEB4_SERVICES__OLLAMA__URL: process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl'), WEB4_VALIDATION__MIN_PASS_RATE_PCT: '50' });
const logFile = join(root, 'logs', 'morning_validation.log');

function caseLines(): Array<{ level: number; msg: string; case: string }> {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; case: string }).filter((l) => l.msg === 'validation case') : [];
}

describe.skipIf(!hasScript)('web4 validate on a terminal (real Ollama, real pty)', () => {
  it('shows the report only; the log file gets every case as a JSON line', async () => {
    const command = [process.execPath, join(repo, 'tools/web4.mjs'), 'validate', '--queries', cases].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', env: env(), timeout: 400_000 });
    const out = r.stdout.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    expect(out).toMatch(/Query 1\/2: ✓ Quality response — answers/);
    expect(out).toMatch(/Query 2\/2: ⚠️ Weak response — impossible/);
    expect(out).toMatch(/Improvement Rate: 50\.0% \(1\/2/);
    expect(out).not.toMatch(JSON_LOG_LINE);
    expect(out).not.toContain('validation case');
    // pino's file transport runs in a worker: the lines land as the process exits.
    for (let i = 0; i < 40 && caseLines().length < 2; i++) await new Promise((res) => setTimeout(res, 100));
    expect(caseLines().map((l) => [l.level, l.case])).toEqual([
      [30, 'answers'],
      [30, 'impossible'],
    ]);
  }, 400_000);

  it('without a terminal: stdout is the report, stderr has no routine lines; -v puts them on stderr as JSON for scripts', () => {
    const plain = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), 'validate', '--queries', cases], { encoding: 'utf8', env: env(), timeout: 400_000 });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/Improvement Rate: 50\.0% \(1\/2/);
    expect(plain.stdout).not.toMatch(JSON_LOG_LINE);
    expect(plain.stderr).not.toContain('validation case');
    const verbose = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), 'validate', '--queries', cases, '-v'], { encoding: 'utf8', env: env(), timeout: 400_000 });
    const logged = verbose.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; case?: string });
    expect(logged.filter((l) => l.msg === 'validation case').map((l) => l.case)).toEqual(['answers', 'impossible']);
    expect(verbose.stdout).not.toMatch(JSON_LOG_LINE);
  }, 800_000);
});
