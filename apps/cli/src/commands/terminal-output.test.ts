import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What a person sees when a command runs on a terminal: the report, never pino's JSON lines.
 * Each command runs on a real pseudo-terminal (util-linux `script`), as typed in a shell.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const JSON_LOG_LINE = /^\s*\{"level":\d+/m;
const root = mkdtempSync(join(tmpdir(), 'web4-cli-tty-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// Alerts go to the log and to a Slack webhook that refuses connections: the alerter logs warnings.
writeFileSync(join(root, 'web4.config.json'), JSON.stringify({ alerts: { channels: ['log', 'slack'], attempts: 2, retryDelayMs: 10 } }));
const env = { ...process.env, WEB4_STATE_ROOT: root, WEB4_SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook', WEB4_NOW: '2026-11-25T12:00:00Z' };

function onTerminal(args: string[]): string {
  const command = [process.execPath, join(repo, 'tools/web4.mjs'), ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', env, timeout: 120_000 });
  return r.stdout.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
}

function withPipes(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'tools/web4.mjs'), ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!hasScript)('the CLI on a terminal shows people, not JSON', () => {
  // The default output of the commands that run without services (validate, with a real Ollama, is in validate-terminal.int.test.ts).
  it.each([
    ['monitor', 'report'],
    ['monitor', 'query-types'],
    ['feedback', 'rate'],
    ['rag', 'cache-stats'],
    ['evening', 'status'],
    ['evening', 'history'],
    ['model', 'list'],
    ['services', 'status'],
    ['schedule', 'print'],
    ['index', 'daily', '--journal', join(root, 'no-such-journal')],
    ['alert', 'send', 'disk almost full'],
  ])('web4 %s %s …', (...args: string[]) => {
    const out = onTerminal(args);
    expect(out.trim().length).toBeGreaterThan(0);
    expect(out).not.toMatch(JSON_LOG_LINE);
    expect(out).not.toContain('"msg":');
  }, 120_000);

  it('a warning reaches the terminal as one readable line; -v adds the routine lines, still readable', () => {
    const out = onTerminal(['alert', 'send', 'disk almost full']);
    expect(out).toMatch(/slack: not delivered/); // the report
    expect(out).toMatch(/WARN: alert not delivered to slack/); // the log line, for people
    const verbose = onTerminal(['alert', 'send', 'disk almost full', '-v']);
    expect(verbose).toMatch(/WARN: alert to slack failed, retrying/);
    expect(verbose).not.toMatch(JSON_LOG_LINE);
  }, 120_000);

  it('without a terminal (cron, scripts): the report on stdout, warnings as JSON lines on stderr; --json keeps stdout pure JSON', () => {
    const r = withPipes(['alert', 'send', 'disk almost full']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/slack: not delivered/);
    expect(r.stdout).not.toMatch(JSON_LOG_LINE);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.level >= 40)).toBe(true);
    expect(lines.map((l) => l.msg)).toContain('alert not delivered to slack: Slack webhook: cannot connect (bad port)');
    const json = withPipes(['monitor', 'report', '--json']);
    expect(JSON.parse(json.stdout)).toHaveProperty('verdict');
    expect(json.stderr).toBe('');
    // On a terminal too, --json prints the document alone.
    expect(() => JSON.parse(onTerminal(['monitor', 'report', '--json']))).not.toThrow();
    expect(execFileSync('script', ['--version'], { encoding: 'utf8' })).toMatch(/util-linux/);
  }, 120_000);
});
