import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeCandidate, loadCaseFile, ollamaAnswerer, runCases, type SuiteResult } from '@web4/canary-suite';
import { ConfigError, resolveStatePath, StorageError, Web4Error } from '@web4/core';
import { writeFileAtomic } from '@web4/local-services';
import { BASE_VERSION, pidAlive, processStartTime } from '@web4/metrics-store';
import { DailyBuffer } from '@web4/rag-tiers';
import { readManifest } from '@web4/rollback';
import { buildTrainingSamples, evaluateModels, formatSeconds, removePartialOutputs, trainAdapter, type TrainingSample, writeSamples } from '@web4/trainer-bridge';
import { faultPoint, type Night } from './night.js';
import { replaySamples, retentionSet, seedOf, shuffled, toBufferItems } from './night-data.js';
import type { NightStep } from './night-plan.js';

type Details = Record<string, unknown>;

/** The promoted model did not answer; production was rolled back automatically. Final for the night. */
export class ServingCheckError extends Web4Error {
  constructor(message: string, hint: string) {
    super('serving_check_failed', message, { hint, exitCode: 1 });
  }
}

const SAMPLES = 'samples.jsonl';
const EVAL_NIGHT = 'eval_night.jsonl';
const EVAL_RETENTION = 'eval_retention.jsonl';

export function readSamplesFile(file: string): TrainingSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TrainingSample);
}

function pct(a: number, b: number): string {
  const v = (100 * (b - a)) / a;
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)} %`;
}

/**
 * A trainer started by an earlier attempt of this night that is still running (its parent was
 * killed before the trainer noticed) must not race the resumed night: stop it.
 */
export function stopStrayTrainer(n: Night): void {
  const row = n.store.runs.steps(n.runId).find((s) => s.step === 'train');
  const pid = Number(row?.details.trainerPid ?? 0);
  if (!pid || pid === process.pid || !pidAlive(pid)) return;
  if (row?.details.trainerStart && processStartTime(pid) !== row.details.trainerStart) return; // the pid was reused
  n.log.warn(`A trainer of this night (pid ${pid}) is still running from an earlier attempt: stopping it`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + 20_000;
  while (pidAlive(pid) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}

async function backup(n: Night): Promise<Details> {
  // Another deployment holding our Ollama names stops the night now, not after training; an
  // Ollama that cannot be asked now is asked again before any name is moved.
  try {
    await n.registry.checkServingNames();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    n.log.warn(`Could not check the served model names yet (${e instanceof Error ? e.message : String(e)}): checked again before any is moved`);
  }
  const production = n.registry.production();
  if (production === BASE_VERSION) {
    n.log.info(`Backup: nothing to back up, production is the base model (${n.o.config.models.baseModel})`);
    return { skipped: true, production };
  }
  const damage = await n.registry.damage(production);
  if (damage.length) n.log.warn(`Production ${production} is damaged (${damage.slice(0, 2).join('; ')}): restoring it from its newest intact backup`);
  const b = await n.registry.backupProduction(n.stamp);
  if (damage.length) n.log.info(`Restored ${production} from its backup (the damaged folder is kept beside it as *.damaged-*)`);
  n.log.info(`Backed up ${production} to ${b!.dir} (${Object.keys(b!.files).length} files, checksums verified)`);
  return { production, backup: b!.name, dir: b!.dir, files: Object.keys(b!.files).length, ...(damage.length ? { restored: damage } : {}) };
}

async function readBuffer(n: Night): Promise<Details> {
  const rag = await n.rag();
  const chunks = await new DailyBuffer(rag).untrained();
  const pdcaIds = [...new Set(chunks.map((c) => c.pdcaId))];
  const hashes: Record<string, string> = {};
  for (const id of pdcaIds) hashes[id] = (await rag.metadata.getDocument('daily_buffer', id))?.contentHash ?? '';
  if (pdcaIds.length === 0) n.log.info('Found 0 untrained items in daily_buffer: nothing to learn tonight');
  else n.log.info(`Found ${pdcaIds.length} untrained items (${chunks.length} chunks) in daily_buffer`, { pdcaIds });
  return { pdcas: pdcaIds.length, chunks: chunks.length, pdcaIds, hashes };
}

async function samples(n: Night): Promise<Details> {
  const read = n.done.get('read_buffer')!;
  const pdcaIds = read.pdcaIds as string[];
  const rag = await n.rag();
  const cfg = n.o.config;
  const cap = cfg.trainer.sampleCapChars;
  const chunks = (await new DailyBuffer(rag).untrained()).filter((c) => pdcaIds.includes(c.pdcaId));
  const night = buildTrainingSamples(toBufferItems(chunks), { capChars: cap });
  const exclude = new Set(pdcaIds);
  const retention = await retentionSet(rag, {
    logsDir: n.o.paths.logsDir,
    size: cfg.evening.gates.retentionSetSize,
    seed: cfg.evening.gates.retentionSeed,
    beforeDay: n.day,
    exclude,
    capChars: cap,
    now: n.clock.now(),
  });
  const replay = await replaySamples(rag, {
    nightSamples: night.length,
    sharePct: cfg.evening.replaySharePct,
    seed: cfg.evening.replaySeed,
    runStamp: n.stamp,
    beforeDay: n.day,
    exclude: new Set([...pdcaIds, ...retention.set.pdcaIds]),
    capChars: cap,
  });
  mkdirSync(n.workDir, { recursive: true });
  writeSamples(join(n.workDir, SAMPLES), [...night, ...replay.samples]);
  const evalNight = night.length > cfg.evening.gates.nightEvalSamples ? shuffled(night, seedOf(cfg.evening.replaySeed, n.stamp, 'eval')).slice(0, cfg.evening.gates.nightEvalSamples) : night;
  writeSamples(join(n.workDir, EVAL_NIGHT), evalNight);
  writeSamples(join(n.workDir, EVAL_RETENTION), retention.set.samples);
  const total = night.length + replay.samples.length;
  n.log.info(
    `Generated ${total} samples: ${night.length} from tonight's ${pdcaIds.length} PDCAs, ${replay.samples.length} replayed from ${replay.pdcaIds.length} older PDCAs (${total ? ((100 * replay.samples.length) / total).toFixed(0) : 0} %, target ${cfg.evening.replaySharePct} %)`,
  );
  if (retention.added.length) n.log.info(`Retention set: ${retention.added.length} PDCAs added, ${retention.set.pdcaIds.length} in all (logs/retention_set.json)`);
  return {
    samples: total,
    nightSamples: night.length,
    nightEvalSamples: evalNight.length,
    replayed: replay.samples.length,
    replayIds: replay.pdcaIds,
    retentionIds: retention.set.pdcaIds,
    retentionSamples: retention.set.samples.length,
    workDir: n.workDir,
  };
}

async function train(n: Night): Promise<Details> {
  stopStrayTrainer(n);
  const cfg = n.o.config;
  const manifestFile = join(n.outputDir, 'manifest.json');
  const parent = n.registry.production();
  let resumed = false;
  if (existsSync(manifestFile)) {
    resumed = true;
    n.log.info(`Training had already finished in an earlier attempt: ${n.outputDir}`);
  } else {
    removePartialOutputs(n.outputDir);
    const parentAdapter = n.registry.adapterDir(parent);
    if (parent !== BASE_VERSION) await n.registry.requireIntact(parent);
    const s = cfg.trainer;
    const warmup = s.warmup === 'new-adapter' && parentAdapter ? 0 : s.warmupSteps;
    const trainSamples = readSamplesFile(join(n.workDir, SAMPLES));
    const sampled = n.done.get('samples')!;
    n.note('train', { parentVersion: parent });
    n.log.info(
      `Training ${trainSamples.length} samples on ${parentAdapter ? `production ${parent}` : 'a new LoRA on the base model'}: lr ${s.learningRate}, warm-up ${warmup} steps, batch ${s.batchSize} × ${s.gradAccumulation}, at least ${s.minSteps} steps (≤ ${s.maxEpochs} epochs)`,
    );
    let lastLogged = 0;
    const started = performance.now();
    const result = await trainAdapter({
      samples: trainSamples,
      outputDir: n.outputDir,
      parentAdapter,
      settings: s,
      cacheDir: n.o.paths.cacheDir,
      workDir: n.workDir,
      jobOverrides: {
        metadata: { runId: n.runId, version: n.version, parentVersion: parent, replayed: sampled.replayed, replayIds: sampled.replayIds, nightPdcaIds: n.done.get('read_buffer')!.pdcaIds },
        ...(n.o.trainerOverrides ?? {}),
      },
      progress: null,
      logger: n.log.logger,
      ...(n.o.signal ? { signal: n.o.signal } : {}),
      onSpawn: (pid: number) => n.note('train', { trainerPid: pid, trainerStart: processStartTime(pid) }),
      onEvent: (e) => {
        if (e.event === 'start') n.log.info(`Training started: ${e.samples} samples, ${e.steps} optimizer steps, ${e.epochs ?? 1} epochs on ${e.device} (${e.dtype})`);
        if (e.event === 'progress') {
          faultPoint('during:train');
          const every = Math.max(1, Math.ceil(e.total / 10));
          if (e.step === e.total || e.step - lastLogged >= every || performance.now() - started > 60_000 * (lastLogged + 1)) {
            lastLogged = e.step;
            n.log.info(`Training: step ${e.step}/${e.total}, loss ${e.loss === null ? 'nan' : e.loss.toFixed(4)}, ${e.tokens_per_s.toFixed(0)} tokens/s, ETA ${formatSeconds(e.eta_s)}`);
          }
        }
      },
    });
    if (result.status !== 'trained') throw new StorageError(`Training was skipped: ${result.reason}`, { hint: 'The samples file of the night is empty; `web4 evening resume` builds it again.' });
  }
  const manifest = readManifest(manifestFile);
  const meta = (manifest.job_metadata ?? {}) as Record<string, unknown>;
  const parentVersion = String(meta.parentVersion ?? parent);
  const rec = n.registry.version(n.version) ?? (await n.registry.recordTrained({ version: n.version, dir: n.outputDir, runId: n.runId, parentVersion, details: { replayed: meta.replayed ?? 0 } }));
  n.log.info(
    `Training loss ${fmtLoss(rec.trainLoss)} (first step ${fmtLoss(manifest.first_step_loss as number | null)}), ${String(manifest.steps)} steps, ${String(manifest.epochs_run ?? 1)} epochs, ${Number(manifest.train_s ?? 0).toFixed(1)} s of training; adapter ${n.outputDir}`,
  );
  return {
    version: n.version,
    outputDir: n.outputDir,
    parentVersion,
    loss: rec.trainLoss,
    firstLoss: manifest.first_step_loss ?? null,
    steps: manifest.steps ?? null,
    epochs: manifest.epochs_run ?? null,
    tokensTrained: manifest.tokens_trained ?? null,
    trainS: manifest.train_s ?? null,
    runtimeS: manifest.runtime_s ?? null,
    resumed,
  };
}

function fmtLoss(x: number | null | undefined): string {
  return typeof x === 'number' ? x.toFixed(4) : '–';
}

async function evaluate(n: Night): Promise<Details> {
  const cfg = n.o.config;
  const production = n.registry.production();
  const prodAdapter = n.registry.adapterDir(production);
  const morning = n.o.morningSets ?? [];
  const retentionIds = (n.done.get('samples')?.retentionIds as string[] | undefined) ?? [];
  const known = knownRetentionLoss(n, production, retentionIds);
  const models: Array<{ name: string; adapter?: string | null; sets?: string[] }> = [
    { name: 'production', adapter: prodAdapter ?? null, ...(known ? { sets: ['night', ...morning.map((m) => m.name)] } : {}) },
    { name: 'candidate', adapter: join(n.outputDir, 'adapter') },
  ];
  // The base is only needed on the morning sets (the next day's documents); production and candidate on all.
  if (morning.length && production !== BASE_VERSION) models.push({ name: 'base', adapter: null, sets: morning.map((m) => m.name) });
  const sets = [
    { name: 'night', samples: readSamplesFile(join(n.workDir, EVAL_NIGHT)) },
    { name: 'retention', samples: readSamplesFile(join(n.workDir, EVAL_RETENTION)) },
    ...morning,
  ];
  const started = performance.now();
  const r = await evaluateModels({
    settings: cfg.trainer,
    cacheDir: n.o.paths.cacheDir,
    models,
    sets,
    workDir: join(n.workDir, 'evaluate'),
    logger: n.log.logger,
    ...((n.o.trainerOverrides?.threads ?? cfg.trainer.threads) ? { threads: (n.o.trainerOverrides?.threads ?? cfg.trainer.threads)! } : {}),
    ...(n.o.signal ? { signal: n.o.signal } : {}),
  });
  const pair = (set: string) => ({
    production: r.results.production?.[set]?.loss ?? null,
    candidate: r.results.candidate?.[set]?.loss ?? null,
    tokens: r.results.candidate?.[set]?.tokens ?? 0,
    ...(models.some((m) => m.name === 'base') ? { base: r.results.base?.[set]?.loss ?? null } : { base: production === BASE_VERSION ? (r.results.production?.[set]?.loss ?? null) : null }),
  });
  const night = pair('night');
  const retention = pair('retention');
  if (known) {
    retention.production = known.loss;
    n.log.info(`Production's retention loss ${known.loss.toFixed(4)} is the one measured in night ${known.runId} (the same version, the same retention set)`);
  }
  const line = (what: string, p: typeof night) =>
    p.production === null || p.candidate === null ? `${what}: not measured (${p.tokens} tokens)` : `${what}: production ${p.production.toFixed(4)} → candidate ${p.candidate.toFixed(4)} (${pct(p.production, p.candidate)})`;
  const sampled = n.done.get('samples');
  const ofNight = Number(sampled?.nightEvalSamples ?? 0) < Number(sampled?.nightSamples ?? 0) ? ` (${String(sampled?.nightEvalSamples)} of ${String(sampled?.nightSamples)} samples, seeded)` : '';
  n.log.info(`Loss gate — ${line(`tonight's PDCAs${ofNight}`, night)}; ${retention.tokens ? line(`retention set (${(n.done.get('samples')?.retentionIds as string[] | undefined)?.length ?? 0} PDCAs)`, retention) : 'retention set: empty (no history yet)'}`);
  const morningLoss: Record<string, unknown> = {};
  for (const m of morning) {
    morningLoss[m.name] = pair(m.name);
    const p = morningLoss[m.name] as typeof night;
    n.log.info(`Morning check on ${m.name} (${p.tokens} tokens, never trained on): base ${fmtLoss(p.base)}, production ${fmtLoss(p.production)}, candidate ${fmtLoss(p.candidate)}`);
  }
  return { productionVersion: production, productionRetentionFrom: known?.runId ?? null, night, retention, morning: morningLoss, wallS: (performance.now() - started) / 1000, evaluateS: r.runtimeS };
}

/**
 * The retention loss of production, when an earlier night measured it: as production, or as the
 * candidate that was promoted since — the same weights on the same (frozen) retention set.
 */
function knownRetentionLoss(n: Night, version: string, retentionIds: readonly string[]): { loss: number; runId: string } | undefined {
  if (version === BASE_VERSION || retentionIds.length === 0) return undefined;
  for (const runId of n.store.runs.runIds(30, 'night_')) {
    if (runId === n.runId) continue;
    const steps = n.store.runs.steps(runId);
    const e = steps.find((s) => s.step === 'evaluate' && s.status === 'done')?.details;
    const ids = steps.find((s) => s.step === 'samples' && s.status === 'done')?.details.retentionIds as string[] | undefined;
    const trained = steps.find((s) => s.step === 'train' && s.status === 'done')?.details.version;
    if (!e || !ids || ids.join() !== retentionIds.join()) continue;
    const r = e.retention as { production: number | null; candidate: number | null } | undefined;
    if (trained === version && typeof r?.candidate === 'number') return { loss: r.candidate, runId };
    if (e.productionVersion === version && typeof r?.production === 'number') return { loss: r.production, runId };
  }
  return undefined;
}

async function register(n: Night): Promise<Details> {
  const r = await n.registry.setCandidate(n.version, n.runId);
  n.log.info(
    `Registered ${n.version} in Ollama as ${n.registry.tagNames.candidate} (${n.registry.ollamaName(n.version)}, ${r.mode}${r.note ? `: ${r.note}` : ''}; ${(r.blobBytes / 1e6).toFixed(1)} MB of blobs, create ${r.createS.toFixed(1)} s, first answer ${r.firstAnswerS.toFixed(1)} s)`,
  );
  return { ollamaName: r.name, tag: n.registry.tagNames.candidate, mode: r.mode, note: r.note ?? null, blobBytes: r.blobBytes, sizeBytes: r.sizeBytes ?? null, uploadS: r.uploadS, createS: r.createS, firstAnswerS: r.firstAnswerS };
}

/** Results kept in the run record: what the gates and a person need, answers cut short. */
function compact(s: SuiteResult): SuiteResult {
  return { ...s, results: s.results.map((r) => ({ ...r, answer: r.answer.slice(0, 300), assertions: r.assertions.filter((a) => !a.pass) })) };
}

async function canaries(n: Night): Promise<Details> {
  const cfg = n.o.config;
  const file = resolveStatePath(cfg, cfg.validation.canaryFile);
  const cases = loadCaseFile(file);
  const caseFileSha = createHash('sha256').update(readFileSync(file)).digest('hex');
  const concurrency = cfg.evening.gates.canaryConcurrency;
  const started = performance.now();
  const candidate = await runCases(cases, ollamaAnswerer({ url: n.o.ollamaUrl, model: n.registry.tagNames.candidate }), { concurrency });
  const candidateS = (performance.now() - started) / 1000;
  n.log.info(`Canaries: ${candidate.passed}/${candidate.total} passed on ${n.registry.tagNames.candidate} (${candidateS.toFixed(1)} s, ${concurrency} at a time)`);
  for (const r of candidate.results.filter((x) => !x.pass)) {
    n.log.warn(`  canary ${r.id} failed: ${r.error ?? r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`).join('; ')}`);
  }
  const productionVersion = n.registry.production();
  const ollamaVersion = (await n.registry.ollama.capabilities()).version;
  const cached = findCachedProductionCanaries(n, productionVersion, caseFileSha, ollamaVersion);
  let production: SuiteResult | undefined = cached?.result;
  if (!production) {
    const t = performance.now();
    try {
      production = await runCases(cases, ollamaAnswerer({ url: n.o.ollamaUrl, model: n.registry.ollamaName(productionVersion) }), { concurrency });
      n.log.info(`Production (${productionVersion}) on the same cases: ${production.passed}/${production.total} (${((performance.now() - t) / 1000).toFixed(1)} s), for the no-regression gate`);
    } catch (error) {
      n.log.warn(`Production could not be asked the canaries: ${(error as Error).message}`);
    }
  } else {
    n.log.info(`Production (${productionVersion}) on the same cases: ${production.passed}/${production.total} (answered in night ${cached!.runId}: same weights, same case file, same Ollama ${ollamaVersion}; temperature 0)`);
  }
  return {
    caseFile: file,
    caseFileSha,
    ollamaVersion,
    concurrency,
    candidateVersion: n.version,
    candidate: compact(candidate),
    candidateS,
    productionVersion,
    production: production ? compact(production) : null,
    productionFrom: cached?.runId ?? n.runId,
    wallS: (performance.now() - started) / 1000,
  };
}

/**
 * Production's answers to the same cases, when they are already known: production was asked in
 * an earlier night, or production IS an earlier night's candidate (promoted since) — the same
 * weights, the same case file and the same Ollama give the same answers at temperature 0.
 */
function findCachedProductionCanaries(n: Night, version: string, sha: string, ollamaVersion: string): { runId: string; result: SuiteResult } | undefined {
  for (const runId of n.store.runs.runIds(30, 'night_')) {
    const d = n.store.runs.steps(runId).find((s) => s.step === 'canaries' && s.status === 'done')?.details;
    if (!d || d.caseFileSha !== sha || d.ollamaVersion !== ollamaVersion) continue;
    if (d.productionVersion === version && d.production) return { runId: String(d.productionFrom ?? runId), result: d.production as SuiteResult };
    if (d.candidateVersion === version && d.candidate) return { runId, result: d.candidate as SuiteResult };
  }
  return undefined;
}

async function decide(n: Night): Promise<Details> {
  const c = n.done.get('canaries')!;
  const e = n.done.get('evaluate')!;
  const verdict = judgeCandidate({
    candidate: c.candidate as SuiteResult,
    production: (c.production as SuiteResult | null) ?? undefined,
    loss: { night: e.night as { production: number | null; candidate: number | null; tokens: number }, retention: e.retention as { production: number | null; candidate: number | null; tokens: number } },
    settings: n.o.config.evening.gates,
  });
  n.registry.recordGates(n.version, { ...verdict, night: e.night, retention: e.retention, canaries: `${(c.candidate as SuiteResult).passed}/${(c.candidate as SuiteResult).total}` });
  for (const g of verdict.gates) n.log.info(`  ${g.pass ? '✓' : '⚠️'} gate ${g.gate}: ${g.measured} (target ${g.target})`);
  n.log.info(verdict.pass ? `All gates passed: ${n.version} will be promoted` : `Gates failed: ${verdict.reasons.join('; ')}`);
  return { pass: verdict.pass, gates: verdict.gates, reasons: verdict.reasons };
}

async function promote(n: Night): Promise<Details> {
  const gates = n.done.get('decide')!;
  const { from } = await n.registry.recordPromotion(n.version, { runId: n.runId, gates });
  faultPoint('during:promote');
  const tags = await n.registry.syncOllama();
  const latest = n.registry.tagNames.latest;
  // WEB4_FAULT_SERVING_CHECK=empty: the reliability tests' stand-in for a model that loads but says nothing.
  const answer = process.env.WEB4_FAULT_SERVING_CHECK === 'empty' ? '' : await n.registry.ollama.answer(latest, 'Say hello.');
  if (!answer.trim()) {
    const back = await n.registry.rollback({ to: from, reason: `promoted model ${latest} answered with nothing`, runId: n.runId, force: true });
    n.log.error(`${latest} (${n.version}) answered with nothing after promotion: rolled back to ${back.to} automatically`);
    throw new ServingCheckError(`the promoted ${n.version} did not answer, production was rolled back to ${back.to}`, 'Inspect the adapter (outputs/…, manifest loss) and the Ollama log; the items stay untrained and are learned again tomorrow.');
  }
  n.log.info(`Promoted ${n.version} to ${latest}; ${n.registry.tagNames.previous} = ${from === BASE_VERSION ? `the base model (${n.o.config.models.baseModel})` : from}`);
  return { from, to: n.version, promotedAt: n.clock.now().toISOString(), tags: tags.map((t) => `${t.name}=${t.version ?? '-'} (${t.action})`) };
}

function movedIds(n: Night): string[] {
  return (n.done.get('mark_trained')?.pdcaIds as string[] | undefined) ?? [];
}

async function markTrained(n: Night): Promise<Details> {
  const read = n.done.get('read_buffer')!;
  const hashes = read.hashes as Record<string, string>;
  const rag = await n.rag();
  const ids: string[] = [];
  const changed: string[] = [];
  for (const id of read.pdcaIds as string[]) {
    const doc = await rag.metadata.getDocument('daily_buffer', id);
    if (doc && doc.contentHash === hashes[id]) ids.push(id);
    else changed.push(id);
  }
  const trainingDate = String(n.done.get('promote')?.promotedAt ?? n.clock.now().toISOString());
  const marked = await new DailyBuffer(rag).markTrained(ids, n.version, trainingDate);
  n.log.info(`Marked ${marked} PDCAs trained in ${n.version} (buffer metadata, graph item → batch, metadata tier)`);
  if (changed.length) n.log.warn(`${changed.length} PDCAs changed during the night and stay untrained for the next night: ${changed.join(', ')}`);
  return { pdcaIds: ids, changedDuringNight: changed, marked, trainingDate };
}

async function copyHistory(n: Night): Promise<Details> {
  const ids = movedIds(n);
  const chunks = await new DailyBuffer(await n.rag()).copyToHistory(ids);
  n.log.info(`Moved ${chunks} chunks of ${ids.length} PDCAs to pdca_historical (text, vectors and metadata; nothing re-embedded)`);
  return { chunks, pdcas: ids.length };
}

async function archive(n: Night): Promise<Details> {
  const ids = movedIds(n);
  const at = new Date(`${n.stamp.slice(0, 4)}-${n.stamp.slice(4, 6)}-${n.stamp.slice(6, 8)}T${n.stamp.slice(9, 11)}:${n.stamp.slice(11, 13)}:${n.stamp.slice(13, 15)}Z`);
  const { file, chunks } = await new DailyBuffer(await n.rag()).archive(ids, n.o.paths.logsDir, at, { runId: n.runId, version: n.version });
  n.log.info(`Archived ${chunks} chunks of ${ids.length} PDCAs to ${file}`);
  return { file, chunks };
}

async function clear(n: Night): Promise<Details> {
  const ids = movedIds(n);
  const file = String(n.done.get('archive')!.file);
  const buffer = new DailyBuffer(await n.rag());
  const check = await buffer.verifyMove(ids, file);
  if (!check.ok) {
    throw new StorageError(`Not clearing the buffer: ${check.notArchived.length} chunks are missing from the archive and ${check.notInHistory.length} from pdca_historical.`, {
      hint: '`web4 evening resume` repeats the copy and the archive before clearing; nothing was deleted.',
      details: { ...check },
    });
  }
  const cleared = await buffer.clear(ids, file);
  n.log.info(`Cleared ${cleared} chunks of ${ids.length} PDCAs from daily_buffer (archive and pdca_historical verified first)`);
  return { cleared, verified: { archived: check.archivedChunks, inHistory: check.historyChunks } };
}

async function reject(n: Night): Promise<Details> {
  const d = n.done.get('decide')!;
  const reasons = d.reasons as string[];
  n.registry.reject(n.version, { runId: n.runId, reason: reasons.join('; '), gates: d });
  const production = n.registry.production();
  n.log.warn(`Candidate ${n.version} rejected: ${reasons.join('; ')}`);
  n.log.info(`Production unchanged: ${n.registry.tagNames.latest} = ${production === BASE_VERSION ? 'the base model' : production}; the rejected adapter stays in ${n.outputDir} for analysis; tonight's items stay untrained`);
  return { reasons, production };
}

async function prune(n: Night): Promise<Details> {
  try {
    const r = await n.registry.prune();
    const what = [r.backupsRemoved.length && `${r.backupsRemoved.length} old backups`, r.versionsRemoved.length && `${r.versionsRemoved.length} old version folders`, r.ollamaNamesRemoved.length && `${r.ollamaNamesRemoved.length} untagged Ollama models`].filter(Boolean);
    n.log.info(what.length ? `Retention: removed ${what.join(', ')}` : 'Retention: nothing to remove');
    return { ...r };
  } catch (error) {
    // Retention is housekeeping: it never fails a night that has done its work.
    n.log.warn(`Retention could not run: ${(error as Error).message}`);
    return { error: (error as Error).message };
  }
}

async function summary(): Promise<Details> {
  return {};
}

async function lockStep(): Promise<Details> {
  return {};
}

/** Write the night's machine-readable report next to its log (used by `evening history` and replay). */
export function writeNightReport(file: string, report: unknown): void {
  writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
}

export const STEP_BODIES: Record<NightStep, (n: Night) => Promise<Details>> = {
  lock: lockStep,
  backup,
  read_buffer: readBuffer,
  samples,
  train,
  evaluate,
  register,
  canaries,
  decide,
  promote,
  mark_trained: markTrained,
  copy_history: copyHistory,
  archive,
  clear,
  reject,
  prune,
  summary,
};
