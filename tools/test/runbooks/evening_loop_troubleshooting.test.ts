import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyNight, type TinyNight } from '@web4/evening-loop/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractRunbookCommands, runRunbookCommand } from '../runbook.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const runbook = join(repo, 'docs/runbooks/evening_loop_troubleshooting.md');

// The scratch state root the page describes: a three-day journal, the test run's services, the tiny model as base.
let t: TinyNight;
beforeAll(async () => {
  t = await tinyNight();
}, 300_000);
afterAll(async () => t?.cleanup());

describe('docs/runbooks/evening_loop_troubleshooting.md runs as written', () => {
  const commands = extractRunbookCommands(runbook);

  it('has commands to run: the OOM drill, a rejected night, a killed and resumed night', () => {
    expect(commands.length).toBeGreaterThan(25);
    expect(commands.some((c) => c.expectedExit === 5 && c.command.includes('web4_trainer train'))).toBe(true);
    expect(commands.some((c) => c.expectedExit === 137 && c.command.includes('evening run'))).toBe(true);
    expect(commands.some((c) => c.command.includes('evening resume'))).toBe(true);
  });

  // In order, on one state root: each section starts from what the one before left.
  it.each(commands.map((c) => [c.line, c.command.split('\n')[0]!, c] as const))('line %i: %s', async (_line, _first, c) => {
    const result = await runRunbookCommand(c.command, { cwd: repo, env: { WEB4_STATE_ROOT: t.root }, timeoutMs: 400_000 });
    expect({ exit: result.exitCode, output: result.exitCode === c.expectedExit ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({ exit: c.expectedExit, output: '' });
  }, 450_000);
});
