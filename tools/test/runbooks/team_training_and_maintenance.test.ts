import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyNight, type TinyNight } from '@web4/evening-loop/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractRunbookCommands, runRunbookCommand, type RunbookCommand } from '../runbook.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const training = join(repo, 'docs/team_training.md');
const maintenance = join(repo, 'docs/maintenance.md');

// One scratch state root for both pages (the nights are the expensive part): the training's
// exercises leave the state that the maintenance routine then works on — a three-day journal,
// the test run's services, the tiny model as base.
let t: TinyNight;
beforeAll(async () => {
  t = await tinyNight();
}, 300_000);
afterAll(async () => t?.cleanup());

const cases = (commands: RunbookCommand[]) => commands.map((c) => [c.line, c.command.split('\n')[0]!, c] as const);

async function runAsWritten(c: RunbookCommand): Promise<void> {
  const result = await runRunbookCommand(c.command, { cwd: repo, env: { WEB4_STATE_ROOT: t.root }, timeoutMs: 400_000 });
  expect({ exit: result.exitCode, output: result.exitCode === c.expectedExit ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({ exit: c.expectedExit, output: '' });
}

// Both describe blocks run in file order, in this one worker: the maintenance page starts from what the training left.
describe('docs/team_training.md runs as written', () => {
  const commands = extractRunbookCommands(training);

  it('has the three sessions\' exercises: a night, a simulated canary failure, the rollback drill, the checklist', () => {
    expect(commands.length).toBeGreaterThan(30);
    expect(commands.some((c) => c.expectedExit === 1 && c.command.includes('WEB4_VALIDATION__CANARY_FILE') && c.command.includes('evening run'))).toBe(true);
    expect(commands.some((c) => c.command.startsWith('npx web4 model rollback'))).toBe(true);
    expect(commands.some((c) => c.command.startsWith('npx web4 model promote'))).toBe(true);
    expect(commands.some((c) => c.command.startsWith('npx web4 checklist'))).toBe(true);
  });

  it.each(cases(commands))('line %i: %s', async (_line, _first, c) => runAsWritten(c), 450_000);
});

describe('docs/maintenance.md runs as written', () => {
  const commands = extractRunbookCommands(maintenance);

  it('has weekly, monthly and quarterly commands: reports, backups and their verification, tuning, a restore drill, a reindex', () => {
    expect(commands.length).toBeGreaterThan(25);
    for (const needed of ['npx web4 monitor report', 'npx web4 rag backup', 'sha256sum', 'npx web4 rag optimize --apply', 'npx web4 rag restore', 'npx web4 model rollback --to', 'npx web4 index corpus --force', 'npx web4 schedule rotate-logs']) {
      expect(commands.some((c) => c.command.includes(needed))).toBe(true);
    }
  });

  it.each(cases(commands))('line %i: %s', async (_line, _first, c) => runAsWritten(c), 450_000);
});
