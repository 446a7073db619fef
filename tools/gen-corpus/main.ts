/**
 * Writes a large synthetic PDCA journal for benchmarks. Never commit its output.
 *
 *   tsx tools/gen-corpus/main.ts --out DIR --pdcas 1200 --days 60 [--seed 1]
 *                                [--today-count 200] [--today 2026-11-25] [--force]
 *                                [--faults] [--faults-large]
 *
 * --faults adds the bad inputs of issue 4 under faults/, dated --today (empty, Latin-1, binary,
 * odd names, unreadable, symlink loop, outside and dangling links); --faults-large also a 50 MB file.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFaultFixtures } from './FaultFixtures.js';
import { generateJournal, type SyntheticJournalOptions } from './SyntheticJournal.js';

const USAGE =
  'usage: tsx tools/gen-corpus/main.ts --out DIR --pdcas N --days D [--seed S] [--today-count T] [--today YYYY-MM-DD] [--force] [--faults] [--faults-large]';

type Args = SyntheticJournalOptions & { out: string; force: boolean; faults: boolean; faultsLarge: boolean };

export function parseArgs(argv: string[]): Args {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--force' || a === '--faults' || a === '--faults-large') flags.add(a.slice(2));
    else if (a.startsWith('--')) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      values.set(a.slice(2), v);
      i++;
    } else throw new Error(`unexpected argument "${a}"\n${USAGE}`);
  }
  const known = new Set(['out', 'pdcas', 'days', 'seed', 'today-count', 'today']);
  for (const k of values.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const out = values.get('out');
  if (!out) throw new Error(`--out is required\n${USAGE}`);
  const num = (k: string, dflt?: number) => {
    const v = values.get(k);
    if (v === undefined) {
      if (dflt === undefined) throw new Error(`--${k} is required\n${USAGE}`);
      return dflt;
    }
    if (!/^-?\d+$/.test(v)) throw new Error(`--${k} must be an integer, got "${v}"`);
    return Number(v);
  };
  return {
    out,
    force: flags.has('force'),
    faults: flags.has('faults') || flags.has('faults-large'),
    faultsLarge: flags.has('faults-large'),
    pdcas: num('pdcas'),
    days: num('days'),
    seed: num('seed', 1),
    todayCount: values.has('today-count') ? num('today-count') : undefined,
    today: values.get('today') ?? '2026-11-25',
  };
}

export function writeJournal(out: string, files: { path: string; content: string }[]): void {
  for (const f of files) {
    const full = join(out, f.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.content);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const out = resolve(args.out);
  if (existsSync(out) && readdirSync(out).length > 0 && !args.force) {
    throw new Error(`${out} is not empty; choose an empty directory or pass --force to write into it`);
  }
  const started = performance.now();
  const files = generateJournal(args);
  writeJournal(out, files);
  const faults = args.faults ? writeFaultFixtures(out, args.today, { large: args.faultsLarge }) : [];
  const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.content), 0);
  const days = new Set(files.map((f) => f.day));
  console.log(
    JSON.stringify({ out, pdcas: files.length, days: days.size, today: args.today, todayCount: files.filter((f) => f.day === args.today).length, bytes, avgBytes: Math.round(bytes / files.length), faults: faults.length, ms: Math.round(performance.now() - started) }),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    main();
  } catch (err) {
    console.error(`gen-corpus: ${(err as Error).message}`);
    process.exit(2);
  }
}
