import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolvePaths, ServiceError } from '@web4/core';
import { trainAdapter, type TrainAdapterResult } from '@web4/trainer-bridge';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaModels } from './ollama-models.js';
import { registerModel } from './register-model.js';
import { CONVENTION_TAG, conventionSamples, HELD_OUT_QUESTIONS, PROOF_JOB_OVERRIDES } from './test-fixtures/convention-samples.js';

/**
 * THE PROOF that the nightly loop learns: train the embedded SmolLM2-135M base on CPU on a
 * made-up convention, serve the result in the real Ollama that the test setup started, and ask
 * questions that the samples do not contain. The trained model follows the convention; the
 * base model does not.
 */
const { config } = loadConfig({ env: process.env });
const ollamaUrl = config.services.ollama.url!;
const client = new Ollama({ host: ollamaUrl });
const work = mkdtempSync(join(tmpdir(), 'web4 proof $(x) '));
let trained: Extract<TrainAdapterResult, { status: 'trained' }>;

async function ask(model: string, question: string): Promise<string> {
  const r = await client.chat({ model, messages: [{ role: 'user', content: question }], options: { temperature: 0, seed: 42, num_predict: 40 }, stream: false });
  return r.message.content;
}


describe('the trained model learns a convention the base does not know', () => {
  beforeAll(async () => {
    expect(ollamaUrl, 'the test setup starts Ollama and sets WEB4_SERVICES__OLLAMA__URL').toBeTruthy();
    const result = await trainAdapter({
      samples: conventionSamples(),
      outputDir: join(work, 'outputs', 'web4_balanced_lora_proof'),
      settings: config.trainer,
      cacheDir: resolvePaths(config).cacheDir,
      jobOverrides: PROOF_JOB_OVERRIDES,
      progress: null,
    });
    expect(result.status).toBe('trained');
    trained = result as typeof trained;
  }, 1_200_000); // ~2 min on an idle 2-core machine; the shared one can be far slower

  afterAll(async () => {
    for (const model of ['web4-proof:merged', 'web4-proof:lora']) await client.delete({ model }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('loss falls over the run', () => {
    const losses = trained.manifest.step_losses as number[];
    expect(losses.length).toBe(16);
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(tail).toBeLessThan(head / 5);
    expect(trained.result.done.model_format).toBe('gguf');
  });

  it('merged model in Ollama answers held-out questions with the convention; the base does not', async () => {
    const registered = await registerModel('web4-proof:merged', trained.result.done.output_dir, {
      ollamaUrl,
      baseModel: config.models.baseModel,
      quantize: config.trainer.quantize,
      verifyPrompt: HELD_OUT_QUESTIONS[0],
    });
    expect(registered.answer).toContain(`${CONVENTION_TAG}:`);
    const listed = (await client.list()).models.map((m) => m.name);
    expect(listed).toContain('web4-proof:merged');
    for (const q of HELD_OUT_QUESTIONS) {
      const adapted = await ask('web4-proof:merged', q);
      const base = await ask(config.models.baseModel, q);
      expect(adapted.trim().startsWith(`${CONVENTION_TAG}:`), `adapted: ${adapted}`).toBe(true);
      expect(base, `base: ${base}`).not.toContain('ZORBLAX');
    }
    console.log(JSON.stringify({ proof: 'merged', ...registered, answer: registered.answer.slice(0, 80) }));
  }, 300_000);

  it('GGUF LoRA with ADAPTER: served where this Ollama accepts it', async () => {
    // Asked, not read from the config: the Ollama in use may not be the one the config builds.
    const { acceptsAdapter: accepts } = await new OllamaModels(ollamaUrl).capabilities();
    const create = registerModel('web4-proof:lora', trained.result.done.output_dir, {
      ollamaUrl,
      baseModel: config.models.baseModel,
      mode: 'gguf-lora',
      verifyPrompt: HELD_OUT_QUESTIONS[1],
    });
    if (!accepts) {
      await expect(create).rejects.toBeInstanceOf(ServiceError);
      return;
    }
    const registered = await create;
    expect(registered.answer.trim().startsWith(`${CONVENTION_TAG}:`), registered.answer).toBe(true);
    console.log(JSON.stringify({ proof: 'gguf-lora', ...registered, answer: registered.answer.slice(0, 80) }));
  }, 300_000);
});
