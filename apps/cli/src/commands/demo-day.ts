import { resolveStatePath, type Clock } from '@web4/core';
import type { DayPlay, GatewayQueryEvent, PlayedQuery } from '@web4/serving-gateway';
import { join } from 'node:path';
import type { CommandContext } from '../context.js';

/**
 * The demo's day: the gateway in this process, on a clock set to the played day, and a day of
 * questions asked through it with the real `ollama` client, each rated by the seeded simulated user.
 */

/**
 * The gateway's clock in the demo: set to an instant of the played day (09:00 UTC when the day
 * starts), then running at real speed, so that the day's queries and ratings are recorded on the
 * journal day being played, in the order and with the gaps they really had.
 */
export class DemoClock implements Clock {
  private start = Date.now();
  private origin = performance.now();
  set(at: Date): void {
    this.start = at.getTime();
    this.origin = performance.now();
  }
  now(): Date {
    return new Date(this.start + (performance.now() - this.origin));
  }
}

export interface DemoGateway {
  url: string;
  /** The gateway's record of each query, by query id (tiers, time to first token). */
  events: Map<string, GatewayQueryEvent>;
  close(): Promise<void>;
}

/**
 * The gateway of this state root as `web4 gateway` serves it (gatewayParts: the Training-First
 * router and the retrieval tiers, /metrics, the dashboard on /, the query logger and feedback),
 * on the demo's clock, on loopback without a token (this machine only).
 */
export async function startDemoGateway(ctx: CommandContext, o: { ollamaUrl: string; port: number; clock: Clock; maxContextChars: number }): Promise<DemoGateway> {
  const { gatewayParts, startGateway } = await import('@web4/serving-gateway');
  // The demo's context budget: prompt evaluation dominates a retrieval answer on a small CPU.
  const config = { ...ctx.config, serving: { ...ctx.config.serving, maxContextChars: o.maxContextChars } };
  const events = new Map<string, GatewayQueryEvent>();
  const parts = await gatewayParts({ config, paths: ctx.paths, logger: ctx.logger, clock: o.clock });
  try {
    const gateway = await startGateway({
      config,
      paths: ctx.paths,
      ollamaUrl: o.ollamaUrl,
      host: '127.0.0.1',
      port: o.port,
      clock: o.clock,
      logger: ctx.logger,
      router: parts.router,
      retriever: parts.retriever,
      observers: [...parts.observers, { onQuery: (e) => void events.set(e.queryId, e) }],
      routes: parts.routes,
    });
    return {
      url: gateway.url,
      events,
      close: async () => {
        try {
          await gateway.close();
        } finally {
          await parts.close();
        }
      },
    };
  } catch (error) {
    await parts.close();
    throw error;
  }
}

/** The day's questions: project questions from the relevance set, general ones from examples/demo. */
export async function dayQuestions(ctx: CommandContext, count: number, seed: string) {
  const { generalQuestions, pickDayQuestions, projectQuestions } = await import('@web4/serving-gateway');
  const project = projectQuestions(resolveStatePath(ctx.config, ctx.config.rag.relevanceSet));
  // Beside the relevance set's folder: <examples>/demo/general_questions.yaml.
  const general = generalQuestions(join(resolveStatePath(ctx.config, ctx.config.rag.relevanceSet), '../../demo/general_questions.yaml'));
  return pickDayQuestions(project, general, count, seed);
}

const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `  7/40   2.3 s  ttft 0.4 s  tools+history   👍  How do we avoid …` */
export function queryLine(p: PlayedQuery, total: number, event: GatewayQueryEvent | undefined): string {
  const width = String(total).length;
  const tiers = event ? (event.tiersUsed.length ? event.tiersUsed.join('+') : 'trained only') : '–';
  const ttft = event?.ttftMs != null ? `ttft ${(event.ttftMs / 1000).toFixed(1)} s` : '';
  const rating = p.error ? `✗ ${oneLine(p.error, 60)}` : p.verdict?.rating === 'up' ? '👍' : '👎';
  return `  ${String(p.n).padStart(width)}/${total}  ${(p.latencyMs / 1000).toFixed(1).padStart(5)} s  ${ttft.padEnd(12)} ${tiers.padEnd(22)} ${rating}  ${oneLine(p.question.query, 70)}`;
}

export async function playDemoDay(ctx: CommandContext, o: { gateway: DemoGateway; model: string; count: number; maxTokens: number; seed: string; signal: AbortSignal }): Promise<DayPlay> {
  const { playDay } = await import('@web4/serving-gateway');
  const questions = await dayQuestions(ctx, o.count, o.seed);
  return playDay({
    gatewayUrl: o.gateway.url,
    model: o.model,
    questions,
    maxTokens: o.maxTokens,
    seed: o.seed,
    timeoutMs: ctx.config.serving.timeoutMs,
    signal: o.signal,
    onQuery: (p, total) => ctx.say(queryLine(p, total, p.queryId ? o.gateway.events.get(p.queryId) : undefined)),
  });
}

/** One line for the day: answered, failed, ratings, feedback recorded, time. */
export function daySummary(d: DayPlay): string {
  const lat = d.queries.filter((q) => !q.error).map((q) => q.latencyMs).sort((a, b) => a - b);
  const p50 = lat.length ? lat[Math.floor((lat.length - 1) / 2)]! : null;
  return `  ${d.answered} answered, ${d.failed} failed; 👍 ${d.up} 👎 ${d.down} (${d.feedbackRecorded} ratings recorded by the gateway); median ${p50 === null ? '–' : `${(p50 / 1000).toFixed(1)} s`}; ${d.seconds.toFixed(0)} s in all`;
}
