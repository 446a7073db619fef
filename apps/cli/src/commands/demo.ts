import { addDays, EXIT_CODES, InputError, isoDay, MARK, resolveStatePath, ServiceError } from '@web4/core';
import { servicesFromConfig } from '@web4/local-services';
import { spawnSync } from 'node:child_process';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';
import { DemoClock, daySummary, playDemoDay, startDemoGateway, type DemoGateway } from './demo-day.js';
import { playNight, type DemoNight } from './demo-night.js';

interface DemoArgs extends GlobalArgs {
  questions: number;
  nights: number;
  maxTokens?: number;
  maxContextChars?: number;
  seed: string;
  port?: number;
  serve?: boolean;
  exit?: boolean;
}

/** The demo's answers are capped shorter than serving.maxTokens: the small CPU model keeps the day short. */
const DEMO_MAX_TOKENS = 64;
/**
 * And their retrieved context shorter than serving.maxContextChars: on 2 busy cores the small
 * model read a 3,000-character context for over 2 minutes before its first token (measured
 * 2026-11-30, load 9-12), against ~1.5 s for a question alone.
 */
const DEMO_MAX_CONTEXT_CHARS = 1200;

interface Step {
  title: string;
  args: string[];
  /** "As of" this instant (WEB4_NOW): the played day's evening, the next morning. */
  at?: string;
  /** A failed required step ends the demo with its exit code; others are reported and it goes on. */
  required?: boolean;
  /** Exit code 1 ("a target was missed") or 5 ("nothing to judge"): information, shown as ⚠️, not a failure of the demo. */
  isReport?: boolean;
}

interface Outcome {
  label: string;
  code: number;
  note?: string;
}

/**
 * The days the demo plays: the `nights` journal days ending "today" — the clock's day when the
 * journal has PDCAs dated then, else its newest day (so the example journal still demonstrates
 * after its last date) — each with the journal day after it, when there is one.
 */
async function playedDays(ctx: CommandContext, nights: number): Promise<Array<{ day: string; nextDay: string | null }>> {
  const { journalDays } = await import('@web4/evening-loop');
  const root = resolveStatePath(ctx.config, ctx.config.rag.journal.root);
  const all = journalDays(root, ctx.config.rag.journal.patterns);
  const today = isoDay(ctx.clock.now());
  const upTo = all.filter((d) => d <= today);
  if (upTo.length === 0) throw new InputError(`The journal ${root} has no PDCA dated on or before ${today}.`, { hint: 'Check rag.journal.root and rag.journal.patterns in web4.config.json.' });
  if (nights > upTo.length) throw new InputError(`--nights ${nights}: the journal has only ${upTo.length} days up to ${upTo.at(-1)}.`, { hint: `Lower --nights to ${upTo.length} or less.` });
  return upTo.slice(-nights).map((day) => ({ day, nextDay: all.find((d) => d > day) ?? null }));
}

const nextMorning = (day: string, time: string) => `${isoDay(addDays(new Date(`${day}T00:00:00Z`), 1))}T${time}Z`;

function runStep(ctx: CommandContext, step: Step, globalArgs: string[]): number {
  ctx.say(`\n━━ ${step.title} ━━  ${step.at ? `WEB4_NOW=${step.at} ` : ''}web4 ${step.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // The same CLI, in a child process: each step is exactly what a person would type.
  const env = { ...process.env, ...(step.at ? { WEB4_NOW: step.at } : {}) };
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...step.args, ...globalArgs], { stdio: 'inherit', env });
  return r.status ?? 1;
}

function stepOutcome(step: Step, code: number): Outcome {
  const note = code === 0 ? '' : step.isReport && code === 1 ? ' (a target missed: see above)' : step.isReport && code === 5 ? ' (nothing to judge yet: no data for some targets)' : ` (exit ${code})`;
  return { label: `web4 ${step.args.slice(0, 2).join(' ')}`, code, note };
}

/** Ctrl-C stops the day between questions and the night between steps; a second one exits at once. */
function interruptible(ctx: CommandContext): AbortController {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
    ctx.say('\nCtrl-C: stopping (the night stops after its current step; Ctrl-C again to quit at once)…');
    const error = new Error('interrupted by SIGINT');
    error.name = 'AbortError';
    controller.abort(error);
  });
  return controller;
}

async function demo(args: DemoArgs): Promise<number> {
  const ctx = createContext(args);
  for (const [name, value, min] of [['questions', args.questions, 1], ['nights', args.nights, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new InputError(`--${name} must be a whole number ≥ ${min}, got ${String(value)}.`);
  }
  const maxTokens = args.maxTokens ?? Math.min(ctx.config.serving.maxTokens, DEMO_MAX_TOKENS);
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new InputError(`--max-tokens must be a whole number ≥ 1, got ${String(args.maxTokens)}.`);
  const maxContextChars = args.maxContextChars ?? Math.min(ctx.config.serving.maxContextChars, DEMO_MAX_CONTEXT_CHARS);
  if (!Number.isInteger(maxContextChars) || maxContextChars < 1) throw new InputError(`--max-context-chars must be a whole number ≥ 1, got ${String(args.maxContextChars)}.`);
  const serve = args.exit ? false : (args.serve ?? Boolean(process.stdout.isTTY));
  const globalArgs = [...(args.root ? ['--root', args.root] : []), ...(args.config ? ['--config', args.config] : [])];
  const days = await playedDays(ctx, args.nights);
  const started = performance.now();
  ctx.say(`web4-learning on the embedded default — state root ${ctx.paths.root}`);
  ctx.say(`Playing ${days.length} day${days.length === 1 ? '' : 's'} and night${days.length === 1 ? '' : 's'} (${days.map((d) => d.day).join(', ')}): ${args.questions} questions a day, answers capped at ${maxTokens} tokens and their context at ${maxContextChars} characters, simulated user seed "${args.seed}".`);
  const controller = interruptible(ctx);
  const outcomes: Outcome[] = [];
  const timings: Array<[string, number]> = [];
  const timed = async <T>(label: string, work: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings.push([label, (performance.now() - t0) / 1000]);
    }
  };
  const required = async (step: Step): Promise<number> => {
    const code = await timed(step.args.slice(0, 2).join(' '), () => runStep(ctx, step, globalArgs));
    outcomes.push(stepOutcome(step, code));
    if (code !== 0) ctx.say(`\n${MARK.warn} stopped: "${step.title}" failed (exit ${code}); fix what it says above and run \`npm start\` again.`);
    return code;
  };

  let code = await required({ title: 'Services: Chroma and Ollama, found or started; the base model imported', args: ['services', 'up'], required: true });
  if (code !== 0) return code;
  code = await required({ title: 'Historical corpus into the five collections (unchanged files are skipped)', args: ['index', 'corpus'], required: true });
  if (code !== 0) return code;

  const ollama = await servicesFromConfig(ctx.config, ctx.paths).ollama.status();
  if (ollama.state !== 'running' || !ollama.url) throw new ServiceError('Ollama is not running after `web4 services up`.', { hint: 'See `web4 services status` and logs/services/.' });
  const clock = new DemoClock();
  clock.set(new Date(`${days[0]!.day}T09:00:00Z`));
  ctx.say(`\n━━ The gateway: the Ollama API with routing, retrieval, metrics and feedback ━━  (web4 gateway, in this process)`);
  const gateway: DemoGateway = await startDemoGateway(ctx, { ollamaUrl: ollama.url, port: args.port ?? ctx.config.gateway.port, clock, maxContextChars });
  ctx.say(`  listening on ${gateway.url}; its clock plays the journal days (${days[0]!.day} 09:00 UTC first, then at real speed)`);
  const nights: DemoNight[] = [];
  try {
    for (const [i, { day, nextDay }] of days.entries()) {
      const of = days.length > 1 ? ` ${i + 1}/${days.length}` : '';
      clock.set(new Date(`${day}T09:00:00Z`));
      ctx.say(`\n━━ Day${of}, ${day}: ${args.questions} questions through the gateway (ollama client → ${gateway.url}), rated by the simulated user ━━`);
      const played = await timed(`day ${day}`, () =>
        playDemoDay(ctx, { gateway, model: '', count: args.questions, maxTokens, seed: `${args.seed}:${day}`, signal: controller.signal }),
      );
      ctx.say(daySummary(played));
      outcomes.push({ label: `day ${day}: ${played.answered}/${played.queries.length} answered, ${played.feedbackRecorded} rated`, code: played.answered > 0 ? 0 : 1 });
      if (played.answered === 0) {
        ctx.say(`\n${MARK.warn} stopped: no question of the day was answered (see the errors above); check \`web4 services status\`.`);
        return EXIT_CODES.checkFailed;
      }

      code = await required({ title: `Daily indexing: ${day}'s PDCAs into the daily buffer`, args: ['index', 'daily', '--date', day], at: `${day}T18:00:00Z`, required: true });
      if (code !== 0) return code;

      ctx.say(`\n━━ Night${of}, ${day} 22:00 UTC: train on the buffer, gates, promote or roll back ━━  (web4 evening run, in this process${nextDay ? `; ${nextDay}'s PDCAs measured too, unseen` : ''})`);
      const night = await timed(`night ${day}`, () => playNight(ctx, { night: i + 1, day, nextDay, ollamaUrl: ollama.url!, signal: controller.signal }));
      nights.push(night);
      outcomes.push({ label: `night ${day}: ${night.outcome.status}`, code: night.outcome.exitCode, ...(night.outcome.exitCode === 1 ? { note: ' (rejected: production kept, see the gates above)' } : {}) });
      if (night.outcome.exitCode > 1) {
        ctx.say(`\n${MARK.warn} stopped: the night ended at step ${night.outcome.failedStep ?? '?'} (exit ${night.outcome.exitCode}); \`web4 evening status\` says what to do, \`web4 evening resume\` continues it.`);
        return night.outcome.exitCode;
      }

      const morning = nextMorning(day, '07:00:00');
      const step: Step = { title: `Morning validation, ${morning.slice(0, 10)}: the challenging queries against the served model`, args: ['validate'], at: morning, isReport: true };
      outcomes.push(stepOutcome(step, await timed('validate', () => runStep(ctx, step, globalArgs))));
    }

    const last = days.at(-1)!.day;
    const asOf = nextMorning(last, '08:00:00');
    const reports: Step[] = [
      { title: 'Production monitoring, with the health of the collections', args: ['monitor', 'report', '--collections'], at: asOf, isReport: true },
      { title: `Query categories of ${last} and the Training-First check`, args: ['monitor', 'query-types', '--date', last], at: asOf, isReport: true },
      { title: 'User satisfaction', args: ['feedback', 'rate'], at: asOf, isReport: true },
    ];
    for (const step of reports) outcomes.push(stepOutcome(step, await timed(step.args.slice(0, 2).join(' '), () => runStep(ctx, step, globalArgs))));

    if (nights.length > 1) {
      const { replayTable } = await import('@web4/evening-loop');
      ctx.say(`\n━━ The nights, as \`web4 evening replay\` shows them (loss on the next day's unseen PDCAs: base → served) ━━`);
      for (const line of replayTable(nights.map((n) => n.row))) ctx.say(line);
    }

    ctx.say('\n━━ Summary ━━');
    for (const o of outcomes) ctx.say(`${o.code === 0 ? MARK.pass : MARK.warn} ${o.label}${o.note ?? ''}`);
    ctx.say(`Time: ${((performance.now() - started) / 1000).toFixed(0)} s — ${timings.map(([l, s]) => `${l} ${s.toFixed(0)} s`).join(', ')}`);
    clock.set(new Date(asOf));
    ctx.say(`\nDashboard: ${gateway.url}/   (the gateway's clock stands at ${asOf}, the morning after the last played day)`);
    ctx.say(`Ask it yourself: any Ollama client pointed at ${gateway.url} (e.g. OLLAMA_HOST=${gateway.url.replace(/^http:\/\//, '')} ollama run ${ctx.config.models.productionModel}).`);
    ctx.say(`The reports again later: WEB4_NOW=${asOf} npx web4 monitor report`);
    if (serve && !controller.signal.aborted) {
      ctx.say('The gateway and its dashboard stay up until Ctrl-C.');
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    return EXIT_CODES.ok;
  } catch (error) {
    // Ctrl-C during the day or the night: say where it stopped; the night resumes with `web4 evening run`.
    if (!controller.signal.aborted) throw error;
    ctx.say(`\n${MARK.warn} interrupted; \`web4 evening status\` shows where a night stopped, \`npm start\` plays the day again.`);
    return EXIT_CODES.interrupted;
  } finally {
    await gateway.close();
  }
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'The main job on the embedded default (what `npm start` runs): services, the corpus, then per day a day of questions through the gateway with simulated feedback, daily indexing, the night, the morning validation; then the reports and the dashboard (kept up until Ctrl-C on a terminal)',
  builder: (y) =>
    y
      .option('questions', { type: 'number', default: 40, describe: 'Questions a day' })
      .option('nights', { type: 'number', default: 1, describe: 'Days and nights to play (the last N journal days); more than one ends with the per-night table of `web4 evening replay`' })
      .option('max-tokens', { type: 'number', describe: `Longest answer in tokens (default serving.maxTokens, at most ${DEMO_MAX_TOKENS})` })
      .option('max-context-chars', { type: 'number', describe: `Most characters of retrieved context per answer (default serving.maxContextChars, at most ${DEMO_MAX_CONTEXT_CHARS})` })
      .option('seed', { type: 'string', default: 'web4-demo', describe: "The simulated user's seed: the same seed and answers give the same ratings" })
      .option('port', { type: 'number', describe: 'Gateway port (default gateway.port; 0: any free port)' })
      .option('serve', { type: 'boolean', describe: 'Keep the gateway and dashboard up until Ctrl-C at the end (default: when stdout is a terminal)' })
      .option('exit', { type: 'boolean', describe: 'Exit at the end instead of serving the dashboard (same as --no-serve; for scripts and tests)' }) as never,
  handler: (args) => runCommand(args, () => demo(args)),
};
