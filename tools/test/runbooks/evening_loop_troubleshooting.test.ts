import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extractRunbookCommands, runRunbookCommand } from '../runbook.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const runbook = join(repo, 'docs/runbooks/evening_loop_troubleshooting.md');
const stateRoot = mkdtempSync(join(tmpdir(), 'web4-runbook-evening-'));
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

describe('docs/runbooks/evening_loop_troubleshooting.md runs as written', () => {
  const commands = extractRunbookCommands(runbook);

  it('has commands to run, the OOM drill among them', () => {
    expect(commands.length).toBeGreaterThan(8);
    expect(commands.some((c) => c.expectedExit === 5 && c.command.includes('web4_trainer train'))).toBe(true);
  });

  // In order, on one scratch state root: the fix re-runs the job the failing run used.
  it.each(commands.map((c) => [c.line, c.command.split('\n')[0]!, c] as const))('line %i: %s', async (_line, _first, c) => {
    const result = await runRunbookCommand(c.command, { cwd: repo, env: { WEB4_STATE_ROOT: stateRoot }, timeoutMs: 240_000 });
    expect({ exit: result.exitCode, output: result.exitCode === c.expectedExit ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({ exit: c.expectedExit, output: '' });
  }, 300_000);
});
