import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, fileStamp, isoDay, resolveStatePath } from '@web4/core';
import { loadCaseFile } from '@web4/canary-suite';
import { BASE_VERSION, holderAlive, type MetricsStore } from '@web4/metrics-store';
import { DailyBuffer, type RagStack } from '@web4/rag-tiers';
import { type AdapterRegistry, versionDir, versionOfStamp } from '@web4/rollback';
import { buildTrainingSamples } from '@web4/trainer-bridge';
import type { EveningLog } from './evening-log.js';
import { EVENING_LOCK, type EveningLoopOptions } from './night.js';
import { replaySamples, retentionSet, toBufferItems } from './night-data.js';

interface DryRunInput {
  o: EveningLoopOptions;
  log: EveningLog;
  clock: Clock;
  store: MetricsStore | undefined;
  registry: AdapterRegistry | undefined;
  openRun: string | undefined;
  rag: () => Promise<RagStack>;
}

/** `web4 evening run --dry-run`: every step, what it would do, from what is there now. */
export async function dryRunNight(i: DryRunInput): Promise<{ lines: string[]; items: number; samples: number }> {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    i.log.info(line);
  };
  const cfg = i.o.config;
  const stamp = fileStamp(i.clock.now());
  const version = versionOfStamp(stamp);
  const day = isoDay(i.clock.now());
  say(`DRY RUN of tonight's night (night_${stamp}, day ${day}): nothing is trained, written or changed`);

  const holder = i.store?.locks.holder(EVENING_LOCK);
  say(`1 lock: ${holder && holderAlive(holder) ? `held by ${holder.owner} (pid ${holder.pid}) — a real run would exit at once with code 75` : holder ? `held by a dead process (pid ${holder.pid}): a real run would take it over` : 'free: a real run would take it'}`);
  if (i.openRun) {
    const decided = i.store!.runs.steps(i.openRun).some((s) => s.step === 'decide' && s.status === 'done');
    say(`  open night ${i.openRun}: a real run would ${decided ? 'finish it first (it reached its decision)' : 'abandon it (it stopped before its decision) and train its items tonight'}`);
  }

  const production = i.registry?.production() ?? BASE_VERSION;
  const prodRec = production === BASE_VERSION ? undefined : i.registry!.version(production);
  say(
    `2 backup: ${production === BASE_VERSION ? `nothing to back up, production is the base model (${cfg.models.baseModel})` : `would copy ${production}'s adapter and manifest (${Object.keys((prodRec?.details.files ?? {}) as object).length} files) to ${join(i.o.paths.backupsDir, `backup_${stamp}`)}, checksums verified`}`,
  );

  const rag = await i.rag();
  const chunks = await new DailyBuffer(rag).untrained();
  const pdcaIds = [...new Set(chunks.map((c) => c.pdcaId))];
  say(`3 read buffer: ${pdcaIds.length} untrained PDCAs (${chunks.length} chunks) in daily_buffer`);
  if (pdcaIds.length === 0) {
    say('4 nothing to learn: a real run would stop here with NOTHING TO DO (exit 0)');
    return { lines, items: 0, samples: 0 };
  }
  say('4 items present: the night goes on');

  const cap = cfg.trainer.sampleCapChars;
  const night = buildTrainingSamples(toBufferItems(chunks), { capChars: cap });
  const retention = await retentionSet(rag, {
    logsDir: i.o.paths.logsDir,
    size: cfg.evening.gates.retentionSetSize,
    seed: cfg.evening.gates.retentionSeed,
    beforeDay: day,
    exclude: new Set(pdcaIds),
    capChars: cap,
    now: i.clock.now(),
    write: false,
  });
  const replay = await replaySamples(rag, {
    nightSamples: night.length,
    sharePct: cfg.evening.replaySharePct,
    seed: cfg.evening.replaySeed,
    runStamp: stamp,
    beforeDay: day,
    exclude: new Set([...pdcaIds, ...retention.set.pdcaIds]),
    capChars: cap,
  });
  const total = night.length + replay.samples.length;
  say(`5 samples: would write ${total} samples (${night.length} from tonight's PDCAs, ${replay.samples.length} replayed older PDCAs) to ${versionDir(i.o.paths.outputsDir, version)}.job/`);

  const s = cfg.trainer;
  const parentAdapter = production === BASE_VERSION ? undefined : join(prodRec?.dir ?? '', 'adapter');
  const warmup = s.warmup === 'new-adapter' && parentAdapter ? 0 : s.warmupSteps;
  say(
    `6 train: would train ${parentAdapter ? `on from production ${production}` : 'a new LoRA on the base model'} (preset ${s.preset}: lr ${s.learningRate}, warm-up ${warmup}, batch ${s.batchSize} × ${s.gradAccumulation}, at least ${s.minSteps} steps, ≤ ${s.maxEpochs} epochs) into ${versionDir(i.o.paths.outputsDir, version)}`,
  );
  say(`7 evaluate: would measure production and candidate loss on ${night.length} night samples and the retention set (${retention.set.pdcaIds.length} PDCAs${retention.added.length ? `, ${retention.added.length} to be added` : ''})`);
  say(`8 register: would create ${cfg.models.candidateModel} from the ${s.serveMode} weights (quantized ${s.quantize || 'f16'}) in Ollama at ${i.o.ollamaUrl}`);
  const caseFile = resolveStatePath(cfg, cfg.validation.canaryFile);
  let cases = 0;
  try {
    cases = loadCaseFile(caseFile).length;
  } catch (error) {
    say(`  ⚠️ the canary file does not load: ${(error as Error).message}`);
  }
  say(`9 canaries: would ask ${cfg.models.candidateModel} the ${cases} cases of ${caseFile}, ${cfg.evening.gates.canaryConcurrency} at a time, and production the same (no-regression gate)`);
  const g = cfg.evening.gates;
  say(`10 decide: promote only if canaries ≥ ${g.canaryPassPct} %, no regression, night loss lower than production's${g.requireNightLossDecrease ? '' : ' (not required)'}, retention loss ≤ +${g.maxRetentionLossIncreasePct} %`);
  say(`11 pass: would promote to ${cfg.models.productionModel} (${cfg.models.previousModel} = ${production === BASE_VERSION ? 'the base model' : production}), mark ${pdcaIds.length} PDCAs trained in ${version}, copy ${chunks.length} chunks to pdca_historical, archive them to ${join(i.o.paths.logsDir, `daily_buffer_${stamp}.json`)}, then clear them from daily_buffer`);
  say(`    fail: would keep production as it is, keep the candidate's files for analysis, and alert`);
  say(`12 retention: keep ${cfg.evening.retention.backups} backups, ${cfg.evening.retention.rejectedCandidates} rejected and ${cfg.evening.retention.retiredVersions} retired versions`);
  if (!existsSync(i.o.paths.metricsDb)) say('  (no night has run in this state root yet)');
  return { lines, items: pdcaIds.length, samples: total };
}
