/**
 * The `web4` commands a scheduled job may run: the ones that make sense unattended. A job's
 * `args` must start with one of them (its words, then options). apps/cli tests that each entry
 * is a real command of the CLI, so this list cannot promise a command the build does not have.
 */
export const JOB_COMMANDS: readonly (readonly string[])[] = [
  ['index', 'daily'],
  ['index', 'corpus'],
  ['evening', 'run'],
  ['evening', 'resume'],
  ['validate'],
  ['monitor', 'report'],
  ['monitor', 'query-types'],
  ['feedback', 'rate'],
  ['rag', 'optimize'],
  ['rag', 'cache-stats'],
  ['services', 'up'],
  ['services', 'status'],
  ['doctor'],
  ['alert', 'send'],
];

/** The catalogue entry a job's arguments start with, or undefined when none does. */
export function matchJobCommand(args: readonly string[], known: readonly (readonly string[])[] = JOB_COMMANDS): readonly string[] | undefined {
  return known.find((words) => words.every((word, i) => args[i] === word));
}

export function formatJobCommands(known: readonly (readonly string[])[] = JOB_COMMANDS): string {
  return known.map((words) => words.join(' ')).join(', ');
}
