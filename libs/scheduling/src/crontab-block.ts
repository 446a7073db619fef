import { InputError } from '@web4/core';
import type { SchedulePlan } from './schedule-plan.js';

/**
 * Our lines in a user's crontab: one marked block per state root, so two roots coexist and
 * install/uninstall touch nothing else. Debian's cron has no CRON_TZ, so the block sets no
 * variables at all (a variable would also apply to the user's lines below it).
 */
export const BLOCK_BEGIN = '# BEGIN web4-learning';
export const BLOCK_END = '# END web4-learning';

export function beginMarker(stateRoot: string): string {
  return `${BLOCK_BEGIN} ${stateRoot}`;
}
export function endMarker(stateRoot: string): string {
  return `${BLOCK_END} ${stateRoot}`;
}

/** A word for sh, then `%` escaped for cron (an unescaped % ends the command in a crontab line). */
export function shellWord(word: string): string {
  const quoted = /^[\w@+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

/** This machine's zone as cron sees it, and whether a configured zone is the same. */
export function sameZone(a: string, b: string): boolean {
  const norm = (z: string) => (/^(Etc\/)?(UTC|UCT|GMT|Universal|Zulu|GMT[+-]?0)$/i.test(z) || /^(UTC|Universal|Zulu)$/i.test(z) ? 'UTC' : z);
  return norm(a) === norm(b);
}

export function systemZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * The crontab lines of a plan: each job creates the logs folder, runs from the state root and
 * appends its output to `logs/cron_<name>.log`. Refuses what cron cannot do: 6-field (seconds)
 * expressions and a zone other than this machine's.
 */
export function renderCrontabBlock(plan: SchedulePlan, zone: string = systemZone()): string[] {
  if (/[\r\n]/.test(plan.stateRoot)) throw new InputError(`The state root ${JSON.stringify(plan.stateRoot)} contains a line break; a crontab line cannot hold it.`);
  if (!sameZone(plan.timezone, zone)) {
    throw new InputError(`schedule.timezone is "${plan.timezone}", but cron runs jobs in this machine's zone "${zone}" (Debian's cron has no CRON_TZ).`, {
      hint: `Set schedule.timezone to "${zone}" and give the times in it, or use \`web4 schedule run\`, which keeps the configured zone.`,
    });
  }
  const withSeconds = plan.jobs.filter((j) => j.cron.trim().split(/\s+/).length !== 5);
  if (withSeconds.length) {
    throw new InputError(`${withSeconds.map((j) => `job "${j.name}" ("${j.cron}")`).join(', ')}: crontab takes 5 fields (minute hour day-of-month month day-of-week), not seconds.`, {
      hint: 'Use 5-field expressions for crontab, or run the jobs with `web4 schedule run` (it takes 6 fields, seconds first).',
    });
  }
  const logs = shellWord(plan.logsDir);
  const root = shellWord(plan.stateRoot);
  return [
    beginMarker(plan.stateRoot),
    `# written by \`web4 schedule install\` (runner: ${plan.runner.describe.replace(/%/g, '\\%')}); change schedule.* in web4.config.json and install again`,
    ...plan.jobs.map(
      (job) => `${job.cron.trim().split(/\s+/).join(' ')} mkdir -p ${logs} && cd ${root} && ${job.command.map(shellWord).join(' ')} >> ${shellWord(job.logFile)} 2>&1`,
    ),
    endMarker(plan.stateRoot),
  ];
}

interface BlockSpan {
  begin: number;
  end: number;
}

function findBlock(lines: string[], stateRoot: string): BlockSpan | undefined {
  const begin = lines.indexOf(beginMarker(stateRoot));
  if (begin < 0) return undefined;
  const end = lines.indexOf(endMarker(stateRoot), begin + 1);
  if (end < 0) {
    throw new InputError(`The crontab has "${beginMarker(stateRoot)}" but no "${endMarker(stateRoot)}" after it; web4 will not guess which lines are its own.`, {
      hint: 'Fix the block by hand (`crontab -e`): add the END line or delete the BEGIN line, then run the command again.',
    });
  }
  return { begin, end };
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The crontab with this root's block replaced in place, or appended; every other line kept as it was. */
export function withBlock(current: string, block: string[], stateRoot: string): { text: string; replaced: boolean } {
  const lines = splitLines(current);
  const span = findBlock(lines, stateRoot);
  const next = span ? [...lines.slice(0, span.begin), ...block, ...lines.slice(span.end + 1)] : [...lines, ...block];
  return { text: next.join('\n') + '\n', replaced: Boolean(span) };
}

/** The crontab without this root's block; `removed` is false when there was none. */
export function withoutBlock(current: string, stateRoot: string): { text: string; removed: boolean } {
  const lines = splitLines(current);
  const span = findBlock(lines, stateRoot);
  if (!span) return { text: current, removed: false };
  const next = [...lines.slice(0, span.begin), ...lines.slice(span.end + 1)];
  return { text: next.length ? next.join('\n') + '\n' : '', removed: true };
}
