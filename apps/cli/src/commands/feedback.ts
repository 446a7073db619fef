import { InputError, MARK, addDays, atLeast, parseDays, utcMidnight } from '@web4/core';
import { type FeedbackRecords, openFeedbackRecords } from '@web4/metrics-store';
import { readFileSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { type CommandContext, type GlobalArgs, createContext, runCommand } from '../context.js';

interface AddArgs extends GlobalArgs {
  query?: string;
  queryFile?: string;
  response?: string;
  responseFile?: string;
  rating: string;
  comment?: string;
}
interface WindowArgs extends GlobalArgs {
  days?: number;
  limit?: number;
}

/** The feedback records where storage.url says (the SQLite file, or the feedback schema of PostgreSQL). */
function openFeedback(ctx: CommandContext): Promise<FeedbackRecords> {
  return openFeedbackRecords(ctx.config, ctx.paths, { clock: ctx.clock });
}

/** Calendar days in UTC: `--days 7` is today and the six days before it, like `monitor report`. */
function window(ctx: CommandContext, days: number | undefined): { from: Date; to: Date; days: number } {
  const n = parseDays(days ?? ctx.config.monitoring.windowDays);
  const today = utcMidnight(ctx.clock.now());
  return { from: addDays(today, -(n - 1)), to: addDays(today, 1), days: n };
}

/** Text from --X or --X-file (long answers do not fit in a command line). */
function textArg(value: string | undefined, file: string | undefined, name: string, maxBytes: number): string {
  if (value !== undefined && file !== undefined) throw new InputError(`Give --${name} or --${name}-file, not both.`);
  if (file !== undefined) {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new InputError(`--${name}-file ${file} cannot be read.`, { hint: 'Check the path.' });
    }
    // Refuse before reading, so a huge file never lands in memory; the store states the limit.
    if (size > maxBytes) {
      throw new InputError(`${name} in ${file} is ${(size / 1024 / 1024).toFixed(1)} MiB, over the limit of ${(maxBytes / 1024).toFixed(1)} KiB.`, {
        hint: 'Shorten it, or raise monitoring.maxTextBytes in web4.config.json if such texts are expected.',
        details: { field: name, bytes: size, maxBytes },
      });
    }
    return readFileSync(file, 'utf8');
  }
  if (value === undefined) throw new InputError(`--${name} (or --${name}-file) is required.`);
  return value;
}

export const feedbackCommand: CommandModule<object, GlobalArgs> = {
  command: 'feedback <command>',
  describe: "Users' thumbs up/down: record, satisfaction rate, list",
  builder: (y: Argv<object>) =>
    y
      .command<AddArgs>(
        'add',
        'Record one rating. Exit 0 stored, 2 bad input (rating not up/down, text too long), 3 storage problem.',
        (a) =>
          a
            .option('query', { type: 'string', describe: 'The question asked' })
            .option('query-file', { type: 'string', describe: 'Read the question from this file' })
            .option('response', { type: 'string', describe: 'The answer given' })
            .option('response-file', { type: 'string', describe: 'Read the answer from this file' })
            .option('rating', { type: 'string', demandOption: true, describe: 'up or down' })
            .option('comment', { type: 'string', describe: 'Why' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const max = ctx.config.monitoring.maxTextBytes;
            const query = textArg(args.query, args.queryFile, 'query', max);
            const response = textArg(args.response, args.responseFile, 'response', max);
            const store = await openFeedback(ctx);
            try {
              const id = await store.add({ query, response, rating: args.rating, comment: args.comment ?? null });
              ctx.emit({ id, database: store.path });
              ctx.say(`feedback #${id} stored in ${store.path}`);
            } finally {
              await store.close();
            }
          }),
      )
      .command<WindowArgs>(
        'rate',
        'Satisfaction rate (thumbs up share) over a window, e.g. 87.3% (124/142). Exit 0 at or above monitoring.targets.satisfactionPct (or no feedback), 1 below, 2 bad input, 3 storage problem.',
        (a) => a.option('days', { type: 'number', describe: 'Window in days, ending today (default monitoring.windowDays, 7)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const w = window(ctx, args.days);
            const store = await openFeedback(ctx);
            try {
              const s = await store.satisfaction(w.from, w.to);
              const target = ctx.config.monitoring.targets.satisfactionPct;
              const status = atLeast(s.ratePct, target);
              ctx.emit({ ...s, days: w.days, from: w.from.toISOString(), to: w.to.toISOString(), targetPct: target, status });
              const shown = s.ratePct === null ? 'no feedback' : `${s.ratePct.toFixed(1)}% (${s.up}/${s.total})`;
              ctx.say(`${MARK[status]} Satisfaction over the last ${w.days === 1 ? 'day' : `${w.days} days`}: ${shown}   target ≥ ${target}%`);
              return status === 'warn' ? 1 : 0;
            } finally {
              await store.close();
            }
          }),
      )
      .command<WindowArgs>(
        'list',
        'Feedback entries of the window, newest first.',
        (a) =>
          a
            .option('days', { type: 'number', describe: 'Window in days, ending today (default monitoring.windowDays, 7)' })
            .option('limit', { type: 'number', default: 50, describe: 'At most this many' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const w = window(ctx, args.days);
            const limit = args.limit ?? 50;
            if (!Number.isInteger(limit) || limit <= 0) throw new InputError(`--limit must be a positive whole number, got ${limit}.`);
            const store = await openFeedback(ctx);
            try {
              const entries = await store.list(w.from, w.to, limit);
              ctx.emit({ days: w.days, entries });
              ctx.say(`Feedback, last ${w.days === 1 ? 'day' : `${w.days} days`}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
              for (const e of entries) {
                const mark = e.rating === 'thumbs_up' ? '👍' : '👎';
                ctx.say(`  #${e.id} ${e.timestamp} ${mark} ${oneLine(e.query, 60)} → ${oneLine(e.response, 40)}${e.comment ? `  (${oneLine(e.comment, 60)})` : ''}`);
              }
            } finally {
              await store.close();
            }
          }),
      )
      .demandCommand(1, 'Name a feedback command: add, rate, list.'),
  handler: () => {},
};

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
