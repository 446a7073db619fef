import { alerterFromConfig } from '@web4/alerting';
import { isWeb4Error, resolveStatePath, RunningClock } from '@web4/core';
import type { AlertSink, NightOutcome, ReplayNight } from '@web4/evening-loop';
import type { CommandContext } from '../context.js';
import { openRagForCommand } from './rag.js';

/**
 * The demo's night: the same EveningLoop as `web4 evening run` (train, gates, promote or roll
 * back), run in the demo's process so that, when the journal has a next day, the evaluate step
 * also measures the next day's unseen PDCAs (as `web4 evening replay` does) for the per-night table.
 */
export interface DemoNight {
  outcome: NightOutcome;
  row: ReplayNight;
}

function alerts(ctx: CommandContext, logOnly: (logsDir: string) => AlertSink): AlertSink {
  try {
    return alerterFromConfig(ctx.config, ctx.paths, { clock: ctx.clock, logger: ctx.logger });
  } catch (error) {
    if (!isWeb4Error(error)) throw error;
    process.stderr.write(`warning: ${error.toUserString()}\n  → tonight's alerts go to logs/alerts.log only\n`);
    return logOnly(ctx.paths.logsDir);
  }
}

export async function playNight(ctx: CommandContext, o: { night: number; day: string; nextDay: string | null; ollamaUrl: string; signal: AbortSignal }): Promise<DemoNight> {
  const { EveningLoop, logFileAlerts, replayNight, samplesOfDay } = await import('@web4/evening-loop');
  const journal = resolveStatePath(ctx.config, ctx.config.rag.journal.root);
  const next = o.nextDay ? samplesOfDay(journal, ctx.config, o.nextDay) : null;
  const loop = new EveningLoop({
    config: ctx.config,
    paths: ctx.paths,
    // The night of the played day: 22:00 UTC, then at real speed (its steps show their real durations).
    clock: new RunningClock(new Date(`${o.day}T22:00:00Z`)),
    ollamaUrl: o.ollamaUrl,
    openRag: () => openRagForCommand(ctx),
    console: process.stdout,
    signal: o.signal,
    alerts: alerts(ctx, logFileAlerts),
    ...(next && next.samples.length > 0 ? { morningSets: [{ name: 'next_day', samples: next.samples }] } : {}),
  });
  const outcome = await loop.run();
  return { outcome, row: replayNight(o.night, o.day, o.nextDay ?? '–', outcome, next?.pdcas ?? 0) };
}
