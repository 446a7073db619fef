import { InputError, isoDay, parseDay, parseDays } from '@web4/core';
import {
  type CollectionHealthProvider,
  MetricsReader,
  buildMonitoringReport,
  openQueryLogger,
  readQueryTypesReport,
  formatMonitoringReport,
  formatQueryTypesReport,
  parseRating,
  type QueryRecord,
  toQueryRow,
  toStorageError,
  verdictExitCode,
} from '@web4/metrics-store';
import { readFileSync } from 'node:fs';
import { counted, storageTarget, toPostgresError } from '@web4/storage';
import type { Argv, CommandModule } from 'yargs';
import { type CommandContext, type GlobalArgs, createContext, runCommand } from '../context.js';

interface ReportArgs extends GlobalArgs {
  days?: number;
  collections?: boolean;
}
interface QueryTypesArgs extends GlobalArgs {
  date?: string;
}
interface LogArgs extends GlobalArgs {
  latency: number;
  type?: string;
  history?: boolean;
  tools?: boolean;
  trainai?: boolean;
  graph?: boolean;
  tokens?: number;
  error?: string;
  timestamp?: string;
  feedback?: string;
}
interface ImportArgs extends GlobalArgs {
  file: string;
}
interface ErrorsArgs extends GlobalArgs {
  date?: string;
  limit: number;
}

const CHECK_EXIT =
  'Exit 0 when every target was checked and met (✓), 1 when a target is missed (⚠️), 5 when none is missed but some could not be checked (–, no queries yet: nothing to judge), 2 bad input, 3 storage problem. --json: verdict met|missed|unknown, counts, allTargetsMet (true only when met).';

/** The query records where storage.url says: the reports read them, log/import write them. */
function openReader(ctx: CommandContext): Promise<MetricsReader> {
  return MetricsReader.open(ctx.config, ctx.paths);
}

/** Where the records are, for the "logged to …" lines. */
function recordsAt(ctx: CommandContext): string {
  const target = storageTarget(ctx.config);
  return target.dialect === 'postgres' ? target.displayUrl : ctx.paths.metricsDb;
}

/**
 * A failure of `monitor rebuild` as the other storage paths report it (exit 3 with what to do, or
 * exit 2 for a PostgreSQL server that cannot be reached): on SQLite a file locked past
 * monitoring.busyTimeoutMs, not a database, read-only or on a full disk; on PostgreSQL the
 * server's error. Anything else passes unchanged.
 */
function rebuildError(ctx: CommandContext, store: MetricsReader, error: unknown): unknown {
  const action = 'rebuild daily_summary';
  if (store.dialect === 'sqlite') return toStorageError(error, ctx.paths.metricsDb, action, { label: 'metrics', setting: 'paths.metricsDb' });
  const target = storageTarget(ctx.config);
  return target.dialect === 'postgres' ? toPostgresError(error, target.url, action) : error;
}

/** Collection health from rag-tiers, loaded only when asked for (it talks to Chroma). */
async function ragCollectionHealth(ctx: CommandContext): Promise<CollectionHealthProvider> {
  const { collectionHealth } = await import('@web4/rag-tiers');
  return async () =>
    (await collectionHealth(ctx.config)).collections.map((c) => ({
      name: c.collection,
      healthy: c.reachable && c.consistent !== false,
      ...(c.items !== null ? { count: c.items } : {}),
      ...(c.error ? { detail: c.error } : {}),
    }));
}

function readQueryRecords(file: string): QueryRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`Cannot read ${file}: ${(error as Error).message}.`, { hint: 'Give the path of a JSON Lines file.' });
  }
  const records: QueryRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as QueryRecord);
    } catch {
      throw new InputError(`${file} line ${i + 1} is not JSON.`, { hint: 'One JSON object per line, e.g. {"latencyMs": 850, "usedTools": true}.' });
    }
  });
  return records;
}

export const monitorCommand: CommandModule<object, GlobalArgs> = {
  command: 'monitor <command>',
  describe: 'Production monitoring: dashboard, query types, recording queries',
  builder: (y: Argv<object>) =>
    y
      .command<ReportArgs>(
        'report',
        `Daily statistics and target validation over a window. ${CHECK_EXIT}`,
        (a) =>
          a
            .option('days', { type: 'number', describe: 'Window in days, ending today (default monitoring.windowDays, 7)' })
            .option('collections', { type: 'boolean', describe: 'Also check RAG collection health (needs Chroma; without it the check is "not checked" and not part of the verdict)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const days = parseDays(args.days ?? ctx.config.monitoring.windowDays);
            const store = await openReader(ctx);
            try {
              const report = await buildMonitoringReport({
                store,
                targets: ctx.config.monitoring.targets,
                latencyStatistic: ctx.config.monitoring.latencyStatistic,
                now: ctx.clock.now(),
                days,
                ...(args.collections ? { collectionHealth: await ragCollectionHealth(ctx) } : {}),
              });
              ctx.emit(report);
              ctx.say(formatMonitoringReport(report));
              if (!args.collections) ctx.say('(Collection health is checked with --collections; it needs the Chroma server.)');
              return verdictExitCode(report.verdict);
            } finally {
              await store.close();
            }
          }),
      )
      .command<QueryTypesArgs>(
        'query-types',
        `Category breakdown of one day and the Training-First check (pure trained 50-60% target, 45-65% accepted). ${CHECK_EXIT}`,
        (a) => a.option('date', { type: 'string', describe: 'Day as YYYY-MM-DD, "today" or "yesterday" (UTC; default today)' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const day = isoDay(parseDay(args.date ?? 'today', ctx.clock.now(), '--date'));
            const store = await openReader(ctx);
            try {
              const report = await readQueryTypesReport(store, day, ctx.config.monitoring.targets);
              ctx.emit(report);
              ctx.say(formatQueryTypesReport(report));
              return verdictExitCode(report.verdict);
            } finally {
              await store.close();
            }
          }),
      )
      .command<LogArgs>(
        'log',
        'Record one query (for scripts and demos; the gateway logs its own). Exit 0 written, 2 bad input, 3 storage problem.',
        (a) =>
          a
            .option('latency', { type: 'number', demandOption: true, describe: 'Latency in ms (≥ 0)' })
            .option('type', { type: 'string', describe: 'Query type (default general)' })
            .option('history', { type: 'boolean', describe: 'Used the history tier' })
            .option('tools', { type: 'boolean', describe: 'Used the tools tier' })
            .option('trainai', { type: 'boolean', describe: 'Used the TrainAI tier' })
            .option('graph', { type: 'boolean', describe: 'Used the graph tier' })
            .option('tokens', { type: 'number', describe: 'Tokens generated' })
            .option('error', { type: 'string', describe: 'Error message, when the query failed' })
            .option('timestamp', { type: 'string', describe: 'ISO 8601 instant (default now)' })
            .option('feedback', { type: 'string', describe: 'up or down' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            if (typeof args.latency !== 'number' || Number.isNaN(args.latency)) {
              throw new InputError('--latency must be a number of milliseconds.', { hint: 'For example: web4 monitor log --latency 850 --tools' });
            }
            const logger = await openQueryLogger(ctx.config, ctx.paths, { clock: ctx.clock });
            try {
              logger.log({
                latencyMs: args.latency,
                ...(args.type !== undefined ? { queryType: args.type } : {}),
                usedHistory: Boolean(args.history),
                usedTools: Boolean(args.tools),
                usedTrainai: Boolean(args.trainai),
                usedGraph: Boolean(args.graph),
                ...(args.tokens !== undefined ? { tokensGenerated: args.tokens } : {}),
                ...(args.error !== undefined ? { error: args.error } : {}),
                ...(args.timestamp !== undefined ? { timestamp: args.timestamp } : {}),
                ...(args.feedback !== undefined ? { userFeedback: parseRating(args.feedback) } : {}),
              });
            } finally {
              await logger.closeAsync();
            }
            ctx.emit({ logged: 1, database: recordsAt(ctx) });
            ctx.say(`logged 1 query to ${recordsAt(ctx)}`);
          }),
      )
      .command<ImportArgs>(
        'import <file>',
        'Record many queries from a JSON Lines file (one QueryRecord per line: latencyMs, usedTools …). All lines are checked first; one bad line writes nothing. Exit 0 written, 2 bad input, 3 storage problem.',
        (a) => a.positional('file', { type: 'string', demandOption: true, describe: 'JSON Lines file' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const records = readQueryRecords(args.file);
            // Check every line before writing any: one bad line writes nothing.
            const now = () => ctx.clock.now();
            records.forEach((record, i) => {
              try {
                toQueryRow(record, now, ctx.config.monitoring.maxTextBytes);
              } catch (error) {
                throw new InputError(`${args.file} line ${i + 1}: ${(error as Error).message}`, { hint: 'Fix that line; nothing was written.' });
              }
            });
            const logger = await openQueryLogger(ctx.config, ctx.paths, { clock: ctx.clock });
            for (const record of records) logger.log(record);
            await logger.closeAsync();
            ctx.emit({ logged: records.length, database: recordsAt(ctx) });
            ctx.say(`logged ${records.length} queries from ${args.file} to ${recordsAt(ctx)}`);
          }),
      )
      .command<ErrorsArgs>(
        'errors',
        'The failed queries of one day, newest first (to investigate a missed error-rate target).',
        (a) =>
          a
            .option('date', { type: 'string', describe: 'Day as YYYY-MM-DD, "today" or "yesterday" (default today)' })
            .option('limit', { type: 'number', default: 20, describe: 'At most this many' }),
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const day = isoDay(parseDay(args.date ?? 'today', ctx.clock.now(), '--date'));
            if (!Number.isInteger(args.limit) || args.limit <= 0) throw new InputError(`--limit must be a positive whole number, got ${args.limit}.`);
            const store = await openReader(ctx);
            try {
              const rows = await store.queriesOfDay(day, { errorsOnly: true, limit: args.limit });
              ctx.emit({ day, errors: rows });
              ctx.say(`Failed queries on ${day}: ${rows.length}${rows.length === args.limit ? ' (limit reached)' : ''}`);
              for (const r of rows) ctx.say(`  ${r.timestamp}  ${r.query_type}  ${Math.round(r.latency_ms)} ms  ${r.error}${r.error_context ? `  ${r.error_context}` : ''}`);
            } finally {
              await store.close();
            }
          }),
      )
      .command<GlobalArgs>(
        'rebuild',
        'Recompute daily_summary from the raw query rows (after importing rows written by other tools).',
        (a) => a,
        (args) =>
          runCommand(args, async () => {
            const ctx = createContext(args);
            const store = await openReader(ctx);
            try {
              let days: number;
              let queries: number;
              try {
                days = await store.rebuildDailySummary(ctx.clock.now());
                queries = await store.countQueries();
              } catch (error) {
                throw rebuildError(ctx, store, error);
              }
              ctx.emit({ days, queries });
              ctx.say(`daily_summary rebuilt: ${counted(days, 'day')}, ${counted(queries, 'query', 'queries')}`);
            } finally {
              await store.close();
            }
          }),
      )
      .demandCommand(1, 'Name a monitor command: report, query-types, log, import, errors, rebuild.'),
  handler: () => {},
};
