import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, loadConfig, resolvePaths, ServiceError } from '@web4/core';
import { locateTrainer, trainAdapter } from '@web4/trainer-bridge';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from './register-model.js';

/**
 * registerModel against the real Ollama of the test setup, with a merged model in the other
 * format: a safetensors folder (what a Hugging Face base such as Qwen2.5-Coder gives), from a
 * tiny random llama so the run takes seconds. And the faults: not a trained folder, no such
 * base model, no adapter.gguf for gguf-lora.
 */
const { config } = loadConfig({ env: process.env });
const ollamaUrl = config.services.ollama.url!;
const client = new Ollama({ host: ollamaUrl });
const work = mkdtempSync(join(tmpdir(), 'web4 register '));
let outputDir: string;

beforeAll(async () => {
  const cacheDir = resolvePaths(config).cacheDir;
  const where = locateTrainer(config.trainer, cacheDir);
  const model = join(work, 'tiny model');
  execFileSync(where.python, ['-m', 'web4_trainer', 'make-tiny-model', model], { env: { ...process.env, PYTHONPATH: where.packageDir }, stdio: 'ignore' });
  outputDir = join(work, 'outputs', 'web4_balanced_lora_tiny');
  const samples = Array.from({ length: 4 }, (_, i) => ({ instruction: `question ${i}`, input: '', output: `answer ${i}`, metadata: {} }));
  const result = await trainAdapter({
    samples,
    outputDir,
    settings: { ...config.trainer, baseModel: model },
    cacheDir,
    jobOverrides: { epochs: 1, batch_size: 2, grad_accumulation: 1, threads: 1 },
    progress: null,
  });
  expect(result.status).toBe('trained');
}, 300_000);

afterAll(async () => {
  await client.delete({ model: 'web4-test-register:safetensors' }).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('registerModel', () => {
  it('creates from a merged safetensors folder, quantized, and verifies it is listed and answers', async () => {
    const r = await registerModel('web4-test-register:safetensors', outputDir, { ollamaUrl, baseModel: config.models.baseModel, quantize: 'q8_0' });
    expect(r.mode).toBe('merged');
    expect(r.answer.length).toBeGreaterThan(0);
    expect(r.blobBytes).toBeGreaterThan(0);
    const shown = await client.show({ model: 'web4-test-register:safetensors' });
    const base = await client.show({ model: config.models.baseModel });
    expect(shown.template).toBe(base.template); // the base's chat template, not a guess
    expect(shown.details.quantization_level).toBe('Q8_0');
  }, 120_000);

  it('refuses a folder that is not a trained output', async () => {
    const empty = join(work, 'not trained');
    mkdirSync(empty);
    await expect(registerModel('x', empty, { ollamaUrl, baseModel: config.models.baseModel })).rejects.toBeInstanceOf(InputError);
    writeFileSync(join(empty, 'manifest.json'), '{broken');
    await expect(registerModel('x', empty, { ollamaUrl, baseModel: config.models.baseModel })).rejects.toThrow(/not valid JSON/);
  });

  it('says which base model is missing', async () => {
    const error = await registerModel('x', outputDir, { ollamaUrl, baseModel: 'no-such-base:latest' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).message).toContain('no-such-base:latest');
  });

  it('gguf-lora needs adapter.gguf (trained with serveMode gguf-lora)', async () => {
    const error = await registerModel('x', outputDir, { ollamaUrl, baseModel: config.models.baseModel, mode: 'gguf-lora' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).hint).toMatch(/serveMode/);
  });

  it('a stopped Ollama is a ServiceError that says how to start it', async () => {
    const error = await registerModel('x', outputDir, { ollamaUrl: 'http://127.0.0.1:9', baseModel: config.models.baseModel }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).hint).toMatch(/services up/);
  });
});
