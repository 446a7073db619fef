import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extractRunbookCommands, runRunbookCommand } from '../runbook.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const runbook = join(repo, 'docs/runbooks/production_monitoring.md');
const stateRoot = mkdtempSync(join(tmpdir(), 'web4-runbook-monitoring-'));
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

describe('docs/runbooks/production_monitoring.md runs as written', () => {
  const commands = extractRunbookCommands(runbook);

  it('has commands to run, some of them documented to fail', () => {
    expect(commands.length).toBeGreaterThan(20);
    expect(new Set(commands.map((c) => c.expectedExit))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  // In order, on one scratch state root: later commands read what earlier ones recorded.
  it.each(commands.map((c) => [c.line, c.command.split('\n')[0]!, c] as const))('line %i: %s', async (_line, _first, c) => {
    const result = await runRunbookCommand(c.command, { cwd: repo, env: { WEB4_STATE_ROOT: stateRoot }, timeoutMs: 120_000 });
    expect({ exit: result.exitCode, output: result.exitCode === c.expectedExit ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({ exit: c.expectedExit, output: '' });
  }, 150_000);
});
