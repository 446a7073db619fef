import { isoDay, MARK, resolveStatePath } from '@web4/core';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { CommandModule } from 'yargs';
import { createContext, runCommand, type CommandContext, type GlobalArgs } from '../context.js';

interface DemoArgs extends GlobalArgs {
  questions: number;
}

interface Step {
  title: string;
  args: string[];
  /** A failed required step ends the demo with its exit code; others are reported and it goes on. */
  required?: boolean;
  /** Exit code 1 ("a target was missed") or 5 ("nothing to judge"): information, shown as ⚠️, not a failure of the demo. */
  isReport?: boolean;
}

/**
 * The day the demo indexes as "today": the clock's day when the journal has PDCAs dated then,
 * else the newest day it has (so the example journal still demonstrates after its last date).
 */
async function journalDay(ctx: CommandContext): Promise<string> {
  const { compilePatterns, discoverFiles } = await import('@web4/pdca-indexer');
  const today = isoDay(ctx.clock.now());
  const root = resolveStatePath(ctx.config, ctx.config.rag.journal.root);
  const days = discoverFiles(root, compilePatterns(ctx.config.rag.journal.patterns))
    .files.map((f) => f.nameDate)
    .filter((d): d is string => d !== null && d <= today)
    .sort();
  return days.includes(today) ? today : (days.at(-1) ?? today);
}

/** Questions a developer would ask, taken from the labelled query set that ships with the examples. */
function sampleQuestions(ctx: CommandContext, count: number): string[] {
  const file = resolveStatePath(ctx.config, ctx.config.rag.relevanceSet);
  const data = parse(readFileSync(file, 'utf8')) as { queries?: Array<{ query: string }> };
  const fromJournal = (data.queries ?? []).map((q) => q.query);
  // Spread the picks over the set, and add one general coding question (no project context).
  const step = Math.max(1, Math.floor(fromJournal.length / Math.max(1, count - 1)));
  const picks = fromJournal.filter((_, i) => i % step === 0).slice(0, Math.max(0, count - 1));
  return [...picks, 'Write a TypeScript function that checks whether a string is a palindrome.'];
}

function runStep(ctx: CommandContext, step: Step, globalArgs: string[]): number {
  ctx.say(`\n━━ ${step.title} ━━  web4 ${step.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // The same CLI, in a child process: each step is exactly what a person would type.
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...step.args, ...globalArgs], { stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

async function demo(args: DemoArgs): Promise<number> {
  const ctx = createContext(args);
  const globalArgs = [...(args.root ? ['--root', args.root] : []), ...(args.config ? ['--config', args.config] : [])];
  const day = await journalDay(ctx);
  ctx.say(`web4-learning on the embedded default — state root ${ctx.paths.root}, journal day ${day}`);
  const steps: Step[] = [
    { title: 'Services: Chroma and Ollama, found or started; the base model imported', args: ['services', 'up'], required: true },
    { title: 'Historical corpus into the five collections (unchanged files are skipped)', args: ['index', 'corpus'], required: true },
    { title: `The day's PDCAs into the daily buffer`, args: ['index', 'daily', '--date', day], required: true },
    ...sampleQuestions(ctx, args.questions).map((q) => ({ title: 'A question to the served model, with retrieval; recorded in the metrics', args: ['ask', q] })),
    { title: 'Production monitoring, with the health of the collections just indexed', args: ['monitor', 'report', '--collections'], isReport: true },
    { title: 'Query categories and the Training-First check', args: ['monitor', 'query-types'], isReport: true },
    { title: 'User satisfaction', args: ['feedback', 'rate'], isReport: true },
    { title: 'Hot PDCAs from real accesses', args: ['rag', 'hot', '--top', '5'], isReport: true },
    { title: 'Morning validation: challenging queries against the served model', args: ['validate'], isReport: true },
  ];
  const outcomes: Array<{ step: Step; code: number }> = [];
  for (const step of steps) {
    const code = runStep(ctx, step, globalArgs);
    outcomes.push({ step, code });
    if (step.required && code !== 0) {
      ctx.say(`\n${MARK.warn} stopped: "${step.title}" failed (exit ${code}); fix what it says above and run \`npm start\` again.`);
      return code;
    }
  }
  ctx.say('\n━━ Summary ━━');
  for (const { step, code } of outcomes) {
    const mark = code === 0 ? MARK.pass : MARK.warn;
    const note =
      code === 0 ? '' : step.isReport && code === 1 ? ' (a target missed: see above)' : step.isReport && code === 5 ? ' (nothing to judge yet: no data for some targets)' : ` (exit ${code})`;
    ctx.say(`${mark} web4 ${step.args[0]} ${step.args[1] ?? ''}${note}`);
  }
  const asked = outcomes.filter((o) => o.step.args[0] === 'ask');
  return asked.some((o) => o.code === 0) ? 0 : 1;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'The main job on the embedded default (what `npm start` runs): services, indexing, questions, reports, validation',
  builder: (y) => y.option('questions', { type: 'number', default: 6, describe: 'How many questions to ask the model' }) as never,
  handler: (args) => runCommand(args, () => demo(args)),
};
