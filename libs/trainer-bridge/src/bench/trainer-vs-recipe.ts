/**
 * CPU benchmark, one run: our trainer against the original plan's recipe (every sample padded
 * to 2048 tokens) on the same 16 realistic PDCA samples from examples/journal, SmolLM2-135M.
 * Only `padding` differs between the two jobs; order, seed, LoRA and hyper-parameters match
 * (the plan's, except no warm-up: 16 samples are only 4 optimizer steps, and with the plan's 10
 * warm-up steps the adapter would hardly move, making the loss comparison empty).
 * Ours runs before and after the recipe and the two are averaged, so load drift on a shared
 * machine hits both sides alike.
 *
 *   npx nx run trainer-bridge:bench        (or: npx tsx libs/trainer-bridge/src/bench/trainer-vs-recipe.ts)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfig, resolvePaths } from '@web4/core';
import { repoRoot } from '@web4/local-services';
import { buildTrainJob, buildTrainingSamples, locateTrainer, runTrainer, writeSamples, type BufferItem, type DoneEvent } from '../index.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 16);

function journalFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (name.endsWith('.md') && /\d{4}-\d{2}-\d{2}-UTC-\d{4}/.test(name) && statSync(p).isFile()) out.push(p);
  }
  return out.sort();
}

/** 16 PDCAs spread over the size range (not the 16 smallest), chunked like the indexer does. */
function realisticItems(root: string, n: number): BufferItem[] {
  const files = journalFiles(join(root, 'examples', 'journal'))
    .map((f) => ({ f, size: statSync(f).size }))
    .filter((x) => x.size > 300 && x.size < 8000)
    .sort((a, b) => a.size - b.size);
  const picked = Array.from({ length: n }, (_, i) => files[Math.floor((i * (files.length - 1)) / Math.max(n - 1, 1))]!.f);
  return picked.flatMap((f) => {
    const text = readFileSync(f, 'utf8');
    const items: BufferItem[] = [];
    for (let start = 0, i = 0; ; start += 850, i++) {
      items.push({ pdcaId: relative(root, f), chunkIndex: i, text: text.slice(start, start + 1000) });
      if (start + 1000 >= text.length) break;
    }
    return items;
  });
}

async function run(label: string, padding: 'longest' | 'max_length', ctx: { dir: string; samplesFile: string; python: string; packageDir: string; baseModel: string; settings: ReturnType<typeof loadConfig>['config']['trainer'] }): Promise<DoneEvent> {
  const outputDir = join(ctx.dir, `out-${label}`);
  const job = buildTrainJob(ctx.settings, { baseModel: ctx.baseModel, samples: ctx.samplesFile, outputDir }, { padding, serve_format: 'none', export_gguf_lora: false, device: 'cpu', warmup_steps: 0, min_steps: 0 }); // one epoch each: the same work on both sides
  const jobFile = join(ctx.dir, `job-${label}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const t0 = Date.now();
  const { done } = await runTrainer({ python: ctx.python, packageDir: ctx.packageDir, jobFile, timeoutMs: 3 * 3600_000 });
  process.stderr.write(`${label}: ${done.tokens_trained} useful tokens in ${String(done.train_s)} s of training, ${String(done.train_cpu_s)} CPU-s (${((Date.now() - t0) / 1000).toFixed(0)} s wall), loss ${done.loss?.toFixed(4)}\n`);
  return done;
}

async function main(): Promise<void> {
  const { config } = loadConfig({ env: process.env });
  const root = repoRoot();
  const where = locateTrainer(config.trainer, resolvePaths(config).cacheDir, root);
  const dir = mkdtempSync(join(tmpdir(), 'web4-bench-trainer-'));
  try {
    const samples = buildTrainingSamples(realisticItems(root, SAMPLES), { capChars: config.trainer.sampleCapChars });
    const samplesFile = join(dir, 'samples.jsonl');
    writeSamples(samplesFile, samples);
    const ctx = { dir, samplesFile, python: where.python, packageDir: where.packageDir, baseModel: where.baseModel, settings: config.trainer };
    const oursA = await run('ours-1', 'longest', ctx);
    const recipe = await run('recipe', 'max_length', ctx);
    const oursB = await run('ours-2', 'longest', ctx);
    // Wall-clock throughput moves with whatever else the shared machine runs; CPU time of the
    // trainer process (all its threads) tracks the work itself. Both are reported; the target
    // is judged on CPU time, the wall figure is there to show the same direction.
    const tps = (d: DoneEvent) => d.tokens_trained / Number(d.train_s);
    const cpuTps = (d: DoneEvent) => d.tokens_trained / Number(d.train_cpu_s);
    const ours = (tps(oursA) + tps(oursB)) / 2;
    const base = tps(recipe);
    const oursCpu = (cpuTps(oursA) + cpuTps(oursB)) / 2;
    const baseCpu = cpuTps(recipe);
    const ratioCpu = oursCpu / baseCpu;
    const lossOurs = oursA.loss!;
    const lossDelta = (Math.abs(lossOurs - recipe.loss!) / recipe.loss!) * 100;
    const lines = [
      { bench: 'trainer-bridge.useful_tokens_per_cpu_s', value: round(oursCpu), unit: 'useful tokens per CPU-second', baseline: round(baseCpu), baseline_name: 'plan recipe: every sample padded to 2048 tokens', ratio: round(ratioCpu), target: '>= 4x the recipe', pass: ratioCpu >= 4 },
      { bench: 'trainer-bridge.useful_tokens_per_s', value: round(ours), unit: 'useful tokens/s (wall)', baseline: round(base), baseline_name: 'plan recipe: every sample padded to 2048 tokens', ratio: round(ours / base), target: 'informational (wall clock on a shared machine)', pass: true },
      { bench: 'trainer-bridge.final_loss_vs_recipe', value: round(lossOurs, 4), unit: 'loss', baseline: round(recipe.loss!, 4), baseline_name: 'plan recipe final loss', ratio: round(lossOurs / recipe.loss!, 4), target: 'within 5% of the recipe', pass: lossDelta <= 5 },
      { bench: 'trainer-bridge.padded_tokens', value: oursA.tokens_trained, unit: 'tokens computed (ours: no padding at batch 1)', baseline: samples.length * 2048, baseline_name: 'plan recipe', ratio: round((samples.length * 2048) / oursA.tokens_trained), target: 'informational', pass: true },
    ];
    for (const l of lines) console.log(JSON.stringify({ ...l, samples: samples.length, useful_tokens: oursA.tokens_trained }));
    if (lines.some((l) => !l.pass)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

await main();
