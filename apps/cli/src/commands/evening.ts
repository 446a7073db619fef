import { alerterFromConfig } from '@web4/alerting';
import { EXIT_CODES, InputError, ServiceError, isWeb4Error } from '@web4/core';
import type { AlertSink } from '@web4/evening-loop';
import { servicesFromConfig } from '@web4/local-services';
import { MetricsReader, MetricsStore } from '@web4/metrics-store';
import { storageTarget } from '@web4/storage';
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';
import { openRagForCommand } from './rag.js';

const eveningLoop = () => import('@web4/evening-loop');

interface RunArgs extends GlobalArgs {
  dryRun?: boolean;
}
interface StatusArgs extends GlobalArgs {
  run?: string;
}
interface HistoryArgs extends GlobalArgs {
  limit: number;
}
interface ReplayArgs extends GlobalArgs {
  nights: number;
  from?: string;
  keep?: boolean;
  canaries?: string;
}

const fmt = (x: number | null | undefined, d = 4) => (typeof x === 'number' ? x.toFixed(d) : '–');
const change = (a: number | null | undefined, b: number | null | undefined) =>
  typeof a === 'number' && typeof b === 'number' ? `${b >= a ? '+' : ''}${((100 * (b - a)) / a).toFixed(1)}%` : '';

/** The Ollama the loop registers models in: configured URL, ours, or one on the configured port. */
async function ollamaUrl(ctx: CommandContext): Promise<string> {
  const status = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
  if (status.state !== 'running' || !status.url) {
    throw new ServiceError('Ollama is not running: the nightly loop registers and checks models in it.', { hint: 'Start it with `web4 services up` (or set services.ollama.url), then run again.' });
  }
  return status.url;
}

/** SIGINT/SIGTERM stop the night between steps (the trainer stops between micro-batches). */
function interruptible(): AbortController {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    process.stderr.write(`\n${signal}: stopping the night after the current step (the trainer stops at its next micro-batch)…\n`);
    const error = new Error(`interrupted by ${signal}`);
    error.name = 'AbortError';
    controller.abort(error);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return controller;
}

/** The configured alert channels. A broken `alerts` config does not stop the night: its alerts then go to logs/alerts.log only. */
function nightAlerts(ctx: CommandContext, logOnly: (logsDir: string) => AlertSink): AlertSink {
  try {
    return alerterFromConfig(ctx.config, ctx.paths, { clock: ctx.clock, logger: ctx.logger });
  } catch (error) {
    if (!isWeb4Error(error)) throw error;
    process.stderr.write(`warning: ${error.toUserString()}\n  → tonight's alerts go to logs/alerts.log only\n`);
    return logOnly(ctx.paths.logsDir);
  }
}

async function loopFor(ctx: CommandContext, o: { dryRun?: boolean } = {}) {
  const { EveningLoop, logFileAlerts } = await eveningLoop();
  const url = await ollamaUrl(ctx);
  const controller = interruptible();
  return new EveningLoop({
    config: ctx.config,
    paths: ctx.paths,
    clock: ctx.clock,
    ollamaUrl: url,
    openRag: () => openRagForCommand(ctx),
    console: ctx.json ? process.stderr : process.stdout,
    signal: controller.signal,
    alerts: nightAlerts(ctx, logFileAlerts),
    ...(o.dryRun ? { noFiles: true } : {}),
  });
}

async function run(args: RunArgs, which: 'run' | 'resume'): Promise<number> {
  const ctx = createContext(args);
  const loop = await loopFor(ctx, { dryRun: Boolean(args.dryRun) });
  if (args.dryRun) {
    if (which === 'resume') throw new InputError('--dry-run goes with `web4 evening run`.');
    const r = await loop.dryRun();
    ctx.emit({ dryRun: true, ...r });
    return EXIT_CODES.ok;
  }
  const outcome = which === 'run' ? await loop.run() : await loop.resume();
  ctx.emit(outcome);
  if (outcome.logFile) ctx.say(`Log: ${outcome.logFile}`);
  return outcome.exitCode;
}

async function status(args: StatusArgs): Promise<number> {
  const ctx = createContext(args);
  const local = existsSync(ctx.paths.metricsDb);
  if (!local && storageTarget(ctx.config).dialect === 'sqlite') {
    ctx.emit({ night: null });
    ctx.say('No night has run in this state root yet (`web4 evening run`).');
    return EXIT_CODES.ok;
  }
  const { readNight, nightHistory, EVENING_LOCK } = await eveningLoop();
  // The nights where storage.url says; the lock and the served tags are this state root's own.
  const reader = await MetricsReader.open(ctx.config, ctx.paths);
  const store = local ? MetricsStore.open(ctx.paths.metricsDb, { clock: ctx.clock }) : undefined;
  try {
    const night = args.run ? await readNight(reader, args.run) : (await nightHistory(reader, 1))[0];
    if (args.run && !night) throw new InputError(`No night ${args.run} is recorded.`, { hint: '`web4 evening history` lists the nights.' });
    const holder = store?.locks.holder(EVENING_LOCK);
    const tags = store?.models.tags() ?? {};
    ctx.emit({ night: night ?? null, lock: holder ?? null, served: tags });
    if (!night) {
      ctx.say('No night has run in this state root yet (`web4 evening run`).');
      return EXIT_CODES.ok;
    }
    const mark = night.status === 'complete' || night.status === 'nothing' ? '✓' : night.status === 'open' ? '…' : '⚠️';
    ctx.say(`${mark} ${night.runId}: ${night.status.toUpperCase()}${night.day ? ` (day ${night.day})` : ''}, started ${night.startedAt}${night.runtimeS !== null ? `, ${night.runtimeS.toFixed(0)} s` : ''}`);
    if (holder) ctx.say(`  lock held by ${holder.owner} since ${holder.acquiredAt}`);
    for (const s of night.steps) {
      const m = s.status === 'done' ? '✓' : s.status === 'skipped' ? '–' : s.status === 'running' ? '…' : '⚠️';
      ctx.say(`  ${m} ${s.step.padEnd(13)} ${s.status.padEnd(8)} ${s.seconds !== null ? `${s.seconds.toFixed(1)} s` : ''}`);
    }
    if (night.items !== null) ctx.say(`  items ${night.items} PDCAs (${night.chunks} chunks), samples ${night.samples ?? '–'} (${night.replayed ?? 0} replayed)`);
    if (night.trainLoss !== null) ctx.say(`  training loss ${fmt(night.trainLoss)}, adapter ${night.version}`);
    if (night.night) ctx.say(`  night loss production ${fmt(night.night.production)} → candidate ${fmt(night.night.candidate)} ${change(night.night.production, night.night.candidate)}`);
    if (night.retention?.tokens) ctx.say(`  retention production ${fmt(night.retention.production)} → candidate ${fmt(night.retention.candidate)} ${change(night.retention.production, night.retention.candidate)}`);
    if (night.gates) for (const g of night.gates) ctx.say(`  ${g.pass ? '✓' : '⚠️'} gate ${g.gate}: ${g.measured}`);
    if (night.error) ctx.say(`  error: ${night.error.message}${night.error.hint ? `\n  → ${night.error.hint}` : ''}`);
    if (night.status === 'open') ctx.say('  → `web4 evening resume` continues it; `web4 evening run` finishes or replaces it');
    ctx.say(`  served: latest = ${tags.latest ?? 'base'}, previous = ${tags.previous ?? '(none)'}`);
    return night.status === 'open' || night.status === 'rejected' || night.status === 'failed' ? EXIT_CODES.checkFailed : EXIT_CODES.ok;
  } finally {
    store?.close();
    await reader.close();
  }
}

async function history(args: HistoryArgs): Promise<number> {
  const ctx = createContext(args);
  if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > 1000) throw new InputError(`--limit must be a whole number from 1 to 1000, got ${args.limit}.`);
  if (!existsSync(ctx.paths.metricsDb) && storageTarget(ctx.config).dialect === 'sqlite') {
    ctx.emit({ nights: [] });
    ctx.say('No night has run in this state root yet.');
    return EXIT_CODES.ok;
  }
  const { nightHistory } = await eveningLoop();
  const reader = await MetricsReader.open(ctx.config, ctx.paths);
  try {
    const nights = await nightHistory(reader, args.limit);
    ctx.emit({ nights });
    ctx.say(`${'night'.padEnd(22)} ${'status'.padEnd(9)} ${'items'.padStart(5)} ${'smp'.padStart(4)} ${'train'.padStart(7)}  ${'night loss prod→cand'.padEnd(24)} ${'retention'.padEnd(9)} canaries`);
    for (const n of nights) {
      const nl = n.night ? `${fmt(n.night.production, 3)}→${fmt(n.night.candidate, 3)} ${change(n.night.production, n.night.candidate)}` : '';
      const rl = n.retention?.tokens ? change(n.retention.production, n.retention.candidate) : n.retention ? 'n/a' : '';
      ctx.say(`${n.runId.padEnd(22)} ${n.status.padEnd(9)} ${String(n.items ?? '–').padStart(5)} ${String(n.samples ?? '–').padStart(4)} ${fmt(n.trainLoss, 3).padStart(7)}  ${nl.padEnd(24)} ${rl.padEnd(9)} ${n.canaries ?? ''}`);
    }
    if (nights.length === 0) ctx.say('  (none)');
    return EXIT_CODES.ok;
  } finally {
    await reader.close();
  }
}

async function replay(args: ReplayArgs): Promise<number> {
  const ctx = createContext(args);
  if (!Number.isInteger(args.nights) || args.nights < 1 || args.nights > 60) throw new InputError(`--nights must be a whole number from 1 to 60, got ${args.nights}.`);
  const { replayJournal } = await eveningLoop();
  const url = await ollamaUrl(ctx);
  const chroma = await servicesFromConfig(ctx.config, ctx.paths).chroma.status();
  if (chroma.state !== 'running' || !chroma.url) throw new ServiceError('Chroma is not running: the replay indexes each day into it.', { hint: 'Start it with `web4 services up`, then run again.' });
  const controller = interruptible();
  const report = await replayJournal({
    config: ctx.config,
    paths: ctx.paths,
    ollamaUrl: url,
    chromaUrl: chroma.url,
    nights: args.nights,
    ...(args.from ? { from: args.from } : {}),
    ...(args.canaries ? { canaryFile: args.canaries } : {}),
    keep: Boolean(args.keep),
    console: ctx.json ? process.stderr : process.stdout,
    signal: controller.signal,
  });
  ctx.emit(report);
  return report.exitCode;
}

export const eveningCommand: CommandModule<object, GlobalArgs> = {
  command: 'evening <command>',
  describe: 'The nightly learning loop: run, resume, status, history, replay',
  builder: (y: Argv<object>) =>
    y
      .command<RunArgs>(
        'run',
        "Tonight's night: train on the buffer, gate, promote or roll back (exit 0 complete or nothing to do, 1 rejected, 75 another run holds the lock)",
        (a) => a.option('dry-run', { type: 'boolean', describe: 'Walk every step and say what it would do; change nothing' }),
        (args) => runCommand(args, () => run(args, 'run')),
      )
      .command<RunArgs>('resume', 'Continue the open night from the step in flight (after a crash or a fixed failure)', (a) => a, (args) => runCommand(args, () => run(args, 'resume')))
      .command<StatusArgs>(
        'status',
        'The latest night (or --run ID) step by step, with its figures and the lock',
        (a) => a.option('run', { type: 'string', describe: 'A night id (night_YYYYMMDD_HHMMSS)' }),
        (args) => runCommand(args, () => status(args)),
      )
      .command<HistoryArgs>(
        'history',
        'The last nights: items, samples, losses, gates',
        (a) => a.option('limit', { type: 'number', default: 10, describe: 'How many nights' }),
        (args) => runCommand(args, () => history(args)),
      )
      .command<ReplayArgs>(
        'replay',
        "Play the journal day by day on a fresh state root and measure each night's model on the next day's unseen PDCAs against the base model",
        (a) =>
          a
            .option('nights', { type: 'number', default: 5, describe: 'How many nights to play' })
            .option('from', { type: 'string', describe: 'First day (YYYY-MM-DD); default the journal’s first day' })
            .option('canaries', { type: 'string', describe: 'Canary case file (default validation.canaryFile)' })
            .option('keep', { type: 'boolean', describe: 'Keep the replay state root and its Ollama models' }),
        (args) => runCommand(args, () => replay(args)),
      )
      .demandCommand(1, 'Name an evening command: run, resume, status, history, replay'),
  handler: () => undefined,
};
