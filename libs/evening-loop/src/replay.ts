import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {

  EXIT_CODES,
  FixedClock,
  fileStamp,
  InputError,
  MARK,
  resolvePaths,
  resolveStatePath,
  type StatePaths,
  systemClock,
  type Web4Config,
} from '@web4/core';
import { writeFileAtomic } from '@web4/local-services';
import { compilePatterns, discoverFiles, indexDaily, parsePdca, readTextDocument } from '@web4/pdca-indexer';
import { chromaTierFor, createEmbedder, openRag, type TextEmbedder } from '@web4/rag-tiers';
import { OllamaModels } from '@web4/rollback';
import { buildTrainingSamples, type TrainingSample, type TrainJobFile } from '@web4/trainer-bridge';
import { logFileAlerts } from './alerts.js';
import { EveningLog } from './evening-log.js';
import { EveningLoop } from './evening-loop.js';
import type { LossFigures, NightOutcome } from './night-summary.js';

export interface ReplayOptions {
  /** The user's config: its journal, trainer and gate settings are replayed; its state is not touched. */
  config: Web4Config;
  paths: StatePaths;
  ollamaUrl: string;
  chromaUrl: string;
  nights: number;
  /** First day to play (YYYY-MM-DD); default the journal's first day. */
  from?: string;
  /** Canary cases (default: the config's). */
  canaryFile?: string;
  /** Keep the replay's state root, Chroma database and Ollama models (default: removed at the end). */
  keep?: boolean;
  /** The fresh state root to play in (default: a new temporary folder). */
  root?: string;
  console?: NodeJS.WritableStream | null;
  signal?: AbortSignal;
  trainerOverrides?: Partial<TrainJobFile>;
  /** The embedding model (default: the configured one, loaded once). */
  embedder?: TextEmbedder;
}

export interface ReplayNight {
  night: number;
  day: string;
  nextDay: string;
  status: NightOutcome['status'];
  items: number;
  samples: number;
  replayed: number;
  trainLoss: number | null;
  /** Loss on the next day's PDCAs, which no model of the replay has seen. */
  nextDayLoss: { base: number | null; candidate: number | null; served: number | null; tokens: number; pdcas: number };
  /** served vs base on the next day, in % (negative: better than the base). */
  nextDayChangePct: number | null;
  retention: LossFigures | null;
  retentionChangePct: number | null;
  gates: string[];
  promoted: boolean;
  servedAfter: string;
  runtimeS: number;
  exitCode: number;
}

export interface ReplayReport {
  root: string;
  days: string[];
  nights: ReplayNight[];
  /** The last night's served model on its next day, against the base, in %. */
  finalNextDayChangePct: number | null;
  target: { nextDayBelowBasePct: number; retentionWithinPct: number; met: boolean; lines: string[] };
  reportFile: string;
  exitCode: number;
}

const NEXT_DAY_TARGET_PCT = 10;

/**
 * `web4 evening replay --nights N`: plays the journal day by day on a fresh state root — index
 * the day (the clock set to that day), run the night, check the next morning — and measures
 * each night's model on the NEXT day's PDCAs, which it has never seen, against the base model.
 * The replay uses its own Chroma database and its own Ollama model names, so the user's
 * deployment is never touched.
 */
export async function replayJournal(o: ReplayOptions): Promise<ReplayReport> {
  const stamp = fileStamp(systemClock.now());
  const journalRoot = resolveStatePath(o.config, o.config.rag.journal.root);
  const days = journalDays(journalRoot, o.config.rag.journal.patterns);
  const start = o.from ? days.indexOf(o.from) : 0;
  if (start < 0) throw new InputError(`The journal ${journalRoot} has no PDCA dated ${o.from}.`, { hint: `Its days: ${days.join(', ')}` });
  const played = days.slice(start, start + o.nights + 1);
  if (played.length < o.nights + 1) {
    throw new InputError(`The journal has ${days.length - start} days from ${days[start]}; ${o.nights} nights need ${o.nights + 1} (each night is checked on the next day).`, {
      hint: `Lower --nights to ${Math.max(1, days.length - start - 1)} or choose an earlier --from.`,
    });
  }
  const root = o.root ?? mkdtempSync(join(tmpdir(), `web4-replay-${stamp}-`));
  mkdirSync(root, { recursive: true });
  const config = replayConfig(o, root, stamp, journalRoot);
  const paths = resolvePaths(config);
  const log = new EveningLog({ logsDir: o.paths.logsDir, clock: systemClock, prefix: 'evening_replay', ...(o.console !== undefined ? { console: o.console } : {}) });
  log.info(`Replaying ${o.nights} nights of ${journalRoot} (${played[0]} … ${played.at(-1)}) on the fresh state root ${root}; models ${config.models.productionModel}, Chroma database ${config.rag.chromaDatabase}`);
  const embedder = o.embedder ?? createEmbedder(config, paths);
  const nights: ReplayNight[] = [];
  try {
    for (let i = 0; i < o.nights; i++) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('interrupted');
      const day = played[i]!;
      const nextDay = played[i + 1]!;
      const rag = openRag(config, { embedder, chromaUrl: o.chromaUrl, now: () => new Date(`${day}T18:00:00Z`) });
      try {
        const indexed = await indexDaily(rag, config, { date: day, now: () => new Date(`${day}T18:00:00Z`) });
        log.info(`Night ${i + 1}/${o.nights}, ${day}: indexed ${indexed.indexed} PDCAs (${indexed.chunks} chunks) into the buffer`);
      } finally {
        await rag.close();
      }
      const nextSamples = samplesOfDay(journalRoot, o.config, nextDay);
      const loop = new EveningLoop({
        config,
        paths,
        clock: new FixedClock(`${day}T22:00:00Z`),
        ollamaUrl: o.ollamaUrl,
        openRag: async () => openRag(config, { embedder, chromaUrl: o.chromaUrl, now: () => new Date(`${day}T22:00:00Z`) }),
        console: o.console === undefined ? process.stdout : o.console,
        alerts: logFileAlerts(paths.logsDir),
        morningSets: [{ name: 'next_day', samples: nextSamples.samples }],
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.trainerOverrides ? { trainerOverrides: o.trainerOverrides } : {}),
      });
      const outcome = await loop.run();
      const night = replayNight(i + 1, day, nextDay, outcome, nextSamples.pdcas);
      nights.push(night);
      log.info(nightLine(night));
      if (outcome.status === 'open') {
        log.error(`Night ${i + 1} stopped at step ${outcome.failedStep}: ${outcome.error?.message ?? ''}; the replay ends here`);
        break;
      }
    }
  } finally {
    if (!o.embedder && 'dispose' in embedder) await (embedder as { dispose(): Promise<void> }).dispose();
    if (!o.keep) await cleanUp(o, config, root, log);
  }
  const report = summarise(o, root, played, nights, log);
  return report;
}

/** The replay's own state: fresh folders, its own Chroma database and model names, the user's journal and settings. */
function replayConfig(o: ReplayOptions, root: string, stamp: string, journalRoot: string): Web4Config {
  const c = o.config;
  const abs = (p: string) => resolveStatePath(c, p);
  const repo = `web4-replay-${stamp.replace('_', '-')}`;
  return {
    ...c,
    stateRoot: root,
    paths: { ...c.paths, logsDir: 'logs', metricsDb: 'logs/production_metrics.db', feedbackDb: 'logs/user_feedback.db', outputsDir: 'outputs', backupsDir: 'backups/adapters', modelsDir: 'models', chromaDir: 'chroma', servicesDir: 'logs/services', cacheDir: o.paths.cacheDir },
    services: { ...c.services, chroma: { ...c.services.chroma, url: o.chromaUrl }, ollama: { ...c.services.ollama, url: o.ollamaUrl } },
    models: { ...c.models, productionModel: `${repo}:latest`, candidateModel: `${repo}:candidate`, previousModel: `${repo}:previous` },
    rag: {
      ...c.rag,
      chromaDatabase: `replay_${stamp}`,
      graphDb: 'logs/rag_graph.db',
      metadataDb: 'logs/rag_metadata.db',
      journal: { ...c.rag.journal, root: journalRoot },
      corpus: { ...c.rag.corpus, components: abs(c.rag.corpus.components), processDocs: abs(c.rag.corpus.processDocs), toolExamples: abs(c.rag.corpus.toolExamples), trainai: abs(c.rag.corpus.trainai) },
      relevanceSet: abs(c.rag.relevanceSet),
    },
    validation: { ...c.validation, queriesFile: abs(c.validation.queriesFile), canaryFile: o.canaryFile ? resolveStatePath(c, o.canaryFile) : abs(c.validation.canaryFile) },
    trainer: { ...c.trainer, python: c.trainer.python, packageDir: c.trainer.packageDir },
  };
}

/** The journal's days (file-name date, else header date), oldest first. */
export function journalDays(root: string, patterns: readonly string[]): string[] {
  const files = discoverFiles(root, compilePatterns(patterns)).files;
  const days = new Set<string>();
  for (const f of files) {
    const d = f.nameDate ?? headerDateOf(f.path);
    if (d) days.add(d);
  }
  return [...days].sort();
}

function headerDateOf(path: string): string | null {
  const read = readTextDocument(path, 5_000_000);
  return read.ok ? parsePdca(read.text, basename(path)).headerDate : null;
}

/** The samples of one day's PDCAs, read from the journal (the night never sees them before). */
export function samplesOfDay(root: string, config: Web4Config, day: string): { samples: TrainingSample[]; pdcas: number } {
  const files = discoverFiles(root, compilePatterns(config.rag.journal.patterns)).files.filter((f) => (f.nameDate ?? headerDateOf(f.path)) === day);
  const items = [];
  for (const f of files) {
    const read = readTextDocument(f.path, config.rag.journal.maxFileBytes);
    if (!read.ok) continue;
    const parsed = parsePdca(read.text, basename(f.path));
    items.push({ pdcaId: f.pdcaId, chunkIndex: 0, text: read.text, metadata: { title: parsed.title, date: f.nameDate ?? parsed.headerDate ?? day } });
  }
  return { samples: buildTrainingSamples(items, { capChars: config.trainer.sampleCapChars }), pdcas: items.length };
}

function pct(base: number | null | undefined, x: number | null | undefined): number | null {
  return typeof base === 'number' && typeof x === 'number' ? (100 * (x - base)) / base : null;
}

/** One night of a replay (or of `web4 demo --nights N`) from the loop's outcome; `pdcas`: the next day's PDCA count. */
export function replayNight(night: number, day: string, nextDay: string, o: NightOutcome, pdcas: number): ReplayNight {
  const m = o.losses?.morning.next_day;
  const promoted = o.status === 'complete';
  // What serves the next morning: the candidate when promoted, else the production it was compared with.
  const served = m ? (promoted ? m.candidate : m.production) : null;
  const base = m ? m.base : null;
  return {
    night,
    day,
    nextDay,
    status: o.status,
    items: o.items,
    samples: o.samples,
    replayed: o.replayed,
    trainLoss: o.trainLoss,
    nextDayLoss: { base, candidate: m?.candidate ?? null, served, tokens: m?.tokens ?? 0, pdcas },
    nextDayChangePct: pct(base, served),
    retention: o.losses?.retention ?? null,
    retentionChangePct: o.losses?.retention.tokens ? pct(o.losses.retention.production, o.losses.retention.candidate) : null,
    gates: o.gates?.gates.map((g) => `${g.pass ? '✓' : '⚠️'} ${g.gate} ${g.measured}`) ?? [],
    promoted,
    servedAfter: o.served.latest,
    runtimeS: o.runtimeS,
    exitCode: o.exitCode,
  };
}

const f4 = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(4) : '–');
const fp = (x: number | null | undefined) => (typeof x === 'number' ? `${x >= 0 ? '+' : ''}${x.toFixed(2)} %` : '–');

function nightLine(n: ReplayNight): string {
  return (
    `Night ${n.night} (${n.day}): ${n.items} PDCAs, ${n.samples} samples (${n.replayed} replayed), training loss ${f4(n.trainLoss)}; ` +
    `next day ${n.nextDay} (${n.nextDayLoss.pdcas} PDCAs, unseen): base ${f4(n.nextDayLoss.base)} → served ${f4(n.nextDayLoss.served)} (${fp(n.nextDayChangePct)}); ` +
    `retention ${n.retention?.tokens ? `${f4(n.retention.production)} → ${f4(n.retention.candidate)} (${fp(n.retentionChangePct)})` : 'n/a (no history yet)'}; ` +
    `${n.promoted ? `promoted ${n.servedAfter}` : n.status === 'rejected' ? 'rejected, production kept' : n.status} (${n.runtimeS.toFixed(0)} s)`
  );
}

/** The per-night table: training loss, the next day's loss base → served, retention, outcome (`web4 evening replay`, `web4 demo --nights N`). */
export function replayTable(nights: readonly ReplayNight[]): string[] {
  const head = `${'night'.padEnd(6)}${'day'.padEnd(12)}${'items'.padStart(6)}${'smp'.padStart(5)}${'train'.padStart(8)}  ${'next-day base→served'.padEnd(30)}${'retention'.padEnd(12)}outcome`;
  return [head, ...nights.map((n) => `${String(n.night).padEnd(6)}${n.day.padEnd(12)}${String(n.items).padStart(6)}${String(n.samples).padStart(5)}${f4(n.trainLoss).padStart(8)}  ${`${f4(n.nextDayLoss.base)}→${f4(n.nextDayLoss.served)} ${fp(n.nextDayChangePct)}`.padEnd(30)}${fp(n.retentionChangePct).padEnd(12)}${n.promoted ? 'promoted' : n.status}`)];
}

function summarise(o: ReplayOptions, root: string, days: string[], nights: ReplayNight[], log: EveningLog): ReplayReport {
  const retentionLimit = o.config.evening.gates.maxRetentionLossIncreasePct;
  const last = nights.at(-1);
  const finalChange = last?.nextDayChangePct ?? null;
  const nextOk = finalChange !== null && finalChange <= -NEXT_DAY_TARGET_PCT;
  const retentionOk = nights.every((n) => n.retentionChangePct === null || n.retentionChangePct <= retentionLimit);
  const complete = nights.length === o.nights && nights.every((n) => n.status !== 'open');
  const lines = [
    `${nextOk ? MARK.pass : MARK.warn} after ${nights.length} nights the served model's loss on the next day's unseen PDCAs is ${fp(finalChange)} against the base model (target ≤ -${NEXT_DAY_TARGET_PCT} %)`,
    `${retentionOk ? MARK.pass : MARK.warn} retention loss within +${retentionLimit} % of production every night (${nights.map((n) => fp(n.retentionChangePct)).join(', ')})`,
    ...(complete ? [] : [`${MARK.warn} only ${nights.length} of ${o.nights} nights completed`]),
  ];
  log.block(['', ...replayTable(nights), '', ...lines]);
  const reportFile = join(o.paths.logsDir, `evening_replay_${fileStamp(systemClock.now())}.json`);
  const exitCode = !complete ? (nights.find((n) => n.exitCode > 1)?.exitCode ?? EXIT_CODES.checkFailed) : nextOk && retentionOk ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
  const report: ReplayReport = { root, days, nights, finalNextDayChangePct: finalChange, target: { nextDayBelowBasePct: NEXT_DAY_TARGET_PCT, retentionWithinPct: retentionLimit, met: nextOk && retentionOk, lines }, reportFile, exitCode };
  mkdirSync(o.paths.logsDir, { recursive: true });
  writeFileAtomic(reportFile, JSON.stringify({ ...report, trainer: o.config.trainer, replaySharePct: o.config.evening.replaySharePct }, null, 2) + '\n');
  log.info(`Report: ${reportFile}`);
  return report;
}

async function cleanUp(o: ReplayOptions, config: Web4Config, root: string, log: EveningLog): Promise<void> {
  try {
    const ollama = new OllamaModels(o.ollamaUrl, 60_000);
    const repo = config.models.productionModel.split(':')[0]!;
    for (const name of (await ollama.digests()).keys()) if (name.startsWith(`${repo}:`)) await ollama.remove(name);
  } catch (error) {
    log.warn(`Could not remove the replay's Ollama models: ${(error as Error).message}`);
  }
  try {
    await chromaTierFor(config, o.chromaUrl).dropDatabase();
  } catch (error) {
    log.warn(`Could not drop the replay's Chroma database ${config.rag.chromaDatabase}: ${(error as Error).message}`);
  }
  rmSync(root, { recursive: true, force: true });
}

