/**
 * A whole night on the embedded default (SmolLM2-135M on the CPU, the shipped 20 canaries, real
 * Chroma and Ollama started by the bench on free ports), for a team's busy day: the example
 * journal's first days until at least BENCH_PDCAS (default 50) PDCAs wait in the buffer. Prints
 * one JSON line per figure with a baseline measured in the same run:
 *
 * - night.total_s — the whole night (target ≤ 600 s); baseline: the sum of its parts' baselines.
 * - night.train_s — training; baseline: the plan's recipe (every sample padded to 2,048 tokens,
 *   batch 1) timed on BENCH_RECIPE_SAMPLES (default 4) of the night's samples, scaled to the night.
 * - night.evaluate_s — the loss gate; baseline: the same evaluation one sample per batch.
 * - night.canaries_s — the canary gate (target ≤ 60 s); baseline: the same cases one at a time.
 * - night.bookkeeping_s — everything but training and the gates' model calls (target ≤ 30 s);
 *   baseline: moving the buffer to history by embedding its chunks again (what copying the stored
 *   vectors avoids).
 *
 *   npx nx run evening-loop:bench     (= tsx libs/evening-loop/src/bench/night.bench.ts)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCaseFile, ollamaAnswerer, runCases } from '@web4/canary-suite';
import { FixedClock, loadConfig, resolvePaths, resolveStatePath } from '@web4/core';
import { assetLayout, ensureBaseGguf, ensureBaseModel, ensureOllamaBinary, LocalService, resolveNumThread } from '@web4/local-services';
import { indexDaily } from '@web4/pdca-indexer';
import { createEmbedder, openRag } from '@web4/rag-tiers';
import { buildTrainJob, evaluateModels, locateTrainer, runTrainer, writeSamples } from '@web4/trainer-bridge';
import { EveningLoop } from '../evening-loop.js';
import { readSamplesFile } from '../night-steps.js';
import { journalDays } from '../replay.js';

const want = Number(process.env.BENCH_PDCAS ?? 50);
const recipeSamples = Number(process.env.BENCH_RECIPE_SAMPLES ?? 4);
const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
function fig(bench: string, value: number, unit: string, baseline: number, baselineName: string, target: string, pass: boolean, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench: `evening-loop.${bench}`, value: round(value), unit, baseline: round(baseline), baseline_name: baselineName, ratio: round(baseline / value), target, pass, ...extra }));
}

const user = loadConfig({ env: process.env }).config;
const cacheDir = resolvePaths(user).cacheDir;
const layout = assetLayout(cacheDir);
const dir = mkdtempSync(join(tmpdir(), 'web4-bench-night-'));
const binary = await ensureOllamaBinary(layout, user.services.ollama.version);
const services = join(dir, 'services');
const chroma = new LocalService({ name: 'chroma', host: '127.0.0.1', port: 0, servicesDir: services, dataDir: join(dir, 'chroma-data'), startTimeoutS: 60 });
const ollama = new LocalService({ name: 'ollama', host: '127.0.0.1', port: 0, servicesDir: services, dataDir: join(dir, 'ollama-models'), startTimeoutS: 60, binary: async () => binary.path });
try {
  const [c, o] = await Promise.all([chroma.up(), ollama.up()]);
  const gguf = await ensureBaseGguf(layout);
  await ensureBaseModel(o.url!, gguf.path, user.models.baseModel, { numThread: resolveNumThread(user.services.ollama.numThread) });
  const root = join(dir, 'state');
  const examples = resolveStatePath(user, user.rag.journal.root);
  writeFileSync(join(dir, 'web4.config.json'), '{}');
  const config = loadConfig({
    root,
    env: {},
    overrides: {
      'services.chroma.url': c.url,
      'services.ollama.url': o.url,
      'paths.cacheDir': cacheDir,
      'rag.journal.root': examples,
      'rag.corpus.trainai': resolveStatePath(user, user.rag.corpus.trainai),
      'validation.canaryFile': resolveStatePath(user, user.validation.canaryFile),
    },
  }).config;
  const paths = resolvePaths(config);
  const embedder = createEmbedder(config, paths);
  // The buffer of a busy day: the first days of the journal until `want` PDCAs wait.
  const rag = openRag(config, { embedder });
  let pdcas = 0;
  const indexStarted = performance.now();
  for (const day of journalDays(examples, config.rag.journal.patterns)) {
    if (pdcas >= want) break;
    const r = await indexDaily(rag, config, { date: day });
    pdcas += r.indexed;
  }
  log(`buffer: ${pdcas} PDCAs indexed in ${((performance.now() - indexStarted) / 1000).toFixed(0)} s`);
  await rag.close();

  const loop = new EveningLoop({
    config,
    paths,
    clock: new FixedClock('2026-11-30T22:00:00Z'),
    ollamaUrl: o.url!,
    openRag: async () => openRag(config, { embedder }),
    console: process.stderr,
  });
  const started = performance.now();
  const night = await loop.run();
  const totalS = (performance.now() - started) / 1000;
  if (night.status === 'open') throw new Error(`the night failed at ${night.failedStep}: ${night.error?.message}`);
  const t = night.timings;
  const modelCalls = (t.train ?? 0) + (t.evaluate ?? 0) + (t.register ?? 0) + (t.canaries ?? 0) + (t.promote ?? 0);
  const bookkeeping = totalS - modelCalls;
  log(`night ${night.status}: ${night.items} PDCAs, ${night.samples} samples, ${totalS.toFixed(0)} s`);

  // Baselines, same machine, same run.
  const workDir = join(paths.outputsDir, `web4_balanced_lora_${night.runId.slice('night_'.length)}.job`);
  const samples = readSamplesFile(join(workDir, 'samples.jsonl'));
  const where = locateTrainer(config.trainer, cacheDir);
  const subset = samples.slice(0, recipeSamples);
  const subsetFile = join(dir, 'recipe-samples.jsonl');
  writeSamples(subsetFile, subset);
  const recipeJob = buildTrainJob({ ...config.trainer, preset: 'plan' }, { baseModel: where.baseModel, samples: subsetFile, outputDir: join(dir, 'recipe-out') }, {
    padding: 'max_length', max_length: 2048, batch_size: 1, grad_accumulation: 4, epochs: 1, min_steps: 0, warmup_steps: 0, serve_format: 'none', export_gguf_lora: false,
  });
  const recipeJobFile = join(dir, 'recipe-job.json');
  writeFileSync(recipeJobFile, JSON.stringify(recipeJob));
  const recipe = await runTrainer({ python: where.python, packageDir: where.packageDir, jobFile: recipeJobFile, timeoutMs: 3_600_000 });
  const manifest = JSON.parse(readFileSync(join(night.adapterDir!, 'manifest.json'), 'utf8')) as { train_s: number; epochs_run: number };
  // The recipe's time per sample, for as many sample passes as the night made.
  const recipeTrainS = (recipe.done.train_s as number) / subset.length * samples.length * (manifest.epochs_run ?? 1);

  const evalSets = [
    { name: 'night', samples: readSamplesFile(join(workDir, 'eval_night.jsonl')) },
    { name: 'retention', samples: readSamplesFile(join(workDir, 'eval_retention.jsonl')) },
  ];
  const evalStarted = performance.now();
  await evaluateModels({ settings: config.trainer, cacheDir, models: [{ name: 'production' }, { name: 'candidate', adapter: join(night.adapterDir!, 'adapter') }], sets: evalSets, workDir: join(dir, 'eval-baseline'), batchTokens: 16 });
  const evalBaselineS = (performance.now() - evalStarted) / 1000;

  const cases = loadCaseFile(config.validation.canaryFile);
  const serialStarted = performance.now();
  await runCases(cases, ollamaAnswerer({ url: o.url!, model: config.models.candidateModel }), { concurrency: 1 });
  const canariesSerialS = (performance.now() - serialStarted) / 1000;

  const rag2 = openRag(config, { embedder });
  const history = await rag2.chroma.chunksOf('pdca_historical', (await rag2.metadata.listDocuments('pdca_historical', {}, 100_000)).map((d) => d.docId));
  const reembedStarted = performance.now();
  await embedder.embed(history.map((h) => `${String(h.metadata.title)}\n${h.document}`));
  const reembedS = (performance.now() - reembedStarted) / 1000;
  await rag2.close();

  const baselineTotal = bookkeeping + reembedS + recipeTrainS + evalBaselineS + (t.register ?? 0) + canariesSerialS + (t.promote ?? 0);
  const extra = { pdcas: night.items, samples: night.samples, status: night.status };
  fig('night.total_s', totalS, `s for a night of ${night.items} PDCAs`, baselineTotal, 'the parts below at their baselines', '<= 600 s', totalS <= 600, extra);
  fig('night.train_s', t.train ?? 0, 's training (nightly recipe)', recipeTrainS, `the plan's recipe (padded to 2048, batch 1), timed on ${subset.length} samples and scaled`, 'informational', true, { epochs: manifest.epochs_run, trainOnlyS: manifest.train_s });
  fig('night.evaluate_s', t.evaluate ?? 0, 's loss gate (2 models × night + retention)', evalBaselineS, 'the same evaluation one sample per batch', 'informational', true);
  fig('night.canaries_s', t.canaries ?? 0, `s canary gate (${cases.length} cases, candidate + production)`, canariesSerialS * 2, 'the same cases one at a time, both models', '<= 60 s', (t.canaries ?? 0) <= 60);
  fig('night.bookkeeping_s', bookkeeping, 's everything but training and the gates’ model calls', bookkeeping + reembedS, 'moving the buffer by embedding it again', '<= 30 s', bookkeeping <= 30, { reembedS: round(reembedS) });
  fig('night.register_s', t.register ?? 0, 's upload + create + first answer of the candidate', t.register ?? 0, 'none (one way to do it)', 'informational', true);
  await embedder.dispose?.();
} finally {
  await Promise.all([chroma.down(), ollama.down()]);
  rmSync(dir, { recursive: true, force: true });
}
