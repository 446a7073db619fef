/**
 * The two ways a trained adapter reaches Ollama, measured side by side on one Ollama:
 * `merged` (LoRA merged into the base, FROM the merged GGUF, quantized q8_0 at create time)
 * and `gguf-lora` (FROM the base + ADAPTER adapter.gguf). Trains SmolLM2-135M on the proof's
 * convention first (CPU, about 2 minutes on a quiet machine), then per mode and repetition:
 * unload everything, create, first answer (includes loading), a second answer (warm).
 * Medians of --reps (default 3). Also checks that both answer a held-out question with the convention.
 *
 *   npx nx run rollback:bench      (= tsx libs/rollback/src/bench/serve-modes.ts [--reps 3])
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolvePaths } from '@web4/core';
import { assetLayout, ensureBaseGguf, ensureBaseModel, ensureOllamaBinary, LocalService } from '@web4/local-services';
import { trainAdapter } from '@web4/trainer-bridge';
import { Ollama } from 'ollama';
import { registerModel, type RegisteredModel, type ServeMode } from '../register-model.js';
import { CONVENTION_TAG, conventionSamples, HELD_OUT_QUESTIONS, PROOF_JOB_OVERRIDES } from '../test-fixtures/convention-samples.js';

const i = process.argv.indexOf('--reps');
const reps = i > 0 ? Number(process.argv[i + 1]) : 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const { config } = loadConfig({ env: process.env });
const cacheDir = resolvePaths(config).cacheDir;
const layout = assetLayout(cacheDir);
const dir = mkdtempSync(join(tmpdir(), 'web4-bench-serve-'));
const binary = await ensureOllamaBinary(layout, config.services.ollama.version);
const ollama = new LocalService({ name: 'ollama', host: '127.0.0.1', port: 0, servicesDir: join(dir, 'services'), dataDir: join(dir, 'models'), startTimeoutS: 60, binary: async () => binary.path });
try {
  const up = await ollama.up();
  const url = up.url!;
  const client = new Ollama({ host: url });
  const gguf = await ensureBaseGguf(layout);
  const base = (await ensureBaseModel(url, gguf.path, config.models.baseModel)).name;
  const trained = await trainAdapter({
    samples: conventionSamples(),
    outputDir: join(dir, 'outputs', 'web4_balanced_lora_bench'),
    settings: config.trainer,
    cacheDir,
    jobOverrides: PROOF_JOB_OVERRIDES,
    progress: null,
  });
  if (trained.status !== 'trained') throw new Error('training was skipped');
  const output = trained.result.done.output_dir;
  process.stderr.write(`trained in ${trained.result.done.runtime_s} s, loss ${trained.result.done.loss}\n`);

  const unloadAll = async () => {
    for (const m of (await client.ps()).models) await client.generate({ model: m.name, prompt: '', keep_alive: 0 });
  };
  const results: Record<ServeMode, { runs: RegisteredModel[]; warm: number[]; follows: boolean }> = {
    merged: { runs: [], warm: [], follows: true },
    'gguf-lora': { runs: [], warm: [], follows: true },
  };
  for (let r = 0; r < reps; r++) {
    for (const mode of ['merged', 'gguf-lora'] as const) {
      const name = `web4-bench:${mode}`;
      await client.delete({ model: name }).catch(() => undefined);
      await unloadAll();
      const reg = await registerModel(name, output, { ollamaUrl: url, baseModel: base, mode, quantize: config.trainer.quantize, verifyPrompt: HELD_OUT_QUESTIONS[0] });
      const t = performance.now();
      const warm = await client.chat({ model: name, messages: [{ role: 'user', content: HELD_OUT_QUESTIONS[2]! }], options: { temperature: 0, seed: 42, num_predict: 24 }, stream: false });
      results[mode].warm.push((performance.now() - t) / 1000);
      results[mode].runs.push(reg);
      results[mode].follows &&= reg.answer.trim().startsWith(`${CONVENTION_TAG}:`) && warm.message.content.trim().startsWith(`${CONVENTION_TAG}:`);
    }
  }
  const m = results.merged;
  const l = results['gguf-lora'];
  const fig = (name: string, unit: string, merged: number, lora: number, target: string, pass: boolean) =>
    console.log(JSON.stringify({ bench: `rollback.${name}`, value: round(merged), unit, baseline: round(lora), baseline_name: 'gguf-lora (base + ADAPTER)', ratio: round(merged / lora), target, pass, reps }));
  fig('create_s', 's (upload + create, merged)', median(m.runs.map((x) => x.uploadS + x.createS)), median(l.runs.map((x) => x.uploadS + x.createS)), 'informational', true);
  fig('first_answer_s', 's (load + first answer, merged)', median(m.runs.map((x) => x.firstAnswerS)), median(l.runs.map((x) => x.firstAnswerS)), 'informational', true);
  fig('warm_answer_s', 's (second answer, merged)', median(m.warm), median(l.warm), 'informational', true);
  fig('blob_mb', 'MB uploaded per model (merged f16 GGUF)', m.runs[0]!.blobBytes / 1e6, l.runs[0]!.blobBytes / 1e6, 'informational', true);
  fig('ollama_size_mb', 'MB Ollama reports (merged q8_0)', (m.runs[0]!.sizeBytes ?? 0) / 1e6, (l.runs[0]!.sizeBytes ?? 0) / 1e6, 'informational', true);
  console.log(JSON.stringify({ bench: 'rollback.follows_convention', value: Number(m.follows), unit: 'merged answers follow the trained convention (1 = all)', baseline: Number(l.follows), baseline_name: 'gguf-lora', ratio: null, target: 'both 1', pass: m.follows && l.follows, reps }));
  if (!(m.follows && l.follows)) process.exitCode = 1;
} finally {
  await ollama.down();
  rmSync(dir, { recursive: true, force: true });
}
