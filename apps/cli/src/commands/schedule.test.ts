import { JOB_COMMANDS } from '@web4/scheduling';
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { commands } from './index.js';

/** The CLI's own help for a command line: yargs shows the parent's usage when a subcommand does not exist. */
async function usageLine(words: readonly string[]): Promise<string> {
  const output = await new Promise<string>((resolve) => {
    void yargs()
      .scriptName('web4')
      .command(commands)
      .strict()
      .help()
      .exitProcess(false)
      .parse([...words, '--help'], {}, (_error, _argv, out) => resolve(out));
  });
  return output.trimStart().split('\n')[0] ?? '';
}

describe('the commands a scheduled job may run', () => {
  it.each(JOB_COMMANDS.map((w) => [w.join(' '), w] as const))('web4 %s is a command of this CLI', async (_name, words) => {
    expect(await usageLine(words)).toMatch(new RegExp(`^web4 ${words.join(' ')}( |$)`));
  });

  it('the check tells a missing subcommand from a real one, and the rotation job exists', async () => {
    expect(await usageLine(['index', 'dayly'])).not.toMatch(/^web4 index dayly/);
    expect(await usageLine(['schedule', 'rotate-logs'])).toMatch(/^web4 schedule rotate-logs/);
  });
});
