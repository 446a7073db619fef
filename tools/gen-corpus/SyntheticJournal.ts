import { posix } from 'node:path';
import { COMMANDS, COMPONENTS, NOTES, PROBLEMS, ROLES, SESSION_THEMES, SETTINGS, type Problem } from './fragments.js';
import { renderPDCA } from './renderPDCA.js';
import { SeededRandom } from './SeededRandom.js';
import type { Story } from './Story.js';
import { TRAINAI_TOPICS } from './trainai-topics.js';

/**
 * A large synthetic journal for benchmarks: realistic-size PDCAs (about 3-5 KB, five or so
 * chunks of 1000 characters; 1,200 PDCAs give about 6,300 chunks) in both file-name styles, with Previous PDCA chains and component
 * and TrainAI mentions. Deterministic: the same options give byte-identical files.
 */
export interface SyntheticJournalOptions {
  pdcas: number;
  days: number;
  seed: number;
  /** Put this many of the PDCAs on the last day (the daily-indexing benchmark). */
  todayCount?: number;
  /** Last day of the journal, YYYY-MM-DD. */
  today: string;
  /** Share of PDCAs written as `YYYYMMDD-slug.pdca.md` daily notes. */
  compactShare?: number;
}

export interface SyntheticFile {
  /** Relative to the output directory, forward slashes. */
  path: string;
  day: string;
  content: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function validateOptions(o: SyntheticJournalOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got ${v}`);
  };
  positiveInt('pdcas', o.pdcas);
  positiveInt('days', o.days);
  if (!Number.isInteger(o.seed)) throw new RangeError(`--seed must be an integer, got ${o.seed}`);
  if (!DAY.test(o.today) || Number.isNaN(Date.parse(`${o.today}T00:00:00Z`))) throw new RangeError(`--today must be a date YYYY-MM-DD, got "${o.today}"`);
  if (o.todayCount !== undefined) {
    if (!Number.isInteger(o.todayCount) || o.todayCount < 0) throw new RangeError(`--today-count must be a non-negative integer, got ${o.todayCount}`);
    if (o.todayCount > o.pdcas) throw new RangeError(`--today-count (${o.todayCount}) cannot exceed --pdcas (${o.pdcas})`);
    if (o.days === 1 && o.todayCount !== o.pdcas) throw new RangeError('with --days 1 every PDCA is on today: --today-count must equal --pdcas');
  }
  if (o.compactShare !== undefined && !(o.compactShare >= 0 && o.compactShare <= 1)) throw new RangeError(`compactShare must be within 0..1, got ${o.compactShare}`);
}

function addDays(day: string, delta: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + delta);
  return d.toISOString().slice(0, 10);
}

/** How many PDCAs fall on each day, oldest first; the last entry is `today`. */
function perDayCounts(o: SyntheticJournalOptions, rnd: SeededRandom): number[] {
  const counts = new Array<number>(o.days).fill(0);
  let rest = o.pdcas;
  if (o.todayCount !== undefined) {
    counts[o.days - 1] = o.todayCount;
    rest -= o.todayCount;
  }
  const spread = o.todayCount !== undefined ? o.days - 1 : o.days;
  for (let i = 0; i < rest; i++) counts[spread === 0 ? o.days - 1 : rnd.int(0, spread - 1)]!++;
  return counts;
}

function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

function codeSnippet(rnd: SeededRandom, cls: string, setting: string): string {
  const method = rnd.pick(['indexBatch', 'search', 'flush', 'load', 'promote', 'record', 'resolve', 'split']);
  const shapes = [
    `export class ${cls} {\n  private limit = 4;\n\n  constructor() {}\n\n  init(limit: number): this {\n    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(\`${setting} must be a positive integer, got \${limit}\`);\n    this.limit = limit;\n    return this;\n  }\n\n  async ${method}<T>(items: T[], work: (batch: T[]) => Promise<void>): Promise<number> {\n    let done = 0;\n    for (let i = 0; i < items.length; i += this.limit) {\n      await work(items.slice(i, i + this.limit));\n      done += Math.min(this.limit, items.length - i);\n    }\n    return done;\n  }\n}`,
    `// ${cls}.${method}: fail fast with context instead of a bare errno\ntry {\n  return await this.store.${method}(request);\n} catch (err) {\n  throw new StorageError(\`${cls} could not ${method} \${request.id}: \${(err as Error).message}\`, {\n    hint: 'check that the service is up: web4 services status',\n  });\n}`,
    `const started = performance.now();\nconst result = await this.${method}(query);\nthis.metrics.observe('${cls.toLowerCase()}.${method}_ms', performance.now() - started);\nif (result.length === 0) this.log.debug({ query: query.text }, '${method} returned nothing');\nreturn result;`,
    `it('${method} leaves the store unchanged when run twice', async () => {\n  const root = mkdtempSync(join(tmpdir(), '${cls.toLowerCase()}-'));\n  await run(root);\n  const first = await count(root);\n  await run(root);\n  expect(await count(root)).toBe(first);\n  expect(first).toBeGreaterThan(0);\n});`,
  ];
  return rnd.pick(shapes);
}

function table(rnd: SeededRandom, vars: Record<string, string>): string {
  const metrics = rnd.sample(['p50 ms', 'p95 ms', 'p99 ms', 'throughput / s', 'RSS MB', 'chunks', 'failed files', 'precision@3', 'recall@3', 'MRR', 'duration s'], rnd.int(4, 6));
  const rows = metrics.map((m) => {
    if (m.includes('@') || m === 'MRR') {
      const before = 0.3 + rnd.next() * 0.4;
      return `| ${m} | ${before.toFixed(2)} | ${Math.min(0.97, before + 0.03 + rnd.next() * 0.2).toFixed(2)} |`;
    }
    const before = rnd.int(10, 900);
    // Higher is better only for throughput; everything else should shrink after a fix.
    const factor = m.startsWith('throughput') ? 1.2 + rnd.next() * 2 : 0.3 + rnd.next() * 0.6;
    const after = m === 'failed files' ? rnd.int(0, 2) : Math.max(1, Math.round(before * factor));
    return `| ${m} | ${m === 'failed files' ? rnd.int(3, 40) : before} | ${after} |`;
  });
  return [`| measure (${vars.n} runs, median) | before | after |`, '|---|---:|---:|', ...rows].join('\n');
}

const LOG_EVENTS = [
  'indexed file', 'skipped unchanged', 'embedding batch done', 'chroma add ok', 'retry after ECONNRESET',
  'graph edges written', 'cache miss', 'cache hit', 'query served', 'canary passed', 'slow request', 'checkpoint',
];

/** A pasted log excerpt: realistic noise that also makes sizes vary between PDCAs. */
function logExcerpt(rnd: SeededRandom, day: string, time: string, cls: string): string {
  const lines: string[] = [];
  let sec = rnd.int(0, 59);
  const hh = time.slice(0, 2);
  const mm = time.slice(2);
  for (let i = 0, n = rnd.int(2, 8); i < n; i++) {
    sec += rnd.int(0, 3);
    const level = rnd.next() < 0.1 ? 'warn' : 'info';
    const event = rnd.pick(LOG_EVENTS);
    lines.push(`{"level":"${level}","time":"${day}T${hh}:${mm}:${String(sec % 60).padStart(2, '0')}Z","component":"${cls}","msg":"${event}","ms":${rnd.int(1, 900)},"n":${rnd.int(1, 64)}}`);
  }
  return ['```', ...lines, '```'].join('\n');
}

const ALTERNATIVES = [
  'Rewrite the component around a different library: rejected, the problem is in how we call it, not in the library.',
  'Add a cache in front of the slow path: rejected, it would hide the cause and add invalidation work.',
  'Make the behaviour configurable and leave the default: rejected, nobody would want the old default.',
  'Fix it only in the CLI: rejected, the scheduler and the gateway take the same path.',
  'Wait for the upstream fix: rejected, no release date and the workaround is small.',
  'Split the work over a worker thread: postponed, the budget is met without it.',
  'Increase the timeout: rejected, it would turn a clear failure into a slow one.',
];

function story(rnd: SeededRandom, day: string, time: string, role: string, problem: Problem, seq: number): Story {
  const comp = rnd.pick(COMPONENTS);
  const other = rnd.pick(COMPONENTS);
  const topics = rnd.sample(TRAINAI_TOPICS, 2);
  const vars: Record<string, string> = {
    component: comp.path, class: comp.cls, topic: topics[0]!.id,
    n: String(rnd.int(3, 60)), m: String(rnd.int(20, 90)), ms: String(rnd.int(8, 400)), ms2: String(rnd.int(500, 4000)),
    pct: String(rnd.int(5, 70)), setting: rnd.pick(SETTINGS), day, file: `${day}-UTC-${time}-notes.md`,
  };
  const f = (t: string) => fill(t, vars);
  const notes = rnd.sample(NOTES, 3);
  const commands = rnd.sample(COMMANDS, 3).map(f);
  const plan = [
    '### **Context**',
    `${f(problem.issue)[0]!.toUpperCase()}${f(problem.issue).slice(1)}. The code involved is \`${comp.path}\`, called from \`${other.path}\`. ${notes[0]}`,
    '',
    `### **Root cause (TrainAI \`root-cause-analysis\`)**`,
    ...problem.why.map((w, i) => `${i + 1}. Why? ${f(w)[0]!.toUpperCase()}${f(w).slice(1)}.`),
    '',
    '### **Plan**',
    ...problem.steps.map((s, i) => `${i + 1}. ${f(s)[0]!.toUpperCase()}${f(s).slice(1)}.`),
    '',
    '### **Alternatives considered**',
    ...rnd.sample(ALTERNATIVES, 2).map((a) => `- ${a}`),
    '',
    `Success criterion: ${f(problem.result)}. This follows TrainAI \`${topics[0]!.id}\` (${topics[0]!.keywords[0]}).`,
  ].join('\n');
  const doText = [
    '### **Changes**',
    ...problem.steps.map((s) => `- Done: ${f(s)} (in \`${comp.cls}\`).`),
    '',
    '```bash',
    ...commands,
    '```',
    '',
    `### **Code in \`${comp.path}\`**`,
    '```typescript',
    codeSnippet(rnd, comp.cls, vars.setting!),
    '```',
    '',
    '### **Log excerpt**',
    logExcerpt(rnd, day, time, comp.cls),
    '',
    notes[1]!,
  ].join('\n');
  const check = [
    `Result: ${f(problem.result)}.`,
    '',
    table(rnd, vars),
    '',
    `- Tests: ${rnd.int(12, 180)} passed, 0 failed (\`npx vitest run --project ${rnd.pick(['pdca-indexer', 'rag-tiers', 'evening-loop', 'canary-suite', 'metrics-store'])}\`).`,
    `- ${notes[2]}`,
    `- Related: the ${other.cls} side needed no change; its tests stayed green.`,
  ].join('\n');
  const act = [
    `Decision: ${f(problem.decision)}.`,
    '',
    '### **Next**',
    `1. Watch the nightly report for ${rnd.int(3, 7)} nights; reopen if the numbers drift.`,
    `2. Add the case to the labelled queries so retrieval of this PDCA is measured (TrainAI \`${topics[1]!.id}\`).`,
    `3. Mention \`${vars.setting}\` in the runbook if its default changed.`,
    // Only some PDCAs end with open questions, as in a real journal.
    ...(rnd.next() < 0.4
      ? [
          '',
          '### **Open questions**',
          `- Does the same cause affect \`${other.path}\`? A quick read suggests not, but there is no test for it yet.`,
          `- Should \`${vars.setting}\` be reported by \`web4 doctor\` when it is set outside its usual range?`,
        ]
      : []),
  ].join('\n');
  return {
    day, time, role, slug: `${problem.slug}-${seq}`,
    title: `${f(problem.title)} (#${seq})`,
    objective: `Fix: ${f(problem.issue)}`,
    issues: f(problem.issue),
    plan, do: doText, check, act,
  };
}

export function generateJournal(opts: SyntheticJournalOptions): SyntheticFile[] {
  validateOptions(opts);
  const rnd = new SeededRandom(opts.seed);
  const compactShare = opts.compactShare ?? 0.3;
  const counts = perDayCounts(opts, rnd);
  const files: SyntheticFile[] = [];
  let previousPath: string | undefined;
  let previousTitle = '';
  let seq = 0;
  counts.forEach((count, i) => {
    const day = addDays(opts.today, i - (opts.days - 1));
    const sessions = Math.max(1, Math.min(4, Math.ceil(count / 8)));
    const sessionNames = Array.from({ length: sessions }, (_, s) => `${day}-${String(8 + s * 3).padStart(2, '0')}00-${rnd.pick(SESSION_THEMES)}`);
    for (let k = 0; k < count; k++) {
      seq++;
      // Spread times over the working day; minutes advance so names never collide within a day.
      const minutes = 7 * 60 + Math.floor((k * 14 * 60) / Math.max(count, 1));
      const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
      const role = rnd.pick(ROLES);
      const s = story(rnd, day, time, role, rnd.pick(PROBLEMS), seq);
      const compact = rnd.next() < compactShare;
      const path = compact
        ? `daily-notes/${day.replaceAll('-', '')}-${s.slug}.pdca.md`
        : `${sessionNames[k % sessions]}/pdca/role/${role}/${day}-UTC-${time}-${s.slug}.md`;
      const previous = previousPath
        ? { title: previousTitle, href: posix.relative(posix.dirname(path), previousPath), rootPath: previousPath }
        : undefined;
      files.push({ path, day, content: renderPDCA(s, { sha: (seq * 2654435761 >>> 0).toString(16).padStart(8, '0').slice(0, 7), previous, variant: seq }) });
      previousPath = path;
      previousTitle = s.title;
    }
  });
  return files;
}
