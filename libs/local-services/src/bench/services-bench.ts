// Local services figures: warm setup time (everything cached) and Ollama generation speed of
// the base model (SmolLM2-135M Q4_1) on this machine's CPU cores. Medians of several runs.
//   tsx libs/local-services/src/bench/services-bench.ts [--reps 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolvePaths } from '@web4/core';
import { LocalService } from '../local-service.js';
import { assetLayout } from '../asset-layout.js';
import { chatOnce, ensureBaseGguf, ensureBaseModel, resolveNumThread } from '../base-model.js';
import { ensureOllamaBinary } from '../ollama-binary.js';
import { repoRoot } from '../repo-root.js';

const i = process.argv.indexOf('--reps');
const reps = i > 0 ? Number(process.argv[i + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const root = repoRoot();

// 1. Warm setup: tools/setup with every asset cached (what `npm test` pays on each run after the first).
const setupTimes: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools/setup/main.ts'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tools/setup failed: ${run.stderr}`);
  setupTimes.push((performance.now() - t0) / 1000);
}
const warm = median(setupTimes);
console.log(JSON.stringify({
  bench: 'local-services.setup_warm', value: Math.round(warm * 100) / 100, unit: 's', baseline: null, baseline_name: 'none (absolute; cold figures are in docs/benchmarks.md)',
  ratio: null, target: '<= 10 s', pass: warm <= 10,
}));

// 2. Ollama tokens/s for web4-base on its own server.
const { config } = loadConfig();
const layout = assetLayout(resolvePaths(config).cacheDir);
const dir = mkdtempSync(join(tmpdir(), 'web4-bench-ollama-'));
const binary = await ensureOllamaBinary(layout, config.services.ollama.version);
const ollama = new LocalService({ name: 'ollama', host: '127.0.0.1', port: 0, servicesDir: join(dir, 'services'), dataDir: join(dir, 'models'), startTimeoutS: 60, binary: async () => binary.path });
try {
  const up = await ollama.up();
  const gguf = await ensureBaseGguf(layout);
  await ensureBaseModel(up.url!, gguf.path, config.models.baseModel, { numThread: resolveNumThread(config.services.ollama.numThread) });
  await chatOnce(up.url!, config.models.baseModel, 'Say hello.', 8); // load
  // Interleaved with Ollama's own default (one thread per core) as the baseline.
  const allCores = cpus().length;
  const rates: number[] = [];
  const baselineRates: number[] = [];
  const prompt = 'Write a TypeScript function that merges two sorted arrays, with comments.';
  for (let r = 0; r < reps; r++) {
    rates.push((await chatOnce(up.url!, config.models.baseModel, prompt, 128)).tokensPerSecond);
    baselineRates.push((await chatOnce(up.url!, config.models.baseModel, prompt, 128, { num_thread: allCores })).tokensPerSecond);
  }
  const rate = median(rates);
  const baseline = median(baselineRates);
  const numThread = resolveNumThread(config.services.ollama.numThread);
  console.log(JSON.stringify({
    bench: 'local-services.ollama_tokens_per_s', value: Math.round(rate * 10) / 10,
    unit: `tokens/s (web4-base: SmolLM2-135M Q4_1, num_thread ${numThread}, ${allCores} cores, Ollama ${binary.source} ${binary.version})`,
    baseline: Math.round(baseline * 10) / 10, baseline_name: `Ollama default threads (${allCores}, one per core)`,
    ratio: Math.round((rate / baseline) * 100) / 100, target: '>= 10 tokens/s (interactive) and >= 1.0x', pass: rate >= 10 && rate >= baseline,
  }));
} finally {
  await ollama.down();
  rmSync(dir, { recursive: true, force: true });
}
