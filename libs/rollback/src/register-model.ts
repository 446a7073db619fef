import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ServiceError, silentLogger, type Logger } from '@web4/core';
import { Ollama } from 'ollama';
import { parseModelfileParameters } from './model-parameters.js';
import { uploadBlob } from './ollama-blob.js';

export type ServeMode = 'merged' | 'gguf-lora';

export interface RegisterModelOptions {
  ollamaUrl: string;
  /** The Ollama model the adapter was trained on (its chat template and parameters are reused). */
  baseModel: string;
  /** `merged` (default, every Ollama): FROM the merged weights. `gguf-lora`: base + ADAPTER. */
  mode?: ServeMode;
  /** Quantization at create time for `merged` (`q8_0`, `q4_K_M`, …); empty keeps the file's type. */
  quantize?: string;
  /** Asked after creating, to check the model answers. */
  verifyPrompt?: string;
  timeoutMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface RegisteredModel {
  name: string;
  mode: ServeMode;
  /** Bytes uploaded to (or already in) Ollama's blob store for this model. */
  blobBytes: number;
  /** Size Ollama reports for the created model. */
  sizeBytes: number | undefined;
  uploadS: number;
  createS: number;
  /** The verification chat: load + first answer. */
  firstAnswerS: number;
  answer: string;
}

interface TrainedOutput {
  dir: string;
  modelDir: string | undefined;
  modelFormat: 'gguf' | 'safetensors' | undefined;
  adapterGguf: string | undefined;
}

/** What the trainer wrote (manifest.json names the files), checked before anything is uploaded. */
export function readTrainedOutput(dir: string): TrainedOutput {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new InputError(`${dir} is not a trained adapter folder (no manifest.json)`, {
      hint: 'pass the output folder of a finished training run (outputs/web4_balanced_lora_*)',
    });
  }
  let manifest: { files?: { model?: { dir?: string; format?: string }; adapter_gguf?: { file?: string } } };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new InputError(`${manifestFile} is not valid JSON: ${(error as Error).message}`);
  }
  const model = manifest.files?.model;
  const modelDir = model?.dir ? join(dir, model.dir) : undefined;
  const adapterGguf = manifest.files?.adapter_gguf?.file ? join(dir, manifest.files.adapter_gguf.file) : undefined;
  return {
    dir,
    modelDir: modelDir && existsSync(modelDir) ? modelDir : undefined,
    modelFormat: model?.format === 'gguf' || model?.format === 'safetensors' ? model.format : undefined,
    adapterGguf: adapterGguf && existsSync(adapterGguf) ? adapterGguf : undefined,
  };
}

/**
 * Create `name` in Ollama from a trained output folder, then verify that Ollama lists it and
 * that it answers. Default: the merged model (`FROM` its weights, the base's chat template and
 * parameters, quantized at create time). `gguf-lora`: `FROM` the base with the GGUF LoRA as
 * `ADAPTER` — only for Ollama releases that still accept adapters (before 0.34.1).
 */
export async function registerModel(name: string, trainedOutput: string, o: RegisterModelOptions): Promise<RegisteredModel> {
  const logger = o.logger ?? silentLogger();
  const mode = o.mode ?? 'merged';
  const out = readTrainedOutput(trainedOutput);
  const client = new Ollama({ host: o.ollamaUrl });
  const signal = AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 15 * 60_000), ...(o.signal ? [o.signal] : [])]);

  let base: Awaited<ReturnType<Ollama['show']>>;
  try {
    base = await client.show({ model: o.baseModel });
  } catch (error) {
    const msg = (error as Error).message;
    if (/not found/i.test(msg)) {
      throw new ServiceError(`base model ${o.baseModel} is not in Ollama at ${o.ollamaUrl}`, { hint: 'run `node tools/setup` (imports web4-base) or set models.baseModel' });
    }
    throw new ServiceError(`Ollama at ${o.ollamaUrl} does not answer: ${msg}`, { hint: 'start it with `web4 services up`', cause: error });
  }

  const t0 = performance.now();
  const request: Record<string, unknown> = { model: name, stream: false };
  let blobBytes = 0;
  if (mode === 'merged') {
    if (!out.modelDir) {
      throw new InputError(`${trainedOutput} holds no merged model (manifest files.model)`, {
        hint: 'train with serve_format auto/gguf/safetensors, or use trainer.serveMode gguf-lora',
      });
    }
    const files: Record<string, string> = {};
    const names = readdirSync(out.modelDir).filter((f) => statSync(join(out.modelDir!, f)).isFile());
    // A GGUF folder is one file; a safetensors folder is config, tokenizer and weights, all needed by Ollama's converter.
    for (const file of out.modelFormat === 'gguf' ? names.filter((f) => f.endsWith('.gguf')) : names) {
      const blob = await uploadBlob(o.ollamaUrl, join(out.modelDir, file), signal);
      files[file] = blob.digest;
      blobBytes += blob.bytes;
    }
    request.files = files;
    if (o.quantize) request.quantize = o.quantize;
  } else {
    if (!out.adapterGguf) {
      throw new InputError(`${trainedOutput} holds no adapter.gguf`, { hint: 'train with export_gguf_lora (set trainer.serveMode to gguf-lora before training)' });
    }
    const blob = await uploadBlob(o.ollamaUrl, out.adapterGguf, signal);
    blobBytes += blob.bytes;
    request.from = o.baseModel;
    request.adapters = { 'adapter.gguf': blob.digest };
  }
  if (base.template) request.template = base.template;
  if (base.system) request.system = base.system;
  const parameters = parseModelfileParameters(base.parameters);
  if (Object.keys(parameters).length) request.parameters = parameters;
  const uploadS = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const response = await fetch(`${o.ollamaUrl.replace(/\/$/, '')}/api/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal,
  });
  const body = (await response.json().catch(() => ({}))) as { status?: string; error?: string };
  if (!response.ok || body.error) {
    const refused = body.error ?? `HTTP ${response.status}`;
    throw new ServiceError(`Ollama refused to create ${name} (${mode}): ${refused}`, {
      hint:
        mode === 'gguf-lora'
          ? 'this Ollama may not accept ADAPTER (0.34.1 and later refuse it): set trainer.serveMode to merged'
          : 'check the Ollama log (logs/services/ollama.log); the merged model is in ' + (out.modelDir ?? trainedOutput),
      details: { request: { ...request, files: undefined } },
    });
  }
  const createS = (performance.now() - t1) / 1000;
  logger.info({ name, mode, createS, uploadS, blobBytes }, 'model created in Ollama');

  const listed = (await client.list()).models.find((m) => m.name === name || m.model === name || m.name === `${name}:latest`);
  if (!listed) throw new ServiceError(`Ollama reported ${name} created but does not list it`, { hint: 'check the Ollama log' });

  const t2 = performance.now();
  const chat = await client.chat({
    model: name,
    messages: [{ role: 'user', content: o.verifyPrompt ?? 'Say hello.' }],
    options: { temperature: 0, seed: 42, num_predict: 24 },
    stream: false,
  });
  const firstAnswerS = (performance.now() - t2) / 1000;
  const answer = chat.message.content;
  if (!answer.trim()) {
    throw new ServiceError(`${name} was created but answers with nothing`, { hint: 'the merged weights may be broken: compare with the base model, check the trainer manifest loss' });
  }
  return { name, mode, blobBytes, sizeBytes: listed.size, uploadS, createS, firstAnswerS, answer };
}
